// Fault injection on the UDS socket file a listener creates (issue 18, docs/security.md):
// the file is never at its path with a wider mode than Options::udsFileMode, not even while
// the listener starts under umask 000, and at shutdown the engine removes the path only while
// it is still the socket it created, never a file or another server's socket put there since.
//
// Every path lives in a fresh mkdtemp directory under TMPDIR (or /tmp); loops are bounded.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tofu/tofu.h"

#include "engine_harness.h"
#include "os_probes.h"
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tofu::test {
namespace {

constexpr int kStarts = 40;
constexpr uid_t kOtherUser = 65534;  // nobody
constexpr std::chrono::seconds kChildLimit{120};

// A private directory for one test, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/tofu-sf-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const char* name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool singleThreaded() {
  int threads = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++threads;
  return threads == 1;
}

bool isSocket(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode);
}

// Forked as another user: connects to `path` as fast as it can until the parent closes `stop`,
// and exits with the number of connections that succeeded (at most 100). Only async-signal-safe
// calls: the parent may have threads.
[[noreturn]] void connectAsOtherUser(const std::string& path, int stop) {
  if (::setgroups(0, nullptr) != 0 || ::setgid(kOtherUser) != 0 || ::setuid(kOtherUser) != 0) ::_exit(200);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  const auto* raw = reinterpret_cast<const sockaddr*>(&address);  // NOLINT: sockets API
  int connected = 0;
  const auto limit = std::chrono::steady_clock::now() + kChildLimit;
  pollfd stopped{.fd = stop, .events = POLLIN, .revents = 0};
  while (::poll(&stopped, 1, 0) == 0 && std::chrono::steady_clock::now() < limit) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, raw, sizeof address) == 0 && connected < 100) ++connected;
    if (fd >= 0) ::close(fd);
  }
  ::_exit(connected);
}

// B1 of issue 18: the listener used to bind and listen before chmod, so under umask 000 the
// socket stood at its path with mode 0777, connectable by every local user, for an instant.
TEST(UdsSocketFile, NeverWiderThanUdsFileModeWhileStarting) {
  TempDir dir;
  const std::string path = dir.file("server.sock");
  const Options options;  // udsFileMode 0600
  // Another user may traverse the directory, so only the socket's own mode keeps it out.
  ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);

  pid_t child = -1;
  int stop[2] = {-1, -1};
  if (::geteuid() == 0 && singleThreaded() && ::pipe2(stop, O_CLOEXEC) == 0) {
    child = ::fork();
    if (child == 0) {
      ::close(stop[1]);
      connectAsOtherUser(path, stop[0]);
    }
    ::close(stop[0]);
  }

  mode_t widest = 0;
  int socketsSeen = 0;
  {
    const UmaskScope permissive(0);
    for (int start = 0; start < kStarts; ++start) {
      std::atomic<bool> done{false};
      std::thread watcher([&] {
        while (!done.load(std::memory_order_relaxed)) {
          struct stat info {};
          if (::lstat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode)) {
            widest |= info.st_mode & 07777;
            ++socketsSeen;
          }
        }
      });
      {
        Engine engine(options);
        const Listening listening = listen(engine.ampe(), engine.group(), Address::uds(path));
        EXPECT_NE(listening.channel, 0u) << "start " << start;
        done = true;
        watcher.join();
      }
      ASSERT_FALSE(isSocket(path)) << "the stopped listener left its socket at start " << start;
    }
  }

  EXPECT_GT(socketsSeen, 0) << "the watcher never saw the socket: the check proves nothing";
  const mode_t wider = widest & ~static_cast<mode_t>(options.udsFileMode);
  EXPECT_EQ(wider, 0u) << "a socket file with mode bits 0" << std::oct << widest
                       << " stood at the path; udsFileMode is 0" << options.udsFileMode;
  if (child > 0) {
    ::close(stop[1]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_NE(WEXITSTATUS(status), 200) << "the child could not become uid " << kOtherUser;
    EXPECT_EQ(WEXITSTATUS(status), 0) << "uid " << kOtherUser << " connected to a 0600 socket of uid 0";
  } else {
    std::cout << "[   INFO   ] not root (or not single-threaded): mode check only, no other-user connect\n";
  }
}

// B2 of issue 18: a listener deleted whatever was at its path on shutdown.
TEST(UdsSocketFile, ShutdownKeepsARegularFilePutInItsPlace) {
  TempDir dir;
  const std::string path = dir.file("server.sock");
  Engine engine;
  ASSERT_NE(listen(engine.ampe(), engine.group(), Address::uds(path)).channel, 0u);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  {
    std::ofstream file(path);
    file << "someone else's file";
  }
  engine.shutdown();
  std::ifstream file(path);
  std::string content;
  std::getline(file, content);
  EXPECT_EQ(content, "someone else's file") << "the stopped listener deleted a file it did not create";
}

TEST(UdsSocketFile, ShutdownKeepsAnotherServersSocket) {
  TempDir dir;
  const std::string path = dir.file("server.sock");
  Engine first;
  ASSERT_NE(listen(first.ampe(), first.group(), Address::uds(path)).channel, 0u);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  Engine second;
  ChannelGroup& secondGroup = second.group();
  const Listening secondListening = listen(second.ampe(), secondGroup, Address::uds(path));
  ASSERT_NE(secondListening.channel, 0u);

  first.shutdown();
  EXPECT_TRUE(isSocket(path)) << "the first listener deleted the second one's socket";
  Engine client;
  const Connection connection =
      connectPair(client.ampe(), client.group(), second.ampe(), secondGroup, secondListening.bound);
  EXPECT_TRUE(connection.ok()) << "the second server no longer accepts at " << path;
}

TEST(UdsSocketFile, NormalShutdownRemovesTheSocket) {
  TempDir dir;
  const std::string path = dir.file("server.sock");
  Engine engine;
  ASSERT_NE(listen(engine.ampe(), engine.group(), Address::uds(path)).channel, 0u);
  EXPECT_TRUE(isSocket(path));
  engine.shutdown();
  struct stat info {};
  const int found = ::lstat(path.c_str(), &info);
  const int error = errno;
  EXPECT_NE(found, 0) << "the stopped listener left " << path;
  EXPECT_EQ(error, ENOENT);
  std::error_code ignored;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path(), ignored)) << "the listener left something behind";
}

}  // namespace
}  // namespace tofu::test

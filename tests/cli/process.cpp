#include "process.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tofu::cli::testing {
namespace {

// Closes the fds it holds unless released; keeps start() free of cleanup paths.
struct PipePair {
  int fds[2] = {-1, -1};
  ~PipePair() {
    for (const int fd : fds) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
  int release(int index) { return std::exchange(fds[index], -1); }
};

}  // namespace

std::unique_ptr<Process> Process::start(const std::vector<std::string>& argv, std::string& error) {
  return start(argv, {}, error);
}

std::unique_ptr<Process> Process::start(const std::vector<std::string>& argv,
                                        const std::vector<std::string>& environment, std::string& error) {
  // The child's environment: ours minus the names `environment` sets, then `environment`.
  std::vector<char*> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view current(*entry);
    const bool replaced = std::any_of(environment.begin(), environment.end(), [&](const std::string& added) {
      const auto name = added.substr(0, added.find('=') + 1);
      return current.starts_with(name);
    });
    if (!replaced) {
      env.push_back(*entry);
    }
  }
  for (const std::string& added : environment) {
    env.push_back(const_cast<char*>(added.c_str()));  // posix_spawn does not write to them
  }
  env.push_back(nullptr);

  PipePair out;
  PipePair err;
  if (::pipe2(out.fds, O_CLOEXEC) != 0 || ::pipe2(err.fds, O_CLOEXEC) != 0) {
    error = std::string("pipe2: ") + std::strerror(errno);
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fds[1], STDERR_FILENO);

  // The child starts with default signal handling whatever the test runner set up.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int signal : {SIGINT, SIGTERM, SIGPIPE}) {
    sigaddset(&defaults, signal);
  }
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));  // posix_spawn does not write to them
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, &attributes, args.data(), env.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    error = "posix_spawn " + argv[0] + ": " + std::strerror(spawned);
    return nullptr;
  }
  const int outFd = out.release(0);
  const int errFd = err.release(0);
  for (const int fd : {outFd, errFd}) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  return std::unique_ptr<Process>(new Process(pid, outFd, errFd));
}

Process::Process(pid_t pid, int outFd, int errFd) : pid_(pid) {
  out_.fd = outFd;
  err_.fd = errFd;
}

Process::~Process() {
  if (!exit_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  for (const int fd : {out_.fd, err_.fd}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

std::optional<std::string> Process::readLine(Stream& stream, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    if (const auto newline = stream.buffer.find('\n'); newline != std::string::npos) {
      std::string line = stream.buffer.substr(0, newline);
      stream.buffer.erase(0, newline + 1);
      return line;
    }
    if (stream.fd < 0 || Clock::now() >= deadline) {
      return std::nullopt;
    }
    pump(deadline);
  }
}

void Process::sendSignal(int signal) {
  if (!exit_) {
    ::kill(pid_, signal);
  }
}

Process::Exit Process::wait(std::chrono::milliseconds timeout) {
  if (exit_) {
    return *exit_;
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  Exit exit;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit.exited = WIFEXITED(status);
      exit.code = exit.exited ? WEXITSTATUS(status) : -1;
      exit.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      break;
    }
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      exit.timedOut = true;
      break;
    }
    // Pipes end when the child exits, which wakes the poll; the cap bounds the waitpid() delay.
    if (!pump(std::min(deadline, Clock::now() + std::chrono::milliseconds(20)))) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // The child is gone: whatever it wrote is already in the pipes.
  drain(out_);
  drain(err_);
  exit_ = exit;
  return exit;
}

bool Process::pump(Clock::time_point deadline) {
  pollfd fds[2];
  Stream* streams[2];
  nfds_t count = 0;
  for (Stream* stream : {&out_, &err_}) {
    if (stream->fd >= 0) {
      fds[count] = {stream->fd, POLLIN, 0};
      streams[count++] = stream;
    }
  }
  if (count == 0) {
    return false;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (::poll(fds, count, static_cast<int>(std::clamp<long long>(left, 0, 60'000))) > 0) {
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents != 0) {
        drain(*streams[i]);
      }
    }
  }
  return out_.fd >= 0 || err_.fd >= 0;
}

void Process::drain(Stream& stream) {
  char chunk[4096];
  while (stream.fd >= 0) {
    const ssize_t got = ::read(stream.fd, chunk, sizeof chunk);
    if (got > 0) {
      stream.buffer.append(chunk, static_cast<std::size_t>(got));
      continue;
    }
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0 && errno == EAGAIN) {
      return;
    }
    ::close(stream.fd);
    stream.fd = -1;
  }
}

}  // namespace tofu::cli::testing

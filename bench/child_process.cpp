#include "child_process.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <new>
#include <thread>

#include "measure.h"

namespace bench {

std::unique_ptr<ChildProcess> ChildProcess::start(const Body& body, std::string& error) {
  void* memory = ::mmap(nullptr, sizeof(ChildShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    error = std::string("mmap: ") + std::strerror(errno);
    return nullptr;
  }
  auto* shared = new (memory) ChildShared();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    ::munmap(memory, sizeof(ChildShared));
    return nullptr;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the bench
    if (::getppid() != parent) ::_exit(1);  // the parent is already gone
    int code = 1;
    try {
      code = body(*shared);
    } catch (...) {
      reportChildError(*shared, "exception in the child");
    }
    if (code != 0) shared->state.store(ChildShared::failed);
    ::_exit(code);
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(shared, pid));
}

ChildProcess::~ChildProcess() {
  finish(std::chrono::seconds(5));
  shared_->~ChildShared();
  ::munmap(shared_, sizeof(ChildShared));
}

bool ChildProcess::waitFor(int state, std::chrono::duration<double> timeout) {
  const Clock::time_point deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  while (Clock::now() < deadline) {
    const int now = shared_->state.load();
    if (now == state) return true;
    if (now == ChildShared::failed) return false;
    if (!reaped_ && ::waitpid(pid_, &exitStatus_, WNOHANG) == pid_) {
      reaped_ = true;
      return shared_->state.load() == state;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

bool ChildProcess::finish(std::chrono::duration<double> grace) {
  shared_->stop.store(true);
  const Clock::time_point deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(grace);
  while (!reaped_) {
    if (::waitpid(pid_, &exitStatus_, WNOHANG) == pid_) {
      reaped_ = true;
      break;
    }
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &exitStatus_, 0);
      reaped_ = true;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return WIFEXITED(exitStatus_) && WEXITSTATUS(exitStatus_) == 0;
}

void reportChildError(ChildShared& shared, const std::string& text) {
  const std::size_t length = std::min(text.size(), sizeof shared.error - 1);
  std::memcpy(shared.error, text.data(), length);
  shared.error[length] = '\0';
}

}  // namespace bench

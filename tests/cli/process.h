// Process: a child process started with posix_spawn, stdin from /dev/null and stdout/stderr
// captured through pipes, for tests that drive real binaries. Every wait is bounded; a child
// still running when the Process is destroyed is killed. One thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace tofu::cli::testing {

class Process {
 public:
  using Clock = std::chrono::steady_clock;

  struct Exit {
    bool timedOut = false;  // still running at the deadline, then killed with SIGKILL
    bool exited = false;    // ended through exit() (WIFEXITED)
    int code = -1;          // exit code when `exited`
    int signal = 0;         // terminating signal when not `exited`
  };

  // Starts argv[0] with the given arguments. Null (with errno in `error`) when it cannot.
  static std::unique_ptr<Process> start(const std::vector<std::string>& argv, std::string& error);
  // The same with `environment` ("NAME=VALUE" each) added to this process's environment,
  // replacing variables of the same name.
  static std::unique_ptr<Process> start(const std::vector<std::string>& argv,
                                        const std::vector<std::string>& environment, std::string& error);
  ~Process();

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The next complete line (without '\n') of stdout / stderr; nullopt at end of stream or
  // when `timeout` passes first.
  std::optional<std::string> readLine(std::chrono::milliseconds timeout) { return readLine(out_, timeout); }
  std::optional<std::string> readErrorLine(std::chrono::milliseconds timeout) {
    return readLine(err_, timeout);
  }

  void sendSignal(int signal);

  // The child's process id (for /proc probes of the running child).
  pid_t pid() const noexcept { return pid_; }

  // Waits for the child to end, collecting its output; kills it after `timeout`. Later calls
  // return the same result.
  Exit wait(std::chrono::milliseconds timeout);

  // Output not yet returned by readLine() / readErrorLine().
  const std::string& out() const noexcept { return out_.buffer; }
  const std::string& err() const noexcept { return err_.buffer; }

 private:
  struct Stream {
    int fd = -1;
    std::string buffer;
  };

  Process(pid_t pid, int outFd, int errFd);

  std::optional<std::string> readLine(Stream& stream, std::chrono::milliseconds timeout);
  // Polls the open streams until `deadline` or until one of them has data or ends, and reads
  // what is there. False when both streams are at their end.
  bool pump(Clock::time_point deadline);
  static void drain(Stream& stream);

  pid_t pid_;
  std::optional<Exit> exit_;  // set once the child is reaped
  Stream out_;
  Stream err_;
};

}  // namespace tofu::cli::testing

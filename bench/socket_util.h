// Plain blocking sockets for the baselines: an RAII descriptor, a TCP (127.0.0.1) or UDS
// listener with its bound endpoint, connect/accept with TCP_NODELAY (as tofu sets it), and
// write/read loops that survive partial transfers and EINTR. Thread-safe (no shared state
// beyond a counter for temporary paths).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "bench_types.h"

namespace bench {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept;
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// Where a listener is: a loopback TCP port or a UDS path.
struct Endpoint {
  Transport transport = Transport::tcp;
  std::uint16_t port = 0;
  std::string path;

  // "tcp://127.0.0.1:<port>" or "ipc://<path>".
  std::string zmqUrl() const;
};

// A fresh path under $TMPDIR or /tmp, unique in this process; the file is not created.
std::string tempSocketPath(const char* tag);

// A blocking listening socket on 127.0.0.1:0 or a fresh UDS path (removed again on
// destruction). Move-only; one owner.
class Listener {
 public:
  Listener() = default;
  // Invalid, with `error` set, on failure.
  static Listener open(Transport transport, std::string& error);
  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;
  ~Listener();

  bool valid() const noexcept { return fd_.valid(); }
  int fd() const noexcept { return fd_.get(); }
  const Endpoint& endpoint() const noexcept { return endpoint_; }

 private:
  void removePath() noexcept;

  Fd fd_;
  Endpoint endpoint_;
};

// A blocking, connected socket (TCP_NODELAY for TCP). Invalid and `error` set on failure.
Fd connectTo(const Endpoint& endpoint, std::string& error);

// Accepts one connection (blocking), TCP_NODELAY for TCP. Invalid on failure.
Fd acceptOne(int listener);

bool writeAll(int fd, const void* data, std::size_t size);
bool readAll(int fd, void* data, std::size_t size);
// readAll() that never sleeps: non-blocking reads, yielding the CPU while nothing is there.
bool pollAll(int fd, void* data, std::size_t size);

void setNonBlocking(int fd);
// Closing then sends RST, as tofu's ByeSignal does.
void setAbortiveClose(int fd);

// Raises the soft descriptor limit to the hard one; returns the limit now in force.
std::size_t raiseFileLimit();

}  // namespace bench

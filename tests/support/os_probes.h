// Probes of the operating system for tests: a TCP port held without listening, this
// process's resident size, a umask for a scope, and a network where nothing answers. Any
// thread; each object has one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include <sys/stat.h>

#include "tofu/address.h"

namespace tofu::test {

// A TCP port on 127.0.0.1 that is bound but not listening: connects to it are refused, and no
// other socket can take the port until release(). For "no server yet" phases (R5, R6) without
// racing other listeners for a port that findFreeTcpPort() only says was free.
class ReservedTcpPort {
 public:
  ReservedTcpPort();
  ~ReservedTcpPort();
  ReservedTcpPort(const ReservedTcpPort&) = delete;
  ReservedTcpPort& operator=(const ReservedTcpPort&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // tcp|127.0.0.1|port().
  Address address() const { return Address::tcp("127.0.0.1", port_); }
  // Closes the socket so a listener can bind the port; idempotent.
  void release();

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// Resident set size of this process, in bytes. Reads /proc/self/statm without stdio, so that
// sampling allocates nothing (under ASan freed blocks stay resident in its quarantine).
std::size_t residentBytes();

// Runs `body` on a new thread in a private network namespace whose loopback is up and where
// 10.0.0.0/8 is routed into loopback, which answers nothing there: a connect to such an
// address stays pending, like one to a non-routable address, without depending on the real
// network. Threads that `body` starts live in that namespace too. Needs root (CAP_SYS_ADMIN);
// returns false without running `body` when the namespace cannot be made. Blocks until `body`
// returns; any thread.
bool runWithSilentNetwork(const std::function<void()>& body);

// Sets the process umask (process-wide: tests that use it start no listener in parallel).
class UmaskScope {
 public:
  explicit UmaskScope(mode_t mask) : saved_(::umask(mask)) {}
  ~UmaskScope() { ::umask(saved_); }
  UmaskScope(const UmaskScope&) = delete;
  UmaskScope& operator=(const UmaskScope&) = delete;

 private:
  mode_t saved_;
};

}  // namespace tofu::test

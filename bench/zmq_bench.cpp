#include "zmq_bench.h"

#if TOFU_BENCH_HAVE_ZMQ

#include <unistd.h>
#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "measure.h"
#include "socket_util.h"

namespace bench {
namespace {

constexpr int kPollTimeoutMs = 10;  // lets blocked send/recv calls notice the stop flag

class Context {
 public:
  Context() : context_(::zmq_ctx_new()) {}
  ~Context() {
    if (context_ != nullptr) ::zmq_ctx_term(context_);
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  void* get() const noexcept { return context_; }

 private:
  void* context_;
};

class Socket {
 public:
  Socket(const Context& context, int type) : socket_(::zmq_socket(context.get(), type)) {
    const int zero = 0;
    ::zmq_setsockopt(socket_, ZMQ_LINGER, &zero, sizeof zero);
    ::zmq_setsockopt(socket_, ZMQ_SNDTIMEO, &kPollTimeoutMs, sizeof kPollTimeoutMs);
    ::zmq_setsockopt(socket_, ZMQ_RCVTIMEO, &kPollTimeoutMs, sizeof kPollTimeoutMs);
  }
  ~Socket() {
    if (socket_ != nullptr) ::zmq_close(socket_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  void* get() const noexcept { return socket_; }

 private:
  void* socket_;
};

std::string lastError(const char* what) { return std::string(what) + ": " + ::zmq_strerror(::zmq_errno()); }

// Binds `socket` to loopback TCP (any port) or a fresh ipc path; returns the endpoint to
// connect to, empty (and `error`) on failure.
std::string bindSocket(const Socket& socket, Transport transport, std::string& ipcPath, std::string& error) {
  std::string wanted = "tcp://127.0.0.1:*";
  if (transport == Transport::uds) {
    ipcPath = tempSocketPath("zmq");
    wanted = "ipc://" + ipcPath;
  }
  if (::zmq_bind(socket.get(), wanted.c_str()) != 0) {
    error = lastError("zmq_bind");
    return {};
  }
  char endpoint[256] = {};
  std::size_t length = sizeof endpoint;
  if (::zmq_getsockopt(socket.get(), ZMQ_LAST_ENDPOINT, endpoint, &length) != 0) {
    error = lastError("ZMQ_LAST_ENDPOINT");
    return {};
  }
  return endpoint;
}

void removeIpcPath(const std::string& path) {
  if (!path.empty()) ::unlink(path.c_str());
}

}  // namespace

bool zmqAvailable() noexcept {
#if defined(TOFU_SANITIZER_THREAD)
  return false;  // libzmq is not instrumented: ThreadSanitizer misreads its lock-free queues
#else
  return true;
#endif
}

Sample runZmqPushPull(Transport transport, std::size_t channels, std::size_t body, const RunParams& params) {
  Sample sample;
  std::string ipcPath;
  {
    Context receiveContext;
    Context sendContext;
    Socket pull(receiveContext, ZMQ_PULL);
    const std::string endpoint = bindSocket(pull, transport, ipcPath, sample.error);
    if (endpoint.empty()) return sample;
    std::vector<std::unique_ptr<Socket>> pushes;
    for (std::size_t i = 0; i < channels; ++i) {
      pushes.push_back(std::make_unique<Socket>(sendContext, ZMQ_PUSH));
      if (::zmq_connect(pushes.back()->get(), endpoint.c_str()) != 0) {
        sample.error = lastError("zmq_connect");
        removeIpcPath(ipcPath);
        return sample;
      }
    }

    std::atomic<std::uint64_t> received{0};
    std::atomic<bool> stopSending{false};
    std::atomic<bool> stopReceiving{false};
    std::thread receiver([&] {
      zmq_msg_t message;
      ::zmq_msg_init(&message);
      std::uint64_t total = 0;
      while (!stopReceiving.load(std::memory_order_relaxed)) {
        if (::zmq_msg_recv(&message, pull.get(), 0) >= 0) received.store(++total, std::memory_order_relaxed);
      }
      ::zmq_msg_close(&message);
    });
    std::thread sender([&] {
      const std::vector<char> payload(body, 'x');
      std::size_t next = 0;
      while (!stopSending.load(std::memory_order_relaxed)) {
        // A send that times out (high-water mark reached) just moves on to the next socket.
        (void)::zmq_send(pushes[next]->get(), payload.data(), payload.size(), 0);
        next = next + 1 == pushes.size() ? 0 : next + 1;
      }
    });
    const Window window = measureWindow([&] { return received.load(std::memory_order_relaxed); }, params);
    stopSending = true;
    sender.join();
    stopReceiving = true;
    receiver.join();
    sample.ok = window.count > 0 || params.quick;  // a smoke run only checks that it runs
    if (!sample.ok) sample.error = "nothing received";
    sample.messages = window.count;
    sample.rate = static_cast<double>(window.count) / window.seconds;
    sample.cpuNs = window.cpuNs;
  }
  removeIpcPath(ipcPath);
  return sample;
}

Sample runZmqReqRep(Transport transport, std::size_t body, const RunParams& params) {
  Sample sample;
  std::string ipcPath;
  {
    Context serverContext;
    Context clientContext;
    Socket rep(serverContext, ZMQ_REP);
    const std::string endpoint = bindSocket(rep, transport, ipcPath, sample.error);
    if (endpoint.empty()) return sample;
    Socket req(clientContext, ZMQ_REQ);
    const int forever = -1;
    ::zmq_setsockopt(req.get(), ZMQ_RCVTIMEO, &forever, sizeof forever);
    ::zmq_setsockopt(req.get(), ZMQ_SNDTIMEO, &forever, sizeof forever);
    if (::zmq_connect(req.get(), endpoint.c_str()) != 0) {
      sample.error = lastError("zmq_connect");
      removeIpcPath(ipcPath);
      return sample;
    }
    std::atomic<bool> stop{false};
    std::thread server([&] {
      zmq_msg_t message;
      ::zmq_msg_init(&message);
      while (!stop.load(std::memory_order_relaxed)) {
        if (::zmq_msg_recv(&message, rep.get(), 0) >= 0) (void)::zmq_msg_send(&message, rep.get(), 0);
      }
      ::zmq_msg_close(&message);
    });

    const std::vector<char> payload(body, 'x');
    std::vector<char> reply(body);
    std::vector<double> latenciesUs;
    latenciesUs.reserve(1 << 20);
    const Clock::time_point start = Clock::now();
    const auto measureFrom = start + std::chrono::duration_cast<Clock::duration>(params.warmup);
    const auto measureUntil = measureFrom + std::chrono::duration_cast<Clock::duration>(params.measure);
    for (Clock::time_point now = start; now < measureUntil;) {
      const Clock::time_point sent = Clock::now();
      if (::zmq_send(req.get(), payload.data(), payload.size(), 0) < 0 ||
          ::zmq_recv(req.get(), reply.data(), reply.size(), 0) < 0) {
        sample.error = lastError("req/rep");
        break;
      }
      now = Clock::now();
      if (sent >= measureFrom) latenciesUs.push_back(std::chrono::duration<double, std::micro>(now - sent).count());
    }
    stop = true;
    server.join();
    sample.ok = sample.error.empty() && !latenciesUs.empty();
    sample.messages = latenciesUs.size();
    sample.medianUs = quantile(latenciesUs, 0.5);
    sample.p99Us = quantile(latenciesUs, 0.99);
  }
  removeIpcPath(ipcPath);
  return sample;
}

}  // namespace bench

#else  // !TOFU_BENCH_HAVE_ZMQ

namespace bench {

bool zmqAvailable() noexcept { return false; }

Sample runZmqPushPull(Transport, std::size_t, std::size_t, const RunParams&) {
  Sample sample;
  sample.error = "built without ZeroMQ";
  return sample;
}

Sample runZmqReqRep(Transport, std::size_t, const RunParams&) {
  Sample sample;
  sample.error = "built without ZeroMQ";
  return sample;
}

}  // namespace bench

#endif

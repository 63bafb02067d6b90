// EpollPoller: one wait reports every ready descriptor once the loop has reserved room for
// them (ChannelRegistry does so as channels are added), and its event list never grows in a wait
// that merely finds many descriptors ready (steady traffic allocates nothing).
#include "reactor/epoll_poller.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace tofu::detail {
namespace {

// `count` eventfds, each readable (counter 1).
class ReadyDescriptors {
 public:
  explicit ReadyDescriptors(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      const int fd = ::eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
      EXPECT_GE(fd, 0) << "eventfd " << i;
      fds_.push_back(fd);
    }
  }
  ~ReadyDescriptors() {
    for (const int fd : fds_) ::close(fd);
  }
  ReadyDescriptors(const ReadyDescriptors&) = delete;
  ReadyDescriptors& operator=(const ReadyDescriptors&) = delete;

  void watchAll(EpollPoller& poller) {
    for (int& fd : fds_) poller.add(fd, {.read = true, .write = false}, &fd);
  }

 private:
  std::vector<int> fds_;
};

constexpr std::size_t kManyDescriptors = 900;  // past the initial 512 events, under a 1024 descriptor limit

TEST(EpollPoller, OneWaitReportsEveryReadyDescriptorRoomWasReservedFor) {
  EpollPoller poller;
  ASSERT_TRUE(poller.valid());
  ReadyDescriptors ready(kManyDescriptors);
  ready.watchAll(poller);
  poller.reserveEvents(kManyDescriptors);
  EXPECT_EQ(poller.wait(0).size(), kManyDescriptors);
}

TEST(EpollPoller, ManyReadyDescriptorsDoNotGrowTheEventList) {
  EpollPoller poller;
  ASSERT_TRUE(poller.valid());
  ReadyDescriptors ready(kManyDescriptors);
  ready.watchAll(poller);
  const std::size_t first = poller.wait(0).size();
  EXPECT_LT(first, kManyDescriptors) << "no room was reserved";
  EXPECT_EQ(poller.wait(0).size(), first) << "a full wait does not grow the list by itself";
}

}  // namespace
}  // namespace tofu::detail

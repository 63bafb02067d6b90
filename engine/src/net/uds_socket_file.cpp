#include "net/uds_socket_file.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/fd.h"
#include "net/socket_ops.h"

namespace tofu::detail {

namespace {

constexpr mode_t kPermissionBits = 07777;

const sockaddr* rawAddress(const SocketAddress& socketAddress) {
  return reinterpret_cast<const sockaddr*>(&socketAddress.storage);  // NOLINT: sockets API
}

bool sameFile(const struct stat& info, dev_t device, ino_t inode) {
  return info.st_dev == device && info.st_ino == inode;
}

// Whether `path` is, at this instant, the socket `created` names (not a link to it).
bool stillCreated(const std::string& path, const UdsFileIdentity& created) {
  struct stat info {};
  return created.known && ::lstat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode) &&
         sameFile(info, created.device, created.inode);
}

}  // namespace

Status prepareUdsPath(const std::string& path, const SocketAddress& socketAddress) {
  struct stat before {};
  if (::lstat(path.c_str(), &before) != 0) return errno == ENOENT ? Status::success : Status::listen_failed;
  if (!S_ISSOCK(before.st_mode)) return Status::listen_failed;
  // Non-blocking: a live listener with a full backlog answers EAGAIN instead of holding the
  // reactor thread in connect(). Only "refused" means nobody listens there any more.
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe.valid()) return Status::listen_failed;
  if (::connect(probe.get(), rawAddress(socketAddress), socketAddress.length) == 0) return Status::listen_failed;
  if (errno != ECONNREFUSED) return Status::listen_failed;
  // Another server may have replaced the stale file with its live socket since the first
  // lstat(): remove the path only if it is still the file that was probed.
  struct stat probed {};
  if (::lstat(path.c_str(), &probed) != 0) return errno == ENOENT ? Status::success : Status::listen_failed;
  if (!S_ISSOCK(probed.st_mode) || !sameFile(probed, before.st_dev, before.st_ino)) return Status::listen_failed;
  return ::unlink(path.c_str()) == 0 || errno == ENOENT ? Status::success : Status::listen_failed;
}

Status bindUdsFile(int fd, const std::string& path, const SocketAddress& socketAddress, std::uint32_t mode,
                   UdsFileIdentity& created) {
  created = {};
  const auto wanted = static_cast<mode_t>(mode) & kPermissionBits;
  // Linux creates the file with the socket inode's mode minus the umask, so the mode set here
  // is the file's mode from the instant bind() makes it: never wider than `wanted`, whatever
  // the umask. A chmod() after bind() left a window in which the file had the umask's mode.
  if (::fchmod(fd, wanted) != 0) return Status::listen_failed;
  if (::bind(fd, rawAddress(socketAddress), socketAddress.length) != 0) return Status::listen_failed;
  struct stat info {};
  // Gone or replaced already (someone else's now): nothing of ours to name or remove.
  if (::lstat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) return Status::listen_failed;
  created = {.device = info.st_dev, .inode = info.st_ino, .known = true};
  if ((info.st_mode & kPermissionBits) == wanted) return Status::success;
  // The umask took bits away (or a kernel ignored the socket's mode): make it exactly `wanted`
  // now, before listen(), so nobody can connect before the mode is final.
  // AT_SYMLINK_NOFOLLOW: a symlink swapped in since lstat() must not lend its target our mode.
  if (::fchmodat(AT_FDCWD, path.c_str(), wanted, AT_SYMLINK_NOFOLLOW) == 0) return Status::success;
  // glibc needs /proc for that and says EOPNOTSUPP without it: then chmod() the path while it
  // is still our socket.
  if (errno == EOPNOTSUPP && stillCreated(path, created) && ::chmod(path.c_str(), wanted) == 0) {
    return Status::success;
  }
  removeUdsFile(path, created);
  created = {};
  return Status::listen_failed;
}

void removeUdsFile(const std::string& path, const UdsFileIdentity& created) {
  if (stillCreated(path, created)) ::unlink(path.c_str());
}

}  // namespace tofu::detail

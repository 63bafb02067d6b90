// Internal, not part of the API.
// The file a UDS listener binds (issue 18, B8, docs/security.md "Who can connect"): it stands
// at its path with no wider mode than Options::udsFileMode from its first instant, and it is
// removed only while it is still the socket this listener created. Plain functions on the
// descriptors and paths they are given; the reactor thread calls them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "tofu/status.h"

namespace tofu::detail {

struct SocketAddress;

// The file a listener created, as its path showed it right after bind(): device and inode
// identify it while the listening socket is open (the socket pins the inode, so no other file
// can take its number), and a later lstat() of the path tells whether it is still there.
struct UdsFileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool known = false;
};

// Frees `path` for bind(), as docs/behaviour.md documents: nothing there is fine; a socket
// nobody listens on (a crashed server's) is removed; anything else, a live listener or a file
// that is not a socket, is listen_failed and left alone.
Status prepareUdsPath(const std::string& path, const SocketAddress& socketAddress);

// Binds the unbound AF_UNIX socket `fd` to `path`; on success the file has exactly `mode` and
// `created` names it. On failure nothing this call created is left at `path`. The caller
// calls listen() after this, so no one connects before the mode is final.
Status bindUdsFile(int fd, const std::string& path, const SocketAddress& socketAddress, std::uint32_t mode,
                   UdsFileIdentity& created);

// Unlinks `path` only if it is still the socket `created` names; a file or another server's
// socket put there since stays. Call it while the listening socket is still open.
void removeUdsFile(const std::string& path, const UdsFileIdentity& created);

}  // namespace tofu::detail

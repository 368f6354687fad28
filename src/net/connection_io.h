// The byte stream under one HTTP connection: a plain socket or a TLS session over it. The
// epoll transport (and the CLI's blocking client) call these instead of read()/send(), so TLS
// is one more implementation (net/tls.h) and not a second event loop.
//
// Non-blocking contract: every call returns at once. kWantRead / kWantWrite say which socket
// readiness the call is waiting for; it must be repeated when that readiness arrives. With TLS
// a Read may need the socket to be writable and a Write may need it readable, so the caller's
// epoll interest must follow what the call asked for, not what the caller is trying to do. On a
// blocking socket the calls block and never return kWant*.
//
// The socket descriptor stays owned by the caller; an IO object never closes it.
//
// Thread safety: none; one thread drives a connection.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace lookalike::net {

enum class IoOutcome {
  kDone,       // `bytes` were read or written (Handshake/Shutdown: finished)
  kWantRead,   // repeat the same call once the socket is readable
  kWantWrite,  // repeat the same call once the socket is writable
  kClosed,     // the peer closed its sending side (EOF, or TLS close_notify)
  kFailed,     // connection unusable; see ConnectionIo::last_error()
};

struct IoResult {
  IoOutcome outcome = IoOutcome::kDone;
  size_t bytes = 0;
};

class ConnectionIo {
 public:
  virtual ~ConnectionIo() = default;

  /// Establishes the session (TLS handshake); kDone at once for a plain socket.
  virtual IoResult Handshake() = 0;
  /// Reads up to `capacity` bytes. kDone with bytes > 0, or kWantRead/kWantWrite/kClosed/kFailed.
  virtual IoResult Read(char* buffer, size_t capacity) = 0;
  /// Writes a prefix of `data` (kDone with the count). After a kWant* result the retry must
  /// pass the same bytes again (more may follow them; none may be dropped).
  virtual IoResult Write(const char* data, size_t size) = 0;
  /// Best effort, never blocks for the peer: TLS sends close_notify once; plain does nothing.
  virtual void Shutdown() = 0;

  /// True when a Read shorter than `capacity` proves the socket was drained (plain sockets).
  /// TLS returns at most one record per Read, so a short read says nothing.
  virtual bool ShortReadDrains() const = 0;
  /// Input already taken off the socket but not yet returned by Read (TLS buffers records):
  /// epoll will not report it, so the caller must Read again before waiting.
  virtual bool HasBufferedInput() const = 0;
  /// Why the last call returned kFailed (for logs and error messages).
  virtual const std::string& last_error() const = 0;
};

/// The plain-socket implementation (read/send with MSG_NOSIGNAL on `fd`).
std::unique_ptr<ConnectionIo> MakePlainConnectionIo(int fd);

}  // namespace lookalike::net

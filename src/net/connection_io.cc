#include "net/connection_io.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lookalike::net {
namespace {

class PlainConnectionIo final : public ConnectionIo {
 public:
  explicit PlainConnectionIo(int fd) : fd_(fd) {}

  IoResult Handshake() override { return {IoOutcome::kDone, 0}; }

  IoResult Read(char* buffer, size_t capacity) override {
    while (true) {
      ssize_t n = ::read(fd_, buffer, capacity);
      if (n > 0) return {IoOutcome::kDone, static_cast<size_t>(n)};
      if (n == 0) return {IoOutcome::kClosed, 0};
      if (errno == EINTR) continue;
      return FromErrno("read", IoOutcome::kWantRead);
    }
  }

  IoResult Write(const char* data, size_t size) override {
    while (true) {
      ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n >= 0) return {IoOutcome::kDone, static_cast<size_t>(n)};
      if (errno == EINTR) continue;
      return FromErrno("send", IoOutcome::kWantWrite);
    }
  }

  void Shutdown() override {}
  bool ShortReadDrains() const override { return true; }
  bool HasBufferedInput() const override { return false; }
  const std::string& last_error() const override { return last_error_; }

 private:
  IoResult FromErrno(const char* what, IoOutcome would_block) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {would_block, 0};
    last_error_ = std::string(what) + ": " + std::strerror(errno);
    return {IoOutcome::kFailed, 0};
  }

  int fd_;
  std::string last_error_;
};

}  // namespace

std::unique_ptr<ConnectionIo> MakePlainConnectionIo(int fd) {
  return std::make_unique<PlainConnectionIo>(fd);
}

}  // namespace lookalike::net

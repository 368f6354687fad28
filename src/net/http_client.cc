// Blocking HTTP/1.1 client; see http_client.h.
#include "net/http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "net/connection_io.h"
#include "net/tls.h"

namespace lookalike::net {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = size_t{1} << 30;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string UrlEncodeSegment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<HttpClient> HttpClient::Create(std::string_view base_url, const HttpClientTls& tls) {
  constexpr std::string_view kHttp = "http://";
  constexpr std::string_view kHttps = "https://";
  HttpClient client;
  std::string_view rest;
  if (base_url.substr(0, kHttp.size()) == kHttp) {
    rest = base_url.substr(kHttp.size());
  } else if (base_url.substr(0, kHttps.size()) == kHttps) {
    rest = base_url.substr(kHttps.size());
    client.scheme_ = "https";
    client.port_ = 443;
    LOOKALIKE_ASSIGN_OR_RETURN(client.tls_,
                               TlsContext::ForClient(tls.ca_file, !tls.insecure));
  } else {
    return Status::InvalidArgument("server URL must start with http:// or https:// (got '" +
                                   std::string(base_url) + "')");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  client.prefix_ = std::string(prefix);
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    int value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value <= 0 || value > 65535) {
      return Status::InvalidArgument("bad port in server URL '" + std::string(base_url) + "'");
    }
    client.port_ = value;
    authority = authority.substr(0, colon);
  }
  if (authority.size() >= 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  if (authority.empty()) {
    return Status::InvalidArgument("no host in server URL '" + std::string(base_url) + "'");
  }
  client.host_ = std::string(authority);
  return client;
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : scheme_(std::move(other.scheme_)),
      host_(std::move(other.host_)),
      port_(other.port_),
      tls_(std::move(other.tls_)),
      io_(std::move(other.io_)),
      prefix_(std::move(other.prefix_)),
      authorization_(std::move(other.authorization_)),
      receive_timeout_(other.receive_timeout_),
      fd_(other.fd_),
      buf_(std::move(other.buf_)),
      pos_(other.pos_) {
  other.fd_ = -1;
}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    Close();
    scheme_ = std::move(other.scheme_);
    host_ = std::move(other.host_);
    port_ = other.port_;
    tls_ = std::move(other.tls_);
    io_ = std::move(other.io_);
    prefix_ = std::move(other.prefix_);
    authorization_ = std::move(other.authorization_);
    receive_timeout_ = other.receive_timeout_;
    fd_ = other.fd_;
    buf_ = std::move(other.buf_);
    pos_ = other.pos_;
    other.fd_ = -1;
  }
  return *this;
}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (io_) io_->Shutdown();  // TLS close_notify
  io_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
  pos_ = 0;
}

Status HttpClient::Connect() {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(port_);
  int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    return Status::IOError("cannot resolve " + host_ + ": " + ::gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      fd_ = fd;
      break;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (fd_ < 0) {
    return Status::IOError("cannot connect to " + scheme_ + "://" + host_ + ":" + port + ": " +
                           last_error + " (is `lookalike serve` running?)");
  }
  if (!tls_) {
    io_ = MakePlainConnectionIo(fd_);
    return Status::OK();
  }
  auto io = tls_->NewClientConnection(fd_, host_);
  if (!io.ok()) {
    Close();
    return io.status();
  }
  io_ = std::move(io).value();
  if (io_->Handshake().outcome != IoOutcome::kDone) {
    std::string why = io_->last_error();
    bool untrusted = why.find("certificate") != std::string::npos;
    Close();
    return Status::IOError("TLS handshake with " + host_ + ":" + port + " failed: " + why +
                           (untrusted ? " (pass --ca-cert with the CA that signed the server's "
                                        "certificate, or --insecure-tls)"
                                      : " (is the server serving HTTPS on this port?)"));
  }
  return Status::OK();
}

Status HttpClient::WriteAll(std::string_view data) {
  while (!data.empty()) {
    IoResult r = io_->Write(data.data(), data.size());
    if (r.outcome != IoOutcome::kDone) {
      return Status::IOError("send failed: " + io_->last_error());
    }
    data.remove_prefix(r.bytes);
  }
  return Status::OK();
}

Status HttpClient::Fill(size_t n) {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  char chunk[64 * 1024];
  while (buf_.size() - pos_ < n) {
    LOOKALIKE_RETURN_IF_ERROR(WaitReadable());
    IoResult r = io_->Read(chunk, sizeof(chunk));
    if (r.outcome == IoOutcome::kClosed) {
      return Status::IOError("the server closed the connection");
    }
    if (r.outcome != IoOutcome::kDone) {
      return Status::IOError("receive failed: " + io_->last_error());
    }
    buf_.append(chunk, r.bytes);
  }
  return Status::OK();
}

Result<std::string> HttpClient::ReadLine() {
  while (true) {
    size_t eol = buf_.find("\r\n", pos_);
    if (eol != std::string::npos) {
      std::string line = buf_.substr(pos_, eol - pos_);
      pos_ = eol + 2;
      return line;
    }
    if (buf_.size() - pos_ > kMaxHeaderBytes) return Status::IOError("response header too long");
    LOOKALIKE_RETURN_IF_ERROR(Fill(buf_.size() - pos_ + 1));
  }
}

struct HttpClient::ResponseHead {
  int status = 0;
  std::string content_type;
  int64_t content_length = -1;
  bool chunked = false;
  bool close = false;
};

Status HttpClient::WaitReadable() {
  if (receive_timeout_.count() <= 0 && stop_ == nullptr) return Status::OK();
  if (io_->HasBufferedInput()) return Status::OK();
  // Without a stop flag one poll covers the whole timeout; with one, short slices let a stop
  // request end the wait promptly.
  constexpr int kStopSliceMs = 100;
  int64_t left_ms = receive_timeout_.count() > 0 ? receive_timeout_.count() : -1;
  while (true) {
    int slice = left_ms < 0 ? kStopSliceMs : static_cast<int>(left_ms);
    if (stop_ != nullptr && (slice < 0 || slice > kStopSliceMs)) slice = kStopSliceMs;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, slice);
    if (rc > 0) return Status::OK();
    if (rc < 0 && errno != EINTR) return Status::IOError(std::string("poll: ") + strerror(errno));
    if (stop_ != nullptr && stop_->load()) return Status::IOError("stopped");
    if (left_ms >= 0) {
      left_ms -= rc == 0 ? slice : 0;
      if (left_ms <= 0) {
        timed_out_ = true;
        return Status::IOError("timed out waiting for " + host_ + ":" + std::to_string(port_));
      }
    }
  }
}

Result<HttpClient::ResponseHead> HttpClient::ReadHead() {
  ResponseHead head;
  LOOKALIKE_ASSIGN_OR_RETURN(std::string status_line, ReadLine());
  // "HTTP/1.1 200 OK"
  size_t sp = status_line.find(' ');
  if (status_line.rfind("HTTP/1.", 0) != 0 || sp == std::string::npos ||
      status_line.size() < sp + 4) {
    return Status::IOError("malformed HTTP status line '" + status_line + "'");
  }
  head.status = std::atoi(status_line.c_str() + sp + 1);
  while (true) {
    LOOKALIKE_ASSIGN_OR_RETURN(std::string line, ReadLine());
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = Lower(Trim(std::string_view(line).substr(0, colon)));
    std::string_view value = Trim(std::string_view(line).substr(colon + 1));
    if (name == "content-length") {
      head.content_length = std::atoll(std::string(value).c_str());
    } else if (name == "transfer-encoding") {
      head.chunked = Lower(value).find("chunked") != std::string::npos;
    } else if (name == "connection") {
      head.close = Lower(value) == "close";
    } else if (name == "content-type") {
      head.content_type = std::string(value);
    }
  }
  return head;
}

Status HttpClient::ReadBody(const ResponseHead& head, bool head_request, const BodySink& sink) {
  if (head_request || head.status == 204 || head.status == 304) return Status::OK();
  uint64_t total = 0;
  if (head.chunked) {
    while (true) {
      LOOKALIKE_ASSIGN_OR_RETURN(std::string size_line, ReadLine());
      size_t size = std::strtoull(size_line.c_str(), nullptr, 16);
      if (size == 0) {
        // Trailers end with an empty line.
        while (true) {
          LOOKALIKE_ASSIGN_OR_RETURN(std::string trailer, ReadLine());
          if (trailer.empty()) break;
        }
        return Status::OK();
      }
      total += size;
      if (total > kMaxBodyBytes) return Status::IOError("response too large");
      LOOKALIKE_RETURN_IF_ERROR(Fill(size + 2));
      bool more = sink(std::string_view(buf_).substr(pos_, size));
      pos_ += size + 2;
      if (!more) return Status::OK();
    }
  }
  if (head.content_length >= 0) {
    if (static_cast<uint64_t>(head.content_length) > kMaxBodyBytes) {
      return Status::IOError("response too large");
    }
    LOOKALIKE_RETURN_IF_ERROR(Fill(static_cast<size_t>(head.content_length)));
    sink(std::string_view(buf_).substr(pos_, static_cast<size_t>(head.content_length)));
    pos_ += static_cast<size_t>(head.content_length);
    return Status::OK();
  }
  // Body until the server closes the connection.
  while (true) {
    if (pos_ < buf_.size()) {
      bool more = sink(std::string_view(buf_).substr(pos_));
      pos_ = buf_.size();
      if (!more) return Status::OK();
    }
    if (!Fill(1).ok()) return Status::OK();
  }
}

Result<HttpClientResponse> HttpClient::ReadResponse(bool head_request) {
  LOOKALIKE_ASSIGN_OR_RETURN(ResponseHead head, ReadHead());
  HttpClientResponse response;
  response.status = head.status;
  response.content_type = head.content_type;
  LOOKALIKE_RETURN_IF_ERROR(ReadBody(head, head_request, [&response](std::string_view bytes) {
    response.body.append(bytes);
    return true;
  }));
  if (head.close || (head.content_length < 0 && !head.chunked && !head_request)) Close();
  return response;
}

std::string HttpClient::FormatRequest(std::string_view method, std::string_view path,
                                      std::string_view body, std::string_view content_type) const {
  std::string request;
  request.reserve(256);
  request.append(method).append(" ").append(prefix_).append(path).append(" HTTP/1.1\r\n");
  request.append("Host: ").append(host_).append(":").append(std::to_string(port_)).append("\r\n");
  request.append("User-Agent: lookalike\r\nAccept: application/json\r\n");
  if (!authorization_.empty()) request.append("Authorization: ").append(authorization_).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    request.append("Content-Type: ").append(content_type).append("\r\n");
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request.append("\r\n");
  return request;
}

Result<HttpClientResponse> HttpClient::SendStreaming(std::string_view method,
                                                     std::string_view path, std::string_view body,
                                                     const BodySink& sink,
                                                     const std::atomic<bool>* stop) {
  // A fresh connection: a stream is ended by closing it, which must not cost a kept-alive
  // connection of a later Send its retry.
  Close();
  LOOKALIKE_RETURN_IF_ERROR(Connect());
  stop_ = stop;
  std::string request = FormatRequest(method, path, body, "application/json");
  Status st = WriteAll(request);
  if (st.ok()) st = WriteAll(body);
  HttpClientResponse response;
  if (st.ok()) {
    auto head = ReadHead();
    if (head.ok()) {
      response.status = head->status;
      response.content_type = head->content_type;
      st = ReadBody(*head, false, sink);
    } else {
      st = head.status();
    }
  }
  stop_ = nullptr;
  Close();
  if (!st.ok()) return st;
  return response;
}

Status HttpClient::WritePending() {
  Status st = WriteAll(pending_head_);
  if (st.ok()) st = WriteAll(pending_body_);
  return st;
}

// A kept-alive connection may have been closed by the server since the last request; then the
// exchange on it fails and one more try on a fresh connection is safe unless the receive
// timeout passed (the server may have the request and be acting on it: sending it again could
// apply it twice, e.g. an etcd transaction or a _bulk).
Status HttpClient::BeginRequest(std::string_view method, std::string_view path,
                                std::string_view body, std::string_view content_type) {
  pending_head_ = FormatRequest(method, path, body, content_type);
  pending_body_ = body;
  pending_head_request_ = method == "HEAD";
  pending_reused_ = fd_ >= 0;
  timed_out_ = false;
  if (!pending_reused_) LOOKALIKE_RETURN_IF_ERROR(Connect());
  Status st = WritePending();
  if (st.ok()) return st;
  Close();
  if (!pending_reused_) return st;
  pending_reused_ = false;
  LOOKALIKE_RETURN_IF_ERROR(Connect());
  st = WritePending();
  if (!st.ok()) Close();
  return st;
}

Result<HttpClientResponse> HttpClient::FinishRequest() {
  auto response = ReadResponse(pending_head_request_);
  if (!response.ok() && pending_reused_ && !timed_out_) {
    Close();
    pending_reused_ = false;
    Status st = Connect();
    if (st.ok()) st = WritePending();
    response = st.ok() ? ReadResponse(pending_head_request_) : Result<HttpClientResponse>(st);
  }
  if (!response.ok()) Close();
  pending_body_ = {};
  return response;
}

Result<HttpClientResponse> HttpClient::Send(std::string_view method, std::string_view path,
                                            std::string_view body,
                                            std::string_view content_type) {
  LOOKALIKE_RETURN_IF_ERROR(BeginRequest(method, path, body, content_type));
  return FinishRequest();
}

}  // namespace lookalike::net

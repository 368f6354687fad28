// Blocking HTTP/1.1 client; see http_client.h.
#include "cli/http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "server/http/connection_io.h"
#include "server/http/tls.h"

namespace lookalike::cli {
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
                               server::TlsContext::ForClient(tls.ca_file, !tls.insecure));
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
    io_ = server::MakePlainConnectionIo(fd_);
    return Status::OK();
  }
  auto io = tls_->NewClientConnection(fd_, host_);
  if (!io.ok()) {
    Close();
    return io.status();
  }
  io_ = std::move(io).value();
  if (io_->Handshake().outcome != server::IoOutcome::kDone) {
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
    server::IoResult r = io_->Write(data.data(), data.size());
    if (r.outcome != server::IoOutcome::kDone) {
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
    server::IoResult r = io_->Read(chunk, sizeof(chunk));
    if (r.outcome == server::IoOutcome::kClosed) {
      return Status::IOError("the server closed the connection");
    }
    if (r.outcome != server::IoOutcome::kDone) {
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

Result<HttpClientResponse> HttpClient::ReadResponse(bool head) {
  HttpClientResponse response;
  LOOKALIKE_ASSIGN_OR_RETURN(std::string status_line, ReadLine());
  // "HTTP/1.1 200 OK"
  size_t sp = status_line.find(' ');
  if (status_line.rfind("HTTP/1.", 0) != 0 || sp == std::string::npos ||
      status_line.size() < sp + 4) {
    return Status::IOError("malformed HTTP status line '" + status_line + "'");
  }
  response.status = std::atoi(status_line.c_str() + sp + 1);
  int64_t content_length = -1;
  bool chunked = false;
  bool close = false;
  while (true) {
    LOOKALIKE_ASSIGN_OR_RETURN(std::string line, ReadLine());
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = Lower(Trim(std::string_view(line).substr(0, colon)));
    std::string_view value = Trim(std::string_view(line).substr(colon + 1));
    if (name == "content-length") {
      content_length = std::atoll(std::string(value).c_str());
    } else if (name == "transfer-encoding") {
      chunked = Lower(value).find("chunked") != std::string::npos;
    } else if (name == "connection") {
      close = Lower(value) == "close";
    } else if (name == "content-type") {
      response.content_type = std::string(value);
    }
  }
  if (head || response.status == 204 || response.status == 304) {
    // no body
  } else if (chunked) {
    while (true) {
      LOOKALIKE_ASSIGN_OR_RETURN(std::string size_line, ReadLine());
      size_t size = std::strtoull(size_line.c_str(), nullptr, 16);
      if (size == 0) {
        // Trailers end with an empty line.
        while (true) {
          LOOKALIKE_ASSIGN_OR_RETURN(std::string trailer, ReadLine());
          if (trailer.empty()) break;
        }
        break;
      }
      if (response.body.size() + size > kMaxBodyBytes) return Status::IOError("response too large");
      LOOKALIKE_RETURN_IF_ERROR(Fill(size + 2));
      response.body.append(buf_, pos_, size);
      pos_ += size + 2;
    }
  } else if (content_length >= 0) {
    if (static_cast<uint64_t>(content_length) > kMaxBodyBytes) {
      return Status::IOError("response too large");
    }
    LOOKALIKE_RETURN_IF_ERROR(Fill(static_cast<size_t>(content_length)));
    response.body.assign(buf_, pos_, static_cast<size_t>(content_length));
    pos_ += static_cast<size_t>(content_length);
  } else {
    // Body until the server closes the connection.
    while (true) {
      Status st = Fill(buf_.size() - pos_ + 1);
      if (!st.ok()) break;
    }
    response.body.assign(buf_, pos_, std::string::npos);
    pos_ = buf_.size();
    close = true;
  }
  if (close) Close();
  return response;
}

Result<HttpClientResponse> HttpClient::Send(std::string_view method, std::string_view path,
                                            std::string_view body,
                                            std::string_view content_type) {
  std::string request;
  request.reserve(256 + body.size());
  request.append(method).append(" ").append(prefix_).append(path).append(" HTTP/1.1\r\n");
  request.append("Host: ").append(host_).append(":").append(std::to_string(port_)).append("\r\n");
  request.append("User-Agent: lookalike-cli\r\nAccept: application/json\r\n");
  if (!authorization_.empty()) request.append("Authorization: ").append(authorization_).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    request.append("Content-Type: ").append(content_type).append("\r\n");
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request.append("\r\n");
  // A kept-alive connection may have been closed by the server since the last request; then
  // the first attempt fails before any response byte and one retry on a fresh connection is
  // safe (the server never saw a complete request).
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = fd_ >= 0;
    if (!reused) LOOKALIKE_RETURN_IF_ERROR(Connect());
    Status st = WriteAll(request);
    if (st.ok()) st = WriteAll(body);
    if (st.ok()) {
      auto response = ReadResponse(method == "HEAD");
      if (response.ok() || !reused) return response;
      st = response.status();
    }
    Close();
    if (!reused) return st;
  }
  return Status::IOError("request failed after reconnecting");
}

}  // namespace lookalike::cli

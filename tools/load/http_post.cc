#include "tools/load/http_post.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace tidemark::tools {
namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         strncasecmp(text.data(), prefix.data(), prefix.size()) == 0;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

bool ParseHttpUrl(std::string_view url, HttpTarget* out) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return false;
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  out->path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) return false;
  out->host = std::string(authority.substr(0, colon));
  if (out->host == "localhost") out->host = "127.0.0.1";
  std::string_view port = authority.substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out->port);
  return ec == std::errc() && end == port.data() + port.size() && !out->host.empty();
}

HttpPoster::~HttpPoster() { Close(); }

void HttpPoster::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  pos_ = 0;
}

bool HttpPoster::Connect(std::string* error) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(target_.port);
  if (fd_ < 0 || ::inet_pton(AF_INET, target_.host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = "connect " + target_.host + ": " + std::strerror(errno);
    Close();
    return false;
  }
  int one = 1;  // the request head and body go out as two writes: do not wait between them
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return true;
}

bool HttpPoster::SendAll(std::string_view head, std::string_view body, std::string* error) {
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(body.data()), body.size()}};
  int first = 0;
  while (first < 2) {
    ssize_t n = ::writev(fd_, iov + first, 2 - first);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("send: ") + std::strerror(errno);
      return false;
    }
    while (first < 2 && static_cast<size_t>(n) >= iov[first].iov_len) {
      n -= static_cast<ssize_t>(iov[first].iov_len);
      ++first;
    }
    if (first < 2) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + n;
      iov[first].iov_len -= static_cast<size_t>(n);
    }
  }
  return true;
}

bool HttpPoster::Fill(size_t n) {
  if (pos_ > 0 && pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  char chunk[16384];
  while (buffer_.size() - pos_ < n) {
    ssize_t got = ::read(fd_, chunk, sizeof(chunk));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(got));
  }
  return true;
}

bool HttpPoster::ReadLine(std::string* line) {
  while (true) {
    const size_t eol = buffer_.find("\r\n", pos_);
    if (eol != std::string::npos) {
      line->assign(buffer_, pos_, eol - pos_);
      pos_ = eol + 2;
      return true;
    }
    if (!Fill(buffer_.size() - pos_ + 1)) return false;
  }
}

bool HttpPoster::ReadChunked(std::string* body) {
  std::string line;
  while (ReadLine(&line)) {
    size_t size = 0;
    std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (size == 0) {  // trailers end with an empty line
      while (ReadLine(&line) && !line.empty()) {
      }
      return true;
    }
    if (!Fill(size + 2)) return false;
    body->append(buffer_, pos_, size);
    pos_ += size + 2;
  }
  return false;
}

bool HttpPoster::ReadResponse(HttpResult* out) {
  std::string line;
  if (!ReadLine(&line) || !line.starts_with("HTTP/1.")) return false;
  const size_t space = line.find(' ');
  if (space == std::string::npos) return false;
  std::from_chars(line.data() + space + 1, line.data() + line.size(), out->status);
  size_t length = 0;
  bool chunked = false;
  server_closes_ = false;
  while (ReadLine(&line) && !line.empty()) {
    std::string_view h(line);
    const std::string_view value = Trim(h.substr(h.find(':') + 1));
    if (StartsWithNoCase(h, "content-length:")) {
      std::from_chars(value.data(), value.data() + value.size(), length);
    } else if (StartsWithNoCase(h, "transfer-encoding:")) {
      chunked = StartsWithNoCase(value, "chunked");
    } else if (StartsWithNoCase(h, "connection:")) {
      server_closes_ = StartsWithNoCase(value, "close");
    }
  }
  if (chunked) return ReadChunked(&out->body);
  if (!Fill(length)) return false;
  out->body.assign(buffer_, pos_, length);
  pos_ += length;
  return true;
}

HttpResult HttpPoster::Post(std::string_view body, std::string_view content_type) {
  std::string head = "POST " + target_.path + " HTTP/1.1\r\nHost: " + target_.host + ":" +
                     std::to_string(target_.port) +
                     "\r\nContent-Type: " + std::string(content_type) +
                     "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  HttpResult result;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = fd_ >= 0;
    if (fd_ < 0 && !Connect(&result.error)) return result;
    result = HttpResult();
    if (SendAll(head, body, &result.error) && ReadResponse(&result)) {
      if (server_closes_) Close();
      return result;
    }
    if (result.error.empty()) result.error = "connection closed before the answer";
    Close();
    if (!reused) break;  // a fresh connection failing is a real error
  }
  result.status = 0;
  return result;
}

}  // namespace tidemark::tools

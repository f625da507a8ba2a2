#include "server/alerting/http_post.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "tidemark_version.h"

namespace tidemark::server::alerting {
namespace {

using base::Result;
using base::Status;
using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// Waits for `events` on fd until the deadline.
Status WaitFor(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  while (true) {
    const int rc = ::poll(&p, 1, RemainingMs(deadline));
    if (rc > 0) return Status::Ok();
    if (rc == 0) return Status::DeadlineExceeded("HTTP request timed out");
    if (errno != EINTR) return Status::Unavailable(std::string("poll: ") + std::strerror(errno));
  }
}

Result<int> Connect(const HttpUrl& url, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Status::Unavailable("cannot resolve " + url.host + ": " + gai_strerror(rc));
  }
  Status last = Status::Unavailable("no address for " + url.host);
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
      int error = 0;
      socklen_t len = sizeof(error);
      Status waited = WaitFor(fd, POLLOUT, deadline);
      if (waited.ok() && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0) {
        ::freeaddrinfo(found);
        return fd;
      }
      last = waited.ok() ? Status::Unavailable("connect to " + url.host + ":" + port + ": " +
                                               std::strerror(error))
                         : waited;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return last;
}

Status SendAll(int fd, const std::string& data, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      TM_RETURN_IF_ERROR(WaitFor(fd, POLLOUT, deadline));
    } else {
      return Status::Unavailable(std::string("send: ") + std::strerror(errno));
    }
  }
  return Status::Ok();
}

// Reads until the peer closes (the request asked for Connection: close).
Result<std::string> ReadAll(int fd, Clock::time_point deadline) {
  std::string data;
  char buf[8192];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      data.append(buf, static_cast<size_t>(n));
      if (data.size() > (4u << 20)) return Status::ResourceExhausted("HTTP reply too large");
    } else if (n == 0) {
      return data;
    } else if (errno == EAGAIN || errno == EINTR) {
      Status waited = WaitFor(fd, POLLIN, deadline);
      if (!waited.ok()) return waited;
    } else {
      return Status::Unavailable(std::string("recv: ") + std::strerror(errno));
    }
  }
}

Result<HttpPostReply> ParseReply(const std::string& raw) {
  const size_t line_end = raw.find("\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || line_end == std::string::npos) {
    return Status::Unavailable("malformed HTTP reply");
  }
  const size_t space = raw.find(' ');
  HttpPostReply reply;
  reply.status = std::atoi(raw.c_str() + space + 1);
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end != std::string::npos) reply.body = raw.substr(head_end + 4);
  return reply;
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    return Status::InvalidArgument("https is not supported for notifiers, use http://: " + url);
  }
  if (url.rfind(kScheme, 0) != 0) return Status::InvalidArgument("expected http://... : " + url);
  HttpUrl out;
  std::string rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    out.path = rest.substr(slash);
    rest.resize(slash);
  }
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("bad IPv6 host in " + url);
    out.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else {
    const size_t colon = rest.find(':');
    out.host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (out.host.empty()) return Status::InvalidArgument("missing host in " + url);
  if (!port.empty()) {
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || p <= 0 || p > 65535) return Status::InvalidArgument("bad port in " + url);
    out.port = static_cast<uint16_t>(p);
  }
  return out;
}

Result<HttpPostReply> HttpPost(const HttpUrl& url, const std::string& body,
                               const std::string& content_type, int64_t timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto fd = Connect(url, deadline);
  if (!fd.ok()) return fd.status();
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  std::string request =
      "POST " + url.path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(url.port) +
      "\r\nUser-Agent: Tidemark/" + kTidemarkVersion + "\r\nContent-Type: " + content_type +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  Status sent = SendAll(*fd, request, deadline);
  Result<std::string> raw = sent.ok() ? ReadAll(*fd, deadline) : Result<std::string>(sent);
  ::close(*fd);
  if (!raw.ok()) return raw.status();
  return ParseReply(*raw);
}

}  // namespace tidemark::server::alerting

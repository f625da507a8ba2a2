#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace tidemark::testing {

std::string HttpReply::Header(const std::string& name) const {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  auto it = headers.find(lower);
  return it == headers.end() ? "" : it->second;
}

Connection::Connection(uint16_t port, int timeout_ms) : timeout_ms_(timeout_ms) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

bool Connection::SendRaw(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool Connection::Fill() {
  pollfd pfd{fd_, POLLIN, 0};
  if (::poll(&pfd, 1, timeout_ms_) <= 0) return false;
  char chunk[16384];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::optional<HttpReply> Connection::ReadReply(bool head_response) {
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill()) return std::nullopt;
  }
  HttpReply reply;
  const std::string head = buffer_.substr(0, header_end);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return std::nullopt;
  reply.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const size_t next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(line_end + 2, next - line_end - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      size_t value_start = colon + 1;
      while (value_start < line.size() && line[value_start] == ' ') ++value_start;
      reply.headers[name] = line.substr(value_start);
    }
    line_end = next;
  }
  buffer_.erase(0, header_end + 4);
  if (!head_response && reply.Header("transfer-encoding") == "chunked") {
    if (!ReadChunkedBody(&reply.body)) return std::nullopt;
    reply.chunked = true;
    return reply;
  }
  const std::string length = reply.Header("content-length");
  if (length.empty() && !head_response && reply.status >= 200 && reply.status != 204 &&
      reply.status != 304) {
    // No length and no chunking (an HTTP/1.0 reply): the body runs until the server closes.
    while (Fill()) {
    }
    reply.body = std::move(buffer_);
    buffer_.clear();
    return reply;
  }
  const size_t body_size = length.empty() || head_response ? 0 : std::stoul(length);
  // Interim 1xx responses carry no body; the caller reads the final one next.
  while (buffer_.size() < body_size) {
    if (!Fill()) return std::nullopt;
  }
  reply.body = buffer_.substr(0, body_size);
  buffer_.erase(0, body_size);
  return reply;
}

bool Connection::ReadChunkedBody(std::string* body) {
  while (true) {
    size_t line_end;
    while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    const size_t size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
    buffer_.erase(0, line_end + 2);
    while (buffer_.size() < size + 2) {
      if (!Fill()) return false;
    }
    body->append(buffer_, 0, size);
    buffer_.erase(0, size + 2);
    if (size == 0) return true;
    ++chunks_read_;
  }
}

bool Connection::WaitClosed(int timeout_ms) {
  pollfd pfd{fd_, POLLIN, 0};
  while (::poll(&pfd, 1, timeout_ms) > 0) {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return true;
  }
  return false;
}

std::string BuildRequest(const std::string& method, const std::string& target,
                         const std::string& body, const std::string& extra_headers) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!body.empty() || method == "POST") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += extra_headers;
  request += "\r\n";
  request += body;
  return request;
}

std::optional<HttpReply> Fetch(uint16_t port, const std::string& method, const std::string& target,
                               const std::string& body, const std::string& extra_headers) {
  Connection connection(port);
  if (!connection.connected()) return std::nullopt;
  if (!connection.SendRaw(BuildRequest(method, target, body, extra_headers))) return std::nullopt;
  return connection.ReadReply();
}

}  // namespace tidemark::testing

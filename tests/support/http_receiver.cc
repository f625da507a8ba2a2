#include "tests/support/http_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace tidemark::testing {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one request: headers, then Content-Length bytes of body.
bool ReadRequest(int fd, ReceivedRequest* out) {
  std::string data;
  char buf[4096];
  size_t head_end = std::string::npos;
  size_t length = 0;
  while (true) {
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const std::string head = Lower(data.substr(0, head_end));
        const size_t cl = head.find("content-length:");
        if (cl != std::string::npos) length = std::strtoul(head.c_str() + cl + 15, nullptr, 10);
        const size_t ct = head.find("content-type:");
        if (ct != std::string::npos) {
          const size_t eol = head.find("\r\n", ct);
          out->content_type = data.substr(ct + 13, eol - ct - 13);
          while (!out->content_type.empty() && out->content_type[0] == ' ') {
            out->content_type.erase(0, 1);
          }
        }
        const size_t sp1 = data.find(' ');
        const size_t sp2 = data.find(' ', sp1 + 1);
        out->method = data.substr(0, sp1);
        out->path = data.substr(sp1 + 1, sp2 - sp1 - 1);
      }
    }
    if (head_end != std::string::npos && data.size() >= head_end + 4 + length) {
      out->body = data.substr(head_end + 4, length);
      return true;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

bool HttpReceiver::Start(uint16_t port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    return false;
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { AcceptLoop(); });
  return true;
}

void HttpReceiver::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void HttpReceiver::set_status(int status) {
  std::lock_guard lock(mu_);
  status_ = status;
}

void HttpReceiver::AcceptLoop() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Serve(fd);
    ::close(fd);
  }
}

void HttpReceiver::Serve(int fd) {
  ReceivedRequest request;
  if (!ReadRequest(fd, &request)) return;
  int status = 200;
  {
    std::lock_guard lock(mu_);
    status = status_;
    if (status / 100 == 2) requests_.push_back(request);
  }
  cv_.notify_all();
  const std::string reply =
      "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
}

std::vector<ReceivedRequest> HttpReceiver::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

bool HttpReceiver::WaitForRequests(size_t count, int timeout_ms) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return requests_.size() >= count; });
}

}  // namespace tidemark::testing

// HttpPoster against a scripted loopback server: request framing, the three response framings
// (empty, Content-Length, chunked) and reconnecting after "Connection: close".
#include "tools/load/http_post.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace tidemark::tools {
namespace {

// Accepts connections and answers each request with the next scripted response; records the
// request bodies and how many connections were accepted.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> responses) : responses_(std::move(responses)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 4), 0);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    Join();
    ::close(listen_fd_);
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return port_; }
  // Read after Join().
  std::vector<std::string> bodies;
  int connections = 0;

 private:
  void Serve() {
    size_t next = 0;
    while (next < responses_.size()) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      ++connections;
      std::string in;
      while (next < responses_.size()) {
        if (!ReadRequest(fd, &in)) break;
        const std::string& out = responses_[next++];
        EXPECT_EQ(::write(fd, out.data(), out.size()), static_cast<ssize_t>(out.size()));
        if (out.find("Connection: close") != std::string::npos) break;
      }
      ::close(fd);
    }
  }
  // Reads one request (head + Content-Length body) from `fd`, keeping extra bytes in `in`.
  bool ReadRequest(int fd, std::string* in) {
    char buf[4096];
    auto fill = [&] {
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n > 0) in->append(buf, static_cast<size_t>(n));
      return n > 0;
    };
    size_t head_end;
    while ((head_end = in->find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    const size_t cl = in->find("Content-Length: ");
    const size_t length = std::stoul(in->substr(cl + 16));
    while (in->size() < head_end + 4 + length) {
      if (!fill()) return false;
    }
    EXPECT_TRUE(in->starts_with("POST /write?db=x HTTP/1.1\r\n"));
    bodies.push_back(in->substr(head_end + 4, length));
    in->erase(0, head_end + 4 + length);
    return true;
  }

  std::vector<std::string> responses_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(HttpPostTest, ParsesUrls) {
  HttpTarget t;
  ASSERT_TRUE(ParseHttpUrl("http://127.0.0.1:8428/write?db=bench", &t));
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, 8428);
  EXPECT_EQ(t.path, "/write?db=bench");
  ASSERT_TRUE(ParseHttpUrl("http://localhost:9", &t));
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.path, "/");
  EXPECT_FALSE(ParseHttpUrl("https://127.0.0.1:1/", &t));
  EXPECT_FALSE(ParseHttpUrl("http://127.0.0.1/", &t));
  EXPECT_FALSE(ParseHttpUrl("http://127.0.0.1:x/", &t));
}

TEST(HttpPostTest, KeepsTheConnectionAndReadsEveryFraming) {
  ScriptedServer server({
      "HTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.1 400 Bad Request\r\ntransfer-encoding: chunked\r\n\r\n4\r\nbad "
      "\r\n4\r\nline\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
  });
  HttpPoster poster({"127.0.0.1", server.port(), "/write?db=x"});
  const std::string big(100'000, 'x');
  HttpResult r = poster.Post("m v=1 1\n", "text/plain");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  r = poster.Post(big, "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "bad line");
  r = poster.Post("a", "text/plain");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  r = poster.Post("b", "text/plain");  // on a new connection: the server closed the last one
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "busy");
  server.Join();  // it has answered every scripted request
  EXPECT_EQ(server.bodies, (std::vector<std::string>{"m v=1 1\n", big, "a", "b"}));
  EXPECT_EQ(server.connections, 2);
}

TEST(HttpPostTest, ReportsConnectionErrors) {
  HttpPoster poster({"127.0.0.1", 1, "/"});  // port 1: nothing listens there
  HttpResult r = poster.Post("x", "text/plain");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("connect"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace tidemark::tools

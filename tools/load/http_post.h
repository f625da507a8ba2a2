// HttpPoster: one keep-alive HTTP/1.1 connection that POSTs bodies and reads the answers, for the
// ingest benchmark's load client. Plain POSIX sockets, IPv4 loopback or any dotted address; it
// reconnects when the server closes the connection. Understands Content-Length and chunked
// responses, which is all an ingest endpoint sends.
//
// Not thread-safe: one poster per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidemark::tools {

struct HttpTarget {
  std::string host;  // dotted IPv4 address or "localhost"
  uint16_t port = 0;
  std::string path;  // with the query string, e.g. "/write?db=bench"
};

// Splits "http://host:port/path?query"; false when it is not of that shape.
bool ParseHttpUrl(std::string_view url, HttpTarget* out);

struct HttpResult {
  int status = 0;     // 0 when no answer was read (connection error)
  std::string body;   // the response body (error text for failures)
  std::string error;  // socket error text when status is 0
};

class HttpPoster {
 public:
  explicit HttpPoster(HttpTarget target) : target_(std::move(target)) {}
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  // POSTs `body` with `content_type` and waits for the whole answer. Retries once on a fresh
  // connection when a reused one turns out to be closed.
  HttpResult Post(std::string_view body, std::string_view content_type);

 private:
  bool Connect(std::string* error);
  void Close();
  bool SendAll(std::string_view head, std::string_view body, std::string* error);
  bool ReadResponse(HttpResult* out);
  // Fills buffer_ until it holds at least `n` unread bytes; false on EOF or error.
  bool Fill(size_t n);
  bool ReadLine(std::string* line);
  bool ReadChunked(std::string* body);

  HttpTarget target_;
  int fd_ = -1;
  std::string buffer_;  // received, not yet consumed bytes start at `pos_`
  size_t pos_ = 0;
  bool server_closes_ = false;  // the last answer said "Connection: close"
};

}  // namespace tidemark::tools

// A deliberately small blocking HTTP/1.1 client over POSIX sockets, for tests that must send
// exactly the bytes they choose (malformed and oversized requests included). Not thread-safe;
// one Connection per thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tidemark::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool chunked = false;  // the body came with chunked transfer encoding
  std::string Header(const std::string& name) const;
};

class Connection {
 public:
  // Connects to 127.0.0.1:port; check connected().
  explicit Connection(uint16_t port, int timeout_ms = 10'000);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Writes raw bytes; false if the peer is gone.
  bool SendRaw(const std::string& bytes);
  // Reads one response (Content-Length or chunked); nullopt on close or timeout. A response to HEAD
  // has a Content-Length but no body: pass `head_response` to read it.
  std::optional<HttpReply> ReadReply(bool head_response = false);
  // True once the server has closed the connection (read returns EOF or reset).
  bool WaitClosed(int timeout_ms);
  // Chunks read so far on this connection (non-empty ones).
  size_t chunks_read() const { return chunks_read_; }

 private:
  bool Fill();
  bool ReadChunkedBody(std::string* body);
  size_t chunks_read_ = 0;
  int fd_ = -1;
  int timeout_ms_;
  std::string buffer_;
};

// Builds a request with Host, Content-Length and the given extra header lines ("Name: value\r\n").
std::string BuildRequest(const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& extra_headers = "");

// One request on a fresh connection.
std::optional<HttpReply> Fetch(uint16_t port, const std::string& method, const std::string& target,
                               const std::string& body = "", const std::string& extra_headers = "");

}  // namespace tidemark::testing

// HttpReceiver: a tiny HTTP/1.1 server on 127.0.0.1 for tests that need a real peer to receive
// webhooks. It answers every request with a configurable status and records method, path and
// body. Start on a given port (0 picks one) so a test can stop it and bring it back on the same
// port. Thread-safe: the accept thread records; tests read with WaitForRequests/Requests.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tidemark::testing {

struct ReceivedRequest {
  std::string method;
  std::string path;
  std::string content_type;
  std::string body;
};

class HttpReceiver {
 public:
  HttpReceiver() = default;
  ~HttpReceiver() { Stop(); }
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  // Listens on 127.0.0.1:port; false when the port cannot be bound.
  bool Start(uint16_t port = 0);
  void Stop();
  uint16_t port() const { return port_; }
  void set_status(int status);

  std::vector<ReceivedRequest> Requests() const;
  // Waits until at least `count` requests arrived; false on timeout.
  bool WaitForRequests(size_t count, int timeout_ms);

 private:
  void AcceptLoop();
  void Serve(int fd);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReceivedRequest> requests_;
  int status_ = 200;
  bool stopping_ = false;
};

}  // namespace tidemark::testing

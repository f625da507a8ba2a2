// A small blocking HTTP/1.1 client for the notifiers: one POST per connection over POSIX sockets,
// plain http:// only (no TLS), with one overall timeout. Alertmanager and webhook receivers are
// expected on a trusted network or behind a local TLS proxy. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>

#include "storage/base/status.h"

namespace tidemark::server::alerting {

struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string path = "/";  // path plus query, never empty
};

// Parses "http://host[:port][/path]" ("[v6]" hosts allowed). https:// is refused with a message.
base::Result<HttpUrl> ParseHttpUrl(const std::string& url);

struct HttpPostReply {
  int status = 0;
  std::string body;
};

// POSTs `body` and reads the reply. Unavailable on connection errors, DeadlineExceeded when the
// whole exchange takes longer than `timeout_ms`.
base::Result<HttpPostReply> HttpPost(const HttpUrl& url, const std::string& body,
                                     const std::string& content_type, int64_t timeout_ms);

}  // namespace tidemark::server::alerting

// Router: a pure function from Request to Response — the whole HTTP surface without sockets.
//
// It matches routes (exact paths or prefixes), answers CORS preflights, adds CORS headers to every
// response, enforces the configured authentication, turns unknown paths into 404 and wrong methods
// into 405 (Prometheus error JSON), catches anything a handler throws as a 500, and records each
// answer in HttpMetrics. Routes are registered before serving starts; Dispatch is then const and
// safe to call from many threads at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "web/http_metrics.h"
#include "web/http_types.h"

namespace tidemark::web {

using Handler = std::function<Response(const Request&)>;

struct AuthSettings {
  std::string username;  // with password: HTTP basic auth
  std::string password;
  std::string bearer_token;  // "Authorization: Bearer <token>"
  bool enabled() const { return !username.empty() || !bearer_token.empty(); }
};

class Router {
 public:
  explicit Router(AuthSettings auth = {}, HttpMetrics* metrics = nullptr);

  // Serves `path` exactly for `methods`. HEAD is served by the GET handler. `name` labels the
  // route in metrics. Public routes skip authentication (health probes).
  void Add(std::vector<Method> methods, std::string path, std::string name, Handler handler,
           bool is_public = false);
  // Serves every path that starts with `prefix`.
  void AddPrefix(std::vector<Method> methods, std::string prefix, std::string name, Handler handler,
                 bool is_public = false);

  Response Dispatch(const Request& request) const;

 private:
  struct Route {
    std::vector<Method> methods;
    std::string path;
    bool prefix;
    std::string name;
    Handler handler;
    bool is_public;
    bool Matches(const std::string& request_path) const;
    bool Allows(Method method) const;
  };

  Response Route404Or405(const Request& request, std::string* name) const;
  bool Authorized(const Request& request) const;
  void AddCors(const Request& request, Response* response) const;

  AuthSettings auth_;
  HttpMetrics* metrics_;
  std::vector<Route> routes_;
};

// Decodes standard base64; false on malformed input.
bool Base64Decode(std::string_view in, std::string* out);

}  // namespace tidemark::web

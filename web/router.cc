#include "web/router.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include "storage/base/log.h"
#include "web/api_response.h"

namespace tidemark::web {
namespace {

// Compares without an early exit, so response timing does not reveal how much of a secret matched.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string AllowHeader(const std::vector<Method>& methods) {
  std::string out;
  for (Method m : methods) {
    if (!out.empty()) out += ", ";
    out += MethodName(m);
  }
  return out;
}

}  // namespace

bool Router::Route::Matches(const std::string& request_path) const {
  return prefix ? request_path.compare(0, path.size(), path) == 0 : request_path == path;
}

bool Router::Route::Allows(Method method) const {
  const Method effective = method == Method::kHead ? Method::kGet : method;
  return std::find(methods.begin(), methods.end(), effective) != methods.end();
}

Router::Router(AuthSettings auth, HttpMetrics* metrics)
    : auth_(std::move(auth)), metrics_(metrics) {}

void Router::Add(std::vector<Method> methods, std::string path, std::string name, Handler handler,
                 bool is_public) {
  routes_.push_back(
      {std::move(methods), std::move(path), false, std::move(name), std::move(handler), is_public});
}

void Router::AddPrefix(std::vector<Method> methods, std::string prefix, std::string name,
                       Handler handler, bool is_public) {
  routes_.push_back({std::move(methods), std::move(prefix), true, std::move(name),
                     std::move(handler), is_public});
}

Response Router::Dispatch(const Request& request) const {
  const auto start = std::chrono::steady_clock::now();
  std::string name = "preflight";
  Response response;
  const Route* route = nullptr;
  for (const Route& candidate : routes_) {
    if (candidate.Matches(request.path) && candidate.Allows(request.method)) {
      route = &candidate;
      break;
    }
  }
  if (request.method == Method::kOptions && route == nullptr) {
    response = Response::Empty(200);
  } else if (route == nullptr) {
    response = Route404Or405(request, &name);
  } else if (!route->is_public && !Authorized(request)) {
    name = route->name;
    response = ApiErrorWithStatus(401, "unauthorized", "authentication required");
    response.SetHeader("WWW-Authenticate", "Basic realm=\"tidemark\"");
  } else {
    name = route->name;
    try {
      if (request.method == Method::kHead) {
        // Handlers see HEAD as the GET it stands for; the server drops the body.
        Request as_get = request;
        as_get.method = Method::kGet;
        response = route->handler(as_get);
      } else {
        response = route->handler(request);
      }
    } catch (const std::exception& e) {
      TM_LOG(kError) << "handler " << name << " failed on " << request.target << ": " << e.what();
      response = ApiError("internal", std::string("internal error: ") + e.what());
    }
  }
  AddCors(request, &response);
  if (metrics_ != nullptr) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    metrics_->ObserveRequest(name, response.status, elapsed.count());
  }
  return response;
}

Response Router::Route404Or405(const Request& request, std::string* name) const {
  std::vector<Method> allowed;
  for (const Route& candidate : routes_) {
    if (candidate.Matches(request.path)) {
      allowed.insert(allowed.end(), candidate.methods.begin(), candidate.methods.end());
    }
  }
  if (allowed.empty()) {
    *name = "not_found";
    return ApiError("not_found",
                    "no route for " + std::string(MethodName(request.method)) + " " + request.path);
  }
  *name = "method_not_allowed";
  Response response = ApiErrorWithStatus(
      405, "bad_data",
      "method " + std::string(MethodName(request.method)) + " not allowed for " + request.path);
  response.SetHeader("Allow", AllowHeader(allowed));
  return response;
}

bool Router::Authorized(const Request& request) const {
  if (!auth_.enabled()) return true;
  const std::string_view header = request.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  constexpr std::string_view kBasic = "Basic ";
  constexpr std::string_view kToken = "Token ";  // InfluxDB 2.x clients
  if (!auth_.bearer_token.empty() && header.substr(0, kBearer.size()) == kBearer) {
    return ConstantTimeEquals(header.substr(kBearer.size()), auth_.bearer_token);
  }
  if (!auth_.bearer_token.empty() && header.substr(0, kToken.size()) == kToken) {
    return ConstantTimeEquals(header.substr(kToken.size()), auth_.bearer_token);
  }
  // InfluxDB 1.x clients may send credentials as u= and p= query parameters instead.
  if (!auth_.username.empty() && header.empty() && !request.QueryParam("u").empty()) {
    return ConstantTimeEquals(
        std::string(request.QueryParam("u")) + ":" + std::string(request.QueryParam("p")),
        auth_.username + ":" + auth_.password);
  }
  if (!auth_.username.empty() && header.substr(0, kBasic.size()) == kBasic) {
    std::string decoded;
    if (!Base64Decode(header.substr(kBasic.size()), &decoded)) return false;
    return ConstantTimeEquals(decoded, auth_.username + ":" + auth_.password);
  }
  return false;
}

void Router::AddCors(const Request& request, Response* response) const {
  const std::string_view origin = request.Header("origin");
  // Credentialed browser requests may not use "*": echo the origin instead.
  if (!origin.empty() && (request.HasHeader("cookie") || request.HasHeader("authorization"))) {
    response->SetHeader("Access-Control-Allow-Origin", std::string(origin));
    response->SetHeader("Access-Control-Allow-Credentials", "true");
    response->SetHeader("Vary", "Origin");
  } else {
    response->SetHeader("Access-Control-Allow-Origin", "*");
  }
  response->SetHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  response->SetHeader("Access-Control-Allow-Headers", "accept, content-type, authorization");
  if (request.method == Method::kOptions) response->SetHeader("Access-Control-Max-Age", "600");
}

bool Base64Decode(std::string_view in, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  out->clear();
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return true;
}

}  // namespace tidemark::web

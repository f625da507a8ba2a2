// Request and Response: Tidemark's own HTTP message types, independent of Boost.Beast.
//
// Handlers and the Router speak only these, so they compile without Beast and can be tested
// without sockets. The network layer (http_server.cc) converts to and from Beast. Value types;
// no shared state.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tidemark::web {

enum class Method { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };

std::string_view MethodName(Method method);
Method ParseMethod(std::string_view name);

using Params = std::vector<std::pair<std::string, std::string>>;

struct Request {
  Method method = Method::kGet;
  std::string target;  // as received: path plus optional "?query"
  std::string path;    // percent-decoded path without the query
  Params query;        // decoded query-string parameters, in order
  Params headers;      // names lower-cased, in order
  std::string body;
  std::string remote;  // peer address, for logs

  // Builds a request from a method and raw target, splitting and decoding path and query.
  static Request Make(Method method, std::string_view target, std::string body = "");

  // The first header with this (case-insensitive) name, or "" when absent.
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // The first query parameter with this name, or "" when absent.
  std::string_view QueryParam(std::string_view name) const;
  // Query parameters merged with an application/x-www-form-urlencoded body (body values last),
  // the way Prometheus' HTTP API reads parameters.
  Params FormParams() const;
};

// What a body producer says after appending a piece: more follows, the body is complete, or it
// failed part-way (the connection is then closed without the final chunk, so the client sees an
// incomplete body rather than a short but valid one).
enum class StreamStep { kMore, kDone, kFailed };

// Produces a streamed body piece by piece by appending to `chunk`. Runs on a worker thread, one
// call at a time.
using BodyStream = std::function<StreamStep(std::string* chunk)>;

struct Response {
  int status = 200;
  Params headers;  // names as they will be sent
  std::string body;
  // When set, the body is sent with chunked transfer encoding from this producer instead of
  // `body`, so large answers never sit in memory whole.
  BodyStream stream;

  void SetHeader(std::string name, std::string value);
  std::string_view Header(std::string_view name) const;

  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response Empty(int status);
};

// Decodes %XX escapes and, when `plus_is_space`, '+' as a space. Malformed escapes are kept as is.
std::string PercentDecode(std::string_view text, bool plus_is_space);
// Parses "a=1&b=2" into decoded pairs.
Params ParseUrlEncoded(std::string_view text);

}  // namespace tidemark::web

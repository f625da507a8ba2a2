#include "server/http_ingest.h"

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "server/compression.h"
#include "server/ingest/line_protocol.h"
#include "server/ingest/prometheus_text.h"
#include "server/ingest/remote_write.h"
#include "server/ingest/sink.h"
#include "storage/base/log.h"
#include "tidemark_version.h"
#include "web/api_response.h"

namespace tidemark::server {
namespace {

using web::Request;
using web::Response;

// How an endpoint words its errors: InfluxDB 1.x {"error"}, 2.x {"code","message"}, or
// Prometheus' API envelope.
enum class Dialect { kInflux1, kInflux2, kPrometheus };

// A header value derived from client input: short, and without control characters (which could
// end the header and inject others).
std::string HeaderSafe(std::string_view text) {
  constexpr size_t kMaxBytes = 256;
  std::string out(text.substr(0, kMaxBytes));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

Response ErrorResponse(Dialect dialect, int status, const std::string& message) {
  if (dialect == Dialect::kPrometheus) {
    return web::ApiErrorWithStatus(status, status >= 500 ? "unavailable" : "bad_data", message);
  }
  nlohmann::json body;
  if (dialect == Dialect::kInflux1) {
    body = {{"error", message}};
  } else {
    body = {{"code", status >= 500 ? "unavailable" : "invalid"}, {"message", message}};
  }
  Response response =
      Response::Json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (dialect != Dialect::kPrometheus) response.SetHeader("X-Influxdb-Error", HeaderSafe(message));
  return response;
}

// The body after Content-Encoding is undone (`*body`: the request's own bytes, or `*decoded`'s
// when it was compressed), or an error response.
bool ReadBody(const Request& request, const HttpIngestDeps& deps, Dialect dialect,
              std::string_view* body, std::string* decoded, Response* error) {
  const std::string_view encoding = request.Header("content-encoding");
  if (encoding.empty() || encoding == "identity") {
    *body = request.body;  // not copied: a write body is megabytes
    return true;
  }
  if (encoding != "gzip" && encoding != "deflate") {
    *error = ErrorResponse(
        dialect, 415, "unsupported Content-Encoding \"" + std::string(encoding) + "\" (use gzip)");
    return false;
  }
  auto plain = Gunzip(request.body, deps.max_decompressed_bytes);
  if (!plain.ok()) {
    const bool too_big = plain.status().code() == base::StatusCode::kResourceExhausted;
    *error = ErrorResponse(dialect, too_big ? 413 : 400, plain.status().message());
    return false;
  }
  *decoded = std::move(plain).value();
  *body = *decoded;
  return true;
}

// "partial write: unable to parse 'line': why (line 3); ... dropped=N"
std::string PartialWriteMessage(const ingest::DecodeOutput& decoded,
                                const storage::AppendReport& report) {
  std::string message = "partial write:";
  constexpr size_t kShown = 3;
  for (size_t i = 0; i < decoded.rejected.size() && i < kShown; ++i) {
    const ingest::Rejected& r = decoded.rejected[i];
    message += (i == 0 ? " " : "; ");
    message += "unable to parse '" + r.raw + "': " + r.message + " (line " +
               std::to_string(r.position) + ")";
  }
  if (decoded.rejected_total > kShown) {
    message += "; and " + std::to_string(decoded.rejected_total - kShown) + " more bad lines";
  }
  const uint64_t outside = report.rejected_too_old + report.rejected_too_new;
  if (outside > 0) {
    message += (decoded.rejected.empty() ? " " : "; ");
    message += std::to_string(outside) + " points outside the retention or future window";
  }
  if (report.rejected_series_limit > 0) {
    message += (decoded.rejected.empty() && outside == 0 ? " " : "; ");
    message += std::to_string(report.rejected_series_limit) +
               " points of new series beyond the series limit";
  }
  message +=
      " dropped=" + std::to_string(decoded.rejected_total + outside +
                                   report.rejected_invalid_labels + report.rejected_series_limit);
  return message;
}

using DecodeFn = std::function<void(int64_t now, ingest::DecodeOutput* out)>;

void KeepDeadLetters(const HttpIngestDeps& deps, const std::string& origin, int64_t now,
                     const ingest::DecodeOutput& decoded, const storage::AppendReport& report) {
  ingest::RecordRejections(deps.dead_letters, "http", origin, now, decoded, report);
}

// Decode → Append → answer, shared by every write endpoint.
Response HandleWrite(const Request& request, const HttpIngestDeps& deps, Dialect dialect,
                     const DecodeFn& decode) {
  ingest::DecodeOutput decoded;
  const int64_t now = deps.clock->NowMillis();
  decode(now, &decoded);
  storage::AppendReport report;
  if (!decoded.batch.empty()) {
    base::Status status = deps.storage->Append(decoded.batch, &report);
    if (status.code() == base::StatusCode::kResourceExhausted) {
      Response busy = ErrorResponse(dialect, 503, status.message());
      busy.SetHeader("Retry-After", "1");
      return busy;
    }
    if (!status.ok()) {
      TM_LOG(kError) << "write to storage failed: " << status.ToString();
      return ErrorResponse(dialect, 500, "storage error: " + status.message());
    }
  }
  KeepDeadLetters(deps, request.path, now, decoded, report);
  if (ingest::TotalRejected(decoded, report) == 0) {
    return Response::Empty(204);
  }
  return ErrorResponse(dialect, 400, PartialWriteMessage(decoded, report));
}

Response HandleInfluxWrite(const Request& request, const HttpIngestDeps& deps, Dialect dialect) {
  const std::string precision_text(request.QueryParam("precision"));
  const auto precision = ingest::ParsePrecision(precision_text);
  if (!precision) {
    return ErrorResponse(dialect, 400, "invalid precision \"" + precision_text + "\"");
  }
  if (dialect == Dialect::kInflux2 && request.QueryParam("bucket").empty()) {
    return ErrorResponse(dialect, 400, "missing bucket parameter");
  }
  std::string_view body;
  std::string decoded;
  Response error;
  if (!ReadBody(request, deps, dialect, &body, &decoded, &error)) return error;
  return HandleWrite(request, deps, dialect, [&](int64_t now, ingest::DecodeOutput* out) {
    ingest::DecodeLineProtocol(body, *precision, now, deps.limits, out, deps.series_cache);
  });
}

// Remote write bodies are always snappy block format, whatever Content-Encoding says. A body that
// is not a WriteRequest is refused whole: protobuf has no lines to salvage.
Response HandleRemoteWrite(const Request& request, const HttpIngestDeps& deps) {
  auto message = SnappyUncompress(request.body, deps.max_decompressed_bytes);
  if (!message.ok()) {
    const bool too_big = message.status().code() == base::StatusCode::kResourceExhausted;
    return ErrorResponse(Dialect::kPrometheus, too_big ? 413 : 400, message.status().message());
  }
  ingest::DecodeOutput decoded;
  if (!ingest::DecodeRemoteWrite(*message, deps.limits, &decoded)) {
    KeepDeadLetters(deps, request.path, deps.clock->NowMillis(), decoded, {});
    return ErrorResponse(Dialect::kPrometheus, 400,
                         "invalid remote-write body: " + decoded.rejected.front().message);
  }
  return HandleWrite(request, deps, Dialect::kPrometheus,
                     [&](int64_t, ingest::DecodeOutput* out) { *out = std::move(decoded); });
}

Response HandlePrometheusImport(const Request& request, const HttpIngestDeps& deps) {
  std::string_view body;
  std::string decoded;
  Response error;
  if (!ReadBody(request, deps, Dialect::kPrometheus, &body, &decoded, &error)) return error;
  return HandleWrite(request, deps, Dialect::kPrometheus,
                     [&](int64_t now, ingest::DecodeOutput* out) {
                       ingest::DecodePrometheusText(body, now, deps.limits, out);
                     });
}

Response HandleDeadLetters(const Request& request, const HttpIngestDeps& deps) {
  size_t limit = 100;
  const std::string limit_text(request.QueryParam("limit"));
  if (!limit_text.empty()) {
    try {
      limit = std::stoul(limit_text);
    } catch (const std::exception&) {
      return web::ApiError("bad_data", "invalid parameter \"limit\": " + limit_text);
    }
  }
  nlohmann::json data = nlohmann::json::array();
  if (deps.dead_letters != nullptr) {
    for (const auto& d : deps.dead_letters->List(limit, std::string(request.QueryParam("source")),
                                                 std::string(request.QueryParam("reason")))) {
      data.push_back({{"time", d.time_ms / 1000.0},
                      {"source", d.source},
                      {"origin", d.origin},
                      {"position", d.position},
                      {"reason", d.reason},
                      {"message", d.message},
                      {"raw", d.raw}});
    }
  }
  return web::ApiSuccess(data);
}

}  // namespace

void RegisterHttpIngestRoutes(web::Router& router, HttpIngestDeps deps) {
  router.Add({web::Method::kPost}, "/write", "influx_write", [deps](const Request& request) {
    return HandleInfluxWrite(request, deps, Dialect::kInflux1);
  });
  router.Add({web::Method::kPost}, "/api/v2/write", "influx_v2_write",
             [deps](const Request& request) {
               return HandleInfluxWrite(request, deps, Dialect::kInflux2);
             });
  router.Add(
      {web::Method::kGet}, "/ping", "influx_ping",
      [](const Request&) {
        Response response = Response::Empty(204);
        response.SetHeader("X-Influxdb-Version", std::string("tidemark-") + kTidemarkVersion);
        return response;
      },
      /*is_public=*/true);
  router.Add({web::Method::kPost}, "/api/v1/write", "remote_write",
             [deps](const Request& request) { return HandleRemoteWrite(request, deps); });
  router.Add({web::Method::kGet}, "/api/v1/deadletters", "deadletters",
             [deps](const Request& request) { return HandleDeadLetters(request, deps); });
  router.Add({web::Method::kPost}, "/api/v1/import/prometheus", "import_prometheus",
             [deps](const Request& request) { return HandlePrometheusImport(request, deps); });
}

}  // namespace tidemark::server

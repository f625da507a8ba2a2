#include "web/api_response.h"

namespace tidemark::web {

int StatusForErrorType(std::string_view error_type) {
  if (error_type == "bad_data") return 400;
  if (error_type == "execution") return 422;
  if (error_type == "canceled") return 499;
  if (error_type == "timeout") return 503;
  if (error_type == "unavailable") return 503;
  if (error_type == "not_found") return 404;
  if (error_type == "not_acceptable") return 406;
  return 500;
}

Response ApiSuccess(const nlohmann::json& data, const std::vector<std::string>& warnings) {
  nlohmann::json body = {{"status", "success"}, {"data", data}};
  if (!warnings.empty()) body["warnings"] = warnings;
  return Response::Json(200, body.dump());
}

Response ApiError(std::string_view error_type, std::string_view message) {
  return ApiErrorWithStatus(StatusForErrorType(error_type), error_type, message);
}

Response ApiErrorWithStatus(int status, std::string_view error_type, std::string_view message) {
  nlohmann::json body = {{"status", "error"}, {"errorType", error_type}, {"error", message}};
  // Invalid UTF-8 from a client (echoed in a message) must not make the error itself fail.
  return Response::Json(status,
                        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace tidemark::web

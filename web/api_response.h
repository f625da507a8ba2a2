// Prometheus HTTP API envelopes: {"status":"success","data":...} and
// {"status":"error","errorType":...,"error":...} with the status code each error type carries.
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "web/http_types.h"

namespace tidemark::web {

// HTTP status for a Prometheus error type: bad_data 400, execution 422, canceled 499,
// timeout 503, internal 500, unavailable 503, not_found 404, not_acceptable 406.
int StatusForErrorType(std::string_view error_type);

Response ApiSuccess(const nlohmann::json& data, const std::vector<std::string>& warnings = {});
Response ApiError(std::string_view error_type, std::string_view message);
// ApiError with an explicit HTTP status (e.g. 405, 413, 431 raised outside the API handlers).
Response ApiErrorWithStatus(int status, std::string_view error_type, std::string_view message);

}  // namespace tidemark::web

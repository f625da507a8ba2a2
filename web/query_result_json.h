// The Prometheus API success envelope of a query result (and of a list of strings), written
// straight into one string instead of through a JSON document tree: a dashboard range query returns
// thousands of points, and building, copying and dumping one node per point cost more than
// evaluating them.
//
// Output is byte-for-byte what nlohmann::json would dump for the same document (keys sorted,
// no spaces): {"data":{"result":...,"resultType":...[,"tier":...]},"status":"success"
// [,"warnings":[...]]}. Values are strings formatted as Prometheus formats floats; times are
// seconds (integers when whole). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "query/value.h"

namespace tidemark::web {

// The body of a successful /api/v1/query or /api/v1/query_range response. `tier`, when set,
// becomes data.tier.
std::string QueryResultBody(const query::Value& value, const std::optional<std::string>& tier,
                            const std::vector<std::string>& warnings);

// The body of a successful list answer (/api/v1/labels, /api/v1/label/<name>/values):
// {"data":[...],"status":"success"[,"warnings":[...]]}.
std::string StringListBody(const std::vector<std::string>& data,
                           const std::vector<std::string>& warnings);

}  // namespace tidemark::web

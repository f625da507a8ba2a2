// The Prometheus API success envelope of a query result, written straight into one string
// instead of through a JSON document tree: a dashboard range query returns thousands of points,
// and building, copying and dumping one node per point cost more than evaluating them.
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

}  // namespace tidemark::web

// PromQL parser: a precedence-climbing parser over the lexer's tokens that builds the AST and
// type-checks it the way Prometheus 2.42 does. Errors carry a source position in Prometheus'
// style, e.g. `1:5: parse error: unclosed left parenthesis`.
//
// Stateless functions; safe to call from any thread.
#pragma once

#include <string_view>
#include <vector>

#include "query/ast.h"
#include "storage/base/status.h"

namespace tidemark::query {

// Nesting deeper than this is rejected (protects the recursive parser and evaluator): both the
// parser's recursion and the height of the resulting tree (e.g. long `a + b + c ...` chains).
inline constexpr int kMaxParseDepth = 200;
inline constexpr int kMaxTreeHeight = 400;

// Timestamps (query times and `@`) must lie within +/- this many ms, so that time arithmetic
// with durations (at most kMaxDurationMs each) cannot overflow.
inline constexpr int64_t kMaxQueryTimeMs = int64_t{1} << 61;

// Parses and type-checks `input`. InvalidArgument with the positioned message on any error.
base::Result<ExprPtr> ParseExpr(std::string_view input);

// Parses a series selector as the HTTP API's match[] takes it (`up{job="api"}`, `{__name__=~"x"}`):
// the matchers, including the metric name as a __name__ matcher. Unlike ParseExpr it accepts
// selectors made only of empty matchers, and rejects anything but a plain selector (no offset,
// @, range or function).
base::Result<std::vector<storage::Matcher>> ParseMetricSelector(std::string_view input);

}  // namespace tidemark::query

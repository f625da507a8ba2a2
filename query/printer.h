// Prints a parsed PromQL expression back as text, the way Prometheus 2.42 does (its String()
// methods, which /api/v1/format_query returns): `sum by (job) (rate(foo[5m]))`,
// `a + on (x) group_left (y) b`, matchers sorted, durations in Prometheus' units, numbers as Go's
// %v prints them, strings quoted like Go's %q. Pure; thread-safe.
#pragma once

#include <string>

#include "query/ast.h"

namespace tidemark::query {

std::string FormatExpr(const Expr& expr);

// Go's fmt.Sprint of a float64: shortest round-trip digits, exponent form below 1e-4 or from 1e6
// on (1e6 is "1e+06", 1234567 is "1.234567e+06"), "+Inf", "-Inf", "NaN".
std::string GoFloatString(double v);

// Go's strconv.Quote: double quotes, with \\, \", \n, \t and other escapes.
std::string GoQuote(const std::string& text);

}  // namespace tidemark::query

// Result values of PromQL evaluation: Scalar, String, Vector (instant vector) and Matrix (range
// vector or range-query result), plus the value-type enum the parser's type checker uses.
//
// Plain data; safe to share between threads once built.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/labels.h"
#include "storage/write_batch.h"

namespace tidemark::query {

// The static type of an expression (Prometheus' ValueType).
enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };

// "scalar", "instant vector", "range vector", "string" (as Prometheus prints them in errors).
std::string_view ValueTypeName(ValueType type);
// "scalar", "vector", "matrix", "string" (as the HTTP API's resultType).
std::string_view ValueTypeApiName(ValueType type);

// The stored sample type itself (t in ms, v), so range functions read a selection's samples
// where storage decoded them instead of from a per-series copy.
using Point = storage::Sample;

struct Series {
  storage::Labels metric;
  std::vector<Point> points;
};
using Matrix = std::vector<Series>;

struct Sample {
  storage::Labels metric;
  int64_t t;
  double v;
};
using Vector = std::vector<Sample>;

struct Scalar {
  int64_t t;
  double v;
};

struct String {
  int64_t t;
  std::string v;
};

using Value = std::variant<Scalar, String, Vector, Matrix>;

// The type of a result value.
ValueType TypeOf(const Value& value);

// Prometheus' staleness marker: a NaN with this exact bit pattern.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

// Go's strconv.FormatFloat(v, 'f', -1, 64) with "+Inf", "-Inf", "NaN": the shortest decimal
// (no exponent) that parses back to `v`.
std::string FormatFloat(double v);

}  // namespace tidemark::query

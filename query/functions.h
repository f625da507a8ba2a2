// The PromQL function table: every Prometheus 2.42 function's signature (for the type checker)
// and its implementation hooks (for the evaluator). Implementations live in functions_*.cc.
//
// The table is immutable static data; safe to use from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "query/value.h"

namespace tidemark::query {

class EvalHelper;

// A window of samples for a range-vector function at one step: samples in [start, end] (ms).
struct Window {
  std::span<const Point> points;
  int64_t start;
  int64_t end;
  int64_t range_ms;
  int64_t ts;  // the evaluation time of the step (Prometheus' enh.Ts)
};

// What Prometheus' extrapolated rate needs of a window's samples (count >= 2): the change
// (counter resets added back for counters), the first and last sample.
struct WindowChange {
  double change;
  int64_t first_t;
  double first_v;
  int64_t last_t;
  size_t count;
};
// rate/increase/delta of window [start, end]: the change extrapolated towards the window edges.
// Shared by the raw-sample path and the rollup path so both extrapolate identically.
double ExtrapolateChange(const WindowChange& c, int64_t start, int64_t end, int64_t range_ms,
                         bool is_counter, bool is_rate);

// Computes one value from a window plus the step's scalar arguments; nullopt drops the sample.
using RangeFn = std::optional<double> (*)(const Window& w, std::span<const double> scalars);
// Maps one value (with the step's scalar arguments) to another.
using ValueFn = std::optional<double> (*)(double v, std::span<const double> scalars);

enum class FnKind {
  kRange,        // first range-vector argument reduced by `range_fn`
  kElementwise,  // instant vector mapped by `value_fn`
  kSpecial,      // handled by name in the evaluator (label_replace, sort, absent, ...)
};

struct FunctionDef {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types; n > 0: the last n arguments are optional; -1: the last type repeats.
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
  FnKind kind = FnKind::kSpecial;
  RangeFn range_fn = nullptr;
  ValueFn value_fn = nullptr;
  bool keeps_name = false;  // the result keeps __name__ (e.g. last_over_time)
};

// Prometheus' quantile over `values` (sorted in place): linear interpolation between the closest
// ranks; NaN for an empty input, -Inf/+Inf for q < 0 / q > 1.
double Quantile(double q, std::vector<double>* values);

// The function called `name`, or null.
const FunctionDef* FindFunction(std::string_view name);

// Tables of the split implementation files.
void AppendRangeFunctions(std::vector<FunctionDef>* out);
void AppendMathFunctions(std::vector<FunctionDef>* out);
void AppendSpecialFunctions(std::vector<FunctionDef>* out);

}  // namespace tidemark::query

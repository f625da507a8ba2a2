// Element-wise functions: math, trig, rounding and clamping, and the date functions that read a
// sample value as Unix seconds.
#include <chrono>
#include <cmath>
#include <vector>

#include "query/functions.h"

namespace tidemark::query {
namespace {

using Opt = std::optional<double>;
using Scalars = std::span<const double>;

Opt Abs(double v, Scalars) { return std::abs(v); }
Opt Ceil(double v, Scalars) { return std::ceil(v); }
Opt Floor(double v, Scalars) { return std::floor(v); }
Opt Exp(double v, Scalars) { return std::exp(v); }
Opt Sqrt(double v, Scalars) { return std::sqrt(v); }
Opt Ln(double v, Scalars) { return std::log(v); }
Opt Log2(double v, Scalars) { return std::log2(v); }
Opt Log10(double v, Scalars) { return std::log10(v); }
Opt Sgn(double v, Scalars) {
  if (v < 0) return -1.0;
  if (v > 0) return 1.0;
  return v;
}
Opt Sin(double v, Scalars) { return std::sin(v); }
Opt Cos(double v, Scalars) { return std::cos(v); }
Opt Tan(double v, Scalars) { return std::tan(v); }
Opt Asin(double v, Scalars) { return std::asin(v); }
Opt Acos(double v, Scalars) { return std::acos(v); }
Opt Atan(double v, Scalars) { return std::atan(v); }
Opt Sinh(double v, Scalars) { return std::sinh(v); }
Opt Cosh(double v, Scalars) { return std::cosh(v); }
Opt Tanh(double v, Scalars) { return std::tanh(v); }
Opt Asinh(double v, Scalars) { return std::asinh(v); }
Opt Acosh(double v, Scalars) { return std::acosh(v); }
Opt Atanh(double v, Scalars) { return std::atanh(v); }
Opt Deg(double v, Scalars) { return v * 180 / M_PI; }
Opt Rad(double v, Scalars) { return v * M_PI / 180; }

Opt Round(double v, Scalars s) {
  const double to_nearest = s.empty() ? 1 : s[0];
  const double inverse = 1.0 / to_nearest;
  return std::floor(v * inverse + 0.5) / inverse;
}

// Go's math.Max/math.Min: NaN when either argument is NaN.
double GoMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return NAN;
  return std::fmax(a, b);
}
double GoMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return NAN;
  return std::fmin(a, b);
}

Opt Clamp(double v, Scalars s) {
  if (s[1] < s[0]) return std::nullopt;
  return GoMax(s[0], GoMin(s[1], v));
}
Opt ClampMin(double v, Scalars s) { return GoMax(s[0], v); }
Opt ClampMax(double v, Scalars s) { return GoMin(s[0], v); }

// The UTC calendar date and time of `v` Unix seconds.
struct Civil {
  std::chrono::year_month_day ymd;
  std::chrono::sys_days day;
  int64_t seconds_of_day;
};

Civil ToCivil(double v) {
  const auto secs = static_cast<int64_t>(v);
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  const std::chrono::sys_days day{std::chrono::days{days}};
  return Civil{std::chrono::year_month_day{day}, day, rem};
}

// Non-finite inputs pass through; timestamps beyond the calendar's range (about +/-28,000
// years) have no date and yield NaN. Otherwise nullopt: compute the date.
Opt DateGuard(double v) {
  if (std::isnan(v) || std::isinf(v)) return v;
  if (std::abs(v) > 9e11) return NAN;
  return std::nullopt;
}

Opt Minute(double v, Scalars) {
  if (auto g = DateGuard(v)) return g;
  return static_cast<double>(ToCivil(v).seconds_of_day / 60 % 60);
}
Opt Hour(double v, Scalars) {
  if (auto g = DateGuard(v)) return g;
  return static_cast<double>(ToCivil(v).seconds_of_day / 3600);
}
Opt DayOfMonth(double v, Scalars) {
  if (auto g = DateGuard(v)) return g;
  return static_cast<double>(static_cast<unsigned>(ToCivil(v).ymd.day()));
}
Opt DayOfWeek(double v, Scalars) {
  if (auto g = DateGuard(v)) return g;
  return static_cast<double>(std::chrono::weekday{ToCivil(v).day}.c_encoding());
}
Opt DayOfYear(double v, Scalars) {
  if (auto g = DateGuard(v)) return g;
  const Civil c = ToCivil(v);
  const std::chrono::sys_days jan1{c.ymd.year() / std::chrono::January / 1};
  return static_cast<double>((c.day - jan1).count() + 1);
}
Opt DaysInMonth(double v, Scalars) {
  if (auto g = DateGuard(v)) return g;
  const Civil c = ToCivil(v);
  const std::chrono::year_month_day_last last{c.ymd.year() / c.ymd.month() / std::chrono::last};
  return static_cast<double>(static_cast<unsigned>(last.day()));
}
Opt Month(double v, Scalars) {
  if (auto g = DateGuard(v)) return g;
  return static_cast<double>(static_cast<unsigned>(ToCivil(v).ymd.month()));
}
Opt Year(double v, Scalars) {
  if (auto g = DateGuard(v)) return g;
  return static_cast<double>(static_cast<int>(ToCivil(v).ymd.year()));
}

FunctionDef MathDef(std::string_view name, ValueFn fn, std::vector<ValueType> args = {},
                    int variadic = 0) {
  FunctionDef d;
  d.name = name;
  d.arg_types = args.empty() ? std::vector<ValueType>{ValueType::kVector} : std::move(args);
  d.variadic = variadic;
  d.kind = FnKind::kElementwise;
  d.value_fn = fn;
  return d;
}

}  // namespace

void AppendMathFunctions(std::vector<FunctionDef>* out) {
  const ValueType v = ValueType::kVector, s = ValueType::kScalar;
  for (auto [name, fn] : std::initializer_list<std::pair<std::string_view, ValueFn>>{
           {"abs", Abs},     {"ceil", Ceil}, {"floor", Floor}, {"exp", Exp},     {"sqrt", Sqrt},
           {"ln", Ln},       {"log2", Log2}, {"log10", Log10}, {"sgn", Sgn},     {"sin", Sin},
           {"cos", Cos},     {"tan", Tan},   {"asin", Asin},   {"acos", Acos},   {"atan", Atan},
           {"sinh", Sinh},   {"cosh", Cosh}, {"tanh", Tanh},   {"asinh", Asinh}, {"acosh", Acosh},
           {"atanh", Atanh}, {"deg", Deg},   {"rad", Rad}}) {
    out->push_back(MathDef(name, fn));
  }
  out->push_back(MathDef("round", Round, {v, s}, 1));
  out->push_back(MathDef("clamp", Clamp, {v, s, s}));
  out->push_back(MathDef("clamp_min", ClampMin, {v, s}));
  out->push_back(MathDef("clamp_max", ClampMax, {v, s}));
  for (auto [name, fn] :
       std::initializer_list<std::pair<std::string_view, ValueFn>>{{"minute", Minute},
                                                                   {"hour", Hour},
                                                                   {"day_of_month", DayOfMonth},
                                                                   {"day_of_week", DayOfWeek},
                                                                   {"day_of_year", DayOfYear},
                                                                   {"days_in_month", DaysInMonth},
                                                                   {"month", Month},
                                                                   {"year", Year}}) {
    out->push_back(MathDef(name, fn, {v}, 1));
  }
}

}  // namespace tidemark::query

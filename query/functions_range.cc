// Range-vector functions: rate/increase/delta with Prometheus' extrapolation, irate/idelta,
// deriv/predict_linear (least squares), holt_winters, the *_over_time family, changes, resets.
#include <algorithm>
#include <cmath>
#include <vector>

#include "query/eval_error.h"
#include "query/functions.h"
#include "storage/base/compensated_sum.h"

namespace tidemark::query {

double ExtrapolateChange(const WindowChange& c, int64_t start, int64_t end, int64_t range_ms,
                         bool is_counter, bool is_rate) {
  const double result = c.change;
  double to_start = static_cast<double>(c.first_t - start) / 1000;
  const double to_end = static_cast<double>(end - c.last_t) / 1000;
  const double sampled = static_cast<double>(c.last_t - c.first_t) / 1000;
  const double avg_between = sampled / static_cast<double>(c.count - 1);
  if (is_counter && result > 0 && c.first_v >= 0) {
    const double to_zero = sampled * (c.first_v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  const double threshold = avg_between * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_between / 2;
  interval += to_end < threshold ? to_end : avg_between / 2;
  double factor = interval / sampled;
  if (is_rate) factor /= static_cast<double>(range_ms) / 1000;
  return result * factor;
}

namespace {

using Opt = std::optional<double>;
using Scalars = std::span<const double>;

// Prometheus' extrapolatedRate: the value change over the window, extrapolated towards the window
// edges when the first/last samples are close enough to them.
Opt ExtrapolatedRate(const Window& w, bool is_counter, bool is_rate) {
  const auto& p = w.points;
  if (p.size() < 2) return std::nullopt;
  double result = p.back().v - p.front().v;
  if (is_counter) {
    double last = 0;
    for (const Point& s : p) {
      if (s.v < last) result += last;
      last = s.v;
    }
  }
  return ExtrapolateChange({result, p.front().t, p.front().v, p.back().t, p.size()}, w.start, w.end,
                           w.range_ms, is_counter, is_rate);
}

Opt Rate(const Window& w, Scalars) { return ExtrapolatedRate(w, true, true); }
Opt Increase(const Window& w, Scalars) { return ExtrapolatedRate(w, true, false); }
Opt Delta(const Window& w, Scalars) { return ExtrapolatedRate(w, false, false); }

Opt InstantValue(const Window& w, bool is_rate) {
  const auto& p = w.points;
  if (p.size() < 2) return std::nullopt;
  const Point& last = p[p.size() - 1];
  const Point& prev = p[p.size() - 2];
  double result = is_rate && last.v < prev.v ? last.v : last.v - prev.v;
  const int64_t interval = last.t - prev.t;
  if (interval == 0) return std::nullopt;
  if (is_rate) result /= static_cast<double>(interval) / 1000;
  return result;
}

Opt Irate(const Window& w, Scalars) { return InstantValue(w, true); }
Opt Idelta(const Window& w, Scalars) { return InstantValue(w, false); }

// Least-squares fit of the window against time in seconds relative to `intercept_t`.
void LinearRegression(std::span<const Point> p, int64_t intercept_t, double* slope,
                      double* intercept) {
  double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
  bool const_y = true;
  const double init_y = p[0].v;
  for (size_t i = 0; i < p.size(); ++i) {
    if (const_y && i > 0 && p[i].v != init_y) const_y = false;
    n += 1;
    const double x = static_cast<double>(p[i].t - intercept_t) / 1e3;
    base::CompensatedAdd(x, &sx, &cx);
    base::CompensatedAdd(p[i].v, &sy, &cy);
    base::CompensatedAdd(x * p[i].v, &sxy, &cxy);
    base::CompensatedAdd(x * x, &sx2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = NAN;
      *intercept = NAN;
    } else {
      *slope = 0;
      *intercept = init_y;
    }
    return;
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  const double cov = sxy - sx * sy / n;
  const double var = sx2 - sx * sx / n;
  *slope = cov / var;
  *intercept = sy / n - *slope * sx / n;
}

Opt Deriv(const Window& w, Scalars) {
  if (w.points.size() < 2) return std::nullopt;
  double slope, intercept;
  LinearRegression(w.points, w.points[0].t, &slope, &intercept);
  return slope;
}

// Regresses against the step's evaluation time, as Prometheus does.
Opt PredictLinear(const Window& w, Scalars s) {
  if (w.points.size() < 2) return std::nullopt;
  double slope, intercept;
  LinearRegression(w.points, w.ts, &slope, &intercept);
  return slope * s[0] + intercept;
}

double TrendValue(int i, double tf, double s0, double s1, double b) {
  if (i == 0) return b;
  return tf * (s1 - s0) + (1 - tf) * b;
}

Opt HoltWinters(const Window& w, Scalars s) {
  const double sf = s[0], tf = s[1];
  if (sf <= 0 || sf >= 1) {
    ThrowExecError("invalid smoothing factor. Expected: 0 < sf < 1, got: " + std::to_string(sf));
  }
  if (tf <= 0 || tf >= 1) {
    ThrowExecError("invalid trend factor. Expected: 0 < tf < 1, got: " + std::to_string(tf));
  }
  const auto& p = w.points;
  if (p.size() < 2) return std::nullopt;
  double s0 = 0, s1 = p[0].v, b = p[1].v - p[0].v;
  for (size_t i = 1; i < p.size(); ++i) {
    const double x = sf * p[i].v;
    b = TrendValue(static_cast<int>(i) - 1, tf, s0, s1, b);
    const double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

Opt AvgOverTime(const Window& w, Scalars) {
  double mean = 0, count = 0, c = 0;
  for (const Point& p : w.points) {
    count++;
    if (std::isinf(mean)) {
      if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
      if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
    }
    base::CompensatedAdd(p.v / count - mean / count, &mean, &c);
  }
  return base::CompensatedTotal(mean, c);
}

Opt CountOverTime(const Window& w, Scalars) { return static_cast<double>(w.points.size()); }

Opt SumOverTime(const Window& w, Scalars) {
  double sum = 0, c = 0;
  for (const Point& p : w.points) base::CompensatedAdd(p.v, &sum, &c);
  return base::CompensatedTotal(sum, c);
}

// Prometheus' rule (`if v > max || isNaN(max) { max = v }`) lets any value replace a NaN and no
// NaN replace a number. Skipping the leading NaNs first leaves a loop whose comparison is false
// for NaN, so it compiles to maxsd/minsd instead of a data-dependent branch per sample.
size_t FirstNumber(std::span<const Point> points) {
  size_t i = 0;
  while (i < points.size() && std::isnan(points[i].v)) ++i;
  return i;
}

// The extreme of the window under `better` (whether a value replaces the current one).
template <typename Better>
Opt ExtremeOverTime(const Window& w, Better better) {
  const size_t first = FirstNumber(w.points);
  if (first == w.points.size()) return w.points[0].v;  // all NaN
  double m = w.points[first].v;
  for (size_t i = first + 1; i < w.points.size(); ++i) {
    const double v = w.points[i].v;
    m = better(v, m) ? v : m;
  }
  return m;
}

Opt MaxOverTime(const Window& w, Scalars) {
  return ExtremeOverTime(w, [](double v, double m) { return v > m; });
}

Opt MinOverTime(const Window& w, Scalars) {
  return ExtremeOverTime(w, [](double v, double m) { return v < m; });
}

Opt LastOverTime(const Window& w, Scalars) { return w.points.back().v; }
Opt PresentOverTime(const Window& w, Scalars) { return 1.0; }

Opt QuantileOverTime(const Window& w, Scalars s) {
  std::vector<double> values;
  values.reserve(w.points.size());
  for (const Point& p : w.points) values.push_back(p.v);
  return Quantile(s[0], &values);
}

double Variance(std::span<const Point> points) {
  double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
  for (const Point& p : points) {
    count++;
    const double delta = p.v - (mean + cmean);
    base::CompensatedAdd(delta / count, &mean, &cmean);
    base::CompensatedAdd(delta * (p.v - (mean + cmean)), &aux, &caux);
  }
  return (aux + caux) / count;
}

Opt StddevOverTime(const Window& w, Scalars) { return std::sqrt(Variance(w.points)); }
Opt StdvarOverTime(const Window& w, Scalars) { return Variance(w.points); }

Opt Changes(const Window& w, Scalars) {
  double changes = 0;
  for (size_t i = 1; i < w.points.size(); ++i) {
    const double cur = w.points[i].v, prev = w.points[i - 1].v;
    if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) changes++;
  }
  return changes;
}

Opt Resets(const Window& w, Scalars) {
  double resets = 0;
  for (size_t i = 1; i < w.points.size(); ++i) {
    if (w.points[i].v < w.points[i - 1].v) resets++;
  }
  return resets;
}

FunctionDef RangeDef(std::string_view name, RangeFn fn, std::vector<ValueType> args = {},
                     bool keeps_name = false) {
  if (args.empty()) args = {ValueType::kMatrix};
  FunctionDef d;
  d.name = name;
  d.arg_types = std::move(args);
  d.kind = FnKind::kRange;
  d.range_fn = fn;
  d.keeps_name = keeps_name;
  return d;
}

}  // namespace

double Quantile(double q, std::vector<double>* values) {
  if (values->empty()) return NAN;
  if (std::isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  std::stable_sort(values->begin(), values->end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  });
  const double n = static_cast<double>(values->size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return (*values)[static_cast<size_t>(lower)] * (1 - weight) +
         (*values)[static_cast<size_t>(upper)] * weight;
}

void AppendRangeFunctions(std::vector<FunctionDef>* out) {
  const ValueType m = ValueType::kMatrix, s = ValueType::kScalar;
  out->push_back(RangeDef("rate", Rate));
  out->push_back(RangeDef("increase", Increase));
  out->push_back(RangeDef("delta", Delta));
  out->push_back(RangeDef("irate", Irate));
  out->push_back(RangeDef("idelta", Idelta));
  out->push_back(RangeDef("deriv", Deriv));
  out->push_back(RangeDef("predict_linear", PredictLinear, {m, s}));
  out->push_back(RangeDef("holt_winters", HoltWinters, {m, s, s}));
  out->push_back(RangeDef("avg_over_time", AvgOverTime));
  out->push_back(RangeDef("count_over_time", CountOverTime));
  out->push_back(RangeDef("sum_over_time", SumOverTime));
  out->push_back(RangeDef("max_over_time", MaxOverTime));
  out->push_back(RangeDef("min_over_time", MinOverTime));
  out->push_back(RangeDef("last_over_time", LastOverTime, {}, true));
  out->push_back(RangeDef("present_over_time", PresentOverTime));
  out->push_back(RangeDef("quantile_over_time", QuantileOverTime, {s, m}));
  out->push_back(RangeDef("stddev_over_time", StddevOverTime));
  out->push_back(RangeDef("stdvar_over_time", StdvarOverTime));
  out->push_back(RangeDef("changes", Changes));
  out->push_back(RangeDef("resets", Resets));
}

}  // namespace tidemark::query

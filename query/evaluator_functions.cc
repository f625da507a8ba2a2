// Function calls: the generic range-vector and element-wise paths driven by the function table,
// and the functions that need labels, ordering or absence (evaluated here by name).
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "query/eval_error.h"
#include "query/evaluator.h"
#include "query/functions.h"

namespace tidemark::query {

using storage::Label;
using storage::Labels;

Matrix Evaluator::EvalCall(const Expr& e, const Steps& s) {
  switch (e.func->kind) {
    case FnKind::kRange:
      return EvalRangeFunction(e, s);
    case FnKind::kElementwise:
      return EvalElementwise(e, s);
    case FnKind::kSpecial:
      break;
  }
  return EvalSpecial(e, s);
}

Matrix Evaluator::EvalRangeFunction(const Expr& e, const Steps& s) {
  if (Matrix m; TryRollupRangeFunction(e, s, &m)) return m;
  size_t matrix_arg = 0;
  std::vector<std::vector<double>> scalar_args;
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (e.args[i]->type == ValueType::kMatrix) {
      matrix_arg = i;
    } else {
      scalar_args.push_back(EvalScalarSteps(*e.args[i], s));
    }
  }
  const size_t n = s.Count();
  std::vector<double> scalars(scalar_args.size());
  Matrix out;
  RangeInput in;
  // Prometheus treats predict_linear as unsafe for @: its range argument is read at the @ time
  // for the first step and the window then slides along with the steps (over the data loaded
  // for the @ time only).
  const bool sliding = e.func->name == "predict_linear";
  ForEachRangeSeries(
      *e.args[matrix_arg], s, &in, [&](const storage::Labels& metric, std::span<const Point> pts) {
        CheckInterrupt();
        Series result{e.func->keeps_name ? metric : DropMetricName(metric), {}};
        for (size_t i = 0; i < n; ++i) {
          const int64_t ts = s.At(i);
          int64_t start, end;
          WindowBounds(in, ts, &start, &end);
          if (sliding && in.at != AtKind::kNone) {
            start += ts - s.start;
            end += ts - s.start;
          }
          auto lo = std::lower_bound(pts.begin(), pts.end(), start,
                                     [](const Point& p, int64_t t) { return p.t < t; });
          auto hi = std::upper_bound(lo, pts.end(), end,
                                     [](int64_t t, const Point& p) { return t < p.t; });
          if (lo == hi) continue;
          for (size_t k = 0; k < scalars.size(); ++k) scalars[k] = scalar_args[k][i];
          Window w{pts.subspan(static_cast<size_t>(lo - pts.begin()), static_cast<size_t>(hi - lo)),
                   start, end, in.range_ms, ts};
          if (auto v = e.func->range_fn(w, scalars)) result.points.push_back({ts, *v});
        }
        AcquireSamples(result.points.size());
        if (!result.points.empty()) out.push_back(std::move(result));
      });
  return MergeSameLabels(std::move(out));
}

Matrix Evaluator::EvalElementwise(const Expr& e, const Steps& s) {
  Matrix input;
  if (e.args.empty()) {
    Series now;
    for (size_t i = 0; i < s.Count(); ++i) {
      now.points.push_back({s.At(i), static_cast<double>(s.At(i)) / 1000});
    }
    input.push_back(std::move(now));
  } else {
    input = Eval(*e.args[0], s);
  }
  std::vector<std::vector<double>> scalar_args;
  for (size_t i = 1; i < e.args.size(); ++i) scalar_args.push_back(EvalScalarSteps(*e.args[i], s));
  std::vector<double> scalars(scalar_args.size());
  Matrix out;
  for (Series& series : input) {
    Series result{DropMetricName(series.metric), {}};
    for (const Point& p : series.points) {
      const size_t step = static_cast<size_t>((p.t - s.start) / s.interval);
      for (size_t k = 0; k < scalars.size(); ++k) scalars[k] = scalar_args[k][step];
      if (auto v = e.func->value_fn(p.v, scalars)) result.points.push_back({p.t, *v});
    }
    if (!result.points.empty()) out.push_back(std::move(result));
  }
  AcquireSamples(PointCount(out));
  ReleaseSamples(input);
  return MergeSameLabels(std::move(out));
}

namespace {

// Labels of absent()/absent_over_time(): the equality matchers of the selector argument.
Labels AbsentLabels(const Expr& arg) {
  const Expr* e = Unparen(&arg);
  if (e->kind == NodeKind::kMatrixSelector) e = e->lhs.get();
  if (e->kind != NodeKind::kVectorSelector) return Labels();
  std::map<std::string, std::string> seen;
  std::vector<std::string> duplicated;
  for (const auto& m : e->matchers) {
    if (m.name() == storage::kMetricNameLabel) continue;
    if (m.type() == storage::MatchType::kEqual && !seen.contains(m.name())) {
      seen[m.name()] = m.value();
    } else {
      duplicated.push_back(m.name());
    }
  }
  for (const auto& d : duplicated) seen.erase(d);
  std::vector<Label> out;
  for (auto& [k, v] : seen) out.push_back({k, v});
  return Labels(std::move(out));
}

Matrix ConstantSeries(const Steps& s, const Labels& metric,
                      const std::function<double(int64_t)>& value) {
  Series series{metric, {}};
  for (size_t i = 0; i < s.Count(); ++i) series.points.push_back({s.At(i), value(s.At(i))});
  return Matrix{std::move(series)};
}

}  // namespace

Matrix Evaluator::EvalAbsent(const Expr& e, const Steps& s) {
  const Labels labels = AbsentLabels(*e.args[0]);
  std::vector<bool> present(s.Count(), false);
  if (e.args[0]->type == ValueType::kMatrix) {
    RangeInput in = EvalRange(*e.args[0], s);
    for (size_t i = 0; i < s.Count(); ++i) {
      int64_t start, end;
      WindowBounds(in, s.At(i), &start, &end);
      for (const Series& series : in.series) {
        auto lo = std::lower_bound(series.points.begin(), series.points.end(), start,
                                   [](const Point& p, int64_t t) { return p.t < t; });
        if (lo != series.points.end() && lo->t <= end) {
          present[i] = true;
          break;
        }
      }
    }
  } else {
    for (const Series& series : Eval(*e.args[0], s)) {
      for (const Point& p : series.points) {
        present[static_cast<size_t>((p.t - s.start) / s.interval)] = true;
      }
    }
  }
  Series out{labels, {}};
  for (size_t i = 0; i < s.Count(); ++i) {
    if (!present[i]) out.points.push_back({s.At(i), 1});
  }
  if (out.points.empty()) return {};
  return Matrix{std::move(out)};
}

Matrix Evaluator::EvalSort(const Expr& e, const Steps& s, bool descending) {
  Matrix input = Eval(*e.args[0], s);
  if (s.Count() != 1) return input;
  std::stable_sort(input.begin(), input.end(), [descending](const Series& a, const Series& b) {
    const double va = a.points[0].v, vb = b.points[0].v;
    if (std::isnan(va)) return false;
    if (std::isnan(vb)) return true;
    return descending ? va > vb : va < vb;
  });
  return input;
}

Matrix Evaluator::EvalScalarFunction(const Expr& e, const Steps& s) {
  const Matrix in = Eval(*e.args[0], s);
  std::vector<size_t> count(s.Count(), 0);
  std::vector<double> value(s.Count(), NAN);
  for (const Series& series : in) {
    for (const Point& p : series.points) {
      const size_t i = static_cast<size_t>((p.t - s.start) / s.interval);
      count[i]++;
      value[i] = p.v;
    }
  }
  return ConstantSeries(s, Labels(), [&](int64_t ts) {
    const size_t i = static_cast<size_t>((ts - s.start) / s.interval);
    return count[i] == 1 ? value[i] : NAN;
  });
}

// timestamp() of a plain selector reports the sample's own time; of anything else, the step's.
Matrix Evaluator::EvalTimestamp(const Expr& e, const Steps& s) {
  const Expr* arg = Unparen(e.args[0].get());
  Matrix in;
  if (arg->kind == NodeKind::kVectorSelector) {
    in = EvalVectorSelector(*arg, s, true);
  } else {
    in = Eval(*arg, s);
    for (Series& series : in) {
      for (Point& p : series.points) p.v = static_cast<double>(p.t) / 1000;
    }
  }
  for (Series& series : in) series.metric = DropMetricName(series.metric);
  return MergeSameLabels(std::move(in));
}

Matrix Evaluator::EvalSpecial(const Expr& e, const Steps& s) {
  const std::string_view name = e.func->name;
  if (name == "time") {
    return ConstantSeries(s, Labels(), [](int64_t ts) { return static_cast<double>(ts) / 1000; });
  }
  if (name == "pi") return ConstantSeries(s, Labels(), [](int64_t) { return M_PI; });
  if (name == "vector") {
    Matrix in = Eval(*e.args[0], s);
    for (Series& series : in) series.metric = Labels();
    return in;
  }
  if (name == "scalar") return EvalScalarFunction(e, s);
  if (name == "timestamp") return EvalTimestamp(e, s);
  if (name == "absent" || name == "absent_over_time") return EvalAbsent(e, s);
  if (name == "sort" || name == "sort_desc") return EvalSort(e, s, name == "sort_desc");
  if (name == "label_replace") return EvalLabelReplace(e, s);
  if (name == "label_join") return EvalLabelJoin(e, s);
  if (name == "histogram_quantile") return EvalHistogramQuantile(e, s);
  // histogram_count, histogram_sum, histogram_fraction: native histograms only, which this
  // engine does not store, so float series yield nothing.
  for (const auto& arg : e.args) {
    if (arg->type == ValueType::kVector) Eval(*arg, s);
  }
  return {};
}

}  // namespace tidemark::query

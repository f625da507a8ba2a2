#include "query/evaluator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "query/eval_error.h"
#include "query/functions.h"

namespace tidemark::query {

using storage::Labels;

void StepCursor::At(int64_t ts, StepVector* out) {
  out->clear();
  for (size_t k = 0; k < m_->size(); ++k) {
    const auto& pts = (*m_)[k].points;
    size_t& p = pos_[k];
    while (p < pts.size() && pts[p].t < ts) ++p;
    if (p < pts.size() && pts[p].t == ts) out->push_back({&(*m_)[k].metric, pts[p].v, k});
  }
}

void MatrixBuilder::Add(const Labels& metric, int64_t ts, double v) {
  auto [it, inserted] = index_.try_emplace(metric.Hash(), out_.size());
  if (inserted) out_.push_back(Series{metric, {}});
  auto& pts = out_[it->second].points;
  if (!pts.empty() && pts.back().t == ts) {
    ThrowExecError("vector cannot contain metrics with the same labelset");
  }
  pts.push_back({ts, v});
  ++points_;
}

Labels DropMetricName(const Labels& labels) {
  if (!labels.Has(storage::kMetricNameLabel)) return labels;
  std::vector<storage::Label> out;
  out.reserve(labels.size());
  for (const auto& l : labels) {
    if (l.name != storage::kMetricNameLabel) out.push_back(l);
  }
  return Labels(std::move(out));
}

Matrix MergeSameLabels(Matrix m) {
  // By hash, then compared: two different label sets may share a 64-bit hash.
  std::unordered_map<uint64_t, std::vector<size_t>> index;
  Matrix out;
  for (Series& s : m) {
    std::vector<size_t>& same_hash = index[s.metric.Hash()];
    const auto match = std::find_if(same_hash.begin(), same_hash.end(),
                                    [&](size_t i) { return out[i].metric == s.metric; });
    if (match == same_hash.end()) {
      same_hash.push_back(out.size());
      out.push_back(std::move(s));
      continue;
    }
    auto& dst = out[*match].points;
    std::vector<Point> both;
    both.reserve(dst.size() + s.points.size());
    std::merge(dst.begin(), dst.end(), s.points.begin(), s.points.end(), std::back_inserter(both),
               [](const Point& a, const Point& b) { return a.t < b.t; });
    for (size_t i = 1; i < both.size(); ++i) {
      if (both[i].t == both[i - 1].t) {
        ThrowExecError("vector cannot contain metrics with the same labelset");
      }
    }
    dst = std::move(both);
  }
  return out;
}

Evaluator::Evaluator(const QuerierFactory* factory, int64_t query_start, int64_t query_end,
                     EvalOptions options)
    : factory_(factory), query_start_(query_start), query_end_(query_end), opts_(options) {}

void Evaluator::CheckInterrupt() {
  if ((++interrupt_counter_ & 63) != 0) return;
  if (opts_.cancel != nullptr && opts_.cancel->load(std::memory_order_relaxed)) {
    throw EvalError{base::StatusCode::kCancelled, "query was canceled in expression evaluation"};
  }
  if (std::chrono::steady_clock::now() > opts_.deadline) {
    throw EvalError{base::StatusCode::kDeadlineExceeded,
                    "query timed out in expression evaluation"};
  }
}

void Evaluator::AcquireSamples(size_t n) {
  samples_ += static_cast<int64_t>(n);
  if (samples_ > opts_.max_samples) {
    throw EvalError{base::StatusCode::kResourceExhausted,
                    "query processing would load too many samples into memory in query "
                    "execution"};
  }
}

void Evaluator::ReleaseSamples(size_t n) {
  samples_ = std::max<int64_t>(0, samples_ - static_cast<int64_t>(n));
}

size_t PointCount(const Matrix& m) {
  size_t n = 0;
  for (const Series& s : m) n += s.points.size();
  return n;
}

void Evaluator::ReleaseSamples(const Matrix& m) { ReleaseSamples(PointCount(m)); }

void ThrowIfStorageError(const base::Status& status) {
  if (status.ok()) return;
  const base::StatusCode code = status.code() == base::StatusCode::kInvalidArgument
                                    ? base::StatusCode::kInternal
                                    : status.code();
  throw EvalError{code, status.message()};
}

int64_t Evaluator::RefTime(AtKind at, int64_t at_ms, int64_t ts) const {
  switch (at) {
    case AtKind::kTimestamp:
      return at_ms;
    case AtKind::kStart:
      return query_start_;
    case AtKind::kEnd:
      return query_end_;
    case AtKind::kNone:
      break;
  }
  return ts;
}

void Evaluator::WindowBounds(const RangeInput& in, int64_t ts, int64_t* start, int64_t* end) const {
  *end = RefTime(in.at, in.at_ms, ts) - in.offset_ms;
  *start = *end - in.range_ms;
}

Matrix Evaluator::Eval(const Expr& e, const Steps& s) {
  CheckInterrupt();
  switch (e.kind) {
    case NodeKind::kNumber: {
      Series series;
      const size_t n = s.Count();
      AcquireSamples(n);
      series.points.reserve(n);
      for (size_t i = 0; i < n; ++i) series.points.push_back({s.At(i), e.number});
      return Matrix{std::move(series)};
    }
    case NodeKind::kParen:
      return Eval(*e.lhs, s);
    case NodeKind::kVectorSelector:
      return EvalVectorSelector(e, s, false);
    case NodeKind::kUnary:
      return EvalUnary(e, s);
    case NodeKind::kBinary:
      return EvalBinary(e, s);
    case NodeKind::kAggregate:
      return EvalAggregate(e, s);
    case NodeKind::kCall:
      return EvalCall(e, s);
    default:
      break;
  }
  throw EvalError{base::StatusCode::kInternal,
                  "unexpected expression of type " + std::string(ValueTypeName(e.type))};
}

std::vector<double> Evaluator::EvalScalarSteps(const Expr& e, const Steps& s) {
  Matrix m = Eval(e, s);
  std::vector<double> out(s.Count(), NAN);
  if (m.empty()) return out;
  for (const Point& p : m[0].points) out[static_cast<size_t>((p.t - s.start) / s.interval)] = p.v;
  return out;
}

Matrix Evaluator::EvalUnary(const Expr& e, const Steps& s) {
  Matrix m = Eval(*e.lhs, s);
  if (e.op != Tok::kSub) return m;
  for (Series& series : m) {
    for (Point& p : series.points) p.v = -p.v;
    if (e.type == ValueType::kVector) series.metric = DropMetricName(series.metric);
  }
  return e.type == ValueType::kVector ? MergeSameLabels(std::move(m)) : m;
}

namespace {

// The first index at or after `pos` whose sample is newer than `t`: a few steps of linear scan
// (steps as fine as the samples), then a galloping search (steps spanning many samples): probes
// at doubling distances bracket the answer near `pos`, and a binary search finishes inside the
// bracket, instead of one over all remaining samples (mispredicted, cache-missing probes).
size_t FirstAfter(std::span<const storage::Sample> samples, size_t pos, int64_t t) {
  for (int k = 0; k < 8; ++k, ++pos) {
    if (pos == samples.size() || samples[pos].t > t) return pos;
  }
  size_t lo = pos, step = 8;  // samples[lo - 1].t <= t
  while (lo + step < samples.size() && samples[lo + step].t <= t) {
    lo += step + 1;
    step *= 2;
  }
  const size_t hi = std::min(samples.size(), lo + step + 1);
  auto it = std::upper_bound(samples.begin() + static_cast<ptrdiff_t>(lo),
                             samples.begin() + static_cast<ptrdiff_t>(hi), t,
                             [](int64_t x, const storage::Sample& s) { return x < s.t; });
  return static_cast<size_t>(it - samples.begin());
}

}  // namespace

Matrix Evaluator::EvalVectorSelector(const Expr& vs, const Steps& s, bool timestamps) {
  if (Matrix m; !timestamps && TryRollupSelector(vs, s, &m)) return m;
  raw_used_ = true;
  const int64_t first_ref = RefTime(vs.at, vs.at_ms, s.start) - vs.offset_ms;
  const int64_t last_ref = RefTime(vs.at, vs.at_ms, s.At(s.Count() - 1)) - vs.offset_ms;
  auto querier = (*factory_)(first_ref - opts_.lookback_ms, last_ref);
  // Each step reads only the newest sample at or before its reference time, and no reference
  // time precedes first_ref: the store may skip what the lookback merely reaches into.
  storage::SelectHints hints;
  hints.latest_from = first_ref;
  auto set = querier->SelectWithHints(vs.matchers, hints);
  Matrix out;
  std::vector<storage::Sample> copy;
  while (set->Next()) {
    CheckInterrupt();
    std::span<const storage::Sample> samples = set->SampleSpan();
    if (samples.empty()) {
      copy.clear();
      auto it = set->Samples();
      while (it->Next()) copy.push_back(it->At());
      samples = copy;
    }
    AcquireSamples(samples.size());
    Series series{set->labels(), {}};
    size_t pos = 0;  // first sample with t > ref
    const size_t n = s.Count();
    series.points.reserve(std::min(n, samples.size()));
    for (size_t i = 0; i < n; ++i) {
      const int64_t ts = s.At(i);
      const int64_t ref = RefTime(vs.at, vs.at_ms, ts) - vs.offset_ms;
      pos = FirstAfter(samples, pos, ref);
      if (pos == 0) continue;
      const storage::Sample& smp = samples[pos - 1];
      if (smp.t < ref - opts_.lookback_ms || IsStaleNaN(smp.v)) continue;
      series.points.push_back({ts, timestamps ? static_cast<double>(smp.t) / 1000 : smp.v});
    }
    ReleaseSamples(samples.size());
    AcquireSamples(series.points.size());
    if (!series.points.empty()) out.push_back(std::move(series));
  }
  ThrowIfStorageError(set->status());
  return out;
}

void Evaluator::ForEachRangeSeries(const Expr& arg, const Steps& s, RangeInput* params,
                                   const RangeSeriesFn& fn) {
  const Expr* u = Unparen(&arg);
  if (u->kind == NodeKind::kSubquery) {
    RangeInput in = EvalSubquery(*u, s);
    params->range_ms = in.range_ms;
    params->offset_ms = in.offset_ms;
    params->at = in.at;
    params->at_ms = in.at_ms;
    for (const Series& series : in.series) fn(series.metric, series.points);
    ReleaseSamples(in.series);
    return;
  }
  const Expr& vs = *u->lhs;
  raw_used_ = true;
  params->range_ms = u->range_ms;
  params->offset_ms = vs.offset_ms;
  params->at = vs.at;
  params->at_ms = vs.at_ms;
  int64_t mint, maxt, unused;
  WindowBounds(*params, s.start, &mint, &unused);
  WindowBounds(*params, s.At(s.Count() - 1), &unused, &maxt);
  auto querier = (*factory_)(mint, maxt);
  auto set = querier->Select(vs.matchers);
  // Samples are handed over where the set holds them; only a series with stale markers (or a
  // set without a span) is copied, into one buffer reused for the whole selection.
  std::vector<Point> filtered;
  while (set->Next()) {
    CheckInterrupt();
    std::span<const Point> points = set->SampleSpan();
    if (points.empty() ||
        std::any_of(points.begin(), points.end(), [](const Point& p) { return IsStaleNaN(p.v); })) {
      filtered.clear();
      if (!points.empty()) {
        for (const Point& p : points) {
          if (!IsStaleNaN(p.v)) filtered.push_back(p);
        }
      } else {
        auto it = set->Samples();
        while (it->Next()) {
          const Point p = it->At();
          if (!IsStaleNaN(p.v)) filtered.push_back(p);
        }
      }
      points = filtered;
    }
    const size_t n = points.size();
    AcquireSamples(n);
    if (n > 0) fn(set->labels(), points);
    ReleaseSamples(n);
  }
  ThrowIfStorageError(set->status());
}

RangeInput Evaluator::LoadMatrixSelector(const Expr& ms, const Steps& s) {
  RangeInput in;
  ForEachRangeSeries(ms, s, &in, [&](const storage::Labels& metric, std::span<const Point> points) {
    AcquireSamples(points.size());
    in.series.push_back(Series{metric, std::vector<Point>(points.begin(), points.end())});
  });
  return in;
}

RangeInput Evaluator::EvalSubquery(const Expr& sq, const Steps& s) {
  RangeInput in;
  in.range_ms = sq.range_ms;
  in.offset_ms = sq.offset_ms;
  in.at = sq.at;
  in.at_ms = sq.at_ms;
  int64_t first_start, first_end, last_start, last_end;
  WindowBounds(in, s.start, &first_start, &first_end);
  WindowBounds(in, s.At(s.Count() - 1), &last_start, &last_end);
  const int64_t interval = sq.step_ms > 0 ? sq.step_ms : opts_.default_subquery_step_ms;
  int64_t start = interval * (first_start / interval);
  if (start < first_start) start += interval;
  if (start > last_end) return in;
  Steps inner{start, last_end, interval};
  // Every node of the inner expression may produce a point per step: refuse grids that could
  // not fit the sample budget before allocating anything for them.
  if (inner.Count() > static_cast<size_t>(opts_.max_samples)) AcquireSamples(inner.Count());
  inner.end = inner.At(inner.Count() - 1);
  Matrix m = Eval(*sq.lhs, inner);
  for (Series& series : m) {
    if (!series.points.empty()) in.series.push_back(std::move(series));
  }
  return in;
}

RangeInput Evaluator::EvalRange(const Expr& e, const Steps& s) {
  const Expr* u = Unparen(&e);
  if (u->kind == NodeKind::kMatrixSelector) return LoadMatrixSelector(*u, s);
  if (u->kind == NodeKind::kSubquery) return EvalSubquery(*u, s);
  throw EvalError{base::StatusCode::kInternal, "expected a range vector expression"};
}

Value Evaluator::ToInstantValue(const Expr& expr, const Steps& steps) {
  const Expr* u = Unparen(&expr);
  const int64_t ts = steps.start;
  switch (expr.type) {
    case ValueType::kString:
      return String{ts, u->str};
    case ValueType::kScalar: {
      Matrix m = Eval(expr, steps);
      const double v = m.empty() || m[0].points.empty() ? NAN : m[0].points[0].v;
      return Scalar{ts, v};
    }
    case ValueType::kMatrix: {
      RangeInput in = EvalRange(expr, steps);
      int64_t start, end;
      WindowBounds(in, ts, &start, &end);
      Matrix out;
      for (Series& series : in.series) {
        Series w{std::move(series.metric), {}};
        for (const Point& p : series.points) {
          if (p.t >= start && p.t <= end) w.points.push_back(p);
        }
        if (!w.points.empty()) out.push_back(std::move(w));
      }
      return out;
    }
    default:
      break;
  }
  Matrix m = Eval(expr, steps);
  Vector v;
  v.reserve(m.size());
  for (Series& series : m) {
    if (!series.points.empty()) v.push_back({std::move(series.metric), ts, series.points[0].v});
  }
  return v;
}

Value Evaluator::ToRangeValue(const Expr& expr, const Steps& steps) {
  if (expr.type != ValueType::kScalar && expr.type != ValueType::kVector) {
    throw EvalError{base::StatusCode::kInvalidArgument,
                    "invalid expression type \"" + std::string(ValueTypeName(expr.type)) +
                        "\" for range query, must be Scalar or instant Vector"};
  }
  Matrix m = Eval(expr, steps);
  std::erase_if(m, [](const Series& s) { return s.points.empty(); });
  std::sort(m.begin(), m.end(),
            [](const Series& a, const Series& b) { return a.metric < b.metric; });
  return m;
}

base::Result<Value> Evaluator::Run(const Expr& expr, const Steps& steps, bool instant) {
  try {
    return instant ? ToInstantValue(expr, steps) : ToRangeValue(expr, steps);
  } catch (const EvalError& e) {
    return base::Status(e.code, e.message);
  }
}

}  // namespace tidemark::query

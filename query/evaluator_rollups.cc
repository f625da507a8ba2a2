// Answering selectors from rollup tiers (storage/docs/rollups.md). A tier of resolution R can
// answer a window [end - range, end] exactly when end and range are multiples of R: the window is
// the sample at its start (the last sample of the bucket ending there, if it lies exactly on the
// boundary) plus the whole buckets ending in (start, end]. count/sum/min/max/last/avg_over_time
// then equal the raw answer (avg and sum up to floating-point summation order), and rate/increase
// get the same inputs as Prometheus' extrapolation. A plain selector at a multiple of R reads the
// last sample of the latest bucket ending at or before it.
#include <algorithm>
#include <string_view>

#include "query/eval_error.h"
#include "query/evaluator.h"
#include "query/functions.h"

namespace tidemark::query {

namespace {

using storage::RollupBucket;

enum class RollupFn { kAvg, kMin, kMax, kSum, kCount, kLast, kRate, kIncrease };

bool RollupFnOf(std::string_view name, RollupFn* fn) {
  static constexpr std::pair<std::string_view, RollupFn> kFns[] = {
      {"avg_over_time", RollupFn::kAvg},
      {"min_over_time", RollupFn::kMin},
      {"max_over_time", RollupFn::kMax},
      {"sum_over_time", RollupFn::kSum},
      {"count_over_time", RollupFn::kCount},
      {"last_over_time", RollupFn::kLast},
      {"rate", RollupFn::kRate},
      {"increase", RollupFn::kIncrease}};
  for (const auto& [n, f] : kFns) {
    if (n == name) {
      *fn = f;
      return true;
    }
  }
  return false;
}

bool Multiple(int64_t v, int64_t r) { return v % r == 0; }  // also for negative v

// The coarsest resolution that every given time/duration is a multiple of; 0 when none.
int64_t PickResolution(const std::vector<int64_t>& resolutions,
                       std::initializer_list<int64_t> aligned) {
  for (auto it = resolutions.rbegin(); it != resolutions.rend(); ++it) {
    bool ok = true;
    for (int64_t v : aligned) ok = ok && Multiple(v, *it);
    if (ok) return *it;
  }
  return 0;
}

std::optional<double> Apply(RollupFn fn, const RollupBucket& w, int64_t start, int64_t end,
                            int64_t range_ms) {
  switch (fn) {
    case RollupFn::kAvg:
      return w.sum / static_cast<double>(w.count);
    case RollupFn::kMin:
      return w.min;
    case RollupFn::kMax:
      return w.max;
    case RollupFn::kSum:
      return w.sum;
    case RollupFn::kCount:
      return static_cast<double>(w.count);
    case RollupFn::kLast:
      return w.last;
    case RollupFn::kRate:
    case RollupFn::kIncrease:
      // A gauge-like series whose raw data expired has no stored increase: no rate, rather
      // than a guess (storage/docs/rollups.md).
      if (w.count < 2 || !w.has_increase) return std::nullopt;
      return ExtrapolateChange({w.increase, w.first_t, w.first, w.last_t, w.count}, start, end,
                               range_ms, /*is_counter=*/true, fn == RollupFn::kRate);
  }
  return std::nullopt;
}

// The window [start, end] folded from `buckets` (ascending by end). `*from` is where the search
// for the first bucket starts and is left there for the next window; windows must come in
// ascending order of start.
RollupBucket Fold(const std::vector<RollupBucket>& buckets, int64_t start, int64_t end,
                  std::vector<RollupBucket>::const_iterator* from) {
  RollupBucket acc;
  auto it = *from;
  while (it != buckets.end() && it->end < start) ++it;
  *from = it;
  if (it != buckets.end() && it->end == start) {
    if (it->last_t == start) {  // the sample on the closed left edge of the window
      storage::AddToBucket(&acc, {it->last_t, it->last});
    }
    ++it;
  }
  for (; it != buckets.end() && it->end <= end; ++it) storage::MergeBuckets(&acc, *it);
  return acc;
}

}  // namespace

// The querier is kept beside the set: the set is read while the querier's view is held.
Evaluator::OpenedRollups Evaluator::OpenRollups(const std::vector<storage::Matcher>& matchers,
                                                int64_t mint, int64_t maxt,
                                                std::initializer_list<int64_t> aligned,
                                                storage::Querier::RollupFields fields) {
  OpenedRollups opened;
  opened.querier = (*factory_)(mint, maxt);
  const int64_t res = PickResolution(opened.querier->RollupResolutions(), aligned);
  if (res == 0) return {};
  opened.set = opened.querier->SelectRollups(matchers, res, fields);
  if (opened.set != nullptr) rollups_used_.insert(res);
  return opened;
}

Matrix Evaluator::CollectRollups(storage::RollupSeriesSet* set, bool keep_name,
                                 const RollupPointsFn& points_of) {
  Matrix result;
  while (set->Next()) {
    CheckInterrupt();
    const auto& buckets = set->buckets();
    AcquireSamples(buckets.size());
    Series series{keep_name ? set->labels() : DropMetricName(set->labels()), {}};
    points_of(buckets, &series);
    ReleaseSamples(buckets.size());
    AcquireSamples(series.points.size());
    if (!series.points.empty()) result.push_back(std::move(series));
  }
  ThrowIfStorageError(set->status());
  return result;
}

bool Evaluator::TryRollupRangeFunction(const Expr& e, const Steps& s, Matrix* out) {
  RollupFn fn;
  if (!opts_.use_rollups || !RollupFnOf(e.func->name, &fn) || e.args.size() != 1) return false;
  const Expr* u = Unparen(e.args[0].get());
  if (u->kind != NodeKind::kMatrixSelector) return false;
  const Expr& vs = *u->lhs;
  if (vs.at != AtKind::kNone) return false;
  const int64_t range = u->range_ms, offset = vs.offset_ms;
  const int64_t first_end = s.start - offset, last_end = s.At(s.Count() - 1) - offset;
  const bool counter = fn == RollupFn::kRate || fn == RollupFn::kIncrease;
  OpenedRollups opened =
      OpenRollups(vs.matchers, first_end - range, last_end, {range, s.interval, first_end},
                  counter ? storage::Querier::RollupFields::kWithIncrease
                          : storage::Querier::RollupFields::kAggregates);
  if (opened.set == nullptr) return false;
  Matrix result = CollectRollups(opened.set.get(), e.func->keeps_name,
                                 [&](const auto& buckets, Series* series) {
                                   auto from = buckets.begin();
                                   for (size_t i = 0; i < s.Count(); ++i) {
                                     const int64_t end = s.At(i) - offset;
                                     const RollupBucket w = Fold(buckets, end - range, end, &from);
                                     if (w.count == 0) continue;
                                     if (auto v = Apply(fn, w, end - range, end, range)) {
                                       series->points.push_back({s.At(i), *v});
                                     }
                                   }
                                 });
  *out = MergeSameLabels(std::move(result));
  return true;
}

bool Evaluator::TryRollupSelector(const Expr& vs, const Steps& s, Matrix* out) {
  if (!opts_.use_rollups || vs.at != AtKind::kNone) return false;
  const int64_t first_ref = s.start - vs.offset_ms;
  const int64_t last_ref = s.At(s.Count() - 1) - vs.offset_ms;
  OpenedRollups opened =
      OpenRollups(vs.matchers, first_ref - opts_.lookback_ms, last_ref, {s.interval, first_ref},
                  storage::Querier::RollupFields::kAggregates);
  if (opened.set == nullptr) return false;
  Matrix result = CollectRollups(opened.set.get(), /*keep_name=*/true,
                                 [&](const auto& buckets, Series* series) {
                                   auto it = buckets.begin();  // first bucket ending after the step
                                   for (size_t i = 0; i < s.Count(); ++i) {
                                     const int64_t ref = s.At(i) - vs.offset_ms;
                                     while (it != buckets.end() && it->end <= ref) ++it;
                                     if (it == buckets.begin()) continue;
                                     const RollupBucket& b = *std::prev(it);
                                     if (b.last_t < ref - opts_.lookback_ms) continue;
                                     series->points.push_back({s.At(i), b.last});
                                   }
                                 });
  *out = std::move(result);
  return true;
}

}  // namespace tidemark::query

// The read API of the store, for the query engine: a Querier over a time range selects series by
// label matchers; each selected series exposes its labels and an iterator over its samples in time
// order (one sample per timestamp; the last write wins), restricted to the querier's range.
//
// A Querier and what it returns are used by one thread at a time; several queriers may run in
// parallel with appends. They must not outlive the Storage that made them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"
#include "storage/labels.h"
#include "storage/matcher.h"
#include "storage/rollup.h"
#include "storage/write_batch.h"

namespace tidemark::storage {

class SampleIterator {
 public:
  virtual ~SampleIterator() = default;
  // Moves to the next sample (the first one on the first call); false at the end.
  virtual bool Next() = 0;
  // Moves to the first sample with t >= `t` (never backwards); false when there is none.
  virtual bool Seek(int64_t t) = 0;
  // The current sample; valid after Next/Seek returned true.
  virtual Sample At() const = 0;
};

class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  // Moves to the next series (sorted by labels); false at the end or on error (see status()).
  virtual bool Next() = 0;
  virtual const Labels& labels() const = 0;
  // Samples of the current series within the querier's [mint, maxt]; never empty. The iterator
  // may point into the set: use it before the next call to Next.
  virtual std::unique_ptr<SampleIterator> Samples() const = 0;
  // The same samples as one contiguous array when the set holds them so (valid until the next
  // call to Next), else empty: lets a reader of many samples skip the per-sample iterator calls.
  virtual std::span<const Sample> SampleSpan() const { return {}; }
  virtual base::Status status() const = 0;
};

// Rollup buckets of the selected series at one resolution (storage/rollup.h).
class RollupSeriesSet {
 public:
  virtual ~RollupSeriesSet() = default;
  // Moves to the next series (sorted by labels) with at least one bucket; false at the end or on
  // error (see status()).
  virtual bool Next() = 0;
  virtual const Labels& labels() const = 0;
  // Buckets of the current series, ascending by end; never empty.
  virtual const std::vector<RollupBucket>& buckets() const = 0;
  virtual base::Status status() const = 0;
};

// What the caller of a selection will look at, so the store may leave out samples that cannot
// change its answer (Prometheus' SelectHints play this part).
struct SelectHints {
  // Not INT64_MIN: the caller only reads, for times t >= latest_from, the newest sample at or
  // before t (an instant-vector selector evaluated at steps from latest_from on). A series may
  // then omit samples older than its newest sample at or before latest_from; every sample from
  // that one on is still there. Saves decoding a partition or chunk that a selector's lookback
  // merely reaches into.
  int64_t latest_from = INT64_MIN;
};

class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all `matchers` that have at least one sample in range.
  virtual std::unique_ptr<SeriesSet> Select(const std::vector<Matcher>& matchers) = 0;
  // As Select, with samples left out as `hints` allow: the same series (a series keeps at least
  // the sample a hint relies on), possibly fewer samples each. The default keeps them all.
  virtual std::unique_ptr<SeriesSet> SelectWithHints(const std::vector<Matcher>& matchers,
                                                     const SelectHints& hints) {
    (void)hints;
    return Select(matchers);
  }
  // Sorted label names / values of the series the matchers select (all series when empty),
  // regardless of the querier's time range.
  virtual base::Result<std::vector<std::string>> LabelNames(
      const std::vector<Matcher>& matchers) = 0;
  virtual base::Result<std::vector<std::string>> LabelValues(
      const std::string& name, const std::vector<Matcher>& matchers) = 0;

  virtual int64_t mint() const = 0;
  virtual int64_t maxt() const = 0;

  // Resolutions (ms) of the rollup tiers this querier reads, ascending; empty when none.
  virtual std::vector<int64_t> RollupResolutions() const { return {}; }
  // Buckets of resolution `res` whose end lies in [mint, maxt] for the series matching
  // `matchers`: as if built from all raw data at the time of the call, except where raw data
  // has expired (those buckets are as stored). Stored buckets of gauge-like series lack their
  // counter increase (RollupBucket::has_increase); with `fields` kWithIncrease those are built
  // from raw data too where it is retained. Null when no tier has resolution `res`.
  enum class RollupFields { kAggregates, kWithIncrease };
  virtual std::unique_ptr<RollupSeriesSet> SelectRollups(const std::vector<Matcher>& matchers,
                                                         int64_t res, RollupFields fields) {
    (void)matchers;
    (void)res;
    (void)fields;
    return nullptr;
  }
  // The oldest time raw samples are kept for (now - raw retention); INT64_MIN when unbounded.
  virtual int64_t RawHorizon() const { return INT64_MIN; }
};

// An iterator over a time-sorted vector of samples.
class VectorSampleIterator final : public SampleIterator {
 public:
  explicit VectorSampleIterator(std::vector<Sample> samples) : samples_(std::move(samples)) {}
  bool Next() override { return ++pos_ < samples_.size(); }
  bool Seek(int64_t t) override {
    if (pos_ == kBeforeStart) pos_ = 0;
    while (pos_ < samples_.size() && samples_[pos_].t < t) ++pos_;
    return pos_ < samples_.size();
  }
  Sample At() const override { return samples_[pos_]; }

 private:
  static constexpr size_t kBeforeStart = static_cast<size_t>(-1);
  std::vector<Sample> samples_;
  size_t pos_ = kBeforeStart;
};

}  // namespace tidemark::storage

// MemoryQuerier: an in-memory storage::Querier over a fixed set of series, for engine tests and
// benchmarks that should not depend on the store.
//
// Build it on one thread; afterwards Factory() queriers only read it (safe from any thread).
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "query/evaluator.h"
#include "storage/querier.h"

namespace tidemark::query {

struct MemorySeries {
  storage::Labels labels;
  std::vector<storage::Sample> samples;  // sorted by time
};

class MemoryQuerier final : public storage::Querier {
 public:
  MemoryQuerier(const std::vector<MemorySeries>* data, int64_t mint, int64_t maxt)
      : data_(data), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<storage::SeriesSet> Select(
      const std::vector<storage::Matcher>& matchers) override {
    auto set = std::make_unique<Set>();
    for (const MemorySeries& s : *data_) {
      if (!storage::MatchesAll(matchers, s.labels)) continue;
      std::vector<storage::Sample> in_range;
      for (const auto& smp : s.samples) {
        if (smp.t >= mint_ && smp.t <= maxt_) in_range.push_back(smp);
      }
      if (!in_range.empty()) set->series.push_back({s.labels, std::move(in_range)});
    }
    std::sort(set->series.begin(), set->series.end(),
              [](const MemorySeries& a, const MemorySeries& b) { return a.labels < b.labels; });
    return set;
  }
  base::Result<std::vector<std::string>> LabelNames(const std::vector<storage::Matcher>&) override {
    return std::vector<std::string>{};
  }
  base::Result<std::vector<std::string>> LabelValues(
      const std::string&, const std::vector<storage::Matcher>&) override {
    return std::vector<std::string>{};
  }
  int64_t mint() const override { return mint_; }
  int64_t maxt() const override { return maxt_; }

  // A factory over `data`, which must outlive it.
  static QuerierFactory Factory(const std::vector<MemorySeries>* data) {
    return [data](int64_t mint, int64_t maxt) {
      return std::make_unique<MemoryQuerier>(data, mint, maxt);
    };
  }

 private:
  struct Set final : storage::SeriesSet {
    bool Next() override { return ++pos < series.size(); }
    const storage::Labels& labels() const override { return series[pos].labels; }
    std::unique_ptr<storage::SampleIterator> Samples() const override {
      return std::make_unique<storage::VectorSampleIterator>(series[pos].samples);
    }
    base::Status status() const override { return base::Status::Ok(); }
    std::vector<MemorySeries> series;
    size_t pos = static_cast<size_t>(-1);
  };

  const std::vector<MemorySeries>* data_;
  int64_t mint_;
  int64_t maxt_;
};

}  // namespace tidemark::query

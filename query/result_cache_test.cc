// The query result cache against a real store: cached answers (range and instant) must equal
// fresh evaluation, late writes into a cached range or before a cached instant must change the
// next answer, a shifted window must reuse the overlap (seen in the hit counters), and the memory
// bound must hold.
#include "query/result_cache.h"

#include <gtest/gtest.h>

#include <variant>

#include "query/parser.h"
#include "tests/support/temp_storage.h"

namespace tidemark::query {
namespace {

using storage::Labels;

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kNow = 1'763'769'600'000;  // 2025-11-22T00:00:00Z
constexpr int64_t kFrom = kNow - 6 * kHour;  // data: six hours up to now

Labels SeriesLabels(const std::string& name, int device) {
  return Labels({{"__name__", name},
                 {"device", "d" + std::to_string(device)},
                 {"site", "s" + std::to_string(device % 2)}});
}

class ResultCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.status().ok()) << store_.status().ToString();
    storage::WriteBatch b;
    for (int dev = 0; dev < 4; ++dev) {
      for (int64_t t = kFrom + 1000 * dev, i = 0; t <= kNow; t += 10'000, ++i) {
        b.Add(SeriesLabels("temp", dev), t, static_cast<double>((i * 37 + dev) % 101) * 0.5);
        b.Add(SeriesLabels("hits_total", dev), t, static_cast<double>(i * (dev + 1)));
      }
    }
    ASSERT_TRUE(store_->Append(b).ok());
  }

  ResultCache MakeCache(size_t max_bytes = 64 << 20) {
    storage::Storage* st = store_.get();
    return ResultCache(
        ResultCacheOptions{max_bytes},
        CacheFreshness{[st] { return st->SettledHorizon(); },
                       [st](std::string_view n) { return st->LateWriteGeneration(n); }});
  }

  Matrix Direct(const std::string& q, int64_t start, int64_t end, int64_t step) {
    auto r = engine_.RangeQuery(factory_, q, start, end, step);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? std::get<Matrix>(*r) : Matrix{};
  }
  Matrix Cached(ResultCache& cache, const std::string& q, int64_t start, int64_t end,
                int64_t step) {
    auto r = cache.RangeQuery(engine_, factory_, q, start, end, step, QueryOptions{}, nullptr);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? std::get<Matrix>(*r) : Matrix{};
  }
  Value DirectInstant(const std::string& q, int64_t t) {
    auto r = engine_.InstantQuery(factory_, q, t);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? *r : Value{};
  }
  Value CachedInstant(ResultCache& cache, const std::string& q, int64_t t) {
    auto r = cache.InstantQuery(engine_, factory_, q, t);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? *r : Value{};
  }
  void Append(const Labels& labels, int64_t t, double v) {
    storage::WriteBatch b;
    b.Add(labels, t, v);
    ASSERT_TRUE(store_->Append(b).ok());
  }

  testing::TempStorage store_{kNow};
  Engine engine_;
  QuerierFactory factory_ = [this](int64_t mint, int64_t maxt) {
    return store_->NewQuerier(mint, maxt);
  };
};

void ExpectSame(const Matrix& want, const Matrix& got, const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].metric, got[i].metric) << what;
    ASSERT_EQ(want[i].points.size(), got[i].points.size()) << what << " " << i;
    for (size_t j = 0; j < want[i].points.size(); ++j) {
      EXPECT_EQ(want[i].points[j].t, got[i].points[j].t) << what;
      EXPECT_EQ(want[i].points[j].v, got[i].points[j].v) << what;
    }
  }
}

// Instant answers: same type, same samples in the same order (topk and sort_desc order them).
void ExpectSameValue(const Value& want, const Value& got, const std::string& what) {
  ASSERT_EQ(want.index(), got.index()) << what;
  if (const auto* w = std::get_if<Scalar>(&want)) {
    EXPECT_EQ(w->t, std::get<Scalar>(got).t) << what;
    EXPECT_EQ(w->v, std::get<Scalar>(got).v) << what;
    return;
  }
  const Vector& wv = std::get<Vector>(want);
  const Vector& gv = std::get<Vector>(got);
  ASSERT_EQ(wv.size(), gv.size()) << what;
  for (size_t i = 0; i < wv.size(); ++i) {
    EXPECT_EQ(wv[i].metric, gv[i].metric) << what << " " << i;
    EXPECT_EQ(wv[i].t, gv[i].t) << what << " " << i;
    EXPECT_EQ(wv[i].v, gv[i].v) << what << " " << i;
  }
}

const char* kQueries[] = {
    "temp",
    "avg by (site) (temp)",
    "sum(rate(hits_total[5m]))",
    "max_over_time(temp{site=\"s1\"}[10m]) - on(device, site) avg_over_time(temp[30m])",
    "avg_over_time(temp[15m:1m] offset 5m)",
    "topk(2, temp)",
    "scalar(sum(temp)) * 2",
    "time()",
};

TEST_F(ResultCacheTest, HitsAnswerAsAMissAndAsTheEngine) {
  ResultCache cache = MakeCache();
  const int64_t start = kFrom + kHour, end = kNow, step = 60'000;
  for (const char* q : kQueries) {
    const Matrix want = Direct(q, start, end, step);
    ExpectSame(want, Cached(cache, q, start, end, step), std::string(q) + " (miss)");
    ExpectSame(want, Cached(cache, q, start, end, step), std::string(q) + " (hit)");
  }
  const ResultCacheStats s = cache.Stats();
  EXPECT_EQ(s.misses, std::size(kQueries));
  // The last steps lie after the settle horizon: every hit evaluates them again.
  EXPECT_EQ(s.hits, std::size(kQueries));
  EXPECT_EQ(s.partial_hits, std::size(kQueries));
  EXPECT_EQ(s.entries, std::size(kQueries));
}

TEST_F(ResultCacheTest, WholeWindowInSettledTimeIsServedWithoutEvaluation) {
  ResultCache cache = MakeCache();
  const std::string q = "avg by (site) (temp)";
  const int64_t start = kFrom + kHour, end = kNow - kHour, step = 5 * kMin;
  const Matrix first = Cached(cache, q, start, end, step);
  const Matrix second = Cached(cache, q, start, end, step);
  ExpectSame(first, second, q);
  EXPECT_EQ(cache.Stats().hits, 1u);
  EXPECT_EQ(cache.Stats().partial_hits, 0u);
}

TEST_F(ResultCacheTest, LateWriteIntoCachedRangeChangesTheNextAnswer) {
  ResultCache cache = MakeCache();
  const std::string q = "max by (site) (temp)";
  const int64_t start = kFrom + kHour, end = kNow - kHour, step = 5 * kMin;
  const Matrix before = Cached(cache, q, start, end, step);
  ASSERT_EQ(cache.Stats().misses, 1u);
  // Two hours late: far behind the settle horizon, inside the cached window.
  Append(SeriesLabels("temp", 1), kFrom + 2 * kHour, 1000.0);  // on a step
  const Matrix after = Cached(cache, q, start, end, step);
  ExpectSame(Direct(q, start, end, step), after, "after the late write");
  bool changed = false;
  for (const Series& s : after) {
    for (const Point& p : s.points) changed = changed || p.v == 1000.0;
  }
  EXPECT_TRUE(changed);
  EXPECT_EQ(cache.Stats().invalidations, 1u);
  EXPECT_EQ(cache.Stats().misses, 2u);
}

TEST_F(ResultCacheTest, LateWriteToAnotherMetricKeepsTheEntry) {
  ResultCache cache = MakeCache();
  const std::string q = "sum(rate(hits_total[5m]))";
  const int64_t start = kFrom + kHour, end = kNow - kHour, step = 5 * kMin;
  Cached(cache, q, start, end, step);
  const uint64_t hits_gen = store_->LateWriteGeneration("hits_total");
  Append(SeriesLabels("temp", 0), kFrom + 2 * kHour + 700, 5.0);
  ASSERT_EQ(store_->LateWriteGeneration("hits_total"), hits_gen) << "names share a bucket";
  Cached(cache, q, start, end, step);
  EXPECT_EQ(cache.Stats().hits, 1u);
  EXPECT_EQ(cache.Stats().invalidations, 0u);
}

TEST_F(ResultCacheTest, FreshSamplesAfterTheHorizonAreNotLateAndStillAppear) {
  ResultCache cache = MakeCache();
  const std::string q = "max(temp)";
  const int64_t start = kFrom + kHour, step = kMin;
  Cached(cache, q, start, kNow, step);
  const uint64_t gen = store_->LateWriteGeneration("");
  store_.clock().Advance(kMin);
  Append(SeriesLabels("temp", 2), kNow + 30'000, 777.0);
  EXPECT_EQ(store_->LateWriteGeneration(""), gen);
  const Matrix got = Cached(cache, q, start, kNow + kMin, step);
  ExpectSame(Direct(q, start, kNow + kMin, step), got, q);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].points.back().v, 777.0);
  EXPECT_EQ(cache.Stats().hits, 1u);
}

TEST_F(ResultCacheTest, ShiftedWindowReusesTheOverlap) {
  ResultCache cache = MakeCache();
  const std::string q = "avg by (site) (rate(hits_total[5m]))";
  const int64_t step = 5 * kMin, start = kFrom + kHour, end = kNow - 2 * kHour;
  Cached(cache, q, start, end, step);
  // A Grafana refresh: the window moves forward by whole steps.
  const int64_t shift = 6 * step;
  const Matrix got = Cached(cache, q, start + shift, end + shift, step);
  ExpectSame(Direct(q, start + shift, end + shift, step), got, q);
  EXPECT_EQ(cache.Stats().hits, 1u);
  EXPECT_EQ(cache.Stats().partial_hits, 1u);
  EXPECT_EQ(cache.Stats().misses, 1u);
  // A start off the cached grid is another key.
  Cached(cache, q, start + shift + 1000, end + shift, step);
  EXPECT_EQ(cache.Stats().misses, 2u);
}

TEST_F(ResultCacheTest, MemoryBoundIsRespected) {
  const size_t bound = 256 << 10;  // room for ~16 of the 40 results
  ResultCache cache = MakeCache(bound);
  const int64_t start = kFrom + kHour, end = kNow - kHour;
  for (int i = 1; i <= 40; ++i) {
    Cached(cache, "temp * " + std::to_string(i), start, end, kMin);
    EXPECT_LE(cache.Stats().bytes, bound);
  }
  const ResultCacheStats s = cache.Stats();
  EXPECT_GT(s.evictions, 0u);
  EXPECT_GT(s.entries, 0u);
  // The most recent entry survived; the oldest did not.
  Cached(cache, "temp * 40", start, end, kMin);
  EXPECT_EQ(cache.Stats().hits, 1u);
  Cached(cache, "temp * 1", start, end, kMin);
  EXPECT_EQ(cache.Stats().misses, 41u);
}

TEST_F(ResultCacheTest, RangeDependentQueriesBypassTheCache) {
  ResultCache cache = MakeCache();
  const int64_t start = kFrom + kHour, end = kNow - kHour, step = 5 * kMin;
  for (const std::string q :
       {"temp @ end()", "temp offset -5m", "rate(hits_total[5m] @ start())"}) {
    ExpectSame(Direct(q, start, end, step), Cached(cache, q, start, end, step), q);
  }
  EXPECT_EQ(cache.Stats().bypassed, 3u);
  EXPECT_EQ(cache.Stats().entries, 0u);
}

TEST_F(ResultCacheTest, InstantHitsAnswerAsTheEngineInItsOrder) {
  ResultCache cache = MakeCache();
  const int64_t t = kNow - kHour + 7'000;  // settled, between samples
  std::vector<std::string> queries(std::begin(kQueries), std::end(kQueries));
  queries.push_back("sort_desc(temp)");
  for (const std::string& q : queries) {
    const Value want = DirectInstant(q, t);
    ExpectSameValue(want, CachedInstant(cache, q, t), q + " (miss)");
    ExpectSameValue(want, CachedInstant(cache, q, t), q + " (hit)");
  }
  const ResultCacheStats s = cache.Stats();
  EXPECT_EQ(s.misses, queries.size());
  EXPECT_EQ(s.hits, queries.size());
  EXPECT_EQ(s.entries, queries.size());
  // Another time is another entry; a range query over that one step is not an instant entry.
  CachedInstant(cache, "topk(2, temp)", t + 1000);
  Cached(cache, "topk(2, temp)", t, t, kMin);
  EXPECT_EQ(cache.Stats().misses, queries.size() + 2);
}

TEST_F(ResultCacheTest, LateWriteChangesTheNextInstantAnswer) {
  ResultCache cache = MakeCache();
  const int64_t t = kNow - kHour;
  for (const std::string q : {"count(temp)", "max(temp)"}) CachedInstant(cache, q, t);
  // An hour late: a new series, and a new maximum on an existing one.
  Append(SeriesLabels("temp", 9), t - 1000, 1.0);
  Append(SeriesLabels("temp", 1), t - 500, 1000.0);
  for (const std::string q : {"count(temp)", "max(temp)"}) {
    ExpectSameValue(DirectInstant(q, t), CachedInstant(cache, q, t), q);
  }
  EXPECT_EQ(std::get<Vector>(CachedInstant(cache, "count(temp)", t)).at(0).v, 5.0);
  EXPECT_EQ(std::get<Vector>(CachedInstant(cache, "max(temp)", t)).at(0).v, 1000.0);
  EXPECT_EQ(cache.Stats().invalidations, 2u);
  EXPECT_EQ(cache.Stats().misses, 4u);
  EXPECT_EQ(cache.Stats().hits, 2u);
}

TEST_F(ResultCacheTest, InstantQueriesAfterTheHorizonAreNotCached) {
  ResultCache cache = MakeCache();
  const std::string q = "max(temp)";
  ExpectSameValue(DirectInstant(q, kNow), CachedInstant(cache, q, kNow), q);
  // A fresh sample (not a late write) must show at once.
  store_.clock().Advance(kMin);
  Append(SeriesLabels("temp", 2), kNow + 30'000, 777.0);
  EXPECT_EQ(std::get<Vector>(CachedInstant(cache, q, kNow + 30'000)).at(0).v, 777.0);
  const ResultCacheStats s = cache.Stats();
  EXPECT_EQ(s.hits + s.misses + s.bypassed, 0u);
  EXPECT_EQ(s.entries, 0u);
  // `@` bypasses an instant query at a settled time, as it does a range query.
  const std::string at = "temp @ " + std::to_string((kNow - kHour) / 1000);
  ExpectSameValue(DirectInstant(at, kNow - kHour), CachedInstant(cache, at, kNow - kHour), at);
  EXPECT_EQ(cache.Stats().bypassed, 1u);
}

TEST(CachePlanTest, LookbehindAndNames) {
  auto expr =
      ParseExpr("rate(a[5m] offset 1m) + avg_over_time(b{x=\"1\"}[10m:1m]) + on() {y=\"2\"}");
  ASSERT_TRUE(expr.ok());
  const CachePlan plan = PlanCaching(**expr, 5 * kMin, kMin);
  EXPECT_TRUE(plan.cacheable);
  // The subquery: 10m range + one 1m alignment step + the inner selector's 5m lookback.
  EXPECT_EQ(plan.lookbehind_ms, 16 * kMin);
  EXPECT_EQ(plan.metric_names, (std::vector<std::string>{"", "a", "b"}));
}

}  // namespace
}  // namespace tidemark::query

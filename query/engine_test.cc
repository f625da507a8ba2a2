#include "query/engine.h"

#include <atomic>
#include <cmath>
#include <thread>

#include "gtest/gtest.h"
#include "query/memory_querier.h"

namespace tidemark::query {
namespace {

using storage::Labels;

constexpr int64_t kMin = 60'000;

// Series a{i="0".."n-1"} with value i*100 + minute every minute for `minutes` minutes.
std::vector<MemorySeries> Data(int n = 3, int minutes = 60) {
  std::vector<MemorySeries> out;
  for (int i = 0; i < n; ++i) {
    MemorySeries s{Labels{{"__name__", "a"}, {"i", std::to_string(i)}}, {}};
    for (int m = 0; m < minutes; ++m) s.samples.push_back({m * kMin, i * 100.0 + m});
    out.push_back(std::move(s));
  }
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  base::Result<Value> Instant(const std::string& q, int64_t t) {
    return engine_.InstantQuery(factory_, q, t);
  }
  base::Result<Value> Range(const std::string& q, int64_t s, int64_t e, int64_t step) {
    return engine_.RangeQuery(factory_, q, s, e, step);
  }

  std::vector<MemorySeries> data_ = Data();
  QuerierFactory factory_ = MemoryQuerier::Factory(&data_);
  Engine engine_;
};

TEST_F(EngineTest, InstantVector) {
  auto r = Instant("a > 100", 10 * kMin);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Vector& v = std::get<Vector>(*r);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].metric.ToString(), "a{i=\"1\"}");
  EXPECT_EQ(v[0].v, 110);
  EXPECT_EQ(v[0].t, 10 * kMin);
}

TEST_F(EngineTest, ScalarStringAndMatrixResults) {
  auto s = Instant("scalar(a{i=\"2\"}) * 2", 5 * kMin);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(std::get<Scalar>(*s).v, 410);
  auto str = Instant("\"hello\"", 0);
  ASSERT_TRUE(str.ok());
  EXPECT_EQ(std::get<String>(*str).v, "hello");
  auto m = Instant("a{i=\"0\"}[3m]", 10 * kMin);
  ASSERT_TRUE(m.ok());
  const Matrix& mat = std::get<Matrix>(*m);
  ASSERT_EQ(mat.size(), 1u);
  EXPECT_EQ(mat[0].points.size(), 4u);  // 7m, 8m, 9m, 10m: both window ends are inclusive
  EXPECT_EQ(mat[0].metric.MetricName(), "a");
}

TEST_F(EngineTest, RangeQuerySortedMatrix) {
  auto r = Range("sum by (i) (a) - 1", 0, 10 * kMin, kMin);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Matrix& m = std::get<Matrix>(*r);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_LT(m[0].metric, m[1].metric);
  ASSERT_EQ(m[2].points.size(), 11u);
  EXPECT_EQ(m[2].points[10].t, 10 * kMin);
  EXPECT_EQ(m[2].points[10].v, 209);
  auto scalar = Range("time()", 0, 2 * kMin, kMin);
  ASSERT_TRUE(scalar.ok());
  ASSERT_EQ(std::get<Matrix>(*scalar).size(), 1u);
  EXPECT_EQ(std::get<Matrix>(*scalar)[0].points[2].v, 120);
}

TEST_F(EngineTest, LookbackAndStaleness) {
  data_.push_back({Labels{{"__name__", "b"}}, {}});
  data_.back().samples = {{0, 1}, {2 * kMin, StaleNaN()}};
  auto before = Instant("b", kMin);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(std::get<Vector>(*before).size(), 1u);
  auto stale = Instant("b", 3 * kMin);
  ASSERT_TRUE(stale.ok());
  EXPECT_TRUE(std::get<Vector>(*stale).empty());
  auto gone = Instant("a", 60 * kMin + 6 * kMin);  // last sample at 59m, lookback 5m
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(std::get<Vector>(*gone).empty());
}

TEST_F(EngineTest, OffsetAtAndSubquery) {
  auto off = Instant("a{i=\"0\"} offset 5m", 10 * kMin);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(std::get<Vector>(*off)[0].v, 5);
  auto at = Range("a{i=\"0\"} @ 120", 0, 10 * kMin, 5 * kMin);
  ASSERT_TRUE(at.ok());
  for (const Point& p : std::get<Matrix>(*at)[0].points) EXPECT_EQ(p.v, 2);
  auto sq = Instant("max_over_time(a{i=\"1\"}[10m:2m])", 30 * kMin);
  ASSERT_TRUE(sq.ok()) << sq.status().ToString();
  EXPECT_EQ(std::get<Vector>(*sq)[0].v, 130);
}

TEST_F(EngineTest, ErrorTypes) {
  auto parse = Instant("sum(a", 0);
  ASSERT_FALSE(parse.ok());
  EXPECT_EQ(ErrorTypeOf(parse.status()), ErrorType::kBadData);
  EXPECT_EQ(parse.status().message(), "1:6: parse error: unclosed left parenthesis");
  auto range_type = Range("a[5m]", 0, kMin, kMin);
  ASSERT_FALSE(range_type.ok());
  EXPECT_EQ(ErrorTypeOf(range_type.status()), ErrorType::kBadData);
  auto string_type = Range("\"x\"", 0, kMin, kMin);
  EXPECT_FALSE(string_type.ok());
  EXPECT_FALSE(Range("a", 0, kMin, 0).ok());
  auto many = Instant("a + on() a", kMin);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(ErrorTypeOf(many.status()), ErrorType::kExecution);
  EXPECT_NE(many.status().message().find("many-to-many matching not allowed"), std::string::npos);
  EXPECT_EQ(ErrorTypeName(ErrorType::kTimeout), "timeout");
}

TEST_F(EngineTest, PointsPerSeriesLimit) {
  auto r = Range("a", 0, 11'000 * kMin, kMin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kBadData);
  EXPECT_NE(r.status().message().find("exceeded maximum resolution of 11,000 points"),
            std::string::npos);
  EXPECT_TRUE(Range("a", 0, 10'999 * kMin, kMin).ok());
}

TEST_F(EngineTest, MaxSamples) {
  EngineOptions opts;
  opts.max_samples = 100;
  Engine small(opts);
  // Range selectors stream one series at a time: 3 x 60 samples, but never 100 at once.
  auto streamed = small.InstantQuery(factory_, "count_over_time(a[1h])", 60 * kMin);
  ASSERT_TRUE(streamed.ok()) << streamed.status().ToString();
  EXPECT_EQ(std::get<Vector>(*streamed).size(), 3u);
  // The whole window held at once (an instant range-vector result) exceeds it.
  auto r = small.InstantQuery(factory_, "a[1h]", 60 * kMin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kExecution);
  EXPECT_EQ(r.status().message(),
            "query processing would load too many samples into memory in query execution");
  EXPECT_TRUE(small.InstantQuery(factory_, "a", 60 * kMin).ok());
}

TEST_F(EngineTest, TimeoutAndCancellation) {
  EngineOptions opts;
  opts.timeout_ms = 0;
  Engine zero(opts);
  auto r = zero.RangeQuery(factory_, "sum(a) + 1", 0, 10'000 * kMin, kMin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kTimeout);
  EXPECT_EQ(r.status().message(), "query timed out in expression evaluation");
  std::atomic<bool> cancel{true};
  auto c = engine_.RangeQuery(factory_, "sum(a) + 1", 0, 10'000 * kMin, kMin, &cancel);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(ErrorTypeOf(c.status()), ErrorType::kCanceled);
  EXPECT_EQ(c.status().message(), "query was canceled in expression evaluation");
}

TEST_F(EngineTest, RateExtrapolation) {
  // Counter +1/min: rate over 5m at 30m is exactly 1/60 per second.
  auto r = Instant("rate(a{i=\"0\"}[5m])", 30 * kMin);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(std::get<Vector>(*r)[0].v, 1.0 / 60, 1e-12);
  EXPECT_TRUE(std::get<Vector>(*r)[0].metric.MetricName().empty());
}

}  // namespace
}  // namespace tidemark::query

namespace tidemark::query {
namespace {

TEST_F(EngineTest, DeepChainEvaluates) {
  std::string chain = "a";
  for (int i = 0; i < 350; ++i) chain += " + a";
  auto r = Instant(chain, 10 * kMin);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::get<Vector>(*r)[0].v, 351 * 10);
}

TEST_F(EngineTest, HugeSubqueryGridHitsSampleLimit) {
  auto r = Instant("max_over_time(a[100y:1ms])", 10 * kMin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kExecution);
}

}  // namespace
}  // namespace tidemark::query

namespace tidemark::query {
namespace {

// A store whose reads fail.
class FailingQuerier final : public storage::Querier {
 public:
  struct Set final : storage::SeriesSet {
    bool Next() override { return false; }
    const storage::Labels& labels() const override { return labels_; }
    std::unique_ptr<storage::SampleIterator> Samples() const override { return nullptr; }
    base::Status status() const override { return base::Status::IoError("disk on fire"); }
    storage::Labels labels_;
  };
  std::unique_ptr<storage::SeriesSet> Select(const std::vector<storage::Matcher>&) override {
    return std::make_unique<Set>();
  }
  base::Result<std::vector<std::string>> LabelNames(const std::vector<storage::Matcher>&) override {
    return std::vector<std::string>{};
  }
  base::Result<std::vector<std::string>> LabelValues(
      const std::string&, const std::vector<storage::Matcher>&) override {
    return std::vector<std::string>{};
  }
  int64_t mint() const override { return 0; }
  int64_t maxt() const override { return 0; }
};

TEST_F(EngineTest, StorageErrorsAreInternal) {
  const QuerierFactory failing = [](int64_t, int64_t) {
    return std::make_unique<FailingQuerier>();
  };
  for (const char* q : {"a", "rate(a[5m])"}) {
    auto r = engine_.InstantQuery(failing, q, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kInternal);
    EXPECT_EQ(r.status().message(), "disk on fire");
  }
}

TEST_F(EngineTest, DateFunctionsOutsideTheCalendar) {
  auto r = Instant("days_in_month(vector(1412e+85)) + year(vector(-1e300))", 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(std::isnan(std::get<Vector>(*r)[0].v));
  auto ok = Instant("year(vector(1e9))", 0);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(std::get<Vector>(*ok)[0].v, 2001);
}

TEST_F(EngineTest, ConcurrentQueriesShareOneEngine) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto r = engine_.RangeQuery(factory_, "sum by (i) (rate(a[5m])) * " + std::to_string(t), 0,
                                    30 * kMin, kMin);
        if (!r.ok() || std::get<Matrix>(*r).size() != 3) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// Prometheus' max/min_over_time: a NaN gives way to any later value and never replaces a number;
// only an all-NaN window is NaN. Stale markers are not samples (the range path filters them).
TEST(EngineRangeFunctions, MaxMinOverTimeNaNsAndStaleMarkers) {
  const double nan = std::nan("");
  auto series = [](const std::string& name, std::vector<double> values) {
    MemorySeries s{Labels{{"__name__", name}}, {}};
    for (size_t i = 0; i < values.size(); ++i) {
      s.samples.push_back({static_cast<int64_t>(i) * kMin, values[i]});
    }
    return s;
  };
  std::vector<MemorySeries> data = {series("lead", {nan, 3, nan, 5, 1}),
                                    series("mid", {2, nan, 1, nan}), series("all", {nan, nan}),
                                    series("stale", {4, StaleNaN(), 9, StaleNaN()})};
  const QuerierFactory factory = MemoryQuerier::Factory(&data);
  const Engine engine;
  auto value = [&](const std::string& q) {
    auto r = engine.InstantQuery(factory, q, 4 * kMin);
    EXPECT_TRUE(r.ok()) << q;
    const Vector& v = std::get<Vector>(*r);
    EXPECT_EQ(v.size(), 1u) << q;
    return v.empty() ? -1.0 : v[0].v;
  };
  EXPECT_EQ(value("max_over_time(lead[10m])"), 5);
  EXPECT_EQ(value("min_over_time(lead[10m])"), 1);
  EXPECT_EQ(value("max_over_time(mid[10m])"), 2);
  EXPECT_EQ(value("min_over_time(mid[10m])"), 1);
  EXPECT_TRUE(std::isnan(value("max_over_time(all[10m])")));
  EXPECT_TRUE(std::isnan(value("min_over_time(all[10m])")));
  EXPECT_EQ(value("max_over_time(stale[10m])"), 9);
  EXPECT_EQ(value("count_over_time(stale[10m])"), 2);
  EXPECT_EQ(value("min_over_time(stale[10m])"), 4);
}

}  // namespace
}  // namespace tidemark::query

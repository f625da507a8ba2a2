// Range queries answered from rollup tiers must equal the same queries over raw samples: the
// engine runs each query twice against one real store (force_raw vs automatic tier choice).
#include <gtest/gtest.h>

#include <cmath>
#include <variant>

#include "query/engine.h"
#include "tests/support/temp_storage.h"

namespace tidemark::query {
namespace {

using storage::Labels;
using storage::Sample;

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kStart = 1'763'769'600'000;  // 2025-11-22T00:00:00Z
constexpr int64_t kFrom = kStart - 2 * kDay;   // data: two days up to kStart

storage::StorageOptions Options() {
  storage::StorageOptions o;
  o.retention_ms = 30 * kDay;
  o.tiers = {{5 * kMin, 10 * kDay, kDay}, {kHour, 90 * kDay, 0}};
  return o;
}

// Gauges with exactly representable values (sums do not depend on the order of additions) and
// counters with resets, at 10 s, with a 40-minute gap on one device and late samples.
void Fill(storage::Storage* store) {
  storage::WriteBatch b;
  for (int site = 0; site < 2; ++site) {
    for (int dev = 0; dev < 3; ++dev) {
      Labels temp({{"__name__", "temp"},
                   {"site", "s" + std::to_string(site)},
                   {"device", "d" + std::to_string(dev)}});
      Labels packets({{"__name__", "packets_total"},
                      {"site", "s" + std::to_string(site)},
                      {"device", "d" + std::to_string(dev)}});
      // A room temperature: a random walk in quarter degrees, so that most buckets dip.
      Labels room({{"__name__", "room"},
                   {"site", "s" + std::to_string(site)},
                   {"device", "d" + std::to_string(dev)}});
      std::vector<Sample> t, p, r;
      double counter = 50.0 * dev;
      double level = 20 + dev;
      int64_t i = 0;
      for (int64_t ts = kFrom + 1000 * dev; ts <= kStart; ts += 10'000, ++i) {
        if (dev == 2 && ts > kFrom + 5 * kHour && ts < kFrom + 5 * kHour + 40 * kMin) continue;
        t.push_back({ts, static_cast<double>((i * 7919 + site * 13) % 301) * 0.25 - 10});
        counter = (i % 997 == 996) ? 1 : counter + static_cast<double>(i % 7);
        p.push_back({ts, counter});
        level += 0.25 * static_cast<double>((i * 7919 + dev) % 3 - 1);
        r.push_back({ts, level});
      }
      b.Add(temp, t);
      b.Add(packets, p);
      b.Add(room, r);
    }
  }
  ASSERT_TRUE(store->Append(b).ok());
}

class RollupQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.status().ok()) << store_.status().ToString();
    Fill(store_.get());
    store_.clock().Set(kStart + 5 * kHour);
    ASSERT_TRUE(store_->RunMaintenance().ok());
    ASSERT_EQ(store_->Stats().head_series, 0u);
    // A late sample for a bucket sealed long ago, still only in the head.
    storage::WriteBatch late;
    late.Add(Labels({{"__name__", "temp"}, {"site", "s0"}, {"device", "d0"}}),
             kFrom + 3 * kHour + 5'000, 99.5);
    ASSERT_TRUE(store_->Append(late).ok());
  }

  Matrix Run(const std::string& q, int64_t start, int64_t end, int64_t step, bool raw,
             QueryInfo* info) {
    auto r = engine_.RangeQuery(factory_, q, start, end, step, QueryOptions{raw}, info);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    if (!r.ok()) return {};
    return std::get<Matrix>(*r);
  }

  // Runs `q` both ways; the automatic run must be answered by rollups only.
  void ExpectSameAnswer(const std::string& q, int64_t step, double rel_tolerance,
                        const std::string& want_tier) {
    SCOPED_TRACE(q + " step " + std::to_string(step));
    QueryInfo raw_info, tier_info;
    const int64_t start = kFrom + 2 * kHour, end = kStart;
    Matrix raw = Run(q, start, end, step, true, &raw_info);
    Matrix tier = Run(q, start, end, step, false, &tier_info);
    EXPECT_EQ(raw_info.TierSummary(), "raw");
    EXPECT_EQ(tier_info.TierSummary(), want_tier);
    ASSERT_FALSE(raw.empty());
    ASSERT_EQ(raw.size(), tier.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      ASSERT_EQ(raw[i].metric, tier[i].metric);
      ASSERT_EQ(raw[i].points.size(), tier[i].points.size()) << raw[i].metric.ToString();
      for (size_t k = 0; k < raw[i].points.size(); ++k) {
        const Point& a = raw[i].points[k];
        const Point& b = tier[i].points[k];
        ASSERT_EQ(a.t, b.t);
        if (rel_tolerance == 0) {
          ASSERT_EQ(a.v, b.v) << raw[i].metric.ToString() << " at " << a.t;
        } else {
          ASSERT_NEAR(a.v, b.v, rel_tolerance * std::max(1.0, std::abs(a.v)))
              << raw[i].metric.ToString() << " at " << a.t;
        }
      }
    }
  }

  testing::TempStorage store_{kStart, Options()};
  QuerierFactory factory_ = [this](int64_t mint, int64_t maxt) {
    return store_->NewQuerier(mint, maxt);
  };
  Engine engine_;
};

TEST_F(RollupQueryTest, OverTimeAggregatesEqualRaw) {
  for (const char* fn :
       {"count_over_time", "sum_over_time", "min_over_time", "max_over_time", "last_over_time"}) {
    ExpectSameAnswer(std::string(fn) + "(temp[15m])", 5 * kMin, 0, "5m");
    ExpectSameAnswer(std::string(fn) + "(temp[1h])", kHour, 0, "1h");
    ExpectSameAnswer(std::string(fn) + "(temp[2h] offset 1h)", kHour, 0, "1h");
  }
  // The raw average is an incremental mean; the rollup one is sum / count.
  ExpectSameAnswer("avg_over_time(temp[15m])", 5 * kMin, 1e-12, "5m");
  ExpectSameAnswer("avg by (site) (avg_over_time(temp[1h]))", kHour, 1e-12, "1h");
}

TEST_F(RollupQueryTest, RateAndIncreaseEqualRawWithinTolerance) {
  // Counter resets are included (every 997 samples); the tolerance covers summation order.
  ExpectSameAnswer("rate(packets_total[5m])", 5 * kMin, 1e-9, "5m");
  ExpectSameAnswer("increase(packets_total[1h])", kHour, 1e-9, "1h");
  ExpectSameAnswer("sum by (site) (rate(packets_total[30m]))", 10 * kMin, 1e-9, "5m");
}

// A gauge's blocks do not store the counter increase (storage/docs/rollups.md): rate() over it
// from a tier is rebuilt from raw data while that is kept, so it still equals raw, and once raw
// data has expired the tier gives no rate for it, while its other aggregates and the counter's
// rate are still answered.
TEST_F(RollupQueryTest, GaugeRatesComeFromRawDataAndNotFromExpiredRollups) {
  ExpectSameAnswer("rate(room[5m])", 5 * kMin, 1e-9, "5m");
  ExpectSameAnswer("increase(room[1h])", kHour, 1e-9, "1h");
  {
    auto q = store_->NewQuerier(kFrom, kStart);
    auto set = q->SelectRollups({storage::Matcher::Equal("__name__", "room")}, kHour,
                                storage::Querier::RollupFields::kAggregates);
    ASSERT_NE(set, nullptr);
    size_t buckets = 0;
    while (set->Next()) {
      for (const auto& b : set->buckets()) {
        // Stored without it (a block holding one single-sample bucket cannot look like a gauge).
        EXPECT_FALSE(b.has_increase && b.count > 1) << b.end;
        ++buckets;
      }
    }
    EXPECT_GT(buckets, 0u);
  }
  store_.clock().Advance(32 * kDay);
  ASSERT_TRUE(store_->RunMaintenance().ok());
  QueryInfo info;
  const int64_t start = kFrom + 2 * kHour;
  EXPECT_TRUE(Run("rate(room[1h])", start, kStart, kHour, false, &info).empty());
  EXPECT_EQ(info.TierSummary(), "1h");
  EXPECT_EQ(Run("avg_over_time(room[1h])", start, kStart, kHour, false, &info).size(), 6u);
  EXPECT_EQ(Run("rate(packets_total[1h])", start, kStart, kHour, false, &info).size(), 6u);
}

TEST_F(RollupQueryTest, PlainSelectorsEqualRaw) {
  ExpectSameAnswer("temp", 5 * kMin, 0, "5m");
  ExpectSameAnswer("avg by (site) (temp)", kHour, 1e-12, "1h");
  ExpectSameAnswer("packets_total offset 1h", kHour, 0, "1h");
}

TEST_F(RollupQueryTest, UnalignedQueriesReadRaw) {
  QueryInfo info;
  Run("avg_over_time(temp[7m])", kFrom + 2 * kHour, kStart, 5 * kMin, false, &info);
  EXPECT_EQ(info.TierSummary(), "raw");
  Run("temp", kFrom + 2 * kHour + 1000, kStart, 5 * kMin, false, &info);
  EXPECT_EQ(info.TierSummary(), "raw");
  Run("quantile_over_time(0.5, temp[1h])", kFrom + 2 * kHour, kStart, kHour, false, &info);
  EXPECT_EQ(info.TierSummary(), "raw");
  Run("rate(packets_total[1h]) / count_over_time(temp[7m])", kFrom + 2 * kHour, kStart, kHour,
      false, &info);
  EXPECT_EQ(info.TierSummary(), "1h+raw");
}

TEST_F(RollupQueryTest, ExpiredRawDataIsAnsweredFromRollups) {
  // Seal and build the late sample first: once raw data expires, only sealed data survives.
  store_.clock().Advance(2 * kHour);
  ASSERT_TRUE(store_->RunMaintenance().ok());
  QueryInfo info;
  const std::string q = "avg by (site) (max_over_time(temp[1h]))";
  Matrix before = Run(q, kFrom + 2 * kHour, kStart, kHour, false, &info);
  ASSERT_EQ(before.size(), 2u);
  store_.clock().Advance(32 * kDay);
  ASSERT_TRUE(store_->RunMaintenance().ok());
  EXPECT_TRUE(Run(q, kFrom + 2 * kHour, kStart, kHour, true, &info).empty());
  Matrix after = Run(q, kFrom + 2 * kHour, kStart, kHour, false, &info);
  EXPECT_EQ(info.TierSummary(), "1h");
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(after[i].points.size(), before[i].points.size());
    for (size_t k = 0; k < before[i].points.size(); ++k) {
      EXPECT_EQ(after[i].points[k].v, before[i].points[k].v);
    }
  }
}

}  // namespace
}  // namespace tidemark::query

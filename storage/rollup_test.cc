// Tests of rollup buckets and downsampling tiers: composition of buckets, building from sealed
// data, late data, expired raw data, per-tier retention and restarts in the middle of building.
#include "storage/rollup.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "storage/storage_test_util.h"
#include "storage/varint.h"

namespace tidemark::storage {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kStart;
using testing::MemStore;
using testing::ReadAll;

constexpr int64_t k5m = 5 * 60'000;
// Buckets of AppendHours(from, from + 6h) with `from` aligned: 6 h = 72 buckets per series plus
// the one ending at `from` for the two series that have a sample there (temp{site="b"} starts
// 3 s later).
constexpr uint64_t kBuckets5m = 73 + 72 + 73;
constexpr uint64_t kBuckets1h = 7 + 6 + 7;

// A gauge with exactly representable values (so sums are exact in any order) and a counter
// that resets every 37 samples.
std::vector<Sample> Gauge(int64_t from, int64_t to, int64_t step) {
  std::vector<Sample> out;
  for (int64_t t = from, i = 0; t <= to; t += step, ++i) {
    out.push_back({t, static_cast<double>((i * 7919) % 401) * 0.25 - 20});
  }
  return out;
}
std::vector<Sample> Counter(int64_t from, int64_t to, int64_t step) {
  std::vector<Sample> out;
  double v = 100;
  for (int64_t t = from, i = 0; t <= to; t += step, ++i) {
    v = (i % 37 == 36) ? 3 : v + static_cast<double>(i % 5);
    out.push_back({t, v});
  }
  return out;
}

Labels Named(const std::string& name, const std::string& site) {
  return Labels({{"__name__", name}, {"site", site}});
}

// The reference: buckets computed straight from the raw samples the querier returns.
std::map<Labels, std::vector<RollupBucket>> FromRaw(Storage* s, int64_t mint, int64_t maxt,
                                                    int64_t res) {
  std::map<Labels, std::vector<RollupBucket>> out;
  for (auto& [labels, samples] : ReadAll(s, mint, maxt, {Matcher::Regex("__name__", ".+")})) {
    out[labels] = BuildBuckets(samples, res);
  }
  return out;
}

std::map<Labels, std::vector<RollupBucket>> FromTier(Storage* s, int64_t mint, int64_t maxt,
                                                     int64_t res) {
  std::map<Labels, std::vector<RollupBucket>> out;
  auto q = s->NewQuerier(mint, maxt);
  auto set = q->SelectRollups({Matcher::Regex("__name__", ".+")}, res,
                              Querier::RollupFields::kWithIncrease);
  EXPECT_NE(set, nullptr);
  if (set == nullptr) return out;
  while (set->Next()) out[set->labels()] = set->buckets();
  EXPECT_TRUE(set->status().ok()) << set->status().ToString();
  return out;
}

void ExpectSame(const std::map<Labels, std::vector<RollupBucket>>& want,
                const std::map<Labels, std::vector<RollupBucket>>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (const auto& [labels, buckets] : want) {
    auto it = got.find(labels);
    ASSERT_NE(it, got.end()) << labels.ToString();
    ASSERT_EQ(buckets.size(), it->second.size()) << labels.ToString();
    for (size_t i = 0; i < buckets.size(); ++i) {
      EXPECT_TRUE(SameBucket(buckets[i], it->second[i]))
          << labels.ToString() << " bucket " << buckets[i].end << " count " << buckets[i].count
          << " vs " << it->second[i].count;
    }
  }
}

const RollupTierStats& TierStats(const StorageStats& st, int64_t res) {
  for (const auto& t : st.tiers) {
    if (t.resolution_ms == res) return t;
  }
  ADD_FAILURE() << "no tier " << res;
  return st.tiers.front();
}

TEST(RollupBucketTest, MergedBucketsEqualOneBucketOverAllSamples) {
  std::vector<Sample> xs = Counter(10'000, 3 * kHour, 10'000);
  std::vector<RollupBucket> fine = BuildBuckets(xs, k5m);
  std::vector<RollupBucket> whole = BuildBuckets(xs, 4 * kHour);
  ASSERT_EQ(whole.size(), 1u);
  RollupBucket acc;
  for (const auto& b : fine) MergeBuckets(&acc, b);
  EXPECT_EQ(acc.count, whole[0].count);
  EXPECT_EQ(acc.sum, whole[0].sum);
  EXPECT_EQ(acc.min, whole[0].min);
  EXPECT_EQ(acc.max, whole[0].max);
  EXPECT_EQ(acc.first_t, whole[0].first_t);
  EXPECT_EQ(acc.last_t, whole[0].last_t);
  EXPECT_EQ(acc.last, whole[0].last);
  // The increase adds up the resets the same way Prometheus' rate does.
  double want = xs.back().v - xs.front().v, prev = 0;
  for (const Sample& s : xs) {
    if (s.v < prev) want += prev;
    prev = s.v;
  }
  EXPECT_NEAR(acc.increase, want, 1e-9 * std::abs(want));
  // A NaN inside: min/max skip it like min_over_time does, the sum becomes NaN.
  std::vector<Sample> gauge = Gauge(10'000, kHour, 10'000);
  gauge[40].v = NAN;
  RollupBucket g;
  for (const auto& b : BuildBuckets(gauge, k5m)) MergeBuckets(&g, b);
  auto one = BuildBuckets(gauge, kHour);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(g.min, one[0].min);
  EXPECT_EQ(g.max, one[0].max);
  EXPECT_FALSE(std::isnan(g.min));
  EXPECT_TRUE(std::isnan(g.sum));
}

// Sum and increase are summed with compensation, like sum_over_time over raw samples.
TEST(RollupBucketTest, SumsAreCompensated) {
  std::vector<Sample> tenths;
  double plain = 0;
  for (int i = 1; i <= 10; ++i) {
    tenths.push_back({i * 1'000, 0.1});
    plain += 0.1;
  }
  ASSERT_NE(plain, 1.0);  // 0.9999999999999999
  auto b = BuildBuckets(tenths, k5m);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].sum, 1.0);
  // A kWh counter with three decimals: its increase is last - first to the bit.
  std::vector<Sample> kwh;
  for (int i = 1; i <= 30; ++i) kwh.push_back({i * 10'000, (3992241 + 17 * i * i) / 1000.0});
  b = BuildBuckets(kwh, k5m);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(DoubleBits(b[0].increase), DoubleBits(kwh.back().v - kwh.front().v));
  // A gauge: last - first plus the values before its three decreases is 63.7, where a plain
  // running sum ends at 63.69999999999999.
  std::vector<Sample> gauge;
  for (double v : {21.5, 21.1, 21.5, 21.9, 21.1, 20.7}) {
    gauge.push_back({static_cast<int64_t>(gauge.size() + 1), v});
  }
  b = BuildBuckets(gauge, k5m);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].increase, 63.7);
}

TEST(RollupBucketTest, BucketsAreLeftOpenRightClosed) {
  EXPECT_EQ(BucketEnd(k5m, k5m), k5m);
  EXPECT_EQ(BucketEnd(k5m + 1, k5m), 2 * k5m);
  EXPECT_EQ(BucketEnd(-1, k5m), 0);
  EXPECT_EQ(BucketEnd(-k5m, k5m), -k5m);
  std::vector<Sample> xs = {{k5m, 1}, {k5m + 1, 2}, {2 * k5m, 0.5}};
  auto b = BuildBuckets(xs, k5m);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].count, 1u);
  EXPECT_EQ(b[1].count, 2u);
  EXPECT_EQ(b[1].increase, 0.5 + 2 - 2);  // reset from 2 to 0.5: 2 gained before it
  EXPECT_EQ(ResolutionName(k5m), "5m");
  EXPECT_EQ(ResolutionName(kHour), "1h");
}

class TierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.options().tiers = {{k5m, 10 * kDay, kDay}, {kHour, 60 * kDay, 0}};
    ASSERT_TRUE(store_.Open().ok());
  }
  // Six hours of data ending now for two gauges and a counter.
  void AppendHours(int64_t from, int64_t to) {
    WriteBatch b;
    b.Add(Named("temp", "a"), Gauge(from, to, 10'000));
    b.Add(Named("temp", "b"), Gauge(from + 3'000, to, 10'000));
    b.Add(Named("packets_total", "a"), Counter(from, to, 10'000));
    ASSERT_TRUE(store_->Append(b).ok());
  }
  // Moves the clock so that everything before `t` is sealed, and runs maintenance.
  void SealThrough(int64_t t) {
    store_.clock().Set(std::max(store_.clock().NowMillis(), t + 2 * 2 * kHour));
    base::Status s = store_->RunMaintenance();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  MemStore store_;
};

TEST_F(TierTest, BuiltBucketsEqualBucketsOfRawData) {
  const int64_t from = kStart - 6 * kHour;
  AppendHours(from, kStart);
  // Before any seal everything comes from the head.
  ExpectSame(FromRaw(store_.get(), from, kStart, k5m), FromTier(store_.get(), from, kStart, k5m));
  SealThrough(kStart);
  StorageStats st = store_->Stats();
  const auto& t5 = TierStats(st, k5m);
  EXPECT_EQ(t5.pending_buckets, 0u);
  EXPECT_EQ(t5.lag_ms, 0);
  EXPECT_EQ(t5.series, 3u);
  EXPECT_EQ(t5.buckets, kBuckets5m);
  EXPECT_EQ(TierStats(st, kHour).buckets, kBuckets1h);
  EXPECT_EQ(store_->Stats().head_series, 0u);
  for (int64_t res : {k5m, kHour}) {
    ExpectSame(FromRaw(store_.get(), from - kHour, kStart, res),
               FromTier(store_.get(), from - kHour, kStart, res));
  }
  // An unaligned querier range returns only the buckets whose end lies inside it.
  auto part = FromTier(store_.get(), from + 1, from + kHour - 1, kHour);
  for (const auto& [labels, buckets] : part) EXPECT_TRUE(buckets.empty()) << labels.ToString();
  auto q = store_->NewQuerier(from, kStart);
  EXPECT_EQ(q->SelectRollups({Matcher::Equal("__name__", "temp")}, 7 * 60'000,
                             Querier::RollupFields::kAggregates),
            nullptr);
  EXPECT_EQ(q->RollupResolutions(), (std::vector<int64_t>{k5m, kHour}));
}

TEST_F(TierTest, LateDataMarksBucketsDirtyAndTheyAreRebuilt) {
  const int64_t from = kStart - 6 * kHour;
  AppendHours(from, kStart);
  SealThrough(kStart);
  const uint64_t built_before = TierStats(store_->Stats(), k5m).buckets_built;
  // Two days later, late samples arrive for a bucket of the first hour (between two samples).
  store_.clock().Advance(2 * kDay);
  WriteBatch late;
  late.Add(Named("temp", "a"), from + 15 * 60'000 + 5'000, 1000);
  late.Add(Named("packets_total", "a"), from + 15 * 60'000 + 5'000, 0.5);  // a reset
  ASSERT_TRUE(store_->Append(late).ok());
  // Unsealed late data is already in the answer (rebuilt from the head).
  auto unsealed = FromTier(store_.get(), from, kStart, k5m);
  const auto& a = unsealed[Named("temp", "a")];
  auto hit = std::find_if(a.begin(), a.end(),
                          [&](const RollupBucket& b) { return b.end == from + 20 * 60'000; });
  ASSERT_NE(hit, a.end());
  EXPECT_EQ(hit->max, 1000);
  EXPECT_EQ(hit->count, 31u);
  ExpectSame(FromRaw(store_.get(), from, kStart, k5m), unsealed);
  // Sealing marks the bucket dirty; building stores the new version.
  ASSERT_TRUE(store_->Seal(store_.clock().NowMillis() - kHour).ok());
  EXPECT_EQ(TierStats(store_->Stats(), k5m).pending_buckets, 2u);
  EXPECT_EQ(TierStats(store_->Stats(), kHour).pending_buckets, 2u);
  ExpectSame(FromRaw(store_.get(), from, kStart, k5m), FromTier(store_.get(), from, kStart, k5m));
  ASSERT_TRUE(store_->BuildRollups().ok());
  StorageStats st = store_->Stats();
  EXPECT_EQ(TierStats(st, k5m).pending_buckets, 0u);
  EXPECT_EQ(TierStats(st, k5m).buckets_built, built_before + 2);
  EXPECT_EQ(TierStats(st, k5m).buckets, kBuckets5m);
  for (int64_t res : {k5m, kHour}) {
    ExpectSame(FromRaw(store_.get(), from, kStart, res), FromTier(store_.get(), from, kStart, res));
  }
}

TEST_F(TierTest, ExpiredRawDataIsAnsweredFromRollups) {
  const int64_t from = kStart - 6 * kHour;
  AppendHours(from, kStart);
  SealThrough(kStart);
  auto before5 = FromTier(store_.get(), from, kStart, k5m);
  auto before1h = FromTier(store_.get(), from, kStart, kHour);
  ASSERT_EQ(before5.size(), 3u);
  store_.clock().Advance(32 * kDay);  // raw retention is 30 days
  ASSERT_TRUE(store_->RunMaintenance().ok());
  EXPECT_GT(store_->Stats().partitions_dropped, 0u);
  EXPECT_TRUE(ReadAll(store_.get(), from, kStart, {Matcher::Regex("__name__", ".+")}).empty());
  ExpectSame(before1h, FromTier(store_.get(), from, kStart, kHour));
  // The 5m tier keeps 10 days only.
  EXPECT_TRUE(FromTier(store_.get(), from, kStart, k5m).empty());
  EXPECT_EQ(TierStats(store_->Stats(), kHour).buckets, kBuckets1h);
}

TEST_F(TierTest, PerTierRetentionDropsOnlyExpiredPartitions) {
  // Data on days -12, -5 and -1 (relative to the final clock), in separate partitions.
  const int64_t now = kStart + 40 * kDay;
  for (int64_t day : {12, 5, 1}) {
    const int64_t d = now - day * kDay;
    store_.clock().Set(d + 6 * kHour);
    AppendHours(d + kHour, d + 2 * kHour);
    SealThrough(d + 2 * kHour);
  }
  store_.clock().Set(now);
  auto before1h = FromTier(store_.get(), now - 13 * kDay, now, kHour);
  ASSERT_TRUE(store_->RunMaintenance().ok());
  StorageStats st = store_->Stats();
  // 5m tier (10 days, 1-day partitions): the day -12 partition went, days -5 and -1 stayed.
  EXPECT_EQ(TierStats(st, k5m).partitions_dropped, 1u);
  EXPECT_EQ(TierStats(st, k5m).partitions, 2u);
  EXPECT_EQ(TierStats(st, k5m).buckets, 2u * (13 + 12 + 13));
  auto t5 = FromTier(store_.get(), now - 13 * kDay, now, k5m);
  for (const auto& [labels, buckets] : t5) {
    ASSERT_FALSE(buckets.empty());
    EXPECT_GE(buckets.front().end, now - 5 * kDay);
  }
  // 1h tier (60 days) lost nothing, raw (30 days) lost nothing either.
  EXPECT_EQ(TierStats(st, kHour).partitions_dropped, 0u);
  ExpectSame(before1h, FromTier(store_.get(), now - 13 * kDay, now, kHour));
  EXPECT_EQ(st.partitions_dropped, 0u);
}

TEST_F(TierTest, RestartInTheMiddleOfBuildingResumesWithoutGapsOrDoubles) {
  const int64_t from = kStart - 6 * kHour;
  AppendHours(from, kStart);
  store_.clock().Set(kStart + 4 * kHour);
  // Seal without building: the marks are durable, the buckets not yet written.
  ASSERT_TRUE(store_->Seal(kStart + kHour).ok());
  EXPECT_EQ(TierStats(store_->Stats(), k5m).pending_buckets, kBuckets5m);
  store_.clock().Advance(60'000);
  ASSERT_TRUE(store_.Open().ok());  // restart
  StorageStats st = store_->Stats();
  EXPECT_EQ(TierStats(st, k5m).pending_buckets, kBuckets5m);
  EXPECT_EQ(TierStats(st, kHour).pending_buckets, kBuckets1h);
  EXPECT_EQ(TierStats(st, k5m).buckets, 0u);
  EXPECT_EQ(TierStats(st, k5m).lag_ms, 60'000);
  ExpectSame(FromRaw(store_.get(), from, kStart, k5m), FromTier(store_.get(), from, kStart, k5m));
  // A build that dies on its first write, then a restart.
  store_.SetLevelDbWritesFail(true);
  EXPECT_FALSE(store_->BuildRollups().ok());
  store_.SetLevelDbWritesFail(false);
  ASSERT_TRUE(store_.Open().ok());
  ASSERT_TRUE(store_->BuildRollups().ok());
  st = store_->Stats();
  EXPECT_EQ(TierStats(st, k5m).pending_buckets, 0u);
  EXPECT_EQ(TierStats(st, k5m).buckets, kBuckets5m);
  // A late sample replayed from the WAL after a crash: its bucket is rebuilt whole from raw
  // data, not added to, so nothing is counted twice.
  WriteBatch late;
  late.Add(Named("temp", "a"), from + 5'000, 7.25);
  ASSERT_TRUE(store_->Append(late).ok());
  std::mt19937_64 rng(7);
  ASSERT_TRUE(store_.CrashAndReopen(&rng).ok());
  ASSERT_TRUE(store_->RunMaintenance().ok());
  st = store_->Stats();
  EXPECT_EQ(TierStats(st, k5m).pending_buckets, 0u);
  EXPECT_EQ(TierStats(st, k5m).buckets, kBuckets5m);
  EXPECT_EQ(TierStats(st, kHour).buckets, kBuckets1h);
  EXPECT_EQ(st.head_series, 0u);
  for (int64_t res : {k5m, kHour}) {
    auto got = FromTier(store_.get(), from, kStart, res);
    ExpectSame(FromRaw(store_.get(), from, kStart, res), got);
    EXPECT_EQ(got[Named("temp", "a")][1].count, res == k5m ? 31u : 361u);
  }
}

// A late sample inside a stored block: the block is rewritten with the rebuilt bucket, a late
// sample in an empty bucket of the block adds one, and every other bucket stays bit-for-bit.
TEST_F(TierTest, LateBucketsRewriteTheirBlockAndKeepTheNeighbours) {
  const int64_t from = kStart - 6 * kHour;
  AppendHours(from, kStart);
  SealThrough(kStart);
  auto before5 = FromTier(store_.get(), from - 2 * kHour, kStart, k5m);
  auto before1h = FromTier(store_.get(), from - 2 * kHour, kStart, kHour);
  WriteBatch late;
  late.Add(Named("temp", "a"), from + 2 * kHour + 1'000, -40);  // into a stored bucket
  late.Add(Named("temp", "b"), from - 30 * 60'000, 12.5);       // into an empty one
  ASSERT_TRUE(store_->Append(late).ok());
  ASSERT_TRUE(store_->Seal(store_.clock().NowMillis()).ok());
  ASSERT_TRUE(store_->BuildRollups().ok());
  StorageStats st = store_->Stats();
  EXPECT_EQ(st.head_series, 0u);
  EXPECT_EQ(TierStats(st, k5m).pending_buckets, 0u);
  EXPECT_EQ(TierStats(st, k5m).buckets, kBuckets5m + 1);
  EXPECT_EQ(TierStats(st, kHour).buckets, kBuckets1h + 1);
  for (int64_t res : {k5m, kHour}) {
    auto after = FromTier(store_.get(), from - 2 * kHour, kStart, res);
    ExpectSame(FromRaw(store_.get(), from - 2 * kHour, kStart, res), after);
    // Only the two touched buckets differ from before.
    const auto& before = res == k5m ? before5 : before1h;
    size_t changed = 0;
    for (const auto& [labels, buckets] : after) {
      const auto& old = before.at(labels);
      for (const RollupBucket& b : buckets) {
        auto it = std::find_if(old.begin(), old.end(),
                               [&](const RollupBucket& o) { return o.end == b.end; });
        changed += (it == old.end() || !SameBucket(*it, b)) ? 1 : 0;
      }
    }
    EXPECT_EQ(changed, 2u) << res;
  }
  // The encoded size kept up to date by the rewrites equals what a restart counts.
  const uint64_t block_bytes = TierStats(st, k5m).block_bytes;
  EXPECT_GT(block_bytes, 0u);
  EXPECT_LT(block_bytes, 10 * TierStats(st, k5m).buckets);
  ASSERT_TRUE(store_.Open().ok());
  EXPECT_EQ(TierStats(store_->Stats(), k5m).block_bytes, block_bytes);
  EXPECT_EQ(TierStats(store_->Stats(), kHour).block_bytes, TierStats(st, kHour).block_bytes);
}

TEST_F(TierTest, RewrittenBlocksAreCompactedOnceTheyOutweighTheLiveOnes) {
  const int64_t from = kStart - 6 * kHour;
  constexpr int kSeries = 300;
  WriteBatch load;
  for (int i = 0; i < kSeries; ++i) {
    load.Add(Named("temp", "d" + std::to_string(i)), Gauge(from, kStart, 10'000));
  }
  ASSERT_TRUE(store_->Append(load).ok());
  SealThrough(kStart);
  // The first build writes each block once: nothing is superseded but the cleared marks, too
  // little for maintenance, but an explicit flush compacts.
  EXPECT_EQ(TierStats(store_->Stats(), k5m).compactions, 0u);
  ASSERT_TRUE(store_->Compact(/*final=*/true).ok());
  EXPECT_EQ(TierStats(store_->Stats(), k5m).compactions, 1u);
  ASSERT_TRUE(store_->Compact(/*final=*/true).ok());  // nothing written since
  EXPECT_EQ(TierStats(store_->Stats(), k5m).compactions, 1u);
  // Every round marks one bucket per series, so each rebuild rewrites every day block.
  for (int round = 0; round < 8; ++round) {
    WriteBatch late;
    for (int i = 0; i < kSeries; ++i) {
      late.Add(Named("temp", "d" + std::to_string(i)), from + round * k5m + 1'000, round);
    }
    ASSERT_TRUE(store_->Append(late).ok());
    ASSERT_TRUE(store_->Seal(store_.clock().NowMillis()).ok());
    ASSERT_TRUE(store_->BuildRollups().ok());
    ASSERT_TRUE(store_->Compact().ok());
  }
  const uint64_t compactions = TierStats(store_->Stats(), k5m).compactions;
  EXPECT_GE(compactions, 2u);
  ASSERT_TRUE(store_->Compact().ok());  // nothing new was written: no compaction
  EXPECT_EQ(TierStats(store_->Stats(), k5m).compactions, compactions);
  for (int64_t res : {k5m, kHour}) {
    ExpectSame(FromRaw(store_.get(), from - kHour, kStart, res),
               FromTier(store_.get(), from - kHour, kStart, res));
  }
  // A final compaction also compacts the series registry's store; every series survives it.
  ASSERT_TRUE(store_->Compact(/*final=*/true).ok());
  ASSERT_TRUE(store_.Open().ok());
  EXPECT_EQ(store_->Stats().series, static_cast<uint64_t>(kSeries));
  ExpectSame(FromRaw(store_.get(), from - kHour, kStart, k5m),
             FromTier(store_.get(), from - kHour, kStart, k5m));
}

// A build that stops after any number of block rewrites, then a restart: the rewritten blocks
// and the remaining marks together still give every bucket exactly once.
TEST(RollupCrashTest, BuildStoppedAfterAnyBlockRewriteResumesWithoutGapsOrDoubles) {
  for (int64_t budget : {0, 1, 2, 3, 4, 6, 9}) {
    MemStore store;
    store.options().tiers = {{k5m, 10 * kDay, kDay}, {kHour, 60 * kDay, 0}};
    ASSERT_TRUE(store.Open().ok());
    const int64_t from = kStart - 6 * kHour;
    WriteBatch b;
    b.Add(Named("temp", "a"), Gauge(from, kStart, 10'000));
    b.Add(Named("packets_total", "a"), Counter(from, kStart, 10'000));
    ASSERT_TRUE(store->Append(b).ok());
    store.clock().Set(kStart + 4 * kHour);
    ASSERT_TRUE(store->RunMaintenance().ok());
    // Late samples in both series, in two day blocks of the 5m tier; sealed, not yet built.
    WriteBatch late;
    for (int64_t t : {from + 1'000, kStart - kDay - kHour}) {
      late.Add(Named("temp", "a"), t, 99.5);
      late.Add(Named("packets_total", "a"), t, 0.25);
    }
    ASSERT_TRUE(store->Append(late).ok());
    ASSERT_TRUE(store->Seal(kStart + 2 * kHour).ok());
    ASSERT_GT(TierStats(store->Stats(), k5m).pending_buckets, 0u);
    store.SetLevelDbAppendsLeft(budget);
    (void)store->BuildRollups();  // fails unless the budget suffices
    store.SetLevelDbAppendsLeft(INT64_MAX);
    ASSERT_TRUE(store.Open().ok());
    ASSERT_TRUE(store->BuildRollups().ok());
    StorageStats st = store->Stats();
    for (int64_t res : {k5m, kHour}) {
      EXPECT_EQ(TierStats(st, res).pending_buckets, 0u) << budget;
      auto want = FromRaw(store.get(), kStart - 2 * kDay, kStart, res);
      ExpectSame(want, FromTier(store.get(), kStart - 2 * kDay, kStart, res));
      uint64_t n = 0;
      for (const auto& [labels, buckets] : want) n += buckets.size();
      EXPECT_EQ(TierStats(st, res).buckets, n) << budget << " " << res;
    }
  }
}

TEST(RollupOptionsTest, TiersOfTheLayoutBeforeBlocksAreRefused) {
  MemStore store;
  store.options().tiers = {{k5m, 10 * kDay, kDay}};
  leveldb::Options o;  // a tier partition as the layout before blocks wrote it
  o.env = store.options().leveldb_env;
  o.create_if_missing = true;
  leveldb::DB* db = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(o, "/db/rollups/5m/p0", &db).ok());
  ASSERT_TRUE(db->Put(leveldb::WriteOptions(), 'b' + std::string(16, '\x80'), "x").ok());
  delete db;
  base::Status s = store.Open();
  EXPECT_EQ(s.code(), base::StatusCode::kFailedPrecondition) << s.ToString();
}

TEST(RollupOptionsTest, ResolutionMustDivideThePartitionLength) {
  MemStore store;
  store.options().tiers = {{7 * 60'000 + 1, kDay, 0}};
  base::Status s = store.Open();
  EXPECT_EQ(s.code(), base::StatusCode::kInvalidArgument) << s.ToString();
}

}  // namespace
}  // namespace tidemark::storage

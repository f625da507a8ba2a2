// The querier's read path: one partition iterator per query renewed across seals, reading ahead
// on a second thread within bounds, and the late-write generations that query result caches
// depend on.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "storage/read_ahead.h"
#include "storage/storage_test_util.h"

namespace tidemark::storage {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kStart;
using testing::MemStore;

Labels Named(const std::string& name, const std::string& device) {
  return Labels({{"__name__", name}, {"device", device}});
}

std::vector<Sample> Drain(SampleIterator* it) {
  std::vector<Sample> out;
  while (it->Next()) out.push_back(it->At());
  return out;
}

TEST(StorageQuerierTest, SealBetweenSeriesOfOneSelectLosesNothing) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  store.clock().Set(kStart + 3 * kDay);
  WriteBatch b;
  for (int i = 0; i < 600; ++i) {
    b.Add(Named("temp", "a"), kStart + i * 60'000, i);
    b.Add(Named("temp", "b"), kStart + i * 60'000, -i);
  }
  ASSERT_TRUE(store->Append(b).ok());
  // Part of "a" is sealed already, so the querier holds a partition snapshot from the start.
  ASSERT_TRUE(store->Seal(kStart + 100 * 60'000).ok());
  auto q = store->NewQuerier(kStart, kStart + kDay);
  auto set = q->Select({Matcher::Equal("__name__", "temp")});
  ASSERT_TRUE(set->Next());
  EXPECT_EQ(Drain(set->Samples().get()).size(), 600u);
  // Everything of "b" moves from the head into partitions after the snapshot was taken.
  ASSERT_TRUE(store->Seal(kStart + 2 * kDay).ok());
  ASSERT_TRUE(set->Next());
  const std::vector<Sample> got = Drain(set->Samples().get());
  ASSERT_EQ(got.size(), 600u);
  EXPECT_EQ(got[599].v, -599);
  EXPECT_FALSE(set->Next());
  EXPECT_TRUE(set->status().ok());
}

// Large selections are read on two threads; the order, the samples and an early stop must be as
// with one.
TEST(StorageQuerierTest, LargeSelectionsReadAheadInOrder) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  store.clock().Set(kStart + 3 * kDay);
  constexpr int kSeries = 301;
  WriteBatch b;
  for (int d = 0; d < kSeries; ++d) {
    char name[8];
    std::snprintf(name, sizeof(name), "d%03d", d);
    for (int i = 0; i < 50 + d % 7; ++i)
      b.Add(Named("temp", name), kStart + i * 60'000, d * 1000 + i);
  }
  b.Add(Named("other", "x"), kStart, 1);
  ASSERT_TRUE(store->Append(b).ok());
  ASSERT_TRUE(store->Seal(kStart + 30 * 60'000).ok());  // partly sealed, partly in the head
  for (int stop_after : {kSeries, 3, 70}) {
    auto set =
        store->NewQuerier(kStart, kStart + kDay)->Select({Matcher::Equal("__name__", "temp")});
    for (int d = 0; d < stop_after; ++d) {
      ASSERT_TRUE(set->Next()) << d;
      const std::vector<Sample> got = Drain(set->Samples().get());
      ASSERT_EQ(got.size(), static_cast<size_t>(50 + d % 7)) << d;
      EXPECT_EQ(got.back().v, d * 1000 + 49 + d % 7) << d;
      EXPECT_EQ(set->labels().Get("device").substr(1), std::to_string(1000 + d).substr(1));
    }
    if (stop_after == kSeries) EXPECT_FALSE(set->Next());
    EXPECT_TRUE(set->status().ok());
  }
}

// The worker stops reading ahead once kMaxAheadSamples wait untaken, yet always reads the series
// the consumer needs next.
TEST(ReadAheadTest, BuffersAtMostTheSampleBoundAhead) {
  constexpr size_t kPerSeries = size_t{1} << 21;  // two reads fill the 4 Mi-sample bound
  std::atomic<int> reads{0};
  ReadAhead ahead(41, [&](size_t, std::vector<Sample>* out) {
    out->resize(kPerSeries);
    ++reads;
    return base::Status::Ok();
  });
  for (int i = 0; i < 500 && reads.load() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // room for a read too many
  EXPECT_EQ(reads.load(), 2);
  std::vector<Sample> got;
  for (size_t i = 1; i < 41; i += 2) {
    ASSERT_TRUE(ahead.Take(i, &got).ok()) << i;
    EXPECT_EQ(got.size(), kPerSeries) << i;
  }
  EXPECT_EQ(reads.load(), 20);
}

TEST(StorageQuerierTest, SamplesIteratorSeeks) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  store.clock().Set(kStart + kHour);
  WriteBatch b;
  for (int i = 0; i < 10; ++i) b.Add(Named("temp", "a"), kStart + i * 1000, i);
  ASSERT_TRUE(store->Append(b).ok());
  auto set = store->NewQuerier(kStart, kStart + kHour)->Select({Matcher::Equal("device", "a")});
  ASSERT_TRUE(set->Next());
  auto it = set->Samples();
  ASSERT_TRUE(it->Seek(kStart + 4500));
  EXPECT_EQ(it->At().v, 5);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().v, 6);
  EXPECT_FALSE(it->Seek(kStart + 20'000));
}

TEST(StorageQuerierTest, LateWritesBumpTheirMetricsGeneration) {
  MemStore store;
  store.options().late_write_settle_ms = 5 * 60'000;
  ASSERT_TRUE(store.Open().ok());
  const int64_t now = kStart + kDay;
  store.clock().Set(now);
  EXPECT_EQ(store->SettledHorizon(), now - 5 * 60'000);
  const uint64_t temp0 = store->LateWriteGeneration("temp");
  const uint64_t hum0 = store->LateWriteGeneration("humidity");
  const uint64_t all0 = store->LateWriteGeneration("");
  ASSERT_NE(std::hash<std::string_view>{}("temp") % 256,
            std::hash<std::string_view>{}("humidity") % 256);

  WriteBatch fresh;  // newer than the horizon: not late
  fresh.Add(Named("temp", "a"), now - 60'000, 1);
  ASSERT_TRUE(store->Append(fresh).ok());
  EXPECT_EQ(store->LateWriteGeneration("temp"), temp0);
  EXPECT_EQ(store->LateWriteGeneration(""), all0);

  WriteBatch late;  // exactly at the horizon counts
  late.Add(Named("temp", "a"), now - 5 * 60'000, 2);
  ASSERT_TRUE(store->Append(late).ok());
  EXPECT_GT(store->LateWriteGeneration("temp"), temp0);
  EXPECT_EQ(store->LateWriteGeneration("humidity"), hum0);
  EXPECT_GT(store->LateWriteGeneration(""), all0);

  WriteBatch backfill;  // many late series at once: every metric's generation moves
  for (int d = 0; d < 40; ++d) backfill.Add(Named("temp", "b" + std::to_string(d)), now - kHour, d);
  const uint64_t hum1 = store->LateWriteGeneration("humidity");
  ASSERT_TRUE(store->Append(backfill).ok());
  EXPECT_GT(store->LateWriteGeneration("humidity"), hum1);

  WriteBatch rejected;  // past retention: not stored, so nothing changes
  const uint64_t temp1 = store->LateWriteGeneration("temp");
  rejected.Add(Named("temp", "a"), now - 60 * kDay, 3);
  ASSERT_TRUE(store->Append(rejected).ok());
  EXPECT_EQ(store->LateWriteGeneration("temp"), temp1);
}

TEST(StorageQuerierTest, AClockSteppedBackDoesNotHideLateWrites) {
  MemStore store;
  store.options().late_write_settle_ms = 5 * 60'000;
  ASSERT_TRUE(store.Open().ok());
  const int64_t now = kStart + kDay;
  store.clock().Set(now);
  const int64_t cached_up_to = store->SettledHorizon();  // a cache keeps steps up to here
  store.clock().Set(now - 8 * 60'000);                   // then NTP steps the clock back 8 minutes
  const uint64_t temp0 = store->LateWriteGeneration("temp");
  WriteBatch b;  // under the horizon already handed out, though newer than today's
  b.Add(Named("temp", "a"), cached_up_to - 1000, 1);
  ASSERT_TRUE(store->Append(b).ok());
  EXPECT_GT(store->LateWriteGeneration("temp"), temp0);
}

}  // namespace
}  // namespace tidemark::storage

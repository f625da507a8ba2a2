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
  WriteBatch b = testing::DeviceTemperatures(kSeries, 50);
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

// The worker stops reading ahead once kMaxAheadSamples wait untaken; the consumer gets every
// index in order, reading itself those the worker has not claimed.
TEST(ReadAheadTest, BuffersAtMostTheSampleBoundAhead) {
  constexpr size_t kPerSeries = size_t{1} << 21;  // two reads fill the 4 Mi-sample bound
  std::atomic<int> reads{0};
  ReadAheadWorkers workers(1);
  ReadAhead ahead(&workers, 41, [&](size_t i, std::vector<Sample>* out) {
    out->assign(kPerSeries, Sample{static_cast<int64_t>(i), 0});
    ++reads;
    return base::Status::Ok();
  });
  for (int i = 0; i < 500 && reads.load() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // room for a read too many
  EXPECT_EQ(reads.load(), 2);
  int own = 0;
  const ReadAhead::ReadFn own_read = [&](size_t i, std::vector<Sample>* out) {
    out->assign(3, Sample{static_cast<int64_t>(i), 1});
    ++own;
    return base::Status::Ok();
  };
  std::vector<Sample> got;
  for (size_t i = 0; i < 41; ++i) {
    ASSERT_TRUE(ahead.Get(i, &got, own_read).ok()) << i;
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.front().t, static_cast<int64_t>(i));
    EXPECT_EQ(got.size(), got.front().v == 0 ? kPerSeries : 3u) << i;
  }
  EXPECT_EQ(reads.load() + own, 41);
}

// While the worker reads the series the consumer needs, the consumer reads the next one.
TEST(ReadAheadTest, TheConsumerReadsAheadWhileWaiting) {
  std::atomic<bool> worker_on_0{false}, consumer_read_1{false};
  ReadAheadWorkers workers(1);
  ReadAhead ahead(&workers, 3, [&](size_t i, std::vector<Sample>* out) {
    if (i == 0) {
      worker_on_0 = true;
      for (int k = 0; k < 1000 && !consumer_read_1; ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    out->push_back(Sample{static_cast<int64_t>(i), 0});
    return base::Status::Ok();
  });
  const ReadAhead::ReadFn own_read = [&](size_t i, std::vector<Sample>* out) {
    if (i == 1) consumer_read_1 = true;
    out->push_back(Sample{static_cast<int64_t>(i), 1});
    return base::Status::Ok();
  };
  while (!worker_on_0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::vector<Sample> got;
  for (size_t i = 0; i < 3; ++i) {
    got.clear();
    ASSERT_TRUE(ahead.Get(i, &got, own_read).ok());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got.front().t, static_cast<int64_t>(i));
  }
  EXPECT_TRUE(consumer_read_1);
}

// A failed read comes back at its index, whichever side read it.
TEST(ReadAheadTest, AFailedReadIsReturnedAtItsIndex) {
  const ReadAhead::ReadFn fail_at_5 = [](size_t i, std::vector<Sample>* out) {
    out->push_back(Sample{static_cast<int64_t>(i), 0});
    return i == 5 ? base::Status::IoError("disk") : base::Status::Ok();
  };
  ReadAheadWorkers workers(1);
  ReadAhead ahead(&workers, 100, fail_at_5);
  std::vector<Sample> got;
  for (size_t i = 0; i < 5; ++i) {
    got.clear();
    ASSERT_TRUE(ahead.Get(i, &got, fail_at_5).ok()) << i;
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got.front().t, static_cast<int64_t>(i));
  }
  EXPECT_EQ(ahead.Get(5, &got, fail_at_5).code(), base::StatusCode::kIoError);
}

// With a latest_from hint a series may start later, but never after its newest sample at or
// before latest_from, and from there on it is exactly what a plain Select returns.
void ExpectHintedIsSuffix(Storage* store, int64_t mint, int64_t maxt, int64_t latest_from,
                          size_t* skipped) {
  const std::vector<Matcher> all = {Matcher::Equal("__name__", "temp")};
  auto plain = store->NewQuerier(mint, maxt)->Select(all);
  SelectHints hints;
  hints.latest_from = latest_from;
  auto hinted = store->NewQuerier(mint, maxt)->SelectWithHints(all, hints);
  while (plain->Next()) {
    ASSERT_TRUE(hinted->Next()) << plain->labels().ToString();
    ASSERT_EQ(hinted->labels(), plain->labels());
    const std::vector<Sample> full = Drain(plain->Samples().get());
    const std::vector<Sample> part = Drain(hinted->Samples().get());
    ASSERT_LE(part.size(), full.size());
    const size_t from = full.size() - part.size();
    for (size_t i = 0; i < part.size(); ++i) {
      ASSERT_EQ(part[i].t, full[from + i].t) << plain->labels().ToString() << " " << i;
      ASSERT_EQ(part[i].v, full[from + i].v) << plain->labels().ToString() << " " << i;
    }
    size_t newest = 0;  // one past the newest sample at or before latest_from
    while (newest < full.size() && full[newest].t <= latest_from) ++newest;
    ASSERT_TRUE(newest == 0 || from < newest) << plain->labels().ToString();
    *skipped += from;
  }
  EXPECT_FALSE(hinted->Next());
  EXPECT_TRUE(plain->status().ok());
  EXPECT_TRUE(hinted->status().ok());
}

TEST(StorageQuerierTest, LatestFromHintSkipsOnlyWhatCannotMatter) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  store.clock().Set(kStart + 2 * kDay + kHour);
  WriteBatch b;
  // 70 steady series (read ahead on the second thread), across two daily partitions and many
  // 2 h chunks.
  for (int d = 0; d < 70; ++d) {
    for (int64_t t = kStart; t < kStart + 2 * kDay; t += 60'000) {
      b.Add(Named("temp", "s" + std::to_string(d)), t, static_cast<double>(t / 60'000 + d));
    }
  }
  // Gaps from day 0, 10:00 to day 1, 03:00 and in day 1 from 13:00 to 17:00: the newest sample
  // at or before latest_from may end a chunk, in the same or in the older partition.
  for (int64_t t = kStart; t < kStart + 2 * kDay; t += 60'000) {
    const int64_t day1 = t - kStart - kDay;
    if (t >= kStart + 10 * kHour && day1 < 3 * kHour) continue;
    if (day1 >= 13 * kHour && day1 < 17 * kHour) continue;
    b.Add(Named("temp", "gap"), t, static_cast<double>(t / 60'000));
  }
  ASSERT_TRUE(store->Append(b).ok());
  ASSERT_TRUE(store->Seal(kStart + 2 * kDay).ok());
  // Late rewrites make overlapping chunks in day 1 (those are merged, never skipped) and a
  // few unsealed samples stay in the head.
  WriteBatch late;
  for (int64_t t = kStart + kDay + kHour; t < kStart + kDay + 5 * kHour; t += 600'000) {
    late.Add(Named("temp", "s1"), t, -1);
  }
  ASSERT_TRUE(store->Append(late).ok());
  ASSERT_TRUE(store->Seal(kStart + 2 * kDay).ok());
  WriteBatch head;
  head.Add(Named("temp", "s2"), kStart + 2 * kDay + 60'000, 7);
  head.Add(Named("temp", "gap"), kStart + 2 * kDay + 60'000, 7);
  ASSERT_TRUE(store->Append(head).ok());
  const int64_t end = kStart + 2 * kDay + kHour;
  size_t skipped = 0;
  for (int64_t latest_from : {kStart + kDay + 5 * 60'000, kStart + kDay + 2 * kHour - 30'000,
                              kStart + kDay + 2 * kHour + 30'000, kStart + kDay + 4 * kHour,
                              kStart + kDay + 16 * kHour, kStart + 5 * kHour, end}) {
    for (int64_t lookback : {int64_t{300'000}, 3 * kHour, kDay}) {
      SCOPED_TRACE(std::to_string(latest_from - kStart) + " " + std::to_string(lookback));
      ExpectHintedIsSuffix(store.get(), latest_from - lookback, end, latest_from, &skipped);
    }
  }
  EXPECT_GT(skipped, 0u);  // the hint does spare work
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

#include "storage/storage.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <thread>

#include "storage/storage_test_util.h"
#include "storage/varint.h"

namespace tidemark::storage {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kStart;
using testing::MemStore;
using testing::ReadAll;

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ULL;

Labels Series(const std::string& name, const std::string& room) {
  return Labels({{"__name__", name}, {"room", room}});
}

std::vector<Sample> Only(Storage* s, const Labels& l, int64_t mint = kStart - 40 * kDay,
                         int64_t maxt = kStart + 40 * kDay) {
  std::vector<Matcher> m;
  for (const auto& lbl : l) m.push_back(Matcher::Equal(lbl.name, lbl.value));
  auto all = ReadAll(s, mint, maxt, m);
  for (auto& [labels, samples] : all) {
    if (labels == l) return samples;
  }
  return {};
}

void ExpectSamples(const std::vector<Sample>& want, const std::vector<Sample>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].t, got[i].t) << i;
    EXPECT_EQ(DoubleBits(want[i].v), DoubleBits(got[i].v)) << i;
  }
}

TEST(StorageTest, AppendQueryAndSpecialValuesExact) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  Labels a = Series("temp", "kitchen");
  std::vector<Sample> want = {{kStart, 21.5},
                              {kStart + 10'000, BitsDouble(kStaleNaN)},
                              {kStart + 20'000, std::numeric_limits<double>::infinity()},
                              {kStart + 30'000, -0.0},
                              {kStart + 40'000, BitsDouble(0x7ff8000000000abcULL)}};
  WriteBatch b;
  b.Add(a, want);
  AppendReport rep;
  ASSERT_TRUE(store->Append(b, &rep).ok());
  EXPECT_EQ(rep.accepted, want.size());
  ExpectSamples(want, Only(store.get(), a));
  // Range limits are inclusive.
  ExpectSamples({want[1], want[2]}, Only(store.get(), a, kStart + 10'000, kStart + 20'000));
}

TEST(StorageTest, MatchersLabelNamesAndValues) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  WriteBatch b;
  b.Add(Series("temp", "kitchen"), kStart, 1);
  b.Add(Series("temp", "hall"), kStart, 2);
  b.Add(Labels({{"__name__", "temp"}}), kStart, 3);
  b.Add(Labels({{"__name__", "hum"}, {"room", "hall"}, {"floor", "1"}}), kStart, 4);
  ASSERT_TRUE(store->Append(b).ok());
  auto names = [&](std::vector<Matcher> m) {
    std::vector<std::string> out;
    for (auto& [l, s] : ReadAll(store.get(), kStart, kStart, m)) out.push_back(l.ToString());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names({Matcher::Equal("__name__", "temp")}),
            (V{"temp{}", "temp{room=\"hall\"}", "temp{room=\"kitchen\"}"}));
  EXPECT_EQ(names({Matcher::Equal("__name__", "temp"), Matcher::NotEqual("room", "hall")}),
            (V{"temp{}", "temp{room=\"kitchen\"}"}));
  EXPECT_EQ(names({Matcher::Equal("__name__", "temp"), Matcher::Equal("room", "")}), (V{"temp{}"}));
  EXPECT_EQ(names({Matcher::Regex("room", "k.*|h")}), (V{"temp{room=\"kitchen\"}"}));
  EXPECT_EQ(names({Matcher::Regex("__name__", ".+"), Matcher::NotRegex("room", "k.*")}),
            (V{"hum{floor=\"1\", room=\"hall\"}", "temp{}", "temp{room=\"hall\"}"}));
  auto q = store->NewQuerier(kStart, kStart);
  EXPECT_EQ(*q->LabelNames({}), (V{"__name__", "floor", "room"}));
  EXPECT_EQ(*q->LabelNames({Matcher::Equal("__name__", "temp")}), (V{"__name__", "room"}));
  EXPECT_EQ(*q->LabelValues("room", {}), (V{"hall", "kitchen"}));
  EXPECT_EQ(*q->LabelValues("room", {Matcher::Equal("__name__", "hum")}), (V{"hall"}));
  // Series without samples in range are not returned.
  EXPECT_TRUE(
      ReadAll(store.get(), kStart + 1, kStart + 5, {Matcher::Equal("__name__", "temp")}).empty());
}

TEST(StorageTest, RejectsOutOfRangeSamplesPerSampleAndBadLabels) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  Labels a = Series("temp", "x");
  WriteBatch b;
  b.Add(a, kStart - 31 * kDay, 1);  // older than retention
  b.Add(a, kStart - 29 * kDay, 2);  // late but within retention: kept
  b.Add(a, kStart + 2 * kHour, 3);  // too far in the future
  b.Add(a, kStart + 30 * 60'000, 4);
  b.Add(Labels({{"bad-name", "v"}}), kStart, 5);
  AppendReport rep;
  ASSERT_TRUE(store->Append(b, &rep).ok());
  EXPECT_EQ(rep.accepted, 2u);
  EXPECT_EQ(rep.rejected_too_old, 1u);
  EXPECT_EQ(rep.rejected_too_new, 1u);
  EXPECT_EQ(rep.rejected_invalid_labels, 1u);
  auto st = store->Stats();
  EXPECT_EQ(st.rejected_too_old, 1u);
  EXPECT_EQ(st.rejected_too_new, 1u);
  EXPECT_EQ(st.rejected_invalid_labels, 1u);
  ExpectSamples({{kStart - 29 * kDay, 2}, {kStart + 30 * 60'000, 4}}, Only(store.get(), a));
}

TEST(StorageTest, SeriesLimitRejectsNewSeriesButKeepsExistingOnes) {
  MemStore store;
  store.options().max_series = 2;
  ASSERT_TRUE(store.Open().ok());
  WriteBatch first;
  first.Add(Series("temp", "a"), kStart, 1);
  first.Add(Series("temp", "b"), kStart, 2);
  ASSERT_TRUE(store->Append(first).ok());
  WriteBatch second;
  second.Add(Series("temp", "c"), kStart, 3);
  second.Add(Series("temp", "c"), kStart + 1000, 3.5);
  second.Add(Series("temp", "a"), kStart + 1000, 4);
  AppendReport rep;
  ASSERT_TRUE(store->Append(second, &rep).ok());
  EXPECT_EQ(rep.accepted, 1u);
  EXPECT_EQ(rep.rejected_series_limit, 2u);
  EXPECT_EQ(store->Stats().rejected_series_limit, 2u);
  EXPECT_EQ(store->Stats().series, 2u);
  ExpectSamples({{kStart, 1}, {kStart + 1000, 4}}, Only(store.get(), Series("temp", "a")));
  EXPECT_TRUE(Only(store.get(), Series("temp", "c")).empty());
  auto ref = store->GetSeriesRef(Series("temp", "d"));
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), base::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store->GetSeriesRef(Series("temp", "b")).ok());
}

TEST(StorageTest, OutOfOrderDuplicatesLastWriteWinsAndReplayIsIdempotent) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  Labels a = Series("temp", "x");
  WriteBatch b1, b2, b3;
  for (int i = 10; i < 20; ++i) b1.Add(a, kStart + i * 1000, i);
  for (int i = 0; i < 12; ++i) b2.Add(a, kStart + i * 1000, 100 + i);  // older + two overlaps
  b3.Add(a, kStart + 15'000, 999);
  ASSERT_TRUE(store->Append(b1).ok());
  ASSERT_TRUE(store->Append(b2).ok());
  ASSERT_TRUE(store->Append(b3).ok());
  std::vector<Sample> want;
  for (int i = 0; i < 20; ++i) {
    double v = i < 12 ? 100 + i : i;
    if (i == 15) v = 999;
    want.push_back({kStart + i * 1000, v});
  }
  ExpectSamples(want, Only(store.get(), a));
  EXPECT_GT(store->Stats().out_of_order_samples, 0u);
  ASSERT_TRUE(store->Append(b3).ok());  // replaying the same data changes nothing
  ExpectSamples(want, Only(store.get(), a));
  // Same after sealing everything, and after a reopen.
  store.clock().Advance(3 * kHour);
  ASSERT_TRUE(store->Seal(kStart + kDay).ok());
  EXPECT_GT(store->Stats().sealed_chunks, 0u);
  ExpectSamples(want, Only(store.get(), a));
  ASSERT_TRUE(store.Open().ok());
  ExpectSamples(want, Only(store.get(), a));
}

TEST(StorageTest, LateDataAfterSealingMergesAndCompacts) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  Labels a = Series("energy", "x");
  store.clock().Set(kStart + 5 * kDay);
  std::map<int64_t, double> want;
  WriteBatch b;
  for (int i = 0; i < 1000; ++i) {
    int64_t t = kStart + i * 60'000;
    b.Add(a, t, i * 0.5);
    want[t] = i * 0.5;
  }
  ASSERT_TRUE(store->Append(b).ok());
  ASSERT_TRUE(store->Seal(kStart + 4 * kDay).ok());
  // Days-late corrections overlap the sealed chunk; the newest write must win.
  WriteBatch late;
  for (int i = 500; i < 1500; i += 3) {
    int64_t t = kStart + i * 60'000 + (i % 2);
    late.Add(a, t, -i);
    want[t] = -i;
  }
  ASSERT_TRUE(store->Append(late).ok());
  std::vector<Sample> w;
  for (auto [t, v] : want) w.push_back({t, v});
  ExpectSamples(w, Only(store.get(), a));
  ASSERT_TRUE(store->Seal(kStart + 4 * kDay).ok());  // now overlapping chunks in the partition
  ExpectSamples(w, Only(store.get(), a));
  ASSERT_TRUE(store->Compact().ok());
  EXPECT_GT(store->Stats().compacted_series, 0u);
  ExpectSamples(w, Only(store.get(), a));
  ASSERT_TRUE(store.Open().ok());
  ExpectSamples(w, Only(store.get(), a));
}

TEST(StorageTest, RetentionDropsWholePartitions) {
  MemStore store;
  store.options().retention_ms = 3 * kDay;
  ASSERT_TRUE(store.Open().ok());
  Labels a = Series("temp", "x");
  for (int day = 0; day < 6; ++day) {
    store.clock().Set(kStart + day * kDay + 12 * kHour);
    WriteBatch b;
    b.Add(a, kStart + day * kDay + 6 * kHour, day);
    ASSERT_TRUE(store->Append(b).ok());
    ASSERT_TRUE(store->RunMaintenance().ok());
  }
  auto st = store->Stats();
  EXPECT_GT(st.partitions_dropped, 0u);
  EXPECT_LE(st.partitions, 4u);
  auto got = Only(store.get(), a);
  ASSERT_FALSE(got.empty());
  // Whole partitions (days) go: the oldest survivor is the day containing the horizon.
  for (const auto& s : got) EXPECT_GE(s.t, kStart + 2 * kDay);
  EXPECT_EQ(got.front().v, 2);
  EXPECT_EQ(got.back().v, 5);
}

TEST(StorageTest, HeadMemoryLimitAnswersResourceExhausted) {
  MemStore store;
  store.options().head_memory_limit_bytes = 64 << 10;
  ASSERT_TRUE(store.Open().ok());
  base::Status s;
  int i = 0;
  for (; i < 10000 && s.ok(); ++i) {
    WriteBatch b;
    b.Add(Series("m", std::to_string(i)), kStart - 3 * kHour, i);
    s = store->Append(b);
  }
  ASSERT_EQ(s.code(), base::StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_GT(store->Stats().appends_refused_memory, 0u);
  EXPECT_LT(store->Stats().head_memory_bytes, 2u * (64 << 10));
  // Sealing frees the head and appends are accepted again.
  ASSERT_TRUE(store->Seal(kStart).ok());
  WriteBatch b;
  b.Add(Series("m", "after"), kStart, 1);
  EXPECT_TRUE(store->Append(b).ok());
}

TEST(StorageTest, DiskFullFailsAppendAndStoreStaysConsistent) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  Labels a = Series("temp", "x");
  WriteBatch b1, b2, b3;
  b1.Add(a, kStart, 1);
  b2.Add(a, kStart + 1000, 2);
  b3.Add(a, kStart + 2000, 3);
  ASSERT_TRUE(store->Append(b1).ok());
  store.env().SetWriteBudget(10);
  base::Status s = store->Append(b2);
  EXPECT_EQ(s.code(), base::StatusCode::kIoError);
  ExpectSamples({{kStart, 1}}, Only(store.get(), a));  // failed append is not visible
  store.env().SetWriteBudget(-1);
  ASSERT_TRUE(store->Append(b3).ok());
  ExpectSamples({{kStart, 1}, {kStart + 2000, 3}}, Only(store.get(), a));
  EXPECT_EQ(store->Stats().append_errors, 1u);
  ASSERT_TRUE(store.Open().ok());
  ExpectSamples({{kStart, 1}, {kStart + 2000, 3}}, Only(store.get(), a));
}

TEST(StorageTest, PartitionWriteErrorsFailTheSealButLoseNothing) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  Labels a = Series("temp", "x");
  // A first seal creates the registry entry and the partition.
  WriteBatch b0;
  b0.Add(a, kStart - 10 * kHour, 0);
  ASSERT_TRUE(store->Append(b0).ok());
  ASSERT_TRUE(store->Seal(kStart - 8 * kHour).ok());
  WriteBatch b;
  std::vector<Sample> want = {{kStart - 10 * kHour, 0}};
  for (int i = 0; i < 50; ++i) {
    b.Add(a, kStart - 6 * kHour + i * 60'000, i);
    want.push_back({kStart - 6 * kHour + i * 60'000, static_cast<double>(i)});
  }
  ASSERT_TRUE(store->Append(b).ok());
  store.SetLevelDbWritesFail(true);
  base::Status s = store->Seal(kStart - 2 * kHour);
  EXPECT_FALSE(s.ok());
  ExpectSamples(want, Only(store.get(), a));  // still served from the head
  WriteBatch more;
  more.Add(a, kStart, 99);  // appends keep working: the WAL is not affected
  ASSERT_TRUE(store->Append(more).ok());
  want.push_back({kStart, 99});
  store.SetLevelDbWritesFail(false);
  ASSERT_TRUE(store->Seal(kStart - 2 * kHour).ok());  // retried, partition reopened
  ExpectSamples(want, Only(store.get(), a));
  ASSERT_TRUE(store.Open().ok());
  ExpectSamples(want, Only(store.get(), a));
}

TEST(StorageTest, AppendBySeriesRef) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  Labels a = Series("temp", "ref");
  auto ref = store->GetSeriesRef(a);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(*store->GetSeriesRef(a), *ref);
  EXPECT_FALSE(store->GetSeriesRef(Labels({{"bad-name", "x"}})).ok());
  WriteBatch b;
  b.Add(*ref, kStart, 1);
  b.Add(*ref, kStart + 1000, 2);
  b.Add(SeriesRef{12345}, kStart, 3);  // unknown ref: rejected, the rest is stored
  b.Add(a, kStart + 2000, 4);          // labels and refs mix
  AppendReport rep;
  ASSERT_TRUE(store->Append(b, &rep).ok());
  EXPECT_EQ(rep.accepted, 3u);
  EXPECT_EQ(rep.rejected_invalid_labels, 1u);
  std::vector<Sample> want = {{kStart, 1}, {kStart + 1000, 2}, {kStart + 2000, 4}};
  ExpectSamples(want, Only(store.get(), a));
  ASSERT_TRUE(store.Open().ok());  // the series record was logged with the first samples
  ExpectSamples(want, Only(store.get(), a));
  EXPECT_EQ(*store->GetSeriesRef(a), *ref);
}

// Line protocol interleaves series line by line, by labels and by ref; Append groups a batch's
// entries per series and must keep their order within a series (the last write wins).
TEST(StorageTest, InterleavedEntriesOfOneSeriesKeepBatchOrder) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  Labels a = Series("temp", "a");
  Labels c = Series("temp", "c");
  auto ref = store->GetSeriesRef(a);
  ASSERT_TRUE(ref.ok());
  WriteBatch b;
  b.Add(a, kStart, 1);
  b.Add(c, kStart, 10);
  b.Add(*ref, kStart, 2);            // same series and time by ref: wins over 1
  b.Add(c, kStart - 40 * kDay, 11);  // too old
  b.Add(a, kStart + 1000, 3);
  b.Add(SeriesRef{999}, kStart, 5);  // unknown ref
  b.Add(c, kStart + 1000, 12);
  b.Add(*ref, kStart + 1000, 4);  // wins over 3
  b.Add(a, kStart + 500, 6);      // older than the newest: out of order, still stored
  AppendReport rep;
  ASSERT_TRUE(store->Append(b, &rep).ok());
  EXPECT_EQ(rep.accepted, 7u);
  EXPECT_EQ(rep.rejected_too_old, 1u);
  EXPECT_EQ(rep.rejected_invalid_labels, 1u);
  const std::vector<Sample> want_a = {{kStart, 2}, {kStart + 500, 6}, {kStart + 1000, 4}};
  const std::vector<Sample> want_c = {{kStart, 10}, {kStart + 1000, 12}};
  ExpectSamples(want_a, Only(store.get(), a));
  ExpectSamples(want_c, Only(store.get(), c));
  ASSERT_TRUE(store.Open().ok());  // the WAL replays the same answer
  ExpectSamples(want_a, Only(store.get(), a));
  ExpectSamples(want_c, Only(store.get(), c));
}

// A batch large enough to be grouped by radix sort, over more series than one 13-bit digit
// holds, written in descending series order with repeated timestamps: each series must keep its
// batch order. A batch naming a huge unknown ref takes the comparison-sort path.
TEST(StorageTest, LargeInterleavedBatchKeepsBatchOrderPerSeries) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  constexpr int kSeries = 9000;
  std::vector<Labels> labels;
  std::vector<SeriesRef> refs;
  for (int i = 0; i < kSeries; ++i) {
    labels.push_back(Series("temp", "r" + std::to_string(i)));
    refs.push_back(*store->GetSeriesRef(labels.back()));
  }
  WriteBatch b;
  for (int round = 0; round < 3; ++round) {
    for (int i = kSeries - 1; i >= 0; --i) {  // round 2 rewrites round 0's time and wins
      b.Add(refs[i], kStart + (round % 2) * 1000, round * 100000 + i);
    }
  }
  AppendReport rep;
  ASSERT_TRUE(store->Append(b, &rep).ok());
  EXPECT_EQ(rep.accepted, 3u * kSeries);
  WriteBatch huge;
  for (int i = 0; i < 100; ++i) huge.Add(refs[i], kStart + 2000, -i);
  huge.Add(SeriesRef{uint64_t{1} << 50}, kStart, 1);  // unknown
  ASSERT_TRUE(store->Append(huge, &rep).ok());
  EXPECT_EQ(rep.accepted, 100u);
  EXPECT_EQ(rep.rejected_invalid_labels, 1u);
  for (bool reopened : {false, true}) {
    if (reopened) {
      ASSERT_TRUE(store.Open().ok());
    }
    for (int i : {0, 1, 99, 8190, 8191, 8999}) {
      std::vector<Sample> want = {{kStart, 200000.0 + i}, {kStart + 1000, 100000.0 + i}};
      if (i < 100) want.push_back({kStart + 2000, static_cast<double>(-i)});
      SCOPED_TRACE(i);
      ExpectSamples(want, Only(store.get(), labels[i]));
    }
  }
}

TEST(StorageTest, ConcurrentAppendersAndReaders) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  constexpr int kWriters = 4, kSeriesPerWriter = 20, kRounds = 50;
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int r = 0; r < kRounds; ++r) {
        WriteBatch b;
        for (int s = 0; s < kSeriesPerWriter; ++s) {
          b.Add(Series("w" + std::to_string(w), std::to_string(s)), kStart + r * 1000, r);
        }
        ASSERT_TRUE(store->Append(b).ok());
      }
    });
  }
  std::thread reader([&] {
    while (!done) {
      for (auto& [l, samples] : ReadAll(store.get(), kStart, kStart + kDay, {})) {
        for (size_t i = 0; i < samples.size(); ++i) {
          ASSERT_EQ(samples[i].t, kStart + static_cast<int64_t>(i) * 1000) << l.ToString();
        }
      }
    }
  });
  std::thread sealer([&] {
    for (int i = 0; i < 5 && !done; ++i) ASSERT_TRUE(store->Seal(kStart + 10'000 * i).ok());
  });
  for (auto& t : threads) t.join();
  sealer.join();
  done = true;
  reader.join();
  auto all = ReadAll(store.get(), kStart, kStart + kDay, {});
  ASSERT_EQ(all.size(), static_cast<size_t>(kWriters * kSeriesPerWriter));
  for (auto& [l, samples] : all) EXPECT_EQ(samples.size(), static_cast<size_t>(kRounds));
  EXPECT_EQ(store->Stats().samples_appended,
            static_cast<uint64_t>(kWriters * kSeriesPerWriter * kRounds));
}

TEST(StorageTest, ReopenWithLargeRegistry) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  constexpr int kSeries = 20000;
  for (int base = 0; base < kSeries; base += 1000) {
    WriteBatch b;
    for (int i = base; i < base + 1000; ++i) {
      b.Add(Labels({{"__name__", "m" + std::to_string(i % 7)}, {"id", std::to_string(i)}}),
            kStart - 3 * kHour, i);
    }
    ASSERT_TRUE(store->Append(b).ok());
  }
  ASSERT_TRUE(store->Seal(kStart - kHour).ok());  // persists the registry, checkpoints the WAL
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(store.Open().ok());
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(store->Stats().series, static_cast<uint64_t>(kSeries));
  EXPECT_LT(elapsed, std::chrono::seconds(20));
  auto q = store->NewQuerier(kStart - kDay, kStart);
  EXPECT_EQ(q->LabelValues("__name__", {})->size(), 7u);
  auto got = ReadAll(store.get(), kStart - kDay, kStart, {Matcher::Equal("id", "12345")});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second[0].v, 12345);
}

TEST(StorageTest, BackgroundMaintenanceSealsOncePerBlock) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  Labels a = Series("temp", "bg");
  WriteBatch b;
  for (int i = 0; i < 100; ++i) b.Add(a, kStart - 5 * kHour + i * 60'000, i);
  ASSERT_TRUE(store->Append(b).ok());
  // Reopen with the background thread on: the data comes back from the WAL and gets sealed.
  store.options().maintenance_interval_ms = 2;
  ASSERT_TRUE(store.Open().ok());
  auto wait_for = [&](auto pred) {
    for (int i = 0; i < 2000 && !pred(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return pred();
  };
  ASSERT_TRUE(wait_for([&] {
    auto st = store->Stats();
    return st.sealed_samples == 100 && st.seal_rounds == 1;
  }));
  uint64_t rounds = store->Stats().seal_rounds;
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(store->Stats().seal_rounds, rounds);  // same block: nothing more to seal
  store.clock().Advance(2 * kHour);
  ASSERT_TRUE(wait_for([&] { return store->Stats().seal_rounds > rounds; }));
  EXPECT_EQ(Only(store.get(), a).size(), 100u);
}

TEST(StorageTest, WorksOnRealDisk) {
  char tmpl[] = "/tmp/tidemark_storage_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  base::FakeClock clock(kStart);
  StorageOptions opt;
  opt.clock = &clock;
  opt.maintenance_interval_ms = 0;
  Labels a = Series("temp", "disk");
  {
    auto s = Storage::Open(opt, dir);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    WriteBatch b;
    for (int i = 0; i < 100; ++i) b.Add(a, kStart - 5 * kHour + i * 60'000, i / 10.0);
    ASSERT_TRUE((*s)->Append(b).ok());
    ASSERT_TRUE((*s)->Seal(kStart - 4 * kHour).ok());
  }
  auto s = Storage::Open(opt, dir);
  ASSERT_TRUE(s.ok());
  auto got = Only(s->get(), a);
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got[37].v, 3.7);
  s->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tidemark::storage

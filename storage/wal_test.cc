#include "storage/wal.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "storage/fault_env.h"
#include "storage/varint.h"
#include "storage/wal_records.h"

namespace tidemark::storage {
namespace {

// Payload: writer id, sequence number, then filler of a random length.
std::string Payload(uint64_t writer, uint64_t seq, size_t filler) {
  std::string p;
  PutVarint(&p, writer);
  PutVarint(&p, seq);
  p.append(filler, static_cast<char>('a' + seq % 26));
  return p;
}

struct Replayed {
  std::vector<std::pair<uint64_t, uint64_t>> records;  // (writer, seq) in log order
  Wal::ReplayFn Fn() {
    return [this](WalRecordType type, std::string_view payload) {
      uint64_t w = 0, s = 0;
      EXPECT_EQ(type, WalRecordType::kSamples);
      EXPECT_TRUE(GetVarint(&payload, &w) && GetVarint(&payload, &s));
      for (char c : payload) EXPECT_EQ(c, static_cast<char>('a' + s % 26));
      records.emplace_back(w, s);
    };
  }
};

std::string Framed(uint64_t writer, uint64_t seq, size_t filler) {
  std::string f;
  AppendWalRecord(&f, WalRecordType::kSamples, Payload(writer, seq, filler));
  return f;
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.CreateDirs("/db").ok()); }
  std::unique_ptr<Wal> Open(Replayed* r, WalOptions opt = {}) {
    auto wal = Wal::Open(&env_, "/db/wal", opt, r->Fn());
    EXPECT_TRUE(wal.ok()) << wal.status().ToString();
    return wal.ok() ? std::move(*wal) : nullptr;
  }
  FaultInjectionEnv env_;
};

TEST_F(WalTest, ReplaysInOrderAfterReopen) {
  Replayed r;
  auto wal = Open(&r);
  for (uint64_t i = 0; i < 100; ++i) ASSERT_TRUE(wal->Write(Framed(0, i, i % 17)).ok());
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_FALSE(wal->Write(Framed(0, 100, 1)).ok());
  wal.reset();
  Replayed r2;
  wal = Open(&r2);
  ASSERT_EQ(r2.records.size(), 100u);
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(r2.records[i].second, i);
  EXPECT_EQ(wal->stats().records_replayed, 100u);
}

TEST_F(WalTest, TornAndCorruptTailsAreTruncatedNotFatal) {
  std::mt19937_64 rng(5);
  for (int iter = 0; iter < 50; ++iter) {
    FaultInjectionEnv env;
    ASSERT_TRUE(env.CreateDirs("/w").ok());
    Replayed r;
    auto wal = std::move(*Wal::Open(&env, "/w", {}, r.Fn()));
    uint64_t n = 1 + rng() % 30;
    for (uint64_t i = 0; i < n; ++i) ASSERT_TRUE(wal->Write(Framed(0, i, rng() % 40)).ok());
    std::string path = "/w/" + std::string("00000001.wal");
    uint64_t size = env.FileSize(path);
    ASSERT_GT(size, 0u);
    wal.reset();
    // Damage: cut at a random byte, or flip a random byte, or append garbage.
    auto data = *env.ReadFile(path);
    int mode = static_cast<int>(rng() % 3);
    uint64_t at = rng() % size;
    if (mode == 0) {
      ASSERT_TRUE(env.TruncateFile(path, at).ok());
    } else {
      ASSERT_TRUE(env.Delete(path).ok());
      if (mode == 1) data[at] ^= 0x40;
      if (mode == 2) data.append("garbage-bytes-at-the-end");
      auto f = std::move(*env.OpenAppendable(path));
      ASSERT_TRUE(f->Append(data).ok());
    }
    Replayed r2;
    auto reopened = Wal::Open(&env, "/w", {}, r2.Fn());
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    ASSERT_LE(r2.records.size(), n);
    if (mode == 2) {
      EXPECT_EQ(r2.records.size(), n);
    }
    for (size_t i = 0; i < r2.records.size(); ++i) EXPECT_EQ(r2.records[i].second, i);
    // A cut exactly at a record boundary leaves nothing to truncate; any other damage is cut.
    EXPECT_EQ((*reopened)->stats().torn_tails_truncated, mode == 0 ? env.FileSize(path) < at : 1u);
    // The log keeps working after the truncation.
    ASSERT_TRUE((*reopened)->Write(Framed(1, 0, 3)).ok());
    reopened->reset();
    Replayed r3;
    ASSERT_TRUE(Wal::Open(&env, "/w", {}, r3.Fn()).ok());
    ASSERT_EQ(r3.records.size(), r2.records.size() + 1);
    EXPECT_EQ(r3.records.back().first, 1u);
  }
}

TEST_F(WalTest, ConcurrentWritersAreGroupCommitted) {
  Replayed r;
  auto wal = Open(&r);
  constexpr int kThreads = 8, kPerThread = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) ASSERT_TRUE(wal->Write(Framed(t, i, 10)).ok());
    });
  }
  for (auto& t : threads) t.join();
  auto stats = wal->stats();
  EXPECT_EQ(stats.writes, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LE(stats.group_commits, stats.writes);
  // With a slow fsync, writers queue up behind the leader and share its write and sync.
  env_.SetSyncDelay(std::chrono::milliseconds(2));
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = kPerThread; i < kPerThread + 10; ++i) {
        ASSERT_TRUE(wal->Write(Framed(t, i, 10)).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  env_.SetSyncDelay(std::chrono::microseconds(0));
  auto slow = wal->stats();
  uint64_t writes = slow.writes - stats.writes, commits = slow.group_commits - stats.group_commits;
  EXPECT_EQ(writes, static_cast<uint64_t>(kThreads * 10));
  EXPECT_LT(commits * 2, writes) << commits << " group commits for " << writes << " writes";
  wal.reset();
  Replayed r2;
  wal = Open(&r2);
  ASSERT_EQ(r2.records.size(), static_cast<size_t>(kThreads * (kPerThread + 10)));
  std::map<uint64_t, uint64_t> next;
  for (auto [w, s] : r2.records) EXPECT_EQ(s, next[w]++) << "writer " << w;
}

// Writers append while a crash drops unsynced bytes at a random point; everything acknowledged
// under kEveryBatch must come back, in per-writer order, and nothing that was never written.
TEST(WalCrashTest, AcknowledgedRecordsSurviveRandomCrashes) {
  std::mt19937_64 seed_rng(1234);
  int interrupted = 0;  // iterations where the crash cut writers short
  for (int iter = 0; iter < 300; ++iter) {
    uint64_t seed = seed_rng();
    std::mt19937_64 rng(seed);
    FaultInjectionEnv env;
    ASSERT_TRUE(env.CreateDirs("/c").ok());
    Replayed first;
    WalOptions opt;
    opt.segment_bytes = 256 + rng() % 2048;  // force rotations
    const bool every_batch = iter % 3 != 2;
    if (!every_batch) {
      opt.sync_policy = SyncPolicy::kInterval;
      opt.sync_interval_ms = 1;
    }
    auto wal = std::move(*Wal::Open(&env, "/c", opt, first.Fn()));
    constexpr int kThreads = 3;
    std::vector<std::vector<uint64_t>> acked(kThreads);
    std::atomic<bool> crashed{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t, filler_seed = rng()] {
        std::mt19937_64 local(filler_seed);
        for (uint64_t i = 0; i < 60 && !crashed; ++i) {
          if (wal->Write(Framed(t, i, local() % 64)).ok()) {
            acked[t].push_back(i);
          } else {
            break;
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    std::mt19937_64 crash_rng(seed ^ 0x5eed);
    env.Crash(&crash_rng, /*garbage=*/iter % 2 == 1);
    crashed = true;
    for (auto& th : threads) th.join();
    wal.reset();
    env.Restart();
    Replayed after;
    auto reopened = Wal::Open(&env, "/c", opt, after.Fn());
    ASSERT_TRUE(reopened.ok()) << "seed " << seed << ": " << reopened.status().ToString();
    for (const auto& a : acked) interrupted += a.size() < 60 ? 1 : 0;
    std::vector<std::vector<uint64_t>> got(kThreads);
    for (auto [w, s] : after.records) {
      ASSERT_LT(w, static_cast<uint64_t>(kThreads)) << "seed " << seed;
      got[w].push_back(s);
    }
    for (int t = 0; t < kThreads; ++t) {
      // Replayed records of a writer are a gap-free prefix of what it wrote...
      for (size_t i = 0; i < got[t].size(); ++i) ASSERT_EQ(got[t][i], i) << "seed " << seed;
      // ...that covers everything acknowledged to it.
      // ...that covers everything acknowledged to it (only promised under kEveryBatch).
      if (every_batch) {
        ASSERT_GE(got[t].size(), acked[t].size()) << "seed " << seed << " writer " << t;
      }
    }
  }
  EXPECT_GT(interrupted, 30);
}

TEST_F(WalTest, DiskFullFailsTheWriteAndKeepsTheLogReadable) {
  Replayed r;
  auto wal = Open(&r);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(wal->Write(Framed(0, i, 20)).ok());
  env_.SetWriteBudget(15);
  base::Status s = wal->Write(Framed(0, 10, 20));
  EXPECT_EQ(s.code(), base::StatusCode::kIoError);
  EXPECT_NE(s.message().find("no space"), std::string::npos) << s.ToString();
  env_.SetWriteBudget(-1);
  ASSERT_TRUE(wal->Write(Framed(0, 11, 20)).ok());
  env_.SetSyncFails(true);
  EXPECT_FALSE(wal->Write(Framed(0, 12, 20)).ok());
  env_.SetSyncFails(false);
  ASSERT_TRUE(wal->Write(Framed(0, 13, 20)).ok());
  EXPECT_EQ(wal->stats().write_errors, 2u);
  wal.reset();
  Replayed r2;
  wal = Open(&r2);
  std::vector<uint64_t> seqs;
  for (auto [w, q] : r2.records) seqs.push_back(q);
  // 10 was cut back; 12 was written but its sync failed (may be kept), 11 and 13 must be there.
  std::vector<uint64_t> want = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11};
  ASSERT_GE(seqs.size(), want.size() + 1);
  EXPECT_TRUE(std::equal(want.begin(), want.end(), seqs.begin()));
  EXPECT_EQ(seqs.back(), 13u);
  EXPECT_EQ(std::count(seqs.begin(), seqs.end(), 10u), 0);
}

TEST_F(WalTest, CheckpointKeepsSelectedRecordsAndDropsOldSegments) {
  Replayed r;
  auto wal = Open(&r);
  for (uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(wal->Write(Framed(0, i, 5)).ok());
  auto closed = wal->Rotate();
  ASSERT_TRUE(closed.ok());
  for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(wal->Write(Framed(1, i, 5)).ok());
  EXPECT_FALSE(wal->Checkpoint(wal->current_segment(), nullptr).ok());
  ASSERT_TRUE(wal->Checkpoint(*closed,
                              [](WalRecordType type, std::string_view p, std::string* out) {
                                uint64_t w, s;
                                std::string_view q = p;
                                ASSERT_TRUE(GetVarint(&q, &w) && GetVarint(&q, &s));
                                if (s % 2 == 0) AppendWalRecord(out, type, p);
                              })
                  .ok());
  EXPECT_FALSE(env_.Exists("/db/wal/00000001.wal"));
  EXPECT_TRUE(env_.Exists("/db/wal/checkpoint.00000001"));
  wal.reset();
  Replayed r2;
  wal = Open(&r2);
  ASSERT_EQ(r2.records.size(), 15u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(r2.records[i], std::make_pair(uint64_t{0}, i * 2));
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(r2.records[10 + i], std::make_pair(uint64_t{1}, i));
}

TEST_F(WalTest, IntervalPolicySyncsInTheBackground) {
  Replayed r;
  WalOptions opt;
  opt.sync_policy = SyncPolicy::kInterval;
  opt.sync_interval_ms = 5;
  auto wal = Open(&r, opt);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(wal->Write(Framed(0, i, 5)).ok());
  for (int i = 0; i < 200 && wal->stats().syncs == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT(wal->stats().syncs, 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::mt19937_64 rng(1);
  env_.Crash(&rng);
  wal.reset();
  env_.Restart();
  Replayed r2;
  wal = Open(&r2, opt);
  EXPECT_EQ(r2.records.size(), 10u);
}

TEST_F(WalTest, DeferredWritesShareOneSyncAndSurviveACrashOnlyOnceSynced) {
  Replayed r;
  auto wal = Open(&r);  // kEveryBatch
  for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(wal->Write(Framed(0, i, 9), true).ok());
  EXPECT_EQ(wal->stats().syncs, 0u);
  ASSERT_TRUE(wal->Sync().ok());
  EXPECT_EQ(wal->stats().syncs, 1u);
  for (uint64_t i = 5; i < 8; ++i) ASSERT_TRUE(wal->Write(Framed(0, i, 9), true).ok());
  std::mt19937_64 rng(3);
  env_.Crash(&rng, /*garbage=*/true);
  wal.reset();
  env_.Restart();
  Replayed r2;
  wal = Open(&r2);
  ASSERT_GE(r2.records.size(), 5u) << "synced deferred writes were lost";
  ASSERT_LE(r2.records.size(), 8u);
  for (size_t i = 0; i < r2.records.size(); ++i) EXPECT_EQ(r2.records[i].second, i);
}

TEST(WalRecordsTest, RoundTripAndGarbageNeverCrashes) {
  std::mt19937_64 rng(77);
  std::vector<Sample> a = {{-5, 1.5}, {0, BitsDouble(0x7ff0000000000002ULL)}, {INT64_MAX, -0.0}};
  std::vector<Sample> b = {{INT64_MIN, 2}};
  std::vector<SeriesSamples> groups = {{3, a}, {1ULL << 40, b}};
  std::string framed;
  AppendSamplesRecord(&framed, groups);
  std::string_view payload = std::string_view(framed).substr(9);
  std::vector<std::pair<SeriesId, std::vector<Sample>>> got;
  ASSERT_TRUE(DecodeSamplesRecord(payload, [&](SeriesId id, std::span<const Sample> xs) {
                got.emplace_back(id, std::vector<Sample>(xs.begin(), xs.end()));
              }).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].first, 1ULL << 40);
  ASSERT_EQ(got[0].second.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(got[0].second[i].t, a[i].t);
    EXPECT_EQ(DoubleBits(got[0].second[i].v), DoubleBits(a[i].v));
  }
  EXPECT_EQ(got[1].second[0].t, INT64_MIN);
  std::string series;
  AppendSeriesRecord(&series, 9, Labels({{"__name__", "m"}, {"k", "v"}}));
  SeriesId id;
  Labels labels;
  ASSERT_TRUE(DecodeSeriesRecord(std::string_view(series).substr(9), &id, &labels).ok());
  EXPECT_EQ(id, 9u);
  EXPECT_EQ(labels.ToString(), "m{k=\"v\"}");
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    if (i % 2 == 0 && !junk.empty()) junk[0] = static_cast<char>(rng() % 4);
    (void)DecodeSamplesRecord(junk, [](SeriesId, std::span<const Sample>) {});
    (void)DecodeSeriesRecord(junk, &id, &labels);
  }
}

}  // namespace
}  // namespace tidemark::storage

// Chunk span bounds: sealing and compaction write chunks that each lie in one span window, so a
// short query decodes only the chunks it overlaps, and the samples read back are unchanged.
#include "storage/partition.h"

#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>

#include <map>
#include <random>

#include "storage/sealed_chunk.h"
#include "storage/storage_test_util.h"

namespace tidemark::storage {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kStart;

// Collects the runs ForEachChunkRun cuts `samples` into.
std::vector<std::vector<Sample>> Runs(const std::vector<Sample>& samples, int64_t span,
                                      size_t max_samples) {
  std::vector<std::vector<Sample>> out;
  ForEachChunkRun(samples, span, max_samples,
                  [&](std::span<const Sample> run) { out.emplace_back(run.begin(), run.end()); });
  return out;
}

TEST(ChunkSpanTest, RunsStayInsideAlignedWindowsAndTheSampleCap) {
  EXPECT_EQ(ChunkSpanEnd(0, 10), 10);
  EXPECT_EQ(ChunkSpanEnd(9, 10), 10);
  EXPECT_EQ(ChunkSpanEnd(10, 10), 20);
  EXPECT_EQ(ChunkSpanEnd(-1, 10), 0);
  EXPECT_EQ(ChunkSpanEnd(-10, 10), 0);
  EXPECT_EQ(ChunkSpanEnd(5, 0), INT64_MAX);

  std::vector<Sample> xs;
  for (int64_t t = -15; t < 35; t += 5) xs.push_back({t, static_cast<double>(t)});
  auto runs = Runs(xs, 10, 100);
  ASSERT_EQ(runs.size(), 6u);  // windows [-20,-10) [-10,0) [0,10) [10,20) [20,30) [30,40)
  size_t total = 0;
  for (const auto& run : runs) {
    ASSERT_FALSE(run.empty());
    EXPECT_LT(run.back().t, ChunkSpanEnd(run.front().t, 10));
    total += run.size();
  }
  EXPECT_EQ(total, xs.size());
  EXPECT_EQ(runs[0].front().t, -15);  // alone in [-20,-10)
  EXPECT_EQ(runs[0].size(), 1u);

  auto capped = Runs(xs, 0, 3);  // no span: only the cap splits
  ASSERT_EQ(capped.size(), 4u);
  EXPECT_EQ(capped[0].size(), 3u);
  EXPECT_EQ(capped[3].size(), 1u);
}

class PartitionSpanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.reset(leveldb::NewMemEnv(leveldb::Env::Default()));
    auto p = Partition::Open(env_.get(), nullptr, "/p", kStart, kStart + kDay);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    part_ = *p;
  }
  // Bytes of every file of the partition's database.
  size_t FilesBytes() {
    std::vector<std::string> names;
    EXPECT_TRUE(env_->GetChildren("/p", &names).ok());
    size_t total = 0;
    for (const auto& name : names) {
      uint64_t size = 0;
      const std::string path = name.rfind("/p/", 0) == 0 ? name : "/p/" + name;
      if (env_->GetFileSize(path, &size).ok()) total += size;
    }
    return total;
  }
  StoredChunk Chunk(const std::vector<Sample>& xs) {
    return {7, xs.front().t, xs.back().t, 0, EncodeSealedChunk(xs)};
  }

  std::unique_ptr<leveldb::Env> env_;
  std::shared_ptr<Partition> part_;
};

TEST_F(PartitionSpanTest, CompactionSplitsMergedSeriesIntoSpanWindows) {
  // One chunk over 10 h (as written before spans were bounded) and late overlapping corrections.
  std::map<int64_t, double> want;
  std::vector<Sample> day, late;
  for (int64_t t = kStart; t < kStart + 10 * kHour; t += 60'000) {
    day.push_back({t, 1.0});
    want[t] = 1.0;
  }
  for (int64_t t = kStart + 3 * kHour; t < kStart + 5 * kHour; t += 90'000) {
    late.push_back({t, 2.0});
    want[t] = 2.0;
  }
  ASSERT_TRUE(part_->Write({Chunk(day)}, true).ok());
  ASSERT_TRUE(part_->Write({Chunk(late)}, true).ok());

  auto n = part_->Compact(/*merge_all=*/true, 3, /*span_ms=*/2 * kHour);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1u);
  std::vector<StoredChunk> chunks;
  ASSERT_TRUE(part_->Read(7, INT64_MIN, INT64_MAX, &chunks).ok());
  ASSERT_EQ(chunks.size(), 5u);  // 10 h in 2 h windows
  EXPECT_FALSE(ChunksOverlap(chunks));
  for (const auto& c : chunks) {
    EXPECT_LT(c.max_t, ChunkSpanEnd(c.min_t, 2 * kHour)) << c.min_t;
  }
  std::vector<Sample> got;
  ASSERT_TRUE(DecodeMergedLastWins(&chunks, &got).ok());
  ASSERT_EQ(got.size(), want.size());
  size_t i = 0;
  for (const auto& [t, v] : want) {
    EXPECT_EQ(got[i].t, t);
    EXPECT_EQ(got[i].v, v) << t;
    ++i;
  }
  // A one-hour read now touches one chunk instead of the whole series.
  chunks.clear();
  ASSERT_TRUE(part_->Read(7, kStart + 6 * kHour + 1, kStart + 7 * kHour, &chunks).ok());
  EXPECT_EQ(chunks.size(), 1u);
}

// Samples every `step` ms over [from, to), cut into 2 h chunks as sealing writes them.
std::vector<StoredChunk> TwoHourChunks(int64_t from, int64_t to, int64_t step,
                                       std::vector<Sample>* all, SeriesId id = 7) {
  std::vector<Sample> xs;
  for (int64_t t = from; t < to; t += step) xs.push_back({t, static_cast<double>(t % 977)});
  all->insert(all->end(), xs.begin(), xs.end());
  std::vector<StoredChunk> out;
  ForEachChunkRun(xs, 2 * kHour, kMaxChunkSamples, [&](std::span<const Sample> run) {
    out.push_back({id, run.front().t, run.back().t, 0, EncodeSealedChunk(run)});
  });
  return out;
}

// The newest 8 h of a series keep 2 h chunks; older ones are merged once and then left alone.
TEST_F(PartitionSpanTest, CompactionMergesChunksOlderThanTheRecentWindow) {
  std::vector<Sample> want;
  ASSERT_TRUE(part_->Write(TwoHourChunks(kStart, kStart + 20 * kHour, 10'000, &want), true).ok());
  auto compact = [&] { return *part_->Compact(false, 3, 2 * kHour, 8 * kHour); };
  auto read = [&] {
    std::vector<StoredChunk> chunks;
    EXPECT_TRUE(part_->Read(7, INT64_MIN, INT64_MAX, &chunks).ok());
    return chunks;
  };
  auto expect_samples = [&](std::vector<StoredChunk> chunks) {
    std::vector<Sample> got;
    ASSERT_TRUE(DecodeMergedLastWins(&chunks, &got).ok());
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].t, want[i].t);
      ASSERT_EQ(got[i].v, want[i].v);
    }
  };
  EXPECT_EQ(compact(), 1u);
  // Newest sample in [18 h, 20 h): windows from 10 h on stay, [0, 10 h) becomes one chunk.
  auto chunks = read();
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_EQ(chunks[0].min_t, kStart);
  EXPECT_LT(chunks[0].max_t, kStart + 10 * kHour);
  EXPECT_EQ(chunks[1].min_t, kStart + 10 * kHour);
  expect_samples(chunks);
  EXPECT_EQ(compact(), 0u);  // nothing new: not rewritten

  // Two more hours: the 10-12 h window ages into the merged chunk.
  ASSERT_TRUE(
      part_->Write(TwoHourChunks(kStart + 20 * kHour, kStart + 22 * kHour, 10'000, &want), true)
          .ok());
  EXPECT_EQ(compact(), 1u);
  chunks = read();
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_LT(chunks[0].max_t, kStart + 12 * kHour);
  EXPECT_EQ(chunks[1].min_t, kStart + 12 * kHour);
  expect_samples(chunks);
}

// Merging rewrites most of a day; the superseded chunks must leave the disk, not only the reads.
// Enough series that the writes pass through LevelDB's tables, not just its 4 MB write buffer.
TEST_F(PartitionSpanTest, MergingAgedChunksFreesTheirDiskSpace) {
  std::vector<StoredChunk> chunks;
  std::mt19937_64 rng(3);
  for (SeriesId id = 1; id <= 250; ++id) {
    std::vector<Sample> xs;
    for (int64_t t = kStart; t < kStart + 20 * kHour; t += 10'000) {
      xs.push_back({t, static_cast<double>(rng() % 65536)});
    }
    ForEachChunkRun(xs, 2 * kHour, kMaxChunkSamples, [&](std::span<const Sample> run) {
      chunks.push_back({id, run.front().t, run.back().t, 0, EncodeSealedChunk(run)});
    });
  }
  size_t written = 0;
  for (const auto& c : chunks) written += c.data.size();
  ASSERT_GT(written, size_t{4} << 20);
  ASSERT_TRUE(part_->Write(std::move(chunks), true).ok());
  EXPECT_EQ(*part_->Compact(false, 3, 2 * kHour, 6 * kHour), 250u);
  size_t live = 0;
  for (SeriesId id = 1; id <= 250; ++id) {
    std::vector<StoredChunk> read;
    ASSERT_TRUE(part_->Read(id, INT64_MIN, INT64_MAX, &read).ok());
    ASSERT_EQ(read.size(), 5u);  // [0, 12 h) merged, then 12-14 ... 18-20 h
    for (const auto& c : read) live += c.data.size() + 32;  // with key and value prefix
  }
  EXPECT_LT(FilesBytes(), live * 11 / 10);
}

// The 2 h chunks of many series in one window repeat their headers (first time, interval, count)
// and key times: the partition stores them in a few bytes more than the chunk values. Without
// block compression each costs ~30 bytes more (a 25-byte key, LevelDB's sequence and framing).
TEST_F(PartitionSpanTest, ShortChunksOfOneWindowTakeLessDiskThanTheirValues) {
  std::vector<StoredChunk> chunks;
  std::mt19937_64 rng(5);
  for (SeriesId id = 1; id <= 400; ++id) {
    std::vector<Sample> xs;
    int64_t tenths = 200;
    for (int64_t t = kStart; t < kStart + 6 * kHour; t += 10'000) {
      tenths += static_cast<int64_t>(rng() % 5 == 0) - static_cast<int64_t>(rng() % 5 == 0);
      xs.push_back({t, static_cast<double>(tenths) / 10});
    }
    ForEachChunkRun(xs, 2 * kHour, kMaxChunkSamples, [&](std::span<const Sample> run) {
      chunks.push_back({id, run.front().t, run.back().t, 0, EncodeSealedChunk(run)});
    });
  }
  size_t values = 0;
  for (const auto& c : chunks) values += c.data.size();
  const size_t count = chunks.size();
  ASSERT_TRUE(part_->Write(std::move(chunks), true).ok());
  // Reopening moves LevelDB's log into a table, whose blocks are what a partition keeps.
  part_.reset();
  auto reopened = Partition::Open(env_.get(), nullptr, "/p", kStart, kStart + kDay);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  part_ = *reopened;
  EXPECT_LT(FilesBytes(), values + 12 * count);
}

// Aged samples beyond one chunk's cap stay in as few chunks as fit, and are not rewritten again.
TEST_F(PartitionSpanTest, MergedAgedChunksAtTheSampleCapAreLeftAlone) {
  std::vector<Sample> want;
  ASSERT_TRUE(part_->Write(TwoHourChunks(kStart, kStart + 20 * kHour, 500, &want), true).ok());
  EXPECT_EQ(*part_->Compact(false, 3, 2 * kHour, 8 * kHour), 1u);
  std::vector<StoredChunk> chunks;
  ASSERT_TRUE(part_->Read(7, INT64_MIN, INT64_MAX, &chunks).ok());
  // 10 h at 2 samples a second: 72,000 aged samples in two chunks, then five 2 h windows.
  ASSERT_EQ(chunks.size(), 7u);
  EXPECT_EQ(*SealedChunkSamples(chunks[0].data), kMaxChunkSamples);
  EXPECT_EQ(*part_->Compact(false, 3, 2 * kHour, 8 * kHour), 0u);
}

TEST(StorageChunkSpanTest, SealingWritesOneChunkPerSpanWindow) {
  testing::MemStore store;
  store.options().chunk_span_ms = 2 * kHour;
  ASSERT_TRUE(store.Open().ok());
  store.clock().Set(kStart + 12 * kHour);
  Labels a({{"__name__", "temp"}, {"room", "x"}});
  WriteBatch b;
  std::vector<Sample> want;
  for (int64_t t = kStart + kHour; t < kStart + 11 * kHour; t += 10'000) {
    b.Add(a, t, static_cast<double>(t % 1000));
    want.push_back({t, static_cast<double>(t % 1000)});
  }
  ASSERT_TRUE(store->Append(b).ok());
  ASSERT_TRUE(store->Seal(kStart + 12 * kHour).ok());
  // [1h, 11h) meets the windows starting at 0, 2, 4, 6, 8 and 10 h.
  EXPECT_EQ(store->Stats().sealed_chunks, 6u);
  auto all =
      testing::ReadAll(store.get(), kStart, kStart + kDay, {Matcher::Equal("__name__", "temp")});
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].second.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(all[0].second[i].t, want[i].t);
}

// Maintenance compacts the current partition with the recent window: a bulk load of 20 h sealed
// as 2 h chunks keeps only the newest windows short, and reads are unchanged.
TEST(StorageChunkSpanTest, CompactionKeepsOnlyTheRecentHoursInShortChunks) {
  testing::MemStore store;
  ASSERT_EQ(store.options().recent_chunks_ms, 6 * kHour);  // the default
  ASSERT_TRUE(store.Open().ok());
  store.clock().Set(kStart + 22 * kHour);
  Labels a({{"__name__", "temp"}, {"room", "x"}});
  WriteBatch b;
  for (int64_t t = kStart; t < kStart + 20 * kHour; t += 10'000) b.Add(a, t, 1.5);
  ASSERT_TRUE(store->Append(b).ok());
  ASSERT_TRUE(store->Seal(kStart + 22 * kHour).ok());
  EXPECT_EQ(store->Stats().sealed_chunks, 10u);
  ASSERT_TRUE(store->Compact().ok());
  EXPECT_EQ(store->Stats().compacted_series, 1u);
  ASSERT_TRUE(store->Compact().ok());
  EXPECT_EQ(store->Stats().compacted_series, 1u);  // already merged
  auto all =
      testing::ReadAll(store.get(), kStart, kStart + kDay, {Matcher::Equal("__name__", "temp")});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].second.size(), size_t{20 * 360});
}

TEST(StorageChunkSpanTest, SpanMustDivideThePartition) {
  testing::MemStore store;
  store.options().chunk_span_ms = 5 * kHour;
  EXPECT_FALSE(store.Open().ok());
  store.options().chunk_span_ms = 0;  // unbounded is allowed
  EXPECT_TRUE(store.Open().ok());
}

}  // namespace
}  // namespace tidemark::storage

#include "server/ingest/dead_letters.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

namespace tidemark::server::ingest {
namespace {

class DeadLettersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("tidemark_dl_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

std::vector<Rejected> Rejections(int n, const std::string& reason) {
  std::vector<Rejected> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({static_cast<size_t>(i + 1), reason, "why " + std::to_string(i),
                   "raw line " + std::to_string(i)});
  }
  return out;
}

TEST_F(DeadLettersTest, ListsNewestFirstWithFiltersAndCounts) {
  auto letters = DeadLetters::Open(dir_, {});
  ASSERT_TRUE(letters.ok()) << letters.status().ToString();
  (*letters)->Add("http", "/write", 1000, Rejections(2, "invalid_field_value"));
  (*letters)->Add("mqtt", "sensors/a", 2000, Rejections(1, "invalid_json"));
  auto all = (*letters)->List(10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].source, "mqtt");
  EXPECT_EQ(all[0].origin, "sensors/a");
  EXPECT_EQ(all[1].raw, "raw line 1");
  EXPECT_EQ(all[2].position, 1u);
  EXPECT_EQ((*letters)->List(1).size(), 1u);
  EXPECT_EQ((*letters)->List(10, "http").size(), 2u);
  EXPECT_EQ((*letters)->List(10, "", "invalid_json").size(), 1u);
  auto counts = (*letters)->Counts();
  EXPECT_EQ((counts[{"http", "invalid_field_value"}]), 2u);
  EXPECT_EQ((counts[{"mqtt", "invalid_json"}]), 1u);
}

TEST_F(DeadLettersTest, SurvivesRestartIncludingBinaryRaw) {
  {
    auto letters = DeadLetters::Open(dir_, {});
    ASSERT_TRUE(letters.ok());
    (*letters)->Add("kafka", "telemetry", 5, {{3, "invalid_utf8", "bad bytes", "\xC3\x28\xFF"}});
  }
  auto reopened = DeadLetters::Open(dir_, {});
  ASSERT_TRUE(reopened.ok());
  auto all = (*reopened)->List(10);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].reason, "invalid_utf8");
  EXPECT_EQ(all[0].time_ms, 5);
  EXPECT_FALSE(all[0].raw.empty());
}

TEST_F(DeadLettersTest, BoundedOnDiskOldestDroppedAndCounted) {
  DeadLetterOptions options;
  options.max_bytes = 4096;
  options.max_entries = 50;
  auto letters = DeadLetters::Open(dir_, options);
  ASSERT_TRUE(letters.ok());
  for (int i = 0; i < 200; ++i) (*letters)->Add("http", "/write", i, Rejections(1, "r"));
  uint64_t on_disk = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) on_disk += entry.file_size();
  EXPECT_LE(on_disk, options.max_bytes);
  EXPECT_GT((*letters)->dropped(), 0u);
  auto recent = (*letters)->List(1000);
  EXPECT_EQ(recent.size(), 50u);
  EXPECT_EQ(recent.front().time_ms, 199);
}

TEST_F(DeadLettersTest, ConcurrentWritersLoseNothingInMemory) {
  auto letters = DeadLetters::Open(dir_, {});
  ASSERT_TRUE(letters.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i)
        (*letters)->Add("http", std::to_string(t), i, Rejections(1, "r"));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ((*letters)->List(10'000).size(), 400u);
  EXPECT_EQ(((*letters)->Counts()[{"http", "r"}]), 400u);
}

}  // namespace
}  // namespace tidemark::server::ingest

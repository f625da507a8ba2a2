// ReadAheadWorkers: many selections, one after another and at the same time, share a few
// long-lived worker threads and still get exactly their series; a selection destroyed early
// neither waits for another's job nor keeps its worker.
#include "storage/read_ahead.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "storage/storage_test_util.h"

namespace tidemark::storage {
namespace {

using namespace std::chrono_literals;
using testing::kDay;
using testing::kStart;
using testing::MemStore;

// Series `index` of selection `sel`: 1 + index % 5 samples that name both.
base::Status Fill(int sel, size_t index, std::vector<Sample>* out, double side) {
  for (size_t k = 0; k <= index % 5; ++k) {
    out->push_back(Sample{static_cast<int64_t>(sel * 100'000 + index * 10 + k), side});
  }
  return base::Status::Ok();
}

// Takes the first `stop_after` of `count` series of selection `sel` and checks each exactly.
void CheckSelection(ReadAheadWorkers* workers, int sel, size_t count, size_t stop_after) {
  ReadAhead ahead(workers, count,
                  [sel](size_t i, std::vector<Sample>* out) { return Fill(sel, i, out, 0); });
  const ReadAhead::ReadFn own = [sel](size_t i, std::vector<Sample>* out) {
    return Fill(sel, i, out, 1);
  };
  std::vector<Sample> got;
  for (size_t i = 0; i < std::min(count, stop_after); ++i) {
    got.clear();
    ASSERT_TRUE(ahead.Get(i, &got, own).ok());
    ASSERT_EQ(got.size(), i % 5 + 1) << sel << " " << i;
    for (size_t k = 0; k < got.size(); ++k) {
      ASSERT_EQ(got[k].t, static_cast<int64_t>(sel * 100'000 + i * 10 + k)) << sel << " " << i;
    }
  }
}

TEST(ReadAheadWorkersTest, ConsecutiveAndConcurrentSelectionsGetExactlyTheirSeries) {
  ReadAheadWorkers workers(1);
  std::vector<std::thread> consumers;
  for (int c = 0; c < 4; ++c) {
    consumers.emplace_back([&workers, c] {
      for (int k = 0; k < 60; ++k) {
        const int sel = c * 1000 + k;
        const size_t count = 1 + static_cast<size_t>(k * 37 % 300);
        CheckSelection(&workers, sel, count, k % 4 == 3 ? count / 3 : count);  // some stop early
      }
    });
  }
  for (auto& t : consumers) t.join();
}

// One worker, busy with a selection whose read blocks: a second selection waits in the queue,
// its consumer reads every series itself, and destroying it returns at once.
TEST(ReadAheadWorkersTest, AQueuedSelectionIsWithdrawnWithoutWaiting) {
  ReadAheadWorkers workers(1);
  std::atomic<bool> release{false}, blocked{false};
  auto first = std::make_unique<ReadAhead>(&workers, 2, [&](size_t, std::vector<Sample>* out) {
    blocked = true;
    while (!release) std::this_thread::sleep_for(1ms);
    out->push_back(Sample{0, 0});
    return base::Status::Ok();
  });
  while (!blocked) std::this_thread::sleep_for(1ms);
  std::atomic<int> worker_reads{0};
  auto second = std::async(std::launch::async, [&] {
    ReadAhead queued(&workers, 50, [&](size_t i, std::vector<Sample>* out) {
      ++worker_reads;
      return Fill(7, i, out, 0);
    });
    std::vector<Sample> got;
    for (size_t i = 0; i < 10; ++i) {
      got.clear();
      if (!queued
               .Get(i, &got, [](size_t i, std::vector<Sample>* out) { return Fill(7, i, out, 1); })
               .ok()) {
        return false;
      }
    }
    return true;
  });
  ASSERT_EQ(second.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(second.get());
  EXPECT_EQ(worker_reads.load(), 0);
  release = true;
  first.reset();
}

// A running selection destroyed after its first series returns without its worker reading
// the rest (a worker that ignored the stop would block on the full window and the destructor
// with it), and the worker then serves the next selection.
TEST(ReadAheadWorkersTest, ARunningSelectionStopsEarlyAndFreesItsWorker) {
  ReadAheadWorkers workers(1);
  std::atomic<int> slow_reads{0};
  auto done = std::async(std::launch::async, [&] {
    ReadAhead slow(&workers, 10'000, [&](size_t i, std::vector<Sample>* out) {
      ++slow_reads;
      std::this_thread::sleep_for(2ms);
      return Fill(1, i, out, 0);
    });
    while (slow_reads == 0) std::this_thread::sleep_for(1ms);
    std::vector<Sample> got;
    return slow.Get(0, &got, [](size_t i, std::vector<Sample>* out) { return Fill(1, i, out, 1); })
        .ok();
  });
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(done.get());
  EXPECT_LT(slow_reads.load(), 100);
  std::atomic<int> next_reads{0};
  ReadAhead next(&workers, 3, [&](size_t i, std::vector<Sample>* out) {
    ++next_reads;
    return Fill(2, i, out, 0);
  });
  for (int k = 0; k < 5000 && next_reads < 3; ++k) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(next_reads.load(), 3);
}

// Through a store: threads querying large selections at once, each checked sample by sample.
TEST(ReadAheadWorkersTest, ConcurrentLargeSelectionsThroughTheStore) {
  MemStore store;
  ASSERT_TRUE(store.Open().ok());
  store.clock().Set(kStart + 3 * kDay);
  constexpr int kSeries = 150;
  ASSERT_TRUE(store->Append(testing::DeviceTemperatures(kSeries, 40)).ok());
  ASSERT_TRUE(store->Seal(kStart + 20 * 60'000).ok());  // partly sealed, partly in the head
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 15; ++round) {
        auto set =
            store->NewQuerier(kStart, kStart + kDay)->Select({Matcher::Equal("__name__", "temp")});
        const int stop_after = (round + t) % 3 == 0 ? 70 : kSeries;
        for (int d = 0; d < stop_after; ++d) {
          if (!set->Next()) {
            ++wrong;
            break;
          }
          const std::span<const Sample> got = set->SampleSpan();
          if (got.size() != static_cast<size_t>(40 + d % 7)) ++wrong;
          for (size_t i = 0; i < got.size(); ++i) {
            if (got[i].t != kStart + static_cast<int64_t>(i) * 60'000 ||
                got[i].v != d * 1000 + static_cast<double>(i)) {
              ++wrong;
            }
          }
        }
        if (!set->status().ok()) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace tidemark::storage

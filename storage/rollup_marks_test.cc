#include "storage/rollup_marks.h"

#include <gtest/gtest.h>

#include <climits>
#include <set>

#include "storage/rollup_block.h"

namespace tidemark::storage {
namespace {

constexpr int64_t kRes = 5 * 60'000;
constexpr int64_t kDay = 86'400'000;

class PendingMarksTest : public ::testing::Test {
 protected:
  PendingMarks marks_{kRes, RollupBlockSpan(kRes)};
};

TEST_F(PendingMarksTest, AddEraseAndContainsCountEachBucketOnce) {
  marks_.Add(7, kRes, 100);
  marks_.Add(7, kRes, 200);  // again: no second count
  marks_.Add(7, kDay, 100);  // last bucket of the first day block
  marks_.Add(7, kDay + kRes, 100);
  EXPECT_EQ(marks_.size(), 3u);
  EXPECT_TRUE(marks_.Contains(7, kRes));
  EXPECT_TRUE(marks_.Contains(7, kDay));
  EXPECT_FALSE(marks_.Contains(7, 2 * kRes));
  EXPECT_FALSE(marks_.Contains(8, kRes));
  marks_.Erase(7, kRes);
  marks_.Erase(7, kRes);  // already gone
  marks_.Erase(9, kDay);  // never there
  EXPECT_EQ(marks_.size(), 2u);
  EXPECT_FALSE(marks_.Contains(7, kRes));
}

TEST_F(PendingMarksTest, AppendInReturnsEndsInRangeAscendingAcrossBlocks) {
  std::set<int64_t> expected;
  for (int64_t end = -kDay; end <= 3 * kDay; end += 7 * kRes) {
    marks_.Add(3, end, 1);
    expected.insert(end);
  }
  marks_.Add(2, kRes, 1);  // neighbours in the ordering must not leak in
  marks_.Add(4, kRes, 1);
  std::vector<int64_t> all;
  marks_.AppendIn(3, INT64_MIN, INT64_MAX, &all);
  EXPECT_EQ(all, std::vector<int64_t>(expected.begin(), expected.end()));
  const int64_t lo = kDay / 2, hi = 2 * kDay + kRes;
  std::vector<int64_t> some;
  marks_.AppendIn(3, lo, hi, &some);
  std::vector<int64_t> want;
  for (int64_t e : expected) {
    if (e >= lo && e <= hi) want.push_back(e);
  }
  EXPECT_EQ(some, want);
  EXPECT_EQ(marks_.Series(), (std::vector<SeriesId>{2, 3, 4}));
}

TEST_F(PendingMarksTest, BlockKeepsItsOldestDateUntilEmptied) {
  marks_.Add(1, 2 * kRes, 500);
  marks_.Add(1, 3 * kRes, 900);
  std::vector<int64_t> ends;
  int64_t at = 0;
  ASSERT_TRUE(marks_.BlockMarks(1, 0, &ends, &at));
  EXPECT_EQ(ends, (std::vector<int64_t>{2 * kRes, 3 * kRes}));
  EXPECT_EQ(at, 500);
  EXPECT_EQ(marks_.OldestAt(-1), 500);
  marks_.Erase(1, 2 * kRes);
  marks_.Erase(1, 3 * kRes);
  EXPECT_FALSE(marks_.BlockMarks(1, 0, &ends, &at));
  EXPECT_EQ(marks_.OldestAt(-1), -1);
  marks_.Add(1, 2 * kRes, 950);  // a fresh block takes the new date
  ends.clear();
  ASSERT_TRUE(marks_.BlockMarks(1, 0, &ends, &at));
  EXPECT_EQ(at, 950);
}

TEST_F(PendingMarksTest, EraseIfDropsOnlyMatchingEnds) {
  for (int64_t end = kRes; end <= 2 * kDay; end += kRes) marks_.Add(5, end, 1);
  EXPECT_EQ(marks_.size(), 576u);
  marks_.EraseIf([](int64_t end) { return end <= kDay; });
  EXPECT_EQ(marks_.size(), 288u);
  EXPECT_FALSE(marks_.Contains(5, kDay));
  EXPECT_TRUE(marks_.Contains(5, kDay + kRes));
}

}  // namespace
}  // namespace tidemark::storage

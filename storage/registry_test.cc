#include "storage/registry.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "storage/head.h"
#include "storage/sample_merge.h"
#include "storage/varint.h"

namespace tidemark::storage {
namespace {

Labels RandomLabels(std::mt19937_64& r) {
  std::vector<Label> v = {{"__name__", "m" + std::to_string(r() % 3)}};
  const char* names[] = {"a", "b", "c"};
  for (const char* n : names) {
    if (r() % 3 != 0) v.push_back({n, std::string(1, static_cast<char>('x' + r() % 3))});
  }
  return Labels(v);
}

Matcher RandomMatcher(std::mt19937_64& r) {
  const char* names[] = {"a", "b", "c", "__name__", "missing"};
  const char* values[] = {"x", "y", "", "x|y", ".*", ".+", "m1", "m.*"};
  auto type = static_cast<MatchType>(r() % 4);
  std::string value = values[r() % 8];
  auto m = Matcher::Make(type, names[r() % 5], value);
  return std::move(m).value();
}

// Property: Select (postings + filtering) equals brute force MatchesAll over every series.
TEST(RegistryTest, SelectAgreesWithBruteForce) {
  std::mt19937_64 r(17);
  SeriesRegistry reg;
  std::vector<std::pair<SeriesId, Labels>> all;
  for (int i = 0; i < 300; ++i) {
    Labels l = RandomLabels(r);
    bool created;
    SeriesId id = reg.GetOrCreate(l, &created);
    if (created) all.emplace_back(id, l);
    bool again;
    EXPECT_EQ(reg.GetOrCreate(l, &again), id);
    EXPECT_FALSE(again);
  }
  EXPECT_EQ(reg.size(), all.size());
  for (int q = 0; q < 500; ++q) {
    std::vector<Matcher> ms;
    int n = 1 + static_cast<int>(r() % 3);
    for (int i = 0; i < n; ++i) ms.push_back(RandomMatcher(r));
    std::vector<SeriesId> want;
    for (const auto& [id, l] : all) {
      if (MatchesAll(ms, l)) want.push_back(id);
    }
    ASSERT_EQ(reg.Select(ms), want) << ms[0].ToString();
  }
}

TEST(RegistryTest, InsertKeepsIdsStableAndRejectsConflicts) {
  SeriesRegistry reg;
  Labels a({{"__name__", "a"}}), b({{"__name__", "b"}});
  EXPECT_TRUE(reg.Insert(7, a));
  EXPECT_TRUE(reg.Insert(7, a));   // idempotent
  EXPECT_FALSE(reg.Insert(7, b));  // id taken by other labels
  EXPECT_FALSE(reg.Insert(8, a));  // labels have another id
  bool created;
  EXPECT_EQ(reg.GetOrCreate(a, &created), 7u);
  EXPECT_EQ(reg.GetOrCreate(b, &created), 8u);  // new ids continue after the highest
  EXPECT_TRUE(created);
  EXPECT_EQ(*reg.Get(8), b);
  EXPECT_EQ(reg.Get(3), nullptr);
  EXPECT_EQ(reg.Unpersisted().size(), 2u);
  reg.MarkPersisted({7});
  ASSERT_EQ(reg.Unpersisted().size(), 1u);
  EXPECT_EQ(reg.Unpersisted()[0].first, 8u);
}

TEST(RegistryTest, ConcurrentCreationGivesOneIdPerSeries) {
  SeriesRegistry reg;
  std::vector<std::thread> threads;
  std::vector<std::vector<SeriesId>> ids(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        bool created;
        ids[t].push_back(reg.GetOrCreate(Labels({{"i", std::to_string(i)}}), &created));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(ids[t], ids[0]);
  EXPECT_EQ(reg.size(), 500u);
}

// Property: whatever the arrival order and duplicates, the head returns, per timestamp, the
// value written last.
// Label values come from a list cached per name: it must follow every new value at once, in
// order, and agree with a walk over the series, with and without matchers.
TEST(RegistryTest, LabelValuesFollowNewSeries) {
  std::mt19937_64 r(29);
  SeriesRegistry reg;
  std::vector<Labels> all;
  auto expected = [&](const std::string& name, const std::vector<Matcher>& matchers) {
    std::set<std::string> values;
    for (const auto& l : all) {
      if (MatchesAll(matchers, l) && !l.Get(name).empty()) values.emplace(l.Get(name));
    }
    return std::vector<std::string>(values.begin(), values.end());
  };
  EXPECT_TRUE(reg.LabelValues("a", {}).empty());
  for (int i = 0; i < 200; ++i) {
    std::vector<Label> v = {{"__name__", "m"}, {"a", "v" + std::to_string(r() % 60)}};
    if (i % 3 == 0) v.push_back({"b", std::to_string(i)});
    bool created;
    reg.GetOrCreate(Labels(v), &created);
    if (created) all.emplace_back(v);
    for (const char* name : {"a", "b", "__name__", "missing"}) {
      ASSERT_EQ(reg.LabelValues(name, {}), expected(name, {})) << name << " after " << i;
    }
    const std::vector<Matcher> odd_b = {Matcher::Make(MatchType::kRegexMatch, "b", ".*1").value()};
    ASSERT_EQ(reg.LabelValues("a", odd_b), expected("a", odd_b)) << i;
  }
  // Series registered under known ids (loading) invalidate the lists as well.
  ASSERT_TRUE(reg.Insert(1000, Labels({{"__name__", "m"}, {"a", "loaded"}})));
  all.push_back(Labels({{"__name__", "m"}, {"a", "loaded"}}));
  EXPECT_EQ(reg.LabelValues("a", {}), expected("a", {}));
}

TEST(HeadTest, RandomOrderLastWriteWins) {
  std::mt19937_64 r(23);
  for (int iter = 0; iter < 50; ++iter) {
    Head head(8);
    std::map<int64_t, double> want;
    for (int i = 0; i < 400; ++i) {
      std::vector<Sample> batch;
      int n = 1 + static_cast<int>(r() % 5);
      for (int k = 0; k < n; ++k) {
        int64_t t = static_cast<int64_t>(r() % 200) * 10;
        double v = static_cast<double>(r() % 1000);
        batch.push_back({t, v});
      }
      head.Append(1, batch);
      for (const auto& s : batch) want[s.t] = s.v;
      if (r() % 50 == 0) {  // a seal that fails and is retried later keeps everything readable
        std::vector<Sample> sealing;
        head.BeginSeal(1, static_cast<int64_t>(r() % 2000), &sealing);
        for (size_t k = 1; k < sealing.size(); ++k) ASSERT_LT(sealing[k - 1].t, sealing[k].t);
      }
    }
    std::vector<Sample> got;
    head.Read(1, 0, 100000, &got);
    ASSERT_EQ(got.size(), want.size());
    size_t k = 0;
    for (auto [t, v] : want) {
      EXPECT_EQ(got[k].t, t);
      EXPECT_EQ(got[k].v, v) << "t=" << t;
      ++k;
    }
    EXPECT_GT(head.Stats().out_of_order_samples, 0u);
    // Sealing everything yields the same answer (what partitions receive).
    std::vector<Sample> sealed;
    head.BeginSeal(1, 100000, &sealed);
    ASSERT_EQ(sealed.size(), want.size());
    k = 0;
    for (auto [t, v] : want) {
      EXPECT_EQ(sealed[k].t, t);
      EXPECT_EQ(sealed[k].v, v) << "t=" << t;
      ++k;
    }
  }
}

// Writers of consecutive time ranges (one HTTP connection each) make many out-of-order samples:
// full runs of them are kept compressed, not at 16 bytes a sample.
TEST(HeadTest, OutOfOrderRunsAreCompressed) {
  Head head(120);
  std::vector<Sample> newest = {{1'000'000'000, 1.0}};
  head.Append(1, newest);
  const int kLate = 12'000;
  for (int i = 0; i < kLate; ++i) {
    Sample s{i * 10'000LL, 21.5 + (i % 4) * 0.5};
    head.Append(1, {&s, 1});
  }
  EXPECT_EQ(head.Stats().out_of_order_samples, static_cast<uint64_t>(kLate));
  EXPECT_LT(head.MemoryUsage(), kLate * 8u);
  std::vector<Sample> got;
  head.Read(1, 0, 2'000'000'000, &got);
  ASSERT_EQ(got.size(), static_cast<size_t>(kLate + 1));
  for (int i = 0; i < kLate; ++i) {
    ASSERT_EQ(got[i].t, i * 10'000LL);
    ASSERT_EQ(got[i].v, 21.5 + (i % 4) * 0.5);
  }
  // A rewrite of an already compressed timestamp still wins.
  Sample again{50'000, -1.0};
  head.Append(1, {&again, 1});
  got.clear();
  head.Read(1, 50'000, 50'000, &got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].v, -1.0);
}

TEST(HeadTest, SealMovesOldSamplesAndCommitFreesMemory) {
  Head head(4);
  std::vector<Sample> s;
  for (int i = 0; i < 20; ++i) s.push_back({i * 10, static_cast<double>(i)});
  head.Append(5, s);
  size_t before = head.MemoryUsage();
  EXPECT_GT(before, 0u);
  std::vector<Sample> sealing;
  head.BeginSeal(5, 95, &sealing);
  ASSERT_EQ(sealing.size(), 10u);
  EXPECT_EQ(sealing.back().t, 90);
  std::vector<Sample> got;
  head.Read(5, 0, 1000, &got);
  EXPECT_EQ(got.size(), 20u);  // still readable while sealing
  head.CommitSeal(5);
  got.clear();
  head.Read(5, 0, 1000, &got);
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got.front().t, 100);
  EXPECT_LT(head.MemoryUsage(), before);
  head.BeginSeal(5, 1000, &sealing);
  head.CommitSeal(5);
  EXPECT_EQ(head.Stats().series, 0u);  // empty series are forgotten
  EXPECT_EQ(head.MemoryUsage(), 0u);
}

TEST(SampleMergeTest, MergeAndClip) {
  std::vector<Sample> older = {{1, 1}, {3, 3}, {5, 5}};
  std::vector<Sample> newer = {{3, 30}, {4, 40}, {6, 60}};
  auto m = MergeLastWins(older, newer);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[1].v, 30);
  EXPECT_EQ(m[2].v, 40);
  ClipToRange(&m, 3, 5);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.front().t, 3);
  EXPECT_EQ(m.back().t, 5);
  std::vector<Sample> d = {{2, 1}, {1, 1}, {2, 2}, {1, 3}};
  SortDedupeLastWins(&d);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].v, 3);
  EXPECT_EQ(d[1].v, 2);
}

}  // namespace
}  // namespace tidemark::storage

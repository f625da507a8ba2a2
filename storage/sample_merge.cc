#include "storage/sample_merge.h"

#include <algorithm>

namespace tidemark::storage {

void SortDedupeLastWins(std::vector<Sample>* samples) {
  auto& s = *samples;
  auto not_increasing = [](const Sample& a, const Sample& b) { return a.t >= b.t; };
  if (std::adjacent_find(s.begin(), s.end(), not_increasing) == s.end()) return;
  std::stable_sort(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
  size_t out = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i + 1 < s.size() && s[i + 1].t == s[i].t) continue;  // a later write follows
    s[out++] = s[i];
  }
  s.resize(out);
}

std::vector<Sample> MergeLastWins(const std::vector<Sample>& older,
                                  const std::vector<Sample>& newer) {
  if (newer.empty()) return older;
  if (older.empty()) return newer;
  std::vector<Sample> out;
  out.reserve(older.size() + newer.size());
  size_t i = 0, j = 0;
  while (i < older.size() || j < newer.size()) {
    if (j == newer.size() || (i < older.size() && older[i].t < newer[j].t)) {
      out.push_back(older[i++]);
    } else {
      if (i < older.size() && older[i].t == newer[j].t) ++i;
      out.push_back(newer[j++]);
    }
  }
  return out;
}

void ClipToRange(std::vector<Sample>* samples, int64_t mint, int64_t maxt) {
  auto& s = *samples;
  auto lo = std::lower_bound(s.begin(), s.end(), mint,
                             [](const Sample& a, int64_t t) { return a.t < t; });
  auto hi = std::upper_bound(lo, s.end(), maxt, [](int64_t t, const Sample& a) { return t < a.t; });
  s.erase(hi, s.end());
  s.erase(s.begin(), lo);
}

}  // namespace tidemark::storage

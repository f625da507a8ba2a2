#include "storage/rollup_marks.h"

#include <algorithm>
#include <bit>
#include <climits>

#include "storage/rollup_block.h"

namespace tidemark::storage {

PendingMarks::PendingMarks(int64_t res, int64_t span)
    : res_(res), span_(span), words_(static_cast<size_t>((span / res + 63) / 64)) {}

int64_t PendingMarks::BlockOf(int64_t end) const { return RollupBlockStart(end, span_); }

void PendingMarks::Add(SeriesId id, int64_t end, int64_t at_ms) {
  const int64_t block = BlockOf(end);
  auto [it, inserted] = blocks_.try_emplace({id, block});
  Block& b = it->second;
  if (inserted) {
    b.at_ms = at_ms;
    b.bits.assign(words_, 0);
  }
  const size_t i = IndexOf(end, block);
  if (Test(b, i)) return;
  b.bits[i / 64] |= uint64_t{1} << (i % 64);
  ++count_;
}

void PendingMarks::Erase(SeriesId id, int64_t end) {
  const int64_t block = BlockOf(end);
  auto it = blocks_.find({id, block});
  if (it == blocks_.end()) return;
  Block& b = it->second;
  const size_t i = IndexOf(end, block);
  if (!Test(b, i)) return;
  b.bits[i / 64] &= ~(uint64_t{1} << (i % 64));
  --count_;
  if (std::all_of(b.bits.begin(), b.bits.end(), [](uint64_t w) { return w == 0; })) {
    blocks_.erase(it);
  }
}

bool PendingMarks::Contains(SeriesId id, int64_t end) const {
  const int64_t block = BlockOf(end);
  auto it = blocks_.find({id, block});
  return it != blocks_.end() && Test(it->second, IndexOf(end, block));
}

void PendingMarks::AppendEnds(const Block& b, int64_t block, int64_t lo, int64_t hi,
                              std::vector<int64_t>* out) const {
  for (size_t w = 0; w < b.bits.size(); ++w) {
    for (uint64_t bits = b.bits[w]; bits != 0; bits &= bits - 1) {
      const size_t i = w * 64 + static_cast<size_t>(std::countr_zero(bits));
      const int64_t end = block + static_cast<int64_t>(i + 1) * res_;
      if (end >= lo && end <= hi) out->push_back(end);
    }
  }
}

void PendingMarks::AppendIn(SeriesId id, int64_t lo, int64_t hi, std::vector<int64_t>* out) const {
  // The block of `lo` would overflow near INT64_MIN; every block is at or after it then.
  const int64_t first = lo <= INT64_MIN + span_ ? INT64_MIN : BlockOf(lo);
  for (auto it = blocks_.lower_bound({id, first});
       it != blocks_.end() && it->first.first == id && it->first.second < hi; ++it) {
    AppendEnds(it->second, it->first.second, lo, hi, out);
  }
}

bool PendingMarks::BlockMarks(SeriesId id, int64_t block, std::vector<int64_t>* ends,
                              int64_t* at_ms) const {
  auto it = blocks_.find({id, block});
  if (it == blocks_.end()) return false;
  AppendEnds(it->second, block, INT64_MIN, INT64_MAX, ends);
  *at_ms = it->second.at_ms;
  return true;
}

std::vector<SeriesId> PendingMarks::Series() const {
  std::vector<SeriesId> out;
  for (const auto& [key, block] : blocks_) {
    if (out.empty() || out.back() != key.first) out.push_back(key.first);
  }
  return out;
}

void PendingMarks::EraseIf(const std::function<bool(int64_t end)>& drop) {
  std::vector<std::pair<SeriesId, int64_t>> gone;
  for (const auto& [key, b] : blocks_) {
    std::vector<int64_t> ends;
    AppendEnds(b, key.second, INT64_MIN, INT64_MAX, &ends);
    for (int64_t end : ends) {
      if (drop(end)) gone.emplace_back(key.first, end);
    }
  }
  for (const auto& [id, end] : gone) Erase(id, end);
}

int64_t PendingMarks::OldestAt(int64_t none) const {
  int64_t oldest = none;
  bool any = false;
  for (const auto& [key, b] : blocks_) {
    oldest = any ? std::min(oldest, b.at_ms) : b.at_ms;
    any = true;
  }
  return oldest;
}

}  // namespace tidemark::storage

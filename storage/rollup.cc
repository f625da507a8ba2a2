#include "storage/rollup.h"

#include <bit>
#include <cmath>

#include "storage/base/compensated_sum.h"
#include "storage/varint.h"

namespace tidemark::storage {

namespace {

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
bool IsStale(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

using base::CompensatedAdd;
using base::CompensatedTotal;

// The terms AddToBucket adds to a bucket's sum and increase, each summed with compensation.
// Besides matching sum_over_time over the raw samples of one bucket, sums of decimals then land
// on (or next to) the double nearest their decimal total, which rollup blocks store in a few bits.
struct BucketSums {
  double sum = 0, sum_c = 0, increase = 0, increase_c = 0;
  void Add(const RollupBucket& b, double v) {
    CompensatedAdd(v, &sum, &sum_c);
    if (b.count == 0) return;
    if (v < b.last) CompensatedAdd(b.last, &increase, &increase_c);
    CompensatedAdd(v - b.last, &increase, &increase_c);
  }
  void Store(RollupBucket* b) const {
    b->sum = CompensatedTotal(sum, sum_c);
    b->increase = CompensatedTotal(increase, increase_c);
  }
};

// Every field of AddToBucket but sum and increase, which BuildBuckets adds with compensation.
void AddToBucketExceptSums(RollupBucket* b, const Sample& s) {
  if (b->count == 0) {
    b->first_t = s.t;
    b->first = s.v;
    b->min = s.v;
    b->max = s.v;
  } else {
    if (s.v < b->min || std::isnan(b->min)) b->min = s.v;
    if (s.v > b->max || std::isnan(b->max)) b->max = s.v;
  }
  b->last_t = s.t;
  b->last = s.v;
  ++b->count;
}

bool SameDouble(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b) || (a == b);
}

}  // namespace

int64_t BucketEnd(int64_t t, int64_t res) {
  int64_t q = t / res;
  if (t % res > 0) ++q;  // ceil; for negative t the truncation already rounds up
  return q * res;
}

void AddToBucket(RollupBucket* b, const Sample& s) {
  if (b->count > 0) {
    if (s.v < b->last) b->increase += b->last;  // counter reset: the old value was gained too
    b->increase += s.v - b->last;
  }
  b->sum += s.v;
  AddToBucketExceptSums(b, s);
}

void MergeBuckets(RollupBucket* acc, const RollupBucket& next) {
  if (next.count == 0) return;
  if (acc->count == 0) {
    *acc = next;
    return;
  }
  acc->increase += next.first - acc->last + next.increase;
  if (next.first < acc->last) acc->increase += acc->last;
  acc->has_increase = acc->has_increase && next.has_increase;
  if (next.min < acc->min || std::isnan(acc->min)) acc->min = next.min;
  if (next.max > acc->max || std::isnan(acc->max)) acc->max = next.max;
  acc->sum += next.sum;
  acc->count += next.count;
  acc->last_t = next.last_t;
  acc->last = next.last;
  acc->end = next.end;
}

std::vector<RollupBucket> BuildBuckets(std::span<const Sample> samples, int64_t res) {
  std::vector<RollupBucket> out;
  BucketSums sums;
  for (const Sample& s : samples) {
    if (IsStale(s.v)) continue;
    int64_t end = BucketEnd(s.t, res);
    if (out.empty() || out.back().end != end) {
      if (!out.empty()) sums.Store(&out.back());
      sums = BucketSums();
      out.emplace_back();
      out.back().end = end;
    }
    sums.Add(out.back(), s.v);
    AddToBucketExceptSums(&out.back(), s);
  }
  if (!out.empty()) sums.Store(&out.back());
  return out;
}

bool SameBucket(const RollupBucket& a, const RollupBucket& b) {
  return a.end == b.end && a.count == b.count && a.first_t == b.first_t && a.last_t == b.last_t &&
         SameDouble(a.sum, b.sum) && SameDouble(a.min, b.min) && SameDouble(a.max, b.max) &&
         SameDouble(a.first, b.first) && SameDouble(a.last, b.last) &&
         a.has_increase == b.has_increase &&
         (!a.has_increase || SameDouble(a.increase, b.increase));
}

std::string ResolutionName(int64_t res_ms) {
  struct Unit {
    int64_t ms;
    const char* suffix;
  };
  for (Unit u : {Unit{86'400'000, "d"}, Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1000, "s"}}) {
    if (res_ms % u.ms == 0) return std::to_string(res_ms / u.ms) + u.suffix;
  }
  return std::to_string(res_ms) + "ms";
}

}  // namespace tidemark::storage

#include "storage/rollup_block.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "storage/sealed_chunk.h"
#include "storage/varint.h"

namespace tidemark::storage {

namespace {

constexpr uint8_t kVersion = 1;
// Float column modes: XOR; 1 + s: decimal scale s, deltas in the column; kPredicted | (1 + s):
// decimal scale s, differences to a prediction from the columns before (see Predict).
constexpr uint8_t kXorMode = 0;
constexpr uint8_t kPredicted = 0x40;
constexpr int64_t kDay = 86'400'000;
constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12};
// |v * 10^s| below this converts to int64 safely.
constexpr double kMaxScaled = 4e18;

// In this order, so that each column's prediction uses columns already decoded.
constexpr int kFloatColumns = 6;
constexpr double RollupBucket::*kFloatField[kFloatColumns] = {
    &RollupBucket::sum, &RollupBucket::last, &RollupBucket::first,
    &RollupBucket::min, &RollupBucket::max,  &RollupBucket::increase};
enum Column { kSum, kLast, kFirst, kMin, kMax, kIncrease };

// std::llround for |m| < 2^63, without the library call (it showed in profiles of decoding):
// the truncation is exact, and so is the fraction m - trunc(m).
int64_t RoundHalfAway(double m) {
  int64_t r = static_cast<int64_t>(m);
  const double frac = m - static_cast<double>(r);
  if (frac >= 0.5) ++r;
  if (frac <= -0.5) --r;
  return r;
}

// llround(v * 10^s), or 0 where that does not fit.
int64_t Scaled(double v, int s) {
  const double m = v * kPow10[s];
  return std::fabs(m) < kMaxScaled ? RoundHalfAway(m) : 0;
}

// Column c of bucket i at scale s, guessed from the columns before it: a bucket's first value is
// near the previous bucket's last, its min and max near its first and last, and a counter's
// increase is last - first. Exact for counters without resets and constant gauges.
int64_t Predict(const RollupBucket* b, size_t i, int c, int s) {
  switch (c) {
    case kFirst:
      return i == 0 ? 0 : Scaled(b[i - 1].last, s);
    case kMin:
      return Scaled(b[i].first, s);
    case kMax:
      return Scaled(b[i].last, s);
    case kIncrease:
      return WrapSub(Scaled(b[i].last, s), Scaled(b[i].first, s));
    default:
      return 0;
  }
}
bool Predictable(int c) { return c >= kFirst; }

// Sequential reader over a block; every Get fails (and stays failed) past the end.
class Reader {
 public:
  explicit Reader(std::string_view in)
      : p_(reinterpret_cast<const uint8_t*>(in.data())), end_(p_ + in.size()) {}
  bool ok() const { return ok_; }
  bool done() const { return p_ == end_; }
  uint8_t Byte() {
    if (p_ == end_) return Fail();
    return *p_++;
  }
  uint64_t Varint() {
    if (p_ != end_ && *p_ < 0x80) return *p_++;  // the common one-byte case
    uint64_t v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (p_ == end_) return Fail();
      const uint64_t byte = *p_++;
      v |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return Fail();
  }
  int64_t Signed() { return ZigZagDecode(Varint()); }
  // `n` values of `width` bits each, packed LSB first (see PutPacked).
  bool Packed(size_t n, uint64_t* out) {
    const int width = Byte();
    if (!ok_ || width > 64) return Fail() != 0;
    const uint64_t bytes = (static_cast<uint64_t>(n) * width + 7) / 8;
    if (static_cast<uint64_t>(end_ - p_) < bytes) return Fail() != 0;
    const uint64_t mask = width == 64 ? ~0ULL : (1ULL << width) - 1;
    if (width == 0) std::fill(out, out + n, 0);  // common: exact decimals, regular buckets
    const uint8_t* q = p_;
    const uint8_t* q_end = p_ + bytes;
    for (size_t i = 0; i < n && width > 0; ++i) {
      const uint64_t bit = static_cast<uint64_t>(i) * width;
      const int shift = static_cast<int>(bit & 7);
      const uint8_t* at = q + (bit >> 3);
      uint64_t v = Load64(at, q_end) >> shift;
      if (shift + width > 64) v |= static_cast<uint64_t>(at[8]) << (64 - shift);
      out[i] = v & mask;
    }
    p_ = q_end;
    const uint64_t exceptions = Varint();
    if (exceptions > n || (exceptions > 0 && width == 64)) return Fail() != 0;
    uint64_t idx = 0;
    for (uint64_t k = 0; k < exceptions && ok_; ++k) {
      idx += Varint();
      if (idx >= n) return Fail() != 0;
      out[idx] |= Varint() << width;
    }
    return ok_;
  }
  // `n` (<= 8) little-endian bytes.
  uint64_t Bytes(int n) {
    if (end_ - p_ < n) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += n;
    return v;
  }

 private:
  // Up to eight little-endian bytes from `p`, zeros past `end`.
  static uint64_t Load64(const uint8_t* p, const uint8_t* end) {
    uint64_t v = 0;
    if (end - p >= 8) {
      std::memcpy(&v, p, 8);  // little-endian hosts only, like the rest of the storage code
      return v;
    }
    for (int i = 0; p + i < end; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
  }
  uint8_t Fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

// The width that makes PutPacked's output smallest: every value costs `width` bits, and those
// that need more add an exception (index gap and the high bits, as varints).
int BestWidth(const std::vector<uint64_t>& v) {
  size_t with_bits[65] = {};
  for (uint64_t x : v) ++with_bits[64 - std::countl_zero(x)];
  int best = 64;
  uint64_t best_cost = UINT64_MAX;
  for (int w = 0; w <= 64; ++w) {
    uint64_t cost = (v.size() * w + 7) / 8;
    for (int b = w + 1; b <= 64; ++b) cost += with_bits[b] * (2 + (b - w + 6) / 7);
    if (cost < best_cost) best_cost = cost, best = w;
  }
  return best;
}

// Unsigned integers in `width` bits each: a width byte, the low bits of every value packed LSB
// first into ceil(n * width / 8) bytes, then the values that do not fit (so that one outlier
// does not widen the whole column): a varint count, then per exception the varint index gap and
// the varint of the bits above `width`. A column of zeros costs two bytes.
void PutPacked(std::string* out, const std::vector<uint64_t>& v) {
  const int width = BestWidth(v);
  const uint64_t mask = width == 64 ? ~0ULL : (1ULL << width) - 1;
  out->push_back(static_cast<char>(width));
  uint64_t acc = 0;
  int bits = 0;
  std::string exceptions;
  size_t num_exceptions = 0, last = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const uint64_t x = v[i] & mask;
    if (x != v[i]) {
      PutVarint(&exceptions, i - last);
      PutVarint(&exceptions, v[i] >> width);
      last = i;
      ++num_exceptions;
    }
    acc |= x << bits;
    if (bits + width < 64) {
      bits += width;
      continue;
    }
    for (int k = 0; k < 8; ++k) out->push_back(static_cast<char>(acc >> (8 * k)));
    acc = bits == 0 ? 0 : x >> (64 - bits);
    bits = bits + width - 64;
  }
  for (int k = 0; k < (bits + 7) / 8; ++k) out->push_back(static_cast<char>(acc >> (8 * k)));
  PutVarint(out, num_exceptions);
  out->append(exceptions);
}

// The first value as a zigzag varint, then the zigzag differences to the predecessor, packed.
void PutDeltaColumn(std::string* out, const std::vector<int64_t>& v) {
  if (v.empty()) return;
  PutSignedVarint(out, v[0]);
  std::vector<uint64_t> deltas;
  for (size_t i = 1; i < v.size(); ++i) deltas.push_back(ZigZagEncode(WrapSub(v[i], v[i - 1])));
  PutPacked(out, deltas);
}

// Reads what PutDeltaColumn wrote; `scratch` holds n values.
bool GetDeltaColumn(Reader* r, size_t n, uint64_t* scratch, int64_t* out) {
  if (n == 0) return true;
  out[0] = r->Signed();
  if (!r->Packed(n - 1, scratch)) return false;
  for (size_t i = 1; i < n; ++i) out[i] = WrapAdd(out[i - 1], ZigZagDecode(scratch[i - 1]));
  return r->ok();
}

// XOR with the previous value's bits: a control byte (zero bytes on the high side << 4 | zero
// bytes on the low side), then the bytes in between. Works for any value, NaN and Inf included.
void PutXorColumn(std::string* out, const std::vector<double>& v) {
  out->push_back(static_cast<char>(kXorMode));
  uint64_t prev = 0;
  for (double d : v) {
    const uint64_t bits = DoubleBits(d), x = bits ^ prev;
    prev = bits;
    if (x == 0) {
      out->push_back(static_cast<char>(8 << 4));
      continue;
    }
    const int lz = std::countl_zero(x) / 8, tz = std::countr_zero(x) / 8;
    out->push_back(static_cast<char>(lz << 4 | tz));
    for (int i = tz; i < 8 - lz; ++i) out->push_back(static_cast<char>(x >> (8 * i)));
  }
}

// Scale s: the scaled integers n_i = llround(v * 10^s), as deltas in the column or (with
// `buckets`) as differences to Predict, then per value the distance in bits between v and the
// decimal n_i / 10^s. Exact for every finite value; small for values with at most s decimals
// (distance 0) and for sums of them (a few units in the last place).
bool PutDecimalColumn(std::string* out, const std::vector<double>& v, int s,
                      const RollupBucket* buckets, int c) {
  std::vector<int64_t> scaled;
  std::vector<uint64_t> residuals, predicted;
  for (size_t i = 0; i < v.size(); ++i) {
    const double m = v[i] * kPow10[s];
    if (!(std::fabs(m) < kMaxScaled)) return false;  // also NaN and Inf
    const int64_t n = RoundHalfAway(m);
    const double approx = static_cast<double>(n) / kPow10[s];
    scaled.push_back(n);
    residuals.push_back(ZigZagEncode(static_cast<int64_t>(DoubleBits(v[i]) - DoubleBits(approx))));
    if (buckets) predicted.push_back(ZigZagEncode(WrapSub(n, Predict(buckets, i, c, s))));
  }
  out->push_back(static_cast<char>((buckets ? kPredicted : 0) | (1 + s)));
  if (buckets) {
    PutPacked(out, predicted);
  } else {
    PutDeltaColumn(out, scaled);
  }
  PutPacked(out, residuals);
  return true;
}

// The largest decimal scale any of `v` has (-1 when none has one).
int MaxScale(const std::vector<double>& v) {
  int s = -1;
  for (double d : v) s = std::max(s, DecimalScaleOf(d));
  return s;
}

// The smallest of the XOR form and the decimal forms at the column's own scale and at the scale
// of the samples (a column of sums rarely has a short decimal form of its own).
void PutFloatColumn(std::string* out, const std::vector<double>& v, int sample_scale,
                    std::span<const RollupBucket> buckets, int c) {
  std::string best;
  PutXorColumn(&best, v);
  for (int s : {MaxScale(v), sample_scale}) {
    for (const RollupBucket* ref : {static_cast<const RollupBucket*>(nullptr), buckets.data()}) {
      if (s < 0 || (ref != nullptr && !Predictable(c))) continue;
      std::string candidate;
      if (PutDecimalColumn(&candidate, v, s, ref, c) && candidate.size() < best.size()) {
        best = std::move(candidate);
      }
    }
  }
  out->append(best);
}

// `scratch` holds 2 n values.
bool GetFloatColumn(Reader* r, RollupBucket* b, size_t n, int c, uint64_t* scratch) {
  double RollupBucket::*const field = kFloatField[c];
  const uint8_t mode = r->Byte();
  if (mode == kXorMode) {
    uint64_t prev = 0;
    for (size_t i = 0; i < n && r->ok(); ++i) {
      const uint8_t ctl = r->Byte();
      const int lz = ctl >> 4, tz = ctl & 0xf;
      if (lz + tz > 8) return false;
      prev ^= r->Bytes(8 - lz - tz) << (8 * tz % 64);
      b[i].*field = BitsDouble(prev);
    }
    return r->ok();
  }
  const bool predicted = (mode & kPredicted) != 0;
  const int s = (mode & ~kPredicted) - 1;
  if (s < 0 || s > kMaxDecimalScale || (predicted && !Predictable(c))) return false;
  const double p = kPow10[s];
  int64_t* scaled = reinterpret_cast<int64_t*>(scratch + n);
  if (predicted) {
    if (!r->Packed(n, scratch)) return false;
    for (size_t i = 0; i < n; ++i) {
      scaled[i] = WrapAdd(Predict(b, i, c, s), ZigZagDecode(scratch[i]));
    }
  } else if (!GetDeltaColumn(r, n, scratch, scaled)) {
    return false;
  }
  if (!r->Packed(n, scratch)) return false;
  for (size_t i = 0; i < n; ++i) {
    const double approx = static_cast<double>(scaled[i]) / p;
    b[i].*field = BitsDouble(DoubleBits(approx) + ZigZagDecode(scratch[i]));
  }
  return true;
}

}  // namespace

int64_t RollupBlockSpan(int64_t res) {
  for (int64_t span : {kDay, 7 * kDay}) {
    const int64_t min_buckets = span == kDay ? 96 : 24;
    if (span % res == 0 && span / res >= min_buckets && span / res <= 1440) return span;
  }
  return 288 * res;
}

int64_t RollupBlockStart(int64_t end, int64_t span) {
  const int64_t t = end - 1;
  int64_t q = t / span;
  if (t % span < 0) --q;
  return q * span;
}

std::string EncodeRollupBlock(std::span<const RollupBucket> buckets, int64_t block_start,
                              int64_t res) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  PutVarint(&out, buckets.size());
  // Bucket ends as the number of holes before each bucket (bucket i is at index i + holes).
  std::vector<int64_t> holes, counts, to_first, to_last;
  for (size_t i = 0; i < buckets.size(); ++i) {
    const RollupBucket& b = buckets[i];
    holes.push_back((b.end - block_start) / res - 1 - static_cast<int64_t>(i));
    counts.push_back(static_cast<int64_t>(b.count));
    to_first.push_back(WrapSub(b.end, b.first_t));
    to_last.push_back(WrapSub(b.end, b.last_t));
  }
  for (const auto* col : {&holes, &counts, &to_first, &to_last}) PutDeltaColumn(&out, *col);
  std::vector<double> column[kFloatColumns];
  for (int c = 0; c < kFloatColumns; ++c) {
    for (const RollupBucket& b : buckets) column[c].push_back(b.*kFloatField[c]);
  }
  int sample_scale = -1;
  for (int c = kLast; c <= kMax; ++c) sample_scale = std::max(sample_scale, MaxScale(column[c]));
  for (int c = 0; c < kFloatColumns; ++c) {
    PutFloatColumn(&out, column[c], sample_scale, buckets, c);
  }
  return out;
}

bool RollupBlockSize(std::string_view block, uint64_t* n) {
  Reader r(block);
  if (r.Byte() != kVersion) return false;
  *n = r.Varint();
  return r.ok();
}

bool DecodeRollupBlock(std::string_view block, int64_t block_start, int64_t res, int64_t min_end,
                       int64_t max_end, std::vector<RollupBucket>* out) {
  Reader r(block);
  if (r.Byte() != kVersion) return false;
  const uint64_t n = r.Varint();
  if (!r.ok() || n > kMaxRollupBlockBuckets) return false;
  const size_t base = out->size();
  out->resize(base + n);
  RollupBucket* b = out->data() + base;
  // Column buffers, reused: a read decodes blocks back to back.
  thread_local std::vector<uint64_t> scratch;
  thread_local std::vector<int64_t> col;
  if (scratch.size() < 2 * n) scratch.resize(2 * n);
  if (col.size() < n) col.resize(n);
  bool ok = GetDeltaColumn(&r, n, scratch.data(), col.data());
  for (size_t i = 0; i < n && ok; ++i) {
    const uint64_t idx = static_cast<uint64_t>(col[i]) + i + 1;
    b[i].end = WrapAdd(block_start, static_cast<int64_t>(idx * static_cast<uint64_t>(res)));
  }
  ok = ok && GetDeltaColumn(&r, n, scratch.data(), col.data());
  for (size_t i = 0; i < n && ok; ++i) b[i].count = static_cast<uint64_t>(col[i]);
  ok = ok && GetDeltaColumn(&r, n, scratch.data(), col.data());
  for (size_t i = 0; i < n && ok; ++i) b[i].first_t = WrapSub(b[i].end, col[i]);
  ok = ok && GetDeltaColumn(&r, n, scratch.data(), col.data());
  for (size_t i = 0; i < n && ok; ++i) b[i].last_t = WrapSub(b[i].end, col[i]);

  for (int c = 0; c < kFloatColumns && ok; ++c) ok = GetFloatColumn(&r, b, n, c, scratch.data());
  if (!ok || !r.done()) {
    out->resize(base);
    return false;
  }
  // Keep [min_end, max_end]: the buckets are ascending, so trim both ends.
  auto lo = std::lower_bound(out->begin() + base, out->end(), min_end,
                             [](const RollupBucket& x, int64_t e) { return x.end < e; });
  auto hi = std::upper_bound(lo, out->end(), max_end,
                             [](int64_t e, const RollupBucket& x) { return e < x.end; });
  out->erase(hi, out->end());
  out->erase(out->begin() + base, lo);
  return true;
}

}  // namespace tidemark::storage

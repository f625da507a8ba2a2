#include "storage/rollup_block.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "storage/rollup_columns.h"
#include "storage/sealed_chunk.h"
#include "storage/varint.h"

namespace tidemark::storage {

namespace {

// Version 1 predicts fewer columns and packs every integer column; version 2 (written now)
// predicts more columns from the others, may token-code (rANS) its integer columns and adds the
// ULP-predicted mode. Both decode.
constexpr uint8_t kVersion1 = 1;
constexpr uint8_t kVersion2 = 2;
// Version 3: version 2 without the increase column, for gauge-like series (GaugeLike).
constexpr uint8_t kVersion3 = 3;
// Float column modes: XOR; 1 + s: decimal scale s, deltas in the column; kPredicted | (1 + s):
// decimal scale s, differences to a prediction from the columns before (PredictV1,
// PredictColumnV2); kUlpPredicted (version 2): the distance in units in the last place to a
// prediction in doubles.
constexpr uint8_t kXorMode = 0;
constexpr uint8_t kUlpPredicted = 0x20;
constexpr uint8_t kPredicted = 0x40;
constexpr int64_t kDay = 86'400'000;
constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12};
// |v * 10^s| below this converts to int64 safely.
constexpr double kMaxScaled = 4e18;

constexpr int kFloatColumns = 6;
enum Column { kSum, kLast, kFirst, kMin, kMax, kIncrease };
constexpr double RollupBucket::*kFloatField[kFloatColumns] = {
    &RollupBucket::sum, &RollupBucket::last, &RollupBucket::first,
    &RollupBucket::min, &RollupBucket::max,  &RollupBucket::increase};
// The order of the columns in a block, so that each column's prediction uses columns already
// decoded.
constexpr Column kOrderV1[kFloatColumns] = {kSum, kLast, kFirst, kMin, kMax, kIncrease};
constexpr Column kOrderV2[kFloatColumns] = {kLast, kFirst, kMin, kMax, kSum, kIncrease};

// std::llround for |m| < 2^63, without the library call (it showed in profiles of decoding):
// the truncation is exact, and so is the fraction m - trunc(m).
int64_t RoundHalfAway(double m) {
  int64_t r = static_cast<int64_t>(m);
  const double frac = m - static_cast<double>(r);
  if (frac >= 0.5) ++r;
  if (frac <= -0.5) --r;
  return r;
}

// llround(m), or 0 where that does not fit (also NaN).
int64_t ToScaled(double m) { return std::fabs(m) < kMaxScaled ? RoundHalfAway(m) : 0; }
// llround(v * 10^s), or 0 where that does not fit.
int64_t Scaled(double v, int s) { return ToScaled(v * kPow10[s]); }

int64_t WrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

// Version 1: a bucket's first value is near the previous bucket's last, its min and max near its
// first and last, and a counter's increase is last - first.
int64_t PredictV1(const RollupBucket* b, size_t i, int c, int s) {
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

// Version 2 guesses a bucket's sum as count times the mean of first, last, min and max.
int64_t SumGuess(uint64_t count, int64_t first, int64_t last, int64_t min, int64_t max) {
  return ToScaled(static_cast<double>(count) * 0.25 *
                  (static_cast<double>(first) + static_cast<double>(last) +
                   static_cast<double>(min) + static_cast<double>(max)));
}

// The scaled last, first, min and max of a block's decoded buckets, each computed once per
// scale: the predictions of a block's later columns read them several times per bucket. Only
// fields already decoded may be asked for.
class ScaledFields {
 public:
  ScaledFields(const RollupBucket* b, size_t n, int64_t* storage) : b_(b), n_(n), data_(storage) {}
  const int64_t* Get(int c, int s) {
    const int k = c - kLast;  // kLast, kFirst, kMin, kMax are consecutive
    int64_t* values = data_ + static_cast<size_t>(k) * n_;
    if (scale_[k] != s) {
      for (size_t i = 0; i < n_; ++i) values[i] = Scaled(b_[i].*kFloatField[c], s);
      scale_[k] = s;
    }
    return values;
  }

 private:
  const RollupBucket* b_;
  size_t n_;
  int64_t* data_;
  int scale_[4] = {-1, -1, -1, -1};
};

// Version 2's guesses for every bucket of column c into `out`: min and max are the lower and
// upper of first and last (or beyond them), the sum is near count times the mean of first, last,
// min and max, a first is near the previous last, and an increase starts from last - first. The
// last values stay a delta column: predicting them from first would chain first and last across
// buckets. The encoder and the decoder both call this, so their guesses agree bit for bit.
void PredictColumnV2(ScaledFields* f, const RollupBucket* b, size_t n, int c, int s, int64_t* out) {
  const int64_t* last = f->Get(kLast, s);
  if (c == kFirst) {  // not decoded yet: Get(kFirst) would cache garbage
    for (size_t i = 0; i < n; ++i) out[i] = i == 0 ? 0 : last[i - 1];
    return;
  }
  const int64_t* first = f->Get(kFirst, s);
  if (c == kMin || c == kMax) {
    for (size_t i = 0; i < n; ++i) {
      out[i] = c == kMin ? std::min(first[i], last[i]) : std::max(first[i], last[i]);
    }
  } else if (c == kSum) {
    const int64_t* min = f->Get(kMin, s);
    const int64_t* max = f->Get(kMax, s);
    for (size_t i = 0; i < n; ++i) out[i] = SumGuess(b[i].count, first[i], last[i], min[i], max[i]);
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = WrapSub(last[i], first[i]);
  }
}

bool Predictable(uint8_t version, int c) {
  return c >= kFirst || (version != kVersion1 && c == kSum);
}

// The same guesses in doubles, for the ULP-predicted mode: exact for a counter's increase
// (the sum of its exact sample differences) and for min and max of monotonic series.
double PredictDouble(const RollupBucket* b, size_t i, int c) {
  switch (c) {
    case kFirst:
      return i == 0 ? 0 : b[i - 1].last;
    case kMin:
      return std::min(b[i].first, b[i].last);
    case kMax:
      return std::max(b[i].first, b[i].last);
    case kSum:
      return static_cast<double>(b[i].count) * 0.5 * (b[i].first + b[i].last);
    default:
      return b[i].last - b[i].first;
  }
}

// A gauge's increase exceeds last - first by the values before its decreases, so the rest of
// the prediction is about a multiple of the level: version 2 stores it as k and r with
// rest = k * q + r, q the bucket's scaled mean (sum / count) or, with kLevelByMax in the mode,
// its scaled max (better for two-state signals, whose value before a decrease is the max).
constexpr uint8_t kLevelByMax = 0x80;
int64_t Level(const RollupBucket& b, int s, bool by_max) {
  if (by_max) return Scaled(b.max, s);
  return b.count == 0 ? 0 : ToScaled(b.sum / static_cast<double>(b.count) * kPow10[s]);
}
int64_t LevelMultiple(int64_t rest, int64_t q) {
  if (q <= 0) return 0;
  const double k = std::nearbyint(static_cast<double>(rest) / static_cast<double>(q));
  return std::fabs(k) < 1e9 ? static_cast<int64_t>(k) : 0;
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
// `guesses`, PredictColumnV2's at scale s) as differences to those, then per value the distance
// in bits between v and the decimal n_i / 10^s. Exact for every finite value; small for values
// with at most s decimals (distance 0) and for sums of them (a few units in the last place).
bool PutDecimalColumn(std::string* out, const std::vector<double>& v, int s, const int64_t* guesses,
                      const RollupBucket* buckets, int c, bool by_max) {
  std::vector<int64_t> scaled, residuals, predicted, multiples;
  for (size_t i = 0; i < v.size(); ++i) {
    const double m = v[i] * kPow10[s];
    if (!(std::fabs(m) < kMaxScaled)) return false;  // also NaN and Inf
    const int64_t n = RoundHalfAway(m);
    const double approx = static_cast<double>(n) / kPow10[s];
    scaled.push_back(n);
    residuals.push_back(static_cast<int64_t>(DoubleBits(v[i]) - DoubleBits(approx)));
    if (!guesses) continue;
    int64_t rest = WrapSub(n, guesses[i]);
    if (c == kIncrease) {
      const int64_t q = Level(buckets[i], s, by_max), k = LevelMultiple(rest, q);
      multiples.push_back(k);
      rest = WrapSub(rest, WrapMul(k, q));
    }
    predicted.push_back(rest);
  }
  out->push_back(
      static_cast<char>((guesses ? kPredicted : 0) | (by_max ? kLevelByMax : 0) | (1 + s)));
  if (guesses) {
    if (c == kIncrease) PutSignedColumn(out, multiples);
    PutSignedColumn(out, predicted);
  } else {
    PutDeltaColumn(out, scaled);
  }
  PutSignedColumn(out, residuals);
  return true;
}

// The distance in units in the last place between each value and PredictDouble.
void PutUlpColumn(std::string* out, const std::vector<double>& v, const RollupBucket* buckets,
                  int c) {
  out->push_back(static_cast<char>(kUlpPredicted));
  std::vector<int64_t> distances;
  for (size_t i = 0; i < v.size(); ++i) {
    const uint64_t guess = DoubleBits(PredictDouble(buckets, i, c));
    distances.push_back(static_cast<int64_t>(DoubleBits(v[i]) - guess));
  }
  PutSignedColumn(out, distances);
}

// The largest decimal scale any of `v` has (-1 when none has one).
int MaxScale(const std::vector<double>& v) {
  int s = -1;
  for (double d : v) s = std::max(s, DecimalScaleOf(d));
  return s;
}

// The smallest of the XOR form, the ULP-predicted form and the decimal forms at the column's
// own scale and at the scale of the samples (a column of sums rarely has a short decimal form of
// its own), plain and predicted. `fields` holds the block's scaled fields for the predictions.
void PutFloatColumn(std::string* out, const std::vector<double>& v, int sample_scale,
                    std::span<const RollupBucket> buckets, int c, ScaledFields* fields) {
  std::string best, candidate;
  PutXorColumn(&best, v);
  if (Predictable(kVersion2, c)) PutUlpColumn(&candidate, v, buckets.data(), c);
  if (!candidate.empty() && candidate.size() < best.size()) best.swap(candidate);
  auto consider = [&](int s, const int64_t* guesses, bool by_max) {
    candidate.clear();
    if (PutDecimalColumn(&candidate, v, s, guesses, buckets.data(), c, by_max) &&
        candidate.size() < best.size()) {
      best.swap(candidate);
    }
  };
  std::vector<int64_t> guesses(v.size());
  for (int s : {MaxScale(v), sample_scale}) {
    if (s < 0) continue;
    consider(s, nullptr, false);
    if (!Predictable(kVersion2, c)) continue;
    PredictColumnV2(fields, buckets.data(), v.size(), c, s, guesses.data());
    consider(s, guesses.data(), false);
    if (c == kIncrease) consider(s, guesses.data(), true);
  }
  out->append(best);
}

bool GetXorColumn(ColumnReader* r, RollupBucket* b, size_t n, double RollupBucket::*field) {
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

// The scaled integers of a predicted decimal column into `scaled`; `scratch` holds 2 n values.
bool GetPredicted(uint8_t version, ColumnReader* r, const RollupBucket* b, size_t n, int c, int s,
                  bool by_max, ScaledFields* fields, int64_t* scratch, int64_t* scaled) {
  const bool split = version != kVersion1 && c == kIncrease;
  if (split && !r->SignedInts(n, scratch)) return false;
  if (!r->SignedInts(n, scaled)) return false;
  if (split) {
    for (size_t i = 0; i < n; ++i) {
      scaled[i] = WrapAdd(scaled[i], WrapMul(scratch[i], Level(b[i], s, by_max)));
    }
  }
  if (version == kVersion1) {
    for (size_t i = 0; i < n; ++i) scaled[i] = WrapAdd(PredictV1(b, i, c, s), scaled[i]);
    return true;
  }
  int64_t* guess = scratch + n;
  PredictColumnV2(fields, b, n, c, s, guess);
  for (size_t i = 0; i < n; ++i) scaled[i] = WrapAdd(guess[i], scaled[i]);
  return true;
}

// `scratch` holds 3 n values.
bool GetFloatColumn(uint8_t version, ColumnReader* r, RollupBucket* b, size_t n, int c,
                    ScaledFields* fields, int64_t* scratch) {
  double RollupBucket::*const field = kFloatField[c];
  const uint8_t mode = r->Byte();
  if (mode == kXorMode) return GetXorColumn(r, b, n, field);
  if (mode == kUlpPredicted) {
    if (version == kVersion1 || !Predictable(version, c) || !r->SignedInts(n, scratch)) {
      return false;
    }
    for (size_t i = 0; i < n; ++i) {
      const uint64_t guess = DoubleBits(PredictDouble(b, i, c));
      b[i].*field = BitsDouble(guess + static_cast<uint64_t>(scratch[i]));
    }
    return true;
  }
  const bool predicted = (mode & kPredicted) != 0;
  const bool by_max = (mode & kLevelByMax) != 0;
  const int s = (mode & ~(kPredicted | kLevelByMax)) - 1;
  if (s < 0 || s > kMaxDecimalScale || (predicted && !Predictable(version, c)) ||
      (by_max && (version == kVersion1 || c != kIncrease || !predicted))) {
    return false;
  }
  const double p = kPow10[s];
  int64_t* scaled = scratch + 2 * n;
  if (predicted ? !GetPredicted(version, r, b, n, c, s, by_max, fields, scratch, scaled)
                : !GetDeltaColumn(r, n, scaled)) {
    return false;
  }
  if (!r->SignedInts(n, scratch)) return false;
  for (size_t i = 0; i < n; ++i) {
    const double approx = static_cast<double>(scaled[i]) / p;
    b[i].*field = BitsDouble(DoubleBits(approx) + static_cast<uint64_t>(scratch[i]));
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

// A gauge's increase (the values before every decrease, added up as counter resets) costs about
// a byte per bucket of a 0.1-resolution temperature, a third of its block, for a rate() nobody
// asks of a gauge. What tells a gauge's decreases from a counter's resets is their depth: a
// counter restarts near zero, so a bucket with a reset has a min at most half its max, while a
// gauge dips by a small part of its level. A block of at least kMinBucketsToJudge buckets in
// which more than a quarter decrease without such a reset is gauge-like. A bucket whose increase
// is unknown (decoded from such a block) keeps the block without it.
bool DecreasesLikeAGauge(const RollupBucket& b) {
  const double rest = b.increase - (b.last - b.first);  // the values before its decreases
  if (!std::isfinite(rest)) return false;  // NaN or infinite samples tell nothing either way
  // Without a decrease the rest is zero, up to the rounding of the increase's summation.
  if (std::fabs(rest) <= 1e-9 * (std::fabs(b.last) + std::fabs(b.first))) return false;
  const bool counter_reset = b.max > 0 && b.min <= b.max / 2;
  return !counter_reset;
}

// Blocks fill a seal round at a time and, once without the increase, stay so: the first verdict
// waits for a day of 5m buckets' first two hours, or a day of an hour tier's week, so that a few
// odd buckets of a counter do not decide for its whole block.
constexpr size_t kMinBucketsToJudge = 24;

bool GaugeLike(std::span<const RollupBucket> buckets) {
  size_t gauge = 0;
  for (const RollupBucket& b : buckets) {
    if (!b.has_increase) return true;
    if (DecreasesLikeAGauge(b)) ++gauge;
  }
  return buckets.size() >= kMinBucketsToJudge && 4 * gauge > buckets.size();
}

std::string EncodeRollupBlock(std::span<const RollupBucket> buckets, int64_t block_start,
                              int64_t res) {
  const bool gauge = GaugeLike(buckets);
  std::string out;
  out.push_back(static_cast<char>(gauge ? kVersion3 : kVersion2));
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
    if (c == kIncrease && gauge) continue;
    for (const RollupBucket& b : buckets) column[c].push_back(b.*kFloatField[c]);
  }
  int sample_scale = -1;
  for (int c = kLast; c <= kMax; ++c) sample_scale = std::max(sample_scale, MaxScale(column[c]));
  std::vector<int64_t> fields_storage(4 * buckets.size());
  ScaledFields fields(buckets.data(), buckets.size(), fields_storage.data());
  for (Column c : kOrderV2) {
    if (c != kIncrease || !gauge) {
      PutFloatColumn(&out, column[c], sample_scale, buckets, c, &fields);
    }
  }
  return out;
}

namespace {

// The version byte of a block, 0 when it is not one this code decodes.
uint8_t BlockVersion(std::string_view block) {
  const uint8_t v = block.empty() ? 0 : static_cast<uint8_t>(block[0]);
  return v >= kVersion1 && v <= kVersion3 ? v : 0;
}

// The version whose columns a block has: version 3 has version 2's, without the increase.
uint8_t ColumnVersion(uint8_t version) { return std::min(version, kVersion2); }

}  // namespace

bool RollupBlockSize(std::string_view block, uint64_t* n) {
  const uint8_t version = BlockVersion(block);
  if (version == 0) return false;
  ColumnReader r(block.substr(1), ColumnVersion(version));
  *n = r.Varint();
  return r.ok();
}

bool DecodeRollupBlock(std::string_view block, int64_t block_start, int64_t res, int64_t min_end,
                       int64_t max_end, std::vector<RollupBucket>* out) {
  const uint8_t stored = BlockVersion(block);
  if (stored == 0) return false;
  const bool has_increase = stored != kVersion3;
  const uint8_t version = ColumnVersion(stored);
  ColumnReader r(block.substr(1), version);
  const uint64_t n = r.Varint();
  if (!r.ok() || n > kMaxRollupBlockBuckets) return false;
  const size_t base = out->size();
  out->resize(base + n);
  RollupBucket* b = out->data() + base;
  // Column buffers, reused: a read decodes blocks back to back.
  thread_local std::vector<int64_t> scratch;
  if (scratch.size() < 7 * n) scratch.resize(7 * n);
  int64_t* const col = scratch.data();
  ScaledFields fields(b, n, scratch.data() + 3 * n);
  bool ok = GetDeltaColumn(&r, n, col);
  for (size_t i = 0; i < n && ok; ++i) {
    const uint64_t idx = static_cast<uint64_t>(col[i]) + i + 1;
    b[i].end = WrapAdd(block_start, static_cast<int64_t>(idx * static_cast<uint64_t>(res)));
  }
  ok = ok && GetDeltaColumn(&r, n, col);
  for (size_t i = 0; i < n && ok; ++i) b[i].count = static_cast<uint64_t>(col[i]);
  ok = ok && GetDeltaColumn(&r, n, col);
  for (size_t i = 0; i < n && ok; ++i) b[i].first_t = WrapSub(b[i].end, col[i]);
  ok = ok && GetDeltaColumn(&r, n, col);
  for (size_t i = 0; i < n && ok; ++i) b[i].last_t = WrapSub(b[i].end, col[i]);

  for (Column c : version == kVersion1 ? kOrderV1 : kOrderV2) {
    if (c == kIncrease && !has_increase) {
      for (size_t i = 0; i < n; ++i) b[i].has_increase = false;
      continue;
    }
    ok = ok && GetFloatColumn(version, &r, b, n, c, &fields, scratch.data());
  }
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

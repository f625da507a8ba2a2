#include "storage/sealed_chunk.h"

#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "storage/bit_stream.h"
#include "storage/rans_coder.h"
#include "storage/varint.h"

namespace tidemark::storage {

namespace {

constexpr uint8_t kCodecMask = 0x03;
constexpr uint8_t kZstdFlag = 0x04;
constexpr uint8_t kRansFlag = 0x08;
// Timestamps t_i = t_0 + i * interval (at least three samples): only t_0 and the interval are
// stored, not the n - 2 zero delta-of-deltas.
constexpr uint8_t kRegularFlag = 0x10;
constexpr int64_t kMaxExactInt = int64_t{1} << 53;

constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12};

// Scaled integer for `v` at `scale`, if the decode expression gives back v exactly.
bool ScaledInt(double v, int scale, int64_t* out) {
  if (!std::isfinite(v)) return false;
  double m = v * kPow10[scale];
  if (!(std::fabs(m) < static_cast<double>(kMaxExactInt))) return false;
  int64_t r = std::llround(m);
  double back = static_cast<double>(r) / kPow10[scale];
  if (DoubleBits(back) != DoubleBits(v)) return false;
  *out = r;
  return true;
}

// True when there are at least three samples and every interval equals the first.
bool RegularTimes(std::span<const Sample> s) {
  if (s.size() < 3) return false;
  const int64_t interval = WrapSub(s[1].t, s[0].t);
  for (size_t i = 2; i < s.size(); ++i) {
    if (WrapSub(s[i].t, s[i - 1].t) != interval) return false;
  }
  return true;
}

// Returns the length of the first two entries (the first timestamp and interval): the rest, the
// delta-of-delta stream, is what entropy coding pays off on. With `regular` (RegularTimes) only
// those two are written.
size_t EncodeTimestamps(std::span<const Sample> s, bool regular, std::string* out) {
  if (regular) {
    PutSignedVarint(out, s[0].t);
    PutSignedVarint(out, WrapSub(s[1].t, s[0].t));
    return out->size();
  }
  int64_t prev_t = 0, prev_delta = 0;
  size_t head = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 0) {
      PutSignedVarint(out, s[0].t);
    } else {
      int64_t delta = WrapSub(s[i].t, prev_t);
      PutSignedVarint(out, i == 1 ? delta : WrapSub(delta, prev_delta));
      prev_delta = delta;
    }
    if (i < 2) head = out->size();
    prev_t = s[i].t;
  }
  return head;
}

// Writes the XOR value stream to `w`: a BitWriter, or a BitCounter to learn its size.
template <typename Bits>
void WriteXorValues(std::span<const Sample> s, Bits& w) {
  uint64_t prev = 0;
  int leading = -1, trailing = 0;
  for (const auto& sample : s) {
    uint64_t bits = DoubleBits(sample.v);
    uint64_t x = bits ^ prev;
    prev = bits;
    if (x == 0) {
      w.WriteBit(false);
      continue;
    }
    w.WriteBit(true);
    int lz = std::min(std::countl_zero(x), 31);
    int tz = std::countr_zero(x);
    if (leading >= 0 && lz >= leading && tz >= trailing) {
      w.WriteBit(false);
      w.WriteBits(x >> trailing, 64 - leading - trailing);
      continue;
    }
    w.WriteBit(true);
    w.WriteBits(static_cast<uint64_t>(lz), 5);
    w.WriteBits(static_cast<uint64_t>((64 - lz - tz) & 63), 6);
    w.WriteBits(x >> tz, 64 - lz - tz);
    leading = lz;
    trailing = tz;
  }
}

// Counts the bits a BitWriter would be given.
struct BitCounter {
  size_t bits = 0;
  void WriteBit(bool) { ++bits; }
  void WriteBits(uint64_t, int n) { bits += static_cast<size_t>(std::max(n, 0)); }
};

void EncodeXorValues(std::span<const Sample> s, std::string* out) {
  BitWriter w;
  WriteXorValues(s, w);
  w.AppendTo(out);
}

// The size EncodeXorValues would produce, without producing it.
size_t XorValuesBytes(std::span<const Sample> s) {
  BitCounter counter;
  WriteXorValues(s, counter);
  return (counter.bits + 7) / 8;
}

// The scaled-decimal form of a chunk's values, computed once for both the delta and the
// delta-of-delta encoding: finding each value's scale (up to 13 llround tries) is most of the
// encoder's work, and head chunks are encoded on the append path.
struct DecimalPlan {
  int scale = 0;
  std::vector<int64_t> scaled;  // value i times 10^scale, rounded; meaningless where !exact[i]
  std::vector<char> exact;      // 0: value i goes to the exception list
  std::vector<int8_t> at;       // the scale scaled[i] was computed at; -1: none
};

// Fills `plan`; false when no sample is decimal-representable (the codec would be pointless).
// The chunk's scale is the largest of the values' smallest scales. A value exact at the largest
// scale found so far cannot raise it, so only the others search for their smallest scale: most
// values cost one llround here instead of one per scale up to theirs.
bool PlanDecimal(std::span<const Sample> s, DecimalPlan* plan) {
  std::vector<int8_t>& at = plan->at;
  at.assign(s.size(), -1);
  plan->scaled.assign(s.size(), 0);
  plan->exact.assign(s.size(), 0);
  bool any = false;
  int scale = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (ScaledInt(s[i].v, scale, &plan->scaled[i])) {
      at[i] = static_cast<int8_t>(scale);
      any = true;
      continue;
    }
    for (int sc = 0; sc <= kMaxDecimalScale; ++sc) {
      if (ScaledInt(s[i].v, sc, &plan->scaled[i])) {
        at[i] = static_cast<int8_t>(sc);
        any = true;
        scale = std::max(scale, sc);
        break;
      }
    }
  }
  if (!any) return false;
  plan->scale = scale;
  for (size_t i = 0; i < s.size(); ++i) {
    plan->exact[i] = at[i] == scale || ScaledInt(s[i].v, scale, &plan->scaled[i]);
  }
  return true;
}

// Returns the length of the scale byte and the first integer, which are not worth entropy coding.
size_t EncodeDecimalValues(std::span<const Sample> s, const DecimalPlan& plan, bool dod,
                           std::string* out) {
  out->push_back(static_cast<char>(plan.scale));
  size_t head = out->size();
  std::string exceptions;
  size_t num_exceptions = 0, last_pos = 0;
  int64_t prev = 0, prev_delta = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    int64_t r = plan.scaled[i];
    if (!plan.exact[i]) {
      r = prev;  // keep the integer stream smooth; the exact bits go to the exception list
      PutVarint(&exceptions, i - last_pos);
      PutFixed64(&exceptions, DoubleBits(s[i].v));
      last_pos = i;
      ++num_exceptions;
    }
    int64_t delta = r - prev;
    PutSignedVarint(out, (dod && i > 1) ? delta - prev_delta : delta);
    if (i == 0) head = out->size();
    prev_delta = delta;
    prev = r;
  }
  PutVarint(out, num_exceptions);
  out->append(exceptions);
  return head;
}

// Reads varints from a byte range with a one-byte fast path (most deltas of regular timestamps
// and decimal values fit in one byte); the pointer lives in registers, not behind a string_view.
class VarintReader {
 public:
  explicit VarintReader(std::string_view in)
      : p_(reinterpret_cast<const uint8_t*>(in.data())), end_(p_ + in.size()) {}

  bool Signed(int64_t* v) {
    if (p_ < end_ && *p_ < 0x80) {
      *v = ZigZagDecode(*p_++);
      return true;
    }
    uint64_t u = 0;
    for (int shift = 0; shift <= 63 && p_ < end_; shift += 7) {
      const uint64_t byte = *p_++;
      u |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        *v = ZigZagDecode(u);
        return true;
      }
    }
    return false;
  }
  // What is left unread.
  std::string_view rest() const {
    return std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(end_ - p_));
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Which samples of a chunk a reader wants: indexes [lo, hi) of the n in the chunk, written to
// out[0 .. hi - lo). Values are delta coded, so decoding still runs from index 0.
struct Window {
  size_t lo;
  size_t hi;
  Sample* out;
};

// Decodes the n timestamps into `ts` up to the first one past maxt, sets [*lo, *hi) to the
// samples within [mint, maxt], and advances `in` past all n timestamps (the values follow).
// `regular`: only the first timestamp and the interval are stored (kRegularFlag).
bool DecodeTimestamps(std::string_view* in, size_t n, bool regular, int64_t mint, int64_t maxt,
                      std::vector<int64_t>* ts, size_t* lo, size_t* hi) {
  VarintReader r(*in);
  ts->resize(n);
  // Entries stored: a regular chunk keeps t_0 and the interval, its delta-of-deltas are zero.
  const size_t stored = regular ? std::min<size_t>(n, 2) : n;
  int64_t t = 0, delta = 0, v = 0;
  size_t i = 0;
  *lo = n;
  for (; i < n; ++i) {
    v = 0;
    if (i < stored && !r.Signed(&v)) return false;
    if (i == 0) {
      t = v;
    } else {
      delta = (i == 1) ? v : WrapAdd(delta, v);
      t = WrapAdd(t, delta);
    }
    (*ts)[i] = t;
    if (t > maxt) break;
    if (t >= mint && *lo == n) *lo = i;
  }
  *hi = i;
  if (*lo == n) *lo = i;
  for (size_t k = i + 1; k < stored; ++k) {  // the rest, unread after an early stop
    if (!r.Signed(&v)) return false;
  }
  *in = r.rest();
  return true;
}

bool DecodeXorValues(std::string_view in, const Window& w) {
  BitReader r(in);
  uint64_t bits = 0;
  int leading = 0, trailing = 0;
  for (size_t i = 0; i < w.hi; ++i) {
    if (r.ReadBit()) {
      if (r.ReadBit()) {
        leading = static_cast<int>(r.ReadBits(5));
        int sig = static_cast<int>(r.ReadBits(6));
        if (sig == 0) sig = 64;
        trailing = 64 - leading - sig;
        if (trailing < 0) return false;
      }
      bits ^= r.ReadBits(64 - leading - trailing) << trailing;
    }
    if (i >= w.lo) w.out[i - w.lo].v = BitsDouble(bits);
  }
  return !r.error();
}

// The exception list follows all n value deltas, so these are parsed to the end whatever the
// window.
bool DecodeDecimalValues(std::string_view in, bool dod, size_t n, const Window& w) {
  if (in.empty()) return false;
  int scale = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  if (scale > kMaxDecimalScale) return false;
  const double div = kPow10[scale];
  int64_t prev = 0, delta = 0;
  VarintReader r(in);
  for (size_t i = 0; i < n; ++i) {
    int64_t d;
    if (!r.Signed(&d)) return false;
    delta = (dod && i > 1) ? WrapAdd(delta, d) : d;
    prev = WrapAdd(prev, delta);
    if (i >= w.lo && i < w.hi) w.out[i - w.lo].v = static_cast<double>(prev) / div;
  }
  in = r.rest();
  uint64_t num_exceptions;
  if (!GetVarint(&in, &num_exceptions)) return false;
  size_t pos = 0;
  for (uint64_t e = 0; e < num_exceptions; ++e) {
    uint64_t gap, bits;
    if (!GetVarint(&in, &gap) || !GetFixed64(&in, &bits)) return false;
    pos += gap;
    if (pos >= n) return false;
    if (pos >= w.lo && pos < w.hi) w.out[pos - w.lo].v = BitsDouble(bits);
  }
  return in.empty();
}

// Contexts are expensive to create; keep one per thread.
struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};
ZstdContexts& Zstd() {
  thread_local ZstdContexts contexts;
  return contexts;
}

// The encodings of one chunk before framing: the timestamps, and the value encoding of each codec
// (XOR, decimal delta, decimal delta-of-delta) that applies. Each part starts with a head (first
// timestamp and interval; decimal scale and first integer) that a rANS-coded body keeps as is:
// those bytes occur once, and as symbols of the table they would cost more than they are.
struct Candidates {
  std::string ts;
  size_t ts_head = 0;
  bool regular = false;  // ts is the head only (kRegularFlag)
  std::string values[3];
  size_t values_head[3] = {0, 0, 0};
  bool have[3] = {false, false, false};
};

std::string WithHeader(ValueCodec codec, uint8_t flags, size_t n) {
  std::string out;
  out.push_back(static_cast<char>(static_cast<uint8_t>(codec) | flags));
  PutVarint(&out, n);
  return out;
}

uint8_t TimeFlags(const Candidates& c) { return c.regular ? kRegularFlag : 0; }

std::string PlainChunk(const Candidates& c, int codec, size_t n) {
  std::string out = WithHeader(static_cast<ValueCodec>(codec), TimeFlags(c), n);
  out.append(c.ts);
  out.append(c.values[codec]);
  return out;
}

// One part of a rANS-coded body: varint head length, the head, the rANS stream of the rest.
void AppendRansPart(std::string_view part, size_t head, std::string* out) {
  PutVarint(out, head);
  out->append(part.substr(0, head));
  RansEncode(part.substr(head), out);
}

// Reads one part written by AppendRansPart, appending its bytes to `out`. A part of a chunk of n
// samples holds at most 24 bytes per sample (a 10-byte varint and a 13-byte exception entry).
bool ReadRansPart(std::string_view* in, uint64_t n, std::string* out) {
  uint64_t head;
  if (!GetVarint(in, &head) || head > in->size()) return false;
  out->append(in->substr(0, head));
  in->remove_prefix(head);
  return RansDecode(in, out, 24 * n + 16);
}

// Moves `count` varints from the front of `*in` to the end of `out`, as they are.
bool CopyVarints(std::string_view* in, int count, std::string* out) {
  for (int k = 0; k < count; ++k) {
    const size_t before = in->size();
    uint64_t v;
    if (!GetVarint(in, &v)) return false;
    out->append(in->data() - (before - in->size()), before - in->size());
  }
  return true;
}

// The zstd form of the chunk with the given codec; empty if zstd fails.
std::string ZstdChunk(const Candidates& c, int codec, size_t n, int level) {
  thread_local std::string raw;
  raw.assign(c.ts);
  raw.append(c.values[codec]);
  std::string out = WithHeader(static_cast<ValueCodec>(codec), kZstdFlag | TimeFlags(c), n);
  PutVarint(&out, raw.size());
  const size_t header = out.size();
  out.resize(header + ZSTD_compressBound(raw.size()));
  const size_t z = ZSTD_compressCCtx(Zstd().c, out.data() + header, out.size() - header, raw.data(),
                                     raw.size(), level);
  if (ZSTD_isError(z)) return {};
  out.resize(header + z);
  return out;
}

// The smallest plain chunk, the rANS chunk of the value encoding whose rANS estimate is smallest
// (the timestamps are the same for all, so they are coded once) and, only when that left more
// than half of the plain body, the zstd chunk of every value encoding.
//
// Why zstd only then: it wins where values repeat in sequences (LZ matches), which an order-0
// coder cannot see; on decimal sensor data rANS always came out smaller, and skipping zstd there
// cut the encoder's time by about two thirds (level 9 when compacting a cold partition).
std::string SmallestCompressed(const Candidates& c, size_t n, const SealOptions& opt) {
  int smallest_plain = -1, best_rans = -1;
  size_t best_rans_estimate = 0;
  for (int codec = 0; codec < 3; ++codec) {
    if (!c.have[codec]) continue;
    if (smallest_plain < 0 || c.values[codec].size() < c.values[smallest_plain].size()) {
      smallest_plain = codec;
    }
    const std::string_view values = c.values[codec];
    const size_t head = c.values_head[codec];
    const size_t estimate = head + RansEncodedSizeEstimate(values.substr(head));
    if (best_rans < 0 || estimate < best_rans_estimate) {
      best_rans = codec;
      best_rans_estimate = estimate;
    }
  }
  std::string best = PlainChunk(c, smallest_plain, n);
  const size_t plain_body = c.ts.size() + c.values[smallest_plain].size();
  if (plain_body < 16) return best;
  std::string rans = WithHeader(static_cast<ValueCodec>(best_rans), kRansFlag | TimeFlags(c), n);
  if (c.regular) {
    rans.append(c.ts);  // the head alone: nothing to code
  } else {
    AppendRansPart(c.ts, c.ts_head, &rans);
  }
  AppendRansPart(c.values[best_rans], c.values_head[best_rans], &rans);
  if (rans.size() < best.size()) best = std::move(rans);
  if (2 * best.size() < plain_body) return best;
  for (int codec = 0; codec < 3; ++codec) {
    if (!c.have[codec]) continue;
    std::string packed = ZstdChunk(c, codec, n, opt.zstd_level);
    if (!packed.empty() && packed.size() < best.size()) best = std::move(packed);
  }
  return best;
}

}  // namespace

int DecimalScaleOf(double v) {
  int64_t r;
  for (int s = 0; s <= kMaxDecimalScale; ++s) {
    if (ScaledInt(v, s, &r)) return s;
  }
  return -1;
}

std::string EncodeSealedChunk(std::span<const Sample> samples, const SealOptions& options) {
  // Scratch reused across calls: head chunks are frozen on the append path, hundreds of
  // thousands of times in one bulk load.
  thread_local Candidates c;
  thread_local DecimalPlan plan;
  constexpr int kXor = static_cast<int>(ValueCodec::kXor);
  c.ts.clear();
  c.regular = RegularTimes(samples);
  c.ts_head = EncodeTimestamps(samples, c.regular, &c.ts);
  const int force = options.force_codec;
  const bool decimal = force != kXor && PlanDecimal(samples, &plan);
  for (bool dod : {false, true}) {
    const int codec =
        static_cast<int>(dod ? ValueCodec::kDecimalDeltaOfDelta : ValueCodec::kDecimalDelta);
    c.have[codec] = decimal && (force < 0 || force == codec);
    if (!c.have[codec]) continue;
    c.values[codec].clear();
    c.values_head[codec] = EncodeDecimalValues(samples, plan, dod, &c.values[codec]);
  }
  // A forced decimal codec with no decimal values falls back to XOR.
  c.have[kXor] = force < 0 || force == kXor || !decimal;
  c.values[kXor].clear();
  if (options.compress) {
    if (c.have[kXor]) EncodeXorValues(samples, &c.values[kXor]);
    return SmallestCompressed(c, samples.size(), options);
  }
  // Plain chunks differ only in their values, so the smallest values win (the first on ties).
  // The XOR values are only sized (decimal data rarely picks them) and built if they win.
  int best = -1;
  size_t best_size = 0;
  for (int codec = 0; codec < 3; ++codec) {
    if (!c.have[codec]) continue;
    const size_t size = codec == kXor ? XorValuesBytes(samples) : c.values[codec].size();
    if (best < 0 || size < best_size) {
      best = codec;
      best_size = size;
    }
  }
  if (best == kXor) EncodeXorValues(samples, &c.values[kXor]);
  return PlainChunk(c, best, samples.size());
}

base::Result<ValueCodec> SealedChunkCodec(std::string_view data) {
  if (data.empty()) return base::Status::Corruption("empty chunk");
  uint8_t codec = static_cast<uint8_t>(data[0]) & kCodecMask;
  if (codec > 2) return base::Status::Corruption("unknown value codec");
  return static_cast<ValueCodec>(codec);
}

base::Result<size_t> SealedChunkSamples(std::string_view data) {
  uint64_t n;
  if (data.empty()) return base::Status::Corruption("empty chunk");
  data.remove_prefix(1);
  if (!GetVarint(&data, &n) || n > kMaxSealedChunkSamples) {
    return base::Status::Corruption("bad sample count");
  }
  return static_cast<size_t>(n);
}

base::Status DecodeSealedChunk(std::string_view data, std::vector<Sample>* out) {
  return DecodeSealedChunkRange(data, INT64_MIN, INT64_MAX, out);
}

base::Status DecodeSealedChunkRange(std::string_view data, int64_t mint, int64_t maxt,
                                    std::vector<Sample>* out) {
  auto codec = SealedChunkCodec(data);
  if (!codec.ok()) return codec.status();
  const uint8_t header = static_cast<uint8_t>(data[0]);
  const bool regular = (header & kRegularFlag) != 0;
  const uint8_t flags = header & ~(kCodecMask | kRegularFlag);
  if ((flags & ~(kZstdFlag | kRansFlag)) || flags == (kZstdFlag | kRansFlag)) {
    return base::Status::Corruption("unknown chunk flags");
  }
  data.remove_prefix(1);
  uint64_t n;
  if (!GetVarint(&data, &n) || n > kMaxSealedChunkSamples || (regular && n < 3)) {
    return base::Status::Corruption("bad sample count");
  }
  thread_local std::string inflated;  // reused: chunks are decoded one at a time per thread
  if (flags == kZstdFlag) {
    uint64_t raw_size;
    // At most 10 bytes of timestamp and 23 of value and exception per sample (see ReadRansPart).
    if (!GetVarint(&data, &raw_size) || raw_size > 34 * n + 32) {
      return base::Status::Corruption("bad raw size");
    }
    inflated.resize(raw_size);
    size_t got = ZSTD_decompressDCtx(Zstd().d, inflated.data(), raw_size, data.data(), data.size());
    if (ZSTD_isError(got) || got != raw_size) return base::Status::Corruption("zstd body");
    data = inflated;
  } else if (flags == kRansFlag) {
    inflated.clear();
    const bool times =
        regular ? CopyVarints(&data, 2, &inflated) : ReadRansPart(&data, n, &inflated);
    if (!times || !ReadRansPart(&data, n, &inflated) || !data.empty()) {
      return base::Status::Corruption("rANS body");
    }
    data = inflated;
  }
  // Every sample has at least one byte of timestamp, or in a regular chunk at least one bit of
  // value: a larger count is corrupt and must not size anything.
  if (n > (regular ? 8 * data.size() : data.size())) {
    return base::Status::Corruption("chunk timestamps");
  }
  thread_local std::vector<int64_t> ts;
  size_t lo, hi;
  if (!DecodeTimestamps(&data, n, regular, mint, maxt, &ts, &lo, &hi)) {
    return base::Status::Corruption("chunk timestamps");
  }
  const size_t base = out->size();
  out->resize(base + (hi - lo));
  const Window w{lo, hi, out->data() + base};
  for (size_t i = lo; i < hi; ++i) w.out[i - lo].t = ts[i];
  const bool ok = *codec == ValueCodec::kXor
                      ? DecodeXorValues(data, w)
                      : DecodeDecimalValues(data, *codec == ValueCodec::kDecimalDeltaOfDelta, n, w);
  if (!ok) {
    out->resize(base);
    return base::Status::Corruption("chunk values");
  }
  return base::Status::Ok();
}

}  // namespace tidemark::storage

#include "storage/xor_chunk.h"

#include <bit>

#include "storage/varint.h"

namespace tidemark::storage {

namespace {

struct Bucket {
  int prefix_bits;
  uint64_t prefix;
  int value_bits;
};
// Delta-of-delta buckets: '0' = 0, then '10'+14 bits, '110'+17, '1110'+20, '1111'+64.
constexpr Bucket kBuckets[] = {{2, 0b10, 14}, {3, 0b110, 17}, {4, 0b1110, 20}, {4, 0b1111, 64}};

bool FitsSigned(int64_t v, int bits) {
  if (bits >= 64) return true;
  int64_t lo = -(int64_t{1} << (bits - 1));
  int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  return v >= lo && v <= hi;
}

int64_t SignExtend(uint64_t v, int bits) {
  if (bits >= 64) return static_cast<int64_t>(v);
  uint64_t m = 1ULL << (bits - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

}  // namespace

void XorChunk::WriteTimeDelta(int64_t dod) {
  if (dod == 0) {
    w_.WriteBit(false);
    return;
  }
  for (const auto& b : kBuckets) {
    if (FitsSigned(dod, b.value_bits)) {
      w_.WriteBits(b.prefix, b.prefix_bits);
      w_.WriteBits(static_cast<uint64_t>(dod), b.value_bits);
      return;
    }
  }
}

void XorChunk::WriteValue(uint64_t bits) {
  uint64_t x = bits ^ last_bits_;
  if (x == 0) {
    w_.WriteBit(false);
    return;
  }
  w_.WriteBit(true);
  int leading = std::countl_zero(x);
  int trailing = std::countr_zero(x);
  if (leading > 31) leading = 31;
  if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
    w_.WriteBit(false);
    int sig = 64 - leading_ - trailing_;
    w_.WriteBits(x >> trailing_, sig);
    return;
  }
  w_.WriteBit(true);
  int sig = 64 - leading - trailing;
  w_.WriteBits(static_cast<uint64_t>(leading), 5);
  w_.WriteBits(static_cast<uint64_t>(sig & 63), 6);  // 64 is written as 0
  w_.WriteBits(x >> trailing, sig);
  leading_ = static_cast<uint8_t>(leading);
  trailing_ = static_cast<uint8_t>(trailing);
}

void XorChunk::Append(int64_t t, double v) {
  uint64_t bits = DoubleBits(v);
  if (num_ == 0) {
    w_.WriteBits(static_cast<uint64_t>(t), 64);
    w_.WriteBits(bits, 64);
    min_t_ = t;
  } else {
    int64_t delta = WrapSub(t, last_t_);
    WriteTimeDelta(WrapSub(delta, last_delta_));
    last_delta_ = delta;
    WriteValue(bits);
  }
  last_t_ = t;
  last_bits_ = bits;
  ++num_;
}

base::Status XorChunk::Decode(std::string_view data, int num_samples, std::vector<Sample>* out) {
  BitReader r(data);
  int64_t t = 0, delta = 0;
  uint64_t bits = 0;
  int leading = 0, trailing = 0;
  for (int i = 0; i < num_samples; ++i) {
    if (i == 0) {
      t = static_cast<int64_t>(r.ReadBits(64));
      bits = r.ReadBits(64);
    } else {
      int64_t dod = 0;
      if (r.ReadBit()) {
        int b = 0;
        while (b < 3 && r.ReadBit()) ++b;
        dod = SignExtend(r.ReadBits(kBuckets[b].value_bits), kBuckets[b].value_bits);
      }
      delta = WrapAdd(delta, dod);
      t = WrapAdd(t, delta);
      if (r.ReadBit()) {
        if (r.ReadBit()) {
          leading = static_cast<int>(r.ReadBits(5));
          int sig = static_cast<int>(r.ReadBits(6));
          if (sig == 0) sig = 64;
          trailing = 64 - leading - sig;
          if (trailing < 0) return base::Status::Corruption("xor chunk: bad bit window");
        }
        int sig = 64 - leading - trailing;
        bits ^= r.ReadBits(sig) << trailing;
      }
    }
    if (r.error()) return base::Status::Corruption("xor chunk: truncated");
    out->push_back({t, BitsDouble(bits)});
  }
  return base::Status::Ok();
}

}  // namespace tidemark::storage

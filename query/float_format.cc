#include "query/float_format.h"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace tidemark::query {
namespace {

__extension__ typedef unsigned __int128 Uint128;

// v = f / 2^s with f the 53-bit significand. The exact path needs (2f + 1) * 10^k < 2^128 for
// k = floor(s * log10(2)) + 1, which holds up to s = 73.
constexpr int kMaxShift = 73;

constexpr std::array<Uint128, 24> kPow10 = [] {
  std::array<Uint128, 24> p{};
  p[0] = 1;
  for (size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}();

constexpr std::array<uint64_t, 20> kPow10Narrow = [] {
  std::array<uint64_t, 20> p{};
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint64_t>(kPow10[i]);
  return p;
}();

uint64_t Pow10(int k) { return kPow10Narrow[k]; }

// floor(s * log10(2)) for 0 <= s < 1650.
int FloorLog10Pow2(int s) { return (s * 78913) >> 18; }

constexpr char kPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// The number of decimal digits of v > 0. t = floor(bit_width * log10(2)) (1233 / 4096 ~ log10(2))
// is floor(log10(v)) or one more; one comparison tells which.
int DigitCount(uint64_t v) {
  const int t = (std::bit_width(v) * 1233) >> 12;
  return t + (v >= Pow10(t) ? 1 : 0);
}

// Writes the lowest `count` digits of v (leading zeros included) so that they end at `end`, two
// at a time.
void WriteLowDigits(uint64_t v, int count, char* end) {
  for (; count >= 2; count -= 2) {
    end -= 2;
    std::memcpy(end, kPairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (count == 1) end[-1] = static_cast<char>('0' + v % 10);
}

// Writes the eight digits of v < 10^8 (leading zeros included) at out with one 8-byte store. The
// digits are split in SIMD-within-a-register fashion: two 4-digit halves in 32-bit lanes, each cut
// into 2-digit quarters in 16-bit lanes (x * 10486 >> 20 is x / 100 for x < 10^4), each of those
// into digits in bytes (x * 103 >> 10 is x / 10 for x < 100); the first digit lands in the lowest
// byte, which a little-endian store writes first.
void WriteEightDigits(uint32_t v, char* out) {
  static_assert(std::endian::native == std::endian::little);
  uint64_t x = (v / 10000) | (static_cast<uint64_t>(v % 10000) << 32);
  const uint64_t hundreds = ((x * 10486) >> 20) & 0x0000007F0000007FULL;
  x = hundreds | ((x - hundreds * 100) << 16);
  const uint64_t tens = ((x * 103) >> 10) & 0x000F000F000F000FULL;
  x = tens | ((x - tens * 10) << 8);
  x += 0x3030303030303030ULL;
  std::memcpy(out, &x, 8);
}

// v in decimal, no leading zeros: the low eight digits as one block, the rest in pairs.
char* WriteDigits(uint64_t v, char* out) {
  if (v < 100) {  // the whole part of most readings
    if (v < 10) {
      *out = static_cast<char>('0' + v);
      return out + 1;
    }
    std::memcpy(out, kPairs + 2 * v, 2);
    return out + 2;
  }
  const int n = DigitCount(v);
  if (n <= 8) {
    WriteLowDigits(v, n, out + n);
  } else {
    WriteEightDigits(static_cast<uint32_t>(v % 100'000'000), out + n - 8);
    WriteLowDigits(v / 100'000'000, n - 8, out + n - 8);
  }
  return out + n;
}

// `whole` + fraction / 10^decimals (fraction < 10^decimals, 1 <= decimals <= 16) in fixed
// notation. The fraction is written as eight (or sixteen) digits, fraction * 10^(8 - decimals):
// its own digits with leading zeros first, then zeros past the end, which the caller's room
// allows.
char* WriteFixed(uint64_t whole, uint64_t fraction, int decimals, char* out) {
  out = WriteDigits(whole, out);
  *out = '.';
  if (decimals <= 8) {  // a raw reading's few decimals: one block
    WriteEightDigits(static_cast<uint32_t>(fraction * Pow10(8 - decimals)), out + 1);
    return out + 1 + decimals;
  }
  const uint64_t padded = fraction * Pow10(16 - decimals);
  WriteEightDigits(static_cast<uint32_t>(padded / 100'000'000), out + 1);
  WriteEightDigits(static_cast<uint32_t>(padded % 100'000'000), out + 9);
  return out + 1 + decimals;
}

// digits / 10^decimals below 1 (digits < 10^decimals, decimals <= 22): "0.", zeros, digits.
char* WriteBelowOne(uint64_t digits, int decimals, char* out) {
  out[0] = '0';
  out[1] = '.';
  std::memset(out + 2, '0', 24);  // a fixed size: a few vector stores, not a call
  const int n = DigitCount(digits);
  return WriteDigits(digits, out + 2 + decimals - n);
}

// Drops kStep trailing decimal zeros from *digits if it has them (adding kStep to *j). Selects
// rather than branches: whether a step applies is as good as random, and a mispredicted branch
// costs more than the step. A constant divisor compiles to a multiplication.
template <int kStep>
void StripZeros(uint64_t* digits, int* j) {
  constexpr uint64_t kDiv = kPow10Narrow[kStep];
  const uint64_t q = *digits / kDiv;
  const bool apply = q * kDiv == *digits;
  *digits = apply ? q : *digits;
  *j += apply ? kStep : 0;
}

// The shortest decimal in the rounding interval of f / 2^s (1 <= s <= kMaxShift, f not a power
// of two, so the interval is symmetric), or nullptr for an exact tie between two candidates.
//
// At scale 10^k (k as below) the interval (f -+ 1/2) / 2^s * 10^k is 10^k / 2^s wide, more than 1
// and less than 10, and its ends are never integers (10^k has fewer factors 2 than 2^(s+1)), so
// the integers in it are exactly [lo, hi], whatever the parser does with ties, and there are at
// most ten of them. The shortest answer has the most trailing zeros. If a multiple of 10 is in
// [lo, hi] it is the only one, so it is the answer; otherwise the answer is the integer nearest
// to v * 10^k (inside, as the interval is symmetric around it).
char* WriteShortest(uint64_t f, int s, char* out) {
  const int k = FloorLog10Pow2(s) + 1;
  const Uint128 p = kPow10[k];
  const Uint128 scaled = f * p;  // v * 10^k * 2^s
  const uint64_t lo = static_cast<uint64_t>((2 * scaled - p) >> (s + 1)) + 1;
  const uint64_t hi = static_cast<uint64_t>((2 * scaled + p) >> (s + 1));
  uint64_t digits = hi / 10;
  int j = 1;
  if (digits * 10 >= lo) {
    StripZeros<16>(&digits, &j);
    StripZeros<8>(&digits, &j);
    StripZeros<4>(&digits, &j);
    StripZeros<2>(&digits, &j);
    StripZeros<1>(&digits, &j);
  } else {
    j = 0;
    digits = static_cast<uint64_t>(scaled >> s);
    const Uint128 frac = scaled & ((Uint128{1} << s) - 1);
    const Uint128 half = Uint128{1} << (s - 1);
    if (frac == half) return nullptr;
    digits += frac > half ? 1 : 0;
    if (digits < lo || digits > hi) return nullptr;
  }
  const int decimals = k - j;
  if (decimals < 1) return nullptr;
  // The whole part is floor(v): a carry into it would leave the fraction all zeros, and a
  // shorter answer would have existed. With a whole part, digits has at most 17 digits, so
  // decimals <= 16.
  const uint64_t whole_part = s < 64 ? f >> s : 0;
  if (whole_part == 0) return WriteBelowOne(digits, decimals, out);
  return WriteFixed(whole_part, digits - whole_part * Pow10(decimals), decimals, out);
}

// The exact path for zero and |v| in [2^-21, 2^53), finite; nullptr outside it.
char* WriteFast(double v, char* out) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  const uint64_t fraction = bits & ((uint64_t{1} << 52) - 1);
  if (biased == 0) {  // zero ("-0" keeps its sign, as Go prints it) and subnormals
    if (fraction != 0) return nullptr;
    if (bits >> 63) *out++ = '-';
    *out = '0';
    return out + 1;
  }
  const uint64_t f = fraction | (uint64_t{1} << 52);
  const int s = 1075 - biased;
  if (s <= 0 || s > kMaxShift) return nullptr;
  if (bits >> 63) *out++ = '-';
  if (s <= 52 && (f & ((uint64_t{1} << s) - 1)) == 0) return WriteDigits(f >> s, out);
  if (fraction == 0) return nullptr;  // a power of two: the interval is lopsided
  return WriteShortest(f, s, out);    // nullptr: the caller starts over from its own pointer
}

}  // namespace

char* WriteInteger(int64_t v, char* out) {
  if (v < 0) {
    *out++ = '-';
    return WriteDigits(0 - static_cast<uint64_t>(v), out);
  }
  return WriteDigits(static_cast<uint64_t>(v), out);
}

char* WriteFloat(double v, char* out) {
  if (std::isnan(v)) return static_cast<char*>(std::memcpy(out, "NaN", 3)) + 3;
  if (std::isinf(v)) return static_cast<char*>(std::memcpy(out, v > 0 ? "+Inf" : "-Inf", 4)) + 4;
  if (char* end = WriteFast(v, out)) return end;
  return std::to_chars(out, out + kMaxFloatChars, v, std::chars_format::fixed).ptr;
}

char* WriteSampleValue(double v, char* out) {
  const double magnitude = std::fabs(v);
  if (std::isfinite(v) && magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21)) {
    return std::to_chars(out, out + kMaxFloatChars, v, std::chars_format::scientific).ptr;
  }
  return WriteFloat(v, out);
}

}  // namespace tidemark::query

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

// Writes the eight digits of v < 10^8 (leading zeros included) at out. The halves and quarters
// are independent, so their multiplications overlap instead of forming one chain.
void WriteEightDigits(uint32_t v, char* out) {
  const uint32_t high = v / 10000, low = v % 10000;
  std::memcpy(out, kPairs + 2 * (high / 100), 2);
  std::memcpy(out + 2, kPairs + 2 * (high % 100), 2);
  std::memcpy(out + 4, kPairs + 2 * (low / 100), 2);
  std::memcpy(out + 6, kPairs + 2 * (low % 100), 2);
}

// v in decimal, no leading zeros: the low eight digits as one block, the rest in pairs.
char* WriteDigits(uint64_t v, char* out) {
  const int n = v == 0 ? 1 : DigitCount(v);
  if (n <= 8) {
    WriteLowDigits(v, n, out + n);
  } else {
    WriteEightDigits(static_cast<uint32_t>(v % 100'000'000), out + n - 8);
    WriteLowDigits(v / 100'000'000, n - 8, out + n - 8);
  }
  return out + n;
}

// `whole` + fraction / 10^decimals (fraction < 10^decimals, 1 <= decimals <= 16) in fixed
// notation. The fraction is written as sixteen digits, fraction * 10^(16 - decimals): its own
// digits with leading zeros first, then zeros past the end, which the caller's room allows.
char* WriteFixed(uint64_t whole, uint64_t fraction, int decimals, char* out) {
  out = WriteDigits(whole, out);
  *out = '.';
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

// [lo, hi] and v * 10^k at scale 10^-j: lo rounded up, hi and digits rounded down.
struct Trim {
  uint64_t lo, hi, digits;
  int j;
};

// Moves `t` to scale 10^-(j + kStep) if a multiple of 10^(j + kStep) lies in the original range,
// i.e. ceil(lo / 10^kStep) <= hi / 10^kStep (nested floor and ceiling divisions compose; a
// constant divisor compiles to a multiplication).
template <int kStep>
void Lift(Trim* t) {
  constexpr uint64_t kDiv = kPow10Narrow[kStep];
  const uint64_t lo = (t->lo + kDiv - 1) / kDiv;
  const uint64_t hi = t->hi / kDiv;
  // Selects rather than branches: whether a step applies is as good as random, and a
  // mispredicted branch costs more than the step.
  const bool apply = lo <= hi;
  t->lo = apply ? lo : t->lo;
  t->hi = apply ? hi : t->hi;
  t->digits = apply ? t->digits / kDiv : t->digits;
  t->j = apply ? t->j + kStep : t->j;
}

// The shortest decimal in the rounding interval of f / 2^s (1 <= s <= kMaxShift, f not a power
// of two, so the interval is symmetric), or nullptr for an exact tie between two candidates.
//
// At scale 10^k (k as below) the interval (f -+ 1/2) / 2^s * 10^k is wider than 1 and its ends
// are never integers (10^k has fewer factors 2 than 2^(s+1)), so the integers in it are exactly
// [lo, hi], whatever the parser does with ties. The shortest answer keeps the most trailing
// zeros: the largest j with a multiple of 10^j in [lo, hi]. Among those multiples the one
// nearest to v wins; since the interval is symmetric around v, the nearest is inside it.
char* WriteShortest(uint64_t f, int s, char* out) {
  const int k = FloorLog10Pow2(s) + 1;
  const Uint128 p = kPow10[k];
  const Uint128 scaled = f * p;  // v * 10^k * 2^s
  const uint64_t lo = static_cast<uint64_t>((2 * scaled - p) >> (s + 1)) + 1;
  const uint64_t hi = static_cast<uint64_t>((2 * scaled + p) >> (s + 1));
  const uint64_t whole = static_cast<uint64_t>(scaled >> s);
  const Uint128 frac = scaled & ((Uint128{1} << s) - 1);
  // The largest j with a multiple of 10^j in [lo, hi], lifted 16, 8, 4, 2, 1 at a time (the
  // predicate is monotone in j).
  Trim t{lo, hi, whole, 0};
  Lift<16>(&t);
  Lift<8>(&t);
  Lift<4>(&t);
  Lift<2>(&t);
  Lift<1>(&t);
  const int j = t.j;
  uint64_t digits = t.digits;
  const uint64_t below = whole - digits * Pow10(j);  // with frac: the part rounded away
  bool up = false;
  if (j == 0) {
    const Uint128 half = Uint128{1} << (s - 1);
    if (frac == half) return nullptr;
    up = frac > half;
  } else {
    const uint64_t half = Pow10(j) >> 1;  // 10^j is even
    if (below == half && frac == 0) return nullptr;
    up = below > half || (below == half && frac != 0);
  }
  digits += up ? 1 : 0;
  const int decimals = k - j;
  if (decimals < 1 || digits * Pow10(j) < lo || digits * Pow10(j) > hi) return nullptr;
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

}  // namespace tidemark::query

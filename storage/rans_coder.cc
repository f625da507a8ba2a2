#include "storage/rans_coder.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "storage/bit_stream.h"
#include "storage/varint.h"

namespace tidemark::storage {

namespace {

// The coder state lives in [kLow, kLow << 8) between symbols and is renormalised a byte at a time.
constexpr uint32_t kLow = uint32_t{1} << 23;
constexpr int kMaxPrecision = 12;
constexpr int kSymbols = 256;

struct Table {
  int precision = 0;  // frequencies sum to 1 << precision
  std::array<uint32_t, kSymbols> freq{};
  std::array<uint32_t, kSymbols> cum{};
};

// log2(i) for the frequencies a table can hold, so that sizing every precision stays cheap.
const std::array<float, (1 << kMaxPrecision) + 1>& Log2Table() {
  static const auto table = [] {
    std::array<float, (1 << kMaxPrecision) + 1> t{};
    for (size_t i = 1; i < t.size(); ++i) t[i] = static_cast<float>(std::log2(i));
    return t;
  }();
  return table;
}

int BitWidth(uint32_t v) { return std::bit_width(v); }

// Elias gamma code of v >= 1: (width - 1) zero bits, then v in `width` bits.
void PutGamma(BitWriter* w, uint32_t v) {
  const int width = BitWidth(v);
  w->WriteBits(0, width - 1);
  w->WriteBits(v, width);
}
int GammaBits(uint32_t v) { return 2 * BitWidth(v) - 1; }

// Byte counts of a stream, with the byte values present in ascending order: the table work
// below visits those few values instead of all 256.
struct Histogram {
  size_t n = 0;
  std::array<uint32_t, kSymbols> count{};
  std::array<uint8_t, kSymbols> present;
  int distinct = 0;
};

void Count(std::string_view bytes, Histogram* h) {
  h->n = bytes.size();
  for (char c : bytes) ++h->count[static_cast<uint8_t>(c)];
  for (int s = 0; s < kSymbols; ++s) {
    if (h->count[s] > 0) h->present[h->distinct++] = static_cast<uint8_t>(s);
  }
}

// Scales the counts to frequencies summing to 1 << precision, every present byte at least 1.
// The rounding error goes to the most frequent byte while it can absorb it, else it is taken one
// unit at a time from every byte that can spare one.
void Normalize(const Histogram& h, int precision, Table* t) {
  const uint64_t total = uint64_t{1} << precision;
  uint64_t sum = 0;
  int top = h.present[0];
  for (int i = 0; i < h.distinct; ++i) {
    const int s = h.present[i];
    const uint64_t f = (uint64_t{h.count[s]} * total + h.n / 2) / h.n;
    t->freq[s] = static_cast<uint32_t>(f == 0 ? 1 : f);
    sum += t->freq[s];
    if (h.count[s] > h.count[top]) top = s;
  }
  if (sum < total) {
    t->freq[top] += static_cast<uint32_t>(total - sum);
  } else if (sum > total && sum - total < t->freq[top] / 2) {
    t->freq[top] -= static_cast<uint32_t>(sum - total);
  } else {
    while (sum > total) {
      for (int i = 0; i < h.distinct && sum > total; ++i) {
        if (t->freq[h.present[i]] > 1) {
          --t->freq[h.present[i]];
          --sum;
        }
      }
    }
  }
  t->precision = precision;
  uint32_t cum = 0;
  for (int i = 0; i < h.distinct; ++i) {
    t->cum[h.present[i]] = cum;
    cum += t->freq[h.present[i]];
  }
}

// Bits of the table (first) and of the coded bytes without the coder states (second) under `t`.
std::pair<double, double> CodedBits(const Histogram& h, const Table& t) {
  const auto& log2 = Log2Table();
  double table = 0, coded = 0;
  int prev = -1;
  for (int i = 0; i < h.distinct; ++i) {
    const int s = h.present[i];
    coded += h.count[s] * (t.precision - log2[t.freq[s]]);
    table += GammaBits(static_cast<uint32_t>(s - prev)) + GammaBits(t.freq[s]);
    prev = s;
  }
  return {table, coded};
}

// The table that makes the stream smallest (coarser tables cost fewer bits and code slightly
// worse), and its size in bytes with the coded bytes and states. Needs distinct >= 2.
size_t ChooseTable(const Histogram& h, Table* best) {
  double best_bits = 0;
  size_t best_bytes = 0;
  Table candidate;
  for (int precision = BitWidth(static_cast<uint32_t>(h.distinct - 1)); precision <= kMaxPrecision;
       ++precision) {
    Normalize(h, precision, &candidate);
    const auto [table, coded] = CodedBits(h, candidate);
    if (best->precision == 0 || table + coded < best_bits) {
      *best = candidate;
      best_bits = table + coded;
      best_bytes = 1 + static_cast<size_t>(std::ceil(table / 8)) +
                   static_cast<size_t>(std::ceil(coded / 8)) + 8;
    }
  }
  return best_bytes;
}

void WriteTable(const Histogram& h, const Table& t, std::string* out) {
  out->push_back(static_cast<char>(t.precision));
  BitWriter w;
  int prev = -1;
  for (int i = 0; i < h.distinct; ++i) {
    const int s = h.present[i];
    PutGamma(&w, static_cast<uint32_t>(s - prev));
    if (i + 1 < h.distinct) PutGamma(&w, t.freq[s]);  // the last one is implied
    prev = s;
  }
  w.AppendTo(out);
}

// Two coder states take the bytes in turn (even indexes the first), so that a decoder runs two
// independent dependency chains: about twice the speed of one state, for four more bytes.
void EncodeBytes(std::string_view bytes, const Table& t, std::string* out) {
  // Coded backwards so that the decoder reads forwards; a step emits at most two bytes.
  thread_local std::vector<uint8_t> buf;
  buf.resize(2 * bytes.size() + 8);
  uint8_t* const end = buf.data() + buf.size();
  uint8_t* p = end;
  uint32_t state[2] = {kLow, kLow};
  const int shift = t.precision;
  for (size_t i = bytes.size(); i-- > 0;) {
    uint32_t& x = state[i & 1];
    const uint8_t s = static_cast<uint8_t>(bytes[i]);
    const uint32_t f = t.freq[s];
    const uint32_t x_max = ((kLow >> shift) << 8) * f;
    while (x >= x_max) {
      *--p = static_cast<uint8_t>(x);
      x >>= 8;
    }
    x = ((x / f) << shift) + (x % f) + t.cum[s];
  }
  for (int k = 1; k >= 0; --k) {
    for (int i = 0; i < 4; ++i) *--p = static_cast<uint8_t>(state[k] >> (24 - 8 * i));
  }
  out->append(reinterpret_cast<const char*>(p), static_cast<size_t>(end - p));
}

// Reads a gamma code of at most 16 bits of width from `r`, counting the bits consumed.
bool GetGamma(BitReader* r, size_t* bits, uint32_t* v) {
  int zeros = 0;
  while (!r->ReadBit()) {
    if (r->error() || ++zeros > 16) return false;
  }
  *v = static_cast<uint32_t>((uint64_t{1} << zeros) | r->ReadBits(zeros));
  *bits += static_cast<size_t>(2 * zeros + 1);
  return !r->error();
}

bool ReadTable(std::string_view* in, int distinct, Table* t, std::array<uint8_t, kSymbols>* syms) {
  if (in->empty()) return false;
  t->precision = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (t->precision < 1 || t->precision > kMaxPrecision || (1 << t->precision) < distinct) {
    return false;
  }
  const uint32_t total = uint32_t{1} << t->precision;
  BitReader r(*in);
  size_t bits = 0;
  uint32_t sum = 0;
  int prev = -1;
  for (int i = 0; i < distinct; ++i) {
    uint32_t gap, f = 0;
    if (!GetGamma(&r, &bits, &gap)) return false;
    const int s = prev + static_cast<int>(gap);
    if (s >= kSymbols) return false;
    if (i + 1 < distinct) {
      if (!GetGamma(&r, &bits, &f) || f >= total - sum) return false;
    } else {
      f = total - sum;
    }
    (*syms)[i] = static_cast<uint8_t>(s);
    t->freq[s] = f;
    t->cum[s] = sum;
    sum += f;
    prev = s;
  }
  in->remove_prefix((bits + 7) / 8);
  return true;
}

}  // namespace

void RansEncode(std::string_view bytes, std::string* out) {
  PutVarint(out, bytes.size());
  if (bytes.empty()) return;
  Histogram h;
  Count(bytes, &h);
  out->push_back(static_cast<char>(h.distinct - 1));
  if (h.distinct == 1) {  // a run of one byte value: nothing to code
    out->push_back(bytes[0]);
    return;
  }
  Table t;
  ChooseTable(h, &t);
  WriteTable(h, t, out);
  EncodeBytes(bytes, t, out);
}

size_t RansEncodedSizeEstimate(std::string_view bytes) {
  std::string length;
  PutVarint(&length, bytes.size());
  if (bytes.empty()) return length.size();
  Histogram h;
  Count(bytes, &h);
  if (h.distinct == 1) return length.size() + 2;
  Table t;
  return length.size() + 1 + ChooseTable(h, &t);
}

bool RansDecode(std::string_view* in, std::string* out, size_t max_bytes) {
  uint64_t n;
  if (!GetVarint(in, &n) || n > max_bytes) return false;
  if (n == 0) return true;
  if (in->size() < 2) return false;
  const int distinct = static_cast<uint8_t>((*in)[0]) + 1;
  in->remove_prefix(1);
  if (distinct == 1) {
    out->append(n, (*in)[0]);
    in->remove_prefix(1);
    return true;
  }
  Table t;
  std::array<uint8_t, kSymbols> syms;
  if (!ReadTable(in, distinct, &t, &syms)) return false;
  thread_local std::array<uint8_t, 1 << kMaxPrecision> slot_symbol;
  for (int i = 0; i < distinct; ++i) {
    std::memset(slot_symbol.data() + t.cum[syms[i]], syms[i], t.freq[syms[i]]);
  }
  if (in->size() < 8) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(in->data());
  const auto* const end = p + in->size();
  uint32_t x[2];
  for (uint32_t& state : x) {
    state = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
    p += 4;
  }
  const size_t base = out->size();
  out->resize(base + n);
  char* dst = out->data() + base;
  const int shift = t.precision;
  const uint32_t mask = (uint32_t{1} << shift) - 1;
  auto step = [&](uint32_t& state, uint64_t i) {
    const uint32_t slot = state & mask;
    const uint8_t s = slot_symbol[slot];
    state = t.freq[s] * (state >> shift) + slot - t.cum[s];
    while (state < kLow) {
      if (p == end) return false;
      state = (state << 8) | *p++;
    }
    dst[i] = static_cast<char>(s);
    return true;
  };
  uint64_t i = 0;
  for (; i + 1 < n; i += 2) {
    if (!step(x[0], i) || !step(x[1], i + 1)) return false;
  }
  if (i < n && !step(x[0], i)) return false;
  // The encoder started from kLow: any other end state means the bytes were not its output.
  if (x[0] != kLow || x[1] != kLow) return false;
  in->remove_prefix(static_cast<size_t>(p - reinterpret_cast<const uint8_t*>(in->data())));
  return true;
}

}  // namespace tidemark::storage

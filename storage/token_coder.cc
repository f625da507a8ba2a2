#include "storage/token_coder.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include "storage/bit_stream.h"

namespace tidemark::storage {

namespace {

constexpr int kDirect = 16;                   // values below are their own token
constexpr int kTokens = kDirect + 2 * 60;     // bit widths 5 to 64, two tokens each
constexpr int kPrecision = 10;                // token frequencies sum to 1 << kPrecision
constexpr uint32_t kLow = uint32_t{1} << 16;  // the coder state stays in [kLow, kLow << 8)
constexpr int kStateBytes = 3;
// The weight of a token's 4-bit code: half-octave steps, 0 for absent tokens.
constexpr uint32_t kWeight[16] = {0, 4, 6, 8, 11, 16, 23, 32, 45, 64, 91, 128, 181, 256, 362, 512};

int TokenOf(uint64_t v) {
  if (v < kDirect) return static_cast<int>(v);
  const int width = std::bit_width(v);
  return kDirect + 2 * (width - 5) + static_cast<int>((v >> (width - 2)) & 1);
}
// Raw bits that follow a token: all bits below the leading one and the one after it.
int ExtraBits(int token) { return token < kDirect ? 0 : (token - kDirect) / 2 + 3; }
// The value of a token with raw bits `extra`.
uint64_t ValueOf(int token, uint64_t extra) {
  if (token < kDirect) return static_cast<uint64_t>(token);
  const uint64_t top = 2 | static_cast<uint64_t>((token - kDirect) & 1);
  return top << ExtraBits(token) | extra;
}

struct Model {
  std::array<uint32_t, kTokens> freq{};
  std::array<uint32_t, kTokens> cum{};
};

// Frequencies proportional to the weights of the codes, every present token at least 1: the
// rounding deficit goes to the heaviest token, an excess is taken one unit at a time from every
// token that can spare one. False when no token is present.
bool BuildModel(const uint8_t* codes, int tokens, Model* m) {
  uint64_t total = 0;
  int top = 0;
  for (int t = 0; t < tokens; ++t) {
    total += kWeight[codes[t]];
    if (kWeight[codes[t]] > kWeight[codes[top]]) top = t;
  }
  if (total == 0) return false;
  constexpr uint32_t kTotal = uint32_t{1} << kPrecision;
  uint32_t sum = 0;
  // One division: f = w * 2^kPrecision / total, rounded down, via a 2^40 / total reciprocal.
  const uint64_t reciprocal = (uint64_t{1} << 40) / total;
  for (int t = 0; t < tokens; ++t) {
    const uint64_t f = (kWeight[codes[t]] * reciprocal) >> (40 - kPrecision);
    m->freq[t] = codes[t] == 0 ? 0 : static_cast<uint32_t>(std::max<uint64_t>(f, 1));
    sum += m->freq[t];
  }
  if (sum < kTotal) m->freq[top] += kTotal - sum;
  while (sum > kTotal) {  // at most kTokens present, so this ends
    for (int t = 0; t < tokens && sum > kTotal; ++t) {
      if (m->freq[t] > 1) --m->freq[t], --sum;
    }
  }
  uint32_t cum = 0;
  for (int t = 0; t < tokens; ++t) {
    m->cum[t] = cum;
    cum += m->freq[t];
  }
  return true;
}

// The code of each token: 15 for the most frequent, one less per half octave below it.
std::vector<uint8_t> CodesOf(const std::array<uint32_t, kTokens>& count, int tokens) {
  const uint32_t most = *std::max_element(count.begin(), count.begin() + tokens);
  std::vector<uint8_t> codes(tokens);
  for (int t = 0; t < tokens; ++t) {
    if (count[t] == 0) continue;
    const double steps = std::round(2 * std::log2(static_cast<double>(count[t]) / most));
    codes[t] = static_cast<uint8_t>(std::clamp(15 + static_cast<int>(steps), 1, 15));
  }
  return codes;
}

// rANS over the tokens, coded backwards so that the decoder reads forwards: the final state in
// kStateBytes little-endian bytes, then the renormalisation bytes.
void EncodeTokens(const std::vector<uint8_t>& tokens, const Model& m, std::string* out) {
  std::vector<uint8_t> buf;
  uint32_t x = kLow;
  for (size_t i = tokens.size(); i-- > 0;) {
    const uint32_t f = m.freq[tokens[i]];
    const uint32_t x_max = ((kLow >> kPrecision) << 8) * f;
    while (x >= x_max) {
      buf.push_back(static_cast<uint8_t>(x));
      x >>= 8;
    }
    x = ((x / f) << kPrecision) + (x % f) + m.cum[tokens[i]];
  }
  for (int i = 0; i < kStateBytes; ++i) out->push_back(static_cast<char>(x >> (8 * i)));
  for (size_t i = buf.size(); i-- > 0;) out->push_back(static_cast<char>(buf[i]));
}

}  // namespace

namespace {

// What encoding a column takes: its tokens, their codes and the model built from those.
struct Plan {
  std::vector<uint8_t> tokens;
  std::vector<uint8_t> codes;
  std::array<uint32_t, kTokens> count{};
  int max_token = 0;
  Model model;
};

void MakePlan(const std::vector<uint64_t>& v, Plan* plan) {
  for (uint64_t x : v) {
    plan->tokens.push_back(static_cast<uint8_t>(TokenOf(x)));
    ++plan->count[plan->tokens.back()];
    plan->max_token = std::max<int>(plan->max_token, plan->tokens.back());
  }
  plan->codes = CodesOf(plan->count, plan->max_token + 1);
  BuildModel(plan->codes.data(), plan->max_token + 1, &plan->model);  // some token is present
}

}  // namespace

uint64_t EstimateTokenColumn(const std::vector<uint64_t>& v) {
  Plan plan;
  MakePlan(v, &plan);
  double bits = 0;
  for (int t = 0; t <= plan.max_token; ++t) {
    if (plan.count[t] == 0) continue;
    const double coded = kPrecision - std::log2(static_cast<double>(plan.model.freq[t]));
    bits += plan.count[t] * (coded + ExtraBits(t));
  }
  const uint64_t table = 1 + static_cast<uint64_t>(plan.max_token + 2) / 2;
  return table + kStateBytes + static_cast<uint64_t>(std::ceil(bits / 8));
}

void PutTokenColumn(const std::vector<uint64_t>& v, std::string* out) {
  Plan plan;
  MakePlan(v, &plan);
  out->push_back(static_cast<char>(plan.max_token));
  for (int t = 0; t <= plan.max_token; t += 2) {
    const int high = t + 1 <= plan.max_token ? plan.codes[t + 1] : 0;
    out->push_back(static_cast<char>(plan.codes[t] | high << 4));
  }
  EncodeTokens(plan.tokens, plan.model, out);
  BitWriter extra;
  for (size_t i = 0; i < v.size(); ++i) extra.WriteBits(v[i], ExtraBits(plan.tokens[i]));
  extra.AppendTo(out);
}

bool GetTokenColumn(std::string_view* in, size_t n, uint64_t* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(in->data());
  const auto* const end = p + in->size();
  if (p == end || *p >= kTokens) return false;
  const int tokens = *p++ + 1;
  uint8_t codes[kTokens + 1];
  if (end - p < (tokens + 1) / 2 + kStateBytes) return false;
  for (int t = 0; t < tokens; t += 2, ++p) {
    codes[t] = *p & 0xf;
    codes[t + 1] = *p >> 4;
  }
  Model m;
  if (!BuildModel(codes, tokens, &m)) return false;
  // Per slot its token, the token's frequency - 1 and the slot's offset in the token's range,
  // in one word: a decoding step then waits for one load instead of two.
  thread_local std::array<uint32_t, 1 << kPrecision> slots;
  for (int t = 0; t < tokens; ++t) {
    for (uint32_t k = 0; k < m.freq[t]; ++k) {
      slots[m.cum[t] + k] = (m.freq[t] - 1) << 20 | k << 8 | static_cast<uint32_t>(t);
    }
  }
  uint32_t x = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16;
  p += kStateBytes;
  constexpr uint32_t kMask = (uint32_t{1} << kPrecision) - 1;
  size_t extra_bits = 0;
  if (x < kLow) return false;  // the encoder's final state never is
  // Between tokens kLow <= x < kLow << 8, and a step leaves x >= kLow >> kPrecision (freq >= 1),
  // so at most two bytes renormalise it: read without branches, as the number is unpredictable.
  // Past the end the reads give zeros and the column is rejected below.
  const size_t avail = static_cast<size_t>(end - p);
  size_t pos = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t e = slots[x & kMask];
    const uint8_t t = static_cast<uint8_t>(e);
    x = ((e >> 20) + 1) * (x >> kPrecision) + (e >> 8 & 0xfff);
    for (int k = 0; k < 2; ++k) {
      const bool more = x < kLow;
      const uint32_t byte = pos < avail ? p[pos] : 0;
      x = more ? x << 8 | byte : x;
      pos += more;
    }
    out[i] = t;
    extra_bits += static_cast<size_t>(ExtraBits(t));
  }
  if (pos > avail) return false;
  p += pos;
  // The encoder started from kLow: any other end state means the bytes were not its output.
  const size_t raw_bytes = (extra_bits + 7) / 8;
  if (x != kLow || static_cast<size_t>(end - p) < raw_bytes) return false;
  if (extra_bits > 0) {  // else every value is its token
    BitReader r(std::string_view(reinterpret_cast<const char*>(p), raw_bytes));
    for (size_t i = 0; i < n; ++i) {
      const int t = static_cast<int>(out[i]);
      if (t >= kDirect) out[i] = ValueOf(t, r.ReadBits(ExtraBits(t)));
    }
    if (r.error()) return false;
  }
  in->remove_prefix(static_cast<size_t>(p - reinterpret_cast<const uint8_t*>(in->data())) +
                    raw_bytes);
  return true;
}

}  // namespace tidemark::storage

#include "storage/rollup_columns.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "storage/token_coder.h"
#include "storage/varint.h"

namespace tidemark::storage {

namespace {

constexpr uint64_t kTokenMargin = 4;

// Up to eight little-endian bytes from `p`, zeros past `end`.
uint64_t Load64(const uint8_t* p, const uint8_t* end) {
  uint64_t v = 0;
  if (end - p >= 8) {
    std::memcpy(&v, p, 8);  // little-endian hosts only, like the rest of the storage code
    return v;
  }
  for (int i = 0; p + i < end; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// The width that makes the packed form smallest: every value costs `width` bits, and those
// that need more add an exception (index gap and the high bits, as varints) and, for the first,
// the exception count. Sets `*bytes` to the size without the tag.
int BestWidth(const std::vector<uint64_t>& v, uint64_t* bytes) {
  size_t with_bits[65] = {};
  int widest = 0;
  for (uint64_t x : v) {
    const int b = std::bit_width(x);
    ++with_bits[b];
    widest = std::max(widest, b);
  }
  int best = widest;
  uint64_t best_cost = UINT64_MAX;
  size_t wider = 0;  // values with more than w bits
  for (int w = widest; w >= 0; --w) {
    uint64_t cost = (v.size() * w + 7) / 8 + (wider > 0 ? 1 : 0);
    for (int b = w + 1; b <= widest; ++b) cost += with_bits[b] * (2 + (b - w + 6) / 7);
    if (cost <= best_cost) best_cost = cost, best = w;
    wider += with_bits[w];
  }
  *bytes = best_cost;
  return best;
}

// Unsigned integers in `width` bits each: the low bits of every value packed LSB first into
// ceil(n * width / 8) bytes, then (when some value needs more bits, so that one outlier does
// not widen the whole column) a varint count, then per exception the varint index gap and the
// varint of the bits above `width`. Returns whether there were exceptions.
bool PutPacked(std::string* out, const std::vector<uint64_t>& v, int width) {
  const uint64_t mask = width == 64 ? ~0ULL : (1ULL << width) - 1;
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
  if (num_exceptions == 0) return false;
  PutVarint(out, num_exceptions);
  out->append(exceptions);
  return true;
}

}  // namespace

int64_t ColumnReader::Signed() { return ZigZagDecode(Varint()); }

uint64_t ColumnReader::SlowVarint() {
  std::string_view rest(reinterpret_cast<const char*>(p_), static_cast<size_t>(end_ - p_));
  uint64_t v;
  if (!GetVarint(&rest, &v)) return Fail();
  p_ = reinterpret_cast<const uint8_t*>(rest.data());
  return v;
}

uint64_t ColumnReader::Bytes(int n) {
  if (end_ - p_ < n) return Fail();
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
  p_ += n;
  return v;
}

bool ColumnReader::SignedInts(size_t n, int64_t* out) {
  const uint8_t tag = Byte();
  int64_t base = 0;
  // Signed and unsigned variants of one type may alias: decode in place.
  uint64_t* u = reinterpret_cast<uint64_t*>(out);
  if (version_ == 1) {
    if (!ok_ || !Packed(tag, true, n, u)) return false;
  } else if (tag == kTokenInts || tag == kTokenIntsWithBase) {
    if (tag == kTokenIntsWithBase) base = Signed();
    if (!ok_ || !Tokens(n, u)) return false;
  } else {
    const bool exceptions = (tag & kPackedWithExceptions) != 0;
    if (!ok_ || !Packed(tag & ~kPackedWithExceptions, exceptions, n, u)) return false;
  }
  for (size_t i = 0; i < n; ++i) out[i] = WrapAdd(base, ZigZagDecode(u[i]));
  return true;
}

bool ColumnReader::Packed(int width, bool exceptions, size_t n, uint64_t* out) {
  if (width > 64) return Fail() != 0;
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
  if (!exceptions) return true;
  const uint64_t count = Varint();
  if (count > n || (count > 0 && width == 64)) return Fail() != 0;
  uint64_t idx = 0;
  for (uint64_t k = 0; k < count && ok_; ++k) {
    idx += Varint();
    if (idx >= n) return Fail() != 0;
    out[idx] |= Varint() << width;
  }
  return ok_;
}

bool ColumnReader::Tokens(size_t n, uint64_t* out) {
  std::string_view in(reinterpret_cast<const char*>(p_), static_cast<size_t>(end_ - p_));
  if (n > 0 && !GetTokenColumn(&in, n, out)) return Fail() != 0;
  p_ = end_ - in.size();
  return true;
}

namespace {

// The token form of `v` (with the tag) when that is smaller than `limit` bytes, else empty.
std::string TokenForm(const std::vector<int64_t>& v, uint64_t limit) {
  std::vector<int64_t> sorted = v;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const int64_t base = sorted[sorted.size() / 2];
  std::string out(1, static_cast<char>(base != 0 ? kTokenIntsWithBase : kTokenInts));
  if (base != 0) PutSignedVarint(&out, base);
  std::vector<uint64_t> zigzag;
  for (int64_t x : v) zigzag.push_back(ZigZagEncode(WrapSub(x, base)));
  // Most columns tried lose to their packed form: skip encoding those that surely do.
  if (out.size() + EstimateTokenColumn(zigzag) > limit + 2) return std::string();
  PutTokenColumn(zigzag, &out);
  if (out.size() >= limit) out.clear();
  return out;
}

}  // namespace

void PutSignedColumn(std::string* out, const std::vector<int64_t>& v) {
  std::vector<uint64_t> zigzag;
  for (int64_t x : v) zigzag.push_back(ZigZagEncode(x));
  uint64_t packed_bytes;
  const int width = BestWidth(zigzag, &packed_bytes);
  // Tokens only where they save at least kTokenMargin bytes: a token column decodes several
  // times slower than a packed one, which is not worth a byte or two.
  const std::string tokens = packed_bytes + 1 > kTokenMargin + 5  // tag, table, coder state
                                 ? TokenForm(v, packed_bytes + 1 - kTokenMargin)
                                 : std::string();
  if (!tokens.empty()) {
    out->append(tokens);
    return;
  }
  const size_t tag_at = out->size();
  out->push_back(static_cast<char>(width));
  if (PutPacked(out, zigzag, width))
    (*out)[tag_at] = static_cast<char>(kPackedWithExceptions | width);
}

void PutDeltaColumn(std::string* out, const std::vector<int64_t>& v) {
  if (v.empty()) return;
  PutSignedVarint(out, v[0]);
  std::vector<int64_t> deltas;
  for (size_t i = 1; i < v.size(); ++i) deltas.push_back(WrapSub(v[i], v[i - 1]));
  PutSignedColumn(out, deltas);
}

bool GetDeltaColumn(ColumnReader* r, size_t n, int64_t* out) {
  if (n == 0) return true;
  out[0] = r->Signed();
  if (!r->SignedInts(n - 1, out + 1)) return false;
  for (size_t i = 1; i < n; ++i) out[i] = WrapAdd(out[i - 1], out[i]);
  return r->ok();
}

}  // namespace tidemark::storage

// Integer columns of rollup blocks: the reader over a block and the writers of its unsigned
// integer columns (bit-packed with exceptions, or rANS-coded varints, whichever is smaller) and
// of delta columns. Format: storage/docs/rollups.md ("Blocks").
//
// Pure functions and a reader over caller-owned bytes; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::storage {

// Sequential reader over a block; every Get fails (and stays failed) past the end.
class ColumnReader {
 public:
  explicit ColumnReader(std::string_view in)
      : p_(reinterpret_cast<const uint8_t*>(in.data())), end_(p_ + in.size()) {}
  bool ok() const { return ok_; }
  bool done() const { return p_ == end_; }
  uint8_t Byte() {
    if (p_ == end_) return Fail();
    return *p_++;
  }
  uint64_t Varint() {
    if (p_ != end_ && *p_ < 0x80) return *p_++;  // the common one-byte case
    return SlowVarint();
  }
  int64_t Signed();
  // `n` (<= 8) little-endian bytes.
  uint64_t Bytes(int n);
  // A signed column of `n` values as PutSignedColumn wrote it.
  bool SignedInts(size_t n, int64_t* out);

 private:
  uint64_t SlowVarint();
  bool Ints(uint8_t tag, size_t n, uint64_t* out);
  bool Packed(int width, size_t n, uint64_t* out);
  bool Coded(size_t n, uint64_t* out);
  bool Tokens(size_t n, uint64_t* out);
  uint8_t Fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

// Appends the signed column of `v`: a tag byte, then the smallest of
//  - tag 0 - 64: the zigzag values packed in `tag` bits with exceptions (the only form of
//    version 1 blocks);
//  - tag kCodedInts: their varints as one rANS stream (storage/rans_coder.h);
//  - tag kTokenInts: their token column (storage/token_coder.h);
// where the coded forms with kHasBase in the tag first hold a zigzag varint base that every
// value is taken relative to (the column's median: a counter's deltas are far from zero, but
// close to each other).
inline constexpr uint8_t kCodedInts = 0x80;
inline constexpr uint8_t kTokenInts = 0x81;
inline constexpr uint8_t kHasBase = 0x40;
void PutSignedColumn(std::string* out, const std::vector<int64_t>& v);

// The first value as a zigzag varint, then the differences to the predecessor as a signed
// column.
void PutDeltaColumn(std::string* out, const std::vector<int64_t>& v);
// Reads what PutDeltaColumn wrote.
bool GetDeltaColumn(ColumnReader* r, size_t n, int64_t* out);

}  // namespace tidemark::storage

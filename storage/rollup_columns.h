// Integer columns of rollup blocks: the reader over a block and the writers of its signed
// integer columns (bit-packed with exceptions, or token-coded, whichever is smaller) and of delta
// columns. Format: storage/docs/rollups.md ("Blocks").
//
// Pure functions and a reader over caller-owned bytes; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::storage {

// Sequential reader over a block of format `version` (1 or 2); every Get fails (and stays
// failed) past the end.
class ColumnReader {
 public:
  ColumnReader(std::string_view in, uint8_t version)
      : p_(reinterpret_cast<const uint8_t*>(in.data())), end_(p_ + in.size()), version_(version) {}
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
  // A signed column of `n` values as PutSignedColumn (or version 1's packed column) wrote it.
  bool SignedInts(size_t n, int64_t* out);

 private:
  uint64_t SlowVarint();
  bool Packed(int width, bool exceptions, size_t n, uint64_t* out);
  bool Tokens(size_t n, uint64_t* out);
  uint8_t Fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t version_;
  bool ok_ = true;
};

// Tags of a version 2 signed column (version 1 has only packed columns with exceptions, tagged
// with their width). See PutSignedColumn.
inline constexpr uint8_t kPackedWithExceptions = 0x80;  // | width
inline constexpr uint8_t kTokenInts = 0xC1;
inline constexpr uint8_t kTokenIntsWithBase = 0xC2;

// Appends the signed column of `v` in the smaller of two forms:
//  - packed: the zigzag values in w bits each (tag w, 0 - 64), and where some need more bits
//    (tag kPackedWithExceptions | w) a list of exceptions after them;
//  - tokens (tag kTokenInts): the zigzag values as a token column (storage/token_coder.h), or
//    (tag kTokenIntsWithBase) a zigzag varint base, then the token column of the zigzag
//    differences to it. The base is the column's median: a counter's deltas are far from zero
//    but close to each other.
void PutSignedColumn(std::string* out, const std::vector<int64_t>& v);

// The first value as a zigzag varint, then the differences to the predecessor as a signed
// column.
void PutDeltaColumn(std::string* out, const std::vector<int64_t>& v);
// Reads what PutDeltaColumn wrote.
bool GetDeltaColumn(ColumnReader* r, size_t n, int64_t* out);

}  // namespace tidemark::storage

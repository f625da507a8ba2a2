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
  // An integer column of `n` values as PutIntColumn wrote it.
  bool Ints(size_t n, uint64_t* out);

 private:
  uint64_t SlowVarint();
  bool Packed(int width, size_t n, uint64_t* out);
  bool Coded(size_t n, uint64_t* out);
  uint8_t Fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

// Appends the integer column of `v`: a tag byte, then either (tag 0 - 64) the values packed in
// `tag` bits with exceptions, or (tag kCodedIntColumn) their varints as one rANS stream. With
// `allow_coded` false only the packed form is written (version 1 blocks).
inline constexpr uint8_t kCodedIntColumn = 0x80;
void PutIntColumn(std::string* out, const std::vector<uint64_t>& v, bool allow_coded);

// The first value as a zigzag varint, then the zigzag differences to the predecessor as an
// integer column.
void PutDeltaColumn(std::string* out, const std::vector<int64_t>& v, bool allow_coded);
// Reads what PutDeltaColumn wrote; `scratch` holds n values.
bool GetDeltaColumn(ColumnReader* r, size_t n, uint64_t* scratch, int64_t* out);

}  // namespace tidemark::storage

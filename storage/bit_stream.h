// BitWriter / BitReader: MSB-first bit packing over a byte string, used by the Gorilla-style
// XOR chunk. Not thread-safe; a reader works on its own view of the bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidemark::storage {

class BitWriter {
 public:
  // Appends the low `n` bits of `v` (0 <= n <= 64), most significant first.
  void WriteBits(uint64_t v, int n) {
    while (n > 0) {
      if (free_ == 0) {
        buf_.push_back(0);
        free_ = 8;
      }
      int take = n < free_ ? n : free_;
      uint64_t bits = (v >> (n - take)) & ((1ULL << take) - 1);
      buf_.back() = static_cast<char>(static_cast<uint8_t>(buf_.back()) | (bits << (free_ - take)));
      free_ -= take;
      n -= take;
    }
  }
  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }

  const std::string& bytes() const { return buf_; }
  std::string* mutable_bytes() { return &buf_; }
  // Unused bits in the last byte.
  int free_bits() const { return free_; }
  void Restore(std::string bytes, int free_bits) {
    buf_ = std::move(bytes);
    free_ = free_bits;
  }

 private:
  std::string buf_;
  int free_ = 0;
};

class BitReader {
 public:
  explicit BitReader(std::string_view data) : data_(data) {}

  // Reads `n` bits (0 <= n <= 64). Sets the error flag and returns 0 when the data runs out.
  uint64_t ReadBits(int n) {
    uint64_t v = 0;
    while (n > 0) {
      size_t byte = pos_ >> 3;
      if (byte >= data_.size()) {
        error_ = true;
        return 0;
      }
      int offset = static_cast<int>(pos_ & 7);
      int avail = 8 - offset;
      int take = n < avail ? n : avail;
      uint64_t bits = (static_cast<uint8_t>(data_[byte]) >> (avail - take)) & ((1U << take) - 1);
      v = (take == 64 ? 0 : v << take) | bits;
      pos_ += take;
      n -= take;
    }
    return v;
  }
  bool ReadBit() { return ReadBits(1) != 0; }
  bool error() const { return error_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  bool error_ = false;
};

}  // namespace tidemark::storage

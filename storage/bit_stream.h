// BitWriter / BitReader: MSB-first bit packing over a byte string, used by the Gorilla-style
// XOR chunk. Not thread-safe; a reader works on its own view of the bytes.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tidemark::storage {

class BitWriter {
 public:
  // Appends the low `n` bits of `v` (0 <= n <= 64), most significant first. Bits collect in a
  // 64-bit register and reach the byte string eight bytes at a time.
  void WriteBits(uint64_t v, int n) {
    if (n <= 0) return;
    if (n < 64) v &= (1ULL << n) - 1;
    int free = 64 - acc_bits_;
    if (n < free) {
      acc_ |= v << (free - n);
      acc_bits_ += n;
      return;
    }
    int rest = n - free;  // bits that do not fit in the register
    acc_ |= rest >= 64 ? 0 : v >> rest;
    Flush();
    if (rest > 0) {
      acc_ = v << (64 - rest);
      acc_bits_ = rest;
    }
  }
  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }

  // Every bit written so far, the last byte zero-padded.
  std::string bytes() const {
    std::string out = buf_;
    AppendPending(&out);
    return out;
  }
  void AppendTo(std::string* out) const {
    out->append(buf_);
    AppendPending(out);
  }
  size_t size_bytes() const { return buf_.size() + (acc_bits_ + 7) / 8; }
  size_t capacity() const { return buf_.capacity(); }
  void ShrinkToFit() { buf_.shrink_to_fit(); }

 private:
  void Flush() {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(acc_ >> (56 - 8 * i));
    buf_.append(b, 8);
    acc_ = 0;
    acc_bits_ = 0;
  }
  void AppendPending(std::string* out) const {
    for (int i = 0; i < (acc_bits_ + 7) / 8; ++i) {
      out->push_back(static_cast<char>(acc_ >> (56 - 8 * i)));
    }
  }

  std::string buf_;
  uint64_t acc_ = 0;
  int acc_bits_ = 0;
};

class BitReader {
 public:
  explicit BitReader(std::string_view data) : data_(data) {}

  // Reads `n` bits (0 <= n <= 64). Sets the error flag and returns 0 when the data runs out.
  uint64_t ReadBits(int n) {
    // Fast path: the bits lie within one 8-byte load (n <= 56 whatever the bit offset).
    const size_t first = pos_ >> 3;
    if (n > 0 && n <= 56 && first + 8 <= data_.size()) {
      uint64_t word;
      std::memcpy(&word, data_.data() + first, 8);
      if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
      const uint64_t v = (word << (pos_ & 7)) >> (64 - n);
      pos_ += static_cast<size_t>(n);
      return v;
    }
    return ReadBitsSlow(n);
  }
  bool ReadBit() { return ReadBits(1) != 0; }
  bool error() const { return error_; }

 private:
  // Byte by byte: reads near the end of the data and reads of more than 56 bits.
  uint64_t ReadBitsSlow(int n) {
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

  std::string_view data_;
  size_t pos_ = 0;
  bool error_ = false;
};

}  // namespace tidemark::storage

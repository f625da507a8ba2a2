// XorChunk: the head's open chunk and the compression baseline — Facebook Gorilla encoding
// (timestamps as delta-of-delta in variable bit buckets, values XORed with the previous value).
// Format: storage/docs/chunks.md ("XOR chunk").
//
// Not thread-safe: the head guards each chunk with its series' stripe lock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"
#include "storage/bit_stream.h"
#include "storage/write_batch.h"

namespace tidemark::storage {

class XorChunk {
 public:
  // Appends a sample. Timestamps must be strictly increasing (the caller guarantees it).
  void Append(int64_t t, double v);

  int num_samples() const { return num_; }
  int64_t min_time() const { return min_t_; }
  int64_t max_time() const { return last_t_; }
  // The encoded bit stream (a copy, zero-padded to a byte).
  std::string bytes() const { return w_.bytes(); }
  size_t size_bytes() const { return w_.size_bytes(); }
  // Heap bytes held by this chunk beyond sizeof(XorChunk).
  size_t HeapBytes() const { return w_.capacity(); }
  // Releases spare capacity once no more samples will be appended.
  void Seal() { w_.ShrinkToFit(); }

  // Decodes `num_samples` samples from `data` and appends them to `out`.
  static base::Status Decode(std::string_view data, int num_samples, std::vector<Sample>* out);
  base::Status DecodeAll(std::vector<Sample>* out) const { return Decode(bytes(), num_, out); }

 private:
  void WriteTimeDelta(int64_t dod);
  void WriteValue(uint64_t bits);

  BitWriter w_;
  int num_ = 0;
  int64_t min_t_ = 0;
  int64_t last_t_ = 0;
  int64_t last_delta_ = 0;
  uint64_t last_bits_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no window yet
  uint8_t trailing_ = 0;
};

}  // namespace tidemark::storage

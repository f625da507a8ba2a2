// CRC32C (Castagnoli), the checksum of WAL records; uses the SSE4.2 instruction when the CPU has
// it. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tidemark::storage {

// Extends `crc` (0 to start) with `data`.
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);
inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data.data(), data.size()); }

// Masked form stored on disk, so that a CRC of data that itself contains CRCs stays strong.
inline uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8U; }

}  // namespace tidemark::storage

// Fuzz entry points for every ingest decoder. Each feeds arbitrary bytes to one decoder and traps
// if an invariant breaks: nothing may crash, every rejection has a reason and a bounded raw copy,
// every stored series has a metric name and valid UTF-8 label values. Used by the libFuzzer
// binaries (clang builds) and by decoder_fuzz_test, which runs them on every test run.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tidemark::server::ingest {

void FuzzLineProtocol(const uint8_t* data, size_t size);
void FuzzPrometheusText(const uint8_t* data, size_t size);
void FuzzJsonMapping(const uint8_t* data, size_t size);
void FuzzRemoteWrite(const uint8_t* data, size_t size);
void FuzzPlainValue(const uint8_t* data, size_t size);

}  // namespace tidemark::server::ingest

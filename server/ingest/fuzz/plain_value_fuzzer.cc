// libFuzzer entry point for the plain value decoder (clang builds; see scripts/fuzz.sh).
#include "server/ingest/fuzz/decoder_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tidemark::server::ingest::FuzzPlainValue(data, size);
  return 0;
}

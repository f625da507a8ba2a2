// libFuzzer entry point for the PromQL front end: parses arbitrary bytes and evaluates whatever
// parses (instant and range) over a small fixed data set with tight limits. Built as
// query_parser_fuzz with clang (-fsanitize=fuzzer); parser_fuzz_test.cc drives it under GCC.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "query/engine.h"
#include "query/memory_querier.h"
#include "query/parser.h"

namespace {

const std::vector<tidemark::query::MemorySeries>& FuzzData() {
  static const auto* data = [] {
    auto* d = new std::vector<tidemark::query::MemorySeries>();
    for (int i = 0; i < 3; ++i) {
      tidemark::query::MemorySeries s{
          tidemark::storage::Labels{{"__name__", "a"}, {"i", std::to_string(i)}, {"le", "1"}}, {}};
      for (int m = 0; m < 20; ++m) s.samples.push_back({m * 60'000LL, m * (i + 1.0)});
      d->push_back(std::move(s));
    }
    return d;
  }();
  return *data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tidemark::query::Engine;
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  if (!tidemark::query::ParseExpr(query).ok()) return 0;
  tidemark::query::EngineOptions opts;
  opts.timeout_ms = 1000;
  opts.max_samples = 200'000;
  const Engine engine(opts);
  const auto factory = tidemark::query::MemoryQuerier::Factory(&FuzzData());
  (void)engine.InstantQuery(factory, query, 600'000);
  (void)engine.RangeQuery(factory, query, 0, 1'200'000, 60'000);
  return 0;
}

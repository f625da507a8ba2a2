// Test support shared by the compliance-list and differential tests: the PromQL compliance
// tester's query list with its {{.var}} variants expanded, and synthetic data shaped like the
// PromLabs demo service the list was written for.
//
// Test-only; functions are pure and thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "query/memory_querier.h"

namespace tidemark::query {

struct ComplianceQuery {
  std::string query;
  bool should_fail = false;
};

// Every query of `path` (promql-test-queries.yml), variants expanded; empty when unreadable.
std::vector<ComplianceQuery> LoadComplianceQueries(const std::string& path);

inline constexpr int64_t kDemoStep = 15'000;
inline constexpr int64_t kDemoEnd = 2 * 3'600'000;

// Demo-service-like series sampled every kDemoStep over [0, kDemoEnd].
std::vector<MemorySeries> DemoData();

}  // namespace tidemark::query

// Runs every query of the PromQL compliance tester's list (../shared/promql-compliance/
// promql-test-queries.yml, with its {{.var}} variants expanded) against synthetic demo-service
// data: queries marked should_fail must fail, all others must succeed as instant and range
// queries. Exercises the whole engine under the sanitizers.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "gtest/gtest.h"
#include "query/compliance_data.h"
#include "query/engine.h"

namespace tidemark::query {
namespace {

TEST(ComplianceQueries, AllQueriesBehave) {
  const char* root = std::getenv("TIDEMARK_SOURCE_DIR");
  ASSERT_NE(root, nullptr);
  const std::string path =
      std::string(root) + "/../shared/promql-compliance/promql-test-queries.yml";
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const std::vector<ComplianceQuery> queries = LoadComplianceQueries(path);
  ASSERT_GT(queries.size(), 500u);
  const std::vector<MemorySeries> data = DemoData();
  const QuerierFactory factory = MemoryQuerier::Factory(&data);
  Engine engine;
  std::vector<std::string> bad;
  for (const ComplianceQuery& c : queries) {
    const std::string& q = c.query;
    auto instant = engine.InstantQuery(factory, q, kDemoEnd - 600'000);
    if (c.should_fail) {
      if (instant.ok()) bad.push_back(q + ": expected an error");
      continue;
    }
    if (!instant.ok()) {
      bad.push_back(q + ": " + instant.status().ToString());
      continue;
    }
    auto range = engine.RangeQuery(factory, q, kDemoEnd / 2, kDemoEnd, 60'000);
    if (!range.ok()) bad.push_back(q + ": range: " + range.status().ToString());
  }
  std::cout << "compliance queries: " << queries.size() - bad.size() << " of " << queries.size()
            << " behave\n";
  for (const std::string& b : bad) std::cout << "  BAD " << b << "\n";
  EXPECT_TRUE(bad.empty());
}

}  // namespace
}  // namespace tidemark::query

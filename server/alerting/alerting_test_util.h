// Test fixture for alerting: a real Storage (TempStorage, fake clock), the real PromQL engine as
// the QueryFunc, and a RuleManager evaluated by hand on the fake clock. Not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "query/engine.h"
#include "server/alerting/manager.h"
#include "tests/support/temp_storage.h"

namespace tidemark::server::alerting {

class AlertingFixture : public ::testing::Test {
 protected:
  static constexpr int64_t kMinute = 60'000;

  static int64_t HourNow() {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return now / 3'600'000 * 3'600'000 - 3'600'000;
  }

  AlertingFixture() : t0_(HourNow()), store_(t0_) {}

  void SetUp() override { ASSERT_TRUE(store_.status().ok()) << store_.status().ToString(); }

  QueryFunc Query() {
    return [this](std::string_view expr, int64_t t) {
      return engine_.InstantQuery(
          [this](int64_t mint, int64_t maxt) { return store_->NewQuerier(mint, maxt); }, expr, t);
    };
  }

  std::unique_ptr<RuleManager> NewManager(ManagerOptions options = {}) {
    options.clock = &store_.clock();
    options.external_url = "http://tm:9201";
    return std::make_unique<RuleManager>(
        options, Query(), [this](const storage::WriteBatch& b) { return store_->Append(b); },
        [this](const std::vector<Notification>& n) {
          sent_.insert(sent_.end(), n.begin(), n.end());
        });
  }

  std::string WriteRules(const std::string& yaml, const std::string& name = "rules.yml") {
    const std::string path = (store_.root() / name).string();
    std::ofstream(path) << yaml;
    return path;
  }

  void Sample(const storage::Labels& labels, double v) {
    storage::WriteBatch batch;
    batch.Add(labels, store_.clock().NowMillis(), v);
    ASSERT_TRUE(store_->Append(batch).ok());
  }

  // Sets the clock and runs the due evaluations.
  void EvalAt(RuleManager& manager, int64_t t) {
    store_.clock().Set(t);
    manager.EvaluateDue();
  }

  // The instant-query result of `expr` at the clock's time, as "labels => value" lines.
  std::vector<std::string> QueryLines(const std::string& expr) {
    auto value = Query()(expr, store_.clock().NowMillis());
    EXPECT_TRUE(value.ok()) << value.status().ToString();
    std::vector<std::string> out;
    if (!value.ok()) return out;
    for (const query::Sample& s : std::get<query::Vector>(*value)) {
      out.push_back(s.metric.ToString() + " => " + query::FormatFloat(s.v));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  const int64_t t0_;
  testing::TempStorage store_;
  query::Engine engine_;
  std::vector<Notification> sent_;
};

}  // namespace tidemark::server::alerting

// The alert state machine and recording rules under a fake clock, against a real store and the
// real PromQL engine.
#include <gtest/gtest.h>

#include "server/alerting/alerting_test_util.h"

namespace tidemark::server::alerting {
namespace {

const storage::Labels kKitchen = {
    {"__name__", "temperature_celsius"}, {"site", "hq"}, {"room", "kitchen"}};

constexpr char kHotRule[] = R"(groups:
  - name: fleet
    interval: 1m
    rules:
      - alert: RoomOverheating
        expr: temperature_celsius > 30
        for: 2m
        labels:
          severity: "{{ if_not_used }}"
)";

class RulesTest : public AlertingFixture {};

std::string HotRules(const std::string& for_clause, const std::string& extra = "") {
  return "groups:\n  - name: fleet\n    interval: 1m\n    rules:\n"
         "      - alert: RoomOverheating\n        expr: temperature_celsius > 30\n" +
         for_clause + extra +
         "        labels:\n          severity: page\n"
         "        annotations:\n"
         "          summary: \"{{ $labels.room }} at {{ $value }} degrees\"\n";
}

TEST_F(RulesTest, PendingThenFiringThenResolved) {
  auto manager = NewManager();
  ASSERT_TRUE(manager->Load({WriteRules(HotRules("        for: 2m\n"))}).ok());
  store_.clock().Set(t0_);
  Sample(kKitchen, 35);
  EvalAt(*manager, t0_);
  EXPECT_EQ(
      QueryLines("ALERTS"),
      std::vector<std::string>{
          R"(ALERTS{alertname="RoomOverheating", alertstate="pending", room="kitchen", severity="page", site="hq"} => 1)"});
  EXPECT_EQ(
      QueryLines("ALERTS_FOR_STATE"),
      std::vector<std::string>{
          R"(ALERTS_FOR_STATE{alertname="RoomOverheating", room="kitchen", severity="page", site="hq"} => )" +
          std::to_string(t0_ / 1000)});
  EXPECT_TRUE(sent_.empty()) << "pending alerts are never sent";

  store_.clock().Set(t0_ + kMinute);
  Sample(kKitchen, 36);
  EvalAt(*manager, t0_ + kMinute);
  EXPECT_TRUE(sent_.empty());
  store_.clock().Set(t0_ + 2 * kMinute);
  Sample(kKitchen, 37);
  EvalAt(*manager, t0_ + 2 * kMinute);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].starts_at_ms, t0_ + 2 * kMinute) << "startsAt is when it fired";
  EXPECT_EQ(sent_[0].ends_at_ms, t0_ + 6 * kMinute) << "valid for 4 x max(interval, resend)";
  EXPECT_FALSE(sent_[0].resolved);
  EXPECT_EQ(sent_[0].annotations.at("summary"), "kitchen at 37 degrees");
  EXPECT_EQ(sent_[0].generator_url,
            "http://tm:9201/graph?g0.expr=temperature_celsius+%3E+30&g0.tab=1");
  EXPECT_EQ(QueryLines("ALERTS{alertstate=\"firing\"}").size(), 1u);
  EXPECT_TRUE(QueryLines("ALERTS{alertstate=\"pending\"}").empty()) << "pending went stale";

  // Re-sent once the resend delay (1m) has passed, not before.
  sent_.clear();
  Sample(kKitchen, 37);
  EvalAt(*manager, t0_ + 3 * kMinute);
  EXPECT_TRUE(sent_.empty());
  store_.clock().Set(t0_ + 4 * kMinute);
  Sample(kKitchen, 37);
  EvalAt(*manager, t0_ + 4 * kMinute);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].ends_at_ms, t0_ + 8 * kMinute);

  sent_.clear();
  store_.clock().Set(t0_ + 5 * kMinute);
  Sample(kKitchen, 20);
  EvalAt(*manager, t0_ + 5 * kMinute);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_TRUE(sent_[0].resolved);
  EXPECT_EQ(sent_[0].ends_at_ms, t0_ + 5 * kMinute);
  EXPECT_TRUE(QueryLines("ALERTS").empty()) << "a resolved alert's series goes stale at once";

  const auto changes = manager->StateChanges(t0_, t0_ + 10 * kMinute);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].to, AlertState::kPending);
  EXPECT_EQ(changes[1].time_ms, t0_ + 2 * kMinute);
  EXPECT_EQ(changes[1].from, AlertState::kPending);
  EXPECT_EQ(changes[1].to, AlertState::kFiring);
  EXPECT_EQ(changes[2].to, AlertState::kInactive);
  EXPECT_EQ(changes[2].labels.Get("room"), "kitchen");
  EXPECT_EQ(manager->StateChanges(t0_ + kMinute, t0_ + 3 * kMinute).size(), 1u);

  // Resolved alerts are re-sent each resend delay for 15 minutes, then forgotten.
  sent_.clear();
  for (int m = 6; m <= 22; ++m) EvalAt(*manager, t0_ + m * kMinute);
  EXPECT_EQ(sent_.size(), 7u) << "every other minute: resend needs lastSent + delay < now";
  for (const Notification& n : sent_) EXPECT_EQ(n.ends_at_ms, t0_ + 5 * kMinute);
}

TEST_F(RulesTest, PendingAlertThatClearsIsDroppedWithoutNotification) {
  auto manager = NewManager();
  ASSERT_TRUE(manager->Load({WriteRules(HotRules("        for: 5m\n"))}).ok());
  store_.clock().Set(t0_);
  Sample(kKitchen, 35);
  EvalAt(*manager, t0_);
  store_.clock().Set(t0_ + kMinute);
  Sample(kKitchen, 25);
  EvalAt(*manager, t0_ + kMinute);
  EXPECT_TRUE(sent_.empty());
  EXPECT_TRUE(QueryLines("ALERTS").empty());
  const auto changes = manager->StateChanges(0, t0_ + kMinute);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].from, AlertState::kPending);
  EXPECT_EQ(changes[1].to, AlertState::kInactive);
}

TEST_F(RulesTest, KeepFiringForHoldsTheAlertAfterTheConditionClears) {
  auto manager = NewManager();
  ASSERT_TRUE(manager->Load({WriteRules(HotRules("", "        keep_firing_for: 2m\n"))}).ok());
  store_.clock().Set(t0_);
  Sample(kKitchen, 35);
  EvalAt(*manager, t0_);
  ASSERT_EQ(sent_.size(), 1u) << "for: 0 fires at the first evaluation";
  store_.clock().Set(t0_ + kMinute);
  Sample(kKitchen, 20);
  EvalAt(*manager, t0_ + kMinute);
  EXPECT_EQ(QueryLines("ALERTS{alertstate=\"firing\"}").size(), 1u);
  Sample(kKitchen, 20);
  store_.clock().Set(t0_ + 2 * kMinute);
  Sample(kKitchen, 20);
  EvalAt(*manager, t0_ + 2 * kMinute);
  EXPECT_EQ(QueryLines("ALERTS{alertstate=\"firing\"}").size(), 1u) << "still within 2m";
  store_.clock().Set(t0_ + 3 * kMinute);
  Sample(kKitchen, 20);
  EvalAt(*manager, t0_ + 3 * kMinute);
  EXPECT_TRUE(QueryLines("ALERTS").empty());
  ASSERT_FALSE(sent_.empty());
  EXPECT_TRUE(sent_.back().resolved);
  EXPECT_EQ(sent_.back().ends_at_ms, t0_ + 3 * kMinute);
}

TEST_F(RulesTest, RestartRestoresForStateSoTheTimerDoesNotStartOver) {
  const std::string rules = WriteRules(HotRules("        for: 1h\n"));
  {
    auto manager = NewManager();
    ASSERT_TRUE(manager->Load({rules}).ok());
    for (int m = 0; m <= 30; ++m) {
      store_.clock().Set(t0_ + m * kMinute);
      Sample(kKitchen, 35);
      EvalAt(*manager, t0_ + m * kMinute);
    }
    EXPECT_EQ(QueryLines("ALERTS{alertstate=\"pending\"}").size(), 1u);
  }
  // Down for 5 minutes; the new manager reads ALERTS_FOR_STATE back from storage.
  auto manager = NewManager();
  ASSERT_TRUE(manager->Load({rules}).ok());
  for (int m = 35; m <= 64; ++m) {
    store_.clock().Set(t0_ + m * kMinute);
    Sample(kKitchen, 35);
    EvalAt(*manager, t0_ + m * kMinute);
  }
  EXPECT_EQ(QueryLines("ALERTS{alertstate=\"pending\"}").size(), 1u);
  EXPECT_TRUE(sent_.empty());
  // 30 minutes pending before the outage + 30 after = the 1h hold; the outage does not count.
  store_.clock().Set(t0_ + 65 * kMinute);
  Sample(kKitchen, 35);
  EvalAt(*manager, t0_ + 65 * kMinute);
  EXPECT_EQ(QueryLines("ALERTS{alertstate=\"firing\"}").size(), 1u);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].starts_at_ms, t0_ + 65 * kMinute);
  EXPECT_EQ(
      QueryLines("ALERTS_FOR_STATE")[0].substr(QueryLines("ALERTS_FOR_STATE")[0].rfind(' ') + 1),
      std::to_string((t0_ + 5 * kMinute) / 1000));
}

TEST_F(RulesTest, RecordingRulesWriteTheirSeriesAndLaterRulesSeeThem) {
  auto manager = NewManager();
  ASSERT_TRUE(manager
                  ->Load({WriteRules(R"(groups:
  - name: power
    interval: 1m
    rules:
      - record: site:power_watts:sum
        expr: sum by (site) (power_watts)
        labels: {source: recorded}
      - alert: SiteOverBudget
        expr: site:power_watts:sum > 1000
)")})
                  .ok());
  store_.clock().Set(t0_);
  Sample({{"__name__", "power_watts"}, {"site", "hq"}, {"device", "a"}}, 700);
  Sample({{"__name__", "power_watts"}, {"site", "hq"}, {"device", "b"}}, 600);
  Sample({{"__name__", "power_watts"}, {"site", "lab"}, {"device", "c"}}, 5);
  EvalAt(*manager, t0_);
  EXPECT_EQ(
      QueryLines("site:power_watts:sum"),
      (std::vector<std::string>{R"(site:power_watts:sum{site="hq", source="recorded"} => 1300)",
                                R"(site:power_watts:sum{site="lab", source="recorded"} => 5)"}));
  EXPECT_EQ(QueryLines("ALERTS").size(), 1u);
  const auto groups = manager->Groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]->rules()[0]->health().health, "ok");
}

TEST_F(RulesTest, EvaluationErrorsAreReportedPerRule) {
  auto manager = NewManager();
  ASSERT_TRUE(manager
                  ->Load({WriteRules(R"(groups:
  - name: g
    interval: 1m
    limit: 1
    rules:
      - alert: TooMany
        expr: power_watts > 0
)")})
                  .ok());
  store_.clock().Set(t0_);
  Sample({{"__name__", "power_watts"}, {"device", "a"}}, 1);
  Sample({{"__name__", "power_watts"}, {"device", "b"}}, 1);
  EvalAt(*manager, t0_);
  const RuleHealth health = manager->Groups()[0]->rules()[0]->health();
  EXPECT_EQ(health.health, "err");
  EXPECT_EQ(health.last_error, "exceeded limit of 1 with 2 alerts");
  EXPECT_TRUE(QueryLines("ALERTS").empty());
  EXPECT_EQ(manager->counters().rule_failures.load(), 1u);
}

TEST_F(RulesTest, ReloadKeepsStateOfUnchangedRulesAndRejectsBrokenFiles) {
  auto manager = NewManager();
  const std::string path = WriteRules(HotRules("        for: 2m\n"));
  ASSERT_TRUE(manager->Load({path}).ok());
  for (int m = 0; m <= 2; ++m) {
    store_.clock().Set(t0_ + m * kMinute);
    Sample(kKitchen, 35);
    EvalAt(*manager, t0_ + m * kMinute);
  }
  ASSERT_EQ(sent_.size(), 1u);
  // Same rule plus a new one: the firing alert stays firing (no new pending phase).
  WriteRules(HotRules("        for: 2m\n") +
             "      - record: hot:count\n        expr: count(temperature_celsius > 30)\n");
  ASSERT_TRUE(manager->Load({path}).ok());
  store_.clock().Set(t0_ + 3 * kMinute);
  Sample(kKitchen, 35);
  EvalAt(*manager, t0_ + 3 * kMinute);
  EXPECT_EQ(QueryLines("ALERTS{alertstate=\"firing\"}").size(), 1u);
  EXPECT_EQ(QueryLines("hot:count"), std::vector<std::string>{"hot:count{} => 1"});

  // A broken file: the error names file and line, and the running rules stay.
  WriteRules("groups:\n  - name: fleet\n    rules:\n      - alert: X\n        expr: up ==\n");
  const base::Status status = manager->Load({path});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind(path + ":5: rule \"X\": ", 0), 0u) << status.message();
  EXPECT_NE(status.message().find("could not parse expression"), std::string::npos);
  EXPECT_EQ(manager->last_reload_error(), status.message());
  EXPECT_EQ(manager->Groups()[0]->rules().size(), 2u);
  store_.clock().Set(t0_ + 4 * kMinute);
  Sample(kKitchen, 35);
  EvalAt(*manager, t0_ + 4 * kMinute);
  EXPECT_EQ(QueryLines("ALERTS{alertstate=\"firing\"}").size(), 1u);

  // Removing the rules marks their series stale.
  WriteRules("groups: []\n");
  ASSERT_TRUE(manager->Load({path}).ok());
  EXPECT_TRUE(QueryLines("ALERTS").empty());
  EXPECT_TRUE(QueryLines("hot:count").empty());
}

TEST_F(RulesTest, BadTemplatesAreRejectedWithFileAndLine) {
  auto manager = NewManager();
  const std::string path = WriteRules(kHotRule);
  const base::Status status = manager->Load({path});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), path +
                                  ":5: rule \"RoomOverheating\": label \"severity\": template: "
                                  "function \"if_not_used\" not defined");
}

}  // namespace
}  // namespace tidemark::server::alerting

// The vocabulary of alerting: alert states, one alert instance, a state change, and the two
// functions alerting needs from the rest of the server — a PromQL instant query (QueryFunc) and a
// storage append (SeriesWriter). Keeping these as function types is what lets server/alerting run
// without knowing query::Engine or storage::Storage (DESIGN.md). Value types; thread-safe to copy.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "query/value.h"
#include "storage/base/status.h"
#include "storage/labels.h"
#include "storage/write_batch.h"

namespace tidemark::server::alerting {

// Evaluates an instant PromQL query at `time_ms`: a Vector or a Scalar (anything else is an
// error for a rule). Called from the rule evaluation thread; must be thread-safe.
using QueryFunc = std::function<base::Result<query::Value>(std::string_view expr, int64_t time_ms)>;
// Appends recording-rule output and the ALERTS/ALERTS_FOR_STATE series.
using SeriesWriter = std::function<base::Status(const storage::WriteBatch& batch)>;

enum class AlertState { kInactive, kPending, kFiring };
// "inactive", "pending", "firing".
std::string_view AlertStateName(AlertState state);

using StringMap = std::map<std::string, std::string>;

// One alert instance of an alerting rule (Prometheus' rules.Alert). Times in ms; 0 = unset.
struct Alert {
  storage::Labels labels;  // series labels minus __name__, plus rule labels and alertname
  StringMap annotations;
  AlertState state = AlertState::kPending;
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;
  int64_t last_sent_at_ms = 0;
  int64_t valid_until_ms = 0;
  int64_t keep_firing_since_ms = 0;
};

// What a notifier receives (Prometheus' notifier.Alert): labels already carry the external
// labels; ends_at_ms is the resolution time, or the time until which a firing alert is valid.
struct Notification {
  storage::Labels labels;
  StringMap annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  std::string generator_url;
  bool resolved = false;
};

// One alert state transition, for annotations in Grafana and for logs.
struct StateChange {
  int64_t time_ms = 0;
  std::string alert_name;
  storage::Labels labels;
  AlertState from = AlertState::kInactive;
  AlertState to = AlertState::kInactive;
};

}  // namespace tidemark::server::alerting

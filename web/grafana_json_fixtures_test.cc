// Replays every SimpleJSON and simPod request fixture of ../shared/protocols/fixtures against the
// Grafana JSON API over a real store holding series named after the fixtures' targets, and checks
// each answer against the spec (grafana-protocols.md §1–§3): status, shape, units (epoch ms inside
// the request's range), echoed refIds and CORS headers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "storage/storage.h"
#include "tests/support/temp_storage.h"
#include "web/grafana_json_api.h"

namespace tidemark::web {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The fixtures' range: 2024-05-01T10:00:00Z .. 16:00:00Z.
constexpr int64_t kFrom = 1714557600000;
constexpr int64_t kTo = 1714579200000;

fs::path FixtureDir() {
  const char* root = std::getenv("TIDEMARK_SOURCE_DIR");
  return fs::path(root != nullptr ? root : ".") / ".." / "shared" / "protocols" / "fixtures";
}

json LoadFixture(const std::string& name) {
  std::ifstream in(FixtureDir() / name);
  EXPECT_TRUE(in.good()) << name;
  return json::parse(in, nullptr, false);
}

// The fixture's request, sent to `base` + its path (the path under the data source URL).
Request FixtureRequest(const json& envelope, const std::string& base = "") {
  const json& r = envelope.contains("request") ? envelope["request"] : envelope;
  std::string body;
  if (r.contains("body")) body = r["body"].dump();
  if (r.contains("raw_body")) body = r["raw_body"].get<std::string>();
  Request request = Request::Make(ParseMethod(r["method"].get<std::string>()),
                                  base + r["path"].get<std::string>(), body);
  const json headers = r.value("headers", json::object());
  for (const auto& [name, value] : headers.items()) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(lower, value.get<std::string>());
  }
  return request;
}

bool IsMs(const json& t) {
  return t.is_number_integer() && t.get<int64_t>() >= kFrom && t.get<int64_t>() <= kTo;
}

std::set<std::string> RequestRefIds(const json& request) {
  std::set<std::string> ids;
  for (const json& t : request["body"]["targets"]) ids.insert(t["refId"].get<std::string>());
  return ids;
}

std::set<std::string> Texts(const json& items, const char* key) {
  std::set<std::string> out;
  for (const json& item : items) out.insert(item[key].get<std::string>());
  return out;
}

void CheckLegacySeries(const json& request, const json& answer, const json&) {
  ASSERT_TRUE(answer.is_array());
  std::set<std::string> seen;
  for (const json& series : answer) {
    EXPECT_TRUE(series["target"].is_string()) << series;
    EXPECT_TRUE(series["tags"].is_object()) << series;
    seen.insert(series["refId"].get<std::string>());
    ASSERT_FALSE(series["datapoints"].empty()) << series;
    for (const json& point : series["datapoints"]) {
      ASSERT_EQ(point.size(), 2u);
      EXPECT_TRUE(point[0].is_number() || point[0].is_null()) << point;
      EXPECT_TRUE(IsMs(point[1])) << point;
    }
  }
  EXPECT_EQ(seen, RequestRefIds(request));
}

void CheckFrames(const json& request, const json& answer, const json&) {
  ASSERT_TRUE(answer.is_array());
  std::set<std::string> seen;
  for (const json& frame : answer) {
    seen.insert(frame["refId"].get<std::string>());
    EXPECT_TRUE(frame["name"].is_string());
    ASSERT_EQ(frame["fields"].size(), 2u) << frame;
    const json& time = frame["fields"][0];
    const json& value = frame["fields"][1];
    EXPECT_EQ(time["type"], "time");
    EXPECT_EQ(value["type"], "number");
    EXPECT_TRUE(value["labels"].is_object());
    ASSERT_EQ(time["values"].size(), value["values"].size());
    ASSERT_FALSE(time["values"].empty());
    for (const json& t : time["values"]) EXPECT_TRUE(IsMs(t)) << t;
  }
  EXPECT_EQ(seen, RequestRefIds(request));
}

// A table answer: columns {text, type}, rows as wide as the columns, time cells in ms.
void CheckTable(const json& request, const json& answer, const json& expected) {
  ASSERT_TRUE(answer.is_array());
  ASSERT_EQ(answer.size(), expected.size());
  for (size_t i = 0; i < answer.size(); ++i) {
    const json& table = answer[i];
    EXPECT_EQ(table["type"], "table");
    EXPECT_EQ(table["refId"], expected[i]["refId"]);
    EXPECT_TRUE(RequestRefIds(request).count(table["refId"].get<std::string>()));
    std::vector<bool> is_time;
    for (const json& column : table["columns"]) {
      EXPECT_TRUE(column["text"].is_string());
      EXPECT_TRUE(column["type"] == "time" || column["type"] == "string" ||
                  column["type"] == "number");
      is_time.push_back(column["type"] == "time");
    }
    EXPECT_EQ(table["columns"][0], expected[i]["columns"][0]) << "time comes first";
    ASSERT_FALSE(table["rows"].empty());
    for (const json& row : table["rows"]) {
      ASSERT_EQ(row.size(), is_time.size()) << row;
      for (size_t c = 0; c < row.size(); ++c) {
        if (is_time[c] && !row[c].is_null()) {
          EXPECT_TRUE(IsMs(row[c])) << row;
        }
      }
    }
  }
}

// simPod's annotation table: exactly the fixture's columns.
void CheckAnnotationTable(const json& request, const json& answer, const json& expected) {
  CheckTable(request, answer, expected);
  EXPECT_EQ(answer[0]["columns"], expected[0]["columns"]);
}

void CheckEvents(const json&, const json& answer, const json&) {
  ASSERT_TRUE(answer.is_array());
  ASSERT_FALSE(answer.empty());
  for (const json& event : answer) {
    EXPECT_TRUE(IsMs(event["time"])) << event;
    if (event.contains("timeEnd")) {
      EXPECT_TRUE(IsMs(event["timeEnd"])) << event;
    }
    EXPECT_TRUE(event["title"].is_string());
    EXPECT_TRUE(event["text"].is_string());
    ASSERT_TRUE(event["tags"].is_array());
    for (const json& tag : event["tags"]) EXPECT_TRUE(tag.is_string());
  }
}

// Same as the fixture (for lookups whose answer the seeded store makes identical).
void CheckEqual(const json&, const json& answer, const json& expected) {
  EXPECT_EQ(answer, expected);
}

void CheckTagKeys(const json&, const json& answer, const json& expected) {
  for (const json& item : answer) EXPECT_EQ(item["type"], "string");
  const std::set<std::string> got = Texts(answer, "text");
  for (const std::string& name : Texts(expected, "text")) EXPECT_TRUE(got.count(name)) << name;
}

void CheckMetrics(const json& request, const json& answer, const json&) {
  ASSERT_TRUE(answer.is_array());
  const std::string prefix = request["body"].value("metric", "");
  // The seeded store has metrics, none starting with the fixture's "DescribeMetricList".
  EXPECT_EQ(answer.empty(), !prefix.empty()) << prefix;
  for (const json& metric : answer) {
    EXPECT_EQ(metric["label"], metric["value"]);
    ASSERT_TRUE(metric["payloads"].is_array());
    for (const json& payload : metric["payloads"]) {
      EXPECT_TRUE(payload["name"].is_string());
      EXPECT_EQ(payload["type"], "multi-select");
    }
  }
}

void CheckVariable(const json&, const json& answer, const json&) {
  ASSERT_TRUE(answer.is_array());
  ASSERT_FALSE(answer.empty());
  for (const json& option : answer) {
    EXPECT_TRUE(option["__text"].is_string() && !option["__text"].get<std::string>().empty());
    EXPECT_EQ(option["__text"], option["__value"]);
  }
}

using Check = std::function<void(const json& request, const json& answer, const json& expected)>;

struct Case {
  std::string response;  // "" for the health check
  Check check;
};

// Every request fixture and what its answer must look like.
const std::map<std::string, Case>& Cases() {
  static const std::map<std::string, Case> cases = {
      {"simplejson_health_request.json", {"simplejson_health_response.json", nullptr}},
      {"simpod_health_request.json", {"simpod_health_response.json", nullptr}},
      {"simplejson_search_request.json", {"simplejson_search_response_array.json", CheckEqual}},
      {"simpod_legacy_v02_search_request.json",
       {"simplejson_search_response_array.json", CheckEqual}},
      {"simplejson_query_timeserie_request.json",
       {"simplejson_query_timeserie_response.json", CheckLegacySeries}},
      {"simpod_legacy_v02_query_request.json",
       {"simplejson_query_timeserie_response.json", CheckLegacySeries}},
      {"simplejson_query_table_request.json", {"simplejson_query_table_response.json", CheckTable}},
      {"simpod_query_request.json", {"simpod_query_response_dataframe.json", CheckFrames}},
      {"simpod_annotation_query_request.json",
       {"simpod_annotation_query_response.json", CheckAnnotationTable}},
      {"simplejson_annotations_request.json",
       {"simplejson_annotations_response.json", CheckEvents}},
      {"simplejson_tag_keys_request.json", {"simplejson_tag_keys_response.json", CheckTagKeys}},
      {"simpod_tag_keys_request.json", {"simpod_tag_keys_response.json", CheckTagKeys}},
      {"simplejson_tag_values_request.json", {"", nullptr}},
      {"simpod_tag_values_request.json", {"", nullptr}},
      {"simpod_metrics_request_empty.json", {"simpod_metrics_response.json", CheckMetrics}},
      {"simpod_metrics_request_with_payload.json", {"simpod_metrics_response.json", CheckMetrics}},
      {"simpod_metric_payload_options_request.json", {"", nullptr}},
      {"simpod_variable_request.json", {"simpod_variable_response.json", CheckVariable}},
      {"simpod_variable_request_raw_json.json", {"simpod_variable_response.json", CheckVariable}},
  };
  return cases;
}

class GrafanaFixturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::is_directory(FixtureDir())) << FixtureDir();
    ASSERT_TRUE(store_.status().ok()) << store_.status().ToString();
    Seed();
    GrafanaJsonDeps deps;
    deps.queriers = [this](int64_t mint, int64_t maxt) { return store_->NewQuerier(mint, maxt); };
    deps.clock = &store_.clock();
    deps.alert_annotations = [](int64_t from, int64_t) {
      return std::vector<AlertAnnotation>{
          {from + 60'000, from + 600'000, "Deploy v1.2.3", "rolled out", {"deploy", "prod"}}};
    };
    RegisterGrafanaJsonApi(router_, deps);
  }
  void TearDown() override { ASSERT_TRUE(store_->Close().ok()); }

  // Series named after the fixtures' targets, labelled so their filters and payloads match.
  void Seed() {
    using L = storage::Labels;
    storage::WriteBatch batch;
    for (int64_t t = kFrom; t <= kTo; t += 30'000) {
      const double v = static_cast<double>((t - kFrom) / 30'000 % 17);
      for (const char* name : {"upper_25", "upper_50", "upper_75", "upper_90", "upper_95"}) {
        batch.Add(L{{"__name__", name}, {"City", "Berlin"}}, t, v);
      }
      for (const char* country : {"SE", "DE", "US"}) {
        batch.Add(L{{"__name__", "country_counts"}, {"Country", country}}, t, v * 10);
      }
      batch.Add(
          L{{"__name__", "cpu_usage"}, {"host", "web-1"}, {"agg", "avg"}, {"region", "eu-west"}}, t,
          v);
      for (const char* host : {"web-1", "web-2"}) {
        batch.Add(L{{"__name__", "mem_free"}, {"host", host}, {"region", "eu-west"}}, t, 1e6 - v);
      }
      batch.Add(L{{"__name__", "mem_free"}, {"host", "db-1"}, {"region", "us-east"}}, t, 5e5);
      batch.Add(L{{"__name__", "Packets"}, {"City", "Berlin"}, {"additional", "optional json"}}, t,
                v);
      batch.Add(L{{"__name__", "Errors"}, {"City", "Berlin"}}, t, 0);
      batch.Add(L{{"__name__", "hosts_online"}, {"host", "web-1"}}, t, 1);
      // Two deploys, each visible for a few minutes.
      if ((t >= kFrom + 3'600'000 && t < kFrom + 3'780'000) || t == kFrom + 7'200'000) {
        batch.Add(L{{"__name__", "deploys"}, {"env", "prod"}, {"region", "eu-west"}}, t, 1);
      }
    }
    ASSERT_TRUE(store_->Append(batch).ok());
  }

  tidemark::testing::TempStorage store_{kTo};
  Router router_;
};

// simPod is served under the base path; SimpleJSON there and at the root.
std::vector<std::string> Bases(const std::string& fixture) {
  if (fixture.rfind("simpod_", 0) == 0) return {"/grafana/json"};
  return {"", "/grafana/json"};
}

TEST_F(GrafanaFixturesTest, EveryRequestFixtureIsAnsweredAsTheSpecSays) {
  std::set<std::string> replayed;
  for (const auto& entry : fs::directory_iterator(FixtureDir())) {
    const std::string name = entry.path().filename().string();
    const bool ours = name.rfind("simplejson_", 0) == 0 || name.rfind("simpod_", 0) == 0;
    if (!ours || name.find("_request") == std::string::npos) continue;
    const auto it = Cases().find(name);
    ASSERT_NE(it, Cases().end()) << "a request fixture without a check: " << name;
    const json request = LoadFixture(name);
    const json expected = it->second.response.empty() ? json() : LoadFixture(it->second.response);
    const int status = expected.is_object() ? expected.value("status", 200) : 200;
    for (const std::string& base : Bases(name)) {
      SCOPED_TRACE(name + " at '" + base + "'");
      Response response = router_.Dispatch(FixtureRequest(request, base));
      EXPECT_EQ(response.Header("Access-Control-Allow-Origin"), "*");
      ASSERT_EQ(response.status, status) << response.body;
      replayed.insert(name);
      if (!it->second.check) continue;
      const json answer = json::parse(response.body, nullptr, false);
      ASSERT_FALSE(answer.is_discarded()) << response.body;
      EXPECT_EQ(response.Header("Content-Type"), "application/json");
      it->second.check(request, answer, expected["body"]);
    }
  }
  EXPECT_EQ(replayed.size(), Cases().size());
}

TEST_F(GrafanaFixturesTest, LookupsAnswerTheSeededValues) {
  auto answer = [&](const std::string& fixture) {
    Response response = router_.Dispatch(FixtureRequest(LoadFixture(fixture), "/grafana/json"));
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body);
  };
  EXPECT_EQ(answer("simplejson_tag_values_request.json"), json::parse(R"([{"text":"Berlin"}])"));
  // The filter on host=web-1 narrows region to web-1's.
  EXPECT_EQ(answer("simpod_tag_values_request.json"), json::parse(R"([{"text":"eu-west"}])"));
  // cpu_usage's hosts, narrowed by the other payload (agg=avg).
  EXPECT_EQ(answer("simpod_metric_payload_options_request.json"),
            json::parse(R"([{"label":"web-1","value":"web-1"}])"));
}

TEST_F(GrafanaFixturesTest, CorsPreflightAsTheFixture) {
  const json fixture = LoadFixture("simplejson_annotations_cors_preflight_response.json");
  for (const std::string path : {"/annotations", "/grafana/json/query", "/grafana/json/metrics"}) {
    Request request = FixtureRequest(fixture);
    request.path = path;
    Response response = router_.Dispatch(request);
    EXPECT_EQ(response.status, fixture["status"]);
    for (const auto& [name, value] : fixture["headers"].items()) {
      EXPECT_EQ(response.Header(name), value.get<std::string>()) << path << " " << name;
    }
  }
}

TEST_F(GrafanaFixturesTest, HealthErrorBodyAsTheFixture) {
  Router router;
  GrafanaJsonDeps deps;
  deps.queriers = [this](int64_t mint, int64_t maxt) { return store_->NewQuerier(mint, maxt); };
  deps.clock = &store_.clock();
  deps.is_ready = [] { return false; };
  RegisterGrafanaJsonApi(router, deps);
  const json fixture = LoadFixture("simpod_health_error_response.json");
  Response response = router.Dispatch(Request::Make(Method::kGet, "/grafana/json"));
  EXPECT_EQ(response.status, fixture["status"]);
  const json body = json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], fixture["body"]["error"]["code"]);
  EXPECT_TRUE(body["error"]["message"].is_string());
}

// Every node of a JSON document, as pointers (the root excluded).
void CollectPointers(const json& node, const json::json_pointer& at,
                     std::vector<json::json_pointer>* out) {
  if (node.is_object()) {
    for (const auto& [key, child] : node.items()) {
      out->push_back(at / key);
      CollectPointers(child, at / key, out);
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      out->push_back(at / i);
      CollectPointers(node[i], at / i, out);
    }
  }
}

// Grafana's bodies with any one field replaced by a value of another type: the answer is data
// or a JSON error Grafana can show, never a 500 or a crash.
TEST_F(GrafanaFixturesTest, EveryFieldOfTheWrongTypeIsAClearError) {
  json deep = json::array();
  for (int i = 0; i < 70; ++i) deep = json::array({deep});
  const std::vector<json> replacements = {
      nullptr, 0, -1e308, 1e300, "x", "", json::array(), json::object(), true, deep};
  int requests = 0;
  for (const auto& [name, expected] : Cases()) {
    const json request = LoadFixture(name);
    if (!request.contains("body")) continue;
    std::vector<json::json_pointer> pointers;
    CollectPointers(request["body"], json::json_pointer(), &pointers);
    for (const json::json_pointer& pointer : pointers) {
      for (const json& replacement : replacements) {
        json mutated = request;
        mutated["body"][pointer] = replacement;
        Response response = router_.Dispatch(FixtureRequest(mutated, "/grafana/json"));
        ++requests;
        const json answer = json::parse(response.body, nullptr, false);
        ASSERT_FALSE(answer.is_discarded()) << name << " " << pointer << " " << response.body;
        if (response.status == 200) continue;
        ASSERT_TRUE(response.status == 400 || response.status == 422)
            << name << " " << pointer << "=" << replacement.dump() << ": " << response.body;
        EXPECT_TRUE(answer["message"].is_string() && !answer["message"].empty()) << response.body;
      }
    }
  }
  EXPECT_GT(requests, 1000);
}

}  // namespace
}  // namespace tidemark::web

#include "web/prom_api.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "storage/base/clock.h"
#include "storage/storage.h"
#include "tests/support/temp_storage.h"

namespace tidemark::web {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'700'000'000'000;

class PrometheusApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.status().ok()) << store_.status().ToString();
    storage::WriteBatch batch;
    for (int i = 0; i <= 10; ++i) {
      const int64_t t = kNow - 600'000 + i * 60'000;
      batch.Add(storage::Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}}, t, 1);
      batch.Add(storage::Labels{{"__name__", "up"}, {"job", "db"}, {"instance", "b:2"}}, t,
                i < 5 ? 1 : 0);
      batch.Add(storage::Labels{{"__name__", "requests_total"}, {"job", "api"}}, t, 100.0 * i);
    }
    ASSERT_TRUE(store_->Append(batch).ok());
    RegisterPrometheusApi(
        router_, {query::EngineOptions{},
                  [this](int64_t mint, int64_t maxt) { return store_->NewQuerier(mint, maxt); },
                  &store_.clock()});
  }
  void TearDown() override { ASSERT_TRUE(store_->Close().ok()); }

  std::shared_ptr<query::ResultCache> MakeCache() {
    storage::Storage* st = store_.get();
    return std::make_shared<query::ResultCache>(
        query::ResultCacheOptions{},
        query::CacheFreshness{[st] { return st->SettledHorizon(); },
                              [st](std::string_view n) { return st->LateWriteGeneration(n); }});
  }
  void RegisterCached(Router* router, std::shared_ptr<query::ResultCache> cache) {
    RegisterPrometheusApi(
        *router, {query::EngineOptions{},
                  [this](int64_t mint, int64_t maxt) { return store_->NewQuerier(mint, maxt); },
                  &store_.clock(), std::move(cache)});
  }

  Response Get(const std::string& target) {
    return router_.Dispatch(Request::Make(Method::kGet, target));
  }
  Response PostForm(const std::string& path, const std::string& form) {
    Request request = Request::Make(Method::kPost, path, form);
    request.headers = {{"content-type", "application/x-www-form-urlencoded"}};
    return router_.Dispatch(request);
  }
  static json Body(const Response& r) { return json::parse(r.body); }

  tidemark::testing::TempStorage store_{kNow};
  Router router_;
};

TEST_F(PrometheusApiTest, GrafanaHealthCheckExactly) {
  Response response = PostForm("/api/v1/query", "query=1%2B1&time=4");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body,
            R"({"data":{"result":[4,"2"],"resultType":"scalar"},"status":"success"})");
  EXPECT_EQ(Get("/api/v1/query?query=1%2B1&time=4").body, response.body);
}

TEST_F(PrometheusApiTest, InstantVectorDefaultsToNow) {
  const json body = Body(Get("/api/v1/query?query=up%7Bjob%3D%22db%22%7D"));
  ASSERT_EQ(body["status"], "success");
  EXPECT_EQ(body["data"]["resultType"], "vector");
  ASSERT_EQ(body["data"]["result"].size(), 1u);
  const json& sample = body["data"]["result"][0];
  EXPECT_EQ(sample["metric"], (json{{"__name__", "up"}, {"instance", "b:2"}, {"job", "db"}}));
  EXPECT_EQ(sample["value"], (json::array({kNow / 1000, "0"})));
}

TEST_F(PrometheusApiTest, RangeQueryMatrixWithDurationOrSecondsStep) {
  const std::string start = std::to_string((kNow - 300'000) / 1000);
  const std::string end = std::to_string(kNow / 1000);
  for (const std::string step : {"60", "1m", "60.0"}) {
    const json body = Body(Get("/api/v1/query_range?query=sum%20by%20(job)(up)&start=" + start +
                               "&end=" + end + "&step=" + step));
    ASSERT_EQ(body["status"], "success") << body;
    EXPECT_EQ(body["data"]["resultType"], "matrix");
    ASSERT_EQ(body["data"]["result"].size(), 2u);
    EXPECT_EQ(body["data"]["result"][1]["metric"], (json{{"job", "db"}}));
    EXPECT_EQ(body["data"]["result"][1]["values"].size(), 6u);
    EXPECT_EQ(body["data"]["result"][1]["values"][5], (json::array({kNow / 1000, "0"})));
  }
  const json rate = Body(Get("/api/v1/query_range?query=rate(requests_total%5B5m%5D)&start=" + end +
                             "&end=" + end + "&step=15"));
  EXPECT_EQ(rate["data"]["result"][0]["values"][0][1], "1.6666666666666667");
}

TEST_F(PrometheusApiTest, ParameterErrorsMatchPrometheus) {
  auto error = [&](const std::string& target, int status = 400) {
    Response r = Get(target);
    EXPECT_EQ(r.status, status) << target;
    return Body(r)["error"].get<std::string>();
  };
  EXPECT_EQ(error("/api/v1/query_range?query=up&start=10&end=20&step=0"),
            "invalid parameter \"step\": zero or negative query resolution step widths are not "
            "accepted. Try a positive integer");
  EXPECT_EQ(error("/api/v1/query_range?query=up&start=yesterday&end=20&step=1"),
            "invalid parameter \"start\": cannot parse \"yesterday\" to a valid timestamp");
  EXPECT_EQ(error("/api/v1/query_range?query=up&start=20&end=10&step=1"),
            "invalid parameter \"end\": end timestamp must not be before start time");
  EXPECT_EQ(error("/api/v1/query_range?query=up&start=0&end=100000&step=1"),
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
            "query resolution (?step=XX)");
  EXPECT_EQ(error("/api/v1/query?query=sum(up"), "1:7: parse error: unclosed left parenthesis");
  EXPECT_EQ(
      error("/api/v1/query_range?query=up&start=-9e15&end=9e15&step=1"),
      "invalid parameter \"start\": cannot parse \"-9e15\" to a valid timestamp: out of range");
  EXPECT_EQ(error("/api/v1/query_range?query=up&start=-4e15&end=4e15&step=1"),
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
            "query resolution (?step=XX)");
  EXPECT_EQ(Body(Get("/api/v1/query?query=up&time=soon"))["errorType"], "bad_data");
  EXPECT_EQ(error("/api/v1/series?match[]=%7Bjob%3D%22%22%7D"),
            "match[] must contain at least one non-empty matcher");
  EXPECT_EQ(error("/api/v1/series"), "no match[] parameter provided");
  EXPECT_EQ(error("/api/v1/label/1bad/values"), "invalid label name: \"1bad\"");
}

TEST_F(PrometheusApiTest, SeriesLabelsAndValues) {
  const json series =
      Body(PostForm("/api/v1/series", "match[]=up&match[]=up%7Bjob%3D%22api%22%7D"));
  ASSERT_EQ(series["data"].size(), 2u) << series;
  EXPECT_EQ(series["data"][0], (json{{"__name__", "up"}, {"instance", "a:1"}, {"job", "api"}}));

  EXPECT_EQ(Body(Get("/api/v1/labels"))["data"], (json{"__name__", "instance", "job"}));
  EXPECT_EQ(Body(Get("/api/v1/labels?match[]=requests_total"))["data"], (json{"__name__", "job"}));
  EXPECT_EQ(Body(Get("/api/v1/label/__name__/values"))["data"], (json{"requests_total", "up"}));
  const json limited = Body(Get("/api/v1/label/job/values?match[]=up&limit=1"));
  EXPECT_EQ(limited["data"], (json{"api"}));
  EXPECT_EQ(limited["warnings"], (json{"results truncated due to limit"}));
}

TEST_F(PrometheusApiTest, FormatQueryAsInTheFixture) {
  Response response =
      PostForm("/api/v1/format_query", "query=sum%28rate%28foo%5B5m%5D%29%29by%28job%29");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"js({"data":"sum by (job) (rate(foo[5m]))","status":"success"})js");
  Response bad = Get("/api/v1/format_query?query=sum(");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Body(bad)["error"].get<std::string>().rfind("invalid parameter \"query\": 1:", 0), 0u);
}

TEST_F(PrometheusApiTest, MetadataAndExemplarsAnswerEmpty) {
  EXPECT_EQ(Get("/api/v1/metadata").body, R"({"data":{},"status":"success"})");
  EXPECT_EQ(Get("/api/v1/query_exemplars?query=up&start=1&end=2").body,
            R"({"data":[],"status":"success"})");
}

TEST(DurationParamTest, SecondsOrDurations) {
  EXPECT_EQ(*ParseDurationParam("15"), 15000);
  EXPECT_EQ(*ParseDurationParam("0.5"), 500);
  EXPECT_EQ(*ParseDurationParam("1m30s"), 90000);
  EXPECT_FALSE(ParseDurationParam("fast").ok());
  EXPECT_FALSE(ParseDurationParam("").ok());
}

TEST_F(PrometheusApiTest, QueryRangeUsesTheResultCacheUnlessNocache) {
  auto cache = MakeCache();
  Router cached;
  RegisterCached(&cached, cache);
  const std::string target = "/api/v1/query_range?query=sum%20by%20(job)(up)&start=" +
                             std::to_string((kNow - 600'000) / 1000) +
                             "&end=" + std::to_string((kNow - 300'000) / 1000) + "&step=60";
  const Response first = cached.Dispatch(Request::Make(Method::kGet, target));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.body, Get(target).body);  // as the router without a cache answers
  EXPECT_EQ(cached.Dispatch(Request::Make(Method::kGet, target)).body, first.body);
  EXPECT_EQ(cache->Stats().hits, 1u);
  EXPECT_EQ(cached.Dispatch(Request::Make(Method::kGet, target + "&nocache=1")).body, first.body);
  EXPECT_EQ(cache->Stats().hits, 1u);
  EXPECT_EQ(cache->Stats().misses, 1u);
}

TEST_F(PrometheusApiTest, InstantQueryAtASettledTimeUsesTheResultCacheUnlessNocache) {
  auto cache = MakeCache();
  Router cached;
  RegisterCached(&cached, cache);
  const std::string target = "/api/v1/query?query=topk(1,%20requests_total%20or%20up)&time=" +
                             std::to_string((kNow - 400'000) / 1000);
  const Response first = cached.Dispatch(Request::Make(Method::kGet, target));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.body, Get(target).body);
  EXPECT_EQ(cached.Dispatch(Request::Make(Method::kGet, target)).body, first.body);
  EXPECT_EQ(cached.Dispatch(Request::Make(Method::kGet, target + "&nocache=1")).body, first.body);
  EXPECT_EQ(cache->Stats().hits, 1u);
  EXPECT_EQ(cache->Stats().misses, 1u);
  // Without time= the query runs at "now", after the settle horizon: never from the cache.
  const std::string now = "/api/v1/query?query=up";
  EXPECT_EQ(cached.Dispatch(Request::Make(Method::kGet, now)).body, Get(now).body);
  EXPECT_EQ(cache->Stats().entries, 1u);
}

}  // namespace
}  // namespace tidemark::web

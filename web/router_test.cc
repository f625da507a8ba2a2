#include "web/router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "web/status_api.h"

namespace tidemark::web {
namespace {

Request Get(const std::string& target) { return Request::Make(Method::kGet, target); }

nlohmann::json JsonOf(const Response& response) { return nlohmann::json::parse(response.body); }

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add({Method::kGet}, "/hello", "hello", [](const Request& r) {
      return Response::Text(200, "hi " + std::string(r.QueryParam("name")));
    });
    router_.AddPrefix({Method::kGet, Method::kPost}, "/api/v1/label/", "label",
                      [](const Request& r) { return Response::Text(200, r.path); });
    router_.Add({Method::kGet}, "/boom", "boom",
                [](const Request&) -> Response { throw std::runtime_error("kaput"); });
  }
  HttpMetrics metrics_;
  Router router_{AuthSettings{}, &metrics_};
};

TEST_F(RouterTest, RoutesExactAndPrefixPaths) {
  Response hello = router_.Dispatch(Get("/hello?name=Ada%20L"));
  EXPECT_EQ(hello.status, 200);
  EXPECT_EQ(hello.body, "hi Ada L");
  Response label = router_.Dispatch(Get("/api/v1/label/job/values"));
  EXPECT_EQ(label.body, "/api/v1/label/job/values");
}

TEST_F(RouterTest, UnknownPathIsPrometheusNotFoundJson) {
  Response response = router_.Dispatch(Get("/nope"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.Header("Content-Type"), "application/json");
  const auto body = JsonOf(response);
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["errorType"], "not_found");
  EXPECT_EQ(body["error"], "no route for GET /nope");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Response response = router_.Dispatch(Request::Make(Method::kDelete, "/hello"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.Header("Allow"), "GET");
  EXPECT_EQ(JsonOf(response)["errorType"], "bad_data");
}

TEST_F(RouterTest, HeadIsServedByGet) {
  Response response = router_.Dispatch(Request::Make(Method::kHead, "/hello"));
  EXPECT_EQ(response.status, 200);
}

TEST_F(RouterTest, CorsOnEveryResponseAndPreflightAnswered) {
  for (const char* target : {"/hello", "/nope", "/boom"}) {
    Response response = router_.Dispatch(Get(target));
    EXPECT_EQ(response.Header("Access-Control-Allow-Origin"), "*") << target;
  }
  Request preflight = Request::Make(Method::kOptions, "/annotations");
  preflight.headers = {{"origin", "http://grafana.example:3000"},
                       {"access-control-request-method", "POST"}};
  Response response = router_.Dispatch(preflight);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(response.Header("Access-Control-Allow-Methods"), "GET, POST, OPTIONS");
  EXPECT_EQ(response.Header("Access-Control-Allow-Headers"), "accept, content-type, authorization");
}

TEST_F(RouterTest, CredentialedCorsEchoesOrigin) {
  Request request = Get("/hello");
  request.headers = {{"origin", "http://grafana:3000"}, {"cookie", "grafana_session=1"}};
  Response response = router_.Dispatch(request);
  EXPECT_EQ(response.Header("Access-Control-Allow-Origin"), "http://grafana:3000");
  EXPECT_EQ(response.Header("Access-Control-Allow-Credentials"), "true");
}

TEST_F(RouterTest, HandlerExceptionBecomes500Json) {
  Response response = router_.Dispatch(Get("/boom"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(JsonOf(response)["errorType"], "internal");
  EXPECT_EQ(JsonOf(response)["error"], "internal error: kaput");
}

TEST_F(RouterTest, RecordsRequestMetrics) {
  router_.Dispatch(Get("/hello"));
  router_.Dispatch(Get("/hello"));
  router_.Dispatch(Get("/nope"));
  const std::string text = metrics_.Exposition();
  EXPECT_NE(text.find("tidemark_http_requests_total{code=\"200\",handler=\"hello\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tidemark_http_requests_total{code=\"404\",handler=\"not_found\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("tidemark_http_request_duration_seconds_count{handler=\"hello\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(text.find("process_cpu_seconds_total "), std::string::npos);
}

TEST(RouterAuthTest, BasicAndBearerAuth) {
  Router router(AuthSettings{"admin", "pw", "tok3n"});
  router.Add({Method::kGet}, "/secret", "secret",
             [](const Request&) { return Response::Text(200, "ok"); });
  router.Add(
      {Method::kGet}, "/-/healthy", "healthy",
      [](const Request&) { return Response::Text(200, "ok"); }, /*is_public=*/true);

  Request anonymous = Get("/secret");
  Response denied = router.Dispatch(anonymous);
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.Header("WWW-Authenticate"), "Basic realm=\"tidemark\"");

  Request basic = Get("/secret");
  basic.headers = {{"authorization", "Basic YWRtaW46cHc="}};  // admin:pw
  EXPECT_EQ(router.Dispatch(basic).status, 200);

  Request wrong = Get("/secret");
  wrong.headers = {{"authorization", "Basic YWRtaW46cHd4"}};  // admin:pwx
  EXPECT_EQ(router.Dispatch(wrong).status, 401);

  Request bearer = Get("/secret");
  bearer.headers = {{"authorization", "Bearer tok3n"}};
  EXPECT_EQ(router.Dispatch(bearer).status, 200);

  Request bad_bearer = Get("/secret");
  bad_bearer.headers = {{"authorization", "Bearer tok3"}};
  EXPECT_EQ(router.Dispatch(bad_bearer).status, 401);

  Request influx2 = Get("/secret");
  influx2.headers = {{"authorization", "Token tok3n"}};
  EXPECT_EQ(router.Dispatch(influx2).status, 200);
  EXPECT_EQ(router.Dispatch(Get("/secret?u=admin&p=pw")).status, 200);
  EXPECT_EQ(router.Dispatch(Get("/secret?u=admin&p=nope")).status, 401);

  EXPECT_EQ(router.Dispatch(Get("/-/healthy")).status, 200);
  EXPECT_EQ(router.Dispatch(Request::Make(Method::kOptions, "/secret")).status, 200);
}

TEST(StatusRoutesTest, HealthReadyBuildinfoAndMetrics) {
  HttpMetrics metrics;
  Router router(AuthSettings{}, &metrics);
  bool ready = false;
  RegisterStatusRoutes(router, {&metrics, [&] { return ready; }});

  EXPECT_EQ(router.Dispatch(Get("/-/healthy")).status, 200);
  EXPECT_EQ(router.Dispatch(Get("/-/ready")).status, 503);
  ready = true;
  EXPECT_EQ(router.Dispatch(Get("/-/ready")).status, 200);

  for (Method method : {Method::kGet, Method::kPost}) {
    Response info = router.Dispatch(Request::Make(method, "/api/v1/status/buildinfo"));
    ASSERT_EQ(info.status, 200);
    const auto body = JsonOf(info);
    EXPECT_EQ(body["status"], "success");
    for (const char* key :
         {"version", "revision", "branch", "buildUser", "buildDate", "goVersion"}) {
      ASSERT_TRUE(body["data"].contains(key)) << key;
      EXPECT_TRUE(body["data"][key].is_string()) << key;
    }
    EXPECT_FALSE(body["data"].contains("features"));
  }

  Response exposition = router.Dispatch(Get("/metrics"));
  EXPECT_EQ(exposition.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(exposition.body.find("# TYPE tidemark_build_info gauge"), std::string::npos);
  EXPECT_NE(
      exposition.body.find("tidemark_http_requests_total{code=\"200\",handler=\"buildinfo\"} 2"),
      std::string::npos);
}

TEST(HttpTypesTest, DecodesTargetsAndForms) {
  Request request = Request::Make(Method::kPost, "/api/v1/query?query=up%7Bjob%3D%22a%22%7D&x",
                                  "time=4&query=1%2B1");
  request.headers = {{"content-type", "application/x-www-form-urlencoded"}};
  EXPECT_EQ(request.path, "/api/v1/query");
  EXPECT_EQ(request.QueryParam("query"), "up{job=\"a\"}");
  const Params form = request.FormParams();
  ASSERT_EQ(form.size(), 4u);
  EXPECT_EQ(form[1], (std::pair<std::string, std::string>{"x", ""}));
  EXPECT_EQ(form[3], (std::pair<std::string, std::string>{"query", "1+1"}));
  EXPECT_EQ(PercentDecode("a+b%2", true), "a b%2");
  EXPECT_EQ(PercentDecode("%zz%41", false), "%zzA");
}

TEST(Base64Test, Decodes) {
  std::string out;
  ASSERT_TRUE(Base64Decode("aGVsbG8gd29ybGQ=", &out));
  EXPECT_EQ(out, "hello world");
  EXPECT_FALSE(Base64Decode("a*b", &out));
}

}  // namespace
}  // namespace tidemark::web

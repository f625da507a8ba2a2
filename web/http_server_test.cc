#include "web/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/http_client.h"

namespace tidemark::web {
namespace {

using tidemark::testing::BuildRequest;
using tidemark::testing::Connection;
using tidemark::testing::Fetch;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add({Method::kGet, Method::kPost}, "/echo", "echo", [](const Request& r) {
      return Response::Text(200, std::string(MethodName(r.method)) + ":" + r.body);
    });
    router_.Add({Method::kGet}, "/stream", "stream", [](const Request& r) {
      Response response = Response::Text(200, "");
      auto next = std::make_shared<int>(0);
      const int pieces = std::stoi(std::string(r.QueryParam("n")));
      response.stream = [next, pieces](std::string* chunk) {
        if (*next == 3 && pieces == 99) return StreamStep::kFailed;
        if (*next == 1) {
          ++*next;  // an empty piece must not end the body
        } else {
          *chunk = "piece" + std::to_string((*next)++) + ";";
        }
        return *next < pieces ? StreamStep::kMore : StreamStep::kDone;
      };
      return response;
    });
    router_.Add({Method::kGet}, "/slow", "slow", [this](const Request&) {
      slow_started_ = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      return Response::Text(200, "finished");
    });
  }

  void StartServer(HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, &router_, &metrics_);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  HttpMetrics metrics_;
  Router router_{AuthSettings{}, &metrics_};
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::atomic<bool> slow_started_{false};
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  Connection connection(port_);
  ASSERT_TRUE(connection.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(connection.SendRaw(BuildRequest("POST", "/echo", "n" + std::to_string(i))));
    auto reply = connection.ReadReply();
    ASSERT_TRUE(reply.has_value()) << "request " << i;
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "POST:n" + std::to_string(i));
    EXPECT_EQ(reply->Header("access-control-allow-origin"), "*");
  }
}

TEST_F(HttpServerTest, StreamsChunkedBodiesAndKeepsTheConnection) {
  StartServer();
  Connection connection(port_);
  ASSERT_TRUE(connection.SendRaw(BuildRequest("GET", "/stream?n=5")));
  auto reply = connection.ReadReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(reply->chunked);
  EXPECT_EQ(reply->Header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(reply->body, "piece0;piece2;piece3;piece4;");
  EXPECT_EQ(connection.chunks_read(), 4u);
  ASSERT_TRUE(connection.SendRaw(BuildRequest("GET", "/echo")));
  auto next = connection.ReadReply();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "GET:");
}

TEST_F(HttpServerTest, StreamToHttp10IsUnframedAndEndsWithClose) {
  StartServer();
  Connection connection(port_);
  ASSERT_TRUE(connection.SendRaw("GET /stream?n=3 HTTP/1.0\r\n\r\n"));
  auto reply = connection.ReadReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_FALSE(reply->chunked);
  EXPECT_EQ(reply->Header("transfer-encoding"), "");
  EXPECT_EQ(reply->body, "piece0;piece2;");
}

TEST_F(HttpServerTest, HeadOfStreamedRouteHasGetsHeadersAndNoBody) {
  StartServer();
  Connection connection(port_);
  ASSERT_TRUE(connection.SendRaw(BuildRequest("HEAD", "/stream?n=3")));
  auto head = connection.ReadReply(/*head_response=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->Header("transfer-encoding"), "chunked");
  ASSERT_TRUE(connection.SendRaw(BuildRequest("GET", "/echo")));
  auto next = connection.ReadReply();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "GET:") << "no body bytes may follow a HEAD answer";
}

TEST_F(HttpServerTest, HeaderValueBeastRefusesBecomesA500) {
  router_.Add({Method::kGet}, "/huge-header", "huge_header", [](const Request&) {
    Response response = Response::Text(200, "ok");
    response.SetHeader("X-Huge", std::string(70'000, 'h'));
    return response;
  });
  StartServer();
  auto reply = Fetch(port_, "GET", "/huge-header");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 500);
  auto alive = Fetch(port_, "GET", "/echo");
  ASSERT_TRUE(alive.has_value()) << "the server must survive";
  EXPECT_EQ(alive->status, 200);
}

TEST_F(HttpServerTest, FailedStreamClosesWithoutTheLastChunk) {
  StartServer();
  Connection connection(port_);
  ASSERT_TRUE(connection.SendRaw(BuildRequest("GET", "/stream?n=99")));
  EXPECT_FALSE(connection.ReadReply().has_value()) << "an incomplete body must not look complete";
  EXPECT_TRUE(connection.WaitClosed(2000));
}

TEST_F(HttpServerTest, UnknownPathGetsJson404) {
  StartServer();
  auto reply = Fetch(port_, "GET", "/does/not/exist");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(nlohmann::json::parse(reply->body)["errorType"], "not_found");
}

TEST_F(HttpServerTest, OversizedBodyGets413AndServerKeepsServing) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  auto reply = Fetch(port_, "POST", "/echo", std::string(5000, 'x'));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 413);
  const auto body = nlohmann::json::parse(reply->body);
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["error"], "request body exceeds the limit of 1024 bytes");

  auto next = Fetch(port_, "POST", "/echo", std::string(1000, 'y'));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body.size(), 5u + 1000u);
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitIsRefused) {
  HttpServerOptions options;
  options.max_body_bytes = 100;
  StartServer(options);
  Connection connection(port_);
  const std::string chunk(200, 'z');
  ASSERT_TRUE(
      connection.SendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "c8\r\n" +
                         chunk + "\r\n0\r\n\r\n"));
  auto reply = connection.ReadReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 413);
}

TEST_F(HttpServerTest, MalformedRequestsGet400) {
  StartServer();
  for (const std::string& raw : {std::string("\x01\x02 / HTTP/1.1\r\n\r\n"),
                                 std::string("GET / HTTP/1.1\r\nNo colon here\r\n\r\n"),
                                 std::string("GET / HTTP/7\r\n\r\n")}) {
    Connection connection(port_);
    ASSERT_TRUE(connection.SendRaw(raw));
    auto reply = connection.ReadReply();
    ASSERT_TRUE(reply.has_value()) << raw;
    EXPECT_EQ(reply->status, 400) << raw;
    EXPECT_NE(nlohmann::json::parse(reply->body)["error"].get<std::string>().find("malformed"),
              std::string::npos);
    EXPECT_TRUE(connection.WaitClosed(3000));
  }
  auto healthy = Fetch(port_, "GET", "/echo");
  ASSERT_TRUE(healthy.has_value());
  EXPECT_EQ(healthy->status, 200);
}

TEST_F(HttpServerTest, OversizedHeaderGets431) {
  HttpServerOptions options;
  options.max_header_bytes = 2048;
  StartServer(options);
  auto reply = Fetch(port_, "GET", "/echo", "", "X-Big: " + std::string(4096, 'h') + "\r\n");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 431);
}

TEST_F(HttpServerTest, AnswersExpectContinue) {
  StartServer();
  Connection connection(port_);
  ASSERT_TRUE(connection.SendRaw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = connection.ReadReply();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(connection.SendRaw("hello"));
  auto reply = connection.ReadReply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->body, "POST:hello");
}

TEST_F(HttpServerTest, HeadSendsLengthWithoutBody) {
  StartServer();
  Connection connection(port_);
  ASSERT_TRUE(connection.SendRaw(BuildRequest("HEAD", "/echo")));
  auto head = connection.ReadReply(/*head_response=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"), "4");  // the length of "GET:"
  // Had a body followed, it would be read as the start of this next response.
  ASSERT_TRUE(connection.SendRaw(BuildRequest("GET", "/echo")));
  auto next = connection.ReadReply();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "GET:");
}

TEST_F(HttpServerTest, IdleConnectionClosedAfterReadTimeout) {
  HttpServerOptions options;
  options.read_timeout_ms = 300;
  StartServer(options);
  Connection connection(port_);
  ASSERT_TRUE(connection.connected());
  EXPECT_TRUE(connection.WaitClosed(5000));
}

TEST_F(HttpServerTest, GracefulShutdownFinishesInFlightRequest) {
  StartServer();
  Connection busy(port_);
  Connection idle(port_);
  ASSERT_TRUE(idle.SendRaw(BuildRequest("GET", "/echo")));
  ASSERT_TRUE(idle.ReadReply().has_value());
  ASSERT_TRUE(busy.SendRaw(BuildRequest("GET", "/slow")));
  while (!slow_started_) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  std::thread stopper([this] { server_->Shutdown(); });
  auto reply = busy.ReadReply();
  stopper.join();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "finished");
  EXPECT_EQ(reply->Header("connection"), "close");
  EXPECT_TRUE(idle.WaitClosed(2000));
  Connection after(port_);
  EXPECT_FALSE(after.connected());
}

// Handlers run in place on an io thread only while another io thread stays free: with two
// handlers blocked (one in place, one on the worker pool), a third request is still read and
// answered. Were both io threads taken, it would not even be read.
TEST_F(HttpServerTest, HandlersRunInPlaceOnlyWhileAnIoThreadStaysFree) {
  std::atomic<int> blocked{0};
  std::atomic<bool> release{false};
  router_.Add({Method::kGet}, "/block", "block", [&](const Request&) {
    ++blocked;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Response::Text(200, "released");
  });
  HttpServerOptions options;
  options.io_threads = 2;
  options.worker_threads = 2;
  StartServer(options);
  Connection first(port_), second(port_);
  ASSERT_TRUE(first.SendRaw(BuildRequest("GET", "/block")));
  ASSERT_TRUE(second.SendRaw(BuildRequest("GET", "/block")));
  for (int i = 0; i < 2000 && blocked < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(blocked.load(), 2);
  Connection third(port_, /*timeout_ms=*/3000);
  ASSERT_TRUE(third.SendRaw(BuildRequest("GET", "/echo")));
  auto reply = third.ReadReply();
  release = true;
  ASSERT_TRUE(reply.has_value()) << "a third request was not served while two handlers blocked";
  EXPECT_EQ(reply->body, "GET:");
  for (Connection* c : {&first, &second}) {
    auto r = c->ReadReply();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->body, "released");
  }
}

TEST_F(HttpServerTest, TakenPortIsAClearError) {
  StartServer();
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  HttpServer second(options, &router_, nullptr);
  base::Status status = second.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "cannot listen on 127.0.0.1:" + std::to_string(port_) +
                                  ": Address already in use (bind)");
}

}  // namespace
}  // namespace tidemark::web

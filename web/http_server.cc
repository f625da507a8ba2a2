// The Beast side of HttpServer: acceptor, per-connection sessions, conversion between Beast
// messages and web::Request / web::Response.
#include "web/http_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>  // before Asio: GCC 12 + C++20 needs std::exchange declared first
#include <vector>

#include "storage/base/log.h"
#include "web/api_response.h"

namespace tidemark::web {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class Session;

constexpr size_t kInPlaceMaxBodyBytes = 64 << 10;

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, const Router* router, HttpMetrics* metrics)
      : options_(std::move(options)),
        router_(router),
        metrics_(metrics),
        ioc_(std::max(1, options_.io_threads)),
        acceptor_(net::make_strand(ioc_)),
        workers_(static_cast<size_t>(std::max(1, options_.worker_threads))) {}

  base::Status Start();
  void Shutdown();
  uint16_t port() const { return port_; }

  const HttpServerOptions& options() const { return options_; }
  const Router& router() const { return *router_; }
  HttpMetrics* metrics() const { return metrics_; }
  net::thread_pool& workers() { return workers_; }
  bool draining() const { return draining_.load(); }

  // Claims an io thread for running a handler in place; false when that would leave no io
  // thread free to read and write (so always with a single io thread).
  bool TryRunInPlace() {
    const int limit = std::max(1, options_.io_threads) - 1;
    int running = in_place_.load();
    while (running < limit) {
      if (in_place_.compare_exchange_weak(running, running + 1)) return true;
    }
    return false;
  }
  void EndInPlace() { in_place_.fetch_sub(1); }

  // Session bookkeeping, so shutdown can reach every open connection.
  void Register(const std::shared_ptr<Session>& session);
  void Unregister(Session* session);

 private:
  void Accept();

  HttpServerOptions options_;
  const Router* router_;
  HttpMetrics* metrics_;
  // Declared before the io_context: handlers still queued there own sessions whose destructors
  // unregister here, so these must be destroyed after it.
  std::mutex sessions_mu_;
  std::condition_variable sessions_cv_;
  std::list<std::weak_ptr<Session>> sessions_;
  net::io_context ioc_;
  // Keeps the io threads alive while a handler runs on the worker pool with no socket operation
  // pending; released when shutdown has drained every connection.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_guard_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_backoff_{acceptor_.get_executor()};
  net::thread_pool workers_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_place_{0};  // handlers running on io threads
  bool started_ = false;
  bool stopped_ = false;
};

// One connection. Every member runs on the connection's strand (the stream's executor), except
// the handler itself, which runs on the worker pool and posts its answer back to the strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
    if (server_->metrics()) server_->metrics()->ConnectionOpened();
  }
  ~Session() {
    if (server_->metrics()) server_->metrics()->ConnectionClosed();
    server_->Unregister(this);
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->server_->draining()) return self->Close();
      self->ReadHeader();
    });
  }

  // Shutdown: an idle connection closes now, a busy one after its response is written.
  void CloseIfIdle() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(server_->options().max_body_bytes);
    parser_->header_limit(server_->options().max_header_bytes);
    stream_.expires_after(std::chrono::milliseconds(server_->options().read_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    busy_ = true;
    const auto& header = parser_->get();
    const auto expect = header[http::field::expect];
    if (beast::iequals(expect, "100-continue") && !parser_->is_done()) {
      // Clients such as curl wait for this before sending a large body.
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                        header.version());
      http::async_write(stream_, *interim,
                        [self = shared_from_this(), interim](beast::error_code wec, size_t) {
                          if (wec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    // Beast reads at most the buffer's free capacity per call (512 bytes after a small header),
    // so a megabyte write body took thousands of recvmsg calls, each with a timer and a strand
    // hop. A large body is read in kBodyReadBytes pieces instead.
    const auto length = parser_->content_length();
    if (length && *length > kBodyReadBytes) buffer_.reserve(kBodyReadBytes);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    buffer_.shrink_to_fit();  // an idle connection keeps no read buffer of a past large body
    auto message = parser_->release();
    Request request = Request::Make(ParseMethod(std::string_view(message.method_string())),
                                    std::string_view(message.target()), std::move(message.body()));
    for (const auto& field : message) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.remote = remote_;
    Dispatch(std::move(request), message.keep_alive(), message.version());
  }

  void Dispatch(Request request, bool keep_alive, unsigned version) {
    // A small request runs right here on the io thread while another io thread stays free: the
    // hops to the worker pool and back were ~0.15 ms of a 0.4 ms dashboard query. Large bodies
    // (bulk writes) and requests arriving while the other io threads are busy in a handler go to
    // the worker pool, so a slow handler never holds up every connection.
    if (request.body.size() <= kInPlaceMaxBodyBytes && server_->TryRunInPlace()) {
      const bool head = request.method == Method::kHead;
      Response response;
      {
        struct EndInPlace {
          HttpServer::Impl* server;
          ~EndInPlace() { server->EndInPlace(); }
        } end{server_};
        response = server_->router().Dispatch(request);
      }
      return Write(std::move(response), keep_alive, version, head);
    }
    net::post(server_->workers(), [self = shared_from_this(), request = std::move(request),
                                   keep_alive, version]() mutable {
      const bool head = request.method == Method::kHead;
      Response response = self->server_->router().Dispatch(request);
      net::post(self->stream_.get_executor(),
                [self, response = std::move(response), keep_alive, version, head]() mutable {
                  self->Write(std::move(response), keep_alive, version, head);
                });
    });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Reject(413, "bad_data",
                    "request body exceeds the limit of " +
                        std::to_string(server_->options().max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return Reject(431, "bad_data", "request header fields too large");
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Reject(400, "bad_data", "malformed HTTP request: " + ec.message());
    }
    // Peer closed, timed out, or shutdown cancelled the read: nothing to answer.
    Close();
  }

  void Reject(int status, std::string error_type, std::string message) {
    TM_LOG(kDebug) << "rejecting request from " << remote_ << ": " << message;
    if (server_->metrics()) server_->metrics()->ObserveRequest("invalid_request", status, 0);
    busy_ = true;
    Write(ApiErrorWithStatus(status, error_type, message), /*keep_alive=*/false, 11, false);
  }

  // Header first, then one piece per producer call (each produced on the worker pool), then the
  // end of the body. HTTP/1.1 gets chunked framing; HTTP/1.0 has no chunked encoding, so the
  // pieces go unframed and closing the connection ends the body. HEAD gets the header alone.
  void WriteStreamed(Response response, bool keep_alive, unsigned version, bool head) {
    const bool framed = version >= 11;
    auto header = std::make_shared<http::response<http::empty_body>>();
    header->result(static_cast<unsigned>(response.status));
    header->version(version);
    header->set(http::field::server, "Tidemark");
    for (auto& [name, value] : response.headers) header->set(name, value);
    header->keep_alive(framed && keep_alive && !server_->draining());
    if (framed) header->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
    auto producer = std::make_shared<BodyStream>(std::move(response.stream));
    const bool keep = header->keep_alive();
    stream_.expires_after(std::chrono::milliseconds(server_->options().write_timeout_ms));
    http::async_write_header(stream_, *serializer,
                             [self = shared_from_this(), header, serializer, producer, keep, framed,
                              head](beast::error_code ec, size_t) {
                               if (ec || head) return self->OnWrite(ec, keep);
                               self->ProduceChunk(producer, keep, framed);
                             });
  }

  void ProduceChunk(std::shared_ptr<BodyStream> producer, bool keep_alive, bool framed) {
    net::post(server_->workers(), [self = shared_from_this(), producer, keep_alive, framed] {
      auto chunk = std::make_shared<std::string>();
      const StreamStep step = (*producer)(chunk.get());
      if (step == StreamStep::kFailed) {
        // Closing without the end of the body tells the client the body is incomplete.
        return net::post(self->stream_.get_executor(), [self] { self->Close(); });
      }
      const bool more = step == StreamStep::kMore;
      net::post(self->stream_.get_executor(), [self, producer, chunk, more, keep_alive, framed] {
        self->WriteChunk(producer, chunk, more, keep_alive, framed);
      });
    });
  }

  void WriteChunk(std::shared_ptr<BodyStream> producer, std::shared_ptr<std::string> chunk,
                  bool more, bool keep_alive, bool framed) {
    stream_.expires_after(std::chrono::milliseconds(server_->options().write_timeout_ms));
    auto after = [self = shared_from_this(), producer, more, keep_alive, framed](
                     beast::error_code ec, size_t) {
      if (ec) return self->OnWrite(ec, false);
      if (more) return self->ProduceChunk(producer, keep_alive, framed);
      self->EndStream(keep_alive, framed);
    };
    if (chunk->empty()) return after({}, 0);  // an empty chunk would read as the end of the body
    if (framed) {
      net::async_write(stream_, http::make_chunk(net::buffer(*chunk)),
                       [chunk, after](beast::error_code ec, size_t n) { after(ec, n); });
    } else {
      net::async_write(stream_, net::buffer(*chunk),
                       [chunk, after](beast::error_code ec, size_t n) { after(ec, n); });
    }
  }

  void EndStream(bool keep_alive, bool framed) {
    if (!framed) return OnWrite({}, false);  // closing the connection ends an HTTP/1.0 body
    net::async_write(stream_, http::make_chunk_last(),
                     [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                       self->OnWrite(ec, keep_alive);
                     });
  }

  // Beast refuses some header values (e.g. over 64 KiB) by throwing; nothing may escape an Asio
  // handler, so such a response is replaced by a plain 500.
  void Write(Response response, bool keep_alive, unsigned version, bool head) {
    try {
      WriteUnchecked(std::move(response), keep_alive, version, head);
    } catch (const std::exception& e) {
      TM_LOG(kError) << "cannot send response to " << remote_ << ": " << e.what();
      WriteUnchecked(ApiErrorWithStatus(500, "internal", "response could not be encoded"),
                     /*keep_alive=*/false, version, head);
    }
  }

  void WriteUnchecked(Response response, bool keep_alive, unsigned version, bool head) {
    if (response.stream) return WriteStreamed(std::move(response), keep_alive, version, head);
    auto message = std::make_shared<http::response<http::string_body>>();
    message->result(static_cast<unsigned>(response.status));
    message->version(version);
    message->set(http::field::server, "Tidemark");
    for (auto& [name, value] : response.headers) message->set(name, value);
    const size_t body_size = response.body.size();
    if (!head) message->body() = std::move(response.body);
    message->keep_alive(keep_alive && !server_->draining());
    if (head) {
      message->content_length(body_size);
    } else {
      message->prepare_payload();
    }
    stream_.expires_after(std::chrono::milliseconds(server_->options().write_timeout_ms));
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message](beast::error_code ec, size_t) {
                        self->OnWrite(ec, message->keep_alive());
                      });
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    busy_ = false;
    if (ec) return Close();
    if (!keep_alive || server_->draining()) return Linger();
    ReadHeader();
  }

  // Half-closes and discards what the client still sends for a moment, so the response is not
  // lost to a reset when we close with unread request bytes (e.g. an oversized body).
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    Drain();
  }

  void Drain() {
    auto scratch = std::make_shared<std::array<char, 16384>>();
    stream_.async_read_some(net::buffer(*scratch),
                            [self = shared_from_this(), scratch](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  // Beast caps one read at 64 KiB whatever the buffer holds.
  static constexpr size_t kBodyReadBytes = 64 << 10;

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpServer::Impl* server_;
  std::string remote_;
  bool busy_ = false;
};

base::Status HttpServer::Impl::Start() {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  beast::error_code ec;
  const auto address = net::ip::make_address(options_.host, ec);
  if (ec) return base::Status::InvalidArgument("cannot listen on " + where + ": invalid address");
  const tcp::endpoint endpoint(address, options_.port);
  auto fail = [&](const char* step) {
    return base::Status::Unavailable("cannot listen on " + where + ": " + ec.message() + " (" +
                                     step + ")");
  };
  if (acceptor_.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) return fail("option");
  if (acceptor_.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) return fail("listen");
  port_ = acceptor_.local_endpoint().port();
  started_ = true;
  work_guard_.emplace(ioc_.get_executor());
  Accept();
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
  return base::Status::Ok();
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      auto session = std::make_shared<Session>(std::move(socket), this);
      Register(session);
      session->Start();
    } else {
      // Typically out of file descriptors: wait a moment instead of spinning on the error.
      TM_LOG(kWarn) << "accept failed: " << ec.message();
      accept_backoff_.expires_after(std::chrono::milliseconds(100));
      accept_backoff_.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && acceptor_.is_open()) Accept();
      });
      return;
    }
    Accept();
  });
}

void HttpServer::Impl::Register(const std::shared_ptr<Session>& session) {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  sessions_.push_back(session);
}

void HttpServer::Impl::Unregister(Session* session) {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  // The session being destroyed is already expired. Never lock() here: owning another session,
  // even briefly, could make its destructor run inside this lock and re-enter it.
  sessions_.remove_if([](const std::weak_ptr<Session>& weak) { return weak.expired(); });
  sessions_cv_.notify_all();
}

void HttpServer::Impl::Shutdown() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  draining_ = true;
  net::dispatch(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_backoff_.cancel();
  });
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (auto& weak : sessions_) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  for (auto& session : open) session->CloseIfIdle();
  open.clear();
  {
    std::unique_lock<std::mutex> lock(sessions_mu_);
    const bool drained = sessions_cv_.wait_for(
        lock, std::chrono::milliseconds(options_.shutdown_timeout_ms), [this] {
          return std::all_of(sessions_.begin(), sessions_.end(),
                             [](const std::weak_ptr<Session>& w) { return w.expired(); });
        });
    if (!drained) {
      TM_LOG(kWarn) << "shutdown timeout reached; closing remaining connections";
    }
  }
  work_guard_.reset();
  ioc_.stop();
  for (auto& thread : threads_) thread.join();
  workers_.join();
}

HttpServer::HttpServer(HttpServerOptions options, const Router* router, HttpMetrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

HttpServer::~HttpServer() { Shutdown(); }

base::Status HttpServer::Start() { return impl_->Start(); }

uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::Shutdown() { impl_->Shutdown(); }

}  // namespace tidemark::web

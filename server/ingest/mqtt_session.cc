// MqttSource's connection handling and network loop (the class is declared in mqtt_source.h):
// connecting and reconnecting with backoff and jitter, and the read → sync → acknowledge cycle
// that makes an acknowledged message a durable one.
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "server/ingest/mqtt_source.h"
#include "storage/base/log.h"

namespace tidemark::server::ingest {
namespace {

// Messages read in one burst before their sync and acknowledgements, at most.
constexpr int kMaxBurst = 4096;
constexpr int kPollMs = 100;  // also how quickly Stop() is noticed

bool Readable(int socket) {
  pollfd p{socket, POLLIN, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

std::string ErrorText(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  return mosquitto_strerror(rc);
}

}  // namespace

void MqttSource::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void MqttSource::RequestStop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
}

void MqttSource::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
  connected_ = false;
}

// One blocking connection attempt. Blocking is fine: this is the source's own thread.
int MqttSource::ConnectOnce() {
  const MqttSourceOptions& o = options_;
  if (o.protocol_version != 5 || o.clean_session) {
    return mosquitto_connect(client_, o.broker.host.c_str(), o.broker.port, o.keepalive_s);
  }
  // Without a session expiry an MQTT 5 broker drops the session on disconnect. The property is
  // kept by the client and sent again by mosquitto_reconnect.
  mosquitto_property* properties = nullptr;
  mosquitto_property_add_int32(&properties, MQTT_PROP_SESSION_EXPIRY_INTERVAL, UINT32_MAX);
  const int rc = mosquitto_connect_bind_v5(client_, o.broker.host.c_str(), o.broker.port,
                                           o.keepalive_s, nullptr, properties);
  mosquitto_property_free_all(&properties);
  return rc;
}

void MqttSource::WaitBeforeRetry(int64_t* delay_ms) {
  thread_local std::mt19937 random{std::random_device{}()};
  const int64_t jitter = std::uniform_int_distribution<int64_t>(0, *delay_ms / 2)(random);
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait_for(lock, std::chrono::milliseconds(*delay_ms + jitter),
                    [this] { return stopping_.load(); });
  *delay_ms = std::min(*delay_ms * 2, int64_t{options_.reconnect_max_delay_s} * 1000);
}

void MqttSource::Run() {
  const MqttSourceOptions& o = options_;
  const int64_t min_delay_ms = int64_t{o.reconnect_min_delay_s} * 1000;
  int64_t delay_ms = min_delay_ms;
  bool ever_connected = false;
  for (int attempt = 1; !stopping_; ++attempt) {
    const int rc = ever_connected ? mosquitto_reconnect(client_) : ConnectOnce();
    if (rc != MOSQ_ERR_SUCCESS) {
      if (attempt == 1 || attempt % 10 == 0) {
        TM_LOG(kWarn) << "mqtt " << o.name << ": cannot connect to " << o.broker.host << ":"
                      << o.broker.port << " (" << ErrorText(rc) << "), attempt " << attempt
                      << "; retrying";
      }
      WaitBeforeRetry(&delay_ms);
      continue;
    }
    ever_connected = true;
    acks_unsafe_ = false;  // connecting dropped whatever was queued before
    const bool was_up = ServeConnection();
    connected_ = false;
    if (stopping_) break;
    ++disconnects_;
    TM_LOG(kWarn) << "mqtt " << o.name << ": connection lost; reconnecting";
    if (was_up) {
      delay_ms = min_delay_ms;
      attempt = 0;
    }
    WaitBeforeRetry(&delay_ms);
  }
  if (acks_unsafe_) return;  // the socket closes with the client, nothing more is sent
  mosquitto_disconnect(client_);
  mosquitto_loop_write(client_, 1);  // best effort: the broker also copes with a dropped socket
}

// Serves one connection until it breaks or Stop() is called. Returns whether the session came
// up (a CONNACK was accepted), which resets the reconnect backoff.
bool MqttSource::ServeConnection() {
  const uint64_t connects_before = connects_;
  const int socket = mosquitto_socket(client_);
  while (!stopping_) {
    pollfd p{socket, POLLIN, 0};
    if (mosquitto_want_write(client_)) p.events |= POLLOUT;
    if (poll(&p, 1, kPollMs) < 0 && errno != EINTR) break;
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !ReadBurst(socket)) break;
    if (acks_unsafe_) break;  // a message was given up on: its acknowledgement must stay unsent
    if (mosquitto_want_write(client_) && mosquitto_loop_write(client_, 1) != MOSQ_ERR_SUCCESS) {
      break;
    }
    if (mosquitto_loop_misc(client_) != MOSQ_ERR_SUCCESS) break;
  }
  return connects_ > connects_before;
}

// Reads every message that is ready (TLS may hold decrypted bytes the socket no longer shows, so
// a read that delivered a message is followed by another), then syncs them all at once. False
// when the connection broke or the sync failed; the queued acknowledgements are then never sent.
bool MqttSource::ReadBurst(int socket) {
  for (int i = 0; i < kMaxBurst; ++i) {
    const uint64_t before = messages_;
    if (mosquitto_loop_read(client_, 1) != MOSQ_ERR_SUCCESS) {
      SyncDeferred();  // what was written stays written; the broker redelivers unacknowledged
      return false;
    }
    if (messages_ == before && !Readable(socket)) break;
  }
  return SyncDeferred();
}

bool MqttSource::SyncDeferred() {
  if (!unsynced_) return true;
  unsynced_ = false;
  base::Status status = sink_->Sync();
  if (status.ok()) return true;
  TM_LOG(kError) << "mqtt " << options_.name
                 << ": WAL sync failed, reconnecting without acknowledging: " << status.message();
  acks_unsafe_ = true;  // until the reconnect drops the queued acknowledgements
  return false;
}

}  // namespace tidemark::server::ingest

// MqttSource: one MQTT subscription (libmosquitto client session) feeding the store.
//
// Delivery: the PUBACK of a QoS 1 message is only written once the message is in the WAL and,
// under wal_sync: every_batch, fsynced. The source runs its own network loop over libmosquitto
// (threaded mode, so acknowledgements queue instead of being written at once): it reads every
// message that is ready, appends each from the message callback without an fsync, syncs the WAL
// once for the burst, and only then writes the queued acknowledgements. An acknowledged message
// is therefore a durable one (as the sync policy defines it), at the cost of one fsync per burst
// rather than per message. A process crash loses nothing the broker was told we have. If the sync
// fails the connection is dropped without acknowledging, and the broker delivers again. While the
// store pushes back (head full) the callback waits and retries, which stops reading from the
// socket and lets the broker queue. QoS 2 is acknowledged (PUBREC) by libmosquitto before the
// callback runs, so the config refuses it; QoS 1 gives at-least-once end to end.
//
// Session: a stable client id with clean_session off (MQTT 5: clean start off and a session that
// never expires) makes the broker queue QoS 1/2 messages while Tidemark restarts. A broker that
// is down, at start or later, is retried with exponential backoff between the configured delays
// plus up to 50% random jitter, so a fleet of clients does not return in step.
//
// Threads: Start() returns at once; connecting, reading and the callbacks all run on the
// source's own thread. Stats() is thread-safe; Start and Stop are called from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/ingest/decode.h"
#include "server/ingest/payload.h"
#include "server/ingest/sink.h"
#include "server/ingest/topic_template.h"
#include "storage/base/clock.h"
#include "storage/base/status.h"

struct mosquitto;
struct mosquitto_message;
typedef struct mqtt5__property mosquitto_property;

namespace tidemark::server::ingest {

struct BrokerAddress {
  std::string host;
  int port = 1883;
  bool tls = false;
};

// "mqtt://host[:port]", "tcp://…", "mqtts://host[:port]", "ssl://…"; IPv6 hosts in brackets.
base::Result<BrokerAddress> ParseBrokerAddress(std::string_view url);

struct MqttSourceOptions {
  std::string name;  // for logs, metrics and dead letters
  BrokerAddress broker;
  std::string topic;
  int qos = 1;
  PayloadSpec payload;
  TopicTemplate topic_template;
  std::string client_id;
  bool clean_session = false;
  int protocol_version = 4;  // 4: MQTT 3.1.1, 5: MQTT 5
  int keepalive_s = 30;
  int reconnect_min_delay_s = 1;
  int reconnect_max_delay_s = 30;
  std::string username;
  std::string password;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  bool tls_insecure = false;
  DecodeLimits limits;
  int64_t store_retry_ms = 200;  // wait between appends the store refused
};

struct MqttSourceStats {
  uint64_t messages = 0;
  uint64_t bytes = 0;
  uint64_t samples = 0;
  uint64_t decode_errors = 0;  // messages with at least one rejected line or record
  uint64_t store_retries = 0;  // appends retried after the store pushed back
  uint64_t connects = 0;       // successful CONNACKs
  uint64_t disconnects = 0;    // unexpected connection losses
  bool connected = false;
};

class MqttSource {
 public:
  // `sink` and `clock` must outlive the source. Fails on options libmosquitto refuses (TLS files).
  static base::Result<std::unique_ptr<MqttSource>> Create(MqttSourceOptions options,
                                                          IngestSink* sink, base::Clock* clock);
  ~MqttSource();
  MqttSource(const MqttSource&) = delete;
  MqttSource& operator=(const MqttSource&) = delete;

  // Starts connecting in the background; a broker that is down is retried forever.
  void Start();
  // Disconnects and joins the threads. Idempotent.
  void Stop();
  // Tells the network thread to finish without waiting for it; Stop() then joins. Lets several
  // sources wind down at once.
  void RequestStop();

  const std::string& name() const { return options_.name; }
  MqttSourceStats Stats() const;

 private:
  MqttSource(MqttSourceOptions options, IngestSink* sink, base::Clock* clock);
  base::Status Configure();
  void Run();
  int ConnectOnce();
  bool ServeConnection();
  bool ReadBurst(int socket);
  bool SyncDeferred();
  void WaitBeforeRetry(int64_t* delay_ms);
  void OnConnect(int rc);
  void OnDisconnect(int rc);
  void OnMessage(const mosquitto_message* message);
  void Store(const std::string& topic, std::string_view payload, const DecodeOutput& decoded,
             int64_t now);
  static void ConnectV5Thunk(mosquitto*, void* self, int rc, int flags, const mosquitto_property*);
  static void DisconnectThunk(mosquitto*, void* self, int rc);
  static void MessageThunk(mosquitto*, void* self, const mosquitto_message* message);

  const MqttSourceOptions options_;
  IngestSink* const sink_;
  base::Clock* const clock_;
  mosquitto* client_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;  // with stop_cv_: wakes the network thread's wait between attempts
  std::condition_variable stop_cv_;
  bool unsynced_ = false;  // appends since the last WAL sync (network thread only)
  // A message was given up on or a sync failed: the queued acknowledgements must never be sent,
  // so the session ends without a DISCONNECT flush (network thread only).
  bool acks_unsafe_ = false;

  std::atomic<uint64_t> messages_{0}, bytes_{0}, samples_{0}, decode_errors_{0}, store_retries_{0},
      connects_{0}, disconnects_{0};
  std::atomic<bool> connected_{false};
};

}  // namespace tidemark::server::ingest

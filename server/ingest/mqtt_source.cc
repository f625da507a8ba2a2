#include "server/ingest/mqtt_source.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <charconv>
#include <cstring>
#include <mutex>

#include "storage/base/log.h"

namespace tidemark::server::ingest {
namespace {

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string MosquittoError(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  return mosquitto_strerror(rc);
}

}  // namespace

base::Result<BrokerAddress> ParseBrokerAddress(std::string_view url) {
  BrokerAddress address;
  std::string_view rest;
  for (auto [scheme, tls] : {std::pair{"mqtt://", false}, std::pair{"tcp://", false},
                             std::pair{"mqtts://", true}, std::pair{"ssl://", true}}) {
    if (url.rfind(scheme, 0) == 0) {
      rest = url.substr(std::string_view(scheme).size());
      address.tls = tls;
      address.port = tls ? 8883 : 1883;
      break;
    }
  }
  const auto bad = [&](const std::string& why) {
    return base::Status::InvalidArgument("invalid broker URL \"" + std::string(url) + "\": " + why);
  };
  if (rest.empty()) return bad("expected mqtt://host[:port] or mqtts://host[:port]");
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    rest = rest.substr(0, slash);
  }
  std::string_view port_text;
  if (rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("unclosed [");
    address.host = std::string(rest.substr(1, close - 1));
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return bad("expected :port after ]");
      port_text = rest.substr(close + 2);
    }
  } else {
    const size_t colon = rest.rfind(':');
    address.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (address.host.empty()) return bad("no host");
  if (!port_text.empty()) {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return bad("port must be a number from 1 to 65535");
    }
    address.port = port;
  }
  return address;
}

MqttSource::MqttSource(MqttSourceOptions options, IngestSink* sink, base::Clock* clock)
    : options_(std::move(options)), sink_(sink), clock_(clock) {}

base::Result<std::unique_ptr<MqttSource>> MqttSource::Create(MqttSourceOptions options,
                                                             IngestSink* sink, base::Clock* clock) {
  InitLibraryOnce();
  std::unique_ptr<MqttSource> source(new MqttSource(std::move(options), sink, clock));
  TM_RETURN_IF_ERROR(source->Configure());
  return source;
}

MqttSource::~MqttSource() {
  Stop();
  if (client_ != nullptr) mosquitto_destroy(client_);
}

base::Status MqttSource::Configure() {
  const MqttSourceOptions& o = options_;
  const std::string client_id = o.client_id.empty() ? "tidemark-" + o.name : o.client_id;
  client_ = mosquitto_new(client_id.c_str(), o.clean_session, this);
  if (client_ == nullptr) {
    return base::Status::InvalidArgument("mqtt " + o.name +
                                         ": cannot create client: " + std::strerror(errno));
  }
  const auto check = [&](int rc, const std::string& what) {
    if (rc == MOSQ_ERR_SUCCESS) return base::Status::Ok();
    return base::Status::InvalidArgument("mqtt " + o.name + ": " + what + ": " +
                                         MosquittoError(rc));
  };
  TM_RETURN_IF_ERROR(
      check(mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION,
                                 o.protocol_version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311),
            "protocol version"));
  if (!o.username.empty()) {
    TM_RETURN_IF_ERROR(
        check(mosquitto_username_pw_set(client_, o.username.c_str(),
                                        o.password.empty() ? nullptr : o.password.c_str()),
              "username"));
  }
  if (o.broker.tls) {
    const auto optional = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    // With no CA file, trust the system's CA directory.
    TM_RETURN_IF_ERROR(
        check(mosquitto_tls_set(client_, optional(o.tls_ca_file),
                                o.tls_ca_file.empty() ? "/etc/ssl/certs" : nullptr,
                                optional(o.tls_cert_file), optional(o.tls_key_file), nullptr),
              "TLS settings"));
    TM_RETURN_IF_ERROR(check(mosquitto_tls_insecure_set(client_, o.tls_insecure), "TLS"));
  }
  // Acknowledgements wait in libmosquitto's queue until our network loop writes them, after the
  // WAL sync (see ServeConnection).
  mosquitto_threaded_set(client_, true);
  mosquitto_connect_v5_callback_set(client_, &MqttSource::ConnectV5Thunk);
  mosquitto_disconnect_callback_set(client_, &MqttSource::DisconnectThunk);
  mosquitto_message_callback_set(client_, &MqttSource::MessageThunk);
  return base::Status::Ok();
}

void MqttSource::OnConnect(int rc) {
  if (rc != 0) {
    TM_LOG(kWarn) << "mqtt " << options_.name
                  << ": broker refused the connection: " << mosquitto_connack_string(rc);
    return;
  }
  connected_ = true;
  ++connects_;
  // Subscribing again on a resumed session is harmless and covers a broker that lost it.
  const int sub = mosquitto_subscribe(client_, nullptr, options_.topic.c_str(), options_.qos);
  if (sub != MOSQ_ERR_SUCCESS) {
    TM_LOG(kError) << "mqtt " << options_.name << ": cannot subscribe to " << options_.topic << ": "
                   << MosquittoError(sub);
    return;
  }
  TM_LOG(kInfo) << "mqtt " << options_.name << ": connected to " << options_.broker.host << ":"
                << options_.broker.port << ", subscribed to " << options_.topic;
}

void MqttSource::OnDisconnect(int rc) { connected_ = false; }

void MqttSource::OnMessage(const mosquitto_message* message) {
  const int64_t now = clock_->NowMillis();
  const std::string topic = message->topic != nullptr ? message->topic : "";
  const std::string_view payload(static_cast<const char*>(message->payload),
                                 static_cast<size_t>(message->payloadlen));
  ++messages_;
  bytes_ += payload.size();
  DecodeOutput decoded;
  TransportContext transport;
  if (!options_.topic_template.Match(topic, &transport.labels, &transport.metric)) {
    decoded.Reject(0, "topic_mismatch",
                   "topic \"" + topic + "\" does not have the shape of the topic template",
                   payload);
  } else {
    DecodePayload(options_.payload, payload, transport, now, options_.limits, &decoded);
  }
  if (decoded.rejected_total > 0) ++decode_errors_;
  Store(topic, payload, decoded, now);
}

// Returns only once the batch is in the WAL (or we are stopping, and then the acknowledgement is
// withheld); the network loop syncs it before the acknowledgement goes out.
void MqttSource::Store(const std::string& topic, std::string_view payload,
                       const DecodeOutput& decoded, int64_t now) {
  while (true) {
    storage::AppendReport report;
    base::Status status = sink_->Write("mqtt", topic, now, decoded, &report, /*defer_sync=*/true);
    if (status.ok()) {
      samples_ += report.accepted;
      unsynced_ = true;
      return;
    }
    if (stopping_) {
      // The acknowledgement goes out when we return; keep the payload's account where an
      // operator will find it rather than drop it silently.
      TM_LOG(kError) << "mqtt " << options_.name << ": stopping with a message not stored ("
                     << status.message() << ")";
      sink_->Reject("mqtt", topic, now,
                    {0, "not_stored_at_shutdown", "store unavailable: " + status.message(),
                     std::string(payload.substr(0, kMaxRawBytes))});
      acks_unsafe_ = true;  // not acknowledged: the broker keeps it for the next start
      return;
    }
    if (status.code() != base::StatusCode::kResourceExhausted) {
      TM_LOG(kError) << "mqtt " << options_.name
                     << ": store failed, retrying: " << status.message();
    }
    ++store_retries_;
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.store_retry_ms));
  }
}

MqttSourceStats MqttSource::Stats() const {
  MqttSourceStats s;
  s.messages = messages_;
  s.bytes = bytes_;
  s.samples = samples_;
  s.decode_errors = decode_errors_;
  s.store_retries = store_retries_;
  s.connects = connects_;
  s.disconnects = disconnects_;
  s.connected = connected_;
  return s;
}

// Nothing may throw through libmosquitto's C frames.
void MqttSource::ConnectV5Thunk(mosquitto*, void* self, int rc, int, const mosquitto_property*) {
  try {
    static_cast<MqttSource*>(self)->OnConnect(rc);
  } catch (...) {
    TM_LOG(kError) << "mqtt: connect handler failed";
  }
}

void MqttSource::DisconnectThunk(mosquitto*, void* self, int rc) {
  static_cast<MqttSource*>(self)->OnDisconnect(rc);  // only stores a flag
}

// Nothing may throw through libmosquitto's C frames.
void MqttSource::MessageThunk(mosquitto*, void* self, const mosquitto_message* message) {
  try {
    static_cast<MqttSource*>(self)->OnMessage(message);
  } catch (const std::exception& e) {
    TM_LOG(kError) << "mqtt: message handler failed: " << e.what();
  } catch (...) {
    TM_LOG(kError) << "mqtt: message handler failed";
  }
}

}  // namespace tidemark::server::ingest

// MqttNotifier: alerts published with libmosquitto, so an alert can drive an actuator directly.
#include <mosquitto.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <set>

#include "server/alerting/notifier.h"

namespace tidemark::server::alerting {

using base::Result;
using base::Status;

namespace {

struct BrokerAddress {
  std::string host;
  int port = 1883;
};

Result<BrokerAddress> ParseBroker(const std::string& broker) {
  std::string rest = broker;
  if (rest.rfind("mqtt://", 0) == 0) rest = rest.substr(7);
  if (rest.rfind("tcp://", 0) == 0) rest = rest.substr(6);
  if (rest.find("://") != std::string::npos) {
    return Status::InvalidArgument("unsupported MQTT broker scheme (use mqtt://): " + broker);
  }
  BrokerAddress out;
  const size_t colon = rest.rfind(':');
  out.host = rest.substr(0, colon);
  if (colon != std::string::npos) out.port = std::atoi(rest.c_str() + colon + 1);
  if (out.host.empty() || out.port <= 0 || out.port > 65535) {
    return Status::InvalidArgument("bad MQTT broker address: " + broker);
  }
  return out;
}

}  // namespace

// The libmosquitto handle and the acknowledgements it reports from its network thread.
struct MqttNotifier::Client {
  BrokerAddress address;
  mosquitto* mosq = nullptr;
  bool loop_started = false;
  std::mutex mu;
  std::condition_variable acked;
  std::set<int> pending;  // message ids published and not yet acknowledged
  bool connected = false;

  static void OnConnect(mosquitto*, void* self, int rc) {
    auto* c = static_cast<Client*>(self);
    std::lock_guard lock(c->mu);
    c->connected = rc == 0;
    c->acked.notify_all();
  }
  static void OnDisconnect(mosquitto*, void* self, int) {
    auto* c = static_cast<Client*>(self);
    std::lock_guard lock(c->mu);
    c->connected = false;
    c->acked.notify_all();
  }
  static void OnPublish(mosquitto*, void* self, int mid) {
    auto* c = static_cast<Client*>(self);
    std::lock_guard lock(c->mu);
    c->pending.erase(mid);
    c->acked.notify_all();
  }

  ~Client() {
    if (mosq == nullptr) return;
    mosquitto_disconnect(mosq);
    if (loop_started) mosquitto_loop_stop(mosq, true);
    mosquitto_destroy(mosq);
  }

  // Connects once; later, libmosquitto's loop thread reconnects by itself.
  Status EnsureConnected(int64_t timeout_ms) {
    if (!loop_started) {
      if (int rc = mosquitto_connect_async(mosq, address.host.c_str(), address.port, 30);
          rc != MOSQ_ERR_SUCCESS) {
        return Status::Unavailable("MQTT connect to " + address.host + ": " +
                                   mosquitto_strerror(rc));
      }
      if (mosquitto_loop_start(mosq) != MOSQ_ERR_SUCCESS) {
        return Status::Internal("cannot start the MQTT network thread");
      }
      loop_started = true;
    }
    std::unique_lock lock(mu);
    if (!acked.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return connected; })) {
      return Status::Unavailable("not connected to MQTT broker " + address.host + ":" +
                                 std::to_string(address.port));
    }
    return Status::Ok();
  }
};

Result<std::unique_ptr<MqttNotifier>> MqttNotifier::Create(MqttNotifierConfig config,
                                                           NotifierOptions options) {
  auto address = ParseBroker(config.broker);
  if (!address.ok()) return address.status();
  auto topic = Template::Parse(config.topic);
  if (!topic.ok())
    return Status::InvalidArgument("MQTT notifier topic: " + topic.status().message());
  if (config.topic.empty()) return Status::InvalidArgument("MQTT notifier needs a topic");
  static std::once_flag init;
  std::call_once(init, [] { mosquitto_lib_init(); });
  if (config.client_id.empty()) config.client_id = "tidemark-alerts-" + std::to_string(::getpid());
  std::unique_ptr<MqttNotifier> notifier(
      new MqttNotifier(std::move(config), std::move(topic).value(), options));
  auto client = std::make_unique<Client>();
  client->address = *address;
  client->mosq = mosquitto_new(notifier->config_.client_id.c_str(), true, client.get());
  if (client->mosq == nullptr) return Status::Internal("cannot create an MQTT client");
  mosquitto_connect_callback_set(client->mosq, Client::OnConnect);
  mosquitto_disconnect_callback_set(client->mosq, Client::OnDisconnect);
  mosquitto_publish_callback_set(client->mosq, Client::OnPublish);
  mosquitto_reconnect_delay_set(client->mosq, 1, 30, true);
  const MqttNotifierConfig& c = notifier->config_;
  if (!c.username.empty() &&
      mosquitto_username_pw_set(client->mosq, c.username.c_str(),
                                c.password.empty() ? nullptr : c.password.c_str()) !=
          MOSQ_ERR_SUCCESS) {
    return Status::Internal("cannot set MQTT credentials");
  }
  notifier->client_ = std::move(client);
  return notifier;
}

MqttNotifier::MqttNotifier(MqttNotifierConfig config, Template topic, NotifierOptions options)
    : Notifier("mqtt", config.broker + " " + config.topic, options),
      config_(std::move(config)),
      topic_(std::move(topic)) {}

MqttNotifier::~MqttNotifier() {
  Stop();
  client_.reset();
}

Status MqttNotifier::Deliver(const std::vector<Notification>& batch) {
  TM_RETURN_IF_ERROR(client_->EnsureConnected(options().timeout_ms));
  std::set<int> mids;
  for (const Notification& n : batch) {
    StringMap labels;
    for (const storage::Label& l : n.labels) labels[l.name] = l.value;
    const std::string topic = topic_.Expand({&labels, nullptr, "", 0});
    const std::string payload = NotificationJson(n, true);
    int mid = 0;
    std::lock_guard lock(client_->mu);  // so OnPublish cannot run before mid is pending
    const int rc =
        mosquitto_publish(client_->mosq, &mid, topic.c_str(), static_cast<int>(payload.size()),
                          payload.data(), config_.qos, config_.retain);
    if (rc != MOSQ_ERR_SUCCESS) {
      return Status::Unavailable("MQTT publish to " + topic + ": " + mosquitto_strerror(rc));
    }
    client_->pending.insert(mid);
    mids.insert(mid);
  }
  std::unique_lock lock(client_->mu);
  const bool done =
      client_->acked.wait_for(lock, std::chrono::milliseconds(options().timeout_ms), [&] {
        for (int mid : mids) {
          if (client_->pending.count(mid)) return false;
        }
        return true;
      });
  for (int mid : mids) client_->pending.erase(mid);
  if (!done) return Status::DeadlineExceeded("MQTT broker did not acknowledge the alerts in time");
  return Status::Ok();
}

}  // namespace tidemark::server::alerting

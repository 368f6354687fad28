// EtcdClient::Watch: one streamed POST /v3/watch per watch, read on the watch's own thread.
// The gateway sends one JSON object per line: {"result":{"created":true,…}} first, then
// {"result":{"header":…,"events":[…]}} per batch, or "canceled" with a compact_revision when
// the requested history is gone.
#include <simdjson.h>

#include <future>

#include "cluster/etcd_client.h"
#include "common/base64.h"
#include "common/json_writer.h"

namespace lookalike::cluster {
namespace {

// The gateway's int64 fields are JSON strings.
int64_t Int64Of(simdjson::dom::element object, std::string_view name) {
  std::string_view text;
  if (object[name].get(text) != simdjson::SUCCESS) return 0;
  return std::strtoll(std::string(text).c_str(), nullptr, 10);
}

Result<WatchEvent> ParseEvent(simdjson::dom::element event) {
  WatchEvent out;
  std::string_view type;
  if (event["type"].get(type) == simdjson::SUCCESS && type == "DELETE") {
    out.type = WatchEvent::Type::kDelete;
  }
  simdjson::dom::element kv;
  if (event["kv"].get(kv) != simdjson::SUCCESS) return out;
  std::string_view text;
  if (kv["key"].get(text) == simdjson::SUCCESS) {
    LOOKALIKE_ASSIGN_OR_RETURN(out.kv.key, Base64Decode(text));
  }
  if (kv["value"].get(text) == simdjson::SUCCESS) {
    LOOKALIKE_ASSIGN_OR_RETURN(out.kv.value, Base64Decode(text));
  }
  out.kv.create_revision = Int64Of(kv, "create_revision");
  out.kv.mod_revision = Int64Of(kv, "mod_revision");
  out.kv.version = Int64Of(kv, "version");
  out.kv.lease = Int64Of(kv, "lease");
  return out;
}

// What one line of the stream says.
struct WatchMessage {
  bool created = false;
  std::vector<WatchEvent> events;
  Status ended;  // not OK: the watch is over (canceled, compacted, error)
};

Result<WatchMessage> ParseWatchLine(simdjson::dom::parser& parser, std::string_view line) {
  WatchMessage out;
  simdjson::dom::element root;
  if (parser.parse(line.data(), line.size()).get(root) != simdjson::SUCCESS) {
    return Status::IOError("etcd watch: not JSON: " + std::string(line.substr(0, 200)));
  }
  simdjson::dom::element result;
  if (root["result"].get(result) != simdjson::SUCCESS) {
    std::string_view message;
    if (root["error"]["message"].get(message) != simdjson::SUCCESS &&
        root["message"].get(message) != simdjson::SUCCESS) {
      message = line.substr(0, 200);
    }
    out.ended = Status::Unavailable("etcd watch failed: " + std::string(message));
    return out;
  }
  bool flag = false;
  out.created = result["created"].get(flag) == simdjson::SUCCESS && flag;
  if (result["canceled"].get(flag) == simdjson::SUCCESS && flag) {
    int64_t compacted = Int64Of(result, "compact_revision");
    std::string_view reason;
    if (result["cancel_reason"].get(reason) != simdjson::SUCCESS) reason = "";
    out.ended = compacted > 0
                    ? Status::NotFound("etcd watch: history before revision " +
                                       std::to_string(compacted) + " was compacted")
                    : Status::Unavailable("etcd canceled the watch: " + std::string(reason));
    return out;
  }
  simdjson::dom::array events;
  if (result["events"].get(events) == simdjson::SUCCESS) {
    for (simdjson::dom::element event : events) {
      LOOKALIKE_ASSIGN_OR_RETURN(WatchEvent parsed, ParseEvent(event));
      out.events.push_back(std::move(parsed));
    }
  }
  return out;
}

std::string WatchRequestBody(std::string_view key, bool prefix, int64_t start_revision) {
  JsonWriter w;
  w.BeginObject().Key("create_request").BeginObject();
  w.Key("key").String(Base64Encode(key));
  if (prefix) w.Key("range_end").String(Base64Encode(PrefixRangeEnd(key)));
  if (start_revision > 0) w.Key("start_revision").String(std::to_string(start_revision));
  w.EndObject().EndObject();
  return w.Take();
}

}  // namespace

EtcdWatch::~EtcdWatch() { Stop(); }

void EtcdWatch::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<EtcdWatch>> EtcdClient::Watch(
    std::string_view key, bool prefix, int64_t start_revision,
    std::function<void(const std::vector<WatchEvent>&)> on_events,
    std::function<void(const Status&)> on_error) {
  std::string endpoint;
  {
    std::lock_guard<std::mutex> lock(mu_);
    endpoint = endpoints_[current_];
  }
  LOOKALIKE_ASSIGN_OR_RETURN(net::HttpClient client, net::HttpClient::Create(endpoint));
  std::unique_ptr<EtcdWatch> watch(new EtcdWatch());
  // The watch counts as started once etcd confirmed it ("created"), so that no write made
  // after Watch() returns can be missed; the thread reports that (or its failure) here.
  auto created = std::make_shared<std::promise<Status>>();
  std::future<Status> created_future = created->get_future();
  std::atomic<bool>* stop = &watch->stop_;
  watch->thread_ = std::thread(
      [client = std::move(client), endpoint, body = WatchRequestBody(key, prefix, start_revision),
       on_events = std::move(on_events), on_error = std::move(on_error), created, stop]() mutable {
        simdjson::dom::parser parser;
        std::string pending;
        bool confirmed = false;
        Status ended;
        auto sink = [&](std::string_view bytes) {
          pending.append(bytes);
          size_t newline;
          while ((newline = pending.find('\n')) != std::string::npos) {
            std::string line = pending.substr(0, newline);
            pending.erase(0, newline + 1);
            if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
            auto message = ParseWatchLine(parser, line);
            if (!message.ok()) {
              ended = message.status();
              return false;
            }
            if (!message->ended.ok()) {
              ended = message->ended;
              return false;
            }
            if (message->created && !confirmed) {
              confirmed = true;
              created->set_value(Status::OK());
            }
            if (!message->events.empty()) on_events(message->events);
          }
          return true;
        };
        auto response = client.SendStreaming("POST", "/v3/watch", body, sink, stop);
        if (ended.ok()) {
          if (!response.ok()) {
            ended = Status::Unavailable("etcd watch on " + endpoint +
                                        " lost: " + response.status().message());
          } else {
            ended = Status::Unavailable("etcd on " + endpoint + " ended the watch (HTTP " +
                                        std::to_string(response->status) + ")");
          }
        }
        if (!confirmed) {
          created->set_value(ended);
        } else if (!stop->load() && on_error) {
          on_error(ended);
        }
      });
  if (created_future.wait_for(options_.request_timeout) != std::future_status::ready) {
    watch->Stop();
    return Status::Unavailable("etcd on " + endpoint + " did not confirm the watch");
  }
  Status started = created_future.get();
  if (!started.ok()) {
    watch->Stop();
    return started;
  }
  return watch;
}

}  // namespace lookalike::cluster

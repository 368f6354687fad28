// etcd v3 over the JSON gateway; see etcd_client.h.
#include "cluster/etcd_client.h"

#include <simdjson.h>

#include <charconv>

#include "common/base64.h"
#include "common/json_writer.h"

namespace lookalike::cluster {
namespace {

// gRPC status codes the gateway reports in {"error","message","code"}.
constexpr int64_t kGrpcInvalidArgument = 3;
constexpr int64_t kGrpcNotFound = 5;
constexpr int64_t kGrpcUnavailable = 14;

// The gateway writes int64 fields as JSON strings ("revision":"5"); absent fields are 0.
int64_t Int64Field(simdjson::dom::element object, std::string_view name) {
  simdjson::dom::element value;
  if (object[name].get(value) != simdjson::SUCCESS) return 0;
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) {
    int64_t out = 0;
    std::from_chars(text.data(), text.data() + text.size(), out);
    return out;
  }
  int64_t number = 0;
  if (value.get(number) == simdjson::SUCCESS) return number;
  return 0;
}

bool BoolField(simdjson::dom::element object, std::string_view name) {
  bool value = false;
  return object[name].get(value) == simdjson::SUCCESS && value;
}

Result<std::string> Base64Field(simdjson::dom::element object, std::string_view name) {
  std::string_view text;
  if (object[name].get(text) != simdjson::SUCCESS) return std::string();
  return Base64Decode(text);
}

Result<KeyValue> ParseKeyValue(simdjson::dom::element kv) {
  KeyValue out;
  LOOKALIKE_ASSIGN_OR_RETURN(out.key, Base64Field(kv, "key"));
  LOOKALIKE_ASSIGN_OR_RETURN(out.value, Base64Field(kv, "value"));
  out.create_revision = Int64Field(kv, "create_revision");
  out.mod_revision = Int64Field(kv, "mod_revision");
  out.version = Int64Field(kv, "version");
  out.lease = Int64Field(kv, "lease");
  return out;
}

Result<std::vector<KeyValue>> ParseKvs(simdjson::dom::element object) {
  std::vector<KeyValue> out;
  simdjson::dom::array kvs;
  if (object["kvs"].get(kvs) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element kv : kvs) {
    LOOKALIKE_ASSIGN_OR_RETURN(KeyValue parsed, ParseKeyValue(kv));
    out.push_back(std::move(parsed));
  }
  return out;
}

int64_t HeaderRevision(simdjson::dom::element object) {
  simdjson::dom::element header;
  if (object["header"].get(header) != simdjson::SUCCESS) return 0;
  return Int64Field(header, "revision");
}

Result<simdjson::dom::element> ParseJson(simdjson::dom::parser& parser, std::string_view text) {
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return Status::IOError("etcd answered with something that is not JSON: " +
                           std::string(text.substr(0, 200)));
  }
  return root;
}

// {"error":"…","message":"…","code":N} → Status.
Status GatewayError(int http_status, std::string_view body) {
  simdjson::dom::parser parser;
  std::string message = std::string(body.substr(0, 200));
  int64_t code = -1;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS) {
    std::string_view text;
    if (root["message"].get(text) == simdjson::SUCCESS) message = std::string(text);
    code = Int64Field(root, "code");
  }
  message = "etcd: " + message;
  switch (code) {
    case kGrpcNotFound:
      return Status::NotFound(message);
    case kGrpcInvalidArgument:
      return Status::InvalidArgument(message);
    case kGrpcUnavailable:
      return Status::Unavailable(message);
    default:
      return Status::IOError(message + " (HTTP " + std::to_string(http_status) + ")");
  }
}

std::vector<std::string> SplitEndpoints(std::string_view endpoints) {
  std::vector<std::string> out;
  while (!endpoints.empty()) {
    size_t comma = endpoints.find(',');
    std::string_view one = endpoints.substr(0, comma);
    while (!one.empty() && one.back() == '/') one.remove_suffix(1);
    if (!one.empty()) out.emplace_back(one);
    if (comma == std::string_view::npos) break;
    endpoints.remove_prefix(comma + 1);
  }
  return out;
}

std::string RangeBody(std::string_view key, std::string_view range_end) {
  JsonWriter w;
  w.BeginObject().Key("key").String(Base64Encode(key));
  if (!range_end.empty()) w.Key("range_end").String(Base64Encode(range_end));
  w.EndObject();
  return w.Take();
}

void WritePut(JsonWriter& w, std::string_view key, std::string_view value, int64_t lease) {
  w.BeginObject().Key("key").String(Base64Encode(key)).Key("value").String(Base64Encode(value));
  if (lease != 0) w.Key("lease").String(std::to_string(lease));
  w.EndObject();
}

}  // namespace

std::string PrefixRangeEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // etcd: "\0" as range_end means "every key >= key"
}

Result<std::unique_ptr<EtcdClient>> EtcdClient::Create(std::string_view endpoints,
                                                       EtcdOptions options) {
  std::vector<std::string> list = SplitEndpoints(endpoints);
  if (list.empty()) return Status::InvalidArgument("no etcd endpoint given");
  for (const std::string& endpoint : list) {
    // Validates the URL now rather than at the first request.
    LOOKALIKE_RETURN_IF_ERROR(net::HttpClient::Create(endpoint).status());
  }
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(list), options));
}

Result<std::string> EtcdClient::Call(std::string_view path, const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string last_error;
  for (size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
    if (!http_) {
      LOOKALIKE_ASSIGN_OR_RETURN(net::HttpClient client,
                                 net::HttpClient::Create(endpoints_[current_]));
      client.SetReceiveTimeout(options_.request_timeout);
      http_.emplace(std::move(client));
    }
    auto response = http_->Send("POST", path, body);
    if (response.ok()) {
      if (response->status == 200) return std::move(response->body);
      return GatewayError(response->status, response->body);
    }
    last_error = endpoints_[current_] + ": " + response.status().message();
    bool ambiguous = http_->last_timed_out();
    http_.reset();
    current_ = (current_ + 1) % endpoints_.size();
    // etcd may have applied a request it did not answer in time; sending it to another member
    // could apply it twice (a put after a compare-and-swap), so only refused or broken
    // connections move on to the next endpoint.
    if (ambiguous) break;
  }
  return Status::Unavailable("etcd is unavailable (" + last_error + ")");
}

Result<RangeResult> EtcdClient::Range(std::string_view key, std::string_view range_end) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string body, Call("/v3/kv/range", RangeBody(key, range_end)));
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(simdjson::dom::element root, ParseJson(parser, body));
  RangeResult out;
  out.revision = HeaderRevision(root);
  LOOKALIKE_ASSIGN_OR_RETURN(out.kvs, ParseKvs(root));
  return out;
}

Result<std::optional<KeyValue>> EtcdClient::Get(std::string_view key) {
  LOOKALIKE_ASSIGN_OR_RETURN(RangeResult range, Range(key, {}));
  if (range.kvs.empty()) return std::optional<KeyValue>();
  return std::optional<KeyValue>(std::move(range.kvs.front()));
}

Result<RangeResult> EtcdClient::GetPrefix(std::string_view prefix) {
  return Range(prefix, PrefixRangeEnd(prefix));
}

Result<int64_t> EtcdClient::Put(std::string_view key, std::string_view value, int64_t lease) {
  JsonWriter w;
  WritePut(w, key, value, lease);
  LOOKALIKE_ASSIGN_OR_RETURN(std::string body, Call("/v3/kv/put", w.Take()));
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(simdjson::dom::element root, ParseJson(parser, body));
  return HeaderRevision(root);
}

Result<int64_t> EtcdClient::DeleteRange(std::string_view key, std::string_view range_end,
                                        int64_t* revision) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string body,
                             Call("/v3/kv/deleterange", RangeBody(key, range_end)));
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(simdjson::dom::element root, ParseJson(parser, body));
  if (revision != nullptr) *revision = HeaderRevision(root);
  return Int64Field(root, "deleted");
}

Result<int64_t> EtcdClient::Delete(std::string_view key, int64_t* revision) {
  return DeleteRange(key, {}, revision);
}

Result<int64_t> EtcdClient::DeletePrefix(std::string_view prefix) {
  return DeleteRange(prefix, PrefixRangeEnd(prefix));
}

Result<CasResult> EtcdClient::CompareAndSwap(std::string_view key, int64_t expected_mod_revision,
                                             std::string_view value, int64_t lease) {
  std::string key64 = Base64Encode(key);
  JsonWriter w;
  w.BeginObject().Key("compare").BeginArray().BeginObject();
  w.Key("key").String(key64).Key("result").String("EQUAL").Key("target").String("MOD");
  w.Key("mod_revision").String(std::to_string(expected_mod_revision));
  w.EndObject().EndArray();
  w.Key("success").BeginArray().BeginObject().Key("request_put");
  WritePut(w, key, value, lease);
  w.EndObject().EndArray();
  w.Key("failure").BeginArray().BeginObject().Key("request_range");
  w.BeginObject().Key("key").String(key64).EndObject();
  w.EndObject().EndArray().EndObject();
  LOOKALIKE_ASSIGN_OR_RETURN(std::string body, Call("/v3/kv/txn", w.Take()));
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(simdjson::dom::element root, ParseJson(parser, body));
  CasResult out;
  out.revision = HeaderRevision(root);
  out.succeeded = BoolField(root, "succeeded");
  simdjson::dom::array responses;
  if (!out.succeeded && root["responses"].get(responses) == simdjson::SUCCESS) {
    for (simdjson::dom::element response : responses) {
      simdjson::dom::element range;
      if (response["response_range"].get(range) != simdjson::SUCCESS) continue;
      LOOKALIKE_ASSIGN_OR_RETURN(std::vector<KeyValue> kvs, ParseKvs(range));
      if (!kvs.empty()) out.current = std::move(kvs.front());
    }
  }
  return out;
}

Result<Lease> EtcdClient::GrantLease(int64_t ttl_seconds) {
  JsonWriter w;
  w.BeginObject().Key("TTL").String(std::to_string(ttl_seconds)).EndObject();
  LOOKALIKE_ASSIGN_OR_RETURN(std::string body, Call("/v3/lease/grant", w.Take()));
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(simdjson::dom::element root, ParseJson(parser, body));
  std::string_view error;
  if (root["error"].get(error) == simdjson::SUCCESS && !error.empty()) {
    return Status::IOError("etcd refused the lease: " + std::string(error));
  }
  Lease lease{Int64Field(root, "ID"), Int64Field(root, "TTL")};
  if (lease.id == 0) return Status::IOError("etcd granted no lease id: " + body);
  return lease;
}

Result<int64_t> EtcdClient::KeepAliveOnce(int64_t lease_id) {
  JsonWriter w;
  w.BeginObject().Key("ID").String(std::to_string(lease_id)).EndObject();
  // A bidirectional stream in gRPC; over the gateway one request gives one {"result":…}.
  LOOKALIKE_ASSIGN_OR_RETURN(std::string body, Call("/v3/lease/keepalive", w.Take()));
  std::string_view first_line = std::string_view(body).substr(0, body.find('\n'));
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(simdjson::dom::element root, ParseJson(parser, first_line));
  simdjson::dom::element result;
  if (root["result"].get(result) != simdjson::SUCCESS) {
    return GatewayError(200, first_line);
  }
  int64_t ttl = Int64Field(result, "TTL");
  if (ttl <= 0) return Status::NotFound("etcd lease " + std::to_string(lease_id) + " expired");
  return ttl;
}

Status EtcdClient::RevokeLease(int64_t lease_id) {
  JsonWriter w;
  w.BeginObject().Key("ID").String(std::to_string(lease_id)).EndObject();
  return Call("/v3/lease/revoke", w.Take()).status();
}

}  // namespace lookalike::cluster

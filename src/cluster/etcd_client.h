// A client for etcd v3 over its JSON gateway (etcd 3.4: POST /v3/kv/range, /v3/kv/put,
// /v3/kv/deleterange, /v3/kv/txn, /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke,
// /v3/watch). Keys and values are byte strings (base64 on the wire, plain here); revisions and
// lease ids are etcd's int64s.
//
// Errors: Unavailable when no endpoint answers (etcd down, refused, timed out) naming the
// endpoints; NotFound for an unknown lease; InvalidArgument for a request etcd rejects; IOError
// for an answer that is not the gateway's JSON.
//
// Thread safety: an EtcdClient may be called from several threads (one connection, calls
// serialised by its mutex). A Watch runs its own connection on its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lookalike/status.h"
#include "net/http_client.h"

namespace lookalike::cluster {

/// One key as etcd stores it.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;  // revision of the last write; 0 = absent (for CompareAndSwap)
  int64_t version = 0;       // writes since creation
  int64_t lease = 0;         // 0 = none
};

/// A range read: the keys found and the store's revision the read saw.
struct RangeResult {
  std::vector<KeyValue> kvs;
  int64_t revision = 0;
};

/// The outcome of CompareAndSwap: `succeeded` says whether the put happened; otherwise
/// `current` holds the key as it is (nullopt when it does not exist).
struct CasResult {
  bool succeeded = false;
  int64_t revision = 0;  // store revision after the transaction
  std::optional<KeyValue> current;
};

struct Lease {
  int64_t id = 0;
  int64_t ttl_seconds = 0;
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // for kDelete only key and mod_revision are set
};

struct EtcdOptions {
  /// A request that receives nothing for this long fails with Unavailable.
  std::chrono::milliseconds request_timeout{5000};
};

class EtcdWatch;

class EtcdClient {
 public:
  /// `endpoints`: "http://host:port" or several, comma-separated (members of one etcd cluster;
  /// the client moves to the next when one does not answer). No request is sent here.
  static Result<std::unique_ptr<EtcdClient>> Create(std::string_view endpoints,
                                                    EtcdOptions options = {});

  /// The key, or nullopt when it does not exist.
  Result<std::optional<KeyValue>> Get(std::string_view key);
  /// Every key that starts with `prefix`, in key order.
  Result<RangeResult> GetPrefix(std::string_view prefix);
  /// Writes the key (attached to `lease` unless 0); returns the new store revision. NotFound
  /// when the lease does not exist (expired or revoked).
  Result<int64_t> Put(std::string_view key, std::string_view value, int64_t lease = 0);
  /// Deletes the key; returns how many keys were deleted (0 or 1). `revision`, when given,
  /// receives the store revision after the delete.
  Result<int64_t> Delete(std::string_view key, int64_t* revision = nullptr);
  /// Deletes every key under `prefix`; returns how many.
  Result<int64_t> DeletePrefix(std::string_view prefix);
  /// Puts `value` only if the key's mod_revision is `expected_mod_revision`; 0 means "only if
  /// the key does not exist" (create-if-absent). One etcd transaction.
  Result<CasResult> CompareAndSwap(std::string_view key, int64_t expected_mod_revision,
                                   std::string_view value, int64_t lease = 0);

  /// A lease that expires `ttl_seconds` after its last keep-alive (etcd may round it up).
  Result<Lease> GrantLease(int64_t ttl_seconds);
  /// Renews the lease once; returns its TTL. NotFound when it already expired (or was revoked).
  Result<int64_t> KeepAliveOnce(int64_t lease_id);
  /// Ends the lease now; its keys are deleted. NotFound when it no longer exists.
  Status RevokeLease(int64_t lease_id);

  /// Watches `key`, or every key under it when `prefix`, from `start_revision` (0 = from now) on
  /// a thread of its own. `on_events` receives each batch of events in revision order;
  /// `on_error` is called once if the watch ends by itself (etcd gone: Unavailable; history
  /// compacted past start_revision: NotFound), never after Stop(). Callbacks run on the watch
  /// thread and must not call the watch's Stop().
  Result<std::unique_ptr<EtcdWatch>> Watch(
      std::string_view key, bool prefix, int64_t start_revision,
      std::function<void(const std::vector<WatchEvent>&)> on_events,
      std::function<void(const Status&)> on_error = {});

  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  EtcdClient(std::vector<std::string> endpoints, EtcdOptions options)
      : endpoints_(std::move(endpoints)), options_(options) {}
  // POSTs a JSON body to `path` on the current endpoint (moving on when it does not answer)
  // and returns the response body of a 200; gateway errors become Status.
  Result<std::string> Call(std::string_view path, const std::string& body);
  Result<RangeResult> Range(std::string_view key, std::string_view range_end);
  Result<int64_t> DeleteRange(std::string_view key, std::string_view range_end,
                              int64_t* revision = nullptr);

  const std::vector<std::string> endpoints_;
  const EtcdOptions options_;
  std::mutex mu_;
  // Guarded by mu_: the connection and which endpoint it talks to.
  std::optional<net::HttpClient> http_;
  size_t current_ = 0;
};

/// A running watch (EtcdClient::Watch). Destroying it stops it.
class EtcdWatch {
 public:
  ~EtcdWatch();
  /// Ends the watch and joins its thread (returns within ~100 ms); idempotent.
  void Stop();

 private:
  friend class EtcdClient;
  EtcdWatch() = default;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// The first key after every key that starts with `prefix` (etcd's range_end for a prefix).
std::string PrefixRangeEnd(std::string_view prefix);

}  // namespace lookalike::cluster

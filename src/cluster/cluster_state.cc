// The watched cluster state; see cluster_state.h.
#include "cluster/cluster_state.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <charconv>

namespace lookalike::cluster {
namespace {

std::optional<NodeInfo> DecodeNodeInfo(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view name, http;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS ||
      root["name"].get(name) != simdjson::SUCCESS || root["http"].get(http) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return NodeInfo{std::string(name), std::string(http)};
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Status IndexNotFound(std::string_view name) {
  return Status::NotFound("no such index [" + std::string(name) + "]")
      .WithKind(ErrorKind::kIndexNotFound);
}

}  // namespace

bool IndexPatternMatches(std::string_view pattern, std::string_view name) {
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == name;
  if (!StartsWith(name, pattern.substr(0, star))) return false;
  std::string_view rest_pattern = pattern.substr(star + 1);
  for (size_t i = star; i <= name.size(); ++i) {
    if (IndexPatternMatches(rest_pattern, name.substr(i))) return true;
  }
  return false;
}

void ApplyKey(ClusterSnapshot* state, const KeyValue& kv, bool deleted) {
  std::string_view key = kv.key;
  std::string uuid, node;
  int shard = 0;
  if (key == kClusterUuidKey) {
    if (!deleted) state->cluster_uuid = kv.value;
  } else if (key == kLeaderKey) {
    state->leader = deleted ? std::string() : kv.value;
  } else if (StartsWith(key, kNodesPrefix)) {
    std::string name(key.substr(kNodesPrefix.size()));
    if (deleted) {
      state->nodes.erase(name);
    } else if (auto info = DecodeNodeInfo(kv.value)) {
      state->nodes[name] = std::move(*info);
    }
  } else if (StartsWith(key, kIndicesPrefix)) {
    std::string name(key.substr(kIndicesPrefix.size()));
    if (deleted) {
      state->indices.erase(name);
      return;
    }
    auto meta = DecodeIndexMetadata(name, kv.value);
    if (!meta.ok()) {
      spdlog::warn("cluster: ignoring {}", meta.status().ToString());
      return;
    }
    state->indices[name] = std::move(meta).value();
  } else if (ParseShardKey(key, &uuid, &shard)) {
    if (deleted) {
      auto it = state->shards.find(uuid);
      if (it == state->shards.end()) return;
      it->second.erase(shard);
      if (it->second.empty()) state->shards.erase(it);
      return;
    }
    auto assignment = DecodeShardAssignment(kv.value);
    if (!assignment.ok()) {
      spdlog::warn("cluster: ignoring {}: {}", kv.key, assignment.status().ToString());
      return;
    }
    ShardState& target = state->shards[uuid][shard];
    target.assignment = std::move(assignment).value();
    target.mod_revision = kv.mod_revision;
  } else if (ParseAppliedKey(key, &uuid, &shard, &node)) {
    // Applied sequences of a shard that has no assignment (yet, or any more) are kept aside
    // only while the shard exists; a late one after a delete is dropped.
    if (deleted) {
      auto it = state->shards.find(uuid);
      if (it == state->shards.end()) return;
      auto s = it->second.find(shard);
      if (s != it->second.end()) s->second.applied.erase(node);
      return;
    }
    uint64_t seq = 0;
    std::from_chars(kv.value.data(), kv.value.data() + kv.value.size(), seq);
    auto it = state->shards.find(uuid);
    if (it == state->shards.end()) return;
    auto s = it->second.find(shard);
    if (s != it->second.end()) s->second.applied[node] = seq;
  }
}

const IndexMetadata* ClusterSnapshot::FindByUuid(std::string_view uuid) const {
  for (const auto& [name, meta] : indices) {
    if (meta.uuid == uuid) return &meta;
  }
  return nullptr;
}

const ShardState* ClusterSnapshot::FindShard(std::string_view uuid, int shard) const {
  auto it = shards.find(std::string(uuid));
  if (it == shards.end()) return nullptr;
  auto s = it->second.find(shard);
  return s == it->second.end() ? nullptr : &s->second;
}

IndexRoutes ClusterSnapshot::Routes(const IndexMetadata& index) const {
  IndexRoutes routes;
  routes.index = index.name;
  routes.uuid = index.uuid;
  routes.number_of_shards = index.number_of_shards;
  routes.number_of_replicas = index.number_of_replicas;
  for (int shard = 0; shard < index.number_of_shards; ++shard) {
    ShardRoute route;
    route.shard = shard;
    if (const ShardState* state = FindShard(index.uuid, shard)) {
      route.primary_term = state->assignment.primary_term;
      for (const std::string& node : state->assignment.Copies()) {
        auto live = nodes.find(node);
        if (live == nodes.end() || !state->applied.count(node)) continue;
        route.copies.push_back({node, live->second.http, node == state->assignment.primary});
      }
    }
    routes.shards.push_back(std::move(route));
  }
  return routes;
}

Result<std::unique_ptr<ClusterState>> ClusterState::Start(EtcdClient* etcd) {
  LOOKALIKE_RETURN_IF_ERROR(etcd->CompareAndSwap(kClusterUuidKey, 0, NewUuid()).status());
  std::unique_ptr<ClusterState> state(new ClusterState(etcd));
  LOOKALIKE_RETURN_IF_ERROR(state->Load());
  state->thread_ = std::thread([s = state.get()] { s->WatchLoop(); });
  return state;
}

ClusterState::~ClusterState() { Stop(); }

void ClusterState::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status ClusterState::Load() {
  LOOKALIKE_ASSIGN_OR_RETURN(RangeResult range, etcd_->GetPrefix(kMetadataPrefix));
  auto next = std::make_shared<ClusterSnapshot>();
  next->revision = range.revision;
  // Shards before applied sequences: an applied key is kept only for a known shard.
  for (const KeyValue& kv : range.kvs) {
    if (!StartsWith(kv.key, kAppliedPrefix)) ApplyKey(next.get(), kv, false);
  }
  for (const KeyValue& kv : range.kvs) {
    if (StartsWith(kv.key, kAppliedPrefix)) ApplyKey(next.get(), kv, false);
  }
  Publish(std::move(next));
  return Status::OK();
}

void ClusterState::Publish(std::shared_ptr<const ClusterSnapshot> next) {
  std::vector<std::function<void()>> listeners;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot_ = std::move(next);
    listeners = listeners_;
  }
  changed_.notify_all();
  for (const auto& listener : listeners) listener();
}

void ClusterState::WatchLoop() {
  bool loaded = true;  // Start() loaded once already
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
      watch_failed_ = false;
    }
    if (!loaded) {
      Status st = Load();
      if (!st.ok()) {
        std::unique_lock<std::mutex> lock(mu_);
        changed_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
        continue;
      }
    }
    loaded = false;
    int64_t from = snapshot()->revision + 1;
    auto on_events = [this](const std::vector<WatchEvent>& events) {
      auto next = std::make_shared<ClusterSnapshot>(*snapshot());
      for (const WatchEvent& event : events) {
        ApplyKey(next.get(), event.kv, event.type == WatchEvent::Type::kDelete);
        next->revision = std::max(next->revision, event.kv.mod_revision);
      }
      Publish(std::move(next));
    };
    auto on_error = [this](const Status& status) {
      spdlog::warn("cluster: watch of the cluster state ended: {}", status.ToString());
      // Readers learn at once that this is now the last known state (Load marks it current
      // again once etcd answers).
      auto stale = std::make_shared<ClusterSnapshot>(*snapshot());
      stale->etcd_reachable = false;
      Publish(std::move(stale));
      {
        std::lock_guard<std::mutex> lock(mu_);
        watch_failed_ = true;
      }
      changed_.notify_all();
    };
    auto watch = etcd_->Watch(kMetadataPrefix, true, from, on_events, on_error);
    std::unique_lock<std::mutex> lock(mu_);
    if (!watch.ok()) {
      changed_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
      continue;
    }
    changed_.wait(lock, [this] { return stopping_ || watch_failed_; });
    lock.unlock();
    (*watch)->Stop();
  }
}

std::shared_ptr<const ClusterSnapshot> ClusterState::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

void ClusterState::AddListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.push_back(std::move(listener));
}

bool ClusterState::WaitUntil(const std::function<bool(const ClusterSnapshot&)>& predicate,
                             std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return predicate(*snapshot_); });
}

Result<std::vector<IndexRoutes>> ClusterState::Resolve(std::string_view expression) const {
  std::shared_ptr<const ClusterSnapshot> snap = snapshot();
  std::map<std::string, IndexRoutes> found;
  if (expression.empty()) expression = "_all";
  while (!expression.empty()) {
    size_t comma = expression.find(',');
    std::string_view part = expression.substr(0, comma);
    expression = comma == std::string_view::npos ? "" : expression.substr(comma + 1);
    if (part.empty()) continue;
    if (part == "_all") part = "*";
    bool wildcard = part.find('*') != std::string_view::npos;
    bool any = false;
    for (const auto& [name, meta] : snap->indices) {
      if (!IndexPatternMatches(part, name)) continue;
      any = true;
      if (!found.count(name)) found.emplace(name, snap->Routes(meta));
    }
    if (!any && !wildcard) return IndexNotFound(part);
  }
  std::vector<IndexRoutes> out;
  for (auto& [name, routes] : found) out.push_back(std::move(routes));
  return out;
}

}  // namespace lookalike::cluster

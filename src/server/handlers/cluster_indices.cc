// Index management of a cluster node: PUT/DELETE/HEAD/GET /{index}, GET _mapping and
// _settings from the metadata in etcd; see cluster_mode.h.
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>

#include "cluster/cluster_state.h"
#include "cluster/etcd_client.h"
#include "cluster/shard_log.h"
#include "server/es/index_codec.h"
#include "server/handlers/cluster_mode.h"

namespace lookalike::server {
namespace {

// How long PUT /{index} waits for a started primary of every shard before it answers.
constexpr std::chrono::seconds kCreateWait{30};
// How long an auto-creation that lost the race waits to see the winner's metadata.
constexpr std::chrono::seconds kAutoCreateWait{10};

Status ClusterIllegalArgument(std::string message) {
  return Status::InvalidArgument(std::move(message)).WithKind(ErrorKind::kInvalidValue);
}

Status ClusterIndexNotFound(std::string_view name) {
  return Status::NotFound("no such index [" + std::string(name) + "]")
      .WithKind(ErrorKind::kIndexNotFound);
}

// index.number_of_shards / number_of_replicas from the flat settings, within [low, high].
Result<int> CountSetting(const SettingsMap& settings, const std::string& key, int fallback,
                         int low, int high) {
  auto it = settings.find(key);
  if (it == settings.end()) return fallback;
  int value = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return ClusterIllegalArgument("Failed to parse value [" + text + "] for setting [" + key +
                                  "]");
  }
  if (value < low || value > high) {
    return ClusterIllegalArgument("Failed to parse value [" + text + "] for setting [" + key +
                                  "] must be between " + std::to_string(low) + " and " +
                                  std::to_string(high));
  }
  return value;
}

// The "settings" and "mappings" members of a create body as compact JSON ("{}" when absent).
void RawDefinition(std::string_view body, std::string* settings, std::string* mappings) {
  *settings = "{}";
  *mappings = "{}";
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) return;
  simdjson::dom::element member;
  if (root["settings"].get(member) == simdjson::SUCCESS) *settings = simdjson::minify(member);
  if (root["mappings"].get(member) == simdjson::SUCCESS) *mappings = simdjson::minify(member);
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void DeleteStreams(cluster::ShardLog* log, const cluster::IndexMetadata& meta) {
  for (int shard = 0; shard < meta.number_of_shards; ++shard) {
    Status st = log->DeleteStream(meta.uuid, shard);
    if (!st.ok() && st.code() != StatusCode::kNotFound) {
      spdlog::warn("cluster: deleting stream {} failed: {}",
                   cluster::ShardLog::StreamName(meta.uuid, shard), st.ToString());
    }
  }
}

Result<cluster::IndexMetadata> CreateMetadata(RestContext& ctx, std::string_view name,
                                              std::string_view body) {
  LOOKALIKE_RETURN_IF_ERROR(ValidateIndexName(name));
  if (name.find('~') != std::string_view::npos) {
    return Status::InvalidArgument("Invalid index name [" + std::string(name) +
                                   "], must not contain '~' on a cluster node (local shard "
                                   "copies are named <index>~<shard>~<uuid>)")
        .WithKind(ErrorKind::kInvalidIndexName);
  }
  auto definition = es::ParseCreateIndexBody(body);
  if (!definition.ok()) return definition.status();
  cluster::IndexMetadata meta;
  meta.name = std::string(name);
  meta.uuid = cluster::NewUuid();
  LOOKALIKE_ASSIGN_OR_RETURN(
      meta.number_of_shards,
      CountSetting(definition->settings, "index.number_of_shards", 1, 1, 1024));
  LOOKALIKE_ASSIGN_OR_RETURN(
      meta.number_of_replicas,
      CountSetting(definition->settings, "index.number_of_replicas", 1, 0, 1024));
  RawDefinition(body, &meta.settings_json, &meta.mappings_json);
  meta.creation_date_ms = NowMillis();
  (void)ctx;
  return meta;
}

}  // namespace

Status CheckEtcdReachable(const RestContext& ctx) {
  if (ctx.cluster->state->snapshot()->etcd_reachable) return Status::OK();
  return Status::Unavailable(
             "blocked by: [SERVICE_UNAVAILABLE/2/no master]; this node cannot reach the cluster "
             "metadata store (etcd): writes and index changes are refused until it is back")
      .WithKind(ErrorKind::kNoMaster);
}

Result<IndexDefinition> ParseStoredDefinition(const cluster::IndexMetadata& meta) {
  return es::ParseCreateIndexBody("{\"settings\":" + meta.settings_json +
                                  ",\"mappings\":" + meta.mappings_json + "}");
}

namespace {

Status IndexExistsError(std::string_view name) {
  return Status::AlreadyExists("index [" + std::string(name) + "] already exists")
      .WithKind(ErrorKind::kIndexAlreadyExists);
}

// Streams, then the metadata (create-if-absent in etcd). AlreadyExists when the index exists.
// `revision`, when given, receives the etcd revision that holds the new index.
Result<cluster::IndexMetadata> PublishIndex(RestContext& ctx, std::string_view name,
                                            std::string_view body, int64_t* revision = nullptr) {
  LOOKALIKE_RETURN_IF_ERROR(CheckEtcdReachable(ctx));
  LOOKALIKE_ASSIGN_OR_RETURN(cluster::IndexMetadata meta, CreateMetadata(ctx, name, body));
  if (ctx.cluster->state->snapshot()->indices.count(meta.name)) return IndexExistsError(name);
  // Streams first: a copy starts consuming as soon as it sees the metadata.
  for (int shard = 0; shard < meta.number_of_shards; ++shard) {
    Status st = ctx.cluster->log->EnsureStream(meta.uuid, shard);
    if (!st.ok()) {
      DeleteStreams(ctx.cluster->log, meta);
      return st;
    }
  }
  auto created = ctx.cluster->etcd->CompareAndSwap(cluster::IndexKey(meta.name), 0,
                                                   cluster::EncodeIndexMetadata(meta));
  if (!created.ok() || !created->succeeded) {
    DeleteStreams(ctx.cluster->log, meta);
    if (!created.ok()) return created.status();
    return IndexExistsError(name);
  }
  if (revision != nullptr) *revision = created->revision;
  return meta;
}

}  // namespace

Result<cluster::IndexMetadata> ClusterAutoCreateIndex(RestContext& ctx, std::string_view name) {
  auto created = PublishIndex(ctx, name, "{}");
  if (!created.ok() && created.status().kind() != ErrorKind::kIndexAlreadyExists) return created;
  // Created here or by another request first: go on once this node's state holds it, so that
  // the write's waits (for the shard's assignment and copies) know the index.
  const std::string wanted(name);
  ctx.cluster->state->WaitUntil(
      [&](const cluster::ClusterSnapshot& snap) { return snap.indices.count(wanted) > 0; },
      kAutoCreateWait);
  auto snap = ctx.cluster->state->snapshot();
  auto it = snap->indices.find(wanted);
  if (it != snap->indices.end()) return it->second;
  if (created.ok()) return created;
  return Status::Unavailable("index [" + wanted + "] exists but this node does not see it yet");
}

void ClusterCreateIndex(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  int64_t revision = 0;
  auto meta = PublishIndex(ctx, IndexParam(req), req.body(), &revision);
  if (!meta.ok()) return ReplyError(meta.status(), resp);
  // Elasticsearch's default wait_for_active_shards=1: a started primary per shard.
  const std::string uuid = meta->uuid;
  bool active = ctx.cluster->state->WaitUntil(
      [&](const cluster::ClusterSnapshot& snap) {
        auto it = snap.indices.find(meta->name);
        if (it == snap.indices.end() || it->second.uuid != uuid) return false;
        for (const cluster::ShardRoute& route : snap.Routes(it->second).shards) {
          if (route.copies.empty()) return false;
        }
        return true;
      },
      kCreateWait);
  if (!active) spdlog::warn("cluster: index {} created; not every shard started yet", meta->name);
  CreatedIndex created{meta->name};
  created.shards_acknowledged = active;
  created.acknowledged = WaitForEveryNodeToSee(ctx, req, revision);
  Reply(es::RenderCreatedIndex(created), resp);
}

void ClusterDeleteIndex(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  if (Status st = CheckEtcdReachable(ctx); !st.ok()) return ReplyError(st, resp);
  std::string_view names = IndexParam(req);
  if (names == "_all" || names == "*") {
    return ReplyError(ClusterIllegalArgument("Wildcard expressions or all indices are not allowed"),
                      resp);
  }
  auto snap = ctx.cluster->state->snapshot();
  std::vector<cluster::IndexMetadata> doomed;
  auto resolved = ctx.cluster->state->Resolve(names);
  if (!resolved.ok()) return ReplyError(resolved.status(), resp);
  for (const cluster::IndexRoutes& routes : *resolved) {
    auto it = snap->indices.find(routes.index);
    if (it != snap->indices.end()) doomed.push_back(it->second);
  }
  int64_t revision = 0;
  for (const cluster::IndexMetadata& meta : doomed) {
    // The metadata first: nodes drop their copies as soon as they see it go.
    auto deleted = ctx.cluster->etcd->Delete(cluster::IndexKey(meta.name), &revision);
    if (!deleted.ok()) return ReplyError(deleted.status(), resp);
    (void)ctx.cluster->etcd->DeletePrefix(cluster::ShardsPrefixOf(meta.uuid));
    (void)ctx.cluster->etcd->DeletePrefix(cluster::AppliedPrefixOf(meta.uuid));
    DeleteStreams(ctx.cluster->log, meta);
  }
  Acknowledged ack;
  ack.acknowledged = revision == 0 || WaitForEveryNodeToSee(ctx, req, revision);
  Reply(es::RenderAcknowledged(ack), resp);
}

void ClusterIndexExists(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  auto resolved = ctx.cluster->state->Resolve(IndexParam(req));
  resp->status = resolved.ok() && !resolved->empty() ? 200 : 404;
}

ClusterHealthReport ClusterHealthOf(const RestContext& ctx) {
  auto snap = ctx.cluster->state->snapshot();
  ClusterHealthReport health;
  health.number_of_nodes = static_cast<int64_t>(snap->nodes.size());
  bool red = false, yellow = false;
  for (const auto& [name, meta] : snap->indices) {
    for (const cluster::ShardRoute& route : snap->Routes(meta).shards) {
      int64_t wanted = meta.number_of_replicas + 1;
      int64_t active = static_cast<int64_t>(route.copies.size());
      health.active_shards += active;
      bool primary = !route.copies.empty() && route.copies.front().primary;
      health.active_primary_shards += primary ? 1 : 0;
      health.unassigned_shards += std::max<int64_t>(0, wanted - active);
      red |= active == 0;
      yellow |= active < wanted;
    }
  }
  health.status = red ? "red" : yellow ? "yellow" : "green";
  int64_t total = health.active_shards + health.unassigned_shards;
  health.active_shards_percent = total == 0 ? 100.0 : 100.0 * health.active_shards / total;
  return health;
}

void ClusterDescribeIndices(RestContext& ctx, const RestRequest& req, IndexView view,
                            HttpResponse* resp) {
  auto snap = ctx.cluster->state->snapshot();
  auto resolved = ctx.cluster->state->Resolve(IndexParam(req));
  if (!resolved.ok()) return ReplyError(resolved.status(), resp);
  std::vector<IndexDescription> described;
  for (const cluster::IndexRoutes& routes : *resolved) {
    auto it = snap->indices.find(routes.index);
    if (it == snap->indices.end()) return ReplyError(ClusterIndexNotFound(routes.index), resp);
    const cluster::IndexMetadata& meta = it->second;
    auto definition = ParseStoredDefinition(meta);
    if (!definition.ok()) return ReplyError(definition.status(), resp);
    IndexDescription d;
    d.name = meta.name;
    d.mapping = std::move(definition->mapping);
    d.settings = std::move(definition->settings);
    d.settings["index.uuid"] = meta.uuid;
    d.settings["index.number_of_shards"] = std::to_string(meta.number_of_shards);
    d.settings["index.number_of_replicas"] = std::to_string(meta.number_of_replicas);
    d.settings["index.provided_name"] = meta.name;
    d.settings["index.creation_date"] = std::to_string(meta.creation_date_ms);
    described.push_back(std::move(d));
  }
  switch (view) {
    case IndexView::kIndex:
      return Reply(es::RenderIndices(described), resp);
    case IndexView::kMapping:
      return Reply(es::RenderMappings(described), resp);
    case IndexView::kSettings: {
      const std::string* flat = req.Param("flat_settings");
      return Reply(es::RenderSettings(described, flat != nullptr && *flat != "false", false),
                   resp);
    }
  }
}

}  // namespace lookalike::server

// Writes of a cluster node; see cluster_mode.h (reads go through the coordinator,
// cluster/scatter.h).
#include <simdjson.h>

#include <chrono>
#include <map>
#include <random>

#include "cluster/cluster_state.h"
#include "cluster/routing.h"
#include "cluster/shard_log.h"
#include "server/es/bulk_codec.h"
#include "server/es/doc_codec.h"
#include "server/handlers/cluster_mode.h"
#include "server/request_caller.h"
#include "server/security/route_privileges.h"

namespace lookalike::server {
namespace {

// How long refresh=true|wait_for waits for the copies before answering anyway.
constexpr std::chrono::seconds kRefreshWait{30};

// Elasticsearch's auto-generated ids are 20 URL-safe base64 characters; these are random.
std::string GenerateId() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string id(20, 'A');
  uint64_t bits = 0;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i % 10 == 0) bits = rng();
    id[i] = kAlphabet[bits & 63];
    bits >>= 6;
  }
  return id;
}

Status MissingIndex(std::string_view name) {
  return Status::NotFound("no such index [" + std::string(name) + "]")
      .WithKind(ErrorKind::kIndexNotFound);
}

// What the coordinator can check without the stored document; the copies check the rest.
Status CheckOp(const WriteOp& op) {
  if (op.condition.active()) {
    return Status::InvalidArgument(
               "if_seq_no and if_primary_term are not supported on a cluster node yet")
        .WithKind(ErrorKind::kInvalidValue);
  }
  if ((op.kind == WriteKind::kUpdate || op.kind == WriteKind::kDelete) && op.id.empty()) {
    return Status::InvalidArgument("Validation Failed: 1: id is missing;")
        .WithKind(ErrorKind::kRequestValidation);
  }
  if (op.id.size() > 512) {
    return Status::InvalidArgument("id [" + op.id.substr(0, 32) +
                                   "...] is too long, must be no longer than 512 bytes")
        .WithKind(ErrorKind::kInvalidValue);
  }
  if (op.kind == WriteKind::kIndex || op.kind == WriteKind::kCreate) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(op.source).get(root) != simdjson::SUCCESS || !root.is_object()) {
      return Status::InvalidArgument("failed to parse: the document is not a JSON object")
          .WithKind(ErrorKind::kMappingParse);
    }
  }
  return Status::OK();
}

WriteResultKind ReportedResult(WriteKind kind) {
  switch (kind) {
    case WriteKind::kIndex:
    case WriteKind::kCreate:
      return WriteResultKind::kCreated;
    case WriteKind::kUpdate:
      return WriteResultKind::kUpdated;
    case WriteKind::kDelete:
      return WriteResultKind::kDeleted;
  }
  return WriteResultKind::kCreated;
}

struct ShardTarget {
  std::string uuid;
  int shard = 0;
  bool operator<(const ShardTarget& o) const { return std::tie(uuid, shard) < std::tie(o.uuid, o.shard); }
};

// Every live copy of each published shard has applied its sequence.
bool Applied(const cluster::ClusterSnapshot& snap,
             const std::map<ShardTarget, uint64_t>& published) {
  for (const auto& [target, seq] : published) {
    const cluster::ShardState* shard = snap.FindShard(target.uuid, target.shard);
    if (shard == nullptr) continue;  // deleted meanwhile
    for (const std::string& node : shard->assignment.Copies()) {
      if (!snap.nodes.count(node)) continue;
      auto applied = shard->applied.find(node);
      if (applied == shard->applied.end() || applied->second < seq) return false;
    }
  }
  return true;
}

}  // namespace

std::vector<WriteOutcome> ClusterWrite(RestContext& ctx, std::vector<WriteOp> ops,
                                       std::vector<Status> failed, RefreshPolicy refresh) {
  auto snap = ctx.cluster->state->snapshot();
  const Status reachable = CheckEtcdReachable(ctx);
  std::vector<WriteOutcome> outcomes(ops.size());
  std::map<ShardTarget, std::vector<size_t>> groups;  // ops by shard, in request order
  for (size_t i = 0; i < ops.size(); ++i) {
    WriteOp& op = ops[i];
    WriteOutcome& out = outcomes[i];
    out.index = op.index;
    out.status = failed[i].ok() ? reachable : failed[i];
    if (!out.status.ok()) continue;
    auto meta = snap->indices.find(op.index);
    if (meta == snap->indices.end()) {
      out.status = MissingIndex(op.index);  // no auto-creation on a cluster node
      continue;
    }
    if (op.id.empty()) op.id = GenerateId();
    out.id = op.id;
    out.status = CheckOp(op);
    if (!out.status.ok()) continue;
    int shard = cluster::ShardForRouting(op.id, meta->second.number_of_shards);
    groups[{meta->second.uuid, shard}].push_back(i);
  }
  std::map<ShardTarget, uint64_t> published;
  for (const auto& [target, members] : groups) {
    std::vector<WriteOp> batch;
    batch.reserve(members.size());
    for (size_t i : members) batch.push_back(ops[i]);
    auto seq = ctx.cluster->log->Publish(target.uuid, target.shard, batch, cluster::NewUuid());
    const cluster::ShardState* shard = snap->FindShard(target.uuid, target.shard);
    for (size_t i : members) {
      WriteOutcome& out = outcomes[i];
      if (!seq.ok()) {
        out.status = seq.status();
        continue;
      }
      out.seq_no = static_cast<int64_t>(*seq);
      out.primary_term = shard ? shard->assignment.primary_term : 1;
      out.version = 1;
      out.result = ReportedResult(ops[i].kind);
    }
    if (seq.ok()) published[target] = *seq;
  }
  if (refresh != RefreshPolicy::kFalse && !published.empty()) {
    ctx.cluster->state->WaitUntil(
        [&](const cluster::ClusterSnapshot& s) {
          // With etcd gone no applied sequence can arrive: answer now (the write is durable).
          return !s.etcd_reachable || Applied(s, published);
        },
        kRefreshWait);
  }
  return outcomes;
}

void ClusterWriteDocument(RestContext& ctx, WriteOp op, RefreshPolicy refresh,
                          HttpResponse* resp) {
  std::vector<WriteOp> ops;
  ops.push_back(std::move(op));
  std::vector<WriteOutcome> outcomes = ClusterWrite(ctx, std::move(ops), {Status::OK()}, refresh);
  if (!outcomes[0].status.ok()) return ReplyError(outcomes[0].status, resp);
  es::ReplyWriteOutcome(std::move(outcomes[0]), resp);
}

void ClusterBulk(RestContext& ctx, const RestRequest& req, RefreshPolicy refresh,
                 HttpResponse* resp) {
  if (Status st = CheckEtcdReachable(ctx); !st.ok()) return ReplyError(st, resp);
  auto started = std::chrono::steady_clock::now();
  auto items = es::ParseBulk(IndexParam(req), req.body());
  if (!items.ok()) return ReplyError(items.status(), resp);
  std::vector<WriteOp> ops;
  std::vector<Status> failed;
  for (es::BulkItem& item : *items) {
    if (item.error.ok() && req.caller != nullptr) {
      item.error = req.caller->authorize(security::BulkItemAccess(item.action, item.op.index));
    }
    ops.push_back(item.op);
    failed.push_back(item.error);
  }
  std::vector<WriteOutcome> outcomes = ClusterWrite(ctx, std::move(ops), std::move(failed), refresh);
  // The response shows the ids the coordinator generated.
  for (size_t i = 0; i < items->size(); ++i) (*items)[i].op.id = outcomes[i].id;
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
  Reply(es::RenderBulkResponse(*items, outcomes, took), resp);
}

}  // namespace lookalike::server

// Writes of a cluster node; see cluster_mode.h (reads go through the coordinator,
// cluster/scatter.h).
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "cluster/cluster_state.h"
#include "cluster/routing.h"
#include "cluster/search_wire.h"
#include "cluster/shard_copies.h"
#include "cluster/shard_log.h"
#include "cluster/write_results.h"
#include "net/http_client.h"
#include "server/es/bulk_codec.h"
#include "server/es/doc_codec.h"
#include "server/handlers/cluster_mode.h"
#include "server/request_caller.h"
#include "server/security/route_privileges.h"

namespace lookalike::server {
namespace {

// How long refresh=true|wait_for waits for the copies before answering anyway.
constexpr std::chrono::seconds kRefreshWait{30};
// How long a write waits for some copy of each written shard to apply its batch (so that the
// copy's decisions can be reported) before answering with the stream's acknowledgement alone;
// shared by all the request's shards.
constexpr std::chrono::seconds kDecisionWait{30};
// One copy's answer to "what did you decide" (it answers from memory: no wait on its side).
constexpr std::chrono::seconds kDecisionFetchTimeout{5};

std::string Authorization(const RestRequest& req) {
  return std::string(req.http.Header("authorization"));
}

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

// What the coordinator can check without the stored document; the copies decide the rest.
Status CheckOp(const WriteOp& op) {
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

// One published batch: its shard, its stream sequence, the request's ops it carries in order.
struct PublishedBatch {
  ShardTarget target;
  uint64_t sequence = 0;
  std::vector<size_t> members;
};

// Every live copy of each published shard has applied its sequence.
bool Applied(const cluster::ClusterSnapshot& snap, const std::vector<PublishedBatch>& batches) {
  for (const PublishedBatch& batch : batches) {
    const cluster::ShardState* shard = snap.FindShard(batch.target.uuid, batch.target.shard);
    if (shard == nullptr) {
      if (snap.FindByUuid(batch.target.uuid) != nullptr) return false;  // not assigned yet
      continue;                                                         // deleted meanwhile
    }
    for (const std::string& node : shard->assignment.Copies()) {
      if (!snap.nodes.count(node)) continue;
      auto applied = shard->applied.find(node);
      if (applied == shard->applied.end() || applied->second < batch.sequence) return false;
    }
  }
  return true;
}

bool Creates(const WriteOp& op) {
  return op.kind == WriteKind::kIndex || op.kind == WriteKind::kCreate;
}

// The metadata of the indices the ops name. A missing index that an index/create op writes
// into is created first (action.auto_create_index: true, as Elasticsearch does before it runs
// a bulk's items); ops whose index is still missing fail with index_not_found_exception (a
// name that cannot be created: that error).
std::map<std::string, cluster::IndexMetadata> ResolveIndices(
    RestContext& ctx, const std::vector<WriteOp>& ops, std::vector<WriteOutcome>* outcomes) {
  auto snap = ctx.cluster->state->snapshot();
  std::map<std::string, cluster::IndexMetadata> known;
  std::map<std::string, Status> refused;
  for (size_t i = 0; i < ops.size(); ++i) {
    const std::string& name = ops[i].index;
    if (!(*outcomes)[i].status.ok() || known.count(name) || refused.count(name)) continue;
    if (auto it = snap->indices.find(name); it != snap->indices.end()) {
      known.emplace(name, it->second);
    } else if (Creates(ops[i])) {
      auto created = ClusterAutoCreateIndex(ctx, name);
      if (created.ok()) {
        spdlog::info("cluster: auto-created index {} on its first write", name);
        known.emplace(name, std::move(created).value());
      } else {
        refused.emplace(name, created.status());
      }
    }
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    WriteOutcome& out = (*outcomes)[i];
    if (!out.status.ok() || known.count(ops[i].index)) continue;
    auto it = refused.find(ops[i].index);
    out.status = it != refused.end() ? it->second : MissingIndex(ops[i].index);
  }
  return known;
}

// What one copy decided for `batch`: in-process for a copy on this node, else over HTTP.
Result<std::vector<WriteOutcome>> CopyDecisions(RestContext& ctx, const cluster::NodeInfo& node,
                                                const std::string& local, uint64_t sequence,
                                                const std::string& authorization) {
  if (node.name == ctx.cluster->node_name) {
    if (ctx.cluster->copies == nullptr) return Status::NotFound("no local shard copies");
    return ctx.cluster->copies->WriteResults(local, sequence);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(net::HttpClient client, net::HttpClient::Create("http://" + node.http));
  client.SetAuthorization(authorization);
  client.SetReceiveTimeout(kDecisionFetchTimeout);
  LOOKALIKE_ASSIGN_OR_RETURN(
      net::HttpClientResponse answer,
      client.Send("GET", "/_internal/shards/" + net::UrlEncodeSegment(local) +
                             "/_write_results?seq=" + std::to_string(sequence),
                  ""));
  if (answer.status != 200) return cluster::DecodeShardError(answer.body);
  return cluster::DecodeWriteResults(answer.body);
}

// Asks the copies of the batch's shard (the primary first, then the others: all decide the
// same) for their decisions; the first that knows them answers. Unavailable while none has
// applied the batch yet (or none is reachable); NotFound when every copy applied it but none
// keeps its results (restarted since): waiting longer would not help.
Result<std::vector<WriteOutcome>> BatchDecisions(RestContext& ctx,
                                                 const cluster::ClusterSnapshot& snap,
                                                 const cluster::IndexMetadata& meta,
                                                 const PublishedBatch& batch,
                                                 const std::string& authorization) {
  const cluster::ShardState* shard = snap.FindShard(batch.target.uuid, batch.target.shard);
  if (shard == nullptr) return Status::Unavailable("the shard has no copies yet");
  cluster::IndexRoutes naming;
  naming.index = meta.name;
  naming.uuid = meta.uuid;
  const std::string local = cluster::ShardIndexName(naming, batch.target.shard);
  Status last = Status::Unavailable("no live copy of the shard");
  bool all_forgot = true;
  for (const std::string& name : shard->assignment.Copies()) {  // primary first
    auto node = snap.nodes.find(name);
    if (node == snap.nodes.end()) continue;
    auto decided = CopyDecisions(ctx, node->second, local, batch.sequence, authorization);
    if (decided.ok() && decided->size() == batch.members.size()) return decided;
    last = decided.ok() ? Status::Corruption("a copy answered for another number of writes")
                        : decided.status();
    // NotFound without a kind: applied, results not kept (a missing copy is index_not_found).
    all_forgot &= last.code() == StatusCode::kNotFound && last.kind() == ErrorKind::kNone;
  }
  if (all_forgot && last.code() == StatusCode::kNotFound) return last;
  return Status::Unavailable(last.message());
}

// Replaces the stream-ack answers of each batch's ops with what a copy decided, asking the
// copies directly (no etcd round trip: the fastest copy's apply is the whole wait) and again
// with a growing pause while none has applied the batch, for at most kDecisionWait. A batch
// whose decisions cannot be had keeps the acknowledgement: stored, result unknown.
void ReportDecisions(RestContext& ctx, const std::map<std::string, cluster::IndexMetadata>& known,
                     const std::vector<WriteOp>& ops, const std::vector<PublishedBatch>& batches,
                     const std::string& authorization, std::vector<WriteOutcome>* outcomes) {
  const auto deadline = std::chrono::steady_clock::now() + kDecisionWait;
  for (const PublishedBatch& batch : batches) {
    const cluster::IndexMetadata& meta = known.at(ops[batch.members.front()].index);
    std::chrono::milliseconds pause{1};
    Result<std::vector<WriteOutcome>> decided = Status::Unavailable("not asked");
    while (true) {
      auto snap = ctx.cluster->state->snapshot();  // copies move while we wait
      decided = BatchDecisions(ctx, *snap, meta, batch, authorization);
      if (decided.ok() || decided.status().code() != StatusCode::kUnavailable ||
          std::chrono::steady_clock::now() + pause >= deadline) {
        break;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    if (!decided.ok()) {
      spdlog::warn("cluster: the results of [{}][{}] sequence {} are unknown ({}); answering "
                   "with the stream's acknowledgement",
                   meta.name, batch.target.shard, batch.sequence, decided.status().ToString());
      continue;
    }
    for (size_t k = 0; k < batch.members.size(); ++k) {
      WriteOutcome& out = (*outcomes)[batch.members[k]];
      WriteOutcome& copy = (*decided)[k];
      out.status = std::move(copy.status);
      out.result = copy.result;
      out.version = copy.version;
      out.seq_no = copy.seq_no;
      out.primary_term = copy.primary_term;
    }
  }
}

}  // namespace

std::vector<WriteOutcome> ClusterWrite(RestContext& ctx, std::vector<WriteOp> ops,
                                       std::vector<Status> failed, RefreshPolicy refresh,
                                       const std::string& authorization) {
  const Status reachable = CheckEtcdReachable(ctx);
  std::vector<WriteOutcome> outcomes(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    WriteOp& op = ops[i];
    WriteOutcome& out = outcomes[i];
    out.index = op.index;
    out.status = failed[i].ok() ? reachable : failed[i];
    if (!out.status.ok()) continue;
    if (op.id.empty()) op.id = GenerateId();
    out.id = op.id;
    out.status = CheckOp(op);
  }
  const std::map<std::string, cluster::IndexMetadata> known = ResolveIndices(ctx, ops, &outcomes);
  std::map<ShardTarget, std::vector<size_t>> groups;  // ops by shard, in request order
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!outcomes[i].status.ok()) continue;
    const cluster::IndexMetadata& meta = known.at(ops[i].index);
    groups[{meta.uuid, cluster::ShardForRouting(ops[i].id, meta.number_of_shards)}].push_back(i);
  }
  auto snap = ctx.cluster->state->snapshot();
  std::vector<PublishedBatch> published;
  for (const auto& [target, members] : groups) {
    std::vector<WriteOp> batch;
    batch.reserve(members.size());
    for (size_t i : members) batch.push_back(ops[i]);
    const cluster::ShardState* shard = snap->FindShard(target.uuid, target.shard);
    const int64_t term = shard ? shard->assignment.primary_term : 1;
    auto seq =
        ctx.cluster->log->Publish(target.uuid, target.shard, batch, cluster::NewUuid(), term);
    for (size_t i : members) {
      WriteOutcome& out = outcomes[i];
      if (!seq.ok()) {
        out.status = seq.status();
        continue;
      }
      // Stored: the answer if no copy's decision can be had (see ReportDecisions).
      out.seq_no = static_cast<int64_t>(*seq);
      out.primary_term = term;
      out.version = 1;
      out.result = ReportedResult(ops[i].kind);
    }
    if (seq.ok()) published.push_back({target, *seq, members});
  }
  if (published.empty()) return outcomes;
  if (refresh != RefreshPolicy::kFalse) {
    ctx.cluster->state->WaitUntil(
        [&](const cluster::ClusterSnapshot& s) {
          // With etcd gone no applied sequence can arrive: answer now (the write is durable).
          return !s.etcd_reachable || Applied(s, published);
        },
        kRefreshWait);
  }
  ReportDecisions(ctx, known, ops, published, authorization, &outcomes);
  return outcomes;
}

void ClusterWriteDocument(RestContext& ctx, const RestRequest& req, WriteOp op,
                          RefreshPolicy refresh, HttpResponse* resp) {
  std::vector<WriteOp> ops;
  ops.push_back(std::move(op));
  std::vector<WriteOutcome> outcomes =
      ClusterWrite(ctx, std::move(ops), {Status::OK()}, refresh, Authorization(req));
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
  std::vector<WriteOutcome> outcomes =
      ClusterWrite(ctx, std::move(ops), std::move(failed), refresh, Authorization(req));
  // The response shows the ids the coordinator generated.
  for (size_t i = 0; i < items->size(); ++i) (*items)[i].op.id = outcomes[i].id;
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
  Reply(es::RenderBulkResponse(*items, outcomes, took), resp);
}

}  // namespace lookalike::server

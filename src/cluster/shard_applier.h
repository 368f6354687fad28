// One local copy of a shard keeping up with its stream (issue 9): a thread that consumes the
// shard's JetStream stream from the sequence after the last one it applied, applies each group
// of batches to the copy's local engine index with one Engine::Write (one synced storage batch,
// in stream order), keeps the outcomes, waits until search covers the writes (Engine::Refresh),
// then records the sequence durably, acks it, and publishes it at
// /lookalike/applied/<uuid>/<shard>/<node> under the node's lease (refresh=wait_for and the
// shard map read it; a copy that has published once is "started").
//
// Restart: the recorded sequence (a file beside the engine's data, replaced atomically) says
// where to resume, so nothing is skipped. A crash after the engine's write and before the file
// is replaced hands that last group over again on restart: the engine skips every op whose
// stream sequence the copy's index has already stored (WriteOutcome::replayed), so documents,
// _version and _seq_no end up as if it had been applied once.
//
// Results: what the copy decided for each op of each batch (engine outcomes: created or
// updated, _version, a conflict, a mapping error …) is kept in a bounded ring for the
// coordinators that published the batches (cluster/write_results.h). Ops carry the batch's
// stream sequence (WriteOp::log_seq_no, the documents' _seq_no) and primary term, so every copy
// stores and decides the same; a group applied again after a crash is skipped by the engine
// op by op (WriteOutcome::replayed) and its results are not recorded (they would be wrong).
//
// Thread safety: Stop, applied() and WriteResults() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "cluster/etcd_client.h"
#include "cluster/shard_log.h"
#include "cluster/write_results.h"
#include "lookalike/engine.h"

namespace lookalike::cluster {

struct ShardApplierConfig {
  std::string index_uuid;
  int shard = 0;
  std::string local_index;   // the engine index holding the copy (ShardIndexName)
  std::string node;          // this node's name
  std::string applied_file;  // where the applied sequence is recorded
  std::function<int64_t()> lease;  // the node's membership lease (applied keys live under it)
};

class ShardApplier {
 public:
  /// Starts applying. `engine`, `log` and `etcd` must outlive the applier.
  ShardApplier(Engine* engine, ShardLog* log, EtcdClient* etcd, ShardApplierConfig config);
  ~ShardApplier();
  ShardApplier(const ShardApplier&) = delete;
  ShardApplier& operator=(const ShardApplier&) = delete;

  /// Stops after the group being applied (joins the thread); idempotent.
  void Stop();
  /// The last stream sequence applied and recorded.
  uint64_t applied() const { return applied_.load(); }
  /// What the copy decided for each op of the batch at `sequence`, in batch order: known once
  /// the batch is stored, before search covers it. Unavailable when the copy has not stored it
  /// yet; NotFound when it is not kept.
  Result<std::vector<WriteOutcome>> WriteResults(uint64_t sequence) const;

  /// The sequence recorded in `applied_file` (0 when there is none).
  static uint64_t ReadApplied(const std::string& applied_file);

 private:
  void Loop();
  void PublishApplied();
  // Applies one fetched group (retrying while the engine is unavailable); false when stopped.
  bool Apply(std::vector<LoggedBatch>& group);

  Engine* const engine_;
  ShardLog* const log_;
  EtcdClient* const etcd_;
  const ShardApplierConfig config_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> applied_{0};
  // The last sequence whose outcomes are in results_: it runs ahead of applied_ while the
  // group's vectors are inserted (the decisions are known once the storage write is done).
  std::atomic<uint64_t> decided_{0};
  uint64_t published_ = UINT64_MAX;  // applier thread only: last sequence put in etcd
  WriteResultRing results_;
  std::thread thread_;
};

}  // namespace lookalike::cluster

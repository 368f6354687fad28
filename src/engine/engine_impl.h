// EngineImpl: the Engine of include/lookalike/engine.h, a facade over the parts on the path of
// data: the Writer (writer.h: typed items of one index → one durable batch), the
// VectorInserter (vector_inserter.h: queued vector work → vector indices) and the Searcher
// (searcher.h: plan → execute → collect → typed result). Its own code is
// spread over engine_impl.cc (open, index management, lifecycle, snapshots), engine_write.cc
// (documents, bulk), engine_search.cc (search, count and get entry points) and engine_stats.cc
// (_cat/indices rows, cluster health, _stats).
//
// Thread safety / invariants:
//   indices_mu_ guards indices_ (the name → Index map); Index objects are shared_ptr so a call
//   in flight keeps a dropped index alive. Per-index locking is described in index.h.
//   The inserter applies vector tasks in order per index (vector_inserter.h), so two writes of
//   the same document reach the vector index in order. sync_mu_ guards stopping_ (the WAL
//   syncer's stop flag).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/index.h"
#include "engine/recovery.h"
#include "engine/refusal_log.h"
#include "engine/searcher.h"
#include "engine/vector_inserter.h"
#include "engine/writer.h"
#include "lookalike/engine.h"
#include "storage/disk_monitor.h"
#include "storage/doc_store.h"

namespace lookalike::engine {

/// Index-name wildcard match ('*' only).
bool IndexGlob(std::string_view pattern, std::string_view s);

/// The top-level vector fields of `mapping` filled from an image field (engine_embed.cc).
std::vector<EmbedSpec> EmbedSpecsOf(const Mapping& mapping);
/// Create index (`before` null) / put mapping: every such field that is new or redefined in
/// `after` must name a model the embedder has, with the field's dimension
/// (ErrorKind::kMappingParse otherwise; always when there is no embedder).
Status CheckEmbedModels(const FieldEmbedder* embedder, const Mapping* before,
                        const Mapping& after);

/// An index whose stored state could not be loaded at open. The node serves every other index;
/// this one is listed (health red) and answers every request with Unavailable until deleted.
struct FailedIndex {
  std::string name;
  std::string uuid;    // "" when even the metadata was unreadable
  std::string reason;  // why loading failed
};

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const EngineOptions& options) : options_(options) {}
  ~EngineImpl() override;
  Status Init();

  Result<CreatedIndex> CreateIndex(std::string_view name,
                                   const IndexDefinition& definition) override;
  Result<Acknowledged> DeleteIndex(std::string_view name) override;
  bool IndexExists(std::string_view name) const override;
  Result<std::vector<IndexDescription>> DescribeIndices(std::string_view name,
                                                        bool include_defaults) const override;
  Result<Acknowledged> PutMapping(std::string_view name, const MappingDefinition& mapping) override;
  Result<Acknowledged> UpdateSettings(std::string_view name, const SettingsUpdate& update) override;
  int64_t SearchSlowLogFloorNanos() const override {
    return search_slowlog_floor_.load(std::memory_order_relaxed);
  }
  std::vector<IndexSlowLogSettings> SlowLogSettings(std::string_view name) const override;
  SlowLog* slow_log() override { return &slow_log_; }
  MetricsRegistry* metrics() override { return &metrics_; }
  std::vector<IndexInfo> ListIndices() const override;
  Result<ShardsSummary> Refresh(std::string_view name) override;
  Result<ShardsSummary> Flush(std::string_view name) override;
  Result<std::vector<IndexStatistics>> Stats(std::string_view name) const override;
  ClusterHealthReport ClusterHealth() const override;
  Status SetDiskWatermarks(std::string_view low, std::string_view high,
                           std::string_view flood_stage) override;

  Result<std::vector<WriteOutcome>> Write(std::vector<WriteOp> ops,
                                          RefreshPolicy refresh) override;
  Result<WriteOutcome> WriteDocument(WriteOp op, RefreshPolicy refresh) override;
  Result<EmbedSpec> NeuralTarget(std::string_view index, const NeuralNode& node) const override;
  Result<ExampleVector> ReadExampleVector(std::string_view index, std::string_view id,
                                          std::string_view path) const override;
  Result<StoredDocument> GetDocument(std::string_view index, std::string_view id,
                                     const SourceFilter& source) const override;
  Result<SearchResult> Search(std::string_view index, const SearchRequest& request,
                              const SearchOptions& options) override;
  Result<CountResult> Count(std::string_view index, const CountRequest& request) override;
  size_t MaxClauseCount() const override { return options_.max_clause_count; }
  Result<NearDuplicateReport> FindNearDuplicates(std::string_view index, std::string_view field,
                                                 float min_score,
                                                 const NearDuplicateOptions& options) override;
  void Shutdown() override;

  // Snapshots for a repository (engine_snapshot.cc).
  Result<std::unique_ptr<IndexCapture>> CaptureIndex(std::string_view name,
                                                     bool flush_vectors) override;
  Status RestoreIndex(std::string_view name, IndexRestoreSource& source) override;

 private:
  // Index lookup. Resolve expands "", "_all", "*", comma lists and wildcards.
  std::shared_ptr<Index> Find(std::string_view name) const;
  Result<std::vector<std::shared_ptr<Index>>> Resolve(std::string_view expr,
                                                      bool allow_all) const;
  Result<std::shared_ptr<Index>> AutoCreate(const std::string& name);
  // A copy of `request` whose knn lookups and recommends (KnnNode::lookup, ::recommend) hold the
  // query vectors they name; nullopt when it has none (vector_lookup.cc).
  Result<std::optional<SearchRequest>> ResolveVectorLookups(const SearchRequest& request) const;
  Result<std::shared_ptr<Index>> CreateIndexInternal(std::string_view name,
                                                     const IndexDefinition& definition);
  /// Loads a stored index and publishes it; its vector catch-up job goes to `jobs` (by default
  /// the startup jobs run by RecoveryLoop).
  Status LoadIndex(const std::string& name, const std::string& meta,
                   std::vector<RecoveryJob>* jobs = nullptr);
  /// OK unless `name` is a failed index; then Unavailable naming the load failure.
  Status FailedIndexStatus(std::string_view name) const;
  /// DELETE of a failed index: drops what storage holds for it. NotFound if not failed.
  Status DropFailedIndex(const std::string& name);

  /// Search once the targets are resolved: knn lookups, then the Searcher with the embedding
  /// plug-in for neural nodes; Search records the metrics.
  Result<SearchResult> SearchIndices(const std::vector<std::shared_ptr<Index>>& targets,
                                     const SearchRequest& request, const SearchOptions& options,
                                     std::chrono::steady_clock::time_point start);

  // Embedding (engine_embed.cc). Fills the vectors of items whose documents hold an image for
  // a mapped source_field; an item whose image cannot be used fails alone. No lock held.
  void EmbedWriteItems(std::vector<WriteItem>* items);
  /// `node` with every neural node made a knn node on `index` (takes its data_mu shared while
  /// reading the mapping, not while embedding).
  Result<QueryNode> EmbedNeuralNodes(const Index& index, const QueryNode& node,
                                     NeuralEmbeddings* done);
  /// `request` with its query and post_filter embedded for `index`.
  Result<SearchRequest> EmbedNeuralRequest(const Index& index, const SearchRequest& request,
                                           NeuralEmbeddings* done);

  // Writes (engine_write.cc): embedding, grouping by index, auto-creation, the Writer per
  // group, metrics, slow log, refresh.
  Status ExecuteWrites(std::vector<WriteItem>* items, RefreshPolicy refresh);

  /// Waits until the inserter applied everything queued for `index` (VectorInserter::WaitIdle).
  void WaitVectors(Index* index);
  void SyncLoop();
  void RecoveryLoop();
  /// Queues the catch-up of one loaded index (RecoveryLoop, and a restore on its own thread).
  void RunRecoveryJob(RecoveryJob& job);
  /// Restore steps (engine_snapshot.cc): records and vector files of a new space.
  /// At open: removes what an interrupted restore left (restore-tmp/, vector folders of no
  /// index).
  void RemoveRestoreLeftovers();
  Status FillRestoredSpace(storage::IndexSpace* space, const std::string& staging,
                           IndexRestoreSource& source);

  // Snapshots.
  Status SnapshotIndex(Index* index);

  Status CheckOpen() const;

  // Metrics (engine_metrics.cc). AttachMetrics gives an index its series before it is
  // published; RecordWrites counts the applied items of one index group; CollectMetrics is the
  // registry's collector (sizes, residency, queue, RocksDB), run when the metrics are read.
  void AttachMetrics(Index* index);
  void RecordWrites(const Index& index, const std::vector<WriteItem*>& items);
  /// One image embedded for `use` ("query" or "index") by `model` ("" = the default model).
  void RecordEmbed(const std::string& model, std::string_view use, double seconds);
  void CollectMetrics(std::vector<MetricFamily>* out) const;

  // Slow log (engine_settings.cc). Recomputes search_slowlog_floor_ from every index; called
  // whenever an index comes or goes or its settings change.
  void RecomputeSlowLogFloor();
  /// Records the written items of one index group that took `took_nanos` when that reaches
  /// the index's indexing threshold.
  void MaybeLogSlowWrites(const Index& index, const std::vector<WriteItem*>& items,
                          int64_t took_nanos);

  // Disk full (engine_disk.cc): the flood-stage / read-only-storage block of an index
  // (ResourceExhausted / kWriteBlocked), the monitor thread that also heals the store, and the
  // rate-limited log of refused writes.
  Status StartDiskMonitor();
  Status CheckWritable(std::string_view index) const;
  void LogRefused(std::string_view what, std::string_view index, size_t refused, size_t total,
                  const Status& first);

  EngineOptions options_;
  std::unique_ptr<storage::DocStore> store_;
  std::unique_ptr<Searcher> searcher_;  // created by Init, after store_
  std::unique_ptr<VectorInserter> inserter_;  // created by Init, after store_
  std::unique_ptr<Writer> writer_;            // created by Init, after inserter_
  mutable std::shared_mutex indices_mu_;
  std::map<std::string, std::shared_ptr<Index>> indices_;
  std::map<std::string, FailedIndex> failed_;  // guarded by indices_mu_; disjoint from indices_

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;  // wakes the async WAL syncer on shutdown
  bool stopping_ = false;
  std::thread syncer_;
  std::thread recovery_;
  std::vector<RecoveryJob> recovery_jobs_;  // filled by Init, then owned by recovery_
  std::atomic<bool> recovery_abort_{false};
  std::atomic<bool> shut_down_{false};
  std::unique_ptr<storage::DiskMonitor> disk_monitor_;  // started by Init, stopped by Shutdown
  std::unique_ptr<RefusalLog> refusal_log_ = std::make_unique<RefusalLog>();
  std::atomic<int64_t> search_slowlog_floor_{-1};  // see SearchSlowLogFloorNanos
  SlowLog slow_log_;
  // Declared last: destroyed first, so its collector (which reads the members above) cannot
  // outlive them. An index's series are removed under indices_mu_ when the index goes.
  MetricsRegistry metrics_;
};

}  // namespace lookalike::engine

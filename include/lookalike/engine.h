// The search engine: Elasticsearch/OpenSearch semantics (indices, mappings, documents, query
// DSL, search responses) over durable storage. The REST layer (src/server/) calls this API and
// only does HTTP: routing, URL parameters and the mapping of errors to HTTP status codes.
//
// Requests and responses. Search and Count take typed requests (lookalike/search_request.h)
// and return typed results (lookalike/search_result.h); writes speak types
// (lookalike/write_ops.h: WriteOp in, WriteOutcome out). The codec in src/server/es/ parses
// request bodies and URL parameters into them and renders the Elasticsearch bodies and
// statuses once; the engine parses no search or count body. Index management speaks the types
// of lookalike/index_definition.h (IndexDefinition, MappingDefinition, SettingsUpdate in;
// IndexDescription, Acknowledged, ShardsSummary, IndexStatistics, ClusterHealthReport out),
// parsed and rendered by src/server/es/index_codec.h; GetDocument returns a StoredDocument.
//
// Errors. Failed calls return a non-OK Status. Its code is the class and its kind()
// (lookalike/status.h ErrorKind) the finer reason; the server maps both to HTTP and to the
// Elasticsearch error type in one table (src/server/error_mapping.cc). Typical pairs:
//   code                 kind()                                   HTTP, type clients see
//   kInvalidArgument     kMalformedRequest                        400 parsing_exception
//                        kMappingParse                            400 mapper_parsing_exception
//                        kInvalidValue                            400 illegal_argument_exception
//                        kInvalidIndexName                        400 invalid_index_name_exception
//                        kRequestValidation      400 action_request_validation_exception
//                        kSearchRejected (too many clauses)       400 search_phase_execution_…
//   kNotFound            kIndexNotFound                           404 index_not_found_exception
//                        kDocumentMissing                         404 document_missing_exception
//   kAlreadyExists       kIndexAlreadyExists               400 resource_already_exists_exception
//   kConflict            kVersionConflict                  409 version_conflict_engine_exception
//   kResourceExhausted   kWriteBlocked (disk flood stage / read-only storage)
//                                                                 429 cluster_block_exception
//                        kNone                                    413 content_too_long_exception
//   kUnavailable         kIndexUnavailable (failed to load); kNone (shutting down)   503
//   kIOError/kCorruption (storage failures)                       500
// The message is the Elasticsearch "reason" text. Without a kind the server renders the code
// alone. Per-item failures of Write() (WriteOutcome::status) follow the same table. For
// kIndexNotFound the message is
// "no such index [NAME]" and the index name is available through IndexNameOf(status) so the
// server can add "index" and "resource.id" to the error body.
//
// Thread safety: every method may be called concurrently from any number of threads. Writes to
// one index are serialised internally (sequence numbers are assigned in order); searches run in
// parallel with writes and with each other. Shutdown() must not race with other calls (the
// server stops accepting requests first); the destructor calls Shutdown() if needed.
//
// Visibility. Document fields used by queries and filters are searchable as soon as the write
// call returns. Vector (knn) fields are inserted into the vector index by background threads:
// a write returns once the document is durable in RocksDB; Refresh(), or a write with
// RefreshPolicy::kTrue / kWaitFor, returns only after the vector index covers every write
// acknowledged before it. GetDocument is always real-time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/field_embedder.h"
#include "lookalike/index_definition.h"
#include "lookalike/index_files.h"
#include "lookalike/metrics.h"
#include "lookalike/near_duplicates.h"
#include "lookalike/search_request.h"
#include "lookalike/search_result.h"
#include "lookalike/slow_log.h"
#include "lookalike/status.h"
#include "lookalike/vector_builders.h"
#include "lookalike/write_ops.h"

namespace lookalike {

/// When an acknowledged write is on stable storage (Elasticsearch index.translog.durability).
enum class Durability : uint8_t {
  kRequest = 0,  // fsync (RocksDB WAL sync) before a write/bulk call returns; survives kill -9
                 // and power loss. The Elasticsearch default.
  kAsync = 1,    // the WAL is written but synced in the background (about once a second);
                 // survives a process crash (kill -9), not a power loss.
};

struct EngineOptions {
  std::string data_dir;                        // created if missing; holds RocksDB + snapshots
  Durability durability = Durability::kRequest;
  int threads = 0;                             // background vector-insertion threads, 0 = cores
  size_t max_result_window = 10000;            // default index.max_result_window (from + size)
  /// indices.query.bool.max_clause_count: a search or count body whose queries (query, knn
  /// section and post_filter together) hold more nested clauses is refused with 400
  /// search_phase_execution_exception ("too_many_clauses: ... maxClauseCount is set to N").
  /// The codec enforces it while parsing (Engine::MaxClauseCount() hands it over), before any
  /// tree is built; requests built in C++ are not counted.
  size_t max_clause_count = 1024;
  /// Write vector index snapshots on Flush() and on Shutdown(). Tests may turn it off.
  bool snapshot_on_shutdown = true;
  /// The background inserter also snapshots a vector field after this many vectors were
  /// applied since its last snapshot, bounding the work replayed after a crash. 0 = never.
  size_t auto_snapshot_vectors = 200000;
  /// Disk watermarks on the data directory's file system (Elasticsearch's
  /// cluster.routing.allocation.disk.watermark.{low,high,flood_stage}): a used share ("95%",
  /// "0.95") or a free-space floor ("1gb"). Above the flood stage every index gets the
  /// read-only-allow-delete block: writes answer 429 cluster_block_exception, reads and index
  /// deletion go on; the block is lifted below the high watermark. "" keeps the default.
  std::string disk_watermark_low = "85%";
  std::string disk_watermark_high = "90%";
  std::string disk_flood_stage = "95%";
  /// How often the disk is sampled and a read-only store tries to recover (RocksDB Resume).
  int disk_check_interval_ms = 1000;
  /// Record per-index search and write metrics (Engine::metrics()). Off only to measure what
  /// they cost (bench/micro/metrics_bench.cc); the collected gauges are there either way.
  bool record_metrics = true;
  /// Makes vectors from images (lookalike/field_embedder.h): fills vector fields mapped with a
  /// "source_field" on writes, checks their models at create index / put mapping, and embeds
  /// neural queries. Null = no embedding: such mappings, writes that carry an image for such a
  /// field, and neural queries fail with 400 illegal_argument_exception / mapper_parsing_exception
  /// ("no image models are loaded ..."). Stored documents and indices load without it.
  std::shared_ptr<FieldEmbedder> embedder;
};

/// ?refresh= on write requests. "" and "false" → kFalse, "true" (and bare "?refresh") → kTrue,
/// "wait_for" → kWaitFor. Both kTrue and kWaitFor make the call return after the written
/// documents are visible to search (including the vector index).
enum class RefreshPolicy : uint8_t { kFalse = 0, kTrue = 1, kWaitFor = 2 };
/// InvalidArgument (illegal_argument_exception) for any other value.
Result<RefreshPolicy> ParseRefreshPolicy(std::string_view value);

/// PUT /{index}/_doc/{id} is kIndex (create or overwrite); PUT /{index}/_create/{id} and
/// ?op_type=create are kCreate (409 version_conflict_engine_exception if the id exists).
enum class OpType : uint8_t { kIndex = 0, kCreate = 1 };
/// "index" or "create"; InvalidArgument otherwise.
Result<OpType> ParseOpType(std::string_view value);

/// From the two query parameters (null = absent); illegal_argument_exception when a value is
/// not a non-negative integer, plus Validate().
Result<WriteCondition> ParseWriteCondition(const std::string* if_seq_no,
                                           const std::string* if_primary_term);

/// What GET /{index}/_doc/{id} finds. When `found` is false only `index` and `id` are set.
struct StoredDocument {
  std::string index;
  std::string id;
  bool found = false;
  int64_t version = 0;
  int64_t seq_no = 0;
  int64_t primary_term = 1;
  /// The stored _source (JSON object bytes) after the request's _source filtering; absent when
  /// _source was turned off.
  std::optional<std::string> source;
};

/// One row of GET /_cat/indices (the server formats text or JSON).
struct IndexInfo {
  std::string name;
  std::string uuid;
  std::string health = "green";  // "green" (we have no replicas to be missing), "red" if failed
  std::string status = "open";
  /// Non-empty when the index failed to load at startup: why. Such an index stays listed
  /// (health "red"), answers every other request with 503 unavailable_shards_exception and can
  /// be deleted to recover.
  std::string failure;
  int number_of_shards = 1;
  int number_of_replicas = 0;
  int64_t docs_count = 0;
  int64_t docs_deleted = 0;
  int64_t store_size_bytes = 0;  // approximate on-disk size: documents + vector snapshots
};

/// How a search runs, apart from what it asks for (that is the SearchRequest).
struct SearchOptions {
  /// Run the search as one shard of a larger search whose results a coordinator merges
  /// (include/lookalike/search_merge.h): the engine returns the first `from + size` hits
  /// (from = 0, size = from + size, window checks unchanged) so the merge can pick the page.
  bool as_shard = false;
  /// What the search is, for the per-kind metrics; absent = SearchKindOf(request). A caller that
  /// embedded an image itself and searches the knn query it became sets kImage.
  std::optional<SearchKind> kind;
};

/// Validates an index name for creation with Elasticsearch's rules: non-empty, lowercase, not
/// "." or "..", none of \ / * ? " < > | space , #, not starting with _ - +, ≤ 255 bytes.
/// InvalidArgument with type "invalid_index_name_exception" and the Elasticsearch reason text.
Status ValidateIndexName(std::string_view name);

/// The index name carried by an index_not_found_exception (or resource_already_exists_exception)
/// status, "" when none. Lets the server fill "index" in the error body.
std::string IndexNameOf(const Status& status);

class Engine {
 public:
  /// Opens (or creates) the node's data directory: one RocksDB database for all indices, vector
  /// snapshots beside it. Loads every index: vector snapshots are mapped, then caught up from the
  /// documents written after them; the graph is not rebuilt. IOError/Corruption when the
  /// database itself cannot be opened. An index whose own stored state cannot be loaded does
  /// not stop the node: it is kept in a failed state (see IndexInfo::failure) and the others
  /// serve.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);

  virtual ~Engine() = default;

  // ---- Indices ---------------------------------------------------------------------------

  /// PUT /{index} with `definition`'s settings (validated here: bad values are
  /// illegal_argument_exception; unknown keys are kept as given) and mapping. The mapping must
  /// respect the index.mapping.*.limit settings (illegal_argument_exception), and so must every
  /// later PutMapping and dynamic mapping while indexing. Errors: invalid_index_name_exception,
  /// resource_already_exists_exception, mapper_parsing_exception (a knn_vector whose default
  /// space type is unknown), illegal_argument_exception.
  virtual Result<CreatedIndex> CreateIndex(std::string_view name,
                                           const IndexDefinition& definition) = 0;

  /// DELETE /{index}: removes the index, its documents and snapshots; frees the disk.
  /// `name` may be a comma-separated list; "_all"/"*" are refused (illegal_argument_exception)
  /// to avoid accidents. index_not_found_exception.
  virtual Result<Acknowledged> DeleteIndex(std::string_view name) = 0;

  /// HEAD /{index}.
  virtual bool IndexExists(std::string_view name) const = 0;

  /// GET /{index}, GET _mapping, GET _settings: the indices `name` resolves to (empty name,
  /// "_all", "*", lists, wildcards), in name order, with their mapping and settings.
  /// `include_defaults` fills IndexDescription::defaults. index_not_found_exception.
  virtual Result<std::vector<IndexDescription>> DescribeIndices(
      std::string_view name, bool include_defaults = false) const = 0;

  /// PUT /{index}/_mapping: adds the fields of `mapping` (and takes its dynamic mode when set)
  /// to every index `name` resolves to. Changing the type or dimension of an existing field is
  /// illegal_argument_exception.
  virtual Result<Acknowledged> PutMapping(std::string_view name,
                                          const MappingDefinition& mapping) = 0;

  /// PUT /{index}/_settings (name: a list, wildcards, "" / "_all" / "*" = every index): applies
  /// `update` (a nullopt value resets a setting to its default). Dynamic settings:
  /// index.number_of_replicas, refresh_interval (stored), max_result_window,
  /// knn.algo_param.ef_search, mapping.*.limit, search.slowlog.threshold.query.*,
  /// indexing.slowlog.threshold.index.*, indexing.slowlog.source. All named indices are
  /// validated before any changes; the change is stored with the index metadata (durable) and
  /// takes effect for the next request.
  /// Errors (nothing changes): illegal_argument_exception for an unknown setting ("unknown
  /// setting [index.foo] please check that any required plugins are installed, ..."), a static
  /// one ("Can't update non dynamic settings [[index.number_of_shards]] for open indices
  /// [[NAME/UUID]]"), a managed one (index.uuid ...) or a bad value;
  /// index_not_found_exception.
  virtual Result<Acknowledged> UpdateSettings(std::string_view name,
                                              const SettingsUpdate& update) {
    (void)name, (void)update;
    return Status::Unsupported("settings updates are not supported");
  }

  // ---- Slow log (lookalike/slow_log.h) -----------------------------------------------------

  /// The smallest search slow-log threshold of any index in nanoseconds, -1 when no index logs
  /// slow searches. Lock-free: a search that took less needs no further look.
  virtual int64_t SearchSlowLogFloorNanos() const { return -1; }
  /// The slow-log settings of the indices `name` resolves to (like Search); empty when it
  /// resolves to nothing.
  virtual std::vector<IndexSlowLogSettings> SlowLogSettings(std::string_view name) const {
    (void)name;
    return {};
  }
  /// The node's slow log: slow searches (recorded by the caller of Search, which knows the
  /// request) and slow writes (recorded by the engine). Null when not kept.
  virtual SlowLog* slow_log() { return nullptr; }

  // ---- Metrics (lookalike/metrics.h) -------------------------------------------------------

  /// The node's metrics: what the engine counts on its paths (searches per index and kind with
  /// their latency, documents indexed and deleted per index) and, collected when read, vector
  /// index sizes per field and code type, page-cache residency of mapped vector files, the
  /// vector inserter's queue and RocksDB's state. The server adds its own series (HTTP, image
  /// embedding) and renders them. Null when the engine keeps none. Series of a deleted index
  /// disappear with it.
  virtual MetricsRegistry* metrics() { return nullptr; }

  /// All indices, sorted by name (for _cat/indices), including those that failed to load
  /// (health "red", IndexInfo::failure set).
  virtual std::vector<IndexInfo> ListIndices() const = 0;

  /// POST /{index}/_refresh (empty name = all): waits until search (vector indices included)
  /// covers every acknowledged write.
  virtual Result<ShardsSummary> Refresh(std::string_view name) = 0;

  /// POST /{index}/_flush (empty name = all): refresh, sync RocksDB, write vector snapshots.
  virtual Result<ShardsSummary> Flush(std::string_view name) = 0;

  /// GET /{index}/_stats (empty = all): documents, store size and vector index memory per
  /// index, in name order (the codec adds the totals).
  virtual Result<std::vector<IndexStatistics>> Stats(std::string_view name) const = 0;

  /// GET /_cluster/health.
  virtual ClusterHealthReport ClusterHealth() const = 0;

  /// PUT /_cluster/settings cluster.routing.allocation.disk.watermark.{low,high,flood_stage}
  /// (see EngineOptions; "" = the value the engine was opened with). Takes effect at once: the
  /// disk is sampled again. illegal_argument_exception for an unparsable value or high above
  /// flood stage; nothing changes then.
  virtual Status SetDiskWatermarks(std::string_view low, std::string_view high,
                                   std::string_view flood_stage) {
    (void)low, (void)high, (void)flood_stage;
    return Status::OK();
  }

  // ---- Documents -------------------------------------------------------------------------

  /// Writes `ops` (from _bulk, or any caller) and returns one outcome per op, in order. Items
  /// are grouped by index; each index's items are stored with one durable (synced) RocksDB
  /// batch under Durability::kRequest. A missing index is auto-created when one of its items
  /// is kIndex/kCreate (its name must be valid: invalid_index_name_exception fails the items of
  /// an index that does not exist). Item failures are WriteOutcome::status values:
  /// mapper_parsing_exception (bad source, bad field value, wrong vector dimension, NaN, empty
  /// vector), version_conflict_engine_exception (kCreate on an existing id, if_seq_no
  /// mismatch), document_missing_exception (update of a missing document without upsert),
  /// index_not_found_exception, illegal_argument_exception (id empty, longer than 512 bytes or
  /// not UTF-8), cluster_block_exception (disk flood stage), storage errors. The call itself
  /// fails only when the engine is unavailable.
  virtual Result<std::vector<WriteOutcome>> Write(std::vector<WriteOp> ops,
                                                  RefreshPolicy refresh) = 0;

  /// One document (PUT/POST /{index}/_doc[/{id}], _create, _update, DELETE _doc): like Write
  /// with one op, except that a failing item is the call's error, kIndex/kCreate check the
  /// index name and that the source is JSON (mapper_parsing_exception "failed to parse: …")
  /// before anything (a bad document does not auto-create its index), and the result of a
  /// delete of a missing document is kNotFound (not an error).
  virtual Result<WriteOutcome> WriteDocument(WriteOp op, RefreshPolicy refresh) = 0;

  /// WriteDocument of a kIndex (kCreate with OpType::kCreate) op: empty id → a generated
  /// 20-char id; creates the index with dynamic mappings if it does not exist.
  Result<WriteOutcome> IndexDocument(std::string_view index, std::string_view id,
                                     std::string_view source_json, OpType op_type,
                                     RefreshPolicy refresh, const WriteCondition& condition = {});

  /// GET /{index}/_doc/{id}, real-time. A missing document is not an error (found = false);
  /// `source` selects what StoredDocument::source shows. index_not_found_exception when the
  /// index is missing.
  virtual Result<StoredDocument> GetDocument(std::string_view index, std::string_view id,
                                             const SourceFilter& source = {}) const = 0;

  /// The stored vector at `path` (a top-level vector field) of document `id` of the concrete
  /// index `index`, real-time: what a knn query_vector_builder reads (lookalike/vector_builders.h;
  /// a cluster coordinator asks the example's shard copy for it). A missing document or vector
  /// is a state, not an error; index_not_found_exception when the index is missing.
  virtual Result<ExampleVector> ReadExampleVector(std::string_view index, std::string_view id,
                                                  std::string_view path) const {
    (void)index, (void)id, (void)path;
    return Status::Unsupported("example vectors are not supported");
  }

  /// The vector field a neural query node (`node.field`, "" = the index's first vector field)
  /// searches on the concrete index `index`, with the model that embeds its input (`node.model`,
  /// else the field's mapped model; "" = the embedder's default) and the field's dimension: what
  /// a cluster coordinator embeds with its own embedder before it scatters a plain knn query.
  /// illegal_argument_exception for a field that is not a vector field (or none);
  /// index_not_found_exception.
  virtual Result<EmbedSpec> NeuralTarget(std::string_view index, const NeuralNode& node) const {
    (void)index, (void)node;
    return Status::Unsupported("neural targets are not supported");
  }

  /// WriteDocument of a kDelete op: result kDeleted, or kNotFound for a missing document.
  /// index_not_found_exception when the index is missing.
  Result<WriteOutcome> DeleteDocument(std::string_view index, std::string_view id,
                                      RefreshPolicy refresh, const WriteCondition& condition = {});

  // ---- Search ----------------------------------------------------------------------------

  /// POST/GET /{index}/_search and /_search. `index` may be empty, "_all", "*", a
  /// comma-separated list or contain * wildcards. Runs `request` (lookalike/search_request.h:
  /// query tree, top-level knn entries, post_filter, size/from, _source, sort,
  /// track_total_hits, min_score, search_after, aggregations) on every target index and returns
  /// the typed result; the server renders the Elasticsearch response from it
  /// (src/server/es/search_render.h).
  /// Errors: index_not_found_exception; illegal_argument_exception (negative size or from,
  /// from + size > index.max_result_window, a bad search_after, a knn field that is not a vector
  /// field, a wrong query vector dimension, an unsortable field); parsing_exception (a range
  /// bound that does not parse as the field's type); search_phase_execution_exception for
  /// failures while executing.
  virtual Result<SearchResult> Search(std::string_view index, const SearchRequest& request,
                                      const SearchOptions& options = {}) = 0;

  /// GET/POST /{index}/_count: how many documents `request.query` matches. Errors as Search.
  virtual Result<CountResult> Count(std::string_view index, const CountRequest& request) = 0;

  /// indices.query.bool.max_clause_count as configured (EngineOptions::max_clause_count). The
  /// codec refuses bodies above it while parsing, so a request with a million clauses costs no
  /// more than counting to the limit and no tree is built for it.
  virtual size_t MaxClauseCount() const { return 1024; }

  // ---- Near duplicates (lookalike/near_duplicates.h) ---------------------------------------

  /// POST /{index}/_near_duplicates: the groups of documents of `index` (one exact name) whose
  /// `field` vectors score at least `min_score` against each other, on the scale of that
  /// field's knn _score. An empty `field` means the index's only vector field. Covers the
  /// vectors the vector index holds when the call starts (Refresh first to include every
  /// acknowledged write); documents deleted while it runs are left out of the report.
  /// Errors: index_not_found_exception; illegal_argument_exception (the field is not a vector
  /// field, no field given and the index has none or several, min_score not finite, min_score
  /// so low that the report would exceed NearDuplicateOptions' memory bounds).
  virtual Result<NearDuplicateReport> FindNearDuplicates(std::string_view index,
                                                         std::string_view field, float min_score,
                                                         const NearDuplicateOptions& options = {}) {
    (void)index, (void)field, (void)min_score, (void)options;
    return Status::Unsupported("near-duplicate reports are not supported by this engine");
  }

  // ---- Lifecycle -------------------------------------------------------------------------

  /// Stops background work after finishing queued vector insertions, writes vector snapshots
  /// (unless disabled), syncs and closes RocksDB. Later calls return Unavailable. Idempotent.
  virtual void Shutdown() = 0;

  // ---- Snapshots (lookalike/index_files.h) -------------------------------------------------

  /// A consistent, point-in-time view of index `name` (an exact name, no wildcards) for a
  /// snapshot. With `flush_vectors` the vector indices are first saved like POST _flush (waits
  /// for the vector inserter), so a restore replays little (a failed save is logged and the
  /// previous vector snapshot is used); writes are blocked only for the save and, briefly,
  /// while the view is taken. index_not_found_exception if absent.
  virtual Result<std::unique_ptr<IndexCapture>> CaptureIndex(std::string_view name,
                                                             bool flush_vectors) {
    (void)name, (void)flush_vectors;
    return Status::Unsupported("snapshots are not supported by this engine");
  }
  /// Creates index `name` from `source` (new uuid, the source's settings and mappings); its
  /// vector indices are loaded from the restored files and caught up from the documents like
  /// after a restart. AlreadyExists (resource_already_exists_exception) when the name is
  /// taken; any error leaves no index and no files behind.
  virtual Status RestoreIndex(std::string_view name, IndexRestoreSource& source) {
    (void)name, (void)source;
    return Status::Unsupported("snapshots are not supported by this engine");
  }
};

}  // namespace lookalike

// EngineImpl's metrics (lookalike/metrics.h): the per-index series recorded on the search and
// write paths (index_metrics.h), and the collector that reads sizes, queue depth, page-cache
// residency and RocksDB's state when the registry is collected.
#include <filesystem>

#include "engine/engine_impl.h"
#include "engine/index_metrics.h"

namespace lookalike {

std::string_view SearchKindName(SearchKind kind) {
  static constexpr std::string_view kNames[kSearchKinds] = {"knn", "filtered_knn", "image", "text",
                                                            "match_all"};
  return kNames[static_cast<size_t>(kind)];
}

namespace {

struct KindScan {
  bool image = false;  // a neural node (an image or text the engine embeds)
  bool knn = false;
  bool filtered = false;
  bool other = false;  // any clause but match_all and knn
};

void Scan(const QueryNode& q, bool in_bool, KindScan* scan);

void ScanAll(const std::vector<QueryNode>& nodes, KindScan* scan) {
  for (const QueryNode& n : nodes) Scan(n, true, scan);
}

void Scan(const QueryNode& q, bool in_bool, KindScan* scan) {
  if (std::holds_alternative<NeuralNode>(q.node)) {
    scan->image = true;
  } else if (const auto* knn = std::get_if<KnnNode>(&q.node)) {
    scan->knn = true;
    scan->filtered |= knn->filter != nullptr || in_bool;
  } else if (const auto* b = std::get_if<BoolNode>(&q.node)) {
    ScanAll(b->must, scan);
    ScanAll(b->filter, scan);
    ScanAll(b->should, scan);
    ScanAll(b->must_not, scan);
    // A bool with a knn clause and anything else restricts or mixes the knn.
    scan->filtered |=
        scan->knn && b->must.size() + b->filter.size() + b->should.size() + b->must_not.size() > 1;
  } else if (const auto* cs = std::get_if<ConstantScoreNode>(&q.node)) {
    if (cs->filter) Scan(*cs->filter, in_bool, scan);
  } else if (!std::holds_alternative<MatchAllNode>(q.node)) {
    scan->other = true;
  }
}

}  // namespace

SearchKind SearchKindOf(const SearchRequest& request) {
  KindScan scan;
  for (const KnnNode& knn : request.knn) {
    scan.knn = true;
    scan.filtered |= knn.filter != nullptr;
  }
  if (request.query) {
    KindScan query;
    Scan(*request.query, false, &query);
    scan.knn |= query.knn;
    if (query.image) return SearchKind::kImage;
    scan.filtered |= query.filtered || (query.knn && query.other);
    // A top-level knn section searched together with a query mixes the two.
    scan.filtered |= !request.knn.empty() && query.other;
    scan.other |= query.other;
  }
  if (scan.knn) {
    return scan.filtered || request.post_filter ? SearchKind::kFilteredKnn : SearchKind::kKnn;
  }
  return scan.other || request.post_filter ? SearchKind::kText : SearchKind::kMatchAll;
}

namespace engine {

namespace fs = std::filesystem;

IndexMetrics::IndexMetrics(MetricsRegistry& registry, const std::string& index) {
  for (size_t k = 0; k < kSearchKinds; ++k) {
    MetricLabels labels = {{"index", index},
                           {"kind", std::string(SearchKindName(static_cast<SearchKind>(k)))}};
    search_seconds[k] = registry.GetHistogram(
        "lookalike_search_duration_seconds",
        "Time the engine took for a successful search, by index and query kind.", kLatencyBuckets,
        labels);
    searches[k] = registry.GetCounter("lookalike_searches_total",
                                      "Searches run, by index and query kind (failed included).",
                                      labels);
    search_failures[k] = registry.GetCounter(
        "lookalike_search_failures_total",
        "Searches that returned an error after their index was found, by index and query kind.",
        labels);
  }
  docs_indexed = registry.GetCounter(
      "lookalike_docs_indexed_total",
      "Documents written (created or replaced) per index; rate() gives the ingest rate.",
      {{"index", index}});
  docs_deleted = registry.GetCounter("lookalike_docs_deleted_total",
                                     "Documents deleted per index.", {{"index", index}});
}

void IndexMetrics::RecordSearch(SearchKind kind, double seconds, bool ok) {
  size_t k = static_cast<size_t>(kind);
  searches[k]->Add();
  if (ok) {
    search_seconds[k]->Observe(seconds);
  } else {
    search_failures[k]->Add();
  }
}

void EngineImpl::AttachMetrics(Index* index) {
  if (!options_.record_metrics) return;
  index->metrics = std::make_shared<IndexMetrics>(metrics_, index->name);
}

void EngineImpl::RecordEmbed(const std::string& model, std::string_view use, double seconds) {
  if (!options_.record_metrics) return;
  // A registry lookup (one short mutex) per image: only image writes and image queries get
  // here, and their decoding and CNN take milliseconds.
  metrics_
      .GetHistogram("lookalike_image_embed_duration_seconds",
                    "Decoding and embedding one image, by model and use (query: an image search; "
                    "index: a document's image at write time).",
                    kLatencyBuckets,
                    {{"model", model.empty() ? "default" : model}, {"use", std::string(use)}})
      ->Observe(seconds);
}

void EngineImpl::RecordWrites(const Index& index, const std::vector<WriteItem*>& items) {
  if (!index.metrics) return;
  uint64_t indexed = 0, deleted = 0;
  for (const WriteItem* item : items) {
    if (!item->out.status.ok()) continue;
    indexed += item->out.result == WriteResultKind::kCreated ||
               item->out.result == WriteResultKind::kUpdated;
    deleted += item->out.result == WriteResultKind::kDeleted;
  }
  if (indexed > 0) index.metrics->docs_indexed->Add(indexed);
  if (deleted > 0) index.metrics->docs_deleted->Add(deleted);
}

namespace {

MetricFamily Gauge(std::string name, std::string help) {
  return MetricFamily{std::move(name), std::move(help), MetricType::kGauge, {}};
}

std::string CodeLabel(const VectorSpec& spec) {
  if (spec.flat) return "flat";
  return std::string(CodeTypeName(spec.hnsw.code));
}

}  // namespace

void EngineImpl::CollectMetrics(std::vector<MetricFamily>* out) const {
  enum { kVectors, kDeleted, kMemory, kDisk, kMapped, kResident, kFields };
  std::vector<MetricFamily> fields = {
      Gauge("lookalike_vector_index_vectors",
            "Searchable vectors per index, field and code type (flat = exact float32)."),
      Gauge("lookalike_vector_index_deleted", "Removed vectors not yet compacted away."),
      Gauge("lookalike_vector_index_memory_bytes",
            "Bytes the vector index holds in RAM: codes, graph, float32 vectors not mapped."),
      Gauge("lookalike_vector_index_disk_bytes", "Bytes of the vector index's snapshot file."),
      Gauge("lookalike_vector_index_mapped_bytes",
            "Bytes of the snapshot file mapped into memory (float32 vectors)."),
      Gauge("lookalike_vector_index_mapped_resident_bytes",
            "Mapped bytes that are in the page cache now (mincore at scrape time)."),
  };
  auto all = Resolve("", true);
  if (all.ok()) {
    for (const auto& index : *all) {
      std::shared_lock lock(index->data_mu);
      for (const auto& [field, vf] : index->vectors) {
        IndexStats s = vf->index->Stats();
        MetricLabels labels = {{"index", index->name}, {"field", field},
                               {"code", CodeLabel(vf->spec)}};
        std::error_code ec;
        auto disk = fs::file_size(index->SnapshotPath(*vf), ec);
        double values[kFields] = {static_cast<double>(s.live),
                                  static_cast<double>(s.deleted),
                                  static_cast<double>(s.memory_bytes),
                                  ec ? 0.0 : static_cast<double>(disk),
                                  static_cast<double>(vf->index->MappedBytes()),
                                  static_cast<double>(vf->index->MappedResidentBytes())};
        for (size_t f = 0; f < kFields; ++f) fields[f].samples.push_back({labels, values[f], {}});
      }
    }
  }
  for (MetricFamily& f : fields) out->push_back(std::move(f));

  MetricFamily queue = Gauge("lookalike_vector_queue_vectors",
                             "Vectors accepted by writes but not yet in the vector index.");
  queue.samples.push_back({{}, static_cast<double>(inserter_->queued_vectors()), {}});
  out->push_back(std::move(queue));
  MetricFamily queue_bytes = Gauge("lookalike_vector_queue_bytes",
                                   "Bytes of queued vector work (vectors and labels).");
  queue_bytes.samples.push_back({{}, static_cast<double>(inserter_->queued_bytes()), {}});
  out->push_back(std::move(queue_bytes));

  if (!store_) return;
  storage::DocStore::Stats rocks = store_->GetStats();
  MetricFamily syncs{"lookalike_rocksdb_wal_syncs_total",
                     "RocksDB WAL syncs: synced writes (durability request) and background syncs.",
                     MetricType::kCounter, {}};
  syncs.samples.push_back({{}, static_cast<double>(rocks.wal_syncs), {}});
  out->push_back(std::move(syncs));
  struct Row {
    const char* name;
    const char* help;
    uint64_t value;
  };
  const Row rows[] = {
      {"lookalike_rocksdb_pending_compaction_bytes",
       "Estimated bytes compaction still has to rewrite (the compaction backlog).",
       rocks.pending_compaction_bytes},
      {"lookalike_rocksdb_running_compactions", "Compactions running now.",
       rocks.running_compactions},
      {"lookalike_rocksdb_live_sst_bytes", "Bytes of the SST files the database uses.",
       rocks.live_sst_bytes},
      {"lookalike_rocksdb_sst_bytes",
       "Bytes of all SST files on disk, including obsolete ones not yet deleted.",
       rocks.total_sst_bytes},
      {"lookalike_rocksdb_memtable_bytes", "Bytes of all memtables (writes not yet flushed).",
       rocks.memtable_bytes},
  };
  for (const Row& row : rows) {
    MetricFamily f = Gauge(row.name, row.help);
    f.samples.push_back({{}, static_cast<double>(row.value), {}});
    out->push_back(std::move(f));
  }
}

}  // namespace engine
}  // namespace lookalike

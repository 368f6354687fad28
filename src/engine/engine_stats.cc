// EngineImpl: what the node reports about its indices — _cat/indices rows, _cluster/health and
// _stats — including indices that failed to load.
#include <algorithm>
#include <filesystem>

#include "engine/engine_impl.h"

namespace lookalike::engine {

namespace fs = std::filesystem;

std::vector<IndexInfo> EngineImpl::ListIndices() const {
  std::vector<IndexInfo> out;
  auto all = Resolve("", true);
  if (!all.ok()) return out;
  for (const auto& index : *all) {
    IndexInfo info;
    info.name = index->name;
    info.uuid = index->uuid;
    {
      std::shared_lock lock(index->data_mu);
      info.number_of_shards = index->settings.number_of_shards;
      info.number_of_replicas = index->settings.number_of_replicas;
      info.docs_count = static_cast<int64_t>(index->ids.size());
    }
    info.health = info.number_of_replicas > 0 ? "yellow" : "green";
    info.docs_deleted = index->deleted_docs;
    info.store_size_bytes = store_->ApproximateSize(index->space);
    std::error_code ec;
    std::shared_lock lock(index->data_mu);
    for (const auto& [field, vf] : index->vectors) {
      auto sz = fs::file_size(index->SnapshotPath(*vf), ec);
      if (!ec) info.store_size_bytes += static_cast<int64_t>(sz);
    }
    out.push_back(std::move(info));
  }
  std::shared_lock lock(indices_mu_);
  for (const auto& [name, failed] : failed_) {
    IndexInfo info;
    info.name = name;
    info.uuid = failed.uuid;
    info.health = "red";
    info.failure = failed.reason;
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const IndexInfo& a, const IndexInfo& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<IndexStatistics>> EngineImpl::Stats(std::string_view name) const {
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(name, true));
  auto infos = ListIndices();
  std::vector<IndexStatistics> rows;
  for (const auto& index : targets) {
    IndexStatistics& r = rows.emplace_back();
    r.name = index->name;
    r.uuid = index->uuid;
    for (const auto& info : infos) {
      if (info.name == index->name) {
        r.docs_count = info.docs_count;
        r.docs_deleted = info.docs_deleted;
        r.store_size_bytes = info.store_size_bytes;
      }
    }
    std::shared_lock lock(index->data_mu);
    for (const auto& [field, vf] : index->vectors) {
      IndexStats s = vf->index->Stats();
      r.knn_memory_bytes += static_cast<int64_t>(s.memory_bytes);
      r.vector_fields.push_back({field, s.kind, static_cast<int64_t>(s.live),
                                 static_cast<int64_t>(s.deleted),
                                 static_cast<int64_t>(s.memory_bytes), vf->loaded_from_snapshot,
                                 vf->snapshot_seq_no, vf->replayed_on_open.load()});
    }
  }
  return rows;
}

ClusterHealthReport EngineImpl::ClusterHealth() const {
  auto infos = ListIndices();
  bool yellow = false;
  int64_t failed = 0;
  for (const auto& i : infos) {
    yellow |= i.health == "yellow";
    failed += i.failure.empty() ? 0 : 1;
  }
  ClusterHealthReport out;
  int64_t shards = static_cast<int64_t>(infos.size()) - failed;
  out.status = failed > 0 ? "red" : yellow ? "yellow" : "green";
  out.active_primary_shards = shards;
  out.active_shards = shards;
  out.unassigned_shards = failed;
  out.active_shards_percent =
      infos.empty() ? 100.0 : 100.0 * static_cast<double>(shards) / static_cast<double>(infos.size());
  return out;
}

}  // namespace lookalike::engine

// EngineImpl: what the node reports about its indices — _cat/indices rows, _cluster/health and
// _stats — including indices that failed to load.
#include <algorithm>
#include <filesystem>

#include "common/json_writer.h"
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

Result<std::string> EngineImpl::Stats(std::string_view name) const {
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(name, true));
  auto infos = ListIndices();
  JsonWriter w;
  int64_t total_docs = 0, total_deleted = 0, total_store = 0, total_vec = 0;
  struct FieldRow {
    std::string field, kind;
    int64_t live, deleted, memory;
    bool loaded;
    int64_t snapshot_seq, replayed;
  };
  struct Row {
    std::string name, uuid;
    int64_t docs, deleted, store, vec_mem, vec_count;
    std::vector<FieldRow> fields;
  };
  std::vector<Row> rows;
  for (const auto& index : targets) {
    Row r{index->name, index->uuid, 0, 0, 0, 0, 0, {}};
    for (const auto& info : infos) {
      if (info.name == index->name) {
        r.docs = info.docs_count;
        r.deleted = info.docs_deleted;
        r.store = info.store_size_bytes;
      }
    }
    std::shared_lock lock(index->data_mu);
    for (const auto& [field, vf] : index->vectors) {
      IndexStats s = vf->index->Stats();
      r.vec_mem += static_cast<int64_t>(s.memory_bytes);
      r.vec_count += static_cast<int64_t>(s.live);
      r.fields.push_back({field, s.kind, static_cast<int64_t>(s.live),
                          static_cast<int64_t>(s.deleted), static_cast<int64_t>(s.memory_bytes),
                          vf->loaded_from_snapshot, vf->snapshot_seq_no,
                          vf->replayed_on_open.load()});
    }
    total_docs += r.docs;
    total_deleted += r.deleted;
    total_store += r.store;
    total_vec += r.vec_mem;
    rows.push_back(r);
  }
  auto write_block = [&](int64_t docs, int64_t deleted, int64_t store, int64_t vec) {
    w.BeginObject().Key("docs").BeginObject().Key("count").Int(docs).Key("deleted").Int(deleted)
        .EndObject().Key("store").BeginObject().Key("size_in_bytes").Int(store).EndObject()
        .Key("knn").BeginObject().Key("memory_bytes").Int(vec).EndObject().EndObject();
  };
  w.BeginObject().Key("_shards").BeginObject().Key("total").Int(static_cast<int64_t>(rows.size()))
      .Key("successful").Int(static_cast<int64_t>(rows.size())).Key("failed").Int(0).EndObject();
  w.Key("_all").BeginObject().Key("primaries");
  write_block(total_docs, total_deleted, total_store, total_vec);
  w.Key("total");
  write_block(total_docs, total_deleted, total_store, total_vec);
  w.EndObject().Key("indices").BeginObject();
  for (const auto& r : rows) {
    w.Key(r.name).BeginObject().Key("uuid").String(r.uuid).Key("primaries");
    write_block(r.docs, r.deleted, r.store, r.vec_mem);
    w.Key("total");
    write_block(r.docs, r.deleted, r.store, r.vec_mem);
    // Per vector field (not in Elasticsearch): what the index holds and how it was opened.
    w.Key("knn").BeginObject().Key("fields").BeginObject();
    for (const auto& f : r.fields) {
      w.Key(f.field).BeginObject().Key("kind").String(f.kind).Key("vectors").Int(f.live)
          .Key("deleted").Int(f.deleted).Key("memory_bytes").Int(f.memory)
          .Key("loaded_from_snapshot").Bool(f.loaded).Key("snapshot_seq_no").Int(f.snapshot_seq)
          .Key("replayed_on_open").Int(f.replayed).EndObject();
    }
    w.EndObject().EndObject();
    w.EndObject();
  }
  w.EndObject().EndObject();
  return w.Take();
}

std::string EngineImpl::ClusterHealth() const {
  auto infos = ListIndices();
  bool yellow = false;
  int64_t failed = 0;
  for (const auto& i : infos) {
    yellow |= i.health == "yellow";
    failed += i.failure.empty() ? 0 : 1;
  }
  int64_t shards = static_cast<int64_t>(infos.size()) - failed;
  double active_percent =
      infos.empty() ? 100.0 : 100.0 * static_cast<double>(shards) / static_cast<double>(infos.size());
  JsonWriter w;
  w.BeginObject().Key("cluster_name").String("lookalike").Key("status")
      .String(failed > 0 ? "red" : yellow ? "yellow" : "green").Key("timed_out").Bool(false)
      .Key("number_of_nodes").Int(1).Key("number_of_data_nodes").Int(1)
      .Key("active_primary_shards").Int(shards).Key("active_shards").Int(shards)
      .Key("relocating_shards").Int(0).Key("initializing_shards").Int(0)
      .Key("unassigned_shards").Int(failed).Key("delayed_unassigned_shards").Int(0)
      .Key("number_of_pending_tasks").Int(0).Key("number_of_in_flight_fetch").Int(0)
      .Key("task_max_waiting_in_queue_millis").Int(0)
      .Key("active_shards_percent_as_number").Double(active_percent).EndObject();
  return w.Take();
}

}  // namespace lookalike::engine

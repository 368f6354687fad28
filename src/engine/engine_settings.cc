// EngineImpl: PUT _settings, and the slow log's side of the engine (thresholds for the
// search hook, slow writes).
#include <algorithm>
#include <chrono>

#include "common/json_elide.h"
#include "engine/engine_impl.h"

namespace lookalike::engine {

Result<Acknowledged> EngineImpl::UpdateSettings(std::string_view name,
                                                const SettingsUpdate& update) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  if (update.empty()) {
    return Status::InvalidArgument("Validation Failed: 1: no settings to update;")
        .WithType("action_request_validation_exception");
  }
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(name, true));
  // One lock order for concurrent updates of overlapping index sets.
  std::sort(targets.begin(), targets.end(),
            [](const auto& a, const auto& b) { return a->name < b->name; });
  std::vector<std::unique_lock<std::mutex>> held;
  for (const auto& index : targets) held.emplace_back(index->write_mu);
  // Everything is validated before anything changes.
  std::vector<IndexSettings> updated;
  for (const auto& index : targets) {
    LOOKALIKE_ASSIGN_OR_RETURN(
        FlatSettings flat,
        ApplySettingsUpdate(index->settings.flat, update, index->name + "/" + index->uuid));
    LOOKALIKE_ASSIGN_OR_RETURN(IndexSettings parsed, ParseIndexSettings(std::move(flat)));
    LOOKALIKE_RETURN_IF_ERROR(index->mapping.CheckLimits(parsed.mapping_limits));
    updated.push_back(std::move(parsed));
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    Index& index = *targets[i];
    if (index.dropped) continue;
    IndexSettings previous;
    {
      std::unique_lock lock(index.data_mu);
      previous = std::exchange(index.settings, std::move(updated[i]));
    }
    // Stored before anyone relies on it; a failed store puts the old settings back.
    if (Status stored = store_->PutIndexMeta(index.name, index.MetaJson()); !stored.ok()) {
      std::unique_lock lock(index.data_mu);
      index.settings = std::move(previous);
      return stored;
    }
    index.slowlog.Publish(index.settings.slowlog);
  }
  held.clear();
  RecomputeSlowLogFloor();
  return Acknowledged{};
}

void EngineImpl::RecomputeSlowLogFloor() {
  int64_t floor = -1;
  std::shared_lock lock(indices_mu_);
  for (const auto& [name, index] : indices_) {
    int64_t f = index->slowlog.SearchFloor();
    if (f >= 0 && (floor < 0 || f < floor)) floor = f;
  }
  search_slowlog_floor_.store(floor, std::memory_order_relaxed);
}

std::vector<IndexSlowLogSettings> EngineImpl::SlowLogSettings(std::string_view name) const {
  std::vector<IndexSlowLogSettings> out;
  auto targets = Resolve(name, true);
  if (!targets.ok()) return out;
  for (const auto& index : *targets) {
    out.push_back(index->slowlog.Load());
    out.back().index = index->name;
  }
  return out;
}

void EngineImpl::MaybeLogSlowWrites(const Index& index, const std::vector<WriteItem*>& items,
                                    int64_t took_nanos) {
  int64_t floor = index.slowlog.IndexingFloor();
  if (floor < 0 || took_nanos < floor) return;
  IndexSlowLogSettings settings = index.slowlog.Load();
  std::optional<SlowLogLevel> level = settings.indexing.LevelFor(took_nanos);
  if (!level) return;
  size_t chars = static_cast<size_t>(
      std::min<int64_t>(settings.indexing_source_chars, int64_t{kSlowLogMaxSourceBytes}));
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (const WriteItem* item : items) {
    if (!item->out.status.ok() || item->op.kind == WriteKind::kDelete) continue;
    SlowLogEntry entry;
    entry.timestamp_ms = now_ms;
    entry.level = *level;
    entry.type = "index";
    entry.index = index.name;
    entry.took_ms = static_cast<double>(took_nanos) / 1e6;
    entry.id = item->out.id;
    const std::string* source = &item->op.source;
    if (item->op.kind == WriteKind::kUpdate) {
      if (item->op.partial_doc) {
        source = &*item->op.partial_doc;
      } else {
        source = item->op.upsert ? &*item->op.upsert : nullptr;
      }
    }
    if (source != nullptr && chars > 0) entry.source = ElideNumberArrays(*source, chars);
    slow_log_.Record(std::move(entry));
  }
}

}  // namespace lookalike::engine

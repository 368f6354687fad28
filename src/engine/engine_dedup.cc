// Engine::FindNearDuplicates: the live documents of one index are taken under the data lock,
// the grouping (near_duplicates.h) runs without it so writes go on, and the labels found are
// turned back into ids under the lock again, leaving out documents deleted meanwhile.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "engine/engine_impl.h"
#include "engine/json_util.h"
#include "engine/near_duplicates.h"
#include "index/metric.h"

namespace lookalike::engine {
namespace {

// The field a report is about: the named one, or the index's only vector field outside nested
// objects (an index of `ingest-images --crops` also holds the crops, which a report cannot use).
Result<VectorField*> ReportField(Index& index, std::string_view field) {
  auto it = index.vectors.end();
  if (field.empty()) {
    size_t plain = 0;
    for (auto f = index.vectors.begin(); f != index.vectors.end(); ++f) {
      if (!f->second->nested && plain++ == 0) it = f;
    }
    if (plain != 1 && index.vectors.size() != 1) {
      return IllegalArgument("[field] is required: index [" + index.name + "] has " +
                             std::to_string(index.vectors.size()) + " vector fields");
    }
    if (plain == 0) it = index.vectors.begin();  // the nested one: refused just below
  } else {
    it = index.vectors.find(std::string(field));
  }
  if (it != index.vectors.end() && it->second->nested) {
    // Its labels are (document, ordinal) pairs, not document numbers (docs/design/engine.md).
    return IllegalArgument("Field '" + it->first +
                           "' is inside a nested object: the near-duplicate report does not "
                           "support nested vector fields yet");
  }
  if (field.empty()) return it->second.get();
  const FieldMapping* mapped = index.mapping.Find(field);
  if (it == index.vectors.end() || !mapped || !IsVector(mapped->type)) {
    return IllegalArgument("Field '" + std::string(field) +
                           "' is not knn_vector or dense_vector type.");
  }
  return it->second.get();
}

// Which document held a label when the report started.
struct LabelOwner {
  uint32_t incarnation;
};

bool GroupOrder(const NearDuplicateGroup& a, const NearDuplicateGroup& b) {
  if (a.doc_count != b.doc_count) return a.doc_count > b.doc_count;
  return a.ids < b.ids;
}

}  // namespace

Result<NearDuplicateReport> EngineImpl::FindNearDuplicates(std::string_view name,
                                                           std::string_view field,
                                                           float min_score,
                                                           const NearDuplicateOptions& options) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  auto start = std::chrono::steady_clock::now();
  if (!std::isfinite(min_score)) return IllegalArgument("[min_score] must be a finite number");
  std::shared_ptr<Index> index = Find(name);
  if (!index) {
    LOOKALIKE_RETURN_IF_ERROR(FailedIndexStatus(name));
    return IndexNotFound(name);
  }
  VectorField* vf = nullptr;
  std::vector<uint64_t> labels;
  std::vector<LabelOwner> owners;
  {
    std::shared_lock lock(index->data_mu);
    LOOKALIKE_ASSIGN_OR_RETURN(vf, ReportField(*index, field));
    for (uint32_t d = 0; d < index->slots.size(); ++d) {
      if (!index->slots[d].live) continue;
      labels.push_back(d);
      owners.push_back({index->slots[d].incarnation});
    }
  }
  // VectorField entries are never removed from a live index (mappings only grow) and its
  // vector index is thread-safe, so vf stays valid while `index` is held.
  LOOKALIKE_ASSIGN_OR_RETURN(
      LabelGroups found, GroupNearDuplicateLabels(*vf->index, labels, vf->spec.similarity->score,
                                                  min_score, options));

  NearDuplicateReport report;
  report.pairs = found.pairs;
  {
    std::shared_lock lock(index->data_mu);
    for (size_t i = 0; i < labels.size(); ++i) {
      uint32_t d = static_cast<uint32_t>(labels[i]);
      report.docs_scanned += vf->index->Contains(d) ? 1 : 0;
    }
    for (const LabelGroup& group : found.groups) {
      NearDuplicateGroup out;
      out.min_score = group.min_score;
      for (uint64_t label : group.labels) {
        size_t at = std::lower_bound(labels.begin(), labels.end(), label) - labels.begin();
        const DocSlot& slot = index->slots[label];
        if (!slot.live || slot.incarnation != owners[at].incarnation) continue;  // deleted
        out.ids.push_back(slot.id);
      }
      if (out.ids.size() < 2) continue;
      std::sort(out.ids.begin(), out.ids.end());
      out.doc_count = out.ids.size();
      report.groups.push_back(std::move(out));
    }
  }
  std::sort(report.groups.begin(), report.groups.end(), GroupOrder);
  report.total_groups = report.groups.size();
  if (options.max_groups > 0 && report.groups.size() > options.max_groups) {
    report.groups.resize(options.max_groups);
  }
  if (options.max_group_size > 0) {
    for (NearDuplicateGroup& g : report.groups) {
      if (g.ids.size() > options.max_group_size) g.ids.resize(options.max_group_size);
    }
  }
  report.took_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace lookalike::engine

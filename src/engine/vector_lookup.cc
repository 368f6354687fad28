// Search by example document: Elasticsearch's knn.query_vector_builder.lookup. The stored vector
// of another document becomes the query vector before the search runs; the example itself is
// not excluded from the hits (as in Elasticsearch).
#include "engine/engine_impl.h"
#include "engine/json_util.h"

namespace lookalike::engine {

Result<std::vector<float>> EngineImpl::LookUpVector(const VectorLookup& lookup) const {
  auto index = Find(lookup.index);
  if (!index) {
    LOOKALIKE_RETURN_IF_ERROR(FailedIndexStatus(lookup.index));
    return IndexNotFound(lookup.index);
  }
  std::optional<uint32_t> docnum;
  {
    std::shared_lock lock(index->data_mu);
    auto it = index->ids.find(lookup.id);
    if (it != index->ids.end()) docnum = it->second;
  }
  std::vector<storage::StoredVector> vectors;
  storage::DocRecord record;
  // Vectors before the record: if the number was reused in between, the record's id shows it.
  if (docnum && store_->GetVectors(index->space, *docnum, &vectors).ok() &&
      store_->GetDoc(index->space, *docnum, &record).ok() && record.id == lookup.id) {
    for (storage::StoredVector& v : vectors) {
      // A leading '^' marks a top-level vector kept out of the slim source (Index::Parse).
      std::string_view field = v.field;
      if (!field.empty() && field[0] == '^') field.remove_prefix(1);
      if (field == lookup.path) return std::move(v.values);
    }
    return IllegalArgument("[lookup] document [" + lookup.id + "] of index [" + lookup.index +
                           "] has no vector at [" + lookup.path + "]");
  }
  return IllegalArgument("[lookup] document [" + lookup.id + "] not found in index [" +
                         lookup.index + "]");
}

Result<std::optional<SearchRequest>> EngineImpl::ResolveVectorLookups(
    const SearchRequest& request) const {
  bool any = false;
  for (const KnnNode& knn : request.knn) any |= knn.lookup.has_value();
  if (!any) return std::optional<SearchRequest>();
  SearchRequest resolved = request;
  for (KnnNode& knn : resolved.knn) {
    if (!knn.lookup) continue;
    LOOKALIKE_ASSIGN_OR_RETURN(knn.vector, LookUpVector(*knn.lookup));
    knn.lookup.reset();
  }
  return std::optional<SearchRequest>(std::move(resolved));
}

}  // namespace lookalike::engine

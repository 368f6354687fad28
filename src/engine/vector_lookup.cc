// Query vectors read from stored documents, resolved before a search runs:
//   * Elasticsearch's knn.query_vector_builder.lookup: the stored vector of one document is the
//     query; the example itself is not excluded from the hits (as in Elasticsearch);
//   * Lookalike's recommend builder (query_dsl.h VectorRecommend): positive and negative
//     examples combined as Qdrant's average_vector strategy does, examples excluded by default.
#include <memory>

#include "engine/engine_impl.h"
#include "engine/json_util.h"

namespace lookalike::engine {

Result<std::vector<float>> EngineImpl::LookUpVector(std::string_view index_name,
                                                    const std::string& id, std::string_view path,
                                                    std::string_view builder) const {
  auto index = Find(index_name);
  if (!index) {
    LOOKALIKE_RETURN_IF_ERROR(FailedIndexStatus(index_name));
    return IndexNotFound(index_name);
  }
  const std::string where = "[" + std::string(builder) + "] document [" + id + "]";
  std::optional<uint32_t> docnum;
  {
    std::shared_lock lock(index->data_mu);
    auto it = index->ids.find(id);
    if (it != index->ids.end()) docnum = it->second;
  }
  std::vector<storage::StoredVector> vectors;
  storage::DocRecord record;
  // Vectors before the record: if the number was reused in between, the record's id shows it.
  if (docnum && store_->GetVectors(index->space, *docnum, &vectors).ok() &&
      store_->GetDoc(index->space, *docnum, &record).ok() && record.id == id) {
    for (storage::StoredVector& v : vectors) {
      // A leading '^' marks a top-level vector kept out of the slim source (Index::Parse).
      std::string_view field = v.field;
      if (!field.empty() && field[0] == '^') field.remove_prefix(1);
      if (field == path) return std::move(v.values);
    }
    return IllegalArgument(where + " of index [" + std::string(index_name) +
                           "] has no vector at [" + std::string(path) + "]");
  }
  return IllegalArgument(where + " not found in index [" + std::string(index_name) + "]");
}

namespace {

// Adds every stored vector of `ids` to `sum` (sized on the first); InvalidArgument when two
// examples differ in dimension.
Status AddUp(const std::vector<std::vector<float>>& vectors, std::vector<float>* sum) {
  for (const std::vector<float>& v : vectors) {
    if (sum->empty()) sum->assign(v.size(), 0.0f);
    if (v.size() != sum->size()) {
      return IllegalArgument("[recommend] examples have different dimensions (" +
                             std::to_string(sum->size()) + " and " + std::to_string(v.size()) +
                             ")");
    }
    for (size_t i = 0; i < v.size(); ++i) (*sum)[i] += v[i];
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<float>> EngineImpl::RecommendVector(const VectorRecommend& r) const {
  std::vector<std::vector<float>> positive, negative;
  for (const std::string& id : r.positive) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto v, LookUpVector(r.index, id, r.path, "recommend"));
    positive.push_back(std::move(v));
  }
  for (const std::string& id : r.negative) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto v, LookUpVector(r.index, id, r.path, "recommend"));
    negative.push_back(std::move(v));
  }
  std::vector<float> pos_sum, neg_sum;
  LOOKALIKE_RETURN_IF_ERROR(AddUp(positive, &pos_sum));
  LOOKALIKE_RETURN_IF_ERROR(AddUp(negative, &neg_sum));
  if (!neg_sum.empty() && neg_sum.size() != pos_sum.size()) {
    return IllegalArgument("[recommend] positive and negative examples differ in dimension");
  }
  // avg(pos) + (avg(pos) - avg(neg)) = 2 avg(pos) - avg(neg): away from what the negatives share.
  const float pos_weight = negative.empty() ? 1.0f / positive.size() : 2.0f / positive.size();
  const float neg_weight = negative.empty() ? 0.0f : 1.0f / negative.size();
  std::vector<float> query(pos_sum.size());
  for (size_t i = 0; i < query.size(); ++i) {
    query[i] = pos_weight * pos_sum[i] - (neg_sum.empty() ? 0.0f : neg_weight * neg_sum[i]);
  }
  return query;
}

namespace {

// The knn filter extended by a must_not on the example ids.
std::shared_ptr<const QueryNode> ExcludingExamples(const KnnNode& knn) {
  const VectorRecommend& r = *knn.recommend;
  IdsNode examples;
  examples.ids = r.positive;
  examples.ids.insert(examples.ids.end(), r.negative.begin(), r.negative.end());
  BoolNode b;
  if (knn.filter) b.filter.push_back(*knn.filter);
  b.must_not.push_back(QueryNode{std::move(examples)});
  return std::make_shared<const QueryNode>(QueryNode{std::move(b)});
}

}  // namespace

Result<std::optional<SearchRequest>> EngineImpl::ResolveVectorLookups(
    const SearchRequest& request) const {
  bool any = false;
  for (const KnnNode& knn : request.knn) any |= knn.lookup.has_value() || knn.recommend.has_value();
  if (!any) return std::optional<SearchRequest>();
  SearchRequest resolved = request;
  for (KnnNode& knn : resolved.knn) {
    if (knn.lookup) {
      LOOKALIKE_ASSIGN_OR_RETURN(
          knn.vector, LookUpVector(knn.lookup->index, knn.lookup->id, knn.lookup->path, "lookup"));
      knn.lookup.reset();
    }
    if (knn.recommend) {
      LOOKALIKE_ASSIGN_OR_RETURN(knn.vector, RecommendVector(*knn.recommend));
      if (knn.recommend->exclude_examples) knn.filter = ExcludingExamples(knn);
      knn.recommend.reset();
    }
  }
  return std::optional<SearchRequest>(std::move(resolved));
}

}  // namespace lookalike::engine

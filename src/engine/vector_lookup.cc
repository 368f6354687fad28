// Query vectors read from stored documents, resolved before a search runs:
//   * Elasticsearch's knn.query_vector_builder.lookup: the stored vector of one document is the
//     query; the example itself is not excluded from the hits (as in Elasticsearch);
//   * Lookalike's recommend builder (query_dsl.h VectorRecommend): positive and negative
//     examples combined as Qdrant's average_vector strategy does, examples excluded by default.
// The combination is shared with the cluster coordinator (lookalike/vector_builders.h); the
// engine supplies the example vectors from its own store.
#include <memory>

#include "engine/engine_impl.h"
#include "engine/json_util.h"
#include "lookalike/vector_builders.h"

namespace lookalike {
namespace {

// The vector `read` finds, or the error a missing document or vector is.
Result<std::vector<float>> ExampleOrError(const ExampleVectorReader& read, const std::string& index,
                                          const std::string& id, const std::string& path,
                                          const std::string* routing, std::string_view builder) {
  LOOKALIKE_ASSIGN_OR_RETURN(ExampleVector v, read(index, id, path, routing));
  const std::string where = "[" + std::string(builder) + "] document [" + id + "]";
  switch (v.state) {
    case ExampleVector::State::kFound:
      return std::move(v.values);
    case ExampleVector::State::kNoVector:
      return engine::IllegalArgument(where + " of index [" + index + "] has no vector at [" + path +
                                     "]");
    case ExampleVector::State::kNoDocument:
      break;
  }
  return engine::IllegalArgument(where + " not found in index [" + index + "]");
}

// Adds every vector to `sum` (sized on the first); InvalidArgument when two examples differ in
// dimension.
Status AddUp(const std::vector<std::vector<float>>& vectors, std::vector<float>* sum) {
  for (const std::vector<float>& v : vectors) {
    if (sum->empty()) sum->assign(v.size(), 0.0f);
    if (v.size() != sum->size()) {
      return engine::IllegalArgument("[recommend] examples have different dimensions (" +
                                     std::to_string(sum->size()) + " and " +
                                     std::to_string(v.size()) + ")");
    }
    for (size_t i = 0; i < v.size(); ++i) (*sum)[i] += v[i];
  }
  return Status::OK();
}

Result<std::vector<float>> RecommendVector(const VectorRecommend& r,
                                           const ExampleVectorReader& read) {
  std::vector<std::vector<float>> positive, negative;
  for (const std::string& id : r.positive) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto v,
                               ExampleOrError(read, r.index, id, r.path, nullptr, "recommend"));
    positive.push_back(std::move(v));
  }
  for (const std::string& id : r.negative) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto v,
                               ExampleOrError(read, r.index, id, r.path, nullptr, "recommend"));
    negative.push_back(std::move(v));
  }
  std::vector<float> pos_sum, neg_sum;
  LOOKALIKE_RETURN_IF_ERROR(AddUp(positive, &pos_sum));
  LOOKALIKE_RETURN_IF_ERROR(AddUp(negative, &neg_sum));
  if (!neg_sum.empty() && neg_sum.size() != pos_sum.size()) {
    return engine::IllegalArgument(
        "[recommend] positive and negative examples differ in dimension");
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

bool HasVectorBuilders(const SearchRequest& request) {
  for (const KnnNode& knn : request.knn) {
    if (knn.lookup.has_value() || knn.recommend.has_value()) return true;
  }
  return false;
}

Result<std::optional<SearchRequest>> ResolveVectorBuilders(const SearchRequest& request,
                                                           const ExampleVectorReader& read) {
  if (!HasVectorBuilders(request)) return std::optional<SearchRequest>();
  SearchRequest resolved = request;
  for (KnnNode& knn : resolved.knn) {
    if (knn.lookup) {
      const VectorLookup& l = *knn.lookup;
      LOOKALIKE_ASSIGN_OR_RETURN(
          knn.vector,
          ExampleOrError(read, l.index, l.id, l.path, l.routing ? &*l.routing : nullptr, "lookup"));
      knn.lookup.reset();
    }
    if (knn.recommend) {
      LOOKALIKE_ASSIGN_OR_RETURN(knn.vector, RecommendVector(*knn.recommend, read));
      if (knn.recommend->exclude_examples) knn.filter = ExcludingExamples(knn);
      knn.recommend.reset();
    }
  }
  return std::optional<SearchRequest>(std::move(resolved));
}

namespace engine {

Result<ExampleVector> EngineImpl::ReadExampleVector(std::string_view index_name,
                                                    std::string_view id,
                                                    std::string_view path) const {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  auto index = Find(index_name);
  if (!index) {
    LOOKALIKE_RETURN_IF_ERROR(FailedIndexStatus(index_name));
    return IndexNotFound(index_name);
  }
  std::optional<uint32_t> docnum;
  {
    std::shared_lock lock(index->data_mu);
    auto it = index->ids.find(std::string(id));
    if (it != index->ids.end()) docnum = it->second;
  }
  ExampleVector out;
  std::vector<storage::StoredVector> vectors;
  storage::DocRecord record;
  // Vectors before the record: if the number was reused in between, the record's id shows it.
  if (!docnum || !store_->GetVectors(index->space, *docnum, &vectors).ok() ||
      !store_->GetDoc(index->space, *docnum, &record).ok() || record.id != id) {
    return out;  // kNoDocument
  }
  out.state = ExampleVector::State::kNoVector;
  {
    std::shared_lock lock(index->data_mu);
    const FieldMapping* field = index->mapping.Find(path);
    if (field != nullptr) out.metric = field->vector.metric;
  }
  for (storage::StoredVector& v : vectors) {
    // A leading '^' marks a top-level vector kept out of the slim source (Index::Parse).
    std::string_view field = v.field;
    if (!field.empty() && field[0] == '^') field.remove_prefix(1);
    // Empty entries are placeholders of a nested field; its first vector is the example.
    if (field == path && !v.values.empty()) {
      out.state = ExampleVector::State::kFound;
      out.values = std::move(v.values);
      break;
    }
  }
  return out;
}

Result<std::optional<SearchRequest>> EngineImpl::ResolveVectorLookups(
    const SearchRequest& request) const {
  return ResolveVectorBuilders(
      request, [this](const std::string& index, const std::string& id, const std::string& path,
                      const std::string*) { return ReadExampleVector(index, id, path); });
}

}  // namespace engine
}  // namespace lookalike

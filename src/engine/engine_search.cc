// The engine's search, count and get entry points: resolve the targets, check the engine is
// open, record the metrics; the search itself is the Searcher's (searcher.h).
#include <chrono>

#include "engine/engine_impl.h"
#include "engine/source_filter.h"
#include "lookalike/retrievers.h"

namespace lookalike::engine {

Result<SearchResult> EngineImpl::Search(std::string_view index_expr,
                                        const SearchRequest& original,
                                        const SearchOptions& options) {
  auto start = std::chrono::steady_clock::now();
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_RETURN_IF_ERROR(CheckRequestShape(original));
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(index_expr, true));
  Result<SearchResult> result = SearchIndices(targets, original, options, start);
  // Every searched index counts the whole search (a search of several indices is one call).
  const SearchKind kind = options.kind.value_or(SearchKindOf(original));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& index : targets) {
    if (index->metrics) index->metrics->RecordSearch(kind, seconds, result.ok());
  }
  return result;
}

Result<SearchResult> EngineImpl::SearchIndices(
    const std::vector<std::shared_ptr<Index>>& targets, const SearchRequest& original,
    const SearchOptions& options, std::chrono::steady_clock::time_point start) {
  if (original.retriever) {
    auto fused = RunRetriever(
        original,
        [&](const SearchRequest& leaf) { return SearchIndices(targets, leaf, options, start); },
        [this](const std::string& index, const std::string& id, const std::string& path,
               const std::string*) { return ReadExampleVector(index, id, path); });
    if (fused.ok()) {
      fused->took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
    }
    return fused;
  }
  LOOKALIKE_ASSIGN_OR_RETURN(std::optional<SearchRequest> resolved,
                             ResolveVectorLookups(original));
  const SearchRequest& request = resolved ? *resolved : original;
  return searcher_->Search(
      targets, request, options, start,
      [this](const Index& index, const SearchRequest& with_neural, NeuralEmbeddings* done) {
        return EmbedNeuralRequest(index, with_neural, done);
      });
}

Result<CountResult> EngineImpl::Count(std::string_view index_expr, const CountRequest& request) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(index_expr, true));
  CountResult result;
  NeuralEmbeddings embedded;
  for (const auto& index : targets) {
    std::optional<QueryNode> knn_query;  // the query with its neural nodes embedded
    if (request.query && request.query->HasNeural()) {
      LOOKALIKE_ASSIGN_OR_RETURN(knn_query, EmbedNeuralNodes(*index, *request.query, &embedded));
    }
    const QueryNode* query = knn_query      ? &*knn_query
                             : request.query ? &*request.query
                                             : nullptr;
    LOOKALIKE_ASSIGN_OR_RETURN(int64_t matches, searcher_->CountMatches(*index, query));
    result.count += matches;
  }
  result.shards = AllSuccessful(targets.size());
  return result;
}

Result<StoredDocument> EngineImpl::GetDocument(std::string_view index_name, std::string_view id,
                                               const SourceFilter& filter) const {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  auto index = Find(index_name);
  if (!index) {
    LOOKALIKE_RETURN_IF_ERROR(FailedIndexStatus(index_name));
    return IndexNotFound(index_name);
  }
  uint32_t docnum = 0;
  bool found = false;
  {
    std::shared_lock lock(index->data_mu);
    auto it = index->ids.find(std::string(id));
    if (it != index->ids.end()) {
      docnum = it->second;
      found = true;
    }
  }
  // Vectors before the record: if the number was reused in between, the record's id shows it.
  std::vector<storage::StoredVector> vecs;
  if (found && filter.enabled) {
    LOOKALIKE_RETURN_IF_ERROR(store_->GetVectors(index->space, docnum, &vecs));
  }
  storage::DocRecord rec;
  if (found && !store_->GetDoc(index->space, docnum, &rec).ok()) found = false;
  if (found && rec.id != id) found = false;  // deleted, and the number reused, concurrently
  StoredDocument doc;
  doc.index = index->name;
  doc.id = std::string(id);
  if (!found) return doc;
  doc.found = true;
  doc.version = rec.version;
  doc.seq_no = rec.seq_no;
  if (filter.enabled) doc.source = FilterSource(Index::RebuildSource(rec.source, vecs), filter);
  return doc;
}

}  // namespace lookalike::engine

// Query vectors built from stored documents (knn "query_vector_builder"): Elasticsearch's
// `lookup` (one document's vector is the query) and Lookalike's `recommend` (positive and
// negative examples combined, lookalike/query_dsl.h VectorRecommend).
//
// The combination and the error messages live here once; where the example vectors come from
// is the caller's: a single node reads its own engine, a cluster coordinator asks the shard
// that each example's routing (default: its id) routes to. Either way the same request gives
// the same query vector and the same errors.
//
// Thread safety: free functions without shared state; `read` is called on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/search_request.h"
#include "lookalike/status.h"
#include "lookalike/vector_index.h"

namespace lookalike {

/// One example document's stored vector, as a shard or an engine reads it.
struct ExampleVector {
  enum class State : uint8_t {
    kFound = 0,       // `values` holds the vector at the path
    kNoDocument = 1,  // the index has no document with this id
    kNoVector = 2,    // the document has no vector at the path
  };
  State state = State::kNoDocument;
  std::vector<float> values;
  /// The vector field's metric (when found): how the diversify retriever compares two vectors.
  Metric metric = Metric::kL2;
};

/// Reads the vector at `path` of document `id` of the concrete index `index`. `routing` is the
/// lookup's own routing (null: none; route by the id). Errors (a missing index, an unreachable
/// shard) are returned as they are.
using ExampleVectorReader =
    std::function<Result<ExampleVector>(const std::string& index, const std::string& id,
                                        const std::string& path, const std::string* routing)>;

/// A copy of `request` whose top-level knn entries with a `lookup` or `recommend` hold the
/// query vector instead (recommend with exclude_examples also extends the knn filter with a
/// must_not on the example ids); nullopt when the request has none. Errors: what `read`
/// returns; illegal_argument_exception for a missing example document, an example without a
/// vector at the path, or recommend examples of different dimensions.
Result<std::optional<SearchRequest>> ResolveVectorBuilders(const SearchRequest& request,
                                                           const ExampleVectorReader& read);

/// True when some top-level knn entry of `request` still has a lookup or recommend.
bool HasVectorBuilders(const SearchRequest& request);

}  // namespace lookalike

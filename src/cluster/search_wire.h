// The wire formats of the read path between a coordinating node and the shard copies it asks
// (issue 9): the typed SearchRequest / CountRequest / shard GET going out, the typed
// SearchResult / CountResult / StoredDocument coming back. Versioned, length-checked and
// CRC-32C checked; byte layouts in docs/formats/search-request.md and search-result.md.
//
// Exactness: decoding an encoding gives back every field (strings as bytes, floats bit for
// bit), so a shard runs exactly the request the coordinator parsed and the merge sees exactly
// the partials the shards computed. The encodings are canonical: decode then encode gives the
// same bytes (the fuzz targets check this).
//
// Decoders take untrusted bytes: anything that is not a well-formed message of this version is
// Corruption (Unsupported for another version), never a crash, never an allocation larger than
// the input justifies, never a query tree nested deeper than kMaxWireQueryDepth.
//
// Thread safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>

#include "lookalike/engine.h"
#include "lookalike/field_embedder.h"
#include "lookalike/search_request.h"
#include "lookalike/search_result.h"
#include "lookalike/status.h"

namespace lookalike::cluster {

inline constexpr char kSearchRequestMagic[5] = "LKSQ";
inline constexpr char kCountRequestMagic[5] = "LKCQ";
inline constexpr char kGetRequestMagic[5] = "LKGQ";
inline constexpr char kSearchResultMagic[5] = "LKSR";
inline constexpr char kCountResultMagic[5] = "LKCR";
inline constexpr char kStoredDocumentMagic[5] = "LKGR";
inline constexpr char kShardErrorMagic[5] = "LKER";
inline constexpr char kVectorRequestMagic[5] = "LKVQ";
inline constexpr char kExampleVectorMagic[5] = "LKVR";
inline constexpr char kNeuralTargetRequestMagic[5] = "LKNQ";
inline constexpr char kNeuralTargetMagic[5] = "LKNR";

/// Query trees deeper than this are refused by the decoder (the JSON codec's nesting limit
/// keeps parsed trees far shallower).
inline constexpr int kMaxWireQueryDepth = 512;

/// GET of one document from a shard copy.
struct ShardGetRequest {
  std::string id;
  SourceFilter source;
};

/// The stored vector at `path` of document `id` of one shard copy (a knn query_vector_builder
/// example, lookalike/vector_builders.h); answered with an ExampleVector.
struct ShardVectorRequest {
  std::string id;
  std::string path;
};

/// Which vector field and model a neural query on the shard's index searches
/// (Engine::NeuralTarget): the node's `field` ("" = the index's first vector field) and `model`
/// ("" = the field's); answered with an EmbedSpec (vector_field, model, dims).
struct NeuralTargetRequest {
  std::string field;
  std::string model;
};

/// InvalidArgument (illegal_argument_exception) when the request still holds work that must
/// happen on the coordinator: a neural node (the coordinator embeds it into a knn query first,
/// so shards never need the model) or a knn lookup that was not resolved into a vector.
Result<std::string> EncodeSearchRequest(const SearchRequest& request);
Result<SearchRequest> DecodeSearchRequest(std::string_view bytes);

/// As EncodeSearchRequest for the count's query.
Result<std::string> EncodeCountRequest(const CountRequest& request);
Result<CountRequest> DecodeCountRequest(std::string_view bytes);

std::string EncodeGetRequest(const ShardGetRequest& request);
Result<ShardGetRequest> DecodeGetRequest(std::string_view bytes);

std::string EncodeSearchResult(const SearchResult& result);
Result<SearchResult> DecodeSearchResult(std::string_view bytes);

std::string EncodeCountResult(const CountResult& result);
Result<CountResult> DecodeCountResult(std::string_view bytes);

std::string EncodeStoredDocument(const StoredDocument& document);
Result<StoredDocument> DecodeStoredDocument(std::string_view bytes);

std::string EncodeVectorRequest(const ShardVectorRequest& request);
Result<ShardVectorRequest> DecodeVectorRequest(std::string_view bytes);

std::string EncodeExampleVector(const ExampleVector& vector);
Result<ExampleVector> DecodeExampleVector(std::string_view bytes);

std::string EncodeNeuralTargetRequest(const NeuralTargetRequest& request);
Result<NeuralTargetRequest> DecodeNeuralTargetRequest(std::string_view bytes);

/// The spec's vector_field, model and dims (source_field is not sent: queries have none).
std::string EncodeNeuralTarget(const EmbedSpec& spec);
Result<EmbedSpec> DecodeNeuralTarget(std::string_view bytes);

/// The error a shard copy answers instead of a result (with the HTTP status the server's error
/// table gives it): the Status itself, so the coordinator sees the shard's code, kind and
/// message exactly. Encoding an OK status is a programmer error.
std::string EncodeShardError(const Status& status);
/// The status carried (never OK); a Corruption status when the bytes are not a shard error.
Status DecodeShardError(std::string_view bytes);

}  // namespace lookalike::cluster

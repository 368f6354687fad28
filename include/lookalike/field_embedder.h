// Embedding as a plug-in of the engine: "make a vector from this document's field / from this
// query input". The engine declares the interface; src/embed implements it on top of the model
// registry (embed/model_field_embedder.h); the server and the CLI hand one to Engine::Open
// through EngineOptions::embedder. Tests plug in a deterministic fake.
//
// The engine calls it in three places:
//   - create index / put mapping: CheckSpec for every vector field whose mapping names a
//     "source_field" (the field is filled from an image held in that field);
//   - writes (index, create, update, each _bulk item): EmbedDocumentFields for every such field
//     whose document holds {"path": P} or {"base64": B} under the source field and not the
//     vector itself; one failed input fails its item only;
//   - search: EmbedQuery for a NeuralNode (lookalike/query_dsl.h), which then runs as a knn query.
//
// Errors are values, with the Elasticsearch type the REST API shows (the server maps them to
// HTTP in one place): mapper_parsing_exception for a bad document image or mapping,
// resource_not_found_exception for an image path that is refused (outside the allowed roots,
// missing, a symlink — indistinguishable on purpose), illegal_argument_exception for an unknown
// model, a dimension mismatch or an unusable query input, content_too_long_exception
// (ResourceExhausted) for a query image over the decode limits.
//
// Thread safety: every method may be called concurrently from any number of threads (searches
// and writes of all indices call it without holding engine locks). Implementations must outlive
// the engine they are given to.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lookalike/status.h"

namespace lookalike {

/// What a mapping asks of one vector field. For a query only `vector_field`, `model` and `dims`
/// matter.
struct EmbedSpec {
  std::string vector_field;  // the knn_vector / dense_vector field filled or searched
  std::string source_field;  // the document field holding the image ("" for queries)
  std::string model;         // the field's "model" option (or a query's model_id); "" = default
  int dims = 0;              // the field's dimension; 0 = not checked
};

/// One thing to embed.
struct EmbedInput {
  enum class Kind : uint8_t {
    kImagePath,   // `path`: an absolute file path, opened only below the allowed image roots
    kImageBytes,  // `bytes`: an encoded image (decoded base64, an upload)
    kText,        // `text`: a neural query_text (refused unless the model embeds text)
  };
  Kind kind = Kind::kImageBytes;
  std::string path;
  std::vector<uint8_t> bytes;
  std::string text;
};

/// One input of a write batch: the spec of its field and what the document holds there.
struct FieldEmbedInput {
  const EmbedSpec* spec = nullptr;  // not owned; valid for the call
  EmbedInput input;
};

/// A query input made into a vector.
struct QueryEmbedding {
  std::vector<float> vector;
  std::string model;     // the model that made it (the default resolved to its name)
  double took_ms = 0;    // decoding + embedding, shown as "embed_took" in the response
};

class FieldEmbedder {
 public:
  virtual ~FieldEmbedder() = default;

  /// Mapping time: `spec` names a model this embedder has (or it has a default when
  /// spec.model is empty) whose vectors have spec.dims values (when dims != 0).
  /// mapper_parsing_exception naming the field, the model and the known models otherwise.
  virtual Status CheckSpec(const EmbedSpec& spec) const = 0;

  /// Write time: one vector (of spec->dims values) or one error per input, in order. Inputs
  /// may mix fields and models; an implementation may batch them through its models.
  virtual std::vector<Result<std::vector<float>>> EmbedDocumentFields(
      std::span<const FieldEmbedInput> inputs) = 0;

  /// Search time: the vector for a neural query (or an uploaded image) on `spec.vector_field`.
  virtual Result<QueryEmbedding> EmbedQuery(const EmbedSpec& spec, const EmbedInput& input) = 0;
};

}  // namespace lookalike

// The image side of the REST API and the search page:
//   POST /{index}/_search/image   multipart/form-data: "file" (required), "k" (default 10),
//                                 "filter" (a JSON query), "field", "model"; answers like
//                                 _search plus "embed_took" (ms) and "model"
//   GET  /{index}/_image/{id}     the bytes of the document's stored "path" (only below an
//                                 allowed image root, no symlink below it, see image_file.h;
//                                 404 for every refused path), with its image content type;
//                                 ?size=N: a cached JPEG thumbnail, longest side N
//   GET  /_models                 the models the server can embed with (also at
//                                 /_plugins/_ml/models)
//   GET  /_ui, /_ui/, /_ui/{file} the search page (web/, compiled in)
// and the OpenSearch neural query {"query":{"neural":{FIELD:{"query_image":B64,...}}}} for the
// _search handler through ImageApi::RewriteNeuralSearch.
//
// Which model embeds a query: the "model" form field / neural "model_id" when given, else the
// "model" option recorded on the index's vector field (ingest-images records it), else the
// registry's default; its output size must equal the field's dimension.
//
// Thread safety: after construction an ImageApi is read-only apart from the thread-safe Engine,
// ModelRegistry and ThumbnailCache; handlers run concurrently.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/embedder.h"
#include "lookalike/engine.h"
#include "lookalike/status.h"
#include "lookalike/write_ops.h"
#include "server/es/bulk_codec.h"
#include "server/image/image_ingest.h"
#include "server/image/thumbnail_cache.h"
#include "server/router.h"

namespace lookalike::server {

struct ImageApiOptions {
  ModelRegistry* models = nullptr;       // null or empty: image queries answer 400
  std::vector<std::string> image_roots;  // folders GET _image may serve from (made canonical)
  DecodeLimits limits;
  int max_k = 10000;
  std::string thumbnail_dir;                // disk cache for ?size=N thumbnails; "" = none
  size_t thumbnail_memory_bytes = 32 << 20;  // in-memory LRU of thumbnails; 0 = none
};

class ImageApi {
 public:
  /// `engine` and `options.models` must outlive the ImageApi. Roots that do not exist are
  /// dropped (and listed by missing_roots()).
  ImageApi(Engine* engine, ImageApiOptions options);

  /// Adds the routes listed above to `router` (the ImageApi must outlive the router).
  void Register(Router& router) const;

  /// If `body` is a neural query, embeds its image and returns the equivalent typed knn search
  /// (the body's other members and the URL parameters parsed by the codec; size defaults to the
  /// neural k) plus the embedding time; nullopt for any other body (the caller searches with it
  /// as is).
  struct Rewritten {
    SearchRequest request;
    double embed_ms = 0;
    std::string model;
  };
  Result<std::optional<Rewritten>> RewriteNeuralSearch(
      std::string_view index, std::string_view body,
      const std::vector<std::pair<std::string, std::string>>& url_params) const;

  /// Index-time embedding (see image_ingest.h) of one write: when `op->index` maps a vector
  /// field with a "source_field" and the document carries that field as {"path": P} (P below
  /// an image root) or {"base64": B} but not the vector, the vector is added to op->vectors
  /// (kIndex/kCreate: the source; kUpdate: the "doc", and the "upsert" into op->upsert_vectors);
  /// nothing happens when there is nothing to embed. Errors: mapper_parsing_exception (bad
  /// reference or image), resource_not_found_exception (a path refused for any reason, see
  /// image_file.h), illegal_argument_exception (model).
  Status EmbedWrite(WriteOp* op) const;

  /// Mapping-time check of index-time embedding: every top-level vector field of the mapping of
  /// a create-index or put-mapping request that names a "source_field" must name a loaded model (or have a default one) whose output dimension
  /// equals the field's. mapper_parsing_exception otherwise.
  Status CheckMappingModels(const MappingDefinition& mapping) const;

  /// Index-time embedding for the index/create/update items of a parsed _bulk (`ndjson` is its
  /// body, scanned once so vector-only bulks skip this): their vectors go to the engine with
  /// the items (WriteOp::vectors); items whose image cannot be used get their own error and do
  /// not reach the engine. Items that already failed are left alone.
  void EmbedBulkItems(std::string_view ndjson, std::vector<es::BulkItem>* items) const;

  const std::vector<std::string>& image_roots() const { return options_.image_roots; }
  const std::vector<std::string>& missing_roots() const { return missing_roots_; }
  const ThumbnailCache& thumbnails() const { return *thumbnails_; }

 private:
  // An embedded query image, ready for a knn clause on `field` (the vector is moved into it).
  struct Query {
    std::string field;
    std::string model;
    std::vector<float> vector;
    double embed_ms = 0;
  };
  Result<Query> Embed(std::string_view index, std::string_view field, std::string_view model,
                      std::span<const uint8_t> image) const;
  // Vector for one image reference of a document, with the spec's model.
  Result<std::vector<float>> EmbedRef(const ImageRef& ref, const EmbedSpec& spec) const;
  // The index's vector fields filled from an image field (none when the index does not exist).
  std::vector<EmbedSpec> EmbedSpecsOf(std::string_view index) const;
  // EmbedWrite with the index's specs already known.
  Status EmbedWrite(WriteOp* op, const std::vector<EmbedSpec>& specs) const;
  // The vectors for the image references of one document (JSON object text).
  Status EmbedSource(std::string_view doc_json, const std::vector<EmbedSpec>& specs,
                     std::vector<FieldVector>* vectors) const;
  void SearchImage(const RestRequest& request, HttpResponse* response) const;
  void GetImage(const RestRequest& request, HttpResponse* response) const;
  void ListModels(HttpResponse* response) const;

  Engine* engine_;
  ImageApiOptions options_;
  std::vector<std::string> missing_roots_;
  std::vector<std::string> open_roots_;  // canonical roots, plus each as configured (absolute)
  std::unique_ptr<ThumbnailCache> thumbnails_;
};

/// GET /_ui → redirect to /_ui/; GET /_ui/ and /_ui/{file} → the embedded page files.
void RegisterWebUi(Router& router);

}  // namespace lookalike::server

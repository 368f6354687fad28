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
// The upload is searched as a neural query node (lookalike/query_dsl.h): the engine embeds it
// with its plug-in (EngineOptions::embedder) — the "model" form field when given, else the
// "model" option recorded on the index's vector field, else the default model; its output size
// must equal the field's dimension. Index-time embedding and the _search neural query are the
// engine's too (lookalike/field_embedder.h); this file keeps only what is HTTP.
//
// Thread safety: after construction an ImageApi is read-only apart from the thread-safe Engine,
// ModelRegistry and ThumbnailCache; handlers run concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/embedder.h"
#include "lookalike/engine.h"
#include "lookalike/status.h"
#include "server/image/image_ingest.h"
#include "server/image/thumbnail_cache.h"
#include "server/router.h"

namespace lookalike::server {

/// Where the search of an upload runs when the index is not in the local engine (cluster mode:
/// the coordinator, cluster/scatter.h). The server implements it.
class ImageSearchRoute {
 public:
  virtual ~ImageSearchRoute() = default;
  /// True when searches of `index` go through this route rather than the local engine.
  virtual bool Routes(std::string_view index) const = 0;
  /// The vector field (and model) `node` searches on `index` (Engine::NeuralTarget).
  virtual Result<EmbedSpec> NeuralTarget(const RestRequest& request, std::string_view index,
                                         const NeuralNode& node) const = 0;
  /// Runs `search` on `index` and renders the _search response.
  virtual Result<std::string> Search(const RestRequest& request, std::string_view index,
                                     const SearchRequest& search) const = 0;
};

struct ImageApiOptions {
  ModelRegistry* models = nullptr;       // what GET /_models lists (null: none)
  std::vector<std::string> image_roots;  // folders GET _image may serve from (made canonical)
  DecodeLimits limits;
  int max_k = 10000;
  std::string thumbnail_dir;                // disk cache for ?size=N thumbnails; "" = none
  size_t thumbnail_memory_bytes = 32 << 20;  // in-memory LRU of thumbnails; 0 = none
  /// Cluster mode: POST _search/image of a routed index goes here (not owned; null = none).
  const ImageSearchRoute* route = nullptr;
};

class ImageApi {
 public:
  /// `engine` and `options.models` must outlive the ImageApi. Roots that do not exist are
  /// dropped (and listed by missing_roots()).
  ImageApi(Engine* engine, ImageApiOptions options);

  /// Adds the routes listed above to `router` (the ImageApi must outlive the router).
  void Register(Router& router) const;

  const std::vector<std::string>& image_roots() const { return options_.image_roots; }
  const std::vector<std::string>& missing_roots() const { return missing_roots_; }
  const ThumbnailCache& thumbnails() const { return *thumbnails_; }

 private:
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

// The engine's embedding plug-in (lookalike/field_embedder.h) on top of a ModelRegistry: images
// are read below the allowed image roots (embed/image_file.h), decoded within DecodeLimits and
// run through the registry's embedders; a write batch is decoded item by item (one bad image
// fails its item only) and then embedded in batches per model.
//
// Thread safety: after construction a ModelFieldEmbedder is read-only apart from the
// thread-safe ModelRegistry; every method may be called concurrently.
#pragma once

#include <string>
#include <vector>

#include "lookalike/embedder.h"
#include "lookalike/field_embedder.h"

namespace lookalike::embed {

struct ModelFieldEmbedderOptions {
  /// Not owned; must outlive the embedder. Null: every call fails with "no image models are
  /// loaded" (so an engine given this embedder answers as one without models).
  ModelRegistry* models = nullptr;
  /// Folders a document's {"path": …} may name (made canonical, see OpenableImageRoots).
  std::vector<std::string> image_roots;
  DecodeLimits limits;
};

/// The roots OpenImageBelowRoots is given for `configured` folders: each one resolved
/// (realpath), plus the configured spelling (made absolute) when it differs, since stored paths
/// may name a root through a symlink in the root's own path. `canonical` (optional) receives the
/// resolved roots alone, `missing` (optional) the configured roots that do not exist (dropped).
std::vector<std::string> OpenableImageRoots(const std::vector<std::string>& configured,
                                            std::vector<std::string>* canonical = nullptr,
                                            std::vector<std::string>* missing = nullptr);

class ModelFieldEmbedder final : public FieldEmbedder {
 public:
  explicit ModelFieldEmbedder(ModelFieldEmbedderOptions options);

  Status CheckSpec(const EmbedSpec& spec) const override;
  std::vector<Result<std::vector<float>>> EmbedDocumentFields(
      std::span<const FieldEmbedInput> inputs) override;
  Result<QueryEmbedding> EmbedQuery(const EmbedSpec& spec, const EmbedInput& input) override;

 private:
  // The embedder for a document field's spec, its dimension checked.
  Result<std::shared_ptr<Embedder>> DocumentEmbedder(const EmbedSpec& spec) const;
  // The bytes of an image input (a path is opened below the roots).
  Result<std::vector<uint8_t>> ReadDocumentImage(const EmbedInput& input) const;

  ModelFieldEmbedderOptions options_;
  std::vector<std::string> open_roots_;
};

}  // namespace lookalike::embed

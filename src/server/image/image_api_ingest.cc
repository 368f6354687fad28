// ImageApi's index-time embedding: single documents and _bulk. Reading image references lives
// in image_ingest.cc and the _bulk codec in src/server/es/; this file fetches images, runs the
// models and hands the vectors to the engine as WriteOp::vectors.
#include <algorithm>
#include <chrono>
#include <map>

#include "server/es/bulk_codec.h"
#include "server/image/image_handlers.h"
#include "server/image/image_ingest.h"
#include "server/image/image_query.h"

namespace lookalike::server {
namespace {

// Vector bulks (the common case) carry neither key, so they skip all of this after one scan.
bool MayReferenceImages(std::string_view body) {
  return body.find("\"path\"") != std::string_view::npos ||
         body.find("\"base64\"") != std::string_view::npos;
}

Status Mapper(std::string_view why) {
  return Status::InvalidArgument(why).WithKind(ErrorKind::kMappingParse);
}

}  // namespace

Result<std::vector<float>> ImageApi::EmbedRef(const ImageRef& ref, const EmbedSpec& spec) const {
  if (options_.models == nullptr) {
    return Status::InvalidArgument("no image models are loaded; cannot fill [" + spec.vector_field +
                                   "] from [" + spec.source_field + "]")
        .WithKind(ErrorKind::kInvalidValue);
  }
  auto embedder = options_.models->Get(spec.model);
  if (!embedder.ok()) {
    return Status::InvalidArgument(embedder.status().message()).WithKind(ErrorKind::kInvalidValue);
  }
  if (spec.dims != 0 && (*embedder)->dims() != spec.dims) {
    return Status::InvalidArgument("model [" + (*embedder)->manifest().name + "] makes " +
                                   std::to_string((*embedder)->dims()) +
                                   "-dimensional vectors but [" + spec.vector_field + "] has " +
                                   std::to_string(spec.dims))
        .WithKind(ErrorKind::kInvalidValue);
  }
  auto started = std::chrono::steady_clock::now();
  Result<Image> image = Status::InvalidArgument("no image");
  if (!ref.path.empty()) {
    LOOKALIKE_ASSIGN_OR_RETURN(ImageFile file, OpenImageBelowRoots(ref.path, open_roots_));
    auto bytes = file.ReadAll(options_.limits.max_file_bytes);
    if (!bytes.ok()) return Mapper("cannot read [" + ref.path + "]: " + bytes.status().message());
    image = DecodeImage(*bytes, options_.limits);
  } else {
    image = DecodeImage(ref.bytes, options_.limits);
  }
  if (!image.ok()) {
    return Mapper("failed to embed [" + spec.source_field + "]: " + image.status().message());
  }
  auto vector = (*embedder)->Embed(*image);
  if (vector.ok()) {
    RecordEmbed((*embedder)->manifest().name, kIndexEmbed,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return vector;
}

Status ImageApi::CheckMappingModels(const MappingDefinition& mapping) const {
  std::vector<EmbedSpec> specs = FindEmbedSpecs(mapping);
  if (specs.empty()) return Status::OK();
  std::vector<ModelManifest> known;
  if (options_.models != nullptr) known = options_.models->List();
  for (const EmbedSpec& spec : specs) {
    std::string wanted = !spec.model.empty()            ? spec.model
                         : options_.models != nullptr ? options_.models->DefaultName()
                                                      : std::string();
    auto found = std::find_if(known.begin(), known.end(),
                              [&](const ModelManifest& m) { return m.name == wanted; });
    if (found == known.end()) {
      std::string names;
      for (const auto& m : known) names += (names.empty() ? "" : ", ") + m.name;
      return Mapper("[" + spec.vector_field + "] embeds [" + spec.source_field + "] with " +
                    (spec.model.empty() ? std::string("the default model")
                                        : "unknown model [" + spec.model + "]") +
                    (known.empty() ? "; no image models are loaded on this server"
                                   : "; known models: " + names));
    }
    if (spec.dims != 0 && spec.dims != found->dims) {
      return Mapper("[" + spec.vector_field + "] has " + std::to_string(spec.dims) +
                    " dimensions but model [" + found->name + "] makes " +
                    std::to_string(found->dims) + "-dimensional vectors");
    }
  }
  return Status::OK();
}

std::vector<EmbedSpec> ImageApi::EmbedSpecsOf(std::string_view index) const {
  if (!engine_->IndexExists(index)) return {};
  auto described = engine_->DescribeIndices(index);
  if (!described.ok() || described->empty()) return {};
  return FindEmbedSpecs(described->front().mapping);
}

Status ImageApi::EmbedSource(std::string_view doc_json, const std::vector<EmbedSpec>& specs,
                             std::vector<FieldVector>* vectors) const {
  if (!MayReferenceImages(doc_json)) return Status::OK();
  for (const EmbedSpec& spec : specs) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto ref, FindImageRef(doc_json, spec));
    if (!ref.has_value()) continue;
    LOOKALIKE_ASSIGN_OR_RETURN(std::vector<float> vec, EmbedRef(*ref, spec));
    vectors->push_back(FieldVector{spec.vector_field, std::move(vec)});
  }
  return Status::OK();
}

Status ImageApi::EmbedWrite(WriteOp* op, const std::vector<EmbedSpec>& specs) const {
  if (specs.empty()) return Status::OK();
  switch (op->kind) {
    case WriteKind::kIndex:
    case WriteKind::kCreate:
      return EmbedSource(op->source, specs, &op->vectors);
    case WriteKind::kUpdate:
      if (op->partial_doc.has_value()) {
        LOOKALIKE_RETURN_IF_ERROR(EmbedSource(*op->partial_doc, specs, &op->vectors));
      }
      if (op->upsert.has_value()) {
        LOOKALIKE_RETURN_IF_ERROR(EmbedSource(*op->upsert, specs, &op->upsert_vectors));
      }
      return Status::OK();
    case WriteKind::kDelete:
      return Status::OK();
  }
  return Status::OK();
}

Status ImageApi::EmbedWrite(WriteOp* op) const {
  bool may = MayReferenceImages(op->source) ||
             (op->partial_doc.has_value() && MayReferenceImages(*op->partial_doc)) ||
             (op->upsert.has_value() && MayReferenceImages(*op->upsert));
  if (!may) return Status::OK();
  return EmbedWrite(op, EmbedSpecsOf(op->index));
}

void ImageApi::EmbedBulkItems(std::string_view ndjson, std::vector<es::BulkItem>* items) const {
  // Vector bulks (the common case) carry no image reference: one scan of the body skips all
  // of this.
  if (!MayReferenceImages(ndjson)) return;
  std::map<std::string, std::vector<EmbedSpec>, std::less<>> specs_by_index;
  for (es::BulkItem& item : *items) {
    if (!item.error.ok() || item.op.kind == WriteKind::kDelete) continue;
    auto it = specs_by_index.find(item.op.index);
    if (it == specs_by_index.end()) {
      it = specs_by_index.emplace(item.op.index, EmbedSpecsOf(item.op.index)).first;
    }
    Status st = EmbedWrite(&item.op, it->second);
    // Same status as the single-document path: 404 for any refused path, ...
    if (!st.ok()) item.error = st.kind() == ErrorKind::kNone ? Mapper(st.message()) : st;
  }
}

}  // namespace lookalike::server

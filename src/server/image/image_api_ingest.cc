// ImageApi's index-time embedding: single documents and _bulk. The parsing and splicing live in
// image_ingest.cc; this file fetches images, runs the models and talks to the engine.
#include <algorithm>
#include <map>

#include "server/error_mapping.h"
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
  return Status::InvalidArgument(why).WithType("mapper_parsing_exception");
}

}  // namespace

Result<std::vector<float>> ImageApi::EmbedRef(const ImageRef& ref, const EmbedSpec& spec) const {
  if (options_.models == nullptr) {
    return Status::InvalidArgument("no image models are loaded; cannot fill [" +
                                   spec.vector_field + "] from [" + spec.source_field + "]")
        .WithType("illegal_argument_exception");
  }
  auto embedder = options_.models->Get(spec.model);
  if (!embedder.ok()) {
    return Status::InvalidArgument(embedder.status().message())
        .WithType("illegal_argument_exception");
  }
  if (spec.dims != 0 && (*embedder)->dims() != spec.dims) {
    return Status::InvalidArgument("model [" + (*embedder)->manifest().name + "] makes " +
                                   std::to_string((*embedder)->dims()) + "-dimensional vectors "
                                   "but [" + spec.vector_field + "] has " +
                                   std::to_string(spec.dims))
        .WithType("illegal_argument_exception");
  }
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
  return (*embedder)->Embed(*image);
}

Status ImageApi::CheckMappingModels(std::string_view body, bool is_create) const {
  if (body.find("\"source_field\"") == std::string_view::npos) return Status::OK();
  std::vector<EmbedSpec> specs = FindEmbedSpecsInRequest(body, is_create);
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

Result<std::optional<std::string>> ImageApi::EmbedDocument(std::string_view index,
                                                           std::string_view source_json) const {
  if (!MayReferenceImages(source_json) || !engine_->IndexExists(index)) {
    return std::optional<std::string>();
  }
  auto mapping = engine_->GetMapping(index);
  if (!mapping.ok()) return std::optional<std::string>();
  std::vector<EmbedSpec> specs = FindEmbedSpecs(*mapping, index);
  std::string doc(source_json);
  bool changed = false;
  for (const EmbedSpec& spec : specs) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto ref, FindImageRef(doc, spec));
    if (!ref.has_value()) continue;
    LOOKALIKE_ASSIGN_OR_RETURN(std::vector<float> vec, EmbedRef(*ref, spec));
    doc = AppendVectorField(doc, spec.vector_field, vec);
    changed = true;
  }
  if (!changed) return std::optional<std::string>();
  return std::optional<std::string>(std::move(doc));
}

Result<std::optional<std::string>> ImageApi::EmbedUpdate(std::string_view index,
                                                         std::string_view update_body) const {
  if (!MayReferenceImages(update_body)) return std::optional<std::string>();
  return RewriteUpdateDocs(update_body, [&](std::string_view doc) {
    return EmbedDocument(index, doc);
  });
}

Result<std::string> ImageApi::Bulk(std::string_view default_index, std::string_view ndjson,
                                   RefreshPolicy refresh) const {
  if (!MayReferenceImages(ndjson)) return engine_->Bulk(default_index, ndjson, refresh);
  auto items = SplitBulk(ndjson, default_index);
  if (!items.has_value()) return engine_->Bulk(default_index, ndjson, refresh);

  std::map<std::string, std::vector<EmbedSpec>, std::less<>> specs_by_index;
  auto specs_for = [&](const std::string& index) -> const std::vector<EmbedSpec>& {
    auto it = specs_by_index.find(index);
    if (it != specs_by_index.end()) return it->second;
    std::vector<EmbedSpec> specs;
    if (engine_->IndexExists(index)) {
      auto mapping = engine_->GetMapping(index);
      if (mapping.ok()) specs = FindEmbedSpecs(*mapping, index);
    }
    return specs_by_index.emplace(index, std::move(specs)).first->second;
  };

  // Documents that merely have a "path" field, in indices without image fields, go through
  // untouched and uncopied.
  bool any_specs = false;
  for (const BulkItem& item : *items) any_specs = any_specs || !specs_for(item.index).empty();
  if (!any_specs) return engine_->Bulk(default_index, ndjson, refresh);

  std::vector<FailedBulkItem> failed;
  bool modified = false;
  std::string forward;
  forward.reserve(ndjson.size());
  for (size_t i = 0; i < items->size(); ++i) {
    const BulkItem& item = (*items)[i];
    std::string source(item.source_line);
    Status st;
    if (item.op == "update" && MayReferenceImages(item.source_line) &&
        !specs_for(item.index).empty()) {
      auto rewritten = EmbedUpdate(item.index, source);
      if (!rewritten.ok()) {
        st = rewritten.status();
      } else if (rewritten->has_value()) {
        source = std::move(**rewritten);
        modified = true;
      }
    } else if ((item.op == "index" || item.op == "create") &&
               MayReferenceImages(item.source_line)) {
      for (const EmbedSpec& spec : specs_for(item.index)) {
        auto ref = FindImageRef(source, spec);
        if (!ref.ok()) {
          st = ref.status();
          break;
        }
        if (!ref->has_value()) continue;
        auto vec = EmbedRef(**ref, spec);
        if (!vec.ok()) {
          st = vec.status();
          break;
        }
        source = AppendVectorField(source, spec.vector_field, *vec);
        modified = true;
      }
    }
    if (!st.ok()) {
      FailedBulkItem f;
      f.position = i;
      f.op = item.op;
      f.index = item.index;
      f.id = item.id;
      if (st.type().empty()) st = Mapper(st.message());
      // Same status as the single-document path: 404 for any refused path, ...
      f.http_status = HttpStatusFor(st);
      f.type = std::string(st.type());
      f.reason = st.message();
      failed.push_back(std::move(f));
      continue;
    }
    forward.append(item.action_line).push_back('\n');
    if (item.op != "delete") forward.append(source).push_back('\n');
  }
  if (failed.empty() && !modified) {
    return engine_->Bulk(default_index, ndjson, refresh);
  }
  std::string engine_body;
  if (!forward.empty()) {
    LOOKALIKE_ASSIGN_OR_RETURN(engine_body, engine_->Bulk(default_index, forward, refresh));
  }
  return MergeBulkResponse(engine_body, failed);
}

}  // namespace lookalike::server

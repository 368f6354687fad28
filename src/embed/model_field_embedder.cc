// See model_field_embedder.h. The error texts are those the REST API has always shown.
#include "embed/model_field_embedder.h"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <filesystem>
#include <map>

#include "embed/image_file.h"

namespace lookalike::embed {
namespace {

Status Illegal(std::string_view why) {
  return Status::InvalidArgument(why).WithKind(ErrorKind::kInvalidValue);
}
Status Mapper(std::string_view why) {
  return Status::InvalidArgument(why).WithKind(ErrorKind::kMappingParse);
}

}  // namespace

std::vector<std::string> OpenableImageRoots(const std::vector<std::string>& configured,
                                            std::vector<std::string>* canonical,
                                            std::vector<std::string>* missing) {
  std::vector<std::string> open;
  for (const std::string& r : configured) {
    char resolved[PATH_MAX];
    if (::realpath(r.c_str(), resolved) == nullptr) {
      if (missing != nullptr) missing->push_back(r);
      continue;
    }
    if (canonical != nullptr) canonical->emplace_back(resolved);
    open.emplace_back(resolved);
    std::error_code ec;
    std::string absolute = std::filesystem::absolute(r, ec).string();
    if (!ec && absolute != resolved) open.push_back(absolute);
  }
  return open;
}

ModelFieldEmbedder::ModelFieldEmbedder(ModelFieldEmbedderOptions options)
    : options_(std::move(options)), open_roots_(OpenableImageRoots(options_.image_roots)) {}

Status ModelFieldEmbedder::CheckSpec(const EmbedSpec& spec) const {
  std::vector<ModelManifest> known;
  if (options_.models != nullptr) known = options_.models->List();
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
  return Status::OK();
}

Result<std::shared_ptr<Embedder>> ModelFieldEmbedder::DocumentEmbedder(
    const EmbedSpec& spec) const {
  if (options_.models == nullptr) {
    return Illegal("no image models are loaded; cannot fill [" + spec.vector_field + "] from [" +
                   spec.source_field + "]");
  }
  auto embedder = options_.models->Get(spec.model);
  if (!embedder.ok()) return Illegal(embedder.status().message());
  if (spec.dims != 0 && (*embedder)->dims() != spec.dims) {
    return Illegal("model [" + (*embedder)->manifest().name + "] makes " +
                   std::to_string((*embedder)->dims()) + "-dimensional vectors but [" +
                   spec.vector_field + "] has " + std::to_string(spec.dims));
  }
  return embedder;
}

Result<std::vector<uint8_t>> ModelFieldEmbedder::ReadDocumentImage(const EmbedInput& input) const {
  LOOKALIKE_ASSIGN_OR_RETURN(ImageFile file, OpenImageBelowRoots(input.path, open_roots_));
  auto bytes = file.ReadAll(options_.limits.max_file_bytes);
  if (!bytes.ok()) return Mapper("cannot read [" + input.path + "]: " + bytes.status().message());
  return bytes;
}

std::vector<Result<std::vector<float>>> ModelFieldEmbedder::EmbedDocumentFields(
    std::span<const FieldEmbedInput> inputs) {
  std::vector<Result<std::vector<float>>> out;
  out.reserve(inputs.size());
  // Decode item by item (each failure is its own), then one batch per model.
  std::vector<Image> images(inputs.size());
  std::map<Embedder*, std::pair<std::shared_ptr<Embedder>, std::vector<size_t>>> by_model;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const EmbedSpec& spec = *inputs[i].spec;
    const EmbedInput& input = inputs[i].input;
    out.emplace_back(std::vector<float>());
    auto embedder = DocumentEmbedder(spec);
    if (!embedder.ok()) {
      out[i] = embedder.status();
      continue;
    }
    if (input.kind == EmbedInput::Kind::kText) {
      out[i] = Mapper("[" + spec.source_field + "] must hold an image, not text");
      continue;
    }
    Result<Image> image = Status::InvalidArgument("no image");
    if (input.kind == EmbedInput::Kind::kImagePath) {
      auto bytes = ReadDocumentImage(input);
      if (!bytes.ok()) {
        out[i] = bytes.status();
        continue;
      }
      image = DecodeImage(*bytes, options_.limits);
    } else {
      image = DecodeImage(input.bytes, options_.limits);
    }
    if (!image.ok()) {
      out[i] = Mapper("failed to embed [" + spec.source_field + "]: " + image.status().message());
      continue;
    }
    images[i] = std::move(image).value();
    auto& group = by_model[embedder->get()];
    group.first = *embedder;
    group.second.push_back(i);
  }
  for (auto& [raw, group] : by_model) {
    const std::vector<size_t>& items = group.second;
    const size_t dims = static_cast<size_t>(raw->dims());
    std::vector<const Image*> batch;
    for (size_t i : items) batch.push_back(&images[i]);
    std::vector<float> vectors(items.size() * dims);
    Status st = raw->EmbedBatch(batch, vectors);
    for (size_t j = 0; j < items.size(); ++j) {
      if (!st.ok()) {
        out[items[j]] = st;
        continue;
      }
      out[items[j]] = std::vector<float>(vectors.begin() + static_cast<ptrdiff_t>(j * dims),
                                         vectors.begin() + static_cast<ptrdiff_t>((j + 1) * dims));
    }
  }
  return out;
}

Result<QueryEmbedding> ModelFieldEmbedder::EmbedQuery(const EmbedSpec& spec,
                                                      const EmbedInput& input) {
  if (input.kind == EmbedInput::Kind::kText) {
    return Illegal("[neural] query_text is not supported: no text model is available; "
                   "use query_image");
  }
  if (options_.models == nullptr || options_.models->List().empty()) {
    return Illegal("no image models are loaded (start the server with --models DIR after "
                   "`lookalike convert-model`)");
  }
  auto embedder = options_.models->Get(spec.model);
  if (!embedder.ok()) return Illegal(embedder.status().message());
  QueryEmbedding q;
  q.model = (*embedder)->manifest().name;
  if (spec.dims != 0 && (*embedder)->dims() != spec.dims) {
    return Illegal("model [" + q.model + "] makes " + std::to_string((*embedder)->dims()) +
                   "-dimensional vectors but field [" + spec.vector_field + "] has " +
                   std::to_string(spec.dims) + " dimensions; name the index's model");
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<uint8_t> file_bytes;
  std::span<const uint8_t> bytes(input.bytes);
  if (input.kind == EmbedInput::Kind::kImagePath) {
    LOOKALIKE_ASSIGN_OR_RETURN(file_bytes, ReadDocumentImage(input));
    bytes = file_bytes;
  }
  auto decoded = DecodeImage(bytes, options_.limits);
  if (!decoded.ok()) {
    const Status& st = decoded.status();
    return Status(st.code(), "cannot use the query image: " + st.message())
        .WithKind(st.code() == StatusCode::kResourceExhausted ? ErrorKind::kBodyTooLarge
                                                              : ErrorKind::kInvalidValue);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(q.vector, (*embedder)->Embed(*decoded));
  q.took_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return q;
}

}  // namespace lookalike::embed

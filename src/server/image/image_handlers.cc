// Image queries, stored images, the model list and the search page; see image_handlers.h.
#include "server/image/image_handlers.h"
#include "server/image/image_ingest.h"

#include <simdjson.h>
#include <stdlib.h>

#include <charconv>
#include <chrono>
#include <climits>
#include <cstdio>
#include <filesystem>

#include "common/json_writer.h"
#include "embed/model_field_embedder.h"
#include "server/error_mapping.h"
#include "server/es/query_parse.h"
#include "server/es/search_codec.h"
#include "server/es/search_render.h"
#include "server/image/image_query.h"
#include "server/image/multipart.h"
#include "web/web_assets.h"

namespace lookalike::server {
namespace {

Status Illegal(std::string_view why) {
  return Status::InvalidArgument(why).WithKind(ErrorKind::kInvalidValue);
}

std::string_view ContentTypeFor(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "image/jpeg";
    case ImageFormat::kPng: return "image/png";
    case ImageFormat::kGif: return "image/gif";
    case ImageFormat::kWebp: return "image/webp";
    case ImageFormat::kBmp: return "image/bmp";
    case ImageFormat::kUnknown: break;
  }
  return "";
}

// A form part's value, else the URL parameter, else "".
std::string_view FormValue(const std::vector<MultipartPart>& parts, const RestRequest& request,
                           std::string_view name) {
  if (const MultipartPart* p = FindPart(parts, name)) return p->data;
  if (const std::string* v = request.Param(name)) return *v;
  return {};
}

Result<int> ParseK(std::string_view text, std::string_view name, int max_k, int fallback) {
  if (text.empty()) return fallback;
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 1 || v > max_k) {
    return Illegal("[" + std::string(name) + "] must be an integer in [1, " +
                   std::to_string(max_k) + "], got [" + std::string(text) + "]");
  }
  return v;
}

// A body with a strong validator: 304 without the body when the client already has this etag.
void ReplyWithEtag(const RestRequest& request, std::string_view etag,
                   std::string_view cache_control, std::string_view content_type,
                   std::string_view body, HttpResponse* response) {
  response->headers.emplace_back("etag", std::string(etag));
  response->headers.emplace_back("cache-control", std::string(cache_control));
  response->headers.emplace_back("x-content-type-options", "nosniff");
  if (request.http.Header("if-none-match") == etag) {
    response->status = 304;
    response->body.clear();
    return;
  }
  response->status = 200;
  response->content_type = std::string(content_type);
  response->body = std::string(body);
}

}  // namespace

ImageApi::ImageApi(Engine* engine, ImageApiOptions options)
    : engine_(engine), options_(std::move(options)) {
  std::vector<std::string> roots;
  open_roots_ = embed::OpenableImageRoots(options_.image_roots, &roots, &missing_roots_);
  options_.image_roots = std::move(roots);
  ThumbnailCacheOptions thumbs;
  thumbs.dir = options_.thumbnail_dir;
  thumbs.memory_bytes = options_.thumbnail_memory_bytes;
  thumbs.limits = options_.limits;
  thumbnails_ = std::make_unique<ThumbnailCache>(std::move(thumbs));
}

void ImageApi::Register(Router& router) const {
  router.Add("POST", "/{index}/_search/image",
             [this](const RestRequest& req, HttpResponse* resp) { SearchImage(req, resp); });
  router.Add("GET", "/{index}/_image/{id}",
             [this](const RestRequest& req, HttpResponse* resp) { GetImage(req, resp); });
  auto models = [this](const RestRequest&, HttpResponse* resp) { ListModels(resp); };
  router.Add("GET", "/_models", models);
  router.Add("GET", "/_plugins/_ml/models", models);  // where OpenSearch ML Commons lists them
}

void ImageApi::SearchImage(const RestRequest& request, HttpResponse* response) const {
  auto fail = [response](const Status& st) { SetErrorResponse(st, response); };
  auto boundary = MultipartBoundary(request.http.Header("content-type"));
  if (!boundary.ok()) return fail(boundary.status());
  auto parts = ParseMultipart(request.body(), *boundary);
  if (!parts.ok()) return fail(parts.status());
  const MultipartPart* file = FindPart(*parts, "file");
  if (file == nullptr || file->data.empty()) {
    return fail(Illegal("the multipart body needs a non-empty \"file\" part holding the image"));
  }
  auto k = ParseK(FormValue(*parts, request, "k"), "k", options_.max_k, 10);
  if (!k.ok()) return fail(k.status());
  auto size = ParseK(FormValue(*parts, request, "size"), "size", options_.max_k, *k);
  if (!size.ok()) return fail(size.status());
  std::shared_ptr<const QueryNode> filter;
  if (std::string_view f = FormValue(*parts, request, "filter"); !f.empty()) {
    auto parsed = ParseFilterQuery(f, engine_->MaxClauseCount());
    if (!parsed.ok()) return fail(parsed.status());
    filter = std::make_shared<const QueryNode>(std::move(parsed).value());
  }
  std::string_view index = request.PathParam("index");
  // The engine embeds the upload with its plug-in and runs the knn search on the vector.
  NeuralNode neural;
  neural.field = std::string(FormValue(*parts, request, "field"));
  neural.model = std::string(FormValue(*parts, request, "model"));
  neural.image.assign(file->data.begin(), file->data.end());
  neural.k = static_cast<size_t>(*k);
  neural.filter = std::move(filter);
  const bool routed = options_.route != nullptr && options_.route->Routes(index);
  if (routed && neural.field.empty()) {
    auto target = options_.route->NeuralTarget(request, index, neural);
    if (!target.ok()) return fail(target.status());
    neural.field = target->vector_field;
  }
  std::vector<std::string> excludes = {neural.field};
  if (neural.field.empty()) {
    // The hits show their documents without the searched vector, so name it here.
    auto described = engine_->DescribeIndices(index);
    if (!described.ok()) return fail(described.status());
    if (described->empty()) {
      return fail(Status::NotFound("no index matches [" + std::string(index) + "]"));
    }
    auto field = FindVectorField(described->front().mapping, index, "");
    if (!field.ok()) return fail(field.status());
    neural.field = field->name;
    // The crops field holds the whole image's vector too: leave every vector field out.
    excludes = VectorFieldPaths(described->front().mapping);
  }
  SearchRequest search;
  search.size = *size;
  search.source.excludes = std::move(excludes);
  if (std::string_view c = FormValue(*parts, request, "collapse"); !c.empty()) {
    // One hit per value of the field, each with its group's best members (inner_hits "group",
    // inner_hits_size of them, default 3): the page's "one per category".
    auto members = ParseK(FormValue(*parts, request, "inner_hits_size"), "inner_hits_size", 100, 3);
    if (!members.ok()) return fail(members.status());
    CollapseRequest& collapse = search.collapse.emplace();
    collapse.field = std::string(c);
    InnerHitsRequest& group = collapse.inner_hits.emplace_back();
    group.name = "group";
    group.size = *members;
    group.source = search.source;
  }
  search.query.emplace().node = std::move(neural);
  if (routed) {
    auto body = options_.route->Search(request, index, search);
    if (!body.ok()) return fail(body.status());
    response->status = 200;
    response->body = std::move(body).value();
    return;
  }
  auto result = engine_->Search(index, search);
  if (!result.ok()) return fail(result.status());
  response->status = 200;
  response->body = es::RenderSearchResponse(*result);
}

namespace {
// The image bytes as stored, with their own content type; `what` names them in the error.
void ReplyOriginal(const std::vector<uint8_t>& bytes, const std::string& what,
                   HttpResponse* response) {
  auto info = ProbeImage(bytes);
  if (!info.ok()) return SetErrorResponse(Illegal(what + " is not an image"), response);
  response->status = 200;
  response->content_type = std::string(ContentTypeFor(info->format));
  response->body.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  response->headers.emplace_back("cache-control", "private, max-age=300");
  response->headers.emplace_back("x-content-type-options", "nosniff");
}
}  // namespace

void ImageApi::GetImage(const RestRequest& request, HttpResponse* response) const {
  auto fail = [response](const Status& st) { SetErrorResponse(st, response); };
  std::string_view index = request.PathParam("index");
  std::string_view id = request.PathParam("id");
  int thumb_side = 0;
  if (const std::string* size = request.Param("size")) {
    auto parsed = ParseThumbnailSize(*size);
    if (!parsed.ok()) return fail(parsed.status());
    thumb_side = *parsed;
  }
  // Where the image is: a top-level "path" (documents of ingest-images), else the image field
  // of an index-time embedding ({"path": …} or {"base64": …} under a "source_field").
  std::vector<EmbedSpec> specs;
  if (auto described = engine_->DescribeIndices(index); described.ok() && !described->empty()) {
    specs = FindEmbedSpecs(described->front().mapping);
  }
  SourceFilter wanted;
  wanted.includes = {"path"};
  for (const EmbedSpec& spec : specs) {
    if (!spec.source_field.empty()) wanted.includes.push_back(spec.source_field);
  }
  auto doc = engine_->GetDocument(index, id, wanted);
  if (!doc.ok()) return fail(doc.status());
  if (!doc->found) {
    return fail(Status::NotFound("document [" + std::string(id) + "] not found in index [" +
                                 std::string(index) + "]")
                    .WithKind(ErrorKind::kResourceNotFound));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element el;
  std::string_view path, b64;
  if (parser.parse(doc->source.value_or("{}")).get(el) != simdjson::SUCCESS) {
    return fail(Status::Corruption("stored document [" + std::string(id) + "] is not JSON"));
  }
  if (el["path"].get(path) != simdjson::SUCCESS) {
    for (const EmbedSpec& spec : specs) {
      simdjson::dom::element ref = el[spec.source_field];
      if (ref["path"].get(path) == simdjson::SUCCESS) break;
      if (ref["base64"].get(b64) == simdjson::SUCCESS) break;
    }
  }
  if (path.empty() && !b64.empty()) {
    auto bytes = DecodeBase64(b64);
    if (!bytes.ok()) return fail(Illegal("document [" + std::string(id) + "] holds bad base64"));
    if (thumb_side != 0) {
      auto thumb = thumbnails_->GetFromBytes(*bytes, thumb_side);
      if (!thumb.ok()) {
        return fail(Illegal("stored image of [" + std::string(id) + "] is not decodable: " +
                            thumb.status().message()));
      }
      return ReplyWithEtag(request, thumb->etag, "private, max-age=300", "image/jpeg",
                           *thumb->jpeg, response);
    }
    return ReplyOriginal(*bytes, "stored image of [" + std::string(id) + "]", response);
  }
  if (path.empty()) {
    return fail(Illegal("document [" + std::string(id) + "] has no image to serve (no \"path\" "
                        "field and no image under a mapped source_field)"));
  }
  // Opened below a root without following symlinks: what is checked is what is read.
  auto file = embed::OpenImageBelowRoots(path, open_roots_);
  if (!file.ok()) return fail(file.status());
  if (thumb_side != 0) {
    auto thumb = thumbnails_->Get(*file, thumb_side);
    if (!thumb.ok()) {
      const Status& st = thumb.status();
      if (st.code() != StatusCode::kInvalidArgument) return fail(st);
      return fail(Illegal("stored file [" + file->path() + "] is not an image: " + st.message()));
    }
    return ReplyWithEtag(request, thumb->etag, "private, max-age=300", "image/jpeg",
                         *thumb->jpeg, response);
  }
  auto bytes = file->ReadAll(options_.limits.max_file_bytes);
  if (!bytes.ok()) return fail(bytes.status());
  ReplyOriginal(*bytes, "stored file [" + file->path() + "]", response);
}

void ImageApi::ListModels(HttpResponse* response) const {
  JsonWriter w;
  w.BeginObject();
  std::string def = options_.models ? options_.models->DefaultName() : "";
  w.Key("default").String(def).Key("models").BeginArray();
  if (options_.models != nullptr) {
    for (const ModelManifest& m : options_.models->List()) {
      w.BeginObject().Key("name").String(m.name).Key("description").String(m.description);
      w.Key("dims").Int(m.dims).Key("input").BeginObject().Key("width").Int(m.input_width);
      w.Key("height").Int(m.input_height).EndObject();
      w.Key("output").String(m.output_name).Key("normalize").Bool(m.l2_normalize);
      w.EndObject();
    }
  }
  w.EndArray().EndObject();
  response->status = 200;
  response->body = w.Take();
}

void RegisterWebUi(Router& router) {
  auto serve = [](const RestRequest& request, HttpResponse* response) {
    std::string_view file = request.PathParam("file");
    const std::string& path = request.http.path;
    // The page uses relative URLs, so it must be addressed as /_ui/ (with the slash).
    if (file.empty() && (path.empty() || path.back() != '/')) {
      response->status = 301;
      response->content_type = "text/plain; charset=utf-8";
      response->headers.emplace_back("location", "/_ui/");
      response->body = "/_ui/\n";
      return;
    }
    // /_ui/status and /_ui/duplicates are the same page opened on another tab (app.js,
    // status.js and duplicates.js read the path); relative URLs resolve alike from all three.
    const bool tab = file == "status" || file == "duplicates";
    auto asset = web::FindWebAsset(tab ? std::string_view("index.html") : file);
    if (!asset) {
      return SetErrorResponse(Status::NotFound("no such page file [" + std::string(file) + "]")
                                  .WithKind(ErrorKind::kResourceNotFound),
                              response);
    }
    ReplyWithEtag(request, asset->etag, "no-cache", asset->mime_type, asset->content, response);
  };
  router.Add("GET", "/_ui", serve);
  router.Add("GET", "/_ui/{file}", serve);
}

}  // namespace lookalike::server

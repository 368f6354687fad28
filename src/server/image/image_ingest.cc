// See image_ingest.h.
#include "server/image/image_ingest.h"

#include <simdjson.h>

#include "common/json_writer.h"
#include "server/image/image_query.h"

namespace lookalike::server {
namespace {

Status MapperError(std::string_view why) {
  return Status::InvalidArgument(why).WithType("mapper_parsing_exception");
}

// The first line of `text` from `pos` (without the '\n'); advances pos past it.
std::string_view NextLine(std::string_view text, size_t* pos) {
  size_t end = text.find('\n', *pos);
  if (end == std::string_view::npos) end = text.size();
  std::string_view line = text.substr(*pos, end - *pos);
  *pos = end + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace

namespace {
std::vector<EmbedSpec> EmbedSpecsIn(simdjson::dom::object properties) {
  std::vector<EmbedSpec> specs;
  for (auto [name, def] : properties) {
    std::string_view type, source, model;
    if (def["type"].get(type) != simdjson::SUCCESS ||
        (type != "knn_vector" && type != "dense_vector") ||
        def["source_field"].get(source) != simdjson::SUCCESS || source.empty()) {
      continue;
    }
    EmbedSpec spec;
    spec.vector_field = std::string(name);
    spec.source_field = std::string(source);
    if (def["model"].get(model) == simdjson::SUCCESS) spec.model = std::string(model);
    int64_t dims = 0;
    if (def["dimension"].get(dims) == simdjson::SUCCESS || def["dims"].get(dims) == simdjson::SUCCESS) {
      spec.dims = static_cast<int>(dims);
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}
}  // namespace

std::vector<EmbedSpec> FindEmbedSpecs(std::string_view mapping_json, std::string_view index) {
  simdjson::dom::parser parser;
  simdjson::dom::object root, properties;
  if (parser.parse(mapping_json).get(root) != simdjson::SUCCESS) return {};
  simdjson::dom::element entry;
  if (root[index].get(entry) != simdjson::SUCCESS) {
    if (root.begin() == root.end()) return {};
    entry = (*root.begin()).value;
  }
  if (entry["mappings"]["properties"].get(properties) != simdjson::SUCCESS) return {};
  return EmbedSpecsIn(properties);
}

std::vector<EmbedSpec> FindEmbedSpecsInRequest(std::string_view body, bool is_create) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object properties;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return {};
  auto props = is_create ? root["mappings"]["properties"] : root["properties"];
  if (props.get(properties) != simdjson::SUCCESS) return {};
  return EmbedSpecsIn(properties);
}

Result<std::optional<ImageRef>> FindImageRef(std::string_view doc_json, const EmbedSpec& spec) {
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  if (parser.parse(doc_json).get(doc) != simdjson::SUCCESS) {
    return MapperError("failed to parse the document: not a JSON object");
  }
  simdjson::dom::element source, existing;
  if (doc[spec.source_field].get(source) != simdjson::SUCCESS) return std::optional<ImageRef>();
  if (doc[spec.vector_field].get(existing) == simdjson::SUCCESS) return std::optional<ImageRef>();
  std::string where = "[" + spec.source_field + "] (the image for [" + spec.vector_field + "])";
  simdjson::dom::object obj;
  if (source.get(obj) != simdjson::SUCCESS) {
    return MapperError(where + " must be an object with \"path\" or \"base64\"");
  }
  ImageRef ref;
  std::string_view path, b64;
  if (obj["path"].get(path) == simdjson::SUCCESS) {
    ref.path = std::string(path);
  } else if (obj["base64"].get(b64) == simdjson::SUCCESS) {
    auto bytes = DecodeBase64(b64);
    if (!bytes.ok()) return MapperError(where + ": base64 is not valid");
    ref.bytes = std::move(bytes).value();
  } else {
    return MapperError(where + " must be an object with a string \"path\" or \"base64\"");
  }
  return std::optional<ImageRef>(std::move(ref));
}

Result<std::optional<std::string>> RewriteUpdateDocs(
    std::string_view update_body,
    const std::function<Result<std::optional<std::string>>(std::string_view)>& embed) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(update_body).get(root) != simdjson::SUCCESS) {
    return std::optional<std::string>();
  }
  bool changed = false;
  std::string out = "{";
  for (auto [key, value] : root) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(&out, key);
    out.push_back(':');
    std::string text = simdjson::minify(value);
    if ((key == "doc" || key == "upsert") && value.is_object()) {
      LOOKALIKE_ASSIGN_OR_RETURN(std::optional<std::string> rewritten, embed(text));
      if (rewritten.has_value()) {
        text = std::move(*rewritten);
        changed = true;
      }
    }
    out += text;
  }
  out.push_back('}');
  if (!changed) return std::optional<std::string>();
  return std::optional<std::string>(std::move(out));
}

std::string AppendVectorField(std::string_view object_json, std::string_view field,
                              std::span<const float> vector) {
  size_t close = object_json.find_last_of('}');
  if (close == std::string_view::npos) return std::string(object_json);
  std::string out(object_json.substr(0, close));
  // Trailing whitespace before '}' is kept out of the way of the comma decision.
  size_t last = out.find_last_not_of(" \t\r\n");
  bool empty = last == std::string::npos || out[last] == '{';
  if (!empty) out.push_back(',');
  AppendJsonString(&out, field);
  out.push_back(':');
  JsonWriter values;
  values.BeginArray();
  for (float f : vector) values.Float(f);
  values.EndArray();
  out += values.str();
  out.append(object_json.substr(close));
  return out;
}

std::optional<std::vector<BulkItem>> SplitBulk(std::string_view ndjson,
                                               std::string_view default_index) {
  std::vector<BulkItem> items;
  simdjson::dom::parser parser;
  size_t pos = 0;
  while (pos < ndjson.size()) {
    std::string_view action = NextLine(ndjson, &pos);
    if (IsBlank(action)) continue;
    simdjson::dom::object obj;
    if (parser.parse(action).get(obj) != simdjson::SUCCESS) return std::nullopt;
    if (obj.begin() == obj.end()) return std::nullopt;
    auto [op, meta] = *obj.begin();
    BulkItem item;
    item.action_line = action;
    item.op = std::string(op);
    item.index = std::string(default_index);
    std::string_view v;
    if (meta["_index"].get(v) == simdjson::SUCCESS) item.index = std::string(v);
    if (meta["_id"].get(v) == simdjson::SUCCESS) item.id = std::string(v);
    if (item.op != "delete") {
      if (item.op != "index" && item.op != "create" && item.op != "update") return std::nullopt;
      if (pos >= ndjson.size()) return std::nullopt;  // source line missing
      item.source_line = NextLine(ndjson, &pos);
    }
    items.push_back(std::move(item));
  }
  return items;
}

Result<std::string> MergeBulkResponse(std::string_view engine_body,
                                      const std::vector<FailedBulkItem>& failed) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  simdjson::dom::array items;
  int64_t took = 0;
  bool errors = !failed.empty();
  bool have_engine = !engine_body.empty();
  if (have_engine) {
    if (parser.parse(engine_body).get(root) != simdjson::SUCCESS ||
        root["items"].get(items) != simdjson::SUCCESS) {
      return Status::Corruption("unexpected _bulk response from the engine");
    }
    if (root["took"].get(took) != simdjson::SUCCESS) took = 0;
    bool engine_errors = false;
    if (root["errors"].get(engine_errors) == simdjson::SUCCESS) errors = errors || engine_errors;
  }
  JsonWriter w;
  w.BeginObject().Key("took").Int(took).Key("errors").Bool(errors).Key("items").BeginArray();
  auto write_failed = [&w](const FailedBulkItem& f) {
    w.BeginObject().Key(f.op).BeginObject().Key("_index").String(f.index);
    if (f.id.empty()) {
      w.Key("_id").Null();
    } else {
      w.Key("_id").String(f.id);
    }
    w.Key("status").Int(f.http_status).Key("error").BeginObject();
    w.Key("type").String(f.type).Key("reason").String(f.reason).EndObject();
    w.EndObject().EndObject();
  };
  size_t position = 0, next_failed = 0;
  auto flush_failed = [&] {
    while (next_failed < failed.size() && failed[next_failed].position == position) {
      write_failed(failed[next_failed++]);
      ++position;
    }
  };
  flush_failed();
  if (have_engine) {
    for (simdjson::dom::element item : items) {
      w.Raw(simdjson::minify(item));
      ++position;
      flush_failed();
    }
  }
  // Failed items past the engine's last one (positions are consecutive from here on).
  while (next_failed < failed.size()) write_failed(failed[next_failed++]);
  w.EndArray().EndObject();
  return w.Take();
}

}  // namespace lookalike::server

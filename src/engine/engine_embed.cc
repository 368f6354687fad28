// The engine's side of embedding (lookalike/field_embedder.h): which vector fields a mapping
// fills from an image field, the image references in written documents, and neural query nodes
// made into knn nodes. The embedder itself is a plug-in (EngineOptions::embedder); it is called
// without any engine lock held, since embedding takes far longer than the write or the search.
//
// Mapping:  "embedding": {"type": "knn_vector", "dimension": 384,
//                         "model": "mobilenet_v2_b10", "source_field": "image"}
// Document: {"image": {"path": "/photos/cat.jpg"}, ...}  or  {"image": {"base64": "iVBOR…"}}
// A document that already carries the vector field is left alone.
#include <chrono>
#include <map>
#include <optional>

#include "common/base64.h"
#include "engine/engine_impl.h"
#include "engine/json_util.h"

namespace lookalike::engine {
namespace {

// Vector writes (the common case) carry neither key, so they skip the parse.
bool MayReferenceImages(std::string_view doc) {
  return doc.find("\"path\"") != std::string_view::npos ||
         doc.find("\"base64\"") != std::string_view::npos;
}

// The image `spec` fills its field from, when `doc` holds one and not the vector itself.
Result<std::optional<EmbedInput>> FindImageRef(element doc, const EmbedSpec& spec) {
  element source, existing;
  if (doc.at_key(spec.source_field).get(source) != simdjson::SUCCESS ||
      doc.at_key(spec.vector_field).get(existing) == simdjson::SUCCESS) {
    return std::optional<EmbedInput>();
  }
  std::string where = "[" + spec.source_field + "] (the image for [" + spec.vector_field + "])";
  if (!source.is_object()) {
    return MapperParsingError(where + " must be an object with \"path\" or \"base64\"");
  }
  EmbedInput input;
  std::string_view path, b64;
  if (source.at_key("path").get(path) == simdjson::SUCCESS) {
    input.kind = EmbedInput::Kind::kImagePath;
    input.path = std::string(path);
  } else if (source.at_key("base64").get(b64) == simdjson::SUCCESS) {
    auto bytes = DecodeImageBase64(b64);
    if (!bytes.ok()) return MapperParsingError(where + ": base64 is not valid");
    input.kind = EmbedInput::Kind::kImageBytes;
    input.bytes = std::move(bytes).value();
  } else {
    return MapperParsingError(where + " must be an object with a string \"path\" or \"base64\"");
  }
  return std::optional<EmbedInput>(std::move(input));
}

// One image to embed for a write item, and where its vector goes.
struct PendingInput {
  WriteItem* item;
  std::vector<FieldVector>* target;  // op.vectors or op.upsert_vectors
  const EmbedSpec* spec;
};

// Finds the image references of one document text of `item` (appending to `inputs`).
Status CollectDocument(WriteItem* item, const std::string& doc_json,
                       std::vector<FieldVector>* target, const std::vector<EmbedSpec>& specs,
                       std::vector<PendingInput>* pending, std::vector<FieldEmbedInput>* inputs) {
  if (!MayReferenceImages(doc_json)) return Status::OK();
  thread_local simdjson::dom::parser parser;
  element doc;
  if (parser.parse(doc_json).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    return MapperParsingError("failed to parse the document: not a JSON object");
  }
  for (const EmbedSpec& spec : specs) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto input, FindImageRef(doc, spec));
    if (!input) continue;
    pending->push_back(PendingInput{item, target, &spec});
    inputs->push_back(FieldEmbedInput{&spec, std::move(*input)});
  }
  return Status::OK();
}

// What a write item's embedding failure shows: the embedder's typed error, else a mapping one.
Status ItemError(const Status& st) {
  return st.kind() == ErrorKind::kNone ? MapperParsingError(st.message()) : st;
}

// The vector field a neural node searches, as an embed spec (model: the node's, else the
// field's). Needs the index's data_mu (shared).
Result<EmbedSpec> NeuralTargetOf(const Index& index, const NeuralNode& node) {
  const FieldMapping* field = nullptr;
  if (!node.field.empty()) {
    field = index.mapping.Find(node.field);
    if (field == nullptr || !IsVector(field->type)) {
      return IllegalArgument("field [" + node.field + "] of index [" + index.name +
                             "] is not a knn_vector or dense_vector field");
    }
  } else {
    // Crops first (a vector under nested that records its model, as `ingest-images --crops`
    // maps it: the whole image and its crops, so a close-up finds its photo and a whole photo
    // still finds itself), else the first vector field by path. image_query.cc's
    // FindVectorField chooses the same way.
    for (const auto& [path, f] : index.mapping.fields()) {
      if (IsVector(f.type) && !f.is_subfield && !f.nested_path.empty() && f.embedding &&
          !f.embedding->model.empty()) {
        field = &f;
        break;
      }
    }
    for (const auto& [path, f] : index.mapping.fields()) {
      if (field == nullptr && IsVector(f.type) && !f.is_subfield) {
        field = &f;
        break;
      }
    }
    if (field == nullptr) {
      return IllegalArgument("index [" + index.name +
                             "] has no knn_vector or dense_vector field to search images by");
    }
  }
  EmbedSpec spec;
  spec.vector_field = field->path;
  spec.model = !node.model.empty()  ? node.model
               : field->embedding ? field->embedding->model
                                  : std::string();
  spec.dims = static_cast<int>(field->vector.dim);
  return spec;
}

}  // namespace

std::vector<EmbedSpec> EmbedSpecsOf(const Mapping& mapping) {
  std::vector<EmbedSpec> specs;
  for (const auto& [path, f] : mapping.fields()) {
    if (!IsVector(f.type) || !f.embedding || f.embedding->source_field.empty()) continue;
    if (path.find('.') != std::string::npos) continue;  // only top-level fields are filled
    specs.push_back(EmbedSpec{path, f.embedding->source_field, f.embedding->model,
                              static_cast<int>(f.vector.dim)});
  }
  return specs;
}

Status CheckEmbedModels(const FieldEmbedder* embedder, const Mapping* before,
                        const Mapping& after) {
  for (const EmbedSpec& spec : EmbedSpecsOf(after)) {
    const FieldMapping* old = before != nullptr ? before->Find(spec.vector_field) : nullptr;
    // An unchanged field was checked when it was defined.
    if (old != nullptr && old->embedding && old->embedding->source_field == spec.source_field &&
        old->embedding->model == spec.model && static_cast<int>(old->vector.dim) == spec.dims) {
      continue;
    }
    if (embedder == nullptr) {
      return MapperParsingError("[" + spec.vector_field + "] embeds [" + spec.source_field +
                                "] with " +
                                (spec.model.empty() ? std::string("the default model")
                                                    : "unknown model [" + spec.model + "]") +
                                "; no image models are loaded on this server");
    }
    LOOKALIKE_RETURN_IF_ERROR(embedder->CheckSpec(spec));
  }
  return Status::OK();
}

void EngineImpl::EmbedWriteItems(std::vector<WriteItem>* items) {
  std::map<std::string, std::vector<EmbedSpec>, std::less<>> specs_by_index;
  std::vector<PendingInput> pending;
  std::vector<FieldEmbedInput> inputs;
  for (WriteItem& item : *items) {
    WriteOp& op = item.op;
    if (!item.out.status.ok() || op.kind == WriteKind::kDelete) continue;
    if (!MayReferenceImages(op.source) &&
        !(op.partial_doc && MayReferenceImages(*op.partial_doc)) &&
        !(op.upsert && MayReferenceImages(*op.upsert))) {
      continue;
    }
    auto it = specs_by_index.find(op.index);
    if (it == specs_by_index.end()) {
      std::vector<EmbedSpec> specs;
      if (std::shared_ptr<Index> index = Find(op.index)) {
        std::shared_lock lock(index->data_mu);
        specs = EmbedSpecsOf(index->mapping);
      }
      it = specs_by_index.emplace(op.index, std::move(specs)).first;
    }
    if (it->second.empty()) continue;
    const size_t first = pending.size();
    Status st;
    if (op.kind == WriteKind::kUpdate) {
      if (op.partial_doc) {
        st = CollectDocument(&item, *op.partial_doc, &op.vectors, it->second, &pending, &inputs);
      }
      if (st.ok() && op.upsert) {
        st = CollectDocument(&item, *op.upsert, &op.upsert_vectors, it->second, &pending,
                             &inputs);
      }
    } else {
      st = CollectDocument(&item, op.source, &op.vectors, it->second, &pending, &inputs);
    }
    if (!st.ok()) {  // the item fails before any of its images is read
      item.out.status = st;
      pending.resize(first);
      inputs.resize(first);
    }
  }
  if (inputs.empty()) return;
  std::vector<Result<std::vector<float>>> vectors;
  if (options_.embedder != nullptr) {
    auto started = std::chrono::steady_clock::now();
    vectors = options_.embedder->EmbedDocumentFields(inputs);
    // The plug-in may batch across models: each image is charged an equal share of the call.
    const double each =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() /
        static_cast<double>(inputs.size());
    for (const FieldEmbedInput& input : inputs) RecordEmbed(input.spec->model, "index", each);
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    WriteItem& item = *pending[i].item;
    if (!item.out.status.ok()) continue;  // an earlier image of the item failed
    const EmbedSpec& spec = *pending[i].spec;
    if (options_.embedder == nullptr) {
      item.out.status = IllegalArgument("no image models are loaded; cannot fill [" +
                                        spec.vector_field + "] from [" + spec.source_field + "]");
      continue;
    }
    if (!vectors[i].ok()) {
      item.out.status = ItemError(vectors[i].status());
      continue;
    }
    pending[i].target->push_back(FieldVector{spec.vector_field, std::move(vectors[i]).value()});
  }
}

Result<EmbedSpec> EngineImpl::NeuralTarget(std::string_view index_name,
                                           const NeuralNode& node) const {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  auto index = Find(index_name);
  if (!index) {
    LOOKALIKE_RETURN_IF_ERROR(FailedIndexStatus(index_name));
    return IndexNotFound(index_name);
  }
  std::shared_lock lock(index->data_mu);
  return NeuralTargetOf(*index, node);
}

Result<QueryNode> EngineImpl::EmbedNeuralNodes(const Index& index, const QueryNode& node,
                                               NeuralEmbeddings* done) {
  if (!node.HasNeural()) return node;
  QueryNode out;
  if (const auto* neural = std::get_if<NeuralNode>(&node.node)) {
    if (options_.embedder == nullptr) {
      return IllegalArgument("no image models are loaded (start the server with --models DIR "
                             "after `lookalike convert-model`)");
    }
    EmbedSpec spec;
    {
      std::shared_lock lock(index.data_mu);
      LOOKALIKE_ASSIGN_OR_RETURN(spec, NeuralTargetOf(index, *neural));
    }
    // The same input for the same model and size is embedded once per request.
    auto key = std::make_tuple(neural, spec.model, spec.dims);
    auto it = done->vectors.find(key);
    if (it == done->vectors.end()) {
      EmbedInput input;
      if (!neural->text.empty()) {
        input.kind = EmbedInput::Kind::kText;
        input.text = neural->text;
      } else {
        input.bytes = neural->image;
      }
      LOOKALIKE_ASSIGN_OR_RETURN(QueryEmbedding q, options_.embedder->EmbedQuery(spec, input));
      RecordEmbed(q.model, "query", q.took_ms / 1e3);
      done->took_ms += q.took_ms;
      done->model = q.model;
      it = done->vectors.emplace(key, std::move(q.vector)).first;
    }
    KnnNode knn;
    knn.field = spec.vector_field;
    knn.vector = it->second;
    knn.k = neural->k;
    knn.boost = neural->boost;
    knn.filter = neural->filter;
    out.node = std::move(knn);
    return out;
  }
  if (const auto* cs = std::get_if<ConstantScoreNode>(&node.node)) {
    ConstantScoreNode copy = *cs;
    LOOKALIKE_ASSIGN_OR_RETURN(QueryNode inner, EmbedNeuralNodes(index, *cs->filter, done));
    copy.filter = std::make_shared<const QueryNode>(std::move(inner));
    out.node = std::move(copy);
    return out;
  }
  BoolNode copy = std::get<BoolNode>(node.node);  // the only other node with children
  for (auto* list : {&copy.must, &copy.filter, &copy.should, &copy.must_not}) {
    for (QueryNode& child : *list) {
      LOOKALIKE_ASSIGN_OR_RETURN(child, EmbedNeuralNodes(index, child, done));
    }
  }
  out.node = std::move(copy);
  return out;
}

Result<SearchRequest> EngineImpl::EmbedNeuralRequest(const Index& index,
                                                     const SearchRequest& request,
                                                     NeuralEmbeddings* done) {
  SearchRequest out = request;
  if (request.query) {
    LOOKALIKE_ASSIGN_OR_RETURN(out.query, EmbedNeuralNodes(index, *request.query, done));
  }
  if (request.post_filter) {
    LOOKALIKE_ASSIGN_OR_RETURN(out.post_filter,
                               EmbedNeuralNodes(index, *request.post_filter, done));
  }
  return out;
}

}  // namespace lookalike::engine

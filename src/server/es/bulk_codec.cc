// See bulk_codec.h.
#include "server/es/bulk_codec.h"

#include <chrono>

#include "common/json_writer.h"
#include "engine/json_util.h"
#include "server/error_mapping.h"
#include "server/es/doc_codec.h"

namespace lookalike::es {
namespace {

Status Malformed(size_t line_no, std::string_view what) {
  return Status::InvalidArgument("Malformed action/metadata line [" + std::to_string(line_no) +
                                 "], " + std::string(what))
      .WithKind(ErrorKind::kInvalidValue);
}

Status NotTerminated() {
  return Status::InvalidArgument("The bulk request must be terminated by a newline [\\n]")
      .WithKind(ErrorKind::kInvalidValue);
}

Status Invalid(std::string_view why) {
  return Status::InvalidArgument(why).WithKind(ErrorKind::kRequestValidation);
}

// Walks the non-blank, '\n'-terminated lines of an NDJSON body (a trailing '\r' is dropped).
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  /// False at the end, or when the rest is an unterminated line (see Unterminated()).
  bool Next(std::string_view* line) {
    while (pos_ < text_.size()) {
      size_t nl = text_.find('\n', pos_);
      if (nl == std::string_view::npos) return false;
      *line = text_.substr(pos_, nl - pos_);
      pos_ = nl + 1;
      ++line_no_;
      if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      if (line->find_first_not_of(" \t") != std::string_view::npos) return true;
    }
    return false;
  }
  /// Whether text that is not blank follows the last newline.
  bool Unterminated() const {
    return pos_ < text_.size() &&
           text_.substr(pos_).find_first_not_of(" \t\r\n") != std::string_view::npos;
  }
  size_t line_no() const { return line_no_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
};

Result<WriteKind> KindOf(std::string_view action, size_t line_no) {
  if (action == "index") return WriteKind::kIndex;
  if (action == "create") return WriteKind::kCreate;
  if (action == "update") return WriteKind::kUpdate;
  if (action == "delete") return WriteKind::kDelete;
  return Malformed(line_no, "expected field [create], [delete], [index] or [update] but found [" +
                                std::string(action) + "]");
}

// The metadata of an action line ({"index":{"_index":…,"_id":…,"if_seq_no":…,…}}) into *item.
Status ParseAction(std::string_view line, size_t line_no, std::string_view default_index,
                   BulkItem* item) {
  thread_local simdjson::dom::parser parser;
  auto action = engine::ParseJson(parser, line);
  if (!action.ok()) return Malformed(line_no, "expected START_OBJECT");
  simdjson::dom::object obj;
  if (action->get_object().get(obj) != simdjson::SUCCESS || obj.size() != 1) {
    return Malformed(line_no, "expected a single action object");
  }
  auto kv = *obj.begin();
  LOOKALIKE_ASSIGN_OR_RETURN(item->op.kind, KindOf(kv.key, line_no));
  item->action = std::string(kv.key);
  WriteOp& op = item->op;
  std::string_view s;
  op.index = std::string(default_index);
  if (kv.value.at_key("_index").get_string().get(s) == simdjson::SUCCESS) op.index = s;
  simdjson::dom::element idv;
  if (kv.value.at_key("_id").get(idv) == simdjson::SUCCESS && !idv.is_null() &&
      !engine::ElementToText(idv, &op.id)) {
    return Malformed(line_no, "_id must be a string");
  }
  for (auto [key, target] : {std::pair<const char*, int64_t*>{"if_seq_no", &op.condition.if_seq_no},
                             {"if_primary_term", &op.condition.if_primary_term}}) {
    simdjson::dom::element v;
    if (kv.value.at_key(key).get(v) != simdjson::SUCCESS) continue;
    int64_t n = -1;
    if (v.get_int64().get(n) != simdjson::SUCCESS || n < 0) {
      return Malformed(line_no, "[" + std::string(key) + "] must be a non-negative integer");
    }
    *target = n;
  }
  LOOKALIKE_RETURN_IF_ERROR(op.condition.Validate());
  std::string_view op_type;
  if (op.kind == WriteKind::kIndex &&
      kv.value.at_key("op_type").get_string().get(op_type) == simdjson::SUCCESS &&
      op_type == "create") {
    op.kind = WriteKind::kCreate;
  }
  if (op.index.empty()) return Invalid("Validation Failed: 1: index is missing;");
  if ((op.kind == WriteKind::kUpdate || op.kind == WriteKind::kDelete) && op.id.empty()) {
    return Invalid("Validation Failed: 1: id is missing;");
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<BulkItem>> ParseBulk(std::string_view default_index, std::string_view ndjson) {
  std::vector<BulkItem> items;
  LineReader lines(ndjson);
  std::string_view line;
  while (lines.Next(&line)) {
    BulkItem item;
    LOOKALIKE_RETURN_IF_ERROR(ParseAction(line, lines.line_no(), default_index, &item));
    if (item.op.kind != WriteKind::kDelete) {
      std::string_view source;
      if (!lines.Next(&source)) return NotTerminated();
      if (item.op.kind == WriteKind::kUpdate) {
        item.error = ParseUpdateBody(source, &item.op);
      } else {
        item.op.source = std::string(source);
      }
    }
    items.push_back(std::move(item));
  }
  if (lines.Unterminated()) return NotTerminated();
  if (items.empty()) return Invalid("Validation Failed: 1: no requests added;");
  return items;
}

Result<std::vector<WriteOutcome>> WriteBulk(Engine& engine, std::vector<BulkItem>& items,
                                            RefreshPolicy refresh) {
  std::vector<WriteOp> ops;
  ops.reserve(items.size());
  for (BulkItem& item : items) {
    if (item.error.ok()) ops.push_back(std::move(item.op));
  }
  std::vector<WriteOutcome> written;
  if (!ops.empty()) {
    LOOKALIKE_ASSIGN_OR_RETURN(written, engine.Write(std::move(ops), refresh));
  }
  std::vector<WriteOutcome> outcomes(items.size());
  size_t next = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].error.ok()) {
      outcomes[i] = std::move(written[next++]);
    } else {
      outcomes[i].index = items[i].op.index;
      outcomes[i].id = items[i].op.id;
      outcomes[i].status = items[i].error;
    }
  }
  return outcomes;
}

namespace {

void WriteFailedItem(const BulkItem& item, const WriteOutcome& outcome, JsonWriter& w) {
  // An item refused before the engine has no generated id yet: Elasticsearch answers null.
  if (!item.error.ok() && outcome.id.empty()) {
    w.Key("_id").Null();
  } else {
    w.Key("_id").String(outcome.id);
  }
  w.Key("status").Int(server::HttpStatusFor(outcome.status)).Key("error").BeginObject();
  w.Key("type").String(server::ErrorTypeFor(outcome.status)).Key("reason").String(outcome.status.message());
  w.Key("index").String(outcome.index).EndObject();
}

void WriteDoneItem(const WriteOutcome& r, JsonWriter& w) {
  w.Key("_id").String(r.id).Key("_version").Int(r.version);
  w.Key("result").String(WriteResultName(r.result));
  w.Key("_shards").BeginObject().Key("total").Int(1).Key("successful");
  w.Int(r.result == WriteResultKind::kNoop ? 0 : 1).Key("failed").Int(0).EndObject();
  w.Key("_seq_no").Int(r.seq_no).Key("_primary_term").Int(r.primary_term);
  w.Key("status").Int(WriteOutcomeHttpStatus(r));
}

}  // namespace

std::string RenderBulkResponse(const std::vector<BulkItem>& items,
                               const std::vector<WriteOutcome>& outcomes, int64_t took_ms) {
  bool errors = false;
  for (const WriteOutcome& outcome : outcomes) errors = errors || !outcome.status.ok();
  JsonWriter w;
  w.BeginObject().Key("took").Int(took_ms).Key("errors").Bool(errors).Key("items").BeginArray();
  for (size_t i = 0; i < items.size(); ++i) {
    const WriteOutcome& outcome = outcomes[i];
    w.BeginObject().Key(items[i].action).BeginObject().Key("_index").String(outcome.index);
    if (outcome.status.ok()) {
      WriteDoneItem(outcome, w);
    } else {
      WriteFailedItem(items[i], outcome, w);
    }
    w.EndObject().EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

Result<std::string> Bulk(Engine& engine, std::string_view default_index,
                         std::string_view ndjson, RefreshPolicy refresh,
                         const std::function<void(std::vector<BulkItem>*)>& prepare) {
  auto start = std::chrono::steady_clock::now();
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<BulkItem> items, ParseBulk(default_index, ndjson));
  if (prepare) prepare(&items);
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<WriteOutcome> outcomes,
                             WriteBulk(engine, items, refresh));
  int64_t took = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  return RenderBulkResponse(items, outcomes, took);
}

}  // namespace lookalike::es

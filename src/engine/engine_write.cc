// The write path: single-document calls and _bulk become WriteItems; each index's items are
// prepared under its write_mu, stored with ONE RocksDB batch (one WAL sync), applied to the
// in-memory structures, and their vectors queued for the background inserter.
#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "common/json_writer.h"
#include "engine/engine_impl.h"
#include "engine/json_util.h"

namespace lookalike::engine {
namespace {

int64_t ElapsedMillis(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// Writes the merge of `patch` into `base` (objects merged recursively, other values replaced).
void MergeInto(JsonWriter& w, element base, element patch) {
  if (!base.is_object() || !patch.is_object()) {
    WriteElement(w, patch);
    return;
  }
  w.BeginObject();
  simdjson::dom::object p = AsObject(patch);
  for (auto kv : AsObject(base)) {
    element pv;
    w.Key(kv.key);
    if (p.at_key(kv.key).get(pv) == simdjson::SUCCESS) {
      MergeInto(w, kv.value, pv);
    } else {
      WriteElement(w, kv.value);
    }
  }
  simdjson::dom::object b = AsObject(base);
  for (auto kv : p) {
    element bv;
    if (b.at_key(kv.key).get(bv) == simdjson::SUCCESS) continue;
    w.Key(kv.key);
    WriteElement(w, kv.value);
  }
  w.EndObject();
}

void WriteResultBody(DocWriteResult* r) {
  JsonWriter w;
  w.BeginObject().Key("_index").String(r->index).Key("_id").String(r->id)
      .Key("_version").Int(r->version).Key("result").String(r->result)
      .Key("_shards").BeginObject().Key("total").Int(1).Key("successful")
      .Int(r->result == "noop" || r->result == "not_found" ? 0 : 1).Key("failed").Int(0)
      .EndObject().Key("_seq_no").Int(r->seq_no).Key("_primary_term").Int(r->primary_term)
      .EndObject();
  r->body = w.Take();
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound: return 404;
    case StatusCode::kConflict: return 409;
    case StatusCode::kInvalidArgument:
    case StatusCode::kAlreadyExists: return 400;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

std::string_view TypeOf(const Status& s) {
  if (!s.type().empty()) return s.type();
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return "illegal_argument_exception";
    case StatusCode::kNotFound: return "resource_not_found_exception";
    case StatusCode::kConflict: return "version_conflict_engine_exception";
    default: return "exception";
  }
}

// A document written earlier in the same batch (so later items see it).
struct Pending {
  uint32_t docnum;
  int64_t version;
  bool live;
  std::string full_source;
  int64_t seq_no = -1;
};

// if_seq_no / if_primary_term: the write goes ahead only when the document exists with exactly
// that _seq_no and _primary_term (always 1 on this single-shard node), as in Elasticsearch.
Status CheckCondition(const WriteCondition& c, const std::string& id, bool exists,
                      const Pending& cur) {
  if (!c.active()) return Status::OK();
  std::string required = "required seqNo [" + std::to_string(c.if_seq_no) +
                         "], primary term [" + std::to_string(c.if_primary_term) + "]";
  if (!exists) {
    return Status::Conflict("[" + id + "]: version conflict, " + required +
                            " but no document was found")
        .WithType("version_conflict_engine_exception");
  }
  if (cur.seq_no != c.if_seq_no || c.if_primary_term != 1) {
    return Status::Conflict("[" + id + "]: version conflict, " + required +
                            ". current document has seqNo [" + std::to_string(cur.seq_no) +
                            "] and primary term [1]")
        .WithType("version_conflict_engine_exception");
  }
  return Status::OK();
}

// The number of a document that did not exist: a deleted document's number when one is
// reusable, else a new one. Memory for slots, columns and vector labels then follows the live
// documents rather than the writes. Nothing is taken for good here: the caller commits
// `*reused` numbers from the pool and `*next_doc` once the batch is stored.
uint32_t NewDocnum(const DocnumPool& pool, size_t* reused, uint32_t* next_doc) {
  uint32_t docnum;
  if (pool.Peek(*reused, &docnum)) {
    ++*reused;
    return docnum;
  }
  return (*next_doc)++;
}

struct ApplyOp {
  bool is_delete = false;
  uint32_t docnum = 0;
  std::string id;
  int64_t version = 0, seq_no = 0;
  PreparedDoc doc;
};

}  // namespace

Status EngineImpl::WriteIndexGroup(const std::shared_ptr<Index>& index,
                                   std::vector<WriteItem*>& items) {
  thread_local simdjson::dom::parser source_parser;
  thread_local simdjson::dom::parser base_parser;
  std::lock_guard<std::mutex> wl(index->write_mu);
  if (index->dropped) {
    for (WriteItem* item : items) item->status = IndexNotFound(index->name);
    return Status::OK();
  }
  storage::WriteBatch batch(index->space);
  std::unordered_map<std::string, Pending> overlay;
  std::vector<ApplyOp> ops;
  std::vector<WriteItem*> written;
  int64_t last_seq = index->last_seq;
  uint32_t next_doc = index->next_doc;
  {
    // No task pending: every earlier removal ran, whatever tokens are still held.
    std::lock_guard<std::mutex> pl(index->pending_mu);
    index->free_docnums.Mature(index->pending_vectors == 0);
  }
  size_t reused = 0;  // numbers of index->free_docnums taken by this batch
  bool mapping_changed = false;

  auto lookup = [&](const std::string& id, Pending* out) -> bool {
    auto it = overlay.find(id);
    if (it != overlay.end()) {
      *out = it->second;
      return out->live;
    }
    auto jt = index->ids.find(id);  // writers are serialised; readers never mutate ids
    if (jt == index->ids.end()) return false;
    out->docnum = jt->second;
    out->version = index->slots[jt->second].version;
    out->seq_no = index->slots[jt->second].seq_no;
    out->live = true;
    out->full_source.clear();
    return true;
  };

  for (WriteItem* item : items) {
    DocWriteResult& r = item->result;
    r.index = index->name;
    if (item->id.empty() && item->op != WriteItem::Op::kDelete && item->op != WriteItem::Op::kUpdate) {
      item->id = GenerateDocId();
    }
    r.id = item->id;
    if (item->id.empty() || item->id.size() > 512) {
      item->status = Status::InvalidArgument("id [" + item->id + "] is too long or empty, must be "
                                             "no longer than 512 bytes and not empty")
                         .WithType("illegal_argument_exception");
      continue;
    }
    if (!IsValidUtf8(item->id)) {
      // Ids from URL paths are raw percent-decoded bytes; JSON-borne ones are already valid.
      item->status = IllegalArgument("id must be valid UTF-8");
      continue;
    }
    Pending cur{};
    bool exists = lookup(item->id, &cur);
    if (Status c = CheckCondition(item->condition, item->id, exists, cur); !c.ok()) {
      item->status = c;
      continue;
    }

    if (item->op == WriteItem::Op::kDelete) {
      if (!exists) {
        r.result = "not_found";
        r.version = 1;
        r.seq_no = ++last_seq;
        r.http_status = 404;
        written.push_back(item);
        continue;
      }
      ApplyOp op;
      op.is_delete = true;
      op.docnum = cur.docnum;
      op.id = item->id;
      op.version = cur.version + 1;
      op.seq_no = ++last_seq;
      batch.DeleteDoc(op.docnum, op.seq_no);
      overlay[item->id] = Pending{cur.docnum, op.version, false, "", op.seq_no};
      r.result = "deleted";
      r.version = op.version;
      r.seq_no = op.seq_no;
      r.http_status = 200;
      ops.push_back(std::move(op));
      written.push_back(item);
      continue;
    }

    std::string merged;  // update: the new full source
    std::string_view source = item->body;
    bool upserting = false;
    if (item->op == WriteItem::Op::kUpdate) {
      auto body = ParseJson(source_parser, item->body);
      if (!body.ok()) {
        item->status = body.status();
        continue;
      }
      element doc, upsert;
      bool has_doc = body->at_key("doc").get(doc) == simdjson::SUCCESS;
      bool has_upsert = body->at_key("upsert").get(upsert) == simdjson::SUCCESS;
      bool doc_as_upsert = false;
      if (body->at_key("doc_as_upsert").get_bool().get(doc_as_upsert)) doc_as_upsert = false;
      element script;
      if (body->at_key("script").get(script) == simdjson::SUCCESS) {
        item->status = IllegalArgument("scripted updates are not supported");
        continue;
      }
      if (!has_doc && !has_upsert) {
        item->status = Status::InvalidArgument("Validation Failed: 1: script or doc is missing;")
                           .WithType("action_request_validation_exception");
        continue;
      }
      if (!exists) {
        if (doc_as_upsert && has_doc) {
          merged = ElementToJson(doc);
        } else if (has_upsert) {
          merged = ElementToJson(upsert);
        } else {
          item->status = Status::NotFound("[" + item->id + "]: document missing")
                             .WithType("document_missing_exception");
          continue;
        }
        upserting = true;
      } else {
        std::string base_text = cur.full_source;
        if (base_text.empty()) {
          storage::DocRecord rec;
          std::vector<storage::StoredVector> vecs;
          Status s = store_->GetDoc(index->space, cur.docnum, &rec);
          if (s.ok()) s = store_->GetVectors(index->space, cur.docnum, &vecs);
          if (!s.ok()) {
            item->status = s;
            continue;
          }
          base_text = Index::RebuildSource(rec.source, vecs);
        }
        auto base = ParseStoredJson(base_parser, base_text);
        if (!base.ok()) {
          item->status = base.status();
          continue;
        }
        if (has_doc) {
          JsonWriter w(&merged);
          MergeInto(w, *base, doc);
        } else {
          merged = ElementToJson(*base);
        }
        if (merged == ElementToJson(*base)) {
          r.result = "noop";
          r.version = cur.version;
          r.seq_no = index->slots[cur.docnum].seq_no;
          r.http_status = 200;
          written.push_back(item);
          continue;
        }
      }
      source = merged;
    }

    if (item->op == WriteItem::Op::kCreate && exists) {
      item->status = Status::Conflict("[" + item->id +
                                      "]: version conflict, document already exists (current "
                                      "version [" + std::to_string(cur.version) + "])")
                         .WithType("version_conflict_engine_exception");
      continue;
    }
    auto parsed = ParseJson(source_parser, source);
    if (!parsed.ok()) {
      item->status = MapperParsingError("failed to parse: " + parsed.status().message());
      continue;
    }
    ApplyOp op;
    bool changed = false;
    Status s = index->PrepareDocument(*parsed, &op.doc, &changed);
    mapping_changed |= changed;
    if (!s.ok()) {
      item->status = s;
      continue;
    }
    op.docnum = exists ? cur.docnum : NewDocnum(index->free_docnums, &reused, &next_doc);
    op.id = item->id;
    op.version = exists ? cur.version + 1 : 1;
    op.seq_no = ++last_seq;
    storage::DocRecord rec;
    rec.docnum = op.docnum;
    rec.version = op.version;
    rec.seq_no = op.seq_no;
    rec.id = op.id;
    rec.source = op.doc.slim_source;
    batch.PutDoc(rec, op.doc.vectors.empty() ? std::string() : storage::EncodeVectors(op.doc.vectors));
    overlay[item->id] = Pending{op.docnum, op.version, true, std::string(source), op.seq_no};
    r.result = exists ? "updated" : "created";
    r.version = op.version;
    r.seq_no = op.seq_no;
    r.http_status = exists ? 200 : 201;
    (void)upserting;
    ops.push_back(std::move(op));
    written.push_back(item);
  }

  if (mapping_changed) {
    LOOKALIKE_RETURN_IF_ERROR(store_->PutIndexMeta(index->name, index->MetaJson()));
  }
  if (written.empty()) return Status::OK();
  batch.SetCounters(last_seq, next_doc);
  Status s = store_->Write(&batch);
  if (!s.ok()) {
    for (WriteItem* item : written) item->status = s;
    return Status::OK();
  }
  index->last_seq = last_seq;
  index->next_doc = next_doc;
  index->free_docnums.Take(reused);
  index->deleted_docs -= static_cast<int64_t>(reused);

  // Vector work per field, in write order.
  std::map<std::string, VectorTask> tasks;
  std::vector<uint32_t> freed;
  {
    std::unique_lock lock(index->data_mu);
    for (const ApplyOp& op : ops) {
      if (op.is_delete) {
        index->ApplyDelete(op.docnum);
        ++index->deleted_docs;
        freed.push_back(op.docnum);
      } else {
        index->ApplyDoc(op.docnum, op.id, op.version, op.seq_no, op.doc);
      }
    }
  }
  for (ApplyOp& op : ops) {
    for (const auto& [field, vf] : index->vectors) {
      VectorTask& t = tasks[field];
      const storage::StoredVector* v = nullptr;
      for (const auto& sv : op.doc.vectors) {
        std::string_view name = sv.field;
        if (!name.empty() && name[0] == '^') name.remove_prefix(1);
        if (name == field) v = &sv;
      }
      if (v && !op.is_delete) {
        // A label added earlier in this batch and re-added later: the later add wins because
        // AddBatch replaces in order; removes run first only for deletes/vector-less versions.
        t.add_labels.push_back(op.docnum);
        t.add_vectors.insert(t.add_vectors.end(), v->values.begin(), v->values.end());
      } else {
        t.removes.push_back(op.docnum);
        // A later remove must not be undone by an earlier add in the same task.
        for (size_t i = 0; i < t.add_labels.size(); ++i) {
          if (t.add_labels[i] == op.docnum) t.add_labels[i] = UINT64_MAX;
        }
      }
    }
  }
  // The freed numbers wait until every task of this batch (which holds their removes) ran.
  DocnumPool::Token applied = DocnumPool::NewToken();
  index->free_docnums.Free(std::move(freed), applied);
  for (auto& [field, task] : tasks) {
    if (task.add_labels.empty() && task.removes.empty()) continue;
    task.applied_token = applied;
    // Drop neutralised adds (see above).
    size_t dim = index->vectors[field]->spec.dim;
    size_t keep = 0;
    for (size_t i = 0; i < task.add_labels.size(); ++i) {
      if (task.add_labels[i] == UINT64_MAX) continue;
      if (keep != i) {
        task.add_labels[keep] = task.add_labels[i];
        std::copy_n(task.add_vectors.begin() + i * dim, dim, task.add_vectors.begin() + keep * dim);
      }
      ++keep;
    }
    task.add_labels.resize(keep);
    task.add_vectors.resize(keep * dim);
    task.index = index;
    task.field = field;
    task.max_seq = last_seq;
    Enqueue(std::move(task));
  }
  return Status::OK();
}

Status EngineImpl::ExecuteWrites(std::vector<WriteItem>* items, RefreshPolicy refresh) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  // Group by index, keeping item order within each group.
  std::map<std::string, std::vector<WriteItem*>> groups;
  for (auto& item : *items) groups[item.index].push_back(&item);
  std::vector<std::shared_ptr<Index>> touched;
  for (auto& [name, group] : groups) {
    if (Status blocked = CheckWritable(name); !blocked.ok()) {
      for (WriteItem* item : group) item->status = blocked;
      continue;
    }
    std::shared_ptr<Index> index = Find(name);
    if (Status failed = FailedIndexStatus(name); !index && !failed.ok()) {
      for (WriteItem* item : group) item->status = failed;
      continue;
    }
    if (!index) {
      bool creates = false;
      for (WriteItem* item : group) {
        creates |= item->op == WriteItem::Op::kIndex || item->op == WriteItem::Op::kCreate;
      }
      if (creates) {
        auto created = AutoCreate(name);
        if (!created.ok()) {
          for (WriteItem* item : group) item->status = created.status();
          continue;
        }
        index = *created;
      } else {
        for (WriteItem* item : group) item->status = IndexNotFound(name);
        continue;
      }
    }
    LOOKALIKE_RETURN_IF_ERROR(WriteIndexGroup(index, group));
    touched.push_back(index);
  }
  if (refresh != RefreshPolicy::kFalse) {
    for (const auto& index : touched) WaitVectors(index.get());
  }
  return Status::OK();
}

Result<DocWriteResult> EngineImpl::SingleWrite(WriteItem item, RefreshPolicy refresh) {
  if (item.op != WriteItem::Op::kDelete && item.op != WriteItem::Op::kUpdate) {
    LOOKALIKE_RETURN_IF_ERROR(ValidateIndexName(item.index));
  }
  std::vector<WriteItem> items;
  items.push_back(std::move(item));
  LOOKALIKE_RETURN_IF_ERROR(ExecuteWrites(&items, refresh));
  WriteItem& done = items[0];
  if (!done.status.ok()) {
    static constexpr const char* kOpNames[] = {"index", "create", "update", "delete"};
    LogRefused(kOpNames[static_cast<int>(done.op)], done.index, 1, 1, done.status);
    return done.status;
  }
  WriteResultBody(&done.result);
  return std::move(done.result);
}

Result<DocWriteResult> EngineImpl::IndexDocument(std::string_view index, std::string_view id,
                                                 std::string_view source_json, OpType op_type,
                                                 RefreshPolicy refresh,
                                                 const WriteCondition& condition) {
  WriteItem item;
  item.condition = condition;
  item.op = op_type == OpType::kCreate ? WriteItem::Op::kCreate : WriteItem::Op::kIndex;
  item.index = std::string(index);
  item.id = std::string(id);
  item.body = source_json;
  // A body that is not JSON at all is a request-level parse error, as in Elasticsearch.
  thread_local simdjson::dom::parser parser;
  auto parsed = ParseJson(parser, source_json);
  if (!parsed.ok()) return MapperParsingError("failed to parse: " + parsed.status().message());
  return SingleWrite(std::move(item), refresh);
}

Result<DocWriteResult> EngineImpl::DeleteDocument(std::string_view index, std::string_view id,
                                                  RefreshPolicy refresh,
                                                  const WriteCondition& condition) {
  WriteItem item;
  item.condition = condition;
  item.op = WriteItem::Op::kDelete;
  item.index = std::string(index);
  item.id = std::string(id);
  return SingleWrite(std::move(item), refresh);
}

Result<DocWriteResult> EngineImpl::UpdateDocument(std::string_view index, std::string_view id,
                                                  std::string_view body_json,
                                                  RefreshPolicy refresh,
                                                  const WriteCondition& condition) {
  WriteItem item;
  item.condition = condition;
  item.op = WriteItem::Op::kUpdate;
  item.index = std::string(index);
  item.id = std::string(id);
  item.body = body_json;
  thread_local simdjson::dom::parser parser;
  auto parsed = ParseJson(parser, body_json);
  if (!parsed.ok()) return parsed.status();
  return SingleWrite(std::move(item), refresh);
}

Result<std::string> EngineImpl::Bulk(std::string_view default_index, std::string_view ndjson,
                                     RefreshPolicy refresh) {
  auto start = std::chrono::steady_clock::now();
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  thread_local simdjson::dom::parser action_parser;
  std::vector<WriteItem> items;
  std::vector<std::string> action_names;
  size_t pos = 0;
  size_t line_no = 0;
  auto next_line = [&](std::string_view* line) -> bool {
    while (pos < ndjson.size()) {
      size_t nl = ndjson.find('\n', pos);
      if (nl == std::string_view::npos) {
        return false;  // unterminated final line: reported by the caller
      }
      *line = ndjson.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      if (line->find_first_not_of(" \t") != std::string_view::npos) return true;
    }
    return false;
  };
  std::string_view line;
  while (next_line(&line)) {
    auto action = ParseJson(action_parser, line);
    if (!action.ok()) {
      return Status::InvalidArgument("Malformed action/metadata line [" +
                                     std::to_string(line_no) + "], expected START_OBJECT")
          .WithType("illegal_argument_exception");
    }
    simdjson::dom::object obj;
    if (action->get_object().get(obj) != simdjson::SUCCESS || obj.size() != 1) {
      return Status::InvalidArgument("Malformed action/metadata line [" +
                                     std::to_string(line_no) +
                                     "], expected a single action object")
          .WithType("illegal_argument_exception");
    }
    auto kv = *obj.begin();
    WriteItem item;
    if (kv.key == "index") item.op = WriteItem::Op::kIndex;
    else if (kv.key == "create") item.op = WriteItem::Op::kCreate;
    else if (kv.key == "update") item.op = WriteItem::Op::kUpdate;
    else if (kv.key == "delete") item.op = WriteItem::Op::kDelete;
    else {
      return Status::InvalidArgument("Malformed action/metadata line [" +
                                     std::to_string(line_no) +
                                     "], expected field [create], [delete], [index] or [update] "
                                     "but found [" + std::string(kv.key) + "]")
          .WithType("illegal_argument_exception");
    }
    std::string_view s;
    item.index = std::string(default_index);
    if (kv.value.at_key("_index").get_string().get(s) == simdjson::SUCCESS) item.index = std::string(s);
    element idv;
    if (kv.value.at_key("_id").get(idv) == simdjson::SUCCESS && !idv.is_null()) {
      if (!ElementToText(idv, &item.id)) {
        return Status::InvalidArgument("Malformed action/metadata line [" +
                                       std::to_string(line_no) + "], _id must be a string")
            .WithType("illegal_argument_exception");
      }
    }
    for (auto [key, target] : {std::pair<const char*, int64_t*>{"if_seq_no", &item.condition.if_seq_no},
                               {"if_primary_term", &item.condition.if_primary_term}}) {
      element v;
      if (kv.value.at_key(key).get(v) != simdjson::SUCCESS) continue;
      int64_t n = -1;
      if (v.get_int64().get(n) != simdjson::SUCCESS || n < 0) {
        return Status::InvalidArgument("Malformed action/metadata line [" +
                                       std::to_string(line_no) + "], [" + key +
                                       "] must be a non-negative integer")
            .WithType("illegal_argument_exception");
      }
      *target = n;
    }
    if (Status c = item.condition.Validate(); !c.ok()) return c;
    std::string_view op_type;
    if (item.op == WriteItem::Op::kIndex &&
        kv.value.at_key("op_type").get_string().get(op_type) == simdjson::SUCCESS &&
        op_type == "create") {
      item.op = WriteItem::Op::kCreate;
    }
    if (item.index.empty()) {
      return Status::InvalidArgument("Validation Failed: 1: index is missing;")
          .WithType("action_request_validation_exception");
    }
    if ((item.op == WriteItem::Op::kUpdate || item.op == WriteItem::Op::kDelete) &&
        item.id.empty()) {
      return Status::InvalidArgument("Validation Failed: 1: id is missing;")
          .WithType("action_request_validation_exception");
    }
    action_names.emplace_back(kv.key);
    if (item.op != WriteItem::Op::kDelete) {
      std::string_view src;
      if (!next_line(&src)) {
        return Status::InvalidArgument("The bulk request must be terminated by a newline [\\n]")
            .WithType("illegal_argument_exception");
      }
      item.body = src;
    }
    items.push_back(std::move(item));
  }
  if (pos < ndjson.size() && ndjson.substr(pos).find_first_not_of(" \t\r\n") != std::string_view::npos) {
    return Status::InvalidArgument("The bulk request must be terminated by a newline [\\n]")
        .WithType("illegal_argument_exception");
  }
  if (items.empty()) {
    return Status::InvalidArgument("Validation Failed: 1: no requests added;")
        .WithType("action_request_validation_exception");
  }
  // Invalid index names fail their items, not the request.
  for (auto& item : items) {
    if (!Find(item.index)) {
      Status s = ValidateIndexName(item.index);
      if (!s.ok()) item.status = s;
    }
  }
  std::vector<WriteItem> valid;
  std::vector<size_t> where;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].status.ok()) {
      where.push_back(i);
      valid.push_back(std::move(items[i]));
    }
  }
  LOOKALIKE_RETURN_IF_ERROR(ExecuteWrites(&valid, refresh));
  for (size_t j = 0; j < valid.size(); ++j) items[where[j]] = std::move(valid[j]);

  size_t refused = 0;
  const WriteItem* first_refused = nullptr;
  for (const WriteItem& item : items) {
    if (item.status.ok()) continue;
    if (refused++ == 0) first_refused = &item;
  }
  if (first_refused != nullptr) {
    LogRefused("bulk", first_refused->index, refused, items.size(), first_refused->status);
  }

  bool errors = false;
  JsonWriter w;
  w.BeginObject().Key("took").Int(0).Key("errors").Bool(false).Key("items").BeginArray();
  for (size_t i = 0; i < items.size(); ++i) {
    WriteItem& item = items[i];
    w.BeginObject().Key(action_names[i]).BeginObject();
    w.Key("_index").String(item.index).Key("_id").String(item.result.id.empty() ? item.id
                                                                                : item.result.id);
    if (!item.status.ok()) {
      errors = true;
      w.Key("status").Int(HttpStatusOf(item.status)).Key("error").BeginObject()
          .Key("type").String(TypeOf(item.status)).Key("reason").String(item.status.message())
          .Key("index").String(item.index).EndObject();
    } else {
      DocWriteResult& r = item.result;
      w.Key("_version").Int(r.version).Key("result").String(r.result)
          .Key("_shards").BeginObject().Key("total").Int(1).Key("successful")
          .Int(r.result == "noop" ? 0 : 1).Key("failed").Int(0).EndObject()
          .Key("_seq_no").Int(r.seq_no).Key("_primary_term").Int(1)
          .Key("status").Int(r.http_status);
    }
    w.EndObject().EndObject();
  }
  w.EndArray().EndObject();
  std::string out = w.Take();
  // Patch "took" and "errors" now that they are known (both have fixed positions).
  std::string head = "{\"took\":" + std::to_string(ElapsedMillis(start)) +
                     ",\"errors\":" + (errors ? "true" : "false");
  out.replace(0, std::string("{\"took\":0,\"errors\":false").size(), head);
  return out;
}

}  // namespace lookalike::engine

// The writer: the typed write items of one index become ONE durable RocksDB batch (one WAL
// sync) prepared under the index's write_mu, are applied to the in-memory structures under its
// data_mu, and their vectors are queued for the inserter. Nothing here knows JSON responses or
// HTTP.
#include "engine/writer.h"

#include <algorithm>
#include <span>
#include <unordered_map>

#include "common/json_writer.h"
#include "engine/json_util.h"

namespace lookalike::engine {
namespace {

// Whether top-level `key` is replaced by one of `drop` (an update's extra vectors).
bool Dropped(std::string_view key, std::span<const FieldVector> drop) {
  return std::any_of(drop.begin(), drop.end(),
                     [key](const FieldVector& v) { return v.path == key; });
}

// Writes the merge of `patch` into `base` (objects merged recursively, other values replaced),
// leaving out the top-level keys in `drop`.
void MergeInto(JsonWriter& w, element base, element patch, std::span<const FieldVector> drop = {}) {
  if (!base.is_object() || !patch.is_object()) {
    WriteElement(w, patch);
    return;
  }
  w.BeginObject();
  simdjson::dom::object p = AsObject(patch);
  for (auto kv : AsObject(base)) {
    if (Dropped(kv.key, drop)) continue;
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
    if (b.at_key(kv.key).get(bv) == simdjson::SUCCESS || Dropped(kv.key, drop)) continue;
    w.Key(kv.key);
    WriteElement(w, kv.value);
  }
  w.EndObject();
}

// `obj` without the top-level keys in `drop`, as compact JSON.
std::string JsonWithout(element obj, std::span<const FieldVector> drop) {
  if (drop.empty() || !obj.is_object()) return ElementToJson(obj);
  JsonWriter w;
  w.BeginObject();
  for (auto kv : AsObject(obj)) {
    if (Dropped(kv.key, drop)) continue;
    w.Key(kv.key);
    WriteElement(w, kv.value);
  }
  w.EndObject();
  return w.Take();
}

// Whether `doc` holds exactly `v` at its top-level key v.path (as a stored vector reads back).
bool HoldsVector(element doc, const FieldVector& v) {
  simdjson::dom::array values;
  if (doc.at_key(v.path).get_array().get(values) != simdjson::SUCCESS) return false;
  if (values.size() != v.values.size()) return false;
  size_t i = 0;
  for (element x : values) {
    double d;
    if (x.get_double().get(d) != simdjson::SUCCESS || static_cast<float>(d) != v.values[i++]) {
      return false;
    }
  }
  return true;
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
// that _seq_no, as in Elasticsearch. The term: always 1 on a single node; on a cluster shard
// copy any term from 1 to the op's (stream sequences are never reused across terms, so the
// _seq_no alone names the write the client saw, whichever term it was told).
Status CheckCondition(const WriteOp& op, bool exists, const Pending& cur) {
  const WriteCondition& c = op.condition;
  if (!c.active()) return Status::OK();
  std::string required = "required seqNo [" + std::to_string(c.if_seq_no) +
                         "], primary term [" + std::to_string(c.if_primary_term) + "]";
  if (!exists) {
    return Status::Conflict("[" + op.id + "]: version conflict, " + required +
                            " but no document was found")
        .WithKind(ErrorKind::kVersionConflict);
  }
  if (cur.seq_no != c.if_seq_no || c.if_primary_term < 1 ||
      c.if_primary_term > op.primary_term) {
    return Status::Conflict("[" + op.id + "]: version conflict, " + required +
                            ". current document has seqNo [" + std::to_string(cur.seq_no) +
                            "] and primary term [" + std::to_string(op.primary_term) + "]")
        .WithKind(ErrorKind::kVersionConflict);
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

// What an update writes: the new full source and the vectors set on it.
struct UpdateTarget {
  std::string source;
  std::span<const FieldVector> vectors;
  bool noop = false;
};

// The items of one index on their way into one storage batch. Used under the index's write_mu.
class GroupBatch {
 public:
  GroupBatch(Index* index, storage::DocStore* store)
      : batch(index->space), last_seq(index->last_seq), next_doc(index->next_doc),
        stored_seq_(index->last_seq), index_(index), store_(store) {}

  void Add(WriteItem* item);

  storage::WriteBatch batch;
  std::vector<ApplyOp> ops;
  std::vector<WriteItem*> written;
  int64_t last_seq;
  uint32_t next_doc;
  size_t reused = 0;  // numbers of index->free_docnums taken by this batch
  bool mapping_changed = false;

 private:
  bool Lookup(const std::string& id, Pending* out) const;
  int64_t NextSeq(const WriteOp& op);
  void Delete(WriteItem* item, bool exists, const Pending& cur);
  Result<UpdateTarget> ResolveUpdate(const WriteOp& op, bool exists, const Pending& cur);
  void Put(WriteItem* item, bool exists, const Pending& cur, std::string_view source,
           std::span<const FieldVector> vectors);

  const int64_t stored_seq_;  // the index's last _seq_no before this batch
  Index* index_;
  storage::DocStore* store_;
  std::unordered_map<std::string, Pending> overlay_;
};

// The _seq_no of a write: the index's next one, or the stream sequence a shard copy gives.
int64_t GroupBatch::NextSeq(const WriteOp& op) {
  if (op.log_seq_no < 0) return ++last_seq;
  last_seq = std::max(last_seq, op.log_seq_no);
  return op.log_seq_no;
}

bool GroupBatch::Lookup(const std::string& id, Pending* out) const {
  auto it = overlay_.find(id);
  if (it != overlay_.end()) {
    *out = it->second;
    return out->live;
  }
  auto jt = index_->ids.find(id);  // writers are serialised; readers never mutate ids
  if (jt == index_->ids.end()) return false;
  out->docnum = jt->second;
  out->version = index_->slots[jt->second].version;
  out->seq_no = index_->slots[jt->second].seq_no;
  out->live = true;
  out->full_source.clear();
  return true;
}

void GroupBatch::Add(WriteItem* item) {
  WriteOp& op = item->op;
  WriteOutcome& r = item->out;
  r.index = index_->name;
  r.primary_term = op.primary_term;
  if (op.log_seq_no >= 0 && op.log_seq_no <= stored_seq_) {
    // Stored before a crash and handed to us again: applying it twice would decide differently
    // (a create would now conflict), so it is skipped; the documents are already as it left them.
    r.replayed = true;
    r.result = WriteResultKind::kNoop;
    r.seq_no = op.log_seq_no;
    return;
  }
  if (op.id.empty() && op.kind != WriteKind::kDelete && op.kind != WriteKind::kUpdate) {
    op.id = GenerateDocId();
  }
  r.id = op.id;
  if (op.id.empty() || op.id.size() > 512) {
    r.status = Status::InvalidArgument("id [" + op.id +
                                       "] is too long or empty, must be "
                                       "no longer than 512 bytes and not empty")
                   .WithKind(ErrorKind::kInvalidValue);
    return;
  }
  if (!IsValidUtf8(op.id)) {
    // Ids from URL paths are raw percent-decoded bytes; JSON-borne ones are already valid.
    r.status = IllegalArgument("id must be valid UTF-8");
    return;
  }
  Pending cur{};
  bool exists = Lookup(op.id, &cur);
  if (Status c = CheckCondition(op, exists, cur); !c.ok()) {
    r.status = c;
    return;
  }
  if (op.kind == WriteKind::kDelete) return Delete(item, exists, cur);
  if (op.kind != WriteKind::kUpdate) return Put(item, exists, cur, op.source, op.vectors);
  auto target = ResolveUpdate(op, exists, cur);
  if (!target.ok()) {
    r.status = target.status();
  } else if (target->noop) {
    r.result = WriteResultKind::kNoop;
    r.version = cur.version;
    r.seq_no = index_->slots[cur.docnum].seq_no;
    written.push_back(item);
  } else {
    Put(item, exists, cur, target->source, target->vectors);
  }
}

void GroupBatch::Delete(WriteItem* item, bool exists, const Pending& cur) {
  WriteOutcome& r = item->out;
  if (!exists) {
    r.result = WriteResultKind::kNotFound;
    r.version = 1;
    r.seq_no = NextSeq(item->op);
    written.push_back(item);
    return;
  }
  ApplyOp op;
  op.is_delete = true;
  op.docnum = cur.docnum;
  op.id = item->op.id;
  op.version = cur.version + 1;
  op.seq_no = NextSeq(item->op);
  batch.DeleteDoc(op.docnum, op.seq_no);
  overlay_[op.id] = Pending{cur.docnum, op.version, false, "", op.seq_no};
  r.result = WriteResultKind::kDeleted;
  r.version = op.version;
  r.seq_no = op.seq_no;
  ops.push_back(std::move(op));
  written.push_back(item);
}

Result<UpdateTarget> GroupBatch::ResolveUpdate(const WriteOp& op, bool exists,
                                               const Pending& cur) {
  thread_local simdjson::dom::parser doc_parser;
  thread_local simdjson::dom::parser base_parser;
  const bool has_doc = op.partial_doc.has_value();
  if (!has_doc && !op.upsert.has_value()) {
    return Status::InvalidArgument("Validation Failed: 1: script or doc is missing;")
        .WithKind(ErrorKind::kRequestValidation);
  }
  UpdateTarget target;
  if (!exists) {
    if (op.doc_as_upsert && has_doc) {
      target.source = *op.partial_doc;
      target.vectors = op.vectors;
    } else if (op.upsert.has_value()) {
      target.source = *op.upsert;
      target.vectors = op.upsert_vectors;
    } else {
      return Status::NotFound("[" + op.id + "]: document missing")
          .WithKind(ErrorKind::kDocumentMissing);
    }
    return target;
  }
  if (!has_doc) {  // an upsert-only update of an existing document changes nothing
    target.noop = true;
    return target;
  }
  std::string base_text = cur.full_source;
  if (base_text.empty()) {
    storage::DocRecord rec;
    std::vector<storage::StoredVector> vecs;
    LOOKALIKE_RETURN_IF_ERROR(store_->GetDoc(index_->space, cur.docnum, &rec));
    LOOKALIKE_RETURN_IF_ERROR(store_->GetVectors(index_->space, cur.docnum, &vecs));
    base_text = Index::RebuildSource(rec.source, vecs);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(element base, ParseStoredJson(base_parser, base_text));
  LOOKALIKE_ASSIGN_OR_RETURN(element doc, ParseJson(doc_parser, *op.partial_doc));
  JsonWriter w(&target.source);
  MergeInto(w, base, doc, op.vectors);
  target.vectors = op.vectors;
  target.noop = target.source == JsonWithout(base, op.vectors) &&
                std::all_of(op.vectors.begin(), op.vectors.end(),
                            [base](const FieldVector& v) { return HoldsVector(base, v); });
  return target;
}

void GroupBatch::Put(WriteItem* item, bool exists, const Pending& cur, std::string_view source,
                     std::span<const FieldVector> vectors) {
  thread_local simdjson::dom::parser source_parser;
  WriteOutcome& r = item->out;
  if (item->op.kind == WriteKind::kCreate && exists) {
    r.status = Status::Conflict("[" + item->op.id +
                                "]: version conflict, document already exists (current "
                                "version [" +
                                std::to_string(cur.version) + "])")
                   .WithKind(ErrorKind::kVersionConflict);
    return;
  }
  auto parsed = ParseJson(source_parser, source);
  if (!parsed.ok()) {
    r.status = MapperParsingError("failed to parse: " + parsed.status().message());
    return;
  }
  ApplyOp op;
  bool changed = false;
  Status s = index_->PrepareDocument(*parsed, &op.doc, &changed, true, vectors);
  mapping_changed |= changed;
  if (!s.ok()) {
    r.status = s;
    return;
  }
  op.docnum = exists ? cur.docnum : NewDocnum(index_->free_docnums, &reused, &next_doc);
  op.id = item->op.id;
  op.version = exists ? cur.version + 1 : 1;
  op.seq_no = NextSeq(item->op);
  storage::DocRecord rec;
  rec.docnum = op.docnum;
  rec.version = op.version;
  rec.seq_no = op.seq_no;
  rec.id = op.id;
  rec.source = op.doc.slim_source;
  batch.PutDoc(rec, op.doc.vectors.empty() ? std::string()
                                           : storage::EncodeVectors(op.doc.vectors));
  // A later update in this batch merges into what a GET would return.
  std::string full = vectors.empty() ? std::string(source)
                                     : Index::RebuildSource(op.doc.slim_source, op.doc.vectors);
  overlay_[op.id] = Pending{op.docnum, op.version, true, std::move(full), op.seq_no};
  r.result = exists ? WriteResultKind::kUpdated : WriteResultKind::kCreated;
  r.version = op.version;
  r.seq_no = op.seq_no;
  ops.push_back(std::move(op));
  written.push_back(item);
}

}  // namespace

Status Writer::WriteIndexGroup(const std::shared_ptr<Index>& index,
                               std::vector<WriteItem*>& items) {
  std::lock_guard<std::mutex> wl(index->write_mu);
  if (index->dropped) {
    for (WriteItem* item : items) item->out.status = IndexNotFound(index->name);
    return Status::OK();
  }
  // No task pending: every earlier removal ran, whatever tokens are still held.
  index->free_docnums.Mature(index->NoPendingVectors());
  GroupBatch group(index.get(), store_);
  for (WriteItem* item : items) group.Add(item);

  if (group.mapping_changed) {
    LOOKALIKE_RETURN_IF_ERROR(store_->PutIndexMeta(index->name, index->MetaJson()));
  }
  if (group.written.empty()) return Status::OK();
  const int64_t last_seq = group.last_seq;
  group.batch.SetCounters(last_seq, group.next_doc);
  Status s = store_->Write(&group.batch);
  if (!s.ok()) {
    for (WriteItem* item : group.written) item->out.status = s;
    return Status::OK();
  }
  index->last_seq = last_seq;
  index->next_doc = group.next_doc;
  index->free_docnums.Take(group.reused);
  index->deleted_docs -= static_cast<int64_t>(group.reused);

  // Vector work per field, in write order.
  std::map<std::string, VectorTask> tasks;
  std::vector<uint32_t> freed;
  {
    std::unique_lock lock(index->data_mu);
    for (const ApplyOp& op : group.ops) {
      if (op.is_delete) {
        index->ApplyDelete(op.docnum);
        ++index->deleted_docs;
        freed.push_back(op.docnum);
      } else {
        index->ApplyDoc(op.docnum, op.id, op.version, op.seq_no, op.doc);
      }
    }
  }
  for (ApplyOp& op : group.ops) {
    for (const auto& [field, vf] : index->vectors) {
      VectorTask& t = tasks[field];
      std::vector<uint64_t> labels;
      std::vector<float> values;
      if (!op.is_delete) CollectFieldVectors(*vf, op.docnum, op.doc.vectors, &labels, &values);
      // A plain field replaces its one label (AddBatch replaces in order, so a label added
      // earlier in this batch and re-added later ends with the later vector). A nested field's
      // document may hold fewer vectors than before: its old labels are removed first, always.
      if (labels.empty() || vf->nested) {
        t.removes.push_back(op.docnum);
        // A later remove must not be undone by an earlier add in the same task.
        for (size_t i = 0; i < t.add_labels.size(); ++i) {
          const uint64_t l = t.add_labels[i];
          if (vf->nested ? l != UINT64_MAX && NestedLabelDoc(l) == op.docnum : l == op.docnum) {
            t.add_labels[i] = UINT64_MAX;
          }
        }
      }
      t.add_labels.insert(t.add_labels.end(), labels.begin(), labels.end());
      t.add_vectors.insert(t.add_vectors.end(), values.begin(), values.end());
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
    inserter_->Enqueue(std::move(task));
  }
  return Status::OK();
}

}  // namespace lookalike::engine

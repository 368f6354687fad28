// The write path's entry points: typed WriteOps (from the codec's _bulk and document requests,
// or any caller) become WriteItems, are embedded (engine_embed.cc) and grouped by index (an
// index is auto-created by its first index/create item); the Writer stores each group with one
// batch; then metrics, the slow log and refresh. Results are typed WriteOutcomes.
#include <algorithm>
#include <chrono>

#include "engine/engine_impl.h"
#include "engine/json_util.h"

namespace lookalike::engine {

Status EngineImpl::ExecuteWrites(std::vector<WriteItem>* items, RefreshPolicy refresh) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  // Group by index, keeping item order within each group; items that failed already stay out.
  std::map<std::string, std::vector<WriteItem*>> groups;
  for (auto& item : *items) {
    item.out.index = item.op.index;
    item.out.id = item.op.id;
  }
  EmbedWriteItems(items);
  for (auto& item : *items) {
    if (item.out.status.ok()) groups[item.op.index].push_back(&item);
  }
  std::vector<std::shared_ptr<Index>> touched;
  for (auto& [name, items_of_index] : groups) {
    std::vector<WriteItem*>& group = items_of_index;  // clang cannot capture a binding
    auto fail_all = [&group](const Status& s) {
      for (WriteItem* item : group) item->out.status = s;
    };
    if (Status blocked = CheckWritable(name); !blocked.ok()) {
      fail_all(blocked);
      continue;
    }
    std::shared_ptr<Index> index = Find(name);
    if (Status failed = FailedIndexStatus(name); !index && !failed.ok()) {
      fail_all(failed);
      continue;
    }
    if (!index) {
      bool creates = std::any_of(group.begin(), group.end(), [](const WriteItem* item) {
        return item->op.kind == WriteKind::kIndex || item->op.kind == WriteKind::kCreate;
      });
      if (!creates) {
        fail_all(IndexNotFound(name));
        continue;
      }
      auto created = AutoCreate(name);
      if (!created.ok()) {
        fail_all(created.status());
        continue;
      }
      index = *created;
    }
    auto started = std::chrono::steady_clock::now();
    LOOKALIKE_RETURN_IF_ERROR(writer_->WriteIndexGroup(index, group));
    RecordWrites(*index, group);
    MaybeLogSlowWrites(*index, group,
                       std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count());
    touched.push_back(index);
  }
  if (refresh != RefreshPolicy::kFalse) {
    for (const auto& index : touched) WaitVectors(index.get());
  }
  return Status::OK();
}

Result<std::vector<WriteOutcome>> EngineImpl::Write(std::vector<WriteOp> ops,
                                                    RefreshPolicy refresh) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  std::vector<WriteItem> items(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    items[i].op = std::move(ops[i]);
    // Invalid index names fail their items, not the call.
    if (!Find(items[i].op.index)) items[i].out.status = ValidateIndexName(items[i].op.index);
  }
  LOOKALIKE_RETURN_IF_ERROR(ExecuteWrites(&items, refresh));
  size_t refused = 0;
  const WriteItem* first_refused = nullptr;
  for (const WriteItem& item : items) {
    if (item.out.status.ok()) continue;
    if (refused++ == 0) first_refused = &item;
  }
  if (first_refused != nullptr) {
    LogRefused("bulk", first_refused->op.index, refused, items.size(),
               first_refused->out.status);
  }
  std::vector<WriteOutcome> outcomes;
  outcomes.reserve(items.size());
  for (WriteItem& item : items) outcomes.push_back(std::move(item.out));
  return outcomes;
}

Result<WriteOutcome> EngineImpl::WriteDocument(WriteOp op, RefreshPolicy refresh) {
  if (op.kind == WriteKind::kIndex || op.kind == WriteKind::kCreate) {
    // A body that is not JSON at all is a request-level parse error, as in Elasticsearch, and
    // must not auto-create the index.
    thread_local simdjson::dom::parser parser;
    auto parsed = ParseJson(parser, op.source);
    if (!parsed.ok()) return MapperParsingError("failed to parse: " + parsed.status().message());
    LOOKALIKE_RETURN_IF_ERROR(ValidateIndexName(op.index));
  }
  std::vector<WriteItem> items(1);
  items[0].op = std::move(op);
  LOOKALIKE_RETURN_IF_ERROR(ExecuteWrites(&items, refresh));
  WriteItem& done = items[0];
  if (!done.out.status.ok()) {
    static constexpr const char* kOpNames[] = {"index", "create", "update", "delete"};
    LogRefused(kOpNames[static_cast<int>(done.op.kind)], done.op.index, 1, 1, done.out.status);
    return done.out.status;
  }
  return std::move(done.out);
}

}  // namespace lookalike::engine

namespace lookalike {

std::string_view WriteResultName(WriteResultKind result) {
  switch (result) {
    case WriteResultKind::kCreated: return "created";
    case WriteResultKind::kUpdated: return "updated";
    case WriteResultKind::kDeleted: return "deleted";
    case WriteResultKind::kNotFound: return "not_found";
    case WriteResultKind::kNoop: return "noop";
  }
  return "noop";
}

Result<WriteOutcome> Engine::IndexDocument(std::string_view index, std::string_view id,
                                           std::string_view source_json, OpType op_type,
                                           RefreshPolicy refresh,
                                           const WriteCondition& condition) {
  WriteOp op;
  op.kind = op_type == OpType::kCreate ? WriteKind::kCreate : WriteKind::kIndex;
  op.index = std::string(index);
  op.id = std::string(id);
  op.source = std::string(source_json);
  op.condition = condition;
  return WriteDocument(std::move(op), refresh);
}

Result<WriteOutcome> Engine::DeleteDocument(std::string_view index, std::string_view id,
                                            RefreshPolicy refresh,
                                            const WriteCondition& condition) {
  WriteOp op;
  op.kind = WriteKind::kDelete;
  op.index = std::string(index);
  op.id = std::string(id);
  op.condition = condition;
  return WriteDocument(std::move(op), refresh);
}

}  // namespace lookalike

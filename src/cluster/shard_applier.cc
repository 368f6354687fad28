// A local shard copy applying its stream; see shard_applier.h.
#include "cluster/shard_applier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "cluster/cluster_metadata.h"
#include "common/file_env.h"

namespace lookalike::cluster {
namespace {

// JetStream durable names may not hold '.', '*', '>' or spaces; node names may hold '.'.
std::string DurableName(std::string_view node) {
  std::string out(node);
  for (char& c : out) {
    if (c == '.') c = '_';
  }
  return out;
}

// Waits `duration` unless `stopping` turns true first (polled: a stop takes ≤ 100 ms).
void Pause(const std::atomic<bool>& stopping, std::chrono::milliseconds duration) {
  auto until = std::chrono::steady_clock::now() + duration;
  while (!stopping.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

uint64_t ShardApplier::ReadApplied(const std::string& applied_file) {
  std::ifstream in(applied_file);
  std::string text;
  if (!in || !std::getline(in, text)) return 0;
  uint64_t seq = 0;
  std::from_chars(text.data(), text.data() + text.size(), seq);
  return seq;
}

ShardApplier::ShardApplier(Engine* engine, ShardLog* log, EtcdClient* etcd,
                           ShardApplierConfig config)
    : engine_(engine), log_(log), etcd_(etcd), config_(std::move(config)) {
  applied_ = ReadApplied(config_.applied_file);
  decided_ = applied_.load();
  thread_ = std::thread([this] { Loop(); });
}

ShardApplier::~ShardApplier() { Stop(); }

void ShardApplier::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void ShardApplier::PublishApplied() {
  uint64_t seq = applied_.load();
  if (seq == published_) return;
  int64_t lease = config_.lease ? config_.lease() : 0;
  if (lease == 0) return;
  auto put = etcd_->Put(AppliedKey(config_.index_uuid, config_.shard, config_.node),
                        std::to_string(seq), lease);
  if (put.ok()) {
    published_ = seq;
  } else {
    spdlog::debug("cluster: publishing applied sequence of {} failed: {}", config_.local_index,
                  put.status().ToString());
  }
}

Result<std::vector<WriteOutcome>> ShardApplier::WriteResults(uint64_t sequence) const {
  if (sequence > decided_.load()) {
    return Status::Unavailable("[" + config_.local_index + "] has not applied stream sequence " +
                               std::to_string(sequence) + " yet");
  }
  return results_.Get(sequence);
}

bool ShardApplier::Apply(std::vector<LoggedBatch>& group) {
  std::vector<WriteOp> ops;
  std::vector<size_t> sizes;  // ops per batch, to hand each batch its outcomes
  for (LoggedBatch& batch : group) {
    sizes.push_back(batch.ops.size());
    for (WriteOp& op : batch.ops) {
      op.index = config_.local_index;
      op.log_seq_no = static_cast<int64_t>(batch.sequence);
      op.primary_term = batch.primary_term;
      ops.push_back(std::move(op));
    }
  }
  const uint64_t last = group.back().sequence;
  while (!stopping_.load()) {
    // Stored (kFalse) first: the outcomes are known then and the coordinators waiting for them
    // need not wait for the vector inserts too; the Refresh below makes searches see the
    // writes before the sequence is published as applied.
    auto written = engine_->Write(ops, RefreshPolicy::kFalse);
    if (written.ok()) {
      size_t at = 0;
      for (size_t b = 0; b < group.size(); ++b) {
        std::vector<WriteOutcome> outcomes(std::make_move_iterator(written->begin() + at),
                                           std::make_move_iterator(written->begin() + at + sizes[b]));
        at += sizes[b];
        bool replayed = std::any_of(outcomes.begin(), outcomes.end(),
                                    [](const WriteOutcome& o) { return o.replayed; });
        if (!replayed) results_.Add(group[b].sequence, std::move(outcomes));
      }
      decided_ = last;
      if (auto refreshed = engine_->Refresh(config_.local_index); !refreshed.ok()) {
        spdlog::warn("cluster: {} cannot refresh after sequence {}: {}", config_.local_index,
                     last, refreshed.status().ToString());
      }
      return true;
    }
    spdlog::warn("cluster: {} cannot apply sequence {}: {}", config_.local_index, last,
                 written.status().ToString());
    Pause(stopping_, std::chrono::seconds(1));
  }
  return false;
}

void ShardApplier::Loop() {
  std::unique_ptr<ShardConsumer> consumer;
  while (!stopping_.load()) {
    if (!consumer) {
      auto opened = log_->Consume(config_.index_uuid, config_.shard, DurableName(config_.node),
                                  applied_.load() + 1);
      if (!opened.ok()) {
        spdlog::warn("cluster: {} cannot read its stream: {}", config_.local_index,
                     opened.status().ToString());
        Pause(stopping_, std::chrono::seconds(1));
        continue;
      }
      consumer = std::move(opened).value();
    }
    auto fetched = consumer->Fetch(64, std::chrono::milliseconds(500));
    if (!fetched.ok()) {
      spdlog::warn("cluster: {} failed to fetch from its stream: {}", config_.local_index,
                   fetched.status().ToString());
      consumer.reset();
      Pause(stopping_, std::chrono::seconds(1));
      continue;
    }
    if (fetched->empty()) {
      PublishApplied();  // caught up: the copy is started (or still is)
      continue;
    }
    if (!Apply(*fetched)) return;
    const uint64_t last = fetched->back().sequence;
    Status recorded =
        WriteFileAtomically(FileEnv::Default(), config_.applied_file, std::to_string(last));
    if (!recorded.ok()) {
      // Not fatal: a restart then re-applies from the older record (same documents).
      spdlog::warn("cluster: {} cannot record sequence {}: {}", config_.local_index, last,
                   recorded.ToString());
    }
    applied_ = last;
    (void)consumer->Ack(last);
    PublishApplied();
  }
}

}  // namespace lookalike::cluster

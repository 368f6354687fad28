// The per-shard write log on NATS JetStream (issue 9): one stream per shard of an index holds
// every write batch (docs/formats/write-batch.md) in order, replicated by JetStream (Raft) over
// min(3, servers) NATS servers with file storage. A write counts as durable once Publish has
// JetStream's ack; every copy of the shard consumes the stream in order with a durable pull
// consumer and applies it to its local engine.
//
// Naming: stream "LK_<index_uuid>_<shard>", subject "lk.<index_uuid>.<shard>"; index uuids must
// be made of [A-Za-z0-9_-] (no '.', '*', '>' or spaces, which NATS gives meaning).
//
// Errors: Unavailable when no NATS server answers or JetStream does not ack in time; NotFound
// for a stream that does not exist; Corruption for a message that is not a write batch.
//
// Thread safety: a ShardLog may be used from several threads (nats.c connections are
// thread-safe). A ShardConsumer is used by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"
#include "lookalike/write_ops.h"

// nats.c types, kept out of this header.
typedef struct __natsConnection natsConnection;
typedef struct __jsCtx jsCtx;
typedef struct __natsSubscription natsSubscription;
typedef struct __natsMsg natsMsg;

namespace lookalike::cluster {

struct ShardLogOptions {
  /// Copies of each stream; 0 = min(3, NATS servers in the cluster).
  int replicas = 0;
  /// How long Publish keeps trying (re-sending the same message id, so JetStream stores it
  /// once) while the cluster elects a new stream leader or the client reconnects.
  std::chrono::milliseconds publish_timeout{15000};
  /// Wait for one JetStream API answer (create/delete stream, one publish ack).
  std::chrono::milliseconds request_timeout{3000};
};

/// One write batch as stored in a shard's stream.
struct LoggedBatch {
  uint64_t sequence = 0;  // the stream sequence: 1, 2, 3, … in publish order
  int64_t primary_term = 1;  // the shard's term the batch was published under
  std::vector<WriteOp> ops;
};

class ShardConsumer;

class ShardLog {
 public:
  /// Connects to NATS: `servers` is "nats://host:port[,nats://…]" (members of one cluster; the
  /// client reconnects to another when one goes away).
  static Result<std::unique_ptr<ShardLog>> Connect(std::string_view servers,
                                                   ShardLogOptions options = {});
  ~ShardLog();
  ShardLog(const ShardLog&) = delete;
  ShardLog& operator=(const ShardLog&) = delete;

  static std::string StreamName(std::string_view index_uuid, int shard);
  static std::string Subject(std::string_view index_uuid, int shard);

  /// Creates the shard's stream unless it exists (then leaves it as it is). A JetStream
  /// timeout is retried (up to 4 requests): a cluster that just came up or lost a server can
  /// time out the first placement of a stream.
  Status EnsureStream(std::string_view index_uuid, int shard);
  /// Deletes the stream and everything in it. NotFound when it does not exist.
  Status DeleteStream(std::string_view index_uuid, int shard);

  /// Appends one batch and waits for JetStream's ack; returns its stream sequence. `msg_id`
  /// (optional, "" = a random one) makes a retried publish idempotent within JetStream's
  /// duplicate window (2 minutes): the same id is stored once and acked with its sequence.
  /// `primary_term` (the shard's term as the publisher sees it) travels with the batch.
  Result<uint64_t> Publish(std::string_view index_uuid, int shard, const std::vector<WriteOp>& ops,
                           std::string msg_id = "", int64_t primary_term = 1);

  /// The sequence of the last batch stored in the shard's stream (0 when it is empty): a copy
  /// that has applied it has applied every write acknowledged so far. NotFound when the stream
  /// does not exist.
  Result<uint64_t> LastSequence(std::string_view index_uuid, int shard);

  /// A durable pull consumer `durable` on the shard's stream that starts at `start_sequence`
  /// (1 = the beginning). An existing consumer of that name is replaced: where a copy resumes is
  /// decided by the sequence its local snapshot records, not by the consumer's ack floor.
  Result<std::unique_ptr<ShardConsumer>> Consume(std::string_view index_uuid, int shard,
                                                 std::string_view durable, uint64_t start_sequence);

  /// Replicas a new stream gets (options or min(3, servers)).
  int replicas() const { return replicas_; }

 private:
  ShardLog() = default;
  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  ShardLogOptions options_;
  int replicas_ = 1;
};

/// Reads one shard's stream in order. Fetch returns batches strictly in sequence order and
/// never one below the next expected sequence (JetStream may redeliver a batch whose ack was
/// lost; it is dropped here), so the caller applies each sequence once.
class ShardConsumer {
 public:
  ~ShardConsumer();
  ShardConsumer(const ShardConsumer&) = delete;
  ShardConsumer& operator=(const ShardConsumer&) = delete;

  /// Up to `max_batches` batches, waiting at most `wait` for the first; an empty vector when
  /// nothing arrived in time. Corruption for a message that is not a write batch.
  Result<std::vector<LoggedBatch>> Fetch(int max_batches, std::chrono::milliseconds wait);
  /// Acknowledges every fetched batch up to and including `sequence` (ack-all policy): once
  /// the caller has applied them durably, JetStream need not redeliver them.
  Status Ack(uint64_t sequence);
  /// The sequence the next Fetch starts at.
  uint64_t next_sequence() const { return next_sequence_; }

 private:
  friend class ShardLog;
  ShardConsumer() = default;
  natsSubscription* sub_ = nullptr;
  uint64_t next_sequence_ = 1;
  std::map<uint64_t, natsMsg*> unacked_;  // fetched, not yet acked, by stream sequence
  std::chrono::milliseconds request_timeout_{3000};
};

}  // namespace lookalike::cluster

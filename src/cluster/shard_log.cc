// The per-shard write log over nats.c's JetStream API; see shard_log.h.
#include "cluster/shard_log.h"

#include <nats/nats.h>

#include <algorithm>
#include <thread>

#include "cluster/write_batch.h"
#include "common/base64.h"

namespace lookalike::cluster {
namespace {

constexpr int64_t kNanosPerMs = 1000 * 1000;
// A message fetched but not acked is redelivered after this; long, because a copy acks only
// once it has applied a batch durably.
constexpr int64_t kAckWaitMs = 60 * 1000;

Status FromNats(natsStatus s, jsErrCode js_code, std::string_view what) {
  std::string message = std::string(what) + ": " + natsStatus_GetText(s);
  const char* detail = nats_GetLastError(nullptr);
  if (detail != nullptr && *detail != '\0') message += std::string(" (") + detail + ")";
  if (js_code == JSStreamNotFoundErr || js_code == JSConsumerNotFoundErr || s == NATS_NOT_FOUND) {
    return Status::NotFound(message);
  }
  switch (s) {
    case NATS_TIMEOUT:
    case NATS_NO_SERVER:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
      return Status::Unavailable("NATS JetStream unavailable: " + message);
    default:
      return Status::IOError(message);
  }
}

std::vector<std::string> SplitServers(std::string_view servers) {
  std::vector<std::string> out;
  while (!servers.empty()) {
    size_t comma = servers.find(',');
    std::string_view one = servers.substr(0, comma);
    if (!one.empty()) out.emplace_back(one);
    if (comma == std::string_view::npos) break;
    servers.remove_prefix(comma + 1);
  }
  return out;
}

bool ValidUuid(std::string_view uuid) {
  return !uuid.empty() && std::all_of(uuid.begin(), uuid.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

Status CheckShard(std::string_view index_uuid, int shard) {
  if (!ValidUuid(index_uuid) || shard < 0) {
    return Status::InvalidArgument("bad shard '" + std::string(index_uuid) + "/" +
                                   std::to_string(shard) + "' (uuid of [A-Za-z0-9_-])");
  }
  return Status::OK();
}

std::string RandomMsgId() {
  unsigned char bytes[16];
  if (!FillRandom(bytes, sizeof(bytes)).ok()) return "";
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(bytes), sizeof(bytes)));
}

}  // namespace

std::string ShardLog::StreamName(std::string_view index_uuid, int shard) {
  return "LK_" + std::string(index_uuid) + "_" + std::to_string(shard);
}

std::string ShardLog::Subject(std::string_view index_uuid, int shard) {
  return "lk." + std::string(index_uuid) + "." + std::to_string(shard);
}

Result<std::unique_ptr<ShardLog>> ShardLog::Connect(std::string_view servers,
                                                    ShardLogOptions options) {
  std::vector<std::string> urls = SplitServers(servers);
  if (urls.empty()) return Status::InvalidArgument("no NATS server given");
  std::vector<const char*> url_ptrs;
  for (const std::string& url : urls) url_ptrs.push_back(url.c_str());
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetServers(opts, url_ptrs.data(), (int)url_ptrs.size());
  // Reconnect quickly and for ever: a lost server must not end the node's write path.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 100);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, options.request_timeout.count());
  std::unique_ptr<ShardLog> log(new ShardLog());
  log->options_ = options;
  if (s == NATS_OK) s = natsConnection_Connect(&log->conn_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK)
    return FromNats(s, static_cast<jsErrCode>(0), "connect to " + std::string(servers));
  jsOptions js_opts;
  jsOptions_Init(&js_opts);
  js_opts.Wait = options.request_timeout.count();
  s = natsConnection_JetStream(&log->js_, log->conn_, &js_opts);
  if (s != NATS_OK) return FromNats(s, static_cast<jsErrCode>(0), "JetStream context");
  if (options.replicas > 0) {
    log->replicas_ = options.replicas;
  } else {
    char** known = nullptr;
    int count = 0;
    if (natsConnection_GetServers(log->conn_, &known, &count) == NATS_OK) {
      for (int i = 0; i < count; ++i) free(known[i]);
      free(known);
    }
    log->replicas_ = std::clamp(std::max(count, static_cast<int>(urls.size())), 1, 3);
  }
  return log;
}

ShardLog::~ShardLog() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (conn_ != nullptr) natsConnection_Destroy(conn_);
}

Status ShardLog::EnsureStream(std::string_view index_uuid, int shard) {
  LOOKALIKE_RETURN_IF_ERROR(CheckShard(index_uuid, shard));
  std::string name = StreamName(index_uuid, shard);
  std::string subject = Subject(index_uuid, shard);
  const char* subjects[] = {subject.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = replicas_;
  cfg.Retention = js_LimitsPolicy;  // the log is kept: a new copy replays it from the start
  // A JetStream cluster that has just elected its meta leader (or lost a server) can time out
  // the first request that places a new replicated stream; adding is idempotent (an identical
  // existing stream is success), so a timed-out add is simply asked again.
  constexpr int kAttempts = 4;
  natsStatus s = NATS_OK;
  jsErrCode code = static_cast<jsErrCode>(0);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    jsStreamInfo* info = nullptr;
    code = static_cast<jsErrCode>(0);
    s = js_AddStream(&info, js_, &cfg, nullptr, &code);
    if (info != nullptr) jsStreamInfo_Destroy(info);
    if (s == NATS_OK) return Status::OK();
    if (code == JSStreamNameExistErr) return Status::OK();  // exists with another config
    if (s != NATS_TIMEOUT) break;  // anything but a timeout is a real failure
  }
  return FromNats(s, code, "create stream " + name);
}

Status ShardLog::DeleteStream(std::string_view index_uuid, int shard) {
  LOOKALIKE_RETURN_IF_ERROR(CheckShard(index_uuid, shard));
  std::string name = StreamName(index_uuid, shard);
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteStream(js_, name.c_str(), nullptr, &code);
  if (s == NATS_OK) return Status::OK();
  return FromNats(s, code, "delete stream " + name);
}

Result<uint64_t> ShardLog::LastSequence(std::string_view index_uuid, int shard) {
  LOOKALIKE_RETURN_IF_ERROR(CheckShard(index_uuid, shard));
  std::string name = StreamName(index_uuid, shard);
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, name.c_str(), nullptr, &code);
  if (s != NATS_OK) return FromNats(s, code, "stream info of " + name);
  uint64_t last = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  return last;
}

Result<uint64_t> ShardLog::Publish(std::string_view index_uuid, int shard,
                                   const std::vector<WriteOp>& ops, std::string msg_id,
                                   int64_t primary_term) {
  LOOKALIKE_RETURN_IF_ERROR(CheckShard(index_uuid, shard));
  if (msg_id.empty()) msg_id = RandomMsgId();
  std::string stream = StreamName(index_uuid, shard);
  std::string subject = Subject(index_uuid, shard);
  std::string payload = EncodeWriteBatch(ops, primary_term);
  jsPubOptions pub;
  jsPubOptions_Init(&pub);
  pub.MsgId = msg_id.c_str();
  pub.ExpectStream = stream.c_str();
  pub.MaxWait = options_.request_timeout.count();
  auto deadline = std::chrono::steady_clock::now() + options_.publish_timeout;
  while (true) {
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&ack, js_, subject.c_str(), payload.data(),
                              static_cast<int>(payload.size()), &pub, &code);
    if (s == NATS_OK) {
      uint64_t sequence = ack->Sequence;
      jsPubAck_Destroy(ack);
      return sequence;
    }
    Status st = FromNats(s, code, "publish to " + stream);
    // Only "no answer (yet)" is worth repeating: a leader election or a reconnect in progress.
    // The same message id makes a repeat of a publish that was in fact stored a no-op.
    if (st.code() != StatusCode::kUnavailable || std::chrono::steady_clock::now() >= deadline) {
      return st;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<std::unique_ptr<ShardConsumer>> ShardLog::Consume(std::string_view index_uuid, int shard,
                                                         std::string_view durable,
                                                         uint64_t start_sequence) {
  LOOKALIKE_RETURN_IF_ERROR(CheckShard(index_uuid, shard));
  if (!ValidUuid(durable)) return Status::InvalidArgument("bad consumer name");
  std::string stream = StreamName(index_uuid, shard);
  std::string subject = Subject(index_uuid, shard);
  std::string name(durable);
  jsSubOptions sub_opts;
  jsSubOptions_Init(&sub_opts);
  sub_opts.Stream = stream.c_str();
  sub_opts.Config.Durable = name.c_str();
  sub_opts.Config.DeliverPolicy = js_DeliverByStartSequence;
  sub_opts.Config.OptStartSeq = std::max<uint64_t>(start_sequence, 1);
  sub_opts.Config.AckPolicy = js_AckAll;
  sub_opts.Config.AckWait = kAckWaitMs * kNanosPerMs;
  std::unique_ptr<ShardConsumer> consumer(new ShardConsumer());
  consumer->next_sequence_ = std::max<uint64_t>(start_sequence, 1);
  consumer->request_timeout_ = options_.request_timeout;
  // Like Publish, creating the consumer is retried while the cluster has no answer (a server
  // just went away and the stream's or the meta group's leader is being elected).
  auto deadline = std::chrono::steady_clock::now() + options_.publish_timeout;
  while (true) {
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_DeleteConsumer(js_, stream.c_str(), name.c_str(), nullptr, &code);
    Status st;
    if (s != NATS_OK && code != JSConsumerNotFoundErr) {
      st = FromNats(s, code, "replace consumer " + name + " on " + stream);
    } else {
      code = static_cast<jsErrCode>(0);
      s = js_PullSubscribe(&consumer->sub_, js_, subject.c_str(), name.c_str(), nullptr, &sub_opts,
                           &code);
      if (s == NATS_OK) break;
      st = FromNats(s, code, "pull consumer " + name + " on " + stream);
    }
    if (st.code() != StatusCode::kUnavailable || std::chrono::steady_clock::now() >= deadline) {
      return st;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return consumer;
}

ShardConsumer::~ShardConsumer() {
  for (auto& [sequence, msg] : unacked_) natsMsg_Destroy(msg);
  // Unsubscribing a durable pull subscription would delete the consumer; destroying the
  // subscription keeps it for the next run.
  if (sub_ != nullptr) natsSubscription_Destroy(sub_);
}

Result<std::vector<LoggedBatch>> ShardConsumer::Fetch(int max_batches,
                                                      std::chrono::milliseconds wait) {
  std::vector<LoggedBatch> out;
  natsMsgList list{nullptr, 0};
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&list, sub_, max_batches, wait.count(), &code);
  if (s == NATS_TIMEOUT) return out;  // nothing new
  if (s != NATS_OK) return FromNats(s, code, "fetch");
  Status failure;
  for (int i = 0; i < list.Count; ++i) {
    natsMsg* msg = list.Msgs[i];
    list.Msgs[i] = nullptr;  // owned here from now on
    jsMsgMetaData* meta = nullptr;
    uint64_t sequence = 0;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      sequence = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
    }
    if (!failure.ok() || sequence < next_sequence_ || unacked_.count(sequence) != 0) {
      natsMsg_Destroy(msg);  // a redelivery of a batch already handed out
      continue;
    }
    auto batch = DecodeWriteBatch(
        std::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
    if (!batch.ok()) {
      failure = Status::Corruption("stream sequence " + std::to_string(sequence) + ": " +
                                   batch.status().message());
      natsMsg_Destroy(msg);
      continue;
    }
    unacked_[sequence] = msg;
    next_sequence_ = sequence + 1;
    out.push_back(LoggedBatch{sequence, batch->primary_term, std::move(batch->ops)});
  }
  natsMsgList_Destroy(&list);
  if (!failure.ok()) return failure;
  return out;
}

Status ShardConsumer::Ack(uint64_t sequence) {
  auto it = unacked_.find(sequence);
  if (it == unacked_.end()) {
    return Status::InvalidArgument("sequence " + std::to_string(sequence) +
                                   " was not fetched or is already acked");
  }
  jsOptions opts;
  jsOptions_Init(&opts);
  opts.Wait = request_timeout_.count();
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = natsMsg_AckSync(it->second, &opts, &code);
  if (s != NATS_OK) return FromNats(s, code, "ack " + std::to_string(sequence));
  // Ack-all: everything up to this sequence is acknowledged with it.
  for (auto done = unacked_.begin(); done != unacked_.end() && done->first <= sequence;) {
    natsMsg_Destroy(done->second);
    done = unacked_.erase(done);
  }
  return Status::OK();
}

}  // namespace lookalike::cluster

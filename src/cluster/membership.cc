// Node membership: a key under a kept-alive lease; see membership.h.
#include "cluster/membership.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "common/file_env.h"
#include "common/json_writer.h"

namespace lookalike::cluster {
namespace {

bool ValidNodeName(std::string_view name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

}  // namespace

std::string EncodeNodeInfo(const NodeInfo& info) {
  JsonWriter w;
  w.BeginObject().Key("name").String(info.name).Key("http").String(info.http).EndObject();
  return w.Take();
}

std::string NodeMembership::Key(std::string_view name) {
  return std::string(kNodesPrefix) + std::string(name);
}

Result<std::unique_ptr<NodeMembership>> NodeMembership::Join(EtcdClient* etcd, NodeInfo info,
                                                             std::chrono::seconds ttl,
                                                             std::string lease_file) {
  if (!ValidNodeName(info.name)) {
    return Status::InvalidArgument("node name '" + info.name +
                                   "' must be 1-128 characters of [A-Za-z0-9_.-]");
  }
  std::unique_ptr<NodeMembership> membership(new NodeMembership(
      etcd, std::move(info), std::max(ttl, std::chrono::seconds(1)), std::move(lease_file)));
  LOOKALIKE_RETURN_IF_ERROR(membership->Register());
  membership->thread_ = std::thread([m = membership.get()] { m->KeepAliveLoop(); });
  return membership;
}

Status NodeMembership::Register() {
  LOOKALIKE_ASSIGN_OR_RETURN(Lease lease, etcd_->GrantLease(ttl_.count()));
  auto created = etcd_->CompareAndSwap(Key(info_.name), 0, EncodeNodeInfo(info_), lease.id);
  if (created.ok() && !created->succeeded) created = TakeOverOwnRegistration(lease.id);
  if (!created.ok() || !created->succeeded) {
    (void)etcd_->RevokeLease(lease.id);
    if (!created.ok()) return created.status();
    return Status::AlreadyExists("node name '" + info_.name +
                                 "' is held by a live node (etcd key " + Key(info_.name) + ")");
  }
  if (!lease_file_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(DirName(lease_file_), ec);
    Status recorded =
        WriteFileAtomically(FileEnv::Default(), lease_file_, std::to_string(lease.id));
    // Not fatal: a restart then waits for the old lease to expire, as without a file.
    if (!recorded.ok())
      spdlog::warn("cluster: cannot record the node's lease: {}", recorded.ToString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  lease_id_ = lease.id;
  return Status::OK();
}

Result<CasResult> NodeMembership::TakeOverOwnRegistration(int64_t lease) {
  CasResult refused;
  if (lease_file_.empty()) return refused;
  auto recorded = FileEnv::Default().ReadFile(lease_file_, 64);
  if (!recorded.ok()) return refused;  // never registered from this folder (or unreadable)
  int64_t previous = 0;
  const std::string& text = recorded.value();
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), previous);
  if (ec != std::errc() || previous == 0) return refused;
  LOOKALIKE_ASSIGN_OR_RETURN(std::optional<KeyValue> kv, etcd_->Get(Key(info_.name)));
  if (!kv) return etcd_->CompareAndSwap(Key(info_.name), 0, EncodeNodeInfo(info_), lease);
  if (kv->lease != previous) return refused;  // another process's registration
  LOOKALIKE_ASSIGN_OR_RETURN(
      CasResult moved,
      etcd_->CompareAndSwap(Key(info_.name), kv->mod_revision, EncodeNodeInfo(info_), lease));
  if (moved.succeeded) {
    // The old lease's other keys (applied sequences, the leader key) go with it now rather
    // than at its expiry; the copies publish theirs again under the new lease.
    (void)etcd_->RevokeLease(previous);
    spdlog::info("cluster: node {} restarted on its data: took over its registration from lease {}",
                 info_.name, previous);
  }
  return moved;
}

void NodeMembership::KeepAliveLoop() {
  auto period = std::chrono::duration_cast<std::chrono::milliseconds>(ttl_) / 3;
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    int64_t lease = lease_id_;
    lock.unlock();
    auto ttl = etcd_->KeepAliveOnce(lease);
    if (ttl.status().code() == StatusCode::kNotFound) {
      // The lease expired (etcd was unreachable longer than the TTL, or the process was
      // stopped): the node dropped out of the cluster; join again under a new lease.
      spdlog::warn("cluster: lease of node {} expired; registering again", info_.name);
      Status st = Register();
      if (!st.ok())
        spdlog::warn("cluster: registering node {} failed: {}", info_.name, st.ToString());
    } else if (!ttl.ok()) {
      spdlog::warn("cluster: keep-alive of node {} failed: {}", info_.name,
                   ttl.status().ToString());
    }
    lock.lock();
  }
}

void NodeMembership::Leave() {
  int64_t lease = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    lease = lease_id_;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (lease != 0) (void)etcd_->RevokeLease(lease);
}

NodeMembership::~NodeMembership() { Leave(); }

int64_t NodeMembership::lease_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lease_id_;
}

}  // namespace lookalike::cluster

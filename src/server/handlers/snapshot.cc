// The _snapshot API (Elasticsearch's shared-filesystem repositories): repository registration,
// snapshot create / get / delete and restore. The work is the snapshot layer's
// (src/snapshot/snapshot_ops.h); bodies are parsed and rendered by es/snapshot_codec.
//
// Operations run to completion on the request's thread whether or not wait_for_completion is
// given; without it the answer is Elasticsearch's {"accepted":true}.
#include "server/es/snapshot_codec.h"
#include "server/handlers/nodes.h"
#include "server/handlers/rest_common.h"
#include "snapshot/repositories.h"
#include "snapshot/snapshot_ops.h"

namespace lookalike::server {
namespace {

bool WaitForCompletion(const RestRequest& req) {
  const std::string* v = req.Param("wait_for_completion");
  return v != nullptr && (v->empty() || *v == "true");
}

std::string Acknowledged() { return "{\"acknowledged\":true}"; }

Result<snapshot::FsRepository> OpenRepository(const RestContext& ctx, const RestRequest& req) {
  return ctx.repositories->Open(std::string(req.PathParam("repository")));
}

void ListRepositories(const RestContext& ctx, std::string names, HttpResponse* resp) {
  auto listed = ctx.repositories->List(names);
  if (!listed.ok()) return ReplyError(listed.status(), resp);
  resp->body = es::RenderRepositories(*listed);
}

void CreateSnapshotHandler(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  snapshot::CreateSnapshotRequest request;
  request.snapshot = std::string(req.PathParam("snapshot"));
  if (Status s = es::ParseCreateSnapshotBody(req.body(), &request); !s.ok()) {
    return ReplyError(s, resp);
  }
  auto repo = OpenRepository(ctx, req);
  if (!repo.ok()) return ReplyError(repo.status(), resp);
  auto created = snapshot::CreateSnapshot(*ctx.engine, *repo,
                                          std::string(req.PathParam("repository")), request);
  if (!created.ok()) return ReplyError(created.status(), resp);
  resp->body = WaitForCompletion(req) ? "{\"snapshot\":" + es::RenderSnapshotInfo(*created) + "}"
                                      : "{\"accepted\":true}";
}

void RestoreHandler(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  snapshot::RestoreSnapshotRequest request;
  request.snapshot = std::string(req.PathParam("snapshot"));
  if (Status s = es::ParseRestoreSnapshotBody(req.body(), &request); !s.ok()) {
    return ReplyError(s, resp);
  }
  auto repo = OpenRepository(ctx, req);
  if (!repo.ok()) return ReplyError(repo.status(), resp);
  auto restored = snapshot::RestoreSnapshot(*ctx.engine, *repo,
                                            std::string(req.PathParam("repository")), request);
  if (!restored.ok()) return ReplyError(restored.status(), resp);
  resp->body = WaitForCompletion(req) ? es::RenderRestore(*restored) : "{\"accepted\":true}";
}

// GET _snapshot/{repo}/{names}/_status: the named snapshots, running or finished (each finished
// one with its manifest, read and verified).
void SnapshotStatusHandler(const RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  const std::string repository(req.PathParam("repository"));
  auto repo = OpenRepository(ctx, req);
  if (!repo.ok()) return ReplyError(repo.status(), resp);
  std::vector<snapshot::RunningSnapshot> running;
  std::string finished_names;
  const std::vector<snapshot::RunningSnapshot> all_running = snapshot::RunningSnapshots(repository);
  std::string_view names = req.PathParam("snapshot");
  while (!names.empty()) {
    size_t comma = names.find(',');
    std::string name(names.substr(0, comma));
    names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
    auto it = std::find_if(all_running.begin(), all_running.end(),
                           [&](const snapshot::RunningSnapshot& r) { return r.snapshot == name; });
    if (it != all_running.end()) {
      running.push_back(*it);
    } else {
      finished_names += (finished_names.empty() ? "" : ",") + name;
    }
  }
  std::vector<es::SnapshotStatus> finished;
  if (!finished_names.empty()) {
    auto got = snapshot::GetSnapshots(*repo, repository, finished_names);
    if (!got.ok()) return ReplyError(got.status(), resp);
    for (snapshot::SnapshotEntry& entry : *got) {
      auto manifest = repo->ReadManifest(entry);
      if (!manifest.ok()) return ReplyError(manifest.status(), resp);
      finished.push_back({std::move(entry), std::move(manifest).value()});
    }
  }
  resp->body = es::RenderSnapshotStatus(repository, running, finished);
}

// GET _snapshot/_status and _snapshot/{repo}/_status: the snapshots running now.
void RunningStatusHandler(const RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  std::string repository(req.PathParam("repository"));
  if (!repository.empty()) {
    auto repo = OpenRepository(ctx, req);
    if (!repo.ok()) return ReplyError(repo.status(), resp);
  }
  resp->body = es::RenderSnapshotStatus(repository, snapshot::RunningSnapshots(repository), {});
}

void VerifyHandler(const RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  auto repo = OpenRepository(ctx, req);
  if (!repo.ok()) return ReplyError(repo.status(), resp);
  if (Status s = repo->Verify(); !s.ok()) {
    return ReplyError(Status::IOError("[" + std::string(req.PathParam("repository")) +
                                      "] cannot verify the repository: " + s.message())
                          .WithKind(ErrorKind::kRepositoryVerification),
                      resp);
  }
  resp->body = es::RenderVerified(NodeId(ctx), ctx.node_name);
}

}  // namespace

void RegisterSnapshotHandlers(Router& router, RestContext& ctx) {
  if (ctx.repositories == nullptr) return;
  router.Add("GET", "/_snapshot", [&ctx](const RestRequest&, HttpResponse* resp) {
    ListRepositories(ctx, "_all", resp);
  });
  router.Add("GET", "/_snapshot/{repository}", [&ctx](const RestRequest& req, HttpResponse* resp) {
    ListRepositories(ctx, std::string(req.PathParam("repository")), resp);
  });
  router.Add(
      "PUT,POST", "/_snapshot/{repository}", [&ctx](const RestRequest& req, HttpResponse* resp) {
        Status s = ctx.repositories->Put(std::string(req.PathParam("repository")), req.body());
        Reply(s.ok() ? Result<std::string>(Acknowledged()) : Result<std::string>(s), resp);
      });
  router.Add("DELETE", "/_snapshot/{repository}",
             [&ctx](const RestRequest& req, HttpResponse* resp) {
               Status s = ctx.repositories->Delete(std::string(req.PathParam("repository")));
               Reply(s.ok() ? Result<std::string>(Acknowledged()) : Result<std::string>(s), resp);
             });
  router.Add("PUT,POST", "/_snapshot/{repository}/{snapshot}",
             [&ctx](const RestRequest& req, HttpResponse* resp) {
               CreateSnapshotHandler(ctx, req, resp);
             });
  router.Add("GET", "/_snapshot/{repository}/{snapshot}",
             [&ctx](const RestRequest& req, HttpResponse* resp) {
               auto repo = OpenRepository(ctx, req);
               if (!repo.ok()) return ReplyError(repo.status(), resp);
               auto got = snapshot::GetSnapshots(*repo, std::string(req.PathParam("repository")),
                                                 std::string(req.PathParam("snapshot")));
               if (!got.ok()) return ReplyError(got.status(), resp);
               resp->body = es::RenderSnapshots(*got);
             });
  router.Add("DELETE", "/_snapshot/{repository}/{snapshot}",
             [&ctx](const RestRequest& req, HttpResponse* resp) {
               auto repo = OpenRepository(ctx, req);
               if (!repo.ok()) return ReplyError(repo.status(), resp);
               Status s = snapshot::DeleteSnapshot(*repo, std::string(req.PathParam("repository")),
                                                   std::string(req.PathParam("snapshot")));
               Reply(s.ok() ? Result<std::string>(Acknowledged()) : Result<std::string>(s), resp);
             });
  router.Add("GET", "/_snapshot/_status", [&ctx](const RestRequest& req, HttpResponse* resp) {
    RunningStatusHandler(ctx, req, resp);
  });
  router.Add("GET", "/_snapshot/{repository}/_status",
             [&ctx](const RestRequest& req, HttpResponse* resp) {
               RunningStatusHandler(ctx, req, resp);
             });
  router.Add("GET", "/_snapshot/{repository}/{snapshot}/_status",
             [&ctx](const RestRequest& req, HttpResponse* resp) {
               SnapshotStatusHandler(ctx, req, resp);
             });
  router.Add("POST", "/_snapshot/{repository}/_verify",
             [&ctx](const RestRequest& req, HttpResponse* resp) { VerifyHandler(ctx, req, resp); });
  router.Add(
      "POST", "/_snapshot/{repository}/{snapshot}/_restore",
      [&ctx](const RestRequest& req, HttpResponse* resp) { RestoreHandler(ctx, req, resp); });
}

}  // namespace lookalike::server

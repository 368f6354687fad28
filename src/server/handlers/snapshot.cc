// The _snapshot API (Elasticsearch's shared-filesystem repositories): repository registration,
// snapshot create / get / delete and restore. The work is the snapshot layer's
// (src/snapshot/snapshot_ops.h); bodies are parsed and rendered by es/snapshot_codec.
//
// Operations run to completion on the request's thread whether or not wait_for_completion is
// given; without it the answer is Elasticsearch's {"accepted":true}.
#include "server/es/snapshot_codec.h"
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
  router.Add(
      "POST", "/_snapshot/{repository}/{snapshot}/_restore",
      [&ctx](const RestRequest& req, HttpResponse* resp) { RestoreHandler(ctx, req, resp); });
}

}  // namespace lookalike::server

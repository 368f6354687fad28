// `lookalike snapshot` and `lookalike restore`: the _snapshot API for a stopped server. They open
// the data directory themselves (RocksDB's lock refuses a directory a server holds) and use
// the repository at --repo directly, without registration or --path-repo.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "lookalike/engine.h"
#include "snapshot/snapshot_ops.h"

namespace lookalike::cli {
namespace {

struct SnapshotArgs {
  std::string data_dir;
  std::string repo;
  std::string name;
  std::string indices;
  std::string rename_pattern;
  std::string rename_replacement;
  bool ignore_unavailable = false;
};

// Opens the engine and the repository, runs `work`, shuts the engine down. Exit code 1 on error.
int WithEngine(const SnapshotArgs& args, bool create_repo,
               const std::function<Status(Engine&, const snapshot::FsRepository&)>& work) {
  spdlog::set_level(spdlog::level::warn);
  if (args.repo.empty() || args.repo.front() != '/') {
    std::fprintf(stderr, "error: --repo must be an absolute path, not [%s]\n", args.repo.c_str());
    return 2;
  }
  auto repo = snapshot::FsRepository::Open(args.repo, create_repo);
  if (!repo.ok()) {
    std::fprintf(stderr, "error: %s\n", repo.status().ToString().c_str());
    return 1;
  }
  EngineOptions options;
  options.data_dir = args.data_dir;
  options.snapshot_on_shutdown = true;
  auto engine = Engine::Open(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "error: cannot open data directory %s (is a server running on it?): %s\n",
                 args.data_dir.c_str(), engine.status().ToString().c_str());
    return 1;
  }
  Status s = work(**engine, *repo);
  (*engine)->Shutdown();
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

int RunSnapshot(const SnapshotArgs& args) {
  return WithEngine(args, true, [&](Engine& engine, const snapshot::FsRepository& repo) {
    snapshot::CreateSnapshotRequest request;
    request.snapshot = args.name;
    request.indices = args.indices;
    request.ignore_unavailable = args.ignore_unavailable;
    LOOKALIKE_ASSIGN_OR_RETURN(snapshot::SnapshotEntry entry,
                               snapshot::CreateSnapshot(engine, repo, "cli", request));
    std::string names;
    for (const std::string& n : entry.indices) names += (names.empty() ? "" : ",") + n;
    std::printf("snapshot [%s] of [%s]: %llu files, %llu bytes (%llu files, %llu bytes new)\n",
                entry.snapshot.c_str(), names.c_str(), (unsigned long long)entry.total_files,
                (unsigned long long)entry.total_bytes, (unsigned long long)entry.new_files,
                (unsigned long long)entry.new_bytes);
    return Status::OK();
  });
}

int RunRestore(const SnapshotArgs& args) {
  return WithEngine(args, false, [&](Engine& engine, const snapshot::FsRepository& repo) {
    snapshot::RestoreSnapshotRequest request;
    request.snapshot = args.name;
    request.indices = args.indices;
    request.ignore_unavailable = args.ignore_unavailable;
    request.rename_pattern = args.rename_pattern;
    request.rename_replacement = args.rename_replacement;
    LOOKALIKE_ASSIGN_OR_RETURN(snapshot::RestoreResult result,
                               snapshot::RestoreSnapshot(engine, repo, "cli", request));
    // The catch-up of vectors newer than the snapshot finishes before the engine shuts down.
    for (const std::string& name : result.indices) {
      LOOKALIKE_RETURN_IF_ERROR(engine.Refresh(name).status());
      std::printf("restored [%s]\n", name.c_str());
    }
    return Status::OK();
  });
}

void AddCommon(CLI::App* cmd, SnapshotArgs* args) {
  cmd->add_option("--data", args->data_dir, "Data directory of a stopped server")->required();
  cmd->add_option("--repo", args->repo, "Repository folder (absolute path)")->required();
  cmd->add_option("--name", args->name, "Snapshot name")->required();
  cmd->add_option("--indices", args->indices,
                  "Comma-separated index names or patterns (default: all)");
  cmd->add_flag("--ignore-unavailable", args->ignore_unavailable,
                "Skip named indices that do not exist");
}

}  // namespace

void AddSnapshotCommands(CLI::App& app, int* exit_code) {
  auto snap_args = std::make_shared<SnapshotArgs>();
  auto* snap = app.add_subcommand("snapshot",
                                  "Snapshot indices of a stopped server's data "
                                  "directory into a repository folder");
  AddCommon(snap, snap_args.get());
  snap->callback([snap_args, exit_code] { *exit_code = RunSnapshot(*snap_args); });

  auto restore_args = std::make_shared<SnapshotArgs>();
  auto* restore = app.add_subcommand("restore",
                                     "Restore indices of a snapshot into a stopped "
                                     "server's data directory");
  AddCommon(restore, restore_args.get());
  restore->add_option("--rename-pattern", restore_args->rename_pattern,
                      "Regular expression over index names (ECMAScript)");
  restore->add_option("--rename-replacement", restore_args->rename_replacement,
                      "Replacement for --rename-pattern ($1 = first group)");
  restore->callback([restore_args, exit_code] { *exit_code = RunRestore(*restore_args); });
}

}  // namespace lookalike::cli

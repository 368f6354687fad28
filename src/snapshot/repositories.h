// Registered snapshot repositories (PUT/GET/DELETE _snapshot/{repo}) and the allowed roots
// (serve --path-repo, Elasticsearch's path.repo).
//
// A repository's location must resolve (after "..", "." and symlinks) to one of the roots or
// below; a relative location resolves against the first root, as in Elasticsearch. The
// registrations persist in a JSON file written atomically (like cluster settings); the location
// is re-checked whenever a repository is used, so removing a root from --path-repo disables the
// repositories under it.
//
// Thread safety: all methods are thread-safe (mu_ guards repositories_).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"
#include "snapshot/repository.h"

namespace lookalike::snapshot {

struct RepositoryConfig {
  std::string type = "fs";
  std::string location;       // as given
  std::string settings_json;  // the "settings" object as given (echoed by GET)
};

/// The absolute location a repository uses, or 400 repository_exception naming the roots.
Result<std::string> ResolveRepositoryLocation(const std::vector<std::string>& roots,
                                              const std::string& repository,
                                              const std::string& location);

class RepositoryRegistry {
 public:
  /// `file` "" keeps registrations in memory only.
  RepositoryRegistry(std::vector<std::string> path_repo, std::string file);
  /// Loads the file if it exists; Corruption when it cannot be parsed (nothing is loaded).
  Status Load();
  const std::vector<std::string>& roots() const { return roots_; }

  /// PUT _snapshot/{name} with {"type":"fs","settings":{"location":...}}: validates, creates the
  /// repository folder, persists.
  Status Put(const std::string& name, std::string_view body_json);
  /// repository_missing_exception (404) when absent.
  Result<RepositoryConfig> Get(const std::string& name) const;
  /// Names matching a comma list of names / '*' patterns ("" or "_all": every one).
  Result<std::vector<std::pair<std::string, RepositoryConfig>>> List(
      const std::string& names) const;
  Status Delete(const std::string& name);
  /// The repository, its location checked against the roots again.
  Result<FsRepository> Open(const std::string& name) const;

 private:
  Status Save() const;  // needs mu_

  std::vector<std::string> roots_;
  std::string file_;
  mutable std::mutex mu_;
  std::map<std::string, RepositoryConfig> repositories_;  // guarded by mu_
};

/// 404 repository_missing_exception "[name] missing".
Status RepositoryMissing(const std::string& name);

}  // namespace lookalike::snapshot

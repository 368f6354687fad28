// Subcommands of the `lookalike` binary. Each Add*Command registers its subcommand(s) on the
// CLI11 app; the callback it installs sets *exit_code.
#pragma once

#include <cstddef>
#include <string>

#include "lookalike/embedder.h"
#include "lookalike/status.h"

namespace CLI {
class App;
}
namespace lookalike::server {
struct RestServerOptions;
}

namespace lookalike::cli {

void AddServeCommand(CLI::App& app, int* exit_code);     // serve
void AddImageCommands(CLI::App& app, int* exit_code);    // embed, ingest-images, search-image
void AddModelCommands(CLI::App& app, int* exit_code);    // convert-model, models
void AddIngestCommands(CLI::App& app, int* exit_code);   // ingest-images, search-image
void AddSecurityCommands(CLI::App& app, int* exit_code);  // users, api-key, roles
void AddSnapshotCommands(CLI::App& app, int* exit_code);  // snapshot, restore (stopped server)
void AddDedupCommand(CLI::App& app, int* exit_code);       // dedup (near-duplicate report)

/// How a command that talks to a server proves who it is: --user NAME[:PASSWORD] or
/// --api-key ENCODED, else $LOOKALIKE_USER (+ $LOOKALIKE_PASSWORD) or $LOOKALIKE_API_KEY.
struct CredentialArgs {
  std::string user;     // "NAME" or "NAME:PASSWORD"
  std::string api_key;  // the "encoded" value of a created key
};
void AddCredentialOptions(CLI::App* cmd, CredentialArgs* args);
/// The Authorization header value for `args` ("" when no credentials are given). A user
/// without a password is asked for one on the terminal.
Result<std::string> AuthorizationHeader(const CredentialArgs& args);

/// --max-megapixels and --max-file-mb, shared by the commands that decode images (serve,
/// ingest-images): the hostile-file limits of DecodeLimits, defaults unchanged.
void AddDecodeLimitOptions(CLI::App* cmd, DecodeLimits* limits);

/// serve's --allowed-host, --cors-allow-origin, --max-inflight-body-mb,
/// --max-connections-per-client, --header-timeout-s and --thread-pool (plus the hidden
/// --test-hold-writes-while), written into *options (which must
/// outlive parsing); the other fields of *options are left alone.
void AddServeGuardOptions(CLI::App* cmd, server::RestServerOptions* options);

/// Raises the soft RLIMIT_NOFILE towards `wanted` (never past the hard limit), so the
/// connection limit rather than the usual 1024 descriptors decides how many clients fit.
/// Returns the soft limit now in force (0 when it cannot be read).
size_t RaiseOpenFileLimit(size_t wanted);

}  // namespace lookalike::cli

// The `lookalike` command: one binary for the server and the image tools.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Lookalike: similar-image search engine and vector search server"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lookalike 0.1.0");
  int exit_code = 0;
  lookalike::cli::AddServeCommand(app, &exit_code);
  lookalike::cli::AddImageCommands(app, &exit_code);
  lookalike::cli::AddModelCommands(app, &exit_code);
  lookalike::cli::AddIngestCommands(app, &exit_code);
  lookalike::cli::AddSecurityCommands(app, &exit_code);
  lookalike::cli::AddSnapshotCommands(app, &exit_code);
  lookalike::cli::AddDedupCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

// Placeholder until this layer lands: the subcommand exists and says it is not built yet.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"

namespace lookalike::cli {

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("serve", "(not implemented yet)");
  cmd->allow_extras();
  cmd->callback([exit_code] {
    std::fprintf(stderr, "lookalike: 'serve' is not implemented yet\n");
    *exit_code = 2;
  });
}

}  // namespace lookalike::cli

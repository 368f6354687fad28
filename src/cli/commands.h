// Subcommands of the `lookalike` binary. Each Add*Command registers its subcommand(s) on the
// CLI11 app; the callback it installs sets *exit_code.
#pragma once

namespace CLI {
class App;
}

namespace lookalike::cli {

void AddServeCommand(CLI::App& app, int* exit_code);     // serve
void AddImageCommands(CLI::App& app, int* exit_code);    // embed, ingest-images, search-image
void AddModelCommands(CLI::App& app, int* exit_code);    // convert-model, models
void AddIngestCommands(CLI::App& app, int* exit_code);   // ingest-images, search-image

}  // namespace lookalike::cli

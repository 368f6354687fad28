#include "embed/convert.h"

namespace lookalike::embed {

std::string ConverterScriptPath() { return LOOKALIKE_SOURCE_DIR "/scripts/convert-model.sh"; }

}  // namespace lookalike::embed

// Free functions of the public engine API (include/lookalike/engine.h): parameter parsing and
// index-name validation shared by the engine and the REST layer.
#include <charconv>
#include <string>
#include <tuple>

#include "lookalike/engine.h"

#include "common/json_writer.h"

namespace lookalike {

Result<RefreshPolicy> ParseRefreshPolicy(std::string_view value) {
  if (value.empty() || value == "false") return RefreshPolicy::kFalse;
  if (value == "true") return RefreshPolicy::kTrue;
  if (value == "wait_for") return RefreshPolicy::kWaitFor;
  return Status::InvalidArgument("Unknown value for refresh: [" + std::string(value) + "].")
      .WithKind(ErrorKind::kInvalidValue);
}

Result<OpType> ParseOpType(std::string_view value) {
  if (value == "index") return OpType::kIndex;
  if (value == "create") return OpType::kCreate;
  return Status::InvalidArgument("opType must be 'create' or 'index', found: [" +
                                 std::string(value) + "]")
      .WithKind(ErrorKind::kInvalidValue);
}

Status WriteCondition::Validate() const {
  if (if_seq_no >= 0 && if_primary_term < 0) {
    return Status::InvalidArgument(
               "Validation Failed: 1: ifSeqNo is set, but primary term is "
               "[0];")
        .WithKind(ErrorKind::kRequestValidation);
  }
  if (if_seq_no < 0 && if_primary_term >= 0) {
    return Status::InvalidArgument(
               "Validation Failed: 1: ifSeqNo is unassigned, but primary "
               "term is [" +
               std::to_string(if_primary_term) + "];")
        .WithKind(ErrorKind::kRequestValidation);
  }
  return Status::OK();
}

Result<WriteCondition> ParseWriteCondition(const std::string* if_seq_no,
                                           const std::string* if_primary_term) {
  WriteCondition c;
  for (auto [name, text, target] :
       {std::tuple{"if_seq_no", if_seq_no, &c.if_seq_no},
        std::tuple{"if_primary_term", if_primary_term, &c.if_primary_term}}) {
    if (text == nullptr) continue;
    int64_t v = -1;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v < 0) {
      return Status::InvalidArgument("Failed to parse value [" + *text + "] for [" + name +
                                     "]: must be a non-negative integer")
          .WithKind(ErrorKind::kInvalidValue);
    }
    *target = v;
  }
  LOOKALIKE_RETURN_IF_ERROR(c.Validate());
  return c;
}

Status ValidateIndexName(std::string_view name) {
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument("Invalid index name [" + std::string(name) + "], " + why)
        .WithKind(ErrorKind::kInvalidIndexName);
  };
  if (name.empty()) return invalid("must not be empty");
  // Names come from URL paths (percent-decoded bytes), not from JSON, so nothing upstream has
  // checked them; an accepted name is echoed in every listing and must stay decodable.
  if (!IsValidUtf8(name)) return invalid("must be valid UTF-8");
  if (name == "." || name == "..") return invalid("must not be '.' or '..'");
  if (name.size() > 255) return invalid("index name is too long, (" +
                                        std::to_string(name.size()) + " > 255)");
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') return invalid("must be lowercase");
  }
  static constexpr std::string_view kForbidden = "\\/*?\"<>| ,#:";
  for (char c : name) {
    if (kForbidden.find(c) != std::string_view::npos) {
      return invalid(std::string("must not contain the following characters [\\, /, *, ?, \", <, "
                                 ">, |,  , ,, #, :]"));
    }
  }
  if (name.front() == '_' || name.front() == '-' || name.front() == '+') {
    return invalid("must not start with '_', '-', or '+'");
  }
  return Status::OK();
}

std::string IndexNameOf(const Status& status) {
  if (status.kind() != ErrorKind::kIndexNotFound &&
      status.kind() != ErrorKind::kIndexAlreadyExists) {
    return "";
  }
  // Messages are "no such index [NAME]" and "index [NAME/UUID] already exists".
  const std::string& msg = status.message();
  size_t open = msg.find('[');
  if (open == std::string::npos) return "";
  size_t close = msg.find_first_of("/]", open + 1);
  if (close == std::string::npos) return "";
  return msg.substr(open + 1, close - open - 1);
}

}  // namespace lookalike

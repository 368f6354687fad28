#include "server/security/credentials.h"

namespace lookalike::security {
namespace {

bool SchemeIs(std::string_view value, std::string_view scheme) {
  if (value.size() <= scheme.size() || value[scheme.size()] != ' ') return false;
  for (size_t i = 0; i < scheme.size(); ++i) {
    char c = value[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char s = scheme[i];
    if (s >= 'A' && s <= 'Z') s = static_cast<char>(s - 'A' + 'a');
    if (c != s) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::string> RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  LOOKALIKE_RETURN_IF_ERROR(FillRandom(raw.data(), raw.size()));
  return Base64UrlEncode(raw);
}

Result<Credentials> ParseAuthorization(std::string_view header_value) {
  header_value = TrimSpaces(header_value);
  Credentials out;
  if (header_value.empty()) return out;
  std::string_view encoded;
  if (SchemeIs(header_value, "Basic")) {
    out.kind = CredentialKind::kBasic;
    encoded = header_value.substr(6);
  } else if (SchemeIs(header_value, "ApiKey")) {
    out.kind = CredentialKind::kApiKey;
    encoded = header_value.substr(7);
  } else {
    return Status::InvalidArgument("unsupported authorization scheme");
  }
  auto decoded = Base64Decode(TrimSpaces(encoded));
  if (!decoded.ok()) return Status::InvalidArgument("malformed authorization header");
  size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("malformed authorization header");
  }
  out.principal = decoded->substr(0, colon);
  out.secret = decoded->substr(colon + 1);
  return out;
}

std::string EncodeApiKey(std::string_view id, std::string_view key) {
  std::string joined(id);
  joined.push_back(':');
  joined.append(key);
  return Base64Encode(joined);
}

}  // namespace lookalike::security

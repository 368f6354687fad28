// `lookalike users|api-key|roles ... --data DIR`: edit the users, API keys and roles of a data
// directory, stopped or served (the server re-reads the file within a second). And the
// credential options of the commands that talk to a server (--user, --api-key).
#include <simdjson.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/json_writer.h"
#include "server/security/credentials.h"
#include "server/security/password_hash.h"
#include "server/security/security_store.h"

namespace lookalike::cli {
namespace {

using security::SecurityState;
using security::SecurityStore;

struct SecurityArgs {
  std::string data_dir;
  std::string name;
  std::vector<std::string> roles;
  bool password_stdin = false;
  std::string key_name;
  std::string expiration;
  std::string owner;
  std::string role_descriptors;  // JSON object name → descriptor
  std::vector<std::string> ids;
  std::string descriptor;  // roles put
};

int Fail(const Status& status) {
  std::fprintf(stderr, "lookalike: %s\n", status.ToString().c_str());
  return 1;
}

// Reads one line from the terminal with echo off (from stdin when there is no terminal).
Result<std::string> Prompt(const char* question) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  FILE* in = tty != nullptr ? tty : stdin;
  int fd = fileno(in);
  termios saved{};
  bool restore = isatty(fd) && tcgetattr(fd, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::fputs(question, tty != nullptr ? tty : stderr);
  std::fflush(tty != nullptr ? tty : stderr);
  char buf[1024];
  bool got = std::fgets(buf, sizeof(buf), in) != nullptr;
  if (restore) {
    tcsetattr(fd, TCSAFLUSH, &saved);
    std::fputs("\n", tty != nullptr ? tty : stderr);
  }
  if (tty != nullptr) std::fclose(tty);
  if (!got) return Status::InvalidArgument("no password given");
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

Result<std::string> ReadNewPassword(bool from_stdin) {
  std::string password;
  if (from_stdin) {
    if (!std::getline(std::cin, password)) return Status::InvalidArgument("no password on stdin");
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else {
    LOOKALIKE_ASSIGN_OR_RETURN(password, Prompt("New password: "));
    LOOKALIKE_ASSIGN_OR_RETURN(std::string again, Prompt("Repeat it: "));
    if (again != password) return Status::InvalidArgument("the passwords differ");
  }
  LOOKALIKE_RETURN_IF_ERROR(security::ValidatePassword(password));
  return password;
}

int UsersAdd(const SecurityArgs& a, bool must_exist) {
  Status st = security::ValidateUsername(a.name);
  if (!st.ok()) return Fail(st);
  auto password = ReadNewPassword(a.password_stdin);
  if (!password.ok()) return Fail(password.status());
  auto hash = security::HashSecret(*password, security::PasswordHashParams());
  if (!hash.ok()) return Fail(hash.status());
  st = SecurityStore::ForDataDir(a.data_dir).Update([&](SecurityState* state) -> Status {
    auto it = state->users.find(a.name);
    if (must_exist && it == state->users.end()) {
      return Status::NotFound("no user [" + a.name + "]");
    }
    if (!must_exist && it != state->users.end()) {
      return Status::AlreadyExists("user [" + a.name + "] exists; use `lookalike users passwd`");
    }
    LOOKALIKE_RETURN_IF_ERROR(security::ValidateRoleNames(*state, a.roles));
    security::User& user = state->users[a.name];
    user.password_hash = *hash;
    if (!must_exist || !a.roles.empty()) user.roles = a.roles;
    return Status::OK();
  });
  if (!st.ok()) return Fail(st);
  std::fprintf(stderr, "%s user %s\n", must_exist ? "updated" : "added", a.name.c_str());
  return 0;
}

int UsersRemove(const SecurityArgs& a) {
  Status st = SecurityStore::ForDataDir(a.data_dir).Update([&](SecurityState* state) {
    return state->users.erase(a.name) > 0 ? Status::OK()
                                          : Status::NotFound("no user [" + a.name + "]");
  });
  if (!st.ok()) return Fail(st);
  std::fprintf(stderr, "removed user %s (and with it the API keys it made)\n", a.name.c_str());
  return 0;
}

std::string JoinComma(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

int UsersList(const SecurityArgs& a) {
  auto state = SecurityStore::ForDataDir(a.data_dir).Load();
  if (!state.ok()) return Fail(state.status());
  std::printf("%-24s %-8s %s\n", "user", "enabled", "roles");
  for (const auto& [name, user] : state->users) {
    std::printf("%-24s %-8s %s\n", name.c_str(), user.enabled ? "yes" : "no",
                JoinComma(user.roles).c_str());
  }
  return 0;
}

std::string FormatTime(int64_t ms) {
  if (ms == 0) return "never";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

int ApiKeyCreate(const SecurityArgs& a) {
  std::vector<std::pair<std::string, security::RoleDescriptor>> descriptors;
  if (!a.role_descriptors.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::object roles;
    if (parser.parse(a.role_descriptors).get(doc) != simdjson::SUCCESS ||
        doc.get(roles) != simdjson::SUCCESS) {
      return Fail(Status::InvalidArgument("--role-descriptors must be a JSON object"));
    }
    for (auto field : roles) {
      auto role = security::ParseRoleDescriptor(field.value);
      if (!role.ok()) return Fail(role.status());
      if (Status st = security::CheckRoleLimits(*role); !st.ok()) return Fail(st);
      descriptors.emplace_back(std::string(field.key), std::move(role).value());
    }
  }
  int64_t expiration_ms = 0;
  if (!a.expiration.empty()) {
    auto expires = security::ExpirationAfter(security::NowMs(), a.expiration);
    if (!expires.ok()) return Fail(expires.status());
    expiration_ms = *expires;
  }
  security::NewApiKey created;
  Status st = SecurityStore::ForDataDir(a.data_dir).Update([&](SecurityState* state) -> Status {
    std::vector<security::RoleDescriptor> limited_by;
    std::string owner = a.owner, realm = "native";
    if (!a.owner.empty()) {
      auto it = state->users.find(a.owner);
      if (it == state->users.end()) return Status::NotFound("no user [" + a.owner + "]");
      limited_by = security::ResolveRoles(*state, it->second.roles);
    } else {
      if (a.roles.empty()) {
        return Status::InvalidArgument(
            "give --owner USER or --roles ROLE,... (the most the key "
            "may ever do)");
      }
      LOOKALIKE_RETURN_IF_ERROR(security::ValidateRoleNames(*state, a.roles));
      limited_by = security::ResolveRoles(*state, a.roles);
      owner = "_cli";
      realm = "cli";
    }
    LOOKALIKE_ASSIGN_OR_RETURN(
        created, security::AddApiKey(state, a.key_name, expiration_ms, descriptors, owner, realm,
                                     std::move(limited_by)));
    return Status::OK();
  });
  if (!st.ok()) return Fail(st);
  std::fprintf(stderr,
               "created API key %s (id %s, expires %s); it is shown only now. Use it as\n"
               "  Authorization: ApiKey <the line below>\n",
               created.name.c_str(), created.id.c_str(), FormatTime(created.expiration_ms).c_str());
  std::printf("%s\n", created.encoded.c_str());
  return 0;
}

int ApiKeyList(const SecurityArgs& a) {
  auto state = SecurityStore::ForDataDir(a.data_dir).Load();
  if (!state.ok()) return Fail(state.status());
  std::printf("%-22s %-20s %-16s %-21s %-21s %s\n", "id", "name", "owner", "created", "expires",
              "invalidated");
  for (const auto& [id, key] : state->api_keys) {
    std::printf("%-22s %-20s %-16s %-21s %-21s %s\n", id.c_str(), key.name.c_str(),
                key.username.c_str(), FormatTime(key.creation_ms).c_str(),
                FormatTime(key.expiration_ms).c_str(), key.invalidated ? "yes" : "no");
  }
  return 0;
}

int ApiKeyInvalidate(const SecurityArgs& a) {
  if (a.ids.empty() && a.key_name.empty()) {
    return Fail(Status::InvalidArgument("give --id ID (repeatable) or --name NAME"));
  }
  security::ApiKeyFilter filter;
  filter.ids = a.ids;
  filter.name = a.key_name;
  security::InvalidationResult result;
  Status st = SecurityStore::ForDataDir(a.data_dir).Update([&](SecurityState* state) {
    result = security::InvalidateApiKeys(state, filter);
    return Status::OK();
  });
  if (!st.ok()) return Fail(st);
  for (const std::string& id : result.invalidated) std::printf("invalidated %s\n", id.c_str());
  for (const std::string& id : result.previously_invalidated) {
    std::printf("already invalidated %s\n", id.c_str());
  }
  if (result.invalidated.empty() && result.previously_invalidated.empty()) {
    return Fail(Status::NotFound("no API key matches"));
  }
  return 0;
}

int RolesPut(const SecurityArgs& a) {
  if (security::IsBuiltinRole(a.name) || a.name.empty() || a.name.front() == '_') {
    return Fail(Status::InvalidArgument("role name [" + a.name + "] is reserved or invalid"));
  }
  auto role = security::ParseRoleDescriptor(a.descriptor);
  if (!role.ok()) return Fail(role.status());
  if (Status st = security::CheckRoleLimits(*role); !st.ok()) return Fail(st);
  Status st = SecurityStore::ForDataDir(a.data_dir).Update([&](SecurityState* state) {
    state->roles[a.name] = *role;
    return Status::OK();
  });
  if (!st.ok()) return Fail(st);
  std::fprintf(stderr, "stored role %s\n", a.name.c_str());
  return 0;
}

int RolesList(const SecurityArgs& a) {
  auto state = SecurityStore::ForDataDir(a.data_dir).Load();
  if (!state.ok()) return Fail(state.status());
  for (const std::string& name : security::BuiltinRoleNames()) {
    JsonWriter w;
    security::WriteRoleDescriptor(*security::BuiltinRole(name), &w);
    std::printf("%s (built-in) %s\n", name.c_str(), w.Take().c_str());
  }
  for (const auto& [name, role] : state->roles) {
    JsonWriter w;
    security::WriteRoleDescriptor(role, &w);
    std::printf("%s %s\n", name.c_str(), w.Take().c_str());
  }
  return 0;
}

int RolesRemove(const SecurityArgs& a) {
  Status st = SecurityStore::ForDataDir(a.data_dir).Update([&](SecurityState* state) {
    return state->roles.erase(a.name) > 0 ? Status::OK()
                                          : Status::NotFound("no stored role [" + a.name + "]");
  });
  return st.ok() ? 0 : Fail(st);
}

CLI::App* Sub(CLI::App* parent, const char* name, const char* help,
              const std::shared_ptr<SecurityArgs>& args) {
  auto* cmd = parent->add_subcommand(name, help);
  cmd->add_option("--data", args->data_dir, "Data directory of the server")->required();
  return cmd;
}

void AddUsers(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<SecurityArgs>();
  auto* users = app.add_subcommand("users", "Add, change, remove or list users");
  users->require_subcommand(1);
  const char* roles_help = "Comma-separated roles (superuser, viewer, editor or stored ones)";
  auto* add = Sub(users, "add", "Add a user (password from a prompt or --password-stdin)", a);
  add->add_option("name", a->name, "Username")->required();
  add->add_option("--roles", a->roles, roles_help)->delimiter(',');
  add->add_flag("--password-stdin", a->password_stdin, "Read the password from stdin");
  add->callback([a, exit_code] { *exit_code = UsersAdd(*a, /*must_exist=*/false); });
  auto* passwd = Sub(users, "passwd", "Change a user's password (and roles with --roles)", a);
  passwd->add_option("name", a->name, "Username")->required();
  passwd->add_option("--roles", a->roles, roles_help)->delimiter(',');
  passwd->add_flag("--password-stdin", a->password_stdin, "Read the password from stdin");
  passwd->callback([a, exit_code] { *exit_code = UsersAdd(*a, /*must_exist=*/true); });
  auto* remove = Sub(users, "remove", "Remove a user", a);
  remove->add_option("name", a->name, "Username")->required();
  remove->callback([a, exit_code] { *exit_code = UsersRemove(*a); });
  Sub(users, "list", "List users and their roles", a)->callback([a, exit_code] {
    *exit_code = UsersList(*a);
  });
}

void AddApiKeys(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<SecurityArgs>();
  auto* keys = app.add_subcommand("api-key", "Create, list or invalidate API keys");
  keys->require_subcommand(1);
  auto* create = Sub(keys, "create", "Create an API key and print its encoded form once", a);
  create->add_option("--name", a->key_name, "Name of the key")->required();
  create->add_option("--owner", a->owner, "User whose rights bound the key's");
  create->add_option("--roles", a->roles, "Roles that bound the key's rights (without --owner)")
      ->delimiter(',');
  create->add_option("--role-descriptors", a->role_descriptors,
                     "JSON object {name: role descriptor} narrowing the key further");
  create->add_option("--expiration", a->expiration, "Lifetime, e.g. 30d, 12h (default: none)");
  create->callback([a, exit_code] { *exit_code = ApiKeyCreate(*a); });
  Sub(keys, "list", "List API keys (never their secrets)", a)->callback([a, exit_code] {
    *exit_code = ApiKeyList(*a);
  });
  auto* invalidate = Sub(keys, "invalidate", "Invalidate API keys by id or name", a);
  invalidate->add_option("--id", a->ids, "Key id (repeatable)");
  invalidate->add_option("--name", a->key_name, "Key name ('*' wildcards allowed)");
  invalidate->callback([a, exit_code] { *exit_code = ApiKeyInvalidate(*a); });
}

void AddRoles(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<SecurityArgs>();
  auto* roles = app.add_subcommand("roles", "Store, list or remove roles");
  roles->require_subcommand(1);
  auto* put = Sub(roles, "put", "Store a role: NAME and an Elasticsearch role descriptor", a);
  put->add_option("name", a->name, "Role name")->required();
  put->add_option("descriptor", a->descriptor,
                  R"(e.g. '{"cluster":["monitor"],"indices":[{"names":["logs-*"],)"
                  R"("privileges":["read"]}]}')")
      ->required();
  put->callback([a, exit_code] { *exit_code = RolesPut(*a); });
  Sub(roles, "list", "List built-in and stored roles", a)->callback([a, exit_code] {
    *exit_code = RolesList(*a);
  });
  auto* remove = Sub(roles, "remove", "Remove a stored role", a);
  remove->add_option("name", a->name, "Role name")->required();
  remove->callback([a, exit_code] { *exit_code = RolesRemove(*a); });
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

void AddSecurityCommands(CLI::App& app, int* exit_code) {
  AddUsers(app, exit_code);
  AddApiKeys(app, exit_code);
  AddRoles(app, exit_code);
}

void AddCredentialOptions(CLI::App* cmd, CredentialArgs* args) {
  auto* user = cmd->add_option("--user,-u", args->user,
                               "NAME[:PASSWORD] for a server with security on (or "
                               "$LOOKALIKE_USER, $LOOKALIKE_PASSWORD)");
  auto* key =
      cmd->add_option("--api-key", args->api_key, "Encoded API key (or $LOOKALIKE_API_KEY)");
  user->excludes(key);
}

Result<std::string> AuthorizationHeader(const CredentialArgs& args) {
  std::string user = args.user;
  std::string api_key = args.api_key;
  if (user.empty() && api_key.empty()) {
    user = Env("LOOKALIKE_USER");
    api_key = Env("LOOKALIKE_API_KEY");
  }
  if (!api_key.empty() && user.empty()) return "ApiKey " + api_key;
  if (user.empty()) return std::string();
  std::string name = user, password;
  size_t colon = user.find(':');
  if (colon != std::string::npos) {
    name = user.substr(0, colon);
    password = user.substr(colon + 1);
  } else {
    password = Env("LOOKALIKE_PASSWORD");
    if (password.empty()) {
      LOOKALIKE_ASSIGN_OR_RETURN(password, Prompt(("Password for " + name + ": ").c_str()));
    }
  }
  return "Basic " + Base64Encode(name + ":" + password);
}

}  // namespace lookalike::cli

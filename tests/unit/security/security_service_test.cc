// Authentication (Basic, ApiKey, cache, reload) and authorization with Elasticsearch's messages.
#include "server/security/security_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "server/security/credentials.h"
#include "server/security/password_hash.h"
#include "server/security/route_privileges.h"

namespace lookalike::security {
namespace {

std::string TempDataDir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() /
             (std::string("lk_secsvc_") + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string BasicHeader(const std::string& user, const std::string& password) {
  return "Basic " + Base64Encode(user + ":" + password);
}

Status AddUser(const SecurityStore& store, const std::string& name, const std::string& password,
               std::vector<std::string> roles) {
  auto hash = HashSecret(password, PasswordHashParams());
  if (!hash.ok()) return hash.status();
  return store.Update([&](SecurityState* state) {
    state->users[name] = User{*hash, roles, "", "", true};
    return Status::OK();
  });
}

class SecurityServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir =
        TempDataDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    options_.reload_interval = std::chrono::milliseconds(0);
    store_ = std::make_unique<SecurityStore>(SecurityStore::ForDataDir(options_.data_dir));
    ASSERT_TRUE(AddUser(*store_, "reader", "reader-pw", {"viewer"}).ok());
    service_ = std::make_unique<SecurityService>(options_);
    ASSERT_TRUE(service_->Start().ok());
  }
  SecurityServiceOptions options_;
  std::unique_ptr<SecurityStore> store_;
  std::unique_ptr<SecurityService> service_;
};

TEST_F(SecurityServiceTest, MissingAndWrongCredentialsAre401WithElasticsearchReasons) {
  auto missing = service_->Authenticate("", "/idx/_search");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(missing.status().message(),
            "missing authentication credentials for REST request [/idx/_search]");
  auto wrong = service_->Authenticate(BasicHeader("reader", "nope"), "/");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "unable to authenticate user [reader] for REST request [/]");
  // Asked again: answered from the failure cache, same answer.
  auto again = service_->Authenticate(BasicHeader("reader", "nope"), "/");
  EXPECT_EQ(again.status().message(), wrong.status().message());
  auto ghost = service_->Authenticate(BasicHeader("ghost", "reader-pw"), "/");
  EXPECT_EQ(ghost.status().message(), "unable to authenticate user [ghost] for REST request [/]");
  EXPECT_EQ(service_->Authenticate("Bearer xyz", "/").status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(SecurityServiceTest, RightPasswordGivesTheUsersRoles) {
  auto who = service_->Authenticate(BasicHeader("reader", "reader-pw"), "/");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->username, "reader");
  EXPECT_EQ(who->role_names, std::vector<std::string>{"viewer"});
  EXPECT_FALSE(who->is_api_key);
}

TEST_F(SecurityServiceTest, ForbiddenActionsAre403WithElasticsearchReasons) {
  auto who = service_->Authenticate(BasicHeader("reader", "reader-pw"), "/");
  ASSERT_TRUE(who.ok());
  RequiredAccess search = RequiredAccessFor("POST", {"img", "_search"}, "");
  EXPECT_TRUE(service_->Authorize(*who, search).ok());
  RequiredAccess bulk =
      RequiredAccessFor("POST", {"_bulk"}, "{\"index\":{\"_index\":\"img\"}}\n{}\n");
  Status denied = service_->Authorize(*who, bulk);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "action [indices:data/write/bulk] is unauthorized for user [reader] with roles "
            "[viewer] on indices [img], this action is granted by the index privileges "
            "[create_doc,create,delete,index,write,all]");
  Status cluster =
      service_->Authorize(*who, RequiredAccessFor("PUT", {"_cluster", "settings"}, ""));
  EXPECT_EQ(cluster.message(),
            "action [cluster:admin/settings/update] is unauthorized for user [reader] with roles "
            "[viewer], this action is granted by the cluster privileges [manage,all]");
}

TEST_F(SecurityServiceTest, BulkIsLetInByAnyWriteGrantAndItsItemsAreCheckedOneByOne) {
  ASSERT_TRUE(store_
                  ->Update([](SecurityState* state) {
                    state->roles["a_writer"] = RoleDescriptor{{}, {IndexGrant{{"a"}, {"index"}}}};
                    state->roles["b_creator"] =
                        RoleDescriptor{{}, {IndexGrant{{"b"}, {"create_doc"}}}};
                    state->roles["c_deleter"] = RoleDescriptor{{}, {IndexGrant{{"c"}, {"delete"}}}};
                    return Status::OK();
                  })
                  .ok());
  ASSERT_TRUE(AddUser(*store_, "w", "w-pw", {"a_writer", "b_creator", "c_deleter"}).ok());
  service_->Reload();
  auto who = service_->Authenticate(BasicHeader("w", "w-pw"), "/");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  // The bulk names an index the user may not write: it is let in all the same.
  RequiredAccess bulk = RequiredAccessFor(
      "POST", {"_bulk"}, "{\"index\":{\"_index\":\"a\"}}\n{}\n{\"index\":{\"_index\":\"z\"}}\n{}\n");
  EXPECT_TRUE(service_->Authorize(*who, bulk).ok());
  auto item = [&](std::string_view action, std::string_view index) {
    return service_->Authorize(*who, BulkItemAccess(action, index));
  };
  EXPECT_TRUE(item("index", "a").ok());
  EXPECT_TRUE(item("update", "a").ok());
  EXPECT_TRUE(item("create", "a").ok());  // index grants create
  EXPECT_FALSE(item("delete", "a").ok());
  EXPECT_TRUE(item("create", "b").ok());  // create_doc: new documents only
  EXPECT_FALSE(item("index", "b").ok());
  EXPECT_FALSE(item("update", "b").ok());
  EXPECT_TRUE(item("delete", "c").ok());
  EXPECT_FALSE(item("index", "c").ok());
  Status denied = item("index", "z");
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "action [indices:data/write/index] is unauthorized for user [w] with roles "
            "[a_writer,b_creator,c_deleter] on indices [z], this action is granted by the index "
            "privileges [index,write,all]");
  // The reader holds no write privilege anywhere: its bulk is refused whole.
  auto reader = service_->Authenticate(BasicHeader("reader", "reader-pw"), "/");
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE(service_->Authorize(*reader, bulk).ok());
}

TEST_F(SecurityServiceTest, ApiKeysAreBoundByTheirDescriptorsAndTheirOwner) {
  ASSERT_TRUE(AddUser(*store_, "admin", "admin-pw", {"superuser"}).ok());
  NewApiKey narrow, inherit;
  ASSERT_TRUE(
      store_
          ->Update([&](SecurityState* state) -> Status {
            auto role =
                ParseRoleDescriptor(R"({"indices":[{"names":["logs-*"],"privileges":["read"]}]})");
            LOOKALIKE_ASSIGN_OR_RETURN(
                narrow, AddApiKey(state, "narrow", 0, {{"r", *role}}, "admin", "native",
                                  {*BuiltinRole("superuser")}));
            LOOKALIKE_ASSIGN_OR_RETURN(inherit, AddApiKey(state, "inherit", 0, {}, "reader",
                                                          "native", {*BuiltinRole("viewer")}));
            return Status::OK();
          })
          .ok());
  auto key = service_->Authenticate("ApiKey " + narrow.encoded, "/");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_TRUE(key->is_api_key);
  EXPECT_EQ(key->username, "admin");
  EXPECT_TRUE(service_->Authorize(*key, RequiredAccessFor("GET", {"logs-1", "_search"}, "")).ok());
  Status other = service_->Authorize(*key, RequiredAccessFor("GET", {"img", "_search"}, ""));
  EXPECT_EQ(other.message(),
            "action [indices:data/read/search] is unauthorized for API key id [" + narrow.id +
                "] of user [admin] on indices [img], this action is granted by the index "
                "privileges [read,all]");
  // A key without descriptors has its owner's rights, and never more.
  auto reader_key = service_->Authenticate("ApiKey " + inherit.encoded, "/");
  ASSERT_TRUE(reader_key.ok());
  EXPECT_TRUE(
      service_->Authorize(*reader_key, RequiredAccessFor("GET", {"x", "_search"}, "")).ok());
  EXPECT_FALSE(service_->Authorize(*reader_key, RequiredAccessFor("DELETE", {"x"}, "")).ok());
  EXPECT_FALSE(service_->Authenticate("ApiKey " + EncodeApiKey(narrow.id, "wrong"), "/").ok());
}

TEST_F(SecurityServiceTest, ChangesToTheFileApplyWithoutARestart) {
  std::string header = BasicHeader("reader", "reader-pw");
  ASSERT_TRUE(service_->Authenticate(header, "/").ok());  // now cached
  ASSERT_TRUE(store_
                  ->Update([](SecurityState* state) {
                    state->users.erase("reader");
                    return Status::OK();
                  })
                  .ok());
  auto after = service_->Authenticate(header, "/");
  EXPECT_FALSE(after.ok()) << "a removed user must stop working despite the cache";

  ASSERT_TRUE(AddUser(*store_, "late", "late-pw", {"editor"}).ok());
  EXPECT_TRUE(service_->Authenticate(BasicHeader("late", "late-pw"), "/").ok());
}

TEST(SecurityServiceReload, RequestReloadAppliesChangesBeforeTheNextPeriodicCheck) {
  SecurityServiceOptions options;
  options.data_dir = TempDataDir("sighup");
  options.reload_interval = std::chrono::hours(1);  // only an explicit request re-reads
  SecurityStore store = SecurityStore::ForDataDir(options.data_dir);
  SecurityService service(options);
  ASSERT_TRUE(service.Start().ok());
  ASSERT_TRUE(AddUser(store, "newcomer", "newcomer-pw", {"viewer"}).ok());
  std::string header = BasicHeader("newcomer", "newcomer-pw");
  EXPECT_FALSE(service.Authenticate(header, "/").ok()) << "not re-read yet";
  service.RequestReload();  // what SIGHUP does
  EXPECT_TRUE(service.Authenticate(header, "/").ok());
}

TEST_F(SecurityServiceTest, InvalidatedAndExpiredKeysAreRefused) {
  NewApiKey expired, revoked;
  ASSERT_TRUE(store_
                  ->Update([&](SecurityState* state) -> Status {
                    LOOKALIKE_ASSIGN_OR_RETURN(
                        expired, AddApiKey(state, "old", NowMs() - 1, {}, "reader", "native", {}));
                    LOOKALIKE_ASSIGN_OR_RETURN(
                        revoked, AddApiKey(state, "gone", 0, {}, "reader", "native", {}));
                    state->api_keys[revoked.id].invalidated = true;
                    return Status::OK();
                  })
                  .ok());
  auto a = service_->Authenticate("ApiKey " + expired.encoded, "/");
  auto b = service_->Authenticate("ApiKey " + revoked.encoded, "/");
  EXPECT_EQ(a.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(b.status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace lookalike::security

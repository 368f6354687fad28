// The REST gate without sockets: 401 and 403 responses (status, headers, Elasticsearch bodies),
// requests let through to the router, and the /_security API.
#include <gtest/gtest.h>

#include <optional>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>

#include "server/security/credentials.h"
#include "server/security/password_hash.h"
#include "server/security/rest_security_gate.h"

namespace lookalike::server {
namespace {

using security::Base64Encode;

class SecurityGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir =
        std::filesystem::temp_directory_path() /
        ("lk_gate_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
         "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    security::SecurityServiceOptions options;
    options.data_dir = dir.string();
    auto store = security::SecurityStore::ForDataDir(options.data_dir);
    auto admin = security::HashSecret("admin-pw", security::PasswordHashParams());
    auto reader = security::HashSecret("reader-pw", security::PasswordHashParams());
    ASSERT_TRUE(admin.ok() && reader.ok());
    ASSERT_TRUE(store
                    .Update([&](security::SecurityState* s) {
                      s->users["admin"] = security::User{*admin, {"superuser"}, "", "", true};
                      s->users["reader"] = security::User{*reader, {"viewer"}, "", "", true};
                      return Status::OK();
                    })
                    .ok());
    service_ = std::make_unique<security::SecurityService>(options);
    ASSERT_TRUE(service_->Start().ok());
    gate_ = std::make_unique<SecurityGate>(service_.get());
  }

  // Returns true when the gate answered; the answer is in response_.
  bool Send(std::string method, std::string path, std::string authorization = "",
            std::string body = "") {
    HttpRequest request;
    request.method = std::move(method);
    request.path = path;
    request.target = path;
    request.body = std::move(body);
    size_t q = path.find('?');
    if (q != std::string::npos) {
      request.path = path.substr(0, q);
      request.query = ParseQueryString(path.substr(q + 1));
    }
    if (!authorization.empty()) request.headers.emplace_back("authorization", authorization);
    response_ = HttpResponse{};
    caller_.reset();
    return gate_->Intercept(request, &response_, &caller_);
  }

  static std::string Basic(const std::string& user, const std::string& password) {
    return "Basic " + Base64Encode(user + ":" + password);
  }

  std::unique_ptr<security::SecurityService> service_;
  std::unique_ptr<SecurityGate> gate_;
  HttpResponse response_;
  std::optional<RequestCaller> caller_;  // set when the gate let the request through
};

std::vector<std::string> Challenges(const HttpResponse& r) {
  std::vector<std::string> out;
  for (const auto& [name, value] : r.headers) {
    if (name == "WWW-Authenticate") out.push_back(value);
  }
  return out;
}

TEST_F(SecurityGateTest, NoCredentialsIs401WithChallengesAndElasticsearchBody) {
  ASSERT_TRUE(Send("GET", "/img/_search"));
  EXPECT_EQ(response_.status, 401);
  EXPECT_EQ(Challenges(response_),
            (std::vector<std::string>{"Basic realm=\"security\" charset=\"UTF-8\"", "ApiKey"}));
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(response_.body);
  EXPECT_EQ(std::string_view(doc["error"]["type"]), "security_exception");
  EXPECT_EQ(std::string_view(doc["error"]["reason"]),
            "missing authentication credentials for REST request [/img/_search]");
  EXPECT_EQ(std::string_view(doc["error"]["root_cause"].at(0)["type"]), "security_exception");
  EXPECT_EQ(std::string_view(doc["error"]["header"]["WWW-Authenticate"].at(1)), "ApiKey");
  EXPECT_EQ(int64_t(doc["status"]), 401);
  std::string wire;
  SerializeResponse(response_, true, true, &wire);
  EXPECT_EQ(wire.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u) << wire;
}

TEST_F(SecurityGateTest, WrongPasswordIs401) {
  ASSERT_TRUE(Send("GET", "/", Basic("admin", "wrong")));
  EXPECT_EQ(response_.status, 401);
  EXPECT_NE(response_.body.find("unable to authenticate user [admin] for REST request [/]"),
            std::string::npos);
}

TEST_F(SecurityGateTest, AllowedRequestsGoOnAndForbiddenOnesAre403) {
  EXPECT_FALSE(Send("POST", "/img/_search", Basic("reader", "reader-pw")));
  EXPECT_FALSE(Send("GET", "/", Basic("reader", "reader-pw")));
  ASSERT_TRUE(Send("POST", "/_bulk", Basic("reader", "reader-pw"),
                   "{\"index\":{\"_index\":\"img\"}}\n{\"a\":1}\n"));
  EXPECT_EQ(response_.status, 403);
  EXPECT_TRUE(Challenges(response_).empty());
  EXPECT_EQ(ReasonPhrase(403), "Forbidden");
  EXPECT_NE(response_.body.find("\"type\":\"security_exception\""), std::string::npos);
  EXPECT_NE(response_.body.find("action [indices:data/write/bulk] is unauthorized for user "
                                "[reader] with roles [viewer] on indices [img]"),
            std::string::npos);
  EXPECT_FALSE(Send("DELETE", "/img", Basic("admin", "admin-pw")));
}

TEST_F(SecurityGateTest, ALetThroughRequestNamesItsCallerWhoCanBeAskedPerItem) {
  ASSERT_FALSE(Send("POST", "/img/_search", Basic("reader", "reader-pw")));
  ASSERT_TRUE(caller_.has_value());
  EXPECT_EQ(caller_->id, "user/reader");
  EXPECT_TRUE(caller_->authorize(security::RequiredAccessFor("GET", {"img", "_doc", "1"}, "")).ok());
  Status write = caller_->authorize(security::BulkItemAccess("index", "img"));
  EXPECT_EQ(write.code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(Send("POST", "/img/_bulk", Basic("reader", "reader-pw"), "{\"index\":{}}\n{}\n"));
  EXPECT_FALSE(caller_.has_value());  // refused: no caller for a handler
}

TEST_F(SecurityGateTest, AuthenticateDescribesTheCaller) {
  ASSERT_TRUE(Send("GET", "/_security/_authenticate", Basic("reader", "reader-pw")));
  EXPECT_EQ(response_.status, 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(response_.body);
  EXPECT_EQ(std::string_view(doc["username"]), "reader");
  EXPECT_EQ(std::string_view(doc["roles"].at(0)), "viewer");
  EXPECT_EQ(std::string_view(doc["authentication_type"]), "realm");
}

TEST_F(SecurityGateTest, ApiKeyLifecycle) {
  ASSERT_TRUE(Send(
      "POST", "/_security/api_key", Basic("admin", "admin-pw"),
      R"({"name":"ci","expiration":"1d","role_descriptors":{"r":{"indices":[{"names":["img"],"privileges":["read"]}]}}})"));
  ASSERT_EQ(response_.status, 200) << response_.body;
  simdjson::dom::parser parser;
  simdjson::dom::element created = parser.parse(response_.body);
  std::string id{std::string_view(created["id"])};
  std::string encoded{std::string_view(created["encoded"])};
  EXPECT_EQ(std::string_view(created["name"]), "ci");
  EXPECT_GT(int64_t(created["expiration"]), 0);
  EXPECT_EQ(encoded, security::EncodeApiKey(id, std::string_view(created["api_key"])));

  EXPECT_FALSE(Send("GET", "/img/_search", "ApiKey " + encoded));
  ASSERT_TRUE(Send("GET", "/other/_search", "ApiKey " + encoded));
  EXPECT_EQ(response_.status, 403);
  ASSERT_TRUE(Send("GET", "/_security/_authenticate", "ApiKey " + encoded));
  EXPECT_NE(response_.body.find("\"authentication_type\":\"api_key\""), std::string::npos);

  ASSERT_TRUE(Send("GET", "/_security/api_key?name=ci", Basic("admin", "admin-pw")));
  EXPECT_NE(response_.body.find("\"id\":\"" + id + "\""), std::string::npos);
  EXPECT_EQ(response_.body.find("api_key\":\""), std::string::npos) << "secrets are never listed";

  ASSERT_TRUE(Send("DELETE", "/_security/api_key", Basic("admin", "admin-pw"),
                   "{\"ids\":[\"" + id + "\"]}"));
  EXPECT_EQ(response_.body, "{\"invalidated_api_keys\":[\"" + id +
                                "\"],\"previously_invalidated_api_keys\":[],\"error_count\":0}");
  ASSERT_TRUE(Send("GET", "/img/_search", "ApiKey " + encoded));
  EXPECT_EQ(response_.status, 401);
}

TEST_F(SecurityGateTest, KeysCannotExceedTheirCreator) {
  ASSERT_TRUE(Send("POST", "/_security/api_key", Basic("admin", "admin-pw"), R"({"name":"wide"})"));
  ASSERT_EQ(response_.status, 200);
  // The reader has no API key privilege at all (viewer is monitor + read).
  ASSERT_TRUE(
      Send("POST", "/_security/api_key", Basic("reader", "reader-pw"), R"({"name":"mine"})"));
  EXPECT_EQ(response_.status, 403);
}

// Regression: an expiration so far away that now + it overflowed int64 (UB) is a 400.
TEST_F(SecurityGateTest, ApiKeyExpirationBeyondTheClockIs400) {
  ASSERT_TRUE(Send("POST", "/_security/api_key", Basic("admin", "admin-pw"),
                   R"({"name":"forever","expiration":"9223372036854775807ms"})"));
  EXPECT_EQ(response_.status, 400) << response_.body;
  EXPECT_NE(response_.body.find("too far in the future"), std::string::npos) << response_.body;
  ASSERT_TRUE(Send("POST", "/_security/api_key", Basic("admin", "admin-pw"),
                   R"({"name":"day","expiration":"1d"})"));
  EXPECT_EQ(response_.status, 200) << response_.body;
  EXPECT_NE(response_.body.find("\"expiration\":"), std::string::npos);
}

TEST_F(SecurityGateTest, UserApiNeedsManageSecurity) {
  ASSERT_TRUE(Send("PUT", "/_security/user/carol", Basic("reader", "reader-pw"),
                   R"({"password":"carol-pw","roles":["viewer"]})"));
  EXPECT_EQ(response_.status, 403);
  ASSERT_TRUE(Send("PUT", "/_security/user/carol", Basic("admin", "admin-pw"),
                   R"({"password":"carol-pw","roles":["viewer"]})"));
  EXPECT_EQ(response_.status, 200);
  EXPECT_EQ(response_.body, "{\"created\":true}");
  EXPECT_FALSE(Send("GET", "/x/_search", Basic("carol", "carol-pw")));
  ASSERT_TRUE(
      Send("PUT", "/_security/user/dave", Basic("admin", "admin-pw"), R"({"password":"short"})"));
  EXPECT_EQ(response_.status, 400);
  ASSERT_TRUE(Send("DELETE", "/_security/user/carol", Basic("admin", "admin-pw")));
  EXPECT_EQ(response_.body, "{\"found\":true}");
  ASSERT_TRUE(Send("GET", "/x/_search", Basic("carol", "carol-pw")));
  EXPECT_EQ(response_.status, 401);
}

}  // namespace
}  // namespace lookalike::server

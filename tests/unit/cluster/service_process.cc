// Child processes for the cluster tests; see service_process.h.
#include "service_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "net/http_client.h"

namespace lookalike::cluster::testing {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string FindProgram(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  dirs += ":/usr/sbin:/sbin";  // nats-server lives in /usr/sbin on Debian
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir =
        dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    std::string candidate = dir + "/" + program;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("lookalike-cluster-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool ServiceProcess::Start(const std::vector<std::string>& argv,
                           const std::filesystem::path& log_file) {
  std::string program = FindProgram(argv[0]);
  if (program.empty()) return false;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execv(program.c_str(), args.data());
    ::_exit(127);
  }
  pid_ = pid;
  return true;
}

void ServiceProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool WaitForHttpOk(const std::string& base_url, const std::string& path,
                   std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto client = net::HttpClient::Create(base_url);
    if (client.ok()) {
      client->SetReceiveTimeout(std::chrono::milliseconds(1000));
      auto response = client->Send("GET", path);
      if (response.ok() && response->status == 200) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool EtcdServer::Start(const std::filesystem::path& dir) {
  int client_port = FreePort();
  int peer_port = FreePort();
  url = "http://127.0.0.1:" + std::to_string(client_port);
  std::string peer = "http://127.0.0.1:" + std::to_string(peer_port);
  if (!process.Start({"etcd", "--name", "e1", "--data-dir", (dir / "etcd").string(),
                      "--listen-client-urls", url, "--advertise-client-urls", url,
                      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                      "--initial-cluster", "e1=" + peer, "--log-level", "warn"},
                     dir / "etcd.log")) {
    return false;
  }
  return WaitForHttpOk(url, "/health", std::chrono::seconds(20));
}

bool NatsCluster::Start(const std::filesystem::path& folder) {
  dir = folder;
  int route_ports[3];
  for (int& port : route_ports) port = FreePort();
  std::string routes;
  for (int port : route_ports) {
    if (!routes.empty()) routes += ",";
    routes += "nats://127.0.0.1:" + std::to_string(port);
  }
  for (int i = 0; i < 3; ++i) {
    Server& s = servers[i];
    int client_port = FreePort();
    s.monitor_port = FreePort();
    s.url = "nats://127.0.0.1:" + std::to_string(client_port);
    std::string name = "nats" + std::to_string(i + 1);
    std::filesystem::create_directories(dir / name);
    s.argv = {"nats-server",
              "-js",
              "-sd",
              (dir / name).string(),
              "-n",
              name,
              "-a",
              "127.0.0.1",
              "-p",
              std::to_string(client_port),
              "-m",
              std::to_string(s.monitor_port),
              "--cluster_name",
              "lookalike-test",
              "--cluster",
              "nats://127.0.0.1:" + std::to_string(route_ports[i]),
              "--routes",
              routes};
    if (!s.process.Start(s.argv, dir / (name + ".log"))) return false;
  }
  for (Server& s : servers) {
    if (!WaitForHttpOk("http://127.0.0.1:" + std::to_string(s.monitor_port), "/healthz",
                       std::chrono::seconds(30))) {
      return false;
    }
  }
  return true;
}

bool NatsCluster::Restart(int i) {
  Server& s = servers[i];
  if (!s.process.Start(s.argv, dir / ("nats" + std::to_string(i + 1) + ".log"))) return false;
  return WaitForHttpOk("http://127.0.0.1:" + std::to_string(s.monitor_port), "/healthz",
                       std::chrono::seconds(30));
}

std::string NatsCluster::Urls() const {
  std::string out;
  for (const Server& s : servers) {
    if (!out.empty()) out += ",";
    out += s.url;
  }
  return out;
}

}  // namespace lookalike::cluster::testing

// Test helpers: external services (etcd, nats-server) as child processes on free local ports,
// in a temporary folder, killed when the helper goes away and also when the test process dies
// (PR_SET_PDEATHSIG), so a crashed test leaves nothing running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace lookalike::cluster::testing {

/// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

/// The full path of `program` on PATH, or "" when it is not installed.
std::string FindProgram(const std::string& program);

/// A fresh temporary folder, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class ServiceProcess {
 public:
  ServiceProcess() = default;
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;
  ~ServiceProcess() { Kill(); }

  /// Starts argv[0] (found on PATH) with stdout and stderr appended to `log_file`.
  bool Start(const std::vector<std::string>& argv, const std::filesystem::path& log_file);
  /// kill -9 and reap; a no-op when not running.
  void Kill();
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

/// True once GET `url` answers 200 within `timeout` (polled every 50 ms).
bool WaitForHttpOk(const std::string& base_url, const std::string& path,
                   std::chrono::milliseconds timeout);

/// One etcd member on free ports with its data in `dir`.
struct EtcdServer {
  ServiceProcess process;
  std::string url;  // http://127.0.0.1:PORT
  bool Start(const std::filesystem::path& dir);
};

/// Three nats-server with JetStream in one cluster, data under `dir`.
struct NatsCluster {
  struct Server {
    ServiceProcess process;
    std::vector<std::string> argv;
    std::string url;  // nats://127.0.0.1:PORT
    int monitor_port = 0;
  };
  Server servers[3];
  std::filesystem::path dir;
  bool Start(const std::filesystem::path& dir);
  /// Restarts server i on its data (after process.Kill()).
  bool Restart(int i);
  /// "nats://…,nats://…,nats://…"
  std::string Urls() const;
};

}  // namespace lookalike::cluster::testing

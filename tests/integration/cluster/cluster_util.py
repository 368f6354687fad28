"""What the cluster integration tests share: a whole local cluster driven through
scripts/cluster.sh (etcd, nats1..nats3, Lookalike nodes n1..n3 on free ports), plus small HTTP
helpers. Every cluster dies with the test process (LK_CLUSTER_OWNER_PID), even on a crash."""
import json
import os
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "cluster.sh")
NODES = ["n1", "n2", "n3"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def script(*args, cluster_dir, check=True, env=None, timeout=240):
    """Runs `scripts/cluster.sh ARGS DIR`; the processes die with this process (owner pid)."""
    full_env = dict(os.environ, LK_CLUSTER_OWNER_PID=str(os.getpid()))
    full_env.update(env or {})
    result = subprocess.run(["bash", SCRIPT, *args, cluster_dir], capture_output=True,
                            text=True, env=full_env, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"cluster.sh {' '.join(args)} failed: {result.stderr}")
    return result


def parse_env(text):
    """KEY=VALUE lines (`cluster.sh env`) as a dict."""
    return dict(line.split("=", 1) for line in text.split() if "=" in line)


def http_json(port, path, method="GET", body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return json.load(r)


def wait_for(what, predicate, seconds=60):
    """Polls until predicate() is true; connection errors count as 'not yet'."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class LocalCluster:
    """scripts/cluster.sh up/kill/start/status/down on one folder, with free node ports.

    `node_args`: extra `serve` arguments for every node (LK_NODE_ARGS)."""

    def __init__(self, binary, cluster_dir, node_args=""):
        self.dir = cluster_dir
        self.env = {"LOOKALIKE_BIN": binary, "LK_NODE_BASE_PORT": "0", "LK_NODE_ARGS": node_args}
        self.urls = {}

    def up(self):
        out = script("up", cluster_dir=self.dir, env=self.env).stdout
        self.urls = parse_env(out)
        ports = [int(u.rsplit(":", 1)[1]) for u in self.urls["LK_NODE_URLS"].split(",")]
        self.ports = dict(zip(NODES, ports))
        return self

    def kill(self, name):
        script("kill", name, cluster_dir=self.dir, env=self.env)

    def start(self, name):
        script("start", name, cluster_dir=self.dir, env=self.env)

    def status(self):
        """{name: True if running} from `cluster.sh status`."""
        lines = script("status", cluster_dir=self.dir, env=self.env).stdout.splitlines()
        return {line.split()[0]: line.split()[1] == "running" for line in lines}

    def down(self, check=False):
        return script("down", cluster_dir=self.dir, env=self.env, check=check)

    def running_nodes(self):
        status = self.status()
        return [n for n in NODES if status.get(n)]

    def health(self, name, index=""):
        return http_json(self.ports[name], "/_cluster/health" + (f"/{index}" if index else ""))

    def log(self, name):
        try:
            with open(os.path.join(self.dir, "logs", name + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def print_logs(self, tail=40):
        """The failure being handled (first: CI shows the start and the end of a long output),
        then the end of every process's log."""
        traceback.print_exc(file=sys.stdout)
        for name in ["etcd", "nats1", "nats2", "nats3"] + NODES:
            lines = self.log(name).splitlines()[-tail:]
            print(f"--- {name} (last {len(lines)} lines)\n" + "\n".join(lines), flush=True)

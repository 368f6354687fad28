#!/usr/bin/env python3
"""scripts/cluster.sh and `lookalike serve --cluster`: the local cluster comes up (etcd + three
JetStream servers), a node registers itself in etcd under a lease and leaves on SIGTERM, a
second node with the same name is refused, one NATS server is killed and restarted, and
`down` leaves nothing running. Everything is killed at the end, even on failure."""
import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from cluster_util import free_port, script


def etcd_get(etcd_url, key):
    body = json.dumps({"key": base64.b64encode(key.encode()).decode()}).encode()
    with urllib.request.urlopen(etcd_url + "/v3/kv/range", body, timeout=5) as r:
        kvs = json.load(r).get("kvs", [])
    return base64.b64decode(kvs[0]["value"]).decode() if kvs else None


def wait_for(what, predicate, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def answers(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def start_node(binary, tmp, name, port, env):
    log = open(os.path.join(tmp, f"{name}-{port}.log"), "w")
    return subprocess.Popen(
        [binary, "serve", "--data", os.path.join(tmp, name), "--port", str(port),
         "--cluster", "etcd=" + env["LK_ETCD_URL"], "--nats", env["LK_NATS_URLS"],
         "--node-name", name], stdout=log, stderr=subprocess.STDOUT)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    binary = parser.parse_args().binary
    tmp = tempfile.mkdtemp(prefix="lookalike-cluster-it-")
    cluster_dir = os.path.join(tmp, "cluster")
    nodes = []
    try:
        up = script("up", cluster_dir=cluster_dir)
        env = dict(line.split("=", 1) for line in up.stdout.split() if "=" in line)
        status = script("status", cluster_dir=cluster_dir).stdout
        assert status.count(" running ") == 4, status

        port = free_port()
        node = start_node(binary, tmp, "n1", port, env)
        nodes.append(node)
        wait_for("n1 to serve", lambda: answers(port))
        wait_for("n1 in etcd", lambda: etcd_get(env["LK_ETCD_URL"], "/lookalike/nodes/n1"))
        info = json.loads(etcd_get(env["LK_ETCD_URL"], "/lookalike/nodes/n1"))
        assert info == {"name": "n1", "http": f"127.0.0.1:{port}"}, info

        # Another process with the same --node-name (own data folder) is refused.
        same_name = subprocess.run(
            [binary, "serve", "--data", os.path.join(tmp, "n1b"), "--port", str(free_port()),
             "--cluster", "etcd=" + env["LK_ETCD_URL"], "--nats", env["LK_NATS_URLS"],
             "--node-name", "n1"], capture_output=True, text=True, timeout=60)
        assert same_name.returncode == 1, same_name.stderr
        assert "held by a live node" in same_name.stderr, same_name.stderr

        nats_only = subprocess.run(
            [binary, "serve", "--data", os.path.join(tmp, "n9"), "--port", str(free_port()),
             "--nats", env["LK_NATS_URLS"]], capture_output=True, text=True, timeout=60)
        assert nats_only.returncode == 2, nats_only.stderr

        script("kill", "nats2", cluster_dir=cluster_dir)
        assert "nats2 stopped" in script("status", cluster_dir=cluster_dir).stdout
        script("start", "nats2", cluster_dir=cluster_dir)
        assert "nats2 running" in script("status", cluster_dir=cluster_dir).stdout

        node.send_signal(signal.SIGTERM)
        assert node.wait(timeout=60) == 0
        # Left at once (lease revoked), not after the lease's TTL.
        assert etcd_get(env["LK_ETCD_URL"], "/lookalike/nodes/n1") is None

        script("down", cluster_dir=cluster_dir)
        status = script("status", cluster_dir=cluster_dir).stdout
        assert " running " not in status, status
        assert not [f for f in os.listdir(os.path.join(cluster_dir, "run")) if f.endswith(".pid")]
        print("ok")
    finally:
        for n in nodes:
            if n.poll() is None:
                n.kill()
                n.wait()
        script("down", cluster_dir=cluster_dir, check=False)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())

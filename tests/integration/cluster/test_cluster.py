#!/usr/bin/env python3
"""scripts/cluster.sh and `lookalike serve --cluster`: `up` brings etcd, three JetStream servers
and the Lookalike nodes n1..n3 up and returns with health green; each node is registered in
etcd under a lease; a second process with a live node's name is refused; `kill`/`start` of a
NATS server and of a Lookalike node (restarted at once on the same port and data, it takes its
registration over from its crashed self); a node leaves at once on SIGTERM; searches answer
while etcd is killed and the cluster is green again after its restart; `down` leaves nothing
running and a second `up` resumes the cluster with its data; fixed ports that are taken are
refused before anything starts; the owner-pid watchdog takes a whole cluster down when its
owner dies.
Everything is killed at the end, even on failure."""
import argparse
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from cluster_util import LocalCluster, free_port, http_json, script, wait_for


def etcd_get(etcd_url, key):
    body = json.dumps({"key": base64.b64encode(key.encode()).decode()}).encode()
    with urllib.request.urlopen(etcd_url + "/v3/kv/range", body, timeout=5) as r:
        kvs = json.load(r).get("kvs", [])
    return base64.b64decode(kvs[0]["value"]).decode() if kvs else None


def etcd_kv(etcd_url, key):
    """The key's record (value, lease, revisions) as etcd's JSON gateway gives it."""
    body = json.dumps({"key": base64.b64encode(key.encode()).decode()}).encode()
    with urllib.request.urlopen(etcd_url + "/v3/kv/range", body, timeout=5) as r:
        return json.load(r)["kvs"][0]


def pids(cluster_dir):
    run = os.path.join(cluster_dir, "run")
    out = {}
    for f in os.listdir(run):
        if f.endswith(".pid"):
            with open(os.path.join(run, f)) as fh:
                out[f[:-4]] = int(fh.read().strip())
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def check_membership_and_restarts(binary, tmp, cluster):
    etcd = cluster.urls["LK_ETCD_URL"]
    status = cluster.status()
    assert all(status[n] for n in ["etcd", "nats1", "nats2", "nats3", "n1", "n2", "n3"]), status
    for name, port in cluster.ports.items():
        assert http_json(port, "/")["name"] == name
        info = json.loads(etcd_get(etcd, "/lookalike/nodes/" + name))
        assert info == {"name": name, "http": f"127.0.0.1:{port}"}, info
    health = cluster.health("n2")
    assert health["status"] == "green" and health["number_of_nodes"] == 3, health

    # Another process with a live node's --node-name (own data folder) is refused.
    same_name = subprocess.run(
        [binary, "serve", "--data", os.path.join(tmp, "n1b"), "--port", str(free_port()),
         "--cluster", "etcd=" + etcd, "--nats", cluster.urls["LK_NATS_URLS"],
         "--node-name", "n1"], capture_output=True, text=True, timeout=60)
    assert same_name.returncode == 1, same_name.stderr
    assert "held by a live node" in same_name.stderr, same_name.stderr
    nats_only = subprocess.run(
        [binary, "serve", "--data", os.path.join(tmp, "n9"), "--port", str(free_port()),
         "--nats", cluster.urls["LK_NATS_URLS"]], capture_output=True, text=True, timeout=60)
    assert nats_only.returncode == 2, nats_only.stderr

    cluster.kill("nats2")
    assert not cluster.status()["nats2"]
    cluster.start("nats2")
    assert cluster.status()["nats2"]

    # kill -9 of a node and `start` at once: it comes back on the same port and data, before
    # its old lease expired, and takes its registration over (another folder would be refused).
    old_pid = pids(cluster.dir)["n3"]
    old_lease = etcd_kv(etcd, "/lookalike/nodes/n3")["lease"]
    cluster.kill("n3")
    assert not alive(old_pid) and not cluster.status()["n3"]
    cluster.start("n3")
    assert http_json(cluster.ports["n3"], "/")["name"] == "n3"
    assert "took over its registration" in cluster.log("n3")
    assert etcd_kv(etcd, "/lookalike/nodes/n3")["lease"] != old_lease
    assert pids(cluster.dir)["n3"] != old_pid
    wait_for("green with n3 back", lambda: cluster.health("n1")["status"] == "green" and
             cluster.health("n1")["number_of_nodes"] == 3)

    # A node started by hand leaves at once on SIGTERM (lease revoked, not after its TTL).
    port = free_port()
    with open(os.path.join(tmp, "n4.log"), "w") as log:
        n4 = subprocess.Popen(
            [binary, "serve", "--data", os.path.join(tmp, "n4"), "--port", str(port),
             "--cluster", "etcd=" + etcd, "--nats", cluster.urls["LK_NATS_URLS"],
             "--node-name", "n4"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for("n4 registered", lambda: etcd_get(etcd, "/lookalike/nodes/n4"))
        wait_for("n4 serves", lambda: http_json(port, "/")["name"] == "n4")
        n4.send_signal(signal.SIGTERM)
        assert n4.wait(timeout=60) == 0
        assert etcd_get(etcd, "/lookalike/nodes/n4") is None
    finally:
        if n4.poll() is None:
            n4.kill()
            n4.wait()


def check_down_and_up_again(cluster):
    """Searches answer while etcd is down; `down` leaves nothing running and keeps the data:
    `up` on the folder resumes it."""
    port = cluster.ports["n1"]
    http_json(port, "/kept", "PUT", {"settings": {"number_of_shards": 2,
                                                  "number_of_replicas": 1}})
    http_json(port, "/kept/_doc/1?refresh=wait_for", "PUT", {"title": "still here"})

    # etcd down: every node keeps answering searches from the last shard map it saw; once etcd
    # is back the cluster is green with three nodes again.
    cluster.kill("etcd")
    for name in ["n1", "n2", "n3"]:
        res = http_json(cluster.ports[name], "/kept/_search", "POST", {"query": {"match_all": {}}})
        assert res["hits"]["total"]["value"] == 1 and res["_shards"]["failed"] == 0, res
    cluster.start("etcd")
    wait_for("green with etcd back", lambda: cluster.health("n2")["status"] == "green" and
             cluster.health("n2")["number_of_nodes"] == 3)

    before = pids(cluster.dir)
    cluster.down(check=True)
    status = cluster.status()
    assert not any(status.values()), status
    assert not [f for f in os.listdir(os.path.join(cluster.dir, "run")) if f.endswith(".pid")]
    assert not [name for name, pid in before.items() if alive(pid)], before

    cluster.up()
    assert cluster.ports["n1"] == port  # the folder keeps its ports
    for name in ["n1", "n2", "n3"]:
        doc = http_json(cluster.ports[name], "/kept/_doc/1")
        assert doc["found"] and doc["_source"] == {"title": "still here"}, doc
        assert http_json(cluster.ports[name], "/kept/_count")["count"] == 1
    cluster.down(check=True)


def check_taken_port(binary, tmp):
    """Fixed node ports that are in use: `up` refuses before it starts anything."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        base = held.getsockname()[1]
        cluster_dir = os.path.join(tmp, "taken")
        result = script("up", cluster_dir=cluster_dir, check=False,
                        env={"LOOKALIKE_BIN": binary, "LK_NODE_BASE_PORT": str(base)})
    assert result.returncode != 0 and f"port {base} (n1) is in use" in result.stderr, result.stderr
    assert not [f for f in os.listdir(os.path.join(cluster_dir, "run")) if f.endswith(".pid")]


def check_watchdog(binary, tmp):
    """A cluster whose owner process dies is taken down by the watchdog, nodes included."""
    owner = subprocess.Popen(["sleep", "600"])
    cluster = LocalCluster(binary, os.path.join(tmp, "owned"))
    try:
        cluster.env["LK_CLUSTER_OWNER_PID"] = str(owner.pid)
        cluster.up()
        started = pids(cluster.dir)
        assert {"n1", "n2", "n3", "etcd", "watchdog"} <= set(started), started
        owner.kill()
        owner.wait()
        wait_for("the watchdog to take the cluster down",
                 lambda: not [n for n, pid in started.items() if alive(pid)], 60)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        cluster.down()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    binary = os.path.abspath(parser.parse_args().binary)
    tmp = tempfile.mkdtemp(prefix="lookalike-cluster-it-")
    cluster = LocalCluster(binary, os.path.join(tmp, "cluster"))
    try:
        started = time.time()
        cluster.up()
        print(f"cluster up in {time.time() - started:.1f} s")
        check_membership_and_restarts(binary, tmp, cluster)
        check_down_and_up_again(cluster)
        check_taken_port(binary, tmp)
        check_watchdog(binary, tmp)
        print("ok")
    except BaseException:
        cluster.print_logs()
        raise
    finally:
        cluster.down()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())

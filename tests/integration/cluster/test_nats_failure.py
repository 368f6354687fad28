#!/usr/bin/env python3
"""Issue 9, must show: kill -9 of one NATS server during a REST bulk load loses no acknowledged
write.

The local cluster (scripts/cluster.sh up): a 3-shard, 1-replica index receives documents through
plain `POST /_bulk` requests spread over n1..n3; in the middle of the load the NATS server that
leads most of the index's streams is killed with -9. A request that fails is not acknowledged
and is sent again (same ids) until it is; afterwards the count equals the acknowledged documents
and paging through the index finds exactly their ids, each once. The server is restarted and
rejoins: it answers, and its copy of every stream catches up to the same last sequence as the
others'; a load after that is stored too. Everything is killed at the end, even on failure."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from cluster_copies import converged, index_uuid
from cluster_util import LocalCluster, NODES, http_json, wait_for

TOTAL = 6000
CHUNK = 200


def bulk_body(ids):
    lines = []
    for i in ids:
        lines.append(json.dumps({"index": {"_index": "logs", "_id": str(i)}}))
        lines.append(json.dumps({"v": [float(i % 5), 1.0, 0.5, float(i % 11)], "n": i}))
    return ("\n".join(lines) + "\n").encode()


def post_bulk(port, ids):
    """True when the whole request was acknowledged (200, no item errors)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_bulk", data=bulk_body(ids),
                                     headers={"Content-Type": "application/x-ndjson"})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status == 200 and not json.load(r)["errors"]
    except (OSError, urllib.error.URLError, ValueError) as e:
        print(f"bulk at {ids[0]} on {port} failed ({e}); again")
        return False


class Loader:
    def __init__(self, ports):
        self.ports, self.acked, self.retries = ports, [], 0
        self.lock = threading.Lock()

    def load(self, ids, pause=0.0):
        for n, start in enumerate(range(0, len(ids), CHUNK)):
            chunk = ids[start:start + CHUNK]
            attempt = 0
            while not post_bulk(self.ports[(n + attempt) % len(self.ports)], chunk):
                attempt += 1
                assert attempt < 60, f"chunk at {chunk[0]} never acknowledged"
                time.sleep(0.5)
            with self.lock:
                self.acked.extend(chunk)
                self.retries += attempt
            time.sleep(pause)

    def acked_count(self):
        with self.lock:
            return len(self.acked)


def monitor_ports(cluster):
    with open(os.path.join(cluster.dir, "cluster.env")) as f:
        for line in f:
            if line.startswith("LK_NATS_MONITOR_PORTS="):
                ports = line.split("=", 1)[1].strip().strip('"').split()
                return {f"nats{i + 1}": int(p) for i, p in enumerate(ports)}
    raise AssertionError("no LK_NATS_MONITOR_PORTS in cluster.env")


def stream_states(port, uuid):
    """{stream: last_seq} of the index's streams as one NATS server holds them."""
    jsz = http_json(port, "/jsz?streams=true")
    out = {}
    for account in jsz.get("account_details", []):
        for stream in account.get("stream_detail", []):
            if stream["name"].startswith(f"LK_{uuid}_"):
                out[stream["name"]] = stream["state"]["last_seq"]
    return out


def stream_leaders(port, uuid):
    jsz = http_json(port, "/jsz?streams=true")
    leaders = {}
    for account in jsz.get("account_details", []):
        for stream in account.get("stream_detail", []):
            if stream["name"].startswith(f"LK_{uuid}_"):
                leaders[stream["name"]] = stream.get("cluster", {}).get("leader")
    return leaders


def all_ids(port):
    ids, after = [], None
    while True:
        body = {"size": 5000, "_source": False, "sort": [{"n": "asc"}]}
        if after is not None:
            body["search_after"] = after
        res = http_json(port, "/logs/_search", "POST", body)
        assert res["_shards"]["failed"] == 0, res["_shards"]
        hits = res["hits"]["hits"]
        if not hits:
            return ids
        ids.extend(h["_id"] for h in hits)
        after = hits[-1]["sort"]


def check_complete(cluster, acked):
    wait_for("every shard with 2 agreeing copies",
             lambda: converged(cluster, "logs", 3, 2, len(acked)), 120)
    port = cluster.ports["n1"]
    assert http_json(port, "/logs/_count")["count"] == len(acked)
    ids = all_ids(port)
    assert len(ids) == len(set(ids)) == len(acked), (len(ids), len(set(ids)), len(acked))
    assert set(ids) == {str(i) for i in acked}


def test(binary, tmp):
    cluster = LocalCluster(binary, os.path.join(tmp, "cluster"))
    try:
        started = time.time()
        cluster.up()
        port = cluster.ports["n1"]
        http_json(port, "/logs", "PUT", {
            "settings": {"number_of_shards": 3, "number_of_replicas": 1},
            "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": 4},
                                        "n": {"type": "long"}}}})
        uuid = index_uuid(cluster.urls["LK_ETCD_URL"], "logs")
        monitors = monitor_ports(cluster)
        wait_for("the index's 3 streams", lambda: len(stream_leaders(monitors["nats1"], uuid)) == 3)
        leaders = list(stream_leaders(monitors["nats1"], uuid).values())
        victim = max(monitors, key=leaders.count)
        print(f"stream leaders {leaders}; killing {victim}")

        loader = Loader([cluster.ports[n] for n in NODES])
        thread = threading.Thread(target=loader.load, args=(list(range(TOTAL)), 0.05))
        thread.start()
        wait_for("a third of the load", lambda: loader.acked_count() >= TOTAL // 3, 120)
        cluster.kill(victim)
        at_kill = loader.acked_count()
        assert thread.is_alive(), "the load ended before the kill"
        thread.join()
        print(f"killed {victim} after {at_kill} acknowledged documents; "
              f"{loader.retries} requests were sent again")
        assert sorted(loader.acked) == list(range(TOTAL))
        check_complete(cluster, loader.acked)

        # The server rejoins: it answers and its copies of the streams catch up.
        cluster.start(victim)
        survivor = next(n for n in monitors if n != victim)
        wait_for(f"{victim}'s streams caught up", lambda: stream_states(
            monitors[victim], uuid) == stream_states(monitors[survivor], uuid) and
            len(stream_states(monitors[victim], uuid)) == 3, 60)
        more = list(range(TOTAL, TOTAL + 1000))
        loader.load(more)
        check_complete(cluster, loader.acked)
        wait_for(f"{victim} holds the later writes too", lambda: stream_states(
            monitors[victim], uuid) == stream_states(monitors[survivor], uuid), 60)
        print(f"ok in {time.time() - started:.1f} s")
    except BaseException:
        cluster.print_logs()
        raise
    finally:
        cluster.down()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    binary = os.path.abspath(parser.parse_args().binary)
    tmp = tempfile.mkdtemp(prefix="lookalike-nats-failure-")
    try:
        test(binary, tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())

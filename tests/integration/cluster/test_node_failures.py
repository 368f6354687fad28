#!/usr/bin/env python3
"""Issue 9, must show: kill -9 of one Lookalike node in the middle of a bulk load, three times.

The local cluster (scripts/cluster.sh up: etcd, three JetStream servers, n1..n3) and the
python3-elasticsearch client given all three node addresses: a 3-shard, 1-replica index of
8-dimensional exact ("flat") vectors receives 20,000 documents in three bulk loads, and in the
middle of each load one node is killed with -9. n2, then n1, stay down until their lease
expired: their copies move to the others (rebuilt from the shards' logs) and health goes
yellow (an index wants a copy on every node), then green once the node is back and caught up.
n3 is restarted at once: it takes its registration over and keeps its copies, which catch up
from their recorded sequences (the shard map does not change). Chunks the client saw fail are
sent again (same ids) until acknowledged, so afterwards count == acknowledged and the ids found
by paging through the whole index are exactly the acknowledged ones, each once. During each
outage searches answer in full (every shard still has a live copy; knn searches sent straight to
the live nodes the whole time, not only the client's), and an index with no replicas shows
the dead node's shard in `_shards.failed` until that shard is rebuilt on a live node. The
restarted node's copy of the every-node index holds every document written while it was down.
Finally knn results over the three shards equal those of one plain node holding the same
documents. Everything is killed at the end, even on failure."""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import warnings

from elasticsearch import Elasticsearch, helpers

warnings.filterwarnings("ignore", category=DeprecationWarning)  # body= (7.17 client)

from cluster_copies import converged, copy_counts, index_uuid, shard_map
from cluster_util import LocalCluster, http_json, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
from lk_server import Server  # noqa: E402

DIM = 8
TOTAL = 20000
CHUNK = 250
# Each round's victim and how it comes back (round_with_kill).
KILLS = [("n2", "lost-fragile"), ("n1", "lost"), ("n3", "quick")]
VECTOR_MAPPING = {"properties": {
    "v": {"type": "knn_vector", "dimension": DIM, "method": {"name": "flat", "space_type": "l2"}},
    "n": {"type": "long"}}}


def vector(i):
    rng = random.Random(i)
    return [round(rng.uniform(-1, 1), 4) for _ in range(DIM)]


def actions(index, ids):
    for i in ids:
        yield {"_index": index, "_id": str(i), "_source": {"v": vector(i), "n": i}}


class Loader:
    """Bulk-loads chunks in a thread; a chunk that fails (connection lost, 5xx, item errors) is
    sent again until acknowledged. `acked` holds the ids of acknowledged chunks."""

    def __init__(self, es, index):
        self.es, self.index = es, index
        self.acked, self.failures = [], 0
        self.lock = threading.Lock()

    def load(self, ids, pause=0.0):
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            for attempt in range(60):
                try:
                    ok, errors = helpers.bulk(self.es, actions(self.index, chunk),
                                              chunk_size=CHUNK, raise_on_error=False)
                    if ok == len(chunk) and not errors:
                        break
                except Exception as e:  # noqa: BLE001 - not acknowledged: send it again
                    print(f"bulk chunk at {chunk[0]} failed ({type(e).__name__}); again")
                with self.lock:
                    self.failures += 1
                time.sleep(0.5)
            else:
                raise AssertionError(f"chunk at {chunk[0]} never acknowledged")
            with self.lock:
                self.acked.extend(chunk)
            time.sleep(pause)

    def acked_count(self):
        with self.lock:
            return len(self.acked)


def all_ids(es, index):
    """Every _id in the index, paging with search_after on the unique field n."""
    ids, after = [], None
    while True:
        body = {"size": 5000, "_source": False, "sort": [{"n": "asc"}],
                "query": {"match_all": {}}}
        if after is not None:
            body["search_after"] = after
        res = es.search(index=index, body=body)
        assert res["_shards"]["failed"] == 0, res["_shards"]
        hits = res["hits"]["hits"]
        if not hits:
            return ids
        ids.extend(h["_id"] for h in hits)
        after = hits[-1]["sort"]


def knn(es, index, q, k=10):
    res = es.search(index=index, body={"size": k, "query": {"knn": {"v": {"vector": q, "k": k}}}})
    return res, [(h["_id"], h["_score"]) for h in res["hits"]["hits"]]


def check_lost_shard(cluster, victim, live):
    """Right after the kill the shard map still names the victim: the 0-replica index's shard
    on it has no live copy, and searches say so in _shards (the others' hits come back)."""
    etcd = cluster.urls["LK_ETCD_URL"]
    lost = [s for s, copies in shard_map(etcd, "fragile").items() if copies == [victim]]
    assert lost, shard_map(etcd, "fragile")
    res = http_json(cluster.ports[live], "/fragile/_search", "POST", {"size": 100})
    shards = res["_shards"]
    assert shards["total"] == 3 and shards["failed"] == len(lost), shards
    assert {f["shard"] for f in shards["failures"]} == set(lost), shards
    assert 0 < len(res["hits"]["hits"]) < 90, len(res["hits"]["hits"])
    return lost


def outage(cluster, es, victim, everywhere_acked):
    """While `victim` is down: searches answer and writes go on."""
    res, hits = knn(es, "vecs", vector(-1))
    assert len(hits) == 10 and res["_shards"]["failed"] == 0, res["_shards"]
    count = es.count(index="vecs")
    assert count["_shards"]["failed"] == 0 and count["count"] > 0, count
    # Documents written while the victim is down, into an index that wants a copy on it.
    ids = list(range(len(everywhere_acked), len(everywhere_acked) + 100))
    ok, errors = helpers.bulk(es, actions("everywhere", ids), raise_on_error=False)
    assert ok == 100 and not errors, errors
    everywhere_acked.extend(ids)


class Searcher:
    """knn searches sent straight to the live nodes (no client-side retry) until stopped;
    every answer must be complete: 10 hits, no failed shard."""

    def __init__(self, cluster, live):
        self.cluster, self.live = cluster, live
        self.answers, self.problems = 0, []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        n = 0
        while not self.stop.is_set():
            node = self.live[n % len(self.live)]
            body = {"size": 10, "query": {"knn": {"v": {"vector": vector(-1000 - n), "k": 10}}}}
            try:
                res = http_json(self.cluster.ports[node], "/vecs/_search", "POST", body, 30)
                if res["_shards"]["failed"] or len(res["hits"]["hits"]) != 10:
                    self.problems.append((node, res["_shards"], len(res["hits"]["hits"])))
                self.answers += 1
            except Exception as e:  # noqa: BLE001 - a search that did not answer
                self.problems.append((node, repr(e)))
            n += 1
            time.sleep(0.1)

    def finish(self):
        self.stop.set()
        self.thread.join()
        assert self.answers > 0 and not self.problems, (self.answers, self.problems[:5])
        return self.answers


def round_with_kill(cluster, es, loader, ids, victim, everywhere_acked, mode):
    """mode "lost": the victim stays down until its lease expired (its copies move to the
    others; with "fragile" also checked), then restarts; "quick": it restarts at once, takes
    its registration over and keeps its copies, which catch up from their recorded sequence."""
    etcd = cluster.urls["LK_ETCD_URL"]
    map_before = shard_map(etcd, "vecs")
    before = loader.acked_count()
    thread = threading.Thread(target=loader.load, args=(ids, 0.05))
    thread.start()
    wait_for("a third of the load", lambda: loader.acked_count() - before >= len(ids) // 3, 120)
    cluster.kill(victim)
    assert thread.is_alive(), "the load ended before the kill"
    live_nodes = [n for n in cluster.running_nodes() if n != victim]
    live = live_nodes[0]
    searcher = Searcher(cluster, live_nodes)
    if mode == "lost-fragile":
        lost = check_lost_shard(cluster, victim, live)
    outage(cluster, es, victim, everywhere_acked)
    if mode != "quick":
        wait_for("yellow without " + victim, lambda: cluster.health(live)["status"] == "yellow")
        assert cluster.health(live)["number_of_nodes"] == 2, cluster.health(live)
    if mode == "lost-fragile":
        # Once the victim's lease expired, its shard of "fragile" is rebuilt from the log on a
        # live node: nothing of it was lost.
        wait_for("fragile complete again", lambda: http_json(
            cluster.ports[live], "/fragile/_count")["count"] == 90, 90)
        res = http_json(cluster.ports[live], "/fragile/_search", "POST", {"size": 100})
        assert res["_shards"]["failed"] == 0 and len(res["hits"]["hits"]) == 90, lost
    cluster.start(victim)
    thread.join()
    wait_for("green after %s rejoined" % victim,
             lambda: cluster.health(victim)["status"] == "green", 120)
    print(f"  {searcher.finish()} searches during the outage and rejoin, all complete")
    if mode == "quick":
        log = cluster.log(victim)
        assert "took over its registration" in log
        # Its copies were reopened, not created afresh (which replays the stream from 1).
        after_restart = log[log.rindex("took over its registration"):]
        assert "local copy vecs~" not in after_restart, after_restart[-2000:]
        assert shard_map(etcd, "vecs") == map_before, (map_before, shard_map(etcd, "vecs"))
        wait_for(f"{victim}'s own copies caught up",
                 lambda: converged(cluster, "vecs", 3, 2, loader.acked_count()), 120)
    # Caught up: the restarted node's copy of "everywhere" holds what was written without it.
    uuid = index_uuid(etcd, "everywhere")
    wait_for(f"{victim}'s copy of everywhere caught up", lambda: http_json(
        cluster.ports[victim], f"/everywhere~0~{uuid}/_count")["count"] == len(everywhere_acked))


def check_single_node_equality(binary, es, tmp):
    """knn over the three shards == knn on one plain node with the same documents."""
    with Server(binary, data_dir=os.path.join(tmp, "single")).start() as single:
        status, body = single.json("PUT", "/vecs", {"mappings": VECTOR_MAPPING})
        assert status == 200, body
        one = Elasticsearch([f"http://127.0.0.1:{single.port}"])
        ok, errors = helpers.bulk(one, actions("vecs", range(TOTAL)), chunk_size=2000,
                                  refresh="wait_for")
        assert ok == TOTAL and not errors, errors
        for s in range(5):
            q = vector(-100 - s)
            got_res, got = knn(es, "vecs", q)
            _, want = knn(one, "vecs", q)
            assert got_res["_shards"] == {"total": 3, "successful": 3, "skipped": 0,
                                          "failed": 0}, got_res["_shards"]
            assert got == want, (got, want)


def test(binary, tmp):
    cluster = LocalCluster(binary, os.path.join(tmp, "cluster"))
    try:
        started = time.time()
        cluster.up()
        print(f"cluster up in {time.time() - started:.1f} s")
        es = Elasticsearch([f"http://127.0.0.1:{p}" for p in cluster.ports.values()],
                           max_retries=3, retry_on_timeout=True, timeout=60)
        es.indices.create(index="vecs", body={
            "settings": {"number_of_shards": 3, "number_of_replicas": 1},
            "mappings": VECTOR_MAPPING})
        # Wants a copy on every node: yellow whenever one is missing, and the restarted node
        # must catch up on it.
        es.indices.create(index="everywhere", body={
            "settings": {"number_of_shards": 1, "number_of_replicas": 2},
            "mappings": VECTOR_MAPPING})
        # No replicas: a dead node's shard has no live copy until it is rebuilt elsewhere.
        es.indices.create(index="fragile", body={
            "settings": {"number_of_shards": 3, "number_of_replicas": 0},
            "mappings": VECTOR_MAPPING})
        ok, _ = helpers.bulk(es, actions("fragile", range(90)), refresh="wait_for")
        assert ok == 90
        wait_for("green", lambda: cluster.health("n1")["status"] == "green", 60)
        loader = Loader(es, "vecs")
        everywhere_acked = []
        per_round = TOTAL // len(KILLS) + 1
        for r, (victim, mode) in enumerate(KILLS):
            ids = list(range(r * per_round, min(TOTAL, (r + 1) * per_round)))
            round_started = time.time()
            round_with_kill(cluster, es, loader, ids, victim, everywhere_acked, mode)
            print(f"round {r + 1}: killed {victim} ({mode}), {len(ids)} documents, "
                  f"{time.time() - round_started:.1f} s")
        print(f"{loader.failures} chunk attempts failed and were sent again")

        assert sorted(loader.acked) == list(range(TOTAL))
        wait_for("every shard of vecs with 2 agreeing copies",
                 lambda: converged(cluster, "vecs", 3, 2, TOTAL), 120)
        assert es.count(index="vecs")["count"] == TOTAL
        ids = all_ids(es, "vecs")
        assert len(ids) == len(set(ids)) == TOTAL, (len(ids), len(set(ids)))
        assert set(ids) == {str(i) for i in loader.acked}
        print("copies:", copy_counts(cluster, "vecs"))
        check_single_node_equality(binary, es, tmp)
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
    tmp = tempfile.mkdtemp(prefix="lookalike-node-failures-")
    try:
        test(binary, tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())

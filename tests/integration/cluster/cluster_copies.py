"""Where the copies of an index's shards are (etcd's shard map) and what each copy holds (its
local index `<index>~<shard>~<uuid>` asked on its own node, so the answer is that copy's and
not a cluster-wide one)."""
import base64
import json
import urllib.request

from cluster_util import http_json


def etcd_prefix(etcd_url, prefix):
    """{key: value} of every key under prefix."""
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    body = json.dumps({"key": base64.b64encode(prefix.encode()).decode(),
                       "range_end": base64.b64encode(end.encode()).decode()}).encode()
    with urllib.request.urlopen(etcd_url + "/v3/kv/range", body, timeout=5) as r:
        kvs = json.load(r).get("kvs", [])
    return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode()
            for kv in kvs}


def index_uuid(etcd_url, index):
    value = etcd_prefix(etcd_url, "/lookalike/indices/" + index).get("/lookalike/indices/" + index)
    return json.loads(value)["uuid"]


def shard_map(etcd_url, index):
    """{shard: [node, …]} (primary first) from /lookalike/shards/<uuid>/<shard>."""
    uuid = index_uuid(etcd_url, index)
    out = {}
    for key, value in etcd_prefix(etcd_url, f"/lookalike/shards/{uuid}/").items():
        a = json.loads(value)
        out[int(key.rsplit("/", 1)[1])] = ([a["primary"]] if a["primary"] else []) + a["replicas"]
    return out


def copy_counts(cluster, index, nodes=None):
    """{shard: {node: doc count of that node's copy}} for the copies the shard map lists on
    running nodes (a copy not opened yet is left out)."""
    etcd = cluster.urls["LK_ETCD_URL"]
    uuid = index_uuid(etcd, index)
    running = set(nodes if nodes is not None else cluster.running_nodes())
    out = {}
    for shard, copies in shard_map(etcd, index).items():
        out[shard] = {}
        for node in copies:
            if node not in running:
                continue
            try:
                count = http_json(cluster.ports[node], f"/{index}~{shard}~{uuid}/_count")["count"]
            except OSError:
                continue
            out[shard][node] = count
    return out


def converged(cluster, index, shards, copies, total, nodes=None):
    """Every shard has `copies` copies on running nodes, they agree, and they sum to total."""
    by_shard = copy_counts(cluster, index, nodes)
    if sorted(by_shard) != list(range(shards)):
        return False
    for counts in by_shard.values():
        if len(counts) != copies or len(set(counts.values())) != 1:
            return False
    return sum(next(iter(c.values())) for c in by_shard.values()) == total

"""ingest-images --crops N end to end (issue 12 item 4): a close-up finds its photo.

1. A folder of generated pictures (coloured discs and bars on gradients, written as BMP by this
   script, deterministic) is ingested with --crops 2 --data: every document holds its
   whole-image vector and a nested "crops" field of 5 entries (the whole image first), each an
   "emb" of the model's size and a "box" [x, y, w, h] inside the image.
2. Malformed --crops values (0, 99, a word, 2.5) exit non-zero with one clear message and
   create nothing; plain ingest into the crops index (no --crops) is refused; --crops into a
   plain index is refused.
3. search-image on a close-up (half of each side of one picture, enlarged ×2) returns its source
   first (the crops field is searched by default); --whole searches the whole-image field.
4. lookalike serve on the same data directory: GET _doc shows the crops, the image upload
   (POST _search/image) and the neural query on crops.emb find the source of the close-up
   first, with no vectors in _source;
   after a restart the index answers the same, and a re-run of ingest-images changes nothing.
   `dedup` without --field reports on the whole-image field.
Usage: test_crops.py --binary BUILD/lookalike --models BUILD/models
"""
import base64
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
from lk_server import Server, check, run_main  # noqa: E402

MODEL = "mobilenet_v2_b10"  # the small packaged model: 384 dims, the quickest to run
INDEX = "photos"
W, H = 320, 240


def arg(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def write_bmp(path, width, height, rgb):
    """24-bit BMP, bottom-up rows, BGR, rows padded to 4 bytes."""
    pad = (4 - width * 3 % 4) % 4
    rows = []
    for y in range(height - 1, -1, -1):
        row = bytearray(rgb[y * width * 3:(y + 1) * width * 3])
        row[0::3], row[2::3] = row[2::3], row[0::3]
        rows.append(bytes(row) + b"\0" * pad)
    data = b"".join(rows)
    header = struct.pack("<2sIHHI", b"BM", 54 + len(data), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(data), 2835, 2835, 0, 0)
    with open(path, "wb") as f:
        f.write(header + info + data)


def picture(rng):
    """A W x H picture: a vertical gradient with 40 random filled discs and bars, coloured from
    a palette of its own (so that a part of it shares its colours, as a photo's parts do)."""
    palette = [bytes(rng.randrange(256) for _ in range(3)) for _ in range(4)]
    px = bytearray(W * H * 3)
    top = [rng.randrange(256) for _ in range(3)]
    bottom = [rng.randrange(256) for _ in range(3)]
    for y in range(H):
        c = bytes(int(top[i] + (bottom[i] - top[i]) * y / H) for i in range(3))
        px[y * W * 3:(y + 1) * W * 3] = c * W
    for _ in range(40):
        colour = rng.choice(palette)
        cx, cy, r = rng.randrange(W), rng.randrange(H), rng.randrange(6, 40)
        disc = rng.random() < 0.5
        for y in range(max(0, cy - r), min(H, cy + r)):
            half = int((r * r - (y - cy) ** 2) ** 0.5) if disc else r // 2
            x0, x1 = max(0, cx - half), min(W, cx + half)
            if x1 > x0:
                px[(y * W + x0) * 3:(y * W + x1) * 3] = colour * (x1 - x0)
    return px


def close_up(px, rng, fraction=0.5, scale=2):
    """A region of `fraction` of each side at a random place, enlarged `scale` times."""
    cw, ch = int(W * fraction), int(H * fraction)
    x0, y0 = rng.randrange(W - cw), rng.randrange(H - ch)
    out = bytearray()
    for y in range(ch * scale):
        sy = y0 + y // scale
        row = bytearray()
        for x in range(cw * scale):
            i = (sy * W + x0 + x // scale) * 3
            row += px[i:i + 3]
        out += row
    return cw * scale, ch * scale, out


def run(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def multipart(fields):
    boundary = "----lookalike" + uuid.uuid4().hex
    out = b""
    for name, value, filename in fields:
        out += b"--" + boundary.encode() + b"\r\n"
        disp = 'form-data; name="%s"' % name + ('; filename="%s"' % filename if filename else "")
        out += b"Content-Disposition: " + disp.encode() + b"\r\n\r\n" + value + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return out, "multipart/form-data; boundary=" + boundary


def upload_search(server, path):
    body, ctype = multipart([("file", open(path, "rb").read(), "q.bmp"), ("k", b"3", None)])
    status, data = server.request("POST", "/%s/_search/image" % INDEX, body,
                                  headers={"Content-Type": ctype})
    check(status == 200, "upload search: %s %s" % (status, data[:300]))
    return json.loads(data)


def cli_search(binary, models, data, query, *extra):
    rc, out, err = run(binary, "search-image", query, "--index", INDEX, "--data", data,
                       "--models", models, "-k", "3", "--json", *extra)
    check(rc == 0, "search-image failed: %s" % err)
    return json.loads(out)


def test(binary):
    models = arg("--models", os.path.join(os.path.dirname(binary), "models"))
    work = tempfile.mkdtemp(prefix="lookalike-crops-it-")
    server = None
    try:
        images, data = os.path.join(work, "images"), os.path.join(work, "data")
        os.makedirs(os.path.join(images, "gen"))
        rng = random.Random(12)
        pictures = {}
        for i in range(10):
            rel = "gen/pic%02d.bmp" % i
            pictures[rel] = picture(rng)
            write_bmp(os.path.join(images, rel), W, H, pictures[rel])

        # --- 2a. malformed values: nothing is created
        for bad in ["0", "99", "two", "2.5"]:
            rc, _, err = run(binary, "ingest-images", images, "--index", INDEX, "--data", data,
                             "--models", models, "--model", MODEL, "--crops", bad)
            check(rc != 0, "--crops %s accepted" % bad)
            check("integer from 2 to 4" in err and "'%s'" % bad in err, "message: " + err)
        check(not os.path.exists(os.path.join(data, "indices")) or
              not os.listdir(os.path.join(data, "indices")), "a bad flag created something")

        # --- 1. ingest with crops
        rc, _, err = run(binary, "ingest-images", images, "--index", INDEX, "--data", data,
                         "--models", models, "--model", MODEL, "--crops", "2", "--no-progress")
        check(rc == 0 and "10 indexed" in err, "ingest --crops 2: %s" % err)

        # --- 2b. the index's kind is kept
        rc, _, err = run(binary, "ingest-images", images, "--index", INDEX, "--data", data,
                         "--models", models, "--no-progress")
        check(rc != 0 and "give --crops again" in err, "plain re-run into crops index: %s" % err)
        rc, _, err = run(binary, "ingest-images", images, "--index", "plain", "--data", data,
                         "--models", models, "--model", MODEL, "--no-progress")
        check(rc == 0, "plain ingest: %s" % err)
        rc, _, err = run(binary, "ingest-images", images, "--index", "plain", "--data", data,
                         "--models", models, "--crops", "3", "--no-progress")
        check(rc != 0 and "created without --crops" in err, "--crops into plain index: %s" % err)

        # --- 3. close-ups through the CLI
        queries = []
        for i, rel in enumerate(sorted(pictures)[:5]):
            w, h, px = close_up(pictures[rel], random.Random(100 + i))
            q = os.path.join(work, "closeup%d.bmp" % i)
            write_bmp(q, w, h, px)
            queries.append((q, rel))
        whole_first = 0
        for q, rel in queries:
            hits = cli_search(binary, models, data, q)["hits"]["hits"]
            check(hits[0]["_source"]["rel_path"] == rel,
                  "close-up of %s found %s" % (rel, [h["_source"]["rel_path"] for h in hits]))
            check("crops" not in hits[0]["_source"] and "embedding" not in hits[0]["_source"],
                  "vectors in the hits")
            whole = cli_search(binary, models, data, q, "--whole")["hits"]["hits"]
            whole_first += whole[0]["_source"]["rel_path"] == rel
        print("close-ups with their source first: crops 5/5, whole-image vectors %d/5"
              % whole_first)
        # The picture itself still comes first.
        full = os.path.join(images, sorted(pictures)[3])
        hits = cli_search(binary, models, data, full)["hits"]["hits"]
        check(hits[0]["_source"]["rel_path"] == sorted(pictures)[3], "whole picture: %s" % hits)

        # The near-duplicate report takes the whole-image field without --field (the crops,
        # a nested field, cannot be reported on).
        rc, out, err = run(binary, "dedup", "--index", INDEX, "--data", data, "--format", "json")
        check(rc == 0 and "groups" in json.loads(out), "dedup on a crops index: %s %s" % (out, err))

        # --- 4. the server on the same data; then a restart
        server = Server(binary, data_dir=data, extra_args=["--models", models]).start()
        answers = []
        for restart in range(2):
            status, m = server.json("GET", "/%s/_mapping" % INDEX)
            crops_map = m[INDEX]["mappings"]["properties"]["crops"]
            check(crops_map["type"] == "nested" and
                  crops_map["properties"]["emb"]["model"] == MODEL, "mapping: %s" % crops_map)
            status, hits = server.json("POST", "/%s/_search" % INDEX, {
                "size": 1, "query": {"term": {"rel_path": sorted(pictures)[0]}}})
            doc = hits["hits"]["hits"][0]["_source"]
            crops = doc["crops"]
            check(len(crops) == 5, "%d crops" % len(crops))
            check(crops[0]["box"] == [0, 0, W, H], "first entry is the whole image: %s"
                  % crops[0]["box"])
            for c in crops:
                x, y, w, h = c["box"]
                check(len(c["emb"]) == 384 and 0 <= x and 0 <= y and x + w <= W and y + h <= H
                      and w > 0 and h > 0, "crop entry %s" % c["box"])
            check(len({tuple(c["box"]) for c in crops}) == 5, "boxes not distinct")
            status, stats = server.json("GET", "/%s/_stats" % INDEX)
            vectors = stats["indices"][INDEX]["knn"]["fields"]["crops.emb"]["vectors"]
            check(vectors == 50, "crops.emb holds %s vectors, want 50" % vectors)
            got = []
            for q, rel in queries:
                body = upload_search(server, q)
                top = body["hits"]["hits"][0]
                check(top["_source"]["rel_path"] == rel, "upload: %s" % top["_source"])
                check("crops" not in top["_source"] and "embedding" not in top["_source"],
                      "vectors in the upload's hits")
                got.append([(h["_id"], round(h["_score"], 5)) for h in body["hits"]["hits"]])
            # The neural query names its field: crops.emb searches the crops (model recorded
            # in the nested mapping).
            q, rel = queries[0]
            status, body = server.json("POST", "/%s/_search" % INDEX, {
                "size": 1, "_source": ["rel_path"], "query": {"neural": {"crops.emb": {
                    "query_image": base64.b64encode(open(q, "rb").read()).decode(), "k": 3}}}})
            check(status == 200 and body["hits"]["hits"][0]["_source"]["rel_path"] == rel,
                  "neural on crops.emb: %s %s" % (status, body))
            answers.append(got)
            if restart == 0:
                check(server.stop() == 0, "server did not stop cleanly")
                server.start()
        check(answers[0] == answers[1], "answers changed after the restart: %s" % answers)
        server.stop()
        server = None
        rc, _, err = run(binary, "ingest-images", images, "--index", INDEX, "--data", data,
                         "--models", models, "--crops", "2", "--no-progress")
        check(rc == 0 and "0 indexed" in err and "10 unchanged" in err, "re-run: %s" % err)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run_main(test)

"""The near-duplicate report on real images, end to end.

1. A folder of clip-art originals (openclipart-png, several categories) plus planted copies of
   some of them, made at test time by plant_copies (resized to 60%, recompressed as JPEG
   quality 35, cropped 5% per side), indexed with `lookalike ingest-images` (MobileNetV2).
2. POST /{index}/_near_duplicates finds the planted groups: precision and recall over pairs
   (a pair counts when both documents are in one reported group) are printed and must reach
   the thresholds below; groups are complete (every pair of a group scores >= min_score, so
   min_score of a group is >= the request's); output order is deterministic.
3. Bad requests: malformed bodies are 400 parsing_exception, an unknown index 404, a field that
   is not a vector 400; with security on a viewer (read privilege) may run the report.
4. `lookalike dedup` against the server: json, csv (one row per document) and html (a standalone
   page with every member's thumbnail embedded as a data: URI).
Usage: test_near_duplicates.py --binary BUILD/lookalike --models BUILD/models --plant BUILD/...
"""
import csv
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
from lk_server import Server, add_user, basic_auth, check, find_binary  # noqa: E402

CLIPART = "/usr/share/openclipart/png"
CATEGORIES = ["animals/birds", "food/fruit", "signs_and_symbols/flags", "buildings",
              "animals/mammals", "plants"]
PER_CATEGORY = 8
PLANT_EVERY = 3        # every third original gets three planted copies
INDEX = "dupes"
MIN_SCORE = 0.93       # cosinesimil _score (1 + cos) / 2: cosine >= 0.86 (see the sweep)
MIN_RECALL = 0.9
MIN_PRECISION = 0.8
SWEEP = [0.90, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97]


def arg(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])


def pick_originals():
    picked = []
    for category in CATEGORIES:
        folder = os.path.join(CLIPART, category)
        if not os.path.isdir(folder):
            continue
        n = 0
        for f in sorted(os.listdir(folder)):
            p = os.path.join(folder, f)
            if f.endswith(".png") and os.path.isfile(p) and png_size(p)[0] * png_size(p)[1] <= 1_000_000:
                picked.append(p)
                n += 1
            if n == PER_CATEGORY:
                break
    check(len(picked) >= 24, "not enough clip art: %d images" % len(picked))
    return picked


def make_folder(root, plant):
    """Copies the originals into root/orig and plants copies into root/copies. Returns the
    planted groups as sets of paths relative to root."""
    os.makedirs(os.path.join(root, "orig"))
    os.makedirs(os.path.join(root, "copies"))
    groups = []
    for i, src in enumerate(pick_originals()):
        name = "%02d-%s" % (i, os.path.basename(src))
        dst = os.path.join(root, "orig", name)
        shutil.copy(src, dst)
        if i % PLANT_EVERY:
            continue
        stem = os.path.splitext(name)[0]
        subprocess.run([plant, dst, os.path.join(root, "copies", stem)], check=True)
        groups.append({"orig/" + name} | {"copies/%s-%s.jpg" % (stem, kind)
                                          for kind in ("resized", "recompressed", "cropped")})
    return groups


def pairs_of(groups):
    out = set()
    for g in groups:
        members = sorted(g)
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                out.add((members[a], members[b]))
    return out


def run(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def report(server, body):
    status, data = server.request("POST", "/%s/_near_duplicates" % INDEX, body)
    return status, json.loads(data) if data else None


def id_paths(server):
    status, body = server.json("POST", "/%s/_search" % INDEX,
                               {"size": 1000, "_source": ["path"], "query": {"match_all": {}}})
    check(status == 200, "search: %s" % status)
    return {h["_id"]: h["_source"]["path"] for h in body["hits"]["hits"]}


def relative(path, root):
    return os.path.relpath(path, root) if os.path.isabs(path) else path


def test(binary):
    models = arg("--models", os.path.join(os.path.dirname(binary), "models"))
    plant = arg("--plant")
    work = tempfile.mkdtemp(prefix="lookalike-dedup-it-")
    try:
        images = os.path.join(work, "images")
        data = os.path.join(work, "data")
        planted = make_folder(images, plant)
        rc, out, err = run(binary, "ingest-images", images, "--index", INDEX, "--data", data,
                           "--models", models, "--no-progress")
        check(rc == 0, "ingest-images failed: %s %s" % (out, err))
        add_user(binary, data, "viewer1", "viewer-password", roles="viewer")
        add_user(binary, data, "admin1", "admin-password", roles="superuser")
        admin = basic_auth("admin1", "admin-password")
        with Server(binary, data_dir=data, auth=admin,
                    extra_args=["--models", models, "--image-root", images,
                                "--security"]).start() as server:
            paths = {i: relative(p, images) for i, p in id_paths(server).items()}
            check(len(paths) == len(os.listdir(os.path.join(images, "orig"))) +
                  len(os.listdir(os.path.join(images, "copies"))), "not everything was indexed")

            # --- 2. the planted groups; first the precision/recall curve over min_score
            for sweep in SWEEP:
                status, body = report(server, {"min_score": sweep, "max_groups": 0})
                check(status == 200, "report: %s %s" % (status, body))
                got = pairs_of([{paths[i] for i in g["ids"]} for g in body["groups"]])
                truth = pairs_of(planted)
                print("sweep min_score %.3f: %d groups, pairs %d found / %d planted / %d correct, "
                      "precision %.3f, recall %.3f" % (
                          sweep, len(body["groups"]), len(got), len(truth), len(truth & got),
                          len(truth & got) / len(got) if got else 0.0, len(truth & got) / len(truth)))
            status, body = report(server, {"field": "embedding", "min_score": MIN_SCORE,
                                           "max_groups": 0})
            check(status == 200, "report: %s %s" % (status, body))
            found = [{paths[i] for i in g["ids"]} for g in body["groups"]]
            truth, got = pairs_of(planted), pairs_of(found)
            recall = len(truth & got) / len(truth)
            precision = len(truth & got) / len(got) if got else 0.0
            print("near duplicates at min_score %.3f: %d groups, %d planted; pairs: %d found, "
                  "%d planted, %d correct; precision %.3f, recall %.3f; %d docs, took %d ms"
                  % (MIN_SCORE, len(found), len(planted), len(got), len(truth),
                     len(truth & got), precision, recall, body["docs_scanned"], body["took"]))
            for g in body["groups"]:
                print("  %.4f %s" % (g["min_score"], sorted(paths[i] for i in g["ids"])))
            check(recall >= MIN_RECALL, "recall %.3f below %.2f" % (recall, MIN_RECALL))
            check(precision >= MIN_PRECISION, "precision %.3f below %.2f" % (precision, MIN_PRECISION))
            check(body["docs_scanned"] == len(paths), "docs_scanned %s" % body["docs_scanned"])
            check(body["total_groups"] == len(body["groups"]), "max_groups 0 lists them all")
            sizes = [g["doc_count"] for g in body["groups"]]
            check(sizes == sorted(sizes, reverse=True), "largest group first: %s" % sizes)
            for g in body["groups"]:
                check(g["ids"] == sorted(g["ids"]), "ids sorted")
                check(g["min_score"] >= MIN_SCORE, "group below min_score: %s" % g)
            # Deterministic: the same report again; the default field is the only vector field.
            status, again = report(server, {"min_score": MIN_SCORE, "max_groups": 0})
            check(status == 200 and again["groups"] == body["groups"], "a second report differs")
            status, small = report(server, {"min_score": MIN_SCORE, "max_groups": 2, "size": 1})
            check(status == 200 and len(small["groups"]) == min(2, len(body["groups"])) and
                  all(len(g["ids"]) == 1 for g in small["groups"]) and
                  small["total_groups"] == body["total_groups"], "max_groups/size: %s" % small)

            # --- 3. bad requests and privileges
            for bad in ['{"min_score":', '[]', '{"field":"embedding"}', '{"min_score":"high"}',
                        '{"min_score":0.9,"max_groups":-1}', '{"min_score":0.9,"k":5}']:
                status, err = report(server, bad)
                check(status == 400 and err["error"]["type"] == "parsing_exception",
                      "%s -> %s %s" % (bad, status, err))
            status, err = server.json("POST", "/nope/_near_duplicates", {"min_score": 0.9})
            check(status == 404 and err["error"]["type"] == "index_not_found_exception",
                  "unknown index: %s %s" % (status, err))
            status, err = report(server, {"field": "path", "min_score": 0.9})
            check(status == 400 and err["error"]["type"] == "illegal_argument_exception",
                  "not a vector field: %s %s" % (status, err))
            status, _ = server.request("POST", "/%s/_near_duplicates" % INDEX,
                                       {"min_score": MIN_SCORE},
                                       headers={"Authorization": basic_auth("viewer1", "viewer-password")})
            check(status == 200, "a viewer may read the report: %s" % status)
            status, _ = server.request("POST", "/%s/_near_duplicates" % INDEX,
                                       {"min_score": MIN_SCORE}, headers={"Authorization": ""})
            check(status == 401, "anonymous report: %s" % status)

            # --- 4. the CLI
            common = ["dedup", "--index", INDEX, "--server", server.url, "--user",
                      "admin1:admin-password", "--min-score", str(MIN_SCORE)]
            rc, out, err = run(binary, *common)
            check(rc == 0 and json.loads(out)["groups"] == body["groups"], "dedup json: %s" % err)
            rc, out, err = run(binary, *common, "--format", "csv")
            check(rc == 0, "dedup csv: %s" % err)
            rows = list(csv.DictReader(io.StringIO(out)))
            check(len(rows) == sum(len(g["ids"]) for g in body["groups"]), "csv rows: %d" % len(rows))
            check(rows[0]["id"] == body["groups"][0]["ids"][0] and rows[0]["group"] == "1",
                  "csv first row: %s" % rows[0])
            page = os.path.join(work, "dupes.html")
            rc, out, err = run(binary, *common, "--format", "html", "--output", page)
            check(rc == 0, "dedup html: %s" % err)
            html = open(page, encoding="utf-8").read()
            members = sum(len(g["ids"]) for g in body["groups"])
            check(html.count("data:image/jpeg;base64,") == members,
                  "html: %d thumbnails for %d members" % (html.count("data:image/jpeg;base64,"),
                                                          members))
            check(html.startswith("<!doctype html>") and "Group 1:" in html, "html page shape")
            rc, _, err = run(binary, "dedup", "--index", INDEX, "--server", server.url, "--user",
                             "admin1:admin-password", "--format", "xml")
            check(rc == 2 and "--format" in err, "bad --format: %s %s" % (rc, err))
        print("PASS")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        test(find_binary(sys.argv))
    except Exception:
        import traceback
        traceback.print_exc()
        sys.exit(1)

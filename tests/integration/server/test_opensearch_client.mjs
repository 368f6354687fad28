// @opensearch-project/opensearch (npm, tools/node) against `lookalike serve`: the same subset as
// the python test (issue 3, item 6, second bullet) at N = 10,000 × 1,280 (LOOKALIKE_IT_N_JS):
// knn mapping, helpers.bulk in batches of 200, refresh, knn search with _source false and
// recall@10 >= 0.95 vs brute force, filtered knn, bool queries, get/update/delete, and errors
// raised as the client's ResponseError with the right status and type.
// With --secure the run happens with security on: a superuser made with `lookalike users add`,
// the client authenticating with its own `auth: {username, password}`; at the end a client
// without credentials gets 401 and a viewer gets 403 on a write.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, openSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const require = createRequire(path.join(repo, 'tools', 'node', 'package.json'));
const { Client, errors } = require('@opensearch-project/opensearch');

const argBin = process.argv.indexOf('--binary');
const binary = argBin > 0 ? process.argv[argBin + 1]
  : (process.env.LOOKALIKE_BIN || path.join(repo, 'build', 'lookalike'));
const N = Number(process.env.LOOKALIKE_IT_N_JS || 10000);
const secure = process.argv.includes('--secure');
const ADMIN = { username: 'elastic', password: 'js-secret-pw' };
const VIEWER = { username: 'looker', password: 'looker-pw' };

function addUser(dataDir, user, roles) {
  execFileSync(binary, ['users', 'add', user.username, '--roles', roles, '--data', dataDir,
    '--password-stdin'], { input: user.password + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
}
const DIM = 1280;
const K = 10;
const INDEX = 'images';

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Deterministic PRNG (mulberry32) and Gaussian samples, clustered like embeddings.
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const round4 = (x) => Math.round(x * 1e4) / 1e4;

function makeData() {
  const centers = Array.from({ length: 64 }, () => Float32Array.from({ length: DIM }, gauss));
  return Array.from({ length: N }, () => {
    const c = centers[Math.floor(rand() * 64)];
    return Float32Array.from(c, (v) => round4(v + 0.6 * gauss()));
  });
}

function bruteForce(X, q, k, allowed) {
  const d = [];
  for (let i = 0; i < X.length; i++) {
    if (allowed && !allowed(i)) continue;
    let s = 0;
    const x = X[i];
    for (let j = 0; j < DIM; j++) { const t = x[j] - q[j]; s += t * t; }
    d.push([s, i]);
  }
  d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return d.slice(0, k).map((p) => String(p[1]));
}

async function expectError(promise, status, type) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof errors.ResponseError, `expected ResponseError, got ${e}`);
    assert.equal(e.meta.statusCode, status, JSON.stringify(e.meta.body));
    if (type) assert.equal(e.meta.body.error.type, type, JSON.stringify(e.meta.body));
    return;
  }
  assert.fail(`expected a ${status} error`);
}

// Many vectors per document: the OpenSearch nested knn query (score_mode max) returns the k
// documents whose best vector is closest, each once, inner_hits names the matching vectors
// (all of them with expand_nested_docs); a wrong-dimension vector in the list is a 400 and
// nothing is stored.
async function checkNestedVectors(client) {
  await client.indices.create({ index: 'crops', body: { mappings: { properties: {
    crops: { type: 'nested', properties: {
      emb: { type: 'knn_vector', dimension: 4, space_type: 'l2', method: { name: 'flat' } } } } } } } });
  const docs = [];
  let body = [];
  for (let d = 0; d < 150; d++) {
    const vecs = Array.from({ length: 1 + (d % 3) }, () => Array.from({ length: 4 }, () => round4(gauss())));
    docs.push(vecs);
    body.push({ index: { _index: 'crops', _id: String(d) } }, { crops: vecs.map((emb) => ({ emb })) });
  }
  const bulk = await client.bulk({ body, refresh: true });
  assert.equal(bulk.body.errors, false);
  const q = Array.from({ length: 4 }, () => gauss());
  const l2 = (a) => a.reduce((s, x, i) => s + (x - q[i]) ** 2, 0);
  const best = docs.map((vecs, d) => [Math.min(...vecs.map(l2)), d]).sort((a, b) => a[0] - b[0]);
  const r = await client.search({ index: 'crops', body: { size: 5, _source: false, query: { nested: {
    path: 'crops', score_mode: 'max', query: { knn: { 'crops.emb': { vector: q, k: 5 } } } } } } });
  assert.deepEqual(r.body.hits.hits.map((h) => h._id), best.slice(0, 5).map(([, d]) => String(d)));
  // inner_hits: the best vector's offset; with expand_nested_docs every vector, best first, and
  // the document scored by their mean (score_mode avg, the default).
  const ranked = (d) => docs[d].map((v, i) => [l2(v), i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const inner = await client.search({ index: 'crops', body: { size: 5, _source: false, query: { nested: {
    path: 'crops', inner_hits: { _source: false },
    query: { knn: { 'crops.emb': { vector: q, k: 5 } } } } } } });
  for (const h of inner.body.hits.hits) {
    const hits = h.inner_hits.crops.hits;
    assert.equal(hits.total.value, 1);
    assert.deepEqual(hits.hits[0]._nested, { field: 'crops', offset: ranked(Number(h._id))[0][1] });
    assert.ok(Math.abs(hits.hits[0]._score - h._score) < 1e-6);
  }
  const expanded = await client.search({ index: 'crops', body: { size: 5, _source: false, query: { nested: {
    path: 'crops', inner_hits: { _source: false },
    query: { knn: { 'crops.emb': { vector: q, k: 5, expand_nested_docs: true } } } } } } });
  for (const h of expanded.body.hits.hits) {
    const want = ranked(Number(h._id));
    const hits = h.inner_hits.crops.hits;
    assert.equal(hits.total.value, want.length);
    assert.deepEqual(hits.hits.map((m) => m._nested.offset), want.slice(0, 3).map(([, i]) => i));
    const mean = want.reduce((s, [d]) => s + 1 / (1 + d), 0) / want.length;
    assert.ok(Math.abs(h._score - mean) < 1e-4, `${h._score} vs ${mean}`);
  }
  await expectError(client.search({ index: 'crops', body: { query: { nested: {
    path: 'crops', inner_hits: { size: 'x' },
    query: { knn: { 'crops.emb': { vector: q, k: 5 } } } } } } }), 400, 'parsing_exception');
  await expectError(client.index({ index: 'crops', id: 'bad', body: {
    crops: [{ emb: [1, 2, 3, 4] }, { emb: [1, 2] }] } }), 400, 'mapper_parsing_exception');
  assert.equal((await client.exists({ index: 'crops', id: 'bad' })).statusCode, 404);
  await client.indices.delete({ index: 'crops' });
}

// Stored search pipelines through the client's searchPipeline API: a hybrid query with
// ?search_pipeline gives the same hits and scores as the pipeline inline; the rrf processor's
// scores are Σ 1 / (c + rank) over the sub-queries' own ranks; a request processor is a 400.
async function checkSearchPipelines(client) {
  await client.indices.create({ index: 'hyb', body: { mappings: { properties: {
    t: { type: 'text' }, v: { type: 'knn_vector', dimension: 2, method: { name: 'flat' } } } } } });
  const body = [];
  for (let d = 0; d < 30; d++) {
    body.push({ index: { _index: 'hyb', _id: String(d) } },
      { t: d % 3 === 0 ? 'red shoe' : 'blue hat', v: [d % 5, d % 7] });
  }
  assert.equal((await client.bulk({ body, refresh: true })).body.errors, false);
  const queries = [{ match: { t: 'red' } }, { knn: { v: { vector: [2, 3], k: 8 } } }];
  const norm = { phase_results_processors: [{ 'normalization-processor': {
    combination: { technique: 'arithmetic_mean', parameters: { weights: [0.4, 0.6] } } } }] };
  const rrf = { phase_results_processors: [{ 'score-ranker-processor': {
    combination: { technique: 'rrf', rank_constant: 5 } } }] };
  assert.equal((await client.searchPipeline.put({ id: 'norm', body: norm })).body.acknowledged, true);
  await client.searchPipeline.put({ id: 'rrf', body: rrf });
  assert.deepEqual((await client.searchPipeline.get({ id: 'norm' })).body, { norm });
  const hybrid = { size: 6, query: { hybrid: { queries } } };
  const hits = (r) => r.body.hits.hits.map((h) => [h._id, h._score]);
  const named = await client.search({ index: 'hyb', search_pipeline: 'norm', body: hybrid });
  const inline = await client.search({ index: 'hyb', body: { ...hybrid, search_pipeline: norm } });
  assert.equal(named.body.hits.hits.length, 6);
  assert.deepEqual(hits(named), hits(inline));
  const want = new Map();
  for (const q of queries) {
    const r = await client.search({ index: 'hyb', body: { size: 6, query: q } });
    r.body.hits.hits.forEach((h, i) => want.set(h._id, (want.get(h._id) || 0) + 1 / (5 + i + 1)));
  }
  const ranked = await client.search({ index: 'hyb', search_pipeline: 'rrf', body: hybrid });
  for (const [id, score] of hits(ranked)) assert.ok(Math.abs(score - want.get(id)) < 1e-5, id);
  await expectError(client.searchPipeline.put({ id: 'bad', body: { request_processors: [
    { filter_query: { query: { match_all: {} } } }] } }), 400, 'illegal_argument_exception');
  assert.equal((await client.searchPipeline.delete({ id: 'rrf' })).body.acknowledged, true);
  await expectError(client.searchPipeline.get({ id: 'rrf' }), 404);
  await client.searchPipeline.delete({ id: 'norm' });
  await client.indices.delete({ index: 'hyb' });
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lookalike-js-'));
  const port = await freePort();
  const log = openSync(dataDir + '.log', 'a');
  if (secure) {
    addUser(dataDir, ADMIN, 'superuser');
    addUser(dataDir, VIEWER, 'viewer');
  }
  const proc = spawn(binary, ['serve', '--data', dataDir, '--port', String(port)]
    .concat(secure ? ['--security'] : []), { stdio: ['ignore', log, log] });
  let exitCode = null;
  const exited = new Promise((resolve) => proc.on('exit', (code) => { exitCode = code; resolve(code); }));
  const node = `http://127.0.0.1:${port}`;
  const client = new Client({ node, requestTimeout: 300000, ...(secure ? { auth: ADMIN } : {}) });
  try {
    for (let i = 0; ; i++) {
      try { await client.info(); break; } catch (e) {
        if (i > 600 || exitCode !== null) throw new Error('server did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const info = await client.info();
    assert.ok(info.body.version.number.startsWith('7.'));

    await client.indices.create({ index: INDEX, body: {
      settings: { index: { knn: true, 'knn.algo_param.ef_search': 256, refresh_interval: -1,
        number_of_replicas: 0 } },
      mappings: { properties: {
        fvec: { type: 'knn_vector', dimension: DIM, method: { name: 'hnsw', space_type: 'l2',
          engine: 'nmslib', parameters: { ef_construction: 128, m: 48 } } },
        cat: { type: 'keyword' }, n: { type: 'integer' }, title: { type: 'text' } } } } });
    assert.equal((await client.indices.exists({ index: INDEX })).statusCode, 200);

    const X = makeData();
    const docs = X.map((v, i) => ({ id: String(i), fvec: Array.from(v), cat: `c${i % 10}`, n: i,
      title: `image number ${i}` }));
    let t0 = Date.now();
    const stats = await client.helpers.bulk({
      datasource: docs,
      // The helper flushes by size only: aim at about 200 documents per request.
      flushBytes: 199 * (JSON.stringify(docs[0]).length + 40),
      flushInterval: 1000000,
      concurrency: 1,
      onDocument(doc) { return { index: { _index: INDEX, _id: doc.id } }; },
      onDrop(dropped) { throw new Error('dropped: ' + JSON.stringify(dropped.error)); },
    });
    assert.equal(stats.successful, N);
    const tBulk = (Date.now() - t0) / 1000;
    await client.indices.refresh({ index: INDEX });
    assert.equal((await client.count({ index: INDEX })).body.count, N);

    // kNN recall against brute force
    let hits = 0;
    const queries = [];
    for (let i = 0; i < 20; i++) {
      const base = X[Math.floor(rand() * N)];
      queries.push(Float32Array.from(base, (v) => v + 0.1 * gauss()));
    }
    let tSearch = 0;
    for (const q of queries) {
      t0 = Date.now();
      const res = await client.search({ index: INDEX, body: { size: K, _source: false,
        query: { knn: { fvec: { vector: Array.from(q), k: K } } } } });
      tSearch += Date.now() - t0;
      const got = res.body.hits.hits.map((h) => h._id);
      assert.equal(got.length, K);
      assert.ok(res.body.hits.hits.every((h) => h._source === undefined));
      const truth = new Set(bruteForce(X, q, K));
      hits += got.filter((id) => truth.has(id)).length;
    }
    const recall = hits / (K * queries.length);
    console.log(`n=${N} bulk ${tBulk.toFixed(1)}s search ${(tSearch / queries.length).toFixed(1)} ms/query recall@10 ${recall.toFixed(3)}`);
    assert.ok(recall >= 0.95, `recall ${recall}`);

    // filtered kNN
    for (const q of queries.slice(0, 5)) {
      const res = await client.search({ index: INDEX, body: { size: K, _source: ['cat'],
        query: { knn: { fvec: { vector: Array.from(q), k: K, filter: { term: { cat: 'c3' } } } } } } });
      assert.equal(res.body.hits.hits.length, K);
      assert.ok(res.body.hits.hits.every((h) => h._source.cat === 'c3'));
    }

    // radial search (max_distance / min_score instead of k), with and without a filter: every
    // hit within the radius, recall >= 0.95 against brute force (issue 12, item 2)
    let radialFound = 0;
    let radialTotal = 0;
    for (const q of queries.slice(0, 3)) {
      for (const allowed of [null, (i) => i % 10 === 3]) {
        const all = [];
        for (let i = 0; i < X.length; i++) {
          if (allowed && !allowed(i)) continue;
          let s = 0;
          for (let j = 0; j < DIM; j++) { const t = X[i][j] - q[j]; s += t * t; }
          all.push([s, i]);
        }
        all.sort((a, b) => a[0] - b[0]);
        const radius = (all[39][0] + all[40][0]) / 2;  // 40 documents inside
        const truth = new Set(all.slice(0, 40).map((p) => String(p[1])));
        const dist = new Map(all.map((p) => [String(p[1]), p[0]]));
        for (const reach of [{ max_distance: radius }, { min_score: 1 / (1 + radius) }]) {
          const knn = { vector: Array.from(q), ...reach };
          if (allowed) knn.filter = { term: { cat: 'c3' } };
          const r = await client.search({ index: INDEX, body: { size: 500, _source: false,
            query: { knn: { fvec: knn } } } });
          const ids = r.body.hits.hits.map((h) => h._id);
          assert.ok(ids.every((id) => dist.has(id) && dist.get(id) <= radius * (1 + 1e-5)),
            `hits outside the radius: ${JSON.stringify(reach)}`);
          radialFound += ids.filter((id) => truth.has(id)).length;
          radialTotal += truth.size;
        }
      }
    }
    assert.ok(radialFound / radialTotal >= 0.95, `radial recall ${radialFound / radialTotal}`);
    await expectError(client.search({ index: INDEX, body: { query: { knn: { fvec: {
      vector: Array.from(queries[0]), k: 3, min_score: 0.5 } } } } }), 400,
    'illegal_argument_exception');

    // bool queries
    let res = await client.search({ index: INDEX, body: { size: 100, query: { bool: {
      filter: [{ term: { cat: 'c1' } }, { range: { n: { gte: 100, lt: 200 } } }] } } } });
    assert.deepEqual(res.body.hits.hits.map((h) => Number(h._id)).sort((a, b) => a - b),
      Array.from({ length: 10 }, (_, i) => 101 + 10 * i));
    res = await client.search({ index: INDEX, body: { size: 3, sort: [{ n: 'asc' }],
      query: { bool: { must_not: [{ terms: { cat: ['c0', 'c1'] } }], must: [{ range: { n: { lt: 20 } } }] } } } });
    assert.deepEqual(res.body.hits.hits.map((h) => h._id), ['2', '3', '4']);

    // get / update / delete
    const got = await client.get({ index: INDEX, id: '5' });
    assert.equal(got.body._source.n, 5);
    const up = await client.update({ index: INDEX, id: '5', body: { doc: { cat: 'updated' } }, refresh: true });
    assert.equal(up.body.result, 'updated');
    assert.equal((await client.get({ index: INDEX, id: '5' })).body._source.cat, 'updated');
    const created = await client.index({ index: INDEX, id: 'new', body: { n: -1, cat: 'x' }, refresh: 'wait_for' });
    assert.equal(created.body.result, 'created');
    assert.equal(created.statusCode, 201);
    const del = await client.delete({ index: INDEX, id: 'new', refresh: true });
    assert.equal(del.body.result, 'deleted');
    assert.equal((await client.exists({ index: INDEX, id: 'new' })).statusCode, 404);

    // errors
    await expectError(client.get({ index: INDEX, id: 'nope' }), 404);
    await expectError(client.search({ index: 'no-such-index', body: {} }), 404, 'index_not_found_exception');
    await expectError(client.indices.create({ index: INDEX }), 400, 'resource_already_exists_exception');
    await expectError(client.create({ index: INDEX, id: '1', body: { n: 1 } }), 409, 'version_conflict_engine_exception');
    await expectError(client.index({ index: INDEX, id: 'bad', body: { fvec: [1, 2] } }), 400);
    await expectError(client.search({ index: INDEX, body: { query: { nope: {} } } }), 400);
    await expectError(client.indices.create({ index: 'UPPER' }), 400, 'invalid_index_name_exception');

    await checkNestedVectors(client);
    await checkSearchPipelines(client);

    if (secure) {
      const anonymous = new Client({ node });
      await expectError(anonymous.search({ index: INDEX, body: {} }), 401, 'security_exception');
      const viewer = new Client({ node, auth: VIEWER });
      assert.ok((await viewer.count({ index: INDEX })).body.count > 0);
      await expectError(viewer.index({ index: INDEX, id: 'v', body: { n: 1 } }), 403,
        'security_exception');
      await anonymous.close();
      await viewer.close();
    }

    await client.indices.delete({ index: INDEX });
    assert.equal((await client.indices.exists({ index: INDEX })).statusCode, 404);
    await client.close();
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    console.log('OK');
  } catch (e) {
    console.error(e);
    if (exitCode === null) proc.kill('SIGKILL');
    await exited;
    process.exitCode = 1;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(dataDir + '.log', { force: true });
  }
}

main();

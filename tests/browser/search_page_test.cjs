// Browser test of the search page (/_ui/) against a real `lookalike serve`:
//   1. prepares a small image set (scripts/prepare-demo-data.sh) and indexes it with
//      `lookalike ingest-images --data`,
//   2. starts `lookalike serve` on a free port with --image-root,
//   3. drives Debian's chromium through playwright-core: the grid appears; uploading an image
//      shows scored results and the query preview; clicking a result searches by it; Enter on a
//      focused result does the same; the category filter restricts the hits; "one per
//      category" shows one card per category with its group's members,
//   4. saves screenshots next to the test's work folder.
// Usage: node search_page_test.cjs --bin BUILD/lookalike --models BUILD/models --work DIR
// Exit 0 = pass, 1 = fail (also when chromium or playwright-core is missing: install-deps.sh
// installs both, and a skipped page test would pass unnoticed).
'use strict';

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const MISSING = 1;
const repo = path.resolve(__dirname, '..', '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const bin = path.resolve(arg('--bin', path.join(repo, 'build', 'lookalike')));
const models = path.resolve(arg('--models', path.join(path.dirname(bin), 'models')));
// A temporary folder only when none is given (it is left behind for the screenshots).
const work = path.resolve(arg('--work', null) || fs.mkdtempSync(path.join(os.tmpdir(), 'lookalike-ui-')));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
// --secure: the server runs with security on and the browser answers its Basic challenge.
const secure = process.argv.includes('--secure');
const USER = { username: 'pagetester', password: 'page-secret-pw' };

function log(...a) {
  console.log('[browser-test]', ...a);
}

function fail(msg) {
  throw new Error(msg);
}

function check(cond, msg) {
  if (!cond) fail(msg);
}

let playwright;
try {
  playwright = require(path.join(repo, 'tools', 'node', 'node_modules', 'playwright-core'));
} catch (e) {
  console.log('FAIL: playwright-core is not installed in tools/node (run scripts/install-deps.sh)');
  process.exit(MISSING);
}
if (!fs.existsSync(chromiumPath)) {
  console.log(`FAIL: ${chromiumPath} not found (Debian package chromium)`);
  process.exit(MISSING);
}

// Starts the server and resolves with {proc, url} once it logs its address.
function startServer(dataDir, imageRoot) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, ['serve', '--data', dataDir, '--port', '0', '--models', models,
      '--image-root', imageRoot, '--durability', 'async'].concat(secure ? ['--security'] : []),
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + out)), 60000);
    const onData = (chunk) => {
      out += chunk.toString();
      const m = out.match(/listening on (http:\/\/[0-9.]+:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1], output: () => out });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
}

async function main() {
  fs.mkdirSync(work, { recursive: true });
  const images = path.join(work, 'images');
  const data = path.join(work, 'data');
  fs.rmSync(data, { recursive: true, force: true });

  log('preparing images in', images);
  execFileSync('bash', [path.join(repo, 'scripts', 'prepare-demo-data.sh'), images], {
    env: { ...process.env, DEMO_PER_CATEGORY: '4' }, stdio: 'inherit',
  });
  // A planted duplicate for the duplicates tab: a byte-for-byte copy of the first image.
  const firstImage = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        const inner = firstImage(p);
        if (inner) return inner;
      } else if (/\.(png|jpe?g)$/i.test(e.name) && !e.name.startsWith('zz-copy-')) {
        return p;
      }
    }
    return null;
  };
  const original = firstImage(images);
  check(original, 'no image to plant a duplicate of');
  const planted = path.join(path.dirname(original), 'zz-copy-' + path.basename(original));
  fs.copyFileSync(original, planted);
  log('indexing');
  execFileSync(bin, ['ingest-images', images, '--index', 'clipart', '--data', data, '--models',
    models, '--no-progress'], { stdio: 'inherit' });

  if (secure) {
    execFileSync(bin, ['users', 'add', USER.username, '--roles', 'viewer', '--data', data,
      '--password-stdin'], { input: USER.password + '\n', stdio: ['pipe', 'inherit', 'inherit'] });
  }
  const server = await startServer(data, images);
  log('server at', server.url, secure ? '(security on)' : '');
  if (secure) {
    // Without credentials the page itself is refused, with the challenge a browser prompts for.
    const res = await fetch(server.url + '/_ui/');
    check(res.status === 401, `anonymous /_ui/ answered ${res.status}`);
    check((res.headers.get('www-authenticate') || '').includes('Basic realm="security"'),
      '401 without a Basic challenge');
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lookalike-chromium-'));
  let context;
  const pageErrors = [];
  try {
    context = await playwright.chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1280, height: 900 },
      ...(secure ? { httpCredentials: USER } : {}),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    // Nothing may be fetched from another host (no CDN).
    const foreign = [];
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(server.url + '/') && !u.startsWith('blob:') && !u.startsWith('data:')) {
        foreign.push(u);
      }
    });

    const ready = () => page.waitForSelector('body[data-state=ready]');
    const settle = async () => {
      await page.waitForFunction(() => document.body.dataset.state !== 'loading');
      const state = await page.getAttribute('body', 'data-state');
      if (state !== 'ready') fail('page error: ' + (await page.textContent('#error')));
    };

    // --- browse
    await page.goto(server.url + '/_ui/');
    await ready();
    const indexName = await page.$eval('#index-select', (s) => s.value);
    check(indexName === 'clipart', `index picker shows ${indexName}`);
    const browseCards = await page.$$eval('.card', (c) => c.length);
    check(browseCards > 0, 'no images in the browse grid');
    const firstLoaded = await page.waitForFunction(() => {
      const img = document.querySelector('.card img');
      return img && img.complete && img.naturalWidth > 0;
    });
    check(firstLoaded, 'grid images did not load');
    log(`browse grid: ${browseCards} cards`);
    await page.screenshot({ path: path.join(work, 'browse.png') });

    // --- upload
    const fruitDir = path.join(images, 'fruit');
    const query = path.join(fruitDir, fs.readdirSync(fruitDir).sort()[0]);
    await page.setInputFiles('#file-input', query);
    await page.waitForSelector('.card .score');
    await settle();
    const uploadHits = await page.$$eval('.card', (c) => c.map((x) => ({
      id: x.dataset.id,
      score: Number(x.querySelector('.score').textContent),
      category: x.querySelector('.category').textContent,
    })));
    check(uploadHits.length > 0, 'upload gave no results');
    check(uploadHits.every((h) => Number.isFinite(h.score)), 'results without scores');
    for (let i = 1; i < uploadHits.length; i++) {
      check(uploadHits[i - 1].score >= uploadHits[i].score, 'scores are not in descending order');
    }
    // The uploaded file is itself indexed, so the best hit is that very image.
    check(uploadHits[0].category === 'fruit', `best hit for a fruit is ${uploadHits[0].category}`);
    const status = await page.textContent('#status');
    check(/\d+ hits?/.test(status) && /embedding/.test(status) && /ms/.test(status),
      `status line lacks hit count or latency: ${status}`);
    check(await page.isVisible('#query-preview'), 'query preview not shown');
    log(`upload: ${uploadHits.length} hits; ${status.replace(/\s+/g, ' ').trim()}`);
    await page.screenshot({ path: path.join(work, 'upload.png') });

    // --- click a result: searches by that document
    const target = uploadHits[Math.min(3, uploadHits.length - 1)];
    await page.click(`.card[data-id="${target.id}"]`);
    await page.waitForFunction((id) => {
      const q = document.querySelector('.card.is-query');
      return q && q.dataset.id === id && document.body.dataset.state !== 'loading';
    }, target.id);
    await settle();
    check(page.url().includes('like=' + encodeURIComponent(target.id)), 'URL does not record the query');
    const clickHits = await page.$$eval('.card', (c) => c.map((x) => x.dataset.id));
    check(clickHits[0] === target.id, 'clicked image is not its own best match');
    check(JSON.stringify(clickHits) !== JSON.stringify(uploadHits.map((h) => h.id)),
      'click did not change the results');
    log(`click: re-searched by ${target.id}, ${clickHits.length} hits`);

    // --- keyboard: focus another result and press Enter
    const other = clickHits[1];
    await page.focus(`.card[data-id="${other}"]`);
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => {
      const q = document.querySelector('.card.is-query');
      return q && q.dataset.id === id && document.body.dataset.state !== 'loading';
    }, other);
    await settle();
    const focused = await page.evaluate(() => document.activeElement.classList.contains('card'));
    check(focused, 'focus is not on a result after a keyboard search');
    log('keyboard: Enter on a result re-searched and kept focus in the grid');

    // --- category filter
    await page.selectOption('#category-select', 'birds');
    await page.waitForFunction(() => document.body.dataset.state !== 'loading');
    await settle();
    const cats = await page.$$eval('.card .category', (c) => c.map((x) => x.textContent));
    check(cats.length > 0 && cats.every((c) => c === 'birds'), `filter leaked: ${cats.join(',')}`);
    log(`filter: ${cats.length} hits, all birds`);

    // --- Escape goes back to browsing
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('.card .score'));
    await settle();
    await page.screenshot({ path: path.join(work, 'search-page.png'), fullPage: false });

    // --- one per category: collapse on the category field; each card is its group's best
    // image with the group's other members (inner_hits) as small thumbnails beneath it.
    await page.selectOption('#category-select', '');
    await page.waitForFunction(() => document.body.dataset.state !== 'loading');
    await settle();
    const categories = await page.$$eval('#category-select option', (o) => o.filter((x) => x.value).length);
    const groupOptions = await page.$$eval('#group-select option', (o) => o.map((x) => x.value));
    check(groupOptions.includes('category'), `"one per" does not offer category: ${groupOptions}`);
    check(!groupOptions.includes('embedding') && !groupOptions.some((v) => /vec/.test(v)),
      `"one per" offers a non-keyword field: ${groupOptions}`);
    const readGroups = () => page.$$eval('#results > li', (lis) => lis
      .filter((li) => li.querySelector('.card'))
      .map((li) => ({
        id: li.querySelector('.card').dataset.id,
        category: li.querySelector('.card .category').textContent,
        total: li.querySelector('.members') ? Number(li.querySelector('.members').dataset.total) : 0,
        members: [...li.querySelectorAll('.member')].map((m) => ({ id: m.dataset.id, category: m.dataset.category })),
      })));
    const checkGroups = (shown, where) => {
      const seen = new Set(shown.map((g) => g.category));
      check(seen.size === shown.length, `${where}: two cards share a category: ${shown.map((g) => g.category)}`);
      check(shown.some((g) => g.members.length > 0), `${where}: no group shows members`);
      for (const g of shown) {
        check(g.members.every((m) => m.category === g.category && m.id !== g.id),
          `${where}: group ${g.category} shows a foreign member: ${JSON.stringify(g.members)}`);
        check(g.members.length <= 3 && g.total >= g.members.length + 1,
          `${where}: group ${g.category} shows ${g.members.length} members of ${g.total}`);
      }
    };
    await page.selectOption('#group-select', 'category');
    await page.waitForFunction(() => document.querySelector('#results .members')
      && document.body.dataset.state !== 'loading');
    await settle();
    const browseGroups = await readGroups();
    checkGroups(browseGroups, 'browse');
    check(browseGroups.length === Math.min(categories, 24),
      `browse shows ${browseGroups.length} groups for ${categories} categories`);
    check(page.url().includes('group=category'), 'URL does not record the grouping');
    await page.waitForFunction(() => [...document.querySelectorAll('.member img')]
      .every((img) => img.complete && img.naturalWidth > 0));
    await page.screenshot({ path: path.join(work, 'collapse.png'), fullPage: false });
    log(`one per category: ${browseGroups.length} groups, ` +
      `${browseGroups.reduce((n, g) => n + g.members.length, 0)} member thumbnails`);
    // Searching by a result keeps the grouping: the knn hits, one per category.
    // (Not in the planted copy's category: a tie with the copy could make the copy the best.)
    const plantedCategory = path.basename(path.dirname(original));
    const byDoc = browseGroups.filter((g) => g.category !== plantedCategory)[1];
    check(byDoc, 'no group to search by');
    await page.click(`.card[data-id="${byDoc.id}"]`);
    await page.waitForFunction((id) => {
      const q = document.querySelector('.card.is-query');
      return q && q.dataset.id === id && document.body.dataset.state !== 'loading';
    }, byDoc.id);
    await settle();
    const docGroups = await readGroups();
    check(docGroups[0].id === byDoc.id, 'grouped search: the clicked image is not its own best match');
    checkGroups(docGroups, 'search by a result');
    log(`one per category, search by ${byDoc.id}: ${docGroups.length} groups`);
    // An uploaded image too (the collapse form field of _search/image).
    await page.setInputFiles('#file-input', query);
    await page.waitForFunction(() => !document.querySelector('.card.is-query')
      && document.querySelector('.card .score') && document.body.dataset.state !== 'loading');
    await settle();
    const uploadGroups = await readGroups();
    check(uploadGroups[0].category === 'fruit', `grouped upload: best group ${uploadGroups[0].category}`);
    checkGroups(uploadGroups, 'upload');
    log(`one per category, upload: ${uploadGroups.length} groups`);
    // A member thumbnail searches by that member.
    const member = uploadGroups.find((g) => g.members.length > 0 && g.category !== plantedCategory)
      .members[0];
    await page.click(`.member[data-id="${member.id}"]`);
    await page.waitForFunction((id) => {
      const q = document.querySelector('.card.is-query');
      return q && q.dataset.id === id && document.body.dataset.state !== 'loading';
    }, member.id);
    await settle();
    await page.selectOption('#group-select', '');
    await page.waitForFunction(() => !document.querySelector('#results .members')
      && document.body.dataset.state !== 'loading');
    await settle();
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('.card .score'));
    await settle();

    // --- the status tab: charts of the server's sample ring, the index table, the slow log
    // (a viewer may not read the slow log: the page says so; the browser logs the 403).
    const slowlogRefused = () => pageErrors.filter((e) => !/status of 403/.test(e));
    await page.goto(server.url + '/_ui/status');
    await page.waitForSelector('#status-view:not([hidden])');
    await page.waitForFunction(() => {
      const canvases = document.querySelectorAll('#chart-latency canvas, #chart-qps canvas');
      return canvases.length >= 2 && [...canvases].every((c) => c.width > 0 && c.height > 0);
    });
    const charts = await page.$$eval('.chart .uplot', (c) => c.length);
    check(charts === 5, `status tab drew ${charts} charts, want 5`);
    await page.waitForFunction(() => [...document.querySelectorAll('#index-table tbody td')]
      .some((td) => td.textContent === 'clipart'));
    const row = await page.$$eval('#index-table tbody tr', (rows) => rows.map(
      (r) => [...r.children].map((td) => td.textContent)).find((cells) => cells[0] === 'clipart'));
    check(Number(row[2]) > 0 && Number(row[3]) > 0, `index row without docs/vectors: ${row}`);
    check(row[6] !== '—', `index row without its model: ${row}`);
    check(await page.isHidden('#search-view'), 'the search view is hidden on the status tab');
    check((await page.getAttribute('#tab-status', 'aria-current')) === 'page', 'status tab marked');
    await page.screenshot({ path: path.join(work, 'status-page.png'), fullPage: true });
    log(`status tab: ${charts} charts, clipart row ${row.join(' | ')}`);

    // --- the duplicates tab: the planted copy and its original form a group of thumbnails;
    // keeping one and confirming deletes the other (a viewer may not: the page says so).
    await page.goto(server.url + '/_ui/duplicates#index=clipart&min_score=0.999');
    await page.waitForSelector('#duplicates-view:not([hidden])');
    await page.waitForFunction(() => document.querySelector('#dup-groups').dataset.groups !== undefined
      || !document.querySelector('#dup-error').hidden);
    check(await page.isHidden('#dup-error'), 'report failed: ' + await page.textContent('#dup-error'));
    check(await page.isHidden('#search-view'), 'the search view is hidden on the duplicates tab');
    check((await page.getAttribute('#tab-duplicates', 'aria-current')) === 'page', 'duplicates tab marked');
    const groups = await page.$$eval('.dup-group', (gs) => gs.map(
      (g) => [...g.querySelectorAll('.dup-member')].map((m) => m.dataset.id)));
    const pathsOf = (ids) => page.evaluate(async (list) => Promise.all(list.map(async (id) => {
      const r = await fetch('../clipart/_doc/' + encodeURIComponent(id) + '?_source=path');
      return (await r.json())._source.path;
    })), ids);
    let plantedGroup = null;
    for (const g of groups) {
      const paths = await pathsOf(g);
      if (paths.some((p) => p.endsWith('zz-copy-' + path.basename(original)))) plantedGroup = { ids: g, paths };
    }
    check(plantedGroup && plantedGroup.ids.length === 2,
      `the planted copy is not in a group of two: ${JSON.stringify(groups)}`);
    check(plantedGroup.paths.some((p) => p.endsWith(path.basename(original)) && !p.includes('zz-copy-')),
      `the planted copy is grouped without its original: ${plantedGroup.paths}`);
    await page.waitForFunction(() => [...document.querySelectorAll('.dup-member img')]
      .every((img) => img.complete && img.naturalWidth > 0));
    const count = () => page.evaluate(async () => (await (await fetch('../clipart/_count')).json()).count);
    const before = await count();
    const doomed = groups.reduce((n, g) => n + g.length - 1, 0);
    check(/Delete \d+ duplicate/.test(await page.textContent('#dup-delete')), 'no delete button');
    // Keep the second member of the planted group instead of the first.
    const groupIndex = groups.findIndex((g) => g === plantedGroup.ids || g[0] === plantedGroup.ids[0]);
    await page.check(`input[name="keep-${groupIndex}"][value="${plantedGroup.ids[1]}"]`);
    check(await page.$eval(`.dup-member[data-id="${plantedGroup.ids[0]}"] .dup-fate`,
      (e) => e.textContent) === 'delete', 'the unkept member is not marked for deletion');
    await page.screenshot({ path: path.join(work, 'duplicates-page.png'), fullPage: true });
    let confirmed = '';
    page.once('dialog', (d) => { confirmed = d.message(); d.accept(); });
    await page.click('#dup-delete');
    if (secure) {
      await page.waitForSelector('#dup-error:not([hidden])');
      const text = await page.textContent('#dup-error');
      check(/403/.test(text), `a viewer's delete was not refused: ${text}`);
      check(await count() === before, 'a viewer deleted documents');
    } else {
      await page.waitForFunction(() => /Deleted \d+ documents/.test(document.querySelector('#dup-status').textContent));
      const after = await count();
      check(after === before - doomed, `count ${before} -> ${after}, want ${doomed} fewer`);
      // (a _search, not GET _doc: a 404 would be logged as a page error)
      const left = await page.evaluate(async (id) => (await (await fetch('../clipart/_search', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: { ids: { values: [id] } } }),
      })).json()).hits.total.value, plantedGroup.ids[0]);
      check(left === 0, 'the unkept duplicate still exists');
    }
    check(/Delete \d+ documents? from/.test(confirmed), `no confirmation asked: ${confirmed}`);
    log(`duplicates tab: ${groups.length} groups, planted pair ${plantedGroup.paths.map((p) => path.basename(p))}`);

    check(foreign.length === 0, 'requests to other hosts: ' + foreign.join(', '));
    // With security on the browser logs the refused slow log and the refused _bulk (403).
    const errors = secure ? slowlogRefused() : pageErrors;
    check(errors.length === 0, 'page errors: ' + errors.join(' | '));
    log('screenshots in', work);
  } finally {
    if (context) await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
    server.proc.kill('SIGTERM');
    await new Promise((r) => server.proc.once('exit', r));
  }
}

main().then(() => {
  log('PASS');
  process.exit(0);
}, (e) => {
  console.error('[browser-test] FAIL:', e.message);
  process.exit(1);
});

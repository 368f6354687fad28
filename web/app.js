// Lookalike search page. Plain JavaScript, no build step, no external resources.
//
// It talks only to the server that served it, through relative URLs ("../" is the server root
// because the page lives at /_ui/), using the Elasticsearch-compatible API:
//   GET  ../_cat/indices?format=json          the index picker
//   GET  ../{index}/_mapping                  finds the vector field (knn_vector / dense_vector)
//   POST ../{index}/_search                   browsing (match_all), categories, search by a result;
//                                             "one per" adds collapse + inner_hits on a keyword field
//   GET  ../{index}/_doc/{id}                 the stored vector of a clicked result
//   POST ../{index}/_search/image             search by an uploaded image (multipart, field "file")
//   GET  ../{index}/_image/{id}               the image bytes of a document
//   GET  ../{index}/_image/{id}?size=256      its cached JPEG thumbnail (the result grid)
'use strict';

(() => {
  const ROOT = '../';
  const CATEGORY_FIELD = 'category';
  const MAX_CATEGORIES = 500;
  // Longest side of the grid's thumbnails: cards are ~180 CSS px, so this stays sharp at 1.4x.
  const THUMB_SIZE = 256;
  // With "one per": how many members of each group the server returns (inner_hits size); the
  // card shows those other than itself as small thumbnails.
  const GROUP_MEMBERS = 3;
  const MEMBER_THUMB_SIZE = 96;

  const $ = (id) => document.getElementById(id);
  const els = {
    index: $('index-select'),
    category: $('category-select'),
    group: $('group-select'),
    k: $('k-select'),
    dropZone: $('drop-zone'),
    choose: $('choose-button'),
    file: $('file-input'),
    clear: $('clear-button'),
    preview: $('query-preview'),
    queryImage: $('query-image'),
    queryCaption: $('query-caption'),
    statusText: $('status-text'),
    stats: $('stats'),
    error: $('error'),
    title: $('results-title'),
    results: $('results'),
    more: $('more-button'),
  };

  const state = {
    index: '',
    field: null,        // name of the vector field of the current index
    category: '',
    group: '',          // the keyword field results are collapsed on ('' = none)
    k: Number(els.k.value),
    mode: 'browse',     // 'browse' | 'file' | 'doc'
    file: null,         // the uploaded File in 'file' mode
    queryId: null,      // the document id in 'doc' mode
    from: 0,            // browse paging offset
    seq: 0,             // increases per request; answers to stale requests are dropped
    previewUrl: null,
  };

  // ---------------------------------------------------------------- HTTP

  function indexUrl(index, rest) {
    return ROOT + encodeURIComponent(index) + rest;
  }

  // {json, ms} for a 2xx answer, else an Error with the server's reason (web/http.js).
  const request = window.lookalikeRequest;

  // ---------------------------------------------------------------- helpers

  function getPath(obj, path) {
    if (!obj) return undefined;
    if (path in obj) return obj[path];
    let cur = obj;
    for (const part of path.split('.')) {
      if (cur == null || typeof cur !== 'object') return undefined;
      cur = cur[part];
    }
    return cur;
  }

  // The first knn_vector / dense_vector field of a mapping, as a dotted path.
  function findVectorField(properties, prefix) {
    for (const [name, def] of Object.entries(properties || {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (def && (def.type === 'knn_vector' || def.type === 'dense_vector')) return path;
      if (def && def.properties) {
        const inner = findVectorField(def.properties, path);
        if (inner) return inner;
      }
    }
    return null;
  }

  function baseName(path) {
    if (typeof path !== 'string') return '';
    const i = path.lastIndexOf('/');
    return i >= 0 ? path.slice(i + 1) : path;
  }

  function formatMs(ms) {
    if (ms === undefined || ms === null || Number.isNaN(Number(ms))) return null;
    const v = Number(ms);
    if (Number.isInteger(v) || v >= 10) return `${Math.round(v)} ms`;
    return `${v.toFixed(1)} ms`;
  }

  function sourceFilter() {
    // Vectors are large; every hit asks for its _source without them.
    return state.field ? { excludes: [state.field] } : true;
  }

  // The keyword fields of a mapping, as dotted paths (what "one per" can collapse on).
  function keywordFields(properties, prefix, out = []) {
    for (const [name, def] of Object.entries(properties || {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (def && def.type === 'keyword') out.push(path);
      if (def && def.properties && def.type !== 'nested') keywordFields(def.properties, path, out);
    }
    return out;
  }

  // The body members that collapse the hits on the chosen field (none without one).
  function collapseBody() {
    if (!state.group) return {};
    return {
      collapse: {
        field: state.group,
        inner_hits: { name: 'group', size: GROUP_MEMBERS, _source: sourceFilter() },
      },
    };
  }

  function categoryFilter() {
    return state.category ? { term: { [CATEGORY_FIELD]: state.category } } : null;
  }

  function saveHash() {
    const params = new URLSearchParams();
    if (state.index) params.set('index', state.index);
    if (state.category) params.set('category', state.category);
    if (state.group) params.set('group', state.group);
    if (state.mode === 'doc' && state.queryId !== null) params.set('like', state.queryId);
    history.replaceState(null, '', '#' + params.toString());
  }

  function readHash() {
    return new URLSearchParams(location.hash.replace(/^#/, ''));
  }

  // ---------------------------------------------------------------- status and errors

  function setBusy(text) {
    document.body.dataset.state = 'loading';
    els.results.setAttribute('aria-busy', 'true');
    els.statusText.textContent = text;
    els.stats.textContent = '';
  }

  function setReady(text, stats) {
    document.body.dataset.state = 'ready';
    els.results.setAttribute('aria-busy', 'false');
    els.statusText.textContent = text;
    els.stats.textContent = stats.filter(Boolean).join(' · ');
  }

  function showError(err) {
    document.body.dataset.state = 'error';
    els.results.setAttribute('aria-busy', 'false');
    els.error.textContent = err.message || String(err);
    els.error.hidden = false;
    els.statusText.textContent = 'Something went wrong.';
  }

  function clearError() {
    els.error.hidden = true;
    els.error.textContent = '';
  }

  // ---------------------------------------------------------------- rendering

  // The full image, or with `size` a server-made JPEG thumbnail (longest side `size`).
  function imageUrl(id, size) {
    const url = indexUrl(state.index, '/_image/' + encodeURIComponent(id));
    return size ? url + '?size=' + size : url;
  }

  function makeCard(hit, showScore) {
    const src = hit._source || {};
    const name = baseName(src.path) || hit._id;
    const category = src[CATEGORY_FIELD] !== undefined ? String(src[CATEGORY_FIELD]) : '';

    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'card';
    button.dataset.id = hit._id;
    if (state.mode === 'doc' && hit._id === state.queryId) button.classList.add('is-query');
    let label = `Find images like ${name}`;
    if (category) label += `, category ${category}`;
    if (showScore && typeof hit._score === 'number') label += `, score ${hit._score.toFixed(4)}`;
    button.setAttribute('aria-label', label);
    button.title = src.path || name;

    const img = document.createElement('img');
    img.className = 'thumb';
    img.loading = 'lazy';
    img.decoding = 'async';
    img.alt = '';
    img.src = imageUrl(hit._id, THUMB_SIZE);
    img.addEventListener('error', () => img.classList.add('broken'), { once: true });

    const meta = document.createElement('div');
    meta.className = 'meta';
    const cat = document.createElement('span');
    cat.className = 'category';
    cat.textContent = category || '—';
    meta.appendChild(cat);
    if (showScore && typeof hit._score === 'number') {
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = hit._score.toFixed(4);
      score.title = 'Similarity score';
      meta.appendChild(score);
    }

    const caption = document.createElement('div');
    caption.className = 'name';
    caption.textContent = name;

    button.append(img, meta, caption);
    li.appendChild(button);
    const group = hit.inner_hits && hit.inner_hits.group;
    if (group) li.appendChild(makeMembers(hit, group.hits));
    return li;
  }

  // A collapsed hit's group: its other members as small thumbnails (each searches by itself
  // when clicked) and how many images the group holds.
  function makeMembers(hit, group) {
    const box = document.createElement('div');
    box.className = 'members';
    const total = group.total;
    const count = total && typeof total.value === 'number' ? total.value : group.hits.length;
    box.dataset.total = String(count);
    for (const member of group.hits || []) {
      if (member._id === hit._id) continue;
      const src = member._source || {};
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'member';
      b.dataset.id = member._id;
      b.dataset.category = src[CATEGORY_FIELD] !== undefined ? String(src[CATEGORY_FIELD]) : '';
      const name = baseName(src.path) || member._id;
      b.title = src.path || name;
      b.setAttribute('aria-label', `Find images like ${name} (same ${state.group})`);
      const img = document.createElement('img');
      img.loading = 'lazy';
      img.alt = '';
      img.src = imageUrl(member._id, MEMBER_THUMB_SIZE);
      img.addEventListener('error', () => img.classList.add('broken'), { once: true });
      b.appendChild(img);
      box.appendChild(b);
    }
    const more = document.createElement('span');
    more.className = 'group-count';
    more.textContent = `${count} in group`;
    box.appendChild(more);
    return box;
  }

  function renderHits(hits, { append = false, showScore = false } = {}) {
    if (!append) els.results.replaceChildren();
    const frag = document.createDocumentFragment();
    for (const hit of hits) frag.appendChild(makeCard(hit, showScore));
    els.results.appendChild(frag);
    if (!els.results.children.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No images match.';
      els.results.appendChild(li);
    }
    els.results.dataset.count = String(hits.length + (append ? state.from : 0));
  }

  function totalOf(json) {
    const t = json && json.hits && json.hits.total;
    if (t === undefined || t === null) return null;
    if (typeof t === 'number') return { value: t, relation: 'eq' };
    return t;
  }

  function setPreview(url, caption) {
    if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
    state.previewUrl = url && url.startsWith('blob:') ? url : null;
    els.preview.hidden = !url;
    els.clear.hidden = !url;
    if (url) {
      els.queryImage.src = url;
      els.queryCaption.textContent = caption;
    } else {
      els.queryImage.removeAttribute('src');
      els.queryCaption.textContent = '';
    }
  }

  // ---------------------------------------------------------------- index, mapping, categories

  async function loadIndices() {
    setBusy('Loading indices…');
    const { json } = await request('GET', ROOT + '_cat/indices?format=json');
    const rows = (Array.isArray(json) ? json : [])
      .filter((r) => r && r.index && !r.index.startsWith('.'))
      .sort((a, b) => a.index.localeCompare(b.index));
    els.index.replaceChildren();
    for (const row of rows) {
      const opt = document.createElement('option');
      opt.value = row.index;
      const count = row['docs.count'];
      opt.textContent = count !== undefined ? `${row.index} (${count})` : row.index;
      els.index.appendChild(opt);
    }
    if (!rows.length) {
      els.index.disabled = true;
      setReady('No indices yet. Index a folder: lookalike ingest-images DIR --index NAME', []);
      return false;
    }
    els.index.disabled = false;
    const wanted = readHash().get('index');
    els.index.value = rows.some((r) => r.index === wanted) ? wanted : rows[0].index;
    return true;
  }

  async function loadMapping() {
    state.field = null;
    const { json } = await request('GET', indexUrl(state.index, '/_mapping'));
    const entry = json && (json[state.index] || Object.values(json)[0]);
    const props = entry && entry.mappings && entry.mappings.properties;
    state.field = findVectorField(props, '');
    const keep = state.group;
    const fields = keywordFields(props, '').sort((a, b) => a.localeCompare(b));
    els.group.replaceChildren(new Option('— (every image)', ''));
    for (const f of fields) els.group.appendChild(new Option(f, f));
    state.group = fields.includes(keep) ? keep : '';
    els.group.value = state.group;
  }

  // Categories come from a terms aggregation when the server offers one, otherwise from the
  // _source of up to MAX_CATEGORIES documents.
  async function loadCategories() {
    const counts = new Map();
    try {
      const { json } = await request('POST', indexUrl(state.index, '/_search'), {
        size: 0,
        aggs: { categories: { terms: { field: CATEGORY_FIELD, size: MAX_CATEGORIES } } },
      });
      const buckets = json && json.aggregations && json.aggregations.categories
        && json.aggregations.categories.buckets;
      if (Array.isArray(buckets)) {
        for (const b of buckets) counts.set(String(b.key), b.doc_count);
      } else {
        throw new Error('no aggregations');
      }
    } catch (e) {
      const { json } = await request('POST', indexUrl(state.index, '/_search'), {
        size: 1000,
        query: { match_all: {} },
        _source: [CATEGORY_FIELD],
      });
      for (const hit of (json && json.hits && json.hits.hits) || []) {
        const c = getPath(hit._source, CATEGORY_FIELD);
        if (c !== undefined && c !== null) counts.set(String(c), (counts.get(String(c)) || 0) + 1);
      }
    }
    const keep = state.category;
    els.category.replaceChildren(new Option('All categories', ''));
    for (const name of [...counts.keys()].sort((a, b) => a.localeCompare(b))) {
      els.category.appendChild(new Option(`${name} (${counts.get(name)})`, name));
    }
    state.category = counts.has(keep) ? keep : '';
    els.category.value = state.category;
  }

  async function selectIndex(name) {
    state.index = name;
    state.mode = 'browse';
    state.queryId = null;
    state.file = null;
    setPreview(null);
    setBusy('Loading index…');
    await loadMapping();
    await loadCategories();
  }

  // ---------------------------------------------------------------- the three kinds of search

  async function browse(append) {
    const seq = ++state.seq;
    state.mode = 'browse';
    if (!append) state.from = 0;
    setBusy('Loading images…');
    const filter = categoryFilter();
    const body = {
      size: state.k,
      from: state.from,
      query: filter ? { bool: { filter: [filter] } } : { match_all: {} },
      _source: sourceFilter(),
      track_total_hits: true,
      ...collapseBody(),
    };
    const { json, ms } = await request('POST', indexUrl(state.index, '/_search'), body);
    if (seq !== state.seq) return;
    const hits = (json && json.hits && json.hits.hits) || [];
    renderHits(hits, { append, showScore: false });
    state.from += hits.length;
    const total = totalOf(json);
    const shown = els.results.querySelectorAll('.card').length;
    els.title.textContent = state.category ? `Images in “${state.category}”` : 'Images';
    // Collapsed, from and size count groups while the total counts images: a full page is
    // the only sign that more groups may follow.
    els.more.hidden = state.group ? hits.length < state.k : !(total && shown < total.value);
    const what = state.group ? `groups (one per ${state.group}) of` : 'of';
    setReady(total ? `Showing ${shown} ${what} ${total.value}${total.relation === 'gte' ? '+' : ''} images`
      : `Showing ${shown} images`,
    [formatMs(json.took) && `server ${formatMs(json.took)}`, `round trip ${formatMs(ms)}`]);
    saveHash();
  }

  function renderSearch(json, extraStats) {
    const hits = (json && json.hits && json.hits.hits) || [];
    renderHits(hits, { showScore: true });
    els.more.hidden = true;
    const total = totalOf(json);
    const count = total ? total.value : hits.length;
    els.title.textContent = state.category ? `Similar images in “${state.category}”` : 'Similar images';
    setReady(`${count} ${count === 1 ? 'hit' : 'hits'}`, extraStats);
  }

  async function searchByFile(file) {
    if (!file) return;
    if (!state.index) throw new Error('Choose an index first.');
    const seq = ++state.seq;
    state.mode = 'file';
    state.file = file;
    state.queryId = null;
    setPreview(URL.createObjectURL(file), file.name || 'Pasted image');
    setBusy('Searching…');
    const form = new FormData();
    form.append('file', file, file.name || 'image');
    form.append('k', String(state.k));
    const filter = categoryFilter();
    if (filter) form.append('filter', JSON.stringify(filter));
    if (state.group) {
      form.append('collapse', state.group);
      form.append('inner_hits_size', String(GROUP_MEMBERS));
    }
    const { json, ms } = await request('POST', indexUrl(state.index, '/_search/image'), form);
    if (seq !== state.seq) return;
    renderSearch(json, [
      formatMs(json.embed_took) && `embedding ${formatMs(json.embed_took)}`,
      formatMs(json.took) && `search ${formatMs(json.took)}`,
      `round trip ${formatMs(ms)}`,
    ]);
    saveHash();
  }

  async function searchByDoc(id) {
    if (!state.field) throw new Error('This index has no vector field to search by.');
    const seq = ++state.seq;
    state.mode = 'doc';
    state.queryId = id;
    state.file = null;
    setBusy('Searching…');
    const doc = await request('GET', indexUrl(state.index, '/_doc/' + encodeURIComponent(id)));
    const source = (doc.json && doc.json._source) || {};
    const vector = getPath(source, state.field);
    if (!Array.isArray(vector)) throw new Error(`Document ${id} has no stored “${state.field}” vector.`);
    setPreview(imageUrl(id), baseName(source.path) || id);
    const knn = { vector, k: state.k };
    const filter = categoryFilter();
    if (filter) knn.filter = filter;
    const body = {
      size: state.k, query: { knn: { [state.field]: knn } }, _source: sourceFilter(), ...collapseBody(),
    };
    const { json, ms } = await request('POST', indexUrl(state.index, '/_search'), body);
    if (seq !== state.seq) return;
    renderSearch(json, [
      formatMs(json.took) && `search ${formatMs(json.took)}`,
      `round trip ${formatMs(ms + doc.ms)}`,
    ]);
    saveHash();
  }

  // Re-runs whatever is shown with the current options.
  function refresh() {
    if (state.mode === 'file' && state.file) return searchByFile(state.file);
    if (state.mode === 'doc' && state.queryId !== null) return searchByDoc(state.queryId);
    return browse(false);
  }

  // Every user action goes through here so errors end up on screen, not in the console.
  function run(action, focusResults) {
    clearError();
    return Promise.resolve()
      .then(action)
      .then(() => {
        if (focusResults) {
          const first = els.results.querySelector('.card');
          (first || els.results).focus();
        }
      })
      .catch(showError);
  }

  // ---------------------------------------------------------------- events

  els.index.addEventListener('change', () => {
    state.category = '';
    run(async () => {
      await selectIndex(els.index.value);
      await browse(false);
    });
  });

  els.category.addEventListener('change', () => {
    state.category = els.category.value;
    run(refresh);
  });

  els.group.addEventListener('change', () => {
    state.group = els.group.value;
    run(refresh);
  });

  els.k.addEventListener('change', () => {
    state.k = Number(els.k.value);
    run(refresh);
  });

  els.choose.addEventListener('click', () => els.file.click());
  els.file.addEventListener('change', () => {
    const file = els.file.files && els.file.files[0];
    if (file) run(() => searchByFile(file), true);
    els.file.value = '';
  });

  els.clear.addEventListener('click', () => {
    state.file = null;
    state.queryId = null;
    setPreview(null);
    run(() => browse(false), true);
  });

  els.more.addEventListener('click', () => run(() => browse(true)));

  // A click (or Enter/Space, which buttons turn into clicks) on any result searches by it.
  els.results.addEventListener('click', (event) => {
    const card = event.target.closest('.card, .member');
    if (card && els.results.contains(card)) run(() => searchByDoc(card.dataset.id), true);
  });

  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.mode !== 'browse' && !event.target.closest('select')) {
      els.clear.click();
    }
  });

  // Drag and drop anywhere on the page; the drop zone lights up.
  let dragDepth = 0;
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
  document.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    dragDepth++;
    els.dropZone.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) els.dropZone.classList.remove('dragging');
  });
  document.addEventListener('dragover', (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  document.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    els.dropZone.classList.remove('dragging');
    const file = e.dataTransfer.files[0];
    if (file) run(() => searchByFile(file), true);
  });

  document.addEventListener('paste', (e) => {
    const files = e.clipboardData ? [...e.clipboardData.files] : [];
    const image = files.find((f) => f.type.startsWith('image/'));
    if (image) run(() => searchByFile(image), true);
  });

  // ---------------------------------------------------------------- start

  // /_ui/status is the status tab (status.js), /_ui/duplicates the duplicates tab
  // (duplicates.js); the search view stays idle there.
  if (window.lookalikeStatusTab || window.lookalikeDuplicatesTab) return;
  run(async () => {
    if (!(await loadIndices())) return;
    const hash = readHash();
    state.category = hash.get('category') || '';
    state.group = hash.get('group') || '';
    await selectIndex(els.index.value);
    const like = hash.get('like');
    if (like) await searchByDoc(like);
    else await browse(false);
  });
})();

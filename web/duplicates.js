// The duplicates tab of the page (/_ui/duplicates): the near-duplicate report of an index as
// groups of thumbnails side by side. The user picks the image to keep in each group (the first
// by default) and, after confirming, the others are deleted with one _bulk request; that needs
// the write privilege on the index (with security on, the browser's sign-in is used as for the
// rest of the page; a refusal is shown as an error). Plain JavaScript. Talks to the server that
// served it:
//   GET  ../_cat/indices?format=json        the index picker
//   POST ../{index}/_near_duplicates        {"min_score": S, "max_groups": N}
//   GET  ../{index}/_image/{id}?size=160    thumbnails
//   POST ../_bulk?refresh=wait_for          the deletes
'use strict';

(() => {
  const onTab = /\/duplicates$/.test(location.pathname);
  window.lookalikeDuplicatesTab = onTab;
  if (!onTab) return;

  const ROOT = '../';
  const THUMB_SIZE = 160;
  const MAX_GROUPS = 200;
  const $ = (id) => document.getElementById(id);
  let els;
  const state = { index: '', groups: [], seq: 0 };

  // {json, ms} for a 2xx answer, else an Error with the server's reason (web/http.js).
  const request = window.lookalikeRequest;

  const indexUrl = (rest) => ROOT + encodeURIComponent(state.index) + rest;

  function setStatus(text, busy) {
    els.status.textContent = text;
    document.body.dataset.state = busy ? 'loading' : 'ready';
  }

  function showError(err) {
    els.error.textContent = err.message || String(err);
    els.error.hidden = false;
    document.body.dataset.state = 'error';
  }

  function saveHash() {
    const params = new URLSearchParams();
    params.set('index', state.index);
    params.set('min_score', els.minScore.value);
    history.replaceState(null, '', '#' + params.toString());
  }

  async function loadIndices() {
    const { json } = await request('GET', ROOT + '_cat/indices?format=json');
    const names = (Array.isArray(json) ? json : []).map((r) => r && r.index)
      .filter((n) => n && !n.startsWith('.')).sort((a, b) => a.localeCompare(b));
    els.index.replaceChildren(...names.map((n) => new Option(n, n)));
    const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
    if (hash.get('min_score')) els.minScore.value = hash.get('min_score');
    els.index.value = names.includes(hash.get('index')) ? hash.get('index') : (names[0] || '');
    return names.length > 0;
  }

  // The ids the user chose to delete: every member of a group but its kept one.
  function doomed() {
    const out = [];
    state.groups.forEach((g, i) => {
      const keep = els.groups.querySelector(`input[name="keep-${i}"]:checked`);
      for (const id of g.ids) if (!keep || id !== keep.value) out.push(id);
    });
    return out;
  }

  function updateFates() {
    for (const member of els.groups.querySelectorAll('.dup-member')) {
      const kept = member.querySelector('input').checked;
      member.classList.toggle('keep', kept);
      member.classList.toggle('drop', !kept);
      member.querySelector('.dup-fate').textContent = kept ? 'keep' : 'delete';
    }
    const n = doomed().length;
    els.del.hidden = n === 0;
    els.del.textContent = `Delete ${n} duplicate${n === 1 ? '' : 's'}…`;
  }

  function renderGroups() {
    const frag = document.createDocumentFragment();
    state.groups.forEach((g, i) => {
      const set = document.createElement('fieldset');
      set.className = 'dup-group';
      set.dataset.group = String(i);
      const legend = document.createElement('legend');
      legend.textContent = `Group ${i + 1}: ${g.doc_count} images, min score ${g.min_score.toFixed(4)}`;
      const row = document.createElement('div');
      row.className = 'dup-row';
      g.ids.forEach((id, j) => {
        const label = document.createElement('label');
        label.className = 'dup-member';
        label.dataset.id = id;
        const radio = document.createElement('input');
        radio.type = 'radio';
        radio.name = `keep-${i}`;
        radio.value = id;
        radio.checked = j === 0;
        radio.setAttribute('aria-label', `Keep ${id}`);
        const img = document.createElement('img');
        img.alt = id;
        img.loading = 'lazy';
        img.src = indexUrl('/_image/' + encodeURIComponent(id) + '?size=' + THUMB_SIZE);
        const name = document.createElement('span');
        name.className = 'dup-id';
        name.textContent = id;
        const fate = document.createElement('span');
        fate.className = 'dup-fate';
        label.append(img, radio, name, fate);
        row.appendChild(label);
      });
      set.append(legend, row);
      frag.appendChild(set);
    });
    els.groups.replaceChildren(frag);
    updateFates();
  }

  async function report() {
    const seq = ++state.seq;
    state.index = els.index.value;
    els.error.hidden = true;
    setStatus('Looking for near duplicates…', true);
    const minScore = Number(els.minScore.value);
    if (!Number.isFinite(minScore)) throw new Error('Min score must be a number.');
    const { json } = await request('POST', indexUrl('/_near_duplicates'),
      { min_score: minScore, max_groups: MAX_GROUPS });
    if (seq !== state.seq) return;
    state.groups = (json && json.groups) || [];
    renderGroups();
    const total = json.total_groups || 0;
    const shown = total > state.groups.length ? ` (the largest ${state.groups.length} shown)` : '';
    setStatus(`${total} group${total === 1 ? '' : 's'} of near duplicates${shown} among ` +
      `${json.docs_scanned} images · ${json.took} ms`, false);
    els.groups.dataset.groups = String(state.groups.length);
    saveHash();
  }

  async function deleteDuplicates() {
    const ids = doomed();
    if (!ids.length) return;
    const sure = window.confirm(`Delete ${ids.length} document${ids.length === 1 ? '' : 's'} ` +
      `from “${state.index}”? The kept image of each group stays. This cannot be undone.`);
    if (!sure) return;
    setStatus(`Deleting ${ids.length} documents…`, true);
    const ndjson = ids.map((id) => JSON.stringify({ delete: { _index: state.index, _id: id } }))
      .join('\n') + '\n';
    const { json } = await request('POST', ROOT + '_bulk?refresh=wait_for', ndjson,
      'application/x-ndjson');
    const failed = ((json && json.items) || []).map((it) => it.delete)
      .filter((d) => d && d.error);
    if (failed.length) {
      const e = failed[0].error;
      throw new Error(`${failed.length} of ${ids.length} deletes failed: ` +
        (e.reason || e.type || JSON.stringify(e)));
    }
    await report();
    els.status.textContent = `Deleted ${ids.length} documents. ` + els.status.textContent;
  }

  const run = (action) => Promise.resolve().then(action).catch(showError);

  document.addEventListener('DOMContentLoaded', () => {
    els = {
      index: $('dup-index'),
      minScore: $('dup-min-score'),
      status: $('dup-status'),
      error: $('dup-error'),
      groups: $('dup-groups'),
      del: $('dup-delete'),
    };
    document.title = 'Lookalike — duplicates';
    $('tab-duplicates').setAttribute('aria-current', 'page');
    $('search-view').hidden = true;
    $('controls').hidden = true;
    document.querySelector('.foot').hidden = true;
    $('duplicates-view').hidden = false;
    $('dup-controls').addEventListener('submit', (e) => {
      e.preventDefault();
      run(report);
    });
    els.index.addEventListener('change', () => run(report));
    els.groups.addEventListener('change', updateFates);
    els.del.addEventListener('click', () => run(deleteDuplicates));
    run(async () => {
      if (!(await loadIndices())) {
        setStatus('No indices yet.', false);
        return;
      }
      await report();
    });
  });
})();

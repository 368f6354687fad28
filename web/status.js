// The status tab of the page (/_ui/status): charts of the last hour from the server's own ring
// of samples, the indices, and the last slow queries. Plain JavaScript; charts by uPlot
// (uplot.js, vendored from npm at build time). Talks to the server that served it:
//   GET ../_lookalike/status    samples (one per interval, an hour's worth) and the index table
//   GET ../_lookalike/slowlog   the last slow searches and writes (needs cluster manage)
'use strict';

(() => {
  const onStatus = /\/status$/.test(location.pathname);
  window.lookalikeStatusTab = onStatus;
  const $ = (id) => document.getElementById(id);
  document.addEventListener('DOMContentLoaded', () => {
    if (window.lookalikeDuplicatesTab) return;  // duplicates.js runs that tab
    $(onStatus ? 'tab-status' : 'tab-search').setAttribute('aria-current', 'page');
    if (!onStatus) return;
    document.title = 'Lookalike — status';
    $('search-view').hidden = true;
    $('controls').hidden = true;
    document.querySelector('.foot').hidden = true;
    $('status-view').hidden = false;
    start();
  });

  const ROOT = '../';
  const MIB = 1024 * 1024;
  const GIB = 1024 * MIB;
  const charts = {};

  // Each chart: its element, its series (label, colour, value of a sample).
  const CHARTS = {
    'chart-qps': [
      ['searches/s', '#2856d8', (s) => s.searches_per_second],
      ['requests/s', '#8a8f98', (s) => s.requests_per_second],
    ],
    'chart-latency': [
      ['p50', '#2a9d4b', (s) => s.search_p50_ms],
      ['p95', '#f2a100', (s) => s.search_p95_ms],
      ['p99', '#c0392b', (s) => s.search_p99_ms],
    ],
    'chart-ingest': [['docs/s', '#2856d8', (s) => s.docs_indexed_per_second]],
    'chart-memory': [
      ['RSS', '#2856d8', (s) => s.rss_bytes / MIB],
      ['vector indices', '#2a9d4b', (s) => s.vector_memory_bytes / MIB],
    ],
    'chart-disk': [
      ['used', '#c0392b', (s) => s.disk_used_bytes / GIB],
      ['indices', '#2856d8', (s) => s.store_bytes / GIB],
    ],
  };

  function chartData(samples, series) {
    const data = [samples.map((s) => s.time / 1000)];
    for (const [, , value] of series) data.push(samples.map(value));
    return data;
  }

  function drawCharts(samples) {
    for (const [id, series] of Object.entries(CHARTS)) {
      const data = chartData(samples, series);
      if (charts[id]) {
        charts[id].setData(data);
        continue;
      }
      const el = $(id);
      charts[id] = new uPlot({
        width: Math.max(300, el.clientWidth || 420),
        height: 220,
        series: [{}].concat(series.map(([label, stroke]) => ({ label, stroke, width: 2 }))),
        axes: [{}, { size: 60 }],
      }, data, el);
    }
  }

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
  }

  function bytes(n) {
    if (n >= GIB) return (n / GIB).toFixed(2) + ' GiB';
    if (n >= MIB) return (n / MIB).toFixed(1) + ' MiB';
    return Math.round(n / 1024) + ' KiB';
  }

  function drawIndices(indices) {
    const body = document.querySelector('#index-table tbody');
    body.replaceChildren();
    for (const i of indices) {
      const row = document.createElement('tr');
      cell(row, i.index);
      cell(row, i.health);
      cell(row, String(i.docs), 'num');
      cell(row, String(i.vectors), 'num');
      cell(row, bytes(i.store_bytes), 'num');
      cell(row, bytes(i.vector_memory_bytes), 'num');
      cell(row, i.models.join(', ') || '—');
      body.appendChild(row);
    }
  }

  async function loadSlowlog() {
    const note = $('slowlog-note');
    const res = await fetch(ROOT + '_lookalike/slowlog', { credentials: 'same-origin' });
    if (!res.ok) {
      note.textContent = res.status === 403
        ? 'The slow log needs the cluster privilege "manage".'
        : 'The slow log could not be read (' + res.status + ').';
      return;
    }
    const entries = (await res.json()).entries.slice(-20).reverse();
    note.textContent = entries.length ? '' : 'No slow queries (see index.search.slowlog.*).';
    const body = document.querySelector('#slowlog-table tbody');
    body.replaceChildren();
    for (const e of entries) {
      const row = document.createElement('tr');
      cell(row, new Date(e.timestamp).toLocaleTimeString());
      cell(row, e.level);
      cell(row, e.index);
      cell(row, e.type === 'search' ? e.kind : 'index ' + e.id);
      cell(row, e.took_ms.toFixed(1), 'num');
      cell(row, e.source.length > 300 ? e.source.slice(0, 300) + '…' : e.source, 'source');
      body.appendChild(row);
    }
  }

  async function refresh() {
    const note = $('status-note');
    try {
      const res = await fetch(ROOT + '_lookalike/status', { credentials: 'same-origin' });
      if (!res.ok) throw new Error('GET _lookalike/status answered ' + res.status);
      const status = await res.json();
      drawCharts(status.samples);
      drawIndices(status.indices);
      note.textContent = status.samples.length + ' samples, one every ' +
        status.interval_seconds + ' s (the last ' +
        Math.round(status.capacity * status.interval_seconds / 60) + ' minutes are kept).';
      await loadSlowlog();
      return status.interval_seconds;
    } catch (err) {
      note.textContent = 'Status unavailable: ' + err.message;
      return 10;
    }
  }

  async function start() {
    const interval = await refresh();
    setInterval(refresh, Math.max(1, interval) * 1000);
  }
})();

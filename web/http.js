// The one way the page's scripts talk to the server (app.js, duplicates.js): plain JavaScript,
// loaded before them, defines window.lookalikeRequest.
//
// lookalikeRequest(method, url, body, contentType) sends `body` (a FormData as is, a string as
// `contentType` or JSON, anything else as JSON) and resolves to {json, ms} for a 2xx answer.
// Any other answer throws an Error whose message is the server's Elasticsearch-style reason and
// the status, with `err.status` set, so every tab reports failures alike.
'use strict';

(() => {
  function reasonOf(res, json, text) {
    if (res.status === 401) {
      // Security is on and the browser has no (or wrong) credentials for this server.
      return 'Sign-in needed: reload the page and enter your Lookalike user name and password.';
    }
    let reason = res.statusText;
    if (json && json.error) {
      reason = typeof json.error === 'string' ? json.error
        : (json.error.reason || json.error.type || JSON.stringify(json.error));
    } else if (text) {
      reason = text.slice(0, 300);
    }
    return res.status === 403 ? 'Not allowed: ' + reason : reason;
  }

  async function lookalikeRequest(method, url, body, contentType) {
    const opts = { method, headers: {} };
    if (body instanceof FormData) {
      opts.body = body;
    } else if (typeof body === 'string') {
      opts.body = body;
      opts.headers['Content-Type'] = contentType || 'application/json';
    } else if (body !== undefined) {
      opts.body = JSON.stringify(body);
      opts.headers['Content-Type'] = 'application/json';
    }
    const t0 = performance.now();
    let res;
    try {
      res = await fetch(url, opts);
    } catch (e) {
      throw new Error('The server did not answer: ' + e.message);
    }
    const text = await res.text();
    const ms = performance.now() - t0;
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (e) {
      json = null;
    }
    if (!res.ok) {
      const err = new Error(`${reasonOf(res, json, text)} (HTTP ${res.status})`);
      err.status = res.status;
      throw err;
    }
    return { json, ms };
  }

  window.lookalikeRequest = lookalikeRequest;
})();

// The operator console. Plain script, no build step. Everything shown comes from the admin API with the key as a
// Bearer header; the key lives in this closure only. Text goes into the page with textContent, never as HTML.
'use strict';

(() => {
  const Refresh = 2000;
  const $ = (id) => document.getElementById(id);
  let key = null;
  let previous = null;
  let timer = null;
  let mode = null;

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // One admin call: JSON in and out; a problem+json answer becomes an ApiError with its detail.
  async function call(method, path, body) {
    const init = { method, cache: 'no-store', headers: { Authorization: `Bearer ${key}` } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }

    const response = await fetch(path, init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }

    if (!response.ok) {
      throw new ApiError(response.status, (data && (data.detail || data.title)) || `HTTP ${response.status}`);
    }

    return data;
  }

  function row(cells) {
    const tr = document.createElement('tr');
    for (const cell of cells) {
      const td = document.createElement('td');
      if (cell instanceof Node) {
        td.append(cell);
      } else {
        td.textContent = cell;
      }

      tr.append(td);
    }

    return tr;
  }

  function fill(tableId, rows) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren(...rows);
  }

  const seconds = (s) => (s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`);
  const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : '–');

  async function login(event) {
    event.preventDefault();
    key = $('key').value.trim();
    $('key').value = '';
    $('login-error').textContent = '';
    try {
      await overview();
    } catch (error) {
      key = null;
      $('login-error').textContent = error.status === 401 ? 'That key was refused.' : `The gateway did not answer: ${error.message}`;
      return;
    }

    $('login').hidden = true;
    $('console').hidden = false;
    $('logout').hidden = false;
    await tick();
    timer = setInterval(() => tick().catch(showProblem), Refresh);
  }

  async function tick() {
    await overview();
    if (mode === 'Queue') {
      await deadLetters();
    }
  }

  function logout() {
    key = null;
    previous = null;
    clearInterval(timer);
    $('console').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    $('whoami').textContent = '';
  }

  function showProblem(error) {
    $('problems').textContent = error.status === 401 ? 'The key is no longer accepted.' : `Overview failed: ${error.message}`;
  }

  async function overview() {
    const state = await call('GET', 'overview');
    mode = state.mode;
    $('whoami').textContent = `${state.mode} · ${state.instance}`;
    $('mode').textContent = state.mode;
    $('instance').textContent = state.instance;
    $('leader').textContent = state.mode === 'Queue' ? (state.leader || 'none') : 'n/a (not Queue mode)';
    $('changes').textContent = state.mode !== 'Queue' ? 'n/a (not Queue mode)'
      : state.slot ? `${state.changes}; slot keeps ${mib(state.slot.retained)} of WAL, ${mib(state.slot.unconfirmed)} unconfirmed, ${state.slot.active ? 'read by a stream' : 'READ BY NO STREAM'}`
        : `${state.changes}; no replication slot`;
    $('updated').textContent = new Date(state.at).toLocaleTimeString();
    fill('instances', (state.instances || []).map((i) => row([i.name, `${seconds(i.secondsAgo)} ago`])));
    $('problems').textContent = state.problems.join('; ');

    if (previous) {
      const elapsed = (Date.parse(state.at) - Date.parse(previous.at)) / 1000;
      if (elapsed > 0) {
        const rate = (now, before) => ((now - before) / elapsed).toFixed(1);
        for (const status of ['FRESH', 'STALE', 'MISS', 'BYPASS']) {
          $(`rate-${status}`).textContent = rate(state.counters.answers[status], previous.counters.answers[status]);
        }

        $('rate-origin').textContent = rate(state.counters.originCalls, previous.counters.originCalls);
        $('rate-batches').textContent = rate(state.counters.batchCalls, previous.counters.batchCalls);
      }
    }

    previous = state;
    $('queue-panel').hidden = state.mode !== 'Queue';
    if (state.shards) {
      fill('shards', state.shards.map((s) => row([String(s.shard), String(s.length), String(s.pending), seconds(s.oldestChangeAgeSeconds), String(s.deadLetters)])));
    }
  }

  function showEntry(entry) {
    $('entry').hidden = false;
    const status = $('entry-status');
    status.textContent = entry.status;
    status.className = `status-${entry.status}`;
    $('entry-generated').textContent = when(entry.generatedAt);
    $('entry-fresh').textContent = when(entry.freshUntil);
    $('entry-stale').textContent = when(entry.staleUntil);
    $('entry-bytes').textContent = entry.bytes == null ? '–' : String(entry.bytes);
    $('entry-lock').textContent = entry.lockHeld ? 'yes' : 'no';
    $('entry-tags').textContent = (entry.tags || []).join(' ') || '–';
    $('entry-purged').textContent = entry.purged ? 'yes' : 'no';
  }

  const entryPath = () => `ranking/${encodeURIComponent($('group').value.trim())}`;

  async function entryCall(method, suffix, done) {
    $('entry-message').textContent = '';
    try {
      const entry = await call(method, entryPath() + suffix);
      showEntry(entry);
      $('entry-message').textContent = done(entry);
    } catch (error) {
      $('entry-message').textContent = error.message;
    }
  }

  function lookup(event) {
    event.preventDefault();
    return entryCall('GET', '', () => '');
  }

  const purge = () => entryCall('DELETE', '', () => 'Purged on every instance.');
  const refresh = () => entryCall('POST', '/refresh', (entry) => `Refresh: ${entry.refresh || 'done'}.`);

  async function deadLetters() {
    try {
      const list = await call('GET', 'queue/dead?count=100');
      fill('dead-letters', list.letters.map((letter) => {
        const actions = document.createElement('span');
        for (const [label, action] of [['Re-queue', 'requeue'], ['Drop', 'drop']]) {
          const button = document.createElement('button');
          button.type = 'button';
          button.textContent = label;
          button.dataset.letter = letter.id;
          button.addEventListener('click', () => letters(action, { ids: [letter.id] }));
          actions.append(button, ' ');
        }

        return row([letter.id, letter.group, String(letter.deliveries), letter.error, when(letter.deadAt), actions]);
      }));
      $('dead-message').textContent = list.count === 0 ? 'No dead letters.' : `${list.count} shown.`;
    } catch (error) {
      $('dead-message').textContent = error.message;
    }
  }

  async function letters(action, selection) {
    try {
      const done = await call('POST', `queue/dead/${action}`, selection);
      await deadLetters();
      $('dead-message').textContent = `${action === 'requeue' ? 'Re-queued' : 'Dropped'}: ${done.affected}. ${$('dead-message').textContent}`;
    } catch (error) {
      $('dead-message').textContent = error.message;
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('lookup-form').addEventListener('submit', lookup);
    $('purge').addEventListener('click', purge);
    $('refresh').addEventListener('click', refresh);
    $('requeue-all').addEventListener('click', () => letters('requeue', { all: true }));
    $('drop-all').addEventListener('click', () => letters('drop', { all: true }));
  });
})();

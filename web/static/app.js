// edgecd console: a hash-routed page over /console/api/. No framework and
// no build step: DOM nodes are made with h(), never from HTML strings, so
// nothing the API returns is ever parsed as markup.
'use strict';

const $ = (sel) => document.querySelector(sel);

// h creates an element: h('td', {class: 'x'}, 'text', child, ...).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// fill replaces el's children, flattening arrays and skipping null, as h does.
function fill(el, ...children) {
  el.replaceChildren();
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

class APIError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || ('HTTP ' + status));
    this.status = status;
    this.code = e.code || 'Error';
    this.hint = e.hint || '';
    this.body = body;
  }
}

// api calls the console API. POSTs carry the CSRF header the server
// requires. A 401 means the session is gone: show the login form.
async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') {
    opts.headers['X-Edgecd-Console'] = '1';
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body || {});
  }
  const resp = await fetch('api/' + path, opts);
  let data = null;
  try { data = await resp.json(); } catch (_) { /* an empty or non-JSON answer */ }
  if (!resp.ok) {
    if (resp.status === 401 && path !== 'login') showLogin();
    throw new APIError(resp.status, data);
  }
  return data;
}

function errorBox(err) {
  return h('div', { class: 'error', role: 'alert' },
    (err.code ? err.code + ': ' : '') + err.message, err.hint ? h('div', { class: 'muted' }, 'next: ' + err.hint) : null);
}

// ---- time and numbers ----

function fmtTime(t) {
  if (t === undefined || t === null || t === '') return '';
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  return isNaN(d) ? String(t) : d.toLocaleString();
}

function fmtDuration(start, end) {
  if (!start) return '';
  const a = new Date(start), b = end ? new Date(end) : new Date();
  const s = Math.max(0, (b - a) / 1000);
  if (s < 60) return s.toFixed(1) + ' s';
  return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
}

const fmtRate = (r) => (r === null ? '–' : r.toFixed(r < 10 ? 2 : 0));
const fmtPct = (p) => (p === null ? '–' : (100 * p).toFixed(1) + '%');

function status(s) {
  return h('span', { class: 'status status-' + (s || 'none') }, s || '—');
}

// ---- session ----

let me = null;

function showLogin() {
  me = null;
  shown = null;
  stopPolling();
  $('#nav').hidden = true;
  $('#logout').hidden = true;
  $('#who').textContent = '';
  fill($('#page'));
  $('#login').hidden = false;
  $('#access-key-id').focus();
}

function loggedIn(info) {
  me = info;
  $('#login').hidden = true;
  $('#nav').hidden = false;
  $('#logout').hidden = false;
  $('#who').textContent = info.arn + ' (' + info.accessKeyId + ')';
  route();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  $('#login-error').textContent = '';
  try {
    const info = await api('POST', 'login', { accessKeyId: f.accessKeyId.value.trim(), secretAccessKey: f.secretAccessKey.value });
    f.secretAccessKey.value = '';
    loggedIn(info);
  } catch (err) {
    $('#login-error').textContent = err.message + (err.hint ? '\n' + err.hint : '');
  }
});

$('#logout').addEventListener('click', async () => {
  try { await api('POST', 'logout'); } finally { showLogin(); }
});

// confirm asks in a modal dialog; resolves true on Confirm.
function confirmAction(title, text) {
  const d = $('#confirm');
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.returnValue = '';
    d.showModal();
  });
}

// ---- routing ----

let poller = null;
function stopPolling() { if (poller) { clearInterval(poller); poller = null; } }

const pages = {
  distributions: distributionsPage,
  pipelines: pipelinesPage,
  executions: executionsPage,
};

let shown = null; // the hash on screen: a refresh of it keeps the old page until the new one is ready
let generation = 0; // counts renders: only the latest one may show its page

// route renders the page the hash names into a detached view and shows it
// when it is ready, unless another render started meanwhile. A page may
// return {ms, fn}: fn then runs every ms (and at once) while it is shown.
function route() {
  if (!me) return;
  stopPolling();
  const gen = ++generation;
  const refresh = shown === location.hash;
  shown = location.hash;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const name = pages[parts[0]] ? parts[0] : 'distributions';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === name);
  const page = $('#page');
  if (!refresh) fill(page, h('p', { class: 'muted' }, 'Loading…'));
  const view = h('div');
  pages[name](view, parts.slice(1)).then((poll) => {
    if (gen !== generation) return;
    fill(page, view);
    if (poll) {
      if (poll.now) poll.fn();
      poller = setInterval(poll.fn, poll.ms);
    }
  }, (err) => {
    if (gen === generation && err.status !== 401) fill(page, errorBox(err));
  });
}
window.addEventListener('hashchange', route);

// ---- distributions ----

async function distributionsPage(page) {
  const { distributions } = await api('GET', 'distributions');
  const byId = Object.fromEntries(distributions.map((d) => [d.id, d]));
  const rows = distributions.map((d) => h('tr', { id: 'dist-' + d.id },
    h('td', {}, h('code', {}, d.id), d.staging ? h('div', { class: 'muted' }, 'staging') : null),
    h('td', {}, d.domain, d.aliases.length ? h('div', { class: 'muted' }, d.aliases.join(', ')) : null),
    h('td', { class: 'dist-status' }, status(d.status)),
    h('td', {}, d.enabled ? 'yes' : 'no'),
    h('td', {}, h('code', {}, d.originPath || '/')),
    h('td', { class: 'policy' }, policyText(d, byId)),
  ));
  fill(page,
    h('h1', {}, 'Distributions'),
    h('table', {}, h('thead', {}, h('tr', {}, ['Id', 'Domain', 'Status', 'Enabled', 'Origin path', 'Continuous deployment'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)),
    me.edge ? null : h('p', { class: 'muted', id: 'no-edge' }, 'No local edge on this node: live traffic is shown by nodes that serve viewers.'),
    distributions.filter((d) => !d.staging).map((d) => releaseCard(d, byId)),
  );
  return me.edge ? trafficPoller() : null;
}

function policyText(d, byId) {
  const p = d.policy;
  if (!p) return d.staging ? '' : h('span', { class: 'muted' }, 'none');
  let rule = p.type;
  if (p.type === 'SingleHeader') rule = 'header ' + p.header + ': ' + p.value;
  if (p.type === 'SingleWeight') {
    rule = 'weight ' + (100 * (p.weight || 0)).toFixed(1) + '%';
    if (p.stickyIdle) rule += ', sticky ' + p.stickyIdle + ' s idle / ' + p.stickyMax + ' s max';
  }
  const staging = byId[d.stagingId];
  return h('div', {},
    h('div', {}, rule, ' ', p.enabled ? status('enabled') : h('span', { class: 'muted' }, '(disabled)')),
    h('div', { class: 'muted' }, '→ staging ', staging ? staging.id + ' serving ' + (staging.originPath || '/') : p.stagingDomain));
}

function releaseCard(d, byId) {
  const staging = byId[d.stagingId];
  const side = (cls, title, originPath) => h('div', { class: 'side ' + cls },
    h('h3', {}, title, ' ', h('code', {}, originPath || '/')),
    h('div', {}, h('span', { class: 'rate' }, '–'), ' req/s'),
    h('div', { class: 'muted' }, '4xx ', h('span', { class: 'e4' }, '–'), ' · 5xx ', h('span', { class: 'e5' }, '–'),
      ' · total ', h('span', { class: 'total' }, '0')));
  // Promote and abort need a staged release (a policy on the primary).
  const staged = !!d.policy;
  const btn = (action, label, cls, needsStaging) => h('button', { type: 'button', class: cls, 'data-action': action, 'data-id': d.id,
    disabled: needsStaging && !staged, title: needsStaging && !staged ? 'nothing is staged: edgecd release stage first' : null,
    onclick: () => runRelease(d, action, staging) }, label);
  return h('div', { class: 'card', id: 'release-' + d.id },
    h('div', { class: 'row' }, h('strong', {}, d.domain), h('code', {}, d.id)),
    me.edge ? h('div', { id: 'traffic-' + d.id },
      h('div', { class: 'traffic' }, side('primary', 'Primary', d.originPath), side('staging', 'Staging', staging && staging.originPath)),
      h('div', { class: 'muted' }, 'Staging share of requests: ', h('span', { class: 'share' }, '–')),
      h('div', { class: 'bar' }, h('span', {}))) : null,
    h('div', { class: 'row' },
      btn('promote', 'Promote staging', 'primary', true), btn('abort', 'Abort staging', '', true), btn('rollback', 'Roll back', '', false)),
    h('div', { class: 'result', id: 'result-' + d.id }, resultView(d.id)));
}

const releaseText = {
  promote: (d, s) => 'Copy the staging config' + (s ? ' (origin path ' + (s.originPath || '/') + ')' : '') + ' into ' + d.id +
    ' so every viewer gets it, and disable the policy.',
  abort: (d) => 'Detach and delete the policy of ' + d.id + ', then disable and delete its staging distribution. The primary keeps serving ' + (d.originPath || '/') + '.',
  rollback: (d) => 'Point ' + d.id + ' back at the previously promoted version.',
};

async function runRelease(d, action, staging) {
  if (!await confirmAction(action[0].toUpperCase() + action.slice(1) + ' ' + d.id + '?', releaseText[action](d, staging))) return;
  const out = $('#result-' + d.id);
  const buttons = document.querySelectorAll('#release-' + d.id + ' button');
  buttons.forEach((b) => { b.disabled = true; });
  fill(out, h('p', { class: 'muted' }, action + ' running…'));
  let ans, err = null;
  try { ans = await api('POST', 'distributions/' + encodeURIComponent(d.id) + '/' + action); } catch (e) { err = e; ans = e.body || {}; }
  results[d.id] = { action, ans, err };
  fill(out, resultView(d.id));
  // Show the new state (and fresh buttons); the result stays on the card.
  if (me) setTimeout(route, err ? 0 : 1500);
}

// results keeps each distribution's last release result across refreshes.
const results = {};

function resultView(id) {
  const r = results[id];
  if (!r) return '';
  const steps = (r.ans.steps || []).map((s) => h('li', { class: s.error ? 'failed' : 'done' }, s.step, ' (' + s.ms + ' ms)', s.error ? ': ' + s.error : ''));
  return h('div', {}, h('ol', { class: 'steps' }, steps),
    r.err ? errorBox(r.err) : h('p', { class: 'done-msg', id: 'done-' + id }, resultText(r.action, r.ans.result)));
}

function resultText(action, r) {
  if (action === 'promote' && r) return r.already_promoted ? 'Already promoted.' : 'Promoted: the primary now serves ' + r.origin_path + '.';
  if (action === 'rollback' && r) return 'Rolled back to ' + r.originPath + '.';
  return action + ' done.';
}

// trafficPoller reads the edge's cumulative counters every 2 s and shows
// rates computed from the difference between two readings.
function trafficPoller() {
  let prev = null, ticks = 0;
  const tick = async () => {
    if (++ticks % 5 === 0) refreshStatus();
    let cur;
    try { cur = await api('GET', 'traffic'); } catch (_) { return; }
    for (const t of cur.distributions) {
      const el = document.getElementById('traffic-' + t.id);
      if (!el) continue;
      const p = prev && prev.distributions.find((x) => x.id === t.id);
      const dt = prev ? (cur.at - prev.at) / 1000 : 0;
      const rates = {};
      for (const side of ['primary', 'staging']) {
        const now = t[side], was = p ? p[side] : null;
        const n = was ? now.requests - was.requests : null;
        rates[side] = n === null || dt <= 0 ? null : n / dt;
        const box = el.querySelector('.' + side);
        box.querySelector('.rate').textContent = fmtRate(rates[side]);
        box.querySelector('.total').textContent = now.requests;
        box.querySelector('.e4').textContent = fmtPct(n ? (now.status4xx - was.status4xx) / n : null);
        box.querySelector('.e5').textContent = fmtPct(n ? (now.status5xx - was.status5xx) / n : null);
      }
      const sum = (rates.primary || 0) + (rates.staging || 0);
      const share = sum > 0 ? rates.staging / sum : null;
      el.querySelector('.share').textContent = fmtPct(share);
      el.querySelector('.bar span').style.width = share === null ? '0' : (100 * share) + '%';
    }
    prev = cur;
  };
  return { ms: 2000, fn: tick, now: true };
}

// refreshStatus updates the Deployed/InProgress cells in place.
async function refreshStatus() {
  let list;
  try { list = (await api('GET', 'distributions?brief=1')).distributions; } catch (_) { return; }
  for (const d of list) {
    const cell = document.querySelector('#dist-' + d.id + ' .dist-status');
    if (cell) fill(cell, status(d.status));
  }
}

// ---- pipelines ----

async function pipelinesPage(page, parts) {
  if (parts[0] && parts[1] === 'runs' && parts[2]) return runPage(page, parts[0], parts[2]);
  const { pipelines } = await api('GET', 'pipelines');
  const cards = await Promise.all(pipelines.map(async (p) => {
    let runs = [], err = null;
    try { runs = (await api('GET', 'pipelines/' + encodeURIComponent(p.name) + '/runs?max=10')).runs; } catch (e) { err = e; }
    const msg = h('span', { class: 'muted' });
    return h('div', { class: 'card', id: 'pipeline-' + p.name },
      h('div', { class: 'row' }, h('h2', {}, p.name), h('span', { class: 'muted' }, 'version ' + p.version),
        h('button', { type: 'button', 'data-action': 'start', onclick: async () => {
          try {
            const r = await api('POST', 'pipelines/' + encodeURIComponent(p.name) + '/start');
            location.hash = '#/pipelines/' + encodeURIComponent(p.name) + '/runs/' + encodeURIComponent(r.pipelineExecutionId);
          } catch (e) { fill(msg, errorBox(e)); }
        } }, 'Start run'), msg),
      err ? errorBox(err) : runsTable(runs));
  }));
  fill(page, h('h1', {}, 'Pipelines'), pipelines.length ? cards : h('p', { class: 'muted' }, 'No pipelines yet: create one with `edgecd pipeline create edgecd.pipeline.yaml`.'));
  return { ms: 5000, fn: () => { if (!busy()) route(); } };
}

function runsTable(runs) {
  if (!runs.length) return h('p', { class: 'muted' }, 'No runs yet.');
  return h('table', {}, h('thead', {}, h('tr', {}, ['Run', 'Status', 'Trigger', 'Started', 'Duration'].map((t) => h('th', {}, t)))),
    h('tbody', {}, runs.map((r) => h('tr', {},
      h('td', {}, h('a', { href: '#/pipelines/' + encodeURIComponent(r.pipeline) + '/runs/' + encodeURIComponent(r.id) }, r.id)),
      h('td', {}, status(r.status), r.summary ? h('div', { class: 'muted' }, r.summary) : null),
      h('td', {}, r.trigger.type, h('div', { class: 'muted' }, r.trigger.detail)),
      h('td', {}, fmtTime(r.start)),
      h('td', {}, fmtDuration(r.start, r.end))))));
}

async function runPage(page, pipeline, id) {
  const { run } = await api('GET', 'runs/' + encodeURIComponent(id));
  const stages = run.stages.map((s) => h('div', { class: 'card stage' },
    h('div', { class: 'row' }, h('h2', {}, s.name), status(s.status), h('span', { class: 'muted' }, fmtDuration(s.start, s.end))),
    h('table', {}, h('tbody', {}, s.actions.map((a) => h('tr', {},
      h('td', {}, h('strong', {}, a.name), h('div', { class: 'muted' }, a.kind)),
      h('td', {}, status(a.status), a.error ? h('div', { class: 'error' }, a.error) : null),
      h('td', {}, fmtDuration(a.start, a.end)),
      h('td', {}, a.summary || '', a.approval ? h('div', { class: 'muted' }, a.approval.result + ' by ' + a.approval.by + (a.approval.comment ? ': ' + a.approval.comment : '')) : null,
        waitingApproval(a) ? approvalForm(run, s, a) : null,
        a.log ? logButton(run, s, a) : null)))))));
  fill(page,
    h('p', {}, h('a', { href: '#/pipelines' }, '← Pipelines')),
    h('h1', {}, pipeline + ' run ', h('code', {}, run.id)),
    h('p', {}, h('span', { id: 'run-status', class: 'status status-' + run.status }, run.status), ' ', run.summary || '', ' · started ' + fmtTime(run.start) + ' · ' + fmtDuration(run.start, run.end),
      ' · trigger ' + run.trigger.type + ' ' + run.trigger.detail),
    h('p', { class: 'muted' }, Object.entries(run.commits || {}).map(([k, v]) => k + ' ' + v.slice(0, 12)).join(' · ')),
    stages);
  if (!['Succeeded', 'Failed', 'Stopped', 'Superseded'].includes(run.status)) {
    return { ms: 3000, fn: () => { if (!busy()) route(); } };
  }
}

// busy says the user is in the middle of something a refresh would undo:
// a dialog is open, or a comment is being written.
const busy = () => !!document.querySelector('dialog[open]') ||
  [...document.querySelectorAll('#page textarea')].some((t) => t.value !== '' || t === document.activeElement);

const waitingApproval = (a) => a.kind === 'approval' && a.status === 'InProgress' && !a.approval;

function approvalForm(run, s, a) {
  const comment = h('textarea', { rows: 2, placeholder: 'Comment (optional)', class: 'comment' });
  const msg = h('div');
  const decide = (st) => async () => {
    if (!await confirmAction((st === 'Approved' ? 'Approve' : 'Reject') + ' ' + a.name + '?', 'Run ' + run.id + ' of ' + run.pipeline + ', stage ' + s.name + '.')) return;
    try {
      await api('POST', 'runs/' + encodeURIComponent(run.id) + '/decide', { stage: s.name, action: a.name, status: st, comment: comment.value });
      route();
    } catch (e) { fill(msg, errorBox(e)); }
  };
  return h('div', { class: 'approval' }, h('strong', {}, 'Waiting for approval'), comment,
    h('div', { class: 'row' }, h('button', { type: 'button', class: 'primary', 'data-action': 'approve', onclick: decide('Approved') }, 'Approve'),
      h('button', { type: 'button', class: 'danger', 'data-action': 'reject', onclick: decide('Rejected') }, 'Reject')), msg);
}

function logButton(run, s, a) {
  const box = h('div');
  return h('div', {}, h('button', { type: 'button', onclick: async () => {
    try {
      const l = await api('GET', 'runs/' + encodeURIComponent(run.id) + '/log?stage=' + encodeURIComponent(s.name) + '&action=' + encodeURIComponent(a.name));
      fill(box, h('pre', {}, l.data || '(empty)'));
    } catch (e) { fill(box, errorBox(e)); }
  } }, 'Log tail'), box);
}

// ---- executions ----

async function executionsPage(page, parts) {
  if (parts[0] === 'machine' && parts[1]) return machinePage(page, parts[1]);
  if (parts[0] === 'execution' && parts[1]) return executionPage(page, parts[1]);
  const { stateMachines } = await api('GET', 'statemachines');
  fill(page, h('h1', {}, 'State machines'), stateMachines.length
    ? h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Type', 'Created'].map((t) => h('th', {}, t)))),
      h('tbody', {}, stateMachines.map((m) => h('tr', {},
        h('td', {}, h('a', { href: '#/executions/machine/' + encodeURIComponent(m.stateMachineArn) }, m.name)),
        h('td', {}, m.type), h('td', {}, fmtTime(m.creationDate))))))
    : h('p', { class: 'muted' }, 'No state machines yet.'));
}

async function machinePage(page, arn) {
  const { executions } = await api('GET', 'executions?stateMachineArn=' + encodeURIComponent(arn));
  fill(page,
    h('p', {}, h('a', { href: '#/executions' }, '← State machines')),
    h('h1', {}, 'Executions of ', h('code', {}, arn.split(':').pop())),
    executions.length ? h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Status', 'Started', 'Stopped'].map((t) => h('th', {}, t)))),
      h('tbody', {}, executions.map((x) => h('tr', {},
        h('td', {}, h('a', { href: '#/executions/execution/' + encodeURIComponent(x.executionArn) }, x.name)),
        h('td', {}, status(x.status)), h('td', {}, fmtTime(x.startDate)), h('td', {}, fmtTime(x.stopDate))))))
      : h('p', { class: 'muted' }, 'No executions.'));
  return { ms: 5000, fn: route };
}

async function executionPage(page, arn) {
  const { execution: x, history } = await api('GET', 'execution?executionArn=' + encodeURIComponent(arn));
  const details = (e) => {
    const k = Object.keys(e).find((key) => key.endsWith('EventDetails'));
    return k ? JSON.stringify(e[k]) : '';
  };
  fill(page,
    h('p', {}, h('a', { href: '#/executions/machine/' + encodeURIComponent(x.stateMachineArn) }, '← Executions')),
    h('h1', {}, x.name, ' ', status(x.status)),
    h('p', { class: 'muted' }, 'started ' + fmtTime(x.startDate) + (x.stopDate ? ' · stopped ' + fmtTime(x.stopDate) : '')),
    x.error ? h('p', { class: 'error' }, x.error + ': ' + (x.cause || '')) : null,
    h('h2', {}, 'Input'), h('pre', {}, x.input || ''),
    x.output ? [h('h2', {}, 'Output'), h('pre', {}, x.output)] : null,
    h('h2', {}, 'History (newest first)'),
    h('table', { id: 'history' }, h('thead', {}, h('tr', {}, ['#', 'Type', 'Time', 'Details'].map((t) => h('th', {}, t)))),
      h('tbody', {}, history.events.map((e) => h('tr', {},
        h('td', {}, e.id), h('td', {}, e.type), h('td', {}, fmtTime(e.timestamp)), h('td', {}, h('code', {}, details(e))))))));
  return x.status === 'RUNNING' ? { ms: 3000, fn: route } : null;
}

// ---- start ----

api('GET', 'session').then(loggedIn).catch((err) => { if (err.status !== 401) fill($('#page'), errorBox(err)); });

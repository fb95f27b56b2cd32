// spottrain operator console: plain JavaScript, no build, no external assets. Every read and change is a call to the
// coordinator's JSON API with the console session (an HttpOnly cookie, plus the CSRF token in X-CSRF-Token for changes).
// Live updates poll every 2 s: reads are served from the control node's copy of the state store, cheap at this rate,
// and polling needs no push channel from the job manager and passes any proxy.
'use strict';

const POLL_MS = 2000;
const OPERATOR = ['operator', 'admin'];
const state = { me: null, timer: null, route: null, series: {}, log: null, ledger: null };

// ---- DOM helpers: text only (no HTML from data) ----
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v); else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}
const $ = (id) => document.getElementById(id);
function fill(id, ...children) { const el = $(id); if (el) el.replaceChildren(...children.flat()); }
function table(id, headers, rows, caption) {
  return h('table', { id },
    caption ? h('caption', { class: 'why' }, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col', class: x.num ? 'num' : null }, x.label || x)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'why' }, 'none'))));
}
const td = (v, num) => h('td', { class: num ? 'num' : null }, v === null || v === undefined ? '-' : v);
const usd = (v) => (v === null || v === undefined ? '-' : '$' + Number(v).toFixed(v < 1 ? 4 : 2));
const ago = (iso) => { if (!iso) return '-'; const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s < 90 ? Math.round(s) + ' s' : s < 5400 ? Math.round(s / 60) + ' min' : (s / 3600).toFixed(1) + ' h'; };
const dur = (sec) => { const s = Math.round(sec); const p = (n) => String(n).padStart(2, '0');
  return s < 60 ? s + ' s' : s < 3600 ? Math.floor(s / 60) + ' m ' + p(s % 60) + ' s' : Math.floor(s / 3600) + ' h ' + p(Math.floor((s % 3600) / 60)) + ' m'; };
const stateCell = (s) => h('td', {}, h('span', { class: 'state-' + s }, s));

// ---- the API ----
class ApiError extends Error { constructor(status, message) { super(message); this.status = status; } }
async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') { headers['Content-Type'] = 'application/json'; if (state.me) headers['X-CSRF-Token'] = state.me.csrfToken; }
  const r = await fetch(path, { method, headers, credentials: 'same-origin', body: method === 'GET' ? undefined : JSON.stringify(body || {}) });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401 && !path.startsWith('/api/v1/session')) { showLogin('Your session ended: log in again.'); }
  if (!r.ok) throw new ApiError(r.status, (data && data.error) || 'HTTP ' + r.status);
  return data;
}
const canOperate = () => state.me && OPERATOR.includes(state.me.role);

// ---- login ----
function showLogin(message) {
  state.me = null;
  stopPolling();
  $('login-view').hidden = false; $('nav').hidden = true; $('who').hidden = true;
  fill('view');
  $('login-error').textContent = message || '';
  $('token').focus();
}
async function login(ev) {
  ev.preventDefault();
  $('login-error').textContent = '';
  try {
    state.me = await api('POST', '/api/v1/session', { token: $('token').value.trim() });
    $('token').value = '';
    loggedIn();
  } catch (e) { $('login-error').textContent = 'Login failed: ' + e.message; }
}
function loggedIn() {
  $('login-view').hidden = true; $('nav').hidden = false; $('who').hidden = false;
  $('who-name').textContent = state.me.name + ' (' + state.me.role + ')';
  route();
}
async function logout() {
  try { await api('POST', '/api/v1/session/logout', {}); } catch (e) { /* the session may be gone already */ }
  showLogin('Logged out.');
}

// ---- routing and polling ----
function route() {
  if (!state.me) return;
  const hash = location.hash || '#/cluster';
  const m = hash.match(/^#\/jobs\/([^/]+)$/);
  let id = null;
  if (m) { try { id = decodeURIComponent(m[1]); } catch (e) { id = null; } } // a malformed link shows the job list
  state.route = id ? { view: 'job', id } : hash.startsWith('#/jobs') ? { view: 'jobs' } : { view: 'cluster' };
  for (const [id, v] of [['nav-cluster', 'cluster'], ['nav-jobs', 'jobs']]) {
    if (state.route.view === v || (v === 'jobs' && state.route.view === 'job')) $(id).setAttribute('aria-current', 'page');
    else $(id).removeAttribute('aria-current');
  }
  ({ cluster: mountCluster, jobs: mountJobs, job: mountJob })[state.route.view]();
  stopPolling();
  refresh();
  state.timer = setInterval(refresh, POLL_MS);
}
function stopPolling() { if (state.timer) clearInterval(state.timer); state.timer = null; }
async function refresh() {
  const r = state.route;
  try {
    if (r.view === 'cluster') await updateCluster(); else if (r.view === 'jobs') await updateJobs(); else await updateJob(r.id);
    if (r.view === 'job' && state.log && state.log.id === r.id && $('rank-log-follow') && $('rank-log-follow').checked) await followLog();
    $('status').textContent = 'Updated ' + new Date().toLocaleTimeString() + ' (every ' + POLL_MS / 1000 + ' s)';
  } catch (e) { if (e.status !== 401) $('status').textContent = 'Update failed: ' + e.message; }
}

// ---- cluster ----
function mountCluster() {
  fill('view', h('h1', {}, 'Cluster'), h('div', { class: 'cards', id: 'cluster-cards' }), h('h2', {}, 'Nodes'), h('div', { id: 'nodes' }));
}
async function updateCluster() {
  const [nodes, cost] = await Promise.all([api('GET', '/api/v1/nodes'), api('GET', '/api/v1/cost?window=1d').catch(() => null)]);
  const workers = nodes.filter((n) => n.role === 'worker');
  const count = (f) => workers.filter(f).length;
  const burn = workers.reduce((s, n) => s + n.pricePerHour, 0);
  const onDemand = workers.reduce((s, n) => s + n.onDemandPricePerHour, 0);
  const card = (label, value, id) => h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value', id }, value));
  fill('cluster-cards',
    card('Worker nodes', workers.length, 'card-workers'),
    count((n) => n.market === 'reserved') > 0
      ? card('Spot / on-demand / reserved', count((n) => n.market === 'spot') + ' / ' + count((n) => n.market === 'on-demand') + ' / '
          + count((n) => n.market === 'reserved'), 'card-markets')
      : card('Spot / on-demand', count((n) => n.market === 'spot') + ' / ' + count((n) => n.market !== 'spot'), 'card-markets'),
    card('Busy / ready', count((n) => n.state === 'BUSY') + ' / ' + count((n) => n.state === 'READY'), 'card-states'),
    card('Interruption notices', count((n) => n.state === 'INTERRUPTING'), 'card-notices'),
    card('Burn rate', usd(burn) + '/h', 'card-burn'),
    card('Savings now (vs on-demand)', onDemand > 0 ? Math.round((100 * (onDemand - burn)) / onDemand) + '%' : '-', 'card-savings'),
    card('Cost, last 24 h', cost ? usd(cost.total.costUsd) : '-', 'card-cost'),
    card('Saved, last 24 h', cost ? usd(cost.total.savingsUsd) : '-', 'card-saved'));
  const rows = nodes.map((n) => h('tr', { 'data-node': n.id }, td(n.id), td(n.role), td(n.market), td(n.instanceType || '-'),
    td(n.gpus, true), td(n.role === 'worker' ? usd(n.pricePerHour) + '/h' : '-', true), td(n.zone || '-'), stateCell(n.state),
    h('td', {}, n.job ? h('a', { href: '#/jobs/' + encodeURIComponent(n.job) }, n.job) : '-'), td(ago(n.registeredAt), true)));
  fill('nodes', table('nodes-table', ['Node', 'Role', 'Market', 'Type', { label: 'GPUs', num: true }, { label: 'Price', num: true },
    'Zone', 'State', 'Job', { label: 'Age', num: true }], rows));
}

// ---- jobs ----
function mountJobs() { fill('view', h('h1', {}, 'Jobs'), h('div', { id: 'jobs' })); }
async function updateJobs() {
  const jobs = await api('GET', '/api/v1/jobs');
  const rows = jobs.map((j) => h('tr', { 'data-job': j.id },
    h('td', {}, h('a', { href: '#/jobs/' + encodeURIComponent(j.id), 'data-job-link': j.id }, j.id)), td(j.name), stateCell(j.state),
    td(j.generation, true), td(j.worldSize + ' of ' + j.minWorkers + '..' + j.maxWorkers, true),
    td(j.totalSteps ? j.steps + ' of ' + j.totalSteps : j.steps, true), td(j.etaSeconds === null ? '-' : dur(j.etaSeconds), true),
    td(j.loss === null ? '-' : j.loss.toFixed(4), true), td(usd(j.cost.actualUsd), true),
    td(j.cost.savingsPct + '%', true), td(j.pendingReason || j.reason || '')));
  fill('jobs', table('jobs-table', ['Job', 'Name', 'State', { label: 'Generation', num: true }, { label: 'Workers', num: true },
    { label: 'Step', num: true }, { label: 'ETA', num: true }, { label: 'Loss', num: true }, { label: 'Cost so far', num: true },
    { label: 'Savings', num: true }, 'Why'], rows));
}

// ---- one job ----
function mountJob() {
  const id = state.route.id;
  state.log = null;
  state.series[id] = state.series[id] || { points: [], after: 0 };
  const op = canOperate();
  const viewerWhy = op ? null : 'Your token is a ' + state.me.role + ' token: resizing, checkpointing and cancelling need an operator token.';
  fill('view',
    h('p', {}, h('a', { href: '#/jobs' }, '← all jobs')),
    h('h1', {}, 'Job ', h('span', { id: 'job-id' }, id), ' ', h('span', { id: 'job-state' })),
    h('dl', { class: 'facts', id: 'job-facts' }),
    h('section', { class: 'panel', 'aria-labelledby': 'explain-title', id: 'explain' },
      h('h2', { id: 'explain-title' }, 'Placement'),
      h('p', { id: 'explain-answer' }), h('ul', { id: 'explain-why' })),
    h('section', { class: 'panel', 'aria-labelledby': 'actions-title', id: 'actions' },
      h('h2', { id: 'actions-title' }, 'Actions'),
      h('p', { id: 'actions-why', class: 'why' }, viewerWhy || ''),
      h('div', { class: 'row' },
        h('label', { for: 'workers' }, 'Workers'),
        h('button', { type: 'button', id: 'workers-down', 'aria-label': 'one worker fewer', onclick: () => step(-1) }, '−'),
        h('input', { type: 'number', id: 'workers', inputmode: 'numeric', 'aria-describedby': 'workers-bounds actions-why' }),
        h('button', { type: 'button', id: 'workers-up', 'aria-label': 'one worker more', onclick: () => step(1) }, '+'),
        h('span', { id: 'workers-bounds', class: 'why' }),
        h('label', { for: 'resize-message' }, 'Message'),
        h('input', { type: 'text', id: 'resize-message', maxlength: 500, placeholder: 'why (kept with the scaling event)' }),
        h('button', { type: 'button', id: 'resize-button', class: 'primary', onclick: askResize, 'aria-describedby': 'actions-why' }, 'Resize…')),
      h('div', { class: 'row', id: 'resize-confirm-row', hidden: true },
        h('span', { id: 'resize-question' }),
        h('button', { type: 'button', id: 'resize-confirm', class: 'primary', onclick: doResize }, 'Confirm resize'),
        h('button', { type: 'button', id: 'resize-back', onclick: () => { $('resize-confirm-row').hidden = true; $('resize-button').focus(); } }, 'Back')),
      h('div', { class: 'row' },
        h('button', { type: 'button', id: 'checkpoint-button', onclick: doCheckpoint, 'aria-describedby': 'actions-why' }, 'Checkpoint now'),
        h('button', { type: 'button', id: 'cancel-button', class: 'danger', onclick: askCancel, 'aria-describedby': 'actions-why' }, 'Cancel job…')),
      h('div', { class: 'row', id: 'cancel-confirm-row', hidden: true },
        h('span', {}, 'Cancel this job? Every rank stops; committed checkpoints stay.'),
        h('button', { type: 'button', id: 'cancel-confirm', class: 'danger', onclick: doCancel }, 'Yes, cancel the job'),
        h('button', { type: 'button', id: 'cancel-back', onclick: () => { $('cancel-confirm-row').hidden = true; $('cancel-button').focus(); } }, 'Keep it running')),
      h('p', { id: 'action-result', role: 'status' })),
    h('h2', {}, 'Progress'),
    h('div', { class: 'charts' },
      h('figure', {}, h('div', { id: 'chart-step' }), h('figcaption', {}, 'Step and world size over time (the coordinator\'s record: a point per 10 s for 4 h, per 5 min for 48 h; generations from the job\'s events)')),
      h('figure', {}, h('div', { id: 'chart-loss' }), h('figcaption', {}, 'Loss over time (rank 0\'s reports, same record)'))),
    h('h2', {}, 'Generations and recoveries'), h('div', { id: 'recoveries' }),
    h('h2', {}, 'Checkpoints'), h('dl', { class: 'facts', id: 'checkpoints' }),
    h('h2', {}, 'Ranks'), h('div', { id: 'members' }),
    // an earlier generation's rank: read from its node, or from the copy its agent made (the node may be gone)
    h('form', { class: 'row', id: 'past-log-form', onsubmit: (e) => { e.preventDefault(); showLog(id, Number($('past-log-rank').value), Number($('past-log-generation').value)); } },
      h('label', {}, 'Generation ', h('input', { type: 'number', id: 'past-log-generation', min: 1, value: 1, required: true })),
      h('label', {}, ' rank ', h('input', { type: 'number', id: 'past-log-rank', min: 0, value: 0, required: true })),
      h('button', { type: 'submit', id: 'past-log-button' }, 'Show that rank\'s log')),
    h('p', { id: 'rank-log-title', class: 'why' }),
    h('label', { id: 'rank-log-follow-label', hidden: true }, h('input', { type: 'checkbox', id: 'rank-log-follow', checked: true }),
      ' Follow: add new output at every update'),
    h('pre', { id: 'rank-log', class: 'log', tabindex: 0, 'aria-labelledby': 'rank-log-title' }),
    h('h2', {}, 'Scaling events'), h('div', { id: 'scaling' }),
    h('h2', {}, 'Events'), h('div', { id: 'events' }));
  for (const b of ['workers-down', 'workers-up', 'workers', 'resize-message', 'resize-button', 'checkpoint-button', 'cancel-button']) {
    $(b).disabled = !op;
  }
  state.scale = null;
}
function step(d) {
  const s = state.scale; if (!s) return;
  const input = $('workers');
  const v = Math.min(s.max, Math.max(s.min, (parseInt(input.value, 10) || s.running) + d));
  input.value = v;
}
function askResize() {
  const s = state.scale; const to = parseInt($('workers').value, 10);
  if (!s || Number.isNaN(to)) return;
  $('resize-question').textContent = 'Resize from ' + s.running + ' to ' + to + ' workers (allowed ' + s.min + '..' + s.max + ')?';
  $('resize-confirm-row').hidden = false;
  $('resize-confirm').focus();
}
async function act(what, call) {
  $('action-result').textContent = '';
  try { await call(); $('action-result').textContent = what + ': done'; } catch (e) { $('action-result').textContent = what + ' refused: ' + e.message; }
  refresh();
}
function doResize() {
  $('resize-confirm-row').hidden = true;
  const s = state.scale;
  const body = { workers: parseInt($('workers').value, 10), expectedGeneration: s.generation };
  const msg = $('resize-message').value.trim();
  if (msg) body.message = msg;
  act('Resize', () => api('POST', '/api/v1/jobs/' + encodeURIComponent(state.route.id) + '/scale', body)).then(() => { $('resize-message').value = ''; });
}
function doCheckpoint() { act('Checkpoint', () => api('POST', '/api/v1/jobs/' + encodeURIComponent(state.route.id) + '/checkpoint', {})); }
function askCancel() { $('cancel-confirm-row').hidden = false; $('cancel-back').focus(); }
function doCancel() {
  $('cancel-confirm-row').hidden = true;
  act('Cancel', () => api('POST', '/api/v1/jobs/' + encodeURIComponent(state.route.id) + '/cancel', {}));
}

// the job's lines of the cost ledger (node time, recovery, checkpoint storage) since it was submitted: the ledger is the
// whole fleet's, so it is read every 30 s, not at every update (its open segments are at most 45 s behind anyway)
const LEDGER_EVERY_MS = 30000;
async function refreshLedger(id, job) {
  const l = state.ledger;
  if (l && l.id === id && Date.now() - l.at < LEDGER_EVERY_MS && !(l.live && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.state))) return;
  const window = encodeURIComponent(job.submittedAt + '..' + new Date(Date.now() + 60000).toISOString());
  const report = await api('GET', '/api/v1/cost?by=allocation&job=' + encodeURIComponent(id) + '&window=' + window).catch(() => null);
  state.ledger = { id, at: Date.now(), report, live: !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.state) };
}
function ledgerText(report) {
  if (!report) return null;
  const parts = report.rows.map((r) => r.key + ' ' + usd(r.costUsd));
  return usd(report.total.costUsd) + (parts.length ? ' = ' + parts.join(' + ') : '');
}

async function updateJob(id) {
  const s = state.series[id];
  const [job, scale, explain, series] = await Promise.all([api('GET', '/api/v1/jobs/' + encodeURIComponent(id)),
    api('GET', '/api/v1/jobs/' + encodeURIComponent(id) + '/scale'),
    api('GET', '/api/v1/jobs/' + encodeURIComponent(id) + '/explain').catch(() => null),
    api('GET', '/api/v1/jobs/' + encodeURIComponent(id) + '/series?after=' + s.after).catch(() => null)]);
  if (series) {
    s.points = s.points.concat(series.points.filter((p) => p.t > s.after));
    if (s.points.length > 20000) s.points.splice(0, s.points.length - 20000); // a page left open for days
    s.after = Math.max(s.points.length ? s.points[s.points.length - 1].t : 0, series.cursor);
  }
  if (state.route.view !== 'job' || state.route.id !== id) return;
  await refreshLedger(id, job);
  if (state.route.view !== 'job' || state.route.id !== id) return; // left the page meanwhile
  // why it waits or where it runs (the same answer as ./spottrain explain)
  fill('explain-answer', explain ? explain.answer : 'not available');
  fill('explain-why', (explain ? explain.why : []).map((w) => h('li', {}, w)));
  const first = state.scale === null;
  state.scale = scale;
  const terminal = ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.state);
  if (state.log && state.log.id === id) state.log.ended = terminal;
  fill('job-state', h('span', { class: 'state-' + job.state }, job.state));
  $('past-log-generation').max = job.generation;
  const fact = (k, v, vid) => [h('dt', {}, k), h('dd', { id: vid }, v === null || v === undefined ? '-' : v)];
  fill('job-facts',
    fact('Name', job.name), fact('Generation', job.generation, 'job-generation'),
    fact('World size', job.worldSize + ' (min ' + job.minWorkers + ', max ' + job.maxWorkers + ', desired '
      + (scale.desired === null ? 'max' : scale.desired) + ')', 'job-world'),
    fact('Step', job.totalSteps ? job.steps + ' of ' + job.totalSteps : job.steps, 'job-step'),
    fact('ETA', job.etaSeconds === null ? null : dur(job.etaSeconds) + ' at ' + job.stepsPerSec.toFixed(2) + ' steps/s', 'job-eta'),
    fact('Loss', job.loss === null ? null : job.loss.toFixed(5)),
    fact('Throughput', job.samplesPerSec ? job.samplesPerSec.toFixed(1) + ' samples/s' : null),
    fact('Cost so far', usd(job.cost.actualUsd) + ' (on-demand ' + usd(job.cost.onDemandUsd) + ', saved ' + job.cost.savingsPct + '%)'),
    fact('In the cost ledger', ledgerText(state.ledger && state.ledger.id === id ? state.ledger.report : null), 'job-ledger'),
    fact('Market', job.market), fact('Priority', job.priority), fact('Submitted', job.submittedAt), fact('Why', job.pendingReason || job.reason));
  // actions: bounds, and why a control is off
  const op = canOperate();
  const changing = scale.changing;
  let why = op ? '' : $('actions-why').textContent;
  if (op && terminal) why = 'The job ended ' + job.state + ': nothing to change.';
  else if (op && changing) why = 'A generation change is in flight: resizing waits until the job is RUNNING again.';
  $('actions-why').textContent = why;
  $('workers-bounds').textContent = 'running ' + scale.running + ', allowed ' + scale.min + '..' + scale.max;
  const input = $('workers');
  input.min = scale.min; input.max = scale.max;
  const key = scale.generation + '/' + scale.desired + '/' + scale.running;
  if (first || (key !== state.scaleKey && document.activeElement !== input)) input.value = scale.desired === null ? scale.running : scale.desired;
  state.scaleKey = key;
  for (const b of ['workers-down', 'workers-up', 'workers', 'resize-button']) $(b).disabled = !op || terminal || changing;
  $('checkpoint-button').disabled = !op || job.state !== 'RUNNING';
  $('cancel-button').disabled = !op || terminal;
  if (terminal) { $('resize-confirm-row').hidden = true; $('cancel-confirm-row').hidden = true; }
  // charts: the coordinator's record of the job (fetched incrementally), and the step the job view has now
  const pts = s.points;
  const stepLine = pts.map((p) => [p.t * 1000, p.step]);
  const worldLine = pts.map((p) => [p.t * 1000, p.worldSize]);
  const lossLine = pts.filter((p) => p.loss !== null).map((p) => [p.t * 1000, p.loss]);
  const generations = (job.events || []).filter((e) => e.type === 'GENERATION_OPENED')
    .map((e) => [Date.parse(e.at), parseInt((e.message.match(/world size (\d+)/) || [0, 0])[1], 10)]);
  fill('chart-step', chart([{ points: stepLine, label: 'step', color: '#0550ae' },
    { points: mergeWorld(generations, worldLine), label: 'world size', color: '#bc4c00', right: true, steps: true }]));
  fill('chart-loss', chart([{ points: lossLine, label: 'loss', color: '#116329' }]));
  // recoveries
  fill('recoveries', table('recoveries-table', ['Kind', 'Node', { label: 'At step', num: true }, { label: 'Detect s', num: true },
    { label: 'Resume s', num: true }, { label: 'Back to training s', num: true }, { label: 'Training paused s', num: true },
    { label: 'Lost steps', num: true }, 'In place'],
  (job.preemptions || []).map((p) => h('tr', {}, td(p.kind), td(p.node), td(p.atStep, true), td(p.detectSeconds, true),
    td(p.resumeSeconds, true), td(p.backToTrainingSeconds, true), td(p.pausedSeconds, true), td(p.lostSteps, true),
    td(p.inPlaceRanks === null ? '-' : p.inPlaceRanks + ' ranks')))
    .concat((job.growths || []).map((g) => h('tr', { 'data-growth': g.atStep }, td('grow ' + g.fromWorkers + ' → ' + (g.toWorkers === null ? '?' : g.toWorkers)),
      td('-'), td(g.atStep, true), td('-', true), td(g.resumeSeconds, true), td(g.backToTrainingSeconds, true), td(g.pausedSeconds, true),
      td(0, true),
      td(g.inPlaceRanks === null ? '-' : g.inPlaceRanks + ' ranks'))))));
  const c = job.checkpoints;
  fill('checkpoints', fact('Committed steps', c.count), fact('Newest (local)', c.latestStep), fact('Newest in S3', c.remoteLatestStep),
    fact('Upload backlog', c.backlogSteps + ' steps, ' + (c.backlogBytes / 1048576).toFixed(1) + ' MiB', 'upload-backlog'),
    fact('Stall / persist / upload p50', [c.stallMsP50, c.persistMsP50, c.uploadMsP50].map((v) => (v === null ? '-' : v.toFixed(0) + ' ms')).join(' / ')),
    fact('Interval', c.interval + (c.autoIntervalWhy ? ' — ' + c.autoIntervalWhy : '')));
  fill('members', table('members-table', [{ label: 'Rank', num: true }, 'Node', 'Market', { label: 'Price', num: true },
    { label: 'PID', num: true }, 'Rank log (on the node)', 'Exit'],
  (job.members || []).map((m) => h('tr', {}, td(m.rank, true), td(m.nodeId), td(m.market), td(usd(m.pricePerHour) + '/h', true),
    td(m.pid, true), h('td', {}, h('button', { type: 'button', 'data-log-rank': m.rank, onclick: () => showLog(id, m.rank) }, 'Show log'),
      ' ', h('code', {}, m.logFile || '-')), td(m.exitCode)))));
  fill('scaling', table('scaling-table', ['At', { label: 'Generation', num: true }, 'From → to', { label: 'Running', num: true },
    'Outcome', 'Source', 'Actor', 'Message', 'Reason'],
  scale.events.slice().reverse().map((e) => h('tr', {}, td(e.at), td(e.generation, true), td(e.from + ' → ' + e.to),
    td(e.running, true), td(e.outcome), td(e.source), td(e.actor), td(e.message), td(e.reason)))));
  fill('events', table('events-table', ['At', 'Type', { label: 'Gen', num: true }, 'Node', 'Message', 'By'],
    (job.events || []).slice().reverse().map((e) => h('tr', {}, td(e.at), td(e.type), td(e.generation, true), td(e.node),
      td(e.message), td(e.by)))), 'newest ' + (job.events || []).length + ' of ' + job.eventCount);
}
// a rank's output, read by its node's agent (secrets masked), or its copy in the remote tier: fetched on request, then followed
// at every update (the same 2 s poll) from where the last answer ended, as `logs -f` does; a rank that moved to another node or
// file (a recovery) is followed there from its start, under a line that says so
const LOG_KEEP_CHARS = 256 * 1024;
async function showLog(id, rank, generation) {
  state.log = null;
  fill('rank-log-title', 'Rank ' + rank + (generation ? ' of generation ' + generation : '') + ': loading…');
  const past = generation ? '&generation=' + generation : '';
  try {
    const log = await api('GET', '/api/v1/jobs/' + encodeURIComponent(id) + '/ranks/' + rank + '/log?bytes=16384' + past);
    fill('rank-log-title', 'Rank ' + rank + ' on ' + log.nodeId + ', generation ' + log.generation + ': the last '
      + Math.min(log.size, 16384) + ' of ' + log.size + ' bytes of ' + log.file
      + (log.copiedAt ? ' (the node cannot answer: the copy its agent made at ' + log.copiedAt + ')' : ''));
    fill('rank-log', log.text);
    $('rank-log').scrollTop = $('rank-log').scrollHeight;
    // an agent too old to follow answers without next: shown, not followed
    state.log = log.next === null || log.next === undefined ? null : { id, rank, past, next: log.next, where: log.nodeId + ':' + log.file };
    $('rank-log-follow-label').hidden = !state.log;
  } catch (e) {
    fill('rank-log-title', 'Rank ' + rank + ': ' + e.message);
    fill('rank-log', '');
  }
}
async function followLog() {
  const f = state.log;
  if (f.busy || f.done) return; // one read at a time (a node that does not answer takes the ask's time-out)
  f.busy = true;
  try {
    // while behind, read on (at most 4 windows an update); once the job has ended, one last read
    for (let i = 0; i < 4 && state.log === f; i++) {
      const ended = f.ended;
      let log;
      try {
        log = await api('GET', '/api/v1/jobs/' + encodeURIComponent(f.id) + '/ranks/' + f.rank + '/log?bytes=65536&from=' + f.next + f.past);
      } catch (e) { return; } // forming or recovering: no output to read now; the next update asks again
      if (state.log !== f) return; // another rank was chosen meanwhile
      const pre = $('rank-log');
      const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      const where = log.nodeId + ':' + log.file;
      if (where !== f.where) { // the rank moved: that file from its start
        pre.append('\n--- rank ' + f.rank + ' now on ' + log.nodeId + ', generation ' + log.generation + ': ' + log.file + ' ---\n');
        f.where = where;
        f.next = 0;
        continue;
      }
      if (log.text) pre.append(log.text);
      while (pre.textContent.length > LOG_KEEP_CHARS && pre.childNodes.length > 1) pre.firstChild.remove();
      f.next = log.next;
      if (atEnd) pre.scrollTop = pre.scrollHeight;
      if (ended) { f.done = true; return; }
      if (log.next >= log.size) return; // caught up
    }
  } finally {
    f.busy = false;
  }
}
function mergeWorld(generations, polled) {
  const all = generations.concat(polled).sort((a, b) => a[0] - b[0]);
  return all;
}

// A small SVG line chart: time on x, one or two y axes.
function chart(lines) {
  const W = 520; const H = 200; const L = 46; const R = 40; const T = 10; const B = 24;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'chart'); svg.setAttribute('width', W); svg.setAttribute('height', H);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', lines.map((l) => l.label + ': ' + (l.points.length ? l.points[l.points.length - 1][1] : 'no data')).join(', '));
  const all = lines.flatMap((l) => l.points);
  const add = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text; svg.append(e); return e; };
  if (all.length < 1) { add('text', { x: L, y: H / 2 }, 'collecting data…'); return svg; }
  const t0 = Math.min(...all.map((p) => p[0])); const t1 = Math.max(t0 + 1000, ...all.map((p) => p[0]));
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  for (const l of lines) {
    if (!l.points.length) continue;
    const lo = Math.min(0, ...l.points.map((p) => p[1])); const hi = Math.max(lo + 1, ...l.points.map((p) => p[1]));
    const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
    let d = '';
    l.points.forEach((p, i) => {
      if (i === 0) d += 'M' + x(p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1);
      else if (l.steps) d += 'H' + x(p[0]).toFixed(1) + 'V' + y(p[1]).toFixed(1);
      else d += 'L' + x(p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1);
    });
    if (l.steps) d += 'H' + x(t1).toFixed(1);
    add('path', { d, fill: 'none', stroke: l.color, 'stroke-width': 2 });
    add('text', { x: l.right ? W - R + 4 : 2, y: T + 8, fill: l.color }, fmt(hi));
    add('text', { x: l.right ? W - R + 4 : 2, y: H - B, fill: l.color }, fmt(lo));
    add('text', { x: l.right ? W - R - 60 : L + 4, y: T + 10, fill: l.color }, l.label);
  }
  add('text', { x: L, y: H - 6 }, new Date(t0).toLocaleTimeString());
  add('text', { x: W - R - 50, y: H - 6 }, new Date(t1).toLocaleTimeString());
  return svg;
}
const fmt = (v) => (Math.abs(v) >= 1000 ? Math.round(v).toString() : Number(v.toPrecision(3)).toString());

// ---- start: an existing session (a reload) goes straight in ----
document.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  window.addEventListener('hashchange', route);
  try {
    const me = await api('GET', '/api/v1/session');
    if (!me.csrfToken) throw new Error('no console session');
    state.me = me;
    loggedIn();
  } catch (e) { showLogin(''); }
});

/* global document, window, fetch, EventSource */
// The inspector page: loads the snapshot and graph, then follows /api/stream to stay live.
import { renderFleet } from './fleet.js';
import { renderGraph } from './graph.js';
import { addLogEntry } from './log.js';
import { renderGauges, renderModules, renderSections, renderSummary } from './views.js';

const STATUSES = ['online', 'starting', 'preparing', 'stopping', 'offline', 'dead'];
const REFRESH_MS = 5000;

const state = { info: null, snapshot: null, graph: null, sections: {} };
const $ = (id) => document.getElementById(id);

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

function render() {
  const { snapshot, graph, info } = state;
  if (snapshot === null || graph === null) return;
  const kernel = $('kernel-status');
  kernel.dataset.status = snapshot.status;
  kernel.textContent = `kernel ${snapshot.status}`;
  renderSummary($('summary'), snapshot);
  renderGraph($('graph'), graph, snapshot.modules, snapshot.managed);
  renderGauges($('gauges'), snapshot);
  renderModules($('modules'), snapshot, info, changeModule);
  renderSections($('plugin-sections'), state.sections);
  renderFleet($('fleet'), $('fleet-connection'), snapshot);
  $('management-note').textContent = !snapshot.managed
    ? 'Module management is off: every module runs.'
    : info?.mutations
      ? 'Managed: enable or disable modules below (needs the token).'
      : 'Managed; read-only (no token configured).';
}

async function refresh() {
  const [snapshot, graph, sections] = await Promise.all([
    getJson('api/snapshot'),
    getJson('api/graph'),
    getJson('api/sections'),
  ]);
  state.snapshot = snapshot;
  state.graph = graph;
  state.sections = sections;
  render();
}

let refreshTimer;
/** Coalesces bursts of events into one refresh. */
function scheduleRefresh(delay = 120) {
  if (refreshTimer !== undefined) return;
  refreshTimer = window.setTimeout(() => {
    refreshTimer = undefined;
    refresh().catch((err) => note(`refresh failed: ${err.message}`));
  }, delay);
}

/** Applies a status change at once, ahead of the next full refresh. */
function applyStatus(d) {
  const m = state.snapshot?.modules[d.module];
  if (m !== undefined) m.status = d.to;
  const node = state.graph?.nodes.find((n) => n.id === d.module);
  if (node !== undefined) node.status = d.to;
  render();
}

function note(message) {
  addLogEntry($('log'), 'inspector', { module: 'inspector', message });
}

async function changeModule(name, action) {
  const token = $('token').value.trim();
  if (token === '') {
    note('Enter the token (top right) to change modules.');
    $('token').focus();
    return;
  }
  const res = await fetch(`api/modules/${encodeURIComponent(name)}/${action}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await res.json().catch(() => ({}));
  note(
    res.ok
      ? `${action === 'restart' ? 'restarted' : `${action}d`} ${name}: now ${body.status}`
      : `${action} ${name} refused (${res.status}): ${body.error ?? ''}`,
  );
  scheduleRefresh(0);
}

function connect() {
  const live = $('live');
  const stream = new EventSource('api/stream');
  stream.addEventListener('open', () => {
    live.dataset.state = 'live';
    live.textContent = 'live';
    scheduleRefresh(0);
  });
  stream.addEventListener('error', (e) => {
    // A module error sent by the server is also an "error" event, but with data: not a drop.
    if (e.data !== undefined) return;
    live.dataset.state = 'down';
    live.textContent = 'reconnecting';
  });
  for (const kind of ['status', 'failure', 'error', 'event']) {
    stream.addEventListener(kind, (e) => {
      const data = JSON.parse(e.data);
      addLogEntry($('log'), kind, data);
      $('log-count').textContent = `${$('log').childElementCount} shown`;
      if (kind === 'status') applyStatus(data);
      scheduleRefresh();
    });
  }
}

function legend() {
  const items = STATUSES.map((s) => {
    const item = document.createElement('span');
    item.className = 'legend-item';
    item.dataset.status = s;
    item.textContent = s;
    return item;
  });
  $('legend').replaceChildren(...items);
}

async function main() {
  legend();
  state.info = await getJson('api/info');
  $('token-form').hidden = !state.info.mutations;
  $('token-form').addEventListener('submit', (e) => e.preventDefault());
  await refresh();
  connect();
  window.setInterval(() => scheduleRefresh(0), REFRESH_MS);
}

main().catch((err) => note(`could not load: ${err.message}`));

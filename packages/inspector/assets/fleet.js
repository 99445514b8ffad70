// The fleet panel: replicas and who leads what, job queues, fleet tasks and fleet events.
import { fromNow, h } from './views.js';

const none = (text = '—') => h('span', { class: 'muted' }, text);

/** "12s ago", relative to the kernel's clock; `ms` is epoch milliseconds. */
export function ago(ms, nowIso) {
  const s = Math.max(0, Math.round((Date.parse(nowIso) - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s ago`;
  const hours = Math.floor(m / 60);
  return hours < 48 ? `${hours}h ${m % 60}m ago` : `${Math.floor(hours / 24)}d ago`;
}

function table(cls, heads, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'muted small fleet-empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: `fleet-table ${cls}` },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          heads.map(([text, num]) => h('th', { class: num ? 'num' : undefined }, text)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

function failuresList(items, at) {
  if (items.length === 0) return none();
  return h(
    'ul',
    { class: 'items fleet-failures' },
    items.map((f) =>
      h(
        'li',
        { title: `${f.id} · ${new Date(f.at).toISOString()}` },
        h('span', { class: 'item-name' }, f.id),
        h('span', { class: 'fleet-error' }, f.error),
        h('span', { class: 'item-when' }, ago(f.at, at)),
      ),
    ),
  );
}

const num = (n, tone) =>
  h(
    'td',
    { class: 'num' },
    n > 0 && tone ? h('span', { class: `tag ${tone}` }, String(n)) : String(n),
  );

function replicaRows(fleet, at) {
  const replicas = [...fleet.replicas].sort((a, b) => a.replicaId.localeCompare(b.replicaId));
  return replicas.map((r) => {
    const self = r.replicaId === fleet.replicaId;
    return h(
      'tr',
      { 'data-replica': r.replicaId, class: self ? 'self' : undefined },
      h(
        'td',
        {},
        h('span', { class: 'module-name' }, r.replicaId),
        self && h('span', { class: 'tag info' }, 'this replica'),
      ),
      h(
        'td',
        { class: 'fleet-leads' },
        r.leaderOf.length === 0
          ? none()
          : r.leaderOf.map((m) => h('span', { class: 'tag good', 'data-leads': m }, m)),
      ),
      h('td', { title: new Date(r.since).toISOString() }, ago(r.since, at)),
      h('td', { title: new Date(r.lastSeen).toISOString() }, ago(r.lastSeen, at)),
    );
  });
}

function queueRows(fleet, at) {
  return Object.entries(fleet.queues).map(([name, q]) =>
    h(
      'tr',
      { 'data-queue': name },
      h('td', {}, h('span', { class: 'module-name' }, name)),
      num(q.waiting),
      num(q.active, 'info'),
      num(q.delayed),
      num(q.completed),
      num(q.failed, 'bad'),
      h('td', {}, failuresList(q.lastFailures, at)),
    ),
  );
}

function taskRows(fleet, at) {
  return Object.entries(fleet.tasks).map(([key, t]) =>
    h(
      'tr',
      { 'data-fleet-task': key },
      h('td', {}, h('span', { class: 'module-name' }, key)),
      h(
        'td',
        {},
        t.nextRunAt === undefined || t.nextRunAt === null
          ? none()
          : fromNow(new Date(t.nextRunAt).toISOString(), at),
      ),
      h('td', { class: 'fleet-last-run' }, t.lastRunBy ?? none('not run yet')),
    ),
  );
}

function eventRows(fleet, at) {
  return Object.entries(fleet.events).map(([hook, e]) =>
    h(
      'tr',
      { 'data-hook': hook },
      h('td', {}, h('span', { class: 'module-name' }, hook)),
      num(e.delivered),
      num(e.pending, 'info'),
      num(e.deadLettered, 'bad'),
      h('td', {}, failuresList(e.deadLetters, at)),
    ),
  );
}

/** Renders `snapshot.fleet` into the fleet card's body and its head's connection pill. */
export function renderFleet(container, pillEl, snapshot) {
  const fleet = snapshot.fleet;
  if (fleet === undefined) {
    container.replaceChildren(none('This kernel has no fleet view.'));
    return;
  }
  const at = snapshot.at;
  const down = !fleet.connected;
  pillEl.dataset.status = down ? 'warning' : 'online';
  pillEl.dataset.connected = String(fleet.connected);
  pillEl.textContent = down ? 'disconnected' : 'connected';
  const f = fleet.failure;
  container.replaceChildren(
    h(
      'p',
      { class: 'muted small fleet-about' },
      `service ${fleet.service} · provider ${fleet.provider} · ` +
        `${fleet.replicas.length} replica(s) · this replica ${fleet.replicaId}`,
    ),
    f.status !== 'none' &&
      h(
        'div',
        { class: 'failure fleet-failure', 'data-failure': f.status, title: f.message },
        h('span', { class: 'pill', 'data-status': f.status }, f.status),
        h('span', { class: 'failure-title' }, f.title || f.id),
        h('span', { class: 'muted small' }, f.message),
      ),
    h('h3', {}, 'Replicas'),
    table(
      'fleet-replicas',
      [['Replica'], ['Leads'], ['Joined'], ['Last seen']],
      replicaRows(fleet, at),
      'No replica seen yet.',
    ),
    h('h3', {}, 'Job queues'),
    table(
      'fleet-queues',
      [
        ['Queue'],
        ['Waiting', true],
        ['Active', true],
        ['Delayed', true],
        ['Completed', true],
        ['Failed', true],
        ['Last failures'],
      ],
      queueRows(fleet, at),
      'No @Job queues.',
    ),
    h('h3', {}, 'Fleet tasks'),
    table(
      'fleet-tasks',
      [['Task'], ['Next run'], ['Last run by']],
      taskRows(fleet, at),
      "No fleet: 'once' tasks.",
    ),
    h('h3', {}, 'Fleet events'),
    table(
      'fleet-events',
      [['Hook'], ['Delivered', true], ['Pending', true], ['Dead-lettered', true], ['Dead letters']],
      eventRows(fleet, at),
      'No fleet hooks.',
    ),
  );
}

/* global document */
// DOM views of a snapshot. Every value from the kernel goes in as text, never as HTML.

/** Creates an element: attributes (`on*` functions become listeners) and children. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

/** Whether a module should run: under management only enabled ones and what they need. */
export function shouldRun(snapshot, m) {
  return !snapshot.managed || m.enabled || m.enabledAsDependency;
}

/** "in 3m 20s", relative to the kernel's clock (which may not be the browser's). */
export function fromNow(iso, nowIso) {
  if (iso === null) return '—';
  const ms = Date.parse(iso) - Date.parse(nowIso);
  if (ms <= 500) return 'due now';
  const s = Math.round(ms / 1000);
  if (s < 60) return `in ${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `in ${m}m ${s % 60}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `in ${hours}h ${m % 60}m`;
  return `in ${Math.floor(hours / 24)}d`;
}

const pill = (status, text = status) => h('span', { class: 'pill', 'data-status': status }, text);
const none = () => h('span', { class: 'muted' }, '—');

function stat(label, value, detail, tone) {
  return h(
    'div',
    { class: 'stat', 'data-tone': tone },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
    h('div', { class: 'stat-detail' }, detail),
  );
}

/** The row of headline numbers. */
export function renderSummary(container, snapshot) {
  const modules = Object.values(snapshot.modules);
  const wanted = modules.filter((m) => shouldRun(snapshot, m));
  const online = wanted.filter((m) => m.status === 'online').length;
  const workers = modules.reduce((n, m) => n + m.workers.length, 0);
  const last = snapshot.errors.last;
  container.replaceChildren(
    stat(
      'Modules online',
      `${online} / ${wanted.length}`,
      snapshot.managed ? `${modules.length} modules, managed` : `${modules.length} modules`,
      online === wanted.length ? 'good' : 'warn',
    ),
    stat(
      'Failure state',
      snapshot.failure,
      worstModule(modules, snapshot.fleet),
      toneOf(snapshot.failure),
    ),
    stat('Workers running', String(workers), `${snapshot.tasks.running} task(s) running now`),
    stat(
      'Errors reported',
      String(snapshot.errors.count),
      last === null ? 'none so far' : `last: ${last.module} · ${last.message}`,
      snapshot.errors.count > 0 ? 'bad' : 'good',
    ),
  );
}

function worstModule(modules, fleet) {
  const bad = modules
    .filter((m) => m.failure.status !== 'none')
    .map((m) => `${m.name}: ${m.failure.title || m.failure.status}`);
  // The built-in fleet status counts in the kernel's worst state too.
  const f = fleet?.failure;
  if (f !== undefined && f.status !== 'none') bad.push(`fleet: ${f.title || f.status}`);
  return bad.length === 0 ? 'all clear' : bad.join(', ');
}

function toneOf(failure) {
  return { none: 'good', hint: 'info', warning: 'warn', error: 'bad' }[failure] ?? 'info';
}

function bar(label, value, max) {
  const fill = h('div', { class: 'bar-fill' });
  fill.style.width = `${Math.min(100, max > 0 ? (value / max) * 100 : 0)}%`;
  return h(
    'div',
    { class: 'gauge' },
    h('div', { class: 'gauge-head' }, h('span', {}, label), h('strong', {}, `${value} / ${max}`)),
    h('div', { class: 'bar', role: 'meter', 'aria-valuenow': value, 'aria-valuemax': max }, fill),
  );
}

function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
  );
}

/** Microtask slots and the task queue. */
export function renderGauges(container, snapshot) {
  const { microtasks: mt, tasks } = snapshot;
  container.replaceChildren(
    bar('Microtask slots in use', mt.inUse, mt.limit),
    facts([
      ['Waiting (medium)', mt.waiting.medium],
      ['Waiting (low)', mt.waiting.low],
      ['Ran overdue', mt.overdue],
    ]),
    bar('Task run slots in use', tasks.slotsInUse, tasks.concurrency),
    facts([
      ['Scheduled', tasks.scheduled],
      ['Queued', tasks.queued.prioritized + tasks.queued.normal],
      ['Overdue', tasks.queued.overdue],
      ['Parked', tasks.queued.parked],
    ]),
  );
}

function failureCell(f) {
  if (f.status === 'none') return none();
  return h(
    'div',
    { class: 'failure', title: f.message },
    pill(f.status),
    h('span', { class: 'failure-title' }, f.title || f.id),
  );
}

function workersCell(workers) {
  if (workers.length === 0) return none();
  return h(
    'ul',
    { class: 'items' },
    workers.map((w) =>
      h(
        'li',
        { title: w.lastError ?? `running since ${w.runningSince}` },
        h('span', { class: 'item-name' }, w.name),
        w.restarts > 0 && h('span', { class: 'tag warn' }, `↻ ${w.restarts}`),
      ),
    ),
  );
}

function tasksCell(tasks, at) {
  if (tasks.length === 0) return none();
  return h(
    'ul',
    { class: 'items' },
    tasks.map((t) =>
      h(
        'li',
        { title: t.lastError ?? `${t.runs} run(s), ${t.failures} failed` },
        h('span', { class: 'item-name' }, t.name),
        t.running
          ? h('span', { class: 'tag good' }, 'running')
          : t.queued
            ? h('span', { class: 'tag info' }, 'queued')
            : h('span', { class: 'item-when' }, fromNow(t.nextRunAt, at)),
        t.failures > 0 && h('span', { class: 'tag bad' }, `${t.failures} failed`),
      ),
    ),
  );
}

/** The modules table; `onAction(name, 'enable' | 'disable' | 'restart')` when a button is pressed. */
export function renderModules(tbody, snapshot, info, onAction) {
  const canChange = info?.mutations && snapshot.managed;
  const fleet = snapshot.fleet;
  const leads = new Set(fleet?.replicas.find((r) => r.replicaId === fleet.replicaId)?.leaderOf);
  const rows = Object.values(snapshot.modules).map((m) => {
    const wanted = shouldRun(snapshot, m);
    const action = m.enabled ? 'disable' : 'enable';
    const own = info?.inspector === m.name;
    const restartable = info?.mutations && !own && m.status === 'online';
    return h(
      'tr',
      { 'data-module': m.name, 'data-status': m.status, class: wanted ? '' : 'unwanted' },
      h(
        'td',
        {},
        h('div', { class: 'module-name' }, m.name),
        m.dependencies.length > 0 &&
          h('div', { class: 'muted small' }, `needs ${m.dependencies.join(', ')}`),
      ),
      h(
        'td',
        {},
        pill(m.status),
        leads.has(m.name) &&
          h(
            'span',
            { class: 'tag good', 'data-leader': '', title: 'Singleton led here' },
            'leader',
          ),
        m.standby &&
          h(
            'span',
            { class: 'tag info', 'data-standby': '', title: 'Singleton led by another replica' },
            'standby',
          ),
        snapshot.managed && !wanted && h('span', { class: 'tag' }, 'disabled'),
        snapshot.managed &&
          !m.enabled &&
          m.enabledAsDependency &&
          h('span', { class: 'tag info' }, 'as dependency'),
      ),
      h('td', {}, failureCell(m.failure)),
      h('td', {}, workersCell(m.workers)),
      h('td', {}, tasksCell(m.tasks, snapshot.at)),
      h('td', { class: 'num' }, String(m.microtasks)),
      h(
        'td',
        { class: 'actions-col' },
        canChange
          ? h(
              'button',
              {
                type: 'button',
                class: `btn ${action}`,
                'data-action': action,
                'data-module': m.name,
                disabled: own && action === 'disable',
                title: own ? 'The inspector cannot disable itself' : undefined,
                onclick: () => onAction(m.name, action),
              },
              action === 'enable' ? 'Enable' : 'Disable',
            )
          : false,
        // Restart works without management; the inspector does not restart itself.
        restartable
          ? h(
              'button',
              {
                type: 'button',
                class: 'btn restart',
                'data-action': 'restart',
                'data-module': m.name,
                title: 'Stop the module (its running dependents first) and start it again',
                onclick: () => onAction(m.name, 'restart'),
              },
              'Restart',
            )
          : false,
        !canChange && !restartable && none(),
      ),
    );
  });
  tbody.replaceChildren(...rows);
}

/** Sections that plugin modules contribute (e.g. @keel/config's effective configuration). */
export function renderSections(container, sections) {
  const cards = Object.entries(sections).map(([module, section]) =>
    h(
      'section',
      { class: 'card plugin-card', 'data-module': module },
      h(
        'div',
        { class: 'card-head' },
        h('h2', {}, section.title),
        h('span', { class: 'muted' }, module),
      ),
      section.error !== undefined
        ? h('p', { class: 'muted' }, `unavailable: ${section.error}`)
        : (section.tables ?? []).map((t) =>
            h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'modules plugin-table' },
                h('caption', {}, t.caption),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    t.columns.map((c) => h('th', {}, c)),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  t.rows.map((row) =>
                    h(
                      'tr',
                      {},
                      row.map((cell) => h('td', {}, cell === null ? '—' : String(cell))),
                    ),
                  ),
                ),
              ),
            ),
          ),
    ),
  );
  container.replaceChildren(...cards);
}

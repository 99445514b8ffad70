// The live log of errors and events. Every value goes in as text, never as HTML.
import { h } from './views.js';

const MAX_LOG = 200;

function describeEntry(kind, d) {
  switch (kind) {
    case 'status':
      return [`${d.module}`, `${d.from} → ${d.to}`];
    case 'failure':
      return [
        d.module,
        d.status === 'none'
          ? 'failure resolved'
          : `${d.status}: ${d.title || d.id}${d.message ? ` — ${d.message}` : ''}`,
      ];
    case 'error':
      return [d.module, `${d.severity} in ${d.taskType} "${d.taskName}": ${d.message}`];
    case 'event': {
      if (!d.exposed) return [d.module, `${d.event} (data not exposed)`];
      if (d.dataOmitted) return [d.module, `${d.event} (data ${d.dataOmitted})`];
      const json = JSON.stringify(d.data);
      return [d.module, `${d.event} ${json.length > 160 ? `${json.slice(0, 159)}…` : json}`];
    }
    default:
      return [d.module ?? 'inspector', d.message ?? ''];
  }
}

/** Prepends one line to the event log, keeping the newest {@link MAX_LOG}. */
export function addLogEntry(list, kind, data) {
  const [module, text] = describeEntry(kind, data);
  const time = new Date().toLocaleTimeString([], { hour12: false });
  list.prepend(
    h(
      'li',
      { class: 'log-entry', 'data-kind': kind, 'data-severity': data.severity },
      h('time', {}, time),
      h('span', { class: 'log-kind' }, kind),
      h('span', { class: 'log-module' }, module),
      h('span', { class: 'log-text' }, text),
    ),
  );
  while (list.childElementCount > MAX_LOG) list.lastElementChild.remove();
}

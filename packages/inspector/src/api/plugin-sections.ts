import type { Kernel } from '@keel/core';

/**
 * The method a module implements to add a section to the inspector: its JSON on
 * `/api/sections`, its tables on the page, its counters and gauges on `/metrics`. A
 * `Symbol.for`, so a plugin needs no import of `@keel/inspector` to contribute.
 */
export const INSPECTOR_SECTION = Symbol.for('@keel/inspector:section');

/** A table of a section, rendered as text on the page. */
export interface InspectorTable {
  readonly caption: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null>>;
}

/** A metric of a section: one sample, for `/metrics`. */
export interface InspectorMetric {
  /** A Prometheus name, e.g. `keel_config_reloads_total`. */
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly value: number;
  readonly labels?: Readonly<Record<string, string>>;
}

/** What a module's `[INSPECTOR_SECTION]()` returns. Mask secrets before returning it. */
export interface InspectorSection {
  readonly title: string;
  /** JSON-serialisable; served on `/api/sections` under the module's name. */
  readonly data: unknown;
  readonly tables?: readonly InspectorTable[];
  readonly metrics?: readonly InspectorMetric[];
}

/** A module instance that contributes a section. */
export interface InspectorSectionProvider {
  [INSPECTOR_SECTION](): InspectorSection;
}

/** A section as served: the module's, or the error its method threw. */
export type ServedSection = InspectorSection | { readonly title: string; readonly error: string };

/** Every module's section, by module name; a throwing provider is shown as its error. */
export function collectSections(kernel: Kernel): Record<string, ServedSection> {
  const out: Record<string, ServedSection> = {};
  for (const handle of kernel.modules) {
    const instance = handle.instance as Partial<InspectorSectionProvider> | undefined;
    const method = instance?.[INSPECTOR_SECTION];
    if (typeof method !== 'function') continue;
    try {
      out[handle.name] = method.call(instance);
    } catch (err) {
      out[handle.name] = {
        title: handle.name,
        error: err instanceof Error ? err.message : String(err),
      };
    }
  }
  return out;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The sections' metrics as Prometheus text. Names the registry already has, malformed
 * names or labels, and non-finite values are skipped: a plugin cannot break `/metrics`.
 */
export function sectionMetricsText(
  sections: Record<string, ServedSection>,
  taken: ReadonlySet<string>,
): string {
  const byName = new Map<string, { help: string; type: string; lines: string[] }>();
  for (const section of Object.values(sections)) {
    const metrics: unknown = 'metrics' in section ? section.metrics : undefined;
    if (!Array.isArray(metrics)) continue;
    // Plugin data: checked field by field, whatever its declared type says.
    for (const m of metrics as ReadonlyArray<InspectorMetric | undefined>) {
      if (
        m === undefined ||
        m === null ||
        typeof m.name !== 'string' ||
        !NAME.test(m.name) ||
        taken.has(m.name)
      )
        continue;
      if (typeof m.value !== 'number' || !Number.isFinite(m.value)) continue;
      const labels = Object.entries(m.labels ?? {}).filter(([k]) => LABEL.test(k));
      const text =
        labels.length === 0
          ? ''
          : `{${labels.map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(',')}}`;
      const entry = byName.get(m.name) ?? {
        help: String(m.help).replace(/\n/g, ' '),
        type: m.type === 'gauge' ? 'gauge' : 'counter',
        lines: [],
      };
      entry.lines.push(`${m.name}${text} ${m.value}`);
      byName.set(m.name, entry);
    }
  }
  let out = '';
  for (const [name, { help, type, lines }] of byName) {
    out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`;
  }
  return out;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

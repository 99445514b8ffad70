import type { ModuleStatus } from '../work/module-status.js';

/** One module as a graph renderer needs it. */
export interface GraphNode {
  readonly name: string;
  readonly status: ModuleStatus;
  readonly dependencies: readonly string[];
}

/** Output formats of `kernel.graph()`. */
export type GraphFormat = 'mermaid' | 'dot' | 'json';

const MERMAID_CLASS: Record<ModuleStatus, string> = {
  dead: 'fill:#eee,stroke:#999',
  preparing: 'fill:#fff3cd,stroke:#b58900',
  offline: 'fill:#f8d7da,stroke:#a33',
  starting: 'fill:#fff3cd,stroke:#b58900',
  online: 'fill:#d4edda,stroke:#2a7',
  stopping: 'fill:#fff3cd,stroke:#b58900',
};

const DOT_COLOR: Record<ModuleStatus, string> = {
  dead: 'gray',
  preparing: 'gold',
  offline: 'lightpink',
  starting: 'gold',
  online: 'palegreen',
  stopping: 'gold',
};

/** Renders the dependency graph; edges point from a module to what it depends on. */
export function renderGraph(nodes: readonly GraphNode[], format: GraphFormat): string {
  switch (format) {
    case 'mermaid':
      return mermaid(nodes);
    case 'dot':
      return dot(nodes);
    case 'json':
      return JSON.stringify(
        {
          nodes: nodes.map((n) => ({ id: n.name, status: n.status })),
          edges: nodes.flatMap((n) => n.dependencies.map((d) => ({ from: n.name, to: d }))),
        },
        null,
        2,
      );
  }
}

function mermaid(nodes: readonly GraphNode[]): string {
  const ids = new Map(nodes.map((n, i) => [n.name, `m${i}`]));
  const lines = ['graph TD'];
  for (const n of nodes)
    lines.push(`  ${ids.get(n.name)}["${escape(n.name)} (${n.status})"]:::${n.status}`);
  for (const n of nodes)
    for (const d of n.dependencies) lines.push(`  ${ids.get(n.name)} --> ${ids.get(d)}`);
  for (const [status, style] of Object.entries(MERMAID_CLASS))
    lines.push(`  classDef ${status} ${style}`);
  return lines.join('\n');
}

function dot(nodes: readonly GraphNode[]): string {
  const lines = ['digraph keel {', '  node [shape=box, style=filled];'];
  for (const n of nodes) {
    lines.push(
      `  "${escape(n.name)}" [label="${escape(n.name)}\\n${n.status}", fillcolor=${DOT_COLOR[n.status]}];`,
    );
  }
  for (const n of nodes)
    for (const d of n.dependencies) lines.push(`  "${escape(n.name)}" -> "${escape(d)}";`);
  lines.push('}');
  return lines.join('\n');
}

function escape(text: string): string {
  return text.replace(/["\\]/g, '\\$&');
}

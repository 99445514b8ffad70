/* global document */
// The dependency graph as SVG: one column per dependency depth (foundations on the left),
// edges from a module to what it depends on. No libraries: the page works offline.

const NS = 'http://www.w3.org/2000/svg';
const NODE_W = 176;
const NODE_H = 50;
const COL_GAP = 80;
const ROW_GAP = 18;
const PAD = 12;
const MAX_LABEL = 20;

/** Depth of each node: 0 without dependencies, else one more than its deepest dependency. */
function depths(nodes, deps) {
  const depth = new Map();
  const visiting = new Set();
  const visit = (id) => {
    if (depth.has(id)) return depth.get(id);
    if (visiting.has(id)) return 0; // a cycle cannot reach a running kernel; stay safe anyway
    visiting.add(id);
    let d = 0;
    for (const dep of deps.get(id) ?? []) d = Math.max(d, visit(dep) + 1);
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const n of nodes) visit(n.id);
  return depth;
}

/** Positions every node: columns by depth, rows ordered to keep edges short. */
export function layout(graph) {
  const deps = new Map(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) deps.get(e.from)?.push(e.to);
  const depth = depths(graph.nodes, deps);
  const columns = [];
  for (const n of graph.nodes) (columns[depth.get(n.id)] ??= []).push(n.id);
  const row = new Map();
  columns.forEach((column, c) => {
    const weight = (id) => {
      const ys = (deps.get(id) ?? []).map((d) => row.get(d)).filter((y) => y !== undefined);
      return ys.length === 0 ? Number.MAX_SAFE_INTEGER : ys.reduce((a, b) => a + b, 0) / ys.length;
    };
    if (c === 0) column.sort((a, b) => a.localeCompare(b));
    else column.sort((a, b) => weight(a) - weight(b) || a.localeCompare(b));
    column.forEach((id, i) => row.set(id, i));
  });
  const tallest = Math.max(1, ...columns.map((col) => col.length));
  const height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP;
  const positions = new Map();
  columns.forEach((column, c) => {
    const used = column.length * NODE_H + (column.length - 1) * ROW_GAP;
    const top = (height - used) / 2;
    column.forEach((id, i) => {
      positions.set(id, { x: PAD + c * (NODE_W + COL_GAP), y: top + i * (NODE_H + ROW_GAP) });
    });
  });
  const width = PAD * 2 + columns.length * NODE_W + Math.max(0, columns.length - 1) * COL_GAP;
  return { positions, deps, width: Math.max(width, NODE_W + PAD * 2), height };
}

function el(tag, attrs = {}, children = []) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const child of children) node.append(child);
  return node;
}

function label(name) {
  return name.length > MAX_LABEL ? `${name.slice(0, MAX_LABEL - 1)}…` : name;
}

/**
 * Draws the graph into `container`. `modules` (the snapshot's) adds failure state and
 * whether each module should run; statuses come from it when present (fresher).
 */
export function renderGraph(container, graph, modules, managed) {
  const { positions, deps, width, height } = layout(graph);
  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': 'Module dependency graph',
    class: 'graph-svg',
  });
  const defs = el('defs', {}, [
    el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, [
      el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }),
    ]),
  ]);
  svg.append(defs);
  const edges = el('g', { class: 'edges' });
  for (const [from, targets] of deps) {
    const a = positions.get(from);
    for (const to of targets) {
      const b = positions.get(to);
      if (a === undefined || b === undefined) continue;
      const x1 = a.x;
      const y1 = a.y + NODE_H / 2;
      const x2 = b.x + NODE_W;
      const y2 = b.y + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      edges.append(
        el('path', {
          d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`,
          class: 'edge',
          'marker-end': 'url(#arrow)',
          'data-from': from,
          'data-to': to,
        }),
      );
    }
  }
  svg.append(edges);
  for (const node of graph.nodes) {
    const p = positions.get(node.id);
    const m = modules?.[node.id];
    const status = m?.status ?? node.status;
    const failure = m?.failure?.status ?? 'none';
    const wanted = !managed || m === undefined || m.enabled || m.enabledAsDependency;
    const g = el('g', {
      class: `node${wanted ? '' : ' unwanted'}`,
      transform: `translate(${p.x} ${p.y})`,
      'data-module': node.id,
      'data-status': status,
      'data-failure': failure,
    });
    g.append(
      el('title', {}, [`${node.id}: ${status}${failure !== 'none' ? `, ${failure}` : ''}`]),
      el('rect', { class: 'node-box', width: NODE_W, height: NODE_H, rx: 8 }),
      el('rect', { class: 'node-strip', width: 5, height: NODE_H - 12, x: 7, y: 6, rx: 2.5 }),
      el('text', { class: 'node-name', x: 20, y: 21 }, [label(node.id)]),
      el('circle', { class: 'node-dot', cx: 24, cy: 35, r: 4 }),
      el('text', { class: 'node-status', x: 33, y: 39 }, [wanted ? status : `${status} · disabled`]),
    );
    if (failure !== 'none') {
      g.append(
        el('circle', { class: 'node-failure', cx: NODE_W - 14, cy: 14, r: 6 }),
        el('text', { class: 'node-failure-mark', x: NODE_W - 14, y: 18 }, ['!']),
      );
    }
    svg.append(g);
  }
  container.replaceChildren(svg);
}

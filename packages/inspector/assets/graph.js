/* global document */
// The dependency graph as SVG: one column per dependency depth (foundations on the left),
// edges from a module to what it depends on. No libraries: the page works offline.
// Edges that skip columns run through small "waypoints" in the columns between, so they
// never cross a module's box.

const NS = 'http://www.w3.org/2000/svg';
const NODE_W = 176;
const NODE_H = 50;
const WAYPOINT_H = 10;
const COL_GAP = 80;
const ROW_GAP = 16;
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

/**
 * Places every node (and every waypoint of a long edge): columns by depth, each column
 * ordered by the mean row of what its entries point to, which keeps edges short.
 */
export function layout(graph) {
  const deps = new Map(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) deps.get(e.from)?.push(e.to);
  const depth = depths(graph.nodes, deps);
  const items = new Map(
    graph.nodes.map((n) => [n.id, { id: n.id, col: depth.get(n.id), next: [] }]),
  );
  const routes = [];
  for (const e of graph.edges) {
    const from = items.get(e.from);
    const to = items.get(e.to);
    if (from === undefined || to === undefined) continue;
    const chain = [from];
    for (let col = from.col - 1; col > to.col; col--) {
      const waypoint = { id: `${e.from}->${e.to}@${col}`, col, next: [], waypoint: true };
      items.set(waypoint.id, waypoint);
      chain.push(waypoint);
    }
    chain.push(to);
    for (let i = 0; i + 1 < chain.length; i++) chain[i].next.push(chain[i + 1]);
    routes.push({ from: e.from, to: e.to, chain });
  }
  const columns = [];
  for (const item of items.values()) (columns[item.col] ??= []).push(item);
  for (const [c, column] of columns.entries()) {
    const weight = (item) =>
      item.next.length === 0
        ? Number.MAX_SAFE_INTEGER
        : item.next.reduce((sum, n) => sum + n.row, 0) / item.next.length;
    if (c === 0) column.sort((a, b) => a.id.localeCompare(b.id));
    else column.sort((a, b) => weight(a) - weight(b) || a.id.localeCompare(b.id));
    column.forEach((item, i) => (item.row = i));
  }
  const extent = (column) =>
    column.reduce((h, item) => h + (item.waypoint ? WAYPOINT_H : NODE_H), 0) +
    Math.max(0, column.length - 1) * ROW_GAP;
  const tallest = Math.max(NODE_H, ...columns.map(extent));
  const height = PAD * 2 + tallest;
  for (const [c, column] of columns.entries()) {
    let y = PAD + (tallest - extent(column)) / 2;
    for (const item of column) {
      const h = item.waypoint ? WAYPOINT_H : NODE_H;
      item.x = PAD + c * (NODE_W + COL_GAP);
      item.y = y + h / 2; // vertical centre
      y += h + ROW_GAP;
    }
  }
  const width = PAD * 2 + columns.length * NODE_W + Math.max(0, columns.length - 1) * COL_GAP;
  return { items, routes, width: Math.max(width, NODE_W + PAD * 2), height };
}

/** A smooth path from a dependent's left side to its dependency's right side. */
function routePath(chain) {
  let d = `M ${chain[0].x} ${chain[0].y}`;
  let x = chain[0].x;
  let y = chain[0].y;
  for (const item of chain.slice(1)) {
    const tx = item.x + NODE_W;
    const mid = (x + tx) / 2;
    d += ` C ${mid} ${y}, ${mid} ${item.y}, ${tx} ${item.y}`;
    if (item.waypoint) d += ` L ${item.x} ${item.y}`;
    x = item.x;
    y = item.y;
  }
  return d;
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

function arrowMarker() {
  const attrs = {
    id: 'arrow',
    viewBox: '0 0 10 10',
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
  };
  return el('defs', {}, [
    el('marker', { ...attrs, orient: 'auto-start-reverse' }, [
      el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }),
    ]),
  ]);
}

function nodeGroup(node, item, m, managed) {
  const status = m?.status ?? node.status;
  const failure = m?.failure?.status ?? 'none';
  const wanted = !managed || m === undefined || m.enabled || m.enabledAsDependency;
  const g = el('g', {
    class: `node${wanted ? '' : ' unwanted'}`,
    transform: `translate(${item.x} ${item.y - NODE_H / 2})`,
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
      el('circle', { class: 'node-failure', cx: NODE_W - 14, cy: 14, r: 7 }),
      el('text', { class: 'node-failure-mark', x: NODE_W - 14, y: 18 }, ['!']),
    );
  }
  return g;
}

/**
 * Draws the graph into `container`. `modules` (the snapshot's) adds failure state and
 * whether each module should run; statuses come from it when present (fresher).
 */
export function renderGraph(container, graph, modules, managed) {
  const { items, routes, width, height } = layout(graph);
  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': 'Module dependency graph',
    class: 'graph-svg',
  });
  svg.append(arrowMarker());
  const edges = el('g', { class: 'edges' });
  for (const route of routes) {
    const path = routePath(route.chain);
    edges.append(
      el('path', {
        d: path,
        class: 'edge',
        'marker-end': 'url(#arrow)',
        'data-from': route.from,
        'data-to': route.to,
      }),
    );
  }
  svg.append(edges);
  for (const node of graph.nodes)
    svg.append(nodeGroup(node, items.get(node.id), modules?.[node.id], managed));
  container.replaceChildren(svg);
}

// policygraph explorer: the network page at /explore.
//
// sigma.js 3 draws the graph with WebGL from a graphology MultiDirectedGraph; ForceAtlas2
// lays it out in a web worker. Everything comes from the GraphQL endpoint (queries.graphql);
// the download links point at the server's /export routes. The state that a link must
// reproduce lives in the URL (see readURL / writeURL):
//
//   id=ID (repeatable)   the nodes on the canvas
//   focus=ID             the selected node (without id=: open on it and its neighbourhood)
//   edge=REL_ID          the selected relationship (its citations in the side panel)
//   from=ID&to=ID        the shortest paths between two nodes, highlighted
//   types=T (repeatable) only these relationship types
//   nodeTypes=T (rep.)   only these node types
//   activeAt=DATE        only relationships active at this partial date ("2019", "2019-06")
//
// With none of id and focus, the page opens on the most connected actors (rank).
import { MultiDirectedGraph } from 'graphology';
import Sigma from 'sigma';
import { drawDiscNodeLabel } from 'sigma/rendering';
import { EdgeCurvedArrowProgram } from '@sigma/edge-curve';
import FA2Layout from 'graphology-layout-forceatlas2/worker';
import forceAtlas2 from 'graphology-layout-forceatlas2';
import { NodeShapeProgram, polygonPoints } from './shapes.js';
import QUERIES from './queries.graphql';

// ---------------------------------------------------------------------------------------------
// Constants

const app = document.getElementById('app');
const ENDPOINT = app.dataset.endpoint || '/graphql';
const EXPORT_BASE = app.dataset.export || '/export';

// Colour (Okabe-Ito, distinguishable with the common colour-vision deficiencies) and shape of
// each node type. sides: 0 circle, -1 ring, n >= 3 regular polygon; rot in radians.
const NODE_TYPES = {
  Person: { color: '#E69F00', sides: 0, rot: 0, shape: 'circle' },
  Organization: { color: '#0072B2', sides: 4, rot: 0, shape: 'square' },
  Country: { color: '#009E73', sides: 6, rot: 0, shape: 'hexagon' },
  Policy: { color: '#D55E00', sides: 4, rot: Math.PI / 4, shape: 'diamond' },
  LegalCase: { color: '#CC79A7', sides: 3, rot: Math.PI, shape: 'triangle' },
  Event: { color: '#3A9AD9', sides: 3, rot: 0, shape: 'triangle pointing down' },
  Statistic: { color: '#8F7F00', sides: -1, rot: 0, shape: 'ring' },
  Source: { color: '#6F6F6F', sides: 5, rot: Math.PI, shape: 'pentagon' },
};
const OTHER_TYPE = { color: '#999999', sides: 0, rot: 0, shape: 'circle' };
const TYPE_LABELS = { LegalCase: 'Legal case' };

const EDGE_COLOR = '#a7b0bc';
const EDGE_DIM = '#e3e7ec';
const NODE_DIM = '#d5dae0';
const PATH_COLOR = '#e6007e';
const SELECT_COLOR = '#1d232b';
// Relationships between the same two nodes are drawn as curves this far apart (sigma's
// curvature: the control point's offset from the midpoint, as a share of the line's length).
const CURVE_STEP = 0.35;

const NEIGHBOR_LIMIT = 100; // nodes per expansion (the API allows 500)
const SEED_ACTORS = 10; // actors shown by /explore with nothing to focus on
const SEED_NEIGHBORS = 12; // neighbours loaded around each of them
const MAX_EXPORT_IDS = 500; // /export takes at most 500 ids
const NETWORK_IDS = 50; // `network` takes at most 50 ids
const PATH_HOPS = 5;
const ID_RE = /^[a-z]+:[^\s,]+$/;
const DATE_RE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const EXPORT_FORMATS = [
  { name: 'gexf', label: 'GEXF (Gephi)' },
  { name: 'graphml', label: 'GraphML (yEd, Cytoscape)' },
  { name: 'cytoscape.json', label: 'Cytoscape.js JSON' },
  { name: 'graphology.json', label: 'graphology JSON (sigma.js)' },
  { name: 'nodes.csv', label: 'Nodes CSV' },
  { name: 'edges.csv', label: 'Edges CSV' },
];

// ---------------------------------------------------------------------------------------------
// State

const state = {
  nodeTypes: null, // null: all; else a Set of node type names shown
  relTypes: null, // null: all; else a Set of relationship types shown
  activeAt: '', // partial date or ''
  selected: null, // { kind: 'node' | 'edge', id }
  path: null, // { from, to, paths, truncated, nodes: Set, edges: Set }
  pathStart: null, // node chosen with "Path from here"
  expandOnClick: true,
};
const expanded = new Set(); // nodes whose neighbourhood has been loaded
let allRelTypes = []; // [{ name, description }] from introspection
let nodeTypeDescriptions = {};
let months = []; // "YYYY-MM" spanned by the loaded relationships, for the date slider

const graph = new MultiDirectedGraph({ allowSelfLoops: true });

// ---------------------------------------------------------------------------------------------
// Small helpers

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Appends the children that are not null, false or undefined.
function appendAll(el, ...children) {
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false));
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

// An SVG swatch of a node type: its colour and shape, as drawn on the canvas.
function swatch(type, size = 16) {
  const st = NODE_TYPES[type] || OTHER_TYPE;
  const c = size / 2;
  const r = size / 2 - 1;
  let shape;
  if (st.sides < 0) {
    shape = svg('circle', { cx: c, cy: c, r: r * 0.655, fill: 'none', stroke: st.color, 'stroke-width': r * 0.41 });
  } else if (st.sides === 0) {
    shape = svg('circle', { cx: c, cy: c, r: r * 0.86, fill: st.color });
  } else {
    shape = svg('polygon', { points: polygonPoints(st.sides, st.rot, c, c, r), fill: st.color });
  }
  return svg('svg', { width: size, height: size, viewBox: `0 0 ${size} ${size}`, 'aria-hidden': 'true', class: 'swatch' }, shape);
}

function typeLabel(type) {
  return TYPE_LABELS[type] || type;
}

function humanType(relType) {
  return relType.replaceAll('_', ' ').toLowerCase();
}

function shortLabel(name) {
  return name.length > 42 ? `${name.slice(0, 40)}…` : name;
}

function chunk(list, n) {
  const out = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}

// A query string like URLSearchParams.toString(), but with ':' left as is (ids read better).
function queryString(params) {
  const enc = (v) => encodeURIComponent(v).replace(/%3A/gi, ':');
  return [...params].map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}

function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// The first and last day a partial date can mean, as the server computes them.
function dayBounds(partial) {
  const [y, m, d] = partial.split('-');
  if (d) return [partial, partial];
  if (m) {
    const last = new Date(Date.UTC(Number(y), Number(m), 0)).getUTCDate();
    return [`${y}-${m}-01`, `${y}-${m}-${String(last).padStart(2, '0')}`];
  }
  return [`${y}-01-01`, `${y}-12-31`];
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
function dateLabel(partial) {
  if (!partial) return '';
  const [y, m, d] = partial.split('-');
  if (!m) return y;
  const month = MONTHS[Number(m) - 1] || m;
  return d ? `${Number(d)} ${month} ${y}` : `${month} ${y}`;
}

function span(start, end) {
  if (start && end) return start === end ? start : `${start} – ${end}`;
  if (start) return `from ${start}`;
  if (end) return `until ${end}`;
  return '';
}

// ---------------------------------------------------------------------------------------------
// GraphQL

let pending = 0;
async function gql(operationName, variables = {}) {
  pending++;
  updateBusy();
  try {
    const res = await fetch(ENDPOINT, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ query: QUERIES, operationName, variables }),
    });
    let json;
    try {
      json = await res.json();
    } catch {
      throw new Error(`the server answered HTTP ${res.status} to ${operationName}`);
    }
    if (json.errors?.length) throw new Error(json.errors.map((e) => e.message).join('; '));
    if (!res.ok) throw new Error(`the server answered HTTP ${res.status} to ${operationName}`);
    return json.data;
  } finally {
    pending--;
    updateBusy();
  }
}

// Filter arguments of the relationship queries.
function typesArg() {
  return state.relTypes ? [...state.relTypes] : null;
}
function nodeTypesArg() {
  return state.nodeTypes ? [...state.nodeTypes] : null;
}

// ---------------------------------------------------------------------------------------------
// The graph

function nodeSize(degree) {
  return Math.min(24, 6 + 2.2 * Math.sqrt(degree || 0));
}

function nodeAttributes(n) {
  const st = NODE_TYPES[n.__typename] || OTHER_TYPE;
  return {
    label: shortLabel(n.name),
    name: n.name,
    nodeType: n.__typename,
    degree: n.degree,
    size: nodeSize(n.degree),
    color: st.color,
    sides: st.sides,
    rot: st.rot,
  };
}

// Extent of the current layout, to place new nodes at a sensible distance.
function extent() {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  graph.forEachNode((_, a) => {
    minX = Math.min(minX, a.x);
    maxX = Math.max(maxX, a.x);
    minY = Math.min(minY, a.y);
    maxY = Math.max(maxY, a.y);
  });
  if (!Number.isFinite(minX)) return { cx: 0, cy: 0, size: 10 };
  return { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, size: Math.max(10, maxX - minX, maxY - minY) };
}

function placeNear(origin) {
  const a = Math.random() * 2 * Math.PI;
  if (origin && graph.hasNode(origin)) {
    const o = graph.getNodeAttributes(origin);
    const d = 2 + Math.random() * 4;
    return { x: o.x + d * Math.cos(a), y: o.y + d * Math.sin(a) };
  }
  const e = extent();
  const d = (Math.random() * e.size) / 2;
  return { x: e.cx + d * Math.cos(a), y: e.cy + d * Math.sin(a) };
}

function addRelationship(r) {
  if (graph.hasEdge(r.id)) return false;
  if (!graph.hasNode(r.from.id) || !graph.hasNode(r.to.id)) return false;
  graph.addDirectedEdgeWithKey(r.id, r.from.id, r.to.id, {
    rel: r,
    relType: r.type,
    size: 1.5,
    color: EDGE_COLOR,
    type: 'arrow',
    curvature: 0,
  });
  curvePair(r.from.id, r.to.id);
  return true;
}

// Spreads the relationships between two nodes (either way) into curves, so that each can be
// seen and clicked; a single one stays straight. A curvature is relative to the relationship's
// own direction, so each is signed from the pair's fixed order (ids sorted).
function curvePair(a, b) {
  if (a === b) return;
  const [lo, hi] = a < b ? [a, b] : [b, a];
  const edges = [...new Set([...graph.edges(lo, hi), ...graph.edges(hi, lo)])].sort();
  edges.forEach((e, i) => {
    const offset = (i - (edges.length - 1) / 2) * CURVE_STEP;
    const curvature = graph.source(e) === lo ? offset : -offset;
    graph.mergeEdgeAttributes(e, { curvature, type: curvature === 0 ? 'arrow' : 'curvedArrow' });
  });
}

// Where a relationship is drawn, in viewport pixels: its two ends, or points along its curve
// (the quadratic Bézier curve of @sigma/edge-curve: control point at the midpoint moved by
// curvature x (dy, -dx), in viewport pixels, y down).
function edgeLine(e) {
  const [s, t] = graph.extremities(e);
  const a = nodeViewport(s);
  const b = nodeViewport(t);
  const c = graph.getEdgeAttribute(e, 'curvature') || 0;
  if (c === 0) return [a, b];
  const cp = { x: (a.x + b.x) / 2 + c * (b.y - a.y), y: (a.y + b.y) / 2 - c * (b.x - a.x) };
  const pts = [];
  for (let i = 0; i <= 16; i++) {
    const k = i / 16;
    const u = 1 - k;
    pts.push({ x: u * u * a.x + 2 * u * k * cp.x + k * k * b.x, y: u * u * a.y + 2 * u * k * cp.y + k * k * b.y });
  }
  return pts;
}

// Merges a Network answer into the graph; returns the ids of the nodes it added.
function mergeNetwork(net, origin) {
  const added = [];
  for (const n of net.nodes) {
    if (graph.hasNode(n.id)) {
      graph.mergeNodeAttributes(n.id, { degree: n.degree, size: nodeSize(n.degree) });
      continue;
    }
    graph.addNode(n.id, { ...nodeAttributes(n), ...placeNear(origin) });
    added.push(n.id);
  }
  for (const r of net.edges) addRelationship(r);
  return added;
}

// Loads the relationships between the nodes in `added` and every node on the canvas (the
// answers of neighborhood and search do not have those). `network` takes 50 ids, so the pairs
// of 25-id chunks are asked in turn, four requests at a time.
async function fillEdges(added) {
  if (!added.length) return;
  const all = graph.nodes();
  let groups;
  if (all.length <= NETWORK_IDS) {
    groups = [all];
  } else {
    groups = [];
    const addedSet = new Set(added);
    const newChunks = chunk(added, NETWORK_IDS / 2);
    const otherChunks = chunk(all.filter((id) => !addedSet.has(id)), NETWORK_IDS / 2);
    for (const a of newChunks) {
      groups.push(a); // relationships among the new nodes
      for (const b of otherChunks) groups.push([...a, ...b]);
    }
  }
  await mapLimit(groups, 4, async (ids) => {
    const data = await gql('ExplorerNetwork', { ids });
    for (const r of data.network.edges) addRelationship(r);
  });
}

// ---------------------------------------------------------------------------------------------
// Visibility (filters) and appearance (selection, paths)

let dateWindow = null; // [from, to] days of state.activeAt

function nodeVisible(id) {
  if (state.path?.nodes.has(id)) return true;
  if (!state.nodeTypes) return true;
  return state.nodeTypes.has(graph.getNodeAttribute(id, 'nodeType'));
}

function activeIn(rel, win) {
  return (rel.endDay || '9999-12-31') >= win[0] && (rel.startDay || '0000-01-01') <= win[1];
}

function edgeVisible(id) {
  if (state.path?.edges.has(id)) return true;
  const a = graph.getEdgeAttributes(id);
  if (state.relTypes && !state.relTypes.has(a.relType)) return false;
  if (dateWindow && !activeIn(a.rel, dateWindow)) return false;
  return nodeVisible(graph.source(id)) && nodeVisible(graph.target(id));
}

function visibleNodes() {
  return graph.filterNodes((id) => nodeVisible(id));
}

function visibleEdges() {
  return graph.filterEdges((id) => edgeVisible(id));
}

let hovered = null;
let hoveredEdge = null; // the relationship a click would select now (edgeNear of the pointer)

// With a date set: the nodes that have a relationship shown (the others are dimmed).
let activeNodes = null;
function computeActiveNodes() {
  activeNodes = null;
  if (!dateWindow) return;
  activeNodes = new Set();
  for (const e of visibleEdges()) {
    activeNodes.add(graph.source(e));
    activeNodes.add(graph.target(e));
  }
}

function nodeReducer(id, attrs) {
  const res = { ...attrs };
  if (!nodeVisible(id)) {
    res.hidden = true;
    return res;
  }
  if (activeNodes && !activeNodes.has(id)) {
    res.color = NODE_DIM;
    res.label = '';
  }
  if (attrs.fixed) res.ring = 0.28;
  const sel = state.selected;
  if (state.path) {
    if (state.path.nodes.has(id)) {
      res.forceLabel = true;
      res.zIndex = 1;
    } else {
      res.color = NODE_DIM;
      res.label = '';
      res.zIndex = 0;
    }
  }
  if (state.pathStart === id) res.forceLabel = true;
  if ((sel?.kind === 'node' && sel.id === id) || hovered === id) {
    res.highlighted = true;
    res.forceLabel = true;
    res.zIndex = 2;
  }
  return res;
}

function edgeReducer(id, attrs) {
  const res = { ...attrs };
  if (!edgeVisible(id)) {
    res.hidden = true;
    return res;
  }
  const sel = state.selected;
  const [s, t] = graph.extremities(id);
  if (state.path) {
    if (state.path.edges.has(id)) {
      res.color = PATH_COLOR;
      res.size = 4;
      res.zIndex = 2;
      res.label = humanType(attrs.relType);
      res.forceLabel = true;
    } else {
      res.color = EDGE_DIM;
    }
  }
  if (sel?.kind === 'edge' && sel.id === id) {
    res.color = SELECT_COLOR;
    res.size = 4;
    res.zIndex = 3;
    res.label = humanType(attrs.relType);
    res.forceLabel = true;
  } else if (hoveredEdge === id || (sel?.kind === 'node' && (sel.id === s || sel.id === t)) || (hovered && (hovered === s || hovered === t))) {
    if (!state.path?.edges.has(id)) {
      res.color = '#59626e';
      res.size = 2.5;
      res.zIndex = 1;
    }
    res.label = humanType(attrs.relType);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Renderer and layout

const container = document.getElementById('graph');
{
  const probe = document.createElement('canvas');
  if (!probe.getContext('webgl2') && !probe.getContext('webgl')) {
    container.append(h('p', { class: 'noscript' }, 'This browser cannot draw the network: the explorer needs WebGL.'));
    throw new Error('policygraph explorer: WebGL is not available');
  }
}
// Node labels that do not overlap. sigma picks the labels to draw with a coarse grid (one or a
// few per cell), so labels of nodes in neighbouring cells can still cover each other. Here each
// frame's labels are collected, then drawn biggest node first (labels sigma must show, of the
// selected or hovered node, before all), each only where it covers no label drawn already.
let labelCandidates = [];
let drawnLabels = []; // { id, box: { x, y, w, h } } of the last frame, for the tests
function collectLabel(context, data, settings) {
  if (data.label) labelCandidates.push({ data, settings });
}
function labelBox(context, { data, settings }) {
  const size = settings.labelSize;
  const w = context.measureText(data.label).width;
  // fillText at (x + size + 3, y + size / 3) on the baseline: ascent ~0.75, descent ~0.25 em
  return { x: data.x + data.size + 3 - 2, y: data.y + size / 3 - size * 0.75 - 2, w: w + 4, h: size + 4 };
}
const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
function drawLabels() {
  const context = renderer.getCanvases().labels.getContext('2d');
  const { labelWeight, labelSize, labelFont } = renderer.getSettings();
  context.font = `${labelWeight} ${labelSize}px ${labelFont}`; // the font drawDiscNodeLabel sets
  const order = labelCandidates.sort((a, b) => (b.data.forceLabel ? 1 : 0) - (a.data.forceLabel ? 1 : 0) || b.data.size - a.data.size || (a.data.key < b.data.key ? -1 : 1));
  const drawn = [];
  for (const c of order) {
    const box = labelBox(context, c);
    if (drawn.some((d) => overlaps(d.box, box))) continue;
    drawn.push({ id: c.data.key, box });
    drawDiscNodeLabel(context, c.data, c.settings);
  }
  drawnLabels = drawn;
}

const renderer = new Sigma(graph, container, {
  defaultDrawNodeLabel: collectLabel,
  nodeProgramClasses: { shape: NodeShapeProgram },
  defaultNodeType: 'shape',
  defaultEdgeType: 'arrow',
  edgeProgramClasses: { curvedArrow: EdgeCurvedArrowProgram },
  enableEdgeEvents: false, // relationships are hit-tested by edgeNear (see there)
  renderEdgeLabels: true,
  zIndex: true,
  labelFont: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  labelSize: 13,
  labelWeight: '500',
  labelColor: { color: '#1d232b' },
  edgeLabelFont: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  edgeLabelSize: 11,
  edgeLabelColor: { color: '#59626e' },
  labelRenderedSizeThreshold: 6,
  labelDensity: 1,
  minEdgeThickness: 1.2,
  stagePadding: 40,
  minCameraRatio: 0.03,
  maxCameraRatio: 5,
  allowInvalidContainer: true,
  nodeReducer,
  edgeReducer,
});

renderer.on('beforeRender', () => {
  labelCandidates = [];
});
renderer.on('afterRender', drawLabels);

// The container changes size when the side panels open or close: redraw at once, so that
// what is drawn (and sigma's viewport coordinates) always match the canvas on screen.
new ResizeObserver(() => {
  renderer.resize();
  renderer.refresh();
}).observe(container);

const layout = new FA2Layout(graph, { settings: forceAtlas2.inferSettings(1) });
let layoutRunning = false;
let layoutTimer = null;

function runLayout(ms) {
  if (graph.order < 2) return;
  const settings = forceAtlas2.inferSettings(graph);
  layout.settings = { ...layout.settings, ...settings, gravity: 0.3, adjustSizes: false };
  clearTimeout(layoutTimer);
  layout.start();
  layoutRunning = true;
  updateBusy();
  layoutTimer = setTimeout(stopLayout, ms ?? Math.min(6000, 1500 + graph.order * 15));
}

function stopLayout() {
  clearTimeout(layoutTimer);
  layout.stop();
  layoutRunning = false;
  updateBusy();
}

// The whole network in view, with a margin for the labels (drawn right of the nodes).
const FIT_RATIO = 1.15;
function fit(animate = true) {
  const camera = renderer.getCamera();
  const whole = { x: 0.5, y: 0.5, ratio: FIT_RATIO, angle: 0 };
  if (animate) camera.animate(whole, { duration: 300 });
  else camera.setState(whole);
}

// Brings a node into view: pans to it unless it is already well inside the canvas.
function centerOn(id) {
  if (!graph.hasNode(id)) return;
  const d = renderer.getNodeDisplayData(id);
  if (!d) return;
  const { width, height } = renderer.getDimensions();
  const v = nodeViewport(id);
  const mx = width * 0.12;
  const my = height * 0.12;
  if (v.x > mx && v.x < width - mx && v.y > my && v.y < height - my) return;
  renderer.getCamera().animate({ x: d.x, y: d.y }, { duration: 300 });
}

// Viewport position of a node (pixels from the container's top-left corner), for the tests.
function nodeViewport(id) {
  return renderer.graphToViewport(graph.getNodeAttributes(id));
}

// ---------------------------------------------------------------------------------------------
// Busy state and messages

const statusEl = document.getElementById('status');
const toastEl = document.getElementById('toast');
let jobs = 0;

function updateBusy() {
  const busy = pending > 0 || jobs > 0 || layoutRunning;
  document.documentElement.dataset.busy = busy ? 'true' : 'false';
  app.setAttribute('aria-busy', pending > 0 || jobs > 0 ? 'true' : 'false');
}

async function job(fn) {
  jobs++;
  updateBusy();
  try {
    return await fn();
  } catch (err) {
    console.warn(err); // eslint-disable-line no-console
    toast(`Could not load: ${err.message}`, true);
    return undefined;
  } finally {
    jobs--;
    updateBusy();
  }
}

let toastTimer;
function toast(message, isError = false) {
  toastEl.textContent = message;
  toastEl.classList.toggle('error', isError);
  toastEl.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toastEl.hidden = true;
  }, 5000);
}

// ---------------------------------------------------------------------------------------------
// Actions

async function expand(id) {
  const data = await gql('ExplorerNeighborhood', {
    id,
    limit: NEIGHBOR_LIMIT,
    types: typesArg(),
    nodeTypes: nodeTypesArg(),
  });
  const net = data.neighborhood;
  if (!net.nodes.length) {
    toast(`No node ${id} in the graph.`, true);
    return [];
  }
  const added = mergeNetwork(net, id);
  expanded.add(id);
  if (net.truncated) toast(`Showing the first ${NEIGHBOR_LIMIT} neighbours of ${graph.getNodeAttribute(id, 'name')}.`);
  else if (!added.length) toast(`All the neighbours of ${graph.getNodeAttribute(id, 'name')} are already shown${state.relTypes || state.nodeTypes ? ' (with the current filters)' : ''}.`);
  await fillEdges(added);
  return added;
}

function expandNode(id) {
  return job(async () => {
    await expand(id);
    changed({ layout: true });
    if (state.selected?.kind === 'node' && state.selected.id === id) renderPanel();
  });
}

function addNode(n) {
  return job(async () => {
    if (!graph.hasNode(n.id)) {
      mergeNetwork({ nodes: [n], edges: [] }, null);
      await fillEdges([n.id]);
      changed({ layout: true });
    }
    select({ kind: 'node', id: n.id }, { expand: false });
  });
}

function removeNode(id) {
  if (!graph.hasNode(id)) return;
  const name = graph.getNodeAttribute(id, 'name');
  graph.dropNode(id);
  expanded.delete(id);
  if (state.pathStart === id) state.pathStart = null;
  if (state.path && (state.path.nodes.has(id) || state.path.from === id || state.path.to === id)) state.path = null;
  const sel = state.selected;
  if (sel && (sel.kind === 'path' ? !state.path : sel.id === id || !(graph.hasNode(sel.id) || graph.hasEdge(sel.id)))) {
    state.selected = null;
    closePanel();
  }
  toast(`Removed ${name}.`);
  changed();
  renderPanel();
}

function togglePin(id) {
  if (!graph.hasNode(id)) return;
  const fixed = !graph.getNodeAttribute(id, 'fixed');
  graph.setNodeAttribute(id, 'fixed', fixed);
  toast(`${fixed ? 'Pinned' : 'Unpinned'} ${graph.getNodeAttribute(id, 'name')}.`);
  renderer.refresh();
  renderPanel();
}

function select(sel, { expand: doExpand = false, center = false } = {}) {
  state.selected = sel;
  openPanel();
  renderPanel();
  renderer.refresh();
  writeURL();
  if (center && sel?.kind === 'node') centerOn(sel.id);
  if (doExpand && sel?.kind === 'node' && !expanded.has(sel.id)) expandNode(sel.id);
}

function clearSelection() {
  state.selected = null;
  closePanel();
  renderer.refresh();
  writeURL();
}

function findPaths(from, to) {
  if (from === to) return Promise.resolve();
  return job(async () => {
    const data = await gql('ExplorerPaths', {
      from,
      to,
      maxHops: PATH_HOPS,
      types: typesArg(),
      nodeTypes: nodeTypesArg(),
      activeAt: state.activeAt || null,
    });
    const p = data.paths;
    const added = mergeNetwork(p.network, from);
    await fillEdges(added);
    state.pathStart = null;
    state.path = {
      from,
      to,
      paths: p.paths,
      truncated: p.truncated,
      nodes: new Set(p.paths.flatMap((x) => x.nodes.map((n) => n.id))),
      edges: new Set(p.paths.flatMap((x) => x.edges.map((e) => e.id))),
    };
    if (!p.paths.length) {
      state.path.nodes = new Set([from, to]);
      toast(`No path of at most ${PATH_HOPS} steps between these nodes${filtersActive() ? ' with the current filters' : ''}.`);
    }
    state.selected = { kind: 'path', id: `${from}|${to}` };
    openPanel();
    renderPanel();
    changed({ layout: added.length > 0 });
  });
}

function clearPath() {
  state.path = null;
  if (state.selected?.kind === 'path') {
    state.selected = null;
    closePanel();
  }
  changed();
  renderPanel();
}

function filtersActive() {
  return Boolean(state.relTypes || state.nodeTypes || state.activeAt);
}

// Called after any change of the graph or the filters.
function changed({ layout: relayout = false } = {}) {
  dateWindow = state.activeAt ? dayBounds(state.activeAt) : null;
  computeActiveNodes();
  computeMonths();
  renderFilters();
  renderStatus();
  renderDownloads();
  renderPathBar();
  renderer.refresh();
  writeURL();
  if (relayout) runLayout();
}

// ---------------------------------------------------------------------------------------------
// URL state

function readURL() {
  const p = new URLSearchParams(location.search);
  const list = (name) =>
    p
      .getAll(name)
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter(Boolean);
  const id = (v) => (v && ID_RE.test(v) && v.length < 300 ? v : null);
  const activeAt = p.get('activeAt') || '';
  return {
    ids: [...new Set(list('id').filter((v) => id(v)))].slice(0, MAX_EXPORT_IDS),
    focus: id(p.get('focus')),
    edge: id(p.get('edge')),
    from: id(p.get('from')),
    to: id(p.get('to')),
    types: list('types').filter((t) => /^[A-Z][A-Z_]*$/.test(t)),
    nodeTypes: list('nodeTypes').filter((t) => /^[A-Za-z]+$/.test(t)),
    activeAt: DATE_RE.test(activeAt) ? activeAt : '',
  };
}

function stateParams({ withIds = true } = {}) {
  const p = new URLSearchParams();
  const sel = state.selected;
  if (sel?.kind === 'node') p.set('focus', sel.id);
  if (sel?.kind === 'edge') p.set('edge', sel.id);
  if (state.path) {
    p.set('from', state.path.from);
    p.set('to', state.path.to);
  }
  if (state.activeAt) p.set('activeAt', state.activeAt);
  for (const t of state.relTypes || []) p.append('types', t);
  for (const t of state.nodeTypes || []) p.append('nodeTypes', t);
  if (withIds) for (const id of graph.nodes().slice(0, MAX_EXPORT_IDS)) p.append('id', id);
  return p;
}

let booted = false;
const writeURL = debounce(() => {
  if (!booted) return;
  const qs = queryString(stateParams());
  const url = `${location.pathname}${qs ? `?${qs}` : ''}`;
  if (url !== location.pathname + location.search) history.replaceState(null, '', url);
}, 100);

// ---------------------------------------------------------------------------------------------
// Side panel

const panel = document.getElementById('panel');
const panelBody = document.getElementById('panel-body');
const main = document.querySelector('main');
const nodeDetails = new Map(); // id -> promise of ExplorerNode answer

function openPanel() {
  panel.hidden = false;
  main.classList.add('with-panel');
  renderer.resize();
  renderer.refresh();
}

function closePanel() {
  panel.hidden = true;
  main.classList.remove('with-panel');
  renderer.resize();
  renderer.refresh();
}

function citationList(citations) {
  if (!citations?.length) return null;
  return h(
    'ol',
    { class: 'citations' },
    citations.map((c) =>
      h(
        'li',
        {},
        h('blockquote', { class: 'quote' }, c.quote),
        h(
          'p',
          { class: 'cite' },
          '— ',
          c.source.url
            ? h('a', { href: c.source.url, target: '_blank', rel: 'noopener noreferrer' }, c.source.name)
            : h('cite', {}, c.source.name),
          [c.source.publisher, c.source.publishedDate].filter(Boolean).length
            ? ` (${[c.source.publisher, c.source.publishedDate].filter(Boolean).join(', ')})`
            : '',
          c.locator ? `, ${c.locator}` : '',
        ),
      ),
    ),
  );
}

function nodeButton(id) {
  const name = graph.hasNode(id) ? graph.getNodeAttribute(id, 'name') : id;
  const type = graph.hasNode(id) ? graph.getNodeAttribute(id, 'nodeType') : null;
  return h(
    'button',
    { type: 'button', class: 'link node-link', onclick: () => select({ kind: 'node', id }, { center: true }) },
    type ? swatch(type, 12) : null,
    name,
  );
}

function edgeButton(id, fromId) {
  const rel = graph.getEdgeAttribute(id, 'rel');
  const outgoing = rel.from.id === fromId;
  const other = outgoing ? rel.to.id : rel.from.id;
  const otherName = graph.hasNode(other) ? graph.getNodeAttribute(other, 'name') : other;
  return h(
    'button',
    { type: 'button', class: 'link edge-link', onclick: () => select({ kind: 'edge', id }) },
    h('span', { class: 'reltype' }, outgoing ? `${humanType(rel.type)} →` : `← ${humanType(rel.type)}`),
    ' ',
    otherName,
  );
}

function facts(pairs) {
  const rows = pairs.filter(([, v]) => v != null && v !== '');
  if (!rows.length) return null;
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

let panelSeq = 0;
async function renderPanel() {
  const seq = ++panelSeq;
  const sel = state.selected;
  panelBody.replaceChildren();
  if (!sel) return;
  if (sel.kind === 'path') return renderPathPanel();
  if (sel.kind === 'edge') return renderEdgePanel(sel.id);
  const id = sel.id;
  if (!graph.hasNode(id)) return;
  const a = graph.getNodeAttributes(id);
  const header = h(
    'header',
    {},
    h('p', { class: 'kind' }, swatch(a.nodeType, 14), typeLabel(a.nodeType)),
    h('h2', { id: 'panel-title', tabindex: '-1' }, a.name),
    h('p', { class: 'id' }, h('code', {}, id)),
  );
  const onCanvas = graph.edges(id).filter((e) => edgeVisible(e));
  const actions = h(
    'div',
    { class: 'actions' },
    h('button', { type: 'button', onclick: () => expandNode(id), title: 'Load its neighbourhood (e)' }, expanded.has(id) ? 'Expand again' : 'Expand'),
    h('button', { type: 'button', onclick: () => togglePin(id), 'aria-pressed': a.fixed ? 'true' : 'false', title: 'Keep it where it is during layout (.)' }, a.fixed ? 'Unpin' : 'Pin'),
    h('button', { type: 'button', onclick: () => removeNode(id), title: 'Remove it from the canvas (x)' }, 'Remove'),
    state.pathStart && state.pathStart !== id && graph.hasNode(state.pathStart)
      ? h('button', { type: 'button', class: 'primary', onclick: () => findPaths(state.pathStart, id) }, `Paths from ${shortLabel(graph.getNodeAttribute(state.pathStart, 'name'))} to here`)
      : h(
          'button',
          {
            type: 'button',
            onclick: () => {
              state.pathStart = id;
              renderer.refresh();
              renderPanel();
              toast(`Now open another node and choose "Paths … to here", or shift-click it.`);
            },
            title: 'Then select another node: shortest paths between the two (or shift-click a node)',
          },
          'Paths from here…',
        ),
  );
  const rels = h(
    'section',
    {},
    h('h3', {}, `Relationships on the canvas (${onCanvas.length} of ${a.degree})`),
    onCanvas.length ? h('ul', { class: 'rels' }, onCanvas.map((e) => h('li', {}, edgeButton(e, id)))) : h('p', { class: 'muted' }, 'None shown: expand it to load them.'),
  );
  appendAll(panelBody, header, actions, h('p', { class: 'muted loading' }, 'Loading…'), rels);

  let details = nodeDetails.get(id);
  if (!details) {
    details = gql('ExplorerNode', { id }).then((d) => d.node);
    nodeDetails.set(id, details);
    details.catch(() => nodeDetails.delete(id));
  }
  let n;
  try {
    n = await details;
  } catch (err) {
    if (seq === panelSeq) panelBody.querySelector('.loading')?.replaceWith(h('p', { class: 'error' }, `Could not load the details: ${err.message}`));
    return;
  }
  if (seq !== panelSeq || !n) return;
  const kind = n.orgKind || n.policyKind || n.eventKind || n.sourceKind;
  const status = n.policyStatus || n.caseStatus;
  const info = h(
    'div',
    { class: 'info' },
    n.aliases?.length ? h('p', { class: 'aliases' }, 'Also: ', n.aliases.join(', ')) : null,
    n.description ? h('p', { class: 'description' }, n.description) : null,
    facts([
      ['Kind', kind && humanType(kind)],
      ['Status', status && humanType(status)],
      ['Country', n.country || n.code],
      ['Dates', span(n.startDate, n.endDate)],
      ['Docket', n.docket],
      ['Figure', n.value != null ? `${n.qualifier && n.qualifier !== 'EXACT' ? `${humanType(n.qualifier)} ` : ''}${n.value.toLocaleString('en')} ${humanType(n.unit || '')}` : null],
      ['Measures', n.measure],
      ['Publisher', n.publisher],
      ['Published', n.publishedDate],
      ['Link', n.url ? h('a', { href: n.url, target: '_blank', rel: 'noopener noreferrer' }, n.url) : null],
    ]),
    n.citations?.length ? h('section', {}, h('h3', {}, 'Citations'), citationList(n.citations)) : null,
  );
  panelBody.querySelector('.loading')?.replaceWith(info);
}

function renderEdgePanel(id) {
  if (!graph.hasEdge(id)) return;
  const rel = graph.getEdgeAttribute(id, 'rel');
  const others = graph.edges(rel.from.id, rel.to.id).filter((e) => e !== id); // either direction
  appendAll(panelBody, 
    h(
      'header',
      {},
      h('p', { class: 'kind' }, 'Relationship'),
      h('h2', { id: 'panel-title', tabindex: '-1', class: 'rel-title' }, nodeButton(rel.from.id), h('span', { class: 'reltype' }, ` ${humanType(rel.type)} → `), nodeButton(rel.to.id)),
      h('p', { class: 'id' }, h('code', {}, rel.id)),
    ),
    rel.description ? h('p', { class: 'description' }, rel.description) : null,
    facts([
      ['Type', rel.type],
      ['Role', rel.role],
      ['Outcome', rel.outcome && humanType(rel.outcome)],
      ['Dates', span(rel.startDate, rel.endDate)],
    ]),
    h('section', {}, h('h3', {}, `Citations (${rel.citations.length})`), citationList(rel.citations)),
    others.length
      ? h('section', {}, h('h3', {}, 'Other relationships between them'), h('ul', { class: 'rels' }, others.map((e) => h('li', {}, edgeButton(e, rel.from.id)))))
      : null,
  );
}

function renderPathPanel() {
  const p = state.path;
  if (!p) return;
  const name = (id) => (graph.hasNode(id) ? graph.getNodeAttribute(id, 'name') : id);
  const list = p.paths.map((path) => {
    const steps = [];
    path.nodes.forEach((n, i) => {
      steps.push(h('li', { class: 'step-node' }, nodeButton(n.id)));
      const e = path.edges[i];
      if (e && graph.hasEdge(e.id)) {
        const rel = graph.getEdgeAttribute(e.id, 'rel');
        const forward = rel.from.id === n.id;
        steps.push(
          h(
            'li',
            { class: 'step-edge' },
            h('button', { type: 'button', class: 'link', onclick: () => select({ kind: 'edge', id: e.id }) }, forward ? `${humanType(rel.type)} →` : `← ${humanType(rel.type)}`),
          ),
        );
      }
    });
    return h('li', {}, h('ol', { class: 'path' }, steps));
  });
  appendAll(panelBody, 
    h(
      'header',
      {},
      h('p', { class: 'kind' }, 'Shortest paths'),
      h('h2', { id: 'panel-title', tabindex: '-1' }, `${name(p.from)} ↔ ${name(p.to)}`),
    ),
    p.paths.length
      ? h('p', {}, `${p.paths.length}${p.truncated ? '+' : ''} path${p.paths.length > 1 ? 's' : ''} of ${p.paths[0].length} step${p.paths[0].length > 1 ? 's' : ''}${filtersActive() ? ', with the current filters' : ''}, highlighted on the canvas.`)
      : h('p', {}, `No path of at most ${PATH_HOPS} steps${filtersActive() ? ' with the current filters' : ''}.`),
    h('ol', { class: 'paths' }, list),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: clearPath }, 'Clear the path')),
  );
}

// ---------------------------------------------------------------------------------------------
// Filters, legend, date slider

const nodeTypeList = document.getElementById('node-types');
const relTypeList = document.getElementById('rel-types');
const dateToggle = document.getElementById('date-on');
const dateSlider = document.getElementById('date');
const dateOutput = document.getElementById('date-value');

function computeMonths() {
  let min = null;
  let max = null;
  graph.forEachEdge((_, a) => {
    for (const d of [a.rel.startDay, a.rel.endDay]) {
      if (!d) continue;
      const m = d.slice(0, 7);
      if (!min || m < min) min = m;
      if (!max || m > max) max = m;
    }
  });
  if (state.activeAt) {
    const m = dayBounds(state.activeAt)[0].slice(0, 7);
    if (!min || m < min) min = m;
    if (!max || m > max) max = m;
  }
  months = [];
  if (!min) return;
  let [y, mo] = min.split('-').map(Number);
  const [ey, em] = max.split('-').map(Number);
  while (y < ey || (y === ey && mo <= em)) {
    months.push(`${y}-${String(mo).padStart(2, '0')}`);
    mo++;
    if (mo > 12) {
      mo = 1;
      y++;
    }
    if (months.length > 1200) break;
  }
}

function setNodeTypeShown(type, shown) {
  const all = Object.keys(NODE_TYPES);
  const set = new Set(state.nodeTypes || all);
  if (shown) set.add(type);
  else set.delete(type);
  state.nodeTypes = all.every((t) => set.has(t)) ? null : set;
  changed();
}

function relTypeNames() {
  const names = new Set(allRelTypes.map((t) => t.name));
  graph.forEachEdge((_, a) => names.add(a.relType));
  for (const t of state.relTypes || []) names.add(t);
  return [...names];
}

function setRelTypeShown(type, shown) {
  const all = relTypeNames();
  const set = new Set(state.relTypes || all);
  if (shown) set.add(type);
  else set.delete(type);
  state.relTypes = all.every((t) => set.has(t)) ? null : set;
  changed();
}

function renderFilters() {
  // Node types: the legend.
  const counts = {};
  graph.forEachNode((_, a) => {
    counts[a.nodeType] = (counts[a.nodeType] || 0) + 1;
  });
  nodeTypeList.replaceChildren(
    ...Object.keys(NODE_TYPES).map((t) =>
      h(
        'li',
        {},
        h(
          'label',
          { title: `${nodeTypeDescriptions[t] || typeLabel(t)} (${NODE_TYPES[t].shape})` },
          h('input', {
            type: 'checkbox',
            name: 'nodeTypes',
            value: t,
            checked: !state.nodeTypes || state.nodeTypes.has(t),
            onchange: (e) => setNodeTypeShown(t, e.target.checked),
          }),
          swatch(t),
          h('span', { class: 'name' }, typeLabel(t)),
          h('span', { class: 'count' }, String(counts[t] || 0)),
        ),
      ),
    ),
  );

  // Relationship types: those on the canvas, most frequent first, then the filtered ones.
  const relCounts = {};
  graph.forEachEdge((_, a) => {
    relCounts[a.relType] = (relCounts[a.relType] || 0) + 1;
  });
  const shown = new Set(Object.keys(relCounts));
  for (const t of state.relTypes || []) shown.add(t);
  const desc = Object.fromEntries(allRelTypes.map((t) => [t.name, t.description]));
  const names = [...shown].sort((a, b) => (relCounts[b] || 0) - (relCounts[a] || 0) || a.localeCompare(b));
  relTypeList.replaceChildren(
    ...names.map((t) =>
      h(
        'li',
        {},
        h(
          'label',
          { title: desc[t] || t },
          h('input', {
            type: 'checkbox',
            name: 'types',
            value: t,
            checked: !state.relTypes || state.relTypes.has(t),
            onchange: (e) => setRelTypeShown(t, e.target.checked),
          }),
          h('span', { class: 'name' }, humanType(t)),
          h('span', { class: 'count' }, String(relCounts[t] || 0)),
        ),
      ),
    ),
  );
  if (!names.length) relTypeList.append(h('li', { class: 'muted' }, 'No relationships on the canvas yet.'));

  // Date slider.
  const on = Boolean(state.activeAt);
  dateToggle.checked = on;
  dateToggle.disabled = !months.length;
  dateSlider.disabled = !on || !months.length;
  dateSlider.min = '0';
  dateSlider.max = String(Math.max(0, months.length - 1));
  if (on) {
    const m = dayBounds(state.activeAt)[0].slice(0, 7);
    const i = months.indexOf(m);
    if (i >= 0) dateSlider.value = String(i);
  } else if (!dateSlider.dataset.touched) {
    dateSlider.value = String(Math.max(0, months.length - 1));
  }
  const current = months[Number(dateSlider.value)] || '';
  dateSlider.setAttribute('aria-valuetext', on ? dateLabel(state.activeAt) : dateLabel(current));
  dateOutput.textContent = on ? dateLabel(state.activeAt) : months.length ? `any date (${dateLabel(months[0])} – ${dateLabel(months[months.length - 1])})` : 'no dated relationships';
}

function renderStatus() {
  const n = visibleNodes().length;
  const e = visibleEdges().length;
  const hiddenN = graph.order - n;
  const hiddenE = graph.size - e;
  const parts = [`${n} node${n === 1 ? '' : 's'} · ${e} relationship${e === 1 ? '' : 's'}`];
  if (state.activeAt) parts.push(`active in ${dateLabel(state.activeAt)}`);
  if (hiddenN || hiddenE) parts.push(`${hiddenN} node${hiddenN === 1 ? '' : 's'} and ${hiddenE} relationship${hiddenE === 1 ? '' : 's'} hidden by filters`);
  statusEl.textContent = parts.join(' · ');
}

// ---------------------------------------------------------------------------------------------
// Downloads and sharing

const downloadList = document.getElementById('download-links');
const downloadNote = document.getElementById('download-note');

function exportURL(format, ids) {
  const p = new URLSearchParams();
  for (const id of ids) p.append('id', id);
  p.set('depth', '0');
  if (ids.length > 100) p.set('limit', String(ids.length)); // the export's default limit is 100 nodes
  for (const t of state.relTypes || []) p.append('types', t);
  for (const t of state.nodeTypes || []) p.append('nodeTypes', t);
  if (state.activeAt) p.set('activeAt', state.activeAt);
  return `${EXPORT_BASE}/${format}?${queryString(p)}`;
}

function renderDownloads() {
  const ids = visibleNodes();
  const ok = ids.length > 0 && ids.length <= MAX_EXPORT_IDS;
  downloadList.replaceChildren(
    ...EXPORT_FORMATS.map((f) =>
      h(
        'li',
        {},
        ok
          ? h('a', { href: exportURL(f.name, ids), download: `policygraph.${f.name}`, dataset: { format: f.name } }, f.label)
          : h('a', { 'aria-disabled': 'true', dataset: { format: f.name } }, f.label),
      ),
    ),
  );
  downloadNote.textContent = ok
    ? `The ${ids.length} node${ids.length === 1 ? '' : 's'} shown and the relationships among them, with the current filters.`
    : ids.length
      ? `Too many nodes for a download (${MAX_EXPORT_IDS} at most): filter or remove some.`
      : 'Nothing to download: the canvas is empty.';
}

async function copyLink() {
  writeURL();
  await new Promise((r) => setTimeout(r, 120));
  const url = location.href;
  try {
    await navigator.clipboard.writeText(url);
    toast('Link copied: it reopens this view.');
  } catch {
    const input = h('input', { type: 'text', value: url, readonly: true, 'aria-label': 'Link to this view' });
    toastEl.replaceChildren('Copy this link: ', input);
    toastEl.hidden = false;
    input.select();
  }
}

// ---------------------------------------------------------------------------------------------
// Path bar (over the canvas while a path is highlighted)

const pathBar = document.getElementById('path-bar');
function renderPathBar() {
  const p = state.path;
  pathBar.hidden = !p && !state.pathStart;
  pathBar.replaceChildren();
  const name = (id) => (graph.hasNode(id) ? shortLabel(graph.getNodeAttribute(id, 'name')) : id);
  if (p) {
    pathBar.append(
      h('span', {}, `Paths: ${name(p.from)} ↔ ${name(p.to)} `),
      h('button', { type: 'button', class: 'link', onclick: () => select({ kind: 'path', id: `${p.from}|${p.to}` }) }, 'details'),
      ' ',
      h('button', { type: 'button', class: 'link', onclick: clearPath }, 'clear'),
    );
  } else if (state.pathStart) {
    pathBar.append(
      h('span', {}, `Paths from ${name(state.pathStart)}: select the other end. `),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            state.pathStart = null;
            renderPathBar();
            renderer.refresh();
            renderPanel();
          },
        },
        'cancel',
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Search

const searchInput = document.getElementById('q');
const hitsList = document.getElementById('hits');
let hits = [];
let activeHit = 0;
let searchSeq = 0;
let searchedFor = '';
let searchPromise = Promise.resolve();

function showHits() {
  hitsList.replaceChildren(
    ...hits.map((n, i) =>
      h(
        'li',
        {
          id: `hit-${i}`,
          role: 'option',
          'aria-selected': i === activeHit ? 'true' : 'false',
          dataset: { id: n.id },
          onmousedown: (e) => e.preventDefault(),
          onclick: () => chooseHit(i),
        },
        swatch(n.__typename, 14),
        h('span', { class: 'name' }, n.name),
        h('span', { class: 'meta' }, `${typeLabel(n.__typename)}${graph.hasNode(n.id) ? ' · on the canvas' : ''}`),
      ),
    ),
  );
  if (!hits.length && searchedFor) hitsList.append(h('li', { class: 'muted', role: 'presentation' }, `Nothing found for “${searchedFor}”.`));
  const open = hits.length > 0 || Boolean(searchedFor);
  hitsList.hidden = !open;
  searchInput.setAttribute('aria-expanded', open ? 'true' : 'false');
  if (hits.length) searchInput.setAttribute('aria-activedescendant', `hit-${activeHit}`);
  else searchInput.removeAttribute('aria-activedescendant');
}

function closeHits() {
  hitsList.hidden = true;
  searchInput.setAttribute('aria-expanded', 'false');
  searchInput.removeAttribute('aria-activedescendant');
}

function runSearch() {
  const q = searchInput.value.trim();
  const seq = ++searchSeq;
  if (!q) {
    hits = [];
    searchedFor = '';
    closeHits();
    searchPromise = Promise.resolve();
    return searchPromise;
  }
  searchPromise = gql('ExplorerSearch', { query: q, first: 12 })
    .then((d) => {
      if (seq !== searchSeq) return;
      hits = d.search.edges.map((e) => e.node);
      searchedFor = q;
      activeHit = 0;
      showHits();
    })
    .catch((err) => {
      if (seq === searchSeq) toast(`Search failed: ${err.message}`, true);
    });
  return searchPromise;
}
const searchSoon = debounce(runSearch, 180);

function chooseHit(i) {
  const n = hits[i];
  if (!n) return;
  closeHits();
  searchInput.value = '';
  hits = [];
  searchedFor = '';
  addNode(n);
  document.getElementById('stage').focus({ preventScroll: true });
}

searchInput.addEventListener('input', searchSoon);
searchInput.addEventListener('focus', () => {
  if (hits.length) showHits();
});
searchInput.addEventListener('blur', () => setTimeout(closeHits, 150));
searchInput.addEventListener('keydown', async (e) => {
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    if (!hits.length) return;
    e.preventDefault();
    activeHit = (activeHit + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length;
    showHits();
    document.getElementById(`hit-${activeHit}`)?.scrollIntoView({ block: 'nearest' });
  } else if (e.key === 'Enter') {
    e.preventDefault();
    if (searchInput.value.trim() !== searchedFor) await runSearch();
    // A debounced search that started meanwhile wins over ours (its result alone is kept):
    // wait for the latest one, or Enter would find no hits on a slow connection.
    for (let p = null; p !== searchPromise; ) {
      p = searchPromise;
      await p;
    }
    if (hits.length) chooseHit(Math.min(activeHit, hits.length - 1));
  } else if (e.key === 'Escape') {
    e.stopPropagation();
    if (!hitsList.hidden) closeHits();
    else searchInput.blur();
  }
});

// ---------------------------------------------------------------------------------------------
// Canvas events: click, shift-click, drag

let dragged = null;
let dragMoved = false;
let lastDragEnd = 0;

// sigma reports a second click within doubleClickTimeout as a double click only (and zooms
// on it): on a node or an edge, handle it as the click it also is, without the zoom.
function onNodeClick({ node, event }) {
  if (Date.now() - lastDragEnd < 250) return;
  const o = event.original;
  if (o.shiftKey || o.ctrlKey || o.metaKey) {
    const from = state.pathStart || (state.selected?.kind === 'node' ? state.selected.id : null);
    if (from && from !== node) {
      findPaths(from, node);
      return;
    }
  }
  if (state.pathStart && state.pathStart !== node) {
    findPaths(state.pathStart, node);
    return;
  }
  select({ kind: 'node', id: node }, { expand: state.expandOnClick });
}
renderer.on('clickNode', onNodeClick);
renderer.on('doubleClickNode', (e) => {
  e.preventSigmaDefault();
  onNodeClick(e);
});
// Relationships are hit-tested here, not by sigma (enableEdgeEvents is off): sigma picks edges
// by reading one pixel of a half-resolution buffer, where a 1.5 px line has gaps, and its
// picking of curved edges (@sigma/edge-curve) does not follow the drawn curve. A click on the
// canvas (not on a node) within EDGE_CLICK_TOLERANCE px of a drawn relationship selects the
// nearest one, measured along what edgeLine says is drawn; a finger's tap, within
// EDGE_TAP_TOLERANCE px.
const EDGE_CLICK_TOLERANCE = 6;
const EDGE_TAP_TOLERANCE = 14;
function distToSegment(p, a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const k = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return Math.hypot(p.x - (a.x + k * dx), p.y - (a.y + k * dy));
}
function edgeNear(p, tolerance = EDGE_CLICK_TOLERANCE) {
  let best = null;
  let bestDist = tolerance;
  for (const e of visibleEdges()) {
    const pts = edgeLine(e);
    for (let i = 1; i < pts.length; i++) {
      const d = distToSegment(p, pts[i - 1], pts[i]);
      if (d <= bestDist) {
        best = e;
        bestDist = d;
      }
    }
  }
  return best;
}
const pickTolerance = (event) => (event.original instanceof MouseEvent ? EDGE_CLICK_TOLERANCE : EDGE_TAP_TOLERANCE);
renderer.on('clickStage', ({ event }) => {
  if (Date.now() - lastDragEnd < 250) return;
  const edge = edgeNear(event, pickTolerance(event));
  if (edge) {
    select({ kind: 'edge', id: edge });
    return;
  }
  if (state.selected) clearSelection();
});
// sigma reports a second click within doubleClickTimeout as a double click only (and zooms on
// it): on a relationship, handle it as the click it also is, without the zoom.
renderer.on('doubleClickStage', (e) => {
  const edge = edgeNear(e.event, pickTolerance(e.event));
  if (!edge) return;
  e.preventSigmaDefault();
  select({ kind: 'edge', id: edge });
});
renderer.on('enterNode', ({ node }) => {
  hovered = node;
  container.classList.add('pointer');
  renderer.refresh();
});
renderer.on('leaveNode', () => {
  hovered = null;
  container.classList.remove('pointer');
  renderer.refresh();
});
// The relationship a click would select (the pointer is on the canvas, not on a node) is drawn
// darker, with its type, under a pointer cursor. sigma reports the move to the body before it
// reports leaving a node: decide after both, once per frame for the last move.
let lastMove = null;
function updateHoveredEdge() {
  const event = lastMove;
  lastMove = null;
  const o = event.original;
  const onCanvas = o instanceof MouseEvent && container.contains(o.target) && o.target.tagName === 'CANVAS';
  const edge = onCanvas && !hovered && !dragged ? edgeNear(event) : null;
  container.classList.toggle('edge-near', edge !== null);
  if (edge !== hoveredEdge) {
    hoveredEdge = edge;
    renderer.refresh();
  }
}
renderer.on('moveBody', ({ event }) => {
  if (!lastMove) requestAnimationFrame(updateHoveredEdge);
  lastMove = event;
});

renderer.on('downNode', ({ node, event }) => {
  if (!(event.original instanceof MouseEvent)) return; // touch: taps and pans only
  dragged = node;
  dragMoved = false;
  // Keep the frame still while dragging (sigma would rescale to the new extent).
  if (!renderer.getCustomBBox()) renderer.setCustomBBox(renderer.getBBox());
});
renderer.getMouseCaptor().on('mousemovebody', (e) => {
  if (!dragged) return;
  if (!dragMoved) {
    dragMoved = true;
    if (layoutRunning) stopLayout();
  }
  const p = renderer.viewportToGraph(e);
  graph.mergeNodeAttributes(dragged, { x: p.x, y: p.y, fixed: true });
  e.preventSigmaDefault();
  e.original.preventDefault();
  e.original.stopPropagation();
});
renderer.getMouseCaptor().on('mouseup', () => {
  if (dragged && dragMoved) {
    lastDragEnd = Date.now();
    if (state.selected?.kind === 'node' && state.selected.id === dragged) renderPanel();
  }
  if (dragged) renderer.setCustomBBox(null);
  dragged = null;
  dragMoved = false;
});

// ---------------------------------------------------------------------------------------------
// Keyboard

function cycle(step) {
  const ids = visibleNodes().sort((a, b) => graph.getNodeAttribute(a, 'name').localeCompare(graph.getNodeAttribute(b, 'name')));
  if (!ids.length) return;
  const cur = state.selected?.kind === 'node' ? ids.indexOf(state.selected.id) : -1;
  const next = cur < 0 ? (step > 0 ? 0 : ids.length - 1) : (cur + step + ids.length) % ids.length;
  select({ kind: 'node', id: ids[next] }, { center: true });
}

const helpDialog = document.getElementById('help');

document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  const typing = t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  if (typing && !(t.type === 'checkbox' || t.type === 'range')) return;
  if (helpDialog.open) return;
  const selNode = state.selected?.kind === 'node' ? state.selected.id : null;
  const onControl = t instanceof HTMLElement && /^(BUTTON|A|SUMMARY)$/.test(t.tagName);
  switch (e.key) {
    case '/':
      e.preventDefault();
      searchInput.focus();
      searchInput.select();
      break;
    case 'n':
    case 'j':
      cycle(1);
      break;
    case 'p':
    case 'k':
      cycle(-1);
      break;
    case 'Enter':
      if (onControl || typing) return;
      if (state.selected) {
        e.preventDefault();
        openPanel();
        renderPanel().then(() => document.getElementById('panel-title')?.focus());
      }
      break;
    case 'e':
      if (selNode) expandNode(selNode);
      break;
    case 'x':
    case 'Delete':
      if (selNode) removeNode(selNode);
      break;
    case '.':
      if (selNode) togglePin(selNode);
      break;
    case 'f':
      fit();
      break;
    case 'l':
      runLayout();
      break;
    case 'Escape':
      if (state.selected) clearSelection();
      else if (state.pathStart) {
        state.pathStart = null;
        renderPathBar();
        renderer.refresh();
      } else if (state.path) clearPath();
      break;
    case '?':
      helpDialog.showModal();
      break;
    default:
      return;
  }
});

// ---------------------------------------------------------------------------------------------
// Toolbar and filter controls

document.getElementById('btn-fit').addEventListener('click', () => fit());
document.getElementById('btn-layout').addEventListener('click', () => runLayout());
document.getElementById('btn-link').addEventListener('click', copyLink);
document.getElementById('btn-help').addEventListener('click', () => helpDialog.showModal());
document.getElementById('help-close').addEventListener('click', () => helpDialog.close());
document.getElementById('panel-close').addEventListener('click', clearSelection);

const filtersEl = document.getElementById('filters');
const filtersButton = document.getElementById('btn-filters');
function setFiltersOpen(open) {
  filtersEl.classList.toggle('collapsed', !open);
  main.classList.toggle('no-filters', !open);
  filtersButton.setAttribute('aria-expanded', open ? 'true' : 'false');
}
filtersButton.addEventListener('click', () => setFiltersOpen(filtersEl.classList.contains('collapsed')));
if (window.matchMedia('(max-width: 760px)').matches) setFiltersOpen(false);

document.getElementById('rel-all').addEventListener('click', () => {
  state.relTypes = null;
  changed();
});
document.getElementById('rel-none').addEventListener('click', () => {
  state.relTypes = new Set();
  changed();
});
document.getElementById('expand-on-click').addEventListener('change', (e) => {
  state.expandOnClick = e.target.checked;
});

function setDate(index) {
  const m = months[index];
  if (!m) return;
  state.activeAt = m;
  changed();
}
dateToggle.addEventListener('change', () => {
  if (dateToggle.checked) setDate(Number(dateSlider.value));
  else {
    state.activeAt = '';
    changed();
  }
});
dateSlider.addEventListener('input', () => {
  dateSlider.dataset.touched = '1';
  setDate(Number(dateSlider.value));
});
for (const [id, step] of [
  ['date-prev', -1],
  ['date-next', 1],
]) {
  document.getElementById(id).addEventListener('click', () => {
    if (!months.length) return;
    const i = state.activeAt ? Number(dateSlider.value) + step : Number(dateSlider.value);
    setDate(Math.max(0, Math.min(months.length - 1, i)));
  });
}

// Close the download menu on Escape or a click elsewhere.
const downloadMenu = document.getElementById('download');
document.addEventListener('click', (e) => {
  if (downloadMenu.open && !downloadMenu.contains(e.target)) downloadMenu.open = false;
});
downloadMenu.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && downloadMenu.open) {
    e.stopPropagation();
    e.preventDefault();
    downloadMenu.open = false;
    downloadMenu.querySelector('summary').focus();
  }
});

// ---------------------------------------------------------------------------------------------
// Start

async function loadIds(ids) {
  for (const c of chunk(ids, NETWORK_IDS)) {
    const d = await gql('ExplorerNetwork', { ids: c });
    mergeNetwork(d.network, null);
  }
  if (ids.length > NETWORK_IDS) {
    // Relationships across the chunks.
    const chunks = chunk(graph.nodes(), NETWORK_IDS / 2);
    const pairs = [];
    for (let i = 0; i < chunks.length; i++) for (let j = i + 1; j < chunks.length; j++) pairs.push([...chunks[i], ...chunks[j]]);
    await mapLimit(pairs, 4, async (c) => {
      const d = await gql('ExplorerNetwork', { ids: c });
      for (const r of d.network.edges) addRelationship(r);
    });
  }
}

// The most connected actors (people and organizations, by degree over the whole graph) and a
// few of the neighbours of each.
async function loadTopActors() {
  const d = await gql('ExplorerRank', { first: 100 });
  let seeds = d.rank.map((r) => r.node).filter((n) => n.__typename === 'Person' || n.__typename === 'Organization');
  if (!seeds.length) seeds = d.rank.map((r) => r.node);
  seeds = seeds.slice(0, SEED_ACTORS);
  seeds.forEach((n, i) => {
    const a = (2 * Math.PI * i) / seeds.length;
    const r = 10 + 3 * seeds.length;
    graph.addNode(n.id, { ...nodeAttributes(n), x: r * Math.cos(a), y: r * Math.sin(a) });
  });
  await mapLimit(seeds, 4, async (n) => {
    const nd = await gql('ExplorerNeighborhood', { id: n.id, limit: SEED_NEIGHBORS, types: typesArg(), nodeTypes: nodeTypesArg() });
    mergeNetwork(nd.neighborhood, n.id);
    if (!nd.neighborhood.truncated) expanded.add(n.id);
  });
  await fillEdges(graph.nodes());
  return seeds.map((n) => n.id);
}

async function boot() {
  const u = readURL();
  state.activeAt = u.activeAt;
  if (u.types.length) state.relTypes = new Set(u.types);
  if (u.nodeTypes.length) state.nodeTypes = new Set(u.nodeTypes.filter((t) => t in NODE_TYPES));

  const init = gql('ExplorerInit')
    .then((d) => {
      allRelTypes = d.relationshipTypes?.enumValues || [];
      nodeTypeDescriptions = Object.fromEntries((d.nodeTypes?.enumValues || []).map((t) => [t.name, t.description]));
    })
    .catch(() => {});

  await job(async () => {
    if (u.ids.length) {
      await loadIds(u.ids);
      if (!graph.order) toast('None of the nodes in the link exist any more.', true);
    } else if (u.focus) {
      try {
        await expand(u.focus);
      } catch (err) {
        toast(`Could not open ${u.focus}: ${err.message}`, true);
      }
    }
    if (!graph.order) await loadTopActors();
    await init;
  });

  booted = true;
  if (u.from && u.to && graph.hasNode(u.from) && graph.hasNode(u.to)) await findPaths(u.from, u.to);
  if (u.edge && graph.hasEdge(u.edge)) select({ kind: 'edge', id: u.edge });
  else if (u.focus && graph.hasNode(u.focus)) select({ kind: 'node', id: u.focus });
  changed({ layout: true });
  fit(false);
}

// For the browser tests and the curious (read-only use intended).
window.__explorer = {
  graph,
  renderer,
  state,
  expanded,
  layout,
  visibleNodes,
  visibleEdges,
  nodeViewport,
  stopLayout,
  hovered: () => hovered,
  hoveredEdge: () => hoveredEdge,
  drawnLabels: () => drawnLabels,
  isIdle: () => booted && pending === 0 && jobs === 0 && !layoutRunning,
};

updateBusy();
boot().catch((err) => toast(`Could not start: ${err.message}`, true));

// Read a policygraph export file with the JavaScript tools' own readers and summarize it as JSON.
//
//   node tests/readers/read.mjs FORMAT FILE
//
// FORMAT is gexf (graphology-gexf), graphml (graphology-graphml), graphology.json (graphology's
// Graph.from) or cytoscape.json (headless Cytoscape.js). XML files are first checked for
// well-formedness with @xmldom/xmldom 0.9 (the parsers bundle xmldom 0.8, which only warns).
// Prints one JSON object on stdout, the same shape as read.py:
//
//   {"tool", "nodes", "edges", "nodeIds", "edgeIds", "edgeQuotes": {edgeId: [quote, ...]},
//    "nodeQuotes", "edgeQuotesText", "nodeStart", "nodeEnd", "edgeStart", "edgeEnd", "meta"}
//
// Exits non-zero with a message on stderr when the file does not parse.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Graph from 'graphology';
import cytoscape from 'cytoscape';
import { DOMParser } from '@xmldom/xmldom';

const require = createRequire(import.meta.url);
const gexf = require('graphology-gexf/node');
const graphml = require('graphology-graphml/node');
const version = (p) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${p}/package.json`, import.meta.url), 'utf8')).version;

function fail(msg) {
  process.stderr.write(`read.mjs: ${msg}\n`);
  process.exit(1);
}

// quotesOf returns the quotes of a `citations` value: a real array in the JSON formats, the text
// of a JSON array in the XML formats.
function quotesOf(value, where) {
  if (value === undefined || value === null || value === '') return [];
  let cs = value;
  if (typeof value === 'string') {
    try {
      cs = JSON.parse(value);
    } catch (e) {
      fail(`${where}: citations is not JSON: ${e.message}`);
    }
  }
  if (!Array.isArray(cs)) fail(`${where}: citations is not an array`);
  return cs.map((c) => {
    if (!c || typeof c.sourceId !== 'string' || typeof c.quote !== 'string') {
      fail(`${where}: a citation lacks sourceId or quote: ${JSON.stringify(c)}`);
    }
    return c.quote;
  });
}

function wellFormed(text) {
  new DOMParser({
    onError(level, message) {
      if (level !== 'warning') throw new Error(`not well-formed XML: ${message}`);
    },
  }).parseFromString(text, 'text/xml');
}

function summary(tool, meta) {
  return { tool, nodes: 0, edges: 0, nodeIds: [], edgeIds: [], edgeQuotes: {}, nodeQuotes: {},
    edgeQuotesText: {}, nodeStart: {}, nodeEnd: {}, edgeStart: {}, edgeEnd: {}, meta };
}

// add records one node or edge; attrs are its attributes as the tool returns them.
function add(out, isEdge, id, attrs, startKey, endKey) {
  const ids = isEdge ? out.edgeIds : out.nodeIds;
  ids.push(id);
  const q = quotesOf(attrs.citations, `${isEdge ? 'edge' : 'node'} ${id}`);
  if (isEdge) {
    out.edgeQuotes[id] = q;
    if (typeof attrs.quotes === 'string') out.edgeQuotesText[id] = attrs.quotes;
  } else if (q.length) {
    out.nodeQuotes[id] = q;
  }
  if (attrs[startKey]) out[isEdge ? 'edgeStart' : 'nodeStart'][id] = attrs[startKey];
  if (attrs[endKey]) out[isEdge ? 'edgeEnd' : 'nodeEnd'][id] = attrs[endKey];
}

function fromGraphology(graph, tool) {
  const out = summary(tool, graph.getAttributes());
  out.directed = graph.type === 'directed';
  out.multi = graph.multi;
  graph.forEachNode((key, attrs) => add(out, false, key, attrs, 'startDay', 'endDay'));
  graph.forEachEdge((key, attrs) => add(out, true, key, attrs, 'startDay', 'endDay'));
  out.nodes = graph.order;
  out.edges = graph.size;
  return out;
}

function read(format, text) {
  switch (format) {
    case 'gexf':
      wellFormed(text);
      return fromGraphology(gexf.parse(Graph, text), `graphology-gexf ${version('graphology-gexf')}`);
    case 'graphml':
      wellFormed(text);
      return fromGraphology(graphml.parse(Graph, text), `graphology-graphml ${version('graphology-graphml')}`);
    case 'graphology.json':
      return fromGraphology(Graph.from(JSON.parse(text)), `graphology ${version('graphology')} Graph.from`);
    case 'cytoscape.json': {
      const json = JSON.parse(text);
      const cy = cytoscape({ headless: true, elements: json.elements, data: json.data });
      const out = summary(`cytoscape ${version('cytoscape')} headless`, cy.data());
      cy.nodes().forEach((n) => add(out, false, n.id(), n.data(), 'startDay', 'endDay'));
      cy.edges().forEach((e) => add(out, true, e.id(), e.data(), 'startDay', 'endDay'));
      out.nodes = cy.nodes().length;
      out.edges = cy.edges().length;
      return out;
    }
    default:
      fail(`unknown format ${JSON.stringify(format)} (want gexf, graphml, graphology.json or cytoscape.json)`);
  }
}

const [format, file] = process.argv.slice(2);
if (!format || !file) fail('usage: read.mjs FORMAT FILE');
let out;
try {
  out = read(format, readFileSync(file, 'utf8'));
} catch (e) {
  fail(`${format}: ${e && e.message ? e.message : e}`);
}
out.nodeIds.sort();
out.edgeIds.sort();
process.stdout.write(JSON.stringify(out) + '\n');

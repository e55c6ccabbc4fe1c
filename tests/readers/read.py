#!/usr/bin/env python3
"""Read a policygraph export file with Python's own tools and summarize it as JSON.

    python3 tests/readers/read.py FORMAT FILE [DIALECT]

FORMAT is gexf (networkx.read_gexf), graphml (networkx.read_graphml), nodes.csv or edges.csv
(the csv module; DIALECT gephi (default), kumu or flourish names the columns). Prints one JSON
object on stdout:

    {"tool": ..., "nodes": N, "edges": M, "nodeIds": [...], "edgeIds": [...],
     "edgeQuotes": {edgeId: [quote, ...]},      # from the `citations` JSON attribute/column
     "nodeQuotes": {nodeId: [quote, ...]},
     "edgeQuotesText": {edgeId: text},          # the human-readable `quotes` attribute/column
     "nodeStart": {id: day}, "nodeEnd": {...}, "edgeStart": {...}, "edgeEnd": {...},
     "meta": {...}}                              # graph-level attributes the tool read

Exits non-zero with a message on stderr when the file does not parse or lacks what the format
promises (ids, citations that are not a JSON array of {sourceId, quote}).
"""
import csv
import json
import sys

CSV_COLUMNS = {
    # dialect: (node id, edge id, source, target, citations, quotes, start day)
    "gephi": ("Id", "Id", "Source", "Target", "citations", "quotes", "startDay", "endDay"),
    "kumu": ("ID", "ID", "From", "To", "Citations", "Quotes", "Start Day", "End Day"),
    "flourish": ("ID", "ID", "Source", "Target", "Citations", "Quotes", None, None),
}


def fail(msg):
    print("read.py: " + msg, file=sys.stderr)
    sys.exit(1)


def quotes_of(value, where):
    """The quotes of a `citations` value (a JSON array text); [] when absent."""
    if value is None or value == "":
        return []
    try:
        cs = json.loads(value)
    except ValueError as e:
        fail("%s: citations is not JSON: %s" % (where, e))
    if not isinstance(cs, list):
        fail("%s: citations is not a JSON array" % where)
    out = []
    for c in cs:
        if not isinstance(c, dict) or not isinstance(c.get("sourceId"), str) or not isinstance(c.get("quote"), str):
            fail("%s: a citation lacks sourceId or quote: %r" % (where, c))
        out.append(c["quote"])
    return out


def empty_summary(tool):
    return {"tool": tool, "nodes": 0, "edges": 0, "nodeIds": [], "edgeIds": [], "edgeQuotes": {},
            "nodeQuotes": {}, "edgeQuotesText": {}, "nodeStart": {}, "nodeEnd": {}, "edgeStart": {},
            "edgeEnd": {}, "meta": {}}


def summarize_networkx(G, tool, start_key, end_key):
    import networkx as nx

    out = empty_summary(tool)
    out["meta"] = {k: v for k, v in G.graph.items() if isinstance(v, (str, int, float, bool))}
    out["directed"] = G.is_directed()
    for node_id, data in G.nodes(data=True):
        out["nodeIds"].append(node_id)
        q = quotes_of(data.get("citations"), "node " + node_id)
        if q:
            out["nodeQuotes"][node_id] = q
        if data.get(start_key):
            out["nodeStart"][node_id] = data[start_key]
        if data.get(end_key):
            out["nodeEnd"][node_id] = data[end_key]
    if G.is_multigraph():
        edges = ((u, v, data.get("id", k), data) for u, v, k, data in G.edges(keys=True, data=True))
    else:
        edges = ((u, v, data.get("id"), data) for u, v, data in G.edges(data=True))
    for u, v, edge_id, data in edges:
        if edge_id is None:
            fail("edge %s -> %s has no id" % (u, v))
        edge_id = str(edge_id)
        out["edgeIds"].append(edge_id)
        out["edgeQuotes"][edge_id] = quotes_of(data.get("citations"), "edge " + edge_id)
        if "quotes" in data:
            out["edgeQuotesText"][edge_id] = data["quotes"]
        if data.get(start_key):
            out["edgeStart"][edge_id] = data[start_key]
        if data.get(end_key):
            out["edgeEnd"][edge_id] = data[end_key]
    out["nodes"] = G.number_of_nodes()
    out["edges"] = G.number_of_edges()
    return out


def read_gexf(path):
    import networkx as nx

    G = nx.read_gexf(path)
    out = summarize_networkx(G, "networkx %s read_gexf" % nx.__version__, "start", "end")
    out["meta"]["mode"] = G.graph.get("mode")
    return out


def read_graphml(path):
    import networkx as nx

    G = nx.read_graphml(path)
    return summarize_networkx(G, "networkx %s read_graphml" % nx.__version__, "startDay", "endDay")


def read_csv(path, edges, dialect):
    if dialect not in CSV_COLUMNS:
        fail("unknown dialect %r" % dialect)
    node_id, edge_id, src, tgt, cit, quotes, start, end = CSV_COLUMNS[dialect]
    out = empty_summary("python %d.%d csv" % sys.version_info[:2])
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, strict=True)
        try:
            rows = list(reader)
        except csv.Error as e:
            fail("line %d: %s" % (reader.line_num, e))
    if not rows:
        fail("no header row")
    header = rows[0]
    if len(set(header)) != len(header):
        fail("repeated column in header %r" % header)
    need = [edge_id, src, tgt, cit] if edges else [node_id, cit]
    for c in need:
        if c not in header:
            fail("no %r column in header %r" % (c, header))
    out["header"] = header
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            fail("row %d has %d cells, the header %d" % (i, len(row), len(header)))
        r = dict(zip(header, row))
        if edges:
            eid = r[edge_id]
            out["edgeIds"].append(eid)
            out["edgeQuotes"][eid] = quotes_of(r[cit], "edge " + eid)
            if quotes in r:
                out["edgeQuotesText"][eid] = r[quotes]
            if start and r.get(start):
                out["edgeStart"][eid] = r[start]
            if end and r.get(end):
                out["edgeEnd"][eid] = r[end]
        else:
            nid = r[node_id]
            out["nodeIds"].append(nid)
            q = quotes_of(r[cit], "node " + nid)
            if q:
                out["nodeQuotes"][nid] = q
            if start and r.get(start):
                out["nodeStart"][nid] = r[start]
            if end and r.get(end):
                out["nodeEnd"][nid] = r[end]
    out["nodes"] = len(out["nodeIds"])
    out["edges"] = len(out["edgeIds"])
    return out


def main(argv):
    if len(argv) not in (3, 4):
        fail("usage: read.py FORMAT FILE [DIALECT]")
    fmt, path = argv[1], argv[2]
    dialect = argv[3] if len(argv) == 4 and argv[3] else "gephi"
    try:
        if fmt == "gexf":
            out = read_gexf(path)
        elif fmt == "graphml":
            out = read_graphml(path)
        elif fmt == "nodes.csv":
            out = read_csv(path, False, dialect)
        elif fmt == "edges.csv":
            out = read_csv(path, True, dialect)
        else:
            fail("unknown format %r (want gexf, graphml, nodes.csv or edges.csv)" % fmt)
    except SystemExit:
        raise
    except Exception as e:  # a parse error of the real reader
        fail("%s: %s: %s" % (fmt, type(e).__name__, e))
    out["nodeIds"].sort()
    out["edgeIds"].sort()
    json.dump(out, sys.stdout, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)

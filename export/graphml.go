package export

import (
	"io"
	"strconv"

	"github.com/policygraph/policygraph/kg"
)

// GraphML (yEd, Cytoscape desktop, networkx, igraph, graphology-graphml). Every key is declared
// up front; key ids carry a prefix per domain (g_, n_, e_) because ids are unique in a document
// while names repeat between nodes and edges. Values are element text, so newlines need no
// escaping; absent values are left out.

type graphmlEncoder struct {
	x *xw
	o Options
	p phases
}

func newGraphML(w io.Writer, o Options) Encoder { return &graphmlEncoder{x: newXW(w), o: o} }

var graphmlTypes = map[string]string{"string": "string", "int": "int", "double": "double"}

func (e *graphmlEncoder) Begin(info kg.ExportInfo) error {
	if err := e.p.begin(); err != nil {
		return err
	}
	x := e.x
	x.raw(xmlHeader)
	x.raw(`<graphml xmlns="http://graphml.graphdrawing.org/xmlns"` +
		` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">` + "\n")
	graphKeys := []column{{"creator", "string"}, {"description", "string"}, {"selection", "string"},
		{"generated", "string"}, {"truncated", "boolean"}}
	for _, c := range graphKeys {
		graphmlKey(x, "g_", "graph", c.name, c.typ)
	}
	for _, c := range labelled(nodeColumns) {
		graphmlKey(x, "n_", "node", c.name, graphmlTypes[c.typ])
	}
	for _, c := range labelled(edgeColumns) {
		graphmlKey(x, "e_", "edge", c.name, graphmlTypes[c.typ])
	}
	x.raw(`  <graph id="policygraph" edgedefault="directed">` + "\n")
	graphmlData(x, "    ", "g_creator", "policygraph")
	graphmlData(x, "    ", "g_description", describe(e.o, info))
	if e.o.Selection != "" { // (networkx reads an empty element as the string "None")
		graphmlData(x, "    ", "g_selection", e.o.Selection)
	}
	if !e.o.Generated.IsZero() {
		graphmlData(x, "    ", "g_generated", e.o.Generated.UTC().Format("2006-01-02T15:04:05Z"))
	}
	graphmlData(x, "    ", "g_truncated", strconv.FormatBool(info.Truncated))
	return x.err
}

// labelled puts a `label` column (the node's name, the edge's relationship type) first.
func labelled(cols []column) []column {
	return append([]column{{"label", "string"}}, cols...)
}

func graphmlKey(x *xw, prefix, domain, name, typ string) {
	x.raw(`  <key id="` + prefix + name + `" for="` + domain + `" attr.name="` + name + `" attr.type="` + typ + `"/>` + "\n")
}

func graphmlData(x *xw, indent, key, value string) {
	x.raw(indent + `<data key="` + key + `">`)
	x.text(value)
	x.raw("</data>\n")
}

func graphmlValues(x *xw, prefix string, cols []column, row map[string]string) {
	for _, c := range cols {
		if v := row[c.name]; v != "" {
			graphmlData(x, "      ", prefix+c.name, v)
		}
	}
}

func (e *graphmlEncoder) Node(n *kg.Node) error {
	if err := e.p.node(); err != nil {
		return err
	}
	x := e.x
	x.raw("    <node")
	x.attr("id", n.ID)
	x.raw(">\n")
	row := nodeRow(n)
	row["label"] = n.Name
	graphmlValues(x, "n_", labelled(nodeColumns), row)
	x.raw("    </node>\n")
	return x.err
}

func (e *graphmlEncoder) Edge(r *kg.Relationship) error {
	if _, err := e.p.edge(); err != nil {
		return err
	}
	x := e.x
	x.raw("    <edge")
	x.attr("id", r.ID)
	x.attr("source", r.From)
	x.attr("target", r.To)
	x.raw(">\n")
	row := edgeRow(r)
	row["label"] = r.Type
	graphmlValues(x, "e_", labelled(edgeColumns), row)
	x.raw("    </edge>\n")
	return x.err
}

func (e *graphmlEncoder) Close() error {
	at, err := e.p.close()
	if err != nil {
		return err
	}
	if at == phaseNew {
		return errNoBegin
	}
	e.x.raw("  </graph>\n</graphml>\n")
	return e.x.flush()
}

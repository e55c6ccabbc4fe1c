package export

import (
	"io"
	"strconv"

	"github.com/policygraph/policygraph/kg"
)

// GEXF 1.3 (Gephi, Gephi Lite, graphology-gexf, networkx). The graph is dynamic with dates as
// time: each node and edge carries its day bounds as `start`/`end`, so Gephi's timeline works.
// Edges keep GEXF's `type` for directedness only (the graph default, directed); the
// relationship type is the edge's `label`, its `kind` (so Gephi keeps parallel edges of
// different types apart) and the `relType` attribute. Attribute ids equal their titles (not
// numbers), which graphology-gexf then uses as attribute names.

type gexfEncoder struct {
	x *xw
	o Options
	p phases
}

func newGEXF(w io.Writer, o Options) Encoder { return &gexfEncoder{x: newXW(w), o: o} }

func (e *gexfEncoder) Begin(info kg.ExportInfo) error {
	if err := e.p.begin(); err != nil {
		return err
	}
	x := e.x
	x.raw(xmlHeader)
	x.raw(`<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz"` +
		` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">` + "\n")
	x.raw("  <meta")
	if !e.o.Generated.IsZero() {
		x.attr("lastmodifieddate", e.o.Generated.UTC().Format("2006-01-02"))
	}
	x.raw(">\n    <creator>policygraph</creator>\n    <description>")
	x.text(describe(e.o, info))
	x.raw("</description>\n  </meta>\n")
	x.raw(`  <graph mode="dynamic" defaultedgetype="directed" timeformat="date">` + "\n")
	gexfAttributes(x, "node", nodeColumns)
	gexfAttributes(x, "edge", edgeColumns)
	x.raw("    <nodes>\n")
	return x.err
}

func gexfAttributes(x *xw, class string, cols []column) {
	x.raw(`    <attributes class="` + class + `" mode="static">` + "\n")
	for _, c := range cols {
		t := c.typ
		if t == "int" {
			t = "integer"
		}
		x.raw(`      <attribute id="` + c.name + `" title="` + c.name + `" type="` + t + `"/>` + "\n")
	}
	x.raw("    </attributes>\n")
}

func gexfValues(x *xw, cols []column, row map[string]string) {
	x.raw("<attvalues>")
	for _, c := range cols {
		if v := row[c.name]; v != "" {
			x.raw(`<attvalue for="` + c.name + `"`)
			x.attr("value", v)
			x.raw("/>")
		}
	}
	x.raw("</attvalues>")
}

func (e *gexfEncoder) Node(n *kg.Node) error {
	if err := e.p.node(); err != nil {
		return err
	}
	x := e.x
	x.raw("      <node")
	x.attr("id", n.ID)
	x.attr("label", n.Name)
	start, end := nodeDays(n)
	if start != "" {
		x.attr("start", start)
	}
	if end != "" {
		x.attr("end", end)
	}
	x.raw(">")
	gexfValues(x, nodeColumns, nodeRow(n))
	c := nodeRGB(n.Type)
	x.raw(`<viz:color r="` + strconv.Itoa(int(c[0])) + `" g="` + strconv.Itoa(int(c[1])) + `" b="` + strconv.Itoa(int(c[2])) + `"/>`)
	px, py := nodePosition(n.ID)
	x.raw("<viz:position")
	x.float("x", px)
	x.float("y", py)
	x.raw(`/><viz:size`)
	x.float("value", nodeSize(n.Degree))
	x.raw("/></node>\n")
	return x.err
}

func (e *gexfEncoder) Edge(r *kg.Relationship) error {
	first, err := e.p.edge()
	if err != nil {
		return err
	}
	x := e.x
	if first {
		x.raw("    </nodes>\n    <edges>\n")
	}
	x.raw("      <edge")
	x.attr("id", r.ID)
	x.attr("source", r.From)
	x.attr("target", r.To)
	x.attr("label", r.Type)
	x.attr("kind", r.Type)
	start, end := relDays(r)
	if start != "" {
		x.attr("start", start)
	}
	if end != "" {
		x.attr("end", end)
	}
	x.raw(">")
	gexfValues(x, edgeColumns, edgeRow(r))
	x.raw("</edge>\n")
	return x.err
}

func (e *gexfEncoder) Close() error {
	at, err := e.p.close()
	if err != nil {
		return err
	}
	x := e.x
	switch at {
	case phaseNew:
		return errNoBegin
	case phaseNodes:
		x.raw("    </nodes>\n    <edges>\n")
	}
	x.raw("    </edges>\n  </graph>\n</gexf>\n")
	return x.flush()
}

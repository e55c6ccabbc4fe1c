package export

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/policygraph/policygraph/kg"
)

// CSV node and edge lists: UTF-8 without a byte-order mark, comma-separated, a header row, LF
// line ends (a field holding a line break is quoted and keeps it as is). Three dialects name
// and order the columns for the tool that reads them:
//
//   - gephi (the default): Gephi's spreadsheet import. Nodes: Id, Label, then the attributes
//     under the same names as in GEXF (the node type is `nodeType`). Edges: Source, Target,
//     Type (always "Directed", Gephi's direction column), Id, Label and Kind (both the
//     relationship type; Gephi keeps parallel edges of different kinds apart), then the
//     attributes (relType again, among them).
//   - kumu: Kumu's Elements (ID, Label, Type, Description, Tags, ...) and Connections (ID,
//     From, To, Type, Direction, ...). Elements have an ID column, so Kumu matches a
//     connection's From and To against element IDs, not labels. Multi-valued cells (Tags,
//     Aliases) are separated by "|", as Kumu expects.
//   - flourish: Flourish's network graph. Points: ID, Name, Group (node type), Size (degree),
//     then popup columns; Links: Source, Target, Value (number of citations), Type (the
//     relationship type), ID, then popup columns.
//
// Text cells are valid UTF-8 with control characters other than tab and line breaks replaced
// by U+FFFD; `citations` is exact JSON (such characters as \u escapes).

type csvColumn struct{ header, key string }

func cols(pairs ...string) []csvColumn {
	out := make([]csvColumn, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, csvColumn{pairs[i], pairs[i+1]})
	}
	return out
}

func sameNames(cs []column) []csvColumn {
	out := make([]csvColumn, 0, len(cs))
	for _, c := range cs {
		out = append(out, csvColumn{c.name, c.name})
	}
	return out
}

var csvNodeColumns = map[string][]csvColumn{
	DialectGephi: append(cols("Id", "id", "Label", "label"), sameNames(nodeColumns)...),
	DialectKumu: cols("ID", "id", "Label", "label", "Type", "nodeType", "Description", "description", "Tags", "tags",
		"Kind", "kind", "Country", "country", "Status", "status", "Start Date", "startDate", "End Date", "endDate",
		"Start Day", "startDay", "End Day", "endDay", "Aliases", "aliasesPipe", "Degree", "degree", "Docket", "docket",
		"Value", "value", "Unit", "unit", "Measure", "measure", "Qualifier", "qualifier", "Publisher", "publisher",
		"URL", "url", "Citations", "citations", "Quotes", "quotes", "Sources", "sources"),
	DialectFlourish: cols("ID", "id", "Name", "label", "Group", "nodeType", "Size", "degree",
		"Kind", "kind", "Country", "country", "Status", "status", "Start date", "startDate", "End date", "endDate",
		"Description", "description", "Aliases", "aliases", "Value", "value", "Unit", "unit", "Measure", "measure",
		"Publisher", "publisher", "URL", "url", "Sources", "sources", "Quotes", "quotes", "Citations", "citations"),
}

var csvEdgeColumns = map[string][]csvColumn{
	DialectGephi: append(cols("Source", "source", "Target", "target", "Type", "gephiType", "Id", "id",
		"Label", "relType", "Kind", "relType"), sameNames(edgeColumns)...),
	DialectKumu: cols("ID", "id", "From", "source", "To", "target", "Type", "relType", "Direction", "kumuDirection",
		"Description", "description", "Role", "role", "Outcome", "outcome", "Start Date", "startDate", "End Date", "endDate",
		"Start Day", "startDay", "End Day", "endDay", "Citations", "citations", "Quotes", "quotes", "Sources", "sources"),
	DialectFlourish: cols("Source", "source", "Target", "target", "Value", "citationCount", "Type", "relType", "ID", "id",
		"Role", "role", "Outcome", "outcome", "Description", "description", "Start date", "startDate", "End date", "endDate",
		"Sources", "sources", "Quotes", "quotes", "Citations", "citations"),
}

type csvEncoder struct {
	o       Options
	bw      *bufio.Writer
	w       *csv.Writer
	p       phases
	columns []csvColumn
	edges   bool // edges.csv (else nodes.csv)
	cells   []string
}

func newNodesCSV(w io.Writer, o Options) Encoder { return newCSV(w, o, false) }
func newEdgesCSV(w io.Writer, o Options) Encoder { return newCSV(w, o, true) }

func newCSV(w io.Writer, o Options, edges bool) *csvEncoder {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &csvEncoder{o: o, bw: bw, w: csv.NewWriter(bw), edges: edges}
}

func dialect(d string) string {
	if d == "" {
		return DialectGephi
	}
	return d
}

// Begin writes the header row. A CSV file has no room for metadata: the HTTP layer reports a
// truncated selection in a header.
func (e *csvEncoder) Begin(kg.ExportInfo) error {
	if err := checkDialect(e.o.Dialect); err != nil {
		return err
	}
	if err := e.p.begin(); err != nil {
		return err
	}
	if e.edges {
		e.columns = csvEdgeColumns[dialect(e.o.Dialect)]
	} else {
		e.columns = csvNodeColumns[dialect(e.o.Dialect)]
	}
	e.cells = make([]string, len(e.columns))
	for i, c := range e.columns {
		e.cells[i] = c.header
	}
	return e.w.Write(e.cells)
}

func (e *csvEncoder) row(values map[string]string) error {
	for i, c := range e.columns {
		e.cells[i] = clean(values[c.key])
	}
	return e.w.Write(e.cells)
}

// Node writes a row of nodes.csv; edges.csv ignores nodes.
func (e *csvEncoder) Node(n *kg.Node) error {
	if err := e.p.node(); err != nil {
		return err
	}
	if e.edges {
		return nil
	}
	v := nodeRow(n)
	v["id"], v["label"] = n.ID, n.Name
	v["aliasesPipe"] = strings.Join(n.Aliases, "|")
	var tags []string
	for _, t := range []string{n.Kind, n.Status} {
		if t != "" {
			tags = append(tags, t)
		}
	}
	v["tags"] = strings.Join(tags, "|")
	return e.row(v)
}

// Edge writes a row of edges.csv; nodes.csv ignores edges.
func (e *csvEncoder) Edge(r *kg.Relationship) error {
	if _, err := e.p.edge(); err != nil {
		return err
	}
	if !e.edges {
		return nil
	}
	v := edgeRow(r)
	v["id"], v["source"], v["target"] = r.ID, r.From, r.To
	v["gephiType"], v["kumuDirection"] = "Directed", "directed"
	v["citationCount"] = strconv.Itoa(len(r.Citations))
	return e.row(v)
}

func (e *csvEncoder) Close() error {
	at, err := e.p.close()
	if err != nil {
		return err
	}
	if at == phaseNew {
		return errNoBegin
	}
	e.w.Flush()
	if err := e.w.Error(); err != nil {
		return err
	}
	return e.bw.Flush()
}

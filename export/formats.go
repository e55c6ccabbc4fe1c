package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/policygraph/policygraph/kg"
)

// CSV dialects (Options.Dialect of nodes.csv and edges.csv).
const (
	DialectGephi    = "gephi"
	DialectKumu     = "kumu"
	DialectFlourish = "flourish"
)

var csvDialects = []string{DialectGephi, DialectKumu, DialectFlourish}

// Formats lists every export format, in the order a user is offered them.
var Formats = []Format{
	{Name: "gexf", Ext: ".gexf", ContentType: "application/gexf+xml; charset=utf-8",
		Parts: kg.Parts{Nodes: true, Edges: true}, New: newGEXF},
	{Name: "graphml", Ext: ".graphml", ContentType: "application/graphml+xml; charset=utf-8",
		Parts: kg.Parts{Nodes: true, Edges: true}, New: newGraphML},
	{Name: "cytoscape.json", Ext: ".cytoscape.json", ContentType: "application/json",
		Parts: kg.Parts{Nodes: true, Edges: true}, New: newCytoscape},
	{Name: "graphology.json", Ext: ".graphology.json", ContentType: "application/json",
		Parts: kg.Parts{Nodes: true, Edges: true}, New: newGraphology},
	{Name: "nodes.csv", Ext: ".nodes.csv", ContentType: "text/csv; charset=utf-8; header=present",
		Parts: kg.Parts{Nodes: true}, Dialects: csvDialects, New: newNodesCSV},
	{Name: "edges.csv", Ext: ".edges.csv", ContentType: "text/csv; charset=utf-8; header=present",
		Parts: kg.Parts{Edges: true}, Dialects: csvDialects, New: newEdgesCSV},
}

// Encoder phases: every encoder accepts Begin once, then nodes, then edges, then Close.
const (
	phaseNew = iota
	phaseNodes
	phaseEdges
	phaseClosed
)

// phases checks the order of calls shared by every encoder.
type phases struct{ at int }

func (p *phases) begin() error {
	if p.at != phaseNew {
		return fmt.Errorf("export: Begin called twice")
	}
	p.at = phaseNodes
	return nil
}

// node reports an error when a node comes after the edges (or before Begin).
func (p *phases) node() error {
	switch p.at {
	case phaseNodes:
		return nil
	case phaseNew:
		return fmt.Errorf("export: Node before Begin")
	case phaseEdges:
		return fmt.Errorf("export: Node after the first Edge")
	}
	return fmt.Errorf("export: Node after Close")
}

// edge reports whether this is the first edge (the writer then closes its node list).
func (p *phases) edge() (first bool, err error) {
	switch p.at {
	case phaseNodes:
		p.at = phaseEdges
		return true, nil
	case phaseEdges:
		return false, nil
	case phaseNew:
		return false, fmt.Errorf("export: Edge before Begin")
	}
	return false, fmt.Errorf("export: Edge after Close")
}

var errNoBegin = errors.New("export: Close before Begin")

// close reports the phase Close was called in (the writer completes what is open).
func (p *phases) close() (int, error) {
	at := p.at
	if at == phaseClosed {
		return at, fmt.Errorf("export: Close called twice")
	}
	p.at = phaseClosed
	return at, nil
}

// citation is the exported form of a kg.Citation, the same in every format (in flat formats as
// the JSON text of an array of them).
type citation struct {
	SourceID   string `json:"sourceId"`
	SourceName string `json:"sourceName"`
	Quote      string `json:"quote"`
	Locator    string `json:"locator,omitempty"`
}

func citationsOf(cs []kg.Citation) []citation {
	out := make([]citation, 0, len(cs))
	for _, c := range cs {
		out = append(out, citation{SourceID: c.SourceID, SourceName: sourceName(c), Quote: c.Quote, Locator: c.Locator})
	}
	return out
}

func sourceName(c kg.Citation) string {
	if c.Source != nil {
		return c.Source.Name
	}
	return ""
}

// marshal encodes v as compact JSON without HTML escaping (quotes keep their <, > and &).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// citationsJSON is the `citations` value of flat formats: a JSON array, "" when there is none.
// Characters XML 1.0 cannot hold are written as \u escapes, so the text survives in an XML
// attribute and decodes to exactly the stored quote.
func citationsJSON(cs []kg.Citation) string {
	if len(cs) == 0 {
		return ""
	}
	b, err := marshal(citationsOf(cs))
	if err != nil { // cannot happen: strings always encode
		return ""
	}
	return jsonXMLSafe(string(b))
}

// jsonXMLSafe escapes, inside JSON text, the runes that are not XML 1.0 characters (they can
// only occur inside JSON strings, where \uXXXX means the same rune).
func jsonXMLSafe(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !isXMLChar(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isXMLChar(r) {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// isXMLChar reports whether r is a character XML 1.0 allows (the Char production).
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// clean makes s valid UTF-8 holding only XML 1.0 characters: anything else becomes U+FFFD. The
// CSV writers use it on text cells (encoding/xml's escaper does the same for XML).
func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !isXMLChar(r) }) < 0 {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if isXMLChar(r) {
			return r
		}
		return '\uFFFD'
	}, s)
}

// quotesText is the human-readable `quotes` value: each quote followed by " — " and its source's
// name (its id when the name is not loaded), separated by a blank line.
func quotesText(cs []kg.Citation) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, c.Quote+" — "+sourceLabel(c))
	}
	return strings.Join(parts, "\n\n")
}

// sourcesText is the `sources` value: the distinct source names, in citation order, joined by "; ".
func sourcesText(cs []kg.Citation) string {
	var names []string
	seen := map[string]bool{}
	for _, c := range cs {
		n := sourceLabel(c)
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return strings.Join(names, "; ")
}

func sourceLabel(c kg.Citation) string {
	if n := sourceName(c); n != "" {
		return n
	}
	return c.SourceID
}

// nodeDays returns the first day a node's start date can mean and the last day its end date
// can mean ("" when absent or not a partial date).
func nodeDays(n *kg.Node) (start, end string) {
	if n.StartDate != "" {
		if s, _, err := kg.DateRange(n.StartDate); err == nil {
			start = s
		}
	}
	if n.EndDate != "" {
		if _, e, err := kg.DateRange(n.EndDate); err == nil {
			end = e
		}
	}
	return start, end
}

// relDays returns a relationship's day bounds: StartDay and EndDay, computed from the partial
// dates when a read left them empty.
func relDays(r *kg.Relationship) (start, end string) {
	start, end = r.StartDay, r.EndDay
	if start == "" && r.StartDate != "" {
		if s, _, err := kg.DateRange(r.StartDate); err == nil {
			start = s
		}
	}
	if end == "" && r.EndDate != "" {
		if _, e, err := kg.DateRange(r.EndDate); err == nil {
			end = e
		}
	}
	return start, end
}

// finite returns v when it is a finite number, nil otherwise (JSON has no NaN).
func finite(v *float64) *float64 {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return nil
	}
	return v
}

func formatFloat(v *float64) string {
	if v = finite(v); v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// Columns of the flat formats (GEXF attributes, GraphML keys, Gephi CSV), in order. The node
// type is `nodeType`, never `type`: sigma.js (and so Gephi Lite) reads a node's `type` as the
// name of its renderer and fails on "Person".
type column struct{ name, typ string } // typ: "string", "int", "double"

var nodeColumns = []column{
	{"nodeType", "string"}, {"kind", "string"}, {"country", "string"}, {"status", "string"},
	{"startDate", "string"}, {"endDate", "string"}, {"startDay", "string"}, {"endDay", "string"},
	{"degree", "int"}, {"description", "string"}, {"aliases", "string"}, {"docket", "string"},
	{"value", "double"}, {"unit", "string"}, {"measure", "string"}, {"qualifier", "string"},
	{"publisher", "string"}, {"url", "string"},
	{"citations", "string"}, {"quotes", "string"}, {"sources", "string"},
}

var edgeColumns = []column{
	{"relType", "string"}, {"role", "string"}, {"outcome", "string"}, {"description", "string"},
	{"startDate", "string"}, {"endDate", "string"}, {"startDay", "string"}, {"endDay", "string"},
	{"citations", "string"}, {"quotes", "string"}, {"sources", "string"},
}

// nodeRow holds a node's flat values by column name ("" = absent). Aliases are joined by "; ".
func nodeRow(n *kg.Node) map[string]string {
	start, end := nodeDays(n)
	return map[string]string{
		"nodeType": n.Type, "kind": n.Kind, "country": n.Country, "status": n.Status,
		"startDate": n.StartDate, "endDate": n.EndDate, "startDay": start, "endDay": end,
		"degree": strconv.Itoa(n.Degree), "description": n.Description,
		"aliases": strings.Join(n.Aliases, "; "), "docket": n.Docket,
		"value": formatFloat(n.Value), "unit": n.Unit, "measure": n.Measure, "qualifier": n.Qualifier,
		"publisher": n.Publisher, "url": n.URL,
		"citations": citationsJSON(n.Citations), "quotes": quotesText(n.Citations), "sources": sourcesText(n.Citations),
	}
}

func edgeRow(r *kg.Relationship) map[string]string {
	start, end := relDays(r)
	return map[string]string{
		"relType": r.Type, "role": r.Role, "outcome": r.Outcome, "description": r.Description,
		"startDate": r.StartDate, "endDate": r.EndDate, "startDay": start, "endDay": end,
		"citations": citationsJSON(r.Citations), "quotes": quotesText(r.Citations), "sources": sourcesText(r.Citations),
	}
}

// typeColors gives each node type a color (Tableau 10), so files open colored in sigma.js,
// Gephi Lite and Gephi.
var typeColors = map[string][3]uint8{
	kg.TypePerson: {0x4e, 0x79, 0xa7}, kg.TypeOrganization: {0xf2, 0x8e, 0x2b},
	kg.TypeCountry: {0x59, 0xa1, 0x4f}, kg.TypePolicy: {0xe1, 0x57, 0x59},
	kg.TypeLegalCase: {0xb0, 0x7a, 0xa1}, kg.TypeEvent: {0xed, 0xc9, 0x48},
	kg.TypeStatistic: {0x76, 0xb7, 0xb2}, kg.TypeSource: {0x9c, 0x75, 0x5f},
}

func nodeRGB(t string) [3]uint8 {
	if c, ok := typeColors[t]; ok {
		return c
	}
	return [3]uint8{0x99, 0x99, 0x99}
}

func nodeColor(t string) string {
	c := nodeRGB(t)
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

// nodePosition is a deterministic position in [-500, 500)² derived from the node's id, so a
// file renders in sigma.js or Gephi Lite before any layout runs, and the same node keeps its
// place from one export to the next.
func nodePosition(id string) (x, y float64) {
	h := fnv.New64a()
	h.Write([]byte(id))
	v := h.Sum64()
	x = float64(v>>32)/float64(1<<32)*1000 - 500
	y = float64(v&0xffffffff)/float64(1<<32)*1000 - 500
	return math.Round(x*100) / 100, math.Round(y*100) / 100
}

// nodeSize grows with the square root of the degree.
func nodeSize(degree int) float64 {
	return math.Round((4+2*math.Sqrt(float64(max(degree, 0))))*100) / 100
}

// describe is the human-readable description of a file: the selection, when it was made, and
// whether a limit cut it.
func describe(o Options, info kg.ExportInfo) string {
	sel := o.Selection
	if sel == "" {
		sel = "the whole graph"
	}
	s := "policygraph export of " + sel
	if !o.Generated.IsZero() {
		s += ", generated " + o.Generated.UTC().Format("2006-01-02T15:04:05Z")
	}
	if info.Truncated {
		s += "; truncated: a limit cut this selection, so some nodes or edges are missing"
	} else {
		s += "; complete (not truncated)"
	}
	return s
}

func checkDialect(d string) error {
	switch d {
	case "", DialectGephi, DialectKumu, DialectFlourish:
		return nil
	}
	return fmt.Errorf("export: unknown CSV dialect %q (want gephi, kumu or flourish)", d)
}

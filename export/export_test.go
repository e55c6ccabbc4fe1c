package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/kg"
)

var fullInfo = kg.ExportInfo{Truncated: true, Nodes: -1, Edges: -1}

func TestFormatTable(t *testing.T) {
	want := []string{"gexf", "graphml", "cytoscape.json", "graphology.json", "nodes.csv", "edges.csv"}
	var got []string
	for _, f := range Formats {
		got = append(got, f.Name)
		if f.Ext != "."+f.Name {
			t.Errorf("%s: Ext %q, want %q", f.Name, f.Ext, "."+f.Name)
		}
		if f.ContentType == "" || f.New == nil || !(f.Parts.Nodes || f.Parts.Edges) {
			t.Errorf("%s: incomplete entry %+v", f.Name, f)
		}
		if lf, ok := Lookup(f.Name); !ok || lf.Name != f.Name {
			t.Errorf("Lookup(%q) = %v, %v", f.Name, lf.Name, ok)
		}
		isCSV := strings.HasSuffix(f.Name, ".csv")
		if isCSV != (f.Dialects != nil) {
			t.Errorf("%s: Dialects %v", f.Name, f.Dialects)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("formats %v, want %v", got, want)
	}
	if _, ok := Lookup("dot"); ok {
		t.Error("Lookup(dot) found a format")
	}
	if p := mustFormat(t, "nodes.csv").Parts; p != (kg.Parts{Nodes: true}) {
		t.Errorf("nodes.csv parts %+v", p)
	}
	if p := mustFormat(t, "edges.csv").Parts; p != (kg.Parts{Edges: true}) {
		t.Errorf("edges.csv parts %+v", p)
	}
}

// wantQuotes are a citation list's quotes.
func wantQuotes(cs []kg.Citation) []string {
	var q []string
	for _, c := range cs {
		q = append(q, c.Quote)
	}
	return q
}

// checkCitations decodes a flat `citations` value and compares it with the stored citations.
func checkCitations(t *testing.T, where, value string, cs []kg.Citation) {
	t.Helper()
	if len(cs) == 0 {
		if value != "" {
			t.Errorf("%s: citations %q for no citation", where, value)
		}
		return
	}
	var got []citation
	if err := json.Unmarshal([]byte(value), &got); err != nil {
		t.Fatalf("%s: citations %q: %v", where, value, err)
	}
	if want := citationsOf(cs); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: citations\n got %+v\nwant %+v", where, got, want)
	}
}

// xmlWellFormed parses the whole document with encoding/xml in strict mode.
func xmlWellFormed(t *testing.T, name string, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v\n%s", name, err, b)
		}
	}
}

type gexfDoc struct {
	XMLName xml.Name `xml:"http://gexf.net/1.3 gexf"`
	Version string   `xml:"version,attr"`
	Meta    struct {
		LastModified string `xml:"lastmodifieddate,attr"`
		Creator      string `xml:"creator"`
		Description  string `xml:"description"`
	} `xml:"meta"`
	Graph struct {
		Mode        string `xml:"mode,attr"`
		DefaultType string `xml:"defaultedgetype,attr"`
		TimeFormat  string `xml:"timeformat,attr"`
		Attributes  []struct {
			Class string `xml:"class,attr"`
			Attr  []struct {
				ID    string `xml:"id,attr"`
				Title string `xml:"title,attr"`
				Type  string `xml:"type,attr"`
			} `xml:"attribute"`
		} `xml:"attributes"`
		Nodes []gexfElem `xml:"nodes>node"`
		Edges []gexfElem `xml:"edges>edge"`
	} `xml:"graph"`
}

type gexfElem struct {
	ID     string `xml:"id,attr"`
	Label  string `xml:"label,attr"`
	Source string `xml:"source,attr"`
	Target string `xml:"target,attr"`
	Type   string `xml:"type,attr"`
	Kind   string `xml:"kind,attr"`
	Start  string `xml:"start,attr"`
	End    string `xml:"end,attr"`
	Values []struct {
		For   string `xml:"for,attr"`
		Value string `xml:"value,attr"`
	} `xml:"attvalues>attvalue"`
	Color *struct {
		R string `xml:"r,attr"`
	} `xml:"http://gexf.net/1.3/viz color"`
}

func (e gexfElem) value(name string) string {
	for _, v := range e.Values {
		if v.For == name {
			return v.Value
		}
	}
	return ""
}

func TestGEXF(t *testing.T) {
	g := fixture()
	b := encode(t, mustFormat(t, "gexf"), testOptions, fullInfo, g)
	xmlWellFormed(t, "gexf", b)
	var doc gexfDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "1.3" || doc.Graph.Mode != "dynamic" || doc.Graph.DefaultType != "directed" || doc.Graph.TimeFormat != "date" {
		t.Errorf("header: version %q mode %q defaultedgetype %q timeformat %q", doc.Version, doc.Graph.Mode, doc.Graph.DefaultType, doc.Graph.TimeFormat)
	}
	if doc.Meta.Creator != "policygraph" || doc.Meta.LastModified != "2024-05-06" ||
		!strings.Contains(doc.Meta.Description, "id=org:aclu&depth=2") || !strings.Contains(doc.Meta.Description, "truncated: a limit") {
		t.Errorf("meta %+v", doc.Meta)
	}
	declared := map[string]map[string]string{}
	for _, a := range doc.Graph.Attributes {
		declared[a.Class] = map[string]string{}
		for _, at := range a.Attr {
			if at.ID != at.Title {
				t.Errorf("attribute id %q has title %q", at.ID, at.Title)
			}
			declared[a.Class][at.ID] = at.Type
		}
	}
	if declared["node"]["degree"] != "integer" || declared["node"]["value"] != "double" || declared["node"]["citations"] != "string" ||
		declared["edge"]["relType"] != "string" {
		t.Errorf("declarations %v", declared)
	}
	if _, ok := declared["node"]["type"]; ok {
		t.Error("a node attribute is called type (breaks sigma.js and Gephi Lite)")
	}
	if len(doc.Graph.Nodes) != len(g.nodes) || len(doc.Graph.Edges) != len(g.edges) {
		t.Fatalf("%d nodes, %d edges; want %d, %d", len(doc.Graph.Nodes), len(doc.Graph.Edges), len(g.nodes), len(g.edges))
	}
	for _, n := range doc.Graph.Nodes {
		want := g.node(n.ID)
		if want == nil {
			t.Fatalf("unknown node %q", n.ID)
		}
		if n.Label != want.Name {
			t.Errorf("node %s label %q, want %q", n.ID, n.Label, want.Name)
		}
		start, end := nodeDays(want)
		if n.Start != start || n.End != end {
			t.Errorf("node %s start/end %q/%q, want %q/%q", n.ID, n.Start, n.End, start, end)
		}
		for _, v := range n.Values {
			if _, ok := declared["node"][v.For]; !ok {
				t.Errorf("node %s: undeclared attribute %q", n.ID, v.For)
			}
		}
		if n.value("nodeType") != want.Type || n.value("startDate") != want.StartDate || n.Color == nil {
			t.Errorf("node %s: nodeType %q startDate %q color %v", n.ID, n.value("nodeType"), n.value("startDate"), n.Color)
		}
		checkCitations(t, "node "+n.ID, n.value("citations"), want.Citations)
	}
	if n := doc.Graph.Nodes[0]; n.value("description") != g.nodes[0].Description || n.value("aliases") != "AMLO; López Obrador" {
		t.Errorf("newline or aliases lost: %q, %q", n.value("description"), n.value("aliases"))
	}
	for _, e := range doc.Graph.Edges {
		want := g.edge(e.ID)
		if want == nil {
			t.Fatalf("unknown edge %q", e.ID)
		}
		if e.Type != "" {
			t.Errorf("edge %s has GEXF type %q: the relationship type belongs in relType", e.ID, e.Type)
		}
		if e.Source != want.From || e.Target != want.To || e.Label != want.Type || e.Kind != want.Type || e.value("relType") != want.Type {
			t.Errorf("edge %s: %+v", e.ID, e)
		}
		start, end := relDays(want)
		if e.Start != start || e.End != end || e.value("startDay") != start {
			t.Errorf("edge %s start/end %q/%q, want %q/%q", e.ID, e.Start, e.End, start, end)
		}
		for _, v := range e.Values {
			if _, ok := declared["edge"][v.For]; !ok {
				t.Errorf("edge %s: undeclared attribute %q", e.ID, v.For)
			}
		}
		checkCitations(t, "edge "+e.ID, e.value("citations"), want.Citations)
		if want.ID == trickyEdge {
			if q := e.value("quotes"); !strings.Contains(q, trickyQuote+" — The New York Times") {
				t.Errorf("quotes %q lacks the tricky quote", q)
			}
			if s := e.value("sources"); s != "The New York Times, “Mexico deal”; Human Rights First — Delivered to Danger" {
				t.Errorf("sources %q", s)
			}
		}
	}
	if e := doc.Graph.Edges[3]; e.Start != "2020-03-01" || e.End != "" {
		t.Errorf("computed day bounds %q/%q, want 2020-03-01 and open", e.Start, e.End)
	}
}

type graphmlDoc struct {
	XMLName xml.Name `xml:"http://graphml.graphdrawing.org/xmlns graphml"`
	Keys    []struct {
		ID   string `xml:"id,attr"`
		For  string `xml:"for,attr"`
		Name string `xml:"attr.name,attr"`
		Type string `xml:"attr.type,attr"`
	} `xml:"key"`
	Graph struct {
		EdgeDefault string    `xml:"edgedefault,attr"`
		Data        []gmlData `xml:"data"`
		Nodes       []struct {
			ID   string    `xml:"id,attr"`
			Data []gmlData `xml:"data"`
		} `xml:"node"`
		Edges []struct {
			ID     string    `xml:"id,attr"`
			Source string    `xml:"source,attr"`
			Target string    `xml:"target,attr"`
			Data   []gmlData `xml:"data"`
		} `xml:"edge"`
	} `xml:"graph"`
}

type gmlData struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

func dataValue(ds []gmlData, key string) string {
	for _, d := range ds {
		if d.Key == key {
			return d.Value
		}
	}
	return ""
}

func TestGraphML(t *testing.T) {
	g := fixture()
	b := encode(t, mustFormat(t, "graphml"), testOptions, fullInfo, g)
	xmlWellFormed(t, "graphml", b)
	var doc graphmlDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{} // id -> for
	for _, k := range doc.Keys {
		if _, dup := keys[k.ID]; dup {
			t.Errorf("key id %q declared twice", k.ID)
		}
		if !slices.Contains([]string{"string", "int", "double", "boolean"}, k.Type) || k.Name == "" {
			t.Errorf("key %+v", k)
		}
		keys[k.ID] = k.For
	}
	checkKeys := func(domain string, ds []gmlData) {
		for _, d := range ds {
			if keys[d.Key] != domain {
				t.Errorf("data key %q is not declared for %s", d.Key, domain)
			}
		}
	}
	if doc.Graph.EdgeDefault != "directed" || dataValue(doc.Graph.Data, "g_truncated") != "true" ||
		dataValue(doc.Graph.Data, "g_selection") != testOptions.Selection {
		t.Errorf("graph %q %+v", doc.Graph.EdgeDefault, doc.Graph.Data)
	}
	checkKeys("graph", doc.Graph.Data)
	if len(doc.Graph.Nodes) != len(g.nodes) || len(doc.Graph.Edges) != len(g.edges) {
		t.Fatalf("%d nodes, %d edges", len(doc.Graph.Nodes), len(doc.Graph.Edges))
	}
	for _, n := range doc.Graph.Nodes {
		checkKeys("node", n.Data)
		want := g.node(n.ID)
		if dataValue(n.Data, "n_label") != want.Name {
			t.Errorf("node %s label %q", n.ID, dataValue(n.Data, "n_label"))
		}
		checkCitations(t, "node "+n.ID, dataValue(n.Data, "n_citations"), want.Citations)
	}
	for _, e := range doc.Graph.Edges {
		checkKeys("edge", e.Data)
		want := g.edge(e.ID)
		if want == nil || e.Source != want.From || e.Target != want.To || dataValue(e.Data, "e_relType") != want.Type {
			t.Fatalf("edge %+v", e)
		}
		checkCitations(t, "edge "+e.ID, dataValue(e.Data, "e_citations"), want.Citations)
	}
}

func TestCytoscapeJSON(t *testing.T) {
	g := fixture()
	b := encode(t, mustFormat(t, "cytoscape.json"), testOptions, fullInfo, g)
	var doc struct {
		Data     map[string]any `json:"data"`
		Elements struct {
			Nodes []struct {
				Data     map[string]json.RawMessage `json:"data"`
				Position struct{ X, Y float64 }     `json:"position"`
			} `json:"nodes"`
			Edges []struct {
				Data map[string]json.RawMessage `json:"data"`
			} `json:"edges"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if doc.Data["truncated"] != true || doc.Data["selection"] != testOptions.Selection || doc.Data["generated"] != "2024-05-06T07:08:09Z" {
		t.Errorf("data %v", doc.Data)
	}
	if len(doc.Elements.Nodes) != len(g.nodes) || len(doc.Elements.Edges) != len(g.edges) {
		t.Fatalf("%d nodes, %d edges", len(doc.Elements.Nodes), len(doc.Elements.Edges))
	}
	for i, n := range doc.Elements.Nodes {
		want := g.nodes[i]
		var id, label, typ string
		var cs []citation
		mustUnmarshal(t, n.Data["id"], &id)
		mustUnmarshal(t, n.Data["label"], &label)
		mustUnmarshal(t, n.Data["type"], &typ)
		mustUnmarshal(t, n.Data["citations"], &cs)
		if id != want.ID || label != want.Name || typ != want.Type || !reflect.DeepEqual(cs, citationsOf(want.Citations)) {
			t.Errorf("node %d: %s %s %s %v", i, id, label, typ, cs)
		}
	}
	for i, e := range doc.Elements.Edges {
		want := g.edges[i]
		var id, source, target, label, relType string
		var cs []citation
		for k, p := range map[string]*string{"id": &id, "source": &source, "target": &target, "label": &label, "relType": &relType} {
			mustUnmarshal(t, e.Data[k], p)
		}
		mustUnmarshal(t, e.Data["citations"], &cs)
		if id != want.ID || source != want.From || target != want.To || label != want.Type || relType != want.Type ||
			!reflect.DeepEqual(cs, citationsOf(want.Citations)) {
			t.Errorf("edge %d: %s %s→%s %s %s %v", i, id, source, target, label, relType, cs)
		}
	}
}

func mustUnmarshal(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}

func TestGraphologyJSON(t *testing.T) {
	g := fixture()
	b := encode(t, mustFormat(t, "graphology.json"), testOptions, fullInfo, g)
	var doc struct {
		Attributes map[string]any `json:"attributes"`
		Options    map[string]any `json:"options"`
		Nodes      []struct {
			Key        string         `json:"key"`
			Attributes map[string]any `json:"attributes"`
		} `json:"nodes"`
		Edges []struct {
			Key, Source, Target string
			Attributes          map[string]any `json:"attributes"`
		} `json:"edges"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if doc.Attributes["truncated"] != true || doc.Options["type"] != "directed" || doc.Options["multi"] != true || doc.Options["allowSelfLoops"] != true {
		t.Errorf("attributes %v options %v", doc.Attributes, doc.Options)
	}
	if len(doc.Nodes) != len(g.nodes) || len(doc.Edges) != len(g.edges) {
		t.Fatalf("%d nodes, %d edges", len(doc.Nodes), len(doc.Edges))
	}
	for i, n := range doc.Nodes {
		a := n.Attributes
		if n.Key != g.nodes[i].ID || a["label"] != g.nodes[i].Name || a["nodeType"] != g.nodes[i].Type {
			t.Errorf("node %d: %s %v", i, n.Key, a)
		}
		if _, ok := a["type"]; ok {
			t.Errorf("node %s has a `type` attribute (sigma.js reads it as a renderer)", n.Key)
		}
		for _, k := range []string{"x", "y", "size"} {
			if _, ok := a[k].(float64); !ok {
				t.Errorf("node %s: %s = %v, want a number", n.Key, k, a[k])
			}
		}
		if _, ok := a["citations"].([]any); !ok {
			t.Errorf("node %s: citations %v is not an array", n.Key, a["citations"])
		}
	}
	e := doc.Edges[0]
	cs, _ := e.Attributes["citations"].([]any)
	if e.Key != trickyEdge || len(cs) != 2 || cs[0].(map[string]any)["quote"] != trickyQuote || cs[1].(map[string]any)["quote"] != weirdQuote {
		t.Errorf("edge %s citations %v", e.Key, cs)
	}
	if e.Attributes["relType"] != "AGREES_TO" || e.Attributes["startDay"] != "2019-06-01" {
		t.Errorf("edge attributes %v", e.Attributes)
	}
	// Positions are a function of the id alone.
	x, y := nodePosition(g.nodes[0].ID)
	if doc.Nodes[0].Attributes["x"] != x || doc.Nodes[0].Attributes["y"] != y {
		t.Errorf("position %v,%v, want %v,%v", doc.Nodes[0].Attributes["x"], doc.Nodes[0].Attributes["y"], x, y)
	}
}

func readCSV(t *testing.T, name string, b []byte) (header []string, rows []map[string]string) {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	all, err := r.ReadAll() // also checks every row has the header's number of fields
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, b)
	}
	if len(all) == 0 {
		t.Fatalf("%s: no header", name)
	}
	header = all[0]
	for _, rec := range all[1:] {
		m := map[string]string{}
		for i, h := range header {
			m[h] = rec[i]
		}
		rows = append(rows, m)
	}
	return header, rows
}

func TestCSV(t *testing.T) {
	g := fixture()
	type names struct{ nodeID, label, edgeID, from, to, relType, citations, quotes string }
	dialects := map[string]names{
		"":         {"Id", "Label", "Id", "Source", "Target", "Label", "citations", "quotes"},
		"gephi":    {"Id", "Label", "Id", "Source", "Target", "Label", "citations", "quotes"},
		"kumu":     {"ID", "Label", "ID", "From", "To", "Type", "Citations", "Quotes"},
		"flourish": {"ID", "Name", "ID", "Source", "Target", "Type", "Citations", "Quotes"},
	}
	for d, c := range dialects {
		o := testOptions
		o.Dialect = d
		nb := encode(t, mustFormat(t, "nodes.csv"), o, fullInfo, g)
		eb := encode(t, mustFormat(t, "edges.csv"), o, fullInfo, g)
		if bytes.Contains(nb, []byte("\r\n")) && bytes.Count(nb, []byte("\r\n")) != bytes.Count(nb, []byte("\n")) {
			t.Errorf("%s: mixed line ends", d)
		}
		nh, nodes := readCSV(t, "nodes.csv "+d, nb)
		eh, edges := readCSV(t, "edges.csv "+d, eb)
		for _, h := range [][]string{nh, eh} {
			seen := map[string]bool{}
			for _, name := range h {
				if seen[strings.ToLower(name)] {
					t.Errorf("%s: column %q repeated (Gephi compares case-insensitively)", d, name)
				}
				seen[strings.ToLower(name)] = true
			}
		}
		if len(nodes) != len(g.nodes) || len(edges) != len(g.edges) {
			t.Fatalf("%s: %d nodes, %d edges", d, len(nodes), len(edges))
		}
		if nh[0] != c.nodeID && !(d == "kumu" && nh[0] == "ID") {
			t.Errorf("%s: first node column %q", d, nh[0])
		}
		ids := map[string]bool{}
		for i, n := range nodes {
			want := g.nodes[i]
			if n[c.nodeID] != want.ID || n[c.label] != want.Name {
				t.Errorf("%s node %d: %v", d, i, n)
			}
			ids[n[c.nodeID]] = true
			checkCitations(t, d+" node "+want.ID, n[c.citations], want.Citations)
		}
		for i, e := range edges {
			want := g.edges[i]
			if e[c.edgeID] != want.ID || e[c.relType] != want.Type {
				t.Errorf("%s edge %d: %v", d, i, e)
			}
			// Connections must reference the node sheet's ids (Kumu matches them on ID).
			if !ids[e[c.from]] || !ids[e[c.to]] || e[c.from] != want.From || e[c.to] != want.To {
				t.Errorf("%s edge %s: %s → %s", d, want.ID, e[c.from], e[c.to])
			}
			checkCitations(t, d+" edge "+want.ID, e[c.citations], want.Citations)
			if want.ID == trickyEdge && !strings.Contains(e[c.quotes], trickyQuote+" — ") {
				t.Errorf("%s: quotes %q", d, e[c.quotes])
			}
		}
		switch d {
		case "", "gephi":
			if edges[0]["Type"] != "Directed" || edges[0]["Kind"] != "AGREES_TO" || edges[0]["relType"] != "AGREES_TO" {
				t.Errorf("gephi edge %v", edges[0])
			}
			if nodes[0]["nodeType"] != kg.TypePerson || nodes[0]["startDay"] != "" || nodes[2]["endDay"] != "2022-08-31" {
				t.Errorf("gephi nodes %v / %v", nodes[0], nodes[2])
			}
		case "kumu":
			if eh[0] != "ID" || eh[1] != "From" || eh[2] != "To" || edges[0]["Direction"] != "directed" {
				t.Errorf("kumu connections header %v", eh)
			}
			if nodes[0]["Type"] != kg.TypePerson || nodes[0]["Aliases"] != "AMLO|López Obrador" || nodes[1]["Tags"] != "NGO" || nodes[2]["Tags"] != "PROGRAM|ENDED" {
				t.Errorf("kumu elements %v", nodes[:3])
			}
		case "flourish":
			if eh[0] != "Source" || eh[1] != "Target" || eh[2] != "Value" || edges[0]["Value"] != "2" {
				t.Errorf("flourish links header %v, %v", eh, edges[0])
			}
			if nh[0] != "ID" || nh[1] != "Name" || nodes[0]["Group"] != kg.TypePerson || nodes[0]["Size"] != "3" {
				t.Errorf("flourish points %v %v", nh, nodes[0])
			}
		}
	}
	// The weird quote's control character and non-character cannot stay in a spreadsheet cell.
	// (encoding/csv's reader turns a quoted CRLF into LF: look at the bytes for that one.)
	eb := encode(t, mustFormat(t, "edges.csv"), testOptions, fullInfo, g)
	_, edges := readCSV(t, "edges", eb)
	if q := edges[0]["quotes"]; strings.ContainsAny(q, "\x01\uFFFE") || !strings.Contains(q, "control\uFFFDchar") || !bytes.Contains(eb, []byte("CRLF\r\nend")) {
		t.Errorf("quotes cell %q", q)
	}
	if err := mustFormat(t, "nodes.csv").New(io.Discard, Options{Dialect: "excel"}).Begin(fullInfo); err == nil {
		t.Error("an unknown dialect was accepted")
	}
}

// TestEmpty: every format is a valid document with no nodes and no edges, and with nodes only.
func TestEmpty(t *testing.T) {
	g := fixture()
	for _, f := range Formats {
		for _, sub := range []fixtureGraph{{}, {nodes: g.nodes}} {
			b := encode(t, f, Options{}, kg.ExportInfo{Nodes: len(sub.nodes), Edges: 0}, sub)
			switch {
			case strings.HasSuffix(f.Name, ".json"):
				var v map[string]any
				if err := json.Unmarshal(b, &v); err != nil {
					t.Errorf("%s with %d nodes: %v\n%s", f.Name, len(sub.nodes), err, b)
				}
			case strings.HasSuffix(f.Name, ".csv"):
				_, rows := readCSV(t, f.Name, b)
				if want := len(sub.nodes); f.Parts.Edges {
					want = 0
					if len(rows) != want {
						t.Errorf("%s: %d rows", f.Name, len(rows))
					}
				}
			default:
				xmlWellFormed(t, f.Name, b)
			}
		}
	}
}

// TestBadCharacters: control characters, invalid UTF-8 and non-characters anywhere still give
// well-formed XML and valid JSON.
func TestBadCharacters(t *testing.T) {
	bad := "nul\x00 esc\x1b bad\xff\xfe utf8 \uFFFF end"
	g := fixtureGraph{
		nodes: []*kg.Node{{ID: "org:a\x00", Type: kg.TypeOrganization, Name: bad, Description: bad, Aliases: []string{bad}},
			{ID: "org:b", Type: kg.TypeOrganization, Name: "b"}},
		edges: []*kg.Relationship{{ID: "rel:x", Type: "SUPPORTS", From: "org:a\x00", To: "org:b", Role: bad,
			Citations: []kg.Citation{{SourceID: "source:s", Quote: bad, Source: &kg.Node{Name: bad}}}}},
	}
	for _, v := range variants() {
		f := mustFormat(t, v.format)
		b := encode(t, f, Options{Dialect: v.dialect, Selection: bad}, fullInfo, g)
		switch {
		case strings.HasSuffix(f.Name, ".json"):
			if !json.Valid(b) {
				t.Errorf("%s: invalid JSON", v)
			}
		case strings.HasSuffix(f.Name, ".csv"):
			readCSV(t, v.String(), b)
			if !utf8Valid(b) || bytes.ContainsAny(b, "\x00\x1b") {
				t.Errorf("%s: invalid UTF-8 or control characters", v)
			}
		default:
			xmlWellFormed(t, v.String(), b)
		}
	}
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "") == string(b) }

func TestCallOrder(t *testing.T) {
	g := fixture()
	for _, f := range Formats {
		enc := f.New(io.Discard, Options{})
		if err := enc.Node(g.nodes[0]); err == nil {
			t.Errorf("%s: Node before Begin accepted", f.Name)
		}
		if err := enc.Begin(fullInfo); err != nil {
			t.Fatal(err)
		}
		if err := enc.Begin(fullInfo); err == nil {
			t.Errorf("%s: second Begin accepted", f.Name)
		}
		if err := enc.Edge(g.edges[0]); err != nil {
			t.Fatal(err)
		}
		if err := enc.Node(g.nodes[0]); err == nil {
			t.Errorf("%s: Node after Edge accepted", f.Name)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		if err := enc.Close(); err == nil {
			t.Errorf("%s: second Close accepted", f.Name)
		}
	}
}

// countingWriter records how many bytes reached it.
type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// TestStreams: output reaches the writer while nodes are still coming (nothing is held until
// Close beyond a fixed-size buffer).
func TestStreams(t *testing.T) {
	g := fixture()
	for _, f := range Formats {
		if !f.Parts.Nodes {
			continue
		}
		var w countingWriter
		enc := f.New(&w, Options{})
		if err := enc.Begin(kg.ExportInfo{Nodes: -1, Edges: -1}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3000; i++ {
			n := *g.nodes[0]
			n.ID = "person:p" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
			if err := enc.Node(&n); err != nil {
				t.Fatal(err)
			}
		}
		if w.n == 0 {
			t.Errorf("%s: nothing written after 3000 nodes", f.Name)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteError: a failing writer surfaces as an error.
func TestWriteError(t *testing.T) {
	g := fixture()
	for _, f := range Formats {
		enc := f.New(failingWriter{}, Options{})
		err := enc.Begin(fullInfo)
		for _, n := range g.nodes {
			if err == nil {
				err = enc.Node(n)
			}
		}
		if err == nil {
			err = enc.Close()
		}
		if err == nil {
			t.Errorf("%s: write error lost", f.Name)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

package export

import (
	"bytes"
	"testing"
	"time"

	"github.com/policygraph/policygraph/kg"
)

// The fixture: a small graph with the things that break exporters. Accents in names, a quote
// with double and single quotes, markup, an ampersand, commas and a newline, a second quote
// with a tab, CRLF, a control character and a Unicode non-character (XML 1.0 can hold neither),
// an edge with two citations, two parallel edges of the same type, a Source without
// relationships, partial dates of every precision, and an open-ended relationship.
const (
	trickyQuote = "Mexico \"sold its soul\", <b> & commas,\nnewline; l'été, «¿qué?» 😀"
	weirdQuote  = "tab\there, CRLF\r\nend, control\x01char, nonchar\uFFFE, 'single' </attvalue> ]]>"
	amloName    = "Andrés Manuel López Obrador"
	trickyEdge  = "rel:amlo-agrees-to-mpp"
)

type fixtureGraph struct {
	nodes []*kg.Node
	edges []*kg.Relationship
}

func fixture() fixtureGraph {
	nyt := &kg.Node{ID: "source:nyt-2019-06-08", Type: kg.TypeSource, Name: "The New York Times, “Mexico deal”",
		Kind: "ARTICLE", Publisher: "The New York Times", URL: "https://example.org/a?b=1&c=2", StartDate: "2019-06-08"}
	report := &kg.Node{ID: "source:hrf-report", Type: kg.TypeSource, Name: "Human Rights First — Delivered to Danger",
		Kind: "REPORT", Publisher: "Human Rights First", StartDate: "2020-02"}
	unused := &kg.Node{ID: "source:uncited", Type: kg.TypeSource, Name: "A source nobody cites", Kind: "DATASET"}
	value := 2475669.0
	nodes := []*kg.Node{
		{ID: "person:andres-manuel-lopez-obrador", Type: kg.TypePerson, Name: amloName,
			Aliases: []string{"AMLO", "López Obrador"}, Country: "MX", Degree: 3,
			Description: "President of Mexico, 2018–2024.\nSecond line.",
			Citations:   []kg.Citation{{SourceID: nyt.ID, Quote: "López Obrador, who took office in December", Source: nyt}}},
		{ID: "org:aclu", Type: kg.TypeOrganization, Name: "American Civil Liberties Union", Kind: "NGO", Country: "US",
			StartDate: "1920", Degree: 3},
		{ID: "policy:mpp", Type: kg.TypePolicy, Name: "Migrant Protection Protocols (\"Remain in Mexico\")",
			Kind: "PROGRAM", Status: "ENDED", Country: "US", StartDate: "2019-01-24", EndDate: "2022-08", Degree: 3},
		{ID: "stat:encounters-fy2022", Type: kg.TypeStatistic, Name: "Southwest border encounters, FY2022",
			Value: &value, Unit: "PEOPLE", Measure: "encounters at the southwest border", Qualifier: "OVER",
			StartDate: "2021-10", EndDate: "2022-09", Degree: 1,
			Citations: []kg.Citation{{SourceID: report.ID, Quote: "over 2.4 million encounters", Locator: "p. 3", Source: report}}},
		nyt, report, unused,
	}
	edges := []*kg.Relationship{
		{ID: trickyEdge, Type: "AGREES_TO", From: "person:andres-manuel-lopez-obrador", To: "policy:mpp",
			Role: "signatory", Description: "Agreed to expand the program.", StartDate: "2019-06", EndDate: "2019-06-07",
			StartDay: "2019-06-01", EndDay: "2019-06-07",
			Citations: []kg.Citation{
				{SourceID: nyt.ID, Quote: trickyQuote, Locator: "¶ 4", Source: nyt},
				{SourceID: report.ID, Quote: weirdQuote, Source: report},
			}},
		{ID: "rel:aclu-challenges-mpp", Type: "CHALLENGES", From: "org:aclu", To: "policy:mpp", Outcome: "won",
			StartDate: "2019-02", StartDay: "2019-02-01",
			Citations: []kg.Citation{{SourceID: report.ID, Quote: "The ACLU sued.", Source: report}}},
		{ID: "rel:aclu-criticizes-amlo-1", Type: "CRITICIZES", From: "org:aclu", To: "person:andres-manuel-lopez-obrador",
			StartDate: "2019", StartDay: "2019-01-01", EndDate: "2019", EndDay: "2019-12-31",
			Citations: []kg.Citation{{SourceID: nyt.ID, Quote: "first criticism", Source: nyt}}},
		{ID: "rel:aclu-criticizes-amlo-2", Type: "CRITICIZES", From: "org:aclu", To: "person:andres-manuel-lopez-obrador",
			StartDate: "2020-03", // StartDay left empty: the encoders compute it
			Citations: []kg.Citation{{SourceID: "source:not-loaded", Quote: "second criticism"}}},
		{ID: "rel:stat-measures-mpp", Type: "MEASURES", From: "stat:encounters-fy2022", To: "policy:mpp",
			Citations: []kg.Citation{{SourceID: report.ID, Quote: "encounters under MPP", Source: report}}},
	}
	return fixtureGraph{nodes: nodes, edges: edges}
}

func (g fixtureGraph) node(id string) *kg.Node {
	for _, n := range g.nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

func (g fixtureGraph) edge(id string) *kg.Relationship {
	for _, r := range g.edges {
		if r.ID == id {
			return r
		}
	}
	return nil
}

var testOptions = Options{Selection: "id=org:aclu&depth=2", Generated: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}

// encode writes g in format f, feeding the parts the format asks for, as the store does.
func encode(t testing.TB, f Format, o Options, info kg.ExportInfo, g fixtureGraph) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := f.New(&b, o)
	if err := enc.Begin(info); err != nil {
		t.Fatalf("%s: Begin: %v", f.Name, err)
	}
	if f.Parts.Nodes {
		for _, n := range g.nodes {
			if err := enc.Node(n); err != nil {
				t.Fatalf("%s: Node(%s): %v", f.Name, n.ID, err)
			}
		}
	}
	if f.Parts.Edges {
		for _, r := range g.edges {
			if err := enc.Edge(r); err != nil {
				t.Fatalf("%s: Edge(%s): %v", f.Name, r.ID, err)
			}
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatalf("%s: Close: %v", f.Name, err)
	}
	return b.Bytes()
}

func mustFormat(t testing.TB, name string) Format {
	t.Helper()
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("no format %q", name)
	}
	return f
}

// variant is one file to write: a format and, for CSV, a dialect.
type variant struct{ format, dialect string }

func (v variant) String() string {
	if v.dialect == "" {
		return v.format
	}
	return v.format + "?dialect=" + v.dialect
}

// variants lists every format with every dialect it accepts.
func variants() []variant {
	var out []variant
	for _, f := range Formats {
		out = append(out, variant{f.Name, ""})
		for _, d := range f.Dialects {
			out = append(out, variant{f.Name, d})
		}
	}
	return out
}

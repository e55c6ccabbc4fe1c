package export

import (
	"bufio"
	"io"

	"github.com/policygraph/policygraph/kg"
)

// Cytoscape.js elements JSON and graphology's serialized graph. Both are one JSON object
// written as a stream: the header (metadata, then the opening of the node array), one element
// per line, and the closing brackets; the arrays are valid when empty.

// nodeData is a node's attributes in the JSON formats: native types, the aliases and the
// citations as real arrays. Type is set for Cytoscape.js (`type`), NodeType for graphology
// (`nodeType`: sigma.js reads `type` as a renderer name).
type nodeData struct {
	ID          string     `json:"id,omitempty"`
	Label       string     `json:"label"`
	Type        string     `json:"type,omitempty"`
	NodeType    string     `json:"nodeType,omitempty"`
	Kind        string     `json:"kind,omitempty"`
	Country     string     `json:"country,omitempty"`
	Status      string     `json:"status,omitempty"`
	StartDate   string     `json:"startDate,omitempty"`
	EndDate     string     `json:"endDate,omitempty"`
	StartDay    string     `json:"startDay,omitempty"`
	EndDay      string     `json:"endDay,omitempty"`
	Degree      int        `json:"degree"`
	Description string     `json:"description,omitempty"`
	Aliases     []string   `json:"aliases,omitempty"`
	Docket      string     `json:"docket,omitempty"`
	Value       *float64   `json:"value,omitempty"`
	Unit        string     `json:"unit,omitempty"`
	Measure     string     `json:"measure,omitempty"`
	Qualifier   string     `json:"qualifier,omitempty"`
	Publisher   string     `json:"publisher,omitempty"`
	URL         string     `json:"url,omitempty"`
	Sources     string     `json:"sources,omitempty"`
	Citations   []citation `json:"citations"`
}

func makeNodeData(n *kg.Node) nodeData {
	start, end := nodeDays(n)
	return nodeData{Label: n.Name, Kind: n.Kind, Country: n.Country, Status: n.Status,
		StartDate: n.StartDate, EndDate: n.EndDate, StartDay: start, EndDay: end, Degree: n.Degree,
		Description: n.Description, Aliases: n.Aliases, Docket: n.Docket, Value: finite(n.Value),
		Unit: n.Unit, Measure: n.Measure, Qualifier: n.Qualifier, Publisher: n.Publisher, URL: n.URL,
		Sources: sourcesText(n.Citations), Citations: citationsOf(n.Citations)}
}

// edgeData is an edge's attributes in the JSON formats.
type edgeData struct {
	ID          string     `json:"id,omitempty"`
	Source      string     `json:"source,omitempty"`
	Target      string     `json:"target,omitempty"`
	Label       string     `json:"label"`
	RelType     string     `json:"relType"`
	Role        string     `json:"role,omitempty"`
	Outcome     string     `json:"outcome,omitempty"`
	Description string     `json:"description,omitempty"`
	StartDate   string     `json:"startDate,omitempty"`
	EndDate     string     `json:"endDate,omitempty"`
	StartDay    string     `json:"startDay,omitempty"`
	EndDay      string     `json:"endDay,omitempty"`
	Sources     string     `json:"sources,omitempty"`
	Citations   []citation `json:"citations"`
}

func makeEdgeData(r *kg.Relationship) edgeData {
	start, end := relDays(r)
	return edgeData{Label: r.Type, RelType: r.Type, Role: r.Role, Outcome: r.Outcome,
		Description: r.Description, StartDate: r.StartDate, EndDate: r.EndDate, StartDay: start, EndDay: end,
		Sources: sourcesText(r.Citations), Citations: citationsOf(r.Citations)}
}

// meta is the file's metadata: Cytoscape.js `data`, graphology `attributes`.
type meta struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Creator     string `json:"creator"`
	Selection   string `json:"selection"`
	Generated   string `json:"generated,omitempty"`
	Truncated   bool   `json:"truncated"`
}

func makeMeta(o Options, info kg.ExportInfo) meta {
	name := "policygraph: the whole graph"
	if o.Selection != "" {
		name = "policygraph: " + o.Selection
	}
	m := meta{Name: name, Description: describe(o, info), Creator: "policygraph", Selection: o.Selection, Truncated: info.Truncated}
	if !o.Generated.IsZero() {
		m.Generated = o.Generated.UTC().Format("2006-01-02T15:04:05Z")
	}
	return m
}

// jsonStream writes the bracket structure shared by both JSON formats.
type jsonStream struct {
	w      *bufio.Writer
	err    error
	p      phases
	n      int    // elements written in the open array
	middle string // between the node array and the edge array
	end    string // after the edge array
}

func (s *jsonStream) raw(b string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(b)
	}
}

func (s *jsonStream) element(v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	if s.n > 0 {
		s.raw(",")
	}
	s.raw("\n")
	if s.err == nil {
		_, s.err = s.w.Write(b)
	}
	s.n++
	return s.err
}

func (s *jsonStream) begin(header any, open string) error {
	if err := s.p.begin(); err != nil {
		return err
	}
	b, err := marshal(header)
	if err != nil {
		return err
	}
	// header is an object whose closing brace the node array goes before.
	s.raw(string(b[:len(b)-1]) + open)
	return s.err
}

func (s *jsonStream) node(v any) error {
	if err := s.p.node(); err != nil {
		return err
	}
	return s.element(v)
}

func (s *jsonStream) edge(v any) error {
	first, err := s.p.edge()
	if err != nil {
		return err
	}
	if first {
		s.raw("\n" + s.middle)
		s.n = 0
	}
	return s.element(v)
}

func (s *jsonStream) close() error {
	at, err := s.p.close()
	if err != nil {
		return err
	}
	switch at {
	case phaseNew:
		return errNoBegin
	case phaseNodes:
		s.raw("\n" + s.middle)
	}
	s.raw("\n" + s.end + "\n")
	if s.err != nil {
		return s.err
	}
	return s.w.Flush()
}

// Cytoscape.js: {"data": {...meta}, "elements": {"nodes": [{"data": {...}, "position": {x, y}}],
// "edges": [{"data": {...}}]}}. Nodes carry a position (the same as in graphology.json), so a
// `preset` layout draws at once.
type cytoscapeEncoder struct {
	s jsonStream
	o Options
}

func newCytoscape(w io.Writer, o Options) Encoder {
	return &cytoscapeEncoder{o: o, s: jsonStream{w: bufio.NewWriterSize(w, 64<<10),
		middle: `],"edges":[`, end: "]}}"}}
}

type cyPosition struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

type cyNode struct {
	Data     nodeData   `json:"data"`
	Position cyPosition `json:"position"`
}

type cyEdge struct {
	Data edgeData `json:"data"`
}

func (e *cytoscapeEncoder) Begin(info kg.ExportInfo) error {
	return e.s.begin(struct {
		Data meta `json:"data"`
	}{makeMeta(e.o, info)}, `,"elements":{"nodes":[`)
}

func (e *cytoscapeEncoder) Node(n *kg.Node) error {
	d := makeNodeData(n)
	d.ID, d.Type = n.ID, n.Type
	x, y := nodePosition(n.ID)
	return e.s.node(cyNode{Data: d, Position: cyPosition{x, y}})
}

func (e *cytoscapeEncoder) Edge(r *kg.Relationship) error {
	d := makeEdgeData(r)
	d.ID, d.Source, d.Target = r.ID, r.From, r.To
	return e.s.edge(cyEdge{Data: d})
}

func (e *cytoscapeEncoder) Close() error { return e.s.close() }

// graphology: {"attributes": {...meta}, "options": {"type": "directed", "multi": true,
// "allowSelfLoops": true}, "nodes": [{"key", "attributes"}], "edges": [{"key", "source",
// "target", "attributes"}]}, what Graph.from reads. Nodes carry x, y, size and color, which
// sigma.js needs to draw without a layout step.
type graphologyEncoder struct {
	s jsonStream
	o Options
}

func newGraphology(w io.Writer, o Options) Encoder {
	return &graphologyEncoder{o: o, s: jsonStream{w: bufio.NewWriterSize(w, 64<<10),
		middle: `],"edges":[`, end: "]}"}}
}

type graphologyOptions struct {
	Type           string `json:"type"`
	Multi          bool   `json:"multi"`
	AllowSelfLoops bool   `json:"allowSelfLoops"`
}

type graphologyNodeAttrs struct {
	nodeData
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	Size  float64 `json:"size"`
	Color string  `json:"color"`
}

type graphologyNode struct {
	Key        string              `json:"key"`
	Attributes graphologyNodeAttrs `json:"attributes"`
}

type graphologyEdge struct {
	Key        string   `json:"key"`
	Source     string   `json:"source"`
	Target     string   `json:"target"`
	Attributes edgeData `json:"attributes"`
}

func (e *graphologyEncoder) Begin(info kg.ExportInfo) error {
	return e.s.begin(struct {
		Attributes meta              `json:"attributes"`
		Options    graphologyOptions `json:"options"`
	}{makeMeta(e.o, info), graphologyOptions{Type: "directed", Multi: true, AllowSelfLoops: true}}, `,"nodes":[`)
}

func (e *graphologyEncoder) Node(n *kg.Node) error {
	d := makeNodeData(n)
	d.NodeType = n.Type
	x, y := nodePosition(n.ID)
	return e.s.node(graphologyNode{Key: n.ID, Attributes: graphologyNodeAttrs{nodeData: d, X: x, Y: y,
		Size: nodeSize(n.Degree), Color: nodeColor(n.Type)}})
}

func (e *graphologyEncoder) Edge(r *kg.Relationship) error {
	return e.s.edge(graphologyEdge{Key: r.ID, Source: r.From, Target: r.To, Attributes: makeEdgeData(r)})
}

func (e *graphologyEncoder) Close() error { return e.s.close() }

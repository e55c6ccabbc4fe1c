package kg

import "strings"

// Bounds of the relationship queries. Every argument that widens work is checked against
// these in code (Validate methods) and counted in the GraphQL complexity.
const (
	MaxDepth          = 3
	MaxHops           = 6
	DefaultHops       = 4
	MaxNetworkNodes   = 500 // node limit of neighborhood and network
	DefaultNodeLimit  = 100
	MaxPaths          = 50
	DefaultPaths      = 10
	MaxSeeds          = 50 // ids given to commonConnections and network
	MaxRankEdges      = 200000
	DefaultRankFirst  = 20
	MaxTimelineFirst  = MaxFirst
	PageRankDamping   = 0.85
	PageRankMaxRounds = 100
)

// Bounds that keep the hub-bound questions fast on a large graph; an answer they cut short
// is marked truncated.
const (
	// MaxExpand bounds the relationships commonConnections reads from one given node (it
	// expands the least connected ones only).
	MaxExpand = 10000
	// PathHubDegree: in k-shortest mode, paths other than the shortest pass only through
	// nodes with at most this many relationships; past it a node is a hub.
	PathHubDegree = 1000
)

// Network is a subgraph ready to draw: nodes, the edges among them, and whether a limit cut
// it short.
type Network struct {
	Nodes     []*Node
	Edges     []*Relationship
	Truncated bool
}

// TimeFilter keeps relationships by date. ActiveAt keeps an edge whose span overlaps the given
// period (an unknown end counts as possibly active; an unknown start as possibly started);
// Since/Until keep edges overlapping the window. All values are day bounds ("YYYY-MM-DD").
type TimeFilter struct {
	ActiveFrom, ActiveTo string // the day range of activeAt
	Since, Until         string
}

// NewTimeFilter validates the time arguments (partial dates) of a relationship query.
func NewTimeFilter(activeAt, since, until string) (TimeFilter, error) {
	var f TimeFilter
	if activeAt != "" {
		s, err := DayBounds("activeAt", activeAt)
		if err != nil {
			return f, err
		}
		f.ActiveFrom, f.ActiveTo = s.From, s.To
	}
	var err error
	f.Since, f.Until, err = Window("since", since, "until", until)
	return f, err
}

// From and To of the overlap window: activeAt and since/until combined.
func (f TimeFilter) Window() (from, to string) {
	from, to = f.Since, f.Until
	if f.ActiveFrom != "" && (from == "" || f.ActiveFrom > from) {
		from = f.ActiveFrom
	}
	if f.ActiveTo != "" && (to == "" || f.ActiveTo < to) {
		to = f.ActiveTo
	}
	return from, to
}

// EdgeFilter is shared by the graph queries: which relationship types, which node types at
// the far end, which direction, when.
type EdgeFilter struct {
	Types     []string
	NodeTypes []string
	Direction Direction
	Time      TimeFilter
}

// Validate checks the filter and fills defaults.
func (f *EdgeFilter) Validate() error {
	if err := checkRelTypes(f.Types); err != nil {
		return err
	}
	for _, t := range f.NodeTypes {
		if !IsNodeType(t) {
			return Invalid("nodeTypes", "%q is not a node type", t)
		}
	}
	return checkDirection(&f.Direction)
}

// checkRelTypes checks a `types` argument against the allow-list.
func checkRelTypes(types []string) error {
	for _, t := range types {
		if !IsRelType(t) {
			return Invalid("types", "%q is not a relationship type", t)
		}
	}
	return nil
}

// checkDirection checks a `direction` argument; empty means BOTH.
func checkDirection(d *Direction) error {
	switch *d {
	case "":
		*d = Both
	case Outgoing, Incoming, Both:
	default:
		return Invalid("direction", "%q is not a direction", *d)
	}
	return nil
}

func checkRange(arg string, v, lo, hi int) error {
	if v < lo || v > hi {
		return Invalid(arg, "must be between %d and %d, got %d", lo, hi, v)
	}
	return nil
}

func checkID(arg, id string) error {
	if !slugRE.MatchString(id) {
		return Invalid(arg, "%q is not a node id (prefix:slug)", id)
	}
	return nil
}

func checkIDs(arg string, ids []string, lo int) error {
	if len(ids) < lo || len(ids) > MaxSeeds {
		return Invalid(arg, "must list between %d and %d ids, got %d", lo, MaxSeeds, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if err := checkID(arg, id); err != nil {
			return err
		}
		if seen[id] {
			return Invalid(arg, "lists %q twice", id)
		}
		seen[id] = true
	}
	return nil
}

// NeighborhoodQuery asks for the ego network of one node.
type NeighborhoodQuery struct {
	Project Projection // what to read of each node and edge (zero: everything)
	ID      string
	Depth   int
	Filter  EdgeFilter
	Limit   int // maximum number of nodes, the centre included
}

// Validate checks bounds.
func (q *NeighborhoodQuery) Validate() error {
	if err := checkID("id", q.ID); err != nil {
		return err
	}
	if err := checkRange("depth", q.Depth, 1, MaxDepth); err != nil {
		return err
	}
	if err := checkRange("limit", q.Limit, 1, MaxNetworkNodes); err != nil {
		return err
	}
	return q.Filter.Validate()
}

// PathsQuery asks how two nodes connect.
type PathsQuery struct {
	Project  Projection // what to read of each node and edge (zero: everything)
	From, To string
	MaxHops  int
	Filter   EdgeFilter // NodeTypes restricts intermediate nodes
	// Shortest only (false): all shortest paths. True: the k shortest simple paths up to
	// MaxHops (k = Limit), longer ones included.
	KShortest bool
	Limit     int
}

// Validate checks bounds.
func (q *PathsQuery) Validate() error {
	if err := checkID("from", q.From); err != nil {
		return err
	}
	if err := checkID("to", q.To); err != nil {
		return err
	}
	if q.From == q.To {
		return Invalid("to", "must differ from `from`")
	}
	if err := checkRange("maxHops", q.MaxHops, 1, MaxHops); err != nil {
		return err
	}
	if err := checkRange("limit", q.Limit, 1, MaxPaths); err != nil {
		return err
	}
	return q.Filter.Validate()
}

// Path is one route between two nodes: Nodes[i] -Edges[i]- Nodes[i+1].
type Path struct {
	Nodes []*Node
	Edges []*Relationship
}

// PathsResult holds the paths found (shortest first) and their union as a network.
type PathsResult struct {
	Paths     []Path
	Truncated bool
}

// CommonQuery asks for nodes connected to all (or at least MinShared) of the given nodes.
type CommonQuery struct {
	Project   Projection // what to read of each node and edge (zero: everything)
	IDs       []string
	MinShared int // 0 means all
	Filter    EdgeFilter
	Limit     int
}

// Validate checks bounds and fills MinShared.
func (q *CommonQuery) Validate() error {
	if err := checkIDs("ids", q.IDs, 2); err != nil {
		return err
	}
	if q.MinShared == 0 {
		q.MinShared = len(q.IDs)
	}
	if err := checkRange("minShared", q.MinShared, 2, len(q.IDs)); err != nil {
		return err
	}
	if err := checkRange("limit", q.Limit, 1, MaxNetworkNodes); err != nil {
		return err
	}
	return q.Filter.Validate()
}

// Common is one shared connection: the node, which of the given ids it connects to, and the
// connecting edges.
type Common struct {
	Node   *Node
	Shared []string
	Edges  []*Relationship
}

// CommonResult lists the shared connections, most shared first.
type CommonResult struct {
	Seeds     []*Node // the given nodes that exist
	Common    []Common
	Truncated bool
}

// NetworkQuery asks for given nodes and every edge among them.
type NetworkQuery struct {
	Project Projection // what to read of each node and edge (zero: everything)
	IDs     []string
	Filter  EdgeFilter
}

// Validate checks bounds.
func (q *NetworkQuery) Validate() error {
	if err := checkIDs("ids", q.IDs, 1); err != nil {
		return err
	}
	return q.Filter.Validate()
}

// TimelineQuery asks for dated relationships and events in date order. Within a window
// (Time.Since, Time.Until) it lists what happened in it: what starts in it, what ends in it
// having started before, and events dated in it; relationships merely ongoing across the
// window (started before it, not ended in it) follow them only with IncludeOngoing.
type TimelineQuery struct {
	IDs            []string // only entries involving these nodes (all when empty)
	Types          []string // only these relationship types
	Time           TimeFilter
	IncludeOngoing bool
	First          int
	After          string
}

// Validate checks bounds.
func (q *TimelineQuery) Validate() error {
	if len(q.IDs) > 0 {
		if err := checkIDs("ids", q.IDs, 1); err != nil {
			return err
		}
	}
	if err := checkRelTypes(q.Types); err != nil {
		return err
	}
	return CheckFirst("first", q.First)
}

// What a timeline entry marks in its window.
const (
	TimelineStarts  = "STARTS"  // it starts at Date (a one-off act or an event happens then)
	TimelineEnds    = "ENDS"    // it ends at Date, having started before the window (or at an unknown time)
	TimelineOngoing = "ONGOING" // it started before the window (Date) and does not end in it
)

// TimelineEntry is a dated relationship or a dated event (Event nodes, including rulings).
// Entries are ordered by month, then precise dates before vague ones (day, then month, then
// year: a year-dated entry comes after the dated ones of the month it is placed in), then
// day, then id; ongoing entries come after all the others.
type TimelineEntry struct {
	Kind         string // TimelineStarts, TimelineEnds or TimelineOngoing
	Date         string // the partial date it is placed at, as the source gives it
	SortDate     string // the first day Date can mean, or the window's first day if later
	Relationship *Relationship
	Event        *Node
}

// TimelinePage is one page of a timeline.
type TimelinePage struct {
	Entries []TimelineEntry
	Cursors []string
	HasNext bool
}

// Rank measures.
const (
	MeasureDegree      = "DEGREE"
	MeasurePageRank    = "PAGERANK"
	MeasureBetweenness = "BETWEENNESS"
)

// RankQuery asks for the most central nodes of the (filtered) graph.
type RankQuery struct {
	Measure   string
	NodeTypes []string // only these nodes take part (and are ranked)
	Filter    EdgeFilter
	First     int
}

// Validate checks the measure and bounds.
func (q *RankQuery) Validate() error {
	switch q.Measure {
	case MeasureDegree, MeasurePageRank, MeasureBetweenness:
	default:
		return Invalid("measure", "%q is not a measure (want %s)", q.Measure, strings.Join([]string{MeasureDegree, MeasurePageRank, MeasureBetweenness}, ", "))
	}
	for _, t := range q.NodeTypes {
		if !IsNodeType(t) {
			return Invalid("nodeTypes", "%q is not a node type", t)
		}
	}
	if err := CheckFirst("first", q.First); err != nil {
		return err
	}
	return q.Filter.Validate()
}

// Ranked is a node with its score.
type Ranked struct {
	Node  *Node
	Score float64
}

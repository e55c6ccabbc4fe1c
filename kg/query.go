package kg

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
)

// Page sizes. Every list the API returns is bounded; MaxFirst is the documented maximum.
const (
	DefaultFirst = 20
	MaxFirst     = 100
)

// CheckFirst validates a page size argument.
func CheckFirst(argument string, first int) error {
	if first < 1 || first > MaxFirst {
		return Invalid(argument, "must be between 1 and %d, got %d", MaxFirst, first)
	}
	return nil
}

// Node orders (the allow-list of sort keys for node lists).
const (
	OrderName      = "NAME"
	OrderDegree    = "DEGREE"
	OrderStartDate = "START_DATE"
	OrderID        = "ID"
)

// Orders lists the node orders.
var Orders = []string{OrderName, OrderDegree, OrderStartDate, OrderID}

// Omit names the costly parts of a node a list may leave out when the client did not select
// them: the description text, the degree count and the citations (with their Sources). The
// zero value omits nothing.
type Omit struct {
	Description, Degree, Citations bool
	Aliases, Names                 bool // the alias list; the names with languages
	Detail                         bool // every type-specific property (kind, country, status, dates, statistic and source fields, inference flags)
}

// Projection is what a network answer (neighbourhood, paths, network, common connections)
// reads of its nodes and edges; the zero value reads everything (exports use it).
type Projection struct {
	Nodes           Omit
	NoEdgeCitations bool
	NoEdgeDetail    bool // edges read only id, type, ends and version (no role, outcome, description, dates, inference)
}

// OmitAll leaves out everything but id, type and display name; a reader clears what it needs.
func OmitAll() Omit {
	return Omit{Description: true, Degree: true, Citations: true, Aliases: true, Names: true, Detail: true}
}

// NodeQuery selects a page of nodes.
type NodeQuery struct {
	Omit         Omit     // parts of each node not to read
	Types        []string // empty: all types
	Kinds        []string
	Statuses     []string
	Country      string
	NameContains string
	Since, Until string // partial dates; the node's dated span must overlap [Since, Until]
	Order        string
	First        int
	After        string // opaque cursor from a previous page
	WithTotal    bool
}

// Validate checks the query and normalises it (Since/Until become day bounds).
func (q *NodeQuery) Validate() error {
	for _, t := range q.Types {
		if !IsNodeType(t) {
			return Invalid("types", "%q is not a node type", t)
		}
	}
	if q.Order == "" {
		q.Order = OrderName
	}
	if !slices.Contains(Orders, q.Order) {
		return Invalid("orderBy", "%q is not an order (want one of %s)", q.Order, strings.Join(Orders, ", "))
	}
	if err := CheckFirst("first", q.First); err != nil {
		return err
	}
	if q.Country != "" && !countryRE.MatchString(q.Country) {
		return Invalid("country", "%q is not an ISO 3166-1 alpha-2 code such as \"MX\"", q.Country)
	}
	if len(q.NameContains) > 200 {
		return Invalid("nameContains", "must be at most 200 characters")
	}
	var err error
	if q.Since, q.Until, err = Window("since", q.Since, "until", q.Until); err != nil {
		return err
	}
	return nil
}

// Window validates a since/until pair of partial dates and returns them as day bounds:
// since "2019-06" starts on 2019-06-01, until "2019-06" ends on 2019-06-30.
func Window(sinceArg, since, untilArg, until string) (string, string, error) {
	var from, to string
	if since != "" {
		s, err := DayBounds(sinceArg, since)
		if err != nil {
			return "", "", err
		}
		from = s.From
	}
	if until != "" {
		s, err := DayBounds(untilArg, until)
		if err != nil {
			return "", "", err
		}
		to = s.To
	}
	if from != "" && to != "" && to < from {
		return "", "", Invalid(untilArg, "%q is before %s %q", until, sinceArg, since)
	}
	return from, to, nil
}

// NodePage is one page of nodes with their cursors.
type NodePage struct {
	Nodes   []*Node
	Cursors []string
	Scores  []float64 // search relevance, when the page comes from a search
	HasNext bool
	Total   int // -1 when not computed
}

// SearchQuery is a full-text search.
type SearchQuery struct {
	Omit  Omit // parts of each node not to read
	Text  string
	Types []string
	First int
	After string
}

// Validate checks the search arguments.
func (q *SearchQuery) Validate() error {
	if strings.TrimSpace(q.Text) == "" {
		return Invalid("query", "must not be empty")
	}
	if len(q.Text) > 200 {
		return Invalid("query", "must be at most 200 characters")
	}
	for _, t := range q.Types {
		if !IsNodeType(t) {
			return Invalid("types", "%q is not a node type", t)
		}
	}
	return CheckFirst("first", q.First)
}

// RelQuery selects relationships around nodes.
type RelQuery struct {
	Types     []string
	Direction Direction
	First     int
	After     string
	// Other is what to leave out of the node at the other end of each relationship, and
	// NoCitations leaves out the relationships' own citations (both when not selected).
	Other       Omit
	NoCitations bool
}

// Validate checks the relationship arguments.
func (q *RelQuery) Validate() error {
	if err := checkRelTypes(q.Types); err != nil {
		return err
	}
	if err := checkDirection(&q.Direction); err != nil {
		return err
	}
	if q.After != "" {
		if _, err := DecodeCursor("after", q.After, "REL"); err != nil {
			return err
		}
	}
	return CheckFirst("first", q.First)
}

// RelPage is one page of relationships seen from one node.
type RelPage struct {
	Relationships []*Relationship
	Cursors       []string
	HasNext       bool
}

// Cursor is the decoded form of an opaque, stable keyset cursor: the order it belongs to, the
// sort key of the last row seen and that row's id (the tie-breaker).
type Cursor struct {
	Order string `json:"o"`
	Key   any    `json:"k,omitempty"`
	ID    string `json:"i"`
}

// Encode makes the opaque string clients pass back as `after`.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses a cursor and checks it belongs to the given order.
func DecodeCursor(argument, s, order string) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		err = dec.Decode(&c)
	}
	if err != nil || c.ID == "" {
		return c, Invalid(argument, "is not a cursor returned by this API")
	}
	if c.Order != order {
		return c, Invalid(argument, "is a cursor for order %s, not %s: start again without %s", c.Order, order, argument)
	}
	if n, ok := c.Key.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			c.Key = i
		} else if f, err := n.Float64(); err == nil {
			c.Key = f
		}
	}
	return c, nil
}

package kg

import (
	"slices"
	"strings"
)

// Node types. Each is also a Neo4j label; every node additionally carries :Node, and people
// and organizations carry :Actor.
const (
	TypePerson       = "Person"
	TypeOrganization = "Organization"
	TypeCountry      = "Country"
	TypePolicy       = "Policy"
	TypeLegalCase    = "LegalCase"
	TypeEvent        = "Event"
	TypeStatistic    = "Statistic"
	TypeSource       = "Source"
)

// Presence says whether a node type takes an optional field.
type Presence int

const (
	Absent   Presence = iota // the field is rejected on this type
	Optional                 // the field may be given
	Required                 // the field must be given
)

// NodeSpec describes one node type: its id prefix and which of the optional fields it takes.
// Fields every node takes (id, type, name, names, aliases, description, inferred) are not
// listed. The import validation (dataset.go) reads these specs; docs/data-format.md says the
// same in words.
type NodeSpec struct {
	Type     string
	IDPrefix string
	Actor    bool     // also labelled :Actor (a person or an organization: something that acts)
	Kinds    []string // allowed values of `kind`, then required; none: the type takes no kind
	Statuses []string // allowed values of `status` (optional); none: the type takes no status
	Country  Presence // ISO 3166-1 alpha-2 code
	Dates    bool     // startDate and endDate (partial dates)
	Docket   bool     // a docket number
	Figure   bool     // value, unit, measure (required) and qualifier: a stated figure
	Document bool     // publisher, url, and the source text (text, textFile, sha256)
	Cited    Presence // own citations: Required means at least one
}

// Model is the one table of node types, in display order. Adding a type here is the first
// step; graph/model_walk_test.go fails until every other place that must know it does.
var Model = []NodeSpec{
	{Type: TypePerson, IDPrefix: "person:", Actor: true, Country: Optional, Cited: Optional},
	{Type: TypeOrganization, IDPrefix: "org:", Actor: true, Country: Optional, Cited: Optional,
		Kinds: []string{"GOVERNMENT", "AGENCY", "MILITARY", "POLICE", "LEGISLATURE", "COURT", "NGO",
			"INTERNATIONAL_ORGANIZATION", "PARTY", "COMPANY", "MEDIA", "NETWORK", "RELIGIOUS", "CRIMINAL", "OTHER"}},
	{Type: TypeCountry, IDPrefix: "country:", Country: Required, Cited: Optional},
	{Type: TypePolicy, IDPrefix: "policy:", Country: Optional, Dates: true, Cited: Optional,
		Kinds:    []string{"REGULATION", "AGREEMENT", "PROGRAM", "ENFORCEMENT_OPERATION", "LAW", "EXECUTIVE_ACTION", "STANCE", "OTHER"},
		Statuses: []string{"PROPOSED", "IN_EFFECT", "ENJOINED", "SUSPENDED", "ENDED", "UNKNOWN"}},
	{Type: TypeLegalCase, IDPrefix: "case:", Country: Optional, Dates: true, Docket: true, Cited: Optional,
		Statuses: []string{"PENDING", "DECIDED", "ON_APPEAL", "UNKNOWN"}},
	{Type: TypeEvent, IDPrefix: "event:", Country: Optional, Dates: true, Cited: Optional,
		Kinds: []string{"THREAT", "NEGOTIATION", "SIGNING", "STATEMENT", "RULING", "HEARING", "FILING", "PROTEST",
			"COMPLAINT", "DEPLOYMENT", "APPOINTMENT", "RESIGNATION", "APOLOGY", "OTHER"}},
	{Type: TypeStatistic, IDPrefix: "stat:", Country: Optional, Dates: true, Figure: true, Cited: Required},
	{Type: TypeSource, IDPrefix: "source:", Country: Optional, Dates: true, Document: true, Cited: Absent,
		Kinds: []string{"ARTICLE", "REPORT", "COURT_DOCUMENT", "DATASET", "OTHER"}},
}

// Spec returns the spec of a node type.
func Spec(nodeType string) (NodeSpec, bool) {
	for _, s := range Model {
		if s.Type == nodeType {
			return s, true
		}
	}
	return NodeSpec{}, false
}

// Derived views of Model, kept for the many readers that need only one column.
var (
	// NodeTypes is the closed list of node types, in display order.
	NodeTypes = func() []string {
		out := make([]string, 0, len(Model))
		for _, s := range Model {
			out = append(out, s.Type)
		}
		return out
	}()
	// IDPrefix is the slug prefix each node type's ids carry.
	IDPrefix = byType(func(s NodeSpec) string { return s.IDPrefix })
	// Kinds lists the allowed values of `kind` per node type (types absent here take no kind).
	Kinds = byTypeList(func(s NodeSpec) []string { return s.Kinds })
	// Statuses lists the allowed values of `status` per node type.
	Statuses = byTypeList(func(s NodeSpec) []string { return s.Statuses })
)

func byType(f func(NodeSpec) string) map[string]string {
	out := map[string]string{}
	for _, s := range Model {
		out[s.Type] = f(s)
	}
	return out
}

func byTypeList(f func(NodeSpec) []string) map[string][]string {
	out := map[string][]string{}
	for _, s := range Model {
		if l := f(s); len(l) > 0 {
			out[s.Type] = l
		}
	}
	return out
}

// Units and Qualifiers are the vocabularies of Statistic.
var (
	Units      = []string{"PEOPLE", "PERCENT", "PERSONNEL", "CASES", "USD", "OTHER"}
	Qualifiers = []string{"EXACT", "OVER", "AROUND", "UNDER"}
)

// Ends is one allowed combination of endpoint types: any of From -> any of To.
type Ends struct {
	From, To []string
}

// RelSpec describes one relationship type: the node types it may join, and which optional
// fields it takes. Every relationship takes role, description, citations and inference flags.
type RelSpec struct {
	Type    string
	Ends    []Ends // allowed (from, to) combinations; a relationship must match one
	Dated   bool   // startDate and endDate apply
	Outcome bool   // takes `outcome` (a ruling's effect)
}

// Shorthands for endpoint sets. "Any" leaves out Source: a document is cited, not related.
var (
	actor    = []string{TypePerson, TypeOrganization}
	org      = []string{TypeOrganization}
	person   = []string{TypePerson}
	policy   = []string{TypePolicy}
	anyNode  = []string{TypePerson, TypeOrganization, TypeCountry, TypePolicy, TypeLegalCase, TypeEvent, TypeStatistic}
	actorPol = []string{TypePerson, TypeOrganization, TypePolicy}
)

func rel(t string, ends ...Ends) RelSpec { return RelSpec{Type: t, Ends: ends, Dated: true} }

// Rels is the one table of relationship types (direction is from -> to as named). Migration
// constraints, import checks and docs/data-format.md's endpoint table follow from it.
var Rels = []RelSpec{
	rel("MEMBER_OF", Ends{actor, org}),
	rel("HOLDS_POSITION", Ends{person, org}),
	rel("PART_OF", Ends{org, org}, Ends{policy, policy}),
	rel("BASED_IN", Ends{actor, []string{TypeCountry}}),
	rel("PRESSURES", Ends{actor, actor}),
	rel("NEGOTIATES_WITH", Ends{actor, actor}),
	rel("ALLIES_WITH", Ends{actor, actor}),
	rel("OPPOSES", Ends{actor, actorPol}),
	rel("SUPPORTS", Ends{actor, actorPol}),
	rel("CRITICIZES", Ends{actor, actorPol}),
	rel("COMPLAINS_TO", Ends{actor, org}),
	rel("PETITIONS", Ends{actor, org}),
	rel("REPRESENTS", Ends{actor, actor}),
	rel("APOLOGIZES_TO", Ends{actor, actor}),
	rel("ORDERS", Ends{org, actor}),
	rel("SUCCEEDS", Ends{person, person}, Ends{policy, policy}),
	rel("ISSUES", Ends{actor, policy}),
	rel("IMPLEMENTS", Ends{actor, policy}),
	rel("ENFORCES", Ends{actor, policy}),
	rel("SIGNS", Ends{actor, policy}),
	rel("AGREES_TO", Ends{actor, policy}),
	rel("REFUSES", Ends{actor, policy}),
	rel("ADVOCATES_FOR", Ends{actor, policy}),
	rel("PARTY_TO", Ends{actor, []string{TypeLegalCase, TypePolicy}}),
	rel("HEARD_IN", Ends{[]string{TypeLegalCase}, org}),
	rel("CHALLENGES", Ends{[]string{TypeLegalCase, TypePerson, TypeOrganization}, policy}),
	{Type: "RULED_ON", Ends: []Ends{{org, []string{TypePolicy, TypeLegalCase}}}, Dated: true, Outcome: true},
	rel("AMENDS", Ends{policy, policy}),
	rel("AFFECTS", Ends{[]string{TypePolicy, TypeEvent}, []string{TypePerson, TypeOrganization, TypeCountry}}),
	rel("MEASURES", Ends{[]string{TypeStatistic}, anyNode}),
	rel("PARTICIPATES_IN", Ends{actor, []string{TypeEvent}}),
	rel("CONCERNS", Ends{[]string{TypeEvent}, anyNode}),
	rel("CAUSES", Ends{[]string{TypeEvent, TypePolicy}, []string{TypeEvent, TypePolicy}}),
}

// RelTypes is the closed allow-list of relationship types (the Type column of Rels). It is
// the only source of relationship types that ever reach Cypher text; user input selects from
// it, never adds to it.
var RelTypes = func() []string {
	out := make([]string, 0, len(Rels))
	for _, r := range Rels {
		out = append(out, r.Type)
	}
	return out
}()

// RelSpecOf returns the spec of a relationship type.
func RelSpecOf(relType string) (RelSpec, bool) {
	for _, r := range Rels {
		if r.Type == relType {
			return r, true
		}
	}
	return RelSpec{}, false
}

// IsRelType reports whether t is in the allow-list.
func IsRelType(t string) bool { return slices.Contains(RelTypes, t) }

// IsNodeType reports whether t is a node type.
func IsNodeType(t string) bool { return slices.Contains(NodeTypes, t) }

// Joins reports whether the type may go from a node of type from to a node of type to.
func (r RelSpec) Joins(from, to string) bool {
	for _, e := range r.Ends {
		if slices.Contains(e.From, from) && slices.Contains(e.To, to) {
			return true
		}
	}
	return false
}

// EndsText renders the allowed combinations as docs/data-format.md writes them:
// "Actor -> Organization", "Organization -> Organization, Policy -> Policy", "Statistic -> any".
func (r RelSpec) EndsText() string {
	var parts []string
	for _, e := range r.Ends {
		parts = append(parts, typeSetText(e.From)+" -> "+typeSetText(e.To))
	}
	return strings.Join(parts, ", ")
}

func typeSetText(types []string) string {
	if slices.Equal(types, anyNode) {
		return "any"
	}
	var words []string
	rest := types
	if slices.Contains(types, TypePerson) && slices.Contains(types, TypeOrganization) {
		words = append(words, "Actor")
		rest = slices.DeleteFunc(slices.Clone(types), func(t string) bool { return t == TypePerson || t == TypeOrganization })
	}
	words = append(words, rest...)
	return strings.Join(words, " or ")
}

// CheckEnds says, as an *InvalidError naming the end at fault, why a relationship of type
// relType may not join a fromType node to a toType node; nil when it may.
func CheckEnds(relType, fromID, fromType, toID, toType string) error {
	spec, ok := RelSpecOf(relType)
	if !ok {
		return bad("type", "%q is not a relationship type", relType)
	}
	if spec.Joins(fromType, toType) {
		return nil
	}
	field, id, typ := "to", toID, toType
	if !slices.ContainsFunc(spec.Ends, func(e Ends) bool { return slices.Contains(e.From, fromType) }) {
		field, id, typ = "from", fromID, fromType
	}
	return bad(field, "%q is a %s, but %s joins only %s", id, typ, relType, spec.EndsText())
}

// Citation ties a fact to a Source and the verbatim words in it that support the fact.
type Citation struct {
	SourceID string
	Quote    string
	Locator  string
	Source   *Node // filled by reads; nil when the source node is not loaded
}

// Name kinds: what a name in Node.Names is.
const (
	NameOfficial    = "official"
	NameCommon      = "common"
	NameAcronym     = "acronym"
	NameTranslation = "translation"
)

// NameKinds is the closed list of name kinds.
var NameKinds = []string{NameOfficial, NameCommon, NameAcronym, NameTranslation}

// Name is one name of a node, with an optional BCP 47 language tag ("es", "en-US").
type Name struct {
	Value          string
	Lang           string
	Kind           string
	Inferred       bool   // not stated by a source (e.g. general knowledge)
	InferredReason string // why, when Inferred
}

// Node is any entity of the graph. Fields that do not apply to a type stay zero.
type Node struct {
	ID          string
	Type        string
	Name        string
	Names       []Name // names with languages and kinds, besides the display Name
	Aliases     []string
	Description string
	Kind        string
	Country     string
	Status      string
	StartDate   string // partial date
	EndDate     string // partial date
	Docket      string
	Value       *float64
	Unit        string
	Measure     string
	Qualifier   string
	Publisher   string
	URL         string
	Citations   []Citation
	// Text is a Source's full text when the import supplied it (quotes citing the Source are
	// checked against it); TextSHA256 its hash, or the hash the file declared without the text.
	// Stored for later writes to check against; reads leave both empty.
	Text       string
	TextSHA256 string
	Degree     int // number of relationships touching the node, when the read computed it
	Version    int // 1 when created, +1 on every change (optimistic concurrency)
	// Inferred marks a node whose existence or framing no source states outright.
	Inferred       bool
	InferredReason string
}

// Relationship is a typed, dated, cited edge between two nodes.
type Relationship struct {
	ID          string
	Type        string
	From, To    string
	Role        string
	Outcome     string
	Description string
	StartDate   string
	EndDate     string
	StartDay    string // first day StartDate can mean ("YYYY-MM-DD"), for sorting and time sliders
	EndDay      string // last day EndDate can mean; empty when open-ended
	Citations   []Citation
	// Inferred marks a relationship its quotes support only by inference.
	Inferred       bool
	InferredReason string
	FromNode       *Node // filled by reads that load endpoints
	ToNode         *Node
	Version        int // 1 when created, +1 on every change
}

// Direction filters relationships relative to a node.
type Direction string

const (
	Outgoing Direction = "OUT"
	Incoming Direction = "IN"
	Both     Direction = "BOTH"
)

package kg

import "slices"

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

// NodeTypes is the closed list of node types, in display order.
var NodeTypes = []string{TypePerson, TypeOrganization, TypeCountry, TypePolicy, TypeLegalCase, TypeEvent, TypeStatistic, TypeSource}

// IDPrefix is the slug prefix each node type's ids carry.
var IDPrefix = map[string]string{
	TypePerson: "person:", TypeOrganization: "org:", TypeCountry: "country:", TypePolicy: "policy:",
	TypeLegalCase: "case:", TypeEvent: "event:", TypeStatistic: "stat:", TypeSource: "source:",
}

// Kinds lists the allowed values of `kind` per node type (types absent here take no kind).
var Kinds = map[string][]string{
	TypeOrganization: {"GOVERNMENT", "AGENCY", "MILITARY", "POLICE", "LEGISLATURE", "COURT", "NGO",
		"INTERNATIONAL_ORGANIZATION", "PARTY", "COMPANY", "MEDIA", "NETWORK", "RELIGIOUS", "CRIMINAL", "OTHER"},
	TypePolicy: {"REGULATION", "AGREEMENT", "PROGRAM", "ENFORCEMENT_OPERATION", "LAW", "EXECUTIVE_ACTION", "STANCE", "OTHER"},
	TypeEvent: {"THREAT", "NEGOTIATION", "SIGNING", "STATEMENT", "RULING", "HEARING", "FILING", "PROTEST",
		"COMPLAINT", "DEPLOYMENT", "APPOINTMENT", "RESIGNATION", "APOLOGY", "OTHER"},
	TypeSource: {"ARTICLE", "REPORT", "COURT_DOCUMENT", "DATASET", "OTHER"},
}

// Statuses lists the allowed values of `status` per node type.
var Statuses = map[string][]string{
	TypePolicy:    {"PROPOSED", "IN_EFFECT", "ENJOINED", "SUSPENDED", "ENDED", "UNKNOWN"},
	TypeLegalCase: {"PENDING", "DECIDED", "ON_APPEAL", "UNKNOWN"},
}

// Units and Qualifiers are the vocabularies of Statistic.
var (
	Units      = []string{"PEOPLE", "PERCENT", "PERSONNEL", "CASES", "USD", "OTHER"}
	Qualifiers = []string{"EXACT", "OVER", "AROUND", "UNDER"}
)

// RelTypes is the closed allow-list of relationship types. It is the only source of
// relationship types that ever reach Cypher text; user input selects from it, never adds to it.
var RelTypes = []string{
	"MEMBER_OF", "HOLDS_POSITION", "PART_OF", "BASED_IN", "PRESSURES", "NEGOTIATES_WITH", "ALLIES_WITH",
	"OPPOSES", "SUPPORTS", "CRITICIZES", "COMPLAINS_TO", "PETITIONS", "REPRESENTS", "APOLOGIZES_TO",
	"ORDERS", "SUCCEEDS", "ISSUES", "IMPLEMENTS", "ENFORCES", "SIGNS", "AGREES_TO", "REFUSES",
	"ADVOCATES_FOR", "PARTY_TO", "HEARD_IN", "CHALLENGES", "RULED_ON", "AMENDS", "AFFECTS", "MEASURES",
	"PARTICIPATES_IN", "CONCERNS", "CAUSES",
}

// IsRelType reports whether t is in the allow-list.
func IsRelType(t string) bool { return slices.Contains(RelTypes, t) }

// IsNodeType reports whether t is a node type.
func IsNodeType(t string) bool { return slices.Contains(NodeTypes, t) }

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
	Degree      int // number of relationships touching the node, when the read computed it
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
}

// Direction filters relationships relative to a node.
type Direction string

const (
	Outgoing Direction = "OUT"
	Incoming Direction = "IN"
	Both     Direction = "BOTH"
)

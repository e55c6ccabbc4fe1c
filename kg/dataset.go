package kg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Format is the value of the "format" member of an import file.
const Format = "policygraph/v1"

// Dataset is one import file (docs/data-format.md).
type Dataset struct {
	Format        string           `json:"format"`
	Nodes         []NodeRecord     `json:"nodes"`
	Relationships []RelationRecord `json:"relationships"`
}

// CitationRecord is a citation as written in an import file.
type CitationRecord struct {
	Source  string `json:"source"`
	Quote   string `json:"quote"`
	Locator string `json:"locator,omitempty"`
}

// NameRecord is one name of a node as written in an import file.
type NameRecord struct {
	Value          string `json:"value"`
	Lang           string `json:"lang,omitempty"`
	Kind           string `json:"kind"`
	Inferred       bool   `json:"inferred,omitempty"`
	InferredReason string `json:"inferredReason,omitempty"`
}

// NodeRecord is a node as written in an import file.
type NodeRecord struct {
	ID             string           `json:"id"`
	Type           string           `json:"type"`
	Name           string           `json:"name"`
	Names          []NameRecord     `json:"names,omitempty"`
	Aliases        []string         `json:"aliases,omitempty"`
	Description    string           `json:"description,omitempty"`
	Kind           string           `json:"kind,omitempty"`
	Country        string           `json:"country,omitempty"`
	Status         string           `json:"status,omitempty"`
	StartDate      string           `json:"startDate,omitempty"`
	EndDate        string           `json:"endDate,omitempty"`
	Docket         string           `json:"docket,omitempty"`
	Value          *float64         `json:"value,omitempty"`
	Unit           string           `json:"unit,omitempty"`
	Measure        string           `json:"measure,omitempty"`
	Qualifier      string           `json:"qualifier,omitempty"`
	Publisher      string           `json:"publisher,omitempty"`
	URL            string           `json:"url,omitempty"`
	Citations      []CitationRecord `json:"citations,omitempty"`
	Inferred       bool             `json:"inferred,omitempty"`
	InferredReason string           `json:"inferredReason,omitempty"`
}

// RelationRecord is a relationship as written in an import file.
type RelationRecord struct {
	ID             string           `json:"id,omitempty"`
	Type           string           `json:"type"`
	From           string           `json:"from"`
	To             string           `json:"to"`
	Role           string           `json:"role,omitempty"`
	Outcome        string           `json:"outcome,omitempty"`
	Description    string           `json:"description,omitempty"`
	StartDate      string           `json:"startDate,omitempty"`
	EndDate        string           `json:"endDate,omitempty"`
	Citations      []CitationRecord `json:"citations"`
	Inferred       bool             `json:"inferred,omitempty"`
	InferredReason string           `json:"inferredReason,omitempty"`
}

// DecodeDataset reads an import file strictly: unknown members are errors, so a typo cannot
// silently drop a fact. It does not validate content; call Validate.
func DecodeDataset(r io.Reader) (*Dataset, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Dataset
	if err := dec.Decode(&d); err != nil {
		return nil, &InvalidError{Record: "file", Reason: jsonErrorWhere(data, err)}
	}
	return &d, nil
}

func jsonErrorWhere(data []byte, err error) string {
	var offset int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		offset = e.Offset
	case *json.UnmarshalTypeError:
		offset = e.Offset
	}
	if offset < 0 {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:min(int(offset), len(data))], []byte("\n"))
	return fmt.Sprintf("line %d: %v", line, err)
}

var (
	slugRE    = regexp.MustCompile(`^[a-z]+:[a-z0-9]+(-[a-z0-9]+)*$`)
	relIDRE   = regexp.MustCompile(`^rel:[a-z0-9:_-]+$`)
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
	// langRE accepts the BCP 47 tags people write: a 2-3 letter language, then optional
	// script, region or variant subtags ("es", "es-MX", "zh-Hant-TW").
	langRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

// inference checks the inferred/inferredReason pair: both or neither.
func inference(inferred bool, reason string) error {
	switch {
	case inferred && strings.TrimSpace(reason) == "":
		return bad("inferredReason", "is required when inferred is true: say in a few words why the fact is inferred")
	case !inferred && reason != "":
		return bad("inferredReason", "applies only when inferred is true")
	}
	return nil
}

func names(rs []NameRecord) ([]Name, error) {
	var out []Name
	for i, r := range rs {
		f := fmt.Sprintf("names[%d]", i)
		v := strings.TrimSpace(r.Value)
		if v == "" {
			return nil, bad(f+".value", "is empty")
		}
		if !slices.Contains(NameKinds, r.Kind) {
			return nil, bad(f+".kind", "%q is not a name kind (want one of %s)", r.Kind, strings.Join(NameKinds, ", "))
		}
		if r.Lang != "" && !langRE.MatchString(r.Lang) {
			return nil, bad(f+".lang", "%q is not a BCP 47 language tag such as \"es\" or \"en-US\"", r.Lang)
		}
		if err := inference(r.Inferred, r.InferredReason); err != nil {
			return nil, bad(f+"."+err.(*InvalidError).Field, "%s", err.(*InvalidError).Reason)
		}
		out = append(out, Name{Value: v, Lang: r.Lang, Kind: r.Kind, Inferred: r.Inferred, InferredReason: r.InferredReason})
	}
	return out, nil
}

// Outcomes is the vocabulary of RULED_ON outcomes.
var Outcomes = []string{"ENJOINED", "LIFTED_INJUNCTION", "ALLOWED_TO_TAKE_EFFECT", "UPHELD", "STAYED", "ORDERED", "HEARD_ARGUMENT"}

// DefaultRelID is the id a relationship gets when the file gives none.
func DefaultRelID(from, relType, to string) string {
	return "rel:" + from + ":" + strings.ToLower(relType) + ":" + to
}

// Validated is a dataset that passed Validate, ready to write.
type Validated struct {
	Nodes         []Node
	Relationships []Relationship
	// External are ids referenced by the file but not defined in it: they must already exist
	// in the graph (with the given type, "" meaning any), or the import fails whole.
	External map[string]string
}

// Validate checks a decoded dataset completely and returns the first problem as an
// *InvalidError naming the record and the field. Nothing about the graph is consulted; ids the
// file references without defining are returned in Validated.External.
func (d *Dataset) Validate() (*Validated, error) {
	if d.Format != Format {
		return nil, &InvalidError{Record: "file", Field: "format", Reason: fmt.Sprintf("must be %q, got %q", Format, d.Format)}
	}
	v := &Validated{External: map[string]string{}}
	types := map[string]string{}
	for i, r := range d.Nodes {
		n, err := r.toNode()
		if err != nil {
			return nil, at(fmt.Sprintf("nodes[%d] %q", i, r.ID), err)
		}
		if _, dup := types[n.ID]; dup {
			return nil, &InvalidError{Record: fmt.Sprintf("nodes[%d] %q", i, r.ID), Field: "id", Reason: "duplicate id"}
		}
		types[n.ID] = n.Type
		v.Nodes = append(v.Nodes, n)
	}
	refer := func(id, wantType string) {
		if _, ok := types[id]; ok {
			return
		}
		if prev, ok := v.External[id]; !ok || prev == "" {
			v.External[id] = wantType
		}
	}
	checkCitations := func(record string, cs []Citation) error {
		for j, c := range cs {
			if t, ok := types[c.SourceID]; ok && t != TypeSource {
				return &InvalidError{Record: record, Field: fmt.Sprintf("citations[%d].source", j), Reason: fmt.Sprintf("%q is a %s, not a Source", c.SourceID, t)}
			}
			refer(c.SourceID, TypeSource)
		}
		return nil
	}
	for i, n := range v.Nodes {
		if err := checkCitations(fmt.Sprintf("nodes[%d] %q", i, n.ID), n.Citations); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for i, r := range d.Relationships {
		record := fmt.Sprintf("relationships[%d] (%s %s %s)", i, r.From, r.Type, r.To)
		rel, err := r.toRelationship()
		if err != nil {
			return nil, at(record, err)
		}
		if seen[rel.ID] {
			return nil, &InvalidError{Record: record, Field: "id", Reason: "duplicate relationship id; give one of them an explicit \"id\""}
		}
		seen[rel.ID] = true
		refer(rel.From, "")
		refer(rel.To, "")
		if err := checkCitations(record, rel.Citations); err != nil {
			return nil, err
		}
		v.Relationships = append(v.Relationships, rel)
	}
	return v, nil
}

// at puts a record name on a field error.
func at(record string, err error) error {
	if ie, ok := err.(*InvalidError); ok {
		return &InvalidError{Record: record, Field: ie.Field, Reason: ie.Reason}
	}
	return &InvalidError{Record: record, Reason: err.Error()}
}

func bad(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

func (r NodeRecord) toNode() (Node, error) {
	n := Node{ID: r.ID, Type: r.Type, Name: strings.TrimSpace(r.Name), Aliases: r.Aliases, Description: r.Description,
		Kind: r.Kind, Country: r.Country, Status: r.Status, StartDate: r.StartDate, EndDate: r.EndDate, Docket: r.Docket,
		Value: r.Value, Unit: r.Unit, Measure: r.Measure, Qualifier: r.Qualifier, Publisher: r.Publisher, URL: r.URL,
		Inferred: r.Inferred, InferredReason: r.InferredReason}
	if !IsNodeType(r.Type) {
		return n, bad("type", "%q is not a node type (want one of %s)", r.Type, strings.Join(NodeTypes, ", "))
	}
	if !slugRE.MatchString(r.ID) || !strings.HasPrefix(r.ID, IDPrefix[r.Type]) {
		return n, bad("id", "%q is not a valid %s id (want %s followed by lower-case words joined by dashes)", r.ID, r.Type, IDPrefix[r.Type])
	}
	if n.Name == "" {
		return n, bad("name", "is required")
	}
	for i, a := range r.Aliases {
		if strings.TrimSpace(a) == "" {
			return n, bad(fmt.Sprintf("aliases[%d]", i), "is empty")
		}
	}
	ns, err := names(r.Names)
	if err != nil {
		return n, err
	}
	n.Names = ns
	if err := inference(r.Inferred, r.InferredReason); err != nil {
		return n, err
	}
	if err := oneOf("kind", r.Kind, Kinds[r.Type], r.Type); err != nil {
		return n, err
	}
	if err := oneOf("status", r.Status, Statuses[r.Type], r.Type); err != nil {
		return n, err
	}
	if r.Country != "" && !countryRE.MatchString(r.Country) {
		return n, bad("country", "%q is not an ISO 3166-1 alpha-2 code such as \"MX\"", r.Country)
	}
	if r.Type == TypeCountry && r.Country == "" {
		return n, bad("country", "is required on a Country (its ISO code)")
	}
	if _, err := SpanOf(r.StartDate, r.EndDate); err != nil {
		return n, err
	}
	isStat := r.Type == TypeStatistic
	if !isStat && (r.Value != nil || r.Unit != "" || r.Measure != "" || r.Qualifier != "") {
		return n, bad("value", "value, unit, measure and qualifier apply only to a Statistic")
	}
	if isStat {
		switch {
		case r.Value == nil:
			return n, bad("value", "is required on a Statistic")
		case r.Measure == "":
			return n, bad("measure", "is required on a Statistic")
		case len(r.Citations) == 0:
			return n, bad("citations", "a Statistic needs at least one citation")
		}
		if err := oneOf("unit", r.Unit, Units, r.Type); err != nil {
			return n, err
		}
		if r.Unit == "" {
			return n, bad("unit", "is required on a Statistic")
		}
		if r.Qualifier == "" {
			n.Qualifier = "EXACT"
		} else if err := oneOf("qualifier", r.Qualifier, Qualifiers, r.Type); err != nil {
			return n, err
		}
	}
	if r.Docket != "" && r.Type != TypeLegalCase {
		return n, bad("docket", "applies only to a LegalCase")
	}
	if (r.Publisher != "" || r.URL != "") && r.Type != TypeSource {
		return n, bad("publisher", "publisher and url apply only to a Source")
	}
	cs, err := citations(r.Citations)
	n.Citations = cs
	return n, err
}

func oneOf(field, value string, allowed []string, nodeType string) error {
	if value == "" {
		if field == "kind" && len(allowed) > 0 {
			return bad(field, "is required on a %s (one of %s)", nodeType, strings.Join(allowed, ", "))
		}
		return nil
	}
	if len(allowed) == 0 {
		return bad(field, "does not apply to a %s", nodeType)
	}
	if !slices.Contains(allowed, value) {
		return bad(field, "%q is not allowed for a %s (want one of %s)", value, nodeType, strings.Join(allowed, ", "))
	}
	return nil
}

func citations(rs []CitationRecord) ([]Citation, error) {
	var out []Citation
	for i, c := range rs {
		if !strings.HasPrefix(c.Source, "source:") || !slugRE.MatchString(c.Source) {
			return nil, bad(fmt.Sprintf("citations[%d].source", i), "%q is not a source id (source:...)", c.Source)
		}
		if strings.TrimSpace(c.Quote) == "" {
			return nil, bad(fmt.Sprintf("citations[%d].quote", i), "is empty: a citation needs the verbatim words that support the fact")
		}
		out = append(out, Citation{SourceID: c.Source, Quote: c.Quote, Locator: c.Locator})
	}
	return out, nil
}

func (r RelationRecord) toRelationship() (Relationship, error) {
	rel := Relationship{ID: r.ID, Type: r.Type, From: r.From, To: r.To, Role: r.Role, Outcome: r.Outcome,
		Description: r.Description, StartDate: r.StartDate, EndDate: r.EndDate,
		Inferred: r.Inferred, InferredReason: r.InferredReason}
	if !IsRelType(r.Type) {
		return rel, bad("type", "%q is not a relationship type (want one of %s)", r.Type, strings.Join(RelTypes, ", "))
	}
	if !slugRE.MatchString(r.From) {
		return rel, bad("from", "%q is not a node id", r.From)
	}
	if !slugRE.MatchString(r.To) {
		return rel, bad("to", "%q is not a node id", r.To)
	}
	if r.From == r.To {
		return rel, bad("to", "a relationship cannot join %q to itself", r.From)
	}
	if rel.ID == "" {
		rel.ID = DefaultRelID(r.From, r.Type, r.To)
	} else if !relIDRE.MatchString(rel.ID) {
		return rel, bad("id", "%q is not a relationship id (rel:...)", rel.ID)
	}
	if r.Outcome != "" {
		if r.Type != "RULED_ON" {
			return rel, bad("outcome", "applies only to RULED_ON")
		}
		if !slices.Contains(Outcomes, r.Outcome) {
			return rel, bad("outcome", "%q is not an outcome (want one of %s)", r.Outcome, strings.Join(Outcomes, ", "))
		}
	}
	if _, err := SpanOf(r.StartDate, r.EndDate); err != nil {
		return rel, err
	}
	if err := inference(r.Inferred, r.InferredReason); err != nil {
		return rel, err
	}
	if len(r.Citations) == 0 {
		return rel, bad("citations", "at least one citation (source and verbatim quote) is required")
	}
	cs, err := citations(r.Citations)
	rel.Citations = cs
	return rel, err
}

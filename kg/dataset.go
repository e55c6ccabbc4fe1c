package kg

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
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
	// A Source's own text, to check quotes against: inline, or in a file beside the import
	// file (read by LoadTexts), optionally pinned by its SHA-256.
	Text     string `json:"text,omitempty"`
	TextFile string `json:"textFile,omitempty"`
	SHA256   string `json:"sha256,omitempty"`

	fileText *string // what LoadTexts read from TextFile
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
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, &InvalidError{Record: "file", Reason: fmt.Sprintf("is larger than %d MiB: split it into several files", MaxFileBytes>>20)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Dataset
	if err := dec.Decode(&d); err != nil {
		return nil, &InvalidError{Record: "file", Reason: jsonErrorWhere(data, err)}
	}
	// One document per file: anything but white space after it is an error, not ignored.
	if _, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		line := 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n"))
		return nil, &InvalidError{Record: "file", Reason: fmt.Sprintf("line %d: unexpected data after the JSON document", line)}
	}
	return &d, nil
}

// Size limits of an import file (docs/data-format.md, "Size limits"). Lengths are counted
// in characters (Unicode code points) unless the name says bytes.
const (
	MaxFileBytes       = 64 << 20 // one import file
	MaxSourceTextBytes = 8 << 20  // a Source's text, inline or in its textFile
	MaxIDLength        = 150      // a node id
	MaxRelIDLength     = 400      // an explicit relationship id
	MaxNameLength      = 300      // name, each alias, each names[].value
	MaxDescription     = 2000     // description
	MaxQuoteLength     = 2000     // a citation's quote
	MaxShortText       = 300      // locator, role, measure, docket, publisher, inferredReason
	MaxURLLength       = 2000     // url, textFile
	MaxAliases         = 100      // aliases per node
	MaxNames           = 100      // names per node
	MaxCitations       = 100      // citations per node or relationship
)

// tooLong checks a text field's length.
func tooLong(field, value string, limit int) error {
	if n := utf8.RuneCountInString(value); n > limit {
		return bad(field, "is %d characters long; the limit is %d", n, limit)
	}
	return nil
}

// tooMany checks a list's length.
func tooMany(field string, n, limit int) error {
	if n > limit {
		return bad(field, "has %d entries; the limit is %d", n, limit)
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ReadDatasetFile is the whole path from an import file to a validated dataset: it reads at
// most MaxFileBytes, decodes strictly, reads each Source's textFile relative to the file's
// folder and validates. The result is named after the file, for errors found at import time.
func ReadDatasetFile(name string) (*Validated, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := DecodeDataset(f)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(name)
	if err := d.LoadTexts(func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))) }); err != nil {
		return nil, err
	}
	v, err := d.Validate()
	if err != nil {
		return nil, err
	}
	v.Name = name
	return v, nil
}

// LoadTexts reads the textFile of every Source record through read, which resolves a path
// relative to the import file (the caller decides what relative means; ReadDatasetFile uses
// the file's directory). Call it before Validate; without it a textFile is an error.
func (d *Dataset) LoadTexts(read func(name string) ([]byte, error)) error {
	for i := range d.Nodes {
		r := &d.Nodes[i]
		if r.TextFile == "" {
			continue
		}
		record := fmt.Sprintf("nodes[%d] %q", i, r.ID)
		if err := textFilePath(r.TextFile); err != nil {
			return at(record, err)
		}
		data, err := read(r.TextFile)
		if err != nil {
			return &InvalidError{Record: record, Field: "textFile", Reason: fmt.Sprintf("cannot be read: %v", err)}
		}
		if len(data) > MaxSourceTextBytes {
			return &InvalidError{Record: record, Field: "textFile", Reason: fmt.Sprintf("is %d bytes; the limit is %d MiB", len(data), MaxSourceTextBytes>>20)}
		}
		if !utf8.Valid(data) {
			return &InvalidError{Record: record, Field: "textFile", Reason: "is not UTF-8 text"}
		}
		text := string(data)
		r.fileText = &text
	}
	return nil
}

// textFilePath accepts a relative, slash-separated path: files stay portable.
func textFilePath(p string) error {
	if strings.Contains(p, "\\") || path.IsAbs(p) || (len(p) > 1 && p[1] == ':') {
		return bad("textFile", "%q must be a relative path with / separators (resolved against the import file's folder)", p)
	}
	return tooLong("textFile", p, MaxURLLength)
}

// SHA256Hex is the content hash stored with a Source's text: lower-case hex of the SHA-256 of
// its UTF-8 bytes.
func SHA256Hex(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// NormalizeSpace collapses every run of white space to one space and trims the ends: quotes
// are compared with their source text after this, and after nothing else.
func NormalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// QuoteIn reports whether quote occurs in text, white space aside.
func QuoteIn(quote, text string) bool {
	return strings.Contains(NormalizeSpace(text), NormalizeSpace(quote))
}

// QuoteError is the error for a quote that is not in its source's text.
func QuoteError(record, field, sourceID string) error {
	return &InvalidError{Record: record, Field: field,
		Reason: fmt.Sprintf("is not in the text of %s: a quote must be copied verbatim (only white space may differ; curly quotes, accents and typos must match)", sourceID)}
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
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
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
		if err := firstErr(tooLong(f+".value", r.Value, MaxNameLength), tooLong(f+".inferredReason", r.InferredReason, MaxShortText)); err != nil {
			return nil, err
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
	// Name names the file in errors about it found at import time ("" for one unnamed file).
	Name          string
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
	// Quotes citing a Source of this file that carries its text must be in that text.
	texts := map[string]string{}
	for _, n := range v.Nodes {
		if n.Text != "" {
			texts[n.ID] = NormalizeSpace(n.Text)
		}
	}
	checkCitations := func(record string, cs []Citation) error {
		for j, c := range cs {
			if t, ok := types[c.SourceID]; ok && t != TypeSource {
				return &InvalidError{Record: record, Field: fmt.Sprintf("citations[%d].source", j), Reason: fmt.Sprintf("%q is a %s, not a Source", c.SourceID, t)}
			}
			if text, ok := texts[c.SourceID]; ok && !strings.Contains(text, NormalizeSpace(c.Quote)) {
				return QuoteError(record, fmt.Sprintf("citations[%d].quote", j), c.SourceID)
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
		// Ends defined in this file are checked here; ends already in the graph by the store.
		fromType, fromHere := types[rel.From]
		toType, toHere := types[rel.To]
		if fromHere && toHere {
			if err := CheckEnds(rel.Type, rel.From, fromType, rel.To, toType); err != nil {
				return nil, at(record, err)
			}
		}
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
	spec, ok := Spec(r.Type)
	if !ok {
		return n, bad("type", "%q is not a node type (want one of %s)", r.Type, strings.Join(NodeTypes, ", "))
	}
	if err := tooLong("id", r.ID, MaxIDLength); err != nil {
		return n, err
	}
	if !slugRE.MatchString(r.ID) || !strings.HasPrefix(r.ID, spec.IDPrefix) {
		return n, bad("id", "%q is not a valid %s id (want %s followed by lower-case words joined by dashes)", r.ID, r.Type, spec.IDPrefix)
	}
	if n.Name == "" {
		return n, bad("name", "is required")
	}
	if err := firstErr(tooLong("name", r.Name, MaxNameLength), tooLong("description", r.Description, MaxDescription),
		tooLong("inferredReason", r.InferredReason, MaxShortText), tooMany("aliases", len(r.Aliases), MaxAliases),
		tooMany("names", len(r.Names), MaxNames), tooMany("citations", len(r.Citations), MaxCitations)); err != nil {
		return n, err
	}
	for i, a := range r.Aliases {
		f := fmt.Sprintf("aliases[%d]", i)
		if strings.TrimSpace(a) == "" {
			return n, bad(f, "is empty")
		}
		if err := tooLong(f, a, MaxNameLength); err != nil {
			return n, err
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
	if err := oneOf("kind", r.Kind, spec.Kinds, r.Type); err != nil {
		return n, err
	}
	if err := oneOf("status", r.Status, spec.Statuses, r.Type); err != nil {
		return n, err
	}
	if err := present("country", r.Country != "", spec.Country, r.Type, " (its ISO code)"); err != nil {
		return n, err
	}
	if r.Country != "" && !countryRE.MatchString(r.Country) {
		return n, bad("country", "%q is not an ISO 3166-1 alpha-2 code such as \"MX\"", r.Country)
	}
	if !spec.Dates && (r.StartDate != "" || r.EndDate != "") {
		return n, bad("startDate", "startDate and endDate do not apply to a %s", r.Type)
	}
	if _, err := SpanOf(r.StartDate, r.EndDate); err != nil {
		return n, err
	}
	if err := figure(r, spec, &n); err != nil {
		return n, err
	}
	if r.Docket != "" && !spec.Docket {
		return n, bad("docket", "does not apply to a %s", r.Type)
	}
	if err := tooLong("docket", r.Docket, MaxShortText); err != nil {
		return n, err
	}
	if err := document(r, spec, &n); err != nil {
		return n, err
	}
	switch {
	case len(r.Citations) == 0 && spec.Cited == Required:
		return n, bad("citations", "a %s needs at least one citation", r.Type)
	case len(r.Citations) > 0 && spec.Cited == Absent:
		return n, bad("citations", "do not apply to a %s", r.Type)
	}
	cs, err := citations(r.Citations)
	n.Citations = cs
	return n, err
}

// present checks a field against the Presence its node type gives it.
func present(field string, given bool, p Presence, nodeType, hint string) error {
	switch {
	case given && p == Absent:
		return bad(field, "does not apply to a %s", nodeType)
	case !given && p == Required:
		return bad(field, "is required on a %s%s", nodeType, hint)
	}
	return nil
}

// figure checks the fields of a stated figure (value, unit, measure, qualifier).
func figure(r NodeRecord, spec NodeSpec, n *Node) error {
	if !spec.Figure {
		if r.Value != nil || r.Unit != "" || r.Measure != "" || r.Qualifier != "" {
			return bad("value", "value, unit, measure and qualifier apply only to a Statistic")
		}
		return nil
	}
	switch {
	case r.Value == nil:
		return bad("value", "is required on a %s", r.Type)
	case strings.TrimSpace(r.Measure) == "":
		return bad("measure", "is required on a %s", r.Type)
	}
	if err := tooLong("measure", r.Measure, MaxShortText); err != nil {
		return err
	}
	if r.Unit == "" {
		return bad("unit", "is required on a %s (one of %s)", r.Type, strings.Join(Units, ", "))
	}
	if err := oneOf("unit", r.Unit, Units, r.Type); err != nil {
		return err
	}
	if r.Qualifier == "" {
		n.Qualifier = "EXACT"
		return nil
	}
	return oneOf("qualifier", r.Qualifier, Qualifiers, r.Type)
}

// document checks the fields of a document (publisher, url, and its text).
func document(r NodeRecord, spec NodeSpec, n *Node) error {
	if !spec.Document {
		switch {
		case r.Publisher != "" || r.URL != "":
			return bad("publisher", "publisher and url apply only to a Source")
		case r.Text != "" || r.TextFile != "" || r.SHA256 != "":
			return bad("text", "text, textFile and sha256 apply only to a Source")
		}
		return nil
	}
	if err := firstErr(tooLong("publisher", r.Publisher, MaxShortText), tooLong("url", r.URL, MaxURLLength)); err != nil {
		return err
	}
	if r.Text != "" && r.TextFile != "" {
		return bad("textFile", "give the text inline (text) or in a file (textFile), not both")
	}
	if r.SHA256 != "" && !sha256RE.MatchString(r.SHA256) {
		return bad("sha256", "%q is not a SHA-256 in lower-case hex (64 characters)", r.SHA256)
	}
	text := r.Text
	if r.TextFile != "" {
		if r.fileText == nil {
			return bad("textFile", "was not read: import the file with `policygraph import`, which reads textFile beside it")
		}
		text = *r.fileText
	}
	if len(text) > MaxSourceTextBytes {
		return bad("text", "is %d bytes; the limit is %d MiB", len(text), MaxSourceTextBytes>>20)
	}
	if text == "" {
		n.TextSHA256 = r.SHA256 // a hash alone: a later write that supplies the text is checked against it
		return nil
	}
	sum := SHA256Hex(text)
	if r.SHA256 != "" && r.SHA256 != sum {
		field := "text"
		if r.TextFile != "" {
			field = "textFile"
		}
		return bad(field, "has SHA-256 %s, but sha256 says %s: the text is not the one the file was written against", sum, r.SHA256)
	}
	n.Text, n.TextSHA256 = text, sum
	return nil
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
		if err := tooLong(fmt.Sprintf("citations[%d].source", i), c.Source, MaxIDLength); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(c.Source, "source:") || !slugRE.MatchString(c.Source) {
			return nil, bad(fmt.Sprintf("citations[%d].source", i), "%q is not a source id (source:...)", c.Source)
		}
		if strings.TrimSpace(c.Quote) == "" {
			return nil, bad(fmt.Sprintf("citations[%d].quote", i), "is empty: a citation needs the verbatim words that support the fact")
		}
		if err := firstErr(tooLong(fmt.Sprintf("citations[%d].quote", i), c.Quote, MaxQuoteLength),
			tooLong(fmt.Sprintf("citations[%d].locator", i), c.Locator, MaxShortText)); err != nil {
			return nil, err
		}
		out = append(out, Citation{SourceID: c.Source, Quote: c.Quote, Locator: c.Locator})
	}
	return out, nil
}

func (r RelationRecord) toRelationship() (Relationship, error) {
	rel := Relationship{ID: r.ID, Type: r.Type, From: r.From, To: r.To, Role: r.Role, Outcome: r.Outcome,
		Description: r.Description, StartDate: r.StartDate, EndDate: r.EndDate,
		Inferred: r.Inferred, InferredReason: r.InferredReason}
	spec, ok := RelSpecOf(r.Type)
	if !ok {
		return rel, bad("type", "%q is not a relationship type (want one of %s)", r.Type, strings.Join(RelTypes, ", "))
	}
	if err := firstErr(tooLong("from", r.From, MaxIDLength), tooLong("to", r.To, MaxIDLength), tooLong("id", r.ID, MaxRelIDLength),
		tooLong("role", r.Role, MaxShortText), tooLong("description", r.Description, MaxDescription),
		tooLong("inferredReason", r.InferredReason, MaxShortText), tooMany("citations", len(r.Citations), MaxCitations)); err != nil {
		return rel, err
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
		if !spec.Outcome {
			return rel, bad("outcome", "applies only to %s", strings.Join(relTypesWhere(func(s RelSpec) bool { return s.Outcome }), ", "))
		}
		if !slices.Contains(Outcomes, r.Outcome) {
			return rel, bad("outcome", "%q is not an outcome (want one of %s)", r.Outcome, strings.Join(Outcomes, ", "))
		}
	}
	if err := relDates(spec, r.StartDate, r.EndDate); err != nil {
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

// relDates checks a relationship's dates against its type.
func relDates(spec RelSpec, start, end string) error {
	if !spec.Dated && (start != "" || end != "") {
		return bad("startDate", "startDate and endDate do not apply to %s", spec.Type)
	}
	_, err := SpanOf(start, end)
	return err
}

func relTypesWhere(f func(RelSpec) bool) []string {
	var out []string
	for _, r := range Rels {
		if f(r) {
			out = append(out, r.Type)
		}
	}
	return out
}

package kg

import (
	"fmt"
	"strings"
	"time"
)

// Writes (mutations): what the store needs to know besides the records, and the entry points
// to the import format's own validation, so a mutation is checked by exactly the code that
// checks an import file (dataset.go).

// Write says who writes and why: every mutation carries one, and its revision records it.
type Write struct {
	Principal      Principal
	Reason         string
	IdempotencyKey string // "" = none; a retry with the same key (same author) returns the first result
}

// Limits of the fields every write takes.
const (
	MaxReasonLength = MaxDescription
	MaxKeyLength    = 200
)

// Validate checks the reason and the idempotency key.
func (w Write) Validate() error {
	if strings.TrimSpace(w.Reason) == "" {
		return &InvalidError{Record: "input", Field: "reason", Reason: "is required: say in a few words why you make this change"}
	}
	if err := tooLong("reason", w.Reason, MaxReasonLength); err != nil {
		return at("input", err)
	}
	if err := tooLong("idempotencyKey", w.IdempotencyKey, MaxKeyLength); err != nil {
		return at("input", err)
	}
	return nil
}

// ValidateNode runs the import format's rules for one node record (the code Dataset.Validate
// runs for each node of a file) and returns the node to store. record names it in errors.
func ValidateNode(record string, r NodeRecord) (Node, error) {
	n, err := r.toNode()
	if err != nil {
		return n, at(record, err)
	}
	return n, nil
}

// ValidateRelationship runs the import format's rules for one relationship record.
func ValidateRelationship(record string, r RelationRecord) (Relationship, error) {
	rel, err := r.toRelationship()
	if err != nil {
		return rel, at(record, err)
	}
	return rel, nil
}

// ValidNodeID reports whether id is a well-formed id for a node of type nodeType.
func ValidNodeID(nodeType, id string) bool {
	spec, ok := Spec(nodeType)
	return ok && len(id) <= MaxIDLength && slugRE.MatchString(id) && strings.HasPrefix(id, spec.IDPrefix)
}

// NodePatch is the change updateNode applies: nil leaves a field as it is; an empty string
// (or an empty list) clears it. The type, the id and the citations are not changed here
// (citations: addCitation and removeCitation).
type NodePatch struct {
	Name                                          *string
	Names                                         *[]NameRecord
	Aliases                                       *[]string
	Description, Kind, Country, Status, StartDate *string
	EndDate, Docket, Unit, Measure, Qualifier     *string
	Publisher, URL, InferredReason                *string
	Value                                         *float64
	Inferred                                      *bool
}

// Apply changes r as the patch says.
func (p NodePatch) Apply(r *NodeRecord) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.Name, p.Name)
	set(&r.Description, p.Description)
	set(&r.Kind, p.Kind)
	set(&r.Country, p.Country)
	set(&r.Status, p.Status)
	set(&r.StartDate, p.StartDate)
	set(&r.EndDate, p.EndDate)
	set(&r.Docket, p.Docket)
	set(&r.Unit, p.Unit)
	set(&r.Measure, p.Measure)
	set(&r.Qualifier, p.Qualifier)
	set(&r.Publisher, p.Publisher)
	set(&r.URL, p.URL)
	set(&r.InferredReason, p.InferredReason)
	if p.Names != nil {
		r.Names = *p.Names
	}
	if p.Aliases != nil {
		r.Aliases = *p.Aliases
	}
	if p.Value != nil {
		v := *p.Value
		r.Value = &v
	}
	if p.Inferred != nil {
		r.Inferred = *p.Inferred
		if !r.Inferred && p.InferredReason == nil {
			r.InferredReason = "" // no longer inferred: the reason goes with it
		}
	}
}

// RelPatch is the change updateRelationship applies (nil: unchanged; "": cleared). The type
// and the ends are not changed: delete the relationship and create another.
type RelPatch struct {
	Role, Outcome, Description, StartDate, EndDate, InferredReason *string
	Inferred                                                       *bool
}

// Apply changes r as the patch says.
func (p RelPatch) Apply(r *RelationRecord) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.Role, p.Role)
	set(&r.Outcome, p.Outcome)
	set(&r.Description, p.Description)
	set(&r.StartDate, p.StartDate)
	set(&r.EndDate, p.EndDate)
	set(&r.InferredReason, p.InferredReason)
	if p.Inferred != nil {
		r.Inferred = *p.Inferred
		if !r.Inferred && p.InferredReason == nil {
			r.InferredReason = ""
		}
	}
}

// RevisionQuery selects revisions for the root `revisions` field, newest first.
type RevisionQuery struct {
	Author       string
	Since, Until string // RFC 3339 instants or YYYY-MM-DD days (until: the whole day)
	First        int
	After        string
}

// Window parses Since and Until; zero times where absent.
func (q RevisionQuery) Window() (since, until time.Time, err error) {
	parse := func(arg, s string, end bool) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			if end {
				d = d.Add(24*time.Hour - time.Nanosecond)
			}
			return d, nil
		}
		return time.Time{}, Invalid(arg, "%q is not an RFC 3339 time (2026-01-31T12:00:00Z) or a day (2026-01-31)", s)
	}
	if since, err = parse("since", q.Since, false); err != nil {
		return
	}
	if until, err = parse("until", q.Until, true); err != nil {
		return
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		err = Invalid("until", "is before since")
	}
	return
}

// Validate checks the page size, the window and the author's length.
func (q RevisionQuery) Validate() error {
	if err := CheckFirst("first", q.First); err != nil {
		return err
	}
	if len(q.Author) > MaxShortText {
		return Invalid("author", "is longer than %d characters", MaxShortText)
	}
	_, _, err := q.Window()
	return err
}

// RevisionCursor is the order name of revision cursors (keyed by seq).
const RevisionCursor = "REV"

// DecodeRevisionCursor returns the seq a revision cursor points at.
func DecodeRevisionCursor(argument, s string) (int64, error) {
	c, err := DecodeCursor(argument, s, RevisionCursor)
	if err != nil {
		return 0, err
	}
	seq, ok := c.Key.(int64)
	if !ok {
		return 0, Invalid(argument, "is not a cursor returned by this API")
	}
	return seq, nil
}

// RevisionCursorOf is the cursor of one revision.
func RevisionCursorOf(r *Revision) string {
	return Cursor{Order: RevisionCursor, Key: r.Seq, ID: r.ID}.Encode()
}

// RevisionID is the id of the revision with sequence number seq.
func RevisionID(seq int64) string { return fmt.Sprintf("rev:%d", seq) }

// WriteResult is what a mutation wrote: the record it is about as reads return it (Node or
// Relationship; DeletedID for a delete) and the revision it recorded. A retry with the same
// idempotency key gets the first revision and the record as it is now.
type WriteResult struct {
	Node         *Node
	Relationship *Relationship
	DeletedID    string
	Revision     *Revision
}

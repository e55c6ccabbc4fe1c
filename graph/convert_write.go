package graph

import (
	"strings"

	"github.com/policygraph/policygraph/graph/model"
	"github.com/policygraph/policygraph/kg"
)

// Conversion of mutation inputs to the import format's records (kg.NodeRecord, ...), so the
// store validates a mutation with the code that validates an import file, and of write results
// to payloads. Pure functions; no I/O.

// writer checks the caller may write (editor or admin) and returns what every write carries.
func writer(p kg.Principal, reason string, key *string) kg.Write {
	return kg.Write{Principal: p, Reason: reason, IdempotencyKey: deref(key, "")}
}

func citationRecords(in []*model.CitationInput) []kg.CitationRecord {
	var out []kg.CitationRecord
	for _, c := range in {
		if c != nil {
			out = append(out, citationRecord(c))
		}
	}
	return out
}

func citationRecord(c *model.CitationInput) kg.CitationRecord {
	return kg.CitationRecord{Source: c.Source, Quote: c.Quote, Locator: deref(c.Locator, "")}
}

func nameRecords(in []*model.NameInput) []kg.NameRecord {
	out := []kg.NameRecord{}
	for _, n := range in {
		if n != nil {
			out = append(out, kg.NameRecord{Value: n.Value, Lang: deref(n.Lang, ""), Kind: strings.ToLower(string(n.Kind)),
				Inferred: deref(n.Inferred, false), InferredReason: deref(n.InferredReason, "")})
		}
	}
	return out
}

func enumPtr[T ~string](v *T) string {
	if v == nil {
		return ""
	}
	return string(*v)
}

func sourceRecord(in model.CreateSourceInput) kg.NodeRecord {
	return kg.NodeRecord{ID: deref(in.ID, ""), Type: kg.TypeSource, Name: in.Name, Names: nilIfNone(nameRecords(in.Names)),
		Aliases: in.Aliases, Description: deref(in.Description, ""), Kind: string(in.Kind), Publisher: deref(in.Publisher, ""),
		URL: deref(in.URL, ""), StartDate: deref(in.PublishedDate, ""), Text: deref(in.Text, ""), SHA256: deref(in.Sha256, "")}
}

func nodeRecord(in model.CreateNodeInput) kg.NodeRecord {
	return kg.NodeRecord{ID: deref(in.ID, ""), Type: string(in.Type), Name: in.Name, Names: nilIfNone(nameRecords(in.Names)),
		Aliases: in.Aliases, Description: deref(in.Description, ""), Kind: deref(in.Kind, ""), Country: deref(in.Country, ""),
		Status: deref(in.Status, ""), StartDate: deref(in.StartDate, ""), EndDate: deref(in.EndDate, ""), Docket: deref(in.Docket, ""),
		Value: in.Value, Unit: enumPtr(in.Unit), Measure: deref(in.Measure, ""), Qualifier: enumPtr(in.Qualifier),
		Inferred: deref(in.Inferred, false), InferredReason: deref(in.InferredReason, ""), Citations: citationRecords(in.Citations)}
}

func nilIfNone[T any](l []T) []T {
	if len(l) == 0 {
		return nil
	}
	return l
}

func nodePatch(in *model.NodeChanges) kg.NodePatch {
	if in == nil {
		return kg.NodePatch{}
	}
	p := kg.NodePatch{Name: in.Name, Description: in.Description, Kind: in.Kind, Country: in.Country, Status: in.Status,
		StartDate: in.StartDate, EndDate: in.EndDate, Docket: in.Docket, Unit: in.Unit, Measure: in.Measure, Qualifier: in.Qualifier,
		Publisher: in.Publisher, URL: in.URL, InferredReason: in.InferredReason, Value: in.Value, Inferred: in.Inferred}
	if in.Names != nil {
		names := nilIfNone(nameRecords(in.Names))
		p.Names = &names
	}
	if in.Aliases != nil {
		aliases := nilIfNone(in.Aliases)
		p.Aliases = &aliases
	}
	return p
}

func relRecord(in model.CreateRelationshipInput) kg.RelationRecord {
	return kg.RelationRecord{ID: deref(in.ID, ""), Type: string(in.Type), From: in.From, To: in.To, Role: deref(in.Role, ""),
		Outcome: enumPtr(in.Outcome), Description: deref(in.Description, ""), StartDate: deref(in.StartDate, ""),
		EndDate: deref(in.EndDate, ""), Inferred: deref(in.Inferred, false), InferredReason: deref(in.InferredReason, ""),
		Citations: citationRecords(in.Citations)}
}

func relPatch(in *model.RelationshipChanges) kg.RelPatch {
	if in == nil {
		return kg.RelPatch{}
	}
	return kg.RelPatch{Role: in.Role, Outcome: in.Outcome, Description: in.Description, StartDate: in.StartDate,
		EndDate: in.EndDate, Inferred: in.Inferred, InferredReason: in.InferredReason}
}

// writtenRel converts a relationship a write returns (both ends loaded).
func writtenRel(r *kg.Relationship) *model.Relationship {
	if r == nil {
		return nil
	}
	return relationship(r, nil)
}

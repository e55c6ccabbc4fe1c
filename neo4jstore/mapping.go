package neo4jstore

import (
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// column reads a record's column by name with a checked conversion: a missing column or a
// value of another type (a bug in our Cypher) is an error, never a panic.
func column[T any](rec *neo4j.Record, name string) (T, error) {
	var zero T
	v, ok := rec.Get(name)
	if !ok {
		return zero, fmt.Errorf("neo4jstore: no column %q in the result", name)
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("neo4jstore: column %q is %T, want %T", name, v, zero)
	}
	return t, nil
}

// Mapping from the maps the Cypher fragments return to kg values. Missing or null values
// become zero values; a type mismatch (a bug in our Cypher) also gives a zero value rather
// than a panic, and tests on real data catch it.

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func strs(m map[string]any, k string) []string {
	l, _ := m[k].([]any)
	out := make([]string, 0, len(l))
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func toNode(v any) *kg.Node {
	m, ok := v.(map[string]any)
	if !ok || m["id"] == nil {
		return nil
	}
	n := &kg.Node{
		ID: str(m, "id"), Type: str(m, "type"), Name: str(m, "name"), Aliases: strs(m, "aliases"),
		Description: str(m, "description"), Kind: str(m, "kind"), Country: str(m, "country"), Status: str(m, "status"),
		StartDate: str(m, "startDate"), EndDate: str(m, "endDate"), Docket: str(m, "docket"), Unit: str(m, "unit"),
		Measure: str(m, "measure"), Qualifier: str(m, "qualifier"), Publisher: str(m, "publisher"), URL: str(m, "url"),
		Citations: toCitations(m["citations"]), Names: toNames(m),
		InferredReason: str(m, "inferredReason"),
	}
	n.Inferred, _ = m["inferred"].(bool)
	switch v := m["value"].(type) {
	case float64:
		n.Value = &v
	case int64:
		f := float64(v)
		n.Value = &f
	}
	if d, ok := m["degree"].(int64); ok {
		n.Degree = int(d)
	}
	n.Version = asInt(m["version"])
	return n
}

func toRel(v any) *kg.Relationship {
	m, _ := v.(map[string]any)
	return &kg.Relationship{
		ID: str(m, "id"), Type: str(m, "type"), From: str(m, "from"), To: str(m, "to"), Role: str(m, "role"),
		Outcome: str(m, "outcome"), Description: str(m, "description"), StartDate: str(m, "startDate"),
		EndDate: str(m, "endDate"), StartDay: str(m, "rangeFrom"), EndDay: str(m, "rangeTo"),
		Citations: toCitations(m["citations"]), Inferred: m["inferred"] == true, InferredReason: str(m, "inferredReason"),
		Version: asInt(m["version"]),
	}
}

// toNames rebuilds Node.Names from the parallel lists nodeProps stores.
func toNames(m map[string]any) []kg.Name {
	vals, langs, kinds, reasons := strs(m, "nameValues"), strs(m, "nameLangs"), strs(m, "nameKinds"), strs(m, "nameReasons")
	if len(langs) != len(vals) || len(kinds) != len(vals) || len(reasons) != len(vals) {
		return nil
	}
	out := make([]kg.Name, 0, len(vals))
	for i, v := range vals {
		out = append(out, kg.Name{Value: v, Lang: langs[i], Kind: kinds[i], Inferred: reasons[i] != "", InferredReason: reasons[i]})
	}
	return out
}

func toCitations(v any) []kg.Citation {
	l, _ := v.([]any)
	out := make([]kg.Citation, 0, len(l))
	for _, c := range l {
		m, _ := c.(map[string]any)
		src := toNode(m["source"])
		cit := kg.Citation{Quote: str(m, "quote"), Locator: str(m, "locator"), Source: src}
		if src != nil {
			cit.SourceID = src.ID
		}
		out = append(out, cit)
	}
	return out
}

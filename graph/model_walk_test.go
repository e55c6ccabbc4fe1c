package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
)

// TestModelWalk walks every node type and relationship type of kg's model table through every
// place that must know it, so adding a type to kg.Model or kg.Rels and forgetting one of them
// fails here (rather than leaving the new nodes out of answers with every test green):
// the GraphQL schema (types implementing Node, the NodeType and RelationshipType enums, the
// kind and status vocabularies), the conversion (toModel), the cost functions (every paginated
// field has one in ComplexityRoot), and the importer with a read back through GraphQL from the
// real Neo4j (gqlgen.yml's resolvers, the migration's constraints, the write path).
func TestModelWalk(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()

	t.Run("schema", func(t *testing.T) {
		implementers := map[string]bool{}
		for _, d := range schema.GetPossibleTypes(schema.Types["Node"]) {
			if d.Kind == ast.Object {
				implementers[d.Name] = true
			}
		}
		actors := map[string]bool{}
		for _, d := range schema.GetPossibleTypes(schema.Types["Actor"]) {
			actors[d.Name] = true
		}
		for _, spec := range kg.Model {
			def := schema.Types[spec.Type]
			if def == nil || def.Kind != ast.Object || !implementers[spec.Type] {
				t.Errorf("node type %s is not a GraphQL object type implementing Node", spec.Type)
				continue
			}
			if actors[spec.Type] != spec.Actor {
				t.Errorf("%s: implements Actor = %v, kg.Model says Actor = %v", spec.Type, actors[spec.Type], spec.Actor)
			}
			checkVocabulary(t, schema, def, "kind", spec.Kinds)
			checkVocabulary(t, schema, def, "status", spec.Statuses)
		}
		for name := range implementers {
			if !kg.IsNodeType(name) {
				t.Errorf("GraphQL type %s implements Node but is not in kg.Model", name)
			}
		}
		sameSet(t, "NodeType enum", enumValues(schema, "NodeType"), kg.NodeTypes)
		sameSet(t, "RelationshipType enum", enumValues(schema, "RelationshipType"), kg.RelTypes)
		sameSet(t, "RulingOutcome enum", enumValues(schema, "RulingOutcome"), kg.Outcomes)
		sameSet(t, "Unit enum", enumValues(schema, "Unit"), kg.Units)
		sameSet(t, "Qualifier enum", enumValues(schema, "Qualifier"), kg.Qualifiers)
	})

	t.Run("conversion", func(t *testing.T) {
		for _, spec := range kg.Model {
			v, err := (&kg.Dataset{Format: kg.Format, Nodes: []kg.NodeRecord{sampleNode(spec, "a")}}).Validate()
			if err != nil {
				t.Errorf("sample %s: %v", spec.Type, err)
				continue
			}
			m := toModel(&v.Nodes[0])
			if m == nil {
				t.Errorf("toModel gives nil for a %s", spec.Type)
				continue
			}
			if got := reflect.TypeOf(m).Elem().Name(); got != spec.Type {
				t.Errorf("toModel gives a %s for a %s", got, spec.Type)
			}
		}
	})

	t.Run("complexity", func(t *testing.T) {
		// Every field that takes a page size or a limit has its own cost function: gqlgen's
		// default (1 per field) would let nested pages of it through the complexity limit.
		roots := reflect.ValueOf(complexity())
		checked := 0
		for _, def := range schema.Types {
			if def.Kind != ast.Object || strings.HasPrefix(def.Name, "__") {
				continue
			}
			for _, f := range def.Fields {
				if f.Arguments.ForName("first") == nil && f.Arguments.ForName("limit") == nil {
					continue
				}
				checked++
				group := roots.FieldByName(def.Name)
				if !group.IsValid() {
					t.Errorf("ComplexityRoot has no %s (regenerate with gqlgen)", def.Name)
					continue
				}
				fn := group.FieldByName(strings.ToUpper(f.Name[:1]) + f.Name[1:])
				if !fn.IsValid() || fn.IsNil() {
					t.Errorf("%s.%s takes a page size but has no cost function in graph/complexity.go", def.Name, f.Name)
				}
			}
		}
		if checked < len(kg.Model) {
			t.Errorf("only %d paginated fields found: the walk is not reading the schema", checked)
		}
	})

	t.Run("import and read back", func(t *testing.T) {
		store := neo4jtest.Store(t)
		d := &kg.Dataset{Format: kg.Format}
		for _, spec := range kg.Model {
			d.Nodes = append(d.Nodes, sampleNode(spec, "a"), sampleNode(spec, "b"))
		}
		for _, rs := range kg.Rels {
			from, to := rs.Ends[0].From[0], rs.Ends[0].To[0]
			r := kg.RelationRecord{Type: rs.Type, From: sampleID(from, "a"), To: sampleID(to, "b"),
				Citations: []kg.CitationRecord{{Source: sampleID(kg.TypeSource, "a"), Quote: "walk"}}}
			if rs.Dated {
				r.StartDate = "2019-06"
			}
			d.Relationships = append(d.Relationships, r)
		}
		v, err := d.Validate()
		if err != nil {
			t.Fatalf("the walk's dataset (one node of each type, one relationship of each type): %v", err)
		}
		if _, err := store.Import(context.Background(), v); err != nil {
			t.Fatalf("import: %v", err)
		}
		srv := httptest.NewServer(NewHandler(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Limits{}))
		defer srv.Close()
		seen := map[string]bool{}
		for _, spec := range kg.Model {
			for _, end := range []string{"a", "b"} {
				id := sampleID(spec.Type, end)
				var out struct {
					Data struct {
						Node *struct {
							Typename      string `json:"__typename"`
							ID            string `json:"id"`
							Relationships struct {
								Edges []struct {
									Node struct{ Type, ID string }
								}
							}
						}
					}
					Errors []json.RawMessage
				}
				post(t, srv.URL, `query($id: ID!) { node(id: $id) { __typename id
					relationships(direction: OUT, first: 100) { edges { node { id type } } } } }`, map[string]any{"id": id}, &out)
				if len(out.Errors) > 0 || out.Data.Node == nil {
					t.Errorf("node %s read back: %s", id, out.Errors)
					continue
				}
				if out.Data.Node.Typename != spec.Type || out.Data.Node.ID != id {
					t.Errorf("node %s read back as a %s %q", id, out.Data.Node.Typename, out.Data.Node.ID)
				}
				for _, e := range out.Data.Node.Relationships.Edges {
					seen[e.Node.Type] = true
				}
			}
		}
		for _, rt := range kg.RelTypes {
			if !seen[rt] {
				t.Errorf("relationship type %s was imported but not read back through GraphQL", rt)
			}
		}
	})
}

// sampleNode is a valid record of the node type, built from its spec alone: every field the
// type takes is filled, so a new type needs no new test data.
func sampleNode(spec kg.NodeSpec, end string) kg.NodeRecord {
	r := kg.NodeRecord{ID: sampleID(spec.Type, end), Type: spec.Type, Name: spec.Type + " " + end}
	if len(spec.Kinds) > 0 {
		r.Kind = spec.Kinds[0]
	}
	if len(spec.Statuses) > 0 {
		r.Status = spec.Statuses[0]
	}
	if spec.Country != kg.Absent {
		r.Country = "MX"
	}
	if spec.Dates {
		r.StartDate = "2019-06"
	}
	if spec.Docket {
		r.Docket = "19-1212"
	}
	if spec.Figure {
		v := 1.0
		r.Value, r.Unit, r.Measure = &v, kg.Units[0], "walked nodes"
	}
	if spec.Document {
		r.Publisher, r.Text = "Walk Press", "A text for the model walk."
	}
	if spec.Cited != kg.Absent {
		r.Citations = []kg.CitationRecord{{Source: sampleID(kg.TypeSource, "a"), Quote: "walk"}}
	}
	return r
}

func sampleID(nodeType, end string) string {
	spec, _ := kg.Spec(nodeType)
	return spec.IDPrefix + "walk-" + end
}

// checkVocabulary checks that a type's field (kind, status) exists exactly when kg gives the
// type a vocabulary for it, and that its enum has the same values.
func checkVocabulary(t *testing.T, schema *ast.Schema, def *ast.Definition, field string, values []string) {
	t.Helper()
	f := def.Fields.ForName(field)
	switch {
	case f == nil && len(values) > 0:
		t.Errorf("%s has no GraphQL field %s, but kg.Model gives it %d values", def.Name, field, len(values))
	case f != nil && len(values) == 0:
		t.Errorf("%s has a GraphQL field %s, but kg.Model gives it none", def.Name, field)
	case f != nil:
		sameSet(t, def.Name+"."+field, enumValues(schema, f.Type.Name()), values)
	}
}

func enumValues(schema *ast.Schema, name string) []string {
	var out []string
	if d := schema.Types[name]; d != nil {
		for _, v := range d.EnumValues {
			out = append(out, v.Name)
		}
	}
	return out
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	sort.Strings(g)
	sort.Strings(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s: the schema has %v, kg has %v", what, g, w)
	}
}

func post(t *testing.T, url, query string, vars map[string]any, out any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("response is not JSON (%d): %s", res.StatusCode, raw)
	}
}

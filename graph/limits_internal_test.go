package graph

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func loadQuery(t *testing.T, query string) *ast.OperationDefinition {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(parsedSchema, query)
	if errs != nil {
		t.Fatalf("invalid query: %v", errs)
	}
	return doc.Operations[0]
}

// The limit walk measures each fragment once: its work is the size of the document, not of
// its expansion (2^27 + 1 fields here).
func TestLimitWalkWorkIsLinear(t *testing.T) {
	const levels = 27
	var b strings.Builder
	b.WriteString(`{ node(id: "a") { ...F0 } }`)
	for i := 0; i < levels; i++ {
		fmt.Fprintf(&b, "\nfragment F%d on Node { a%d: id ...F%d ...F%d }", i, i, i+1, i+1)
	}
	fmt.Fprintf(&b, "\nfragment F%d on Node { id }", levels)
	op := loadQuery(t, b.String())

	m := &measurer{ctx: context.Background(), fragments: map[string]figures{}, active: map[string]bool{}}
	f := m.set(op.SelectionSet)
	if m.err != nil {
		t.Fatal(m.err)
	}
	// Every selection in the document once: 2 in the operation, 3 per fragment, 1 in the last.
	if want := 2 + 3*levels + 1; m.visited != want {
		t.Errorf("the walk visited %d selections, want %d (one per selection of the document)", m.visited, want)
	}
	// The figures are those of the expanded operation: fragment i holds 2^(levels-i) - 1
	// aliased ids and 2^(levels-i+1) - 1 fields, with node on top.
	if want := 1 << (levels + 1); f.selections != want {
		t.Errorf("expanded fields = %d, want %d", f.selections, want)
	}
	if want := 1<<levels - 1; f.aliases != want {
		t.Errorf("expanded aliases = %d, want %d", f.aliases, want)
	}
	if f.fields != 1 || f.depth != 2 || f.introDepth != 0 {
		t.Errorf("fields %d depth %d introspection depth %d, want 1, 2, 0", f.fields, f.depth, f.introDepth)
	}

	// A canceled request stops the walk (it looks at the context every checkEvery selections).
	var wide strings.Builder
	wide.WriteString("{ ")
	for i := 0; i < 3*checkEvery; i++ {
		fmt.Fprintf(&wide, "a%d: __typename ", i)
	}
	wide.WriteString("}")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m = &measurer{ctx: ctx, fragments: map[string]figures{}, active: map[string]bool{}}
	m.set(loadQuery(t, wide.String()).SelectionSet)
	if m.err == nil || m.err.Extensions["code"] != CodeTimeout || m.visited != checkEvery {
		t.Errorf("canceled walk: err %v after %d selections, want %s after %d", m.err, m.visited, CodeTimeout, checkEvery)
	}
}

// GraphiQL's schema query is 15 levels deep through __schema: within the introspection depth
// limit, and not counted against the ordinary one.
func TestGraphiQLIntrospectionFigures(t *testing.T) {
	q, err := os.ReadFile("testdata/graphiql-introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	f, gerr := measure(context.Background(), loadQuery(t, string(q)).SelectionSet)
	if gerr != nil {
		t.Fatal(gerr)
	}
	t.Logf("GraphiQL's introspection: %+v", f)
	l := DefaultLimits
	if f.introDepth != 15 || f.depth != 0 || f.aliases != 0 || f.selections > l.MaxSelections {
		t.Errorf("GraphiQL's introspection: %+v", f)
	}
}

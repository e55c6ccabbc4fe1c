package graph

import (
	"context"
	"fmt"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// queryLimits rejects, before execution, operations that are too deep, use too many aliases,
// ask for too many root fields or expand (through fragments) to too many fields: shapes that
// complexity alone does not bound well.
//
// It must run before the complexity extension: gqlgen's complexity walk (and execution)
// expand every fragment spread, so their work is the expanded field count, which only this
// check bounds (a document of n fragments each spreading the next twice expands to 2^n).
type queryLimits struct {
	maxDepth, maxIntrospectionDepth, maxIntrospections, maxAliases, maxRootFields, maxSelections int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = queryLimits{}

func (queryLimits) ExtensionName() string                   { return "QueryLimits" }
func (queryLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l queryLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if op == nil {
		return nil
	}
	f, err := measure(ctx, op.SelectionSet)
	if err != nil {
		return err
	}
	switch {
	case f.fields > l.maxRootFields:
		return limitError(fmt.Sprintf("operation has %s root fields; the limit is %d", count(f.fields), l.maxRootFields))
	case f.selections > l.maxSelections:
		return limitError(fmt.Sprintf("operation selects %s fields once its fragments are expanded; the limit is %d", count(f.selections), l.maxSelections))
	case f.depth > l.maxDepth:
		return limitError(fmt.Sprintf("operation is %d levels deep; the limit is %d", f.depth, l.maxDepth))
	case f.introDepth > l.maxIntrospectionDepth:
		return limitError(fmt.Sprintf("introspection is %d levels deep; the limit is %d", f.introDepth, l.maxIntrospectionDepth))
	case f.intros > l.maxIntrospections:
		return limitError(fmt.Sprintf("operation asks for the schema (__schema, __type) %s times; the limit is %d", count(f.intros), l.maxIntrospections))
	case f.aliases > l.maxAliases:
		return limitError(fmt.Sprintf("operation uses %s aliases; the limit is %d", count(f.aliases), l.maxAliases))
	}
	return nil
}

func limitError(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeLimit}}
}

func canceledError() *gqlerror.Error {
	return &gqlerror.Error{Message: "the request was canceled or ran out of time", Extensions: map[string]any{"code": CodeTimeout}}
}

// figures are what the limits look at, for one selection set with its fragments expanded.
// Counts saturate at satMax.
type figures struct {
	fields     int // fields at the top of the set (looking through fragments): root fields
	selections int // fields at any level, every fragment spread expanded
	aliases    int // aliased fields (alias differs from the name), every spread expanded
	depth      int // levels of fields below the set, outside __schema/__type
	introDepth int // levels below the set along paths through __schema/__type (0: none)
	intros     int // __schema and __type fields, every spread expanded (each costs the schema's size)
}

const satMax = math.MaxInt32

func sat(a, b int) int { return min(a+b, satMax) }

func count(n int) string {
	if n >= satMax {
		return fmt.Sprintf("more than %d", satMax-1)
	}
	return fmt.Sprint(n)
}

// add merges the figures of a fragment (or inline fragment) spread into the set holding it.
func (f *figures) add(g figures) {
	f.fields = sat(f.fields, g.fields)
	f.selections = sat(f.selections, g.selections)
	f.aliases = sat(f.aliases, g.aliases)
	f.depth = max(f.depth, g.depth)
	f.introDepth = max(f.introDepth, g.introDepth)
	f.intros = sat(f.intros, g.intros)
}

// measurer computes figures in one pass over the document: each fragment's figures are
// computed once and reused at every spread (they do not depend on where it is spread: depth
// is relative), so the work is linear in the document, whatever its expanded size.
type measurer struct {
	ctx       context.Context
	fragments map[string]figures
	active    map[string]bool // fragments being measured (a cycle, if validation missed one)
	visited   int             // selections visited: the walk's work, for tests
	err       *gqlerror.Error
}

// checkEvery is how many selections the walk visits between looks at the request's context.
const checkEvery = 256

func measure(ctx context.Context, set ast.SelectionSet) (figures, *gqlerror.Error) {
	m := &measurer{ctx: ctx, fragments: map[string]figures{}, active: map[string]bool{}}
	if ctx.Err() != nil {
		return figures{}, canceledError()
	}
	f := m.set(set)
	return f, m.err
}

func (m *measurer) set(set ast.SelectionSet) figures {
	var f figures
	for _, s := range set {
		if m.err != nil {
			return f
		}
		m.visited++
		if m.visited%checkEvery == 0 && m.ctx.Err() != nil {
			m.err = canceledError()
			return f
		}
		switch s := s.(type) {
		case *ast.Field:
			child := m.set(s.SelectionSet)
			f.fields = sat(f.fields, 1)
			f.selections = sat(f.selections, sat(1, child.selections))
			f.aliases = sat(f.aliases, child.aliases)
			f.intros = sat(f.intros, child.intros)
			if s.Alias != "" && s.Alias != s.Name {
				f.aliases = sat(f.aliases, 1)
			}
			if s.Name == "__schema" || s.Name == "__type" {
				// GraphiQL's own schema query is 15 levels deep: introspection has its own
				// depth limit (aliases count as anywhere else). Introspection has no cost in
				// the complexity count, so the number of schema reads is bounded here.
				f.intros = sat(f.intros, 1)
				f.introDepth = max(f.introDepth, 1+max(child.depth, child.introDepth))
			} else {
				f.depth = max(f.depth, 1+child.depth)
				if child.introDepth > 0 {
					f.introDepth = max(f.introDepth, 1+child.introDepth)
				}
			}
		case *ast.InlineFragment:
			f.add(m.set(s.SelectionSet))
		case *ast.FragmentSpread:
			f.add(m.fragment(s))
		}
	}
	return f
}

// fragment returns a fragment's figures, measuring it on its first spread only.
func (m *measurer) fragment(s *ast.FragmentSpread) figures {
	if f, ok := m.fragments[s.Name]; ok {
		return f
	}
	if s.Definition == nil {
		return figures{}
	}
	if m.active[s.Name] { // validation rejects cycles before this runs; never loop anyway
		m.err = limitError(fmt.Sprintf("fragment %s spreads itself", s.Name))
		return figures{}
	}
	m.active[s.Name] = true
	f := m.set(s.Definition.SelectionSet)
	delete(m.active, s.Name)
	m.fragments[s.Name] = f
	return f
}

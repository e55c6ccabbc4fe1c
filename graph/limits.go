package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// queryLimits rejects, before execution, operations that are too deep, use too many aliases
// or ask for too many root fields: shapes that complexity alone does not bound well.
type queryLimits struct {
	maxDepth, maxAliases, maxRootFields int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = queryLimits{}

func (queryLimits) ExtensionName() string                   { return "QueryLimits" }
func (queryLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l queryLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if op == nil {
		return nil
	}
	if n := countFields(op.SelectionSet, map[string]bool{}); n > l.maxRootFields {
		return limitError(fmt.Sprintf("operation has %d root fields; the limit is %d", n, l.maxRootFields))
	}
	aliases := 0
	depth := walk(op.SelectionSet, 1, &aliases, map[string]bool{})
	if depth > l.maxDepth {
		return limitError(fmt.Sprintf("operation is %d levels deep; the limit is %d", depth, l.maxDepth))
	}
	if aliases > l.maxAliases {
		return limitError(fmt.Sprintf("operation uses %d aliases; the limit is %d", aliases, l.maxAliases))
	}
	return nil
}

func limitError(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeLimit}}
}

// countFields counts the fields of a selection set, looking through fragments.
func countFields(set ast.SelectionSet, seen map[string]bool) int {
	n := 0
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			n++
		case *ast.InlineFragment:
			n += countFields(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				n += countFields(s.Definition.SelectionSet, seen)
				delete(seen, s.Name)
			}
		}
	}
	return n
}

// walk returns the depth of a selection set and counts aliases (fields whose alias differs
// from their name). Fragment cycles are rejected by validation before this runs.
func walk(set ast.SelectionSet, depth int, aliases *int, seen map[string]bool) int {
	deepest := depth - 1
	for _, s := range set {
		var d int
		switch s := s.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				*aliases++
			}
			if s.Name == "__schema" || s.Name == "__type" {
				// Introspection is bounded by the schema itself, and GraphiQL's own schema
				// query is 15 levels deep: it must not count against the limit.
				continue
			}
			d = depth
			if len(s.SelectionSet) > 0 {
				d = walk(s.SelectionSet, depth+1, aliases, seen)
			}
		case *ast.InlineFragment:
			d = walk(s.SelectionSet, depth, aliases, seen)
		case *ast.FragmentSpread:
			if s.Definition == nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			d = walk(s.Definition.SelectionSet, depth, aliases, seen)
			delete(seen, s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

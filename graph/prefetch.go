package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/vikstrous/dataloadgen"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/policygraph/policygraph/kg"
)

// Prefetching makes batching deterministic for the common shape "a page of nodes, each with
// its relationships": the list resolver looks ahead at `edges { node { relationships(...) } }`
// (and a source's `supports`), loads them for the whole page in one query per distinct
// argument set, and primes the request's loaders, so the nested resolvers find their data
// without waiting on a timing window. Deeper nesting still goes through the loaders.

// allTypes lets field collection look into fragments on every object, interface and union
// type of the schema (a look-ahead that skipped `...Net on Network` or `...Rel on
// Relationship` would leave out parts the client selected).
var allTypes = func() []string {
	var out []string
	for name, def := range parsedSchema.Types {
		switch def.Kind {
		case ast.Object, ast.Interface, ast.Union:
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}()

// childFields collects the fields named name under the current field's selection, following
// the path of field names given (e.g. "edges", "node").
func childFields(ctx context.Context, path ...string) []graphql.CollectedField {
	if graphql.GetFieldContext(ctx) == nil {
		return nil
	}
	oc := graphql.GetOperationContext(ctx)
	fields := graphql.CollectFieldsCtx(ctx, allTypes)
	for _, name := range path {
		var next []graphql.CollectedField
		for _, f := range fields {
			if f.Name == name {
				next = append(next, graphql.CollectFields(oc, f.Selections, allTypes)...)
			}
		}
		fields = next
	}
	return fields
}

// relSelection reads, from the selection set of a `relationships` field, what its page may
// leave out: the unselected parts of the far-end nodes (under edges.other, edges.node.from and
// edges.node.to) and the relationships' citations when edges.node.citations is not selected.
func relSelection(oc *graphql.OperationContext, sel ast.SelectionSet) (other kg.Omit, noCitations bool) {
	other, noCitations = kg.OmitAll(), true
	for _, e := range graphql.CollectFields(oc, sel, allTypes) {
		if e.Name != "edges" {
			continue
		}
		for _, f := range graphql.CollectFields(oc, e.Selections, allTypes) {
			switch f.Name {
			case "other":
				other = keep(other, oc, f.Selections)
			case "node":
				for _, g := range graphql.CollectFields(oc, f.Selections, allTypes) {
					switch g.Name {
					case "citations":
						noCitations = false
					case "from", "to":
						other = keep(other, oc, g.Selections)
					}
				}
			}
		}
	}
	return other, noCitations
}

// keep clears from o the parts a node selection set selects.
func keep(o kg.Omit, oc *graphql.OperationContext, sel ast.SelectionSet) kg.Omit {
	return needs(o, graphql.CollectFields(oc, sel, allTypes))
}

// prefetch primes the relationship and supports loaders for nodes listed at path.
func (r *Resolver) prefetch(ctx context.Context, ids []string, path ...string) error {
	if len(ids) == 0 {
		return nil
	}
	l := loadersFrom(ctx, r.Store)
	oc := graphql.GetOperationContext(ctx)
	done := map[relKey]bool{}
	for _, f := range childFields(ctx, path...) {
		args := f.ArgumentMap(oc.Variables)
		switch f.Name {
		case "relationships":
			q := kg.RelQuery{Types: argStrings(args["types"]), Direction: kg.Direction(argString(args["direction"])),
				First: argInt(args["first"], kg.DefaultFirst), After: argString(args["after"])}
			if q.Validate() != nil {
				continue // the resolver reports the error with the argument's name
			}
			q.Other, q.NoCitations = relSelection(oc, f.Selections)
			key := relKeyOf("", q)
			if done[key] {
				continue
			}
			done[key] = true
			pages, err := r.Store.RelationshipsOf(ctx, ids, q)
			if err != nil {
				return err
			}
			for _, id := range ids {
				key.id = id
				l.rels.Prime(key, pages[id])
			}
		case "supports", "citedBy":
			first, after := argInt(args["first"], kg.DefaultFirst), argString(args["after"])
			mark := relKey{types: f.Name, first: first, after: after}
			sources := sourceIDs(ids)
			if kg.CheckFirst("first", first) != nil || done[mark] || len(sources) == 0 {
				continue
			}
			done[mark] = true
			var err error
			if f.Name == "supports" {
				err = primeSources(ctx, l.supports, sources, first, after, r.Store.SupportedBy)
			} else {
				err = primeSources(ctx, l.citedBy, sources, first, after, r.Store.CitedBy)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func argString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case interface{ String() string }:
		return s.String()
	}
	return ""
}

func argInt(v any, def int) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return def
}

func argStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, argString(x))
	}
	return out
}

func sourceIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, kg.IDPrefix[kg.TypeSource]) {
			out = append(out, id)
		}
	}
	return out
}

// primeSources fetches one page per source in one query and primes the loader with it.
func primeSources[V any](ctx context.Context, l *dataloadgen.Loader[supportsKey, V], ids []string, first int, after string,
	fetch func(context.Context, []string, int, string) (map[string]V, error)) error {
	pages, err := fetch(ctx, ids, first, after)
	if err != nil {
		return err
	}
	for _, id := range ids {
		l.Prime(supportsKey{id: id, first: first, after: after}, pages[id])
	}
	return nil
}

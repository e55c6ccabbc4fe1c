package graph

import (
	"context"
	"errors"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/policygraph/policygraph/graph/model"
	"github.com/policygraph/policygraph/kg"
)

// Shared bodies of the generated resolver methods, so each of those stays one line.

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func strs[T ~string](in []T) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		out = append(out, string(v))
	}
	return out
}

// relationships resolves `relationships` on any node through the per-request batch loader.
func (r *Resolver) relationships(ctx context.Context, id string, self model.Node, types []model.RelationshipType, direction *model.Direction, first *int, after *string) (*model.RelationshipConnection, error) {
	q := kg.RelQuery{Types: strs(types), Direction: kg.Direction(deref(direction, model.DirectionBoth)),
		First: deref(first, kg.DefaultFirst), After: deref(after, "")}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		q.Other, q.NoCitations = relSelection(graphql.GetOperationContext(ctx), fc.Field.Selections)
	}
	page, err := loadersFrom(ctx, r.Store).rels.Load(ctx, relKeyOf(id, q))
	if err != nil {
		return nil, err
	}
	// The far ends' own nested fields (relationships of relationships) are primed for the
	// whole page at once, so the next level does not go one node at a time.
	if page != nil && len(page.Relationships) > 0 {
		var ends []string
		for _, rel := range page.Relationships {
			ends = append(ends, rel.From, rel.To)
		}
		ends = slices.Compact(slices.Sorted(slices.Values(ends)))
		for _, path := range [][]string{{"edges", "other"}, {"edges", "node", "from"}, {"edges", "node", "to"}} {
			if err := r.prefetch(ctx, ends, path...); err != nil {
				return nil, err
			}
		}
	}
	return relConnection(page, self, id), nil
}

// node resolves node(id): the node with only the selected costly parts and, when selected,
// its first page of relationships, in one round trip (the page primes the loader).
func (r *Resolver) node(ctx context.Context, id string) (model.Node, error) {
	o := omitted(ctx)
	var rq *kg.RelQuery
	var key relKey
	oc := graphql.GetOperationContext(ctx)
	for _, f := range childFields(ctx) {
		if f.Name != "relationships" {
			continue
		}
		args := f.ArgumentMap(oc.Variables)
		q := kg.RelQuery{Types: argStrings(args["types"]), Direction: kg.Direction(argString(args["direction"])),
			First: argInt(args["first"], kg.DefaultFirst), After: argString(args["after"])}
		if q.Validate() != nil {
			break // the field's resolver reports the error with the argument's name
		}
		q.Other, q.NoCitations = relSelection(oc, f.Selections)
		rq, key = &q, relKeyOf(id, q)
		break // one page in the root query; other aliases go through the loader
	}
	n, page, err := r.Store.NodeWith(ctx, id, o, rq)
	if errors.Is(err, kg.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if rq != nil && page != nil {
		loadersFrom(ctx, r.Store).rels.Prime(key, page)
	}
	return toModel(n), nil
}

// nodeList runs a node list query shared by every per-type list.
func (r *Resolver) nodeList(ctx context.Context, q kg.NodeQuery, filter *model.NodeFilter, orderBy *model.NodeOrder, first *int, after *string) (*kg.NodePage, error) {
	if filter != nil {
		q.Country, q.NameContains = deref(filter.Country, ""), deref(filter.NameContains, "")
		q.Since, q.Until = deref(filter.Since, ""), deref(filter.Until, "")
	}
	q.Order = string(deref(orderBy, model.NodeOrderName))
	q.First, q.After = deref(first, kg.DefaultFirst), deref(after, "")
	q.WithTotal = requested(ctx, "totalCount")
	q.Omit = omitted(ctx, "edges", "node")
	page, err := r.Store.ListNodes(ctx, q)
	if err != nil {
		return nil, err
	}
	return page, r.prefetch(ctx, nodeIDs(page.Nodes), "edges", "node")
}

func nodeIDs(ns []*kg.Node) []string {
	ids := make([]string, 0, len(ns))
	for _, n := range ns {
		ids = append(ids, n.ID)
	}
	return ids
}

// typedEdges converts a page to the edges of a typed connection.
func typedEdges[T model.Node, E any](page *kg.NodePage, edge func(cursor string, node T) E) []E {
	out := make([]E, 0, len(page.Nodes))
	for i, n := range page.Nodes {
		if t, ok := toModel(n).(T); ok {
			out = append(out, edge(page.Cursors[i], t))
		}
	}
	return out
}

// requested reports whether the current field's selection includes the named subfield.
func requested(ctx context.Context, name string) bool {
	if graphql.GetFieldContext(ctx) == nil {
		return true
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// omitted says which parts of the nodes at path the query does not select, looking through
// fragments on every node type, so the store does not read them.
func omitted(ctx context.Context, path ...string) kg.Omit {
	if graphql.GetFieldContext(ctx) == nil {
		return kg.Omit{}
	}
	return needs(kg.OmitAll(), childFields(ctx, path...))
}

// projection reads, from the selection of a network answer, what its nodes (at nodePath) and
// edges (at edgePath, whose from and to are nodes too) need.
func projection(ctx context.Context, nodePath, edgePath []string) kg.Projection {
	if graphql.GetFieldContext(ctx) == nil {
		return kg.Projection{}
	}
	at := func(last string) []string { return append(slices.Clone(edgePath), last) }
	o := needs(kg.OmitAll(), childFields(ctx, nodePath...))
	o = needs(o, childFields(ctx, at("from")...))
	o = needs(o, childFields(ctx, at("to")...))
	p := kg.Projection{Nodes: o, NoEdgeCitations: true, NoEdgeDetail: true}
	for _, f := range childFields(ctx, edgePath...) {
		switch f.Name {
		case "id", "type", "from", "to", "version", "history", "__typename":
		case "citations":
			p.NoEdgeCitations = false
		default: // role, outcome, description, dates, inference, and any field added later
			p.NoEdgeDetail = false
		}
	}
	return p
}

// needs clears from o the parts of a node the selected fields read. Fields it does not know
// (any type-specific one) need the details: a new field is read, never silently empty.
func needs(o kg.Omit, fields []graphql.CollectedField) kg.Omit {
	for _, f := range fields {
		switch f.Name {
		case "id", "__typename", "relationships", "supports", "citedBy", "history", "version":
		case "name":
			if len(f.Arguments) > 0 {
				o.Names = false // name(lang:) picks among the names
			}
		case "description":
			o.Description = false
		case "degree":
			o.Degree = false
		case "citations":
			o.Citations = false
		case "aliases":
			o.Aliases = false
		case "names":
			o.Names = false
		default:
			o.Detail = false
		}
	}
	return o
}

// edgeFilter turns the common arguments of the relationship queries into a kg.EdgeFilter.
func edgeFilter(types []model.RelationshipType, nodeTypes []model.NodeType, direction *model.Direction, activeAt, since, until *string) (kg.EdgeFilter, error) {
	t, err := kg.NewTimeFilter(deref(activeAt, ""), deref(since, ""), deref(until, ""))
	if err != nil {
		return kg.EdgeFilter{}, err
	}
	return kg.EdgeFilter{Types: strs(types), NodeTypes: strs(nodeTypes),
		Direction: kg.Direction(deref(direction, model.DirectionBoth)), Time: t}, nil
}

package graph

import (
	"context"
	"strings"
	"time"

	"github.com/policygraph/policygraph/graph/model"
	"github.com/policygraph/policygraph/kg"
)

// revision converts a committed revision to its GraphQL form.
func revision(r *kg.Revision) *model.Revision {
	if r == nil {
		return nil
	}
	out := &model.Revision{ID: r.ID, Seq: int(r.Seq), Author: r.Author, At: r.At.UTC().Format(time.RFC3339Nano),
		Operation: r.Operation, Reason: r.Reason, Reverts: ptr(r.Reverts), Changes: []*model.RevisionChange{},
		FeedCursor: FeedCursor(r.Seq)}
	for _, c := range r.Changes {
		out.Changes = append(out.Changes, &model.RevisionChange{Record: c.Record, Kind: model.RecordKind(strings.ToUpper(c.Kind)),
			Before: c.Before, After: c.After})
	}
	return out
}

// revisionConnection converts a page of revisions.
func revisionConnection(p *kg.RevisionPage) *model.RevisionConnection {
	c := &model.RevisionConnection{Edges: []*model.RevisionEdge{}, PageInfo: &model.PageInfo{}}
	if p == nil {
		return c
	}
	c.PageInfo = pageInfo(p.Cursors, p.HasNext)
	for i, r := range p.Revisions {
		c.Edges = append(c.Edges, &model.RevisionEdge{Cursor: p.Cursors[i], Node: revision(r)})
	}
	return c
}

// history is the `history` field of every node and relationship: one store call.
func (r *Resolver) history(ctx context.Context, id string, first *int, after *string) (*model.RevisionConnection, error) {
	page, err := r.Store.History(ctx, id, deref(first, kg.DefaultFirst), deref(after, ""))
	if err != nil {
		return nil, err
	}
	return revisionConnection(page), nil
}

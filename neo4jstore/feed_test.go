package neo4jstore_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
)

// The feed reads the revisions the write path stores: in seq order, from a cursor, with their
// changes parsed from the stored JSON text.
func TestRevisionsAfter(t *testing.T) {
	s := neo4jtest.Store(t)
	ctx := context.Background()
	if seq, err := s.LatestRevisionSeq(ctx); err != nil || seq != 0 {
		t.Fatalf("empty graph: latest seq %d, %v; want 0", seq, err)
	}
	if revs, err := s.RevisionsAfter(ctx, 0, 10); err != nil || len(revs) != 0 {
		t.Fatalf("empty graph: %d revisions, %v", len(revs), err)
	}
	before := time.Now().Add(-time.Minute)
	created := map[string]any{"id": "org:feed-test", "type": "Organization", "name": "Feed Test", "version": float64(1)}
	changed := map[string]any{"id": "org:feed-test", "type": "Organization", "name": "Feed Test 2", "version": float64(2)}
	s1 := neo4jtest.CommitRevision(t, "alice", "createNode", "new org", neo4jtest.Change{Record: "org:feed-test", Kind: "node", After: created})
	s2 := neo4jtest.CommitRevision(t, "bob", "updateNode", "rename", neo4jtest.Change{Record: "org:feed-test", Kind: "node", Before: created, After: changed})
	s3 := neo4jtest.CommitRevision(t, "alice", "deleteNode", "gone", neo4jtest.Change{Record: "org:feed-test", Kind: "node", Before: changed})
	if s2 != s1+1 || s3 != s2+1 {
		t.Fatalf("seqs %d %d %d are not consecutive", s1, s2, s3)
	}

	revs, err := s.RevisionsAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 3 {
		t.Fatalf("got %d revisions, want 3", len(revs))
	}
	for i, want := range []struct {
		seq             int64
		author, op, why string
	}{{s1, "alice", "createNode", "new org"}, {s2, "bob", "updateNode", "rename"}, {s3, "alice", "deleteNode", "gone"}} {
		r := revs[i]
		if r.Seq != want.seq || r.ID != "rev:"+strconv.FormatInt(want.seq, 10) || r.Author != want.author || r.Operation != want.op || r.Reason != want.why {
			t.Errorf("revision %d: %+v, want seq %d by %s (%s: %s)", i, r, want.seq, want.author, want.op, want.why)
		}
		if r.At.Before(before) || r.At.After(time.Now().Add(time.Minute)) {
			t.Errorf("revision %d: at %v is not the commit time", i, r.At)
		}
		if len(r.Changes) != 1 || r.Changes[0].Record != "org:feed-test" || r.Changes[0].Kind != "node" {
			t.Errorf("revision %d: changes %+v", i, r.Changes)
		}
	}
	if c := revs[0].Changes[0]; c.Before != nil || c.After["name"] != "Feed Test" {
		t.Errorf("create: before %v after %v", c.Before, c.After)
	}
	if c := revs[1].Changes[0]; c.Before["name"] != "Feed Test" || c.After["name"] != "Feed Test 2" || c.After["version"] != float64(2) {
		t.Errorf("update: before %v after %v", c.Before, c.After)
	}
	if c := revs[2].Changes[0]; c.After != nil || c.Before["name"] != "Feed Test 2" {
		t.Errorf("delete: before %v after %v", c.Before, c.After)
	}

	// From a cursor, a bounded page.
	page, err := s.RevisionsAfter(ctx, s1, 1)
	if err != nil || len(page) != 1 || page[0].Seq != s2 {
		t.Fatalf("after %d, limit 1: %v, %v; want only seq %d", s1, page, err, s2)
	}
	if latest, err := s.LatestRevisionSeq(ctx); err != nil || latest != s3 {
		t.Fatalf("latest %d, %v; want %d", latest, err, s3)
	}
	if rest, err := s.RevisionsAfter(ctx, s3, 10); err != nil || len(rest) != 0 {
		t.Fatalf("after the newest: %v, %v", rest, err)
	}

	for _, bad := range []struct {
		after int64
		limit int
		field string
	}{{0, 0, "argument limit"}, {0, 501, "argument limit"}, {-1, 10, "argument after"}} {
		_, err := s.RevisionsAfter(ctx, bad.after, bad.limit)
		var ie *kg.InvalidError
		if !errors.Is(err, kg.ErrInvalid) || !errors.As(err, &ie) || ie.Field != bad.field {
			t.Errorf("RevisionsAfter(%d, %d): %v, want invalid %s", bad.after, bad.limit, err, bad.field)
		}
	}
}

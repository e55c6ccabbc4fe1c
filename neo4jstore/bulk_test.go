package neo4jstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
	"github.com/policygraph/policygraph/synth"
)

// load streams a small synthetic graph (several batches, so later batches attach to nodes of
// earlier ones) into s and returns the generator's statistics and what BulkImport created.
func load(t *testing.T, s *neo4jstore.Store, opt neo4jstore.BulkOptions) (synth.Stats, neo4jstore.BulkStats) {
	t.Helper()
	ctx := context.Background()
	var created neo4jstore.BulkStats
	st, err := synth.Generate(synth.Config{Nodes: 2000, Seed: 5, BatchSize: 600}, func(b synth.Batch) error {
		c, err := s.BulkImport(ctx, b.Nodes, b.Relationships, opt)
		created.NodesCreated += c.NodesCreated
		created.RelationshipsCreated += c.RelationshipsCreated
		return err
	})
	if err != nil {
		t.Fatalf("load (%+v): %v", opt, err)
	}
	return st, created
}

// checkGraph asserts that the graph holds exactly the generated nodes and relationships, and
// that every node stores its exact degree.
func checkGraph(t *testing.T, s *neo4jstore.Store, st synth.Stats) {
	t.Helper()
	ctx := context.Background()
	n, err := s.CountNodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(st.Nodes) {
		t.Errorf("graph holds %d nodes, generated %d", n, st.Nodes)
	}
	counts, err := s.CountRelationships(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for typ, c := range counts {
		total += c
		if c != int64(st.RelsByType[typ]) {
			t.Errorf("%s: %d relationships, generated %d", typ, c, st.RelsByType[typ])
		}
	}
	if total != int64(st.Relationships) {
		t.Errorf("graph holds %d relationships, generated %d", total, st.Relationships)
	}
	wrong, err := s.WrongDegrees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if wrong != 0 {
		t.Errorf("%d nodes store a degree other than their number of relationships", wrong)
	}
}

func TestBulkImportFreshThenMerge(t *testing.T) {
	s := neo4jtest.Store(t)
	st, created := load(t, s, neo4jstore.BulkOptions{Fresh: true, Rows: 300})
	if created.NodesCreated != st.Nodes || created.RelationshipsCreated != st.Relationships {
		t.Errorf("fresh load created %+v, generated %d nodes and %d relationships", created, st.Nodes, st.Relationships)
	}
	checkGraph(t, s, st)

	// Loading the same graph again with MERGE creates nothing and keeps the degrees exact.
	_, again := load(t, s, neo4jstore.BulkOptions{})
	if again != (neo4jstore.BulkStats{}) {
		t.Errorf("second (MERGE) load created %+v, want nothing", again)
	}
	checkGraph(t, s, st)

	// A Fresh load into a graph that holds the ids fails on the uniqueness constraints and
	// writes nothing.
	_, err := synth.Generate(synth.Config{Nodes: 2000, Seed: 5, BatchSize: 600}, func(b synth.Batch) error {
		_, err := s.BulkImport(context.Background(), b.Nodes, b.Relationships, neo4jstore.BulkOptions{Fresh: true})
		return err
	})
	if !errors.Is(err, kg.ErrConflict) {
		t.Errorf("fresh load over an existing graph: %v, want a conflict", err)
	}
	checkGraph(t, s, st)
}

func TestBulkImportMergeIntoEmptyGraph(t *testing.T) {
	s := neo4jtest.Store(t)
	st, created := load(t, s, neo4jstore.BulkOptions{})
	if created.NodesCreated != st.Nodes || created.RelationshipsCreated != st.Relationships {
		t.Errorf("load created %+v, generated %d nodes and %d relationships", created, st.Nodes, st.Relationships)
	}
	checkGraph(t, s, st)
}

func TestBulkImportFreshRefusesDanglingRelationship(t *testing.T) {
	s := neo4jtest.Store(t)
	ctx := context.Background()
	nodes := []kg.Node{{ID: "person:a", Type: kg.TypePerson, Name: "A"}}
	rels := []kg.Relationship{{From: "person:a", Type: "MEMBER_OF", To: "org:missing"}}
	_, err := s.BulkImport(ctx, nodes, rels, neo4jstore.BulkOptions{Fresh: true})
	if !errors.Is(err, kg.ErrInvalid) {
		t.Fatalf("fresh load with a dangling endpoint: %v, want invalid input", err)
	}
	if n, err := s.CountNodes(ctx); err != nil || n != 0 {
		t.Errorf("after the refused load: %d nodes (%v), want none", n, err)
	}
}

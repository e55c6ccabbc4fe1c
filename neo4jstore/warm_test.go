package neo4jstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/neo4jstore"
)

// PlansReady is false until the heavy statements have run once (planned), warms them in the
// background, once, and turns true; with Neo4j unreachable it stays false, and a failed
// readiness check makes a warm store plan again.
func TestPlansWarmBeforeReady(t *testing.T) {
	shared := neo4jtest.Store(t) // the lock and a migrated, empty database
	neo4jtest.LoadBundled(t, shared)
	cfg := neo4jtest.Config(t)
	s, err := neo4jstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if s.PlansReady() {
		t.Fatal("a new store says its plans are ready")
	}
	before := s.QueryCount()
	deadline := time.Now().Add(2 * time.Minute)
	for !s.PlansReady() {
		if time.Now().After(deadline) {
			t.Fatal("plans never became ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ran := s.QueryCount() - before; ran < 8 {
		t.Errorf("warming ran %d statements, want at least 8 (timelines, node, neighbourhood, search)", ran)
	}

	// Unreachable Neo4j: readiness fails, the plans go cold and cannot warm.
	dead := cfg
	dead.URI = "bolt://127.0.0.1:1"
	d, err := neo4jstore.New(dead)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WarmPlans(context.Background()); err == nil {
		t.Error("WarmPlans succeeded against an unreachable Neo4j")
	}
	if d.PlansReady() {
		t.Error("plans ready against an unreachable Neo4j")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if d.Ready(ctx) == nil {
		t.Error("Ready succeeded against an unreachable Neo4j")
	}
	if d.PlansReady() {
		t.Error("plans ready after a failed readiness check")
	}
	if err := d.Close(context.Background()); err != nil { // waits for the background warm-up
		t.Error(err)
	}
}

package neo4jstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
)

// collector is a GraphWriter that keeps what it receives, in order.
type collector struct {
	begins int
	info   kg.ExportInfo
	nodes  []*kg.Node
	edges  []*kg.Relationship
	failAt int // fail on this node (1-based); 0 never
}

func (c *collector) Begin(i kg.ExportInfo) error { c.begins++; c.info = i; return nil }
func (c *collector) Node(n *kg.Node) error {
	c.nodes = append(c.nodes, n)
	if len(c.nodes) == c.failAt {
		return errors.New("writer failed")
	}
	return nil
}
func (c *collector) Edge(e *kg.Relationship) error { c.edges = append(c.edges, e); return nil }

func TestExportWholeGraphStreamsEverything(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	nodes, rels, _, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	if err := s.Export(ctx, kg.ExportQuery{}, kg.Parts{Nodes: true, Edges: true}, &c); err != nil {
		t.Fatal(err)
	}
	sum := func(m map[string]int64) (n int64) {
		for _, v := range m {
			n += v
		}
		return n
	}
	if c.begins != 1 || int64(len(c.nodes)) != sum(nodes) || int64(len(c.edges)) != sum(rels) {
		t.Fatalf("begins %d, %d nodes (want %d), %d edges (want %d)", c.begins, len(c.nodes), sum(nodes), len(c.edges), sum(rels))
	}
	if !slices.IsSortedFunc(c.nodes, func(a, b *kg.Node) int { return cmpStr(a.ID, b.ID) }) {
		t.Error("nodes are not in id order")
	}
	seen := map[string]bool{}
	for _, n := range c.nodes {
		seen[n.ID] = true
	}
	for _, e := range c.edges {
		if !seen[e.From] || !seen[e.To] {
			t.Fatalf("edge %s joins a node that was not exported", e.ID)
		}
		if len(e.Citations) == 0 || e.Citations[0].Source == nil || e.Citations[0].Source.Name == "" || e.Citations[0].Quote == "" {
			t.Fatalf("edge %s lacks its citations with source names: %+v", e.ID, e.Citations)
		}
	}
	// Only the edges: no node is read.
	var edgesOnly collector
	if err := s.Export(ctx, kg.ExportQuery{Filter: kg.EdgeFilter{Types: []string{"PARTY_TO"}}}, kg.Parts{Edges: true}, &edgesOnly); err != nil {
		t.Fatal(err)
	}
	if len(edgesOnly.nodes) != 0 || int64(len(edgesOnly.edges)) != rels["PARTY_TO"] {
		t.Errorf("PARTY_TO edges only: %d nodes, %d edges (want %d)", len(edgesOnly.nodes), len(edgesOnly.edges), rels["PARTY_TO"])
	}
	// A writer error stops the stream and is returned.
	failing := collector{failAt: 3}
	if err := s.Export(ctx, kg.ExportQuery{}, kg.Parts{Nodes: true, Edges: true}, &failing); err == nil || len(failing.nodes) != 3 || len(failing.edges) != 0 {
		t.Errorf("failing writer: err %v after %d nodes, %d edges", err, len(failing.nodes), len(failing.edges))
	}
}

// A selection is the same subgraph as the GraphQL neighborhood query.
func TestExportSelectionMatchesNeighborhood(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	nb, err := s.Neighborhood(ctx, kg.NeighborhoodQuery{ID: "org:aclu", Depth: 2, Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	if err := s.Export(ctx, kg.ExportQuery{IDs: []string{"org:aclu"}, Depth: 2, Limit: 40}, kg.Parts{Nodes: true, Edges: true}, &c); err != nil {
		t.Fatal(err)
	}
	if c.info.Truncated != nb.Truncated || c.info.Nodes != len(nb.Nodes) || len(c.nodes) != len(nb.Nodes) || len(c.edges) != len(nb.Edges) {
		t.Errorf("export %+v (%d nodes, %d edges), neighborhood %d nodes %d edges truncated %v",
			c.info, len(c.nodes), len(c.edges), len(nb.Nodes), len(nb.Edges), nb.Truncated)
	}
	// Two centres reach at least what each reaches alone.
	var two collector
	if err := s.Export(ctx, kg.ExportQuery{IDs: []string{"org:aclu", "policy:migrant-protection-protocols"}, Depth: 1, Limit: 500}, kg.Parts{Nodes: true}, &two); err != nil {
		t.Fatal(err)
	}
	one, _ := s.Neighborhood(ctx, kg.NeighborhoodQuery{ID: "policy:migrant-protection-protocols", Depth: 1, Limit: 500})
	ids := map[string]bool{}
	for _, n := range two.nodes {
		ids[n.ID] = true
	}
	for _, n := range one.Nodes {
		if !ids[n.ID] {
			t.Errorf("two-centre export lacks %s, a neighbour of the second centre", n.ID)
		}
	}
	// Unknown ids are named; nothing is written.
	var none collector
	err = s.Export(ctx, kg.ExportQuery{IDs: []string{"org:aclu", "org:nope"}}, kg.Parts{Nodes: true}, &none)
	if !errors.Is(err, kg.ErrNotFound) || none.begins != 0 {
		t.Errorf("unknown id: %v, begins %d", err, none.begins)
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// An unknown centre is NOT_FOUND, for the GraphQL neighbourhood and for an export with depth
// (the neighbourhood query returns no row at all then).
func TestNeighborhoodOfUnknownNode(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	if _, err := s.Neighborhood(ctx, kg.NeighborhoodQuery{ID: "org:nope", Depth: 1, Limit: 10}); !errors.Is(err, kg.ErrNotFound) {
		t.Errorf("neighborhood of an unknown id: %v", err)
	}
	var c collector
	err := s.Export(ctx, kg.ExportQuery{IDs: []string{"org:nope"}, Depth: 2}, kg.Parts{Nodes: true, Edges: true}, &c)
	if !errors.Is(err, kg.ErrNotFound) || c.begins != 0 {
		t.Errorf("export around an unknown id: %v, begins %d", err, c.begins)
	}
}

// Lists read only the parts the client selected: with Omit, no description, degree or
// citations come back; without, they do (citations: Statistics; descriptions: organizations).
func TestListsReadOnlyWhatIsSelected(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	all := kg.Omit{Description: true, Degree: true, Citations: true}
	for _, o := range []kg.Omit{{}, all} {
		stats, err := s.ListNodes(ctx, kg.NodeQuery{Types: []string{kg.TypeStatistic}, First: 5, Omit: o})
		if err != nil {
			t.Fatal(err)
		}
		found, err := s.Search(ctx, kg.SearchQuery{Text: "ACLU", Types: []string{kg.TypeOrganization}, First: 1, Omit: o})
		if err != nil {
			t.Fatal(err)
		}
		if len(stats.Nodes) == 0 || len(found.Nodes) != 1 {
			t.Fatalf("no statistics listed (%d) or ACLU not found (%d)", len(stats.Nodes), len(found.Nodes))
		}
		for _, n := range stats.Nodes {
			if got := n.Degree != 0 && len(n.Citations) != 0; got == (o == all) || n.Value == nil {
				t.Errorf("omit %+v: statistic %s has degree %d, %d citations, value %v", o, n.ID, n.Degree, len(n.Citations), n.Value)
			}
		}
		aclu := found.Nodes[0]
		if got := aclu.Description != "" && aclu.Degree != 0; got == (o == all) || aclu.Name == "" {
			t.Errorf("omit %+v: %s has description %q, degree %d", o, aclu.ID, aclu.Description, aclu.Degree)
		}
	}
}

// A network answer whose edges are drawn, not read (kg.Projection.NoEdgeDetail), has the
// same edges with only their id, type and ends: no role, description or dates are read.
func TestNetworkEdgesReadOnlyWhatIsSelected(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	read := func(p kg.Projection) *kg.Network {
		n, err := s.Neighborhood(ctx, kg.NeighborhoodQuery{ID: "org:aclu", Depth: 2, Limit: 60, Filter: kg.EdgeFilter{Direction: kg.Both}, Project: p})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	full, lean := read(kg.Projection{}), read(kg.Projection{NoEdgeCitations: true, NoEdgeDetail: true})
	if len(full.Edges) == 0 || len(full.Edges) != len(lean.Edges) {
		t.Fatalf("%d edges in full, %d lean", len(full.Edges), len(lean.Edges))
	}
	detailed := 0
	for i, e := range full.Edges {
		l := lean.Edges[i]
		if l.ID != e.ID || l.Type != e.Type || l.From != e.From || l.To != e.To || l.Version != e.Version {
			t.Errorf("edge %d: lean %+v, full %+v", i, l, e)
		}
		if e.Description != "" || e.StartDate != "" || e.Role != "" {
			detailed++
		}
		if l.Description != "" || l.StartDate != "" || l.Role != "" || len(l.Citations) != 0 {
			t.Errorf("lean edge %s read its details: %+v", l.ID, l)
		}
	}
	if detailed == 0 {
		t.Error("no edge of the full read has a description, a start date or a role: the test proves nothing")
	}
}

package graph_test

import "testing"

// The look-ahead that decides what the store reads follows fragments on every type: edges
// selected through `...Net on Network` and `...Rel on Relationship` still get their citations,
// and nodes selected through a fragment on Node their descriptions.
func TestProjectionFollowsFragments(t *testing.T) {
	e := setup(t)
	q := `fragment B on Node { id description }
fragment R on Relationship { id citations { quote } }
fragment Net on Network { nodes { ...B } edges { ...R } }
{ neighborhood(id: "org:aclu", depth: 1, limit: 30) { ...Net }
  node(id: "org:aclu") { ... on Organization { relationships(first: 5) { edges { ...E } } } } }
fragment E on RelationshipEdge { node { ...R } other { ...B } }`
	var got struct {
		Neighborhood struct {
			Nodes []struct{ ID, Description string }
			Edges []struct {
				ID        string
				Citations []struct{ Quote string }
			}
		}
		Node struct {
			Relationships struct {
				Edges []struct {
					Node struct {
						ID        string
						Citations []struct{ Quote string }
					}
					Other struct{ ID, Description string }
				}
			}
		}
	}
	decode(t, e.data(q, nil), &got)
	described := 0
	for _, n := range got.Neighborhood.Nodes {
		if n.Description != "" {
			described++
		}
	}
	if len(got.Neighborhood.Edges) == 0 || described == 0 {
		t.Fatalf("neighbourhood: %d edges, %d nodes described", len(got.Neighborhood.Edges), described)
	}
	for _, ed := range got.Neighborhood.Edges {
		if len(ed.Citations) == 0 || ed.Citations[0].Quote == "" {
			t.Errorf("edge %s selected through fragments came without its citations", ed.ID)
		}
	}
	rels := got.Node.Relationships.Edges
	if len(rels) == 0 {
		t.Fatal("no relationships")
	}
	for _, ed := range rels {
		if len(ed.Node.Citations) == 0 {
			t.Errorf("relationship %s selected through fragments came without its citations", ed.Node.ID)
		}
	}
}

// Edge details selected through a fragment are read; edges selected for drawing only (id,
// type, ends) are the same edges.
func TestEdgeDetailFollowsFragments(t *testing.T) {
	e := setup(t)
	type edge struct {
		ID, Type, StartDate, Description string
		From, To                         struct{ ID string }
	}
	var lean, rich struct{ Neighborhood struct{ Edges []edge } }
	decode(t, e.data(`{ neighborhood(id: "org:aclu", depth: 2, limit: 60) { edges { id type from { id } to { id } } } }`, nil), &lean)
	decode(t, e.data(`fragment D on Relationship { startDate description }
{ neighborhood(id: "org:aclu", depth: 2, limit: 60) { edges { id type from { id } to { id } ...D } } }`, nil), &rich)
	if len(lean.Neighborhood.Edges) == 0 || len(lean.Neighborhood.Edges) != len(rich.Neighborhood.Edges) {
		t.Fatalf("%d lean edges, %d rich", len(lean.Neighborhood.Edges), len(rich.Neighborhood.Edges))
	}
	detailed := 0
	for i, l := range lean.Neighborhood.Edges {
		r := rich.Neighborhood.Edges[i]
		if l.ID != r.ID || l.Type != r.Type || l.From != r.From || l.To != r.To {
			t.Errorf("edge %d: lean %+v, rich %+v", i, l, r)
		}
		if r.StartDate != "" || r.Description != "" {
			detailed++
		}
	}
	if detailed == 0 {
		t.Error("no edge selected through the fragment came with its start date or description")
	}
}

package neo4jstore

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/policygraph/policygraph/kg"
)

// planStore opens the test Neo4j for EXPLAIN-only tests (they need no data of their own).
func planStore(t *testing.T) *Store {
	t.Helper()
	uri := os.Getenv("POLICYGRAPH_TEST_NEO4J_URI")
	if uri == "" {
		if os.Getenv("POLICYGRAPH_REQUIRE_NEO4J") != "" || os.Getenv("CI") != "" {
			t.Fatal("POLICYGRAPH_TEST_NEO4J_URI is not set but a Neo4j is required here")
		}
		t.Skip("no test Neo4j (POLICYGRAPH_TEST_NEO4J_URI unset)")
	}
	pw := os.Getenv("NEO4J_PASSWORD")
	if pw == "" {
		pw = "policygraph"
	}
	s, err := New(Config{URI: uri, User: "neo4j", Password: pw, Database: "neo4j", QueryTimeout: time.Minute}) // planning the 33-type statements can take seconds
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func explain(t *testing.T, s *Store, cypher string, params map[string]any) []string {
	t.Helper()
	res, err := s.read(context.Background(), "EXPLAIN "+cypher, params)
	if err != nil {
		t.Fatalf("EXPLAIN failed: %v\n%s", err, cypher)
	}
	return operators(res.Summary.Plan())
}

// hasOp reports whether ops has an operator whose name starts with prefix.
func hasOp(ops []string, prefix string) bool {
	return slices.ContainsFunc(ops, func(op string) bool { return strings.HasPrefix(op, prefix) })
}

var listParams = map[string]any{"types": []string{"Person", "Organization"}, "kinds": []string{"NGO"}, "statuses": []string{"IN_EFFECT"},
	"country": "MX", "name": "a", "since": "2019-01-01", "until": "2019-12-31", "limit": 21, "afterId": "org:a", "afterKey": "a"}

// Node lists ordered by NAME, DEGREE or ID read a range index in order when no filter
// narrows them (no Sort or Top of the matched nodes, for every type label), and never scan every
// node or sort a whole label when filters are given (the planner then starts from the most
// selective filter's index). Plans are facts, not timings: this holds on an empty graph as on
// a million nodes.
func TestListPlansAreIndexOrdered(t *testing.T) {
	s := planStore(t)
	params := func(order string) map[string]any {
		p := map[string]any{"types": []string{"Person", "Organization"}, "kinds": []string{"NGO"}, "statuses": []string{"IN_EFFECT"},
			"country": "MX", "name": "a", "since": "2019-01-01", "until": "2019-12-31", "limit": 21, "afterId": "org:a", "afterKey": "a"}
		if order == kg.OrderDegree {
			p["afterKey"] = 3
		}
		return p
	}
	index := func(ops []string) bool {
		return slices.ContainsFunc(ops, func(op string) bool { return strings.Contains(op, "Index") })
	}
	for _, order := range []string{kg.OrderName, kg.OrderDegree, kg.OrderID} {
		for _, label := range append([]string{""}, kg.NodeTypes...) {
			for _, after := range []bool{false, true} {
				sp := listSpec{label: label, order: order, after: after}
				ops := explain(t, s, listCypher.get(sp), params(order))
				joined := strings.Join(ops, " ")
				if hasOp(ops, "Sort") || hasOp(ops, "Top") || !index(ops) {
					t.Errorf("%s/%s/after=%v: not read in index order: %s", order, label, after, joined)
				}
			}
		}
		filters := map[string]func(*listSpec){
			"kinds":   func(sp *listSpec) { sp.kinds = true },
			"country": func(sp *listSpec) { sp.country = true },
			"all": func(sp *listSpec) {
				sp.kinds, sp.statuses, sp.country, sp.name, sp.since, sp.until, sp.after = true, true, true, true, true, true, true
			},
		}
		for fname, f := range filters {
			for _, label := range []string{"", kg.TypeOrganization} {
				sp := listSpec{label: label, order: order, types: label == ""}
				f(&sp)
				ops := explain(t, s, listCypher.get(sp), params(order))
				joined := strings.Join(ops, " ")
				if hasOp(ops, "AllNodesScan") || (hasOp(ops, "NodeByLabelScan") && (hasOp(ops, "Sort") || hasOp(ops, "Top"))) {
					t.Errorf("%s/%s/%s: scans and sorts: %s", order, label, fname, joined)
				}
			}
		}
	}
}

// Relationship pages, node reads, search and the source back-links start from an index or the
// full-text index, never from a scan of every node.
func TestReadPlansStartFromAnIndex(t *testing.T) {
	s := planStore(t)
	rel := func(types string, dir kg.Direction, after bool) relSpec {
		return relSpec{types: types, dir: dir, after: after, other: kg.Omit{Citations: true}, noCitations: true}
	}
	relParams := map[string]any{"ids": []string{"org:a"}, "id": "org:a", "limit": 21, "after": "rel:x"}
	cases := map[string]struct {
		cypher string
		params map[string]any
	}{
		"node":                {nodeCypher.get(nodeSpec{}), relParams},
		"node with page":      {nodeCypher.get(nodeSpec{rels: true, rel: rel("", kg.Both, false)}), relParams},
		"relationships":       {relsOfCypher.get(rel("", kg.Both, false)), relParams},
		"relationships typed": {relsOfCypher.get(rel("PARTY_TO|OPPOSES", kg.Outgoing, true)), relParams},
		"relationships in":    {relsOfCypher.get(rel("", kg.Incoming, true)), relParams},
		"search":              {searchCypher.get(kg.Omit{}), map[string]any{"q": "aclu", "types": []string{}, "afterId": nil, "afterScore": nil, "limit": 21}},
		"search omitting all": {searchCypher.get(kg.Omit{Description: true, Degree: true, Citations: true}), map[string]any{"q": "aclu", "types": []string{"Policy"}, "afterId": nil, "afterScore": nil, "limit": 21}},
	}
	for name, c := range cases {
		ops := explain(t, s, c.cypher, c.params)
		joined := strings.Join(ops, " ")
		if hasOp(ops, "AllNodesScan") || hasOp(ops, "NodeByLabelScan") || hasOp(ops, "AllRelationshipsScan") {
			t.Errorf("%s: scans instead of starting from an index: %s", name, joined)
		}
		if hasOp(ops, "Sort") && !strings.HasPrefix(name, "search") {
			t.Errorf("%s: full sort: %s", name, joined)
		}
	}
}

package neo4jstore

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// The network queries start from an index: ids through the id index, ranks by degree through
// the stored degree's index in order, timelines without ids through the full-text date
// indexes. No plan scans every node; where an index-backed order is expected there is no
// label scan and no full Sort. Plans are facts (EXPLAIN), not timings, and they do not depend
// on the data: the test runs on whatever graph the test Neo4j holds.
func TestNetworkPlansUseIndexes(t *testing.T) {
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
	s, err := New(Config{URI: uri, User: "neo4j", Password: pw, Database: "neo4j", QueryTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if err := s.Migrate(context.Background()); err != nil { // the indexes the plans need (idempotent)
		t.Fatal(err)
	}
	base := func() map[string]any {
		p := filterParams(kg.EdgeFilter{Direction: kg.Both})
		p["ids"], p["id"], p["from"], p["to"] = []string{"org:a", "org:b"}, "org:a", "org:a", "org:b"
		p["depth"], p["limit"], p["maxEdges"], p["minShared"], p["maxExpand"] = 1, 10, maxEdges, 2, maxExpand
		p["hubDegree"], p["first"], p["rankScan"] = pathHubDegree, 20, rankScan
		return p
	}
	tl := func(q kg.TimelineQuery) map[string]any {
		q.First = 20
		p, _, err := timelineParams(q)
		if err != nil {
			t.Fatal(err)
		}
		pr := timelineProbes(q, "", "2015-01")
		p["probes"] = []map[string]any{{"rel": pr[0].rel, "ev": pr[0].ev}}
		p["fetchRel"], p["fetchEv"] = pr[0].fetchRel, pr[0].fetchEv
		return p
	}
	window, _ := kg.NewTimeFilter("", "2020-01", "2020-03")
	type want struct {
		needs    []string // operators (prefixes) the plan must have
		forbids  []string // operators it must not have
		labelOK  bool     // a label scan is expected (a filtered count over the graph)
		sortOK   bool     // a Sort is allowed (of a bounded input: neighbours, candidates, a page's rows)
		relScans bool     // a relationship-type scan is expected
	}
	idSeek := []string{"NodeUniqueIndexSeek"}
	cases := []struct {
		name   string
		cypher string
		params map[string]any
		want
	}{
		{"neighborhood", neighborhoodCypher[kg.Both], base(), want{needs: idSeek, sortOK: true}},
		{"network", networkCypher, base(), want{needs: idSeek}},
		{"paths", pathsCypher[pathsKey{kg.Both, 4, false}], base(), want{needs: idSeek}},
		{"k-shortest paths", pathsCypher[pathsKey{kg.Both, 4, true}], base(), want{needs: append(idSeek, "NodeIndexSeekByRange"), sortOK: true}},
		{"common connections", commonCypher[kg.Both], base(), want{needs: append(idSeek, "Expand(Into)"), sortOK: true}},
		{"timeline's first dated month", timelineDataFromCypher, nil, want{needs: []string{"NodeIndexScan", "Limit"}}},
		{"timeline probes", timelineProbeCypher, tl(kg.TimelineQuery{}), want{needs: []string{"ProcedureCall"}, sortOK: true}},
		{"timeline window probes", timelineProbeCypher, tl(kg.TimelineQuery{Time: window, IncludeOngoing: true}), want{needs: []string{"ProcedureCall"}, sortOK: true}},
		{"timeline fetch", timelineFetchCypher, tl(kg.TimelineQuery{}), want{needs: []string{"ProcedureCall"}, sortOK: true}},
		{"timeline of ids", timelineByIDsCypher[true], tl(kg.TimelineQuery{IDs: []string{"org:a"}}), want{needs: idSeek, sortOK: true}},
		{"timeline of ids in a window", timelineByIDsCypher[false], func() map[string]any {
			p := tl(kg.TimelineQuery{IDs: []string{"org:a"}, Time: window})
			p["w0YearBefore"] = "2019-01-01"
			return p
		}(), want{needs: idSeek, sortOK: true}},
		{"timeline of types", fmt.Sprintf(timelineByTypesCypher, typeUnion([]string{"SIGNS"})), tl(kg.TimelineQuery{Types: []string{"SIGNS"}}),
			want{relScans: true, sortOK: true}},
		{"rank by degree", rankDegreeAllCypher[kg.Both], base(), want{needs: []string{"NodeIndexScan", "PartialTop"}}},
		{"rank by out-degree", rankDegreeAllCypher[kg.Outgoing], base(), want{needs: []string{"NodeIndexScan"}, labelOK: true, sortOK: true}},
		{"rank by filtered degree", rankDegreeCypher[kg.Both], base(), want{labelOK: true, sortOK: true}},
	}
	for _, c := range cases {
		res, err := s.read(context.Background(), "EXPLAIN "+c.cypher, c.params)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ops := planOperators(res.Summary.Plan())
		joined := strings.Join(ops, " ")
		t.Logf("%s: %s", c.name, joined)
		has := func(prefix string) bool {
			for _, op := range ops {
				if strings.HasPrefix(op, prefix) {
					return true
				}
			}
			return false
		}
		for _, n := range c.needs {
			if !has(n) {
				t.Errorf("%s: plan has no %s: %s", c.name, n, joined)
			}
		}
		bad := []string{"AllNodesScan", "DirectedAllRelationshipsScan", "UndirectedAllRelationshipsScan"}
		if !c.labelOK {
			bad = append(bad, "NodeByLabelScan", "UnionNodeByLabelsScan", "IntersectionNodeByLabelsScan")
		}
		if !c.relScans {
			bad = append(bad, "DirectedRelationshipTypeScan", "UndirectedRelationshipTypeScan", "DirectedUnionRelationshipTypesScan", "UndirectedUnionRelationshipTypesScan")
		}
		if !c.sortOK {
			bad = append(bad, "Sort")
		}
		for _, b := range bad {
			for _, op := range ops {
				if op == b {
					t.Errorf("%s: plan has %s: %s", c.name, op, joined)
				}
			}
		}
	}
}

// planOperators lists a plan's operators, depth first. It reads the driver's plan tree by
// reflection: neo4j-go-driver 5.28's Plan.Children() returns the last child once per child
// (it takes the address of the range variable, and the module is built as Go 1.18), which
// hides every branch but the last (a CartesianProduct of two seeks shows the second twice).
func planOperators(p neo4j.Plan) []string {
	if p == nil {
		return nil
	}
	v := reflect.ValueOf(p)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if f := v.FieldByName("plan"); f.IsValid() { // the driver's wrapper around its db.Plan
		v = f
	}
	var walk func(v reflect.Value) []string
	walk = func(v reflect.Value) []string {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			v = v.Elem()
		}
		out := []string{strings.Split(v.FieldByName("Operator").String(), "@")[0]}
		children := v.FieldByName("Children")
		for i := range children.Len() {
			out = append(out, walk(children.Index(i))...)
		}
		return out
	}
	return walk(v)
}

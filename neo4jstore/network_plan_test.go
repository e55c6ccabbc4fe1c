package neo4jstore_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/neo4jstore"
)

// The network queries start from an index: ids through the id index, ranks by degree through
// the stored degree's index in order, timelines without ids through the full-text date
// indexes, and relationships between bound nodes by expand-into. No plan scans every node or
// relationship; where an index-backed order is expected there is no label scan and no full
// Sort. Plans are facts (EXPLAIN), not timings. They depend on the statistics, so the test
// plans on the bundled dataset: on an empty graph Neo4j scans every relationship (there are
// none) where it would otherwise expand into.
func TestNetworkPlansUseIndexes(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	for _, c := range neo4jstore.NetworkPlanCases() {
		plan, err := s.ExplainForTest(context.Background(), c.Cypher, c.Params)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		ops := planOperators(plan)
		joined := strings.Join(ops, " ")
		t.Logf("%s: %s", c.Name, joined)
		has := func(prefix string) bool {
			for _, op := range ops {
				if strings.HasPrefix(op, prefix) {
					return true
				}
			}
			return false
		}
		for _, n := range c.Needs {
			if !has(n) {
				t.Errorf("%s: plan has no %s: %s", c.Name, n, joined)
			}
		}
		bad := []string{"AllNodesScan", "DirectedAllRelationshipsScan", "UndirectedAllRelationshipsScan"}
		if !c.LabelOK {
			bad = append(bad, "NodeByLabelScan", "UnionNodeByLabelsScan", "IntersectionNodeByLabelsScan")
		}
		if !c.RelScans {
			bad = append(bad, "DirectedRelationshipTypeScan", "UndirectedRelationshipTypeScan", "DirectedUnionRelationshipTypesScan", "UndirectedUnionRelationshipTypesScan")
		}
		if !c.SortOK {
			bad = append(bad, "Sort")
		}
		for _, b := range bad {
			for _, op := range ops {
				if op == b {
					t.Errorf("%s: plan has %s: %s", c.Name, op, joined)
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

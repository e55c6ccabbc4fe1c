package neo4jstore_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/neo4jstore"
)

// Every statement of neo4jstore.PlanCases (lists, node and relationship reads, search, the
// export, the network queries) has the plan it needs: an index where it starts, index order
// where it pages, no scan of every node or relationship, no Sort where the order comes from an
// index, nothing held back where it streams. Plans are facts (EXPLAIN), not timings. They
// follow the statistics, so they are made on a known graph (the bundled dataset, with the test
// database's lock held: no other package writes meanwhile) and afresh (query caches cleared).
func TestPlans(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	if err := s.ClearQueryCachesForTest(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range neo4jstore.PlanCases() {
		plan, err := s.ExplainForTest(context.Background(), c.Cypher, c.Params)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.Name, err, c.Cypher)
		}
		ops := planOperators(plan)
		joined := strings.Join(ops, " ")
		has := func(prefix string) bool {
			for _, op := range ops {
				if strings.HasPrefix(op, prefix) {
					return true
				}
			}
			return false
		}
		for _, n := range c.Needs {
			if !slices.ContainsFunc(strings.Split(n, "|"), has) {
				t.Errorf("%s: plan has no %s: %s", c.Name, n, joined)
			}
		}
		for _, b := range c.Forbids {
			if has(b) {
				t.Errorf("%s: plan has %s: %s", c.Name, b, joined)
			}
		}
		if c.NoSortedScans && has("NodeByLabelScan") && (has("Sort") || has("Top")) {
			t.Errorf("%s: scans a label and sorts it: %s", c.Name, joined)
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

package neo4jstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// Rank by degree of the whole graph reads the stored degree (BOTH) or bounds the count by it
// (OUT, IN), and answers exactly what counting every node's relationships answers: the same
// ranking as with every relationship type named (the counting path), whether the nodes of
// highest stored degree settle it or it falls back to counting.
func TestRankDegreeFromStoredDegree(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	rank := func(dir kg.Direction, types []string, first int) string {
		r, err := s.Rank(ctx, kg.RankQuery{Measure: kg.MeasureDegree, First: first, Filter: kg.EdgeFilter{Direction: dir, Types: types}})
		if err != nil {
			t.Fatal(err)
		}
		var out string
		for _, x := range r {
			out += fmt.Sprintf("%s=%v ", x.Node.ID, x.Score)
		}
		return out
	}
	for _, scan := range []int{1000, 30, 3} { // everything, enough, too few (falls back to counting)
		func() {
			defer neo4jstore.SetRankScan(scan)()
			for _, dir := range []kg.Direction{kg.Both, kg.Outgoing, kg.Incoming} {
				for _, first := range []int{1, 5, 20, 100} {
					got, want := rank(dir, nil, first), rank(dir, kg.RelTypes, first)
					if got != want || got == "" {
						t.Errorf("scan %d, %s, first %d:\n got %s\nwant %s", scan, dir, first, got, want)
					}
				}
			}
		}()
	}
}

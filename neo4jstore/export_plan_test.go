package neo4jstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// The whole-graph export streams: its plans take the id order from the id index (no Sort)
// and hold nothing back (no Eager, no aggregation), so Neo4j sends rows as it finds them.
// Plans are facts (EXPLAIN), not timings.
func TestExportPlansStream(t *testing.T) {
	s := planStore(t)
	for name, cypher := range map[string]string{
		"nodes":           exportNodesCypher,
		"edges":           fmt.Sprintf(exportEdgesCypher, ""),
		"edges of a type": fmt.Sprintf(exportEdgesCypher, typeUnion([]string{"PARTY_TO", "OPPOSES"})),
	} {
		p := filterParams(exportFilterForPlan)
		res, err := s.read(context.Background(), "EXPLAIN "+cypher, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ops := operators(res.Summary.Plan())
		joined := strings.Join(ops, " ")
		t.Logf("%s: %s", name, joined)
		for _, bad := range []string{"Sort", "Eager", "EagerAggregation", "OrderedAggregation"} {
			for _, op := range ops {
				if strings.HasPrefix(op, bad) && !strings.HasPrefix(op, "PartialSort") {
					t.Errorf("%s: plan has %s (it would hold the graph back): %s", name, op, joined)
				}
			}
		}
		if !strings.Contains(joined, "NodeIndexScan") {
			t.Errorf("%s: plan does not read the id index in order: %s", name, joined)
		}
	}
}

func operators(p neo4j.Plan) []string {
	if p == nil {
		return nil
	}
	out := []string{strings.Split(p.Operator(), "@")[0]}
	for _, c := range p.Children() {
		out = append(out, operators(c)...)
	}
	return out
}

var exportFilterForPlan = kg.EdgeFilter{Direction: kg.Both}

package neo4jstore

import (
	"context"
	"fmt"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// Hooks for the network tests of package neo4jstore_test (this file is compiled into tests only).

// SetNetworkBounds lowers kg.PathHubDegree and kg.MaxExpand for the store's queries (0 keeps
// one) and returns a function that restores them.
func SetNetworkBounds(hubDegree, expand int) (restore func()) {
	h, e := pathHubDegree, maxExpand
	if hubDegree > 0 {
		pathHubDegree = hubDegree
	}
	if expand > 0 {
		maxExpand = expand
	}
	return func() { pathHubDegree, maxExpand = h, e }
}

// SetRankScan lowers rankScan and returns a function that restores it.
func SetRankScan(n int) (restore func()) {
	old := rankScan
	rankScan = n
	return func() { rankScan = old }
}

// NetworkReadForTest runs a read query as the store's methods do.
func (s *Store) NetworkReadForTest(ctx context.Context, cypher string, params map[string]any) (*neo4j.EagerResult, error) {
	return s.read(ctx, cypher, params)
}

// FilterParamsForTest are the parameters a filter gives the network queries.
func FilterParamsForTest(f kg.EdgeFilter) map[string]any { return filterParams(f) }

// PlanWant is what a network statement's plan must show (TestNetworkPlansUseIndexes).
type PlanWant struct {
	Needs    []string // operators (prefixes) the plan must have
	LabelOK  bool     // a label scan is expected (a filtered count over the graph)
	SortOK   bool     // a Sort is allowed (of a bounded input: neighbours, candidates, a page's rows)
	RelScans bool     // a relationship-type scan is expected
}

// PlanCase is one network statement to EXPLAIN, with parameters.
type PlanCase struct {
	Name   string
	Cypher string
	Params map[string]any
	PlanWant
}

// NetworkPlanCases lists the network statements with what their plans must show.
func NetworkPlanCases() []PlanCase {
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
			panic(err)
		}
		pr := timelineProbes(q, "", "2015-01")
		p["probes"] = []map[string]any{{"rel": pr[0].rel, "ev": pr[0].ev}}
		p["fetchRel"], p["fetchEv"] = pr[0].fetchRel, pr[0].fetchEv
		return p
	}
	window, _ := kg.NewTimeFilter("", "2020-01", "2020-03")
	idSeek := []string{"NodeUniqueIndexSeek"}
	type want = PlanWant
	return []PlanCase{
		{"neighborhood", neighborhoodCypher[kg.Both], base(), want{Needs: idSeek, SortOK: true}},
		{"network", networkCypher, base(), want{Needs: idSeek}},
		{"paths", pathsCypher[pathsKey{kg.Both, 4, false}], base(), want{Needs: idSeek}},
		{"k-shortest paths", pathsCypher[pathsKey{kg.Both, 4, true}], base(), want{Needs: append(idSeek, "NodeIndexSeekByRange"), SortOK: true}},
		{"common connections", commonCypher[kg.Both], base(), want{Needs: append(idSeek, "Expand(Into)"), SortOK: true}},
		{"timeline's first dated month", timelineDataFromCypher, nil, want{Needs: []string{"NodeIndexScan", "Limit"}}},
		{"timeline probes", timelineProbeCypher, tl(kg.TimelineQuery{}), want{Needs: []string{"ProcedureCall"}, SortOK: true}},
		{"timeline window probes", timelineProbeCypher, tl(kg.TimelineQuery{Time: window, IncludeOngoing: true}), want{Needs: []string{"ProcedureCall"}, SortOK: true}},
		{"timeline fetch", timelineFetchCypher, tl(kg.TimelineQuery{}), want{Needs: []string{"ProcedureCall"}, SortOK: true}},
		{"timeline of ids", timelineByIDsCypher[true], tl(kg.TimelineQuery{IDs: []string{"org:a"}}), want{Needs: idSeek, SortOK: true}},
		{"timeline of ids in a window", timelineByIDsCypher[false], func() map[string]any {
			p := tl(kg.TimelineQuery{IDs: []string{"org:a"}, Time: window})
			p["w0YearBefore"] = "2019-01-01"
			return p
		}(), want{Needs: idSeek, SortOK: true}},
		{"timeline of types", fmt.Sprintf(timelineByTypesCypher, typeUnion([]string{"SIGNS"})), tl(kg.TimelineQuery{Types: []string{"SIGNS"}}),
			want{RelScans: true, SortOK: true}},
		{"rank by degree", rankDegreeAllCypher[kg.Both], base(), want{Needs: []string{"NodeIndexScan", "PartialTop"}}},
		{"rank by out-degree", rankDegreeAllCypher[kg.Outgoing], base(), want{Needs: []string{"NodeIndexScan"}, LabelOK: true, SortOK: true}},
		{"rank by filtered degree", rankDegreeCypher[kg.Both], base(), want{LabelOK: true, SortOK: true}},
	}
}

// ExplainForTest returns the plan of a statement (EXPLAIN: nothing runs).
func (s *Store) ExplainForTest(ctx context.Context, cypher string, params map[string]any) (neo4j.Plan, error) {
	res, err := s.read(ctx, "EXPLAIN "+cypher, params)
	if err != nil {
		return nil, err
	}
	return res.Summary.Plan(), nil
}

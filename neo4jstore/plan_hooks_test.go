package neo4jstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// Hooks for TestPlans (package neo4jstore_test; this file is compiled into tests only): every
// statement whose plan is asserted, with parameters and what its plan must show.

// PlanWant is what a plan must show. Operators are matched by name prefix ("Sort" matches
// Sort, not PartialSort).
type PlanWant struct {
	Needs         []string // operators the plan must have ("A|B": either)
	Forbids       []string // operators it must not have
	NoSortedScans bool     // no label scan together with a Sort or Top (a whole type sorted)
}

// PlanCase is one statement to EXPLAIN.
type PlanCase struct {
	Name   string
	Cypher string
	Params map[string]any
	PlanWant
}

// Operator families forbidden by default.
var (
	nodeScans  = []string{"AllNodesScan", "NodeByLabelScan", "UnionNodeByLabelsScan", "IntersectionNodeByLabelsScan"}
	allRels    = []string{"DirectedAllRelationshipsScan", "UndirectedAllRelationshipsScan"}
	relTypeOps = []string{"DirectedRelationshipTypeScan", "UndirectedRelationshipTypeScan", "DirectedUnionRelationshipTypesScan", "UndirectedUnionRelationshipTypesScan"}
)

func forbid(groups ...[]string) []string { return slices.Concat(groups...) }

// PlanCases lists every asserted statement: lists, reads, exports and the network queries.
func PlanCases() []PlanCase {
	return slices.Concat(listPlanCases(), readPlanCases(), exportPlanCases(), networkPlanCases())
}

// Node lists ordered by NAME, DEGREE or ID read a range index in order when no filter narrows
// them (no Sort or Top of the matched nodes, for every type label, with or without a cursor),
// and never scan every node or sort a whole label when filters are given (the planner then
// starts from the most selective filter's index).
func listPlanCases() []PlanCase {
	params := func(order string) map[string]any {
		p := map[string]any{"types": []string{"Person", "Organization"}, "kinds": []string{"NGO"}, "statuses": []string{"IN_EFFECT"},
			"country": "MX", "name": "a", "since": "2019-01-01", "until": "2019-12-31", "limit": 21, "afterId": "org:a", "afterKey": "a"}
		if order == kg.OrderDegree {
			p["afterKey"] = 3
		}
		return p
	}
	var out []PlanCase
	for _, order := range []string{kg.OrderName, kg.OrderDegree, kg.OrderID} {
		for _, label := range append([]string{""}, kg.NodeTypes...) {
			for _, after := range []bool{false, true} {
				out = append(out, PlanCase{fmt.Sprintf("list %s/%s/after=%v", order, label, after),
					listCypher.get(listSpec{label: label, order: order, after: after}), params(order),
					PlanWant{Needs: []string{"NodeIndex|NodeUniqueIndex"}, Forbids: forbid([]string{"Sort", "Top"}, nodeScans)}})
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
				out = append(out, PlanCase{fmt.Sprintf("list %s/%s/%s", order, label, fname), listCypher.get(sp), params(order),
					PlanWant{Forbids: []string{"AllNodesScan"}, NoSortedScans: true}})
			}
		}
	}
	return out
}

// Relationship pages, node reads and search start from an index or the full-text index,
// never from a scan of every node; only search sorts (its hits, by score).
func readPlanCases() []PlanCase {
	rel := func(types string, dir kg.Direction, after bool) relSpec {
		return relSpec{types: types, dir: dir, after: after, other: kg.Omit{Citations: true}, noCitations: true}
	}
	relParams := map[string]any{"ids": []string{"org:a"}, "id": "org:a", "limit": 21, "after": "rel:x"}
	searchParams := func(types ...string) map[string]any {
		return map[string]any{"q": "aclu", "types": append([]string{}, types...), "afterId": nil, "afterScore": nil, "limit": 21}
	}
	scans := forbid(nodeScans, allRels)
	return []PlanCase{
		{"node", nodeCypher.get(nodeSpec{}), relParams, PlanWant{Forbids: forbid(scans, []string{"Sort"})}},
		{"node with page", nodeCypher.get(nodeSpec{rels: true, rel: rel("", kg.Both, false)}), relParams, PlanWant{Forbids: forbid(scans, []string{"Sort"})}},
		{"relationships", relsOfCypher.get(rel("", kg.Both, false)), relParams, PlanWant{Forbids: forbid(scans, []string{"Sort"})}},
		{"relationships typed", relsOfCypher.get(rel("PARTY_TO|OPPOSES", kg.Outgoing, true)), relParams, PlanWant{Forbids: forbid(scans, []string{"Sort"})}},
		{"relationships in", relsOfCypher.get(rel("", kg.Incoming, true)), relParams, PlanWant{Forbids: forbid(scans, []string{"Sort"})}},
		{"search", searchCypher.get(kg.Omit{}), searchParams(), PlanWant{Needs: []string{"ProcedureCall"}, Forbids: scans}},
		{"search omitting all", searchCypher.get(kg.Omit{Description: true, Degree: true, Citations: true}), searchParams("Policy"),
			PlanWant{Needs: []string{"ProcedureCall"}, Forbids: scans}},
	}
}

// The whole-graph export streams: its plans take the id order from the id index (no Sort)
// and hold nothing back (no Eager, no aggregation), so Neo4j sends rows as it finds them.
func exportPlanCases() []PlanCase {
	w := PlanWant{Needs: []string{"NodeIndexScan"}, Forbids: []string{"Sort", "Eager", "OrderedAggregation", "AllNodesScan"}}
	p := filterParams(kg.EdgeFilter{Direction: kg.Both})
	return []PlanCase{
		{"export nodes", exportNodesCypher, p, w},
		{"export edges", fmt.Sprintf(exportEdgesCypher, ""), p, w},
		{"export edges of a type", fmt.Sprintf(exportEdgesCypher, typeUnion([]string{"PARTY_TO", "OPPOSES"})), p, w},
	}
}

// The network queries start from an index: ids through the id index, ranks by degree through
// the stored degree's index in order, timelines without ids through the full-text date
// indexes, and relationships between bound nodes by expand-into. No plan scans every node or
// relationship; where an index-backed order is expected there is no label scan and no Sort.
func networkPlanCases() []PlanCase {
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
	// want: the operators needed; labelOK (a filtered count over the graph), sortOK (of a
	// bounded input: neighbours, candidates, a page's rows), relScans (a type's relationships).
	want := func(needs []string, labelOK, sortOK, relScans bool) PlanWant {
		bad := slices.Clone(allRels)
		bad = append(bad, "AllNodesScan")
		if !labelOK {
			bad = append(bad, nodeScans[1:]...)
		}
		if !relScans {
			bad = append(bad, relTypeOps...)
		}
		if !sortOK {
			bad = append(bad, "Sort")
		}
		return PlanWant{Needs: needs, Forbids: bad}
	}
	all := kg.Projection{}
	none := kg.EdgeFilter{Direction: kg.Both}
	window, _ := kg.NewTimeFilter("", "2020-01", "2020-03")
	every := kg.EdgeFilter{Direction: kg.Both, Types: []string{"OPPOSES"}, NodeTypes: []string{"Organization"}, Time: window} // every filter given
	idSeek := []string{"NodeUniqueIndexSeek"}
	// The filters are checked during the breadth-first search: no exhaustive fallback
	// (a node predicate on `nodes(p)[1..-1]` made one, 68k db hits for an unreachable pair).
	pathsWant := want(append(idSeek, "ShortestPath"), false, false, false)
	pathsWant.Forbids = append(pathsWant.Forbids, "VarLengthExpand", "AntiConditionalApply")
	return []PlanCase{
		{"neighborhood", projected(neighborhoodCypher[kg.Both], all, none), base(), want(idSeek, false, true, false)},
		{"network", projected(networkCypher, all, none), base(), want(idSeek, false, false, false)},
		{"paths", projected(pathsCypher[pathsKey{kg.Both, 4, false}], all, none), base(), pathsWant},
		{"k-shortest paths", projected(pathsCypher[pathsKey{kg.Both, 4, true}], all, none), base(), want(append(idSeek, "NodeIndexSeekByRange"), false, true, false)},
		{"common connections", projected(commonCypher[kg.Both], all, none), base(), want(append(idSeek, "Expand(Into)"), false, true, false)},
		// Every filter given: the same plans, with the conditions checked during the search.
		{"neighborhood, filtered", projected(neighborhoodCypher[kg.Both], all, every), filtered(base(), every), want(idSeek, false, true, false)},
		{"paths, filtered", projected(pathsCypher[pathsKey{kg.Both, 4, false}], all, every), filtered(base(), every), pathsWant},
		{"common connections, filtered", projected(commonCypher[kg.Both], all, every), filtered(base(), every), want(append(idSeek, "Expand(Into)"), false, true, false)},
		{"timeline's first dated month", timelineDataFromCypher, nil, want([]string{"NodeIndexScan", "Limit"}, false, false, false)},
		{"timeline probes", timelineProbeCypher, tl(kg.TimelineQuery{}), want([]string{"ProcedureCall"}, false, true, false)},
		{"timeline window probes", timelineProbeCypher, tl(kg.TimelineQuery{Time: window, IncludeOngoing: true}), want([]string{"ProcedureCall"}, false, true, false)},
		{"timeline fetch", timelineFetchCypher, tl(kg.TimelineQuery{}), want([]string{"ProcedureCall"}, false, true, false)},
		{"timeline of ids", timelineByIDsCypher[true], tl(kg.TimelineQuery{IDs: []string{"org:a"}}), want(idSeek, false, true, false)},
		{"timeline of ids in a window", timelineByIDsCypher[false], func() map[string]any {
			p := tl(kg.TimelineQuery{IDs: []string{"org:a"}, Time: window})
			p["w0YearBefore"] = "2019-01-01"
			return p
		}(), want(idSeek, false, true, false)},
		{"timeline of types", fmt.Sprintf(timelineByTypesCypher, typeUnion([]string{"SIGNS"})), tl(kg.TimelineQuery{Types: []string{"SIGNS"}}), want(nil, false, true, true)},
		{"rank by degree", rankDegreeAllCypher[kg.Both], base(), want([]string{"NodeIndexScan", "PartialTop"}, false, false, false)},
		{"rank by out-degree", rankDegreeAllCypher[kg.Outgoing], base(), want([]string{"NodeIndexScan"}, true, true, false)},
		{"rank by filtered degree", rankDegreeCypher[kg.Both], base(), want(nil, true, true, false)},
	}
}

// filtered sets the filter parameters of f on p.
func filtered(p map[string]any, f kg.EdgeFilter) map[string]any {
	for k, v := range filterParams(f) {
		p[k] = v
	}
	return p
}

// ClearQueryCachesForTest makes Neo4j plan every statement afresh: a plan made when the
// graph held other data (and other statistics) is not reused.
func (s *Store) ClearQueryCachesForTest(ctx context.Context) error {
	_, err := s.read(ctx, "CALL db.clearQueryCaches()", nil)
	return err
}

// ExplainForTest returns the plan of a statement (EXPLAIN: nothing runs).
func (s *Store) ExplainForTest(ctx context.Context, cypher string, params map[string]any) (neo4j.Plan, error) {
	res, err := s.read(ctx, "EXPLAIN "+cypher, params)
	if err != nil {
		return nil, err
	}
	return res.Summary.Plan(), nil
}

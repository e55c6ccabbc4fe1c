package neo4jstore_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// The bounds that keep hub questions fast (kg.PathHubDegree, kg.MaxExpand) change nothing
// where they do not apply, and mark an answer truncated wherever they may have changed it.
// The references are the statements used before the bounds (unbounded, expanding every seed
// and every hub), run on the bundled dataset with the bounds lowered so that its busiest
// nodes count as hubs.

var bundledIDs = []string{"policy:mexico-migration-enforcement-2019", "org:gobierno-de-mexico", "country:mx", "org:us-government",
	"case:mpp-lawsuit", "person:andres-manuel-lopez-obrador", "org:instituto-nacional-de-migracion", "person:donald-trump",
	"org:sin-fronteras", "org:us-court-of-appeals-ninth-circuit", "org:guardia-nacional", "org:aclu", "org:southern-poverty-law-center"}

// referencePathsCypher is the k-shortest statement before the hub bound.
func referencePathsCypher(dir kg.Direction, hops int) string {
	arrow := map[kg.Direction][2]string{kg.Outgoing: {"-", "->"}, kg.Incoming: {"<-", "-"}, kg.Both: {"-", "-"}}[dir]
	return fmt.Sprintf(`MATCH (a:Node {id: $from}), (b:Node {id: $to})
MATCH p = SHORTEST 50 (a) (()%s[r]%s(x) WHERE (size($types) = 0 OR type(r) IN $types)
  AND ($winFrom IS NULL OR coalesce(r.rangeTo, '9999-12-31') >= $winFrom)
  AND ($winTo IS NULL OR coalesce(r.rangeFrom, '0000-01-01') <= $winTo) AND (x = b OR (size($nodeTypes) = 0 OR x.type IN $nodeTypes))){1,%d} (b)
WITH p ORDER BY length(p), reduce(k = '', r IN relationships(p) | k + r.id + ' ')
RETURN [r IN relationships(p) | r.id] AS rels`, arrow[0], arrow[1], hops)
}

func TestKShortestPathsBoundedByHubs(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	check := func(hubDegree int) (cases, truncated, differ int) {
		defer neo4jstore.SetNetworkBounds(hubDegree, 0)()
		for i, from := range bundledIDs {
			for _, to := range bundledIDs[i+1:] {
				for _, c := range []struct {
					dir   kg.Direction
					hops  int
					limit int
				}{{kg.Both, 3, 10}, {kg.Both, 4, 5}, {kg.Outgoing, 4, 10}} {
					q := kg.PathsQuery{From: from, To: to, MaxHops: c.hops, KShortest: true, Limit: c.limit, Filter: kg.EdgeFilter{Direction: c.dir}}
					got, err := s.Paths(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					p := neo4jstore.FilterParamsForTest(kg.EdgeFilter{Direction: c.dir})
					p["from"], p["to"] = from, to
					ref, err := s.NetworkReadForTest(ctx, referencePathsCypher(c.dir, c.hops), p)
					if err != nil {
						t.Fatal(err)
					}
					if len(ref.Records) == kg.MaxPaths {
						continue // SHORTEST 50 cut the reference at an arbitrary path
					}
					var want, have []string
					for _, r := range ref.Records {
						want = append(want, fmt.Sprint(r.Values[0]))
					}
					for _, path := range got.Paths {
						var ids []string
						for _, e := range path.Edges {
							ids = append(ids, e.ID)
						}
						have = append(have, fmt.Sprint(ids))
					}
					wantTrunc := len(want) > c.limit
					want = want[:min(len(want), c.limit)]
					cases++
					name := fmt.Sprintf("hubDegree %d: %s %s %s hops %d limit %d", hubDegree, from, c.dir, to, c.hops, c.limit)
					if got.Truncated {
						truncated++
					}
					if slices.Equal(have, want) && got.Truncated == wantTrunc {
						continue
					}
					differ++
					if !got.Truncated {
						t.Errorf("%s: answer differs from the unbounded one without being marked truncated:\n got %v\nwant %v", name, have, want)
					}
					// What is returned is still right: the shortest paths, in order.
					if len(want) > 0 && (len(have) == 0 || have[0] != want[0]) {
						t.Errorf("%s: the shortest path is missing: got %v, want first %v", name, have, want[0])
					}
				}
			}
		}
		return
	}
	if cases, truncated, differ := check(kg.PathHubDegree); differ > 0 || cases < 100 {
		t.Errorf("no hubs in the bundled dataset: %d of %d answers differ from the unbounded ones (%d truncated)", differ, cases, truncated)
	}
	if cases, truncated, differ := check(8); differ == 0 || truncated == 0 {
		t.Errorf("with hubs past 8 relationships: %d cases, %d truncated, %d differ: the bound was not exercised", cases, truncated, differ)
	}
}

// referenceCommonCypher is the commonConnections statement before the bound (BOTH).
const referenceCommonCypher = `
UNWIND $ids AS sid
MATCH (s:Node {id: sid})-[r]-(m)
WHERE NOT m.id IN $ids AND (size($types) = 0 OR type(r) IN $types)
  AND ($winFrom IS NULL OR coalesce(r.rangeTo, '9999-12-31') >= $winFrom)
  AND ($winTo IS NULL OR coalesce(r.rangeFrom, '0000-01-01') <= $winTo) AND (size($nodeTypes) = 0 OR m.type IN $nodeTypes)
WITH sid, m, r ORDER BY r.id
WITH m, collect(DISTINCT sid) AS shared, collect(r.id) AS rs
WHERE size(shared) >= $minShared
WITH m, shared, rs ORDER BY size(shared) DESC, COUNT { (m)--() } DESC, m.id LIMIT $limit + 1
RETURN m.id AS id, shared, rs`

func TestCommonConnectionsBoundedExpansion(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	check := func(expand int) (cases, truncated int) {
		defer neo4jstore.SetNetworkBounds(0, expand)()
		seeds := [][]string{}
		for i, a := range bundledIDs {
			for _, b := range bundledIDs[i+1:] {
				seeds = append(seeds, []string{a, b})
			}
		}
		seeds = append(seeds, bundledIDs[:3], bundledIDs[:5], []string{"org:aclu", "org:southern-poverty-law-center", "org:nobody"})
		for _, ids := range seeds {
			for _, minShared := range []int{0, 2} {
				for _, limit := range []int{2, 50} {
					q := kg.CommonQuery{IDs: ids, MinShared: minShared, Limit: limit}
					got, err := s.CommonConnections(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					p := neo4jstore.FilterParamsForTest(kg.EdgeFilter{Direction: kg.Both})
					p["ids"], p["minShared"], p["limit"] = ids, max(minShared, 2), limit
					if minShared == 0 {
						p["minShared"] = len(ids)
					}
					ref, err := s.NetworkReadForTest(ctx, referenceCommonCypher, p)
					if err != nil {
						t.Fatal(err)
					}
					var want, have []string
					for _, r := range ref.Records {
						shared := fmt.Sprint(r.Values[1])
						sh := strings.Fields(strings.Trim(shared, "[]"))
						sort.Strings(sh)
						want = append(want, fmt.Sprint(r.Values[0], sh, r.Values[2]))
					}
					for _, c := range got.Common {
						var es []string
						for _, e := range c.Edges {
							es = append(es, e.ID)
						}
						have = append(have, fmt.Sprint(c.Node.ID, c.Shared, es))
					}
					wantTrunc := len(want) > limit
					want = want[:min(len(want), limit)]
					cases++
					if got.Truncated {
						truncated++
					}
					if slices.Equal(have, want) && got.Truncated == wantTrunc {
						continue
					}
					name := fmt.Sprintf("expand %d: %v minShared %d limit %d", expand, ids, minShared, limit)
					if !got.Truncated {
						t.Errorf("%s: answer differs from the unbounded one without being marked truncated:\n got %v\nwant %v", name, have, want)
					}
					all := map[string]bool{} // every connection returned is a real one, with all its edges
					p["limit"] = 1000
					ref, _ = s.NetworkReadForTest(ctx, referenceCommonCypher, p)
					for _, r := range ref.Records {
						shared := fmt.Sprint(r.Values[1])
						sh := strings.Fields(strings.Trim(shared, "[]"))
						sort.Strings(sh)
						all[fmt.Sprint(r.Values[0], sh, r.Values[2])] = true
					}
					for _, h := range have {
						if !all[h] {
							t.Errorf("%s: %s is not a common connection (or lacks edges)", name, h)
						}
					}
				}
			}
		}
		return
	}
	if cases, truncated := check(kg.MaxExpand); cases < 100 || truncated == 0 {
		t.Errorf("%d cases, %d truncated by the limit", cases, truncated)
	}
	if _, truncated := check(3); truncated == 0 {
		t.Error("with expansion bounded to 3 relationships nothing was truncated: the bound was not exercised")
	}
}

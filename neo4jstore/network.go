package neo4jstore

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// The relationship queries. Each runs as one parameterised Cypher round trip (Rank by PageRank
// or betweenness takes two: the filtered edge list, then the top nodes). Patterns that must be
// literal in Cypher (direction arrows, hop bounds) come from small allow-listed tables built
// once at start-up; user input only ever reaches Cypher as $parameters.

// relFilter keeps relationships of the allowed types whose dated span overlaps the window
// [$winFrom, $winTo]; an unknown start or end counts as possibly overlapping.
const relFilter = `(size($types) = 0 OR type(%[1]s) IN $types)
  AND ($winFrom IS NULL OR coalesce(%[1]s.rangeTo, '9999-12-31') >= $winFrom)
  AND ($winTo IS NULL OR coalesce(%[1]s.rangeFrom, '0000-01-01') <= $winTo)`

const nodeTypeFilter = `(size($nodeTypes) = 0 OR %[1]s.type IN $nodeTypes)`

func relWhere(v string) string      { return fmt.Sprintf(relFilter, v) }
func nodeTypeWhere(v string) string { return fmt.Sprintf(nodeTypeFilter, v) }

// relCond and nodeCond are the filters as slots: the statements that go through projected
// (neighbourhood, network, paths, common connections) get only the conditions of the filters
// given, so an unfiltered question evaluates none of them (an "apply if given" condition,
// `size($types) = 0 OR ...`, is evaluated at every step: twice the time of a breadth-first
// shortest-path search that explores).
func relCond(v string) string  { return "\x00relf " + v + "\x00" }
func nodeCond(v string) string { return "\x00nodef " + v + "\x00" }

// arrows maps a direction to the pattern pieces around a relationship variable.
var arrows = map[kg.Direction][2]string{kg.Outgoing: {"-", "->"}, kg.Incoming: {"<-", "-"}, kg.Both: {"-", "-"}}

func rel(dir kg.Direction, v string) string { return arrows[dir][0] + "[" + v + "]" + arrows[dir][1] }

func filterParams(f kg.EdgeFilter) map[string]any {
	from, to := f.Time.Window()
	return map[string]any{"types": nonNil(f.Types), "nodeTypes": nonNil(f.NodeTypes), "winFrom": opt(from), "winTo": opt(to)}
}

// inducedEdges collects the edges among the nodes of list `ns` that pass the filter, capped.
var inducedEdges = `
CALL (ns) {
  UNWIND ns AS a
  MATCH (a)-[r]->(b)
  WHERE b IN ns AND ` + relCond("r") + `
  WITH r ORDER BY r.id LIMIT $maxEdges
  RETURN collect(` + relSlot("r") + `) AS edges
}`

// maxEdges caps the edges of one network payload.
const maxEdges = 5000

// neighborhoodCypher[dir]: from the centres $ids (one for the GraphQL query, several for an
// export; at most $limit of them), breadth-first, level by level up to $depth (at most kg.MaxDepth),
// each level adding only unseen nodes and never more than the node limit, so the work is
// bounded by limit x degree even around hubs. Within a level the most connected nodes come
// first (then by id), so a truncated answer is stable and keeps the hubs.
var neighborhoodCypher = func() map[kg.Direction]string {
	out := map[kg.Direction]string{}
	for dir := range arrows {
		var b strings.Builder
		b.WriteString(`
MATCH (c:Node) WHERE c.id IN $ids
WITH c ORDER BY c.id
WITH collect(c) AS seen, collect(c) AS frontier, false AS cut`)
		for level := 1; level <= kg.MaxDepth; level++ {
			fmt.Fprintf(&b, `
CALL (seen, frontier) {
  UNWIND frontier AS f
  MATCH (f)%s(m)
  WHERE $depth >= %d AND NOT m IN seen AND %s AND %s
  WITH DISTINCT m ORDER BY COUNT { (m)--() } DESC, m.id
  RETURN collect(m) AS found
}
WITH seen + found[..($limit - size(seen))] AS seen, found[..($limit - size(seen))] AS frontier,
     cut OR size(found) > $limit - size(seen) AS cut`, rel(dir, "r"), level, relCond("r"), nodeCond("m"))
		}
		b.WriteString(`
// Re-collected on purpose: the induced-edges subquery over the list built by list concatenation above
// used ~700 MB of transaction memory around hubs (a planner quirk); over a collected
// list it takes a few MB.
UNWIND seen AS x
WITH collect(x) AS ns, cut` + inducedEdges + `
RETURN [n IN ns | ` + nodeSlot("n") + `] AS nodes, edges, cut OR size(edges) >= $maxEdges AS truncated`)
		out[dir] = b.String()
	}
	return out
}()

// Neighborhood returns the ego network of q.ID up to q.Depth hops: the nodes reached (centre
// first, then by distance) and every edge among them that passes the filter. Returns
// kg.ErrNotFound when the centre does not exist.
func (s *Store) Neighborhood(ctx context.Context, q kg.NeighborhoodQuery) (*kg.Network, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := filterParams(q.Filter)
	p["ids"], p["depth"], p["limit"], p["maxEdges"] = []string{q.ID}, q.Depth, q.Limit, maxEdges
	res, err := s.read(ctx, projected(neighborhoodCypher[q.Filter.Direction], q.Project, q.Filter), p)
	if err != nil {
		return nil, err
	}
	if len(res.Records) == 0 { // no centre: the UNWIND of the empty list leaves no row
		return nil, fmt.Errorf("node %q: %w", q.ID, kg.ErrNotFound)
	}
	return networkOf(res.Records[0])
}

// networkOf reads a network row: nodes, edges, truncated.
func networkOf(rec *neo4j.Record) (*kg.Network, error) {
	nodes, err := column[[]any](rec, "nodes")
	if err != nil {
		return nil, err
	}
	edges, err := column[[]any](rec, "edges")
	if err != nil {
		return nil, err
	}
	truncated, err := column[bool](rec, "truncated")
	if err != nil {
		return nil, err
	}
	return &kg.Network{Nodes: toNodes(nodes), Edges: toRels(edges), Truncated: truncated}, nil
}

// networkCypher: the given nodes and every edge among them.
var networkCypher = `
MATCH (n:Node) WHERE n.id IN $ids
WITH n ORDER BY n.id
WITH collect(n) AS ns` + inducedEdges + `
RETURN [n IN ns | ` + nodeSlot("n") + `] AS nodes, edges, size(edges) >= $maxEdges AS truncated`

// Network returns the given nodes (unknown ids are left out) and every edge among them.
func (s *Store) Network(ctx context.Context, q kg.NetworkQuery) (*kg.Network, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := filterParams(q.Filter)
	p["ids"], p["maxEdges"] = q.IDs, maxEdges
	res, err := s.read(ctx, projected(networkCypher, q.Project, q.Filter), p)
	if err != nil {
		return nil, err
	}
	return networkOf(res.Records[0])
}

type pathsKey struct {
	dir  kg.Direction
	hops int
	k    bool
}

// pathsCypher[dir, hops, kShortest]. All shortest paths use the bidirectional
// allShortestPaths with the filters written as all(...) predicates, which Neo4j applies
// during the search (at 1M nodes 23 ms where the quantified-path form took 3-23 s). The node
// filter is written over every node of the path (`x = a OR x = b OR ...`): over the slice
// `nodes(p)[1..-1]` Neo4j could not check it during the search and planned an exhaustive
// fallback, which ran whenever no path passed (an unreachable pair: 275 ms instead of 4 ms
// at 10k nodes; TestPlans forbids the fallback).
//
// The k shortest are Neo4j 5's SHORTEST k over a quantified path pattern whose intermediate
// nodes have at most $hubDegree relationships (kg.PathHubDegree) or are an end (a path may
// pass its start again): a longer path does not pass through a hub. When a hub is within
// reach (or 50 paths were found), the all-shortest paths are merged in (a second round trip:
// Neo4j refuses both path forms in one statement). Unbounded, SHORTEST 50 explored
// through the hubs of a 1M graph (70k relationships each) for 23 s. The shortest paths stay
// exact (hubs included), so the answer can miss only longer paths through a hub, and `hubs`
// says when one can exist: some hub within reach of both ends (within d and maxHops - d
// hops avoiding hubs, in either direction), which Paths reports as truncated unless the
// answer is `limit` shortest paths.
var pathsCypher = func() map[pathsKey]string {
	out := map[pathsKey]string{}
	ends := "MATCH (a:Node {id: $from}), (b:Node {id: $to})\n"
	order := `ORDER BY length(p), reduce(k = '', r IN relationships(p) | k + r.id + ' ') LIMIT $limit + 1`
	tail := `
RETURN [n IN nodes(p) | ` + nodeSlot("n") + `] AS nodes, [r IN relationships(p) | ` + relSlot("r") + `] AS rels`
	for dir := range arrows {
		for hops := 1; hops <= kg.MaxHops; hops++ {
			shortest := fmt.Sprintf(
				"MATCH p = allShortestPaths((a)%s(b))\nWHERE all(r IN relationships(p) WHERE %s)\n  AND all(x IN nodes(p) WHERE x = a OR x = b OR %s)",
				rel(dir, fmt.Sprintf("*..%d", hops)), relCond("r"), nodeCond("x"))
			out[pathsKey{dir, hops, false}] = ends + shortest + "\nWITH p " + order + tail + ", false AS hubs"
			out[pathsKey{dir, hops, true}] = ends + `CALL (a, b) {
  MATCH p = SHORTEST ` + fmt.Sprint(kg.MaxPaths) + ` (a) (()` + rel(dir, "r") + `(x) WHERE ` + relCond("r") + ` AND (x = b OR x = a AND ` + nodeCond("x") + ` OR (` +
				nodeCond("x") + ` AND coalesce(x.degree, 0) <= $hubDegree))){1,` + fmt.Sprint(hops) + `} (b)
  WITH p ` + strings.TrimSuffix(order, " LIMIT $limit + 1") + `
  RETURN collect(p) AS found
}
WITH a, b, found[..$limit + 1] AS paths, size(found) AS found, ` + hubWithinReach(hops) + ` AS hubs
RETURN [p IN paths | [[n IN nodes(p) | ` + nodeSlot("n") + `], [r IN relationships(p) | ` + relSlot("r") + `]]] AS paths, hubs, found`
		}
	}
	return out
}()

// hubWithinReach: some node with more than $hubDegree relationships (not an end) lies within
// d hops of a and hops - d of b, moving through nodes that pass the filters and are not hubs.
func hubWithinReach(hops int) string {
	if hops < 2 {
		return "false"
	}
	near := func(end string) string { // the fewest hops from end to a hub, or hops when none is closer
		var b strings.Builder
		b.WriteString("CASE")
		for d := 1; d < hops; d++ {
			pattern := "(" + end + ")-[r0]-(h)"
			if d > 1 {
				pattern = fmt.Sprintf("(%s) (()-[r]-(x) WHERE %s AND %s AND coalesce(x.degree, 0) <= $hubDegree AND x <> a AND x <> b){%d} ()-[r0]-(h)",
					end, relCond("r"), nodeCond("x"), d-1)
			}
			fmt.Fprintf(&b, "\n    WHEN EXISTS { MATCH %s WHERE %s AND h.degree > $hubDegree AND h <> a AND h <> b AND %s } THEN %d",
				pattern, relCond("r0"), nodeCond("h"), d)
		}
		return b.String() + fmt.Sprintf("\n    ELSE %d END", hops)
	}
	return "EXISTS { MATCH (h:Node) WHERE h.degree > $hubDegree } AND\n  " + near("a") + "\n  + " + near("b") + fmt.Sprintf(" <= %d", hops)
}

// Paths returns how q.From and q.To connect: all shortest paths (one round trip), or the k
// shortest (one, or two near hubs), within q.MaxHops, each with its nodes and edges in order. No path gives an
// empty result.
// Truncated when more paths existed than q.Limit, or (k shortest) when a longer path through
// a hub (a node with more than kg.PathHubDegree relationships) may be missing.
func (s *Store) Paths(ctx context.Context, q kg.PathsQuery) (*kg.PathsResult, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := filterParams(q.Filter)
	p["from"], p["to"], p["limit"], p["hubDegree"] = q.From, q.To, q.Limit, pathHubDegree
	var recs []*neo4j.Record
	hubs := false
	if q.KShortest {
		// The hub-avoiding search first: with no hub within reach and fewer than kg.MaxPaths
		// paths found, it found every path (the shortest ones included), as the unbounded
		// SHORTEST k would have.
		res, err := s.read(ctx, projected(pathsCypher[pathsKey{q.Filter.Direction, q.MaxHops, true}], q.Project, q.Filter), p)
		if err != nil {
			return nil, err
		}
		for _, rec := range res.Records { // one row: the paths, whether a hub is within reach, how many
			paths, err := column[[]any](rec, "paths")
			if err != nil {
				return nil, err
			}
			if hubs, err = column[bool](rec, "hubs"); err != nil {
				return nil, err
			}
			found, err := column[int64](rec, "found")
			if err != nil {
				return nil, err
			}
			for _, path := range paths {
				v, ok := path.([]any)
				if !ok || len(v) != 2 {
					return nil, fmt.Errorf("neo4jstore: a path is %T, want [nodes, relationships]", path)
				}
				recs = append(recs, &neo4j.Record{Values: v})
			}
			if !hubs && found < kg.MaxPaths {
				return pathsResult(recs, q.Limit, false), nil
			}
		}
	}
	res, err := s.read(ctx, projected(pathsCypher[pathsKey{q.Filter.Direction, q.MaxHops, false}], q.Project, q.Filter), p)
	if err != nil {
		return nil, err
	}
	if q.KShortest && len(res.Records) <= q.Limit { // more shortest paths than limit: those are the answer
		seen := map[string]bool{}
		for _, rec := range res.Records {
			seen[pathKey(rec.Values[1])] = true
		}
		for _, rec := range recs {
			if k := pathKey(rec.Values[1]); !seen[k] {
				seen[k] = true
				res.Records = append(res.Records, rec)
			}
		}
		sort.SliceStable(res.Records, func(i, j int) bool { // as the statements order: length, then relationship ids
			ri, rj := res.Records[i].Values[1], res.Records[j].Values[1]
			if li, lj := len(toRels(ri)), len(toRels(rj)); li != lj {
				return li < lj
			}
			return pathKey(ri) < pathKey(rj)
		})
	}
	return pathsResult(res.Records, q.Limit, hubs), nil
}

// pathsResult cuts the ordered paths at limit. With hubs (a longer path through a hub may
// be missing), only `limit` paths of the shortest length are certainly the answer.
func pathsResult(recs []*neo4j.Record, limit int, hubs bool) *kg.PathsResult {
	out := &kg.PathsResult{Paths: []kg.Path{}}
	for i, rec := range recs {
		if i == limit {
			out.Truncated = true
			break
		}
		out.Paths = append(out.Paths, kg.Path{Nodes: toNodes(rec.Values[0]), Edges: toRels(rec.Values[1])})
	}
	if hubs && (len(out.Paths) < limit || len(out.Paths[len(out.Paths)-1].Edges) > len(out.Paths[0].Edges)) {
		out.Truncated = true
	}
	return out
}

// The bounds of kg, as variables so that tests can lower them on a small graph.
var (
	pathHubDegree = kg.PathHubDegree
	maxExpand     = kg.MaxExpand
)

// pathKey is the order key of a path's relationships (as `reduce` writes it in Cypher).
func pathKey(rels any) string {
	var b strings.Builder
	for _, r := range toRels(rels) {
		b.WriteString(r.ID + " ")
	}
	return b.String()
}

// commonCypher[dir]: a connection shared by at least $minShared of the seeds is a neighbour of
// one of the (seeds - $minShared + 1) least connected seeds (all but $minShared - 1 of them),
// so only those are expanded, the smallest first: for two seeds, the smaller one. Each
// candidate is then checked against every seed with an expand-into (Neo4j walks from the
// side with fewer relationships). A seed with more than $maxExpand relationships passing the
// filter is expanded only that far (`capped`: the answer may miss connections), so a
// question about two hubs reads at most $maxExpand of the smaller one's relationships.
var commonCypher = func() map[kg.Direction]string {
	out := map[kg.Direction]string{}
	for dir := range arrows {
		out[dir] = `
MATCH (s:Node) WHERE s.id IN $ids
WITH s ORDER BY coalesce(s.degree, COUNT { (s)--() }), s.id
WITH collect(s) AS seeds
CALL (seeds) {
  UNWIND CASE WHEN size(seeds) >= $minShared THEN seeds[..size(seeds) - $minShared + 1] ELSE [] END AS s
  CALL (s) {
    MATCH (s)` + rel(dir, "r") + `(m)
    WHERE NOT m.id IN $ids AND ` + relCond("r") + ` AND ` + nodeCond("m") + `
    WITH m LIMIT $maxExpand + 1
    RETURN collect(m) AS ms
  }
  UNWIND ms[..$maxExpand] AS m
  RETURN collect(DISTINCT m) AS candidates, coalesce(max(size(ms)), 0) > $maxExpand AS capped
}
CALL (seeds, candidates) {
  UNWIND candidates AS m
  UNWIND seeds AS s
  CALL (s, m) { // both ends bound: an expand-into whatever the statistics say
    MATCH (s)` + rel(dir, "r") + `(m)
    WHERE ` + relCond("r") + `
    RETURN r
  }
  WITH m, s.id AS sid, r ORDER BY r.id
  WITH m, collect(DISTINCT sid) AS shared, collect(r) AS rs
  WHERE size(shared) >= $minShared
  WITH m, shared, rs ORDER BY size(shared) DESC, coalesce(m.degree, COUNT { (m)--() }) DESC, m.id LIMIT $limit + 1
  RETURN collect({node: ` + nodeSlot("m") + `, shared: shared, edges: [r IN rs | ` + relSlot("r") + `]}) AS rows
}
CALL () {
  MATCH (s:Node) WHERE s.id IN $ids
  RETURN collect(` + nodeSlot("s") + `) AS seedMaps
}
RETURN rows, seedMaps, capped`
	}
	return out
}()

// CommonConnections returns nodes connected to at least q.MinShared of q.IDs (all of them by
// default), most shared first, with the connecting edges. Truncated when more connections
// existed than q.Limit, or when a seed expanded had more than kg.MaxExpand relationships.
func (s *Store) CommonConnections(ctx context.Context, q kg.CommonQuery) (*kg.CommonResult, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := filterParams(q.Filter)
	p["ids"], p["minShared"], p["limit"], p["maxExpand"] = q.IDs, q.MinShared, q.Limit, maxExpand
	res, err := s.read(ctx, projected(commonCypher[q.Filter.Direction], q.Project, q.Filter), p)
	if err != nil {
		return nil, err
	}
	rec := res.Records[0] // aggregated: always one row
	rows, err := column[[]any](rec, "rows")
	if err != nil {
		return nil, err
	}
	seeds, err := column[[]any](rec, "seedMaps")
	if err != nil {
		return nil, err
	}
	capped, err := column[bool](rec, "capped")
	if err != nil {
		return nil, err
	}
	out := &kg.CommonResult{Common: []kg.Common{}, Seeds: toNodes(seeds), Truncated: capped}
	for i, row := range rows {
		if i == q.Limit {
			out.Truncated = true
			break
		}
		m, ok := row.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("neo4jstore: a common connection is %T, want a map", row)
		}
		shared := strsOf(m["shared"])
		sort.Strings(shared)
		out.Common = append(out.Common, kg.Common{Node: toNode(m["node"]), Shared: shared, Edges: toRels(m["edges"])})
	}
	return out, nil
}

// The timeline. An entry is a relationship or an Event placed at one of its partial dates
// (S = startDate, E = endDate) relative to the window [$w0, $w1] (days; "0000-01-01" and
// "9999-12-31" when open). A partial date D overlaps the window when
// left($w0, size(D)) <= D <= left($w1, size(D)): "2020" overlaps January 2020.
//
//	STARTS   S overlaps the window: placed at S.
//	ENDS     E overlaps it and S is before it (or unknown): placed at E.
//	ONGOING  S is before the window and E is after it (or, for a relationship, unknown):
//	         only with includeOngoing, placed at S, after every other entry.
//
// Entries are ordered by a key: group ('0', or '1' for ONGOING), the month of the day they are
// placed at (their first day, or $w0 when that is later), precision ('0' day, '1' month,
// '2' year), that day; then by id. So a year-dated entry follows the precisely dated ones of
// the month it is placed in, and the key is a fixed-width string compared as a whole.
const (
	tlOpenFrom = "0000-01-01"
	tlOpenTo   = "9999-12-31"
)

func tlOverlaps(d string) string {
	return fmt.Sprintf("(%[1]s >= left($w0, size(%[1]s)) AND %[1]s <= left($w1, size(%[1]s)))", d)
}

func tlBefore(d string) string { return fmt.Sprintf("%[1]s < left($w0, size(%[1]s))", d) }
func tlAfter(d string) string  { return fmt.Sprintf("%[1]s > left($w1, size(%[1]s))", d) }

// tlKinds are the conditions of each kind for a relationship (event: false) or an Event.
func tlKinds(v string, event bool) map[string]string {
	s, e := v+".startDate", v+".endDate"
	ongoingEnd := "(" + e + " IS NULL OR " + tlAfter(e) + ")"
	if event { // an Event without an end is a point in time, not open-ended
		ongoingEnd = "(" + e + " IS NOT NULL AND " + tlAfter(e) + ")"
	}
	return map[string]string{
		kg.TimelineStarts:  s + " IS NOT NULL AND " + tlOverlaps(s),
		kg.TimelineEnds:    e + " IS NOT NULL AND " + tlOverlaps(e) + " AND (" + s + " IS NULL OR " + tlBefore(s) + ")",
		kg.TimelineOngoing: "$ongoing AND " + s + " IS NOT NULL AND " + tlBefore(s) + " AND " + ongoingEnd,
	}
}

// tlRow keeps v when kindExpr (a CASE giving the kind, or null) is not null, places it and
// keeps it when its key comes after the cursor ($afterKey, $afterID; "" on the first page).
// carry lists variables to keep along (", event").
func tlRow(v, kindExpr string, carry ...string) string {
	c := strings.Join(carry, "")
	return fmt.Sprintf(`
  WITH %[1]s%[3]s, %[2]s AS kind
  WHERE kind IS NOT NULL
  WITH %[1]s%[3]s, kind, CASE kind WHEN 'ENDS' THEN %[1]s.endDate ELSE %[1]s.startDate END AS date
  WITH %[1]s%[3]s, kind, date, left(date + '-01-01', 10) AS first
  WITH %[1]s%[3]s, kind, date, CASE WHEN kind <> 'ONGOING' AND first < $w0 THEN $w0 ELSE first END AS day
  WITH %[1]s%[3]s, kind, date, day, CASE kind WHEN 'ONGOING' THEN '1' ELSE '0' END + left(day, 7)
       + CASE size(date) WHEN 10 THEN '0' WHEN 7 THEN '1' ELSE '2' END + day AS key
  WHERE key > $afterKey OR (key = $afterKey AND %[1]s.id > $afterID)`, v, kindExpr, c)
}

// tlKindOf is the CASE that classifies v into one kind.
func tlKindOf(v string, event bool) string {
	k := tlKinds(v, event)
	return "CASE WHEN " + k[kg.TimelineStarts] + " THEN 'STARTS' WHEN " + k[kg.TimelineEnds] +
		" THEN 'ENDS' WHEN " + k[kg.TimelineOngoing] + " THEN 'ONGOING' END"
}

const tlReturn = `
  RETURN key, v.id AS id, kind, date, day, %s AS rel, %s AS e`

// timelineByIDsCypher[open]: the entries of the given nodes (their relationships, their Events
// and the given Events), gathered from the nodes outwards: work proportional to their degree.
// Placing an entry (its kind and key) costs far more than reading a stored property, so
// fewer entries are placed:
//   - without a window (open), everything dated starts (or ends, without a start), placed at
//     its first day, which is rangeFrom: the $limit-th smallest rangeFrom in the months after
//     the cursor's is a cut, and only entries from the cursor's month to the cut's (and those
//     without a start) are placed; for a hub of 70k relationships, a month's worth.
//   - with a window, relationships and Events whose stored day span cannot meet it are dropped
//     first: an entry of the window has a span reaching into it, or starts at most a year
//     before it (a year-dated start overlaps a window its end does not reach).
var timelineByIDsCypher = func() map[bool]string {
	gather := func(near string) string {
		return `
CALL () {
  UNWIND $ids AS id
  MATCH (:Node {id: id})-[v]-()
  WHERE (size($types) = 0 OR type(v) IN $types)` + near + `
  RETURN DISTINCT v, false AS event
  UNION ALL
  UNWIND $ids AS id
  MATCH (n:Node {id: id})
  CALL (n) {
    MATCH (n)--(e:Event) RETURN e
    UNION
    WITH n WHERE n:Event RETURN n AS e
  }
  WITH DISTINCT e AS v WHERE size($types) = 0` + near + `
  RETURN v, true AS event
}`
	}
	ret := `
RETURN key, v.id AS id, kind, date, day, CASE WHEN event THEN null ELSE v END AS rel, CASE WHEN event THEN v END AS e`
	near := `
    AND (v.rangeFrom IS NULL OR v.rangeFrom <= $w1)
    AND (v.rangeTo IS NULL OR v.rangeTo >= $w0 OR v.rangeFrom >= $w0YearBefore)`
	windowed := gather(near) + `
CALL (v, event) {` + tlRow("v", "CASE WHEN event THEN "+tlKindOf("v", true)+" ELSE "+tlKindOf("v", false)+" END", ", event") + `
` + ret + `
}` + timelinePage
	open := `
CALL () {
  UNWIND $ids AS id
  MATCH (:Node {id: id})-[v]-()
  WHERE size($types) = 0 OR type(v) IN $types
  WITH DISTINCT v
  RETURN v.rangeFrom AS first
  UNION ALL
  UNWIND $ids AS id
  MATCH (n:Node {id: id})
  CALL (n) {
    MATCH (n)--(e:Event) RETURN e
    UNION
    WITH n WHERE n:Event RETURN n AS e
  }
  WITH DISTINCT e WHERE size($types) = 0
  RETURN e.rangeFrom AS first
}
WITH first WHERE first > $afterMonthEnd
WITH first ORDER BY first LIMIT $limit
WITH collect(first) AS firsts
WITH CASE WHEN size(firsts) < $limit THEN '9999-12-31' ELSE left(firsts[-1], 7) + '-31' END AS cut` +
		strings.Replace(gather(`
    AND (v.rangeFrom IS NULL OR v.rangeFrom >= $afterMonthStart AND v.rangeFrom <= cut)`), "CALL () {", "CALL (cut) {", 1) + `
CALL (v, event) {` + tlRow("v", "CASE WHEN v.startDate IS NOT NULL THEN 'STARTS' WHEN v.endDate IS NOT NULL THEN 'ENDS' END", ", event") + `
` + ret + `
}` + timelinePage
	return map[bool]string{false: windowed, true: open}
}()

// timelineByTypesCypher: the entries of the given relationship types over the whole graph,
// read by a relationship-type scan (%s is ":T1|T2" from the allow-list): work proportional to
// the number of relationships of those types. (The full-text index spans every type, so it
// cannot count the entries of some types without reading the others.)
var timelineByTypesCypher = `
CALL () {
  MATCH ()-[v%s]->()
  WHERE v.startDate IS NOT NULL OR v.endDate IS NOT NULL` + strings.ReplaceAll(tlRow("v", tlKindOf("v", false))+fmt.Sprintf(tlReturn, "v", "null"), "%", "%%") + `
}` + strings.ReplaceAll(timelinePage, "%", "%%")

// timelinePage orders the candidate rows, cuts the page and maps only its rows.
var timelinePage = `
WITH key, id, kind, date, day, rel, e ORDER BY key, id LIMIT $limit
WITH key, id, kind, date, day, rel, e, startNode(rel) AS a, endNode(rel) AS b
RETURN key, id, kind, date, day, ` + relMap("rel") + ` AS rel, ` + nodeMap("a") + ` AS fromNode, ` +
	nodeMap("b") + ` AS toNode, ` + nodeMap("e") + ` AS event
ORDER BY key, id`

// A timeline over the whole graph reads the full-text indexes of migration 003 (rel_dates over
// every relationship type, event_dates): Lucene term and range queries on the partial dates
// select the entries placed in a span of the timeline's order, and count them cheaply.
// Lucene has no order, so a page is found in two steps:
//
//  1. probes (timelineProbeCypher): count (at most $limit per index) the entries that start
//     after the cursor, up to a probe bound, for growing bounds: the first 3 days of the base
//     month (or 2 days past the cursor's), its days, the whole month (vaguer dates too), 2,
//     11 and 59 months on, no bound
//     (the same again with ongoing entries). The first probe that counts $limit entries is
//     the cut: at least $limit entries after the cursor sort up to it, and everything past it
//     sorts later. Entries that end in the window are not counted (telling them from those
//     that also start in it would take a Lucene clause over every start date), so a probe
//     counts short, never long. The first two probes go in one round trip, the others in a
//     second one if needed.
//  2. fetch (timelineFetchCypher) every entry from the cursor to the cut (starts, ends, ongoing,
//     each told apart in Cypher), order, and cut the page.
//
// So a page reads the entries of a few days after the cursor (a month's, or a year's
// year-dated ones, when the page reaches them), whatever the size of the graph. The base of
// the probes is the cursor's month, else the window's first month or the first month any
// node is dated (one more round trip), whichever is later. Every Lucene clause is a narrow
// range or a few terms: a clause over a wide range (every date of an open window) costs a
// scan of the index.
var timelineProbeCypher = `
UNWIND range(0, size($probes) - 1) AS i
CALL (i) {
  CALL db.index.fulltext.queryRelationships('rel_dates', $probes[i].rel, {limit: $limit}) YIELD relationship
  RETURN count(*) AS n
  UNION ALL
  WITH i WHERE $events
  CALL db.index.fulltext.queryNodes('event_dates', $probes[i].ev, {limit: $limit}) YIELD node
  RETURN count(*) AS n
}
RETURN i, sum(n) AS n ORDER BY i`

// timelineFetchCypher reads the entries from the cursor to the cut ($fetchRel, $fetchEv), and
// orders and cuts the page.
var timelineFetchCypher = `
CALL () {
  CALL db.index.fulltext.queryRelationships('rel_dates', $fetchRel) YIELD relationship AS v
  WITH v` + tlRow("v", tlKindOf("v", false)) + fmt.Sprintf(tlReturn, "v", "null") + `
  UNION ALL
  WITH 1 AS one WHERE $events
  CALL db.index.fulltext.queryNodes('event_dates', $fetchEv) YIELD node AS v
  WITH v` + tlRow("v", tlKindOf("v", true)) + fmt.Sprintf(tlReturn, "null", "v") + `
}` + timelinePage

const timelineDataFromCypher = `
MATCH (n:Node) WHERE n.rangeFrom IS NOT NULL
RETURN left(n.rangeFrom, 7) AS month ORDER BY n.rangeFrom LIMIT 1`

// tlEdge is one end of a string range on partial dates: a value ("" = open) and whether it
// is included.
type tlEdge struct {
	v   string
	inc bool
}

// tlSpan is a span of the timeline's order as a set of partial-date strings of one field:
// the range from..to, plus the terms `with` (vaguer dates placed in the first month, whose
// strings sort before it), less the terms `without` (vaguer dates placed in the last month,
// whose strings sort inside the range).
type tlSpan struct {
	from, to      tlEdge
	with, without []string
}

func later(a, b tlEdge) tlEdge { // the higher lower bound
	switch {
	case a.v == "" || b.v > a.v:
		return b
	case b.v == "" || a.v > b.v:
		return a
	}
	return tlEdge{a.v, a.inc && b.inc}
}

func earlier(a, b tlEdge) tlEdge { // the lower upper bound
	switch {
	case a.v == "" || b.v != "" && b.v < a.v:
		return b
	case b.v == "" || a.v < b.v:
		return a
	}
	return tlEdge{a.v, a.inc && b.inc}
}

// overlapping keeps the dates of the span that overlap the window: w0's year and month, and
// the strings from w0 to w1.
func (s tlSpan) overlapping(w tlWindow) tlSpan {
	out := tlSpan{from: later(s.from, tlEdge{w.w0, true}), to: earlier(s.to, tlEdge{w.w1, true}), without: s.without}
	for _, t := range s.with {
		if (t == w.y0 || t == w.m0 || t >= w.w0 && t <= w.w1) && !slices.Contains(s.without, t) {
			out.with = append(out.with, t)
		}
	}
	for _, t := range []string{w.y0, w.m0} {
		if s.contains(t) && !slices.Contains(out.with, t) {
			out.with = append(out.with, t)
		}
	}
	return out
}

// before keeps the dates of the span that lie before the window: below w0 as strings, less
// w0's year and month.
func (s tlSpan) before(w tlWindow) tlSpan {
	out := tlSpan{from: s.from, to: earlier(s.to, tlEdge{w.w0, false}), without: append(append([]string{}, s.without...), w.y0, w.m0)}
	for _, t := range s.with {
		if t < w.w0 && !slices.Contains(out.without, t) {
			out.with = append(out.with, t)
		}
	}
	return out
}

// contains reports whether the span holds the term t.
func (s tlSpan) contains(t string) bool {
	if slices.Contains(s.without, t) {
		return false
	}
	if slices.Contains(s.with, t) {
		return true
	}
	return (s.from.v == "" || t > s.from.v || t == s.from.v && s.from.inc) && (s.to.v == "" || t < s.to.v || t == s.to.v && s.to.inc)
}

// lucene writes the span as a query on field ("" when it is empty).
func (s tlSpan) lucene(field string) string {
	var parts []string
	if s.from.v == "" || s.to.v == "" || s.from.v < s.to.v || s.from.v == s.to.v && s.from.inc && s.to.inc {
		lo, hi := "[*", "*]"
		if s.from.v != "" {
			lo = map[bool]string{true: "[", false: "{"}[s.from.inc] + quote(s.from.v)
		}
		if s.to.v != "" {
			hi = quote(s.to.v) + map[bool]string{true: "]", false: "}"}[s.to.inc]
		}
		parts = append(parts, field+":"+lo+" TO "+hi)
	}
	if len(s.with) > 0 {
		parts = append(parts, field+":("+quoteAll(s.with)+")")
	}
	if len(parts) == 0 {
		return ""
	}
	q := "(" + strings.Join(parts, " OR ") + ")"
	if len(s.without) > 0 {
		q += " AND NOT " + field + ":(" + quoteAll(s.without) + ")"
	}
	return "(" + q + ")"
}

func quote(s string) string { return `"` + s + `"` }

func quoteAll(ts []string) string {
	q := make([]string, len(ts))
	for i, t := range ts {
		q[i] = quote(t)
	}
	return strings.Join(q, " OR ")
}

// tlWindow holds a page's window and builds its Lucene queries. A partial date D overlaps the
// window [w0, w1] exactly when it is w0's year, w0's month, or between w0 and w1 as a
// string; it is before the window when it is below w0 as a string and is neither of those.
type tlWindow struct{ w0, w1, y0, m0 string }

// yearAt is the month a year-dated entry of m's year is placed in: its January, or the
// window's first month when that is later in the same year (clip: group 0 only).
func (w tlWindow) yearAt(m string, clip bool) string {
	at := m[:4] + "-01"
	if clip && w.m0[:4] == m[:4] && w.m0 > at {
		at = w.m0
	}
	return at
}

// upTo is the span of every entry up to the probe bound (month m, precision p, day d):
// day-dated entries to d (p = 0) or to the end of m; less m's own month (p = 0) and the
// year placed in m (p < 2), which sort after the bound.
func (w tlWindow) upTo(m string, p int, d string, clip bool) tlSpan {
	s := tlSpan{to: tlEdge{m + "-31", true}}
	if p == 0 {
		s.to.v = d
		s.without = append(s.without, m)
	}
	if p < 2 && w.yearAt(m, clip) == m {
		s.without = append(s.without, m[:4])
	}
	return s
}

// after is the span of every entry from a cursor key on (or strictly after it: entries tied
// with the cursor are left out, so a probe counts short, never long); the fetch cuts ties by
// id in Cypher.
func (w tlWindow) after(key string, strict, clip bool) tlSpan {
	mc, pc, dc := key[1:8], key[8], key[9:19]
	s := tlSpan{from: tlEdge{mc + "-31", false}} // the months after mc
	if pc == '0' {
		s.from = tlEdge{dc, !strict}
	}
	if pc == '0' || pc == '1' && !strict {
		s.with = append(s.with, mc)
	}
	if w.yearAt(mc, clip) == mc && (pc != '2' || !strict) {
		s.with = append(s.with, mc[:4])
	}
	return s
}

// The kinds, on a span of their placement date. Starts and ends keep the dates overlapping
// the window; ongoing entries start before it and end after it (or never, for a relationship),
// which Lucene checks with a clause over the end dates up to the window (ongoing pages only).
func (w tlWindow) starts(s tlSpan, field string) string { return s.overlapping(w).lucene(field) }

func (w tlWindow) ongoing(s tlSpan, event bool) string {
	q := s.before(w).lucene("startDate")
	if q == "" {
		return ""
	}
	if event { // an Event without an end is a point in time
		return q + " AND endDate:{" + quote(w.w1) + " TO *]"
	}
	return q + " AND NOT endDate:[* TO " + quote(w.w1) + "]"
}

// or joins queries, leaving out empty ones; nothing matches "-".
func or(qs ...string) string {
	var parts []string
	for _, q := range qs {
		if q != "" {
			parts = append(parts, "("+q+")")
		}
	}
	if len(parts) == 0 {
		return `startDate:"-"`
	}
	return strings.Join(parts, " OR ")
}

// tlProbes are the probe bounds after the base month: months on, precision, day.
var tlProbes = []struct {
	months, p int
	day       string
}{{0, 0, "03"}, {0, 0, "31"}, {0, 2, ""}, {2, 2, ""}, {11, 2, ""}, {59, 2, ""}}

// tlProbe is one probe: the queries that count (rel, ev) and the ones that fetch its entries
// when it is the cut.
type tlProbe struct{ rel, ev, fetchRel, fetchEv string }

// timelineProbes lists the probes of a page, in order. dataFrom is the first month a node is
// dated ("" when there is none or it is not needed).
func timelineProbes(q kg.TimelineQuery, key, dataFrom string) []tlProbe {
	w := tlWindow{w0: cmpOr(q.Time.Since, tlOpenFrom), w1: cmpOr(q.Time.Until, tlOpenTo)}
	w.y0, w.m0 = w.w0[:4], w.w0[:7]
	ongoing := q.IncludeOngoing && q.Time.Since != ""
	var out []tlProbe
	ladder := func(group, base string, clip bool, probe func(upTo tlSpan, open bool) tlProbe) {
		for _, pr := range tlProbes {
			t, _ := time.Parse("2006-01", base)
			m := t.AddDate(0, pr.months, 0).Format("2006-01")
			day := m + "-" + pr.day
			if pr.day == "03" && key != "" && key[:1] == group && key[8] == '0' { // 2 days after the cursor's day
				if d, err := time.Parse(time.DateOnly, key[9:19]); err == nil && d.AddDate(0, 0, 2).Format("2006-01") == m {
					day = d.AddDate(0, 0, 2).Format(time.DateOnly)
				} else {
					day = m + "-31"
				}
			}
			out = append(out, probe(w.upTo(m, pr.p, day, clip), false))
		}
		out = append(out, probe(tlSpan{}, true))
	}
	base := func(group, floor string) string {
		switch {
		case key != "" && key[:1] == group:
			return key[1:8]
		case dataFrom > floor:
			return dataFrom
		}
		return floor
	}
	from := func(group string, strict, clip bool) tlSpan { // where a group's entries begin
		if key == "" || key[:1] != group {
			return tlSpan{}
		}
		return w.after(key, strict, clip)
	}
	inter := func(a, b tlSpan) tlSpan { // a from-span and an up-to span
		a.to, a.without = b.to, append(append([]string{}, a.without...), b.without...)
		return a
	}
	if key == "" || key[:1] == "0" {
		ladder("0", base("0", w.m0), true, func(upTo tlSpan, _ bool) tlProbe {
			count, fetch := inter(from("0", true, true), upTo), inter(from("0", false, true), upTo)
			starts := or(w.starts(count, "startDate"))
			all := or(w.starts(fetch, "startDate"), w.starts(fetch, "endDate"))
			return tlProbe{rel: starts, ev: starts, fetchRel: all, fetchEv: all}
		})
	}
	if ongoing {
		ladder("1", base("1", tlOpenFrom[:7]), false, func(upTo tlSpan, open bool) tlProbe {
			count, fetch := inter(from("1", true, false), upTo), inter(from("1", false, false), upTo)
			p := tlProbe{rel: w.ongoing(count, false), ev: w.ongoing(count, true), fetchRel: w.ongoing(fetch, false), fetchEv: w.ongoing(fetch, true)}
			if key == "" || key[:1] == "0" { // with every entry of the window after the cursor
				count0, fetch0 := from("0", true, true), from("0", false, true)
				starts := w.starts(count0, "startDate")
				all := []string{w.starts(fetch0, "startDate"), w.starts(fetch0, "endDate")}
				p = tlProbe{rel: or(starts, p.rel), ev: or(starts, p.ev), fetchRel: or(append(all, p.fetchRel)...), fetchEv: or(append(all, p.fetchEv)...)}
			} else {
				p = tlProbe{rel: or(p.rel), ev: or(p.ev), fetchRel: or(p.fetchRel), fetchEv: or(p.fetchEv)}
			}
			return p
		})
	}
	return out
}

// timelineParams are the parameters of a page: the window and the cursor.
func timelineParams(q kg.TimelineQuery) (map[string]any, string, error) {
	w0, w1 := cmpOr(q.Time.Since, tlOpenFrom), cmpOr(q.Time.Until, tlOpenTo)
	p := map[string]any{"w0": w0, "w1": w1, "ongoing": q.IncludeOngoing && q.Time.Since != "", "afterKey": "", "afterID": "",
		"limit": q.First + 1, "types": nonNil(q.Types), "ids": nonNil(q.IDs), "events": len(q.Types) == 0}
	if q.After == "" {
		return p, "", nil
	}
	c, err := kg.DecodeCursor("after", q.After, "TIMELINE")
	if err != nil {
		return nil, "", err
	}
	key, _ := c.Key.(string)
	if !timelineKeyRE.MatchString(key) {
		return nil, "", kg.Invalid("after", "is not a cursor returned by this API")
	}
	p["afterKey"], p["afterID"] = key, c.ID
	return p, key, nil
}

// timelineKeyRE is the shape of a timeline key (see above).
var timelineKeyRE = regexp.MustCompile(`^[01]\d{4}-\d\d[012]\d{4}-\d\d-\d\d$`)

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Timeline returns what happened in the window (what starts in it, what ends in it, events
// dated in it) in date order, then, with q.IncludeOngoing, the relationships ongoing across
// it. With relationship types given, only relationships of those types are listed (no
// events). A page reads the given nodes' relationships (ids), or the date indexes from the
// cursor's month to a month that holds the page (see timelineAllCypher).
func (s *Store) Timeline(ctx context.Context, q kg.TimelineQuery) (*kg.TimelinePage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p, key, err := timelineParams(q)
	if err != nil {
		return nil, err
	}
	page := &kg.TimelinePage{}
	if key != "" && key[:1] == "1" && !p["ongoing"].(bool) { // a cursor among ongoing entries of a query without them
		return page, nil
	}
	var res *neo4j.EagerResult
	switch {
	case len(q.IDs) > 0:
		open := q.Time.Since == "" && q.Time.Until == ""
		p["afterMonthStart"], p["afterMonthEnd"] = "", ""
		if key != "" {
			p["afterMonthStart"], p["afterMonthEnd"] = key[1:8]+"-01", key[1:8]+"-31"
		}
		if !open {
			w0, _ := time.Parse(time.DateOnly, p["w0"].(string))
			p["w0YearBefore"] = w0.AddDate(-1, 0, 0).Format(time.DateOnly)
		}
		res, err = s.read(ctx, timelineByIDsCypher[open], p)
	case len(q.Types) > 0:
		res, err = s.read(ctx, fmt.Sprintf(timelineByTypesCypher, typeUnion(q.Types)), p)
	default:
		res, err = s.timelineAll(ctx, q, key, p)
	}
	if err != nil {
		return nil, err
	}
	for i, rec := range res.Records {
		if i == q.First {
			page.HasNext = true
			break
		}
		e, c, err := timelineEntry(rec)
		if err != nil {
			return nil, err
		}
		page.Entries = append(page.Entries, e)
		page.Cursors = append(page.Cursors, c.Encode())
	}
	return page, nil
}

// timelineEntry reads a row of timelinePage: the entry and its cursor.
func timelineEntry(rec *neo4j.Record) (kg.TimelineEntry, kg.Cursor, error) {
	var e kg.TimelineEntry
	c := kg.Cursor{Order: "TIMELINE"}
	var key string
	var err error
	for _, col := range []struct {
		name string
		to   *string
	}{{"key", &key}, {"id", &c.ID}, {"kind", &e.Kind}, {"day", &e.SortDate}} {
		if *col.to, err = column[string](rec, col.name); err != nil {
			return e, c, err
		}
	}
	c.Key = key
	if date, ok := rec.Get("date"); ok && date != nil {
		if e.Date, err = column[string](rec, "date"); err != nil {
			return e, c, err
		}
	}
	if rel, _ := rec.Get("rel"); rel != nil {
		from, _ := rec.Get("fromNode")
		to, _ := rec.Get("toNode")
		e.Relationship = toRel(rel)
		e.Relationship.FromNode, e.Relationship.ToNode = toNode(from), toNode(to)
	} else {
		ev, _ := rec.Get("event")
		if e.Event = toNode(ev); e.Event == nil {
			return e, c, fmt.Errorf("neo4jstore: a timeline row with neither a relationship nor an event")
		}
	}
	return e, c, nil
}

// timelineAll runs the probes (two round trips at most, after one for the graph's first
// dated month when neither a window start nor a cursor gives a base) and the fetch.
func (s *Store) timelineAll(ctx context.Context, q kg.TimelineQuery, key string, p map[string]any) (*neo4j.EagerResult, error) {
	dataFrom := ""
	ongoing := p["ongoing"].(bool)
	if key == "" && q.Time.Since == "" || ongoing && (key == "" || key[:1] == "0") {
		res, err := s.read(ctx, timelineDataFromCypher, nil)
		if err != nil {
			return nil, err
		}
		if len(res.Records) > 0 {
			dataFrom, _ = res.Records[0].Values[0].(string)
		}
	}
	probes := timelineProbes(q, key, dataFrom)
	for _, span := range [][2]int{{0, 2}, {2, len(probes)}} {
		batch := make([]map[string]any, 0, span[1]-span[0])
		for _, pr := range probes[span[0]:span[1]] {
			batch = append(batch, map[string]any{"rel": pr.rel, "ev": pr.ev})
		}
		p["probes"] = batch
		res, err := s.read(ctx, timelineProbeCypher, p)
		if err != nil {
			return nil, err
		}
		for _, rec := range res.Records {
			at, err := column[int64](rec, "i")
			if err != nil {
				return nil, err
			}
			i := span[0] + int(at)
			if n, _ := rec.Values[1].(int64); n >= int64(q.First+1) || i == len(probes)-1 {
				p["fetchRel"], p["fetchEv"] = probes[i].fetchRel, probes[i].fetchEv
				return s.read(ctx, timelineFetchCypher, p)
			}
		}
	}
	return nil, fmt.Errorf("timeline: no probe answered") // the last probe has no bound
}

// rankDegreeCypher[dir]: degree in the filtered graph, counted in Cypher.
var rankDegreeCypher = func() map[kg.Direction]string {
	out := map[kg.Direction]string{}
	for dir := range arrows {
		out[dir] = `
MATCH (n:Node) WHERE ` + nodeTypeWhere("n") + `
WITH n, COUNT { (n)` + rel(dir, "r") + `(m) WHERE ` + relWhere("r") + ` AND ` + nodeTypeWhere("m") + ` } AS score
ORDER BY score DESC, n.id LIMIT $first
RETURN ` + nodeMap("n") + ` AS node, score`
	}
	return out
}()

// rankDegreeAllCypher[dir]: degree in the whole graph. BOTH reads the stored degree
// (migration 002) from the node_degree index in order: the top $first nodes without looking at
// the others. OUT and IN count the direction from Neo4j's degree store for the $rankScan nodes
// of highest stored degree (read from the index in order), which is exact when the last of the
// top $first scores more than any node left out can (a node's stored degree bounds its
// degree in one direction); otherwise (a graph where most edges point one way at the hubs) it
// counts every node, as filtered ranks do.
var rankDegreeAllCypher = func() map[kg.Direction]string {
	out := map[kg.Direction]string{kg.Both: `
MATCH (n:Node) WHERE n.degree IS NOT NULL
WITH n ORDER BY n.degree DESC, n.id LIMIT $first
RETURN ` + nodeMap("n") + ` AS node, n.degree AS score`}
	for _, dir := range []kg.Direction{kg.Outgoing, kg.Incoming} {
		count := `COUNT { (n)` + rel(dir, "") + `() }`
		out[dir] = `
CALL () {
  MATCH (n:Node) WHERE n.degree IS NOT NULL
  WITH n ORDER BY n.degree DESC LIMIT $rankScan
  RETURN collect(n) AS candidates, min(n.degree) AS bound, count(n) AS scanned
}
UNWIND candidates AS n
WITH n, ` + count + ` AS score, bound, scanned ORDER BY score DESC, n.id
WITH collect({n: n, score: score})[..$first] AS top, bound, scanned
WITH top, scanned < $rankScan OR (size(top) = $first AND top[-1].score > bound) AS exact
CALL (exact) {
  WITH exact WHERE NOT exact
  MATCH (n:Node)
  WITH n, ` + count + ` AS score ORDER BY score DESC, n.id LIMIT $first
  RETURN collect({n: n, score: score}) AS counted
}
UNWIND CASE WHEN exact THEN top ELSE counted END AS row
WITH row.n AS n, row.score AS score
RETURN ` + nodeMap("n") + ` AS node, score`
	}
	return out
}()

// rankScan is how many nodes of highest stored degree an unfiltered OUT or IN rank looks at
// before counting every node (a variable for tests).
var rankScan = 1000

func unfiltered(q kg.RankQuery) bool {
	from, to := q.Filter.Time.Window()
	return len(q.NodeTypes) == 0 && len(q.Filter.Types) == 0 && from == "" && to == ""
}

// rankEdgesCypher: the filtered graph as an edge list of ids, for centrality computed in Go.
// The pattern's %s is empty or ":T1|T2" built from validated types (the allow-list): a
// relationship-type scan instead of filtering every relationship (5x faster at 1M nodes).
var rankEdgesCypher = `
MATCH (a:Node)-[r%s]->(b:Node)
WHERE ` + strings.ReplaceAll(relWhere("r")+` AND `+nodeTypeWhere("a")+` AND `+nodeTypeWhere("b"), "%", "%%") + `
RETURN a.id AS a, b.id AS b
LIMIT $maxEdges + 1`

// typeUnion renders validated relationship types as a pattern's type alternation.
func typeUnion(types []string) string {
	for _, t := range types {
		if !kg.IsRelType(t) {
			panic("relationship type outside the allow-list: " + t) // Validate ran first
		}
	}
	if len(types) == 0 {
		return ""
	}
	return ":" + strings.Join(types, "|")
}

var rankNodesCypher = `
UNWIND range(0, size($ids) - 1) AS i
MATCH (n:Node {id: $ids[i]})
RETURN ` + nodeMap("n") + ` AS node ORDER BY i`

// Rank returns the q.First most central nodes of the filtered graph by degree, PageRank or
// betweenness. Degree is read from the stored degree's index (unfiltered) or counted in Cypher; PageRank and betweenness are computed exactly in
// Go on the filtered edge list (refused with kg.ErrInvalid past kg.MaxRankEdges edges, or
// maxBetweennessNodes nodes for betweenness), then the top nodes are loaded: two round trips.
// Direction BOTH treats edges as undirected; OUT keeps their direction; IN reverses it.
func (s *Store) Rank(ctx context.Context, q kg.RankQuery) ([]kg.Ranked, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := filterParams(q.Filter)
	p["nodeTypes"], p["first"], p["rankScan"] = nonNil(q.NodeTypes), q.First, rankScan
	if q.Measure == kg.MeasureDegree {
		cypher := rankDegreeCypher[q.Filter.Direction]
		if unfiltered(q) {
			cypher = rankDegreeAllCypher[q.Filter.Direction]
		}
		res, err := s.read(ctx, cypher, p)
		if err != nil {
			return nil, err
		}
		out := []kg.Ranked{}
		for _, rec := range res.Records {
			score, err := column[int64](rec, "score")
			if err != nil {
				return nil, err
			}
			node, _ := rec.Get("node")
			out = append(out, kg.Ranked{Node: toNode(node), Score: float64(score)})
		}
		return out, nil
	}
	p["maxEdges"] = kg.MaxRankEdges
	res, err := s.read(ctx, fmt.Sprintf(rankEdgesCypher, typeUnion(q.Filter.Types)), p)
	if err != nil {
		return nil, err
	}
	if len(res.Records) > kg.MaxRankEdges {
		return nil, kg.Invalid("types", "the filtered graph has more than %d relationships; narrow it with types, nodeTypes or a date filter", kg.MaxRankEdges)
	}
	index := map[string]int{}
	var ids []string
	edges := make([][2]int, 0, len(res.Records))
	idx := func(id string) int {
		i, ok := index[id]
		if !ok {
			i = len(ids)
			index[id] = i
			ids = append(ids, id)
		}
		return i
	}
	for _, rec := range res.Records {
		from, err := column[string](rec, "a")
		if err != nil {
			return nil, err
		}
		to, err := column[string](rec, "b")
		if err != nil {
			return nil, err
		}
		a, b := idx(from), idx(to)
		if q.Filter.Direction == kg.Incoming {
			a, b = b, a
		}
		edges = append(edges, [2]int{a, b})
	}
	directed := q.Filter.Direction != kg.Both
	var scores []float64
	if q.Measure == kg.MeasurePageRank {
		if scores, err = kg.PageRank(ctx, len(ids), edges, directed, kg.PageRankDamping); err != nil {
			return nil, err
		}
	} else {
		if len(ids) > maxBetweennessNodes {
			return nil, kg.Invalid("measure", "BETWEENNESS is computed exactly and allows at most %d nodes; the filtered graph has %d: narrow it with types, nodeTypes or a date filter", maxBetweennessNodes, len(ids))
		}
		if scores, err = kg.Betweenness(ctx, len(ids), edges, directed); err != nil {
			return nil, err
		}
	}
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(x, y int) bool {
		if scores[order[x]] != scores[order[y]] {
			return scores[order[x]] > scores[order[y]]
		}
		return ids[order[x]] < ids[order[y]]
	})
	order = order[:min(q.First, len(order))]
	top := make([]string, len(order))
	for i, o := range order {
		top[i] = ids[o]
	}
	res, err = s.read(ctx, rankNodesCypher, map[string]any{"ids": top})
	if err != nil {
		return nil, err
	}
	out := []kg.Ranked{}
	for i, rec := range res.Records {
		out = append(out, kg.Ranked{Node: toNode(rec.Values[0]), Score: scores[order[i]]})
	}
	return out, nil
}

// maxBetweennessNodes bounds exact betweenness (O(nodes x edges)).
const maxBetweennessNodes = 20000

func toNodes(v any) []*kg.Node {
	l, _ := v.([]any)
	out := make([]*kg.Node, 0, len(l))
	for _, x := range l {
		if n := toNode(x); n != nil {
			out = append(out, n)
		}
	}
	return out
}

func toRels(v any) []*kg.Relationship {
	l, _ := v.([]any)
	out := make([]*kg.Relationship, 0, len(l))
	for _, x := range l {
		out = append(out, toRel(x))
	}
	return out
}

func strsOf(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

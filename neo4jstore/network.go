package neo4jstore

import (
	"context"
	"fmt"
	"sort"
	"strings"

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
  WHERE b IN ns AND ` + relWhere("r") + `
  WITH r ORDER BY r.id LIMIT $maxEdges
  RETURN collect(` + relMap("r") + `) AS edges
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
     cut OR size(found) > $limit - size(seen) AS cut`, rel(dir, "r"), level, relWhere("r"), nodeTypeWhere("m"))
		}
		b.WriteString(`
// Re-collected on purpose: the induced-edges subquery over the list built by list concatenation above
// used ~700 MB of transaction memory around hubs (a planner quirk); over a collected
// list it takes a few MB.
UNWIND seen AS x
WITH collect(x) AS ns, cut` + inducedEdges + `
RETURN [n IN ns | ` + nodeMap("n") + `] AS nodes, edges, cut OR size(edges) >= $maxEdges AS truncated`)
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
	res, err := s.read(ctx, neighborhoodCypher[q.Filter.Direction], p)
	if err != nil {
		return nil, err
	}
	if len(res.Records) == 0 { // no centre: the UNWIND of the empty list leaves no row
		return nil, fmt.Errorf("node %q: %w", q.ID, kg.ErrNotFound)
	}
	v := res.Records[0].Values
	return &kg.Network{Nodes: toNodes(v[0]), Edges: toRels(v[1]), Truncated: v[2].(bool)}, nil
}

// networkCypher: the given nodes and every edge among them.
var networkCypher = `
MATCH (n:Node) WHERE n.id IN $ids
WITH n ORDER BY n.id
WITH collect(n) AS ns` + inducedEdges + `
RETURN [n IN ns | ` + nodeMap("n") + `] AS nodes, edges, size(edges) >= $maxEdges AS truncated`

// Network returns the given nodes (unknown ids are left out) and every edge among them.
func (s *Store) Network(ctx context.Context, q kg.NetworkQuery) (*kg.Network, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := filterParams(q.Filter)
	p["ids"], p["maxEdges"] = q.IDs, maxEdges
	res, err := s.read(ctx, networkCypher, p)
	if err != nil {
		return nil, err
	}
	v := res.Records[0].Values
	return &kg.Network{Nodes: toNodes(v[0]), Edges: toRels(v[1]), Truncated: v[2].(bool)}, nil
}

type pathsKey struct {
	dir  kg.Direction
	hops int
	k    bool
}

// pathsCypher[dir, hops, kShortest]. All shortest paths use the bidirectional
// allShortestPaths with the filters written as all(...) predicates, which Neo4j applies
// during the search (at 1M nodes 23 ms where the quantified-path form took 3-23 s). The k
// shortest use Neo4j 5's SHORTEST k over a quantified path pattern with inline predicates
// (SHORTEST 50, cut to $limit), which also returns longer paths but explores more.
var pathsCypher = func() map[pathsKey]string {
	out := map[pathsKey]string{}
	ends := "MATCH (a:Node {id: $from}), (b:Node {id: $to})\n"
	tail := `
WITH p ORDER BY length(p), reduce(k = '', r IN relationships(p) | k + r.id + ' ') LIMIT $limit + 1
RETURN [n IN nodes(p) | ` + nodeMap("n") + `] AS nodes, [r IN relationships(p) | ` + relMap("r") + `] AS rels`
	for dir := range arrows {
		for hops := 1; hops <= kg.MaxHops; hops++ {
			out[pathsKey{dir, hops, false}] = ends + fmt.Sprintf(
				"MATCH p = allShortestPaths((a)%s(b))\nWHERE all(r IN relationships(p) WHERE %s)\n  AND all(x IN nodes(p)[1..-1] WHERE %s)",
				rel(dir, fmt.Sprintf("*..%d", hops)), relWhere("r"), nodeTypeWhere("x")) + tail
			out[pathsKey{dir, hops, true}] = ends + fmt.Sprintf(
				"MATCH p = SHORTEST %d (a) (()%s(x) WHERE %s AND (x = b OR %s)){1,%d} (b)",
				kg.MaxPaths, rel(dir, "r"), relWhere("r"), nodeTypeWhere("x"), hops) + tail
		}
	}
	return out
}()

// Paths returns how q.From and q.To connect: all shortest paths, or the k shortest, within
// q.MaxHops, each with its nodes and edges in order. No path gives an empty result.
func (s *Store) Paths(ctx context.Context, q kg.PathsQuery) (*kg.PathsResult, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := filterParams(q.Filter)
	p["from"], p["to"], p["limit"] = q.From, q.To, q.Limit
	res, err := s.read(ctx, pathsCypher[pathsKey{q.Filter.Direction, q.MaxHops, q.KShortest}], p)
	if err != nil {
		return nil, err
	}
	out := &kg.PathsResult{Paths: []kg.Path{}}
	for i, rec := range res.Records {
		if i == q.Limit {
			out.Truncated = true
			break
		}
		out.Paths = append(out.Paths, kg.Path{Nodes: toNodes(rec.Values[0]), Edges: toRels(rec.Values[1])})
	}
	return out, nil
}

// commonCypher[dir]: neighbours of the seeds, grouped, kept when shared by enough seeds.
var commonCypher = func() map[kg.Direction]string {
	out := map[kg.Direction]string{}
	for dir := range arrows {
		out[dir] = `
UNWIND $ids AS sid
MATCH (s:Node {id: sid})` + rel(dir, "r") + `(m)
WHERE NOT m.id IN $ids AND ` + relWhere("r") + ` AND ` + nodeTypeWhere("m") + `
WITH sid, m, r ORDER BY r.id
WITH m, collect(DISTINCT sid) AS shared, collect(r) AS rs
WHERE size(shared) >= $minShared
WITH m, shared, rs ORDER BY size(shared) DESC, COUNT { (m)--() } DESC, m.id LIMIT $limit + 1
WITH collect({node: ` + nodeMap("m") + `, shared: shared, edges: [r IN rs | ` + relMap("r") + `]}) AS rows
CALL () {
  MATCH (s:Node) WHERE s.id IN $ids
  RETURN collect(` + nodeMap("s") + `) AS seeds
}
RETURN rows, seeds`
	}
	return out
}()

// CommonConnections returns nodes connected to at least q.MinShared of q.IDs (all of them by
// default), most shared first, with the connecting edges.
func (s *Store) CommonConnections(ctx context.Context, q kg.CommonQuery) (*kg.CommonResult, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := filterParams(q.Filter)
	p["ids"], p["minShared"], p["limit"] = q.IDs, q.MinShared, q.Limit
	res, err := s.read(ctx, commonCypher[q.Filter.Direction], p)
	if err != nil {
		return nil, err
	}
	v := res.Records[0].Values // aggregated: always one row
	out := &kg.CommonResult{Common: []kg.Common{}, Seeds: toNodes(v[1])}
	for i, row := range v[0].([]any) {
		if i == q.Limit {
			out.Truncated = true
			break
		}
		m := row.(map[string]any)
		shared := strsOf(m["shared"])
		sort.Strings(shared)
		out.Common = append(out.Common, kg.Common{Node: toNode(m["node"]), Shared: shared, Edges: toRels(m["edges"])})
	}
	return out, nil
}

// timelineRows are the two ways to gather a timeline's candidate rows (day, key, rel, e):
// over the whole graph, or (much cheaper) from the given nodes outwards.
var timelineRows = map[bool]string{
	false: `
  MATCH ()-[r]->()
  WHERE r.rangeFrom IS NOT NULL AND ` + relWhere("r") + `
  RETURN r.rangeFrom AS day, r.id AS key, r AS rel, null AS e
  UNION ALL
  MATCH (e:Event)
  WHERE e.rangeFrom IS NOT NULL AND size($types) = 0 AND ` + eventWindow + `
  RETURN e.rangeFrom AS day, e.id AS key, null AS rel, e`,
	true: `
  UNWIND $ids AS id
  MATCH (:Node {id: id})-[r]-()
  WHERE r.rangeFrom IS NOT NULL AND ` + relWhere("r") + `
  WITH DISTINCT r
  RETURN r.rangeFrom AS day, r.id AS key, r AS rel, null AS e
  UNION
  UNWIND $ids AS id
  MATCH (n:Node {id: id})
  CALL (n) {
    MATCH (n)--(e:Event) RETURN e
    UNION
    MATCH (e:Event) WHERE e = n RETURN e
  }
  WITH e WHERE e.rangeFrom IS NOT NULL AND size($types) = 0 AND ` + eventWindow + `
  RETURN e.rangeFrom AS day, e.id AS key, null AS rel, e`,
}

const eventWindow = `($winFrom IS NULL OR coalesce(e.rangeTo, '9999-12-31') >= $winFrom)
    AND ($winTo IS NULL OR e.rangeFrom <= $winTo)`

// timelineCypher[byIDs]: dated relationships and dated events in one ordered, keyset-paged
// stream. Rows are sorted and cut on their keys first; only the page is mapped (mapping every
// dated relationship of a large graph before the sort cost seconds).
var timelineCypher = func() map[bool]string {
	out := map[bool]string{}
	for byIDs, rows := range timelineRows {
		out[byIDs] = `
CALL () {` + rows + `
}
WITH * WHERE $afterKey IS NULL OR day > $afterDay OR (day = $afterDay AND key > $afterKey)
WITH day, key, rel, e ORDER BY day, key LIMIT $limit
WITH day, key, rel, e, startNode(rel) AS a, endNode(rel) AS b
RETURN day, key, coalesce(rel.startDate, rel.endDate, e.startDate) AS date,
       ` + relMap("rel") + ` AS rel, ` + nodeMap("a") + ` AS fromNode, ` + nodeMap("b") + ` AS toNode,
       ` + nodeMap("e") + ` AS event
ORDER BY day, key`
	}
	return out
}()

// Timeline returns dated relationships and events (rulings included) in date order. With
// relationship types given, only relationships of those types are listed (no events).
func (s *Store) Timeline(ctx context.Context, q kg.TimelineQuery) (*kg.TimelinePage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := filterParams(kg.EdgeFilter{Types: q.Types, Time: q.Time})
	p["ids"], p["limit"], p["afterKey"], p["afterDay"] = nonNil(q.IDs), q.First+1, nil, nil
	if q.After != "" {
		c, err := kg.DecodeCursor("after", q.After, "TIMELINE")
		if err != nil {
			return nil, err
		}
		day, _ := c.Key.(string)
		p["afterKey"], p["afterDay"] = c.ID, day
	}
	res, err := s.read(ctx, timelineCypher[len(q.IDs) > 0], p)
	if err != nil {
		return nil, err
	}
	page := &kg.TimelinePage{}
	for i, rec := range res.Records {
		if i == q.First {
			page.HasNext = true
			break
		}
		v := rec.Values
		e := kg.TimelineEntry{SortDate: v[0].(string)}
		e.Date, _ = v[2].(string)
		if v[3] != nil {
			e.Relationship = toRel(v[3])
			e.Relationship.FromNode, e.Relationship.ToNode = toNode(v[4]), toNode(v[5])
		} else {
			e.Event = toNode(v[6])
		}
		page.Entries = append(page.Entries, e)
		page.Cursors = append(page.Cursors, kg.Cursor{Order: "TIMELINE", Key: e.SortDate, ID: v[1].(string)}.Encode())
	}
	return page, nil
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

// rankDegreeAllCypher[dir]: degree of the whole graph, read from Neo4j's degree store.
var rankDegreeAllCypher = func() map[kg.Direction]string {
	out := map[kg.Direction]string{}
	for dir := range arrows {
		out[dir] = `
MATCH (n:Node)
WITH n, COUNT { (n)` + rel(dir, "") + `() } AS score
ORDER BY score DESC, n.id LIMIT $first
RETURN ` + nodeMap("n") + ` AS node, score`
	}
	return out
}()

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
// betweenness. Degree is counted in Cypher; PageRank and betweenness are computed exactly in
// Go on the filtered edge list (refused with kg.ErrInvalid past kg.MaxRankEdges edges, or
// maxBetweennessNodes nodes for betweenness), then the top nodes are loaded: two round trips.
// Direction BOTH treats edges as undirected; OUT keeps their direction; IN reverses it.
func (s *Store) Rank(ctx context.Context, q kg.RankQuery) ([]kg.Ranked, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	p := filterParams(q.Filter)
	p["nodeTypes"], p["first"] = nonNil(q.NodeTypes), q.First
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
			out = append(out, kg.Ranked{Node: toNode(rec.Values[0]), Score: float64(rec.Values[1].(int64))})
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
		a, b := idx(rec.Values[0].(string)), idx(rec.Values[1].(string))
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

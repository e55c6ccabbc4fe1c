package neo4jstore

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/policygraph/policygraph/kg"
)

// Cypher fragments shared by every read that returns nodes or relationships, so all of them
// map the same way. %[1]s is the variable name.
const (
	// sourceProps: what a citation tells of its Source.
	sourceProps = `{.id, .type, .name, .aliases, .description, .kind, .publisher, .url, .startDate}`
	// citationsExpr: the citations with each Source looked up.
	citationsExpr = `[i IN range(0, size(coalesce(%[1]s.citationSources, [])) - 1) | {
	quote: %[1]s.citationQuotes[i], locator: %[1]s.citationLocators[i],
	source: head(COLLECT { MATCH (src:Node {id: %[1]s.citationSources[i]}) RETURN src ` + sourceProps + ` })}]`
	// citationRefsExpr: the citations with each Source as {id} only, for whole-graph exports,
	// which look the Sources up once instead of once per citation (2x faster at 100k nodes).
	citationRefsExpr = `[i IN range(0, size(coalesce(%[1]s.citationSources, [])) - 1) | {
	quote: %[1]s.citationQuotes[i], locator: %[1]s.citationLocators[i], source: {id: %[1]s.citationSources[i]}}]`
)

func nodeMap(v string) string { return nodeProjection(v, kg.Omit{}, citationsExpr) }

func relMap(v string) string { return relProjection(v, citationsExpr) }

// nodeMapOmit is nodeMap without the parts o leaves out (lists read only what the client
// selected: a page of 100 nodes with long descriptions and many citations otherwise costs
// Neo4j and the wire for nothing).
func nodeMapOmit(v string, o kg.Omit) string { return nodeProjection(v, o, citationsExpr) }

// nodeProjection is the one map every node read returns, less the parts o leaves out, with
// citations rendered by the given fragment. The pieces are fixed text: no input reaches Cypher.
func nodeProjection(v string, o kg.Omit, citations string) string {
	var b strings.Builder
	b.WriteString(`%[1]s {.id, .type, .name, .aliases, .kind, .country, .status, .startDate, .endDate,
	.docket, .value, .unit, .measure, .qualifier, .publisher, .url, .nameValues, .nameLangs, .nameKinds, .nameReasons,
	.inferred, .inferredReason`)
	if !o.Description {
		b.WriteString(`, .description`)
	}
	if !o.Degree {
		b.WriteString(`, degree: COUNT { (%[1]s)--() }`)
	}
	if !o.Citations {
		b.WriteString(`, citations: ` + citations)
	}
	b.WriteString(`}`)
	return fmt.Sprintf(b.String(), v)
}

// relProjection is the one map every relationship read returns.
func relProjection(v, citations string) string {
	return fmt.Sprintf(`%[1]s {.id, .role, .outcome, .description, .startDate, .endDate, .rangeFrom, .rangeTo, .inferred, .inferredReason, type: type(%[1]s),
	from: startNode(%[1]s).id, to: endNode(%[1]s).id, citations: `+citations+`}`, v)
}

// byOmit builds one query text per Omit value on first use.
type byOmit struct {
	mu    sync.Mutex
	texts map[kg.Omit]string
	build func(kg.Omit) string
}

func (c *byOmit) get(o kg.Omit) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.texts[o]; ok {
		return t
	}
	if c.texts == nil {
		c.texts = map[kg.Omit]string{}
	}
	t := c.build(o)
	c.texts[o] = t
	return t
}

var nodeCypher = `
MATCH (n:Node {id: $id})
RETURN ` + nodeMap("n") + ` AS node`

// Node returns one node by id, or kg.ErrNotFound.
func (s *Store) Node(ctx context.Context, id string) (*kg.Node, error) {
	res, err := s.read(ctx, nodeCypher, map[string]any{"id": id})
	if err != nil {
		return nil, err
	}
	if len(res.Records) == 0 {
		return nil, fmt.Errorf("node %q: %w", id, kg.ErrNotFound)
	}
	return toNode(res.Records[0].Values[0]), nil
}

// listFilter is the WHERE clause of node lists; every value is a parameter.
const listFilter = `
WHERE (size($types) = 0 OR n.type IN $types)
  AND (size($kinds) = 0 OR n.kind IN $kinds)
  AND (size($statuses) = 0 OR n.status IN $statuses)
  AND ($country IS NULL OR n.country = $country)
  AND ($name IS NULL OR toLower(n.name) CONTAINS $name OR toLower(n.aliasText) CONTAINS $name)
  AND ($since IS NULL OR coalesce(n.rangeTo, n.rangeFrom) IS NULL OR coalesce(n.rangeTo, '9999-12-31') >= $since)
  AND ($until IS NULL OR n.rangeFrom IS NULL OR n.rangeFrom <= $until)`

// sortKeys are the allow-listed sort expressions of node lists, with their direction.
var sortKeys = map[string]struct {
	expr string
	desc bool
}{
	kg.OrderName:      {`toLower(n.name)`, false},
	kg.OrderDegree:    {`COUNT { (n)--() }`, true},
	kg.OrderStartDate: {`coalesce(n.rangeFrom, '9999-12-31')`, false},
	kg.OrderID:        {`n.id`, false},
}

// listCypher[order] holds one query per order and Omit, built from the fragments above on
// first use: a total count (only when asked) and one keyset page, in one round trip.
var listCypher = func() map[string]*byOmit {
	m := map[string]*byOmit{}
	for order, k := range sortKeys {
		cmp, dir := ">", "ASC"
		if k.desc {
			cmp, dir = "<", "DESC"
		}
		m[order] = &byOmit{build: func(o kg.Omit) string {
			return `
CALL () {
  WITH 1 AS one WHERE $withTotal // skip the count (and its scan) unless asked
  MATCH (n:Node)` + listFilter + `
  RETURN count(n) AS total
}
CALL () {
  MATCH (n:Node)` + listFilter + `
  WITH n, ` + k.expr + ` AS key
  WHERE $afterId IS NULL OR key ` + cmp + ` $afterKey OR (key = $afterKey AND n.id > $afterId)
  WITH n, key ORDER BY key ` + dir + `, n.id ASC LIMIT $limit
  RETURN collect({node: ` + nodeMapOmit("n", o) + `, key: key}) AS rows
}
RETURN total, rows`
		}}
	}
	return m
}()

// ListNodes returns one page of nodes matching q, in q.Order, with keyset cursors.
func (s *Store) ListNodes(ctx context.Context, q kg.NodeQuery) (*kg.NodePage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	params := map[string]any{
		"types": nonNil(q.Types), "kinds": nonNil(q.Kinds), "statuses": nonNil(q.Statuses),
		"country": opt(q.Country), "name": opt(strings.ToLower(q.NameContains)),
		"since": opt(q.Since), "until": opt(q.Until), "withTotal": q.WithTotal,
		"afterId": nil, "afterKey": nil, "limit": q.First + 1,
	}
	if q.After != "" {
		c, err := kg.DecodeCursor("after", q.After, q.Order)
		if err != nil {
			return nil, err
		}
		params["afterId"], params["afterKey"] = c.ID, c.Key
	}
	res, err := s.read(ctx, listCypher[q.Order].get(q.Omit), params)
	if err != nil {
		return nil, err
	}
	page := &kg.NodePage{Total: -1}
	rec := res.Records[0] // both subqueries aggregate: always exactly one row
	if q.WithTotal {
		page.Total = int(rec.Values[0].(int64))
	}
	for i, row := range rec.Values[1].([]any) {
		if i == q.First {
			page.HasNext = true
			break
		}
		m := row.(map[string]any)
		n := toNode(m["node"])
		page.Nodes = append(page.Nodes, n)
		page.Cursors = append(page.Cursors, kg.Cursor{Order: q.Order, Key: m["key"], ID: n.ID}.Encode())
	}
	return page, nil
}

// relsOfCypher loads a page of relationships for many nodes at once (the batch behind every
// nested `relationships` field), with the node at the other end of each.
var relsOfCypher = `
UNWIND $ids AS id
MATCH (n:Node {id: id})
CALL (n) {
  MATCH (n)-[r]-(m)
  WHERE (size($types) = 0 OR type(r) IN $types)
    AND ($dir = 'BOTH' OR ($dir = 'OUT' AND startNode(r) = n) OR ($dir = 'IN' AND endNode(r) = n))
    AND ($after IS NULL OR r.id > $after)
  RETURN r, m ORDER BY r.id LIMIT $limit
}
RETURN id, collect({rel: ` + relMap("r") + `, other: ` + nodeMap("m") + `}) AS rels`

// RelationshipsOf returns, for each of ids, one page of its relationships, in one query.
// Each relationship's FromNode or ToNode (the end that is not the node itself) is filled.
func (s *Store) RelationshipsOf(ctx context.Context, ids []string, q kg.RelQuery) (map[string]*kg.RelPage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	params := map[string]any{"ids": ids, "types": nonNil(q.Types), "dir": string(q.Direction), "after": nil, "limit": q.First + 1}
	if q.After != "" {
		c, _ := kg.DecodeCursor("after", q.After, "REL")
		params["after"] = c.ID
	}
	res, err := s.read(ctx, relsOfCypher, params)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*kg.RelPage, len(ids))
	for _, rec := range res.Records {
		id := rec.Values[0].(string)
		out[id] = relPage(id, rec.Values[1].([]any), q.First)
	}
	return out, nil
}

func relPage(self string, rows []any, first int) *kg.RelPage {
	page := &kg.RelPage{}
	for i, row := range rows {
		if i == first {
			page.HasNext = true
			break
		}
		m := row.(map[string]any)
		r := toRel(m["rel"])
		other := toNode(m["other"])
		if r.From == self && r.To != self {
			r.ToNode = other
		} else {
			r.FromNode = other
		}
		page.Relationships = append(page.Relationships, r)
		page.Cursors = append(page.Cursors, kg.Cursor{Order: "REL", ID: r.ID}.Encode())
	}
	return page
}

// supportsCypher lists, for many sources at once, the relationships that cite each. It scans
// relationships (citations are lists on edges); fine at our sizes, revisit past ~1M edges.
var supportsCypher = `
UNWIND $ids AS id
CALL (id) {
  MATCH (a)-[r]->(b)
  WHERE id IN r.citationSources AND ($after IS NULL OR r.id > $after)
  RETURN r, a, b ORDER BY r.id LIMIT $limit
}
RETURN id, collect({rel: ` + relMap("r") + `, from: ` + nodeMap("a") + `, to: ` + nodeMap("b") + `}) AS rels`

// SupportedBy returns, for each source id, one page of the relationships that cite it.
func (s *Store) SupportedBy(ctx context.Context, ids []string, first int, after string) (map[string]*kg.RelPage, error) {
	if err := kg.CheckFirst("first", first); err != nil {
		return nil, err
	}
	params := map[string]any{"ids": ids, "after": nil, "limit": first + 1}
	if after != "" {
		c, err := kg.DecodeCursor("after", after, "REL")
		if err != nil {
			return nil, err
		}
		params["after"] = c.ID
	}
	res, err := s.read(ctx, supportsCypher, params)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*kg.RelPage, len(ids))
	for _, rec := range res.Records {
		id := rec.Values[0].(string)
		page := &kg.RelPage{}
		for i, row := range rec.Values[1].([]any) {
			if i == first {
				page.HasNext = true
				break
			}
			m := row.(map[string]any)
			r := toRel(m["rel"])
			r.FromNode, r.ToNode = toNode(m["from"]), toNode(m["to"])
			page.Relationships = append(page.Relationships, r)
			page.Cursors = append(page.Cursors, kg.Cursor{Order: "REL", ID: r.ID}.Encode())
		}
		out[id] = page
	}
	return out, nil
}

// CountNodes returns the number of nodes in the graph (to decide whether to load bundled data).
func (s *Store) CountNodes(ctx context.Context) (int64, error) {
	res, err := s.read(ctx, `MATCH (n:Node) RETURN count(n)`, nil)
	if err != nil {
		return 0, err
	}
	return res.Records[0].Values[0].(int64), nil
}

// citedByCypher lists, for many sources at once, the nodes whose own citations cite each
// (statistics above all), by id, with their total.
var citedByCypher = `
UNWIND $ids AS id
CALL (id) {
  MATCH (n:Node)
  WHERE id IN n.citationSources AND ($after IS NULL OR n.id > $after)
  WITH n ORDER BY n.id LIMIT $limit
  RETURN collect(` + nodeMap("n") + `) AS nodes
}
RETURN id, nodes, COUNT { MATCH (n:Node) WHERE id IN n.citationSources } AS total`

// CitedBy returns, for each source id, one page of the nodes that cite it.
func (s *Store) CitedBy(ctx context.Context, ids []string, first int, after string) (map[string]*kg.NodePage, error) {
	if err := kg.CheckFirst("first", first); err != nil {
		return nil, err
	}
	params := map[string]any{"ids": ids, "after": nil, "limit": first + 1}
	if after != "" {
		c, err := kg.DecodeCursor("after", after, kg.OrderID)
		if err != nil {
			return nil, err
		}
		params["after"] = c.ID
	}
	res, err := s.read(ctx, citedByCypher, params)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*kg.NodePage, len(ids))
	for _, rec := range res.Records {
		page := &kg.NodePage{Total: int(rec.Values[2].(int64))}
		for i, n := range toNodes(rec.Values[1]) {
			if i == first {
				page.HasNext = true
				break
			}
			page.Nodes = append(page.Nodes, n)
			page.Cursors = append(page.Cursors, kg.Cursor{Order: kg.OrderID, ID: n.ID}.Encode())
		}
		out[rec.Values[0].(string)] = page
	}
	return out, nil
}

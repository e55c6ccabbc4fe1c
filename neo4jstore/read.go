package neo4jstore

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
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

func relMap(v string) string { return relProjection(v, citationsExpr, true) }

// nodeMapOmit is nodeMap without the parts o leaves out (lists read only what the client
// selected: a page of 100 nodes with long descriptions and many citations otherwise costs
// Neo4j and the wire for nothing).
func nodeMapOmit(v string, o kg.Omit) string { return nodeProjection(v, o, citationsExpr) }

// nodeProjection is the one map every node read returns, less the parts o leaves out, with
// citations rendered by the given fragment. The pieces are fixed text: no input reaches Cypher.
func nodeProjection(v string, o kg.Omit, citations string) string {
	var b strings.Builder
	b.WriteString(`%[1]s {.id, .type, .name, .version`)
	if !o.Aliases {
		b.WriteString(`, .aliases`)
	}
	if !o.Names {
		b.WriteString(`, .nameValues, .nameLangs, .nameKinds, .nameReasons`)
	}
	if !o.Detail {
		b.WriteString(`, .kind, .country, .status, .startDate, .endDate, .docket, .value, .unit, .measure, .qualifier,
	.publisher, .url, .inferred, .inferredReason`)
	}
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

// relProjection is the one map every relationship read returns; citations "" leaves the
// citations out (not selected), and detail false the properties beyond id, type, ends and
// version (a network drawn as a picture needs only those).
func relProjection(v, citations string, detail bool) string {
	if citations != "" {
		citations = ", citations: " + citations
	}
	props := `.id, .version`
	if detail {
		props = `.id, .role, .outcome, .description, .startDate, .endDate, .rangeFrom, .rangeTo, .inferred, .inferredReason, .version`
	}
	return fmt.Sprintf(`%[1]s {`+props+`, type: type(%[1]s),
	from: startNode(%[1]s).id, to: endNode(%[1]s).id`+citations+`}`, v)
}

// Network queries are written with slots where nodes and edges are projected (nodeSlot,
// relSlot); projected fills them for what the answer needs. The slot marks cannot occur in
// Cypher we write, and no input reaches the text.
func nodeSlot(v string) string { return "\x00node " + v + "\x00" }
func relSlot(v string) string  { return "\x00rel " + v + "\x00" }

var slotRE = regexp.MustCompile("\x00(node|rel|relf|nodef) ([a-z0-9]+)\x00")

// filterShape is which filters a network question gives (their values are parameters).
type filterShape struct{ types, from, to, nodeTypes bool }

func shapeOf(f kg.EdgeFilter) filterShape {
	from, to := f.Time.Window()
	return filterShape{types: len(f.Types) > 0, from: from != "", to: to != "", nodeTypes: len(f.NodeTypes) > 0}
}

type projKey struct {
	text  string
	p     kg.Projection
	shape filterShape
}

// Conditions that became `true` (no filter given) are dropped where that is plain text
// substitution: `all(... WHERE true)`, `A AND true`, `true AND A`.
var (
	allTrueRE = regexp.MustCompile(`all\(\w+ IN (?:relationships|nodes)\(p\) WHERE (?:x = a OR x = b OR )?true\)`)
	andTrueRE = regexp.MustCompile(`\s+AND true\b|\btrue AND\s+`)
)

var projections = memo[projKey]{build: func(k projKey) string {
	cit := citationsExpr
	if k.p.NoEdgeCitations {
		cit = ""
	}
	text := slotRE.ReplaceAllStringFunc(k.text, func(m string) string {
		g := slotRE.FindStringSubmatch(m)
		switch g[1] {
		case "node":
			return nodeMapOmit(g[2], k.p.Nodes)
		case "rel":
			return relProjection(g[2], cit, !k.p.NoEdgeDetail)
		case "nodef":
			if !k.shape.nodeTypes {
				return "true"
			}
			return g[2] + ".type IN $nodeTypes"
		}
		var conds []string
		if k.shape.types {
			conds = append(conds, "type("+g[2]+") IN $types")
		}
		if k.shape.from {
			conds = append(conds, "coalesce("+g[2]+".rangeTo, '9999-12-31') >= $winFrom")
		}
		if k.shape.to {
			conds = append(conds, "coalesce("+g[2]+".rangeFrom, '0000-01-01') <= $winTo")
		}
		if len(conds) == 0 {
			return "true"
		}
		return "(" + strings.Join(conds, " AND ") + ")"
	})
	text = allTrueRE.ReplaceAllString(text, "true")
	for prev := ""; prev != text; {
		prev, text = text, andTrueRE.ReplaceAllString(text, "")
	}
	return text
}}

// projected fills the slots of a network query text for projection p and the filters of f.
func projected(text string, p kg.Projection, f kg.EdgeFilter) string {
	return projections.get(projKey{text, p, shapeOf(f)})
}

// memo builds one query text per key on first use (texts are assembled from fixed fragments
// chosen by the key, so their number is bounded by the key space).
type memo[K comparable] struct {
	mu    sync.Mutex
	texts map[K]string
	build func(K) string
}

func (c *memo[K]) get(k K) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.texts[k]; ok {
		return t
	}
	if c.texts == nil {
		c.texts = map[K]string{}
	}
	t := c.build(k)
	c.texts[k] = t
	return t
}

// byOmit is a memo keyed by the parts of the nodes a query leaves out.
type byOmit = memo[kg.Omit]

// cut trims rows fetched with LIMIT first+1 to first and says whether there were more: the
// one paging step every keyset page shares.
func cut[T any](rows []T, first int) ([]T, bool) {
	if len(rows) > first {
		return rows[:first], true
	}
	return rows, false
}

// nodeSpec is the shape of a node read: what to leave out of the node, and whether (and how)
// to read one page of its relationships in the same query.
type nodeSpec struct {
	omit kg.Omit
	rels bool
	rel  relSpec
}

var nodeCypher = memo[nodeSpec]{build: func(sp nodeSpec) string {
	q := `
MATCH (n:Node {id: coalesce(head(COLLECT { MATCH (m:MergedId {id: $id}) RETURN m.into }), $id)})`
	if !sp.rels {
		return q + `
RETURN ` + nodeMapOmit("n", sp.omit) + ` AS node, null AS rels`
	}
	return q + `
CALL (n) {` + relPageCypher(sp.rel) + `
}
RETURN ` + nodeMapOmit("n", sp.omit) + ` AS node, rels`
}}

// Node returns one node by id, or kg.ErrNotFound.
func (s *Store) Node(ctx context.Context, id string) (*kg.Node, error) {
	n, _, err := s.NodeWith(ctx, id, kg.Omit{}, nil)
	return n, err
}

// NodeWith returns one node by id without the parts o leaves out and, when rq is not nil, one
// page of its relationships, in one round trip. Not found is kg.ErrNotFound.
func (s *Store) NodeWith(ctx context.Context, id string, o kg.Omit, rq *kg.RelQuery) (*kg.Node, *kg.RelPage, error) {
	sp := nodeSpec{omit: o}
	params := map[string]any{"id": id}
	if rq != nil {
		if err := rq.Validate(); err != nil {
			return nil, nil, err
		}
		sp.rels, sp.rel = true, specOf(*rq)
		addRelParams(params, *rq)
	}
	res, err := s.read(ctx, nodeCypher.get(sp), params)
	if err != nil {
		return nil, nil, err
	}
	if len(res.Records) == 0 {
		return nil, nil, fmt.Errorf("node %q: %w", id, kg.ErrNotFound)
	}
	rec := res.Records[0]
	n := toNode(rec.Values[0])
	if !sp.rels {
		return n, nil, nil
	}
	rows, err := column[[]any](rec, "rels")
	if err != nil {
		return nil, nil, err
	}
	return n, relPage(n.ID, rows, rq.First), nil // n.ID: id may be a merged id
}

// listSpec is the shape of a node list query: which filters were given (their values are
// parameters), the order, the label matched and what to leave out. Only the filters given are
// written into the query, so the planner sees plain predicates it can serve from an index
// ("apply if given" predicates such as `$x IS NULL OR n.x = $x` defeat index use).
type listSpec struct {
	label                                               string // a node type from kg.NodeTypes, or "" for any
	types, kinds, statuses, country, name, since, until bool
	after, total                                        bool
	order                                               string
	omit                                                kg.Omit
}

// listOrders are the allow-listed orders of node lists: the sort key, its direction, and the
// keyset predicate after a cursor. NAME and DEGREE read the stored nameKey and degree from a
// range index in order (their `IS NOT NULL` makes the index usable; every node has both).
// The cursor's tie-break is a CASE, not `key > k OR id > i`: the planner splits an OR (and
// NOT (a AND b)) into a union of two index seeks, which loses the index order.
var listOrders = map[string]struct {
	key, dir, where, after, index string
}{
	kg.OrderName: {`n.nameKey`, `ASC`, `n.nameKey IS NOT NULL`,
		`n.nameKey >= $afterKey AND CASE WHEN n.nameKey = $afterKey THEN n.id > $afterId ELSE true END`, `nameKey`},
	kg.OrderDegree: {`n.degree`, `DESC`, `n.degree IS NOT NULL`,
		`n.degree <= $afterKey AND CASE WHEN n.degree = $afterKey THEN n.id > $afterId ELSE true END`, `degree`},
	kg.OrderStartDate: {`coalesce(n.rangeFrom, '9999-12-31')`, `ASC`, ``,
		`(coalesce(n.rangeFrom, '9999-12-31') > $afterKey OR (coalesce(n.rangeFrom, '9999-12-31') = $afterKey AND n.id > $afterId))`, ``},
	kg.OrderID: {`n.id`, `ASC`, `n.id IS NOT NULL`, `n.id > $afterId`, `id`},
}

// dated is true of a node with a start or an end date; the since/until filters keep only
// dated nodes whose span overlaps the window (an open end runs to today and beyond).
const dated = `(n.rangeFrom IS NOT NULL OR n.rangeTo IS NOT NULL)`

var listCypher = memo[listSpec]{build: func(sp listSpec) string {
	label := "Node"
	if sp.label != "" {
		label = "Node:" + sp.label
	}
	var where []string
	add := func(on bool, cond string) {
		if on {
			where = append(where, cond)
		}
	}
	add(sp.types, `n.type IN $types`)
	add(sp.kinds, `n.kind IN $kinds`)
	add(sp.statuses, `n.status IN $statuses`)
	add(sp.country, `n.country = $country`)
	add(sp.name, `(n.nameKey CONTAINS $name OR toLower(n.aliasText) CONTAINS $name OR toLower(n.nameText) CONTAINS $name)`)
	add(sp.since, dated+` AND coalesce(n.rangeTo, '9999-12-31') >= $since`)
	add(sp.until, dated+` AND coalesce(n.rangeFrom, '0000-01-01') <= $until`)
	filter := strings.Join(where, "\n  AND ")
	o := listOrders[sp.order]
	page := append(slices.Clone(where), o.where)
	if sp.after {
		page = append(page, o.after)
	}
	var b strings.Builder
	if sp.total {
		b.WriteString("\nCALL () {\n  MATCH (n:" + label + ")")
		if filter != "" {
			b.WriteString("\n  WHERE " + filter)
		}
		b.WriteString("\n  RETURN count(n) AS total\n}")
	}
	b.WriteString("\nCALL () {\n  MATCH (n:" + label + ")")
	if len(where) == 0 && o.index != "" {
		// No filter narrows the nodes: read the order's index in order and stop at the page
		// (the planner may otherwise prefer a label scan and a sort of every node of the type).
		idx := "n:" + cmp.Or(sp.label, "Node") + "(" + o.index + ")"
		if o.index == "id" {
			idx = "n:Node(id)" // the id index is on :Node only
		}
		b.WriteString("\n  USING INDEX " + idx)
	}
	if page = slices.DeleteFunc(page, func(c string) bool { return c == "" }); len(page) > 0 {
		b.WriteString("\n  WHERE " + strings.Join(page, "\n  AND "))
	}
	b.WriteString("\n  WITH n ORDER BY " + o.key + " " + o.dir + ", n.id ASC LIMIT $limit")
	b.WriteString("\n  RETURN collect({node: " + nodeMapOmit("n", sp.omit) + ", key: " + o.key + "}) AS rows\n}")
	if sp.total {
		b.WriteString("\nRETURN total, rows")
	} else {
		b.WriteString("\nRETURN -1 AS total, rows")
	}
	return b.String()
}}

// ListNodes returns one page of nodes matching q, in q.Order, with keyset cursors.
func (s *Store) ListNodes(ctx context.Context, q kg.NodeQuery) (*kg.NodePage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	sp := listSpec{kinds: len(q.Kinds) > 0, statuses: len(q.Statuses) > 0, country: q.Country != "",
		name: q.NameContains != "", since: q.Since != "", until: q.Until != "", after: q.After != "",
		total: q.WithTotal, order: q.Order, omit: q.Omit}
	switch types := slices.Compact(slices.Sorted(slices.Values(q.Types))); len(types) {
	case 0:
	case 1:
		sp.label = types[0] // from kg.NodeTypes (validated): safe as Cypher text
	default:
		sp.types = true
	}
	params := map[string]any{"types": nonNil(q.Types), "kinds": nonNil(q.Kinds), "statuses": nonNil(q.Statuses), "country": q.Country,
		"name": strings.ToLower(q.NameContains), "since": q.Since, "until": q.Until, "limit": q.First + 1}
	if q.After != "" {
		c, err := kg.DecodeCursor("after", q.After, q.Order)
		if err != nil {
			return nil, err
		}
		params["afterId"], params["afterKey"] = c.ID, c.Key
	}
	res, err := s.read(ctx, listCypher.get(sp), params)
	if err != nil {
		return nil, err
	}
	rec := res.Records[0] // both subqueries aggregate: always exactly one row
	total, err := column[int64](rec, "total")
	if err != nil {
		return nil, err
	}
	rows, err := column[[]any](rec, "rows")
	if err != nil {
		return nil, err
	}
	page := &kg.NodePage{Total: int(total)}
	rows, page.HasNext = cut(rows, q.First)
	for _, row := range rows {
		m, _ := row.(map[string]any)
		n := toNode(m["node"])
		if n == nil {
			return nil, fmt.Errorf("neo4jstore: list row without a node")
		}
		page.Nodes = append(page.Nodes, n)
		page.Cursors = append(page.Cursors, kg.Cursor{Order: q.Order, Key: m["key"], ID: n.ID}.Encode())
	}
	return page, nil
}

// relSpec is the shape of a page of relationships around a node: the types (joined by "|",
// taken from the validated allow-list), the direction, whether a cursor was given, and what to
// leave out of the relationships and of the nodes at their other ends.
type relSpec struct {
	types       string
	dir         kg.Direction
	after       bool
	other       kg.Omit
	noCitations bool
}

func specOf(q kg.RelQuery) relSpec {
	types := slices.Compact(slices.Sorted(slices.Values(q.Types)))
	return relSpec{types: strings.Join(types, "|"), dir: q.Direction, after: q.After != "", other: q.Other, noCitations: q.NoCitations}
}

func addRelParams(params map[string]any, q kg.RelQuery) {
	params["limit"] = q.First + 1
	if q.After != "" {
		c, _ := kg.DecodeCursor("after", q.After, "REL") // validated by q.Validate
		params["after"] = c.ID
	}
}

// relPageCypher is the body of a CALL (n) subquery returning `rels`: one page of n's
// relationships by id, each with the node at its other end. The pattern carries the types and
// the direction, so nothing is filtered after the expansion.
func relPageCypher(sp relSpec) string {
	r := "r"
	if sp.types != "" {
		r = "r:" + sp.types
	}
	pattern := map[kg.Direction]string{kg.Outgoing: "(n)-[" + r + "]->(m)", kg.Incoming: "(n)<-[" + r + "]-(m)"}[sp.dir]
	if pattern == "" {
		pattern = "(n)-[" + r + "]-(m)"
	}
	q := "\n  MATCH " + pattern
	if sp.after {
		q += "\n  WHERE r.id > $after"
	}
	cit := citationsExpr
	if sp.noCitations {
		cit = ""
	}
	return q + "\n  WITH r, m ORDER BY r.id LIMIT $limit" +
		"\n  RETURN collect({rel: " + relProjection("r", cit, true) + ", other: " + nodeMapOmit("m", sp.other) + "}) AS rels"
}

// relsOfCypher loads a page of relationships for many nodes at once (the batch behind every
// nested `relationships` field).
var relsOfCypher = memo[relSpec]{build: func(sp relSpec) string {
	return `
UNWIND $ids AS id
MATCH (n:Node {id: id})
CALL (n) {` + relPageCypher(sp) + `
}
RETURN id, rels`
}}

// RelationshipsOf returns, for each of ids, one page of its relationships, in one query.
// Each relationship's FromNode or ToNode (the end that is not the node itself) is filled.
func (s *Store) RelationshipsOf(ctx context.Context, ids []string, q kg.RelQuery) (map[string]*kg.RelPage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	params := map[string]any{"ids": ids}
	addRelParams(params, q)
	res, err := s.read(ctx, relsOfCypher.get(specOf(q)), params)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*kg.RelPage, len(ids))
	for _, rec := range res.Records {
		id, err := column[string](rec, "id")
		if err != nil {
			return nil, err
		}
		rows, err := column[[]any](rec, "rels")
		if err != nil {
			return nil, err
		}
		out[id] = relPage(id, rows, q.First)
	}
	return out, nil
}

func relPage(self string, rows []any, first int) *kg.RelPage {
	page := &kg.RelPage{}
	rows, page.HasNext = cut(rows, first)
	for _, row := range rows {
		m, _ := row.(map[string]any)
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
		id, err := column[string](rec, "id")
		if err != nil {
			return nil, err
		}
		rows, err := column[[]any](rec, "rels")
		if err != nil {
			return nil, err
		}
		page := &kg.RelPage{}
		rows, page.HasNext = cut(rows, first)
		for _, row := range rows {
			m, _ := row.(map[string]any)
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
	res, err := s.read(ctx, `MATCH (n:Node) RETURN count(n) AS n`, nil)
	if err != nil {
		return 0, err
	}
	return column[int64](res.Records[0], "n")
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
		id, err := column[string](rec, "id")
		if err != nil {
			return nil, err
		}
		total, err := column[int64](rec, "total")
		if err != nil {
			return nil, err
		}
		page := &kg.NodePage{Total: int(total)}
		var nodes []*kg.Node
		nodes, page.HasNext = cut(toNodes(rec.Values[1]), first)
		for _, n := range nodes {
			page.Nodes = append(page.Nodes, n)
			page.Cursors = append(page.Cursors, kg.Cursor{Order: kg.OrderID, ID: n.ID}.Encode())
		}
		out[id] = page
	}
	return out, nil
}

package neo4jstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// Exports. A selection (ids) is one bounded query, the same Cypher as `network` (depth 0) and
// `neighborhood` (depth 1-3, several centres), so an export and the GraphQL answer for the
// same arguments agree. The whole graph streams: nodes, then relationships, each in index
// order, through one read transaction, record by record, so neither Neo4j nor this process
// ever holds the whole graph.

// exportSourcesCypher: every Source, looked up once per export so that the streams below
// carry citations as source ids (Sources are few: each backs many facts).
var exportSourcesCypher = `
MATCH (src:Source)
RETURN src ` + sourceProps + ` AS src`

// exportNodesCypher: every node of the allowed types, in id order (the id constraint's index
// gives the order without a sort).
var exportNodesCypher = `
MATCH (n:Node) WHERE n.id IS NOT NULL AND ` + nodeTypeWhere("n") + `
WITH n ORDER BY n.id
RETURN ` + nodeProjection("n", kg.Omit{}, citationRefsExpr) + ` AS node`

// exportEdgesCypher: every relationship that passes the filter between nodes of the allowed
// types, grouped by start node in id order. %s is typeUnion(types): a relationship-type
// pattern built from the allow-list.
var exportEdgesCypher = `
MATCH (a:Node) WHERE a.id IS NOT NULL AND ` + nodeTypeWhere("a") + `
WITH a ORDER BY a.id
MATCH (a)-[r%s]->(b:Node)
WHERE ` + strings.ReplaceAll(relWhere("r")+` AND `+nodeTypeWhere("b"), "%", "%%") + `
RETURN ` + strings.ReplaceAll(relProjection("r", citationRefsExpr, true), "%", "%%") + ` AS rel`

// Export writes the selection q to w: Begin, then the nodes, then the edges (only the parts
// asked for). Errors before Begin are kg sentinels (ErrInvalid naming the parameter,
// ErrNotFound naming an unknown id, ErrUnavailable, ErrTimeout) and nothing has been
// written; an error after Begin means the output is incomplete. A whole-graph export runs
// without a transaction timeout unless ctx has a deadline, which then bounds it.
func (s *Store) Export(ctx context.Context, q kg.ExportQuery, parts kg.Parts, w kg.GraphWriter) error {
	if err := q.Validate(); err != nil {
		return err
	}
	if q.Whole() {
		return s.exportWhole(ctx, q, parts, w)
	}
	p := filterParams(q.Filter)
	p["ids"], p["maxEdges"] = q.IDs, maxEdges
	cypher := networkCypher
	if q.Depth > 0 {
		p["depth"], p["limit"] = q.Depth, q.Limit
		cypher = neighborhoodCypher[kg.Both]
	}
	res, err := s.read(ctx, projected(cypher, kg.Projection{}, q.Filter), p)
	if err != nil {
		return err
	}
	if len(res.Records) == 0 { // the neighbourhood query leaves no row when no centre exists
		return fmt.Errorf("parameter id: no node has id %q: %w", q.IDs[0], kg.ErrNotFound)
	}
	net, err := networkOf(res.Records[0])
	if err != nil {
		return err
	}
	nodes, edges := net.Nodes, net.Edges
	found := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		found[n.ID] = true
	}
	for _, id := range q.IDs {
		if !found[id] {
			return fmt.Errorf("parameter id: no node has id %q: %w", id, kg.ErrNotFound)
		}
	}
	if err := w.Begin(kg.ExportInfo{Truncated: net.Truncated, Nodes: len(nodes), Edges: len(edges)}); err != nil {
		return err
	}
	if parts.Nodes {
		for _, n := range nodes {
			if err := w.Node(n); err != nil {
				return err
			}
		}
	}
	if parts.Edges {
		for _, e := range edges {
			if err := w.Edge(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// exportWhole streams the whole (filtered) graph in one read transaction.
func (s *Store) exportWhole(ctx context.Context, q kg.ExportQuery, parts kg.Parts, w kg.GraphWriter) error {
	s.queries.Add(1)
	cfg := []func(*neo4j.TransactionConfig){neo4j.WithTxMetadata(map[string]any{"app": "policygraph", "op": "export"})}
	if dl, ok := ctx.Deadline(); ok {
		cfg = append(cfg, neo4j.WithTxTimeout(max(time.Until(dl), time.Millisecond)))
	}
	session := s.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.db, AccessMode: neo4j.AccessModeRead})
	defer session.Close(context.Background())
	tx, err := session.BeginTransaction(ctx, cfg...)
	if err != nil {
		return translate(ctx, err)
	}
	defer tx.Close(context.Background())

	p := filterParams(q.Filter)
	sources := map[string]*kg.Node{}
	res, err := tx.Run(ctx, exportSourcesCypher, nil)
	if err != nil {
		return translate(ctx, err)
	}
	for res.Next(ctx) {
		src := toNode(res.Record().Values[0])
		sources[src.ID] = src
	}
	if err := res.Err(); err != nil {
		return translate(ctx, err)
	}
	named := func(cs []kg.Citation) {
		for i := range cs {
			if src := sources[cs[i].SourceID]; src != nil {
				cs[i].Source = src
			}
		}
	}
	begun := false
	begin := func() error {
		if begun {
			return nil
		}
		begun = true
		return w.Begin(kg.ExportInfo{Nodes: -1, Edges: -1})
	}
	stream := func(cypher string, each func(v any) error) error {
		res, err := tx.Run(ctx, cypher, p)
		if err != nil {
			return translate(ctx, err)
		}
		for res.Next(ctx) {
			if err := begin(); err != nil {
				return err
			}
			if err := each(res.Record().Values[0]); err != nil {
				return err
			}
		}
		if err := res.Err(); err != nil {
			return translate(ctx, err)
		}
		return nil
	}
	if parts.Nodes {
		if err := stream(exportNodesCypher, func(v any) error {
			n := toNode(v)
			named(n.Citations)
			return w.Node(n)
		}); err != nil {
			return err
		}
	}
	if parts.Edges {
		cypher := fmt.Sprintf(exportEdgesCypher, typeUnion(q.Filter.Types))
		if err := stream(cypher, func(v any) error {
			r := toRel(v)
			named(r.Citations)
			return w.Edge(r)
		}); err != nil {
			return err
		}
	}
	if err := begin(); err != nil { // an empty graph still makes a valid, empty file
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return translate(ctx, err)
	}
	return nil
}

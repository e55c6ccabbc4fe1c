package neo4jstore

import (
	"context"
	"fmt"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// BulkRows is the number of rows one UNWIND statement of BulkImport carries. Rows are grouped
// by node label set and relationship type first, so most statements carry fewer.
const BulkRows = 5000

// bulkTimeout bounds one BulkImport transaction.
const bulkTimeout = 5 * time.Minute

// BulkStats counts what one BulkImport created (MERGE on an existing id creates nothing).
type BulkStats struct {
	NodesCreated         int
	RelationshipsCreated int
}

// BulkImport writes one batch of nodes and relationships in one managed write transaction,
// with the same Cypher as Import (MERGE on ids, UNWIND over rows, labels and relationship types
// taken only from kg's allow-lists), so a batch loaded twice leaves the same graph.
//
// It is for trusted, generated input (the synth package): unlike Import it does not validate
// the records and does not check referenced ids first. A relationship whose endpoint is in
// neither this batch nor the graph is silently skipped by the MATCH (compare
// RelationshipsCreated with len(rels) on a fresh graph); a node whose id already exists with
// another type gets the new type's labels added. Node and relationship types outside the
// allow-lists are still refused (an error, nothing written), since they become Cypher text.
//
// The caller sizes the transaction: Neo4j holds a transaction's whole state in heap, so with
// -Xmx1g keep a batch to some 10-20k rows (synth.DefaultBatchSize gives ~17k).
func (s *Store) BulkImport(ctx context.Context, nodes []kg.Node, rels []kg.Relationship) (BulkStats, error) {
	nodeRows := map[string][]map[string]any{}
	for _, n := range nodes {
		if !kg.IsNodeType(n.Type) {
			return BulkStats{}, kg.Invalid("nodes", "%q is not a node type (node %q)", n.Type, n.ID)
		}
		nodeRows[n.Type] = append(nodeRows[n.Type], map[string]any{"id": n.ID, "props": nodeProps(n)})
	}
	relRows := map[string][]map[string]any{}
	for _, r := range rels {
		if !kg.IsRelType(r.Type) {
			return BulkStats{}, kg.Invalid("relationships", "%q is not a relationship type (relationship %q)", r.Type, r.ID)
		}
		id := r.ID
		if id == "" {
			id = kg.DefaultRelID(r.From, r.Type, r.To)
		}
		relRows[r.Type] = append(relRows[r.Type], map[string]any{"id": id, "from": r.From, "to": r.To, "props": relProps(r)})
	}
	var st BulkStats
	_, err := s.write(ctx, bulkTimeout, func(tx neo4j.ManagedTransaction) (any, error) {
		st = BulkStats{} // the function may be retried
		for _, t := range kg.NodeTypes {
			n, err := bulkRun(ctx, tx, fmt.Sprintf(importNodesCypher, labelsFor(t)), nodeRows[t], func(c neo4j.Counters) int { return c.NodesCreated() })
			if err != nil {
				return nil, err
			}
			st.NodesCreated += n
		}
		for _, t := range kg.RelTypes {
			n, err := bulkRun(ctx, tx, fmt.Sprintf(importRelsCypher, t), relRows[t], func(c neo4j.Counters) int { return c.RelationshipsCreated() })
			if err != nil {
				return nil, err
			}
			st.RelationshipsCreated += n
		}
		return nil, storeDegrees(ctx, tx, touchedIDs(nodes, rels))
	})
	if err != nil {
		return BulkStats{}, err
	}
	return st, nil
}

func bulkRun(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, rows []map[string]any, count func(neo4j.Counters) int) (int, error) {
	created := 0
	for start := 0; start < len(rows); start += BulkRows {
		res, err := tx.Run(ctx, cypher, map[string]any{"rows": rows[start:min(start+BulkRows, len(rows))]})
		if err != nil {
			return created, err
		}
		sum, err := res.Consume(ctx)
		if err != nil {
			return created, err
		}
		created += count(sum.Counters())
	}
	return created, nil
}

// HasNode reports whether a node with this id exists (used to find a loaded synthetic graph's
// completion marker).
func (s *Store) HasNode(ctx context.Context, id string) (bool, error) {
	res, err := s.read(ctx, `MATCH (n:Node {id: $id}) RETURN count(n) > 0`, map[string]any{"id": id})
	if err != nil {
		return false, err
	}
	return res.Records[0].Values[0].(bool), nil
}

// CountRelationships returns the number of relationships of each given type (all types when
// none are given), from Neo4j's count store.
func (s *Store) CountRelationships(ctx context.Context, types ...string) (map[string]int64, error) {
	if len(types) == 0 {
		types = kg.RelTypes
	}
	out := map[string]int64{}
	for _, t := range types {
		if !kg.IsRelType(t) {
			return nil, kg.Invalid("types", "%q is not a relationship type", t)
		}
		res, err := s.read(ctx, fmt.Sprintf(`MATCH ()-[r:%s]->() RETURN count(r)`, t), nil)
		if err != nil {
			return nil, err
		}
		out[t] = res.Records[0].Values[0].(int64)
	}
	return out, nil
}

// Bounded deletes: relationships first (so no transaction has to detach a hub's thousands of
// relationships at once), then nodes, each batch in its own write transaction.
const (
	deleteRelsBatchCypher  = `MATCH ()-[r]->() WITH r LIMIT $n DELETE r RETURN count(*)`
	deleteNodesBatchCypher = `MATCH (n) WITH n LIMIT $n DETACH DELETE n RETURN count(*)`
)

// DeleteAllBatched removes every relationship and node, batch rows per transaction, so the
// memory of one transaction stays bounded whatever the graph's size and degree skew (DeleteAll
// can exceed the transaction memory pool of a 1 GB heap on a large graph). The schema stays.
// Not atomic: interrupted, it leaves part of the graph.
func (s *Store) DeleteAllBatched(ctx context.Context, batch int) error {
	if batch <= 0 {
		batch = 20000
	}
	for _, cypher := range []string{deleteRelsBatchCypher, deleteNodesBatchCypher} {
		for {
			out, err := s.write(ctx, bulkTimeout, func(tx neo4j.ManagedTransaction) (any, error) {
				res, err := tx.Run(ctx, cypher, map[string]any{"n": batch})
				if err != nil {
					return nil, err
				}
				rec, err := res.Single(ctx)
				if err != nil {
					return nil, err
				}
				return rec.Values[0], nil
			})
			if err != nil {
				return err
			}
			if n, _ := out.(int64); n == 0 {
				break
			}
		}
	}
	return nil
}

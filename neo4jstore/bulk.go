package neo4jstore

import (
	"context"
	"fmt"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// BulkRows is the number of rows one UNWIND statement of BulkImport carries by default. Rows
// are grouped by node label set and relationship type first, so most statements carry fewer.
const BulkRows = 10000

// bulkTimeout bounds one BulkImport transaction.
const bulkTimeout = 5 * time.Minute

// BulkStats counts what one BulkImport created (MERGE on an existing id creates nothing).
type BulkStats struct {
	NodesCreated         int
	RelationshipsCreated int
}

// BulkOptions tunes BulkImport.
type BulkOptions struct {
	// Fresh says that none of the batch's node and relationship ids is in the graph yet, as
	// in a first load into an empty graph, batch after batch: nodes and relationships are
	// CREATEd instead of MERGEd, and the new nodes get their degree from the batch instead of
	// a recount. A wrong Fresh cannot duplicate anything: the id uniqueness constraints fail
	// the transaction (kg.ErrConflict, nothing written).
	Fresh bool
	// Rows is the number of rows per UNWIND statement (0: BulkRows).
	Rows int
}

// Fresh-load Cypher: CREATE where importNodesCypher and importRelsCypher MERGE (the same
// properties, so a graph loaded either way reads the same).
const (
	bulkCreateNodesCypher = `
UNWIND $rows AS row
CREATE (n%s {id: row.id})
SET n += row.props, n.degree = row.degree, n.createdAt = datetime(), n.updatedAt = datetime()`
	bulkCreateRelsCypher = `
UNWIND $rows AS row
MATCH (a:Node {id: row.from})
MATCH (b:Node {id: row.to})
CREATE (a)-[r:%s {id: row.id}]->(b)
SET r += row.props, r.createdAt = datetime(), r.updatedAt = datetime()`
)

// BulkImport writes one batch of nodes and relationships in one managed write transaction,
// with the same Cypher as Import (MERGE on ids, UNWIND over rows, labels and relationship types
// taken only from kg's allow-lists), so a batch loaded twice leaves the same graph; with
// BulkOptions.Fresh, CREATE instead (see there). Every node the batch touches ends the
// transaction with its exact degree stored.
//
// It is for trusted, generated input (the synth package): unlike Import it does not validate
// the records and does not check referenced ids first. A relationship whose endpoint is in
// neither this batch nor the graph is silently skipped by the MATCH (compare
// RelationshipsCreated with len(rels) on a fresh graph; with Fresh it is an error, since the
// new nodes' degrees are counted from the batch); a node whose id already exists with
// another type gets the new type's labels added. Node and relationship types outside the
// allow-lists are still refused (an error, nothing written), since they become Cypher text.
//
// The caller sizes the transaction: Neo4j holds a transaction's whole state in heap, so with
// -Xmx1g keep a batch to some 10-40k rows (synth.DefaultBatchSize gives ~35k).
func (s *Store) BulkImport(ctx context.Context, nodes []kg.Node, rels []kg.Relationship, opts ...BulkOptions) (BulkStats, error) {
	var opt BulkOptions
	if len(opts) > 0 {
		opt = opts[0]
	}
	if opt.Rows <= 0 {
		opt.Rows = BulkRows
	}
	// Degrees the batch gives: the relationships of each endpoint. (A self-loop counts once
	// here; the generator makes none, and WrongDegrees checks a load against COUNT.)
	degree := map[string]int{}
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
		degree[r.From]++
		if r.To != r.From {
			degree[r.To]++
		}
	}
	nodeRows := map[string][]map[string]any{}
	isNew := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		if !kg.IsNodeType(n.Type) {
			return BulkStats{}, kg.Invalid("nodes", "%q is not a node type (node %q)", n.Type, n.ID)
		}
		row := map[string]any{"id": n.ID, "props": nodeProps(n)}
		if opt.Fresh {
			row["degree"] = degree[n.ID]
		}
		nodeRows[n.Type] = append(nodeRows[n.Type], row)
		isNew[n.ID] = true
	}
	// The nodes whose degree is recounted at the end: with Fresh, only the earlier nodes the
	// relationships reach (the new ones were created with theirs); else every touched node.
	var recount []map[string]any
	for _, id := range touchedIDs(nodes, rels) {
		if !opt.Fresh || !isNew[id] {
			recount = append(recount, map[string]any{"id": id})
		}
	}
	nodeCypher, relCypher := importNodesCypher, importRelsCypher
	if opt.Fresh {
		nodeCypher, relCypher = bulkCreateNodesCypher, bulkCreateRelsCypher
	}
	var st BulkStats
	_, err := s.write(ctx, bulkTimeout, func(tx neo4j.ManagedTransaction) (any, error) {
		st = BulkStats{} // the function may be retried
		for _, t := range kg.NodeTypes {
			w, err := runRows(ctx, tx, fmt.Sprintf(nodeCypher, labelsFor(t)), nodeRows[t], opt.Rows)
			if err != nil {
				return nil, err
			}
			st.NodesCreated += w.nodes
		}
		for _, t := range kg.RelTypes {
			w, err := runRows(ctx, tx, fmt.Sprintf(relCypher, t), relRows[t], opt.Rows)
			if err != nil {
				return nil, err
			}
			st.RelationshipsCreated += w.rels
		}
		if opt.Fresh && st.RelationshipsCreated != len(rels) {
			return nil, kg.Invalid("relationships", "%d of %d relationships have an endpoint in neither the batch nor the graph",
				len(rels)-st.RelationshipsCreated, len(rels))
		}
		_, err := runRows(ctx, tx, degreeCypher, recount, opt.Rows)
		return nil, err
	})
	if err != nil {
		return BulkStats{}, err
	}
	return st, nil
}

// IsEmpty reports whether the graph holds no node (a load into it can be Fresh).
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	res, err := s.read(ctx, `MATCH (n) WITH n LIMIT 1 RETURN count(n) = 0 AS v`, nil)
	if err != nil {
		return false, err
	}
	return column[bool](res.Records[0], "v")
}

// degreeCheckCypher counts the nodes whose stored degree is not their number of relationships.
const degreeCheckCypher = `MATCH (n:Node) WHERE n.degree IS NULL OR n.degree <> COUNT { (n)--() } RETURN count(n) AS v`

// WrongDegrees returns the number of nodes whose stored degree is missing or differs from their
// number of relationships (0 after any load; a scan of every node, for tests and loaders).
func (s *Store) WrongDegrees(ctx context.Context) (int64, error) {
	res, err := s.read(ctx, degreeCheckCypher, nil)
	if err != nil {
		return 0, err
	}
	return column[int64](res.Records[0], "v")
}

// HasNode reports whether a node with this id exists (used to find a loaded synthetic graph's
// completion marker).
func (s *Store) HasNode(ctx context.Context, id string) (bool, error) {
	res, err := s.read(ctx, `MATCH (n:Node {id: $id}) RETURN count(n) > 0 AS v`, map[string]any{"id": id})
	if err != nil {
		return false, err
	}
	return column[bool](res.Records[0], "v")
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
		res, err := s.read(ctx, fmt.Sprintf(`MATCH ()-[r:%s]->() RETURN count(r) AS v`, t), nil)
		if err != nil {
			return nil, err
		}
		if out[t], err = column[int64](res.Records[0], "v"); err != nil {
			return nil, err
		}
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

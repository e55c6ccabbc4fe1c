package neo4jstore

import (
	"context"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// written sums the counters of the statements runRows ran.
type written struct {
	nodes, rels int
}

// runRows is the one batching path of both importers: it runs an UNWIND $rows statement over
// rows, size rows per statement, in tx, and sums what the statements created. Import passes
// importBatch (small statements: a validated file is usually small), BulkImport BulkOptions.Rows.
func runRows(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, rows []map[string]any, size int) (written, error) {
	var w written
	if size <= 0 {
		size = importBatch
	}
	for start := 0; start < len(rows); start += size {
		res, err := tx.Run(ctx, cypher, map[string]any{"rows": rows[start:min(start+size, len(rows))]})
		if err != nil {
			return w, err
		}
		sum, err := res.Consume(ctx)
		if err != nil {
			return w, err
		}
		c := sum.Counters()
		w.nodes += c.NodesCreated()
		w.rels += c.RelationshipsCreated()
	}
	return w, nil
}

// runBatches runs an UNWIND $rows statement over rows, importBatch rows at a time, in tx.
func runBatches(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, rows []map[string]any) error {
	_, err := runRows(ctx, tx, cypher, rows, importBatch)
	return err
}

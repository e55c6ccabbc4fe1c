package neo4jstore

import (
	"context"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// runBatches runs an UNWIND $rows statement over rows, importBatch rows at a time, in tx.
func runBatches(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, rows []map[string]any) error {
	for start := 0; start < len(rows); start += importBatch {
		res, err := tx.Run(ctx, cypher, map[string]any{"rows": rows[start:min(start+importBatch, len(rows))]})
		if err != nil {
			return err
		}
		if _, err := res.Consume(ctx); err != nil {
			return err
		}
	}
	return nil
}

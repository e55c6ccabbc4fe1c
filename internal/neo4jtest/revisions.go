package neo4jtest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// cypherCommitRevision writes one revision exactly as the write path stores it: seq from the
// one :RevisionCounter node, incremented in the same transaction as the :Revision node.
const cypherCommitRevision = `
MERGE (c:RevisionCounter {name: 'revision'})
SET c.seq = coalesce(c.seq, 0) + 1
WITH c.seq AS seq
CREATE (r:Revision {id: 'rev:' + toString(seq), seq: seq, author: $author, at: datetime(),
  operation: $operation, reason: $reason, idempotencyKey: null, reverts: null,
  records: $records, changes: $changes})
RETURN seq`

// Change is one record's change of CommitRevision.
type Change struct {
	Record, Kind  string
	Before, After map[string]any
}

// CommitRevision commits a revision in the storage format (for feed tests that need no
// mutation) and returns its seq.
func CommitRevision(t testing.TB, author, operation, reason string, changes ...Change) int64 {
	t.Helper()
	cfg := Config(t)
	driver, err := neo4j.NewDriverWithContext(cfg.URI, neo4j.BasicAuth(cfg.User, cfg.Password, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer driver.Close(context.Background())
	records := []any{}
	stored := []map[string]any{}
	for _, c := range changes {
		records = append(records, c.Record)
		stored = append(stored, map[string]any{"record": c.Record, "kind": c.Kind, "before": c.Before, "after": c.After})
	}
	text, _ := json.Marshal(stored)
	res, err := neo4j.ExecuteQuery(context.Background(), driver, cypherCommitRevision,
		map[string]any{"author": author, "operation": operation, "reason": reason, "records": records, "changes": string(text)},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(cfg.Database))
	if err != nil {
		t.Fatalf("commit revision: %v", err)
	}
	seq, _ := res.Records[0].Get("seq")
	return seq.(int64)
}

package neo4jstore

import (
	"context"

	"github.com/policygraph/policygraph/kg"
)

// The change feed reads committed revisions (the :Revision nodes every write creates in its
// own transaction, with seq taken from the one :RevisionCounter node: seq order is commit
// order). It only reads: the feed of every server replica sees every write, whichever replica
// made it.

// MaxRevisionsAfter bounds one RevisionsAfter page.
const MaxRevisionsAfter = 500

// cypherRevisionsAfter walks the Revision.seq index upwards from the cursor.
const cypherRevisionsAfter = `
MATCH (r:Revision) WHERE r.seq > $after
RETURN r {.id, .seq, .author, .at, .operation, .reason, .idempotencyKey, .reverts, .changes} AS rev
ORDER BY r.seq
LIMIT $limit`

// RevisionsAfter returns up to limit committed revisions whose seq is greater than afterSeq,
// in seq order (oldest first). Errors: kg.ErrInvalid for a limit outside 1..MaxRevisionsAfter
// or a negative afterSeq; kg.ErrUnavailable, kg.ErrTimeout; a revision whose stored changes
// are not the JSON the writers store is an internal error.
func (s *Store) RevisionsAfter(ctx context.Context, afterSeq int64, limit int) ([]*kg.Revision, error) {
	if limit < 1 || limit > MaxRevisionsAfter {
		return nil, kg.Invalid("limit", "must be between 1 and %d", MaxRevisionsAfter)
	}
	if afterSeq < 0 {
		return nil, kg.Invalid("after", "must not be negative")
	}
	res, err := s.read(ctx, cypherRevisionsAfter, map[string]any{"after": afterSeq, "limit": limit})
	if err != nil {
		return nil, err
	}
	out := make([]*kg.Revision, 0, len(res.Records))
	for _, rec := range res.Records {
		m, err := column[map[string]any](rec, "rev")
		if err != nil {
			return nil, err
		}
		r, err := toRevision(m) // history.go: changes parsed from the stored JSON text
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// cypherLatestRevision reads the newest revision's seq from the top of the Revision.seq index.
const cypherLatestRevision = `
MATCH (r:Revision) WHERE r.seq IS NOT NULL
RETURN r.seq AS seq ORDER BY r.seq DESC LIMIT 1`

// LatestRevisionSeq returns the seq of the newest committed revision, 0 when there is none (a
// feed that starts "now" starts after it). Errors: kg.ErrUnavailable, kg.ErrTimeout.
func (s *Store) LatestRevisionSeq(ctx context.Context) (int64, error) {
	res, err := s.read(ctx, cypherLatestRevision, nil)
	if err != nil || len(res.Records) == 0 {
		return 0, err
	}
	return column[int64](res.Records[0], "seq")
}

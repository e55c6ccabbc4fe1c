package neo4jstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// History: every write (mutation, import, merge, revert) records one revision in the same
// transaction as the write (docs/curation.md, "History"). The storage is shared with the change
// feed, which reads it:
//
//	(:Revision {id: "rev:<seq>", seq, author, at: datetime(), operation, reason,
//	            idempotencyKey (or null), reverts (or null), records: [record ids],
//	            changes: JSON text of [{"record","kind","before","after"}], request})
//
// seq comes from the one (:RevisionCounter {name: "revision"}) node, incremented first thing in
// every write transaction: its lock serialises writers until they commit, so seq order is commit
// order, every read a writer makes sees the writes committed before it, and two writers never
// deadlock on each other. `request` (a hash of the operation and its input) tells an idempotent
// retry from the reuse of a key for another request. records[0] is the record the mutation is
// about (what its payload returns).

const (
	counterCypher = `
MERGE (c:RevisionCounter {name: 'revision'})
SET c.seq = coalesce(c.seq, 0) + 1
RETURN c.seq AS seq`

	replayCypher = `
MATCH (r:Revision {author: $author, idempotencyKey: $key})
RETURN r {.*} AS rev`

	createRevisionCypher = `
CREATE (r:Revision {id: $id, seq: $seq, author: $author, at: datetime(), operation: $operation, reason: $reason,
  idempotencyKey: $key, reverts: $reverts, records: $records, changes: $changes, request: $request})
RETURN r.at AS at`
)

// writeTimeout bounds one mutation's transaction.
const writeTimeout = 30 * time.Second

// txn is one write transaction in progress: what it changed so far, in order.
type txn struct {
	ctx     context.Context
	tx      neo4j.ManagedTransaction
	seq     int64
	changes []kg.Change
	degrees map[string]bool // nodes whose stored degree must be recounted
}

// change records one record's before and after states (nil: absent).
func (t *txn) change(kind, record string, before, after map[string]any) {
	t.changes = append(t.changes, kg.Change{Record: record, Kind: kind, Before: before, After: after})
}

func (t *txn) run(cypher string, params map[string]any) ([]*neo4j.Record, error) {
	res, err := t.tx.Run(t.ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	return res.Collect(t.ctx)
}

// replayed is how a transaction that found an earlier revision with the same idempotency key
// hands it back: as an error, so the transaction (and its counter increment) rolls back.
type replayed struct {
	rev    *kg.Revision
	result *kg.WriteResult
}

func (r *replayed) Error() string { return "idempotent replay of " + r.rev.ID }

// errNothingChanged rolls back a transaction that would record an empty revision.
var errNothingChanged = errors.New("nothing changed")

// requestHash identifies a request: the operation and its input, as JSON.
func requestHash(op string, input any) string {
	b, _ := json.Marshal([]any{op, input})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// mutate runs fn in one write transaction that records a revision of operation op by w's
// principal: the counter first, then the idempotency check, then fn (which writes and records
// its changes), then the revision, then the result (the record changes[0] is about, read back).
// An idempotent retry returns the first revision and the record as it is now.
func (s *Store) mutate(ctx context.Context, w kg.Write, op, reverts string, input any, fn func(t *txn) error) (*kg.WriteResult, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	if w.Principal.Name == "" {
		return nil, kg.ErrUnauthenticated
	}
	hash := requestHash(op, input)
	out, err := s.write(ctx, writeTimeout, func(tx neo4j.ManagedTransaction) (any, error) {
		t := &txn{ctx: ctx, tx: tx, degrees: map[string]bool{}}
		if err := t.begin(); err != nil {
			return nil, err
		}
		if w.IdempotencyKey != "" {
			recs, err := t.run(replayCypher, map[string]any{"author": w.Principal.Name, "key": w.IdempotencyKey})
			if err != nil {
				return nil, err
			}
			if len(recs) > 0 {
				m, _ := recs[0].Values[0].(map[string]any)
				rev, err := toRevision(m)
				if err != nil {
					return nil, err
				}
				if str(m, "operation") != op || str(m, "request") != hash {
					return nil, &kg.InvalidError{Record: "input", Field: "idempotencyKey",
						Reason: fmt.Sprintf("was already used for another request (%s, %s): use a new key for a new change", rev.ID, rev.Operation)}
				}
				res, err := t.result(rev)
				if err != nil {
					return nil, err
				}
				return nil, &replayed{rev: rev, result: res}
			}
		}
		if err := fn(t); err != nil {
			return nil, err
		}
		if len(t.changes) == 0 {
			return nil, &kg.InvalidError{Record: "input", Reason: "changes nothing: the record already has these values"}
		}
		rev, err := t.commit(w.Principal.Name, op, w.Reason, w.IdempotencyKey, reverts, hash)
		if err != nil {
			return nil, err
		}
		return t.result(rev)
	})
	var rp *replayed
	if errors.As(err, &rp) {
		return rp.result, nil
	}
	if err != nil {
		return nil, err
	}
	return out.(*kg.WriteResult), nil
}

// begin takes the next sequence number (and with it the writers' lock).
func (t *txn) begin() error {
	recs, err := t.run(counterCypher, nil)
	if err != nil {
		return err
	}
	seq, err := column[int64](recs[0], "seq")
	t.seq = seq
	return err
}

// commit stores the recorded degrees and the revision.
func (t *txn) commit(author, op, reason, key, reverts, request string) (*kg.Revision, error) {
	if len(t.degrees) > 0 {
		ids := make([]string, 0, len(t.degrees))
		for id := range t.degrees {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		if err := storeDegrees(t.ctx, t.tx, ids); err != nil {
			return nil, err
		}
	}
	rev := &kg.Revision{ID: kg.RevisionID(t.seq), Seq: t.seq, Author: author, Operation: op, Reason: reason,
		IdempotencyKey: key, Reverts: reverts, Changes: t.changes}
	var records []string
	for _, c := range t.changes {
		if !slices.Contains(records, c.Record) {
			records = append(records, c.Record)
		}
	}
	changes, err := json.Marshal(changesJSON(t.changes))
	if err != nil {
		return nil, err
	}
	recs, err := t.run(createRevisionCypher, map[string]any{"id": rev.ID, "seq": rev.Seq, "author": author, "operation": op,
		"reason": reason, "key": opt(key), "reverts": opt(reverts), "records": records, "changes": string(changes),
		"request": request})
	if err != nil {
		return nil, err
	}
	at, err := column[time.Time](recs[0], "at")
	rev.At = at.UTC()
	return rev, err
}

type changeJSON struct {
	Record string         `json:"record"`
	Kind   string         `json:"kind"`
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
}

func changesJSON(cs []kg.Change) []changeJSON {
	out := make([]changeJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, changeJSON{Record: c.Record, Kind: c.Kind, Before: c.Before, After: c.After})
	}
	return out
}

// toRevision maps a stored revision.
func toRevision(m map[string]any) (*kg.Revision, error) {
	r := &kg.Revision{ID: str(m, "id"), Author: str(m, "author"), Operation: str(m, "operation"), Reason: str(m, "reason"),
		IdempotencyKey: str(m, "idempotencyKey"), Reverts: str(m, "reverts")}
	r.Seq, _ = m["seq"].(int64)
	if at, ok := m["at"].(time.Time); ok {
		r.At = at.UTC()
	}
	var cs []changeJSON
	if err := json.Unmarshal([]byte(str(m, "changes")), &cs); err != nil {
		return nil, fmt.Errorf("neo4jstore: revision %s: changes: %w", r.ID, err)
	}
	for _, c := range cs {
		r.Changes = append(r.Changes, kg.Change{Record: c.Record, Kind: c.Kind, Before: c.Before, After: c.After})
	}
	return r, nil
}

// result reads the record a revision is about (its first change) as reads return it.
func (t *txn) result(rev *kg.Revision) (*kg.WriteResult, error) {
	res := &kg.WriteResult{Revision: rev}
	if len(rev.Changes) == 0 {
		return res, nil
	}
	c := rev.Changes[0]
	switch {
	case rev.Operation == "revert" || rev.Operation == "import":
		return res, nil
	case c.After == nil && rev.Operation != "mergeNodes":
		res.DeletedID = c.Record
	case c.Kind == kindNode:
		recs, err := t.run(resultNodeCypher, map[string]any{"id": c.Record})
		if err != nil || len(recs) == 0 {
			return res, err
		}
		res.Node = toNode(recs[0].Values[0])
	default:
		rel, err := t.readRelFull(c.Record)
		if err != nil {
			return nil, err
		}
		res.Relationship = rel
	}
	return res, nil
}

var resultNodeCypher = `
MATCH (n:Node {id: $id})
RETURN ` + nodeMap("n") + ` AS node`

// Record kinds in revisions.
const (
	kindNode = "node"
	kindRel  = "relationship"
)

// ---- record states: the import format's shape plus version (and a node's mergedIds) ----

// nodeState is a node as stored, in the import format's shape.
type nodeState struct {
	rec       kg.NodeRecord
	version   int
	mergedIDs []string
}

// relState is a relationship as stored.
type relState struct {
	rec     kg.RelationRecord
	version int
}

// anyStrings reads a stored (or about to be stored) list of strings.
func anyStrings(v any) []string {
	switch l := v.(type) {
	case []string:
		return slices.Clone(l)
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

func asInt(v any) int {
	switch x := v.(type) {
	case int64:
		return int(x)
	case int:
		return x
	case float64:
		return int(x)
	}
	return 0
}

// citationRecords rebuilds citations from the parallel lists addCitations stores.
func citationRecords(p map[string]any) []kg.CitationRecord {
	src, quotes, locs := anyStrings(p["citationSources"]), anyStrings(p["citationQuotes"]), anyStrings(p["citationLocators"])
	var out []kg.CitationRecord
	for i := range src {
		c := kg.CitationRecord{Source: src[i]}
		if i < len(quotes) {
			c.Quote = quotes[i]
		}
		if i < len(locs) {
			c.Locator = locs[i]
		}
		out = append(out, c)
	}
	return out
}

// nodeRecordOf rebuilds a node record from its stored properties (or from nodeProps' map: the
// same function reads both, so a state computed before writing equals the state read back).
func nodeRecordOf(id string, p map[string]any) kg.NodeRecord {
	s := func(k string) string { v, _ := p[k].(string); return v }
	r := kg.NodeRecord{ID: id, Type: s("type"), Name: s("name"), Aliases: anyStrings(p["aliases"]), Description: s("description"),
		Kind: s("kind"), Country: s("country"), Status: s("status"), StartDate: s("startDate"), EndDate: s("endDate"),
		Docket: s("docket"), Unit: s("unit"), Measure: s("measure"), Qualifier: s("qualifier"), Publisher: s("publisher"),
		URL: s("url"), Citations: citationRecords(p), InferredReason: s("inferredReason"), Text: s("text"), SHA256: s("textSha256")}
	r.Inferred, _ = p["inferred"].(bool)
	switch v := p["value"].(type) {
	case float64:
		r.Value = &v
	case int64:
		f := float64(v)
		r.Value = &f
	}
	vals, langs, kinds, reasons := anyStrings(p["nameValues"]), anyStrings(p["nameLangs"]), anyStrings(p["nameKinds"]), anyStrings(p["nameReasons"])
	for i, v := range vals {
		if i >= len(langs) || i >= len(kinds) || i >= len(reasons) {
			break
		}
		r.Names = append(r.Names, kg.NameRecord{Value: v, Lang: langs[i], Kind: kinds[i], Inferred: reasons[i] != "", InferredReason: reasons[i]})
	}
	if len(r.Aliases) == 0 {
		r.Aliases = nil
	}
	return r
}

// relRecordOf rebuilds a relationship record from its type, ends and stored properties.
func relRecordOf(id, relType, from, to string, p map[string]any) kg.RelationRecord {
	s := func(k string) string { v, _ := p[k].(string); return v }
	r := kg.RelationRecord{ID: id, Type: relType, From: from, To: to, Role: s("role"), Outcome: s("outcome"),
		Description: s("description"), StartDate: s("startDate"), EndDate: s("endDate"), Citations: citationRecords(p),
		InferredReason: s("inferredReason")}
	r.Inferred, _ = p["inferred"].(bool)
	return r
}

// jsonMap renders a record as a JSON object (numbers as float64, as decoded JSON has them).
func jsonMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// state is the JSON object a revision records for a node.
func (n *nodeState) state() map[string]any {
	if n == nil {
		return nil
	}
	m := jsonMap(n.rec)
	m["version"] = float64(n.version)
	if len(n.mergedIDs) > 0 {
		ids := make([]any, len(n.mergedIDs))
		for i, id := range n.mergedIDs {
			ids[i] = id
		}
		m["mergedIds"] = ids
	}
	return m
}

func (r *relState) state() map[string]any {
	if r == nil {
		return nil
	}
	m := jsonMap(r.rec)
	m["version"] = float64(r.version)
	return m
}

// sameState says whether two states hold the same record, versions aside.
func sameState(a, b map[string]any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	strip := func(m map[string]any) map[string]any {
		c := make(map[string]any, len(m))
		for k, v := range m {
			if k != "version" {
				c[k] = v
			}
		}
		return c
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

// nodeFromState reads a node state recorded in a revision.
func nodeFromState(m map[string]any) (*nodeState, error) {
	c := make(map[string]any, len(m))
	for k, v := range m {
		if k != "version" && k != "mergedIds" {
			c[k] = v
		}
	}
	b, _ := json.Marshal(c)
	var rec kg.NodeRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("neo4jstore: recorded node state: %w", err)
	}
	return &nodeState{rec: rec, version: asInt(m["version"]), mergedIDs: anyStrings(m["mergedIds"])}, nil
}

// relFromState reads a relationship state recorded in a revision.
func relFromState(m map[string]any) (*relState, error) {
	c := make(map[string]any, len(m))
	for k, v := range m {
		if k != "version" {
			c[k] = v
		}
	}
	b, _ := json.Marshal(c)
	var rec kg.RelationRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("neo4jstore: recorded relationship state: %w", err)
	}
	return &relState{rec: rec, version: asInt(m["version"])}, nil
}

// ---- reads of history ----

const historyCypher = `
OPTIONAL MATCH (n:Node {id: $id})
WITH [$id] + coalesce(n.mergedIds, []) AS ids
MATCH (r:Revision)
WHERE r.seq IS NOT NULL AND ($after IS NULL OR r.seq < $after) AND any(x IN r.records WHERE x IN ids)
WITH r ORDER BY r.seq DESC LIMIT $limit
RETURN r {.*} AS rev`

// History returns one page of the revisions that touched a node (or a node merged into it) or a
// relationship, newest first.
func (s *Store) History(ctx context.Context, id string, first int, after string) (*kg.RevisionPage, error) {
	if err := kg.CheckFirst("first", first); err != nil {
		return nil, err
	}
	params := map[string]any{"id": id, "after": nil, "limit": first + 1}
	if after != "" {
		seq, err := kg.DecodeRevisionCursor("after", after)
		if err != nil {
			return nil, err
		}
		params["after"] = seq
	}
	res, err := s.read(ctx, historyCypher, params)
	if err != nil {
		return nil, err
	}
	return revisionPage(res.Records, first)
}

const revisionsCypher = `
MATCH (r:Revision)
WHERE r.seq IS NOT NULL AND ($after IS NULL OR r.seq < $after) AND ($author IS NULL OR r.author = $author)
  AND ($since IS NULL OR r.at >= $since) AND ($until IS NULL OR r.at <= $until)
WITH r ORDER BY r.seq DESC LIMIT $limit
RETURN r {.*} AS rev`

// Revisions returns one page of every revision (optionally by one author, within a window),
// newest first.
func (s *Store) Revisions(ctx context.Context, q kg.RevisionQuery) (*kg.RevisionPage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	since, until, _ := q.Window()
	params := map[string]any{"after": nil, "author": opt(q.Author), "since": nil, "until": nil, "limit": q.First + 1}
	if !since.IsZero() {
		params["since"] = since
	}
	if !until.IsZero() {
		params["until"] = until
	}
	if q.After != "" {
		seq, err := kg.DecodeRevisionCursor("after", q.After)
		if err != nil {
			return nil, err
		}
		params["after"] = seq
	}
	res, err := s.read(ctx, revisionsCypher, params)
	if err != nil {
		return nil, err
	}
	return revisionPage(res.Records, q.First)
}

// Revision returns one revision by id, or kg.ErrNotFound.
func (s *Store) Revision(ctx context.Context, id string) (*kg.Revision, error) {
	res, err := s.read(ctx, `MATCH (r:Revision {id: $id}) RETURN r {.*} AS rev`, map[string]any{"id": id})
	if err != nil {
		return nil, err
	}
	if len(res.Records) == 0 {
		return nil, fmt.Errorf("revision %q: %w", id, kg.ErrNotFound)
	}
	m, _ := res.Records[0].Values[0].(map[string]any)
	return toRevision(m)
}

func revisionPage(recs []*neo4j.Record, first int) (*kg.RevisionPage, error) {
	page := &kg.RevisionPage{}
	recs, page.HasNext = cut(recs, first)
	for _, rec := range recs {
		m, err := column[map[string]any](rec, "rev")
		if err != nil {
			return nil, err
		}
		r, err := toRevision(m)
		if err != nil {
			return nil, err
		}
		page.Revisions = append(page.Revisions, r)
		page.Cursors = append(page.Cursors, kg.RevisionCursorOf(r))
	}
	return page, nil
}

// backfillVersionsCypher gives version 1 to the nodes and relationships written before versions
// existed (migration 005), in batches of their own transactions.
var backfillVersionsCypher = []string{`
MATCH (n:Node) WHERE n.version IS NULL
CALL (n) { SET n.version = 1 } IN TRANSACTIONS OF 10000 ROWS`, `
MATCH ()-[r]->() WHERE r.version IS NULL
CALL (r) { SET r.version = 1 } IN TRANSACTIONS OF 10000 ROWS`}

func (s *Store) backfillVersions(ctx context.Context) error {
	for _, cypher := range backfillVersionsCypher {
		if err := s.autoCommit(ctx, cypher, nil); err != nil {
			return fmt.Errorf("backfill versions: %w", err)
		}
	}
	return nil
}

// CountRevisions returns the number of revisions recorded (tests and diagnostics).
func (s *Store) CountRevisions(ctx context.Context) (int64, error) {
	res, err := s.read(ctx, `MATCH (r:Revision) RETURN count(r) AS n`, nil)
	if err != nil {
		return 0, err
	}
	return column[int64](res.Records[0], "n")
}

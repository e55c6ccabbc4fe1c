package bench

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// The write path (docs/benchmarks.md, "Writes"): mutations through the store and one through
// the whole HTTP handler with a real API token, the same writes made as plain Cypher with and
// without the revision record beside them (the cost of history), and the history reads.
// Everything these benchmarks write has ids under org:bench-write- (between their own nodes
// only, so the synthetic graph's degrees stay as they are) and is deleted afterwards with its
// revisions and token, so the other benchmarks still find the graph they loaded.

const benchQuote = "Written by the write benchmarks."

type writeFixture struct {
	*fixture
	drv    neo4j.DriverWithContext
	db     string
	w      kg.Write
	token  string
	author string
	source string
	cite   []kg.CitationRecord
	http   http.Handler
	seq    atomic.Int64 // ids: one counter for every benchmark of the run
	ends   []string     // nodes that relationship benchmarks join, pair by pair
	pair   atomic.Int64
}

// wfix is made by the first write benchmark that needs it and deleted (records and all) when
// that benchmark ends: each top-level benchmark gets its own.
var wfix *writeFixture

func writeSetup(b *testing.B) *writeFixture {
	b.Helper()
	f := setup(b)
	cfg := neo4jtest.Config(b)
	if wfix == nil {
		wf, err := newWriteFixture(f, cfg)
		if err != nil {
			b.Fatal(err)
		}
		wfix = wf
		b.Cleanup(func() {
			if err := wf.cleanup(); err != nil {
				b.Errorf("cleanup: %v", err)
			}
			wf.drv.Close(ctx)
			wfix = nil
		})
	}
	return wfix
}

func newWriteFixture(f *fixture, cfg neo4jstore.Config) (*writeFixture, error) {
	drv, err := neo4j.NewDriverWithContext(cfg.URI, neo4j.BasicAuth(cfg.User, cfg.Password, ""))
	if err != nil {
		return nil, err
	}
	run := make([]byte, 3)
	_, _ = rand.Read(run)
	wf := &writeFixture{fixture: f, drv: drv, db: cfg.Database, author: "bench-writer-" + hex.EncodeToString(run)}
	// Whatever an interrupted earlier run left.
	if err := wf.cleanup(); err != nil {
		return nil, err
	}
	token, _, err := f.store.CreateToken(ctx, wf.author, kg.RoleEditor)
	if err != nil {
		return nil, err
	}
	wf.token = token
	wf.w = kg.Write{Principal: kg.Principal{Name: wf.author, Role: kg.RoleEditor}, Reason: "benchmark"}
	wf.source = "source:bench-write-" + hex.EncodeToString(run)
	if _, err := f.store.CreateNode(ctx, wf.w, kg.NodeRecord{ID: wf.source, Type: kg.TypeSource, Name: "Write benchmark notes",
		Kind: "REPORT", Text: "Notes. " + benchQuote}); err != nil {
		return nil, err
	}
	wf.cite = []kg.CitationRecord{{Source: wf.source, Quote: benchQuote}}
	for i := 0; i < 60; i++ {
		res, err := f.store.CreateNode(ctx, wf.w, wf.org())
		if err != nil {
			return nil, err
		}
		wf.ends = append(wf.ends, res.Node.ID)
	}
	auth := httpapi.NewAuth(httpapi.AuthConfig{Tokens: f.store, PublicReads: true})
	wf.http = httpapi.New(httpapi.Config{Store: f.store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits: graph.Limits{RequestTimeout: 2 * time.Minute}, Auth: auth})
	return wf, nil
}

// cleanup deletes what the write benchmarks wrote: their nodes (and so their relationships),
// their revisions and their tokens.
func (wf *writeFixture) cleanup() error {
	for _, q := range []string{
		`MATCH (n:Node) WHERE n.id STARTS WITH 'org:bench-write-' OR n.id STARTS WITH 'source:bench-write-' DETACH DELETE n`,
		`MATCH (r:Revision) WHERE r.author STARTS WITH 'bench-writer-' DELETE r`,
		`MATCH (t:ApiToken) WHERE t.name STARTS WITH 'bench-writer-' DELETE t`,
	} {
		if _, err := neo4j.ExecuteQuery(ctx, wf.drv, q, nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(wf.db)); err != nil {
			return err
		}
	}
	return nil
}

// org is a new Organization record with a fresh id.
func (wf *writeFixture) org() kg.NodeRecord {
	n := wf.seq.Add(1)
	return kg.NodeRecord{ID: fmt.Sprintf("org:bench-write-%s-%d", wf.author[len("bench-writer-"):], n), Type: kg.TypeOrganization,
		Name: fmt.Sprintf("Benchmark organization %d", n), Kind: "NGO", Description: "Made by the write benchmarks.", Citations: wf.cite}
}

// rel is a new MEMBER_OF between two of the fixture's nodes that no earlier call joined.
func (wf *writeFixture) rel() kg.RelationRecord {
	p := int(wf.pair.Add(1) - 1)
	k := len(wf.ends)
	from, to := p/(k-1)%k, p%(k-1)
	if to >= from {
		to++
	}
	return kg.RelationRecord{Type: "MEMBER_OF", From: wf.ends[from], To: wf.ends[to], Role: "member", Citations: wf.cite}
}

// BenchmarkWrite: the mutations through the store (each one transaction: the revision counter,
// the checks, the write, the revision, the record read back), and createNode through the whole
// HTTP handler (token lookup, cached after the first; rate limit off; JSON).
func BenchmarkWrite(b *testing.B) {
	wf := writeSetup(b)
	b.Run("store/createNode", func(b *testing.B) {
		loop(b, func(int) error { _, err := wf.store.CreateNode(ctx, wf.w, wf.org()); return err })
	})
	b.Run("store/updateNode", func(b *testing.B) {
		res, err := wf.store.CreateNode(ctx, wf.w, wf.org())
		check(b, err)
		id, version := res.Node.ID, res.Node.Version
		loop(b, func(int) error {
			d := fmt.Sprintf("Description number %d.", wf.seq.Add(1))
			res, err := wf.store.UpdateNode(ctx, wf.w, id, version, kg.NodePatch{Description: &d})
			if err == nil {
				version = res.Node.Version
			}
			return err
		})
	})
	b.Run("store/createRelationship", func(b *testing.B) {
		loop(b, func(int) error { _, err := wf.store.CreateRelationship(ctx, wf.w, wf.rel()); return err })
	})
	b.Run("store/createNode+idempotencyKey", func(b *testing.B) {
		loop(b, func(i int) error {
			w := wf.w
			w.IdempotencyKey = fmt.Sprintf("bench-%d", wf.seq.Load())
			_, err := wf.store.CreateNode(ctx, w, wf.org())
			return err
		})
	})
	b.Run("http/createNode", func(b *testing.B) {
		const doc = `mutation($in: CreateNodeInput!) { createNode(input: $in) { node { id version } revision { id seq } } }`
		loop(b, func(int) error {
			r := wf.org()
			in := map[string]any{"type": r.Type, "id": r.ID, "name": r.Name, "kind": r.Kind, "description": r.Description,
				"citations": []map[string]any{{"source": wf.source, "quote": benchQuote}}, "reason": "benchmark"}
			return wf.post(doc, map[string]any{"in": in})
		})
	})
}

func (wf *writeFixture) post(query string, vars map[string]any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+wf.token)
	w := httptest.NewRecorder()
	wf.http.ServeHTTP(w, req)
	if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
		return fmt.Errorf("HTTP %d: %.500s", w.Code, w.Body.String())
	}
	return nil
}

// The same record written as plain Cypher, in one transaction: the node (or relationship)
// with the properties the store gave the same kind of record, then the same plus what history
// adds (the counter increment, the Revision node with its JSON changes). plain/+history is
// what history costs over the bare write; store/createNode over plain is what the rest of a
// mutation (checks, reads, degrees, read-back) costs.
const (
	plainNodeCypher = `
CREATE (n:Node:Actor:Organization {id: $id})
SET n += $props, n.version = 1, n.createdAt = datetime(), n.updatedAt = datetime()`
	plainRelCypher = `
MATCH (a:Node {id: $from})
MATCH (b:Node {id: $to})
CREATE (a)-[r:MEMBER_OF {id: $id}]->(b)
SET r += $props, r.version = 1, r.createdAt = datetime(), r.updatedAt = datetime()`
	plainCounterCypher = `
MERGE (c:RevisionCounter {name: 'revision'})
SET c.seq = coalesce(c.seq, 0) + 1
RETURN c.seq AS seq`
	plainRevisionCypher = `
CREATE (r:Revision {id: 'rev:' + toString($seq), seq: $seq, author: $author, at: datetime(), operation: $operation,
  reason: 'benchmark', idempotencyKey: null, reverts: null, records: [$id], changes: $changes, request: 'plain'})`
)

// template reads back what the store wrote for a record and its revision: the properties to
// write again (id aside) and the revision's changes.
func (wf *writeFixture) template(b *testing.B, rel bool, id, revision string) (props map[string]any, changes string) {
	b.Helper()
	q := `MATCH (n:Node {id: $id})`
	if rel {
		q = `MATCH ()-[n:MEMBER_OF {id: $id}]->()`
	}
	res, err := neo4j.ExecuteQuery(ctx, wf.drv, q+` WITH properties(n) AS p MATCH (r:Revision {id: $rev}) RETURN p, r.changes AS changes`,
		map[string]any{"id": id, "rev": revision}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(wf.db))
	check(b, err)
	if len(res.Records) != 1 {
		b.Fatalf("%s: not found", id)
	}
	props = res.Records[0].Values[0].(map[string]any)
	for _, k := range []string{"id", "version", "createdAt", "updatedAt"} {
		delete(props, k)
	}
	changes, _ = res.Records[0].Values[1].(string)
	return props, changes
}

func BenchmarkWriteHistoryCost(b *testing.B) {
	wf := writeSetup(b)
	nodeRes, err := wf.store.CreateNode(ctx, wf.w, wf.org())
	check(b, err)
	nodeProps, nodeChanges := wf.template(b, false, nodeRes.Node.ID, nodeRes.Revision.ID)
	relRes, err := wf.store.CreateRelationship(ctx, wf.w, wf.rel())
	check(b, err)
	relProps, relChanges := wf.template(b, true, relRes.Relationship.ID, relRes.Revision.ID)

	// write runs one transaction: the record, and with history the counter and the revision
	// (the changes JSON with the new id in it: the same size).
	write := func(cypher string, params map[string]any, op, oldID string, changes string, history bool) error {
		s := wf.drv.NewSession(ctx, neo4j.SessionConfig{DatabaseName: wf.db, AccessMode: neo4j.AccessModeWrite})
		defer s.Close(ctx)
		_, err := s.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
			var seq int64
			if history {
				res, err := tx.Run(ctx, plainCounterCypher, nil)
				if err != nil {
					return nil, err
				}
				rec, err := res.Single(ctx)
				if err != nil {
					return nil, err
				}
				seq = rec.Values[0].(int64)
			}
			res, err := tx.Run(ctx, cypher, params)
			if err != nil {
				return nil, err
			}
			if _, err := res.Consume(ctx); err != nil {
				return nil, err
			}
			if history {
				id := params["id"].(string)
				res, err := tx.Run(ctx, plainRevisionCypher, map[string]any{"seq": seq, "author": wf.author, "operation": op,
					"id": id, "changes": strings.ReplaceAll(changes, oldID, id)})
				if err != nil {
					return nil, err
				}
				_, err = res.Consume(ctx)
				return nil, err
			}
			return nil, nil
		})
		return err
	}
	for _, history := range []bool{false, true} {
		name := "plain"
		if history {
			name = "plain+history"
		}
		b.Run(name+"/createNode", func(b *testing.B) {
			loop(b, func(int) error {
				id := wf.org().ID
				return write(plainNodeCypher, map[string]any{"id": id, "props": nodeProps}, "createNode", nodeRes.Node.ID, nodeChanges, history)
			})
		})
		b.Run(name+"/createRelationship", func(b *testing.B) {
			loop(b, func(int) error {
				r := wf.rel()
				id := kg.DefaultRelID(r.From, r.Type, r.To)
				return write(plainRelCypher, map[string]any{"id": id, "from": r.From, "to": r.To, "props": relProps},
					"createRelationship", relRes.Relationship.ID, relChanges, history)
			})
		})
	}
	// The store's mutation of the same record, in the same run, for the ratio.
	b.Run("store/createNode", func(b *testing.B) {
		loop(b, func(int) error { _, err := wf.store.CreateNode(ctx, wf.w, wf.org()); return err })
	})
	b.Run("store/createRelationship", func(b *testing.B) {
		loop(b, func(int) error { _, err := wf.store.CreateRelationship(ctx, wf.w, wf.rel()); return err })
	})
}

// BenchmarkHistoryRead: revisions(first: 20) and a node's history(first: 20), through the
// store and through the GraphQL handler; the number of revisions in the database is logged
// (both scan revisions newest first, docs/curation.md "Limits").
func BenchmarkHistoryRead(b *testing.B) {
	wf := writeSetup(b)
	// A node with a few revisions of its own, written before other writes.
	res, err := wf.store.CreateNode(ctx, wf.w, wf.org())
	check(b, err)
	id, version := res.Node.ID, res.Node.Version
	for i := 0; i < 5; i++ {
		d := fmt.Sprintf("Change %d.", i)
		r, err := wf.store.UpdateNode(ctx, wf.w, id, version, kg.NodePatch{Description: &d})
		check(b, err)
		version = r.Node.Version
	}
	for i := 0; i < 200; i++ { // revisions after it: history scans past them
		_, err := wf.store.CreateNode(ctx, wf.w, wf.org())
		check(b, err)
	}
	n, err := wf.store.CountRevisions(ctx)
	check(b, err)
	logf("history reads: %d revisions in the database", n)
	b.Run("store/revisions/first=20", func(b *testing.B) {
		loop(b, func(int) error {
			p, err := wf.store.Revisions(ctx, kg.RevisionQuery{First: 20})
			if err == nil && len(p.Revisions) != 20 {
				err = fmt.Errorf("%d revisions", len(p.Revisions))
			}
			return err
		})
	})
	b.Run("store/history/first=20", func(b *testing.B) {
		loop(b, func(int) error {
			p, err := wf.store.History(ctx, id, 20, "")
			if err == nil && len(p.Revisions) != 6 {
				err = fmt.Errorf("%d revisions, want 6", len(p.Revisions))
			}
			return err
		})
	})
	b.Run("graphql/revisions/first=20", func(b *testing.B) {
		loop(b, func(int) error {
			return wf.post(`{ revisions(first: 20) { edges { node { id seq author at operation reason changes { record kind before after } } } pageInfo { hasNextPage endCursor } } }`, nil)
		})
	})
	b.Run("graphql/node.history/first=20", func(b *testing.B) {
		loop(b, func(int) error {
			return wf.post(`query($id: ID!) { node(id: $id) { id history(first: 20) { edges { node { id seq author at operation changes { record before after } } } } } }`,
				map[string]any{"id": id})
		})
	})
}

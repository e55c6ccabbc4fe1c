package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// gqlAnswer is one GraphQL response, or why there was none.
type gqlAnswer struct {
	Status int
	Data   map[string]any
	Code   string // "" when the answer has data and no errors; else the first error's code, or TRANSPORT
	Err    error
}

// gql posts a GraphQL document with a bearer token and decodes the answer.
func gql(ctx context.Context, c *http.Client, base, token, query string, vars map[string]any) gqlAnswer {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return gqlAnswer{Code: Transport, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return gqlAnswer{Code: Transport, Err: err}
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return gqlAnswer{Status: res.StatusCode, Code: Transport, Err: err}
	}
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return gqlAnswer{Status: res.StatusCode, Code: fmt.Sprintf("HTTP_%d", res.StatusCode), Err: fmt.Errorf("%v: %.200s", err, b)}
	}
	a := gqlAnswer{Status: res.StatusCode, Data: out.Data}
	if len(out.Errors) > 0 {
		code, _ := out.Errors[0].Extensions["code"].(string)
		if code == "" {
			code = fmt.Sprintf("HTTP_%d", res.StatusCode)
		}
		a.Code, a.Err = code, fmt.Errorf("%s", out.Errors[0].Message)
	} else if res.StatusCode != 200 || out.Data == nil {
		a.Code = fmt.Sprintf("HTTP_%d", res.StatusCode)
	}
	return a
}

// dig follows a path of object keys through decoded JSON.
func dig(v any, path ...string) any {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// createToken makes an API token with the server binary's `token create` (the CLI an operator
// uses), against the suite's Neo4j.
func createToken(t *testing.T, name, role string) string {
	t.Helper()
	cmd := exec.Command(binary, "token", "create", "--name", name, "--role", role)
	cmd.Env = append(cmd.Environ(), "NEO4J_URI="+db.uri(), "NEO4J_USER=neo4j", "NEO4J_PASSWORD="+db.password, "NEO4J_DATABASE=neo4j")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// The mutations the writers send; every one returns its revision's id.
const (
	createSourceDoc = `mutation($in: CreateSourceInput!) { createSource(input: $in) { node { id version } revision { id seq } } }`
	createNodeDoc   = `mutation($in: CreateNodeInput!) { createNode(input: $in) { node { id version } revision { id seq } } }`
	createRelDoc    = `mutation($in: CreateRelationshipInput!) { createRelationship(input: $in) { relationship { id version } revision { id seq } } }`
	updateNodeDoc   = `mutation($in: UpdateNodeInput!) { updateNode(input: $in) { node { id version } revision { id seq } } }`
)

// logicalWrite is one write a writer wants made: one idempotency key, sent until acknowledged.
type logicalWrite struct {
	key, doc, field string // field: the payload's root field
	record          string // the id of the record it changes (a new relationship's: from the payload)
	from            string // a relationship's from end
	input           map[string]any
}

// ack is what became of a logical write.
type ack struct {
	w         logicalWrite
	acked     bool
	revision  string // the acknowledged payload's revision id
	version   int    // the record's version in the payload
	attempts  int
	codes     []string // the failed attempts' outcomes
	firstSent time.Time
	ackedAt   time.Time
}

// send sends w until it is acknowledged, with the same key each time, or until giveUp. Every
// fourth write's first attempt uses a client that gives up after a few milliseconds, so the
// server may commit a write whose answer nobody reads: the retry must return that write, not
// make a second one. Answers that no retry can change (BAD_USER_INPUT, CONFLICT, FORBIDDEN,
// UNAUTHENTICATED) end the write at once: after a lost acknowledgement the retry must be
// answered with the first result, never with one of those.
func send(base, token string, c, impatient *http.Client, w logicalWrite, n int, giveUp time.Time) ack {
	a := ack{w: w, firstSent: time.Now()}
	for {
		client := c
		if a.attempts == 0 && n%4 == 3 {
			client = impatient
		}
		a.attempts++
		ans := gql(context.Background(), client, base, token, w.doc, map[string]any{"in": w.input})
		if ans.Code == "" {
			a.acked, a.ackedAt = true, time.Now()
			a.revision, _ = dig(ans.Data, w.field, "revision", "id").(string)
			payload := dig(ans.Data, w.field, "node")
			if payload == nil {
				payload = dig(ans.Data, w.field, "relationship")
				a.w.record, _ = dig(payload, "id").(string)
			}
			v, _ := dig(payload, "version").(float64)
			a.version = int(v)
			return a
		}
		a.codes = append(a.codes, ans.Code)
		switch ans.Code {
		case "BAD_USER_INPUT", "CONFLICT", "FORBIDDEN", "UNAUTHENTICATED":
			a.codes[len(a.codes)-1] += ": " + fmt.Sprint(ans.Err)
			return a
		}
		if time.Now().After(giveUp) {
			return a
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Writers with idempotency keys while Neo4j is stopped and started again (the server left
// running): every acknowledged write is in the graph exactly once, each logical write recorded
// exactly one revision, the revisions' seq values are gap-free and unique, and the last
// revision of every record has that record's state in the graph (fields and version).
func TestWritesAcrossNeo4jRestart(t *testing.T) {
	need(t)
	s := startServer(t, map[string]string{"WRITE_RATE_LIMIT": "off"})
	s.waitReady(t, 3*time.Minute)
	author := "fault-writer-" + randomHex(3)
	token := createToken(t, author, "editor")
	client := NewClient(15 * time.Second)
	impatient := NewClient(time.Duration(5+randomUint()%20) * time.Millisecond)
	warm(t, s, client)

	// The Source every fact cites, with the text its quotes are checked against.
	const quote = "The writers kept writing while the database restarted."
	source := "source:fault-writes-" + randomHex(4)
	src := send(s.url, token, client, impatient, logicalWrite{key: "source", doc: createSourceDoc, field: "createSource", record: source,
		input: map[string]any{"id": source, "name": "Fault suite notes", "kind": "REPORT", "reason": "fault test: the source",
			"text": "Notes. " + quote + " The end.", "idempotencyKey": "source"}}, 0, time.Now().Add(time.Minute))
	if !src.acked {
		t.Fatalf("createSource never acknowledged: %v", src.codes)
	}

	const writers, maxPerWriter = 4, 300
	cite := []map[string]any{{"source": source, "quote": quote}}
	stop := make(chan struct{})
	results := make([][]ack, writers)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			n := 0
			for i := 0; n < maxPerWriter; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("org:fault-w%d-n%d", w, i)
				key := func(op string) string { return fmt.Sprintf("w%d-i%d-%s", w, i, op) }
				ops := []logicalWrite{{key: key("create"), doc: createNodeDoc, field: "createNode", record: id,
					input: map[string]any{"type": "Organization", "id": id, "name": fmt.Sprintf("Fault writer %d number %d", w, i),
						"kind": "NGO", "citations": cite, "reason": "fault test: create", "idempotencyKey": key("create")}}}
				if i > 0 {
					prev := fmt.Sprintf("org:fault-w%d-n%d", w, i-1)
					ops = append(ops, logicalWrite{key: key("rel"), doc: createRelDoc, field: "createRelationship", from: id,
						input: map[string]any{"type": "MEMBER_OF", "from": id, "to": prev, "role": fmt.Sprintf("member %d", i),
							"citations": cite, "reason": "fault test: relate", "idempotencyKey": key("rel")}})
				}
				ops = append(ops, logicalWrite{key: key("update"), doc: updateNodeDoc, field: "updateNode", record: id,
					input: map[string]any{"id": id, "expectedVersion": 1, "set": map[string]any{"description": fmt.Sprintf("Updated by writer %d.", w)},
						"reason": "fault test: update", "idempotencyKey": key("update")}})
				for _, op := range ops {
					a := send(s.url, token, client, impatient, op, n, time.Now().Add(3*time.Minute))
					results[w] = append(results[w], a)
					n++
					if !a.acked {
						return // the chain cannot go on (and the test fails below)
					}
				}
			}
		}(w)
	}

	const baseline = 10 * time.Second
	time.Sleep(baseline)
	tStop := time.Now()
	if err := db.stop(); err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	tStopped := time.Now()
	time.Sleep(4 * time.Second) // Neo4j down
	tStart := time.Now()
	if err := db.start(); err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	tStarted := time.Now()
	s.waitReady(t, 2*time.Minute)
	time.Sleep(10 * time.Second) // writes after recovery
	close(stop)
	wg.Wait()
	tEnd := time.Now()

	// What the writers saw.
	var all []ack
	for _, rs := range results {
		all = append(all, rs...)
	}
	acked, retried, outage := map[string]ack{"source": src}, 0, 0
	codes := map[string]int{}
	var slowest time.Duration
	for _, a := range all {
		if !a.acked {
			t.Errorf("write %s (%s) was never acknowledged after %d attempts: %v", a.w.key, a.w.record, a.attempts, a.codes)
			continue
		}
		acked[a.w.key] = a
		if a.attempts > 1 {
			retried++
		}
		for _, c := range a.codes {
			codes[strings.SplitN(c, ":", 2)[0]]++
		}
		if a.firstSent.Before(tStarted) && a.ackedAt.After(tStop) {
			outage++
		}
		slowest = max(slowest, a.ackedAt.Sub(a.firstSent))
	}
	if !s.running() {
		t.Fatalf("the server exited: %v", s.err)
	}
	t.Logf("writers: %d, %d logical writes acknowledged (plus the Source) in %s; %d needed more than one attempt (failed attempts by outcome: %v); %d were in flight across the outage; slowest acknowledgement %s after its first attempt",
		writers, len(acked)-1, tEnd.Sub(tStop.Add(-baseline)).Round(time.Second), retried, codes, outage, slowest.Round(time.Millisecond))
	t.Logf("Neo4j: stopped %s after the writers began (scripts/neo4j.sh stop took %s), down %s, scripts/neo4j.sh start took %s",
		baseline, tStopped.Sub(tStop).Round(100*time.Millisecond), tStart.Sub(tStop).Round(100*time.Millisecond), tStarted.Sub(tStart).Round(100*time.Millisecond))
	if outage == 0 {
		t.Errorf("no write was in flight across the outage: the test did not test the restart")
	}

	checkWrites(t, s, token, author, acked)
}

// checkWrites compares what the writers were told with the graph and its history.
func checkWrites(t *testing.T, s *server, token, author string, acked map[string]ack) {
	t.Helper()
	ctx := context.Background()
	drv, err := neo4j.NewDriverWithContext(db.uri(), neo4j.BasicAuth("neo4j", db.password, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer drv.Close(ctx)
	query := func(cypher string, params map[string]any) []*neo4j.Record {
		res, err := neo4j.ExecuteQuery(ctx, drv, cypher, params, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase("neo4j"))
		if err != nil {
			t.Fatalf("%s: %v", cypher, err)
		}
		return res.Records
	}

	// Every acknowledged write's record is in the graph exactly once (by id), and every key
	// of this author has exactly one revision.
	var nodeIDs, relIDs []string
	for _, a := range acked {
		if strings.HasPrefix(a.w.record, "rel:") {
			relIDs = append(relIDs, a.w.record)
		} else if !slices.Contains(nodeIDs, a.w.record) {
			nodeIDs = append(nodeIDs, a.w.record)
		}
	}
	for _, r := range query(`UNWIND $ids AS id OPTIONAL MATCH (n:Node {id: id}) WITH id, count(n) AS n WHERE n <> 1 RETURN id, n`, map[string]any{"ids": nodeIDs}) {
		t.Errorf("node %v is in the graph %v times, want once", r.Values[0], r.Values[1])
	}
	for _, r := range query(`UNWIND $ids AS id OPTIONAL MATCH ()-[r {id: id}]->() WITH id, count(r) AS n WHERE n <> 1 RETURN id, n`, map[string]any{"ids": relIDs}) {
		t.Errorf("relationship %v is in the graph %v times, want once", r.Values[0], r.Values[1])
	}
	// Nothing of the writers' is in the graph that no acknowledged write made (a write given up
	// on, or written twice under another id).
	stray := query(`MATCH (n:Node) WHERE n.id STARTS WITH 'org:fault-w' AND NOT n.id IN $ids RETURN n.id`, map[string]any{"ids": nodeIDs})
	for _, r := range stray {
		t.Errorf("node %v is in the graph but no acknowledged write made it", r.Values[0])
	}
	for _, r := range query(`MATCH (a:Node)-[r]->() WHERE a.id STARTS WITH 'org:fault-w' AND NOT r.id IN $ids RETURN r.id`, map[string]any{"ids": relIDs}) {
		t.Errorf("relationship %v is in the graph but no acknowledged write made it", r.Values[0])
	}
	for _, r := range query(`MATCH (r:Revision {author: $author}) WITH r.idempotencyKey AS key, count(*) AS n WHERE n <> 1 OR key IS NULL RETURN key, n`, map[string]any{"author": author}) {
		t.Errorf("idempotency key %v has %v revisions, want 1", r.Values[0], r.Values[1])
	}
	keyOf := map[string]string{}
	for _, r := range query(`MATCH (r:Revision {author: $author}) RETURN r.id, r.idempotencyKey`, map[string]any{"author": author}) {
		id, _ := r.Values[0].(string)
		key, _ := r.Values[1].(string)
		keyOf[id] = key
	}
	if len(keyOf) != len(acked) {
		t.Errorf("%d revisions by %s, want one per acknowledged logical write: %d", len(keyOf), author, len(acked))
	}
	for key, a := range acked {
		if keyOf[a.revision] != key {
			t.Errorf("write %s was acknowledged with revision %s, which is stored with key %q", key, a.revision, keyOf[a.revision])
		}
	}

	// seq: unique, strictly increasing and gap-free over every revision (imports included).
	rec := query(`MATCH (r:Revision) RETURN count(r) AS n, count(DISTINCT r.seq) AS distinct, min(r.seq) AS lo, max(r.seq) AS hi,
  count(DISTINCT r.id) AS ids, sum(CASE WHEN r.id = 'rev:' + toString(r.seq) THEN 1 ELSE 0 END) AS named`, nil)[0]
	n, distinct, lo, hi := rec.Values[0].(int64), rec.Values[1].(int64), rec.Values[2], rec.Values[3]
	if n != distinct || rec.Values[4].(int64) != n || rec.Values[5].(int64) != n {
		t.Errorf("revisions: %d, distinct seq %d, distinct ids %d, ids rev:<seq> %d: want all equal", n, distinct, rec.Values[4], rec.Values[5])
	}
	if lo != int64(1) || hi != n {
		t.Errorf("revision seq runs from %v to %v over %d revisions: not gap-free", lo, hi, n)
	}
	counter := query(`MATCH (c:RevisionCounter {name: 'revision'}) RETURN c.seq`, nil)
	if len(counter) != 1 || counter[0].Values[0] != hi {
		t.Errorf("the revision counter is %v, the highest seq %v", counter, hi)
	}

	// The same history through the API: revisions(author) newest first, seq strictly
	// decreasing, the same set of ids.
	c := NewClient(60 * time.Second)
	var seqs []int
	seen := map[string]map[string]any{}
	after := any(nil)
	for {
		ans := gql(ctx, c, s.url, token, `query($a: String, $after: String) { revisions(author: $a, first: 100, after: $after) {
  edges { node { id seq operation changes { record kind before after } } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"a": author, "after": after})
		if ans.Code != "" {
			t.Fatalf("revisions: %s %v", ans.Code, ans.Err)
		}
		for _, e := range dig(ans.Data, "revisions", "edges").([]any) {
			node := dig(e, "node").(map[string]any)
			seqs = append(seqs, int(node["seq"].(float64)))
			seen[node["id"].(string)] = node
		}
		if dig(ans.Data, "revisions", "pageInfo", "hasNextPage") != true {
			break
		}
		after = dig(ans.Data, "revisions", "pageInfo", "endCursor")
	}
	if !sort.SliceIsSorted(seqs, func(i, j int) bool { return seqs[i] > seqs[j] }) {
		t.Errorf("revisions(author) is not newest first")
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] == seqs[i-1] {
			t.Errorf("revisions(author) lists seq %d twice", seqs[i])
		}
	}
	if len(seen) != len(keyOf) {
		t.Errorf("revisions(author) lists %d revisions, the database holds %d", len(seen), len(keyOf))
	}

	// Per record, the revisions in seq order: versions 1, 2, ... and the last state is the
	// record in the graph.
	type step struct {
		seq   int
		after map[string]any
	}
	steps := map[string][]step{}
	for _, rev := range seen {
		for _, ch := range rev["changes"].([]any) {
			m := ch.(map[string]any)
			a, _ := m["after"].(map[string]any)
			steps[m["record"].(string)] = append(steps[m["record"].(string)], step{int(rev["seq"].(float64)), a})
		}
	}
	fromOf := map[string]string{}
	for _, a := range acked {
		fromOf[a.w.record] = a.w.from
	}
	checked := 0
	for record, ss := range steps {
		sort.Slice(ss, func(i, j int) bool { return ss[i].seq < ss[j].seq })
		for i, st := range ss {
			if v, _ := st.after["version"].(float64); int(v) != i+1 {
				t.Errorf("%s: revision %d of it has version %v after, want %d", record, i+1, st.after["version"], i+1)
			}
		}
		last := ss[len(ss)-1].after
		got := graphState(t, ctx, c, s.url, record, fromOf[record])
		if !reflect.DeepEqual(stateFields(last), got) {
			t.Errorf("%s: its last revision says\n  %v\nthe graph has\n  %v", record, stateFields(last), got)
		}
		checked++
	}
	for key, a := range acked {
		if a.version == 0 {
			t.Errorf("write %s: the payload gave no version", key)
		}
	}
	t.Logf("checked: %d nodes and %d relationships exactly once; %d revisions by %s (one per key), seq 1..%v gap-free over all %d revisions; %d records' last revision equal to the graph",
		len(nodeIDs), len(relIDs), len(keyOf), author, hi, n, checked)
}

// stateFields keeps the fields of a revision state that graphState reads.
func stateFields(st map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"id", "type", "name", "kind", "description", "from", "to", "role", "version"} {
		if v, ok := st[k]; ok && v != "" {
			out[k] = v
		}
	}
	var cs []any
	for _, c := range anySlice(st["citations"]) {
		m := c.(map[string]any)
		cs = append(cs, map[string]any{"source": m["source"], "quote": m["quote"]})
	}
	out["citations"] = cs
	return out
}

func anySlice(v any) []any { s, _ := v.([]any); return s }

// graphState reads a record through the API, in the shape stateFields gives.
func graphState(t *testing.T, ctx context.Context, c *http.Client, base, record, from string) map[string]any {
	t.Helper()
	out := map[string]any{}
	cites := func(v any) {
		var cs []any
		for _, x := range anySlice(v) {
			cs = append(cs, map[string]any{"source": dig(x, "source", "id"), "quote": dig(x, "quote")})
		}
		out["citations"] = cs
	}
	if from == "" {
		ans := gql(ctx, c, base, "", `query($id: ID!) { node(id: $id) { id __typename name version description citations { quote source { id } }
  ... on Organization { kind } ... on Source { sourceKind: kind } } }`, map[string]any{"id": record})
		if ans.Code != "" {
			t.Fatalf("node %s: %s %v", record, ans.Code, ans.Err)
		}
		n, _ := ans.Data["node"].(map[string]any)
		if n == nil {
			return nil
		}
		out["id"], out["type"], out["name"], out["version"] = n["id"], n["__typename"], n["name"], n["version"]
		if n["description"] != nil && n["description"] != "" {
			out["description"] = n["description"]
		}
		if n["kind"] != nil {
			out["kind"] = n["kind"]
		}
		if n["sourceKind"] != nil {
			out["kind"] = n["sourceKind"]
		}
		cites(n["citations"])
		return out
	}
	// A relationship: from its from end's outgoing relationships.
	ans := gql(ctx, c, base, "", `query($id: ID!) { node(id: $id) { relationships(direction: OUT, first: 100) { edges { node {
  id type from { id } to { id } role version citations { quote source { id } } } } } } }`, map[string]any{"id": from})
	if ans.Code != "" {
		t.Fatalf("node %s: %s %v", from, ans.Code, ans.Err)
	}
	for _, e := range anySlice(dig(ans.Data, "node", "relationships", "edges")) {
		r := dig(e, "node").(map[string]any)
		if r["id"] != record {
			continue
		}
		out["id"], out["type"], out["from"], out["to"], out["version"] = r["id"], r["type"], dig(r, "from", "id"), dig(r, "to", "id"), r["version"]
		if r["role"] != nil && r["role"] != "" {
			out["role"] = r["role"]
		}
		cites(r["citations"])
		return out
	}
	return nil
}

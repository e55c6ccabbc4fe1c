package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// The change feed end to end against the real Neo4j: WebSocket (graphql-transport-ws) and
// Server-Sent Events, resume from a cursor, two servers over one database, caps, auth, and
// that a client leaving frees its stream.

const changesQuery = `subscription($after: String) { changes(after: $after) {
  id seq author operation reason feedCursor changes { record kind before after } } }`

// feedServer is one server replica: its own store (driver) and feed over the test database.
type feedServer struct {
	url   string
	feed  *graph.Feed
	store *neo4jstore.Store
}

func newFeedServer(t *testing.T, cfg graph.FeedConfig, mod func(*httpapi.Config)) *feedServer {
	t.Helper()
	store, err := neo4jstore.Open(context.Background(), neo4jtest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	feed := graph.NewFeed(store, cfg)
	c := httpapi.Config{Store: store, Logger: slog.New(slog.DiscardHandler), Feed: feed}
	if mod != nil {
		mod(&c)
	}
	srv := httptest.NewServer(httpapi.New(c))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := feed.Close(ctx); err != nil {
			t.Errorf("feed did not close: %v", err)
		}
		srv.Close()
		store.Close(context.Background())
	})
	return &feedServer{url: srv.URL, feed: feed, store: store}
}

// wsClient speaks graphql-transport-ws.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func dialWS(t *testing.T, url string, initPayload any) (*wsClient, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	c := &wsClient{t: t, conn: conn}
	t.Cleanup(func() { conn.CloseNow() })
	if conn.Subprotocol() != "graphql-transport-ws" {
		t.Fatalf("negotiated subprotocol %q", conn.Subprotocol())
	}
	init := map[string]any{"type": "connection_init"}
	if initPayload != nil {
		init["payload"] = initPayload
	}
	c.send(init)
	m, err := c.read()
	if err != nil {
		return nil, err
	}
	if m.Type != "connection_ack" {
		t.Fatalf("after connection_init: %+v", m)
	}
	return c, nil
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := wsjson.Write(ctx, c.conn, v); err != nil {
		c.t.Fatalf("websocket write: %v", err)
	}
}

// read returns the next message that is not a ping (answered) or a pong.
func (c *wsClient) read() (wsMessage, error) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		var m wsMessage
		err := wsjson.Read(ctx, c.conn, &m)
		cancel()
		if err != nil {
			return m, err
		}
		switch m.Type {
		case "ping":
			c.send(map[string]any{"type": "pong"})
		case "pong":
		default:
			return m, nil
		}
	}
}

func (c *wsClient) subscribe(id string, after string) {
	c.t.Helper()
	vars := map[string]any{}
	if after != "" {
		vars["after"] = after
	}
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": changesQuery, "variables": vars}})
}

type revisionJSON struct {
	ID, Author, Operation, Reason, FeedCursor string
	Seq                                       int64
	Changes                                   []struct {
		Record, Kind  string
		Before, After map[string]any
	}
}

// next reads the next revision of subscription id.
func (c *wsClient) next(id string) revisionJSON {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("waiting for a revision: %v", err)
	}
	if m.Type != "next" || m.ID != id {
		c.t.Fatalf("want next for %s, got %s %s %s", id, m.Type, m.ID, m.Payload)
	}
	var p struct {
		Data struct {
			Changes revisionJSON `json:"changes"`
		} `json:"data"`
		Errors []any `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		c.t.Fatalf("payload %s: %v", m.Payload, err)
	}
	return p.Data.Changes
}

// waitFor polls cond until it holds (or fails the test after 20 s).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func streams(f *graph.Feed) int { n, _ := f.Open(); return n }

func commit(t *testing.T, reason string) int64 {
	t.Helper()
	return neo4jtest.CommitRevision(t, "alice", "updateNode", reason, neo4jtest.Change{Record: "org:aclu", Kind: "node",
		Before: map[string]any{"id": "org:aclu", "version": 1.0}, After: map[string]any{"id": "org:aclu", "version": 2.0, "description": reason}})
}

// A subscriber receives a write committed after it subscribed; one that comes back with its
// last cursor gets what it missed, in order, then the live ones; leaving frees the stream.
func TestChangesOverWebSocket(t *testing.T) {
	neo4jtest.Store(t)
	s := newFeedServer(t, graph.FeedConfig{}, nil)
	baseline := runtime.NumGoroutine()
	c, err := dialWS(t, s.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	earlier := commit(t, "before the subscription") // not sent: the feed starts at the next write
	c.subscribe("1", "")
	waitFor(t, "the subscription to start", func() bool { return streams(s.feed) == 1 })
	seq := commit(t, "first live change")
	r := c.next("1")
	if r.Seq != seq || r.Seq <= earlier || r.ID != fmt.Sprintf("rev:%d", seq) || r.Author != "alice" || r.Operation != "updateNode" || r.Reason != "first live change" {
		t.Fatalf("received %+v, want seq %d", r, seq)
	}
	if len(r.Changes) != 1 || r.Changes[0].Record != "org:aclu" || r.Changes[0].Kind != "NODE" ||
		r.Changes[0].Before["version"] != 1.0 || r.Changes[0].After["description"] != "first live change" {
		t.Fatalf("changes %+v", r.Changes)
	}
	cursor := r.FeedCursor

	// The client leaves: its stream and connection are freed, no goroutine is left behind.
	c.conn.Close(websocket.StatusNormalClosure, "bye")
	waitFor(t, "the stream to end", func() bool { n, conns := s.feed.Open(); return n == 0 && conns == 0 })
	waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= baseline })

	// Three writes while away; resume from the cursor: all three in order, then live ones.
	missed := []int64{commit(t, "missed 1"), commit(t, "missed 2"), commit(t, "missed 3")}
	c2, err := dialWS(t, s.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c2.subscribe("resume", cursor)
	for i, want := range missed {
		if got := c2.next("resume"); got.Seq != want || got.Reason != fmt.Sprintf("missed %d", i+1) {
			t.Fatalf("replay %d: got seq %d (%s), want %d", i, got.Seq, got.Reason, want)
		}
	}
	live := commit(t, "live again")
	if got := c2.next("resume"); got.Seq != live {
		t.Fatalf("after the replay: seq %d, want %d", got.Seq, live)
	}

	// complete from the client ends that subscription only.
	c2.send(map[string]any{"id": "resume", "type": "complete"})
	waitFor(t, "the completed stream to end", func() bool { return streams(s.feed) == 0 })
	if _, conns := s.feed.Open(); conns != 1 {
		t.Fatalf("%d connections, want 1 (still open)", conns)
	}
}

// A bad cursor is refused, naming the argument; queries go over HTTP, not the socket.
func TestChangesRefusals(t *testing.T) {
	neo4jtest.Store(t)
	s := newFeedServer(t, graph.FeedConfig{MaxStreamsPerClient: 1}, nil)
	c, err := dialWS(t, s.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("bad", "not-a-cursor")
	m, err := c.read()
	if err != nil || m.Type != "next" || !strings.Contains(string(m.Payload), "argument after") || !strings.Contains(string(m.Payload), "BAD_USER_INPUT") {
		t.Fatalf("bad cursor: %+v %s, %v", m, m.Payload, err)
	}
	c.send(map[string]any{"id": "q", "type": "subscribe", "payload": map[string]any{"query": "{ __typename }"}})
	for {
		m, err = c.read()
		if err != nil || m.ID == "q" {
			break
		}
	}
	if err != nil || !strings.Contains(string(m.Payload), "only subscriptions") {
		t.Fatalf("query over the socket: %+v %s, %v", m, m.Payload, err)
	}

	// Per-client cap (1): a second stream of the same client is refused, over either transport.
	c.subscribe("one", "")
	waitFor(t, "the first stream", func() bool { return streams(s.feed) == 1 })
	c.subscribe("two", "")
	for {
		m, err = c.read()
		if err != nil || m.ID == "two" {
			break
		}
	}
	if err != nil || !strings.Contains(string(m.Payload), "RATE_LIMITED") {
		t.Fatalf("second stream: %+v %s, %v", m, m.Payload, err)
	}
	res, err := http.Get(s.url + "/changes")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("SSE over the cap: HTTP %d", res.StatusCode)
	}
	// A second connection of the same client is refused before the upgrade.
	if _, err := dialWS(t, s.url, nil); err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("second connection: %v", err)
	}
	// Plain HTTP cannot subscribe.
	body := strings.NewReader(`{"query":"subscription { changes { id } }"}`)
	res, err = http.Post(s.url+"/graphql", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Errors []struct{ Message string } }
	_ = json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if len(out.Errors) == 0 || !strings.Contains(out.Errors[0].Message, "WebSocket") {
		t.Fatalf("subscription over POST: %+v", out)
	}
}

// sseStream reads events of GET /changes.
type sseStream struct {
	t    *testing.T
	res  *http.Response
	sc   *bufio.Scanner
	stop context.CancelFunc
}

type sseEvent struct {
	id  string
	rev revisionJSON
}

func openSSE(t *testing.T, url string, header map[string]string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a missing event fails, never hangs
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{t: t, res: res, sc: bufio.NewScanner(res.Body), stop: cancel}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	return s
}

// next returns the next event (comments and retry lines skipped).
func (s *sseStream) next() sseEvent {
	s.t.Helper()
	var ev sseEvent
	var data string
	for s.sc.Scan() {
		line := s.sc.Text()
		switch {
		case line == "" && data != "":
			if err := json.Unmarshal([]byte(data), &ev.rev); err != nil {
				s.t.Fatalf("event data %q: %v", data, err)
			}
			return ev
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		}
	}
	s.t.Fatalf("stream ended: %v", s.sc.Err())
	return ev
}

// GET /changes: the same feed as Server-Sent Events, resumable with after or Last-Event-ID.
func TestChangesOverSSE(t *testing.T) {
	neo4jtest.Store(t)
	s := newFeedServer(t, graph.FeedConfig{}, nil)

	res, err := http.Get(s.url + "/changes?after=nope")
	if err != nil {
		t.Fatal(err)
	}
	var bad struct {
		Error struct{ Code, Message string }
	}
	_ = json.NewDecoder(res.Body).Decode(&bad)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || bad.Error.Code != "BAD_USER_INPUT" || !strings.Contains(bad.Error.Message, "argument after") {
		t.Fatalf("bad cursor: HTTP %d %+v", res.StatusCode, bad)
	}

	st := openSSE(t, s.url+"/changes", nil)
	if ct := st.res.Header.Get("Content-Type"); st.res.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("HTTP %d, Content-Type %q", st.res.StatusCode, ct)
	}
	waitFor(t, "the SSE stream to start", func() bool { return streams(s.feed) == 1 })
	first := commit(t, "sse 1")
	ev := st.next()
	if ev.rev.Seq != first || ev.id != ev.rev.FeedCursor || ev.rev.Changes[0].Kind != "NODE" || ev.rev.Reason != "sse 1" {
		t.Fatalf("event %+v, want seq %d with its cursor as id", ev, first)
	}
	st.stop() // the client leaves
	waitFor(t, "the SSE stream to end", func() bool { return streams(s.feed) == 0 })

	second, third := commit(t, "sse 2"), commit(t, "sse 3")
	// EventSource reconnects to the same URL with Last-Event-ID: that wins over after.
	old := graph.FeedCursor(0)
	st2 := openSSE(t, s.url+"/changes?after="+old, map[string]string{"Last-Event-ID": ev.id})
	if a, b := st2.next(), st2.next(); a.rev.Seq != second || b.rev.Seq != third {
		t.Fatalf("resume: seqs %d, %d; want %d, %d", a.rev.Seq, b.rev.Seq, second, third)
	}
	st3 := openSSE(t, s.url+"/changes?after="+ev.id, nil)
	if a := st3.next(); a.rev.Seq != second {
		t.Fatalf("after=: seq %d, want %d", a.rev.Seq, second)
	}
}

// Two server replicas over one Neo4j: a subscriber on B receives a write made through A, as
// its mutation recorded it (the feed reads the database, not an in-process broadcast).
func TestChangesAcrossReplicas(t *testing.T) {
	st := neo4jtest.Store(t)
	token, _, err := st.CreateToken(context.Background(), "feed-editor", kg.RoleEditor)
	if err != nil {
		t.Fatal(err)
	}
	withTokens := func(c *httpapi.Config) {
		c.Auth = httpapi.NewAuth(httpapi.AuthConfig{Tokens: c.Store.(*neo4jstore.Store), PublicReads: true})
	}
	a := newFeedServer(t, graph.FeedConfig{}, withTokens)
	b := newFeedServer(t, graph.FeedConfig{}, withTokens)
	onB, err := dialWS(t, b.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	onB.subscribe("b", "")
	waitFor(t, "the subscription on B", func() bool { return streams(b.feed) == 1 })

	body, _ := json.Marshal(map[string]any{
		"query": `mutation($input: CreateSourceInput!) { createSource(input: $input) { node { id } revision { id seq feedCursor } } }`,
		"variables": map[string]any{"input": map[string]any{"id": "source:feed-replicas", "name": "Feed across replicas",
			"kind": "REPORT", "reason": "made through A"}}})
	req, _ := http.NewRequest(http.MethodPost, a.url+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Data struct {
			CreateSource struct{ Revision revisionJSON }
		}
		Errors []any
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	written := out.Data.CreateSource.Revision
	if res.StatusCode != http.StatusOK || len(out.Errors) > 0 || written.Seq == 0 {
		t.Fatalf("mutation through A: HTTP %d %+v", res.StatusCode, out)
	}

	got := onB.next("b")
	if got.Seq != written.Seq || got.ID != written.ID || got.FeedCursor != written.FeedCursor || got.Author != "feed-editor" ||
		got.Operation != "createSource" || got.Reason != "made through A" {
		t.Fatalf("replica B received %+v, want the revision A wrote %+v", got, written)
	}
	if len(got.Changes) != 1 || got.Changes[0].Record != "source:feed-replicas" || got.Changes[0].Before != nil ||
		got.Changes[0].After["name"] != "Feed across replicas" {
		t.Fatalf("changes %+v", got.Changes)
	}
}

// When reads are not public, the token comes in connection_init (or the Authorization header
// of GET /changes); none, or a bad one, is refused.
func TestChangesNeedTokenWhenReadsArePrivate(t *testing.T) {
	st := neo4jtest.Store(t)
	token, _, err := st.CreateToken(context.Background(), "feed-reader", kg.RoleReader)
	if err != nil {
		t.Fatal(err)
	}
	s := newFeedServer(t, graph.FeedConfig{}, func(c *httpapi.Config) {
		c.Auth = httpapi.NewAuth(httpapi.AuthConfig{Tokens: c.Store.(*neo4jstore.Store), PublicReads: false})
	})
	for _, payload := range []any{nil, map[string]any{"Authorization": "Bearer not-a-token"}} {
		_, err := dialWS(t, s.url, payload)
		if websocket.CloseStatus(err) != 4403 {
			t.Errorf("connection_init %v: %v, want close 4403", payload, err)
		}
	}
	c, err := dialWS(t, s.url, map[string]any{"Authorization": "Bearer " + token})
	if err != nil {
		t.Fatalf("with a token: %v", err)
	}
	c.subscribe("1", "")
	waitFor(t, "the subscription", func() bool { return streams(s.feed) == 1 })
	seq := commit(t, "private")
	if got := c.next("1"); got.Seq != seq {
		t.Fatalf("seq %d, want %d", got.Seq, seq)
	}

	res, err := http.Get(s.url + "/changes")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("SSE without a token: HTTP %d", res.StatusCode)
	}
	sse := openSSE(t, s.url+"/changes?after="+graph.FeedCursor(seq-1), map[string]string{"Authorization": "Bearer " + token})
	if ev := sse.next(); ev.rev.Seq != seq {
		t.Fatalf("SSE with a token: seq %d, want %d", ev.rev.Seq, seq)
	}
}

// Closing the feed (server shutdown) ends every stream cleanly: the socket gets a close
// frame, the SSE response ends.
func TestChangesEndOnShutdown(t *testing.T) {
	neo4jtest.Store(t)
	s := newFeedServer(t, graph.FeedConfig{}, nil)
	c, err := dialWS(t, s.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("1", "")
	sse := openSSE(t, s.url+"/changes", nil)
	waitFor(t, "both streams", func() bool { return streams(s.feed) == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.feed.Close(ctx); err != nil {
		t.Fatalf("feed close: %v", err)
	}
	for {
		_, err := c.read()
		if err != nil {
			if st := websocket.CloseStatus(err); st != websocket.StatusNormalClosure {
				t.Fatalf("socket ended with %v, want a normal closure", err)
			}
			break
		}
	}
	for sse.sc.Scan() {
	}
	if err := sse.sc.Err(); err != nil {
		t.Fatalf("SSE body: %v, want a clean end", err)
	}
	// The handler returns just after the close frame is out: its slot is freed then.
	waitFor(t, "every stream and connection to be freed", func() bool { n, conns := s.feed.Open(); return n == 0 && conns == 0 })
}

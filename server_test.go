package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
)

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"NEO4J_URI": "http://127.0.0.1:7474"}, `NEO4J_URI: scheme "http" is not supported`},
		{map[string]string{"NEO4J_URI": "bolt://"}, `NEO4J_URI: "bolt://" has no host`},
		{map[string]string{"NEO4J_URI": "::not a uri"}, `NEO4J_URI: "::not a uri" is not a URI`},
		{map[string]string{"LISTEN_ADDR": "8080"}, `LISTEN_ADDR: "8080" is not host:port`},
		{map[string]string{"LISTEN_ADDR": "127.0.0.1:http-alt"}, `LISTEN_ADDR: port "http-alt"`},
		{map[string]string{"LISTEN_ADDR": "127.0.0.1:70000"}, `LISTEN_ADDR: port "70000"`},
		{map[string]string{"LISTEN_ADDR": "example.com:80"}, `LISTEN_ADDR: host "example.com"`},
		{map[string]string{"NEO4J_DATABASE": "a"}, `NEO4J_DATABASE: "a" is not a valid database name`},
		{map[string]string{"QUERY_TIMEOUT": "soon"}, `QUERY_TIMEOUT: "soon" is not a positive duration`},
		{map[string]string{"QUERY_TIMEOUT": "-1s"}, `QUERY_TIMEOUT: "-1s" is not a positive duration`},
		{map[string]string{"EXPORT_TIMEOUT": "0s"}, `EXPORT_TIMEOUT: "0s" is not a positive duration`},
		{map[string]string{"LOAD_BUNDLED_DATA": "maybe"}, `LOAD_BUNDLED_DATA: "maybe" is not true or false`},
		{map[string]string{"LOG_LEVEL": "loud"}, `LOG_LEVEL: "loud" is not one of`},
	}
	for _, c := range cases {
		err := run(context.Background(), []string{"policygraph"}, func(k string) string { return c.env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("env %v: got %v, want an error containing %q", c.env, err, c.want)
		}
	}
	cfg, err := loadConfig(func(string) string { return "" })
	if err != nil || cfg.ListenAddr != "127.0.0.1:8080" || cfg.Neo4jURI != "bolt://127.0.0.1:7687" || !cfg.LoadBundled {
		t.Errorf("defaults: %+v %v", cfg, err)
	}
}

// server is the whole program started in-process by run().
type server struct {
	url    string
	cancel context.CancelFunc
	done   chan error
	logs   *logTail
}

// logTail keeps the JSON log lines and reports the listening address.
type logTail struct {
	mu    sync.Mutex
	lines []string
	addr  chan string
}

func newLogTail() (*logTail, io.Writer) {
	lt := &logTail{addr: make(chan string, 1)}
	r, w := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			lt.mu.Lock()
			lt.lines = append(lt.lines, line)
			lt.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				lt.addr <- rec.Addr
			}
		}
	}()
	return lt, w
}

func (lt *logTail) String() string {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return strings.Join(lt.lines, "\n")
}

func start(t *testing.T, env map[string]string) *server {
	t.Helper()
	env["LISTEN_ADDR"] = "127.0.0.1:0"
	lt, w := newLogTail()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{cancel: cancel, done: make(chan error, 1), logs: lt}
	go func() {
		s.done <- run(ctx, []string{"policygraph", "serve"}, func(k string) string { return env[k] }, io.Discard, w)
	}()
	select {
	case addr := <-lt.addr:
		s.url = "http://" + addr
	case err := <-s.done:
		t.Fatalf("server exited at start: %v\n%s", err, lt)
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start listening\n%s", lt)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *server) stop(t *testing.T) {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("run returned %v on shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("server did not shut down\n%s", s.logs)
	}
}

var client = &http.Client{Timeout: 5 * time.Second}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func postQuery(t *testing.T, url, query string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	res, err := client.Post(url+"/graphql", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func storeEnv(t *testing.T) map[string]string {
	cfg := neo4jtest.Config(t)
	return map[string]string{"NEO4J_URI": cfg.URI, "NEO4J_USER": cfg.User, "NEO4J_PASSWORD": cfg.Password, "NEO4J_DATABASE": cfg.Database}
}

// The whole server in-process against the real Neo4j: it starts on an empty graph, applies
// the schema, loads the bundled dataset, serves GraphQL, the playground and health checks,
// passes the browser test, and shuts down cleanly.
func TestServerEndToEnd(t *testing.T) {
	neo4jtest.Store(t) // empties the graph: the server must load the bundled data itself
	s := start(t, storeEnv(t))

	if code, _ := get(t, s.url+"/livez"); code != 200 {
		t.Fatalf("/livez: %d", code)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _ := get(t, s.url+"/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never became 200 (last %d)\n%s", code, s.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, out := postQuery(t, s.url, `{ node(id: "org:aclu") { name } }`)
	if code != 200 || !strings.Contains(toJSON(out), `"American Civil Liberties Union"`) {
		t.Fatalf("query through the server: %d %s", code, toJSON(out))
	}
	// GET runs queries; the playground page is served by the binary.
	if code, body := get(t, s.url+"/graphql?query=%7Bnode(id:%22org:aclu%22)%7Bid%7D%7D"); code != 200 || !strings.Contains(body, `"org:aclu"`) {
		t.Errorf("GET query: %d %s", code, body)
	}
	if code, body := get(t, s.url+"/"); code != 200 || !strings.Contains(body, "policygraph") {
		t.Errorf("playground: %d", code)
	}
	if !strings.Contains(s.logs.String(), `"msg":"loaded bundled dataset"`) {
		t.Errorf("bundled dataset not loaded on an empty graph:\n%s", s.logs)
	}
	browserTest(t, s.url)
	s.stop(t)
	if _, err := client.Get(s.url + "/livez"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

// browserTest runs tests/browser (playwright-core driving Debian's Chromium) against the
// live server: the playground loads with no outside request and runs a real query.
func browserTest(t *testing.T, url string) {
	t.Helper()
	required := os.Getenv("POLICYGRAPH_REQUIRE_NEO4J") != "" || os.Getenv("CI") != ""
	_, nodeErr := exec.LookPath("node")
	_, modErr := os.Stat("tests/browser/node_modules/playwright-core")
	_, chromeErr := os.Stat("/usr/bin/chromium")
	if err := errors.Join(nodeErr, modErr, chromeErr); err != nil {
		if required {
			t.Fatalf("browser test cannot run (install node, chromium, and `npm ci --prefix tests/browser`): %v", err)
		}
		t.Logf("skipping the browser test: %v", err)
		return
	}
	cmd := exec.Command("node", "--test", "tests/browser/")
	cmd.Env = append(os.Environ(), "POLICYGRAPH_URL="+url,
		`POLICYGRAPH_QUERY={ search(query: "amlo", first: 1) { edges { node { id name } } } }`,
		"POLICYGRAPH_EXPECT=person:andres-manuel-lopez-obrador")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser test failed: %v\n%s", err, out)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// With Neo4j unreachable the process stays up (/livez 200), reports not-ready at once, and a
// query fails fast with a masked SERVICE_UNAVAILABLE error instead of hanging.
func TestNeo4jDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens on this port now
	s := start(t, map[string]string{"NEO4J_URI": "bolt://" + closed})

	if code, _ := get(t, s.url+"/livez"); code != 200 {
		t.Errorf("/livez: %d", code)
	}
	// /readyz must answer within a second (a deadline on the request, not a timing).
	quick := &http.Client{Timeout: time.Second}
	res, err := quick.Get(s.url + "/readyz")
	if err != nil {
		t.Fatalf("/readyz did not answer within 1 s: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 503 {
		t.Errorf("/readyz: %d, want 503", res.StatusCode)
	}
	// postQuery's client has a 5 s deadline: a hang fails the request.
	code, out := postQuery(t, s.url, `{ node(id: "org:aclu") { name } }`)
	body := toJSON(out)
	if code != 200 || !strings.Contains(body, `"SERVICE_UNAVAILABLE"`) {
		t.Fatalf("query with Neo4j down: %d %s\n%s", code, body, s.logs)
	}
	for _, leak := range []string{closed, "bolt", "connect", "Neo4j", "dial"} {
		if strings.Contains(body, leak) {
			t.Errorf("error response leaks %q: %s", leak, body)
		}
	}
}

// `policygraph import FILE` validates and imports a file into the configured Neo4j, and
// refuses a malformed one whole, naming the record and field.
func TestImportCommand(t *testing.T) {
	s := neo4jtest.Store(t)
	env := storeEnv(t)
	dir := t.TempDir()
	good := dir + "/good.json"
	bad := dir + "/bad.json"
	os.WriteFile(good, []byte(`{"format":"policygraph/v1","nodes":[
		{"id":"source:x","type":"Source","name":"X","kind":"REPORT"},
		{"id":"org:a","type":"Organization","name":"A","kind":"NGO"},
		{"id":"policy:p","type":"Policy","name":"P","kind":"LAW"}],
		"relationships":[{"type":"OPPOSES","from":"org:a","to":"policy:p","citations":[{"source":"source:x","quote":"A opposes P"}]}]}`), 0o644)
	os.WriteFile(bad, []byte(`{"format":"policygraph/v1","nodes":[{"id":"org:b","type":"Organization","name":"B","kind":"NGO"}],
		"relationships":[{"type":"OPPOSES","from":"org:b","to":"policy:p","startDate":"2019-02-30","citations":[{"source":"source:x","quote":"q"}]}]}`), 0o644)
	var out strings.Builder
	if err := run(context.Background(), []string{"policygraph", "import", good}, func(k string) string { return env[k] }, &out, io.Discard); err != nil {
		t.Fatalf("import: %v", err)
	}
	if !strings.Contains(out.String(), "imported 3 nodes and 1 relationships") {
		t.Errorf("import output: %q", out.String())
	}
	err := run(context.Background(), []string{"policygraph", "import", bad}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `relationships[0] (org:b OPPOSES policy:p): field "startDate"`) {
		t.Errorf("malformed import: %v", err)
	}
	nodes, rels, _, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if nodes["Organization"] != 1 || rels["OPPOSES"] != 1 {
		t.Errorf("after a good and a bad import: nodes %v rels %v", nodes, rels)
	}
}

// The export command writes the same files as /export, from the same flags; a bad flag is
// named and leaves no file behind.
func TestExportCommand(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	env := storeEnv(t)
	getenv := func(k string) string { return env[k] }
	dir := t.TempDir()
	out := dir + "/aclu.graphml"
	args := []string{"policygraph", "export", "--format", "graphml", "--id", "org:aclu", "--depth", "1", "--types", "PARTY_TO,OPPOSES", "--out", out}
	if err := run(context.Background(), args, getenv, io.Discard, io.Discard); err != nil {
		t.Fatalf("export: %v", err)
	}
	nb, err := s.Neighborhood(context.Background(), kg.NeighborhoodQuery{ID: "org:aclu", Depth: 1, Limit: kg.DefaultExport,
		Filter: kg.EdgeFilter{Types: []string{"PARTY_TO", "OPPOSES"}, Direction: kg.Both}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n, e := strings.Count(string(b), "<node "), strings.Count(string(b), "<edge "); n != len(nb.Nodes) || e != len(nb.Edges) || n < 2 {
		t.Errorf("graphml has %d nodes and %d edges; the neighbourhood %d and %d", n, e, len(nb.Nodes), len(nb.Edges))
	}
	// To stdout.
	var csv strings.Builder
	if err := run(context.Background(), []string{"policygraph", "export", "--format", "nodes.csv"}, getenv, &csv, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(csv.String(), "Id,Label") || !strings.Contains(csv.String(), "org:aclu,American Civil Liberties Union") {
		t.Errorf("nodes.csv on stdout starts %q", csv.String()[:min(200, len(csv.String()))])
	}
	// Bad flags: named, and no file.
	bad := dir + "/bad.gexf"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "gexf", "--id", "org:aclu", "--depth", "7", "--out", bad}, "--depth: must be between 0 and 3, got 7"},
		{[]string{"--format", "pdf", "--out", bad}, `--format "pdf" is not an export format`},
		{[]string{"--format", "gexf", "--id", "org:nope", "--out", bad}, `no node has id "org:nope"`},
	} {
		err := run(context.Background(), append([]string{"policygraph", "export"}, c.args...), getenv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("export %v: %v, want %q", c.args, err, c.want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("export %v left files behind: %v", c.args, entries)
		}
	}
}

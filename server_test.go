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
		{map[string]string{"RATE_LIMIT": "sometimes"}, `RATE_LIMIT: "sometimes" is not on or off`},
		{map[string]string{"RATE_LIMIT_POINTS_PER_SECOND": "fast"}, `RATE_LIMIT_POINTS_PER_SECOND: "fast" is not a positive number`},
		{map[string]string{"RATE_LIMIT_POINTS_PER_SECOND": "0"}, `RATE_LIMIT_POINTS_PER_SECOND: "0" is not a positive number`},
		{map[string]string{"RATE_LIMIT_POINTS_PER_SECOND": "NaN"}, `RATE_LIMIT_POINTS_PER_SECOND: "NaN" is not a positive number`},
		{map[string]string{"RATE_LIMIT_BURST": "-5"}, `RATE_LIMIT_BURST: "-5" is not a positive whole number`},
		{map[string]string{"RATE_LIMIT_BURST": "1.5"}, `RATE_LIMIT_BURST: "1.5" is not a positive whole number`},
		{map[string]string{"MAX_INFLIGHT": "many"}, `MAX_INFLIGHT: "many" is not a whole number`},
		{map[string]string{"MAX_INFLIGHT": "-1"}, `MAX_INFLIGHT: "-1" is not a whole number`},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, `TRUSTED_PROXIES: "proxy.local" is not a CIDR prefix or an IP address`},
		// The default password only for a Neo4j on this machine; never credentials in the URI.
		{map[string]string{"NEO4J_URI": "bolt://neo4j.example.org:7687"}, `NEO4J_PASSWORD: the default password is only accepted for a Neo4j on this machine`},
		{map[string]string{"NEO4J_URI": "neo4j+s://10.0.0.5", "NEO4J_PASSWORD": "policygraph"}, `NEO4J_PASSWORD: the default password`},
		{map[string]string{"NEO4J_URI": "bolt://neo4j:hunter22@127.0.0.1:7687"}, `NEO4J_URI: must not hold credentials`},
		// Observability.
		{map[string]string{"METRICS_ADDR": "9090"}, `METRICS_ADDR: "9090" is not host:port or off`},
		{map[string]string{"METRICS_ADDR": "127.0.0.1:99999"}, `METRICS_ADDR: port "99999"`},
		{map[string]string{"METRICS_ADDR": "metrics.example.org:9090"}, `METRICS_ADDR: host "metrics.example.org"`},
		{map[string]string{"CORS_ORIGINS": "example.org"}, `CORS_ORIGINS: "example.org" is not an origin`},
		{map[string]string{"CORS_ORIGINS": "https://a.example/app"}, `CORS_ORIGINS: "https://a.example/app" is not an origin`},
		{map[string]string{"CORS_ORIGINS": "https://a.example, *"}, `CORS_ORIGINS: "https://a.example, *" mixes * with origins`},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, `OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" is not an http:// or https:// URL`},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "udp://collector"}, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "udp://collector" is not an http://`},
		{map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, `OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported`},
		{map[string]string{"OTEL_TRACES_EXPORTER": "jaeger"}, `OTEL_TRACES_EXPORTER: "jaeger" is not otlp, console or none`},
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
	if cfg.MetricsAddr != "" || len(cfg.CORSOrigins) != 1 || cfg.CORSOrigins[0] != "*" || cfg.TracesExporter != "none" {
		t.Errorf("observability defaults: metrics %q cors %q traces %q", cfg.MetricsAddr, cfg.CORSOrigins, cfg.TracesExporter)
	}
	for _, env := range []map[string]string{
		{"NEO4J_URI": "bolt://localhost:7687"}, {"NEO4J_URI": "bolt://[::1]:7687"}, {"NEO4J_URI": "neo4j://127.0.0.2"},
		{"NEO4J_URI": "neo4j+s://db.example.org", "NEO4J_PASSWORD": "a-real-password"},
		{"METRICS_ADDR": "off"}, {"METRICS_ADDR": ":9090"}, {"OTEL_TRACES_EXPORTER": "console"},
	} {
		if _, err := loadConfig(func(k string) string { return env[k] }); err != nil {
			t.Errorf("%v: %v", env, err)
		}
	}
	obs := map[string]string{"CORS_ORIGINS": "https://a.example, http://localhost:3000,https://*.b.example", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}
	if cfg, err := loadConfig(func(k string) string { return obs[k] }); err != nil || len(cfg.CORSOrigins) != 3 || cfg.TracesExporter != "otlp" {
		t.Errorf("%v: %q %q %v", obs, cfg.CORSOrigins, cfg.TracesExporter, err)
	}
	// Rate limits: on by default; RATE_LIMIT=off keeps only the in-flight cap.
	if rl := cfg.rateLimit(); rl.PointsPerSecond != 2000 || rl.Burst != 100000 || rl.MaxInFlight != 64 || len(rl.TrustedProxies) != 0 {
		t.Errorf("default rate limit: %+v", rl)
	}
	env := map[string]string{"RATE_LIMIT": "off", "MAX_INFLIGHT": "0", "TRUSTED_PROXIES": "10.0.0.0/8 192.168.0.1"}
	cfg, err = loadConfig(func(k string) string { return env[k] })
	if rl := cfg.rateLimit(); err != nil || rl.PointsPerSecond != 0 || rl.MaxInFlight != 0 || len(rl.TrustedProxies) != 2 {
		t.Errorf("RATE_LIMIT=off MAX_INFLIGHT=0: %+v %v", rl, err)
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

// The graphql-http audit suite (GraphQL over HTTP; tests/audit) against the whole server, run
// by node like the browser test: no MUST may fail (the script exits 1 on an error), and every
// warning or notice it prints must be listed, with its reason, in docs/reliability.md.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	required := os.Getenv("POLICYGRAPH_REQUIRE_NEO4J") != "" || os.Getenv("CI") != ""
	_, nodeErr := exec.LookPath("node")
	_, modErr := os.Stat("tests/audit/node_modules/graphql-http")
	if err := errors.Join(nodeErr, modErr); err != nil {
		if required {
			t.Fatalf("the audit cannot run (install node and `npm ci --prefix tests/audit`): %v", err)
		}
		t.Skipf("skipping the graphql-http audit: %v", err)
	}
	env := storeEnv(t)
	env["LOAD_BUNDLED_DATA"] = "false" // the audit reads no data: leave the test graph alone
	s := start(t, env)

	cmd := exec.Command("node", "tests/audit/audit.mjs")
	cmd.Env = append(os.Environ(), "POLICYGRAPH_URL="+s.url)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("graphql-http audit failed (a MUST, see ERROR above): %v\n%s", err, s.logs)
	}
	doc, err := os.ReadFile("docs/reliability.md")
	if err != nil {
		t.Fatal(err)
	}
	summary := false
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && (f[0] == "WARN" || f[0] == "NOTICE") && !strings.Contains(string(doc), "`"+f[1]+"`") {
			t.Errorf("audit %s is not listed in docs/reliability.md (graphql-http audit) with its reason: %s", f[1], line)
		}
		summary = summary || strings.HasPrefix(line, "graphql-http audit of ")
	}
	if !summary {
		t.Error("the audit printed no summary")
	}
}

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

// A wrong Neo4j password is named as such: /readyz says the credentials were rejected (not
// "unavailable"), the log says so once at error level however often the preparation retries,
// and a query still fails fast with a masked SERVICE_UNAVAILABLE (no password anywhere).
func TestWrongPassword(t *testing.T) {
	const wrong = "Not-The-Password-42"
	env := storeEnv(t)
	env["NEO4J_PASSWORD"] = wrong
	env["LOG_LEVEL"] = "debug" // the retries after the first are logged at debug level
	s := start(t, env)

	quick := &http.Client{Timeout: time.Second} // /readyz answers within a second
	var body string
	for deadline := time.Now().Add(30 * time.Second); ; {
		res, err := quick.Get(s.url + "/readyz")
		if err != nil {
			t.Fatalf("/readyz did not answer within 1 s: %v", err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body = string(b)
		if res.StatusCode != 503 {
			t.Fatalf("/readyz with a wrong password: %d %q", res.StatusCode, body)
		}
		if strings.Contains(body, "credentials") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if want := "not ready: the database rejected our credentials (NEO4J_USER/NEO4J_PASSWORD)"; strings.TrimSpace(body) != want {
		t.Errorf("/readyz body %q, want %q", body, want)
	}
	code, out := postQuery(t, s.url, `{ node(id: "org:aclu") { name } }`)
	if code != 200 || !strings.Contains(toJSON(out), `"SERVICE_UNAVAILABLE"`) {
		t.Errorf("query with a wrong password: %d %s", code, toJSON(out))
	}
	// Let the preparation retry a few times (200 ms, 400 ms, 800 ms, ...), then read the log.
	for deadline := time.Now().Add(20 * time.Second); strings.Count(s.logs.String(), "rejected our credentials") < 3 && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
	}
	s.stop(t)
	logs := s.logs.String()
	errorLines, retries := 0, 0
	for _, line := range strings.Split(logs, "\n") {
		var rec struct{ Level, Msg, Err string }
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if strings.Contains(rec.Msg, "rejected our credentials (NEO4J_USER/NEO4J_PASSWORD)") {
			retries++
		}
		if rec.Level == "ERROR" && strings.Contains(rec.Msg, "rejected our credentials (NEO4J_USER/NEO4J_PASSWORD)") {
			errorLines++
			if !strings.Contains(rec.Err, "Neo.ClientError.Security.Unauthorized") {
				t.Errorf("the credentials error does not carry the driver's reason: %s", line)
			}
		}
		if rec.Msg == "database not ready; retrying" {
			t.Errorf("refused credentials logged as an unavailable database: %s", line)
		}
	}
	if errorLines != 1 || retries < 3 {
		t.Errorf("%d error lines about the credentials in %d attempts, want exactly 1 in 3 or more:\n%s", errorLines, retries, logs)
	}
	if strings.Contains(logs, wrong) || strings.Contains(body, wrong) || strings.Contains(toJSON(out), wrong) {
		t.Error("the password appears in the logs or a response")
	}
}

// The Neo4j password never reaches a log line, a response, a span or /metrics: the server runs
// with a distinctive password against a Neo4j that does not answer (every path that reports a
// driver error), at debug level, with console traces; an import fails the same way.
func TestPasswordNeverLogged(t *testing.T) {
	const password = "Zq7-Very-Secret-Pw"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	env := map[string]string{"NEO4J_URI": "bolt://" + closed, "NEO4J_PASSWORD": password, "LOG_LEVEL": "debug",
		"OTEL_TRACES_EXPORTER": "console", "LISTEN_ADDR": "127.0.0.1:0"}
	lt, w := newLogTail()
	stdout := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"policygraph", "serve"}, func(k string) string { return env[k] }, stdout, w)
	}()
	var url string
	select {
	case addr := <-lt.addr:
		url = "http://" + addr
	case err := <-done:
		t.Fatalf("server exited at start: %v\n%s", err, lt)
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start listening\n%s", lt)
	}
	var answers strings.Builder
	_, out := postQuery(t, url, `query Lookup { node(id: "org:aclu") { name } }`)
	answers.WriteString(toJSON(out))
	for _, path := range []string{"/readyz", "/export/gexf?id=org:aclu", "/metrics", "/graphql?query=%7Bsearch(query:%22x%22)%7Bedges%7Bnode%7Bid%7D%7D%7D%7D"} {
		_, body := get(t, url+path)
		answers.WriteString(body)
	}
	time.Sleep(500 * time.Millisecond) // a retry of the background preparation or two
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop")
	}
	importErr := run(context.Background(), []string{"policygraph", "import", "data/virtual-wall.json"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if importErr == nil {
		t.Fatal("import against a closed port succeeded")
	}
	logs := lt.String()
	if !strings.Contains(logs, `"msg":"database not ready; retrying"`) || !strings.Contains(stdout.String(), `"Name": "POST /graphql"`) {
		t.Errorf("the test did not exercise the failure paths:\nlogs:\n%s\nstdout:\n%.2000s", logs, stdout)
	}
	for what, text := range map[string]string{"logs": logs, "console spans": stdout.String(), "responses": answers.String(), "import error": importErr.Error()} {
		if strings.Contains(text, password) || strings.Contains(text, "Very-Secret") {
			t.Errorf("the password appears in the %s:\n%s", what, text)
		}
	}
}

// METRICS_ADDR moves /metrics to its own listener: it answers there, not on LISTEN_ADDR.
func TestMetricsAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	s := start(t, map[string]string{"NEO4J_URI": "bolt://" + closed, "METRICS_ADDR": "127.0.0.1:0"})
	var addr string
	for _, line := range strings.Split(s.logs.String(), "\n") {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "metrics listening" {
			addr = rec.Addr
		}
	}
	if addr == "" {
		t.Fatalf("no metrics listener logged:\n%s", s.logs)
	}
	get(t, s.url+"/livez")
	if code, body := get(t, "http://"+addr+"/metrics"); code != 200 || !strings.Contains(body, `policygraph_http_requests_total{code="OK",operation="none",route="/livez"} 1`) {
		t.Errorf("METRICS_ADDR /metrics: %d %.500s", code, body)
	}
	if _, body := get(t, s.url+"/metrics"); strings.Contains(body, "policygraph_http_requests_total") {
		t.Error("/metrics is still served on LISTEN_ADDR")
	}
}

// lockedBuffer is an io.Writer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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

package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/kg"
)

// fakeStore answers Node from memory: "org:a" exists, "org:broken" fails like a driver
// error, "org:down" like an unreachable database. Every other method is unused here.
type fakeStore struct {
	httpapi.Store
}

// driverError stands for a translated neo4jstore error: the driver's text, and its Neo4j
// status code behind Neo4jCode.
type driverError struct{ code, msg string }

func (e *driverError) Error() string     { return "Neo4jError: " + e.code + " (" + e.msg + ")" }
func (e *driverError) Neo4jCode() string { return e.code }

func (fakeStore) Node(_ context.Context, id string) (*kg.Node, error) {
	switch id {
	case "org:a":
		return &kg.Node{ID: id, Type: kg.TypeOrganization, Name: "A"}, nil
	case "org:broken":
		return nil, &driverError{"Neo.ClientError.Statement.SyntaxError", "Invalid input 'DETACH' at bolt://10.9.8.7:7687"}
	case "org:down":
		return nil, fmt.Errorf("%w: ConnectivityError: dial tcp 10.9.8.7:7687: connection refused", kg.ErrUnavailable)
	}
	return nil, kg.ErrNotFound
}

func (fakeStore) Ready(context.Context) error { return nil }
func (fakeStore) PlansReady() bool            { return true }

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logLines returns the JSON log lines whose msg is msg.
func (s *syncBuffer) lines(msg string) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(s.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func newServer(t *testing.T, c httpapi.Config) (*httptest.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if c.Store == nil {
		c.Store = fakeStore{}
	}
	c.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	srv := httptest.NewServer(httpapi.New(c))
	t.Cleanup(srv.Close)
	return srv, logs
}

// post sends a GraphQL query and returns the status and body.
func post(t *testing.T, url, query string, header map[string]string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func getMetrics(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", res.StatusCode, b)
	}
	return string(b)
}

// After a few requests, /metrics has the request counters and histograms labelled by route,
// operation and outcome, the rejections by reason, the Neo4j query metrics, the pool figure,
// and the Go runtime and process collectors.
func TestMetrics(t *testing.T) {
	m := httpapi.NewMetrics(100)
	srv, _ := newServer(t, httpapi.Config{Metrics: m,
		Limits: graph.Limits{MaxDepth: 4, MaxComplexity: 50, MaxBodyBytes: 4 << 10}})

	post(t, srv.URL, `query Lookup { node(id: "org:a") { id name } }`, nil)
	post(t, srv.URL, `query Lookup { node(id: "org:a") { id } }`, nil)
	post(t, srv.URL, `{ node(id: "org:a") { id } }`, nil)
	post(t, srv.URL, `query Broken { node(id: "org:broken") { id } }`, nil)
	post(t, srv.URL, `query Deep { node(id: "org:a") { relationships { edges { node { type } } } } }`, nil)
	if _, body := post(t, srv.URL, `query Costly { nodes(first: 100) { edges { node { id name } } } }`, nil); !strings.Contains(body, "complexity") {
		t.Errorf("costly query: %s", body)
	}
	if code, _ := post(t, srv.URL, `{ node(id: "org:a") { id } } #`+strings.Repeat("x", 8<<10), nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", code)
	}
	http.Get(srv.URL + "/livez")

	// The store's observer feeds the Neo4j metrics.
	obs := httpapi.StoreObserver(m, "neo4j")
	_, done := obs(context.Background(), "Node")
	done(nil)
	_, done = obs(context.Background(), "Node")
	done(fmt.Errorf("%w: deadline", kg.ErrTimeout))

	text := getMetrics(t, srv.URL)
	for _, want := range []string{
		`policygraph_http_requests_total{code="OK",operation="Lookup",route="/graphql"} 2`,
		`policygraph_http_requests_total{code="OK",operation="anonymous",route="/graphql"} 1`,
		`policygraph_http_requests_total{code="INTERNAL_SERVER_ERROR",operation="Broken",route="/graphql"} 1`,
		`policygraph_http_requests_total{code="QUERY_TOO_COMPLEX",operation="Deep",route="/graphql"} 1`,
		`policygraph_http_requests_total{code="OK",operation="none",route="/livez"} 1`,
		`policygraph_http_requests_total{code="REQUEST_TOO_LARGE",operation="none",route="/graphql"} 1`,
		`policygraph_http_request_duration_seconds_bucket{code="OK",operation="Lookup",route="/graphql",le="+Inf"} 2`,
		`policygraph_http_request_duration_seconds_count{code="OK",operation="Lookup",route="/graphql"} 2`,
		`policygraph_http_request_duration_seconds_sum{code="OK",operation="Lookup",route="/graphql"}`,
		`policygraph_http_requests_in_flight 1`, // the /metrics request itself
		`policygraph_rejections_total{reason="depth"} 1`,
		`policygraph_rejections_total{reason="cost"} 1`,
		`policygraph_rejections_total{reason="size"} 1`,
		`policygraph_rejections_total{reason="rate"} 0`,
		`policygraph_neo4j_query_duration_seconds_count{code="OK",operation="Node"} 1`,
		`policygraph_neo4j_query_duration_seconds_count{code="TIMEOUT",operation="Node"} 1`,
		`policygraph_neo4j_query_errors_total{code="TIMEOUT",operation="Node"} 1`,
		`policygraph_neo4j_queries_in_flight 0`,
		`policygraph_neo4j_pool_max_connections 100`,
		`go_goroutines `,
		`go_memstats_heap_alloc_bytes `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grepLines(text, "policygraph_"))
	}
	// Someone else's limiter reports its refusals through Reject; unknown reasons are bounded.
	m.Reject("rate")
	m.Reject("something new")
	text = getMetrics(t, srv.URL)
	for _, want := range []string{`policygraph_rejections_total{reason="rate"} 1`, `policygraph_rejections_total{reason="other"} 1`} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// A 429 from the rate limiter counts as a rate rejection, once.
	limited, _ := newServer(t, httpapi.Config{Metrics: m, RateLimit: httpapi.RateLimit{PointsPerSecond: 0.001, Burst: 1}})
	post(t, limited.URL, `{ node(id: "org:a") { id } }`, nil)
	if code, body := post(t, limited.URL, `{ node(id: "org:a") { id } }`, nil); code != http.StatusTooManyRequests {
		t.Errorf("rate limited request: %d %s", code, body)
	}
	if text = getMetrics(t, srv.URL); !strings.Contains(text, `policygraph_rejections_total{reason="rate"} 2`) {
		t.Errorf("/metrics:\n%s", grepLines(text, "policygraph_rejections_total"))
	}
	// A nil *Metrics records nothing and does not panic.
	var off *httpapi.Metrics
	off.Reject("rate")
	off.ObserveRequest("x", "OK", 0)
	off.ObserveQuery("Node", 0, nil)
}

// 500 distinct operation names make at most MaxOperationLabels series of their own; the rest
// are "other". Names that are not GraphQL names never become labels.
func TestMetricsCardinality(t *testing.T) {
	m := httpapi.NewMetrics(100)
	srv, _ := newServer(t, httpapi.Config{Metrics: m})
	for i := range 500 {
		if code, body := post(t, srv.URL, fmt.Sprintf(`query Op%d { node(id: "org:a") { id } }`, i), nil); code != 200 {
			t.Fatalf("request %d: %d %s", i, code, body)
		}
	}
	m.ObserveRequest("not a name\n{}", "OK", 0)
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if n := f.GetName(); n != "policygraph_http_requests_total" && n != "policygraph_http_request_duration_seconds" {
			continue
		}
		ops := map[string]float64{}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "operation" {
					ops[l.GetValue()] += metric.GetCounter().GetValue() + float64(metric.GetHistogram().GetSampleCount())
				}
			}
		}
		if len(ops) > httpapi.MaxOperationLabels+1 {
			t.Errorf("%s has %d operation values, want at most %d", f.GetName(), len(ops), httpapi.MaxOperationLabels+1)
		}
		if ops["other"] != 451 || ops["Op0"] != 1 || ops["Op49"] != 1 || ops["Op50"] != 0 {
			t.Errorf("%s: other %v, Op0 %v, Op49 %v, Op50 %v", f.GetName(), ops["other"], ops["Op0"], ops["Op49"], ops["Op50"])
		}
	}
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{16}$`)

// A masked error's log line has the real cause (with the Neo4j code), the code the client
// saw, the operation name and the request id; the response has none of them but the code.
func TestMaskedErrorLog(t *testing.T) {
	srv, logs := newServer(t, httpapi.Config{})
	_, body := post(t, srv.URL, `query Lookup { node(id: "org:broken") { id } }`, map[string]string{"X-Request-Id": "req-42.a_b"})
	if !strings.Contains(body, `"INTERNAL_SERVER_ERROR"`) {
		t.Fatalf("response: %s", body)
	}
	for _, leak := range []string{"Neo4j", "SyntaxError", "DETACH", "10.9.8.7", "req-42", "Lookup"} {
		if strings.Contains(body, leak) {
			t.Errorf("response leaks %q: %s", leak, body)
		}
	}
	lines := logs.lines("internal error")
	if len(lines) != 1 {
		t.Fatalf("want one internal error line, got %d:\n%s", len(lines), logs)
	}
	l := lines[0]
	if l["code"] != "INTERNAL_SERVER_ERROR" || l["operation"] != "Lookup" || l["request_id"] != "req-42.a_b" ||
		l["neo4j_code"] != "Neo.ClientError.Statement.SyntaxError" || !strings.Contains(fmt.Sprint(l["err"]), "Invalid input 'DETACH'") {
		t.Errorf("log line: %v", l)
	}
	req := logs.lines("request")
	if len(req) != 1 || req[0]["id"] != "req-42.a_b" || req[0]["operation"] != "Lookup" || req[0]["code"] != "INTERNAL_SERVER_ERROR" {
		t.Errorf("request line: %v", req)
	}

	// A masked known error (database down) is logged as a warning with the same fields.
	_, body = post(t, srv.URL, `{ node(id: "org:down") { id } }`, map[string]string{"X-Request-Id": "r2"})
	if !strings.Contains(body, `"SERVICE_UNAVAILABLE"`) || strings.Contains(body, "10.9.8.7") {
		t.Errorf("response: %s", body)
	}
	w := logs.lines("query failed")
	if len(w) != 1 || w[0]["code"] != "SERVICE_UNAVAILABLE" || w[0]["operation"] != "anonymous" || w[0]["request_id"] != "r2" ||
		!strings.Contains(fmt.Sprint(w[0]["err"]), "connection refused") {
		t.Errorf("warning line: %v", w)
	}
}

// A client's X-Request-Id is kept only when it is a short token; otherwise the server makes one.
func TestRequestID(t *testing.T) {
	logs := &syncBuffer{}
	h := httpapi.New(httpapi.Config{Store: fakeStore{}, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	for _, c := range []struct{ sent, want string }{
		{"abc-123_X.y", "abc-123_X.y"},
		{strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"", ""},
		{"two words", ""},
		{"line\nbreak", ""},
		{`quote"d`, ""},
		{"tab\t", ""},
		{strings.Repeat("a", 65), ""},
		{strings.Repeat("b", 200), ""},
		{"ünïcode", ""},
	} {
		req := httptest.NewRequest(http.MethodGet, "/livez", nil)
		if c.sent != "" {
			req.Header["X-Request-Id"] = []string{c.sent} // raw: the client may send anything
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-Id")
		if c.want != "" && got != c.want || c.want == "" && !generatedID.MatchString(got) {
			t.Errorf("X-Request-Id %q: answered %q", c.sent, got)
		}
	}
	if strings.Contains(logs.String(), "two words") || strings.Contains(logs.String(), "bbbbbbbbbb") || strings.Contains(logs.String(), "line") {
		t.Errorf("a refused request id reached the log:\n%s", logs)
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func (x fakeStore) NodeWith(ctx context.Context, id string, _ kg.Omit, _ *kg.RelQuery) (*kg.Node, *kg.RelPage, error) {
	n, err := x.Node(ctx, id)
	return n, nil, err
}

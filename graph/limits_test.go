package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/kg"
)

// failingStore is a small fake behind the Store interface for behaviour that lives in Go,
// not Cypher: it fails every call with the given error.
type failingStore struct {
	graph.Store
	err   error
	calls int
}

func (f *failingStore) Node(context.Context, string) (*kg.Node, error) {
	f.calls++
	return nil, f.err
}

func (f *failingStore) ListNodes(context.Context, kg.NodeQuery) (*kg.NodePage, error) {
	f.calls++
	return nil, f.err
}

func newFake(err error) (*failingStore, *httptest.Server, *bytes.Buffer) {
	fs := &failingStore{err: err}
	logs := &bytes.Buffer{}
	srv := httptest.NewServer(httpapi.GraphQL(fs, slog.New(slog.NewJSONHandler(logs, nil)), graph.Limits{}))
	return fs, srv, logs
}

func postRaw(t *testing.T, url, contentType, body string) (*http.Response, string) {
	t.Helper()
	res, err := http.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	return res, b.String()
}

// Internal and driver errors reach clients as "internal error" with a code, never their text;
// they are logged once.
func TestErrorsAreMasked(t *testing.T) {
	secret := errors.New(`Neo4jError: Neo.ClientError.Statement.SyntaxError at bolt://10.1.2.3:7687 MATCH (n) DETACH DELETE n`)
	_, srv, logs := newFake(secret)
	defer srv.Close()
	_, body := postRaw(t, srv.URL, "application/json", `{"query":"{ node(id: \"org:a\") { id } }"}`)
	if !strings.Contains(body, `"internal error"`) || !strings.Contains(body, `"INTERNAL_SERVER_ERROR"`) {
		t.Errorf("unmasked: %s", body)
	}
	for _, leak := range []string{"bolt", "10.1.2.3", "MATCH", "Neo4jError"} {
		if strings.Contains(body, leak) {
			t.Errorf("response leaks %q: %s", leak, body)
		}
	}
	if n := strings.Count(logs.String(), "DETACH DELETE"); n != 1 {
		t.Errorf("internal error logged %d times, want once:\n%s", n, logs)
	}
	for err, code := range map[error]string{
		fmt.Errorf("x: %w", kg.ErrUnavailable): "SERVICE_UNAVAILABLE",
		fmt.Errorf("x: %w", kg.ErrTimeout):     "TIMEOUT",
		kg.Invalid("first", "bad"):             "BAD_USER_INPUT",
	} {
		_, srv, _ := newFake(err)
		_, body := postRaw(t, srv.URL, "application/json", `{"query":"{ people { totalCount } }"}`)
		srv.Close()
		if !strings.Contains(body, `"`+code+`"`) {
			t.Errorf("%v: want code %s, got %s", err, code, body)
		}
	}
}

// Abusive requests are refused before they reach the store.
func TestLimits(t *testing.T) {
	fs, srv, _ := newFake(errors.New("must not be called"))
	defer srv.Close()
	deep := "{ node(id: \"a\") { " + strings.Repeat("relationships { edges { other { ", 5) + "id" + strings.Repeat(" } } }", 5) + " } }"
	var aliases strings.Builder
	aliases.WriteString(`{ node(id: "a") { `)
	for i := 0; i < 31; i++ {
		fmt.Fprintf(&aliases, "a%d: id ", i)
	}
	aliases.WriteString("} }")
	var roots strings.Builder
	roots.WriteString("{ ")
	for i := 0; i < 21; i++ {
		roots.WriteString("__typename ")
	}
	roots.WriteString("}")
	fanout := `{ nodes(first: 100) { edges { node { relationships(first: 100) { edges { other { relationships(first: 100) { edges { node { id } } } } } } } } } }`
	cases := []struct{ name, query, want string }{
		{"depth", deep, "levels deep; the limit is 12"},
		{"aliases", aliases.String(), "uses 31 aliases; the limit is 30"},
		{"root fields", roots.String(), "has 21 root fields; the limit is 20"},
		{"fan-out cost", fanout, "operation has complexity"},
		{"huge page", `{ nodes(first: 99999999) { edges { node { id relationships(first: 99999999) { edges { node { id } } } } } } }`, "operation has complexity"},
		{"suggestions off", `{ nodez { id } }`, `Cannot query field`},
	}
	for _, c := range cases {
		_, body := postRaw(t, srv.URL, "application/json", fmt.Sprintf(`{"query":%q}`, c.query))
		if !strings.Contains(body, c.want) {
			t.Errorf("%s: want %q in %s", c.name, c.want, body)
		}
		if strings.Contains(body, "Did you mean") {
			t.Errorf("%s: field suggestions leak the schema: %s", c.name, body)
		}
	}
	if fs.calls != 0 {
		t.Errorf("the store was called %d times by refused requests", fs.calls)
	}
	// Parser token limit.
	_, body := postRaw(t, srv.URL, "application/json", fmt.Sprintf(`{"query":%q}`, "{ "+strings.Repeat("__typename ", 6000)+"}"))
	if !strings.Contains(body, "token limit") {
		t.Errorf("token limit: %s", body[:min(len(body), 300)])
	}
	// Body over 1 MiB: 413.
	res, _ := postRaw(t, srv.URL, "application/json", `{"query":"{ __typename }","x":"`+strings.Repeat("a", 2<<20)+`"}`)
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB body: HTTP %d", res.StatusCode)
	}
	// Form posts (CSRF-prone) are refused.
	res, _ = postRaw(t, srv.URL, "application/x-www-form-urlencoded", "query=%7B__typename%7D")
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form post: HTTP %d", res.StatusCode)
	}
	// Other methods: 405 with Allow.
	req, _ := http.NewRequest(http.MethodPut, srv.URL, strings.NewReader(`{}`))
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusMethodNotAllowed || r2.Header.Get("Allow") == "" {
		t.Errorf("PUT: HTTP %d Allow %q", r2.StatusCode, r2.Header.Get("Allow"))
	}
	// Array batching is not supported: refused, not executed.
	_, body = postRaw(t, srv.URL, "application/json", `[{"query":"{ __typename }"},{"query":"{ __typename }"}]`)
	if !strings.Contains(body, "error") {
		t.Errorf("batched array accepted: %s", body)
	}
}

func TestCORS(t *testing.T) {
	_, srv, _ := newFake(nil)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodOptions, srv.URL, nil)
	req.Header.Set("Origin", "https://example.org")
	req.Header.Set("Access-Control-Request-Method", "POST")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
}

// Every type, field, argument and enum value of the schema has a description: the
// playground is the researchers' manual.
func TestSchemaIsDescribed(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var missing []string
	for name, def := range schema.Types {
		if strings.HasPrefix(name, "__") || def.BuiltIn {
			continue
		}
		if strings.TrimSpace(def.Description) == "" {
			missing = append(missing, "type "+name)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if strings.TrimSpace(f.Description) == "" {
				missing = append(missing, name+"."+f.Name)
			}
			for _, a := range f.Arguments {
				if strings.TrimSpace(a.Description) == "" {
					missing = append(missing, name+"."+f.Name+"("+a.Name+")")
				}
			}
		}
		for _, v := range def.EnumValues {
			if strings.TrimSpace(v.Description) == "" {
				missing = append(missing, name+"."+v.Name)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("undescribed schema elements: %v", missing)
	}
	// The relationship enum and the domain allow-list are the same list.
	enum := schema.Types["RelationshipType"]
	if len(enum.EnumValues) != len(kg.RelTypes) {
		t.Errorf("RelationshipType has %d values, kg.RelTypes %d", len(enum.EnumValues), len(kg.RelTypes))
	}
	for i, v := range enum.EnumValues {
		if i < len(kg.RelTypes) && v.Name != kg.RelTypes[i] {
			t.Errorf("RelationshipType[%d] = %s, kg.RelTypes[%d] = %s", i, v.Name, i, kg.RelTypes[i])
		}
	}
}

func (f *failingStore) NodeWith(ctx context.Context, id string, _ kg.Omit, _ *kg.RelQuery) (*kg.Node, *kg.RelPage, error) {
	n, err := f.Node(ctx, id)
	return n, nil, err
}

// The cost is cached per document, operation and variables: the same document with a cheap
// and then a costly page size is judged on each one's own cost, both ways round.
func TestComplexityCacheKeysOnVariables(t *testing.T) {
	fs := &failingStore{err: kg.ErrNotFound}
	srv := httptest.NewServer(httpapi.GraphQL(fs, slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil)), graph.Limits{MaxComplexity: 500}))
	defer srv.Close()
	q := `query L($n: Int) { people(first: $n) { edges { node { relationships(first: 50) { edges { node { id } } } } } } }`
	body := func(n int) string {
		b, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"n": n}})
		return string(b)
	}
	for _, round := range []string{"first", "cached"} {
		_, cheap := postRaw(t, srv.URL, "application/json", body(1))
		_, costly := postRaw(t, srv.URL, "application/json", body(100))
		if strings.Contains(cheap, "COMPLEXITY_LIMIT_EXCEEDED") {
			t.Errorf("%s round: first 1 refused: %s", round, cheap)
		}
		if !strings.Contains(costly, "COMPLEXITY_LIMIT_EXCEEDED") {
			t.Errorf("%s round: first 100 not refused: %s", round, costly)
		}
	}
}

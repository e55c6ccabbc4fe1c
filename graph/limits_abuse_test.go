package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/kg"
)

// bigStore is a fake whose every node has a large description: one text property that
// queries can repeat with aliases.
type bigStore struct {
	graph.Store
	description string
}

func (b *bigStore) Node(_ context.Context, id string) (*kg.Node, error) {
	return &kg.Node{ID: id, Type: "Organization", Name: "Big", Description: b.description}, nil
}

type answer struct {
	status int
	body   string
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (a answer) code() string {
	if len(a.Errors) == 0 {
		return ""
	}
	c, _ := a.Errors[0].Extensions["code"].(string)
	return c
}

// ask posts a query with a generous client timeout: an answer that does not come is a
// failure, not a hung test.
func ask(t *testing.T, url, query string) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	client := &http.Client{Timeout: 60 * time.Second}
	res, err := client.Post(url, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, body: string(raw)}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer is not JSON (HTTP %d): %.300s", res.StatusCode, raw)
	}
	return a
}

// fragmentBomb is about 1.3 KB: `levels` fragments, each spreading the next twice, so a walk
// that expands spreads does 2^levels work.
func fragmentBomb(levels int, root string) string {
	var b strings.Builder
	on := "Node"
	if root == "" {
		b.WriteString(`{ node(id: "org:a") { id ...F0 } }`)
	} else {
		on = "Query"
		b.WriteString(`{ ...F0 }`)
	}
	for i := 0; i < levels; i++ {
		fmt.Fprintf(&b, "\nfragment F%d on %s { __typename ...F%d ...F%d }", i, on, i+1, i+1)
	}
	fmt.Fprintf(&b, "\nfragment F%d on %s { __typename }", levels, on)
	return b.String()
}

// Hole 1: the limit walk re-expanded a fragment at every spread (2^27 steps for 1.3 KB, minutes
// of CPU past the request deadline). Now each fragment is measured once and the expanded size
// is capped before gqlgen's complexity walk (which also expands spreads) runs.
func TestFragmentBombIsRefusedAtOnce(t *testing.T) {
	fs, srv, _ := newFake(errors.New("must not be called"))
	defer srv.Close()
	for _, c := range []struct{ name, query, want string }{
		{"nested field", fragmentBomb(27, ""), "fields once its fragments are expanded; the limit is 10000"},
		{"root fields", fragmentBomb(27, "Query"), "root fields; the limit is 20"},
	} {
		if len(c.query) < 1000 || len(c.query) > 2000 {
			t.Fatalf("%s: the bomb is %d bytes, want about 1.3 KB", c.name, len(c.query))
		}
		a := ask(t, srv.URL, c.query)
		if a.code() != graph.CodeLimit || !strings.Contains(a.Errors[0].Message, c.want) {
			t.Errorf("%s: want %s %q, got HTTP %d %.300s", c.name, graph.CodeLimit, c.want, a.status, a.body)
		}
	}
	if fs.calls != 0 {
		t.Errorf("the store was called %d times", fs.calls)
	}
}

// A request whose context has ended gets no further CPU: the limit walk looks at the context.
func TestLimitWalkStopsWithTheRequest(t *testing.T) {
	h := graph.NewHandler(&failingStore{err: errors.New("must not be called")}, slog.New(slog.DiscardHandler), graph.Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body, _ := json.Marshal(map[string]any{"query": fragmentBomb(40, "")})
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { h.ServeHTTP(rec, req); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("a canceled request kept running (2^40 walk steps)")
	}
	if !strings.Contains(rec.Body.String(), `"TIMEOUT"`) {
		t.Errorf("canceled request: want a TIMEOUT error, got %.300s", rec.Body.String())
	}
}

// Hole 2: introspection was exempt from the alias and depth limits (a 22 KB aliased
// introspection query answered 11.7 MB). GraphiQL's own schema query still passes.
func TestIntrospectionIsLimited(t *testing.T) {
	_, srv, _ := newFake(errors.New("must not be called"))
	defer srv.Close()

	graphiql, err := os.ReadFile("testdata/graphiql-introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	a := ask(t, srv.URL, string(graphiql))
	if len(a.Errors) > 0 || !strings.Contains(string(a.Data), `"queryType":{"name":"Query"}`) {
		t.Fatalf("GraphiQL's introspection query failed: HTTP %d %.500s", a.status, a.body)
	}

	var aliased strings.Builder
	aliased.WriteString("{ ")
	for i := 0; i < 16; i++ { // 16 root fields (within that limit), 48 aliases
		fmt.Fprintf(&aliased, "s%d: __schema { a: types { name fields { name description } } b: types { name } } ", i)
	}
	aliased.WriteString("}")
	var inner strings.Builder
	inner.WriteString("{ __schema { types { ")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&inner, "f%d: fields { name description } ", i)
	}
	inner.WriteString("} } }")
	var many strings.Builder
	many.WriteString("{ ")
	for i := 0; i < 20; i++ { // within the alias limit, each a whole schema read
		fmt.Fprintf(&many, "s%d: __schema { types { name fields { name } } } ", i)
	}
	many.WriteString("}")
	deep := `{ __type(name: "Query") { ` + strings.Repeat("ofType { ", 22) + "name" + strings.Repeat(" }", 22) + " } }"
	for _, c := range []struct{ name, query, want string }{
		{"aliased roots", aliased.String(), "asks for the schema (__schema, __type) 16 times; the limit is 3"},
		{"aliases inside __schema", inner.String(), "uses 40 aliases; the limit is 30"},
		{"depth", deep, "introspection is 24 levels deep; the limit is 20"},
		{"schema read 20 times", many.String(), "asks for the schema (__schema, __type) 20 times; the limit is 3"},
	} {
		a := ask(t, srv.URL, c.query)
		if a.code() != graph.CodeLimit || !strings.Contains(a.Errors[0].Message, c.want) || a.Data != nil && string(a.Data) != "null" {
			t.Errorf("%s: want %s %q, got HTTP %d, %d bytes: %.300s", c.name, graph.CodeLimit, c.want, a.status, len(a.body), a.body)
		}
	}
}

// Hole 3: answers had no size bound (one large text aliased 20 times: 419 MB). Over the byte
// cap, the answer is one clear error, not the data nor a cut body.
func TestResponseSizeIsBounded(t *testing.T) {
	store := &bigStore{description: strings.Repeat("x", 1<<20)}
	srv := httptest.NewServer(httpapi.GraphQL(store, slog.New(slog.DiscardHandler), graph.Limits{}))
	defer srv.Close()
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{ ")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `d%d: node(id: "org:%d") { id description } `, i, i)
		}
		return b.String() + "}"
	}
	a := ask(t, srv.URL, aliases(20))
	if a.code() != graph.CodeResponseTooLarge || !strings.Contains(a.Errors[0].Message, "would exceed 8388608 bytes") {
		t.Errorf("20 x 1 MB: want %s, got HTTP %d, %d bytes: %.300s", graph.CodeResponseTooLarge, a.status, len(a.body), a.body)
	}
	if len(a.body) > 64<<10 {
		t.Errorf("the refusal is %d bytes", len(a.body))
	}
	// Under the cap, the answer is whole.
	if a := ask(t, srv.URL, aliases(3)); len(a.Errors) > 0 || len(a.Data) < 3<<20 {
		t.Errorf("3 x 1 MB: %d bytes of data, errors %+v", len(a.Data), a.Errors)
	}
	// Text that grows when escaped is measured as sent: 2 x 1 MB of control characters is
	// 12 MB of JSON ("\u0001" each), as is 2 x 1 MB of "<" once HTML-escaped.
	for _, s := range []string{"\x01", "<"} {
		store.description = strings.Repeat(s, 1<<20)
		if a := ask(t, srv.URL, aliases(2)); a.code() != graph.CodeResponseTooLarge {
			t.Errorf("2 x 1 MB of %q: want %s, got HTTP %d, %d bytes", s, graph.CodeResponseTooLarge, a.status, len(a.body))
		}
	}
}

// Hole 6: transport errors echoed the whole request body and named Go types (gqlgen's
// decoder message). Ours name only the protocol's fields.
func TestTransportErrorsAreOurs(t *testing.T) {
	_, srv, _ := newFake(errors.New("must not be called"))
	defer srv.Close()
	const secret = "sk_live_51HxSECRETTOKEN"
	for _, c := range []struct{ body, want string }{
		{`{"query": 5, "token": "` + secret + `"}`, `\"query\" must be a string`},
		{`{"query": "{ __typename }", "variables": "` + secret + `"}`, `\"variables\" must be an object`},
		{`[{"query": "{ __typename }", "token": "` + secret + `"}]`, "batched requests"},
		{`{"query": "{ __typename }", "token": "` + secret + `" oops`, "not valid JSON"},
		{`"` + secret + `"`, `a JSON object with a \"query\" string`},
		{``, "empty"},
	} {
		res, body := postRaw(t, srv.URL, "application/json", c.body)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, c.want) || !strings.Contains(body, `"BAD_REQUEST"`) {
			t.Errorf("%.40s: want 400 BAD_REQUEST %q, got %d %s", c.body, c.want, res.StatusCode, body)
		}
		for _, leak := range []string{secret, "Go value", "transport.", "rawParams", "RawParams", "json: "} {
			if strings.Contains(body, leak) {
				t.Errorf("%.40s: the answer shows %q: %s", c.body, leak, body)
			}
		}
	}
	res, err := http.Get(srv.URL + "?query=%7B__typename%7D&token=" + secret + "%zz")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || strings.Contains(string(raw), secret) || !strings.Contains(string(raw), "malformed") {
		t.Errorf("GET with a bad escape: %d %s", res.StatusCode, raw)
	}
	// A well-formed request still works, by GET and POST.
	if _, body := postRaw(t, srv.URL, "application/json", `{"query":"{ __typename }"}`); body != `{"data":{"__typename":"Query"}}` {
		t.Errorf("POST: %s", body)
	}
}

func (b *bigStore) NodeWith(ctx context.Context, id string, _ kg.Omit, _ *kg.RelQuery) (*kg.Node, *kg.RelPage, error) {
	n, err := b.Node(ctx, id)
	return n, nil, err
}

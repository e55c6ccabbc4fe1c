package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/kg"
)

// The status of a /graphql answer tells the truth to clients that accept
// application/graphql-response+json; clients that accept only application/json keep 200 for
// every GraphQL response (a request with no query at all is 400 for both).
func TestGraphQLStatus(t *testing.T) {
	const (
		grj = "application/graphql-response+json"
		js  = "application/json"
	)
	deep := "{ node(id: \"org:a\") { " + strings.Repeat("relationships { edges { other { ", 4) + "id" + strings.Repeat(" } } }", 4) + " } }"
	cases := []struct {
		name, accept, method, body string
		storeErr                   error
		status                     int
		code                       string // extensions.code of the first error; "" for none
		data                       string // "absent", "null" or "value"
	}{
		{"success", grj, "POST", gqlBody(lightQuery), nil, 200, "", "value"},
		{"success", js, "POST", gqlBody(lightQuery), nil, 200, "", "value"},
		{"success GET", grj, "GET", lightQuery, nil, 200, "", "value"},
		{"parse error", grj, "POST", gqlBody(`{`), nil, 400, "GRAPHQL_PARSE_FAILED", "absent"},
		{"parse error", js, "POST", gqlBody(`{`), nil, 200, "GRAPHQL_PARSE_FAILED", "null"},
		{"parse error", "", "POST", gqlBody(`{`), nil, 200, "GRAPHQL_PARSE_FAILED", "null"},
		{"parse error", "*/*", "POST", gqlBody(`{`), nil, 200, "GRAPHQL_PARSE_FAILED", "null"},
		{"parse error GET", grj, "GET", `{`, nil, 400, "GRAPHQL_PARSE_FAILED", "absent"},
		{"validation error", grj, "POST", gqlBody(`{ nope }`), nil, 400, "GRAPHQL_VALIDATION_FAILED", "absent"},
		{"validation error", js, "POST", gqlBody(`{ nope }`), nil, 200, "GRAPHQL_VALIDATION_FAILED", "null"},
		{"variable coercion", grj, "POST", `{"query":"query Q($id: ID!) { node(id: $id) { id } }","variables":{"id":null}}`, nil, 400, "GRAPHQL_VALIDATION_FAILED", "absent"},
		{"variable coercion", js, "POST", `{"query":"query Q($id: ID!) { node(id: $id) { id } }","variables":{"id":null}}`, nil, 200, "GRAPHQL_VALIDATION_FAILED", "null"},
		{"too deep", grj, "POST", gqlBody(deep), nil, 400, graph.CodeLimit, "absent"},
		{"too deep", js, "POST", gqlBody(deep), nil, 200, graph.CodeLimit, "null"},
		{"too complex", grj, "POST", gqlBody(`{ a: search(query: "x", first: 100) { edges { node { relationships(first: 100) { edges { node { id } } } } } } }`), nil, 400, "", "absent"},
		{"no query", grj, "POST", `{"notquery":"{ __typename }"}`, nil, 400, "GRAPHQL_VALIDATION_FAILED", "absent"},
		{"no query", js, "POST", `{"notquery":"{ __typename }"}`, nil, 400, "GRAPHQL_VALIDATION_FAILED", "null"},
		{"no query GET", "", "GET", ``, nil, 400, "GRAPHQL_VALIDATION_FAILED", "null"},
		{"bad JSON", grj, "POST", `{ "not a JSON`, nil, 400, "", "absent"},
		{"bad JSON", js, "POST", `{ "not a JSON`, nil, 400, "", "null"},
		{"database down", grj, "POST", gqlBody(`{ search(query: "x") { edges { cursor } } }`), kg.ErrUnavailable, 503, graph.CodeServiceUnavailable, "null"},
		{"database down", js, "POST", gqlBody(`{ search(query: "x") { edges { cursor } } }`), kg.ErrUnavailable, 200, graph.CodeServiceUnavailable, "null"},
		{"timeout", grj, "POST", gqlBody(`{ search(query: "x") { edges { cursor } } }`), kg.ErrTimeout, 504, graph.CodeTimeout, "null"},
		{"timeout", js, "POST", gqlBody(`{ search(query: "x") { edges { cursor } } }`), kg.ErrTimeout, 200, graph.CodeTimeout, "null"},
		// A nullable field failing leaves data non-null: a partial response is a 200.
		{"partial", grj, "POST", gqlBody(lightQuery), kg.ErrUnavailable, 200, graph.CodeServiceUnavailable, "value"},
	}
	for _, c := range cases {
		h := GraphQL(&fakeStore{err: c.storeErr}, quietLogger(), graph.Limits{})
		target, body := "/graphql", c.body
		if c.method == "GET" {
			target, body = "/graphql?query="+url.QueryEscape(c.body), ""
		}
		w := call(h, c.method, target, "192.0.2.1:1", http.Header{"Accept": {c.accept}}, body)
		name := c.name + " (Accept " + c.accept + ")"
		if w.Code != c.status {
			t.Errorf("%s: HTTP %d, want %d: %s", name, w.Code, c.status, w.Body)
		}
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Errorf("%s: not JSON: %s", name, w.Body)
			continue
		}
		data, has := out["data"]
		switch got := map[bool]string{true: "value", false: "null"}[data != nil]; {
		case !has && c.data != "absent", has && got != c.data:
			t.Errorf("%s: data %v (present %v), want %s: %s", name, data, has, c.data, w.Body)
		}
		if c.code != "" {
			if code := errorCode(t, w.Body.Bytes()); code != c.code {
				t.Errorf("%s: code %q, want %q: %s", name, code, c.code, w.Body)
			}
		}
		wantType := "application/json"
		if c.accept == grj {
			wantType = grj
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
			t.Errorf("%s: Content-Type %q, want %s", name, ct, wantType)
		}
		if c.status == 503 && w.Header().Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", name)
		}
	}
}

// An answer written in pieces (graph's transport writes the head, the data and the tail) is
// read whole; a success is passed on from its first bytes.
func TestGraphQLStatusPieces(t *testing.T) {
	for _, c := range []struct {
		pieces []string
		status int
		body   string
	}{
		{[]string{`{"data":`, `{"a":1}`, `}`}, 200, `{"data":{"a":1}}`},
		{[]string{`{`, `"da`, `ta":null}`}, 200, `{"data":null}`},
		{[]string{`{"errors":[{"message":"m","extensions":{"code":"SERVICE_UNAVAILABLE"}}],"data":`, `null`, `}`}, 503, ""},
		{[]string{`{"err`, `ors":[{"message":"m","extensions":{"code":"BAD_REQUEST"}}],"data":null}`}, 400, `{"errors":[{"message":"m","extensions":{"code":"BAD_REQUEST"}}]}`},
		{[]string{`{"errors":[{"message":"m","extensions":{"code":"RESPONSE_TOO_LARGE"}}],"data":null}`}, 400, `{"errors":[{"message":"m","extensions":{"code":"RESPONSE_TOO_LARGE"}}]}`},
		{[]string{`{"errors":[{"message":"m","path":["a"],"extensions":{"code":"SERVICE_UNAVAILABLE"}}],"data":`, `{"a":null}`, `}`}, 200, ""},
	} {
		h := graphQLStatus(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", mediaGraphQLResponse)
			for _, p := range c.pieces {
				w.Write([]byte(p))
			}
		}))
		w := call(h, "POST", "/graphql", "192.0.2.1:1", nil, gqlBody(lightQuery))
		if want := c.body; w.Code != c.status || (want != "" && w.Body.String() != want) || (want == "" && w.Body.String() != strings.Join(c.pieces, "")) {
			t.Errorf("%q: HTTP %d %s, want %d %s", c.pieces, w.Code, w.Body, c.status, c.body)
		}
	}
}

// A large answer is not held back: it streams with the status gqlgen chose.
func TestGraphQLStatusLargeAnswer(t *testing.T) {
	body := []byte(`{"errors":[{"message":"` + strings.Repeat("x", 2*maxStatusBuffer) + `"}],"data":null}`)
	h := graphQLStatus(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", mediaGraphQLResponse)
		for i := 0; i < len(body); i += 1000 {
			w.Write(body[i:min(i+1000, len(body))])
		}
	}))
	w := call(h, "POST", "/graphql", "192.0.2.1:1", nil, gqlBody(lightQuery))
	if w.Code != 200 || w.Body.Len() != len(body) {
		t.Errorf("HTTP %d, %d bytes of %d", w.Code, w.Body.Len(), len(body))
	}
}

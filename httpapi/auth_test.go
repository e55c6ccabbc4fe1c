package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// Checklists S11 and S12 against the real Neo4j: tokens created in the store, the whole
// handler (New) in front of it.

// deleteACLU is a well-formed mutation (it would delete a node of the bundled data).
const deleteACLU = `mutation { deleteNode(input: {id: "org:aclu", expectedVersion: 1, reason: "auth test"}) { id } }`

type authEnv struct {
	t      *testing.T
	store  *neo4jstore.Store
	h      http.Handler
	auth   *Auth
	tokens map[string]string // name -> token text: reader, editor, admin, revoked
}

func setupAuth(t *testing.T, c AuthConfig) *authEnv {
	t.Helper()
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	e := &authEnv{t: t, store: s, tokens: map[string]string{}}
	for name, role := range map[string]kg.Role{"reader": kg.RoleReader, "editor": kg.RoleEditor, "admin": kg.RoleAdmin, "revoked": kg.RoleAdmin} {
		tok, _, err := s.CreateToken(ctx, name, role)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	if _, err := s.RevokeToken(ctx, "revoked"); err != nil {
		t.Fatal(err)
	}
	c.Tokens = s
	c.Logger = quietLogger()
	e.auth = NewAuth(c)
	e.h = New(Config{Store: s, Logger: quietLogger(), Auth: e.auth})
	return e
}

// do sends a request with the given token ("" none; a name of e.tokens, or a raw header
// value when it has a space) and Accept header.
func (e *authEnv) do(method, target, token, accept, contentType, body string) *http.Response {
	e.t.Helper()
	h := http.Header{}
	switch {
	case token == "":
	case strings.Contains(token, " "):
		h.Set("Authorization", token)
	default:
		h.Set("Authorization", "Bearer "+e.tokens[token])
	}
	if accept != "" {
		h.Set("Accept", accept)
	}
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range h {
		r.Header[k] = v
	}
	if body != "" {
		switch contentType {
		case "":
			r.Header.Set("Content-Type", "application/json")
		case "-": // none, as fetch() sends a Blob body
		default:
			r.Header.Set("Content-Type", contentType)
		}
	}
	r.RemoteAddr = "192.0.2.1:1234"
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w.Result()
}

func (e *authEnv) counts() (map[string]int64, map[string]int64) {
	e.t.Helper()
	n, r, _, err := e.store.Counts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n, r
}

type gqlAnswer struct {
	status int
	header http.Header
	media  string
	code   string // first error's extensions.code
	data   json.RawMessage
	body   string
}

func answer(t *testing.T, res *http.Response) gqlAnswer {
	t.Helper()
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := gqlAnswer{status: res.StatusCode, header: res.Header, body: string(raw)}
	a.media, _, _ = strings.Cut(res.Header.Get("Content-Type"), ";")
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Extensions struct{ Code string } `json:"extensions"`
		} `json:"errors"`
		Error struct{ Code string } `json:"error"`
	}
	if json.Unmarshal([]byte(a.body), &out) == nil {
		a.data = out.Data
		a.code = out.Error.Code
		if len(out.Errors) > 0 {
			a.code = out.Errors[0].Extensions.Code
		}
	}
	return a
}

const aclu = `{ node(id: "org:aclu") { id } }`

// A bad token is refused at once with 401 (a client sending a wrong token should know), on
// reads too and whatever PUBLIC_READS says; a valid one of any role reads.
func TestBadTokensAre401(t *testing.T) {
	e := setupAuth(t, AuthConfig{PublicReads: true})
	bad := map[string]string{
		"unknown":      "Bearer " + neo4jstore.TokenPrefix + strings.Repeat("x", neo4jstore.TokenLen-len(neo4jstore.TokenPrefix)),
		"malformed":    "Bearer not-a-token",
		"revoked":      "revoked",
		"basic scheme": "Basic " + e.tokens["editor"],
		"empty bearer": "Bearer  ",
	}
	for what, tok := range bad {
		for _, accept := range []string{mediaGraphQLResponse, mediaJSON} {
			a := answer(t, e.do(http.MethodPost, "/graphql", tok, accept, "", gqlBody(aclu)))
			if a.status != http.StatusUnauthorized || a.code != graph.CodeUnauthenticated || !strings.Contains(a.header.Get("WWW-Authenticate"), `error="invalid_token"`) || a.media != accept {
				t.Errorf("%s token, Accept %s: HTTP %d %s code %q WWW-Authenticate %q: %s", what, accept, a.status, a.media, a.code, a.header.Get("WWW-Authenticate"), a.body)
			}
		}
		if a := answer(t, e.do(http.MethodGet, "/export/nodes.csv?id=org:aclu", tok, "", "", "")); a.status != http.StatusUnauthorized || a.code != graph.CodeUnauthenticated {
			t.Errorf("%s token on /export: HTTP %d %s", what, a.status, a.body)
		}
	}
	if a := answer(t, e.do(http.MethodPost, "/graphql", "revoked", "", "", gqlBody(aclu))); !strings.Contains(a.body, "revoked") {
		t.Errorf("a revoked token is not told so: %s", a.body)
	}
	for _, tok := range []string{"", "reader", "editor", "admin"} {
		a := answer(t, e.do(http.MethodPost, "/graphql", tok, mediaGraphQLResponse, "", gqlBody(aclu)))
		if a.status != http.StatusOK || !strings.Contains(string(a.data), `"org:aclu"`) {
			t.Errorf("query with token %q: HTTP %d %s", tok, a.status, a.body)
		}
	}
}

// PUBLIC_READS=false: every GraphQL request, export and explorer page needs a valid token
// (any role); the playground page (no data) stays open.
func TestPrivateReadsNeedAToken(t *testing.T) {
	e := setupAuth(t, AuthConfig{PublicReads: false})
	get := "/graphql?query=" + url.QueryEscape(aclu)
	for _, c := range []struct {
		method, target, body string
	}{
		{http.MethodPost, "/graphql", gqlBody(aclu)},
		{http.MethodGet, get, ""},
		{http.MethodGet, "/export/gexf?id=org:aclu", ""},
		{http.MethodGet, "/explore", ""},
		{http.MethodGet, "/explore/explorer.js", ""},
	} {
		a := answer(t, e.do(c.method, c.target, "", "", "", c.body))
		if a.status != http.StatusUnauthorized || a.code != graph.CodeUnauthenticated || a.header.Get("WWW-Authenticate") == "" || !strings.Contains(a.body, "reads are not public") {
			t.Errorf("anonymous %s %s: HTTP %d code %q %.200s", c.method, c.target, a.status, a.code, a.body)
		}
		for _, tok := range []string{"reader", "admin"} {
			if a := answer(t, e.do(c.method, c.target, tok, "", "", c.body)); a.status == http.StatusUnauthorized || a.status >= 500 {
				t.Errorf("%s token %s %s: HTTP %d %.200s", tok, c.method, c.target, a.status, a.body)
			}
		}
		if a := answer(t, e.do(c.method, c.target, "revoked", "", "", c.body)); a.status != http.StatusUnauthorized {
			t.Errorf("revoked token %s %s: HTTP %d", c.method, c.target, a.status)
		}
	}
	a := answer(t, e.do(http.MethodPost, "/graphql", "reader", "", "", gqlBody(aclu)))
	if a.status != http.StatusOK || !strings.Contains(string(a.data), `"org:aclu"`) {
		t.Errorf("reader's query: HTTP %d %s", a.status, a.body)
	}
	if a := answer(t, e.do(http.MethodGet, "/", "", "", "", "")); a.status != http.StatusOK {
		t.Errorf("playground page: HTTP %d", a.status)
	}
	// A websocket upgrade without a header reaches the executor: its token comes in
	// connection_init (the change feed checks it with Auth.Context).
	h := http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}
	if w := call(e.h, http.MethodGet, "/graphql", "192.0.2.1:1", h, ""); w.Code == http.StatusUnauthorized {
		t.Errorf("websocket upgrade refused before connection_init: HTTP %d", w.Code)
	}
}

// Checklist S12: a mutation without a valid token is refused with UNAUTHENTICATED (401),
// with a reader's token FORBIDDEN (403), whatever the media type, and nothing changes.
func TestWritesNeedAnEditorToken(t *testing.T) {
	e := setupAuth(t, AuthConfig{PublicReads: true})
	nodes, rels := e.counts()
	for _, accept := range []string{mediaGraphQLResponse, mediaJSON} {
		for tok, want := range map[string]struct {
			status int
			code   string
		}{
			"":        {http.StatusUnauthorized, graph.CodeUnauthenticated},
			"revoked": {http.StatusUnauthorized, graph.CodeUnauthenticated},
			"reader":  {http.StatusForbidden, graph.CodeForbidden},
		} {
			a := answer(t, e.do(http.MethodPost, "/graphql", tok, accept, "", gqlBody(deleteACLU)))
			if a.status != want.status || a.code != want.code || a.media != accept {
				t.Errorf("mutation with token %q, Accept %s: HTTP %d %s code %q, want %d %s: %.300s", tok, accept, a.status, a.media, a.code, want.status, want.code, a.body)
			}
			if want.status == http.StatusUnauthorized && a.header.Get("WWW-Authenticate") == "" {
				t.Errorf("mutation with token %q: 401 without WWW-Authenticate", tok)
			}
		}
	}
	// Two root fields, both refused: still 403 (every root field failed).
	two := `mutation { a: deleteNode(input: {id: "org:aclu", expectedVersion: 1, reason: "x"}) { id }
		b: deleteNode(input: {id: "org:ice", expectedVersion: 1, reason: "x"}) { id } }`
	if a := answer(t, e.do(http.MethodPost, "/graphql", "reader", mediaGraphQLResponse, "", gqlBody(two))); a.status != http.StatusForbidden {
		t.Errorf("two refused root fields: HTTP %d %.300s", a.status, a.body)
	}
	n2, r2 := e.counts()
	if !maps.Equal(nodes, n2) || !maps.Equal(rels, r2) {
		t.Errorf("refused mutations changed the graph: %v %v -> %v %v", nodes, rels, n2, r2)
	}
	// An editor's token writes, and history names the token as the author.
	create := `mutation { createSource(input: {id: "source:auth-test", name: "Auth test", kind: REPORT, reason: "auth test"}) {
		node { id } revision { author operation } } }`
	a := answer(t, e.do(http.MethodPost, "/graphql", "editor", mediaGraphQLResponse, "", gqlBody(create)))
	if a.status != http.StatusOK || a.code != "" || !strings.Contains(string(a.data), `"author":"editor"`) {
		t.Errorf("editor's createSource: HTTP %d %s", a.status, a.body)
	}
	if n3, _ := e.counts(); n3["Source"] != nodes["Source"]+1 {
		t.Errorf("after the editor's createSource: %d Sources, want %d", n3["Source"], nodes["Source"]+1)
	}
}

// Checklist S11: a mutation over GET is refused with 405 and Allow: POST (before the token
// or the document's validity matter); form posts, which any web page can send cross-site,
// are refused with 415, token or not; nothing changes.
func TestMutationsOnlyOverJSONPost(t *testing.T) {
	e := setupAuth(t, AuthConfig{PublicReads: true})
	nodes, rels := e.counts()
	for _, tok := range []string{"", "editor", "admin"} {
		for _, q := range []string{deleteACLU, `mutation { noSuchField }`, `query Q { __typename } mutation M { noSuchField }`} {
			target := "/graphql?query=" + url.QueryEscape(q)
			if strings.HasPrefix(q, "query Q") {
				target += "&operationName=M"
			}
			a := answer(t, e.do(http.MethodGet, target, tok, mediaGraphQLResponse, "", ""))
			if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "POST" || !strings.Contains(a.body, "POST") {
				t.Errorf("GET %s with token %q: HTTP %d Allow %q %s", q, tok, a.status, a.header.Get("Allow"), a.body)
			}
		}
		form := url.Values{"query": {deleteACLU}}.Encode()
		for ct, body := range map[string]string{
			"application/x-www-form-urlencoded":  form,
			"multipart/form-data; boundary=XYZ":  "--XYZ\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n" + deleteACLU + "\r\n--XYZ--\r\n",
			"text/plain":                         gqlBody(deleteACLU),
			"text/plain; charset=utf-8":          gqlBody(deleteACLU),
			"application/x-www-form-urlencoded ": form,
			"-":                                  gqlBody(deleteACLU),
		} {
			a := answer(t, e.do(http.MethodPost, "/graphql", tok, "", ct, body))
			if a.status != http.StatusUnsupportedMediaType {
				t.Errorf("form post %s with token %q: HTTP %d %s", ct, tok, a.status, a.body)
			}
		}
	}
	// A query over GET still runs; a GET naming the query of a document that also holds a
	// mutation runs the query.
	if a := answer(t, e.do(http.MethodGet, "/graphql?operationName=Q&query="+url.QueryEscape(`query Q { __typename } mutation M { x }`), "", "", "", "")); a.status == http.StatusMethodNotAllowed {
		t.Errorf("GET of the query of a mixed document: HTTP %d", a.status)
	}
	n2, r2 := e.counts()
	if !maps.Equal(nodes, n2) || !maps.Equal(rels, r2) {
		t.Errorf("refused requests changed the graph: %v %v -> %v %v", nodes, rels, n2, r2)
	}
}

// Each token has its own write bucket (WRITE_RATE_LIMIT): past its burst a mutation is
// refused before it runs with 429, Retry-After and RATE_LIMITED; queries and other tokens
// are not affected; a mutation with two root fields costs two writes.
func TestWriteRateLimitPerToken(t *testing.T) {
	e := setupAuth(t, AuthConfig{PublicReads: true, WriteLimit: WriteLimit{PerSecond: 1.0 / 60, Burst: 3}})
	now := time.Now()
	e.auth.writes.now = func() time.Time { return now }
	mutation := func(tok, q string) gqlAnswer {
		return answer(t, e.do(http.MethodPost, "/graphql", tok, mediaGraphQLResponse, "", gqlBody(q)))
	}
	bogus := `mutation { deleteNode(input: {id: "org:no-such-node", expectedVersion: 1, reason: "rate test"}) { id } }`
	for i := range 3 {
		if a := mutation("editor", bogus); a.status == http.StatusTooManyRequests {
			t.Fatalf("mutation %d of a burst of 3: 429 %s", i+1, a.body)
		}
	}
	a := mutation("editor", bogus)
	retry, _ := strconv.Atoi(a.header.Get("Retry-After"))
	if a.status != http.StatusTooManyRequests || a.code != graph.CodeRateLimited || retry < 1 || retry > 60 || !strings.Contains(a.body, `token \"editor\"`) {
		t.Errorf("4th mutation: HTTP %d code %q Retry-After %q %s", a.status, a.code, a.header.Get("Retry-After"), a.body)
	}
	if a := answer(t, e.do(http.MethodPost, "/graphql", "editor", "", "", gqlBody(aclu))); a.status != http.StatusOK {
		t.Errorf("query by the limited token: HTTP %d", a.status)
	}
	// Another token: its own bucket. Two root fields cost two, so one of two more is refused.
	two := `mutation { a: deleteNode(input: {id: "org:x1", expectedVersion: 1, reason: "r"}) { id }
		b: deleteNode(input: {id: "org:x2", expectedVersion: 1, reason: "r"}) { id } }`
	if a := mutation("admin", two); a.status == http.StatusTooManyRequests {
		t.Errorf("admin's first mutation: 429")
	}
	if a := mutation("admin", two); a.status != http.StatusTooManyRequests {
		t.Errorf("admin's second two-field mutation (4 writes, burst 3): HTTP %d", a.status)
	}
	if a := mutation("admin", bogus); a.status == http.StatusTooManyRequests {
		t.Errorf("admin's one write left was not granted")
	}
	// The bucket refills: after 60 s, one more write.
	now = now.Add(61 * time.Second)
	if a := mutation("editor", bogus); a.status == http.StatusTooManyRequests {
		t.Errorf("after the refill: 429 %s", a.body)
	}
}

// A token's answer is cached for TokenCacheTTL: no database round trip per request, and a
// revocation takes effect once the entry expires.
func TestTokenCacheAndRevocation(t *testing.T) {
	e := setupAuth(t, AuthConfig{PublicReads: true})
	now := time.Now()
	e.auth.now = func() time.Time { return now }
	ctx := context.Background()
	authz := "Bearer " + e.tokens["editor"]
	p, err := e.auth.Principal(ctx, authz)
	if err != nil || p != (kg.Principal{Name: "editor", Role: kg.RoleEditor}) {
		t.Fatalf("Principal: %+v %v", p, err)
	}
	q := e.store.QueryCount()
	for range 5 {
		if _, err := e.auth.Principal(ctx, authz); err != nil {
			t.Fatal(err)
		}
	}
	if d := e.store.QueryCount() - q; d != 0 {
		t.Errorf("%d database round trips for 5 cached lookups", d)
	}
	if _, err := e.store.RevokeToken(ctx, "editor"); err != nil {
		t.Fatal(err)
	}
	if p, err := e.auth.Principal(ctx, authz); err != nil || p.Name != "editor" {
		t.Errorf("within the cache's lifetime the answer is the cached one: %+v %v", p, err)
	}
	now = now.Add(TokenCacheTTL + time.Millisecond)
	if _, err := e.auth.Principal(ctx, authz); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked token after the cache expired: %v", err)
	}
	// Unknown tokens are cached too (a client repeating a bad token costs one lookup).
	unknown := "Bearer " + neo4jstore.TokenPrefix + strings.Repeat("z", neo4jstore.TokenLen-len(neo4jstore.TokenPrefix))
	_, _ = e.auth.Principal(ctx, unknown)
	q = e.store.QueryCount()
	_, err = e.auth.Principal(ctx, unknown)
	if d := e.store.QueryCount() - q; d != 0 || err == nil {
		t.Errorf("repeated unknown token: %d round trips, err %v", d, err)
	}
	// The change feed's names for the same checks.
	if p, err := e.auth.Authenticate(ctx, "Bearer "+e.tokens["admin"]); err != nil || p.Role != kg.RoleAdmin || !e.auth.PublicReads() {
		t.Errorf("Authenticate: %+v %v, public reads %v", p, err, e.auth.PublicReads())
	}
	// Context: anonymous passes when reads are public; a bad token never does.
	if c, err := e.auth.Context(ctx, ""); err != nil {
		t.Errorf("anonymous Context: %v", err)
	} else if _, ok := kg.PrincipalFrom(c); ok {
		t.Error("anonymous Context carries a principal")
	}
	if _, err := e.auth.Context(ctx, unknown); err == nil {
		t.Error("Context accepted an unknown token")
	}
}

// The status of GraphQL answers that carry UNAUTHENTICATED or FORBIDDEN: 401 or 403 when
// data is null or every root field failed, for both media types; partial data keeps 200.
func TestAuthStatus(t *testing.T) {
	unauth := `{"message":"a valid API token is required","path":["a"],"extensions":{"code":"UNAUTHENTICATED"}}`
	forbid := `{"message":"role reader","path":["b"],"extensions":{"code":"FORBIDDEN"}}`
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"errors":[` + unauth + `],"data":null}`, 401},
		{`{"errors":[` + forbid + `],"data":null}`, 403},
		{`{"errors":[` + forbid + `,` + unauth + `],"data":null}`, 401},
		{`{"errors":[` + unauth + `,` + forbid + `],"data":{"a":null,"b":null}}`, 401},
		{`{"errors":[` + forbid + `],"data":{"a":null,"b":null}}`, 403},
		{`{"errors":[` + forbid + `],"data":{"a":{"id":"x"},"b":null}}`, 200},
		{`{"errors":[{"message":"no","extensions":{"code":"NOT_FOUND"}}],"data":{"a":null}}`, 200},
	} {
		for _, media := range []string{mediaGraphQLResponse, mediaJSON} {
			if got, _ := decideStatus(media, 200, []byte(c.body)); got != c.want {
				t.Errorf("%s %s: %d, want %d", media, c.body, got, c.want)
			}
		}
	}
	// Through the status writer: the header is set on 401.
	h := graphQLStatus(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", mediaJSON)
		_, _ = w.Write([]byte(`{"errors":[` + unauth + `],"data":null}`))
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/graphql", nil))
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("status writer: %d %v", w.Code, w.Header())
	}
}

// mutationFields counts what a POST would write: the selected operation's root fields when
// it is a mutation, fragments expanded; 0 for queries and unreadable bodies.
func TestMutationFields(t *testing.T) {
	body := func(q, op string) string {
		b, _ := json.Marshal(map[string]string{"query": q, "operationName": op})
		return string(b)
	}
	for _, c := range []struct {
		body string
		want int
	}{
		{body(`mutation { a { id } }`, ""), 1},
		{body(`mutation { a { id } b: a { id } c: d }`, ""), 3},
		{body(`mutation M { ...F x } fragment F on Mutation { a b ... on Mutation { c } }`, ""), 4},
		{body(`query Q { a } mutation M { a b }`, "M"), 2},
		{body(`query Q { a } mutation M { a b }`, "Q"), 0},
		{body(`query Q { a } mutation M { a b }`, ""), 0}, // which one? the executor says
		{body(`{ mutation }`, ""), 0},
		{body(`query { a(x: "mutation {}") }`, ""), 0},
		{body(`mutation { a `, ""), 0},
		{`not json`, 0},
	} {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(c.body))
		if got := mutationFields(r, 1000); got != c.want {
			t.Errorf("%s: %d, want %d", c.body, got, c.want)
		}
		if rest, _ := io.ReadAll(r.Body); string(rest) != c.body {
			t.Errorf("%s: the body was not put back (%q)", c.body, rest)
		}
	}
}

func TestParseWriteRate(t *testing.T) {
	for in, want := range map[string]float64{"60/min": 1, "2/s": 2, "3600/h": 1, "off": 0, "OFF": 0, "90/minute": 1.5, " 1 / s": 1} {
		if got, err := ParseWriteRate(in); err != nil || got != want {
			t.Errorf("ParseWriteRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"60", "60/day", "-1/s", "0/min", "fast", "", "NaN/s"} {
		if _, err := ParseWriteRate(in); err == nil {
			t.Errorf("ParseWriteRate(%q) accepted", in)
		}
	}
}

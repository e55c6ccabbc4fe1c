package web

import (
	"bytes"
	"compress/gzip"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	// src= and href= attribute values of the page.
	urlAttr = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']?([^"'\s>]+)`)
	// Any absolute or scheme-relative URL in a src/href, or anything a
	// browser would fetch from another host.
	externalURL = regexp.MustCompile(`(?i)^(?:[a-z][a-z0-9+.-]*:)?//`)
)

func TestPageIsOfflineAndSecured(t *testing.T) {
	h := Playground()
	for _, path := range []string{"/", "/playground", "/playground/"} {
		res := get(t, h, "GET", path, nil)
		page := body(t, res)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if !strings.Contains(page, "<title>policygraph</title>") {
			t.Errorf("GET %s: no policygraph title", path)
		}
		if !strings.Contains(page, `data-endpoint="/graphql"`) {
			t.Errorf("GET %s: endpoint /graphql not in the page", path)
		}
		for _, bad := range []string{"http://", "https://", "{{", "<!--"} {
			if strings.Contains(page, bad) {
				t.Errorf("GET %s: page contains %q", path, bad)
			}
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %q", path, csp, want)
			}
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", path, got)
		}
	}
}

// Every URL of the page is a local asset that the handler serves, and every
// embedded asset is used by the page (no stale vendored file).
func TestPageURLsResolve(t *testing.T) {
	h := Playground()
	page := body(t, get(t, h, "GET", "/", nil))
	used := map[string]bool{}
	matches := urlAttr.FindAllStringSubmatch(page, -1)
	if len(matches) < 6 {
		t.Fatalf("only %d src/href URLs in the page", len(matches))
	}
	for _, m := range matches {
		u := m[1]
		if u == "data:," { // the empty favicon, so the browser asks for none
			continue
		}
		if externalURL.MatchString(u) || !strings.HasPrefix(u, AssetPrefix) {
			t.Errorf("page URL %q is not a local asset under %s", u, AssetPrefix)
			continue
		}
		res := get(t, h, "GET", u, nil)
		b := body(t, res)
		if res.StatusCode != 200 || len(b) == 0 {
			t.Errorf("GET %s: status %d, %d bytes", u, res.StatusCode, len(b))
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(u, AssetPrefix), "?")
		used[name] = true
		want := map[bool]string{true: "text/javascript; charset=utf-8", false: "text/css; charset=utf-8"}[strings.HasSuffix(name, ".js")]
		if ct := res.Header.Get("Content-Type"); ct != want {
			t.Errorf("GET %s: Content-Type %q, want %q", u, ct, want)
		}
	}
	for name := range assets() {
		if !used[name] {
			t.Errorf("embedded asset %s is not used by the page", name)
		}
	}
}

func TestAssetHeaders(t *testing.T) {
	h := Playground()
	versioned, err := AssetURL("graphiql-3.9.0.min.js")
	if err != nil {
		t.Fatal(err)
	}
	res := get(t, h, "GET", versioned, nil)
	js := body(t, res)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", versioned, res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("versioned asset: Cache-Control %q", cc)
	}
	if res.Header.Get("Content-Encoding") != "" {
		t.Errorf("Content-Encoding %q without Accept-Encoding", res.Header.Get("Content-Encoding"))
	}
	if !strings.Contains(js, "GraphiQL") {
		t.Error("the GraphiQL bundle does not mention GraphiQL")
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no X-Content-Type-Options: nosniff")
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	// Unversioned or stale URL: same content, but must revalidate.
	for _, u := range []string{AssetPrefix + "graphiql-3.9.0.min.js", AssetPrefix + "graphiql-3.9.0.min.js?v=old"} {
		res := get(t, h, "GET", u, nil)
		if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: status %d, Cache-Control %q", u, res.StatusCode, res.Header.Get("Cache-Control"))
		}
	}

	// Revalidation.
	res = get(t, h, "GET", versioned, map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}

	// gzip, when accepted, decodes to the same bytes.
	res = get(t, h, "GET", versioned, map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	if res.Header.Get("ETag") == etag {
		t.Error("gzip and identity responses share an ETag")
	}
	if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Error("no Vary: Accept-Encoding")
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unzipped, []byte(js)) {
		t.Error("gzip body differs from the asset")
	}

	// HEAD: headers, no body.
	res = get(t, h, "HEAD", versioned, nil)
	if res.StatusCode != 200 || body(t, res) != "" || res.Header.Get("Content-Type") == "" {
		t.Errorf("HEAD: status %d", res.StatusCode)
	}

	css, _ := AssetURL("graphiql-3.9.0.min.css")
	if ct := get(t, h, "GET", css, nil).Header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("CSS Content-Type %q", ct)
	}
	if _, err := AssetURL("nope.js"); err == nil {
		t.Error("AssetURL of a missing asset: no error")
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	h := Playground()
	for _, path := range []string{
		"/nope", "/index.html", "/graphql", "/playground/assets/", "/playground/assets/nope.js",
		"/playground/assets/../index.html", "/playground/index.html", "/playground/x", "/assets/playground.js",
		"/playground/assets/playground.js/",
	} {
		if res := get(t, h, "GET", path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
	}
	for _, path := range []string{"/", AssetPrefix + "playground.js"} {
		res := get(t, h, "POST", path, nil)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST %s: status %d, Allow %q", path, res.StatusCode, res.Header.Get("Allow"))
		}
	}
}

// The documented mount: the GraphQL endpoint on its own pattern, the
// playground at "/".
func TestMountAtRoot(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/graphql", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "graphql") })
	mux.Handle("/", Playground())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for path, want := range map[string]int{"/": 200, "/graphql": 200, "/nope": 404, AssetPrefix + "playground.js": 200} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, res)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: status %d, want %d", path, res.StatusCode, want)
		}
		if path == "/graphql" && b != "graphql" {
			t.Errorf("GET /graphql reached the playground")
		}
	}
}

func TestPlaygroundFor(t *testing.T) {
	page := body(t, get(t, PlaygroundFor("/api/graph\"ql"), "GET", "/", nil))
	if !strings.Contains(page, `data-endpoint="/api/graph&#34;ql"`) {
		t.Errorf("endpoint not injected, escaped: %s", page)
	}
	for _, bad := range []string{"", "graphql", "http://example.com/graphql", "//example.com/graphql", `/\example.com`} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("PlaygroundFor(%q) did not panic", bad)
				}
			}()
			PlaygroundFor(bad)
		}()
	}
}

// examples returns the example queries of the page: the GraphQL blocks that
// playground.js turns into tabs.
func examples(t *testing.T) []string {
	t.Helper()
	page := body(t, get(t, Playground(), "GET", "/", nil))
	blocks := regexp.MustCompile(`(?s)<script type="application/graphql"[^>]*>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(blocks) < 3 {
		t.Fatalf("%d example queries, want at least 3", len(blocks))
	}
	var qs []string
	for _, b := range blocks {
		qs = append(qs, html.UnescapeString(b[1]))
	}
	return qs
}

// schemaDir holds the server's GraphQL schema (*.graphqls), relative to this package.
const schemaDir = "../schema"

// Every example query is valid against the server's schema and names its
// operation (the tab's title). When the schema changes, update the examples
// in playground/index.html.
func TestExamplesMatchSchema(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(schemaDir, "*.graphqls"))
	if len(files) == 0 {
		t.Fatalf("no GraphQL schema in %s: update schemaDir in this test", schemaDir)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatalf("loading the schema: %v", err)
	}
	for _, q := range examples(t) {
		doc, errs := gqlparser.LoadQuery(schema, q)
		if len(errs) > 0 {
			t.Errorf("example query does not match the schema: %v\n%s", errs, q)
			continue
		}
		for _, op := range doc.Operations {
			if op.Name == "" {
				t.Errorf("example query without an operation name (the tab's title):\n%s", q)
			}
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                     false,
		"gzip":                 true,
		"GZIP":                 true,
		"deflate, gzip;q=1.0":  true,
		"br, gzip ; q=0.5":     true,
		"gzip;q=0":             false,
		"gzip; q=0.000":        false,
		"identity":             false,
		"x-gzip-ish, deflate":  false,
		"deflate, br, zstd, *": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

package web

import (
	"compress/gzip"
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

func TestExplorerPage(t *testing.T) {
	h := Explorer()
	for _, path := range []string{"/explore", "/explore/", "/explore?focus=org:aclu"} {
		res := get(t, h, "GET", path, nil)
		page := body(t, res)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		for _, want := range []string{
			"<title>policygraph explorer</title>",
			`data-endpoint="/graphql"`,
			`data-export="/export"`,
			`id="graph"`,
			`id="q"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("GET %s: page lacks %s", path, want)
			}
		}
		for _, bad := range []string{"http://", "https://", "{{", "<!--", "style="} {
			if strings.Contains(page, bad) {
				t.Errorf("GET %s: page contains %q", path, bad)
			}
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{
			"default-src 'none'", "script-src 'self';", "style-src 'self';", "connect-src 'self'",
			"worker-src 'self' blob:", "frame-ancestors 'none'",
		} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: Content-Security-Policy %q allows something unsafe", path, csp)
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-cache",
			"Referrer-Policy": "no-referrer",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("GET %s: %s %q, want %q", path, k, got, want)
			}
		}
	}
	// The playground's policy is unchanged by the explorer's.
	if csp := get(t, Playground(), "GET", "/", nil).Header.Get("Content-Security-Policy"); csp != ContentSecurityPolicy {
		t.Errorf("playground CSP %q", csp)
	}
}

// Every URL of the page is a versioned explorer asset that the handler serves; every embedded
// asset is used by the page; asset names carry a content hash (build.sh).
func TestExplorerURLsResolve(t *testing.T) {
	h := Explorer()
	page := body(t, get(t, h, "GET", "/explore", nil))
	used := map[string]bool{}
	hashed := regexp.MustCompile(`^explorer-[A-Z0-9]{8}\.(js|css)$`)
	matches := urlAttr.FindAllStringSubmatch(page, -1)
	if len(matches) < 3 {
		t.Fatalf("only %d src/href URLs in the page", len(matches))
	}
	for _, m := range matches {
		u := m[1]
		if u == "data:," || u == ExplorerPath {
			continue
		}
		if externalURL.MatchString(u) || !strings.HasPrefix(u, ExplorerAssetPrefix) {
			t.Errorf("page URL %q is not a local asset under %s", u, ExplorerAssetPrefix)
			continue
		}
		name, v, _ := strings.Cut(strings.TrimPrefix(u, ExplorerAssetPrefix), "?v=")
		if !hashed.MatchString(name) {
			t.Errorf("asset %s has no content hash in its name", name)
		}
		b := explorerAssets()[name]
		if b == nil || v != b.hash {
			t.Errorf("page URL %q: not the current version of an embedded asset", u)
			continue
		}
		used[name] = true
		res := get(t, h, "GET", u, nil)
		if res.StatusCode != 200 || len(body(t, res)) == 0 {
			t.Errorf("GET %s: status %d", u, res.StatusCode)
		}
	}
	for name := range explorerAssets() {
		if !used[name] {
			t.Errorf("embedded asset %s is not used by the page (stale build output?)", name)
		}
	}
	if len(used) != 2 {
		t.Errorf("the page uses %d assets, want the bundle and the stylesheet", len(used))
	}
}

func TestExplorerAssetHeaders(t *testing.T) {
	h := Explorer()
	var js string
	for name := range explorerAssets() {
		if strings.HasSuffix(name, ".js") {
			js = name
		}
	}
	if js == "" {
		t.Fatal("no JavaScript bundle embedded")
	}
	versioned, err := ExplorerAssetURL(js)
	if err != nil {
		t.Fatal(err)
	}
	res := get(t, h, "GET", versioned, nil)
	src := body(t, res)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", versioned, res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("versioned asset: Cache-Control %q", cc)
	}
	if res.Header.Get("Content-Security-Policy") != "" {
		t.Error("an asset carries the page's Content-Security-Policy")
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no X-Content-Type-Options: nosniff")
	}
	// The bundle talks to the GraphQL endpoint given by the page, and nowhere else.
	for _, bad := range []string{"http://", "https://"} {
		for _, line := range strings.Split(src, "\n") {
			if i := strings.Index(line, bad); i >= 0 && !allowedURL(line[i:]) {
				t.Errorf("the bundle contains a URL: %.80s", line[i:])
			}
		}
	}
	etag := res.Header.Get("ETag")
	if r := get(t, h, "GET", versioned, map[string]string{"If-None-Match": etag}); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", r.StatusCode)
	}
	for _, u := range []string{ExplorerAssetPrefix + js, ExplorerAssetPrefix + js + "?v=old"} {
		if r := get(t, h, "GET", u, nil); r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: status %d, Cache-Control %q", u, r.StatusCode, r.Header.Get("Cache-Control"))
		}
	}
	gz := get(t, h, "GET", versioned, map[string]string{"Accept-Encoding": "gzip"})
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", gz.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	if unzipped, _ := io.ReadAll(zr); string(unzipped) != src {
		t.Error("gzip body differs from the asset")
	}
	if r := get(t, h, "HEAD", versioned, nil); r.StatusCode != 200 || body(t, r) != "" {
		t.Errorf("HEAD: status %d", r.StatusCode)
	}
	if _, err := ExplorerAssetURL("nope.js"); err == nil {
		t.Error("ExplorerAssetURL of a missing asset: no error")
	}
}

// allowedURL reports whether a URL in the bundle is one that is never fetched: XML namespace
// names (SVG) and the like.
func allowedURL(s string) bool {
	for _, ok := range []string{"http://www.w3.org/"} {
		if strings.HasPrefix(s, ok) {
			return true
		}
	}
	return false
}

func TestExplorerUnknownPathsAndMethods(t *testing.T) {
	h := Explorer()
	for _, path := range []string{
		"/", "/playground", "/explorer", "/explore/x", "/explore/index.html", "/explore/assets/",
		"/explore/assets/nope.js", "/explore/assets/../index.html", "/explore/assets/.gitattributes",
		"/playground/assets/playground.js", "/explore//",
	} {
		if res := get(t, h, "GET", path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
	}
	js, _ := ExplorerAssetURL(firstAsset(t, ".js"))
	for _, path := range []string{"/explore", "/explore/", js} {
		for _, method := range []string{"POST", "PUT", "DELETE"} {
			res := get(t, h, method, path, nil)
			if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: status %d, Allow %q", method, path, res.StatusCode, res.Header.Get("Allow"))
			}
		}
	}
}

func firstAsset(t *testing.T, ext string) string {
	t.Helper()
	for name := range explorerAssets() {
		if strings.HasSuffix(name, ext) {
			return name
		}
	}
	t.Fatalf("no embedded explorer asset *%s", ext)
	return ""
}

// The documented mount, next to the playground at "/".
func TestExplorerMount(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/graphql", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "graphql") })
	mux.Handle("/explore", Explorer())
	mux.Handle("/explore/", Explorer())
	mux.Handle("/", Playground())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	js, _ := ExplorerAssetURL(firstAsset(t, ".js"))
	for path, want := range map[string]string{
		"/explore":      "policygraph explorer",
		"/explore/":     "policygraph explorer",
		"/":             `id="graphiql"`,
		js:              "sigma",
		"/graphql":      "graphql",
		"/explore/nope": "404",
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, res)
		res.Body.Close()
		if want == "404" {
			if res.StatusCode != 404 {
				t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
			}
			continue
		}
		if res.StatusCode != 200 || !strings.Contains(b, want) {
			t.Errorf("GET %s: status %d, body without %q", path, res.StatusCode, want)
		}
	}
}

// The explorer's GraphQL operations (explorer/src/queries.graphql, bundled into the page)
// are valid against the server's schema. When the schema changes, update them and rebuild
// (explorer/build.sh).
func TestExplorerQueriesMatchSchema(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(schemaDir, "*.graphqls"))
	if len(files) == 0 {
		t.Fatalf("no GraphQL schema in %s", schemaDir)
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
	src, err := os.ReadFile("explorer/src/queries.graphql")
	if err != nil {
		t.Fatal(err)
	}
	doc, errs := gqlparser.LoadQuery(schema, string(src))
	if len(errs) > 0 {
		t.Fatalf("explorer/src/queries.graphql does not match the schema: %v", errs)
	}
	want := []string{
		"ExplorerInit", "ExplorerRank", "ExplorerSearch", "ExplorerNeighborhood", "ExplorerNetwork",
		"ExplorerPaths", "ExplorerNode",
	}
	for _, name := range want {
		if doc.Operations.ForName(name) == nil {
			t.Errorf("queries.graphql has no operation %s", name)
		}
	}
	// The bundle embeds this very document (esbuild's text loader keeps it verbatim).
	js := explorerAssets()[firstAsset(t, ".js")]
	for _, name := range want {
		if !strings.Contains(string(js.body), "query "+name) {
			t.Errorf("the bundle lacks operation %s: rebuild with explorer/build.sh", name)
		}
	}
}

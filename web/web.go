// Package web serves the policygraph pages: the GraphQL playground
// (Playground, this file) and the network explorer (Explorer, explorer.go).
// Their assets are embedded in the binary, so the pages work with no network
// access and load nothing from any host but the server itself.
//
// The playground is GraphiQL and React, vendored from npm into
// playground/assets (see playground/README.md). Mount it at the root of the
// server's mux; more specific patterns such as the GraphQL endpoint take
// precedence over "/":
//
//	mux.Handle("/graphql", graphqlHandler)
//	mux.Handle("/", web.Playground())
//
// The handler answers GET and HEAD (405 for other methods) on:
//
//	/                         the playground page
//	/playground, /playground/ the same page
//	/playground/assets/NAME   the embedded assets (AssetPrefix + NAME)
//
// and 404 for every other path. The page carries a Content-Security-Policy
// that allows scripts, styles and connections to 'self' only; the GraphQL
// endpoint must therefore be on the same origin as the page.
//
// Asset URLs in the pages carry a content hash (?v=HASH): a request with the
// current hash is cacheable for a year, any other request must revalidate
// (ETag). Text assets are sent gzip-compressed to clients that accept it.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// DefaultEndpoint is the GraphQL endpoint the page of Playground posts to.
	DefaultEndpoint = "/graphql"
	// AssetPrefix is the path under which the playground's assets are served.
	AssetPrefix = "/playground/assets/"
)

// ContentSecurityPolicy is the policy sent with the playground page.
// GraphiQL's stylesheet embeds its fonts and icons as data: URLs. GraphiQL's
// dialogs (settings, keyboard shortcuts) inject a <style> element at run time
// (Radix UI's scroll lock), hence 'unsafe-inline' for styles only; scripts are
// 'self' only.
const ContentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"font-src 'self' data:; " +
	"img-src 'self' data:; " +
	"connect-src 'self'; " +
	"base-uri 'none'; " +
	"form-action 'none'; " +
	"frame-ancestors 'none'"

//go:embed playground/index.html playground/assets
var files embed.FS

// blob is one response body with its precomputed validators.
type blob struct {
	body        []byte
	contentType string
	hash        string // hex prefix of the body's SHA-256
	gzOnce      sync.Once
	gz          []byte // gzip of body, nil when not worth it
}

func newBlob(body []byte, contentType string) *blob {
	sum := sha256.Sum256(body)
	return &blob{body: body, contentType: contentType, hash: hex.EncodeToString(sum[:8])}
}

// gzipped returns the gzip-compressed body, computed on first use, or nil when
// the body is not compressible enough to bother.
func (b *blob) gzipped() []byte {
	b.gzOnce.Do(func() {
		if len(b.body) < 1024 || !compressible(b.contentType) {
			return
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b.body)
		zw.Close()
		if buf.Len() < len(b.body)*9/10 {
			b.gz = buf.Bytes()
		}
	})
	return b.gz
}

func compressible(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") || strings.Contains(contentType, "javascript") ||
		strings.Contains(contentType, "json") || strings.Contains(contentType, "svg")
}

// contentTypes is fixed here rather than taken from the system's MIME tables,
// which differ between machines.
var contentTypes = map[string]string{
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".html":  "text/html; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".txt":   "text/plain; charset=utf-8",
}

// assets maps a file name under playground/assets to its blob; loaded once.
var assets = sync.OnceValue(func() map[string]*blob { return loadAssets(files, "playground/assets") })

// loadAssets reads every file under dir of fsys into a blob, keyed by its path relative to
// dir. It panics on a read error: the files are embedded, so that is a build defect.
func loadAssets(fsys embed.FS, dir string) map[string]*blob {
	m := map[string]*blob{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fsys.ReadFile(p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		m[strings.TrimPrefix(p, dir+"/")] = newBlob(body, ct)
		return nil
	})
	if err != nil {
		panic("web: reading embedded assets: " + err.Error())
	}
	return m
}

// renderPage executes the html/template name of fsys once, with the template function asset
// (a file name of the page's assets to its versioned URL) and data.
func renderPage(fsys embed.FS, name string, asset func(string) (string, error), data any) *blob {
	src, err := fsys.ReadFile(name)
	if err != nil {
		panic("web: " + err.Error())
	}
	tmpl, err := template.New(path.Base(name)).Funcs(template.FuncMap{"asset": asset}).Parse(string(src))
	if err != nil {
		panic("web: parsing " + name + ": " + err.Error())
	}
	var page bytes.Buffer
	if err := tmpl.Execute(&page, data); err != nil {
		panic("web: rendering " + name + ": " + err.Error())
	}
	return newBlob(page.Bytes(), contentTypes[".html"])
}

// assetURL is the versioned URL of the asset name of m served under prefix.
func assetURL(m map[string]*blob, prefix, name string) (string, error) {
	b, ok := m[name]
	if !ok {
		return "", fmt.Errorf("web: no embedded asset %q", name)
	}
	return prefix + name + "?v=" + b.hash, nil
}

// AssetURL returns the versioned URL of the embedded asset name (a file of
// playground/assets), or an error when there is no such asset.
func AssetURL(name string) (string, error) { return assetURL(assets(), AssetPrefix, name) }

// Playground returns the playground handler; its page posts GraphQL requests
// to DefaultEndpoint ("/graphql").
func Playground() http.Handler { return PlaygroundFor(DefaultEndpoint) }

// PlaygroundFor is Playground with another GraphQL endpoint: an absolute path
// on the same origin as the page, such as "/api/graphql". It panics when
// endpoint is not such a path.
func PlaygroundFor(endpoint string) http.Handler {
	if !strings.HasPrefix(endpoint, "/") || strings.HasPrefix(endpoint, "//") || strings.HasPrefix(endpoint, "/\\") {
		panic(fmt.Sprintf("web: GraphQL endpoint %q is not an absolute path on this origin", endpoint))
	}
	return &handler{
		pages:  []string{"/", "/playground", "/playground/"},
		page:   renderPage(files, "playground/index.html", AssetURL, struct{ Endpoint string }{endpoint}),
		prefix: AssetPrefix,
		assets: assets(),
		csp:    ContentSecurityPolicy,
	}
}

// handler serves one page (at any of pages) and its assets (under prefix), GET and HEAD only.
type handler struct {
	pages  []string
	page   *blob
	prefix string
	assets map[string]*blob
	csp    string // Content-Security-Policy of the page
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	var b *blob
	if slices.Contains(h.pages, p) {
		b = h.page
	} else if strings.HasPrefix(p, h.prefix) {
		b = h.assets[strings.TrimPrefix(p, h.prefix)]
	}
	if b == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}

	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	if b == h.page {
		hd.Set("Content-Security-Policy", h.csp)
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-cache")
	} else if r.URL.Query().Get("v") == b.hash {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	serve(w, r, b)
}

// serve writes b, gzip-compressed when the client accepts it, with an ETag so
// that revalidation costs a 304. http.ServeContent handles HEAD, conditional
// and range requests.
func serve(w http.ResponseWriter, r *http.Request, b *blob) {
	hd := w.Header()
	hd.Set("Content-Type", b.contentType)
	body, etag := b.body, `"`+b.hash+`"`
	if gz := b.gzipped(); gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			hd.Set("Content-Encoding", "gzip")
			body, etag = gz, `"`+b.hash+`-gz"`
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header value allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		for _, param := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.EqualFold(k, "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}

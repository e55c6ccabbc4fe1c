package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/httpapi"
)

func preflight(t *testing.T, h http.Handler, path, origin, headers string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodOptions, path, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	if headers != "" {
		req.Header.Set("Access-Control-Request-Headers", headers)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func hasVaryOrigin(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		if strings.Contains(v, "Origin") {
			return true
		}
	}
	return false
}

// With CORS_ORIGINS listing one origin, a preflight from it is allowed (Authorization
// included, for the writes to come) and one from elsewhere is not; both vary on Origin.
func TestCORSConfiguredOrigins(t *testing.T) {
	h := httpapi.New(httpapi.Config{Store: fakeStore{}, Logger: discard(), CORSOrigins: []string{"https://allowed.example"}})
	for _, path := range []string{"/graphql", "/export/gexf"} {
		rec := preflight(t, h, path, "https://allowed.example", "authorization,content-type")
		hd := rec.Header()
		if rec.Code != http.StatusNoContent || hd.Get("Access-Control-Allow-Origin") != "https://allowed.example" ||
			!strings.Contains(hd.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(strings.ToLower(hd.Get("Access-Control-Allow-Headers")), "authorization") ||
			hd.Get("Access-Control-Allow-Credentials") != "" || !hasVaryOrigin(hd) {
			t.Errorf("%s: preflight from the allowed origin: %d %v", path, rec.Code, hd)
		}
		rec = preflight(t, h, path, "https://evil.example", "content-type")
		if rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Header().Get("Access-Control-Allow-Methods") != "" || !hasVaryOrigin(rec.Header()) {
			t.Errorf("%s: preflight from another origin: %d %v", path, rec.Code, rec.Header())
		}
	}
	// An actual request from another origin runs (CORS is the browser's check) but gets no
	// Access-Control-Allow-Origin; from the allowed one it does, with the exposed headers.
	for origin, want := range map[string]string{"https://evil.example": "", "https://allowed.example": "https://allowed.example"} {
		req := httptest.NewRequest(http.MethodGet, "/graphql?query=%7Bnode(id:%22org:a%22)%7Bid%7D%7D", nil)
		req.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != want || !hasVaryOrigin(rec.Header()) {
			t.Errorf("GET from %s: %d %v", origin, rec.Code, rec.Header())
		}
	}
}

// By default any origin may read (Access-Control-Allow-Origin: *), with Vary: Origin and the
// request id, Content-Disposition and X-Truncated exposed, but not send Authorization.
func TestCORSDefault(t *testing.T) {
	h := httpapi.New(httpapi.Config{Store: fakeStore{}, Logger: discard()})
	rec := preflight(t, h, "/graphql", "https://anywhere.example", "content-type")
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "POST") || !hasVaryOrigin(rec.Header()) {
		t.Errorf("default preflight: %d %v", rec.Code, rec.Header())
	}
	if rec := preflight(t, h, "/graphql", "https://anywhere.example", "authorization"); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("Authorization allowed from any origin: %v", rec.Header())
	}
	for _, path := range []string{"/graphql?query=%7Bnode(id:%22org:a%22)%7Bid%7D%7D", "/export/nope"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Origin", "https://anywhere.example")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		exposed := rec.Header().Get("Access-Control-Expose-Headers")
		if rec.Header().Get("Access-Control-Allow-Origin") != "*" || !hasVaryOrigin(rec.Header()) ||
			!strings.Contains(exposed, "X-Request-Id") || !strings.Contains(exposed, "Content-Disposition") || !strings.Contains(exposed, "X-Truncated") {
			t.Errorf("GET %s: %d %v", path, rec.Code, rec.Header())
		}
	}
	// Methods other than GET, POST, HEAD: 405 with Allow; a plain OPTIONS: 204 with Allow.
	for method, code := range map[string]int{http.MethodDelete: 405, http.MethodPut: 405, http.MethodOptions: 204} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/graphql", nil))
		if rec.Code != code || !strings.Contains(rec.Header().Get("Allow"), "POST") {
			t.Errorf("%s /graphql: %d %v, want %d with Allow", method, rec.Code, rec.Header(), code)
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

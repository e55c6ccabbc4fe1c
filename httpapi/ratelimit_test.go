package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/kg"
)

// fakeStore answers node and search from memory; node blocks while gate is open (non-nil and
// not closed); err, when set, is what every call fails with. Any other method panics (the
// embedded nil Store): these tests only run node, search and __typename.
type fakeStore struct {
	Store
	gate    chan struct{} // Node waits for it to close
	entered chan struct{} // Node sends here when it starts waiting
	err     error
	calls   atomic.Int64
}

func (f *fakeStore) Node(ctx context.Context, id string) (*kg.Node, error) {
	f.calls.Add(1)
	if f.gate != nil {
		f.entered <- struct{}{}
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	return &kg.Node{ID: id, Type: kg.TypeOrganization, Name: "N"}, nil
}

func (f *fakeStore) Search(ctx context.Context, q kg.SearchQuery) (*kg.NodePage, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	return &kg.NodePage{Total: 0}, nil
}

func (f *fakeStore) Ready(context.Context) error { return f.err }
func (f *fakeStore) PlansReady() bool            { return true }

func quietLogger() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

const (
	lightQuery = `{ node(id: "org:a") { id } }`                                             // cost 2
	heavyQuery = `{ search(query: "x", first: 100) { edges { node { id name degree } } } }` // cost 100 x (child + 1)
)

// call sends one request straight to h from the given peer (host:port) and returns the
// recorded response.
func call(h http.Handler, method, target, peer string, header http.Header, body string) *httptest.ResponseRecorder {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	r.RemoteAddr = peer
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func gqlBody(query string) string {
	b, _ := json.Marshal(map[string]string{"query": query})
	return string(b)
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var out struct {
		Errors []struct {
			Extensions struct{ Code string } `json:"extensions"`
		} `json:"errors"`
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	if len(out.Errors) > 0 {
		return out.Errors[0].Extensions.Code
	}
	return out.Error.Code
}

// A client spends its burst, then gets 429 with Retry-After and a RATE_LIMITED error, on
// /graphql and /export alike; health checks and pages are never limited.
func TestRateLimit429AfterBurst(t *testing.T) {
	store := &fakeStore{}
	h := New(Config{Store: store, Logger: quietLogger(), RateLimit: RateLimit{PointsPerSecond: 0.001, Burst: 10}})
	const peer = "192.0.2.1:4000"
	for i := 0; i < 10; i++ { // { __typename } costs 1 point
		if w := call(h, "POST", "/graphql", peer, nil, gqlBody(`{ __typename }`)); w.Code != 200 {
			t.Fatalf("request %d of the burst: HTTP %d %s", i+1, w.Code, w.Body)
		}
	}
	for _, accept := range []string{"", "application/json", "application/graphql-response+json"} {
		w := call(h, "POST", "/graphql", peer, http.Header{"Accept": {accept}, "Origin": {"https://example.org"}}, gqlBody(`{ __typename }`))
		if w.Code != http.StatusTooManyRequests || errorCode(t, w.Body.Bytes()) != graph.CodeRateLimited {
			t.Errorf("Accept %q after the burst: HTTP %d %s", accept, w.Code, w.Body)
		}
		if s, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
		}
		if w.Header().Get("Access-Control-Allow-Origin") == "" {
			t.Error("a 429 must be readable by browser apps (CORS)")
		}
	}
	if w := call(h, "GET", "/graphql?query=%7B__typename%7D", peer, nil, ""); w.Code != http.StatusTooManyRequests {
		t.Errorf("GET after the burst: HTTP %d", w.Code)
	}
	w := call(h, "GET", "/export/gexf?id=org:a", peer, nil, "")
	if w.Code != http.StatusTooManyRequests || errorCode(t, w.Body.Bytes()) != graph.CodeRateLimited || w.Header().Get("Retry-After") == "" {
		t.Errorf("/export after the burst: HTTP %d %s", w.Code, w.Body)
	}
	for _, path := range []string{"/livez", "/readyz", "/", "/explore", "/playground/assets/playground.js"} {
		if w := call(h, "GET", path, peer, nil, ""); w.Code == http.StatusTooManyRequests {
			t.Errorf("%s is rate limited", path)
		}
	}
	if w := call(h, "OPTIONS", "/graphql", peer, nil, ""); w.Code != http.StatusNoContent {
		t.Errorf("a preflight is limited: HTTP %d", w.Code)
	}
	// Another client has its own bucket.
	if w := call(h, "POST", "/graphql", "192.0.2.2:4000", nil, gqlBody(`{ __typename }`)); w.Code != 200 {
		t.Errorf("another client: HTTP %d", w.Code)
	}
}

// The bucket refills at PointsPerSecond; Retry-After says when the refused request would pass.
func TestRateLimitRefills(t *testing.T) {
	now := time.Unix(1000, 0)
	lim := newLimiter(RateLimit{PointsPerSecond: 2, Burst: 4}, nil)
	lim.now = func() time.Time { return now }
	h := lim.graphQL(GraphQL(&fakeStore{}, quietLogger(), graph.Limits{}))
	const peer = "192.0.2.1:4000"
	for i := 0; i < 4; i++ {
		call(h, "POST", "/graphql", peer, nil, gqlBody(`{ __typename }`))
	}
	w := call(h, "POST", "/graphql", peer, nil, gqlBody(lightQuery)) // door point refused
	if w.Code != 429 || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("empty bucket: HTTP %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	now = now.Add(time.Second) // 2 points back
	if w := call(h, "POST", "/graphql", peer, nil, gqlBody(lightQuery)); w.Code != 200 {
		t.Errorf("after the refill: HTTP %d %s", w.Code, w.Body)
	}
	now = now.Add(time.Hour) // never more than the burst
	for i := 0; i < 4; i++ {
		if w := call(h, "POST", "/graphql", peer, nil, gqlBody(`{ __typename }`)); w.Code != 200 {
			t.Fatalf("request %d after an hour: HTTP %d", i+1, w.Code)
		}
	}
	if w := call(h, "POST", "/graphql", peer, nil, gqlBody(`{ __typename }`)); w.Code != 429 {
		t.Errorf("the bucket held more than its burst: HTTP %d", w.Code)
	}
	// An operation costing more than the burst is charged the burst: a full bucket pays it.
	now = now.Add(time.Hour)
	if w := call(h, "POST", "/graphql", peer, nil, gqlBody(heavyQuery)); w.Code != 200 {
		t.Errorf("an operation costing more than the burst, from a full bucket: HTTP %d %s", w.Code, w.Body)
	}
	if w := call(h, "POST", "/graphql", peer, nil, gqlBody(`{ __typename }`)); w.Code != 429 {
		t.Errorf("after an operation costing the whole burst: HTTP %d", w.Code)
	}
}

// The bucket is charged the operation's computed complexity: an expensive query drains it
// far faster than a light one, and the query it cannot pay for never reaches the store.
func TestRateLimitChargesComplexity(t *testing.T) {
	store := &fakeStore{}
	lim := newLimiter(RateLimit{PointsPerSecond: 0.001, Burst: 5000}, nil)
	h := lim.graphQL(GraphQL(store, quietLogger(), graph.Limits{}))
	served := func(peer, query string) int {
		for n := 0; n < 10000; n++ {
			w := call(h, "POST", "/graphql", peer, nil, gqlBody(query))
			if w.Code == http.StatusTooManyRequests {
				if errorCode(t, w.Body.Bytes()) != graph.CodeRateLimited || w.Header().Get("Retry-After") == "" {
					t.Errorf("refusal: %v %s", w.Header(), w.Body)
				}
				return n
			}
			if w.Code != 200 || strings.Contains(w.Body.String(), `"errors"`) {
				t.Fatalf("%s: HTTP %d %s", query, w.Code, w.Body)
			}
		}
		t.Fatalf("%s was never refused", query)
		return 0
	}
	light := served("192.0.2.1:1", lightQuery)
	before := store.calls.Load()
	heavy := served("192.0.2.2:1", heavyQuery)
	t.Logf("served from a 5000-point bucket: %d light queries, %d heavy ones", light, heavy)
	if light != 2500 { // 5000 points / 2
		t.Errorf("light queries served: %d, want 2500", light)
	}
	if heavy < 1 || heavy*100 > light {
		t.Errorf("heavy queries served: %d (light %d): not charged by complexity", heavy, light)
	}
	if calls := store.calls.Load() - before; calls != int64(heavy) {
		t.Errorf("the store ran %d searches for %d served: a refused query ran", calls, heavy)
	}
}

// X-Forwarded-For is read only from a trusted proxy, and then its right-most untrusted hop is
// the client (hops a client prepends cannot pick another's bucket).
func TestRateLimitForwardedFor(t *testing.T) {
	lim := newLimiter(RateLimit{PointsPerSecond: 1, Burst: 1, TrustedProxies: mustPrefixes(t, "10.0.0.0/8, 2001:db8::1")}, nil)
	for _, c := range []struct {
		peer, xff, want string
	}{
		{"192.0.2.1:4000", "", "192.0.2.1"},
		{"192.0.2.1:4000", "203.0.113.5", "192.0.2.1"}, // untrusted peer: header ignored
		{"10.1.2.3:4000", "", "10.1.2.3"},
		{"10.1.2.3:4000", "203.0.113.5", "203.0.113.5"},
		{"10.1.2.3:4000", "198.51.100.1, 203.0.113.5, 10.0.0.9", "203.0.113.5"}, // spoofed left hop ignored
		{"10.1.2.3:4000", "10.0.0.8, 10.0.0.9", "10.0.0.8"},
		{"10.1.2.3:4000", "garbage, 203.0.113.5", "203.0.113.5"},
		{"10.1.2.3:4000", "203.0.113.5, garbage", "10.1.2.3"},
		{"10.1.2.3:4000", "[2001:db8:1:2:3::4]:5000", "2001:db8:1:2::"}, // IPv6 by its /64
		{"[2001:db8::1]:4000", "203.0.113.7", "203.0.113.7"},
		{"[::ffff:10.1.2.3]:4000", "203.0.113.8", "203.0.113.8"},
	} {
		r := httptest.NewRequest("GET", "/graphql", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := lim.client(r); got != netip.MustParseAddr(c.want) {
			t.Errorf("peer %s, X-Forwarded-For %q: client %s, want %s", c.peer, c.xff, got, c.want)
		}
	}

	// End to end: an untrusted client cannot escape its bucket by varying the header.
	h := New(Config{Store: &fakeStore{}, Logger: quietLogger(), RateLimit: RateLimit{PointsPerSecond: 0.001, Burst: 3,
		TrustedProxies: mustPrefixes(t, "10.0.0.0/8")}})
	codes := ""
	for i := 0; i < 5; i++ {
		w := call(h, "POST", "/graphql", "192.0.2.1:4000", http.Header{"X-Forwarded-For": {"203.0.113." + strconv.Itoa(i)}}, gqlBody(`{ __typename }`))
		codes += strconv.Itoa(w.Code) + " "
	}
	if codes != "200 200 200 429 429 " {
		t.Errorf("untrusted peer varying X-Forwarded-For: %s", codes)
	}
	// Behind a trusted proxy, each forwarded client has its own bucket.
	codes = ""
	for i := 0; i < 5; i++ {
		w := call(h, "POST", "/graphql", "10.0.0.2:4000", http.Header{"X-Forwarded-For": {"203.0.113." + strconv.Itoa(i)}}, gqlBody(`{ __typename }`))
		codes += strconv.Itoa(w.Code) + " "
	}
	if codes != "200 200 200 200 200 " {
		t.Errorf("distinct clients behind a trusted proxy: %s", codes)
	}
}

func mustPrefixes(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	p, err := ParseTrustedProxies(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseTrustedProxies(t *testing.T) {
	p, err := ParseTrustedProxies("10.0.0.0/8 192.168.1.7,2001:db8::/32")
	if err != nil || len(p) != 3 || p[1] != netip.MustParsePrefix("192.168.1.7/32") {
		t.Errorf("%v %v", p, err)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/33"); err == nil || !strings.Contains(err.Error(), `"10.0.0.0/33"`) {
		t.Errorf("bad prefix: %v", err)
	}
	if p, err := ParseTrustedProxies(""); err != nil || len(p) != 0 {
		t.Errorf("empty: %v %v", p, err)
	}
}

// With MAX_INFLIGHT requests being served, one more is shed at once with 503 and
// Retry-After (not queued); once one finishes, requests pass again.
func TestMaxInFlight503(t *testing.T) {
	store := &fakeStore{gate: make(chan struct{}), entered: make(chan struct{}, 2)}
	srv := httptest.NewServer(New(Config{Store: store, Logger: quietLogger(), RateLimit: RateLimit{MaxInFlight: 2}}))
	defer srv.Close()
	post := func() (*http.Response, []byte) {
		res, err := http.Post(srv.URL+"/graphql", "application/json", strings.NewReader(gqlBody(lightQuery)))
		if err != nil {
			t.Error(err)
			return nil, nil
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res, b := post(); res != nil && res.StatusCode != 200 {
				t.Errorf("a blocked request: HTTP %d %s", res.StatusCode, b)
			}
		}()
	}
	for i := 0; i < 2; i++ {
		select {
		case <-store.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the blocked requests never reached the store")
		}
	}
	start := time.Now()
	res, b := post()
	if res == nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		errorCode(t, b) != graph.CodeServiceUnavailable {
		t.Errorf("over MAX_INFLIGHT: %v %s", res, b)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("the request over the cap waited instead of being shed")
	}
	if res, err := http.Get(srv.URL + "/export/gexf"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/export over MAX_INFLIGHT: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if res, err := http.Get(srv.URL + "/livez"); err != nil || res.StatusCode != 200 {
		t.Errorf("/livez over MAX_INFLIGHT: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	close(store.gate)
	wg.Wait()
	store.gate = nil
	// A finished request frees its slot just after its answer is sent: allow for that.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		res, b := post()
		if res != nil && res.StatusCode == 200 {
			break
		}
		if res == nil || time.Now().After(deadline) {
			t.Fatalf("after the blocked requests finished: %v %s", res, b)
		}
	}
}

// The zero RateLimit (RATE_LIMIT=off and MAX_INFLIGHT=0) limits nothing.
func TestRateLimitOff(t *testing.T) {
	h := New(Config{Store: &fakeStore{}, Logger: quietLogger()})
	for i := 0; i < 500; i++ {
		if w := call(h, "POST", "/graphql", "192.0.2.1:4000", nil, gqlBody(heavyQuery)); w.Code != 200 {
			t.Fatalf("request %d with the limit off: HTTP %d %s", i+1, w.Code, w.Body)
		}
	}
}

// Memory stays bounded whatever the number of clients.
func TestRateLimitBoundedClients(t *testing.T) {
	now := time.Unix(1000, 0)
	lim := newLimiter(RateLimit{PointsPerSecond: 1, Burst: 10, MaxClients: 100}, nil)
	lim.now = func() time.Time { return now }
	for i := 0; i < 5000; i++ {
		a := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		lim.take(a, 5)
		if len(lim.buckets) > 100 {
			t.Fatalf("%d buckets after %d clients (max 100)", len(lim.buckets), i+1)
		}
	}
	// Idle buckets (full again) are dropped by the next sweep.
	now = now.Add(time.Hour)
	lim.take(netip.MustParseAddr("192.0.2.1"), 1)
	if len(lim.buckets) != 1 {
		t.Errorf("%d buckets after an idle hour, want 1", len(lim.buckets))
	}
}

func (f *fakeStore) NodeWith(ctx context.Context, id string, _ kg.Omit, _ *kg.RelQuery) (*kg.Node, *kg.RelPage, error) {
	n, err := f.Node(ctx, id)
	return n, nil, err
}

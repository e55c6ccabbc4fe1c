package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/policygraph/policygraph/graph"
)

// RateLimit configures the per-client rate limit and the global in-flight cap of the routes
// that reach the database (/graphql and /export); health checks, the playground and the
// explorer's pages are never limited. The zero value limits nothing: the server sets it from
// RATE_LIMIT, RATE_LIMIT_POINTS_PER_SECOND, RATE_LIMIT_BURST, MAX_INFLIGHT and TRUSTED_PROXIES
// (README; docs/reliability.md says how the defaults were chosen).
//
// Each client (an IPv4 address, or an IPv6 /64) has a token bucket of Burst points, refilled at
// PointsPerSecond. A request costs 1 point at the door; a GraphQL operation then costs its
// computed complexity (the same cost the complexity limit reads), charged after validation and
// before execution; an export costs ExportCost (a selection) or WholeExportCost (no id: the
// whole graph). A request the bucket cannot pay is refused with 429 and Retry-After, and
// nothing runs.
type RateLimit struct {
	// PointsPerSecond refills each client's bucket, in complexity points per second; 0 turns
	// the per-client limit off.
	PointsPerSecond float64
	// Burst is the size of a bucket in points: what a client may spend at once. A cost larger
	// than Burst is charged as Burst.
	Burst float64
	// MaxInFlight caps the /graphql and /export requests being served at once; one more is
	// shed at once with 503 and Retry-After (never queued). 0 means no cap.
	MaxInFlight int
	// TrustedProxies are the peers whose X-Forwarded-For is believed: the client is then the
	// right-most hop that is not itself a trusted proxy. Otherwise the header is ignored.
	TrustedProxies []netip.Prefix
	// MaxClients bounds the buckets kept in memory (0: DefaultMaxClients). Idle buckets (full
	// again) are dropped first; past the bound, arbitrary ones are (their clients start afresh).
	MaxClients int
}

// Defaults of the server's configuration (config.go), documented in README.
const (
	DefaultPointsPerSecond = 2000
	DefaultBurst           = 100000
	DefaultMaxInFlight     = 64
	DefaultMaxClients      = 100000
	// ExportCost is the charge of an export of a selection (ids given), WholeExportCost of a
	// whole-graph export (the most expensive query a GraphQL client may send costs 20,000).
	ExportCost      = 2000
	WholeExportCost = 20000
)

// limiter is one RateLimit in force: the buckets and the in-flight semaphore.
type limiter struct {
	rl       RateLimit
	now      func() time.Time
	inflight chan struct{}
	metrics  *Metrics // counts load shedding; 429s are counted by the metrics middleware

	mu        sync.Mutex
	buckets   map[netip.Addr]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(rl RateLimit, m *Metrics) *limiter {
	if rl.MaxClients <= 0 {
		rl.MaxClients = DefaultMaxClients
	}
	if rl.Burst < 1 {
		rl.Burst = max(1, rl.PointsPerSecond)
	}
	l := &limiter{rl: rl, now: time.Now, buckets: map[netip.Addr]*bucket{}, metrics: m}
	if rl.MaxInFlight > 0 {
		l.inflight = make(chan struct{}, rl.MaxInFlight)
	}
	return l
}

// graphQL limits /graphql: 1 point at the door, then the operation's complexity (less that
// point) through graph.WithCharge.
func (l *limiter) graphQL(next http.Handler) http.Handler {
	return l.wrap(func(*http.Request) float64 { return 1 }, true, next)
}

// export limits /export: its whole cost at the door.
func (l *limiter) export(next http.Handler) http.Handler {
	return l.wrap(func(r *http.Request) float64 {
		if r.URL.Query().Has("id") {
			return ExportCost
		}
		return WholeExportCost
	}, false, next)
}

func (l *limiter) wrap(doorCost func(*http.Request) float64, graphQL bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
			next.ServeHTTP(w, r) // preflights and refused methods cost nothing to answer
			return
		}
		var ref *refusal
		if l.rl.PointsPerSecond > 0 {
			client := l.client(r)
			if ok, wait := l.take(client, doorCost(r)); !ok {
				refuse(w, r, graphQL, http.StatusTooManyRequests, wait, graph.CodeRateLimited, rateLimitedMessage(wait))
				return
			}
			if graphQL {
				ref = &refusal{}
				r = r.WithContext(graph.WithCharge(r.Context(), func(cost int) error {
					// The door point is paid: the rest, so that the whole is at most the burst.
					ok, wait := l.take(client, min(float64(cost), l.rl.Burst)-1)
					if ok {
						return nil
					}
					ref.wait = wait
					return fmt.Errorf("rate limit exceeded: this operation costs %d points, more than this client has left; retry in %s s (README, Limits and errors)", cost, retryAfter(wait.Seconds()))
				}))
				w = &chargedWriter{ResponseWriter: w, ref: ref}
			}
		}
		if l.inflight != nil {
			select {
			case l.inflight <- struct{}{}:
				defer func() { <-l.inflight }()
			default:
				l.metrics.Reject("concurrency")
				refuse(w, r, graphQL, http.StatusServiceUnavailable, time.Second, graph.CodeServiceUnavailable,
					"the server is busy; retry shortly")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func rateLimitedMessage(wait time.Duration) string {
	return "rate limit exceeded; retry in " + retryAfter(wait.Seconds()) + " s (README, Limits and errors)"
}

// refuse answers a request the limiter turns away, in the route's error shape, behind CORS so
// that browser apps can read it.
func refuse(w http.ResponseWriter, r *http.Request, graphQL bool, status int, wait time.Duration, code, msg string) {
	cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", retryAfter(wait.Seconds()))
		if !graphQL {
			writeError(w, status, code, msg)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{
			map[string]any{"message": msg, "extensions": map[string]string{"code": code}}}})
	})).ServeHTTP(w, r)
}

// refusal records an operation the graph-side charge refused (wait > 0): its answer becomes a
// 429 with Retry-After, whatever media type the client accepts.
type refusal struct{ wait time.Duration }

type chargedWriter struct {
	http.ResponseWriter
	ref   *refusal
	wrote bool
}

func (c *chargedWriter) WriteHeader(code int) {
	if !c.wrote {
		c.wrote = true
		if c.ref.wait > 0 {
			c.Header().Set("Retry-After", retryAfter(c.ref.wait.Seconds()))
			code = http.StatusTooManyRequests
		}
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *chargedWriter) Write(b []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (c *chargedWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// take removes cost points from client's bucket if it holds them; otherwise it removes
// nothing and says how long until it will.
func (l *limiter) take(client netip.Addr, cost float64) (bool, time.Duration) {
	if cost <= 0 {
		return true, 0
	}
	cost = min(cost, l.rl.Burst)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		l.sweep(now)
		b = &bucket{tokens: l.rl.Burst, at: now}
		l.buckets[client] = b
	} else if now.After(b.at) {
		b.tokens = min(l.rl.Burst, b.tokens+now.Sub(b.at).Seconds()*l.rl.PointsPerSecond)
		b.at = now
	}
	if b.tokens >= cost {
		b.tokens -= cost
		return true, 0
	}
	return false, max(time.Millisecond, time.Duration((cost-b.tokens)/l.rl.PointsPerSecond*float64(time.Second)))
}

// sweep bounds the buckets before one is added: at most once a minute, or when the map is
// full, it drops the buckets that are full again (a new bucket would be the same); if the map
// is still full, it drops arbitrary ones down to 90%. Called with l.mu held.
func (l *limiter) sweep(now time.Time) {
	if len(l.buckets) < l.rl.MaxClients && now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rl.PointsPerSecond >= l.rl.Burst {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.rl.MaxClients*9/10 {
			break
		}
		delete(l.buckets, k)
	}
}

// client is the key of a request's bucket: its peer address, or, when the peer is a trusted
// proxy, the right-most X-Forwarded-For hop that is not one; IPv6 addresses by their /64.
func (l *limiter) client(r *http.Request) netip.Addr {
	addr := peerAddr(r.RemoteAddr)
	if addr.IsValid() && l.trusted(addr) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := peerAddr(strings.TrimSpace(hops[i]))
			if !hop.IsValid() {
				break // a malformed hop: the last good one answers for it
			}
			addr = hop
			if !l.trusted(hop) {
				break
			}
		}
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.Addr()
	}
	return addr
}

func (l *limiter) trusted(a netip.Addr) bool {
	for _, p := range l.rl.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr parses "ip", "ip:port" or "[ipv6]:port"; the zero Addr when it is none of them.
func peerAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// ParseTrustedProxies reads TRUSTED_PROXIES: CIDR prefixes or single addresses, separated by
// commas or spaces.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR prefix or an IP address (want e.g. 10.0.0.0/8, 192.168.1.7)", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// WriteLimit is the per-token rate of writes (WRITE_RATE_LIMIT, WRITE_RATE_BURST): a token
// bucket per token name, apart from the per-client read limit above. A mutation request costs
// one write per root field (the most a request may write at once is Burst: a request with
// more root fields than Burst is charged Burst). Past it, the request is refused before it
// runs with 429, Retry-After and RATE_LIMITED. The zero value limits nothing.
type WriteLimit struct {
	PerSecond float64 // refill, in writes per second; 0 turns the limit off
	Burst     float64 // bucket size, in writes
}

// Defaults of WRITE_RATE_LIMIT and WRITE_RATE_BURST, documented in README.
const (
	DefaultWriteRate  = "60/min"
	DefaultWriteBurst = 30
)

// ParseWriteRate reads WRITE_RATE_LIMIT: "N/s", "N/min" or "N/h" (N > 0, a number of
// writes), or "off".
func ParseWriteRate(s string) (perSecond float64, err error) {
	if strings.EqualFold(s, "off") {
		return 0, nil
	}
	n, unit, ok := strings.Cut(s, "/")
	var per float64
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "s", "sec", "second":
		per = 1
	case "m", "min", "minute":
		per = 60
	case "h", "hour":
		per = 3600
	}
	v, perr := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if !ok || per == 0 || perr != nil || !(v > 0 && v < 1e9) {
		return 0, fmt.Errorf("%q is not a rate (want e.g. 60/min, 2/s, 1000/h, or off)", s)
	}
	return v / per, nil
}

// writeLimiter holds one bucket per token name. Token names are few (created by an admin):
// buckets full again are dropped at most once a minute, so the map stays small.
type writeLimiter struct {
	wl  WriteLimit
	now func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

// newWriteLimiter returns nil when wl limits nothing. Its 429s are counted by the metrics
// middleware (reason "rate").
func newWriteLimiter(wl WriteLimit) *writeLimiter {
	if wl.PerSecond <= 0 {
		return nil
	}
	wl.Burst = max(wl.Burst, 1)
	return &writeLimiter{wl: wl, now: time.Now, buckets: map[string]*bucket{}}
}

// take removes cost writes from the token's bucket if it holds them; otherwise it removes
// nothing and says how long until it will.
func (l *writeLimiter) take(name string, cost float64) (bool, time.Duration) {
	cost = min(cost, l.wl.Burst)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		l.lastSweep = now
		for k, b := range l.buckets {
			if b.tokens+now.Sub(b.at).Seconds()*l.wl.PerSecond >= l.wl.Burst {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[name]
	if b == nil {
		b = &bucket{tokens: l.wl.Burst, at: now}
		l.buckets[name] = b
	} else if now.After(b.at) {
		b.tokens = min(l.wl.Burst, b.tokens+now.Sub(b.at).Seconds()*l.wl.PerSecond)
		b.at = now
	}
	if b.tokens >= cost {
		b.tokens -= cost
		return true, 0
	}
	return false, max(time.Millisecond, time.Duration((cost-b.tokens)/l.wl.PerSecond*float64(time.Second)))
}

// Package faults holds policygraph's fault suite and its load generator: the whole server
// binary against a real Neo4j of its own, started with the project's launcher
// (scripts/neo4j.sh), under concurrent load while Neo4j is stopped and started again, frozen
// with SIGSTOP, while the server gets SIGTERM, and with 64 clients at once (faults_test.go);
// and a fixed-rate load generator (this file, and cmd/loadgen) for the figures in
// docs/reliability.md.
//
// The tests run only with POLICYGRAPH_FAULTS=1 (`make faults`, which CI runs after
// `make test`); otherwise they skip. They assert behaviour, never times: the times they
// measure are logged (go test -v) and written into docs/reliability.md by hand.
package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Queries are the five queries of README's "The API in five queries", against the bundled
// dataset: the load mix.
var Queries = []string{
	`{ search(query: "lopez obrador") { edges { node { id name aliases } } } }`,
	`{ node(id: "org:aclu") { name relationships { edges { direction other { id name }
    node { type role startDate citations { quote source { name } } } } } } }`,
	`{ neighborhood(id: "case:mpp-lawsuit", depth: 2, activeAt: "2019-05") {
    nodes { id name __typename } edges { id type from { id } to { id } citations { quote } } truncated } }`,
	`{ paths(from: "org:us-government", to: "org:guardia-nacional") {
    paths { length nodes { id name } edges { type } } } }`,
	`{ commonConnections(ids: ["org:aclu", "org:southern-poverty-law-center"]) { connections { node { id name } sharedWith } }
  timeline(ids: ["policy:migrant-protection-protocols"]) { edges { node { date relationship { type } event { name } } } }
  rank(measure: PAGERANK, first: 5) { rank score node { id name } } }`,
}

// Outcome classes of one request.
const (
	OK          = "OK"           // 200 with data and no errors
	RateLimited = "RATE_LIMITED" // 429 (the per-client rate limit)
	Shed        = "SHED"         // 503 from the in-flight cap (MAX_INFLIGHT), before anything ran
	Transport   = "TRANSPORT"    // no complete HTTP response (refused, reset, client deadline)
	Refused     = "REFUSED"      // the connection was refused: nothing listens
	// Anything else is the first error's extensions.code (SERVICE_UNAVAILABLE, TIMEOUT, ...)
	// or "HTTP_<status>".
)

// Result is one request.
type Result struct {
	Start, End time.Time // End is when the whole body had been read (or the error came)
	Status     int
	Code       string // one of the outcome classes above
	Err        error  // the transport error, if any
	Query      int
}

// Latency is End - Start.
func (r Result) Latency() time.Duration { return r.End.Sub(r.Start) }

// NewClient is an HTTP client for load: many keep-alive connections to one host, from one IP.
func NewClient(timeout time.Duration) *http.Client { return NewClientFrom(timeout, nil) }

// NewClientFrom is NewClient with connections from the local address ip (nil: any), e.g.
// 127.0.0.5, to be another client for the server's per-IP rate limit.
func NewClientFrom(timeout time.Duration, ip net.IP) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if ip != nil {
		dialer.LocalAddr = &net.TCPAddr{IP: ip}
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        2048,
		MaxIdleConnsPerHost: 2048,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// Do sends query q (an index into Queries) to base+"/graphql" as a POST and classifies the
// answer. The body is read whole: a response cut short is a Transport outcome.
func Do(ctx context.Context, c *http.Client, base string, q int) Result {
	body, _ := json.Marshal(map[string]any{"query": Queries[q]})
	r := Result{Start: time.Now(), Query: q}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	// Queries are reads: an Idempotency-Key lets the transport resend one that met a keep-alive
	// connection the server was closing (as a shutting-down server does), as it would a GET.
	req.Header.Set("Idempotency-Key", fmt.Sprintf("%016x", rand.Uint64()))
	res, err := c.Do(req)
	if err != nil {
		r.End, r.Err, r.Code = time.Now(), err, classifyErr(err)
		return r
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	r.End, r.Status = time.Now(), res.StatusCode
	if err != nil {
		r.Err, r.Code = err, Transport
		return r
	}
	r.Code = Classify(res.StatusCode, b)
	return r
}

func classifyErr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return Refused
	}
	return Transport
}

// Classify names the outcome of a complete response.
func Classify(status int, body []byte) string {
	var out struct {
		Data   json.RawMessage
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	jsonErr := json.Unmarshal(body, &out)
	switch {
	case status == http.StatusTooManyRequests:
		return RateLimited
	case status == http.StatusServiceUnavailable && jsonErr == nil && len(out.Errors) > 0 && len(out.Data) == 0 &&
		out.Errors[0].Extensions.Code == "SERVICE_UNAVAILABLE" && bytes.Contains(body, []byte("busy")):
		return Shed
	case jsonErr != nil:
		return fmt.Sprintf("HTTP_%d", status)
	case len(out.Errors) > 0:
		if c := out.Errors[0].Extensions.Code; c != "" {
			return c
		}
		return "ERROR"
	case status != http.StatusOK || len(out.Data) == 0 || string(out.Data) == "null":
		return fmt.Sprintf("HTTP_%d", status)
	}
	return OK
}

// Rate sends requests at a fixed rate (open loop: request i is sent at start + i/rate, whether
// or not earlier ones have come back, so a slow server cannot slow the load down) for d, the
// queries in random order, at most maxOutstanding at once (beyond, a request is counted as
// Transport with ErrOverload: the generator itself is the bottleneck). It returns every result.
func Rate(ctx context.Context, c *http.Client, base string, rate float64, d time.Duration, maxOutstanding int) []Result {
	n := int(rate * d.Seconds())
	results := make([]Result, n)
	sem := make(chan struct{}, maxOutstanding)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if wait := time.Until(at); wait > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return results[:i]
			case <-time.After(wait):
			}
		}
		q := rand.IntN(len(Queries))
		select {
		case sem <- struct{}{}:
		default:
			results[i] = Result{Start: at, End: at, Code: Transport, Err: ErrOverload, Query: q}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := Do(ctx, c, base, q)
			r.Start = at // latency from the intended send time (no coordinated omission)
			results[i] = r
		}()
	}
	wg.Wait()
	return results
}

// ErrOverload: the load generator had too many requests outstanding to send this one.
var ErrOverload = errors.New("load generator overloaded")

// Clients runs n clients, each sending one request after the other (closed loop, think
// between an answer and the next request) until ctx ends or each has sent perClient requests
// (0: no bound), and returns every result.
func Clients(ctx context.Context, c *http.Client, base string, n, perClient int, think time.Duration) []Result {
	var mu sync.Mutex
	var all []Result
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []Result
			for i := 0; (perClient == 0 || i < perClient) && ctx.Err() == nil; i++ {
				r := Do(ctx, c, base, rand.IntN(len(Queries)))
				if ctx.Err() != nil && r.Err != nil {
					break // cancelled by the caller: not an outcome
				}
				mine = append(mine, r)
				if think > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(think):
					}
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.SortFunc(all, func(a, b Result) int { return a.Start.Compare(b.Start) })
	return all
}

// Summary is what a run of requests comes to.
type Summary struct {
	N             int
	Codes         map[string]int
	P50, P95, P99 time.Duration // of every request, failed ones included
	Max           time.Duration
	Span          time.Duration // first start to last end
}

// Summarize computes the latency percentiles and outcome counts of rs.
func Summarize(rs []Result) Summary {
	s := Summary{N: len(rs), Codes: map[string]int{}}
	if len(rs) == 0 {
		return s
	}
	lat := make([]time.Duration, 0, len(rs))
	first, last := rs[0].Start, rs[0].End
	for _, r := range rs {
		s.Codes[r.Code]++
		lat = append(lat, r.Latency())
		if r.Start.Before(first) {
			first = r.Start
		}
		if r.End.After(last) {
			last = r.End
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	s.P50, s.P95, s.P99, s.Max = pct(0.50), pct(0.95), pct(0.99), lat[len(lat)-1]
	s.Span = last.Sub(first)
	return s
}

// Failed is the number of requests whose outcome is not OK.
func (s Summary) Failed() int { return s.N - s.Codes[OK] }

// String is one line: count, error rate, percentiles, outcomes.
func (s Summary) String() string {
	keys := make([]string, 0, len(s.Codes))
	for k := range s.Codes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var codes []string
	for _, k := range keys {
		codes = append(codes, fmt.Sprintf("%s=%d", k, s.Codes[k]))
	}
	rate := 0.0
	if s.N > 0 {
		rate = 100 * float64(s.Failed()) / float64(s.N)
	}
	return fmt.Sprintf("n=%d errors=%.2f%% p50=%s p95=%s p99=%s max=%s  %s", s.N, rate,
		ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max), strings.Join(codes, " "))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/policygraph/policygraph/graph"
)

// MaxOperationLabels bounds the operation label: the first this many distinct GraphQL
// operation names get their own series, later ones count as "other".
const MaxOperationLabels = 50

// Labels that are not operation names.
const (
	opAnonymous = "anonymous" // a GraphQL operation without a name
	opNone      = "none"      // not a GraphQL operation (other routes, unparsable requests)
	opOther     = "other"     // past MaxOperationLabels, or not a GraphQL name
)

// rejectReasons are the values of the reason label; anything else counts as "other".
var rejectReasons = []string{"rate", "cost", "depth", "aliases", "root_fields", "tokens", "directives", "size", "concurrency", "other"}

// Metrics holds the server's Prometheus metrics in a registry of its own (served by Handler).
// Every label is bounded: route from the fixed route list, operation as above, code from the
// error codes and HTTP statuses, reason from rejectReasons. A nil *Metrics records nothing, so
// callers need no checks.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	inFlight        prometheus.Gauge
	rejections      *prometheus.CounterVec
	queryDuration   *prometheus.HistogramVec
	queryErrors     *prometheus.CounterVec
	queriesInFlight prometheus.Gauge
	poolMax         prometheus.Gauge

	mu  sync.Mutex
	ops map[string]bool
}

// NewMetrics registers every metric, the Go runtime and the process collectors.
// poolSize is the Neo4j driver's configured maximum connection pool size.
func NewMetrics(poolSize int) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		ops: map[string]bool{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policygraph_http_requests_total",
			Help: "HTTP requests by route, GraphQL operation name and outcome code (OK, an extensions.code, or the HTTP status).",
		}, []string{"route", "operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "policygraph_http_request_duration_seconds",
			Help:    "Time from the request's arrival to its last byte, by route, GraphQL operation name and outcome code.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30, 60},
		}, []string{"route", "operation", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "policygraph_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policygraph_rejections_total",
			Help: "Requests refused before running, by reason: rate, cost, depth, aliases, root_fields, tokens, directives, size, concurrency, other.",
		}, []string{"reason"}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "policygraph_neo4j_query_duration_seconds",
			Help:    "Cypher round trips (read and write transactions) by store operation and outcome code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation", "code"}),
		queryErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policygraph_neo4j_query_errors_total",
			Help: "Failed Cypher round trips by store operation and error code (TIMEOUT, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR, ...).",
		}, []string{"operation", "code"}),
		queriesInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "policygraph_neo4j_queries_in_flight",
			Help: "Cypher round trips under way: each holds one pooled connection (the driver exposes no pool statistics; streaming exports are not counted).",
		}),
		poolMax: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "policygraph_neo4j_pool_max_connections",
			Help: "Configured maximum size of the Neo4j driver's connection pool.",
		}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, m.rejections, m.queryDuration, m.queryErrors,
		m.queriesInFlight, m.poolMax,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.poolMax.Set(float64(poolSize))
	for _, r := range []string{"rate", "cost", "depth", "size"} {
		m.rejections.WithLabelValues(r) // show zeros for the main reasons
	}
	return m
}

// Handler serves the metrics in the Prometheus text (or OpenMetrics) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry behind Handler (tests, extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest counts one finished request of /graphql; op is the GraphQL operation name
// ("" when anonymous), code its outcome ("OK" or the first error's code).
func (m *Metrics) ObserveRequest(op, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.observe("/graphql", m.operation(true, op), code, d)
}

func (m *Metrics) observe(route, op, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, op, code).Inc()
	m.duration.WithLabelValues(route, op, code).Observe(d.Seconds())
}

// Reject counts one request refused before running, by reason ("rate", "cost", "depth",
// "size", ...; an unknown reason counts as "other"). The request middleware already counts
// what a response shows: 413 as size, 429 as rate, and the limits' GraphQL errors (cost,
// depth, aliases, root_fields, tokens, directives). Call it only for refusals the response
// does not tell apart, such as the in-flight cap's 503 ("concurrency").
func (m *Metrics) Reject(reason string) {
	if m == nil {
		return
	}
	known := false
	for _, r := range rejectReasons {
		known = known || r == reason
	}
	if !known {
		reason = "other"
	}
	m.rejections.WithLabelValues(reason).Inc()
}

// ObserveQuery records one Cypher round trip of the store operation op (a Store method name,
// a bounded set) that took d and ended with err (nil when it succeeded).
func (m *Metrics) ObserveQuery(op string, d time.Duration, err error) {
	if m == nil {
		return
	}
	code := "OK"
	if err != nil {
		code, _, _ = graph.Describe(err)
		m.queryErrors.WithLabelValues(op, code).Inc()
	}
	m.queryDuration.WithLabelValues(op, code).Observe(d.Seconds())
}

// queryStarted and queryDone track the round trips under way.
func (m *Metrics) queryStarted() {
	if m != nil {
		m.queriesInFlight.Inc()
	}
}

func (m *Metrics) queryDone() {
	if m != nil {
		m.queriesInFlight.Dec()
	}
}

var graphQLName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]{0,63}$`)

// operation returns the operation label of a request.
func (m *Metrics) operation(isGraphQL bool, name string) string {
	switch {
	case !isGraphQL:
		return opNone
	case name == "":
		return opAnonymous
	case !graphQLName.MatchString(name) || name == opAnonymous || name == opNone || name == opOther:
		return opOther
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ops[name] {
		return name
	}
	if len(m.ops) >= MaxOperationLabels {
		return opOther
	}
	m.ops[name] = true
	return name
}

// finish records a request that logRequests has seen to its end.
func (m *Metrics) finish(r *http.Request, ri *graph.RequestInfo, status int, d time.Duration) {
	if m == nil {
		return
	}
	isGraphQL, op, code, rejected := ri.GraphQL()
	if !isGraphQL {
		code = statusCode(status)
	}
	if rejected != "" {
		m.Reject(rejected)
	}
	switch status {
	case http.StatusRequestEntityTooLarge:
		m.Reject("size")
	case http.StatusTooManyRequests:
		m.Reject("rate")
	}
	m.observe(routeOf(r.URL.Path), m.operation(isGraphQL, op), code, d)
}

// routeOf maps a path to its route pattern: a fixed, small set of label values.
func routeOf(path string) string {
	switch {
	case path == "/graphql", path == "/livez", path == "/readyz", path == "/metrics", path == "/explore":
		return path
	case strings.HasPrefix(path, "/export/"):
		return "/export/{format}"
	case strings.HasPrefix(path, "/explore/"):
		return "/explore/"
	}
	return "/"
}

// statusCode is the outcome label of a response that is not a GraphQL result.
func statusCode(status int) string {
	switch {
	case status < 400:
		return "OK"
	case status == http.StatusBadRequest:
		return "BAD_REQUEST"
	case status == http.StatusUnauthorized:
		return graph.CodeUnauthenticated
	case status == http.StatusForbidden:
		return graph.CodeForbidden
	case status == http.StatusNotFound:
		return "NOT_FOUND"
	case status == http.StatusMethodNotAllowed:
		return "METHOD_NOT_ALLOWED"
	case status == http.StatusRequestEntityTooLarge:
		return "REQUEST_TOO_LARGE"
	case status == http.StatusUnsupportedMediaType:
		return "UNSUPPORTED_MEDIA_TYPE"
	case status == http.StatusTooManyRequests:
		return graph.CodeRateLimited
	case status == http.StatusServiceUnavailable:
		return graph.CodeServiceUnavailable
	case status == http.StatusGatewayTimeout:
		return graph.CodeTimeout
	case status >= 500:
		return "HTTP_5XX"
	}
	return "HTTP_4XX"
}

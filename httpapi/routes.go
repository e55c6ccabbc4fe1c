// Package httpapi is policygraph's HTTP surface: every route in this one file, and the
// middleware around them (request log, CORS, body limit and deadlines). server.go only wires
// it. It imports graph (the GraphQL executor), export (the encoders), web (embedded pages)
// and kg; never the Neo4j driver.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/policygraph/policygraph/export"
	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/web"
)

// Store is what the routes read: the GraphQL store, exports and readiness.
type Store interface {
	graph.Store
	export.Source
	// Ready reports whether the database answers a query within ctx's deadline
	// (kg.ErrUnavailable; kg.ErrUnauthorized when it refuses the credentials).
	Ready(ctx context.Context) error
	// PlansReady reports whether the heavy statements are planned, starting to plan them in
	// the background when they are not (after a restart of Neo4j).
	PlansReady() bool
}

// Config wires the routes.
type Config struct {
	Store  Store
	Logger *slog.Logger
	Limits graph.Limits // GraphQL limits; MaxBodyBytes and RequestTimeout also bound /graphql
	// ExportTimeout bounds one /export request (the whole graph streams until then).
	ExportTimeout time.Duration
	// Prepared reports whether the database has been prepared (schema, bundled data);
	// until then /readyz answers 503. Nil means always prepared.
	Prepared func() bool
	// RateLimit: per-client rate limit and in-flight cap of /graphql and /export (ratelimit.go);
	// the zero value limits nothing.
	RateLimit RateLimit
	// Metrics collects Prometheus metrics (metrics.go); nil collects none. It is served at
	// /metrics unless MetricsElsewhere (METRICS_ADDR set: server.go serves Metrics.Handler there).
	Metrics          *Metrics
	MetricsElsewhere bool
	// CORSOrigins are the origins allowed to call /graphql and /export from a browser; empty
	// or "*" means any (reads only; see newCORS).
	CORSOrigins []string
	// Tracing wraps every request in an OpenTelemetry span (tracing.go; SetupTracing installs
	// the exporter).
	Tracing bool
	// Auth checks API tokens, the read rule (PUBLIC_READS) and the per-token write limit
	// (auth.go); nil knows no tokens: reads are public and mutations are refused.
	Auth *Auth
	// Feed is the change feed (graph.NewFeed): WebSocket subscriptions on /graphql and
	// GET /changes (sse.go), both under Auth's read rule. Nil serves neither.
	Feed *graph.Feed
}

// New returns the server's handler: every route, wrapped in the request log.
//
//	/graphql              GraphQL over GET (queries) and POST JSON (mutations: POST only, with a token); CORS (any origin unless CORSOrigins);
//	                      WebSocket (graphql-transport-ws) for the changes subscription
//	/changes              the change feed as Server-Sent Events (sse.go)
//	/export/{format}      the selection as a file: gexf, graphml, cytoscape.json, graphology.json, nodes.csv, edges.csv
//	/explore, /explore/   the network explorer page and its assets
//	/livez                the process is up
//	/readyz               the database is prepared and answers (503 otherwise, within a second)
//	/metrics              Prometheus metrics (when Metrics is set, unless MetricsElsewhere)
//	/                     the GraphQL playground (and its assets under /playground/)
func New(c Config) http.Handler {
	l := c.Limits.WithDefaults()
	mux := http.NewServeMux()
	lim := newLimiter(c.RateLimit, c.Metrics)
	mux.Handle("/graphql", withStreams(c, lim, l, lim.graphQL(graphQL(c.Store, c.Logger, l, c.Auth))))
	if c.Feed != nil {
		mux.Handle("/changes", lim.stream(c.Feed, cors(sseHandler(c.Feed, c.Auth))))
	}
	mux.Handle("/export/{format}", lim.export(cors(c.Auth.reads(exportHandler(c.Store, c.Logger, c.ExportTimeout)))))
	mux.Handle("/explore", c.Auth.reads(web.Explorer()))
	mux.Handle("/explore/", c.Auth.reads(web.Explorer()))
	mux.HandleFunc("/livez", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		// A real query (Store.Ready), bounded so that the answer comes within a second; asked
		// before the preparation state so that refused credentials are named even then.
		ctx, cancel := context.WithTimeout(r.Context(), 800*time.Millisecond)
		defer cancel()
		err := c.Store.Ready(ctx)
		switch {
		case errors.Is(err, kg.ErrUnauthorized):
			http.Error(w, "not ready: the database rejected our credentials (NEO4J_USER/NEO4J_PASSWORD)", http.StatusServiceUnavailable)
			return
		case err != nil:
			http.Error(w, "not ready: database unavailable", http.StatusServiceUnavailable)
			return
		case c.Prepared != nil && !c.Prepared():
			http.Error(w, "not ready: database is being prepared", http.StatusServiceUnavailable)
			return
		case !c.Store.PlansReady():
			http.Error(w, "not ready: planning queries (after a start or a restart of the database)", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("/", web.Playground())
	if c.Metrics != nil && !c.MetricsElsewhere {
		mux.Handle("/metrics", c.Metrics.Handler())
	}
	return traced(c.Tracing, logRequests(c, mux))
}

// GraphQL is the /graphql endpoint without tokens (every caller anonymous): the executor
// with its limits, behind CORS, the GraphQL-over-HTTP status codes (status.go), the body
// limit and the request deadline. The rate limit is New's, around it.
func GraphQL(store graph.Store, logger *slog.Logger, limits graph.Limits) http.Handler {
	return graphQL(store, logger, limits, nil)
}

// graphQL is GraphQL with auth's token checks inside the body limit (auth.go).
func graphQL(store graph.Store, logger *slog.Logger, limits graph.Limits, auth *Auth) http.Handler {
	l := limits.WithDefaults()
	return cors(graphQLStatus(bounded(l, auth.graphQL(l.MaxTokens, graph.NewHandler(store, logger, l)))))
}

package graph

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
)

// Limits bound what one request may cost. Zero values take the defaults below.
type Limits struct {
	MaxBodyBytes          int64         // request body; larger gets 413
	MaxTokens             int           // parser tokens
	MaxDepth              int           // selection depth (outside introspection)
	MaxIntrospectionDepth int           // selection depth through __schema / __type
	MaxIntrospections     int           // __schema / __type fields in one operation
	MaxAliases            int           // aliased fields, introspection included, fragments expanded
	MaxRootFields         int           // fields at the top of an operation
	MaxSelections         int           // fields once every fragment spread is expanded
	MaxComplexity         int           // cost = page size x child cost, summed
	MaxResponseBytes      int64         // the answer's JSON; larger is replaced by RESPONSE_TOO_LARGE
	RequestTimeout        time.Duration // whole-request deadline (each query also has a Neo4j timeout)
	WriteTimeout          time.Duration // from the request's start to the last byte written; default RequestTimeout + 5 s
}

// DefaultLimits are documented in README.
var DefaultLimits = Limits{
	MaxBodyBytes: 1 << 20, MaxTokens: 5000, MaxDepth: 12, MaxIntrospectionDepth: 20, MaxIntrospections: 3, MaxAliases: 30,
	MaxRootFields: 20, MaxSelections: 10000, MaxComplexity: 20000, MaxResponseBytes: 8 << 20,
	RequestTimeout: 15 * time.Second,
}

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	orDefault(&d.MaxBodyBytes, l.MaxBodyBytes)
	orDefault(&d.MaxTokens, l.MaxTokens)
	orDefault(&d.MaxDepth, l.MaxDepth)
	orDefault(&d.MaxIntrospectionDepth, l.MaxIntrospectionDepth)
	orDefault(&d.MaxIntrospections, l.MaxIntrospections)
	orDefault(&d.MaxAliases, l.MaxAliases)
	orDefault(&d.MaxRootFields, l.MaxRootFields)
	orDefault(&d.MaxSelections, l.MaxSelections)
	orDefault(&d.MaxComplexity, l.MaxComplexity)
	orDefault(&d.MaxResponseBytes, l.MaxResponseBytes)
	orDefault(&d.RequestTimeout, l.RequestTimeout)
	d.WriteTimeout = d.RequestTimeout + 5*time.Second
	orDefault(&d.WriteTimeout, l.WriteTimeout)
	return d
}

// orDefault sets *dst to v when v is positive (a zero Limits field means "the default").
func orDefault[T int | int64 | time.Duration](dst *T, v T) {
	if v > 0 {
		*dst = v
	}
}

// NewHandler builds the GraphQL executor: GET (queries only) and POST JSON transports, the
// limits, the error presenter and per-request batch loaders. The HTTP concerns around it (body
// limit, deadline, CORS) are httpapi's.
// Introspection stays on: this is a public knowledge graph whose schema is its manual.
func NewHandler(store Store, logger *slog.Logger, limits Limits) http.Handler {
	srv := newServer(&Resolver{Store: store}, logger, limits)
	srv.AddTransport(transport.Options{AllowedMethods: []string{"GET", "POST", "OPTIONS"}})
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})
	return withLoaders(store, srv)
}

// NewStreamHandler is the GraphQL executor of WebSocket connections (graphql-transport-ws, and
// the legacy graphql-ws): the same schema, limits and error presenter as NewHandler, with the
// change feed for subscriptions (streams.go). Queries and mutations go over HTTP.
func NewStreamHandler(store Store, logger *slog.Logger, limits Limits, s Streams) http.Handler {
	srv := newServer(&Resolver{Store: store, Feed: s.Feed}, logger, limits)
	srv.AddTransport(s.websocket(logger))
	srv.AroundOperations(subscriptionsOnly)
	return srv // no per-request loaders: a connection lives too long for their cache
}

// newServer is the executor without transports.
func newServer(r *Resolver, logger *slog.Logger, limits Limits) *handler.Server {
	l := limits.WithDefaults()
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r, Complexity: complexity()}))
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(l.MaxTokens)
	srv.SetDisableSuggestion(true)
	srv.Use(extension.Introspection{})
	srv.Use(Observability{}) // outermost: sees the final response (operation name, code for logs and metrics); resolver spans (tracing.go)
	// Order matters: extensions check the operation in the order they are added, and the
	// complexity walk expands every fragment spread, so queryLimits (linear in the document,
	// capping the expanded size) must come first.
	srv.Use(queryLimits{maxDepth: l.MaxDepth, maxIntrospectionDepth: l.MaxIntrospectionDepth, maxIntrospections: l.MaxIntrospections, maxAliases: l.MaxAliases,
		maxRootFields: l.MaxRootFields, maxSelections: l.MaxSelections})
	srv.Use(newComplexityLimit(l.MaxComplexity)) // gqlgen's limit, with the cost cached per document and variables
	srv.Use(rateCharge{})                        // after the complexity limit: charges the computed cost to the client (ratecharge.go)
	srv.Use(responseLimit{maxBytes: l.MaxResponseBytes})
	srv.SetErrorPresenter(errorPresenter(logger))
	srv.SetRecoverFunc(recoverFunc(logger))
	return srv
}

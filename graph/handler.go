package graph

import (
	"context"
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
	MaxBodyBytes   int64         // request body; larger gets 413
	MaxTokens      int           // parser tokens
	MaxDepth       int           // selection depth
	MaxAliases     int           // aliased fields
	MaxRootFields  int           // fields at the top of an operation
	MaxComplexity  int           // cost = page size x child cost, summed
	RequestTimeout time.Duration // whole-request deadline (each query also has a Neo4j timeout)
}

// DefaultLimits are documented in README.
var DefaultLimits = Limits{
	MaxBodyBytes: 1 << 20, MaxTokens: 5000, MaxDepth: 12, MaxAliases: 30, MaxRootFields: 20,
	MaxComplexity: 20000, RequestTimeout: 15 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	orDefault(&d.MaxBodyBytes, l.MaxBodyBytes)
	orDefault(&d.MaxTokens, l.MaxTokens)
	orDefault(&d.MaxDepth, l.MaxDepth)
	orDefault(&d.MaxAliases, l.MaxAliases)
	orDefault(&d.MaxRootFields, l.MaxRootFields)
	orDefault(&d.MaxComplexity, l.MaxComplexity)
	orDefault(&d.RequestTimeout, l.RequestTimeout)
	return d
}

// orDefault sets *dst to v when v is positive (a zero Limits field means "the default").
func orDefault[T int | int64 | time.Duration](dst *T, v T) {
	if v > 0 {
		*dst = v
	}
}

// NewHandler builds the /graphql handler: GET (queries only) and POST JSON transports, the
// limits, the error presenter, per-request batch loaders, and CORS for browser apps.
// Introspection stays on: this is a public knowledge graph whose schema is its manual.
func NewHandler(store Store, logger *slog.Logger, limits Limits) http.Handler {
	l := limits.withDefaults()
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{Store: store}, Complexity: complexity()}))
	srv.AddTransport(transport.Options{AllowedMethods: []string{"GET", "POST", "OPTIONS"}})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(l.MaxTokens)
	srv.SetDisableSuggestion(true)
	srv.Use(extension.Introspection{})
	srv.Use(queryLimits{maxDepth: l.MaxDepth, maxAliases: l.MaxAliases, maxRootFields: l.MaxRootFields})
	srv.Use(extension.FixedComplexityLimit(l.MaxComplexity))
	srv.SetErrorPresenter(errorPresenter(logger))
	srv.SetRecoverFunc(recoverFunc(logger))

	var h http.Handler = withLoaders(store, srv)
	h = bounded(l, h)
	return cors(h)
}

// bounded caps the body (413 when over) and gives the request a deadline.
func bounded(l Limits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > l.MaxBodyBytes {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if r.Method == http.MethodPost {
			ct := r.Header.Get("Content-Type")
			if ct != "" && !isJSON(ct) {
				w.Header().Set("Accept", "application/json")
				http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, l.MaxBodyBytes)
		ctx, cancel := context.WithTimeout(r.Context(), l.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func isJSON(ct string) bool {
	for i := 0; i < len(ct); i++ {
		if ct[i] == ';' {
			ct = ct[:i]
			break
		}
	}
	return ct == "application/json" || ct == "application/graphql-response+json"
}

// cors lets browser apps on any origin read the public API (no credentials are involved).
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Accept")
		h.Set("Access-Control-Max-Age", "86400")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			h.Set("Allow", "GET, POST, OPTIONS")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

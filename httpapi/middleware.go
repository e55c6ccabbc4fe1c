package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"time"

	rscors "github.com/rs/cors"
	"go.opentelemetry.io/otel/trace"

	"github.com/policygraph/policygraph/graph"
)

// bounded caps the body (413 when over, whatever its framing), refuses form posts (415: a web
// page cannot forge a JSON post), gives the request a deadline and its answer a write
// deadline (a client that stops reading cannot hold the handler, nor its buffered answer).
func bounded(l graph.Limits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(l.WriteTimeout))
		if r.ContentLength > l.MaxBodyBytes {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if r.Method == http.MethodPost {
			// No Content-Type is refused too: fetch() sends a Blob body without one, and
			// without a preflight.
			if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
				w.Header().Set("Accept", "application/json")
				http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), l.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		r.Body = http.MaxBytesReader(w, r.Body, l.MaxBodyBytes)
		if r.Method == http.MethodPost {
			// Read the body here (at most the limit plus one byte, so holding it is fine): a
			// chunked body over the limit gets 413 like any other, before the executor.
			body, err := io.ReadAll(r.Body)
			if err != nil {
				if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
					http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				} else {
					http.Error(w, "could not read the request body", http.StatusBadRequest)
				}
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
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

// newCORS is the CORS policy (github.com/rs/cors) of /graphql and /export for the allowed
// origins ("*" or none: any origin). Reads only: GET, POST (a GraphQL query) and HEAD, no
// cookies. Authorization (for the writes to come) is accepted only from listed origins, never
// under "*". Exposed: X-Request-Id, and Content-Disposition and X-Truncated for /export.
// rs/cors answers preflights (204) and adds Vary: Origin to every answer.
func newCORS(origins []string) *rscors.Cors {
	anyOrigin := len(origins) == 0 || slices.Contains(origins, "*")
	headers := []string{"Content-Type", "Accept", "X-Request-Id", "Traceparent", "Tracestate"}
	if anyOrigin {
		origins = []string{"*"}
	} else {
		headers = append(headers, "Authorization")
	}
	return rscors.New(rscors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodHead},
		AllowedHeaders: headers,
		ExposedHeaders: []string{"X-Request-Id", "Content-Disposition", "X-Truncated"},
		MaxAge:         86400,
	})
}

// defaultCORS is the policy when the request carries none: any origin.
var defaultCORS = newCORS(nil)

type corsKey struct{}

// cors applies the CORS policy that logRequests put in the request's context (defaultCORS
// without one), and answers methods other than GET, POST and HEAD: OPTIONS with 204 and
// Allow, the rest with 405 and Allow.
func cors(next http.Handler) http.Handler {
	methods := func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodHead:
			next.ServeHTTP(w, r)
		case http.MethodOptions:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(corsKey{}).(*rscors.Cors)
		if c == nil {
			c = defaultCORS
		}
		c.ServeHTTP(w, r, methods)
	})
}

// requestID is the shape of a client's X-Request-Id that is kept: a short token. Anything
// else (spaces, newlines, quotes, more than 64 characters) is replaced by a generated id.
var requestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// logRequests writes one structured line per request: id, method, path, status, bytes,
// duration (and for GraphQL the operation name and outcome code, and the trace id when
// tracing is on). Query text and variables are never logged. It puts the request id
// (graph.RequestInfo, read by the error presenter) and the CORS policy in the context, and
// feeds c.Metrics.
func logRequests(c Config, next http.Handler) http.Handler {
	logger, m := c.Logger, c.Metrics
	policy := newCORS(c.CORSOrigins)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestID.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		ri := &graph.RequestInfo{ID: id}
		ctx := graph.WithRequestInfo(context.WithValue(r.Context(), corsKey{}, policy), ri)
		r = r.WithContext(ctx)
		if m != nil {
			m.inFlight.Inc()
			defer m.inFlight.Dec()
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			d := time.Since(start)
			m.finish(r, ri, rec.status, d)
			attrs := []any{"id", id, "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"bytes", rec.bytes, "duration_ms", float64(d.Microseconds()) / 1000}
			if ok, op, code, _ := ri.GraphQL(); ok {
				attrs = append(attrs, "operation", op[:min(len(op), 100)], "code", code)
			}
			if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
				attrs = append(attrs, "trace_id", sc.TraceID().String())
			}
			logger.Info("request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (write deadlines of exports).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

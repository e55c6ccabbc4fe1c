package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/kg"
)

// Who may do what (docs/curation.md, "Tokens and roles"). A request may carry
// "Authorization: Bearer <token>"; a valid token puts its kg.Principal in the request's
// context (kg.WithPrincipal), where the mutation resolvers check its role (kg.Require). A bad
// token (malformed, unknown, revoked) is refused at once with 401: a client sending a wrong
// token should know, not be served as anonymous. Without a token a request is anonymous:
// reads are served when reads are public (PUBLIC_READS, the default) and refused with 401
// otherwise; mutations fail in their resolvers with UNAUTHENTICATED, which status.go answers
// with 401 (FORBIDDEN, a role too low: 403).

// TokenCacheTTL is how long a token's answer (its principal, or unknown/revoked) is kept in
// each server's memory, so reads do not pay a database round trip each: a revocation takes
// effect on every replica within it.
const TokenCacheTTL = 5 * time.Second

// maxCachedTokens bounds the cache: a client sending random tokens cannot grow it further.
const maxCachedTokens = 10000

// TokenAuthenticator looks up a token's text (neo4jstore.Store).
type TokenAuthenticator interface {
	// Authenticate returns the principal of a token. Errors: kg.ErrUnauthenticated (wrapped,
	// saying why) for a malformed, unknown or revoked token; kg.ErrUnavailable or
	// kg.ErrTimeout when the database cannot say.
	Authenticate(ctx context.Context, token string) (kg.Principal, error)
}

// AuthConfig configures NewAuth.
type AuthConfig struct {
	Tokens TokenAuthenticator
	// PublicReads serves queries (and /export, /explore) without a token; false requires a
	// valid token of any role for every request to them.
	PublicReads bool
	// WriteLimit is the per-token rate of mutations (ratelimit.go); the zero value limits
	// nothing.
	WriteLimit WriteLimit
	// CacheTTL overrides TokenCacheTTL (0: TokenCacheTTL; negative: no cache).
	CacheTTL time.Duration
	Logger   *slog.Logger
}

// Auth applies AuthConfig to requests. A nil *Auth knows no tokens: every request is
// anonymous and reads are public.
type Auth struct {
	tokens      TokenAuthenticator
	publicReads bool
	ttl         time.Duration
	writes      *writeLimiter
	logger      *slog.Logger
	now         func() time.Time

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	p     kg.Principal
	err   error // an kg.ErrUnauthenticated; other errors are never cached
	until time.Time
}

// NewAuth returns the token checks of c.
func NewAuth(c AuthConfig) *Auth {
	ttl := c.CacheTTL
	if ttl == 0 {
		ttl = TokenCacheTTL
	}
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Auth{tokens: c.Tokens, publicReads: c.PublicReads, ttl: ttl, writes: newWriteLimiter(c.WriteLimit),
		logger: logger, now: time.Now, cache: map[[sha256.Size]byte]cachedToken{}}
}

// PublicReads reports whether reads are served without a token.
func (a *Auth) PublicReads() bool { return a == nil || a.publicReads }

// Principal returns the caller named by an Authorization header value ("Bearer <token>"),
// for every transport that carries one: HTTP headers here, and the websocket
// connection_init payload's "Authorization" (the change feed). Errors: kg.ErrUnauthenticated
// (wrapped, saying why: no token, not a bearer token, malformed, unknown or revoked);
// kg.ErrUnavailable or kg.ErrTimeout when the database cannot say. Answers are cached for
// TokenCacheTTL.
func (a *Auth) Principal(ctx context.Context, authorization string) (kg.Principal, error) {
	authorization = strings.TrimSpace(authorization)
	if authorization == "" {
		return kg.Principal{}, kg.ErrUnauthenticated
	}
	scheme, token, ok := strings.Cut(authorization, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return kg.Principal{}, fmt.Errorf("%w: the Authorization header must be \"Bearer <token>\"", kg.ErrUnauthenticated)
	}
	if a == nil || a.tokens == nil {
		return kg.Principal{}, fmt.Errorf("%w: this server has no API tokens", kg.ErrUnauthenticated)
	}
	key := sha256.Sum256([]byte(token))
	now := a.now()
	if a.ttl > 0 {
		a.mu.Lock()
		c, ok := a.cache[key]
		a.mu.Unlock()
		if ok && now.Before(c.until) {
			return c.p, c.err
		}
	}
	p, err := a.tokens.Authenticate(ctx, token)
	if a.ttl > 0 && (err == nil || errors.Is(err, kg.ErrUnauthenticated)) {
		a.mu.Lock()
		if len(a.cache) >= maxCachedTokens {
			for k, c := range a.cache {
				if !now.Before(c.until) || len(a.cache) >= maxCachedTokens {
					delete(a.cache, k)
				}
			}
		}
		a.cache[key] = cachedToken{p: p, err: err, until: now.Add(a.ttl)}
		a.mu.Unlock()
	}
	return p, err
}

// Context applies the read rule to an Authorization value: it returns ctx carrying the
// caller's principal when a valid token came, ctx unchanged for an anonymous caller when
// reads are public, and Principal's error otherwise (a bad token is an error even when
// reads are public). The change feed's SSE route and websocket InitFunc use it.
func (a *Auth) Context(ctx context.Context, authorization string) (context.Context, error) {
	if strings.TrimSpace(authorization) == "" && a.PublicReads() {
		return ctx, nil
	}
	p, err := a.Principal(ctx, authorization)
	if err != nil {
		return ctx, err
	}
	return kg.WithPrincipal(ctx, p), nil
}

// graphQL guards /graphql (inside the body limit, so a POST body is already read and
// bounded): the token check, the read rule, and the per-token write limit of mutations.
// Websocket upgrades without a header pass: their token comes in connection_init.
func (a *Auth) graphQL(maxTokens int, next http.Handler) http.Handler {
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		if authz == "" && r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, err := a.Context(r.Context(), authz)
		if err != nil {
			a.refuse(w, r, true, err)
			return
		}
		if p, ok := kg.PrincipalFrom(ctx); ok && r.Method == http.MethodPost && a.writes != nil {
			if n := mutationFields(r, maxTokens); n > 0 {
				if ok, wait := a.writes.take(p.Name, float64(n)); !ok {
					w.Header().Set("Retry-After", retryAfter(wait.Seconds()))
					writeGraphQLError(w, r, http.StatusTooManyRequests, graph.CodeRateLimited,
						fmt.Sprintf("write rate limit of token %q exceeded; retry in %s s (WRITE_RATE_LIMIT, docs/curation.md)", p.Name, retryAfter(wait.Seconds())))
					return
				}
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// reads guards the read-only routes (/export, /explore): with PUBLIC_READS=false they need
// a valid token of any role; a bad token is refused whatever the setting.
func (a *Auth) reads(next http.Handler) http.Handler {
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r) // CORS preflights carry no credentials
			return
		}
		ctx, err := a.Context(r.Context(), r.Header.Get("Authorization"))
		if err != nil {
			a.refuse(w, r, false, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// refuse answers a request whose credentials could not be accepted: 401 with
// WWW-Authenticate (RFC 6750) when they are missing or bad, 503 or 504 when the database
// could not say.
func (a *Auth) refuse(w http.ResponseWriter, r *http.Request, graphQL bool, err error) {
	code, msg, masked := graph.Describe(err)
	status := http.StatusInternalServerError
	switch code {
	case graph.CodeUnauthenticated:
		status = http.StatusUnauthorized
		challenge := `Bearer realm="policygraph"`
		if r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
		} else if !a.PublicReads() {
			msg = "a valid API token is required: reads are not public on this server (Authorization: Bearer <token>)"
		}
		w.Header().Set("WWW-Authenticate", challenge)
	case graph.CodeServiceUnavailable:
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	case graph.CodeTimeout:
		status = http.StatusGatewayTimeout
	}
	if masked {
		a.logger.WarnContext(r.Context(), "token check failed", "code", code, "path", r.URL.Path, "err", err)
	}
	if !graphQL {
		writeError(w, status, code, msg)
		return
	}
	writeGraphQLError(w, r, status, code, msg)
}

// writeGraphQLError answers with one GraphQL error and no data, in the media type the client
// accepts (graph's transports choose the same way).
func writeGraphQLError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	media := mediaGraphQLResponse
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if mt == "*/*" || mt == "application/*" || mt == mediaJSON || mt == mediaGraphQLResponse {
			if mt != mediaGraphQLResponse {
				media = mediaJSON
			}
			break
		}
	}
	if r.Header.Get("Accept") == "" {
		media = mediaJSON
	}
	w.Header().Set("Content-Type", media)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{
		map[string]any{"message": msg, "extensions": map[string]string{"code": code}}}})
}

// mutationFields counts the root fields of the operation a POST body selects when it is a
// mutation (fragments at the root expanded): what the request would write. 0 for queries,
// and for a body or document the executor will refuse anyway (it then answers the error,
// and nothing runs). The body was read by bounded: it is in memory, and put back.
func mutationFields(r *http.Request, maxTokens int) int {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return 0
	}
	var params struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(body, &params) != nil || !strings.Contains(params.Query, "mutation") {
		return 0 // no operation of this document can be a mutation
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, maxTokens)
	if err != nil {
		return 0
	}
	var op *ast.OperationDefinition
	switch {
	case params.OperationName != "":
		op = doc.Operations.ForName(params.OperationName)
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	}
	if op == nil || op.Operation != ast.Mutation {
		return 0
	}
	seen := map[string]bool{}
	var count func(ast.SelectionSet) int
	count = func(set ast.SelectionSet) int {
		n := 0
		for _, s := range set {
			switch s := s.(type) {
			case *ast.Field:
				n++
			case *ast.InlineFragment:
				n += count(s.SelectionSet)
			case *ast.FragmentSpread:
				if f := doc.Fragments.ForName(s.Name); f != nil && !seen[s.Name] {
					seen[s.Name] = true
					n += count(f.SelectionSet)
				}
			}
		}
		return n
	}
	return max(count(op.SelectionSet), 1)
}

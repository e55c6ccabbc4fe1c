package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/trace"

	"github.com/policygraph/policygraph/kg"
)

// Error codes in extensions.code: the one table from kg's sentinels to the API.
const (
	CodeBadUserInput       = "BAD_USER_INPUT"
	CodeNotFound           = "NOT_FOUND"
	CodeServiceUnavailable = "SERVICE_UNAVAILABLE"
	CodeTimeout            = "TIMEOUT"
	CodeInternal           = "INTERNAL_SERVER_ERROR"
	CodeLimit              = "QUERY_TOO_COMPLEX"
	CodeResponseTooLarge   = "RESPONSE_TOO_LARGE" // the answer would exceed Limits.MaxResponseBytes
	CodeBadRequest         = "BAD_REQUEST"        // the HTTP request is not a readable GraphQL request
	CodeRateLimited        = "RATE_LIMITED"       // the client's rate limit is spent (HTTP 429, Retry-After)
	CodeUnauthenticated    = "UNAUTHENTICATED"    // a write (or a read when PUBLIC_READS=false) without a valid token (HTTP 401)
	CodeForbidden          = "FORBIDDEN"          // the token's role is too low (HTTP 403)
	CodeConflict           = "CONFLICT"           // stale expectedVersion, or a revert over later revisions (extensions.currentVersion)
)

var codes = []struct {
	err     error
	code    string
	message string // shown instead of the error text; "" shows the (safe) error text
}{
	{kg.ErrInvalid, CodeBadUserInput, ""},
	{kg.ErrNotFound, CodeNotFound, ""},
	{kg.ErrUnauthenticated, CodeUnauthenticated, ""},
	{kg.ErrForbidden, CodeForbidden, ""},
	{kg.ErrConflict, CodeConflict, ""},
	{kg.ErrUnavailable, CodeServiceUnavailable, "the database is unavailable; try again shortly"},
	{kg.ErrTimeout, CodeTimeout, "the query took too long and was stopped; narrow it (fewer hops, smaller pages)"},
	// The request's deadline passing outside the store (waiting for a batch, for admission):
	// a timeout too, not an internal error.
	{context.DeadlineExceeded, CodeTimeout, "the query took too long and was stopped; narrow it (fewer hops, smaller pages)"},
}

// errorPresenter maps resolver errors to safe messages and codes. Parse and validation errors
// from gqlgen pass through (they describe the client's query); anything unknown is logged once
// here and shown as "internal error" with no internal text.
func errorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var ge *gqlerror.Error
		if errors.As(err, &ge) && ge.Err == nil {
			return gerr // a GraphQL error built on purpose (parse, validation, limits)
		}
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		code, msg, masked := Describe(err)
		// gqlgen hands resolver errors over wrapped in a *gqlerror.Error, the same value as
		// gerr: log the resolver's own error, not the masked message set below.
		cause := err
		if ge != nil && ge.Err != nil {
			cause = ge.Err
		}
		gerr.Message, gerr.Extensions["code"] = msg, code
		var ce *kg.ConflictError
		if errors.As(cause, &ce) && (ce.Reason == "" || ce.CurrentVersion > 0) {
			gerr.Extensions["currentVersion"] = ce.CurrentVersion // what to read again before retrying (0: the record is gone)
		}
		switch {
		case code == CodeInternal:
			logger.ErrorContext(ctx, "internal error", logAttrs(ctx, code, gerr, cause)...)
		case masked:
			logger.WarnContext(ctx, "query failed", logAttrs(ctx, code, gerr, cause)...)
		}
		return gerr
	}
}

// logAttrs are the fields of a masked error's log line: the code the client saw, the field
// path, the real cause (with the Neo4j status code when there is one), the operation name,
// the request id and the trace id. Never the query text or variables.
func logAttrs(ctx context.Context, code string, gerr *gqlerror.Error, err error) []any {
	attrs := []any{"code", code, "path", gerr.Path.String(), "err", err}
	var coded interface{ Neo4jCode() string }
	if errors.As(err, &coded) {
		attrs = append(attrs, "neo4j_code", coded.Neo4jCode())
	}
	return append(attrs, requestAttrs(ctx)...)
}

// requestAttrs name the request and the operation a log line belongs to.
func requestAttrs(ctx context.Context) []any {
	var attrs []any
	if name, _ := operationOf(ctx); name != "" {
		attrs = append(attrs, "operation", name[:min(len(name), 100)])
	} else if graphql.HasOperationContext(ctx) {
		attrs = append(attrs, "operation", "anonymous")
	}
	if ri := RequestInfoFrom(ctx); ri != nil {
		attrs = append(attrs, "request_id", ri.ID)
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		attrs = append(attrs, "trace_id", sc.TraceID().String())
	}
	return attrs
}

// Describe maps an error to its code and the message a client may see: the one table used by
// GraphQL answers and by every other route. masked says the message replaces the error's
// own text (which the caller should log, never show).
func Describe(err error) (code, message string, masked bool) {
	var ie *kg.InvalidError
	if errors.As(err, &ie) {
		return CodeBadUserInput, ie.Error(), false
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			if c.message != "" {
				return c.code, c.message, true
			}
			return c.code, err.Error(), false
		}
	}
	if errors.Is(err, context.Canceled) {
		return CodeTimeout, "request canceled", true
	}
	return CodeInternal, "internal error", true
}

// recoverFunc turns a resolver panic into a masked internal error, logged once.
func recoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "resolver panic", append([]any{"panic", fmt.Sprint(p)}, requestAttrs(ctx)...)...)
		return errors.New("panic in resolver") // unknown to the presenter: shown as "internal error"
	}
}

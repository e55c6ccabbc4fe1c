package graph

import (
	"context"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// TracerName names the tracer of the GraphQL layer's spans.
const TracerName = "github.com/policygraph/policygraph/graph"

// RequestInfo is what one HTTP request's log line, metrics and the error presenter share: the
// request id (set by httpapi before the request reaches the executor) and what the GraphQL
// layer learns about it (operation name, outcome code, which limit refused it).
type RequestInfo struct {
	ID string // request id: the client's X-Request-Id when it is a short token, else generated

	mu        sync.Mutex
	graphql   bool
	operation string // "" for an anonymous operation
	code      string // "OK" or the first error's extensions.code
	rejected  string // "", or the limit that refused the operation: cost, depth, aliases, root_fields, tokens
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying ri.
func WithRequestInfo(ctx context.Context, ri *RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

// RequestInfoFrom returns the RequestInfo of ctx, or nil.
func RequestInfoFrom(ctx context.Context) *RequestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(*RequestInfo)
	return ri
}

// GraphQL reports what the executor recorded: whether a GraphQL response was produced, the
// operation name ("" when anonymous or unparsed), the outcome code ("OK" or the first error's
// code) and the limit that rejected the operation ("" when none).
func (ri *RequestInfo) GraphQL() (ok bool, operation, code, rejected string) {
	if ri == nil {
		return false, "", "", ""
	}
	ri.mu.Lock()
	defer ri.mu.Unlock()
	return ri.graphql, ri.operation, ri.code, ri.rejected
}

func (ri *RequestInfo) record(operation, code, rejected string) {
	if ri == nil {
		return
	}
	ri.mu.Lock()
	defer ri.mu.Unlock()
	ri.graphql, ri.operation, ri.code, ri.rejected = true, operation, code, rejected
}

// Observability is the executor extension behind metrics and traces: it records each
// response's operation name and outcome in the request's RequestInfo, names them on the
// request's span, and opens a span around every field whose resolver is not a plain struct
// field read (those are the ones that reach the store or the loaders). Spans carry names,
// paths and codes, never argument values or error text.
type Observability struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
	graphql.FieldInterceptor
} = Observability{}

func (Observability) ExtensionName() string                   { return "Observability" }
func (Observability) Validate(graphql.ExecutableSchema) error { return nil }

func (Observability) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return resp
	}
	name, opType := operationOf(ctx)
	code, rejected := "OK", ""
	if len(resp.Errors) > 0 {
		code, rejected = errorCode(resp.Errors[0]), rejection(resp.Errors[0])
	}
	RequestInfoFrom(ctx).record(name, code, rejected)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.String("graphql.operation.name", name), attribute.String("graphql.operation.type", opType),
			attribute.String("graphql.response.code", code))
	}
	return resp
}

// untracedResolvers compute from their parent object only (no store access): no span.
var untracedResolvers = map[string]bool{"name": true} // name(lang:) picks among the node's names

func (Observability) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver || untracedResolvers[fc.Field.Name] || !trace.SpanContextFromContext(ctx).IsSampled() {
		return next(ctx)
	}
	ctx, span := otel.GetTracerProvider().Tracer(TracerName).Start(ctx, fc.Object+"."+fc.Field.Name,
		trace.WithAttributes(
			attribute.String("graphql.field.parent_type", fc.Object),
			attribute.String("graphql.field.name", fc.Field.Name),
			attribute.String("graphql.field.path", fc.Path().String())))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		code, _, _ := Describe(err)
		span.SetAttributes(attribute.String("graphql.error.code", code))
		span.SetStatus(otelcodes.Error, code)
	}
	return res, err
}

// operationOf returns the operation's name ("" when anonymous or not parsed) and type.
func operationOf(ctx context.Context) (name, opType string) {
	if !graphql.HasOperationContext(ctx) {
		return "", ""
	}
	oc := graphql.GetOperationContext(ctx)
	if oc == nil {
		return "", ""
	}
	if oc.Operation != nil {
		return oc.Operation.Name, string(oc.Operation.Operation)
	}
	return oc.OperationName, ""
}

func errorCode(e *gqlerror.Error) string {
	if c, ok := e.Extensions["code"].(string); ok && c != "" {
		return c
	}
	return CodeInternal
}

// rejection says which limit refused an operation before execution ("" when none).
func rejection(e *gqlerror.Error) string {
	if r, ok := e.Extensions["limit"].(string); ok && r != "" {
		return r
	}
	msg := e.Message
	switch errorCode(e) {
	case "COMPLEXITY_LIMIT_EXCEEDED":
		return "cost"
	case CodeLimit:
		switch {
		case strings.Contains(msg, "deep"):
			return "depth"
		case strings.Contains(msg, "alias"):
			return "aliases"
		case strings.Contains(msg, "root field"):
			return "root_fields"
		case strings.Contains(msg, "token"):
			return "tokens"
		case strings.Contains(msg, "directive"):
			return "directives"
		}
		return "cost"
	}
	if strings.Contains(msg, "token limit") {
		return "tokens"
	}
	return ""
}

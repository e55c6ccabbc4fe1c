package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/policygraph/policygraph/graph"
)

// Tracing exporters (OTEL_TRACES_EXPORTER).
const (
	TracesNone    = "none"
	TracesOTLP    = "otlp"    // OTLP over HTTP/protobuf to OTEL_EXPORTER_OTLP_ENDPOINT
	TracesConsole = "console" // pretty JSON spans on the console writer (local debugging)
)

// TracerName names the tracer of the HTTP and store spans.
const TracerName = "github.com/policygraph/policygraph/httpapi"

// TracingConfig says where spans go.
type TracingConfig struct {
	Exporter       string    // TracesNone, TracesOTLP or TracesConsole
	Console        io.Writer // TracesConsole's output (stdout)
	ServiceVersion string
	Logger         *slog.Logger // export failures are logged here
}

// SetupTracing installs the global tracer provider and the W3C trace-context and baggage
// propagators, and returns the function that flushes and stops the exporter. With
// TracesNone it installs nothing. The OTLP exporter and the SDK read the standard variables
// themselves: OTEL_EXPORTER_OTLP_ENDPOINT (and _TRACES_ENDPOINT, _HEADERS, _TIMEOUT,
// _COMPRESSION, _CERTIFICATE), OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
// OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*.
func SetupTracing(ctx context.Context, c TracingConfig) (shutdown func(context.Context) error, err error) {
	nothing := func(context.Context) error { return nil }
	var exp sdktrace.SpanExporter
	switch c.Exporter {
	case "", TracesNone:
		return nothing, nil
	case TracesOTLP:
		exp, err = otlptracehttp.New(ctx)
	case TracesConsole:
		w := c.Console
		if w == nil {
			w = io.Discard
		}
		exp, err = stdouttrace.New(stdouttrace.WithWriter(w), stdouttrace.WithPrettyPrint())
	default:
		return nothing, fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not otlp, console or none", c.Exporter)
	}
	if err != nil {
		return nothing, fmt.Errorf("OTEL_TRACES_EXPORTER=%s: %w", c.Exporter, err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "policygraph"), attribute.String("service.version", c.ServiceVersion)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES override
		resource.WithTelemetrySDK())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nothing, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	var opts []sdktrace.TracerProviderOption
	if c.Exporter == TracesConsole {
		opts = append(opts, sdktrace.WithSyncer(exp)) // print each span as it ends
	} else {
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(append(opts, sdktrace.WithResource(res))...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if c.Logger != nil {
		logger := c.Logger
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { logger.Warn("opentelemetry", "err", err) }))
	}
	return tp.Shutdown, nil
}

// traced wraps h in a server span per request (otelhttp), continuing the caller's trace when
// the request has a W3C traceparent header. Health checks and /metrics are not traced. The
// span is named after the route, never the URL's query (which holds GraphQL variables).
func traced(on bool, h http.Handler) http.Handler {
	if !on {
		return h
	}
	return otelhttp.NewHandler(h, "http.server",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + routeOf(r.URL.Path) }),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/livez", "/readyz", "/metrics":
				return false
			}
			return true
		}))
}

// StoreObserver returns the hook the store calls around each Cypher round trip
// (neo4jstore.Config.Observe): a client span named after the store operation, when the
// request is traced, and the query metrics of m (which may be nil). Spans carry
// db.system=neo4j, db.namespace and db.operation.name (the Store method, e.g. "Neighborhood"):
// never the Cypher text or a parameter value.
func StoreObserver(m *Metrics, database string) func(ctx context.Context, op string) (context.Context, func(error)) {
	return func(ctx context.Context, op string) (context.Context, func(error)) {
		start := time.Now()
		m.queryStarted()
		var span trace.Span
		if trace.SpanContextFromContext(ctx).IsSampled() { // a traced request (its span may have ended: gqlgen resolves children after their parent)
			ctx, span = otel.GetTracerProvider().Tracer(TracerName).Start(ctx, "neo4j "+op,
				trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(
					attribute.String("db.system", "neo4j"),
					attribute.String("db.system.name", "neo4j"),
					attribute.String("db.namespace", database),
					attribute.String("db.operation.name", op)))
		}
		return ctx, func(err error) {
			m.queryDone()
			m.ObserveQuery(op, time.Since(start), err)
			if span == nil {
				return
			}
			if err != nil {
				code, _, _ := graph.Describe(err)
				span.SetAttributes(attribute.String("error.type", code))
				var coded interface{ Neo4jCode() string }
				if errors.As(err, &coded) {
					span.SetAttributes(attribute.String("db.response.status_code", coded.Neo4jCode()))
				}
				span.SetStatus(otelcodes.Error, code)
			}
			span.End()
		}
	}
}

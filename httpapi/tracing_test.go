package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/neo4jstore"
)

// The caller's trace: W3C traceparent of a request made by a traced client.
const (
	callerTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID  = "00f067aa0ba902b7"
	traceparent   = "00-" + callerTraceID + "-" + callerSpanID + "-01"
)

// recordSpans installs an SDK tracer provider that keeps every span in memory, and the W3C
// propagator, for the rest of the test.
func recordSpans(t *testing.T) *tracetest.InMemoryExporter {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		otel.SetTracerProvider(noop.NewTracerProvider())
	})
	return exp
}

// tracedQuery posts a query with variables and the caller's traceparent.
func tracedQuery(t *testing.T, url, query string, vars map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Traceparent", traceparent)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || strings.Contains(string(b), `"errors"`) {
		t.Fatalf("query: %d %s", res.StatusCode, b)
	}
	return string(b)
}

func spanNamed(spans tracetest.SpanStubs, name string) *tracetest.SpanStub {
	for i := range spans {
		if spans[i].Name == name {
			return &spans[i]
		}
	}
	return nil
}

func attr(s *tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}

// checkRequestSpan checks the server span continues the caller's trace and names the
// operation, and returns it.
func checkRequestSpan(t *testing.T, spans tracetest.SpanStubs) *tracetest.SpanStub {
	t.Helper()
	req := spanNamed(spans, "POST /graphql")
	if req == nil {
		t.Fatalf("no request span among %v", names(spans))
	}
	if req.SpanKind != trace.SpanKindServer || req.SpanContext.TraceID().String() != callerTraceID ||
		req.Parent.SpanID().String() != callerSpanID || !req.Parent.IsRemote() {
		t.Errorf("request span does not continue the caller's trace: kind %v trace %s parent %s", req.SpanKind, req.SpanContext.TraceID(), req.Parent.SpanID())
	}
	if attr(req, "graphql.operation.name") != "Lookup" || attr(req, "graphql.operation.type") != "query" || attr(req, "http.response.status_code") != "200" {
		t.Errorf("request span attributes: %v", req.Attributes)
	}
	return req
}

// noParameterValues fails if a span's name, attribute or event holds one of the values.
func noParameterValues(t *testing.T, spans tracetest.SpanStubs, values ...string) {
	t.Helper()
	for _, s := range spans {
		texts := []string{s.Name}
		for _, a := range s.Attributes {
			texts = append(texts, a.Value.Emit())
		}
		for _, e := range s.Events {
			texts = append(texts, e.Name)
			for _, a := range e.Attributes {
				texts = append(texts, a.Value.Emit())
			}
		}
		for _, txt := range texts {
			for _, v := range values {
				if strings.Contains(txt, v) {
					t.Errorf("span %q holds the parameter value %q in %q", s.Name, v, txt)
				}
			}
		}
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// One traced GraphQL request (fake store): a server span continuing the caller's trace, and a
// child span for the resolver that reads the store; none holds a variable's value.
func TestTracingRequestAndResolverSpans(t *testing.T) {
	exp := recordSpans(t)
	srv, logs := newServer(t, httpapi.Config{Tracing: true})
	tracedQuery(t, srv.URL, `query Lookup($id: ID!) { node(id: $id) { id name } }`, map[string]any{"id": "org:a"})
	spans := exp.GetSpans()
	req := checkRequestSpan(t, spans)
	res := spanNamed(spans, "Query.node")
	if res == nil || res.Parent.SpanID() != req.SpanContext.SpanID() || res.SpanContext.TraceID().String() != callerTraceID ||
		attr(res, "graphql.field.path") != "node" {
		t.Fatalf("resolver span: %+v (spans %v)", res, names(spans))
	}
	if spanNamed(spans, "Organization.name") != nil || spanNamed(spans, "Organization.id") != nil {
		t.Errorf("plain fields got spans: %v", names(spans))
	}
	noParameterValues(t, spans, "org:a")
	// The request's log line carries the trace id.
	if l := logs.lines("request"); len(l) != 1 || l[0]["trace_id"] != callerTraceID {
		t.Errorf("request log line: %v", l)
	}
	// Health checks are not traced.
	exp.Reset()
	http.Get(srv.URL + "/livez")
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("/livez made %d spans", n)
	}
}

// Against the real Neo4j: the request span has the resolver span as a child, and that one the
// span of its Cypher query, named after the store method, with db.system=neo4j and no
// parameter value; a nested field read through a loader gets its own resolver and Cypher spans.
func TestTracingCypherSpans(t *testing.T) {
	shared := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, shared)
	exp := recordSpans(t)
	cfg := neo4jtest.Config(t)
	cfg.Observe = httpapi.StoreObserver(nil, cfg.Database)
	store, err := neo4jstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(context.Background())
	srv, _ := newServer(t, httpapi.Config{Store: store, Tracing: true})

	body := tracedQuery(t, srv.URL, `query Lookup($id: ID!, $first: Int) { node(id: $id) { id name relationships(first: $first, types: [PARTY_TO]) { edges { node { type } other { relationships(first: 1) { edges { node { type } } } } } } } }`,
		map[string]any{"id": "org:aclu", "first": 3})
	if !strings.Contains(body, "American Civil Liberties Union") {
		t.Fatalf("answer: %s", body)
	}
	spans := exp.GetSpans()
	req := checkRequestSpan(t, spans)
	res := spanNamed(spans, "Query.node")
	cypher := spanNamed(spans, "neo4j NodeWith")
	if res == nil || cypher == nil {
		t.Fatalf("spans: %v", names(spans))
	}
	if res.Parent.SpanID() != req.SpanContext.SpanID() || cypher.Parent.SpanID() != res.SpanContext.SpanID() ||
		cypher.SpanContext.TraceID().String() != callerTraceID || cypher.SpanKind != trace.SpanKindClient {
		t.Errorf("Cypher span is not the resolver's child in the caller's trace: %+v", cypher)
	}
	if attr(cypher, "db.system") != "neo4j" || attr(cypher, "db.operation.name") != "NodeWith" || attr(cypher, "db.namespace") != cfg.Database {
		t.Errorf("Cypher span attributes: %v", cypher.Attributes)
	}
	rels := spanNamed(spans, "neo4j RelationshipsOf")
	if rels == nil || rels.SpanContext.TraceID().String() != callerTraceID {
		t.Errorf("the nested relationships' query has no span in the trace: %v", names(spans))
	}
	noParameterValues(t, spans, "org:aclu", "aclu", "PARTY_TO", "MATCH", "$id")
	t.Logf("spans: %v", names(spans))
}

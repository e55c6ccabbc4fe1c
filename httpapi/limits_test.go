package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/kg"
)

// textStore is a fake whose every node carries the same (large) description.
type textStore struct {
	graph.Store
	description string
}

func (s textStore) Node(_ context.Context, id string) (*kg.Node, error) {
	return &kg.Node{ID: id, Type: "Organization", Name: "N", Description: s.description}, nil
}

// Hole 5: a body over the limit sent chunked (no Content-Length) was read by gqlgen, which
// answered 200 "could not read request body". Every over-size body gets 413.
func TestChunkedBodyOverTheLimitIs413(t *testing.T) {
	srv := httptest.NewServer(httpapi.GraphQL(textStore{}, slog.New(slog.DiscardHandler), graph.Limits{}))
	defer srv.Close()
	post := func(body string) (int, string) {
		t.Helper()
		// A reader of unknown length: the client sends it chunked.
		req, _ := http.NewRequest(http.MethodPost, srv.URL, io.MultiReader(strings.NewReader(body)))
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := post(`{"query":"{ __typename }","x":"` + strings.Repeat("a", 2<<20) + `"}`); code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB chunked body: HTTP %d %.200s", code, body)
	}
	// Just over the limit, still 413; a chunked body within it is answered.
	if code, body := post(`{"query":"{ __typename }","x":"` + strings.Repeat("a", 1<<20) + `"}`); code != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB + 36 bytes chunked body: HTTP %d %.200s", code, body)
	}
	if code, body := post(`{"query":"{ __typename }"}`); code != http.StatusOK || body != `{"data":{"__typename":"Query"}}` {
		t.Errorf("small chunked body: HTTP %d %s", code, body)
	}
}

// Hole 4: a client that sends a query and never reads the answer held the handler (and the
// answer in memory) for as long as it kept the connection open. The answer now has a write
// deadline: the handler gives up and returns.
func TestSlowReaderDoesNotHoldTheHandler(t *testing.T) {
	// 20 x 2 MB: far more than the kernel's socket buffers take in.
	store := textStore{description: strings.Repeat("x", 2<<20)}
	limits := graph.Limits{RequestTimeout: time.Second, WriteTimeout: 2 * time.Second, MaxResponseBytes: 64 << 20}
	h := httpapi.GraphQL(store, slog.New(slog.DiscardHandler), limits)
	done := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		done <- struct{}{}
	}))
	defer srv.Close()

	var q strings.Builder
	q.WriteString("{ ")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&q, `d%d: node(id: \"org:%d\") { description } `, i, i)
	}
	q.WriteString("}")
	body := `{"query":"` + q.String() + `"}`
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
	}
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	// Never read. The handler must still return (after the write deadline).
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the handler is still writing to a client that does not read")
	}
}

func (s textStore) NodeWith(ctx context.Context, id string, _ kg.Omit, _ *kg.RelQuery) (*kg.Node, *kg.RelPage, error) {
	n, err := s.Node(ctx, id)
	return n, nil, err
}

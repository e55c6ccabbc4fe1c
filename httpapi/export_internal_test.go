package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/policygraph/policygraph/kg"
)

// fakeSource feeds a few nodes, then fails (a database dropping mid-stream), or fails at once.
type fakeSource struct {
	failBeforeBegin error
	failAfter       int
	gotDeadline     bool
}

func (f *fakeSource) Export(ctx context.Context, q kg.ExportQuery, parts kg.Parts, w kg.GraphWriter) error {
	_, f.gotDeadline = ctx.Deadline()
	if f.failBeforeBegin != nil {
		return f.failBeforeBegin
	}
	if err := w.Begin(kg.ExportInfo{Nodes: -1, Edges: -1}); err != nil {
		return err
	}
	for i := 0; i < f.failAfter; i++ {
		if err := w.Node(&kg.Node{ID: "org:n" + strings.Repeat("x", i), Type: kg.TypeOrganization, Name: "N"}); err != nil {
			return err
		}
	}
	return errors.New("neo4j: connection reset by peer at 10.0.0.7:7687")
}

// A failure after the first byte must not look like a complete file: the connection is cut,
// so the client's read fails; the cause is logged, never sent.
func TestExportCutMidStreamAbortsTheTransfer(t *testing.T) {
	logs := &bytes.Buffer{}
	src := &fakeSource{failAfter: 2000}
	srv := httptest.NewServer(exportHandlerMux(src, logs))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/export/graphology.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("HTTP %d", res.StatusCode)
	}
	body, err := io.ReadAll(res.Body)
	if err == nil {
		t.Fatalf("the client read a complete-looking body of %d bytes ending %q", len(body), body[max(0, len(body)-40):])
	}
	if bytes.Contains(body, []byte("10.0.0.7")) {
		t.Error("the internal error leaked into the file")
	}
	if !strings.Contains(logs.String(), "export cut short") || !src.gotDeadline {
		t.Errorf("cause not logged or no deadline given: %s", logs)
	}
}

// A failure before the first byte is a clean, masked error with a status that tells the truth.
func TestExportFailsBeforeFirstByte(t *testing.T) {
	cases := []struct {
		err    error
		status int
		want   string
	}{
		{kg.ErrUnavailable, 503, "the database is unavailable"},
		{kg.ErrTimeout, 504, "took too long"},
		{errors.New("Neo.ClientError.Statement.SyntaxError at 10.0.0.7"), 500, "internal error"},
	}
	for _, c := range cases {
		logs := &bytes.Buffer{}
		srv := httptest.NewServer(exportHandlerMux(&fakeSource{failBeforeBegin: c.err}, logs))
		res, err := http.Get(srv.URL + "/export/gexf")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		srv.Close()
		if res.StatusCode != c.status || !strings.Contains(string(body), c.want) || strings.Contains(string(body), "10.0.0.7") {
			t.Errorf("%v: HTTP %d %s", c.err, res.StatusCode, body)
		}
		if !strings.Contains(logs.String(), "export failed") {
			t.Errorf("%v: cause not logged", c.err)
		}
	}
}

func exportHandlerMux(src *fakeSource, logs *bytes.Buffer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/export/{format}", exportHandler(src, slog.New(slog.NewJSONHandler(logs, nil)), time.Minute))
	return mux
}

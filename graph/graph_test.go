package graph_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/neo4jstore"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// env is one real handler over the real test Neo4j holding the bundled dataset.
type env struct {
	t     *testing.T
	store *neo4jstore.Store
	srv   *httptest.Server
	logs  *bytes.Buffer
}

var loaded *env

// setup loads the bundled dataset once per test binary; tests here only read.
func setup(t *testing.T) *env {
	t.Helper()
	if loaded != nil {
		loaded.t = t
		return loaded
	}
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	loaded = &env{t: t, store: s, srv: httptest.NewServer(httpapi.GraphQL(s, logger, graph.Limits{})), logs: logs}
	return loaded
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// post sends a query through the real HTTP handler and decodes the response.
func (e *env) post(query string, vars map[string]any) (gqlResponse, int) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := http.Post(e.srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("response is not JSON (%d): %s", res.StatusCode, raw)
	}
	return out, res.StatusCode
}

// data runs a query that must succeed and returns its data.
func (e *env) data(query string, vars map[string]any) json.RawMessage {
	e.t.Helper()
	res, _ := e.post(query, vars)
	if len(res.Errors) > 0 {
		e.t.Fatalf("query failed: %+v", res.Errors)
	}
	return res.Data
}

// errorOf runs a query that must fail and returns its first error message and code.
func (e *env) errorOf(query string, vars map[string]any) (string, string) {
	e.t.Helper()
	res, _ := e.post(query, vars)
	if len(res.Errors) == 0 {
		e.t.Fatalf("query succeeded, want an error: %s", res.Data)
	}
	code, _ := res.Errors[0].Extensions["code"].(string)
	return res.Errors[0].Message, code
}

// golden compares data with testdata/golden/NAME.json (rewritten with -update).
func golden(t *testing.T, name string, data json.RawMessage) {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(v, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./graph -update` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file %s (run with -update if the change is intended):\n%s", name, path, diffHint(string(want), string(got)))
	}
}

func diffHint(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) && i < len(gl); i++ {
		if wl[i] != gl[i] {
			return "first difference at line " + itoa(i+1) + ":\n  want: " + wl[i] + "\n  got:  " + gl[i]
		}
	}
	return "lengths differ: want " + itoa(len(wl)) + " lines, got " + itoa(len(gl))
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// decode unmarshals data into v.
func decode(t *testing.T, data json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

// roundTrips returns how many Cypher queries fn made.
func (e *env) roundTrips(fn func()) int64 {
	before := e.store.QueryCount()
	fn()
	return e.store.QueryCount() - before
}

package neo4jstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
	"github.com/policygraph/policygraph/synth"
)

// A graph loaded by Neo4j's offline importer from CSVWriter's files, then finished, holds
// exactly what BulkImport stores for the same generated graph: the same nodes with the same
// labels and properties, the same relationships (type, id, ends, properties), every degree
// exact. The import runs on a private Neo4j started by the project's launcher.
func TestAdminImportReadsAsBulkImport(t *testing.T) {
	base := neo4jtest.Config(t) // skips without a test Neo4j (the launcher is built then)
	ctx := context.Background()
	cfg := synth.Config{Nodes: 2000, Seed: 5, BatchSize: 600}
	dir := t.TempDir()

	csvDir := filepath.Join(dir, "csv")
	w, err := neo4jstore.NewCSVWriter(csvDir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := synth.Generate(cfg, func(b synth.Batch) error { return w.Write(b.Nodes, b.Relationships) })
	if err != nil {
		t.Fatal(err)
	}
	imp, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if imp.Nodes != st.Nodes || imp.Relationships != st.Relationships {
		t.Fatalf("CSV holds %d nodes and %d relationships, generated %d and %d", imp.Nodes, imp.Relationships, st.Nodes, st.Relationships)
	}

	data := filepath.Join(dir, "neo4j")
	port := freePort(t)
	const password = "policygraph-import"
	script := func(args ...string) {
		t.Helper()
		cmd := exec.Command("bash", append([]string{filepath.Join("..", "scripts", "neo4j.sh")}, args...)...)
		cmd.Env = append(os.Environ(), "NEO4J_PID_FILE=", "NEO4J_PAGECACHE_MB=128", "NEO4J_HEAP=512m", "NEO4J_START_TIMEOUT=180")
		if os.Getenv("NEO4J_JAVA_OPTS") == "" {
			cmd.Env = append(cmd.Env, "NEO4J_JAVA_OPTS=-XX:TieredStopAtLevel=1")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scripts/neo4j.sh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	script("import", "--data", data, "--csv", csvDir)
	script("start", "--port", strconv.Itoa(port), "--data", data, "--password", password)
	t.Cleanup(func() { script("stop", "--data", data) })
	// While that Neo4j runs, the import refuses to replace its graph.
	cmd := exec.Command("bash", filepath.Join("..", "scripts", "neo4j.sh"), "import", "--data", data, "--csv", csvDir)
	cmd.Env = append(os.Environ(), "NEO4J_PID_FILE=") // its own pid file, in data
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "stop it first") {
		t.Errorf("import into a running Neo4j: %v\n%s; want a refusal", err, out)
	}

	icfg := neo4jstore.Config{URI: fmt.Sprintf("bolt://127.0.0.1:%d", port), User: "neo4j", Password: password,
		Database: "neo4j", QueryTimeout: 2 * time.Minute}
	imported, err := neo4jstore.Open(ctx, icfg)
	if err != nil {
		t.Fatal(err)
	}
	defer imported.Close(ctx)
	if _, err := imported.FinishAdminImport(ctx, imp); err != nil {
		t.Fatal(err)
	}
	checkGraph(t, imported, st)

	// The same graph through BulkImport, migrated again (the import's Migrate backfilled
	// versions; so does this one).
	s := neo4jtest.Store(t)
	load(t, s, neo4jstore.BulkOptions{Fresh: true})
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	got, want := dumpGraph(t, icfg), dumpGraph(t, base)
	if len(got) != len(want) {
		t.Fatalf("imported graph has %d nodes and relationships, BulkImport's %d", len(got), len(want))
	}
	diffs := 0
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			if diffs++; diffs <= 5 {
				t.Errorf("imported %s\n     bulk %s", got[i], want[i])
			}
		}
	}
	if diffs > 0 {
		t.Errorf("%d of %d nodes and relationships differ", diffs, len(want))
	}
}

// item is one node or relationship as a comparable text: kind, key, labels, sorted properties
// (createdAt and updatedAt only checked to be datetimes: they are the load's time).
type item string

func dumpGraph(t *testing.T, cfg neo4jstore.Config) []item {
	t.Helper()
	ctx := context.Background()
	d, err := neo4j.NewDriverWithContext(cfg.URI, neo4j.BasicAuth(cfg.User, cfg.Password, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	var out []item
	for _, q := range []string{
		`MATCH (n:Node) RETURN 'node ' + n.id AS key, labels(n) AS labels, properties(n) AS props ORDER BY key`,
		`MATCH (a)-[r]->(b) RETURN 'rel ' + type(r) + ' ' + r.id + ' ' + a.id + ' -> ' + b.id AS key, [] AS labels, properties(r) AS props ORDER BY key`,
	} {
		res, err := neo4j.ExecuteQuery(ctx, d, q, nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(cfg.Database))
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range res.Records {
			m := rec.AsMap()
			props, _ := m["props"].(map[string]any)
			var b strings.Builder
			b.WriteString(m["key"].(string))
			var labels []string // a set: the order Neo4j lists them in is not part of the graph
			for _, l := range m["labels"].([]any) {
				labels = append(labels, l.(string))
			}
			slices.Sort(labels)
			b.WriteString(" " + strings.Join(labels, ":"))
			keys := make([]string, 0, len(props))
			for k := range props {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				v := props[k]
				if k == "createdAt" || k == "updatedAt" {
					if _, ok := v.(time.Time); !ok {
						t.Errorf("%s: %s is a %T, want a datetime", m["key"], k, v)
					}
					continue
				}
				fmt.Fprintf(&b, " %s=%T:%#v", k, v, v)
			}
			out = append(out, item(b.String()))
		}
	}
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// What has no CSV form, or is not what its column holds, is refused with the property named.
func TestCSVWriterRefuses(t *testing.T) {
	w, err := neo4jstore.NewCSVWriter(filepath.Join(t.TempDir(), "csv"))
	if err != nil {
		t.Fatal(err)
	}
	ok := kg.Node{ID: "person:a", Type: kg.TypePerson, Name: "A", Citations: []kg.Citation{{SourceID: "source:s", Quote: "q", Locator: "p. 1"}}}
	if err := w.Write([]kg.Node{ok}, nil); err != nil {
		t.Fatalf("a plain node: %v", err)
	}
	for name, n := range map[string]kg.Node{
		"citationQuotes": {ID: "person:b", Type: kg.TypePerson, Name: "B", Citations: []kg.Citation{{SourceID: "source:s", Quote: "a\x1eb"}}},
		"aliases":        {ID: "person:c", Type: kg.TypePerson, Name: "C", Aliases: []string{"x\x1fy"}},
	} {
		err := w.Write([]kg.Node{n}, nil)
		var inv *kg.InvalidError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want an invalid-input error naming %s", n.ID, err, name)
		}
	}
	if err := w.Write([]kg.Node{{ID: "x:1", Type: "Planet", Name: "X"}}, nil); !errors.Is(err, kg.ErrInvalid) {
		t.Errorf("unknown node type: %v, want invalid input", err)
	}
	if _, err := neo4jstore.NewCSVWriter(filepath.Dir(filepath.Join(t.TempDir(), "x"))); err != nil {
		t.Errorf("an empty existing directory: %v", err)
	}
}

// BenchmarkCSVWriter measures writing a generated graph as CSV (no Neo4j): the Go side of an
// offline first load.
func BenchmarkCSVWriter(b *testing.B) {
	var batches []synth.Batch
	if _, err := synth.Generate(synth.Config{Nodes: 20000, Seed: 1, BatchSize: 5000}, func(x synth.Batch) error {
		batches = append(batches, x)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	rows := 0
	for _, x := range batches {
		rows += len(x.Nodes) + len(x.Relationships)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := neo4jstore.NewCSVWriter(filepath.Join(b.TempDir(), "csv"))
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range batches {
			if err := w.Write(x.Nodes, x.Relationships); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

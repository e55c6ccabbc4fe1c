package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Reader tests: every file is read back by the real tools, not by our own parser:
// tests/readers/read.py (networkx read_gexf and read_graphml, Python's csv module) and
// tests/readers/read.mjs (graphology-gexf, graphology-graphml, graphology's Graph.from,
// headless Cytoscape.js). Without python3 + networkx or node + tests/readers/node_modules the
// tests skip, except when CI or POLICYGRAPH_REQUIRE_NEO4J is set: there they fail, so CI can
// never pass by skipping. Install: `npm ci --prefix tests/readers` and `pip install networkx`.

// readResult is the JSON both scripts print.
type readResult struct {
	Tool           string              `json:"tool"`
	Nodes          int                 `json:"nodes"`
	Edges          int                 `json:"edges"`
	NodeIDs        []string            `json:"nodeIds"`
	EdgeIDs        []string            `json:"edgeIds"`
	EdgeQuotes     map[string][]string `json:"edgeQuotes"`
	NodeQuotes     map[string][]string `json:"nodeQuotes"`
	EdgeQuotesText map[string]string   `json:"edgeQuotesText"`
	NodeStart      map[string]string   `json:"nodeStart"`
	NodeEnd        map[string]string   `json:"nodeEnd"`
	EdgeStart      map[string]string   `json:"edgeStart"`
	EdgeEnd        map[string]string   `json:"edgeEnd"`
	Meta           map[string]any      `json:"meta"`
}

func requireTool(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" || os.Getenv("POLICYGRAPH_REQUIRE_NEO4J") != "" {
		t.Fatalf("%s is missing but required here (CI or POLICYGRAPH_REQUIRE_NEO4J is set): %v", what, err)
	}
	t.Skipf("%s is missing (%v): skipping; set CI=1 to make this an error", what, err)
}

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func run(t *testing.T, name string, args ...string) readResult {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	var r readResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%s %s printed no JSON (%v):\n%s\nstderr: %s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return r
}

// checkRead compares what a tool read with the fixture.
func checkRead(t *testing.T, v variant, r readResult, g fixtureGraph, flat bool) {
	t.Helper()
	f := mustFormat(t, v.format)
	var wantNodes, wantEdges []string
	if f.Parts.Nodes {
		for _, n := range g.nodes {
			wantNodes = append(wantNodes, n.ID)
		}
	}
	if f.Parts.Edges {
		for _, e := range g.edges {
			wantEdges = append(wantEdges, e.ID)
		}
	}
	slices.Sort(wantNodes)
	slices.Sort(wantEdges)
	if r.Nodes != len(wantNodes) || r.Edges != len(wantEdges) {
		t.Errorf("%s read %d nodes and %d edges, want %d and %d", r.Tool, r.Nodes, r.Edges, len(wantNodes), len(wantEdges))
	}
	if !slices.Equal(r.NodeIDs, wantNodes) && len(wantNodes)+len(r.NodeIDs) > 0 {
		t.Errorf("%s node ids %q, want %q", r.Tool, r.NodeIDs, wantNodes)
	}
	if !slices.Equal(r.EdgeIDs, wantEdges) && len(wantEdges)+len(r.EdgeIDs) > 0 {
		t.Errorf("%s edge ids %q, want %q", r.Tool, r.EdgeIDs, wantEdges)
	}
	if f.Parts.Edges {
		for _, e := range g.edges {
			if got, want := r.EdgeQuotes[e.ID], wantQuotes(e.Citations); !slices.Equal(got, want) {
				t.Errorf("%s edge %s quotes from citations\n got %q\nwant %q", r.Tool, e.ID, got, want)
			}
		}
		if flat {
			text := r.EdgeQuotesText[trickyEdge]
			if !strings.Contains(text, trickyQuote+" — The New York Times") {
				t.Errorf("%s: quotes of %s %q lack the tricky quote", r.Tool, trickyEdge, text)
			}
		}
	}
	if f.Parts.Nodes {
		for _, n := range g.nodes {
			if got, want := r.NodeQuotes[n.ID], wantQuotes(n.Citations); !slices.Equal(got, want) {
				t.Errorf("%s node %s quotes %q, want %q", r.Tool, n.ID, got, want)
			}
		}
		// Day bounds: a policy from 2019-01-24 to 2022-08 (all formats but Flourish carry them).
		if v.dialect != DialectFlourish {
			if s, e := r.NodeStart["policy:mpp"], r.NodeEnd["policy:mpp"]; s != "2019-01-24" || e != "2022-08-31" {
				t.Errorf("%s: policy:mpp start/end %q/%q", r.Tool, s, e)
			}
		}
	}
	if f.Parts.Edges && v.dialect != DialectFlourish {
		if s, e := r.EdgeStart[trickyEdge], r.EdgeEnd[trickyEdge]; s != "2019-06-01" || e != "2019-06-07" {
			t.Errorf("%s: %s start/end %q/%q", r.Tool, trickyEdge, s, e)
		}
		if s := r.EdgeStart["rel:aclu-criticizes-amlo-2"]; s != "2020-03-01" {
			t.Errorf("%s: computed start %q", r.Tool, s)
		}
	}
}

func writeFixtureFile(t *testing.T, dir string, v variant, g fixtureGraph) string {
	t.Helper()
	return writeFile(t, dir, "fixture", v, g)
}

func writeFile(t *testing.T, dir, base string, v variant, g fixtureGraph) string {
	t.Helper()
	f := mustFormat(t, v.format)
	o := testOptions
	o.Dialect = v.dialect
	name := base + f.Ext
	if v.dialect != "" {
		name = base + "-" + v.dialect + f.Ext
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, encode(t, f, o, fullInfo, g), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// smallGraphs are the degenerate selections every reader must accept: nothing at all, and nodes
// without any edge.
func smallGraphs() map[string]fixtureGraph {
	return map[string]fixtureGraph{"empty": {}, "nodes-only": {nodes: fixture().nodes}}
}

// checkCounts compares what a tool read from a small graph with what was written.
func checkCounts(t *testing.T, v variant, r readResult, g fixtureGraph) {
	t.Helper()
	wantNodes := 0
	if mustFormat(t, v.format).Parts.Nodes {
		wantNodes = len(g.nodes)
	}
	if r.Nodes != wantNodes || r.Edges != 0 {
		t.Errorf("%s read %d nodes and %d edges, want %d and 0", r.Tool, r.Nodes, r.Edges, wantNodes)
	}
}

func TestPythonReaders(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err == nil {
		// The interpreter itself (not a version manager's shim): 30 runs start faster.
		var out []byte
		out, err = exec.Command(python, "-c", "import sys, networkx; print(sys.executable)").Output()
		if err != nil {
			err = errors.New("python3 cannot import networkx: " + err.Error())
		} else if exe := strings.TrimSpace(string(out)); exe != "" {
			python = exe
		}
	}
	requireTool(t, "python3 with networkx", err)
	script := filepath.Join(repoRoot(t), "tests", "readers", "read.py")
	g, dir := fixture(), t.TempDir()
	for _, v := range variants() {
		if v.format != "gexf" && v.format != "graphml" && !strings.HasSuffix(v.format, ".csv") {
			continue
		}
		t.Run(v.String(), func(t *testing.T) {
			t.Parallel()
			path := writeFixtureFile(t, dir, v, g)
			args := []string{script, v.format, path}
			if v.dialect != "" {
				args = append(args, v.dialect)
			}
			r := run(t, python, args...)
			checkRead(t, v, r, g, true)
			switch v.format {
			case "gexf":
				if r.Meta["mode"] != "dynamic" {
					t.Errorf("networkx read mode %v, want dynamic", r.Meta["mode"])
				}
			case "graphml":
				if r.Meta["truncated"] != true || r.Meta["selection"] != testOptions.Selection {
					t.Errorf("networkx read graph data %v", r.Meta)
				}
			}
		})
		for name, sg := range smallGraphs() {
			t.Run(name+"/"+v.String(), func(t *testing.T) {
				t.Parallel()
				args := []string{script, v.format, writeFile(t, dir, name, v, sg)}
				if v.dialect != "" {
					args = append(args, v.dialect)
				}
				checkCounts(t, v, run(t, python, args...), sg)
			})
		}
	}
}

func TestNodeReaders(t *testing.T) {
	node, err := exec.LookPath("node")
	root := repoRoot(t)
	if err == nil {
		_, err = os.Stat(filepath.Join(root, "tests", "readers", "node_modules", "graphology-gexf", "package.json"))
	}
	requireTool(t, "node with tests/readers/node_modules (npm ci --prefix tests/readers)", err)
	script := filepath.Join(root, "tests", "readers", "read.mjs")
	g, dir := fixture(), t.TempDir()
	for _, name := range []string{"gexf", "graphml", "graphology.json", "cytoscape.json"} {
		v := variant{format: name}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := run(t, node, script, name, writeFixtureFile(t, dir, v, g))
			checkRead(t, v, r, g, !strings.HasSuffix(name, ".json"))
			if name == "gexf" {
				if d, _ := r.Meta["description"].(string); !strings.Contains(d, "truncated: a limit") {
					t.Errorf("graphology-gexf read meta %v", r.Meta)
				}
			} else if r.Meta["truncated"] != true {
				t.Errorf("%s read graph attributes %v, want truncated", r.Tool, r.Meta)
			}
		})
		for sname, sg := range smallGraphs() {
			t.Run(sname+"/"+name, func(t *testing.T) {
				t.Parallel()
				checkCounts(t, v, run(t, node, script, name, writeFile(t, dir, sname, v, sg)), sg)
			})
		}
	}
	// A broken file must fail: the reader is a real check, not a pass-through.
	bad := filepath.Join(dir, "bad.gexf")
	os.WriteFile(bad, []byte(`<gexf xmlns="http://gexf.net/1.3"><graph><nodes><node id="a"></nodes></graph></gexf>`), 0o644)
	if err := exec.Command(node, script, "gexf", bad).Run(); err == nil {
		t.Error("read.mjs accepted a malformed GEXF")
	}
}

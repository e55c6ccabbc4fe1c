package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/export"
	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
)

// The tricky quote: every character class a file format can mangle.
const trickyQuote = "Ella dijo: \"México 'vendió su alma'\", <b>sí</b> & más,\nen dos líneas; ünïcödé ✓"

// trickyData adds two actors joined by an edge whose citation is trickyQuote, and an
// unconnected Source (whole-graph exports must keep unconnected nodes).
const trickyData = `{"format":"policygraph/v1","nodes":[
 {"id":"source:export-test","type":"Source","name":"Fuente, \"prueba\" <&>","kind":"REPORT"},
 {"id":"org:export-test-a","type":"Organization","name":"Comisión A & B","kind":"NGO","country":"MX"},
 {"id":"org:export-test-b","type":"Organization","name":"Tribunal <B>","kind":"COURT","country":"MX"}],
 "relationships":[{"id":"rel:export-test","type":"OPPOSES","from":"org:export-test-a","to":"org:export-test-b","startDate":"2019-06",
   "citations":[{"source":"source:export-test","quote":` + "%q" + `},{"source":"source:export-test","quote":"second, plain quote"}]}]}`

type exportEnv struct {
	t    *testing.T
	srv  *httptest.Server
	root string
	logs *bytes.Buffer
}

func setupExport(t *testing.T) *exportEnv {
	t.Helper()
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	d, err := kg.DecodeDataset(strings.NewReader(strings.Replace(trickyData, "%q", mustJSON(trickyQuote), 1)))
	if err != nil {
		t.Fatal(err)
	}
	v, err := d.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Store: s, Logger: slog.New(slog.NewJSONHandler(logs, nil))}))
	t.Cleanup(srv.Close)
	root, _ := filepath.Abs("..")
	return &exportEnv{t: t, srv: srv, root: root, logs: logs}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// graphql runs a query that must succeed.
func (e *exportEnv) graphql(query string, out any) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	res, err := http.Post(e.srv.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
		e.t.Fatalf("graphql %s: %v %v", query, err, r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		e.t.Fatal(err)
	}
}

// download fetches an export into a file and returns its path and the response.
func (e *exportEnv) download(path string) (string, *http.Response) {
	e.t.Helper()
	res, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("%s: reading the body: %v", path, err)
	}
	if res.StatusCode != 200 {
		e.t.Fatalf("%s: HTTP %d %s", path, res.StatusCode, body)
	}
	f := filepath.Join(e.t.TempDir(), "export")
	if err := os.WriteFile(f, body, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return f, res
}

// readResult is what tests/readers/read.{py,mjs} print: what the real tool read.
type readResult struct {
	Nodes      int                 `json:"nodes"`
	Edges      int                 `json:"edges"`
	NodeIDs    []string            `json:"nodeIds"`
	EdgeIDs    []string            `json:"edgeIds"`
	EdgeQuotes map[string][]string `json:"edgeQuotes"`
}

// readers names, per format, the real tools that read it.
var readers = map[string][]string{
	"gexf":            {"python", "node"},
	"graphml":         {"python", "node"},
	"cytoscape.json":  {"node"},
	"graphology.json": {"node"},
	"nodes.csv":       {"python"},
	"edges.csv":       {"python"},
}

func requireTools(t *testing.T, root string) {
	t.Helper()
	var missing []string
	if exec.Command("python3", "-c", "import networkx").Run() != nil {
		missing = append(missing, "python3 with networkx (pip install networkx)")
	}
	if _, err := os.Stat(filepath.Join(root, "tests/readers/node_modules/graphology")); err != nil {
		missing = append(missing, "tests/readers/node_modules (npm ci --prefix tests/readers)")
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") != "" || os.Getenv("POLICYGRAPH_REQUIRE_NEO4J") != "" {
		t.Fatalf("the export readers cannot run: missing %s", strings.Join(missing, ", "))
	}
	t.Skipf("the export readers cannot run: missing %s", strings.Join(missing, ", "))
}

func (e *exportEnv) read(tool, format, file, dialect string) readResult {
	e.t.Helper()
	var cmd *exec.Cmd
	if tool == "python" {
		cmd = exec.Command("python3", filepath.Join(e.root, "tests/readers/read.py"), format, file)
	} else {
		cmd = exec.Command("node", filepath.Join(e.root, "tests/readers/read.mjs"), format, file)
	}
	if dialect != "" {
		cmd.Args = append(cmd.Args, dialect)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("%s could not read the %s export (%s): %v\n%s", tool, format, dialect, err, stderr.String())
	}
	var r readResult
	if err := json.Unmarshal(out, &r); err != nil {
		e.t.Fatalf("%s reader printed %s: %v", tool, out, err)
	}
	return r
}

type gqlNetwork struct {
	Nodes []struct{ ID string }
	Edges []struct {
		ID        string
		Citations []struct{ Quote string }
	}
	Truncated bool
}

func (n gqlNetwork) ids() (nodes, edges []string, quotes map[string][]string) {
	quotes = map[string][]string{}
	for _, x := range n.Nodes {
		nodes = append(nodes, x.ID)
	}
	for _, x := range n.Edges {
		edges = append(edges, x.ID)
		for _, c := range x.Citations {
			quotes[x.ID] = append(quotes[x.ID], c.Quote)
		}
	}
	return nodes, edges, quotes
}

const networkFields = `{ nodes { id } edges { id citations { quote } } truncated }`

// Each format, read by the real tools, holds exactly the nodes and edges the GraphQL API
// returns for the same selection, and every quote verbatim.
func TestExportsReadByRealTools(t *testing.T) {
	e := setupExport(t)
	requireTools(t, e.root)

	var nb struct{ Neighborhood gqlNetwork }
	e.graphql(`{ neighborhood(id: "org:aclu", depth: 2, limit: 500) `+networkFields+` }`, &nb)
	var nw struct{ Network gqlNetwork }
	e.graphql(`{ network(ids: ["org:export-test-a", "org:export-test-b", "org:aclu"], types: [OPPOSES, PARTY_TO]) `+networkFields+` }`, &nw)
	if len(nb.Neighborhood.Edges) < 10 || len(nw.Network.Edges) < 1 {
		t.Fatalf("the dataset is too small to test exports: %d / %d edges", len(nb.Neighborhood.Edges), len(nw.Network.Edges))
	}
	selections := []struct {
		name, query string
		want        gqlNetwork
	}{
		{"neighbourhood depth 2", "id=org:aclu&depth=2&limit=500", nb.Neighborhood},
		{"network of ids, types filter", "id=org:export-test-a&id=org:export-test-b,org:aclu&types=OPPOSES&types=PARTY_TO", nw.Network},
	}
	for _, sel := range selections {
		wantNodes, wantEdges, wantQuotes := sel.want.ids()
		for format, tools := range readers {
			dialects := []string{""}
			if strings.HasSuffix(format, ".csv") {
				dialects = []string{"", "kumu", "flourish"}
			}
			for _, dialect := range dialects {
				q := sel.query
				if dialect != "" {
					q += "&dialect=" + dialect
				}
				file, res := e.download("/export/" + format + "?" + q)
				if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="policygraph-`) {
					t.Errorf("%s %s: Content-Disposition %q", sel.name, format, cd)
				}
				if res.Header.Get("X-Truncated") != "false" {
					t.Errorf("%s %s: X-Truncated %q", sel.name, format, res.Header.Get("X-Truncated"))
				}
				for _, tool := range tools {
					got := e.read(tool, format, file, dialect)
					where := sel.name + " " + format + " " + dialect + " read by " + tool
					if format != "edges.csv" {
						sameSet(t, where+": nodes", got.NodeIDs, wantNodes)
						if got.Nodes != len(wantNodes) {
							t.Errorf("%s: %d nodes, GraphQL %d", where, got.Nodes, len(wantNodes))
						}
					}
					if format != "nodes.csv" {
						sameSet(t, where+": edges", got.EdgeIDs, wantEdges)
						if got.Edges != len(wantEdges) {
							t.Errorf("%s: %d edges, GraphQL %d", where, got.Edges, len(wantEdges))
						}
						for id, quotes := range wantQuotes {
							if !slices.Equal(got.EdgeQuotes[id], quotes) {
								t.Errorf("%s: edge %s quotes\n got %q\nwant %q", where, id, got.EdgeQuotes[id], quotes)
								break
							}
						}
					}
				}
			}
		}
	}
	// The tricky quote really is in the selection checked above, byte for byte.
	_, _, q := nw.Network.ids()
	if !slices.Contains(q["rel:export-test"], trickyQuote) {
		t.Fatalf("GraphQL lost the tricky quote: %q", q["rel:export-test"])
	}
}

// With no id the export is the whole graph: every node (unconnected Sources included) and
// every relationship, as counted by the GraphQL API.
func TestExportWholeGraph(t *testing.T) {
	e := setupExport(t)
	requireTools(t, e.root)
	// Every node through the API, page by page (the bundled dataset alone has 100).
	var ids []string
	degrees, after := 0, ""
	for {
		var page struct {
			Nodes struct {
				Edges []struct {
					Node struct {
						ID     string
						Degree int
					}
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		q := `{ nodes(first: 100, orderBy: ID) { edges { node { id degree } } pageInfo { hasNextPage endCursor } } }`
		if after != "" {
			q = `{ nodes(first: 100, orderBy: ID, after: "` + after + `") { edges { node { id degree } } pageInfo { hasNextPage endCursor } } }`
		}
		e.graphql(q, &page)
		for _, n := range page.Nodes.Edges {
			ids = append(ids, n.Node.ID)
			degrees += n.Node.Degree
		}
		if !page.Nodes.PageInfo.HasNextPage {
			break
		}
		after = page.Nodes.PageInfo.EndCursor
	}
	if !slices.Contains(ids, "source:export-test") {
		t.Fatal("fixture missing")
	}
	for _, format := range []string{"gexf", "graphml", "graphology.json", "cytoscape.json"} {
		file, res := e.download("/export/" + format)
		f, _ := export.Lookup(format)
		if res.Header.Get("Content-Disposition") != `attachment; filename="policygraph-graph`+f.Ext+`"` {
			t.Errorf("%s: Content-Disposition %q", format, res.Header.Get("Content-Disposition"))
		}
		got := e.read(readers[format][0], format, file, "")
		sameSet(t, format+" whole graph nodes", got.NodeIDs, ids)
		if 2*got.Edges != degrees {
			t.Errorf("%s whole graph: %d edges, GraphQL degrees sum to %d (= 2 x edges)", format, got.Edges, degrees)
		}
		if !slices.Contains(got.EdgeQuotes["rel:export-test"], trickyQuote) {
			t.Errorf("%s whole graph: tricky quote read back as %q", format, got.EdgeQuotes["rel:export-test"])
		}
	}
	// Filters apply to the whole graph too: only Organizations, only OPPOSES.
	file, _ := e.download("/export/graphml?nodeTypes=Organization&types=OPPOSES")
	got := e.read("python", "graphml", file, "")
	var orgs struct{ Organizations struct{ TotalCount int } }
	e.graphql(`{ organizations(first: 1) { totalCount } }`, &orgs)
	if got.Nodes != orgs.Organizations.TotalCount || got.Edges == 0 || got.Edges >= len(ids) {
		t.Errorf("filtered whole graph: %d nodes (want %d organizations), %d edges", got.Nodes, orgs.Organizations.TotalCount, got.Edges)
	}
}

// A cut selection says so, in a header and in the file's metadata.
func TestExportTruncated(t *testing.T) {
	e := setupExport(t)
	file, res := e.download("/export/graphology.json?id=org:aclu&depth=3&limit=5")
	if res.Header.Get("X-Truncated") != "true" {
		t.Errorf("X-Truncated %q", res.Header.Get("X-Truncated"))
	}
	var doc struct {
		Attributes map[string]any
		Nodes      []any
	}
	b, _ := os.ReadFile(file)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Attributes["truncated"] != true || len(doc.Nodes) != 5 {
		t.Errorf("truncated export: attributes %v, %d nodes", doc.Attributes, len(doc.Nodes))
	}
}

// Bad requests get a JSON error naming the parameter, and no file.
func TestExportBadRequests(t *testing.T) {
	e := setupExport(t)
	cases := []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/export/pdf", 404, `format \"pdf\" is not an export format`},
		{"GET", "/export/gexf?depth=9&id=org:aclu", 400, "argument depth: must be between 0 and 3, got 9"},
		{"GET", "/export/gexf?depth=two&id=org:aclu", 400, `argument depth: \"two\" is not a whole number`},
		{"GET", "/export/gexf?dept=2", 400, "argument dept: is not an export parameter"},
		{"GET", "/export/gexf?depth=1", 400, "argument depth: needs at least one id"},
		{"GET", "/export/gexf?limit=5", 400, "argument limit: needs at least one id"},
		{"GET", "/export/gexf?id=org:aclu&limit=0", 400, "argument limit: must be between 1 and 500"},
		{"GET", "/export/gexf?id=org:aclu&depth=1&limit=501", 400, "argument limit: must be between 1 and 500"},
		{"GET", "/export/gexf?id=ACLU", 400, `argument id: \"ACLU\" is not a node id`},
		{"GET", "/export/gexf?id=org:no-such-thing", 404, `no node has id \"org:no-such-thing\"`},
		{"GET", "/export/gexf?types=FRIENDS", 400, `argument types: \"FRIENDS\" is not a relationship type`},
		{"GET", "/export/gexf?nodeTypes=Planet", 400, `argument nodeTypes: \"Planet\" is not a node type`},
		{"GET", "/export/gexf?activeAt=2019-13", 400, "argument activeAt:"},
		{"GET", "/export/gexf?since=2020&until=2019", 400, "argument until:"},
		{"GET", "/export/gexf?dialect=kumu", 400, "argument dialect: the gexf format has no dialects"},
		{"GET", "/export/nodes.csv?dialect=excel", 400, `argument dialect: \"excel\" is not a dialect of nodes.csv`},
		{"GET", "/export/gexf?depth=1&depth=2&id=org:aclu", 400, "argument depth: is given 2 times"},
		{"POST", "/export/gexf", 405, "exports are read with GET"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, e.srv.URL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status || !strings.Contains(string(body), c.want) {
			t.Errorf("%s %s: HTTP %d %s; want %d with %q", c.method, c.path, res.StatusCode, body, c.status, c.want)
		}
		if res.Header.Get("Content-Disposition") != "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: an error must not look like a file: %v", c.method, c.path, res.Header)
		}
	}
	// The download name says what was selected.
	_, res := e.download("/export/edges.csv?id=org:aclu&depth=2&dialect=kumu")
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="policygraph-org-aclu-depth-2.edges.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/export/nodes.csv?id=org:aclu", nil)
	req.Header.Set("Origin", "https://newsroom.example")
	cres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cres.Body.Close()
	if cres.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(cres.Header.Get("Access-Control-Expose-Headers"), "Content-Disposition") {
		t.Errorf("exports must be readable by browser apps (CORS), with their file name: %v", cres.Header)
	}
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		var missing, extra []string
		for _, x := range w {
			if !slices.Contains(g, x) {
				missing = append(missing, x)
			}
		}
		for _, x := range g {
			if !slices.Contains(w, x) {
				extra = append(extra, x)
			}
		}
		t.Errorf("%s: %d ids, want %d; missing %v; extra %v", what, len(g), len(w), missing, extra)
	}
}

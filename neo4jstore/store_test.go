package neo4jstore_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

func TestMigrateTwiceGivesSameSchema(t *testing.T) {
	s := neo4jtest.Store(t)
	ctx := context.Background()
	before, err := s.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	after, err := s.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != len(after) {
		t.Fatalf("schema changed: %d items before, %d after", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("schema item %d changed: %+v -> %+v", i, before[i], after[i])
		}
	}
	// The constraints we rely on exist: node ids and one per relationship type.
	names := map[string]bool{}
	for _, it := range after {
		names[it.Name] = true
	}
	for _, want := range append([]string{"node_id_unique", "node_search", "node_quotes", "rel_quotes"}, relConstraintNames()...) {
		if !names[want] {
			t.Errorf("schema item %q missing after migration", want)
		}
	}
}

func relConstraintNames() []string {
	var out []string
	for _, r := range kg.RelTypes {
		out = append(out, "rel_"+strings.ToLower(r)+"_id")
	}
	return out
}

func importJSON(t *testing.T, s *neo4jstore.Store, doc string) error {
	t.Helper()
	d, err := kg.DecodeDataset(strings.NewReader(doc))
	if err != nil {
		return err
	}
	v, err := d.Validate()
	if err != nil {
		return err
	}
	_, err = s.Import(context.Background(), v)
	return err
}

func TestImportIsIdempotent(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	n1, r1, c1, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	neo4jtest.LoadBundled(t, s)
	n2, r2, c2, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(n1, n2) || !maps.Equal(r1, r2) || c1 != c2 {
		t.Fatalf("re-import changed counts:\nnodes %v -> %v\nrels %v -> %v\ncitations %d -> %d", n1, n2, r1, r2, c1, c2)
	}
	if n1[kg.TypeOrganization] == 0 || r1["PARTY_TO"] == 0 || c1 == 0 {
		t.Fatalf("bundled data looks empty: %v %v %d", n1, r1, c1)
	}
}

const validDoc = `{"format":"policygraph/v1","nodes":[
 {"id":"source:s","type":"Source","name":"S","kind":"ARTICLE"},
 {"id":"org:a","type":"Organization","name":"A","kind":"NGO"},
 {"id":"policy:p","type":"Policy","name":"P","kind":"REGULATION"}],
 "relationships":[{"type":"OPPOSES","from":"org:a","to":"policy:p","startDate":"2019-07",
   "citations":[{"source":"source:s","quote":"A opposes P."}]}]}`

// Each kind of malformed file is rejected whole, with an error naming the record and field,
// and nothing is written (the graph keeps exactly what it had).
func TestMalformedFilesWriteNothing(t *testing.T) {
	s := neo4jtest.Store(t)
	ctx := context.Background()
	if err := importJSON(t, s, validDoc); err != nil {
		t.Fatalf("valid file rejected: %v", err)
	}
	nodes0, rels0, _, _ := s.Counts(ctx)

	// Each case adds a new node (org:new) before the bad record, so a partial write would show.
	head := `{"format":"policygraph/v1","nodes":[{"id":"org:new","type":"Organization","name":"New","kind":"NGO"}],"relationships":[`
	cases := []struct {
		name, rel, wantIn string
	}{
		{"unknown relationship type", `{"type":"LOVES","from":"org:new","to":"policy:p","citations":[{"source":"source:s","quote":"q"}]}`,
			`relationships[0] (org:new LOVES policy:p): field "type": "LOVES" is not a relationship type`},
		{"dangling id", `{"type":"OPPOSES","from":"org:new","to":"policy:nowhere","citations":[{"source":"source:s","quote":"q"}]}`,
			`reference "policy:nowhere": field "relationships[0].to": refers to a node that is neither in the file nor in the graph`},
		{"dangling source", `{"type":"OPPOSES","from":"org:new","to":"policy:p","citations":[{"source":"source:missing","quote":"q"}]}`,
			`reference "source:missing": field "relationships[0].citations[0].source"`},
		{"missing citation", `{"type":"OPPOSES","from":"org:new","to":"policy:p","citations":[]}`,
			`field "citations": at least one citation`},
		{"empty quote", `{"type":"OPPOSES","from":"org:new","to":"policy:p","citations":[{"source":"source:s","quote":" "}]}`,
			`field "citations[0].quote": is empty`},
		{"bad date", `{"type":"OPPOSES","from":"org:new","to":"policy:p","startDate":"2019-13","citations":[{"source":"source:s","quote":"q"}]}`,
			`field "startDate": "2019-13" is not a partial date`},
		{"end before start", `{"type":"OPPOSES","from":"org:new","to":"policy:p","startDate":"2019-07","endDate":"2019-06","citations":[{"source":"source:s","quote":"q"}]}`,
			`field "endDate": "2019-06" is before startDate "2019-07"`},
		{"unknown field", `{"type":"OPPOSES","from":"org:new","to":"policy:p","sourceQuote":"x","citations":[{"source":"source:s","quote":"q"}]}`,
			`unknown field "sourceQuote"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := importJSON(t, s, head+c.rel+`]}`)
			if err == nil {
				t.Fatal("malformed file was accepted")
			}
			if !errors.Is(err, kg.ErrInvalid) {
				t.Errorf("error is not kg.ErrInvalid: %v", err)
			}
			if !strings.Contains(err.Error(), c.wantIn) {
				t.Errorf("error %q does not contain %q", err, c.wantIn)
			}
			nodes, rels, _, _ := s.Counts(ctx)
			if !maps.Equal(nodes, nodes0) || !maps.Equal(rels, rels0) {
				t.Errorf("something was written: nodes %v -> %v, rels %v -> %v", nodes0, nodes, rels0, rels)
			}
		})
	}
}

// A node may not change type through an import: the second file is rejected whole.
func TestImportRejectsTypeChange(t *testing.T) {
	s := neo4jtest.Store(t)
	if err := importJSON(t, s, validDoc); err != nil {
		t.Fatal(err)
	}
	err := importJSON(t, s, `{"format":"policygraph/v1","nodes":[{"id":"org:a","type":"Person","name":"A"}],"relationships":[]}`)
	if err == nil || !strings.Contains(err.Error(), `nodes[0] "org:a": field "id": "org:a" is not a valid Person id`) {
		t.Fatalf("want an id/type error, got %v", err)
	}
	if err := importJSON(t, s, `{"format":"policygraph/v1","nodes":[{"id":"person:a","type":"Person","name":"A"}],"relationships":[]}`); err != nil {
		t.Fatalf("a new node of another type was rejected: %v", err)
	}
}

func TestNodeNotFound(t *testing.T) {
	s := neo4jtest.Store(t)
	_, err := s.Node(context.Background(), "org:nobody")
	if !errors.Is(err, kg.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
}

func TestListPaginationVisitsEveryNodeOnce(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	for _, order := range kg.Orders {
		seen := map[string]bool{}
		after, total := "", -1
		for page := 0; ; page++ {
			p, err := s.ListNodes(ctx, kg.NodeQuery{Order: order, First: 7, After: after, WithTotal: true})
			if err != nil {
				t.Fatalf("%s page %d: %v", order, page, err)
			}
			total = p.Total
			for _, n := range p.Nodes {
				if seen[n.ID] {
					t.Fatalf("%s: %s returned twice", order, n.ID)
				}
				seen[n.ID] = true
			}
			if !p.HasNext {
				break
			}
			after = p.Cursors[len(p.Cursors)-1]
		}
		if len(seen) != total || total == 0 {
			t.Errorf("%s: visited %d nodes, total %d", order, len(seen), total)
		}
	}
}

// Names with languages and inference flags survive a write and a read; nameKey and degree are
// stored by the write and equal what a count gives (lists and rank read them from indexes).
func TestNamesInferenceAndStoredOrderKeys(t *testing.T) {
	s := neo4jtest.Store(t)
	ctx := context.Background()
	doc := `{"format":"policygraph/v1","nodes":[
 {"id":"source:s","type":"Source","name":"S","kind":"ARTICLE"},
 {"id":"policy:mpp","type":"Policy","name":"Migrant Protection Protocols","kind":"PROGRAM",
  "names":[{"value":"MPP","lang":"en","kind":"acronym"},
           {"value":"Quédate en México","lang":"es","kind":"translation","inferred":true,"inferredReason":"common Spanish name"}]},
 {"id":"org:a","type":"Organization","name":"Árbol","kind":"NGO","inferred":true,"inferredReason":"implied by the quote"}],
 "relationships":[{"type":"OPPOSES","from":"org:a","to":"policy:mpp","inferred":true,"inferredReason":"reading of tone",
   "citations":[{"source":"source:s","quote":"A opposes P."}]}]}`
	if err := importJSON(t, s, doc); err != nil {
		t.Fatal(err)
	}
	n, err := s.Node(ctx, "policy:mpp")
	if err != nil {
		t.Fatal(err)
	}
	want := []kg.Name{{Value: "MPP", Lang: "en", Kind: "acronym"},
		{Value: "Quédate en México", Lang: "es", Kind: "translation", Inferred: true, InferredReason: "common Spanish name"}}
	if len(n.Names) != len(want) || n.Names[0] != want[0] || n.Names[1] != want[1] {
		t.Fatalf("names = %+v, want %+v", n.Names, want)
	}
	a, err := s.Node(ctx, "org:a")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Inferred || a.InferredReason != "implied by the quote" || n.Inferred {
		t.Fatalf("inferred flags: org:a %v %q, policy:mpp %v", a.Inferred, a.InferredReason, n.Inferred)
	}
	rels, err := s.RelationshipsOf(ctx, []string{"org:a"}, kg.RelQuery{Direction: kg.Both, First: 10})
	if err != nil {
		t.Fatal(err)
	}
	if r := rels["org:a"].Relationships; len(r) != 1 || !r[0].Inferred || r[0].InferredReason != "reading of tone" {
		t.Fatalf("relationship inference flags not read back: %+v", r)
	}
	res, err := s.ReadForTest(ctx, `MATCH (n:Node) WHERE n.degree <> COUNT { (n)--() } OR n.nameKey <> toLower(n.name)
		OR n.degree IS NULL OR n.nameKey IS NULL RETURN collect(n.id)`)
	if err != nil {
		t.Fatal(err)
	}
	if bad := res[0].([]any); len(bad) != 0 {
		t.Fatalf("stored degree or nameKey wrong on %v", bad)
	}
}

// A network answer reads only what its projection asks for: with everything left out, no
// node carries a description or citations and no edge carries citations; with the zero
// projection (exports) they do.
func TestNetworkProjection(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	q := kg.NeighborhoodQuery{ID: "org:aclu", Depth: 1, Limit: 50, Filter: kg.EdgeFilter{Direction: kg.Both}}
	full, err := s.Neighborhood(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	q.Project = kg.Projection{Nodes: kg.OmitAll(), NoEdgeCitations: true}
	lean, err := s.Neighborhood(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Nodes) != len(lean.Nodes) || len(full.Edges) != len(lean.Edges) || len(full.Edges) == 0 {
		t.Fatalf("projection changed the answer's shape: %d/%d nodes, %d/%d edges", len(full.Nodes), len(lean.Nodes), len(full.Edges), len(lean.Edges))
	}
	described, cited := 0, 0
	for i, n := range lean.Nodes {
		if n.ID != full.Nodes[i].ID || n.Name != full.Nodes[i].Name {
			t.Errorf("node %d: %s %q, full answer has %s %q", i, n.ID, n.Name, full.Nodes[i].ID, full.Nodes[i].Name)
		}
		if n.Description != "" || len(n.Citations) > 0 || n.Kind != "" {
			t.Errorf("lean node %s read parts left out: %+v", n.ID, n)
		}
		if full.Nodes[i].Description != "" {
			described++
		}
	}
	for i, e := range lean.Edges {
		if len(e.Citations) > 0 {
			t.Errorf("lean edge %s read its citations", e.ID)
		}
		cited += len(full.Edges[i].Citations)
	}
	if described == 0 || cited == 0 {
		t.Errorf("the full answer should carry descriptions and citations: %d described, %d citations", described, cited)
	}
}

// The since/until filter of node lists keeps only dated nodes whose span overlaps the window:
// an undated node is excluded, as the API describes (it used to be returned).
func TestListWindowExcludesUndated(t *testing.T) {
	s := neo4jtest.Store(t)
	ctx := context.Background()
	doc := `{"format":"policygraph/v1","nodes":[
 {"id":"source:s","type":"Source","name":"S","kind":"ARTICLE"},
 {"id":"event:june","type":"Event","name":"June","kind":"OTHER","startDate":"2019-06-10"},
 {"id":"event:year","type":"Event","name":"Year","kind":"OTHER","startDate":"2019"},
 {"id":"event:later","type":"Event","name":"Later","kind":"OTHER","startDate":"2020-02"},
 {"id":"event:undated","type":"Event","name":"Undated","kind":"OTHER"}],
 "relationships":[]}`
	if err := importJSON(t, s, doc); err != nil {
		t.Fatal(err)
	}
	ids := func(q kg.NodeQuery) []string {
		t.Helper()
		q.Types, q.First = []string{kg.TypeEvent}, 100
		page, err := s.ListNodes(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range page.Nodes {
			if strings.HasPrefix(n.ID, "event:") && slices.Contains([]string{"event:june", "event:year", "event:later", "event:undated"}, n.ID) {
				out = append(out, n.ID)
			}
		}
		return out
	}
	if got := ids(kg.NodeQuery{Since: "2019-06", Until: "2019-06", Order: kg.OrderID}); !slices.Equal(got, []string{"event:june", "event:year"}) {
		t.Errorf("window 2019-06: got %v, want the June and the 2019 events only", got)
	}
	if got := ids(kg.NodeQuery{Since: "2020", Order: kg.OrderID}); !slices.Equal(got, []string{"event:later"}) {
		t.Errorf("since 2020: got %v", got)
	}
	if got := ids(kg.NodeQuery{Order: kg.OrderID}); len(got) != 4 {
		t.Errorf("no window: got %v, want all four", got)
	}
}

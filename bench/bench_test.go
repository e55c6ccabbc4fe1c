package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
	"github.com/policygraph/policygraph/synth"
)

// Configuration (docs/benchmarks.md):
//
//	POLICYGRAPH_TEST_NEO4J_URI   Neo4j to use (NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE); unset: skip
//	POLICYGRAPH_BENCH_NODES      graph size (10000)
//	POLICYGRAPH_BENCH_SEED       generator seed (1)
//	POLICYGRAPH_BENCH_RELOAD     1: empty the database and load again even if the graph is there
//	POLICYGRAPH_BENCH_TIMEOUT    per-query timeout (2m)
func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil && n > 0 {
			return n
		}
		panic(fmt.Sprintf("%s: %q is not a positive integer", name, v))
	}
	return def
}

type fixture struct {
	store     *neo4jstore.Store
	plan      *synth.Plan
	hubs      []string    // biggest first
	random    []string    // long-tail actors, policies, cases and events
	pairs     [][2]string // random pairs for paths
	rankTypes []string    // relationship types whose edges fit under kg.MaxRankEdges
	rankEdges int64
	relTotal  int64
	handler   http.Handler
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

// setup returns the shared fixture, loading the synthetic graph the first time if the
// database does not hold it. It skips the benchmark when no Neo4j is configured.
func setup(b *testing.B) *fixture {
	b.Helper()
	cfg := neo4jtest.Config(b) // skips without POLICYGRAPH_TEST_NEO4J_URI
	fixOnce.Do(func() { fix, fixErr = newFixture(b, cfg) })
	if fixErr != nil {
		b.Fatal(fixErr)
	}
	return fix
}

func newFixture(b *testing.B, cfg neo4jstore.Config) (*fixture, error) {
	// The lock `make test` packages take, so none of them can Reset the database mid-benchmark.
	if err := neo4jtest.Lock(cfg.URI); err != nil {
		return nil, err
	}
	timeout, err := time.ParseDuration(cmp(os.Getenv("POLICYGRAPH_BENCH_TIMEOUT"), "2m"))
	if err != nil {
		return nil, fmt.Errorf("POLICYGRAPH_BENCH_TIMEOUT: %v", err)
	}
	cfg.QueryTimeout = timeout
	ctx := context.Background()
	store, err := neo4jstore.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	plan, err := synth.NewPlan(synth.Config{Nodes: envInt("POLICYGRAPH_BENCH_NODES", 10000),
		Seed: uint64(envInt("POLICYGRAPH_BENCH_SEED", 1))})
	if err != nil {
		return nil, err
	}
	if err := ensureLoaded(b, ctx, store, plan); err != nil {
		return nil, err
	}
	f := &fixture{store: store, plan: plan, hubs: plan.Hubs(),
		random: plan.Sample(11, 200, kg.TypePerson, kg.TypeOrganization, kg.TypePolicy, kg.TypeLegalCase, kg.TypeEvent)}
	for i := 0; i+1 < len(f.random) && len(f.pairs) < 50; i += 2 {
		f.pairs = append(f.pairs, [2]string{f.random[i], f.random[i+1]})
	}
	counts, err := store.CountRelationships(ctx)
	if err != nil {
		return nil, err
	}
	f.rankTypes, f.rankEdges, f.relTotal = rankSubset(counts)
	f.handler = httpapi.GraphQL(store, slog.New(slog.NewTextHandler(io.Discard, nil)), graph.Limits{RequestTimeout: timeout})
	logf("graph: %d nodes, %d relationships; PageRank subgraph: %d edges of %v", plan.Len(), f.relTotal, f.rankEdges, f.rankTypes)
	return f, nil
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ensureLoaded (re)loads the synthetic graph unless the database holds exactly it: the
// generator's completion marker (emitted last) and the right node count. `make test` shares
// the database and empties it, so a later benchmark run loads again.
func ensureLoaded(b *testing.B, ctx context.Context, store *neo4jstore.Store, plan *synth.Plan) error {
	if os.Getenv("POLICYGRAPH_BENCH_RELOAD") != "1" {
		has, err := store.HasNode(ctx, plan.MarkerID())
		if err != nil {
			return err
		}
		n, err := store.CountNodes(ctx)
		if err != nil {
			return err
		}
		if has && n == int64(plan.Len()) {
			return nil
		}
	}
	t0 := time.Now()
	if err := store.DeleteAllBatched(ctx, 0); err != nil {
		return fmt.Errorf("empty the database: %w", err)
	}
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	t1 := time.Now()
	var created neo4jstore.BulkStats
	st, err := synth.Pipeline(ctx, plan.Config(), 2, func(batch synth.Batch) error {
		// The database was just emptied: CREATE, not MERGE (neo4jstore.BulkOptions.Fresh).
		c, err := store.BulkImport(ctx, batch.Nodes, batch.Relationships, neo4jstore.BulkOptions{Fresh: true})
		created.NodesCreated += c.NodesCreated
		created.RelationshipsCreated += c.RelationshipsCreated
		return err
	})
	if err != nil {
		return fmt.Errorf("load synthetic graph: %w", err)
	}
	d := time.Since(t1)
	if created.NodesCreated != st.Nodes || created.RelationshipsCreated != st.Relationships {
		return fmt.Errorf("load created %d nodes and %d relationships, generated %d and %d", created.NodesCreated,
			created.RelationshipsCreated, st.Nodes, st.Relationships)
	}
	logf("loaded %d nodes + %d relationships in %s (%.0f rows/s; reset and migrations %s)", st.Nodes, st.Relationships,
		d.Round(time.Millisecond), float64(st.Nodes+st.Relationships)/d.Seconds(), t1.Sub(t0).Round(time.Millisecond))
	return nil
}

// rankSubset picks the largest relationship types whose total stays under kg.MaxRankEdges
// (all of them on a small graph), so PageRank is measured near its allowed maximum.
func rankSubset(counts map[string]int64) ([]string, int64, int64) {
	var total int64
	types := make([]string, 0, len(counts))
	for t, n := range counts {
		total += n
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		if counts[types[i]] != counts[types[j]] {
			return counts[types[i]] > counts[types[j]]
		}
		return types[i] < types[j]
	})
	var picked []string
	var sum int64
	for _, t := range types {
		if sum+counts[t] <= kg.MaxRankEdges*9/10 {
			picked = append(picked, t)
			sum += counts[t]
		}
	}
	sort.Strings(picked)
	return picked, sum, total
}

// check fails the benchmark on an error, or skips it while the store method is a stub.
func check(b *testing.B, err error) {
	b.Helper()
	if err == nil {
		return
	}
	if strings.Contains(err.Error(), "not implemented yet") {
		b.Skip(err.Error())
	}
	b.Fatal(err)
}

var ctx = context.Background()

// logf reports on stderr: the log of a parent benchmark is not printed.
// The prefix is not "key: value", which benchstat would read as configuration.
func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "# bench "+format+"\n", args...) }

// loop runs op once untimed (Neo4j plans and caches the query, the driver opens connections),
// then b.Loop. op gets the iteration number, to rotate over ids.
func loop(b *testing.B, op func(i int) error) int {
	b.Helper()
	check(b, op(0))
	i := 0
	for b.Loop() {
		check(b, op(i))
		i++
	}
	return i
}

func BenchmarkNode(b *testing.B) {
	f := setup(b)
	for _, c := range []struct {
		name string
		ids  []string
	}{{"random", f.random}, {"hub", f.hubs[:4]}} {
		b.Run(c.name, func(b *testing.B) {
			loop(b, func(i int) error {
				n, err := f.store.Node(ctx, c.ids[i%len(c.ids)])
				if err == nil && n == nil {
					err = fmt.Errorf("no node")
				}
				return err
			})
		})
	}
}

func BenchmarkListNodes(b *testing.B) {
	f := setup(b)
	for _, c := range []struct {
		name string
		q    kg.NodeQuery
	}{
		{"order=NAME/first=100", kg.NodeQuery{Order: kg.OrderName, First: 100}},
		{"order=DEGREE/first=100", kg.NodeQuery{Order: kg.OrderDegree, First: 100}},
		{"order=NAME/first=100/types=Policy", kg.NodeQuery{Order: kg.OrderName, First: 100, Types: []string{kg.TypePolicy}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			loop(b, func(int) error {
				p, err := f.store.ListNodes(ctx, c.q)
				if err == nil && len(p.Nodes) != 100 {
					err = fmt.Errorf("%d nodes", len(p.Nodes))
				}
				return err
			})
		})
	}
}

func BenchmarkSearch(b *testing.B) {
	f := setup(b)
	// "migration" matches a large share of names and descriptions; a first-and-last name few.
	for _, c := range []struct{ name, text string }{{"common", "migration"}, {"two-words", "asylum agency"},
		{"rare", "Tomasz Papadopoulos"}} {
		b.Run(c.name+"/first=20", func(b *testing.B) {
			loop(b, func(int) error {
				p, err := f.store.Search(ctx, kg.SearchQuery{Text: c.text, First: 20})
				if err == nil && len(p.Nodes) == 0 {
					err = fmt.Errorf("no hits for %q", c.text)
				}
				return err
			})
		})
	}
}

func BenchmarkRelationshipsOf(b *testing.B) {
	f := setup(b)
	mixed := append(append([]string{}, f.hubs[:5]...), f.random[:45]...)
	for _, c := range []struct {
		name string
		ids  []string
	}{{"ids=50/random", f.random[:50]}, {"ids=50/with-5-hubs", mixed}} {
		b.Run(c.name+"/first=20", func(b *testing.B) {
			loop(b, func(int) error {
				_, err := f.store.RelationshipsOf(ctx, c.ids, kg.RelQuery{First: 20})
				return err
			})
		})
	}
}

func BenchmarkNeighborhood(b *testing.B) {
	f := setup(b)
	for _, depth := range []int{1, 2} {
		for _, limit := range []int{100, 500} {
			for _, c := range []struct {
				name string
				ids  []string
			}{{"hub", f.hubs[:4]}, {"random", f.random}} {
				b.Run(fmt.Sprintf("depth=%d/limit=%d/centre=%s", depth, limit, c.name), func(b *testing.B) {
					nodes := 0
					n := loop(b, func(i int) error {
						r, err := f.store.Neighborhood(ctx, kg.NeighborhoodQuery{ID: c.ids[i%len(c.ids)], Depth: depth, Limit: limit})
						if err == nil {
							nodes += len(r.Nodes)
						}
						return err
					})
					b.ReportMetric(float64(nodes)/float64(n+1), "nodes/op")
				})
			}
		}
	}
}

func BenchmarkPaths(b *testing.B) {
	f := setup(b)
	for _, k := range []bool{false, true} {
		name := "shortest"
		if k {
			name = "k-shortest"
		}
		b.Run(name+"/maxHops=4/random-pair", func(b *testing.B) {
			found, truncated := 0, 0
			n := loop(b, func(i int) error {
				p := f.pairs[i%len(f.pairs)]
				r, err := f.store.Paths(ctx, kg.PathsQuery{From: p[0], To: p[1], MaxHops: 4, KShortest: k, Limit: kg.DefaultPaths})
				if err == nil && len(r.Paths) > 0 {
					found++
				}
				if err == nil && r.Truncated {
					truncated++
				}
				return err
			})
			b.ReportMetric(float64(found)/float64(n+1), "found/op")
			b.ReportMetric(float64(truncated)/float64(n+1), "truncated/op")
		})
	}
}

func BenchmarkCommonConnections(b *testing.B) {
	f := setup(b)
	for _, c := range []struct {
		name string
		ids  func(i int) []string
	}{
		{"hubs=2/limit=100", func(int) []string { return f.hubs[:2] }},
		{"hub+random/limit=100", func(i int) []string { return []string{f.hubs[0], f.random[i%len(f.random)]} }},
		{"random=2/limit=100", func(i int) []string { p := f.pairs[i%len(f.pairs)]; return p[:] }},
	} {
		b.Run(c.name, func(b *testing.B) {
			truncated := 0
			n := loop(b, func(i int) error {
				r, err := f.store.CommonConnections(ctx, kg.CommonQuery{IDs: c.ids(i), Limit: 100})
				if err == nil && c.name == "hubs=2/limit=100" && len(r.Common) == 0 {
					err = fmt.Errorf("no common connection of the two biggest hubs")
				}
				if err == nil && r.Truncated {
					truncated++
				}
				return err
			})
			b.ReportMetric(float64(truncated)/float64(n+1), "truncated/op")
		})
	}
}

func BenchmarkNetwork(b *testing.B) {
	f := setup(b)
	for _, c := range []struct {
		name string
		ids  []string
	}{{"ids=20/random", f.random[:20]}, {"ids=20/hubs", f.hubs[:20]}} {
		b.Run(c.name, func(b *testing.B) {
			loop(b, func(int) error {
				n, err := f.store.Network(ctx, kg.NetworkQuery{IDs: c.ids})
				if err == nil && len(n.Nodes) != len(c.ids) {
					err = fmt.Errorf("%d nodes", len(n.Nodes))
				}
				return err
			})
		})
	}
}

func BenchmarkTimeline(b *testing.B) {
	f := setup(b)
	month, err := kg.NewTimeFilter("", "2018-06", "2018-06") // synth dates span 2015-2021
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    kg.TimelineQuery
		page int // time this page (1 = the first), reached with cursors
	}{
		{"all/first=50", kg.TimelineQuery{First: 50}, 1},
		{"all/first=50/page=3", kg.TimelineQuery{First: 50}, 3},
		{"month/first=50", kg.TimelineQuery{Time: month, First: 50}, 1},
		{"ids=10-random/first=50", kg.TimelineQuery{IDs: f.random[:10], First: 50}, 1},
		{"ids=1-hub/first=50", kg.TimelineQuery{IDs: f.hubs[:1], First: 50}, 1},
	} {
		b.Run(c.name, func(b *testing.B) {
			q := c.q
			for range c.page - 1 {
				p, err := f.store.Timeline(ctx, q)
				check(b, err)
				if !p.HasNext {
					b.Fatalf("no page after %d entries", len(p.Entries))
				}
				q.After = p.Cursors[len(p.Cursors)-1]
			}
			loop(b, func(int) error {
				p, err := f.store.Timeline(ctx, q)
				if err == nil && (len(p.Entries) == 0 || len(q.IDs) == 0 && len(p.Entries) != q.First) {
					err = fmt.Errorf("%d entries", len(p.Entries))
				}
				return err
			})
		})
	}
}

func BenchmarkRank(b *testing.B) {
	f := setup(b)
	b.Run("DEGREE/first=20", func(b *testing.B) {
		loop(b, func(int) error {
			r, err := f.store.Rank(ctx, kg.RankQuery{Measure: kg.MeasureDegree, First: 20})
			if err == nil && len(r) == 0 {
				err = fmt.Errorf("no ranking")
			}
			return err
		})
	})
	b.Run("DEGREE-OUT/first=20", func(b *testing.B) {
		loop(b, func(int) error {
			r, err := f.store.Rank(ctx, kg.RankQuery{Measure: kg.MeasureDegree, First: 20, Filter: kg.EdgeFilter{Direction: kg.Outgoing}})
			if err == nil && len(r) == 0 {
				err = fmt.Errorf("no ranking")
			}
			return err
		})
	})
	b.Run("PAGERANK/first=20/all", func(b *testing.B) {
		if f.relTotal > kg.MaxRankEdges {
			b.Skipf("the graph has %d relationships, over kg.MaxRankEdges (%d): see the filtered benchmark", f.relTotal, kg.MaxRankEdges)
		}
		loop(b, func(int) error {
			_, err := f.store.Rank(ctx, kg.RankQuery{Measure: kg.MeasurePageRank, First: 20})
			return err
		})
	})
	// The largest relationship types whose edges fit under kg.MaxRankEdges (all on a small graph);
	// the name stays the same across sizes, the edges metric says how big it was.
	b.Run("PAGERANK/first=20/filtered", func(b *testing.B) {
		loop(b, func(int) error {
			r, err := f.store.Rank(ctx, kg.RankQuery{Measure: kg.MeasurePageRank, First: 20, Filter: kg.EdgeFilter{Types: f.rankTypes}})
			if err == nil && len(r) == 0 {
				err = fmt.Errorf("no ranking")
			}
			return err
		})
		b.ReportMetric(float64(f.rankEdges), "edges")
	})
}

// GraphQL: the whole server path (parse, validate, complexity, resolvers, batch loaders, one
// or two Cypher round trips, JSON) in process, without the network.
func BenchmarkGraphQL(b *testing.B) {
	f := setup(b)
	const nodeQuery = `query($id: ID!) { node(id: $id) { id name degree citations { quote source { id name } }
  relationships(first: 20) { edges { direction other { id name } node { id type startDate endDate citations { quote source { id name } } } } } } }`
	const searchQuery = `query($q: String!) { search(query: $q, first: 20) { edges { node { id name degree } } } }`
	const neighborhoodQuery = `query($id: ID!) { neighborhood(id: $id, depth: 2, limit: 100) { truncated nodes { id name } edges { id type from { id } to { id } } } }`
	for _, c := range []struct {
		name, query string
		vars        func(i int) map[string]any
	}{
		{"node+relationships/random", nodeQuery, func(i int) map[string]any { return map[string]any{"id": f.random[i%len(f.random)]} }},
		{"node+relationships/hub", nodeQuery, func(i int) map[string]any { return map[string]any{"id": f.hubs[i%4]} }},
		{"search/common", searchQuery, func(int) map[string]any { return map[string]any{"q": "migration"} }},
		{"neighborhood/depth=2/limit=100/random", neighborhoodQuery, func(i int) map[string]any { return map[string]any{"id": f.random[i%len(f.random)]} }},
		// The shapes of ../shared/perf (its loadgen's B queries), to profile them in process:
		// go test ./bench -run '^$' -bench 'GraphQL/perf' -cpuprofile cpu.out -memprofile mem.out
		{"perf/S1", `query S1($id: ID!) { node(id: $id) { id name description type: __typename } }`,
			func(i int) map[string]any { return map[string]any{"id": f.random[i%len(f.random)]} }},
		{"perf/S2", `query S2($id: ID!) { node(id: $id) { id name relationships(first: 20) { edges { direction node { id type } other { id name type: __typename } } } } }`,
			func(i int) map[string]any { return map[string]any{"id": f.random[i%len(f.random)]} }},
		{"perf/S5", `query S5($id: ID!) { neighborhood(id: $id, depth: 2, limit: 100) { nodes { id name type: __typename } edges { id type from { id } to { id } } truncated } }`,
			func(i int) map[string]any { return map[string]any{"id": f.random[i%len(f.random)]} }},
		{"perf/S6", `query S6($from: ID!, $to: ID!) { paths(from: $from, to: $to, maxHops: 4) { paths { length nodes { id name type: __typename } edges { id type } } } }`,
			func(i int) map[string]any {
				p := f.pairs[i%len(f.pairs)]
				return map[string]any{"from": p[0], "to": p[1]}
			}},
	} {
		b.Run(c.name, func(b *testing.B) {
			loop(b, func(i int) error {
				body, _ := json.Marshal(map[string]any{"query": c.query, "variables": c.vars(i)})
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				f.handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
					return fmt.Errorf("HTTP %d: %.500s", w.Code, w.Body.String())
				}
				return nil
			})
		})
	}
}

// Command synth generates a synthetic policygraph graph and loads it into Neo4j.
//
//	go run ./synth/cmd/synth -nodes 100000 -seed 1
//
// Neo4j is the one the server uses: NEO4J_URI (bolt://127.0.0.1:7687), NEO4J_USER (neo4j),
// NEO4J_PASSWORD (policygraph), NEO4J_DATABASE (neo4j). The schema migrations are applied
// first. Into an empty graph (or after -reset) it CREATEs nodes and relationships
// (neo4jstore.BulkOptions.Fresh); into a non-empty one, or with -merge, it MERGEs on ids, which
// is idempotent but does not remove other data. -dry-run only generates and prints the graph's statistics;
// -reset -nodes 0 only empties the graph.
//
// -admin-import DIR is a first load without Cypher, for big graphs: CSV files, Neo4j's offline
// importer into the data directory DIR of scripts/neo4j.sh (Neo4j stopped there; its graph is
// replaced), then Neo4j started on it on NEO4J_URI's port and the load finished (schema,
// degrees). Run it from the project root:
//
//	NEO4J_URI=bolt://127.0.0.1:7687 go run ./synth/cmd/synth -nodes 1000000 -admin-import .neo4j-data
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"time"

	"github.com/policygraph/policygraph/neo4jstore"
	"github.com/policygraph/policygraph/synth"
)

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func main() {
	nodes := flag.Int("nodes", 10000, "number of nodes")
	seed := flag.Uint64("seed", 1, "random seed (same nodes and seed: same graph)")
	batch := flag.Int("batch", synth.DefaultBatchSize, "nodes per write transaction (each also carries ~2.5x as many relationships)")
	reset := flag.Bool("reset", false, "delete every node and relationship first")
	merge := flag.Bool("merge", false, "MERGE even into an empty graph (default: CREATE when the graph is empty at the start)")
	rows := flag.Int("rows", neo4jstore.BulkRows, "rows per UNWIND statement")
	dry := flag.Bool("dry-run", false, "generate only; do not connect to Neo4j")
	admin := flag.String("admin-import", "", "first load through Neo4j's offline importer into this data directory of scripts/neo4j.sh "+
		"(e.g. .neo4j-data; Neo4j stopped; its graph is replaced), then start Neo4j on it on NEO4J_URI's port and finish the load")
	csvFlag := flag.String("csv-dir", "", "with -admin-import: write the CSV files here and keep them (default: a temporary directory, removed after the import)")
	flag.Parse()
	log.SetFlags(0)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg := synth.Config{Nodes: *nodes, Seed: *seed, BatchSize: *batch}
	t0 := time.Now()
	if *dry {
		st, err := synth.Generate(cfg, func(synth.Batch) error { return nil })
		if err != nil {
			log.Fatal(err)
		}
		report(st, time.Since(t0))
		return
	}

	scfg := neo4jstore.Config{URI: env("NEO4J_URI", "bolt://127.0.0.1:7687"),
		User: env("NEO4J_USER", "neo4j"), Password: env("NEO4J_PASSWORD", "policygraph"),
		Database: env("NEO4J_DATABASE", "neo4j"), QueryTimeout: 5 * time.Minute}
	if *admin != "" {
		if err := adminImport(ctx, cfg, scfg, *admin, *csvFlag); err != nil {
			log.Fatal(err)
		}
		return
	}
	store, err := neo4jstore.Open(ctx, scfg)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close(context.Background())
	if *reset {
		if err := store.DeleteAllBatched(ctx, 0); err != nil {
			log.Fatalf("reset: %v", err)
		}
		log.Printf("graph emptied in %s", time.Since(t0).Round(time.Millisecond))
		if *nodes == 0 {
			return // -reset -nodes 0: only empty the graph
		}
	}
	t1 := time.Now()
	if err := store.Migrate(ctx); err != nil {
		log.Fatalf("migrate: %v", err)
	}
	log.Printf("migrations applied in %s", time.Since(t1).Round(time.Millisecond))

	opt := neo4jstore.BulkOptions{Rows: *rows}
	if !*merge {
		if opt.Fresh, err = store.IsEmpty(ctx); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("loading with %s, %d nodes per transaction, %d rows per statement", map[bool]string{true: "CREATE (empty graph)", false: "MERGE"}[opt.Fresh], cfg.BatchSize, opt.Rows)
	st, err := Load(ctx, store, cfg, opt, func(done, nodes, rels int, d time.Duration) {
		log.Printf("batch %4d: %8d nodes %9d relationships loaded, %s (%.0f rows/s)", done, nodes, rels,
			d.Round(time.Second), float64(nodes+rels)/d.Seconds())
	})
	if err != nil {
		log.Fatal(err)
	}
	report(st.Stats, st.Elapsed)
	log.Printf("loaded %d nodes and %d relationships in %s: %.0f nodes/s, %.0f relationships/s, %.0f rows/s (created %d nodes, %d relationships)",
		st.Nodes, st.Relationships, st.Elapsed.Round(time.Millisecond), float64(st.Nodes)/st.Elapsed.Seconds(),
		float64(st.Relationships)/st.Elapsed.Seconds(), float64(st.Nodes+st.Relationships)/st.Elapsed.Seconds(),
		st.Created.NodesCreated, st.Created.RelationshipsCreated)
}

// LoadStats is what Load did.
type LoadStats struct {
	synth.Stats
	Created neo4jstore.BulkStats
	Elapsed time.Duration
}

// Load streams the graph into the store, one BulkImport transaction per batch.
func Load(ctx context.Context, store *neo4jstore.Store, cfg synth.Config, opt neo4jstore.BulkOptions, progress func(batch, nodes, rels int, d time.Duration)) (LoadStats, error) {
	var out LoadStats
	t0 := time.Now()
	nodes, rels := 0, 0
	st, err := synth.Pipeline(ctx, cfg, 2, func(b synth.Batch) error {
		c, err := store.BulkImport(ctx, b.Nodes, b.Relationships, opt)
		if err != nil {
			return fmt.Errorf("batch %d: %w", b.Seq, err)
		}
		out.Created.NodesCreated += c.NodesCreated
		out.Created.RelationshipsCreated += c.RelationshipsCreated
		nodes += len(b.Nodes)
		rels += len(b.Relationships)
		if progress != nil && (b.Seq%20 == 19) {
			progress(b.Seq+1, nodes, rels, time.Since(t0))
		}
		return nil
	})
	out.Stats, out.Elapsed = st, time.Since(t0)
	return out, err
}

func report(st synth.Stats, d time.Duration) {
	log.Printf("graph: %d nodes, %d relationships (average degree %.2f, median %d, max %d), generated in %s",
		st.Nodes, st.Relationships, 2*float64(st.Relationships)/float64(st.Nodes), st.MedianDegree, st.MaxDegree, d.Round(time.Millisecond))
	log.Printf("nodes by type: %v", st.NodesByType)
	log.Printf("relationships by type: %v", st.RelsByType)
	log.Printf("top degrees: %v", st.Top[:min(10, len(st.Top))])
}

// adminImport is a first load of a big graph without Cypher: the graph as CSV files
// (neo4jstore.CSVWriter, in a temporary directory), Neo4j's offline importer into the data
// directory (scripts/neo4j.sh import), Neo4j started on it, the load finished
// (Store.FinishAdminImport) and checked (every stored degree exact). Run from the project root.
func adminImport(ctx context.Context, cfg synth.Config, scfg neo4jstore.Config, data, csvDir string) error {
	const script = "scripts/neo4j.sh"
	if _, err := os.Stat(script); err != nil {
		return fmt.Errorf("-admin-import runs %s: run synth from the project root", script)
	}
	u, err := url.Parse(scfg.URI)
	if err != nil || u.Port() == "" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		return fmt.Errorf("-admin-import starts a local Neo4j: NEO4J_URI must be bolt://127.0.0.1:PORT, not %q", scfg.URI)
	}
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "bash", append([]string{script}, args...)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", script, args[0], err)
		}
		return nil
	}
	keep := csvDir != ""
	if !keep {
		var err error
		if csvDir, err = os.MkdirTemp("", "policygraph-csv-"); err != nil {
			return err
		}
	}
	t0 := time.Now()
	w, err := neo4jstore.NewCSVWriter(csvDir)
	if err != nil {
		return err
	}
	st, err := synth.Pipeline(ctx, cfg, 2, func(b synth.Batch) error { return w.Write(b.Nodes, b.Relationships) })
	if err != nil {
		return err
	}
	imp, err := w.Close()
	if err != nil {
		return err
	}
	rows := float64(st.Nodes + st.Relationships)
	tCSV := time.Since(t0)
	log.Printf("CSV written in %s (%s)", tCSV.Round(time.Millisecond), csvDir)
	if err := run("import", "--data", data, "--csv", csvDir); err != nil {
		return fmt.Errorf("%w (the CSV files are kept in %s)", err, csvDir)
	}
	tImport := time.Since(t0) - tCSV
	if !keep {
		os.RemoveAll(csvDir)
	}
	t1 := time.Now()
	if err := run("start", "--data", data, "--port", u.Port(), "--password", scfg.Password); err != nil {
		return err
	}
	tStart := time.Since(t1)
	t2 := time.Now()
	store, err := neo4jstore.Open(ctx, scfg)
	if err != nil {
		return err
	}
	defer store.Close(context.Background())
	fin, err := store.FinishAdminImport(ctx, imp)
	if err != nil {
		return fmt.Errorf("finish the import: %w", err)
	}
	tFinish := time.Since(t2)
	wrong, err := store.WrongDegrees(ctx)
	if err != nil {
		return err
	}
	if wrong != 0 {
		return fmt.Errorf("%d nodes store a degree other than their number of relationships", wrong)
	}
	report(st, tCSV)
	load := tCSV + tImport + tFinish
	log.Printf("loaded %d nodes and %d relationships: CSV %s, import %s, finish %s (degrees and lists of nodes %s, lists of relationships %s, schema %s); "+
		"%.0f rows/s over these three (Neo4j start-up, %s, not counted)", st.Nodes, st.Relationships,
		tCSV.Round(time.Millisecond), tImport.Round(time.Millisecond), tFinish.Round(time.Millisecond),
		fin.Nodes.Round(time.Millisecond), fin.Relationships.Round(time.Millisecond), fin.Schema.Round(time.Millisecond),
		rows/load.Seconds(), tStart.Round(time.Millisecond))
	return nil
}

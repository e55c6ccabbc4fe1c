// Command policygraph serves the policygraph knowledge graph over GraphQL, and imports
// datasets into it. It is the only place that wires the packages together:
//
//	policygraph [serve]        serve /graphql, the playground, /livez and /readyz
//	policygraph import FILE... validate and import policygraph/v1 files (all or nothing)
//	policygraph migrate        apply the schema (constraints, indexes) and exit
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/policygraph/policygraph/data"
	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
	"github.com/policygraph/policygraph/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "policygraph:", err)
		os.Exit(1)
	}
}

// run is the whole program; ctx ends it (SIGINT/SIGTERM in main, a cancel in tests).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	storeCfg := neo4jstore.Config{URI: cfg.Neo4jURI, User: cfg.Neo4jUser, Password: cfg.Neo4jPassword,
		Database: cfg.Neo4jDatabase, QueryTimeout: cfg.QueryTimeout}

	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, storeCfg, logger)
	case "import", "migrate":
		if cmd == "import" && len(args) < 3 {
			return errors.New("usage: policygraph import FILE [FILE ...]")
		}
		store, err := neo4jstore.Open(ctx, storeCfg)
		if err != nil {
			return err
		}
		defer store.Close(context.Background())
		if err := store.Migrate(ctx); err != nil {
			return err
		}
		for _, name := range args[2:] {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			stats, err := importFile(ctx, store, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			fmt.Fprintf(stdout, "%s: imported %d nodes and %d relationships\n", name, stats.Nodes, stats.Relationships)
		}
		return nil
	default:
		return fmt.Errorf("unknown command %q (want serve, import or migrate)", cmd)
	}
}

func importFile(ctx context.Context, store *neo4jstore.Store, r io.Reader) (neo4jstore.ImportStats, error) {
	d, err := kg.DecodeDataset(r)
	if err != nil {
		return neo4jstore.ImportStats{}, err
	}
	v, err := d.Validate()
	if err != nil {
		return neo4jstore.ImportStats{}, err
	}
	return store.Import(ctx, v)
}

// serve runs the HTTP server until ctx ends. Neo4j may still be starting: the server comes up
// at once (/livez 200, /readyz 503) and prepares the database in the background.
func serve(ctx context.Context, cfg Config, storeCfg neo4jstore.Config, logger *slog.Logger) error {
	store, err := neo4jstore.New(storeCfg)
	if err != nil {
		return err
	}
	defer store.Close(context.Background())

	var prepared atomic.Bool
	prepCtx, stopPrep := context.WithCancel(ctx)
	defer stopPrep()
	go func() {
		for delay := 200 * time.Millisecond; ; delay = min(2*delay, 5*time.Second) {
			err := prepare(prepCtx, store, cfg, logger)
			if err == nil {
				prepared.Store(true)
				logger.Info("database ready")
				return
			}
			if prepCtx.Err() != nil {
				return
			}
			logger.Warn("database not ready; retrying", "err", err, "retry_in", delay.String())
			select {
			case <-prepCtx.Done():
				return
			case <-time.After(delay):
			}
		}
	}()

	mux := http.NewServeMux()
	mux.Handle("/graphql", graph.NewHandler(store, logger, graph.Limits{RequestTimeout: cfg.QueryTimeout + 5*time.Second}))
	mux.HandleFunc("/livez", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		rctx, cancel := context.WithTimeout(r.Context(), 800*time.Millisecond)
		defer cancel()
		if !prepared.Load() {
			http.Error(w, "not ready: database is being prepared", http.StatusServiceUnavailable)
			return
		}
		if err := store.Ready(rctx); err != nil {
			http.Error(w, "not ready: database unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("/", web.Playground())

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR: %w", err)
	}
	srv := &http.Server{
		Handler:           logRequests(logger, mux),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.QueryTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// prepare applies migrations and, when the graph is empty, loads the bundled datasets.
func prepare(ctx context.Context, store *neo4jstore.Store, cfg Config, logger *slog.Logger) error {
	if err := store.Ready(ctx); err != nil {
		return err
	}
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	if !cfg.LoadBundled {
		return nil
	}
	n, err := store.CountNodes(ctx)
	if err != nil || n > 0 {
		return err
	}
	sets, err := data.Bundled()
	if err != nil {
		return err
	}
	for _, d := range sets {
		stats, err := store.Import(ctx, d.Validated)
		if err != nil {
			return fmt.Errorf("bundled dataset %s: %w", d.Name, err)
		}
		logger.Info("loaded bundled dataset", "file", d.Name, "nodes", stats.Nodes, "relationships", stats.Relationships)
	}
	return nil
}

// logRequests writes one structured line per request: id, method, path, status, duration.
// Query text and variables are never logged.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.Info("request", "id", id, "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

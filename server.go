// Command policygraph serves the policygraph knowledge graph over GraphQL, and imports
// datasets into it. It is the only place that wires the packages together:
//
//	policygraph [serve]        serve /graphql, /export, the explorer, the playground, /livez and /readyz
//	policygraph export --format F [--id ID ...] [--depth N] ...   write an export to stdout or --out
//	policygraph import FILE... validate and import policygraph/v1 files (all or nothing)
//	policygraph migrate        apply the schema (constraints, indexes) and exit
//	policygraph token create|list|revoke ...   manage API tokens (token_cmd.go)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/policygraph/policygraph/data"
	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/httpapi"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
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
		return serve(ctx, cfg, storeCfg, logger, stdout)
	case "export":
		return exportCommand(ctx, storeCfg, args[2:], stdout, stderr)
	case "token":
		return tokenCommand(ctx, storeCfg, args[2:], stdout, stderr)
	case "import", "migrate":
		if cmd == "import" && len(args) < 3 {
			return errors.New("usage: policygraph import FILE [FILE ...]")
		}
		// Every file is read and validated before the database is touched, and all of them
		// are written in one transaction: a bad file leaves the graph as it was.
		var files []*kg.Validated
		for _, name := range args[2:] {
			v, err := kg.ReadDatasetFile(name)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			files = append(files, v)
		}
		store, err := neo4jstore.Open(ctx, storeCfg)
		if err != nil {
			return err
		}
		defer store.Close(context.Background())
		if err := store.Migrate(ctx); err != nil {
			return err
		}
		if len(files) > 0 {
			if _, err := store.Import(ctx, files...); err != nil {
				return err
			}
		}
		for _, v := range files {
			fmt.Fprintf(stdout, "%s: imported %d nodes and %d relationships\n", v.Name, len(v.Nodes), len(v.Relationships))
		}
		return nil
	default:
		return fmt.Errorf("unknown command %q (want serve, export, import, migrate or token)", cmd)
	}
}

// serve runs the HTTP server until ctx ends. Neo4j may still be starting: the server comes up
// at once (/livez 200, /readyz 503) and prepares the database in the background.
func serve(ctx context.Context, cfg Config, storeCfg neo4jstore.Config, logger *slog.Logger, stdout io.Writer) error {
	// Observability: traces (OTEL_TRACES_EXPORTER, off by default), metrics (unless
	// METRICS_ADDR=off), both fed by the store's observer hook.
	stopTracing, err := httpapi.SetupTracing(ctx, httpapi.TracingConfig{Exporter: cfg.TracesExporter, Console: stdout,
		ServiceVersion: version(), Logger: logger})
	if err != nil {
		return err
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(flush); err != nil {
			logger.Warn("tracing shutdown", "err", err)
		}
	}()
	tracing := cfg.TracesExporter != httpapi.TracesNone
	var metrics *httpapi.Metrics
	if cfg.MetricsAddr != "off" {
		metrics = httpapi.NewMetrics(neo4jstore.MaxConnectionPoolSize)
	}
	if metrics != nil || tracing {
		storeCfg.Observe = httpapi.StoreObserver(metrics, cfg.Neo4jDatabase)
	}

	store, err := neo4jstore.New(storeCfg)
	if err != nil {
		return err
	}
	defer store.Close(context.Background())

	var prepared atomic.Bool
	prepCtx, stopPrep := context.WithCancel(ctx)
	prepDone := make(chan struct{})
	// Before the store closes (deferred above, so it runs after this): stop preparing and wait
	// for it, so a shutdown during migration never closes the driver under a running query.
	defer func() {
		stopPrep()
		<-prepDone
	}()
	go func() {
		defer close(prepDone)
		authLogged := false // refused credentials are logged once as an error, then at debug level
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
			switch {
			case errors.Is(err, kg.ErrUnauthorized):
				level := slog.LevelError
				if authLogged {
					level = slog.LevelDebug
				}
				authLogged = true
				logger.Log(prepCtx, level, "the database rejected our credentials (NEO4J_USER/NEO4J_PASSWORD); retrying",
					"user", cfg.Neo4jUser, "uri", cfg.Neo4jURI, "err", err, "retry_in", delay.String())
			default:
				authLogged = false
				logger.Warn("database not ready; retrying", "err", err, "retry_in", delay.String())
			}
			select {
			case <-prepCtx.Done():
				return
			case <-time.After(delay):
			}
		}
	}()

	// The change feed: one poller per server, streams ended by the shutdown below.
	feed := graph.NewFeed(store, graph.FeedConfig{PollInterval: cfg.ChangesPollInterval,
		MaxStreams: cfg.ChangesMaxStreams, MaxStreamsPerClient: cfg.ChangesMaxPerClient, Logger: logger})
	defer closeFeed(feed)

	handler := httpapi.New(httpapi.Config{
		Store: store, Logger: logger,
		Limits:           graph.Limits{RequestTimeout: cfg.QueryTimeout + 5*time.Second},
		ExportTimeout:    cfg.ExportTimeout,
		Prepared:         prepared.Load,
		RateLimit:        cfg.rateLimit(),
		Metrics:          metrics,
		MetricsElsewhere: cfg.MetricsAddr != "",
		CORSOrigins:      cfg.CORSOrigins,
		Tracing:          tracing,
		Feed:             feed,
		Auth: httpapi.NewAuth(httpapi.AuthConfig{Tokens: store, PublicReads: cfg.PublicReads,
			WriteLimit: cfg.WriteLimit, Logger: logger}),
	})
	if metrics != nil && cfg.MetricsAddr != "" {
		stopMetrics, err := serveMetrics(cfg.MetricsAddr, metrics, logger)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.QueryTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(func() { closeFeed(feed) }) // Shutdown waits for SSE responses: end them
	logger.Info("listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/", "traces", cfg.TracesExporter)
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

// closeFeed ends every change stream (WebSockets close, SSE responses end) and waits for them
// briefly.
func closeFeed(feed *graph.Feed) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = feed.Close(ctx)
}

// serveMetrics serves /metrics on its own address (METRICS_ADDR) until the returned function
// is called.
func serveMetrics(addr string, metrics *httpapi.Metrics, logger *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	logger.Info("metrics listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/metrics")
	go func() { _ = srv.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// version is the module version the binary was built from ("(devel)" in a checkout).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// prepare applies migrations, loads the bundled datasets when the graph is empty, and plans
// the heavy statements.
func prepare(ctx context.Context, store *neo4jstore.Store, cfg Config, logger *slog.Logger) error {
	if err := store.Ready(ctx); err != nil {
		return err
	}
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	if err := loadBundled(ctx, store, cfg, logger); err != nil {
		return err
	}
	return store.WarmPlans(ctx) // before /readyz says 200: the first timeline requests do not plan
}

// loadBundled loads the bundled datasets when cfg asks for it and the graph is empty.
func loadBundled(ctx context.Context, store *neo4jstore.Store, cfg Config, logger *slog.Logger) error {
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

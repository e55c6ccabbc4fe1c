// Package neo4jtest gives tests a real Neo4j: the one `make test` starts (its Bolt URI in
// POLICYGRAPH_TEST_NEO4J_URI). Without it a test skips locally, but fails when
// POLICYGRAPH_REQUIRE_NEO4J=1 or CI is set, so CI can never pass by skipping.
// Packages that use it share one database: the first use in a test binary takes an exclusive
// file lock that it holds until the binary exits, so `go test ./...` (which runs packages in
// parallel) runs the Neo4j packages one after another; every test starts from Reset.
package neo4jtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/policygraph/policygraph/data"
	"github.com/policygraph/policygraph/neo4jstore"
)

var (
	once     sync.Once
	shared   *neo4jstore.Store
	sharedEr error
)

// Config is the store configuration of the test database.
func Config(t testing.TB) neo4jstore.Config {
	t.Helper()
	uri := os.Getenv("POLICYGRAPH_TEST_NEO4J_URI")
	if uri == "" {
		if os.Getenv("POLICYGRAPH_REQUIRE_NEO4J") != "" || os.Getenv("CI") != "" {
			t.Fatal("POLICYGRAPH_TEST_NEO4J_URI is not set but a Neo4j is required here: run the tests with `make test`")
		}
		t.Skip("no test Neo4j (POLICYGRAPH_TEST_NEO4J_URI unset): run `make test` to run this test")
	}
	return neo4jstore.Config{URI: uri, User: env("NEO4J_USER", "neo4j"), Password: env("NEO4J_PASSWORD", "policygraph"),
		Database: env("NEO4J_DATABASE", "neo4j"), QueryTimeout: 20 * time.Second}
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Store returns the process-wide test store with the schema applied and the graph empty.
func Store(t testing.TB) *neo4jstore.Store {
	t.Helper()
	cfg := Config(t)
	once.Do(func() {
		if sharedEr = Lock(cfg.URI); sharedEr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared, sharedEr = neo4jstore.Open(ctx, cfg)
		if sharedEr == nil {
			sharedEr = shared.Migrate(ctx)
		}
	})
	if sharedEr != nil {
		t.Fatalf("test Neo4j at %s: %v", cfg.URI, sharedEr)
	}
	Reset(t, shared)
	return shared
}

// Reset deletes every node and relationship (the schema stays).
func Reset(t testing.TB, s *neo4jstore.Store) {
	t.Helper()
	if err := s.DeleteAllBatched(context.Background(), 0); err != nil {
		t.Fatalf("reset test graph: %v", err)
	}
}

// LoadBundled imports the bundled dataset(s) into s.
func LoadBundled(t testing.TB, s *neo4jstore.Store) {
	t.Helper()
	sets, err := data.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range sets {
		if _, err := s.Import(context.Background(), d.Validated); err != nil {
			t.Fatalf("import bundled %s: %v", d.Name, err)
		}
	}
}

// Lock blocks until this process holds the lock of the test database at uri; the kernel
// releases it when the process exits. Store takes it; benchmarks that share the database
// take it too.
func Lock(uri string) error {
	name := strings.NewReplacer(":", "_", "/", "_").Replace(uri)
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "policygraph-neo4jtest-"+name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	lockFile = f // keep it open (and locked) for the life of the process
	return nil
}

var lockFile *os.File

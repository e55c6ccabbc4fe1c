// Package neo4jstore is policygraph's only store: it implements the read and write methods
// that graph/ declares, over Neo4j 5 through neo4j-go-driver v5. It owns the Cypher (named
// constants beside the method that runs each), the embedded schema migrations, the mapping
// from records to kg values, and the translation of driver errors into kg's sentinels.
// It imports kg and the driver; never graph/ or gqlgen.
package neo4jstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"github.com/policygraph/policygraph/kg"
)

// Config says how to reach Neo4j.
type Config struct {
	URI          string
	User         string
	Password     string
	Database     string
	QueryTimeout time.Duration // server-side transaction timeout and client deadline of every query
	// Observe, when set, is told about every Cypher round trip (metrics, tracing).
	Observe Observer
}

// Observer is told about every Cypher round trip that read and write make. It is called before
// the query with the operation, the name of the Store method that runs it ("Node",
// "Neighborhood", "Rank.func1"; a constant per call site, never Cypher text or parameter
// values), and returns the context to run the query in and a function called once with the
// outcome: nil, or the translated error (whose Neo4jCode method, when it has one, gives the
// Neo4j status code). Metrics and tracing hang on it; this package imports neither.
type Observer func(ctx context.Context, op string) (context.Context, func(err error))

// MaxConnectionPoolSize is the driver's connection pool bound (exported as a metric).
const MaxConnectionPoolSize = 100

// Store is safe for concurrent use; one per process.
type Store struct {
	driver  neo4j.DriverWithContext
	db      string
	timeout time.Duration
	queries atomic.Int64
	observe Observer
	opNames sync.Map // caller pc -> operation name

	plans    atomic.Int32       // plansCold, plansWarming, plansWarm (warm.go)
	bg       sync.WaitGroup     // background work (plan warm-up) that Close waits for
	bgCtx    context.Context    // cancelled by Close
	bgCancel context.CancelFunc //
}

// Open creates the driver and checks that Neo4j answers. It returns kg.ErrUnavailable (wrapped)
// when it does not.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ready(vctx); err != nil {
		s.Close(context.Background())
		return nil, fmt.Errorf("connect to neo4j at %s: %w", cfg.URI, err)
	}
	return s, nil
}

// New creates the driver without contacting Neo4j, so a server can start (and report
// not-ready) while the database is still coming up.
func New(cfg Config) (*Store, error) {
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = 10 * time.Second
	}
	driver, err := neo4j.NewDriverWithContext(cfg.URI, neo4j.BasicAuth(cfg.User, cfg.Password, ""),
		func(c *config.Config) {
			// Fail fast when Neo4j is down: a public read must not hang on retries. The driver
			// sleeps about 2 s before its first retry whatever MaxTransactionRetryTime says, so
			// a query to a Neo4j that refuses connections took 2 s; with 0 it is tried once and
			// fails at once (docs/reliability.md, "Readiness and outages"). A pooled connection
			// that went stale across a Neo4j restart is caught by the liveness check below
			// (one RESET round trip for a connection idle longer than 5 s) instead of a retry.
			c.SocketConnectTimeout = time.Second
			c.ConnectionAcquisitionTimeout = 2 * time.Second
			c.MaxTransactionRetryTime = 0
			c.ConnectionLivenessCheckTimeout = 5 * time.Second
			c.MaxConnectionPoolSize = MaxConnectionPoolSize
		})
	if err != nil {
		return nil, fmt.Errorf("neo4j driver: %w", err)
	}
	// One connection attempt before any concurrent use: neo4j-go-driver v5.28 initialises its
	// connector lazily on the first dial without a lock (a data race when the first dials are
	// concurrent, e.g. while Neo4j is down). The result does not matter here.
	warm, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_ = driver.VerifyConnectivity(warm)
	s := &Store{driver: driver, db: cfg.Database, timeout: cfg.QueryTimeout, observe: cfg.Observe}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	return s, nil
}

// Close releases the driver's connections.
func (s *Store) Close(ctx context.Context) error {
	s.bgCancel()
	s.bg.Wait()
	return s.driver.Close(ctx)
}

// readyTimeout bounds one readiness query when the caller's context allows more.
const readyTimeout = 3 * time.Second

const cypherReady = `RETURN 1 AS ok`

// Ready reports whether the database answers a real query (RETURN 1 on the configured
// database, through the same read path as every query) within the context's deadline and at
// most readyTimeout. Bolt answering is not enough: after a restart Neo4j accepts connections
// some seconds before its database serves transactions. The error is kg.ErrUnavailable
// (wrapped), or kg.ErrUnauthorized (with kg.ErrUnavailable) when the credentials are refused.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	res, err := s.read(ctx, cypherReady, nil)
	switch {
	case err == nil && len(res.Records) != 1:
		return fmt.Errorf("%w: readiness query returned %d rows", kg.ErrUnavailable, len(res.Records))
	case err != nil && !errors.Is(err, kg.ErrUnavailable):
		err = fmt.Errorf("%w: %w", kg.ErrUnavailable, err) // a timeout or anything else: not ready
	}
	if err != nil {
		s.plans.CompareAndSwap(plansWarm, plansCold) // Neo4j may be restarting: plan again (warm.go)
	}
	return err
}

// QueryCount is the number of Cypher round trips this store has made: tests use it to prove
// that a GraphQL request costs a constant number of queries, and it feeds metrics.
func (s *Store) QueryCount() int64 { return s.queries.Load() }

// read runs one parameterised read query with reader routing, the database name, a
// transaction timeout and a matching client deadline.
func (s *Store) read(ctx context.Context, cypher string, params map[string]any) (*neo4j.EagerResult, error) {
	s.queries.Add(1)
	ctx, done := s.begin(ctx)
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := neo4j.ExecuteQuery(ctx, s.driver, cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithReadersRouting(),
		neo4j.ExecuteQueryWithDatabase(s.db),
		neo4j.ExecuteQueryWithTransactionConfig(neo4j.WithTxTimeout(s.timeout),
			neo4j.WithTxMetadata(map[string]any{"app": "policygraph"})))
	if err != nil {
		err = withCode(translate(ctx, err), err)
		done(err)
		return nil, err
	}
	done(nil)
	return res, nil
}

// write runs fn in one managed (retried) write transaction.
func (s *Store) write(ctx context.Context, timeout time.Duration, fn func(tx neo4j.ManagedTransaction) (any, error)) (any, error) {
	s.queries.Add(1)
	ctx, done := s.begin(ctx)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	session := s.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.db, AccessMode: neo4j.AccessModeWrite})
	defer session.Close(context.Background())
	out, err := session.ExecuteWrite(ctx, fn, neo4j.WithTxTimeout(timeout),
		neo4j.WithTxMetadata(map[string]any{"app": "policygraph"}))
	if err != nil {
		err = withCode(translate(ctx, err), err)
		done(err)
		return nil, err
	}
	done(nil)
	return out, nil
}

// begin tells the observer (if any) that the caller of read or write starts a query, named
// after the Store method that called it.
func (s *Store) begin(ctx context.Context) (context.Context, func(error)) {
	if s.observe == nil {
		return ctx, func(error) {}
	}
	var pc [1]uintptr
	runtime.Callers(3, pc[:]) // runtime.Callers, begin, read/write: the method calling read/write
	name, ok := s.opNames.Load(pc[0])
	if !ok {
		f, _ := runtime.CallersFrames(pc[:]).Next()
		n := f.Function
		n = n[strings.LastIndexByte(n, '/')+1:]
		n = strings.TrimPrefix(strings.TrimPrefix(n, "neo4jstore."), "(*Store).")
		if n == "" {
			n = "unknown"
		}
		name, _ = s.opNames.LoadOrStore(pc[0], n)
	}
	return s.observe(ctx, name.(string))
}

// codedError is a translated error that keeps the Neo4j status code of the driver error
// behind it, for logs and traces; errors.Is and errors.As see the translated error.
type codedError struct {
	error
	code string
}

func (e *codedError) Unwrap() error     { return e.error }
func (e *codedError) Neo4jCode() string { return e.code }

// withCode wraps translated with the Neo4j status code of raw, when raw carries one.
func withCode(translated, raw error) error {
	var nerr *neo4j.Neo4jError
	var limit *neo4j.TransactionExecutionLimit
	if errors.As(raw, &limit) && len(limit.Errors) > 0 {
		raw = limit.Errors[len(limit.Errors)-1]
	}
	if translated == nil || !errors.As(raw, &nerr) || nerr.Code == "" {
		return translated
	}
	return &codedError{error: translated, code: nerr.Code}
}

// translate maps driver errors to kg sentinels, keeping the original text for the log.
func translate(ctx context.Context, err error) error {
	var ie *kg.InvalidError
	if errors.As(err, &ie) {
		return err
	}
	var limit *neo4j.TransactionExecutionLimit
	if errors.As(err, &limit) {
		// Retries ran out: classify by the last attempt's error (the type does not unwrap).
		if n := len(limit.Errors); n > 0 {
			inner := translate(ctx, limit.Errors[n-1])
			if errors.Is(inner, kg.ErrUnauthorized) {
				return inner
			}
			if errors.Is(inner, kg.ErrTimeout) || errors.Is(inner, kg.ErrConflict) {
				return fmt.Errorf("%w: %v", errorKind(inner), err)
			}
		}
		return fmt.Errorf("%w: %v", kg.ErrUnavailable, err)
	}
	var nerr *neo4j.Neo4jError
	switch {
	case errors.As(err, &nerr) && isAuthFailure(nerr.Code):
		return &unauthorizedError{err: err}
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		return fmt.Errorf("%w: %v", kg.ErrTimeout, err)
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &nerr):
		switch {
		case strings.Contains(nerr.Code, "TransactionTimedOut") || strings.Contains(nerr.Code, "Transaction.Terminated"):
			return fmt.Errorf("%w: %v", kg.ErrTimeout, err)
		case strings.Contains(nerr.Code, "ConstraintValidationFailed"):
			return fmt.Errorf("%w: %v", kg.ErrConflict, err)
		case strings.HasPrefix(nerr.Code, "Neo.TransientError") || strings.Contains(nerr.Code, "DatabaseUnavailable"):
			return fmt.Errorf("%w: %v", kg.ErrUnavailable, err)
		}
	case neo4j.IsConnectivityError(err):
		return fmt.Errorf("%w: %v", kg.ErrUnavailable, err)
	}
	var ue *neo4j.UsageError
	if errors.As(err, &ue) && strings.Contains(ue.Message, "acquir") {
		return fmt.Errorf("%w: %v", kg.ErrUnavailable, err)
	}
	return err
}

// isAuthFailure says whether a Neo4j status code means the credentials were refused
// (a wrong user or password, or too many failed attempts).
func isAuthFailure(code string) bool {
	return code == "Neo.ClientError.Security.Unauthorized" || code == "Neo.ClientError.Security.AuthenticationRateLimit"
}

// unauthorizedError is kg.ErrUnauthorized and kg.ErrUnavailable at once: clients see the
// database as unavailable; the log and /readyz say that the credentials were refused.
type unauthorizedError struct{ err error }

func (e *unauthorizedError) Error() string {
	return kg.ErrUnauthorized.Error() + " (check NEO4J_USER and NEO4J_PASSWORD): " + e.err.Error()
}

func (e *unauthorizedError) Unwrap() []error { return []error{kg.ErrUnauthorized, kg.ErrUnavailable} }

func errorKind(err error) error {
	for _, k := range []error{kg.ErrTimeout, kg.ErrConflict, kg.ErrUnavailable} {
		if errors.Is(err, k) {
			return k
		}
	}
	return err
}

// autoCommit runs one statement in an auto-commit transaction (CALL IN TRANSACTIONS needs one:
// the backfills of Migrate, FinishAdminImport). The error is translated.
func (s *Store) autoCommit(ctx context.Context, cypher string, params map[string]any) error {
	sess := s.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.db, AccessMode: neo4j.AccessModeWrite})
	defer sess.Close(ctx)
	s.queries.Add(1)
	res, err := sess.Run(ctx, cypher, params)
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		return translate(ctx, err)
	}
	return nil
}

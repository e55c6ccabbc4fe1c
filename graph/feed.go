package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/policygraph/policygraph/graph/model"

	"github.com/policygraph/policygraph/kg"
)

// The change feed: the `changes` subscription (WebSocket) and GET /changes (Server-Sent
// Events, httpapi) read it.
//
// It reads committed revisions from Neo4j, never an in-process broadcast only: every server
// replica over the same database sees every write, whichever replica made it. Seq order is
// commit order (the writers take seq from one counter node inside the write's transaction), so
// "revisions with seq > n" never skips one that commits later.
//
// One poller per server, shared by every stream: while at least one stream is open it asks
// Neo4j every PollInterval for the revisions after the newest it has seen (one indexed query,
// whatever the number of subscribers), keeps the latest ones in a bounded buffer and wakes the
// streams. Each stream then pulls what it has not yet sent: from the buffer when it is caught
// up, from Neo4j (pages of feedPage, in seq order) when it resumes from an older cursor or fell
// behind the buffer. So the database load is one poll per interval per server plus the replays
// clients ask for, a slow client holds back only itself, and nothing is queued per subscriber.

// FeedStore is what the change feed reads (neo4jstore.Store implements it).
type FeedStore interface {
	// RevisionsAfter returns up to limit committed revisions with seq > afterSeq, oldest first.
	RevisionsAfter(ctx context.Context, afterSeq int64, limit int) ([]*kg.Revision, error)
	// LatestRevisionSeq returns the newest committed revision's seq (0: none yet).
	LatestRevisionSeq(ctx context.Context) (int64, error)
}

// FeedConfig configures a Feed; zero values take the defaults below (README documents them as
// CHANGES_POLL_INTERVAL, CHANGES_MAX_STREAMS, CHANGES_MAX_STREAMS_PER_CLIENT).
type FeedConfig struct {
	PollInterval        time.Duration // how often the poller asks Neo4j for new revisions
	MaxStreams          int           // open streams (subscriptions and SSE responses) per server
	MaxStreamsPerClient int           // open streams per client (httpapi's client key)
	Buffer              int           // newest revisions kept for the streams that are caught up
	Logger              *slog.Logger
}

// Defaults of FeedConfig.
const (
	DefaultChangesPollInterval    = time.Second
	DefaultChangesMaxStreams      = 1000
	DefaultChangesMaxStreamsPerIP = 10
	defaultFeedBuffer             = 1024
	feedPage                      = 100 // revisions per Neo4j read
)

// Feed is the change feed of one server. Safe for concurrent use.
type Feed struct {
	store FeedStore
	cfg   FeedConfig
	log   *slog.Logger

	ctx    context.Context // ends every stream (Close)
	cancel context.CancelFunc
	wg     sync.WaitGroup // the poller and the streams

	mu        sync.Mutex
	open      int            // admitted streams (the caps count these)
	running   int            // streams past their start (their position is fixed)
	perClient map[string]int // open streams per client
	conns     int            // open WebSocket connections (AdmitConnection)
	connsOf   map[string]int // per client
	wake      chan struct{}  // closed when the first stream opens (the poller waits on it when idle)
	known     bool           // head and buf are valid (the poller is polling)
	head      int64          // newest seq the poller has seen
	bufFrom   int64          // buf holds every revision with bufFrom < seq <= head
	buf       []*kg.Revision // oldest first
	changed   chan struct{}  // closed (and replaced) whenever head advances
}

// NewFeed starts the feed's poller (idle until a stream opens); Close stops it.
func NewFeed(store FeedStore, cfg FeedConfig) *Feed {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultChangesPollInterval
	}
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = DefaultChangesMaxStreams
	}
	if cfg.MaxStreamsPerClient <= 0 {
		cfg.MaxStreamsPerClient = DefaultChangesMaxStreamsPerIP
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = defaultFeedBuffer
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Feed{store: store, cfg: cfg, log: cfg.Logger, perClient: map[string]int{}, connsOf: map[string]int{},
		wake: make(chan struct{}), changed: make(chan struct{})}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.wg.Add(1)
	go f.poll()
	return f
}

// Close ends every stream (each ends cleanly: its channel closes, a WebSocket bound with
// Bind closes, an SSE response ends) and the poller, and waits for them up to ctx's deadline.
// Streams opened afterwards are refused.
func (f *Feed) Close(ctx context.Context) error {
	f.cancel()
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Bind returns a context that ends with ctx or when the feed closes: a long-lived connection
// (a WebSocket, an SSE response) runs under it, so that server shutdown ends it.
func (f *Feed) Bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(f.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// Open returns the number of running streams (each past its start: a write committed from
// now on reaches it) and of WebSocket connections (metrics, tests).
func (f *Feed) Open() (streams, connections int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running, f.conns
}

// RevisionModel is a revision in its GraphQL shape (SSE events carry it as JSON).
func RevisionModel(r *kg.Revision) *model.Revision { return revision(r) }

// StreamLimitError refuses a stream over a cap: the server's (Retry shortly: 503) or the
// client's (429).
type StreamLimitError struct {
	PerClient bool
	Max       int
}

func (e *StreamLimitError) Error() string {
	if e.PerClient {
		return fmt.Sprintf("this client already has %d open change streams, the most allowed (CHANGES_MAX_STREAMS_PER_CLIENT); close one first", e.Max)
	}
	return fmt.Sprintf("the server is serving its maximum of %d change streams (CHANGES_MAX_STREAMS); retry shortly", e.Max)
}

// GraphQLError is the error in the GraphQL shape: RATE_LIMITED or SERVICE_UNAVAILABLE.
func (e *StreamLimitError) GraphQLError() *gqlerror.Error {
	code := CodeServiceUnavailable
	if e.PerClient {
		code = CodeRateLimited
	}
	return &gqlerror.Error{Message: e.Error(), Extensions: map[string]any{"code": code}}
}

// ErrFeedClosed: the server is shutting down.
var ErrFeedClosed = fmt.Errorf("%w: the server is shutting down; reconnect with your last cursor", kg.ErrUnavailable)

type streamClientKey struct{}

// WithStreamClient returns ctx naming the client that opens streams under it (httpapi sets
// its rate-limit key), for MaxStreamsPerClient.
func WithStreamClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, streamClientKey{}, client)
}

// Subscribe opens a stream of the revisions after afterSeq (nil: after the newest committed
// one, i.e. from the next write), in seq order. The channel closes when ctx ends or the feed
// closes; the stream's slot is freed then. Errors: *StreamLimitError over a cap,
// ErrFeedClosed, and those of LatestRevisionSeq.
func (f *Feed) Subscribe(ctx context.Context, afterSeq *int64) (<-chan *kg.Revision, error) {
	client, _ := ctx.Value(streamClientKey{}).(string)
	if err := f.admit(client); err != nil {
		return nil, err
	}
	var pos int64
	if afterSeq != nil {
		pos = *afterSeq
	} else {
		var err error
		if pos, err = f.store.LatestRevisionSeq(ctx); err != nil {
			f.release(client, false)
			return nil, err
		}
	}
	ch := make(chan *kg.Revision)
	f.mu.Lock()
	f.running++
	f.mu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer f.release(client, true)
		defer close(ch)
		f.stream(ctx, pos, ch)
	}()
	return ch, nil
}

// AdmitConnection counts one WebSocket connection of client against the same caps as streams
// (a connection without subscriptions still holds a socket and a goroutine); release frees it.
// Errors: *StreamLimitError, ErrFeedClosed.
func (f *Feed) AdmitConnection(client string) (release func(), err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.ctx.Err() != nil:
		return nil, ErrFeedClosed
	case f.connsOf[client] >= f.cfg.MaxStreamsPerClient:
		return nil, &StreamLimitError{PerClient: true, Max: f.cfg.MaxStreamsPerClient}
	case f.conns >= f.cfg.MaxStreams:
		return nil, &StreamLimitError{Max: f.cfg.MaxStreams}
	}
	f.conns++
	f.connsOf[client]++
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.conns--
			if f.connsOf[client]--; f.connsOf[client] <= 0 {
				delete(f.connsOf, client)
			}
		})
	}, nil
}

func (f *Feed) admit(client string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.ctx.Err() != nil:
		return ErrFeedClosed
	case f.perClient[client] >= f.cfg.MaxStreamsPerClient:
		return &StreamLimitError{PerClient: true, Max: f.cfg.MaxStreamsPerClient}
	case f.open >= f.cfg.MaxStreams:
		return &StreamLimitError{Max: f.cfg.MaxStreams}
	}
	f.open++
	f.perClient[client]++
	if f.open == 1 {
		close(f.wake)
	}
	return nil
}

func (f *Feed) release(client string, running bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open--
	if running {
		f.running--
	}
	if f.perClient[client]--; f.perClient[client] <= 0 {
		delete(f.perClient, client)
	}
	if f.open == 0 {
		f.wake = make(chan struct{})
	}
}

// stream sends the revisions after pos to ch until ctx or the feed ends.
func (f *Feed) stream(ctx context.Context, pos int64, ch chan<- *kg.Revision) {
	failing := false
	for {
		revs, changed, ok := f.buffered(pos)
		if !ok {
			// Behind the buffer (a replay) or the poller not started yet: read Neo4j. changed
			// was taken before the read, so a revision polled meanwhile still wakes us.
			var err error
			revs, err = f.store.RevisionsAfter(ctx, pos, feedPage)
			if err != nil {
				if ctx.Err() != nil || f.ctx.Err() != nil {
					return
				}
				if !transient(err) {
					f.log.Error("change feed: stream ended", "err", err, "after", pos)
					return
				}
				if !failing {
					f.log.Warn("change feed: cannot read revisions; retrying", "err", err, "after", pos)
				}
				failing = true
				if !sleep(ctx, f.ctx, f.cfg.PollInterval) {
					return
				}
				continue
			}
			failing = false
		}
		for _, r := range revs {
			select {
			case ch <- r:
				pos = r.Seq
			case <-ctx.Done():
				return
			case <-f.ctx.Done():
				return
			}
		}
		if len(revs) > 0 {
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		case <-f.ctx.Done():
			return
		}
	}
}

// buffered returns the buffered revisions after pos (ok) when the buffer covers pos, and the
// channel that closes when the poller sees newer revisions.
func (f *Feed) buffered(pos int64) (revs []*kg.Revision, changed <-chan struct{}, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.known || pos < f.bufFrom {
		return nil, f.changed, false
	}
	for i, r := range f.buf {
		if r.Seq > pos {
			return f.buf[i:len(f.buf):len(f.buf)], f.changed, true
		}
	}
	return nil, f.changed, true
}

// poll is the feed's one poller: it polls while streams are open and idles otherwise.
func (f *Feed) poll() {
	defer f.wg.Done()
	failing := false
	for {
		f.mu.Lock()
		wake, idle := f.wake, f.open == 0
		if idle {
			f.known, f.buf = false, nil // the next stream starts from a fresh head
		}
		f.mu.Unlock()
		if idle {
			select {
			case <-wake:
			case <-f.ctx.Done():
				return
			}
		}
		full, err := f.pollOnce()
		switch {
		case f.ctx.Err() != nil:
			return
		case err != nil && !failing:
			f.log.Warn("change feed: polling failed; retrying", "err", err)
			failing = true
		case err == nil && failing:
			f.log.Info("change feed: polling again")
			failing = false
		}
		if full {
			continue // more are waiting: read them at once
		}
		if !sleep(f.ctx, f.ctx, f.cfg.PollInterval) {
			return
		}
	}
}

// pollOnce reads the revisions after head into the buffer and wakes the streams; full says a
// whole page came back (more may be waiting).
func (f *Feed) pollOnce() (full bool, err error) {
	ctx, cancel := context.WithTimeout(f.ctx, max(f.cfg.PollInterval, 5*time.Second))
	defer cancel()
	f.mu.Lock()
	known, head := f.known, f.head
	f.mu.Unlock()
	if !known {
		latest, err := f.store.LatestRevisionSeq(ctx)
		if err != nil {
			return false, err
		}
		f.mu.Lock()
		f.known, f.head, f.bufFrom, f.buf = true, latest, latest, nil
		f.advanced()
		f.mu.Unlock()
		return false, nil
	}
	revs, err := f.store.RevisionsAfter(ctx, head, feedPage)
	if err != nil || len(revs) == 0 {
		return false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.known || f.head != head {
		return false, nil // went idle meanwhile
	}
	f.buf = append(f.buf, revs...)
	if over := len(f.buf) - f.cfg.Buffer; over > 0 {
		f.bufFrom = f.buf[over-1].Seq
		f.buf = append([]*kg.Revision(nil), f.buf[over:]...)
	}
	f.head = revs[len(revs)-1].Seq
	f.advanced()
	return len(revs) == feedPage, nil
}

// advanced wakes the streams waiting for news. Called with f.mu held.
func (f *Feed) advanced() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// transient says whether a store error may go away by itself (the database down or slow).
func transient(err error) bool {
	return errors.Is(err, kg.ErrUnavailable) || errors.Is(err, kg.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded)
}

// sleep waits d, or returns false when a or b ends first.
func sleep(a, b context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-a.Done():
		return false
	case <-b.Done():
		return false
	}
}

// feedOrder names the change feed's cursors (kg.Cursor): Key is the revision's seq.
const feedOrder = "FEED"

// FeedCursor is the opaque cursor of the revision with this seq.
func FeedCursor(seq int64) string {
	return kg.Cursor{Order: feedOrder, Key: seq, ID: fmt.Sprintf("rev:%d", seq)}.Encode()
}

// DecodeFeedCursor reads a FeedCursor given as argument (named in the error: kg.ErrInvalid).
func DecodeFeedCursor(argument, s string) (int64, error) {
	c, err := kg.DecodeCursor(argument, s, feedOrder)
	if err != nil {
		return 0, err
	}
	seq, ok := c.Key.(int64)
	if !ok || seq < 0 || c.ID != fmt.Sprintf("rev:%d", seq) {
		return 0, kg.Invalid(argument, "is not a change feed cursor returned by this API")
	}
	return seq, nil
}

// errNoStreamTransport: a subscription sent as a plain HTTP request.
var errNoStreamTransport = &gqlerror.Error{
	Message:    "subscriptions are served over WebSocket on /graphql (graphql-transport-ws), or as Server-Sent Events from GET /changes",
	Extensions: map[string]any{"code": CodeBadRequest},
}

// subscribeChanges is the `changes` subscription: the revisions of feed after the cursor,
// in their GraphQL shape.
func subscribeChanges(ctx context.Context, feed *Feed, after *string) (<-chan *model.Revision, error) {
	if feed == nil {
		return nil, errNoStreamTransport
	}
	var from *int64
	if after != nil {
		seq, err := DecodeFeedCursor("after", *after)
		if err != nil {
			return nil, err
		}
		from = &seq
	}
	src, err := feed.Subscribe(ctx, from)
	if sl, ok := errors.AsType[*StreamLimitError](err); ok {
		return nil, sl.GraphQLError()
	}
	if errors.Is(err, ErrFeedClosed) {
		return nil, &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"code": CodeServiceUnavailable}}
	}
	if err != nil {
		return nil, err
	}
	out := make(chan *model.Revision)
	go func() {
		defer close(out)
		for r := range src {
			select {
			case out <- revision(r):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

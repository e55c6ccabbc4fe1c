package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/kg"
)

// The change feed over HTTP (graph/feed.go): WebSocket upgrades of /graphql go to the stream
// executor, and GET /changes serves the same feed as Server-Sent Events. Neither runs under the
// request deadline, the body limit or the in-flight cap of plain requests: a stream lives as
// long as its client, and the feed's own caps (CHANGES_MAX_STREAMS,
// CHANGES_MAX_STREAMS_PER_CLIENT) bound them instead. Each costs one rate-limit point at the
// door (and a subscription its complexity); each ends when the server shuts down (Feed.Bind).

// Heartbeats keep proxies from closing an idle stream and find dead clients; a write that
// cannot finish within sseWriteTimeout (a client that stopped reading) ends the stream.
const (
	sseHeartbeat    = 15 * time.Second
	sseWriteTimeout = 30 * time.Second
	sseRetryMillis  = 2000 // the reconnection delay EventSource clients are told
)

// withStreams sends WebSocket upgrades to the stream executor and everything else to next
// (the plain /graphql chain). Without a feed it is next.
func withStreams(c Config, lim *limiter, l graph.Limits, next http.Handler) http.Handler {
	if c.Feed == nil {
		return next
	}
	var auth graph.StreamAuth
	if c.Auth != nil {
		auth = c.Auth
	}
	ws := graph.NewStreamHandler(c.Store, c.Logger, l, graph.Streams{Feed: c.Feed, Auth: auth, Origins: c.CORSOrigins})
	upgrade := lim.stream(c.Feed, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		release, err := c.Feed.AdmitConnection(streamClient(r.Context()))
		if err != nil {
			refuseStream(w, err)
			return
		}
		defer release()
		ws.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			upgrade.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type streamClientKey struct{}

func streamClient(ctx context.Context) string {
	s, _ := ctx.Value(streamClientKey{}).(string)
	return s
}

// stream is the limiter for streams: one point at the door (429 when spent), the operation's
// complexity charged like any GraphQL request, no in-flight slot; the request runs under a
// context that the feed's Close ends, and names its client for the per-client cap.
func (l *limiter) stream(feed *graph.Feed, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := l.client(r)
		ctx := r.Context()
		if l.rl.PointsPerSecond > 0 {
			if ok, wait := l.take(client, 1); !ok {
				refuse(w, r, false, http.StatusTooManyRequests, wait, graph.CodeRateLimited, rateLimitedMessage(wait))
				return
			}
			ctx = graph.WithCharge(ctx, func(cost int) error {
				if ok, wait := l.take(client, min(float64(cost), l.rl.Burst)); !ok {
					return fmt.Errorf("rate limit exceeded: this operation costs %d points, more than this client has left; retry in %s s (README, Limits and errors)", cost, retryAfter(wait.Seconds()))
				}
				return nil
			})
		}
		key := client.String()
		ctx = graph.WithStreamClient(context.WithValue(ctx, streamClientKey{}, key), key)
		ctx, cancel := feed.Bind(ctx)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// refuseStream answers a stream the feed refuses: 429 over the client's cap, 503 over the
// server's or while shutting down.
func refuseStream(w http.ResponseWriter, err error) {
	status, code := http.StatusServiceUnavailable, graph.CodeServiceUnavailable
	if sl, ok := errors.AsType[*graph.StreamLimitError](err); ok && sl.PerClient {
		status, code = http.StatusTooManyRequests, graph.CodeRateLimited
	}
	w.Header().Set("Retry-After", "5")
	writeError(w, status, code, err.Error())
}

// sseHandler is GET /changes: the change feed as Server-Sent Events.
//
//	GET /changes[?after=<feedCursor>]      Last-Event-ID (sent by EventSource on reconnect) wins over after
//	retry: 2000
//
//	id: <feedCursor>
//	data: {"id":"rev:12","seq":12,...,"feedCursor":"..."}     one Revision per event, in the GraphQL shape
//
//	: keep-alive                                              every 15 s
func sseHandler(feed *graph.Feed, auth *Auth) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD, OPTIONS")
			writeError(w, http.StatusMethodNotAllowed, graph.CodeBadRequest, "GET /changes (text/event-stream)")
			return
		}
		ctx, err := auth.Context(r.Context(), r.Header.Get("Authorization"))
		if err != nil {
			auth.refuse(w, r, false, err) // 401 with WWW-Authenticate, or 503/504
			return
		}
		var from *int64
		arg, cursor := "after", r.URL.Query().Get("after")
		if id := r.Header.Get("Last-Event-ID"); id != "" {
			arg, cursor = "Last-Event-ID", id
		}
		if cursor != "" {
			seq, err := graph.DecodeFeedCursor(arg, cursor)
			if err != nil {
				writeError(w, http.StatusBadRequest, graph.CodeBadUserInput, err.Error())
				return
			}
			from = &seq
		}
		if r.Method == http.MethodHead {
			w.Header().Set("Content-Type", "text/event-stream")
			return
		}
		revs, err := feed.Subscribe(ctx, from)
		if err != nil {
			if _, ok := errors.AsType[*graph.StreamLimitError](err); ok || errors.Is(err, graph.ErrFeedClosed) {
				refuseStream(w, err)
			} else {
				writeError(w, http.StatusServiceUnavailable, graph.CodeServiceUnavailable, "the database is unavailable; try again shortly")
			}
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{}) // the server's ReadTimeout would end the stream
		h := w.Header()
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
		h.Set("X-Content-Type-Options", "nosniff")
		write := func(f func(io.Writer) error) bool {
			_ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
			return f(w) == nil && rc.Flush() == nil
		}
		if !write(func(w io.Writer) error { _, err := fmt.Fprintf(w, "retry: %d\n\n", sseRetryMillis); return err }) {
			return
		}
		beat := time.NewTicker(sseHeartbeat)
		defer beat.Stop()
		for {
			select {
			case rev, ok := <-revs:
				if !ok {
					return // the client left or the server is shutting down
				}
				if !write(func(w io.Writer) error { return writeEvent(w, rev) }) {
					return
				}
			case <-beat.C:
				if !write(func(w io.Writer) error { _, err := io.WriteString(w, ": keep-alive\n\n"); return err }) {
					return
				}
			}
		}
	})
}

// writeEvent writes one revision as an SSE event: its cursor as the id, its GraphQL JSON
// (one line: JSON escapes newlines) as the data.
func writeEvent(w io.Writer, rev *kg.Revision) error {
	m := graph.RevisionModel(rev)
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %s\ndata: %s\n\n", m.FeedCursor, b)
	return err
}

package main

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/policygraph/policygraph/internal/neo4jtest"
)

// The whole server: SIGTERM (a cancelled run) with a WebSocket subscription and an SSE stream
// open ends both cleanly and run returns (graceful shutdown does not wait on them).
func TestShutdownEndsChangeStreams(t *testing.T) {
	neo4jtest.Store(t)
	env := storeEnv(t)
	env["LOAD_BUNDLED_DATA"] = "false"
	s := start(t, env)
	waitReady(t, s.url)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	var ack map[string]any
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init"}); err != nil {
		t.Fatal(err)
	}
	if err := wsjson.Read(ctx, conn, &ack); err != nil || ack["type"] != "connection_ack" {
		t.Fatalf("connection_init: %v %v", ack, err)
	}
	if err := wsjson.Write(ctx, conn, map[string]any{"id": "1", "type": "subscribe",
		"payload": map[string]any{"query": "subscription { changes { id } }"}}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/changes", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /changes: %v %v", res, err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "retry:") {
		t.Fatalf("SSE did not start: %q %v", sc.Text(), sc.Err())
	}

	s.stop(t) // fails the test if run does not return
	for sc.Scan() {
	}
	if err := sc.Err(); err != nil {
		t.Errorf("SSE stream: %v, want a clean end", err)
	}
	for {
		var m map[string]any
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Errorf("WebSocket ended with %v, want a normal closure", err)
			}
			break
		}
	}
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// CHANGES_* values are checked at start-up, each error naming its variable.
func TestChangesConfig(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"CHANGES_POLL_INTERVAL", "often", `CHANGES_POLL_INTERVAL: "often" is not a duration from 50ms to 1m`},
		{"CHANGES_POLL_INTERVAL", "10ms", `CHANGES_POLL_INTERVAL: "10ms"`},
		{"CHANGES_POLL_INTERVAL", "2m", `CHANGES_POLL_INTERVAL: "2m"`},
		{"CHANGES_MAX_STREAMS", "0", `CHANGES_MAX_STREAMS: "0" is not a positive whole number`},
		{"CHANGES_MAX_STREAMS_PER_CLIENT", "ten", `CHANGES_MAX_STREAMS_PER_CLIENT: "ten" is not a positive whole number`},
	} {
		_, err := loadConfig(func(k string) string {
			if k == c.name {
				return c.value
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%s: %v, want %q", c.name, c.value, err, c.want)
		}
	}
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"CHANGES_POLL_INTERVAL": "250ms", "CHANGES_MAX_STREAMS": "7", "CHANGES_MAX_STREAMS_PER_CLIENT": "2"}[k]
	})
	if err != nil || cfg.ChangesPollInterval != 250*time.Millisecond || cfg.ChangesMaxStreams != 7 || cfg.ChangesMaxPerClient != 2 {
		t.Fatalf("valid values: %+v, %v", cfg, err)
	}
	if d, _ := loadConfig(func(string) string { return "" }); d.ChangesPollInterval != time.Second || d.ChangesMaxStreams != 1000 || d.ChangesMaxPerClient != 10 {
		t.Fatalf("defaults: %v %d %d", d.ChangesPollInterval, d.ChangesMaxStreams, d.ChangesMaxPerClient)
	}
}

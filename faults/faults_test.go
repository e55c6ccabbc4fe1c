package faults

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// The suite's fixtures, set by TestMain when POLICYGRAPH_FAULTS=1: the server binary (built
// once) and one private Neo4j (started once with scripts/neo4j.sh on a free port and a
// temporary data directory; the restart test stops and starts it again).
var (
	enabled bool
	binary  string
	db      *neo4jServer
)

func TestMain(m *testing.M) { os.Exit(runSuite(m)) }

func runSuite(m *testing.M) int {
	if os.Getenv("POLICYGRAPH_FAULTS") != "1" {
		return m.Run() // every test skips (see need)
	}
	enabled = true
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "policygraph-faults.")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	port, err := freePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	db = &neo4jServer{root: root, port: port, data: filepath.Join(tmp, "neo4j"), password: "faults-" + randomHex(8)}

	// Build the server while Neo4j starts (both take a while on two cores).
	binary = filepath.Join(tmp, "policygraph")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	buildErr := make(chan error, 1)
	go func() { buildErr <- build.Run() }()

	// A Ctrl-C must not leave the private Neo4j running.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		_ = db.stop()
		os.RemoveAll(tmp)
		os.Exit(130)
	}()

	t0 := time.Now()
	startErr := db.start()
	defer func() {
		if err := db.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "faults: stopping Neo4j:", err)
		}
	}()
	if err := <-buildErr; err != nil {
		fmt.Fprintln(os.Stderr, "faults: go build:", err)
		return 1
	}
	if startErr != nil {
		fmt.Fprintln(os.Stderr, "faults: Neo4j:", startErr)
		return 1
	}
	fmt.Fprintf(os.Stderr, "faults: Neo4j on bolt://127.0.0.1:%d and the server binary ready in %s\n", port, time.Since(t0).Round(time.Second))
	return m.Run()
}

func need(t *testing.T) {
	t.Helper()
	if !enabled {
		t.Skip("the fault suite runs with POLICYGRAPH_FAULTS=1 (make faults)")
	}
}

// neo4jServer is the suite's Neo4j, driven by the project's launcher script.
type neo4jServer struct {
	root, data, password string
	port                 int
}

func (n *neo4jServer) script(args ...string) error {
	cmd := exec.Command("bash", append([]string{filepath.Join(n.root, "scripts", "neo4j.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "NEO4J_PID_FILE=", "NEO4J_PAGECACHE_MB=256", "NEO4J_START_TIMEOUT=180")
	if os.Getenv("NEO4J_JAVA_OPTS") == "" {
		cmd.Env = append(cmd.Env, "NEO4J_JAVA_OPTS=-XX:TieredStopAtLevel=1") // as make test: halves start-up CPU
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scripts/neo4j.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (n *neo4jServer) start() error {
	return n.script("start", "--port", strconv.Itoa(n.port), "--data", n.data, "--password", n.password)
}

func (n *neo4jServer) stop() error { return n.script("stop", "--data", n.data) }

// pid is the process id of the Neo4j JVM (the launcher execs java in place).
func (n *neo4jServer) pid(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.data, "launcher.pid"))
	if err != nil {
		t.Fatalf("Neo4j pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("Neo4j pid file: %v", err)
	}
	return pid
}

func (n *neo4jServer) uri() string { return fmt.Sprintf("bolt://127.0.0.1:%d", n.port) }

// server is the policygraph binary running as a child process.
type server struct {
	cmd  *exec.Cmd
	url  string
	logs *logBuf
	done chan struct{}
	err  error // Wait's result, once done is closed
}

// startServer runs the server against the suite's Neo4j with RATE_LIMIT=off (the load is one
// client IP) plus env, and waits until it listens.
func startServer(t *testing.T, env map[string]string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "NEO4J_URI="+db.uri(), "NEO4J_USER=neo4j", "NEO4J_PASSWORD="+db.password,
		"NEO4J_DATABASE=neo4j", "LISTEN_ADDR=127.0.0.1:0", "RATE_LIMIT=off", "LOG_LEVEL=info",
		"METRICS_ADDR=", "OTEL_TRACES_EXPORTER=none", "OTEL_EXPORTER_OTLP_ENDPOINT=", "LOAD_BUNDLED_DATA=true")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: &logBuf{addr: make(chan string, 1)}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go s.logs.read(stderr)
	go func() { s.err = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("server log, warnings and errors (first 40):\n%s", s.logs.matching(40, `"level":"WARN"`, `"level":"ERROR"`))
			t.Logf("server log (tail):\n%s", s.logs.tail(40))
		}
	})
	select {
	case addr := <-s.logs.addr:
		s.url = "http://" + addr
	case <-s.done:
		t.Fatalf("server exited at start: %v\n%s", s.err, s.logs.tail(40))
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not listen within 60 s\n%s", s.logs.tail(40))
	}
	return s
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// running says whether the process has not exited.
func (s *server) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// waitReady polls /readyz until it answers 200.
func (s *server) waitReady(t *testing.T, within time.Duration) time.Time {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for {
		if res, err := c.Get(s.url + "/readyz"); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				return time.Now()
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 within %s\n%s", within, s.logs.tail(40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logBuf keeps the server's JSON log lines and reports its listening address.
type logBuf struct {
	mu    sync.Mutex
	lines []string
	addr  chan string
}

func (l *logBuf) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		l.mu.Lock()
		l.lines = append(l.lines, line)
		l.mu.Unlock()
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
			l.addr <- rec.Addr
		}
	}
}

func (l *logBuf) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(0, len(l.lines)-n):], "\n")
}

// matching returns the first n lines containing any of substrs.
func (l *logBuf) matching(n int, substrs ...string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.lines {
		if len(out) < n && slices.ContainsFunc(substrs, func(s string) bool { return strings.Contains(line, s) }) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func (l *logBuf) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

// probe is one /readyz answer (status 0: no answer within the prober's deadline).
type probe struct {
	at, end time.Time
	status  int
}

// prober polls /readyz every 100 ms, with a 2 s client deadline, until stopped.
type prober struct {
	mu     sync.Mutex
	probes []probe
	stop   context.CancelFunc
	done   chan struct{}
}

func startProber(url string) *prober {
	ctx, cancel := context.WithCancel(context.Background())
	p := &prober{stop: cancel, done: make(chan struct{})}
	c := &http.Client{Timeout: 2 * time.Second}
	go func() {
		defer close(p.done)
		for ctx.Err() == nil {
			pr := probe{at: time.Now()}
			if res, err := c.Get(url + "/readyz"); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				pr.status = res.StatusCode
			}
			pr.end = time.Now()
			p.mu.Lock()
			p.probes = append(p.probes, pr)
			p.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return p
}

func (p *prober) halt() []probe {
	p.stop()
	<-p.done
	return p.probes
}

// first returns the first probe at or after t with the given status.
func (p *prober) first(t time.Time, status int) (probe, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.probes {
		if !pr.at.Before(t) && pr.status == status {
			return pr, true
		}
	}
	return probe{}, false
}

// waitFor polls p until it has a probe with status at or after t.
func (p *prober) waitFor(t *testing.T, after time.Time, status int, within time.Duration) probe {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if pr, ok := p.first(after, status); ok {
			return pr
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never answered %d within %s", status, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// firstEnded is the result that ended first after t among the successful (ok) or the failed
// (!ok) ones.
func firstEnded(rs []Result, t time.Time, ok bool) (Result, bool) {
	var first Result
	found := false
	for _, r := range rs {
		if (r.Code == OK) == ok && r.End.After(t) && (!found || r.End.Before(first.End)) {
			first, found = r, true
		}
	}
	return first, found
}

// endedBefore is the results that ended before t.
func endedBefore(rs []Result, t time.Time) []Result {
	var out []Result
	for _, r := range rs {
		if r.End.Before(t) {
			out = append(out, r)
		}
	}
	return out
}

// between is the results that started in [from, to).
func between(rs []Result, from, to time.Time) []Result {
	var out []Result
	for _, r := range rs {
		if !r.Start.Before(from) && r.Start.Before(to) {
			out = append(out, r)
		}
	}
	return out
}

func since(t0, t time.Time) string { return t.Sub(t0).Round(10 * time.Millisecond).String() }

// Neo4j stopped under concurrent load and started again, the server left running: requests
// fail only inside the outage, and fail fast and completely (a response, never a hang); /readyz
// says 503 in the outage and 200 only once a real query works again, after which every request
// succeeds. The times (to detect, to recover; Bolt up versus the database serving queries) are
// logged for docs/reliability.md.
func TestNeo4jRestartUnderLoad(t *testing.T) {
	need(t)
	s := startServer(t, nil)      // QUERY_TIMEOUT 10s: a restarted Neo4j plans every query afresh
	s.waitReady(t, 3*time.Minute) // the first server loads the bundled dataset
	client := NewClient(60 * time.Second)
	warm(t, s, client)
	const clients, think = 4, 20 * time.Millisecond

	probes := startProber(s.url)
	defer probes.halt()
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	loaded := make(chan []Result, 1)
	go func() { loaded <- Clients(ctx, client, s.url, clients, 0, think) }()

	time.Sleep(3 * time.Second) // baseline
	tStop := time.Now()
	if err := db.stop(); err != nil {
		t.Fatal(err)
	}
	tStopped := time.Now()
	time.Sleep(3 * time.Second) // Neo4j down

	// While Neo4j starts: when does Bolt accept connections, and when does the driver's
	// connectivity check (what /readyz used to ask) pass? Versus a real query (/readyz now).
	tStart := time.Now()
	watch, stopWatch := context.WithCancel(context.Background())
	boltUp, verified := make(chan time.Time, 1), make(chan time.Time, 1)
	go watchBolt(watch, boltUp, verified)
	if err := db.start(); err != nil {
		stopWatch()
		t.Fatal(err)
	}
	tStarted := time.Now()
	ready := probes.waitFor(t, tStart, 200, 2*time.Minute)
	time.Sleep(5 * time.Second) // load after recovery
	stopLoad()
	stopWatch()
	rs := <-loaded
	all := probes.halt()

	if !s.running() {
		t.Fatalf("the server exited: %v", s.err)
	}
	sum := Summarize(rs)
	t.Logf("load: %d clients, closed loop with %s between requests, the five README queries, RATE_LIMIT=off: %s", clients, think, sum)

	// Behaviour.
	for _, r := range rs {
		if r.Code == Transport || r.Code == Refused {
			t.Errorf("a request got no complete response (%s after %s): %v", r.Code, r.Latency(), r.Err)
		}
	}
	if bad := Summarize(endedBefore(rs, tStop)); bad.Failed() > 0 || bad.N == 0 {
		t.Errorf("requests failed before Neo4j was stopped (or none ran): %s", bad)
	}
	if bad := Summarize(between(rs, ready.end, time.Now())); bad.Failed() > 0 || bad.N == 0 {
		t.Errorf("after /readyz said 200 again, requests failed (or none ran): %s", bad)
	}
	down, ok := probes.first(tStop, 503)
	if !ok || down.at.After(tStart) {
		t.Errorf("/readyz never said 503 while Neo4j was down")
	}
	for _, pr := range all {
		if pr.status == 0 {
			t.Errorf("/readyz gave no answer within 2 s (asked %s after the stop began)", since(tStop, pr.at))
		}
	}
	for _, pr := range all {
		if pr.at.After(down.end) && pr.at.Before(tStart) && pr.status == 200 {
			t.Errorf("/readyz said 200 while Neo4j was down (%s after the stop began)", since(tStop, pr.at))
		}
	}

	// Figures.
	outage := between(rs, tStop, ready.end)
	osum := Summarize(outage)
	t.Logf("stop: scripts/neo4j.sh stop took %s", since(tStop, tStopped))
	if r, ok := firstEnded(rs, tStop, false); ok {
		t.Logf("detect: first failed request ended %s after the stop began (%s); /readyz 503 at %s", since(tStop, r.End), r.Code, since(tStop, down.end))
	}
	failed := 0
	var slowest time.Duration
	for _, r := range outage {
		if r.Code != OK {
			failed++
			slowest = max(slowest, r.Latency())
		}
	}
	t.Logf("outage (stop began .. /readyz 200 again): %d requests, %d failed, slowest failure %s: %s", osum.N, failed, slowest.Round(time.Millisecond), osum)
	t.Logf("start: scripts/neo4j.sh start took %s (its ready file: Bolt up and the password set)", since(tStart, tStarted))
	var tBolt, tVerified time.Time
	select {
	case tBolt = <-boltUp:
		t.Logf("restart: Bolt accepted TCP connections %s after the start began", since(tStart, tBolt))
	default:
	}
	select {
	case tVerified = <-verified:
		t.Logf("restart: the driver's VerifyConnectivity (the old /readyz) passed %s after the start began", since(tStart, tVerified))
	default:
	}
	t.Logf("restart: /readyz 200 (RETURN 1 answered) %s after the start began", since(tStart, ready.end))
	if r, ok := firstEnded(rs, tStart, true); ok {
		t.Logf("recover: first successful request ended %s after the start began (sent %s before)", since(tStart, r.End), r.Latency().Round(time.Millisecond))
	}
	if !tBolt.IsZero() {
		var gap []Result
		for _, r := range rs {
			if r.End.After(tBolt) && r.Start.Before(ready.end) {
				gap = append(gap, r)
			}
		}
		t.Logf("requests in flight between Bolt accepting and /readyz 200 (%s): %s", ready.end.Sub(tBolt).Round(10*time.Millisecond), Summarize(gap))
	}
	t.Logf("server log: %d lines say the database was not ready", s.logs.count("not ready"))
}

// warm sends each of the five queries until it succeeds, so that Neo4j has planned them (a
// cold Neo4j on a busy machine may need longer than a short QUERY_TIMEOUT for the first ones).
func warm(t *testing.T, s *server, c *http.Client) {
	t.Helper()
	t0 := time.Now()
	for q := range Queries {
		for tries := 0; ; tries++ {
			r := Do(context.Background(), c, s.url, q)
			if r.Code == OK {
				break
			}
			if tries == 20 {
				t.Fatalf("query %d never succeeded: %s %v\n%s", q, r.Code, r.Err, s.logs.tail(20))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Logf("warm-up (each query once, cold plans): %s", time.Since(t0).Round(10*time.Millisecond))
}

// watchBolt reports when Bolt first accepts a TCP connection and when the driver's
// VerifyConnectivity first passes, polling every 50 ms until ctx ends.
func watchBolt(ctx context.Context, boltUp, verified chan<- time.Time) {
	drv, err := neo4j.NewDriverWithContext(db.uri(), neo4j.BasicAuth("neo4j", db.password, ""))
	if err != nil {
		return
	}
	defer drv.Close(context.Background())
	var sawBolt bool
	for ctx.Err() == nil {
		if !sawBolt {
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", db.port), 200*time.Millisecond); err == nil {
				c.Close()
				boltUp <- time.Now()
				sawBolt = true
			}
		}
		if sawBolt {
			vctx, cancel := context.WithTimeout(ctx, time.Second)
			err := drv.VerifyConnectivity(vctx)
			cancel()
			if err == nil {
				verified <- time.Now()
				return
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Neo4j frozen (SIGSTOP: its connections stay open, nothing answers) under load: every request
// still completes, with TIMEOUT or SERVICE_UNAVAILABLE, well before the client's generous
// deadline (QUERY_TIMEOUT=2s: the server's own deadline is 2 s + 5 s); /readyz answers 503
// within its second; after SIGCONT everything works again without a restart.
func TestNeo4jFrozen(t *testing.T) {
	need(t)
	s := startServer(t, map[string]string{"QUERY_TIMEOUT": "2s"})
	s.waitReady(t, 2*time.Minute)
	client := NewClient(30 * time.Second) // generous: a request that takes this long is hung
	warm(t, s, client)
	const clients, think = 4, 20 * time.Millisecond

	probes := startProber(s.url)
	defer probes.halt()
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	loaded := make(chan []Result, 1)
	go func() { loaded <- Clients(ctx, client, s.url, clients, 0, think) }()
	time.Sleep(2 * time.Second)

	pid := db.pid(t)
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("SIGCONT Neo4j: %v", err)
			}
		}
	}
	t.Cleanup(thaw) // never leave the suite's Neo4j frozen
	tFreeze := time.Now()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Second)
	tThaw := time.Now()
	thaw()
	ready := probes.waitFor(t, tThaw, 200, time.Minute)
	time.Sleep(3 * time.Second)
	stopLoad()
	rs := <-loaded
	all := probes.halt()

	if !s.running() {
		t.Fatalf("the server exited: %v", s.err)
	}
	sum := Summarize(rs)
	t.Logf("load: %d clients, QUERY_TIMEOUT=2s, Neo4j frozen for %s: %s", clients, tThaw.Sub(tFreeze).Round(time.Millisecond), sum)
	for _, r := range rs {
		switch r.Code {
		case OK, "TIMEOUT", "SERVICE_UNAVAILABLE":
		default:
			t.Errorf("a request ended %s after %s: %v", r.Code, r.Latency(), r.Err)
		}
	}
	if bad := Summarize(endedBefore(rs, tFreeze)); bad.Failed() > 0 || bad.N == 0 {
		t.Errorf("requests failed before the freeze (or none ran): %s", bad)
	}
	if bad := Summarize(between(rs, ready.end, time.Now())); bad.Failed() > 0 || bad.N == 0 {
		t.Errorf("after /readyz said 200 again, requests failed (or none ran): %s", bad)
	}
	frozen := Summarize(between(rs, tFreeze, tThaw))
	if frozen.Failed() == 0 {
		t.Errorf("no request failed while Neo4j was frozen: %s", frozen)
	}
	saw503 := false
	var slowestProbe time.Duration
	for _, pr := range all {
		if pr.at.After(tFreeze) && pr.end.Before(tThaw) {
			slowestProbe = max(slowestProbe, pr.end.Sub(pr.at))
			if pr.status == 503 {
				saw503 = true
			}
			if pr.status == 200 && pr.at.After(tFreeze.Add(time.Second)) {
				t.Errorf("/readyz said 200 while Neo4j was frozen (%s in)", since(tFreeze, pr.at))
			}
		}
		if pr.status == 0 {
			t.Errorf("/readyz gave no answer within 2 s (%s after the freeze)", since(tFreeze, pr.at))
		}
	}
	if !saw503 {
		t.Error("/readyz never said 503 while Neo4j was frozen")
	}

	failed := 0
	var slowest time.Duration
	for _, r := range rs {
		if r.Code != OK {
			failed++
			slowest = max(slowest, r.Latency())
		}
	}
	if r, ok := firstEnded(rs, tFreeze, false); ok {
		t.Logf("detect: first failed request ended %s after SIGSTOP (%s, after %s)", since(tFreeze, r.End), r.Code, r.Latency().Round(time.Millisecond))
	}
	if pr, ok := probes.first(tFreeze, 503); ok {
		t.Logf("detect: /readyz 503 at %s after SIGSTOP; slowest /readyz answer while frozen %s", since(tFreeze, pr.end), slowestProbe.Round(time.Millisecond))
	}
	t.Logf("frozen: %d requests failed, slowest failure %s; while frozen: %s", failed, slowest.Round(time.Millisecond), frozen)
	t.Logf("recover: /readyz 200 %s after SIGCONT", since(tThaw, ready.end))
	if r, ok := firstEnded(rs, tThaw, true); ok {
		t.Logf("recover: first successful request ended %s after SIGCONT", since(tThaw, r.End))
	}
}

// SIGTERM mid-load: the requests in flight (held there by freezing Neo4j for a moment, so
// that they certainly are) all get their complete answer, the listener closes (later requests
// are refused, never cut), and the process exits 0.
func TestSIGTERMMidLoad(t *testing.T) {
	need(t)
	s := startServer(t, nil)
	s.waitReady(t, 2*time.Minute)
	client := NewClient(60 * time.Second)
	warm(t, s, client)

	// Background load, then 16 more requests held in flight by a frozen Neo4j.
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	loaded := make(chan []Result, 1)
	go func() { loaded <- Clients(ctx, client, s.url, 4, 0, 20*time.Millisecond) }()
	time.Sleep(2 * time.Second)

	pid := db.pid(t)
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("SIGCONT Neo4j: %v", err)
			}
		}
	}
	t.Cleanup(thaw)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	const held = 16
	heldResults := make(chan Result, held)
	for i := 0; i < held; i++ {
		go func() { heldResults <- Do(context.Background(), client, s.url, i%len(Queries)) }()
	}
	time.Sleep(time.Second) // the held requests reach the server and wait on Neo4j

	tTerm := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The listener closes at once: a new connection is refused while the held requests wait.
	time.Sleep(300 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.url, "http://"), time.Second); err == nil {
		c.Close()
		t.Error("the server still accepts connections after SIGTERM")
	}
	tThaw := time.Now()
	thaw()
	var hs []Result
	for i := 0; i < held; i++ {
		hs = append(hs, <-heldResults)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not exit within 30 s of SIGTERM")
	}
	tExit := time.Now()
	stopLoad()
	rs := <-loaded

	if s.err != nil {
		t.Errorf("exit: %v, want status 0\n%s", s.err, s.logs.tail(20))
	}
	for _, r := range hs {
		if r.Code != OK {
			t.Errorf("a request in flight at SIGTERM ended %s (status %d) after %s: %v", r.Code, r.Status, r.Latency(), r.Err)
		}
	}
	for _, r := range rs {
		switch {
		case r.Code == OK:
		case r.Code == Refused && !r.Start.Before(tTerm):
		default:
			t.Errorf("a background request (started %s after SIGTERM) ended %s (status %d): %v", since(tTerm, r.Start), r.Code, r.Status, r.Err)
		}
	}
	if s.logs.count(`"msg":"stopped"`) != 1 {
		t.Errorf("no clean stop in the log:\n%s", s.logs.tail(20))
	}
	var slowest time.Duration
	for _, r := range hs {
		slowest = max(slowest, r.Latency())
	}
	t.Logf("SIGTERM: %d requests held in flight (Neo4j frozen until %s after SIGTERM) answered within %s of their start; exit %s after SIGTERM; background load (4 clients): %s",
		held, since(tTerm, tThaw), slowest.Round(time.Millisecond), since(tTerm, tExit), Summarize(rs))
}

// 64 concurrent clients (MAX_INFLIGHT's default) for two rounds of requests: every request is
// answered, and the resident set after is within twice the one before (plus 32 MiB).
func TestConcurrentClientsFlatRSS(t *testing.T) {
	need(t)
	s := startServer(t, nil)
	s.waitReady(t, 2*time.Minute)
	client := NewClient(60 * time.Second)
	ctx := context.Background()

	warm(t, s, client)
	Clients(ctx, client, s.url, 8, 25, 0) // warm up: JIT in Neo4j, pools, caches
	before := procStatus(t, s.pid())
	const clients, each = 64, 40
	var sums []Summary
	var after []map[string]int64
	for round := 0; round < 2; round++ {
		rs := Clients(ctx, client, s.url, clients, each, 0)
		sum := Summarize(rs)
		sums = append(sums, sum)
		after = append(after, procStatus(t, s.pid()))
		for _, r := range rs {
			if r.Code != OK {
				t.Errorf("round %d: a request ended %s (status %d): %v", round+1, r.Code, r.Status, r.Err)
				break
			}
		}
		t.Logf("round %d: %d clients x %d requests in %s (%.0f req/s): %s", round+1, clients, each,
			sum.Span.Round(time.Millisecond), float64(sum.N)/sum.Span.Seconds(), sum)
	}
	last := after[len(after)-1]
	t.Logf("RSS: before %d MiB; after round 1 %d MiB, round 2 %d MiB; peak (VmHWM) %d MiB; threads %d -> %d",
		before["VmRSS"]>>10, after[0]["VmRSS"]>>10, last["VmRSS"]>>10, last["VmHWM"]>>10, before["Threads"], last["Threads"])
	if limit := 2*before["VmRSS"] + 32<<10; last["VmRSS"] > limit {
		t.Errorf("RSS grew from %d KiB to %d KiB (bound %d KiB)", before["VmRSS"], last["VmRSS"], limit)
	}
}

// procStatus reads VmRSS and VmHWM (KiB) and Threads from /proc/PID/status.
func procStatus(t *testing.T, pid int) map[string]int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch k {
		case "VmRSS", "VmHWM", "Threads":
			f := strings.Fields(v)
			if len(f) > 0 {
				out[k], _ = strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	if out["VmRSS"] == 0 {
		t.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	return out
}

func freePort() (int, error) {
	// Below Linux's ephemeral range (32768+), so no client socket takes it while Neo4j restarts.
	for i := 0; i < 200; i++ {
		p := 20000 + int(randomUint()%12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			ln.Close()
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free TCP port for Neo4j")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomUint() uint64 {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var u uint64
	for _, x := range b {
		u = u<<8 | uint64(x)
	}
	return u
}

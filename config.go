package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/httpapi"
)

// Config is read once from the environment; README documents every variable.
type Config struct {
	Neo4jURI      string
	Neo4jUser     string
	Neo4jPassword string
	Neo4jDatabase string
	ListenAddr    string
	QueryTimeout  time.Duration
	ExportTimeout time.Duration
	LoadBundled   bool
	LogLevel      slog.Level
	// Rate and concurrency limits (httpapi.RateLimit; docs/reliability.md).
	RateLimit      bool    // RATE_LIMIT
	RatePoints     float64 // RATE_LIMIT_POINTS_PER_SECOND
	RateBurst      float64 // RATE_LIMIT_BURST
	MaxInFlight    int     // MAX_INFLIGHT (0: no cap)
	TrustedProxies []netip.Prefix
	// Observability (httpapi/metrics.go, httpapi/tracing.go).
	MetricsAddr    string   // METRICS_ADDR: "" serves /metrics on LISTEN_ADDR, "off" nowhere
	CORSOrigins    []string // CORS_ORIGINS: "*" or origins
	TracesExporter string   // OTEL_TRACES_EXPORTER: otlp, console or none (the default unless an OTLP endpoint is set)
	// Who may read and how fast tokens may write (httpapi/auth.go; docs/curation.md).
	PublicReads bool               // PUBLIC_READS: queries, /export and /explore without a token
	WriteLimit  httpapi.WriteLimit // WRITE_RATE_LIMIT, WRITE_RATE_BURST: per-token mutations
	// The change feed (graph/feed.go; docs/curation.md, "Change feed").
	ChangesPollInterval time.Duration // CHANGES_POLL_INTERVAL
	ChangesMaxStreams   int           // CHANGES_MAX_STREAMS: open streams per server
	ChangesMaxPerClient int           // CHANGES_MAX_STREAMS_PER_CLIENT
}

// defaultNeo4jPassword is the password of the local Neo4j that make run starts: refused for
// any other Neo4j.
const defaultNeo4jPassword = "policygraph"

// configVars lists every variable with its default, in README order.
var configVars = []struct{ name, def string }{
	{"NEO4J_URI", "bolt://127.0.0.1:7687"},
	{"NEO4J_USER", "neo4j"},
	{"NEO4J_PASSWORD", "policygraph"},
	{"NEO4J_DATABASE", "neo4j"},
	{"LISTEN_ADDR", "127.0.0.1:8080"},
	{"QUERY_TIMEOUT", "10s"},
	{"EXPORT_TIMEOUT", "60s"},
	{"LOAD_BUNDLED_DATA", "true"},
	{"LOG_LEVEL", "info"},
	{"RATE_LIMIT", "on"},
	{"RATE_LIMIT_POINTS_PER_SECOND", strconv.Itoa(httpapi.DefaultPointsPerSecond)},
	{"RATE_LIMIT_BURST", strconv.Itoa(httpapi.DefaultBurst)},
	{"MAX_INFLIGHT", strconv.Itoa(httpapi.DefaultMaxInFlight)},
	{"TRUSTED_PROXIES", ""},
	{"METRICS_ADDR", ""},
	{"CORS_ORIGINS", "*"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", ""},
	{"OTEL_TRACES_EXPORTER", ""},
	{"PUBLIC_READS", "true"},
	{"WRITE_RATE_LIMIT", httpapi.DefaultWriteRate},
	{"WRITE_RATE_BURST", strconv.Itoa(httpapi.DefaultWriteBurst)},
	{"CHANGES_POLL_INTERVAL", graph.DefaultChangesPollInterval.String()},
	{"CHANGES_MAX_STREAMS", strconv.Itoa(graph.DefaultChangesMaxStreams)},
	{"CHANGES_MAX_STREAMS_PER_CLIENT", strconv.Itoa(graph.DefaultChangesMaxStreamsPerIP)},
}

// loadConfig reads the environment through getenv and validates every value; an error names
// the variable and says what is wrong with it.
func loadConfig(getenv func(string) string) (Config, error) {
	v := map[string]string{}
	for _, c := range configVars {
		v[c.name] = c.def
		if s := strings.TrimSpace(getenv(c.name)); s != "" {
			v[c.name] = s
		}
	}
	cfg := Config{Neo4jURI: v["NEO4J_URI"], Neo4jUser: v["NEO4J_USER"], Neo4jPassword: v["NEO4J_PASSWORD"],
		Neo4jDatabase: v["NEO4J_DATABASE"], ListenAddr: v["LISTEN_ADDR"]}

	u, err := url.Parse(cfg.Neo4jURI)
	switch {
	case err != nil:
		return cfg, fmt.Errorf("NEO4J_URI: %q is not a URI: %v", cfg.Neo4jURI, err)
	case !validScheme(u.Scheme):
		return cfg, fmt.Errorf("NEO4J_URI: scheme %q is not supported (want bolt, bolt+s, bolt+ssc, neo4j, neo4j+s or neo4j+ssc), got %q", u.Scheme, cfg.Neo4jURI)
	case u.Host == "":
		return cfg, fmt.Errorf("NEO4J_URI: %q has no host (want e.g. bolt://127.0.0.1:7687)", cfg.Neo4jURI)
	}
	if u.User != nil {
		return cfg, fmt.Errorf("NEO4J_URI: must not hold credentials (user:password@); set NEO4J_USER and NEO4J_PASSWORD")
	}
	if cfg.Neo4jPassword == defaultNeo4jPassword && !isLoopback(u.Hostname()) {
		return cfg, fmt.Errorf("NEO4J_PASSWORD: the default password is only accepted for a Neo4j on this machine (NEO4J_URI host 127.0.0.1, localhost or ::1), not for %s; set NEO4J_PASSWORD to the password of that database", u.Hostname())
	}
	if !validDatabaseName(cfg.Neo4jDatabase) {
		return cfg, fmt.Errorf("NEO4J_DATABASE: %q is not a valid database name (letters, digits, dots and dashes, 3 to 63 characters)", cfg.Neo4jDatabase)
	}
	host, port, err := net.SplitHostPort(cfg.ListenAddr)
	if err != nil {
		return cfg, fmt.Errorf("LISTEN_ADDR: %q is not host:port (want e.g. 127.0.0.1:8080): %v", cfg.ListenAddr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return cfg, fmt.Errorf("LISTEN_ADDR: port %q of %q is not a number from 0 to 65535", port, cfg.ListenAddr)
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return cfg, fmt.Errorf("LISTEN_ADDR: host %q of %q is not an IP address or localhost", host, cfg.ListenAddr)
	}
	if cfg.QueryTimeout, err = time.ParseDuration(v["QUERY_TIMEOUT"]); err != nil || cfg.QueryTimeout <= 0 {
		return cfg, fmt.Errorf("QUERY_TIMEOUT: %q is not a positive duration (want e.g. 10s or 500ms)", v["QUERY_TIMEOUT"])
	}
	if cfg.ExportTimeout, err = time.ParseDuration(v["EXPORT_TIMEOUT"]); err != nil || cfg.ExportTimeout <= 0 {
		return cfg, fmt.Errorf("EXPORT_TIMEOUT: %q is not a positive duration (want e.g. 60s or 5m)", v["EXPORT_TIMEOUT"])
	}
	if cfg.LoadBundled, err = strconv.ParseBool(v["LOAD_BUNDLED_DATA"]); err != nil {
		return cfg, fmt.Errorf("LOAD_BUNDLED_DATA: %q is not true or false", v["LOAD_BUNDLED_DATA"])
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(v["LOG_LEVEL"])); err != nil {
		return cfg, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", v["LOG_LEVEL"])
	}
	switch strings.ToLower(v["RATE_LIMIT"]) {
	case "on", "true":
		cfg.RateLimit = true
	case "off", "false":
	default:
		return cfg, fmt.Errorf("RATE_LIMIT: %q is not on or off", v["RATE_LIMIT"])
	}
	if cfg.RatePoints, err = strconv.ParseFloat(v["RATE_LIMIT_POINTS_PER_SECOND"], 64); err != nil || !(cfg.RatePoints > 0 && cfg.RatePoints < 1e12) {
		return cfg, fmt.Errorf("RATE_LIMIT_POINTS_PER_SECOND: %q is not a positive number (complexity points per second, e.g. 5000)", v["RATE_LIMIT_POINTS_PER_SECOND"])
	}
	burst, err := strconv.Atoi(v["RATE_LIMIT_BURST"])
	if err != nil || burst < 1 {
		return cfg, fmt.Errorf("RATE_LIMIT_BURST: %q is not a positive whole number (complexity points, e.g. 100000)", v["RATE_LIMIT_BURST"])
	}
	cfg.RateBurst = float64(burst)
	if cfg.MaxInFlight, err = strconv.Atoi(v["MAX_INFLIGHT"]); err != nil || cfg.MaxInFlight < 0 {
		return cfg, fmt.Errorf("MAX_INFLIGHT: %q is not a whole number of requests (0 for no cap)", v["MAX_INFLIGHT"])
	}
	if cfg.TrustedProxies, err = httpapi.ParseTrustedProxies(v["TRUSTED_PROXIES"]); err != nil {
		return cfg, fmt.Errorf("TRUSTED_PROXIES: %v", err)
	}
	if err := loadObservability(&cfg, v, getenv); err != nil {
		return cfg, err
	}
	if cfg.PublicReads, err = strconv.ParseBool(v["PUBLIC_READS"]); err != nil {
		return cfg, fmt.Errorf("PUBLIC_READS: %q is not true or false", v["PUBLIC_READS"])
	}
	if cfg.WriteLimit.PerSecond, err = httpapi.ParseWriteRate(v["WRITE_RATE_LIMIT"]); err != nil {
		return cfg, fmt.Errorf("WRITE_RATE_LIMIT: %v", err)
	}
	burst, err = strconv.Atoi(v["WRITE_RATE_BURST"])
	if err != nil || burst < 1 || burst > 1e6 {
		return cfg, fmt.Errorf("WRITE_RATE_BURST: %q is not a positive whole number (writes a token may make at once, e.g. 30)", v["WRITE_RATE_BURST"])
	}
	cfg.WriteLimit.Burst = float64(burst)
	if cfg.ChangesPollInterval, err = time.ParseDuration(v["CHANGES_POLL_INTERVAL"]); err != nil || cfg.ChangesPollInterval < 50*time.Millisecond || cfg.ChangesPollInterval > time.Minute {
		return cfg, fmt.Errorf("CHANGES_POLL_INTERVAL: %q is not a duration from 50ms to 1m (want e.g. 1s or 500ms)", v["CHANGES_POLL_INTERVAL"])
	}
	if cfg.ChangesMaxStreams, err = strconv.Atoi(v["CHANGES_MAX_STREAMS"]); err != nil || cfg.ChangesMaxStreams < 1 {
		return cfg, fmt.Errorf("CHANGES_MAX_STREAMS: %q is not a positive whole number of streams (e.g. 1000)", v["CHANGES_MAX_STREAMS"])
	}
	if cfg.ChangesMaxPerClient, err = strconv.Atoi(v["CHANGES_MAX_STREAMS_PER_CLIENT"]); err != nil || cfg.ChangesMaxPerClient < 1 {
		return cfg, fmt.Errorf("CHANGES_MAX_STREAMS_PER_CLIENT: %q is not a positive whole number of streams (e.g. 10)", v["CHANGES_MAX_STREAMS_PER_CLIENT"])
	}
	return cfg, nil
}

// loadObservability reads METRICS_ADDR, CORS_ORIGINS and the OpenTelemetry variables.
func loadObservability(cfg *Config, v map[string]string, getenv func(string) string) error {
	cfg.MetricsAddr = v["METRICS_ADDR"]
	if cfg.MetricsAddr != "" && cfg.MetricsAddr != "off" {
		host, port, err := net.SplitHostPort(cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("METRICS_ADDR: %q is not host:port or off (want e.g. 127.0.0.1:9090): %v", cfg.MetricsAddr, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("METRICS_ADDR: port %q of %q is not a number from 0 to 65535", port, cfg.MetricsAddr)
		}
		if host != "" && net.ParseIP(host) == nil && host != "localhost" {
			return fmt.Errorf("METRICS_ADDR: host %q of %q is not an IP address or localhost", host, cfg.MetricsAddr)
		}
	}
	for _, o := range strings.FieldsFunc(v["CORS_ORIGINS"], func(r rune) bool { return r == ',' || r == ' ' }) {
		if o != "*" {
			u, err := url.Parse(strings.Replace(o, "://*.", "://wildcard.", 1))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
				return fmt.Errorf("CORS_ORIGINS: %q is not an origin (want * or a list like https://example.org,http://localhost:3000)", o)
			}
		}
		cfg.CORSOrigins = append(cfg.CORSOrigins, o)
	}
	if len(cfg.CORSOrigins) > 1 && slices.Contains(cfg.CORSOrigins, "*") {
		return fmt.Errorf("CORS_ORIGINS: %q mixes * with origins (want * alone, or only origins)", v["CORS_ORIGINS"])
	}
	endpoint := false
	for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		e := strings.TrimSpace(getenv(name))
		if e == "" {
			continue
		}
		endpoint = true
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s: %q is not an http:// or https:// URL (want e.g. http://127.0.0.1:4318)", name, e)
		}
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
		if p := strings.TrimSpace(getenv(name)); p != "" && p != "http/protobuf" {
			return fmt.Errorf("%s: %q is not supported (want http/protobuf: OTLP over HTTP, port 4318)", name, p)
		}
	}
	switch cfg.TracesExporter = strings.ToLower(v["OTEL_TRACES_EXPORTER"]); cfg.TracesExporter {
	case "":
		cfg.TracesExporter = httpapi.TracesNone
		if endpoint {
			cfg.TracesExporter = httpapi.TracesOTLP
		}
	case httpapi.TracesOTLP, httpapi.TracesConsole, httpapi.TracesNone:
	default:
		return fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not otlp, console or none", v["OTEL_TRACES_EXPORTER"])
	}
	return nil
}

// isLoopback says whether host names this machine.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// rateLimit is the httpapi.RateLimit of the configuration (RATE_LIMIT=off keeps the
// in-flight cap).
func (c Config) rateLimit() httpapi.RateLimit {
	rl := httpapi.RateLimit{Burst: c.RateBurst, MaxInFlight: c.MaxInFlight, TrustedProxies: c.TrustedProxies}
	if c.RateLimit {
		rl.PointsPerSecond = c.RatePoints
	}
	return rl
}

func validScheme(s string) bool {
	switch s {
	case "bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc":
		return true
	}
	return false
}

func validDatabaseName(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

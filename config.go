package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
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
}

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
	return cfg, nil
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

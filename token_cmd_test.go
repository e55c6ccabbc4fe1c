package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/neo4jstore"
)

// `policygraph token create|list|revoke` against the real Neo4j: the token is printed once,
// alone on stdout; list never shows it nor its hash; mistakes are named and write nothing.
// Then the server started by run() with PUBLIC_READS=false takes the tokens.
func TestTokenCommand(t *testing.T) {
	s := neo4jtest.Store(t)
	env := storeEnv(t)
	getenv := func(k string) string { return env[k] }
	token := func(args ...string) (string, string, error) {
		var out, errOut strings.Builder
		err := run(context.Background(), append([]string{"policygraph", "token"}, args...), getenv, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	out, msg, err := token("create", "--name", "alice", "--role", "editor")
	if err != nil {
		t.Fatal(err)
	}
	alice := strings.TrimSpace(out)
	if !neo4jstore.WellFormedToken(alice) || strings.Count(out, "\n") != 1 {
		t.Fatalf("create printed %q: want one token line", out)
	}
	if !strings.Contains(msg, `"alice"`) || !strings.Contains(msg, "shown only now") || strings.Contains(msg, alice) {
		t.Errorf("create's message: %q", msg)
	}
	out, _, err = token("create", "--role", "reader", "--name", "bob")
	if err != nil {
		t.Fatal(err)
	}
	bob := strings.TrimSpace(out)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "--name", "alice", "--role", "reader"}, `a token named "alice" already exists`},
		{[]string{"create", "--name", "carol", "--role", "owner"}, `--role "owner" is not a role (want reader, editor or admin)`},
		{[]string{"create", "--name", "Carol!", "--role", "reader"}, `token: field "name": "Carol!" is not a token name`},
		{[]string{"create", "--name", "import", "--role", "admin"}, `"import" is reserved`},
		{[]string{"create", "--role", "reader"}, "--name is required"},
		{[]string{"create", "--name", "carol"}, "--role is required"},
		{[]string{"create", "--name", "carol", "--role", "reader", "extra"}, `unexpected argument "extra"`},
		{[]string{"revoke", "nobody"}, `no token is named "nobody"`},
		{[]string{"revoke"}, "give exactly one token name"},
		{[]string{"rotate"}, `unknown subcommand "rotate"`},
		{nil, "usage:"},
	} {
		if out, _, err := token(c.args...); err == nil || !strings.Contains(err.Error(), c.want) || out != "" {
			t.Errorf("token %v: %v (stdout %q), want %q", c.args, err, out, c.want)
		}
	}

	out, _, err = token("revoke", "alice")
	if err != nil || !strings.Contains(out, `token "alice" revoked at `) {
		t.Errorf("revoke: %q %v", out, err)
	}
	list, _, err := token("list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("list:\n%s", list)
	}
	year := fmt.Sprint(time.Now().UTC().Year())
	if f := strings.Fields(lines[1]); len(f) != 4 || f[0] != "alice" || f[1] != "editor" || !strings.HasPrefix(f[2], year) || !strings.HasPrefix(f[3], year) {
		t.Errorf("alice's line: %q", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) != 4 || f[0] != "bob" || f[1] != "reader" || f[3] != "-" {
		t.Errorf("bob's line: %q", lines[2])
	}
	for _, secret := range []string{alice, bob, neo4jstore.HashToken(alice), neo4jstore.HashToken(bob)} {
		if strings.Contains(list, secret) {
			t.Error("list shows a token or its hash")
		}
	}
	tokens, err := s.Tokens(context.Background())
	if err != nil || len(tokens) != 2 {
		t.Errorf("after the refused commands: %+v %v", tokens, err)
	}

	// The server of run(): with PUBLIC_READS=false a query needs a valid token.
	env["PUBLIC_READS"] = "false"
	env["LOAD_BUNDLED_DATA"] = "false"
	srv := start(t, env)
	query := func(tok string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.url+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		if res.StatusCode == http.StatusOK && toJSON(body) != `{"data":{"__typename":"Query"}}` {
			t.Errorf("200 with %s", toJSON(body))
		}
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode
	}
	if got := query(""); got != http.StatusUnauthorized {
		t.Errorf("anonymous query with PUBLIC_READS=false: HTTP %d", got)
	}
	if got := query(bob); got != http.StatusOK {
		t.Errorf("bob's (reader) query: HTTP %d\n%s", got, srv.logs)
	}
	if got := query(alice); got != http.StatusUnauthorized {
		t.Errorf("alice's revoked token: HTTP %d", got)
	}
}

func TestAuthConfig(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" })
	if err != nil || !cfg.PublicReads || cfg.WriteLimit.PerSecond != 1 || cfg.WriteLimit.Burst != 30 {
		t.Errorf("defaults: public reads %v, write limit %+v, %v", cfg.PublicReads, cfg.WriteLimit, err)
	}
	env := map[string]string{"PUBLIC_READS": "false", "WRITE_RATE_LIMIT": "off", "WRITE_RATE_BURST": "5"}
	cfg, err = loadConfig(func(k string) string { return env[k] })
	if err != nil || cfg.PublicReads || cfg.WriteLimit.PerSecond != 0 || cfg.WriteLimit.Burst != 5 {
		t.Errorf("%v: %v %+v %v", env, cfg.PublicReads, cfg.WriteLimit, err)
	}
	for env, want := range map[[2]string]string{
		{"PUBLIC_READS", "sometimes"}:   `PUBLIC_READS: "sometimes" is not true or false`,
		{"WRITE_RATE_LIMIT", "60"}:      `WRITE_RATE_LIMIT: "60" is not a rate (want e.g. 60/min`,
		{"WRITE_RATE_LIMIT", "1/week"}:  `WRITE_RATE_LIMIT: "1/week" is not a rate`,
		{"WRITE_RATE_BURST", "0"}:       `WRITE_RATE_BURST: "0" is not a positive whole number`,
		{"WRITE_RATE_BURST", "lots"}:    `WRITE_RATE_BURST: "lots" is not a positive whole number`,
		{"WRITE_RATE_BURST", "2.5"}:     `WRITE_RATE_BURST: "2.5"`,
		{"WRITE_RATE_LIMIT", "-5/min"}:  `WRITE_RATE_LIMIT: "-5/min"`,
		{"PUBLIC_READS", "no thanks"}:   `PUBLIC_READS: "no thanks"`,
		{"WRITE_RATE_LIMIT", "fast/ms"}: `WRITE_RATE_LIMIT: "fast/ms"`,
	} {
		_, err := loadConfig(func(k string) string {
			if k == env[0] {
				return env[1]
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%s: %v, want %q", env[0], env[1], err, want)
		}
	}
}

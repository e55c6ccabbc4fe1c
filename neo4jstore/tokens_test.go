package neo4jstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// A token's text is returned once and never stored: the database holds its SHA-256 only,
// and the text authenticates as its name and role until it is revoked.
func TestTokenLifecycle(t *testing.T) {
	s := neo4jtest.Store(t)
	ctx := context.Background()
	tok, info, err := s.CreateToken(ctx, "alice", kg.RoleEditor)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, neo4jstore.TokenPrefix) || len(tok) != neo4jstore.TokenLen || !neo4jstore.WellFormedToken(tok) {
		t.Fatalf("token %q: want %s + %d base64url characters", tok, neo4jstore.TokenPrefix, neo4jstore.TokenLen-len(neo4jstore.TokenPrefix))
	}
	if info.Name != "alice" || info.Role != kg.RoleEditor || info.CreatedAt.IsZero() {
		t.Errorf("created %+v", info)
	}
	tok2, _, err := s.CreateToken(ctx, "bob", kg.RoleReader)
	if err != nil {
		t.Fatal(err)
	}
	if tok2 == tok {
		t.Fatal("two tokens with the same text")
	}

	// Only the hash is stored: the text appears in no property of any node.
	row, err := s.ReadForTest(ctx, `MATCH (t:ApiToken) RETURN collect(properties(t))`)
	if err != nil {
		t.Fatal(err)
	}
	var props []map[string]any
	for _, p := range row[0].([]any) {
		props = append(props, p.(map[string]any))
	}
	if len(props) != 2 {
		t.Fatalf("%d ApiToken nodes, want 2", len(props))
	}
	hashes := map[string]bool{}
	for _, p := range props {
		for k, v := range p {
			if s := fmt.Sprint(v); strings.Contains(s, tok) || strings.Contains(s, tok2) || strings.Contains(s, tok[len(neo4jstore.TokenPrefix):]) {
				t.Errorf("ApiToken property %s holds a token's text", k)
			}
		}
		hashes[fmt.Sprint(p["hash"])] = true
	}
	if !hashes[neo4jstore.HashToken(tok)] || !hashes[neo4jstore.HashToken(tok2)] {
		t.Errorf("stored hashes %v are not the tokens' SHA-256", hashes)
	}
	// Nor in any other node's or relationship's string properties.
	secret := tok[len(neo4jstore.TokenPrefix):]
	holds := `any(k IN keys(x) WHERE (x[k] IS :: STRING AND x[k] CONTAINS '` + secret + `')
		OR (x[k] IS :: LIST<STRING> AND any(v IN x[k] WHERE v CONTAINS '` + secret + `')))`
	row, err = s.ReadForTest(ctx, `CALL () { MATCH (x) WHERE `+holds+` RETURN count(*) AS c
		UNION ALL MATCH ()-[x]->() WHERE `+holds+` RETURN count(*) AS c } RETURN sum(c)`)
	if err != nil {
		t.Fatal(err)
	}
	if found := row[0].(int64); found != 0 {
		t.Errorf("the token's text is in %d node properties", found)
	}

	p, err := s.Authenticate(ctx, tok)
	if err != nil || p != (kg.Principal{Name: "alice", Role: kg.RoleEditor}) {
		t.Errorf("Authenticate(alice's token) = %+v, %v", p, err)
	}
	if p, err := s.Authenticate(ctx, tok2); err != nil || p.Name != "bob" || p.Role != kg.RoleReader {
		t.Errorf("Authenticate(bob's token) = %+v, %v", p, err)
	}

	// Unknown (well-formed), malformed: unauthenticated, saying why.
	unknown := neo4jstore.TokenPrefix + strings.Repeat("A", neo4jstore.TokenLen-len(neo4jstore.TokenPrefix))
	for tokText, why := range map[string]string{unknown: "unknown", "pg_short": "malformed", "Bearer " + tok: "malformed", tok + "x": "malformed"} {
		if _, err := s.Authenticate(ctx, tokText); !errors.Is(err, kg.ErrUnauthenticated) || !strings.Contains(err.Error(), why) {
			t.Errorf("Authenticate(%.12q...) = %v, want unauthenticated (%s)", tokText, err, why)
		}
	}

	// List: names, roles, times; revoked after revoke.
	list, err := s.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "alice" || list[1].Name != "bob" || !list[0].RevokedAt.IsZero() {
		t.Errorf("tokens %+v", list)
	}
	rev, err := s.RevokeToken(ctx, "alice")
	if err != nil || rev.RevokedAt.IsZero() || rev.Name != "alice" {
		t.Fatalf("revoke: %+v %v", rev, err)
	}
	if _, err := s.Authenticate(ctx, tok); !errors.Is(err, kg.ErrUnauthenticated) || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked token authenticates: %v", err)
	}
	again, err := s.RevokeToken(ctx, "alice")
	if err != nil || !again.RevokedAt.Equal(rev.RevokedAt) {
		t.Errorf("second revoke: %+v %v (first at %v)", again, err, rev.RevokedAt)
	}
	if p, err := s.Authenticate(ctx, tok2); err != nil || p.Name != "bob" {
		t.Errorf("bob's token after alice's revocation: %+v %v", p, err)
	}
	list, _ = s.Tokens(ctx)
	if len(list) != 2 || list[0].RevokedAt.IsZero() || !list[1].RevokedAt.IsZero() {
		t.Errorf("tokens after revoke %+v", list)
	}
}

// Bad names and roles are refused naming the field, a taken name (even revoked) is a
// conflict, an unknown name cannot be revoked; none of them writes anything.
func TestTokenErrors(t *testing.T) {
	s := neo4jtest.Store(t)
	ctx := context.Background()
	if _, _, err := s.CreateToken(ctx, "ci-bot", kg.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeToken(ctx, "ci-bot"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		role kg.Role
		is   error
		want string
	}{
		{"ci-bot", kg.RoleReader, kg.ErrConflict, `a token named "ci-bot" already exists`},
		{"Alice", kg.RoleEditor, kg.ErrInvalid, `token: field "name": "Alice" is not a token name`},
		{"a b", kg.RoleEditor, kg.ErrInvalid, `field "name"`},
		{"x", kg.RoleEditor, kg.ErrInvalid, `field "name"`},
		{"import", kg.RoleEditor, kg.ErrInvalid, `"import" is reserved`},
		{"carol", kg.Role("owner"), kg.ErrInvalid, `token: field "role": "owner" is not a role (want reader, editor, admin)`},
		{"carol", kg.Role(""), kg.ErrInvalid, `field "role"`},
	} {
		tok, _, err := s.CreateToken(ctx, c.name, c.role)
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) || tok != "" {
			t.Errorf("CreateToken(%q, %q) = %q, %v; want %v %q", c.name, c.role, tok, err, c.is, c.want)
		}
	}
	if _, err := s.RevokeToken(ctx, "nobody"); !errors.Is(err, kg.ErrNotFound) || !strings.Contains(err.Error(), `no token is named "nobody"`) {
		t.Errorf("revoke unknown: %v", err)
	}
	list, err := s.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "ci-bot" || list[0].Role != kg.RoleAdmin {
		t.Errorf("after refused creates: %+v", list)
	}
}

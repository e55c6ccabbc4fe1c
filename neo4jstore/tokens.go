package neo4jstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// API tokens (docs/curation.md, "Tokens and roles"). A token is TokenPrefix followed by 32
// random bytes from crypto/rand in unpadded base64url; it is shown once, when it is created,
// and stored only as the SHA-256 hex of its text, in (:ApiToken {name, role, hash, createdAt,
// revokedAt}). Every replica reads the same nodes, so a token created or revoked on one is
// seen by all (within the HTTP layer's short cache).

// TokenPrefix starts every token: it tells a policygraph token at a glance (and to secret
// scanners) and lets the HTTP layer refuse anything else without a database round trip.
const TokenPrefix = "pg_"

// tokenBytes is the token's entropy: 256 bits, so a plain SHA-256 is a safe hash (no salt or
// slow hash is needed: those protect guessable passwords; this cannot be guessed).
const tokenBytes = 32

// TokenLen is the length of every token's text.
var TokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(tokenBytes)

// reservedTokenNames are authors that writes other than a token's record: the importer.
var reservedTokenNames = map[string]bool{"import": true}

// tokenName is a token's name: what history records as the author of its writes.
var tokenName = regexp.MustCompile(`^[a-z][a-z0-9_.-]{1,39}$`)

// Token is one API token as listed: never its text, never its hash.
type Token struct {
	Name      string
	Role      kg.Role
	CreatedAt time.Time
	RevokedAt time.Time // zero while the token is valid
}

// HashToken is what the store keeps of a token's text.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormedToken says whether s has the shape of a token (prefix, length, alphabet), without
// asking the database.
func WellFormedToken(s string) bool {
	if len(s) != TokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(TokenPrefix):])
	return err == nil
}

// CheckTokenName returns a kg.InvalidError naming the field when name cannot name a token.
func CheckTokenName(name string) error {
	switch {
	case !tokenName.MatchString(name):
		return &kg.InvalidError{Record: "token", Field: "name",
			Reason: fmt.Sprintf("%q is not a token name (2 to 40 characters: lower-case letters, digits, '.', '_', '-'; starting with a letter; e.g. alice or ci-bot)", name)}
	case reservedTokenNames[name]:
		return &kg.InvalidError{Record: "token", Field: "name",
			Reason: fmt.Sprintf("%q is reserved (history names the importer %q)", name, name)}
	}
	return nil
}

func checkRole(role kg.Role) error {
	if role.Valid() {
		return nil
	}
	names := make([]string, len(kg.Roles))
	for i, r := range kg.Roles {
		names[i] = string(r)
	}
	return &kg.InvalidError{Record: "token", Field: "role",
		Reason: fmt.Sprintf("%q is not a role (want %s)", role, strings.Join(names, ", "))}
}

const cypherCreateToken = `
OPTIONAL MATCH (old:ApiToken {name: $name})
CALL (old) {
  WITH old WHERE old IS NULL
  CREATE (t:ApiToken {name: $name, role: $role, hash: $hash, createdAt: datetime()})
  RETURN t
}
RETURN t.createdAt AS createdAt`

// CreateToken creates a token named name with role, and returns its text: the only time it
// exists outside the caller's hands. Errors: a kg.InvalidError for a bad name or role;
// kg.ErrConflict when a token (valid or revoked) already has the name.
func (s *Store) CreateToken(ctx context.Context, name string, role kg.Role) (string, Token, error) {
	if err := CheckTokenName(name); err != nil {
		return "", Token{}, err
	}
	if err := checkRole(role); err != nil {
		return "", Token{}, err
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", Token{}, fmt.Errorf("token: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	params := map[string]any{"name": name, "role": string(role), "hash": HashToken(token)}
	out, err := s.write(ctx, s.timeout, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, cypherCreateToken, params)
		if err != nil {
			return nil, err
		}
		recs, err := res.Collect(ctx)
		if err != nil {
			return nil, err
		}
		if len(recs) == 0 {
			return nil, nil // the name is taken (the CALL created nothing)
		}
		return column[time.Time](recs[0], "createdAt")
	})
	switch {
	case errors.Is(err, kg.ErrConflict) || err == nil && out == nil:
		// The check above, or the uniqueness constraint when two creates race.
		return "", Token{}, fmt.Errorf("%w: a token named %q already exists (names are never reused, so history keeps one author per name: choose another name)", kg.ErrConflict, name)
	case err != nil:
		return "", Token{}, err
	}
	return token, Token{Name: name, Role: role, CreatedAt: out.(time.Time)}, nil
}

const cypherTokens = `
MATCH (t:ApiToken)
RETURN t.name AS name, t.role AS role, t.createdAt AS createdAt, t.revokedAt AS revokedAt
ORDER BY t.createdAt, t.name`

// Tokens lists every token, oldest first, revoked ones included.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	res, err := s.read(ctx, cypherTokens, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Token, 0, len(res.Records))
	for _, rec := range res.Records {
		t, err := tokenFrom(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func tokenFrom(rec *neo4j.Record) (Token, error) {
	name, err := column[string](rec, "name")
	if err != nil {
		return Token{}, err
	}
	role, err := column[string](rec, "role")
	if err != nil {
		return Token{}, err
	}
	created, err := column[time.Time](rec, "createdAt")
	if err != nil {
		return Token{}, err
	}
	t := Token{Name: name, Role: kg.Role(role), CreatedAt: created}
	if v, _ := rec.Get("revokedAt"); v != nil {
		if t.RevokedAt, err = column[time.Time](rec, "revokedAt"); err != nil {
			return Token{}, err
		}
	}
	return t, nil
}

const cypherRevokeToken = `
MATCH (t:ApiToken {name: $name})
SET t.revokedAt = coalesce(t.revokedAt, datetime())
RETURN t.name AS name, t.role AS role, t.createdAt AS createdAt, t.revokedAt AS revokedAt`

// RevokeToken revokes the token named name from now on (the HTTP layer's cache lets it pass
// for at most a few more seconds: httpapi.TokenCacheTTL). Revoking a revoked token changes
// nothing and returns its first revocation time. Errors: kg.ErrNotFound for an unknown name.
func (s *Store) RevokeToken(ctx context.Context, name string) (Token, error) {
	out, err := s.write(ctx, s.timeout, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, cypherRevokeToken, map[string]any{"name": name})
		if err != nil {
			return nil, err
		}
		recs, err := res.Collect(ctx)
		if err != nil || len(recs) == 0 {
			return nil, err
		}
		return tokenFrom(recs[0])
	})
	if err != nil {
		return Token{}, err
	}
	if out == nil {
		return Token{}, fmt.Errorf("%w: no token is named %q (token list shows the names)", kg.ErrNotFound, name)
	}
	return out.(Token), nil
}

const cypherAuthenticate = `
MATCH (t:ApiToken {hash: $hash})
RETURN t.name AS name, t.role AS role, t.createdAt AS createdAt, t.revokedAt AS revokedAt`

// Authenticate returns the principal of a token's text. Errors: kg.ErrUnauthenticated
// (wrapped, with the reason) for a malformed, unknown or revoked token; kg.ErrUnavailable
// and kg.ErrTimeout when the database cannot say.
func (s *Store) Authenticate(ctx context.Context, token string) (kg.Principal, error) {
	if !WellFormedToken(token) {
		return kg.Principal{}, fmt.Errorf("%w: the token is malformed (policygraph tokens start with %q)", kg.ErrUnauthenticated, TokenPrefix)
	}
	res, err := s.read(ctx, cypherAuthenticate, map[string]any{"hash": HashToken(token)})
	if err != nil {
		return kg.Principal{}, err
	}
	if len(res.Records) == 0 {
		return kg.Principal{}, fmt.Errorf("%w: the token is unknown", kg.ErrUnauthenticated)
	}
	t, err := tokenFrom(res.Records[0])
	if err != nil {
		return kg.Principal{}, err
	}
	if !t.RevokedAt.IsZero() {
		return kg.Principal{}, fmt.Errorf("%w: the token was revoked", kg.ErrUnauthenticated)
	}
	if !t.Role.Valid() {
		return kg.Principal{}, fmt.Errorf("%w: the token's stored role %q is not a role", kg.ErrUnauthenticated, t.Role)
	}
	return kg.Principal{Name: t.Name, Role: t.Role}, nil
}

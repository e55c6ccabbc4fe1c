package kg

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Curation: who may write (roles carried by API tokens), and the record every write leaves
// (revisions). The rules live here so the HTTP layer, the resolvers and the store agree.

// Role is what an API token allows. Roles are ordered: admin > editor > reader.
type Role string

const (
	RoleReader Role = "reader" // reads when PUBLIC_READS=false
	RoleEditor Role = "editor" // create, change, delete, merge; revert own revisions
	RoleAdmin  Role = "admin"  // also revert anyone's revisions (and force), manage tokens
)

// Roles lists the roles, lowest first.
var Roles = []Role{RoleReader, RoleEditor, RoleAdmin}

func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r grants everything min grants.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && min.rank() > 0 }

// Principal is the authenticated caller: the token's name (recorded as the author of every
// revision it writes) and its role.
type Principal struct {
	Name string
	Role Role
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p (set by the HTTP layer after checking the token).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller, if a valid token came with the request.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Errors of the write path, mapped to extensions.code UNAUTHENTICATED (HTTP 401),
// FORBIDDEN (403) and CONFLICT (409 for a whole-request failure; see graph/errors.go).
var (
	ErrUnauthenticated = errors.New("a valid API token is required (Authorization: Bearer <token>)")
	ErrForbidden       = errors.New("the token's role does not allow this")
)

// Require checks that the caller holds at least role min.
func Require(ctx context.Context, min Role) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	if !p.Role.AtLeast(min) {
		return p, fmt.Errorf("%w: role %s, needs %s", ErrForbidden, p.Role, min)
	}
	return p, nil
}

// ConflictError is an ErrConflict that carries the record's current version (optimistic
// concurrency: the client read an older version than the one stored).
type ConflictError struct {
	Record          string
	ExpectedVersion int
	CurrentVersion  int // 0 when the record no longer exists
	Reason          string
}

func (e *ConflictError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%s: %s", e.Record, e.Reason)
	}
	return fmt.Sprintf("%s: expected version %d, but the stored version is %d (someone changed it first: read it again)",
		e.Record, e.ExpectedVersion, e.CurrentVersion)
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

// Revision is one committed write: who, when, why, which records, and each record's state
// before and after (nil before = created, nil after = deleted). Seq orders revisions in commit
// order across every server replica; the change feed's cursor is built from it.
type Revision struct {
	ID             string // "rev:<seq>"
	Seq            int64
	Author         string
	At             time.Time
	Operation      string // the mutation (createNode, ...), "import", "revert", "mergeNodes"
	Reason         string
	IdempotencyKey string
	Reverts        string // the revision id a revert undid
	Changes        []Change
}

// Change is one record's before and after state in a revision, as JSON objects in the shape
// of the import format (kg.NodeRecord / kg.RelationRecord, with "version").
type Change struct {
	Record string // node id or relationship id
	Kind   string // "node" or "relationship"
	Before map[string]any
	After  map[string]any
}

// RevisionPage is one page of revisions, newest first for history, by Seq for the feed.
type RevisionPage struct {
	Revisions []*Revision
	Cursors   []string
	HasNext   bool
}

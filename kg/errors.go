// Package kg holds policygraph's domain: the knowledge-graph model (nodes, typed
// relationships, citations, partial dates), the closed vocabularies, the import format and
// its validation, and the sentinel errors every other package speaks. It imports only the
// standard library; graph/ (GraphQL) and neo4jstore/ (Neo4j) both depend on it and never on
// each other.
package kg

import (
	"errors"
	"fmt"
)

// Sentinel errors: the one error vocabulary. The store wraps driver errors into these with
// %w; the GraphQL error presenter maps them to extensions.code. Anything else is internal.
var (
	ErrNotFound    = errors.New("not found")
	ErrInvalid     = errors.New("invalid input")
	ErrConflict    = errors.New("conflict")
	ErrUnavailable = errors.New("service unavailable")
	ErrTimeout     = errors.New("deadline exceeded")
	// ErrUnauthorized: the database rejected the server's credentials (NEO4J_USER,
	// NEO4J_PASSWORD). The store reports it together with ErrUnavailable, so clients see the
	// database as unavailable while the log and /readyz name the cause.
	ErrUnauthorized = errors.New("database credentials rejected")
)

// InvalidError is an ErrInvalid that says where: a record (or argument) and a field.
type InvalidError struct {
	Record string // e.g. `nodes[3] "org:aclu"` or an argument name
	Field  string
	Reason string
}

func (e *InvalidError) Error() string {
	switch {
	case e.Record != "" && e.Field != "":
		return fmt.Sprintf("%s: field %q: %s", e.Record, e.Field, e.Reason)
	case e.Field != "":
		return fmt.Sprintf("%s: %s", e.Field, e.Reason)
	default:
		return fmt.Sprintf("%s: %s", e.Record, e.Reason)
	}
}

func (e *InvalidError) Unwrap() error { return ErrInvalid }

// Invalid builds an argument error: "argument first: must be between 1 and 100".
func Invalid(argument, format string, args ...any) error {
	return &InvalidError{Field: "argument " + argument, Reason: fmt.Sprintf(format, args...)}
}

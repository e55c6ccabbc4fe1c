package graph

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/policygraph/policygraph/kg"
)

// Every error a request can end with maps to its code; only what is truly unknown is internal,
// and masked messages never carry the error's own text.
func TestDescribeCodes(t *testing.T) {
	cases := []struct {
		err    error
		code   string
		masked bool
	}{
		{kg.Invalid("first", "must be at most 100"), CodeBadUserInput, false},
		{fmt.Errorf("node %q: %w", "x", kg.ErrNotFound), CodeNotFound, false},
		{fmt.Errorf("bolt: %w", kg.ErrUnavailable), CodeServiceUnavailable, true},
		{fmt.Errorf("neo4j: %w", kg.ErrTimeout), CodeTimeout, true},
		{fmt.Errorf("waiting for a batch: %w", context.DeadlineExceeded), CodeTimeout, true},
		{context.Canceled, CodeTimeout, true},
		{errors.New("secret internal detail"), CodeInternal, true},
	}
	for _, c := range cases {
		code, msg, masked := Describe(c.err)
		if code != c.code || masked != c.masked {
			t.Errorf("Describe(%v) = %s, masked %v; want %s, masked %v", c.err, code, masked, c.code, c.masked)
		}
		if masked && msg == c.err.Error() {
			t.Errorf("Describe(%v): masked message shows the error text", c.err)
		}
	}
}

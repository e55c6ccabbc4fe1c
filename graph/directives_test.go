package graph_test

import (
	"errors"
	"strings"
	"testing"
)

// Checklist S6: repeated directives are bounded. A non-repeatable directive used twice at one
// place is a validation error; many directives on many fields run into the parser's token
// limit; neither reaches the store.
func TestRepeatedDirectivesAreBounded(t *testing.T) {
	fs, srv, _ := newFake(errors.New("must not be called"))
	defer srv.Close()
	twice := `{ node(id: "org:aclu") @include(if: true) @include(if: true) { id } }`
	a := ask(t, srv.URL, twice)
	if a.code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(a.Errors[0].Message, "can only be used once") {
		t.Errorf("a repeated @include: HTTP %d %.300s", a.status, a.body)
	}
	many := "{ __typename " + strings.Repeat("@skip(if: false) ", 2000) + "}"
	a = ask(t, srv.URL, many)
	if len(a.Errors) == 0 || !strings.Contains(a.Errors[0].Message, "token limit") && !strings.Contains(a.Errors[0].Message, "can only be used once") {
		t.Errorf("2,000 @skip: HTTP %d %.300s", a.status, a.body)
	}
	spread := "{ " + strings.Repeat(`a: __typename @skip(if: false) `, 900) + "}"
	a = ask(t, srv.URL, spread)
	if len(a.Errors) == 0 {
		t.Errorf("900 directives on 900 fields were run: HTTP %d %.200s", a.status, a.body)
	}
	if fs.calls != 0 {
		t.Errorf("the store was called %d times", fs.calls)
	}
}

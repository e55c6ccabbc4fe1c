package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/policygraph/policygraph/kg"
)

// Error codes in extensions.code: the one table from kg's sentinels to the API.
const (
	CodeBadUserInput       = "BAD_USER_INPUT"
	CodeNotFound           = "NOT_FOUND"
	CodeServiceUnavailable = "SERVICE_UNAVAILABLE"
	CodeTimeout            = "TIMEOUT"
	CodeInternal           = "INTERNAL_SERVER_ERROR"
	CodeLimit              = "QUERY_TOO_COMPLEX"
)

var codes = []struct {
	err     error
	code    string
	message string // shown instead of the error text; "" shows the (safe) error text
}{
	{kg.ErrInvalid, CodeBadUserInput, ""},
	{kg.ErrNotFound, CodeNotFound, ""},
	{kg.ErrUnavailable, CodeServiceUnavailable, "the database is unavailable; try again shortly"},
	{kg.ErrTimeout, CodeTimeout, "the query took too long and was stopped; narrow it (fewer hops, smaller pages)"},
}

// errorPresenter maps resolver errors to safe messages and codes. Parse and validation errors
// from gqlgen pass through (they describe the client's query); anything unknown is logged once
// here and shown as "internal error" with no internal text.
func errorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var ge *gqlerror.Error
		if errors.As(err, &ge) && ge.Err == nil {
			return gerr // a GraphQL error built on purpose (parse, validation, limits)
		}
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		code, msg, masked := Describe(err)
		gerr.Message, gerr.Extensions["code"] = msg, code
		switch {
		case code == CodeInternal:
			logger.ErrorContext(ctx, "internal error", "path", gerr.Path.String(), "err", err)
		case masked:
			logger.WarnContext(ctx, "query failed", "code", code, "path", gerr.Path.String(), "err", err)
		}
		return gerr
	}
}

// Describe maps an error to its code and the message a client may see: the one table used by
// GraphQL answers and by every other route. masked says the message replaces the error's
// own text (which the caller should log, never show).
func Describe(err error) (code, message string, masked bool) {
	var ie *kg.InvalidError
	if errors.As(err, &ie) {
		return CodeBadUserInput, ie.Error(), false
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			if c.message != "" {
				return c.code, c.message, true
			}
			return c.code, err.Error(), false
		}
	}
	if errors.Is(err, context.Canceled) {
		return CodeTimeout, "request canceled", true
	}
	return CodeInternal, "internal error", true
}

// recoverFunc turns a resolver panic into a masked internal error, logged once.
func recoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "resolver panic", "panic", fmt.Sprint(p))
		return errors.New("panic in resolver") // unknown to the presenter: shown as "internal error"
	}
}

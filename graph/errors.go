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
		var ie *kg.InvalidError
		if errors.As(err, &ie) {
			gerr.Message = ie.Error()
			gerr.Extensions["code"] = CodeBadUserInput
			return gerr
		}
		for _, c := range codes {
			if errors.Is(err, c.err) {
				gerr.Extensions["code"] = c.code
				if c.message != "" {
					gerr.Message = c.message
					logger.WarnContext(ctx, "query failed", "code", c.code, "path", gerr.Path.String(), "err", err)
				} else {
					gerr.Message = err.Error()
				}
				return gerr
			}
		}
		if errors.Is(err, context.Canceled) {
			gerr.Message, gerr.Extensions["code"] = "request canceled", CodeTimeout
			return gerr
		}
		logger.ErrorContext(ctx, "internal error", "path", gerr.Path.String(), "err", err)
		gerr.Message, gerr.Extensions["code"] = "internal error", CodeInternal
		return gerr
	}
}

// recoverFunc turns a resolver panic into a masked internal error, logged once.
func recoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "resolver panic", "panic", fmt.Sprint(p))
		return errors.New("panic in resolver") // unknown to the presenter: shown as "internal error"
	}
}

package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// ChargeFunc charges the client of a request for an operation of the given cost (its
// computed complexity, at least 1). A non-nil error refuses the operation before it runs;
// its text is shown to the client.
type ChargeFunc func(cost int) error

type chargeKey struct{}

// WithCharge returns ctx carrying the charge of its request's client (httpapi's rate limiter
// puts it there). Without it, operations are not charged.
func WithCharge(ctx context.Context, charge ChargeFunc) context.Context {
	return context.WithValue(ctx, chargeKey{}, charge)
}

// rateCharge charges each operation's computed complexity to its client, once parsing,
// validation and the limits have passed and before anything executes. It must be used after
// the complexity limit (which computes the cost).
type rateCharge struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = rateCharge{}

func (rateCharge) ExtensionName() string                   { return "RateCharge" }
func (rateCharge) Validate(graphql.ExecutableSchema) error { return nil }

func (rateCharge) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	charge, _ := ctx.Value(chargeKey{}).(ChargeFunc)
	if charge == nil {
		return nil
	}
	cost := 1
	if s, ok := oc.Stats.GetExtension(extension.ComplexityLimit{}.ExtensionName()).(*extension.ComplexityStats); ok && s.Complexity > cost {
		cost = s.Complexity
	}
	if err := charge(cost); err != nil {
		return &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"code": CodeRateLimited}}
	}
	return nil
}

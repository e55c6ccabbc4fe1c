package graph

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	gqlcomplexity "github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// complexityLimit is gqlgen's fixed complexity limit with the computed cost cached per
// document, operation and variables: a client repeating one query (the common case) pays the
// walk once. It reports under the same extension name and with the same error code, so
// rateCharge and clients see no difference.
type complexityLimit struct {
	limit int
	es    graphql.ExecutableSchema
	cache *lru.LRU[int]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &complexityLimit{}

func newComplexityLimit(limit int) *complexityLimit {
	return &complexityLimit{limit: limit, cache: lru.New[int](1000)}
}

func (complexityLimit) ExtensionName() string { return extension.ComplexityLimit{}.ExtensionName() }

func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	if es == nil {
		return errors.New("complexity limit: no schema")
	}
	c.es = es
	return nil
}

// costKey identifies what the cost depends on: the query text, the operation chosen and the
// variables (page sizes usually come from them). Hashed, so a large query is not kept twice.
func costKey(oc *graphql.OperationContext) (string, bool) {
	vars, err := json.Marshal(oc.Variables) // map keys are sorted: equal variables, equal bytes
	if err != nil {
		return "", false
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s%d:%s", len(oc.RawQuery), oc.RawQuery, len(oc.OperationName), oc.OperationName)
	h.Write(vars)
	return string(h.Sum(nil)), true
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	key, ok := costKey(oc)
	cost, hit := 0, false
	if ok {
		cost, hit = c.cache.Get(ctx, key)
	}
	if !hit {
		cost = gqlcomplexity.Calculate(ctx, c.es, oc.Doc.Operations.ForName(oc.OperationName), oc.Variables)
		if ok {
			c.cache.Add(ctx, key, cost)
		}
	}
	oc.Stats.SetExtension(c.ExtensionName(), &extension.ComplexityStats{Complexity: cost, ComplexityLimit: c.limit})
	if cost > c.limit {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", cost, c.limit)
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		return err
	}
	return nil
}

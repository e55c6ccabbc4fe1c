package graph

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// responseLimit bounds the size of one answer. Every resolved field adds an estimate of its
// JSON (name, punctuation, scalar text) to the request's budget as execution goes; once over,
// the request's context is canceled (pending database reads stop), remaining fields resolve
// to nothing, and the whole answer is replaced by one RESPONSE_TOO_LARGE error. The built
// data is also measured exactly before it leaves, so an estimate that fell short (escaped
// characters) still cannot let a larger answer through.
type responseLimit struct {
	maxBytes int64
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
	graphql.FieldInterceptor
} = responseLimit{}

func (responseLimit) ExtensionName() string                   { return "ResponseLimit" }
func (responseLimit) Validate(graphql.ExecutableSchema) error { return nil }

type budgetKey struct{}

type budget struct {
	max    int64
	used   atomic.Int64
	over   atomic.Bool
	cancel context.CancelFunc
}

func (l responseLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b := &budget{max: l.maxBytes, cancel: cancel}
	resp := next(context.WithValue(ctx, budgetKey{}, b))
	if resp == nil {
		return nil
	}
	if b.over.Load() || sentSize(resp.Data) > l.maxBytes {
		return &graphql.Response{Errors: gqlerror.List{l.tooLarge()}}
	}
	return resp
}

// sentSize is the length of data once written: writeResponse escapes <, > and & as \u003c.
func sentSize(data []byte) int64 {
	n := int64(len(data))
	if n > 0 {
		n += 5 * int64(bytes.Count(data, []byte{'<'})+bytes.Count(data, []byte{'>'})+bytes.Count(data, []byte{'&'}))
	}
	return n
}

func (l responseLimit) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil {
		return next(ctx)
	}
	if b.over.Load() {
		return nil, l.tooLarge()
	}
	res, err := next(ctx)
	if b.over.Load() { // this field's work may have been stopped by the cancellation: not its error
		return nil, l.tooLarge()
	}
	n := jsonSize(res) + 4 // "key": and a separator
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		n += int64(len(fc.Field.Alias))
	}
	if b.used.Add(n) > b.max {
		if !b.over.Swap(true) {
			b.cancel()
		}
		return nil, l.tooLarge()
	}
	return res, err
}

func (l responseLimit) tooLarge() *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("the answer would exceed %d bytes; select fewer fields, fewer aliases or smaller pages", l.maxBytes),
		Extensions: map[string]any{"code": CodeResponseTooLarge},
	}
}

// jsonSize estimates the JSON text of a resolved value without encoding it: strings by
// their length, other scalars by a small constant, lists of scalars summed. Objects count
// only their braces: their fields are counted as they resolve.
func jsonSize(v any) int64 {
	switch v := v.(type) {
	case nil:
		return 4
	case string:
		return int64(len(v)) + 2
	case *string:
		if v == nil {
			return 4
		}
		return int64(len(*v)) + 2
	case []string:
		n := int64(2)
		for _, s := range v {
			n += int64(len(s)) + 3
		}
		return n
	}
	return reflectSize(reflect.ValueOf(v), 0)
}

func reflectSize(v reflect.Value, level int) int64 {
	switch v.Kind() {
	case reflect.String:
		return int64(v.Len()) + 2
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 4
		}
		if level > 2 {
			return 2
		}
		return reflectSize(v.Elem(), level+1)
	case reflect.Slice, reflect.Array:
		n := int64(2) + int64(v.Len())
		if v.Len() > 0 && level <= 2 {
			switch v.Type().Elem().Kind() {
			case reflect.String:
				for i := 0; i < v.Len(); i++ {
					n += int64(v.Index(i).Len()) + 2
				}
			case reflect.Pointer, reflect.Interface, reflect.Struct, reflect.Slice, reflect.Map:
				// objects: their fields are counted as they resolve
			default:
				n += int64(v.Len()) * 8
			}
		}
		return n
	case reflect.Struct, reflect.Map:
		return 2
	default:
		return 8 // numbers, booleans
	}
}

package graph

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/policygraph/policygraph/kg"
)

// Nested list fields (a node's relationships, a source's supports) cannot be folded into the
// root query without duplicating every root query, so they go through per-request batch
// loaders: every parent asking with the same arguments is served by one Cypher query.

type relKey struct {
	id    string
	types string // comma-joined, sorted
	dir   kg.Direction
	first int
	after string
}

type supportsKey struct {
	id    string
	first int
	after string
}

type loaders struct {
	rels     *dataloadgen.Loader[relKey, *kg.RelPage]
	supports *dataloadgen.Loader[supportsKey, *kg.RelPage]
	citedBy  *dataloadgen.Loader[supportsKey, *kg.NodePage]
}

type loadersKey struct{}

func newLoaders(store Store) *loaders {
	opts := []dataloadgen.Option{dataloadgen.WithWait(5 * time.Millisecond), dataloadgen.WithBatchCapacity(2000)}
	return &loaders{
		citedBy: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []supportsKey) (map[supportsKey]*kg.NodePage, error) {
			return bySources(keys, func(ids []string, first int, after string) (map[string]*kg.NodePage, error) {
				return store.CitedBy(ctx, ids, first, after)
			})
		}, opts...),
		rels: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []relKey) (map[relKey]*kg.RelPage, error) {
			out := map[relKey]*kg.RelPage{}
			for q, ids := range groupBy(keys, func(k relKey) relKey { k.id = ""; return k }, func(k relKey) string { return k.id }) {
				var types []string
				if q.types != "" {
					types = strings.Split(q.types, ",")
				}
				pages, err := store.RelationshipsOf(ctx, ids, kg.RelQuery{Types: types, Direction: q.dir, First: q.first, After: q.after})
				if err != nil {
					return nil, err
				}
				for _, id := range ids {
					q.id = id
					out[q] = pages[id]
				}
			}
			return out, nil
		}, opts...),
		supports: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []supportsKey) (map[supportsKey]*kg.RelPage, error) {
			return bySources(keys, func(ids []string, first int, after string) (map[string]*kg.RelPage, error) {
				return store.SupportedBy(ctx, ids, first, after)
			})
		}, opts...),
	}
}

// bySources serves per-source keys with one store call per distinct page argument.
func bySources[V any](keys []supportsKey, fetch func(ids []string, first int, after string) (map[string]V, error)) (map[supportsKey]V, error) {
	out := map[supportsKey]V{}
	for q, ids := range groupBy(keys, func(k supportsKey) supportsKey { k.id = ""; return k }, func(k supportsKey) string { return k.id }) {
		pages, err := fetch(ids, q.first, q.after)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			q.id = id
			out[q] = pages[id]
		}
	}
	return out, nil
}

// groupBy groups keys by their arguments (the key without its id).
func groupBy[K comparable](keys []K, args func(K) K, id func(K) string) map[K][]string {
	g := map[K][]string{}
	for _, k := range keys {
		a := args(k)
		g[a] = append(g[a], id(k))
	}
	return g
}

// withLoaders gives every request its own loaders (no cache shared across requests).
func withLoaders(store Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loadersKey{}, newLoaders(store))))
	})
}

func loadersFrom(ctx context.Context, store Store) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	return newLoaders(store) // e.g. a resolver called outside the HTTP handler
}

func relKeyOf(id string, types []string, dir kg.Direction, first int, after string) relKey {
	t := slices.Clone(types)
	slices.Sort(t)
	return relKey{id: id, types: strings.Join(t, ","), dir: dir, first: first, after: after}
}

package graph

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/vikstrous/dataloadgen"

	"github.com/policygraph/policygraph/kg"
)

// Nested list fields (a node's relationships, a source's supports) cannot be folded into the
// root query without duplicating every root query, so they go through per-request batch
// loaders: every parent asking with the same arguments is served by one Cypher query.

type relKey struct {
	id          string
	types       string // comma-joined, sorted
	dir         kg.Direction
	first       int
	after       string
	other       kg.Omit // parts of the far-end nodes not selected
	noCitations bool    // the relationships' citations are not selected
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
	// No timed wait: the common shapes are primed by look-ahead (prefetch.go) before their
	// nested resolvers run, so a loader call that still reaches Neo4j goes at once.
	opts := []dataloadgen.Option{dataloadgen.WithWait(0), dataloadgen.WithBatchCapacity(2000)}
	return &loaders{
		rels: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []relKey) (map[relKey]*kg.RelPage, error) {
			return batched(keys, func(q relKey, ids []string) (map[string]*kg.RelPage, error) {
				var types []string
				if q.types != "" {
					types = strings.Split(q.types, ",")
				}
				return store.RelationshipsOf(ctx, ids, q.query(types))
			})
		}, opts...),
		supports: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []supportsKey) (map[supportsKey]*kg.RelPage, error) {
			return batched(keys, func(q supportsKey, ids []string) (map[string]*kg.RelPage, error) {
				return store.SupportedBy(ctx, ids, q.first, q.after)
			})
		}, opts...),
		citedBy: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []supportsKey) (map[supportsKey]*kg.NodePage, error) {
			return batched(keys, func(q supportsKey, ids []string) (map[string]*kg.NodePage, error) {
				return store.CitedBy(ctx, ids, q.first, q.after)
			})
		}, opts...),
	}
}

// loaderKey is a node id plus the arguments of the nested field.
type loaderKey[K any] interface {
	comparable
	nodeID() string
	withID(id string) K
}

func (k relKey) nodeID() string                    { return k.id }
func (k relKey) withID(id string) relKey           { k.id = id; return k }
func (k supportsKey) nodeID() string               { return k.id }
func (k supportsKey) withID(id string) supportsKey { k.id = id; return k }

// batched serves the keys with one store call per distinct argument set (the key without
// its id), mapping each node's page back to its key.
func batched[K loaderKey[K], V any](keys []K, fetch func(args K, ids []string) (map[string]V, error)) (map[K]V, error) {
	groups := map[K][]string{}
	for _, k := range keys {
		args := k.withID("")
		groups[args] = append(groups[args], k.nodeID())
	}
	out := make(map[K]V, len(keys))
	for args, ids := range groups {
		pages, err := fetch(args, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out[args.withID(id)] = pages[id]
		}
	}
	return out, nil
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

func relKeyOf(id string, q kg.RelQuery) relKey {
	t := slices.Clone(q.Types)
	slices.Sort(t)
	return relKey{id: id, types: strings.Join(t, ","), dir: q.Direction, first: q.First, after: q.After, other: q.Other, noCitations: q.NoCitations}
}

func (k relKey) query(types []string) kg.RelQuery {
	return kg.RelQuery{Types: types, Direction: k.dir, First: k.first, After: k.after, Other: k.other, NoCitations: k.noCitations}
}

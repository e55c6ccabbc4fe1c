package kg

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Centrality on an edge list the store fetched for the filtered graph. Nodes are 0..n-1;
// edges are pairs (from, to). directed=false treats every edge as going both ways.

// adjacency builds out-neighbour lists; parallel edges count once per edge.
func adjacency(n int, edges [][2]int, directed bool) [][]int {
	adj := make([][]int, n)
	for _, e := range edges {
		adj[e[0]] = append(adj[e[0]], e[1])
		if !directed {
			adj[e[1]] = append(adj[e[1]], e[0])
		}
	}
	return adj
}

// stopped reports why ctx ended, as the store reports its queries: a deadline is ErrTimeout,
// a cancellation stays context.Canceled.
func stopped(ctx context.Context) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: centrality stopped: %v", ErrTimeout, err)
	}
	return fmt.Errorf("centrality stopped: %w", err)
}

// PageRank computes PageRank with damping d by power iteration until the L1 change falls
// under 1e-10 or PageRankMaxRounds rounds; rank of dangling nodes is spread evenly. Scores sum
// to 1. It stops with an error when ctx ends (checked every round).
func PageRank(ctx context.Context, n int, edges [][2]int, directed bool, d float64) ([]float64, error) {
	if n == 0 {
		return nil, ctx.Err()
	}
	adj := adjacency(n, edges, directed)
	rank := make([]float64, n)
	next := make([]float64, n)
	for i := range rank {
		rank[i] = 1 / float64(n)
	}
	for round := 0; round < PageRankMaxRounds; round++ {
		if ctx.Err() != nil {
			return nil, stopped(ctx)
		}
		dangling := 0.0
		for i := range next {
			next[i] = 0
		}
		for u, out := range adj {
			if len(out) == 0 {
				dangling += rank[u]
				continue
			}
			share := rank[u] / float64(len(out))
			for _, v := range out {
				next[v] += share
			}
		}
		base := (1-d)/float64(n) + d*dangling/float64(n)
		delta := 0.0
		for i := range next {
			next[i] = base + d*next[i]
			delta += math.Abs(next[i] - rank[i])
		}
		rank, next = next, rank
		if delta < 1e-10 {
			break
		}
	}
	return rank, nil
}

// Betweenness computes exact betweenness centrality (Brandes 2001) on the unweighted graph:
// for each node, the number of shortest paths between other pairs that pass through it, each
// pair's paths sharing one unit. For an undirected graph each unordered pair counts once.
// It stops with an error when ctx ends (checked before each source's O(edges) pass).
func Betweenness(ctx context.Context, n int, edges [][2]int, directed bool) ([]float64, error) {
	adj := adjacency(n, edges, directed)
	cb := make([]float64, n)
	sigma := make([]float64, n)
	dist := make([]int, n)
	delta := make([]float64, n)
	preds := make([][]int, n)
	stack := make([]int, 0, n)
	queue := make([]int, 0, n)
	for s := 0; s < n; s++ {
		if ctx.Err() != nil {
			return nil, stopped(ctx)
		}
		stack, queue = stack[:0], queue[:0]
		for i := 0; i < n; i++ {
			sigma[i], dist[i], delta[i], preds[i] = 0, -1, 0, preds[i][:0]
		}
		sigma[s], dist[s] = 1, 0
		queue = append(queue, s)
		for head := 0; head < len(queue); head++ {
			v := queue[head]
			stack = append(stack, v)
			for _, w := range adj[v] {
				if dist[w] < 0 {
					dist[w] = dist[v] + 1
					queue = append(queue, w)
				}
				if dist[w] == dist[v]+1 {
					sigma[w] += sigma[v]
					preds[w] = append(preds[w], v)
				}
			}
		}
		for i := len(stack) - 1; i >= 0; i-- {
			w := stack[i]
			for _, v := range preds[w] {
				delta[v] += sigma[v] / sigma[w] * (1 + delta[w])
			}
			if w != s {
				cb[w] += delta[w]
			}
		}
	}
	if !directed {
		for i := range cb {
			cb[i] /= 2
		}
	}
	return cb, nil
}

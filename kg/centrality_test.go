package kg

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func betweenness(t *testing.T, n int, edges [][2]int, directed bool) []float64 {
	t.Helper()
	cb, err := Betweenness(context.Background(), n, edges, directed)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

func pageRank(t *testing.T, n int, edges [][2]int, directed bool, d float64) []float64 {
	t.Helper()
	pr, err := PageRank(context.Background(), n, edges, directed, d)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// A request that ends (client gone, deadline) stops the centrality computation: it is CPU
// work in the server's process, not in Neo4j, so nothing else would stop it.
func TestCentralityStopsWithItsContext(t *testing.T) {
	// A ring: every round and every source has work to do.
	n := 10000
	edges := make([][2]int, n)
	for i := range edges {
		edges[i] = [2]int{i, (i + 1) % n}
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := PageRank(canceled, n, edges, true, PageRankDamping); !errors.Is(err, context.Canceled) {
		t.Errorf("PageRank with a canceled context: err = %v, want context.Canceled", err)
	}
	if _, err := Betweenness(canceled, n, edges, false); !errors.Is(err, context.Canceled) {
		t.Errorf("Betweenness with a canceled context: err = %v, want context.Canceled", err)
	}
	// A deadline that passes mid-way (exact betweenness on 10,000 nodes takes far longer than
	// 50 ms) stops it as a timeout, the store's vocabulary.
	ctx, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := Betweenness(ctx, n, edges, false); !errors.Is(err, ErrTimeout) {
		t.Errorf("Betweenness past its deadline: err = %v, want ErrTimeout", err)
	}
}

func TestBetweennessOnKnownGraphs(t *testing.T) {
	// Path a-b-c-d: b and c each lie on the shortest paths of 2 pairs.
	got := betweenness(t, 4, [][2]int{{0, 1}, {1, 2}, {2, 3}}, false)
	want := []float64{0, 2, 2, 0}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Fatalf("path graph: got %v, want %v", got, want)
		}
	}
	// Star with centre 0 and 4 leaves: the centre is on all C(4,2)=6 leaf pairs.
	got = betweenness(t, 5, [][2]int{{0, 1}, {0, 2}, {0, 3}, {0, 4}}, false)
	if !near(got[0], 6) || !near(got[1], 0) {
		t.Fatalf("star: got %v", got)
	}
	// Square 0-1-2-3-0: two shortest paths between opposite corners, each middle gets 1/2 per pair.
	got = betweenness(t, 4, [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 0}}, false)
	for i := range got {
		if !near(got[i], 0.5) {
			t.Fatalf("square: got %v", got)
		}
	}
	// Directed chain 0->1->2: only the pair (0,2) goes through 1.
	got = betweenness(t, 3, [][2]int{{0, 1}, {1, 2}}, true)
	if !near(got[1], 1) || !near(got[0], 0) {
		t.Fatalf("directed chain: got %v", got)
	}
}

func TestPageRank(t *testing.T) {
	// Symmetric cycle: every node equal.
	pr := pageRank(t, 3, [][2]int{{0, 1}, {1, 2}, {2, 0}}, true, PageRankDamping)
	for _, v := range pr {
		if !near(v, 1.0/3) {
			t.Fatalf("cycle: %v", pr)
		}
	}
	// Star pointing in: the centre has the highest rank; scores sum to 1.
	pr = pageRank(t, 4, [][2]int{{1, 0}, {2, 0}, {3, 0}}, true, PageRankDamping)
	sum := 0.0
	for i, v := range pr {
		sum += v
		if i > 0 && v >= pr[0] {
			t.Fatalf("in-star: leaf %d ranks %v >= centre %v", i, v, pr[0])
		}
	}
	if !near(sum, 1) {
		t.Fatalf("scores sum to %v", sum)
	}
	// Known value: 2 nodes, 0->1 only, d=0.85, dangling node 1 spreads evenly.
	// Fixed point: r0 = 0.075 + 0.425*r1, r1 = 0.075 + 0.425*r1 + 0.85*r0.
	pr = pageRank(t, 2, [][2]int{{0, 1}}, true, 0.85)
	// Solve: r0 + r1 = 1, r0 = 0.075 + 0.425*r1 -> r0 = 0.075 + 0.425*(1-r0) -> r0 = 0.5/1.425
	if !near(pr[0], 0.5/1.425) || !near(pr[1], 1-0.5/1.425) {
		t.Fatalf("two nodes: %v", pr)
	}
}

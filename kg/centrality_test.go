package kg

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestBetweennessOnKnownGraphs(t *testing.T) {
	// Path a-b-c-d: b and c each lie on the shortest paths of 2 pairs.
	got := Betweenness(4, [][2]int{{0, 1}, {1, 2}, {2, 3}}, false)
	want := []float64{0, 2, 2, 0}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Fatalf("path graph: got %v, want %v", got, want)
		}
	}
	// Star with centre 0 and 4 leaves: the centre is on all C(4,2)=6 leaf pairs.
	got = Betweenness(5, [][2]int{{0, 1}, {0, 2}, {0, 3}, {0, 4}}, false)
	if !near(got[0], 6) || !near(got[1], 0) {
		t.Fatalf("star: got %v", got)
	}
	// Square 0-1-2-3-0: two shortest paths between opposite corners, each middle gets 1/2 per pair.
	got = Betweenness(4, [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 0}}, false)
	for i := range got {
		if !near(got[i], 0.5) {
			t.Fatalf("square: got %v", got)
		}
	}
	// Directed chain 0->1->2: only the pair (0,2) goes through 1.
	got = Betweenness(3, [][2]int{{0, 1}, {1, 2}}, true)
	if !near(got[1], 1) || !near(got[0], 0) {
		t.Fatalf("directed chain: got %v", got)
	}
}

func TestPageRank(t *testing.T) {
	// Symmetric cycle: every node equal.
	pr := PageRank(3, [][2]int{{0, 1}, {1, 2}, {2, 0}}, true, PageRankDamping)
	for _, v := range pr {
		if !near(v, 1.0/3) {
			t.Fatalf("cycle: %v", pr)
		}
	}
	// Star pointing in: the centre has the highest rank; scores sum to 1.
	pr = PageRank(4, [][2]int{{1, 0}, {2, 0}, {3, 0}}, true, PageRankDamping)
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
	pr = PageRank(2, [][2]int{{0, 1}}, true, 0.85)
	// Solve: r0 + r1 = 1, r0 = 0.075 + 0.425*r1 -> r0 = 0.075 + 0.425*(1-r0) -> r0 = 0.5/1.425
	if !near(pr[0], 0.5/1.425) || !near(pr[1], 1-0.5/1.425) {
		t.Fatalf("two nodes: %v", pr)
	}
}

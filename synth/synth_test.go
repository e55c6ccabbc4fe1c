package synth

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/kg"
)

func records(b Batch) ([]kg.NodeRecord, []kg.RelationRecord) {
	cits := func(cs []kg.Citation) []kg.CitationRecord {
		var out []kg.CitationRecord
		for _, c := range cs {
			out = append(out, kg.CitationRecord{Source: c.SourceID, Quote: c.Quote, Locator: c.Locator})
		}
		return out
	}
	var ns []kg.NodeRecord
	for _, n := range b.Nodes {
		ns = append(ns, kg.NodeRecord{ID: n.ID, Type: n.Type, Name: n.Name, Aliases: n.Aliases, Description: n.Description,
			Kind: n.Kind, Country: n.Country, Status: n.Status, StartDate: n.StartDate, EndDate: n.EndDate, Docket: n.Docket,
			Value: n.Value, Unit: n.Unit, Measure: n.Measure, Qualifier: n.Qualifier, Publisher: n.Publisher, URL: n.URL,
			Citations: cits(n.Citations)})
	}
	var rs []kg.RelationRecord
	for _, r := range b.Relationships {
		rs = append(rs, kg.RelationRecord{ID: r.ID, Type: r.Type, From: r.From, To: r.To, Role: r.Role, Outcome: r.Outcome,
			Description: r.Description, StartDate: r.StartDate, EndDate: r.EndDate, Citations: cits(r.Citations)})
	}
	return ns, rs
}

// The generated graph passes the import validation, references only nodes of this or earlier
// batches, cites a Source on every relationship and Statistic, and has the intended shape.
func TestGenerateIsValidAndSkewed(t *testing.T) {
	cfg := Config{Nodes: 20000, Seed: 7, BatchSize: 3000}
	p, err := NewPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	sources := map[string]bool{}
	degree := map[string]int{}
	var batches, last int
	st, err := Generate(cfg, func(b Batch) error {
		if b.Seq != batches {
			t.Fatalf("batch %d has Seq %d", batches, b.Seq)
		}
		batches++
		if len(b.Nodes) > cfg.BatchSize {
			t.Errorf("batch %d has %d nodes, more than %d", b.Seq, len(b.Nodes), cfg.BatchSize)
		}
		ns, rs := records(b)
		v, err := (&kg.Dataset{Format: kg.Format, Nodes: ns, Relationships: rs}).Validate()
		if err != nil {
			t.Fatalf("batch %d: %v", b.Seq, err)
		}
		for _, n := range v.Nodes {
			types[n.ID] = n.Type
			if n.Type == kg.TypeSource {
				sources[n.ID] = true
			}
			if p.Index(n.ID) < 0 || p.ID(p.Index(n.ID)) != n.ID || p.Type(p.Index(n.ID)) != n.Type {
				t.Fatalf("node %s does not round-trip through the plan", n.ID)
			}
			if n.Type == kg.TypeStatistic && len(n.Citations) == 0 {
				t.Fatalf("statistic %s without citation", n.ID)
			}
		}
		for id, want := range v.External {
			got, ok := types[id]
			if !ok {
				t.Fatalf("batch %d refers to %s before it was emitted", b.Seq, id)
			}
			if want != "" && got != want {
				t.Fatalf("%s is a %s, want %s", id, got, want)
			}
		}
		for _, r := range v.Relationships {
			if len(r.Citations) == 0 {
				t.Fatalf("relationship %s has no citation", r.ID)
			}
			degree[r.From]++
			degree[r.To]++
		}
		last = len(b.Nodes)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Nodes != cfg.Nodes || len(types) != cfg.Nodes {
		t.Fatalf("generated %d nodes (%d distinct), want %d", st.Nodes, len(types), cfg.Nodes)
	}
	if types[p.MarkerID()] != kg.TypeSource || last == 0 {
		t.Fatalf("marker %s missing", p.MarkerID())
	}
	avg := 2 * float64(st.Relationships) / float64(st.Nodes)
	if avg < 4 || avg > 6.5 {
		t.Errorf("average degree %.2f, want 4..6", avg)
	}
	if st.MaxDegree < 40*int(avg) {
		t.Errorf("max degree %d: not skewed enough (average %.1f)", st.MaxDegree, avg)
	}
	if st.MedianDegree > 5 {
		t.Errorf("median degree %d: most nodes should have a handful", st.MedianDegree)
	}
	if st.Top[0].Degree != degree[st.Top[0].ID] {
		t.Errorf("stats degree of %s: %d, counted %d", st.Top[0].ID, st.Top[0].Degree, degree[st.Top[0].ID])
	}
	for _, rt := range kg.RelTypes {
		if st.RelsByType[rt] == 0 {
			t.Errorf("no %s relationship generated", rt)
		}
	}
	for _, nt := range kg.NodeTypes {
		if st.NodesByType[nt] == 0 {
			t.Errorf("no %s node generated", nt)
		}
	}
	hubs := p.Hubs()
	if degree[hubs[0]] < 500 {
		t.Errorf("top hub %s has degree %d, want a real hub", hubs[0], degree[hubs[0]])
	}
	t.Logf("nodes %d rels %d avg degree %.2f max %d median %d top %v", st.Nodes, st.Relationships, avg, st.MaxDegree, st.MedianDegree, st.Top[:5])
	t.Logf("nodes by type %v", st.NodesByType)
	t.Logf("rels by type %v", st.RelsByType)
}

func digest(t *testing.T, cfg Config) string {
	h := sha256.New()
	_, err := Generate(cfg, func(b Batch) error {
		return json.NewEncoder(h).Encode(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := digest(t, Config{Nodes: 3000, Seed: 1})
	b := digest(t, Config{Nodes: 3000, Seed: 1})
	c := digest(t, Config{Nodes: 3000, Seed: 2})
	if a != b {
		t.Error("same seed gave different graphs")
	}
	if a == c {
		t.Error("different seeds gave the same graph")
	}
}

func TestPlanPicks(t *testing.T) {
	p, err := NewPlan(Config{Nodes: 100000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if h := p.Hubs(); !strings.HasPrefix(h[0], "org:syn-") || len(h) < 20 {
		t.Errorf("hubs %v", h)
	}
	s := p.Sample(3, 50, kg.TypePerson, kg.TypeOrganization)
	if len(s) != 50 {
		t.Fatalf("sample of %d", len(s))
	}
	for _, id := range s {
		if tp := p.Type(p.Index(id)); tp != kg.TypePerson && tp != kg.TypeOrganization {
			t.Errorf("sampled %s of type %s", id, tp)
		}
	}
	if got := p.Sample(3, 50, kg.TypePerson, kg.TypeOrganization); strings.Join(got, ",") != strings.Join(s, ",") {
		t.Error("Sample is not deterministic")
	}
	if _, err := NewPlan(Config{Nodes: 10}); err == nil {
		t.Error("tiny graph accepted")
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	for b.Loop() {
		if _, err := Generate(Config{Nodes: 100000, Seed: 1}, func(Batch) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

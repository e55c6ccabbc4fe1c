package export

import (
	"io"
	"strconv"
	"testing"

	"github.com/policygraph/policygraph/kg"
)

// BenchmarkEncode: the encoders alone, on synthetic-graph-like nodes and edges (one cited
// relationship per node and a half, as in synth/), so the server's share of an export's CPU
// can be told from Neo4j's and the driver's. Reports elements (nodes + edges) per second.
func BenchmarkEncode(b *testing.B) {
	src := &kg.Node{ID: "source:syn-1", Type: kg.TypeSource, Name: "Synthetic report 1"}
	const n = 2000
	nodes := make([]*kg.Node, n)
	edges := make([]*kg.Relationship, 0, 5*n/2)
	for i := range nodes {
		nodes[i] = &kg.Node{ID: "org:syn-" + strconv.Itoa(i), Type: kg.TypeOrganization, Name: "Organisation número " + strconv.Itoa(i),
			Kind: "NGO", Country: "MX", Description: "A synthetic organisation & co.", Degree: 5, StartDate: "2019-06"}
	}
	for i := 0; i < 5*n/2; i++ {
		edges = append(edges, &kg.Relationship{ID: "rel:" + strconv.Itoa(i), Type: "OPPOSES", From: nodes[i%n].ID, To: nodes[(i*7+1)%n].ID,
			StartDate: "2019-06", StartDay: "2019-06-01", EndDay: "2019-06-30",
			Citations: []kg.Citation{{SourceID: src.ID, Source: src, Quote: "Organisation " + strconv.Itoa(i) + " said \"no\" to the policy, <twice> & loudly."}}})
	}
	for _, f := range Formats {
		b.Run(f.Name, func(b *testing.B) {
			for b.Loop() {
				enc := f.New(io.Discard, Options{Selection: "bench"})
				_ = enc.Begin(kg.ExportInfo{Nodes: -1, Edges: -1})
				if f.Parts.Nodes {
					for _, x := range nodes {
						_ = enc.Node(x)
					}
				}
				if f.Parts.Edges {
					for _, e := range edges {
						_ = enc.Edge(e)
					}
				}
				if err := enc.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(nodes)+len(edges))*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
		})
	}
}

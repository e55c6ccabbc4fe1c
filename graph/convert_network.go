package graph

import (
	"github.com/policygraph/policygraph/graph/model"
	"github.com/policygraph/policygraph/kg"
)

// netBuilder assembles a model.Network, deduplicating nodes and edges by id (paths and
// common connections share nodes) and linking each edge to its endpoint nodes.
type netBuilder struct {
	byID  map[string]model.Node
	nodes []model.Node
	seen  map[string]bool
	edges []*model.Relationship
}

func newNet() *netBuilder { return &netBuilder{byID: map[string]model.Node{}, seen: map[string]bool{}} }

func (b *netBuilder) node(n *kg.Node) model.Node {
	if m, ok := b.byID[n.ID]; ok {
		return m
	}
	m := toModel(n)
	b.byID[n.ID] = m
	b.nodes = append(b.nodes, m)
	return m
}

func (b *netBuilder) nodesOf(ns []*kg.Node) []model.Node {
	out := make([]model.Node, 0, len(ns))
	for _, n := range ns {
		out = append(out, b.node(n))
	}
	return out
}

// edge converts r; its endpoints must have been added first.
func (b *netBuilder) edge(r *kg.Relationship) *model.Relationship {
	m := relationship(r, nil)
	m.From, m.To = b.byID[r.From], b.byID[r.To]
	if !b.seen[r.ID] {
		b.seen[r.ID] = true
		b.edges = append(b.edges, m)
	}
	return m
}

func (b *netBuilder) edgesOf(rs []*kg.Relationship) []*model.Relationship {
	out := make([]*model.Relationship, 0, len(rs))
	for _, r := range rs {
		if b.byID[r.From] == nil || b.byID[r.To] == nil {
			continue // an edge to a node outside the answer cannot be drawn
		}
		out = append(out, b.edge(r))
	}
	return out
}

func (b *netBuilder) network(truncated bool) *model.Network {
	if b.nodes == nil {
		b.nodes = []model.Node{}
	}
	if b.edges == nil {
		b.edges = []*model.Relationship{}
	}
	return &model.Network{Nodes: b.nodes, Edges: b.edges, Truncated: truncated}
}

func networkModel(n *kg.Network) *model.Network {
	b := newNet()
	b.nodesOf(n.Nodes)
	b.edgesOf(n.Edges)
	return b.network(n.Truncated)
}

func pathsModel(r *kg.PathsResult) *model.Paths {
	b := newNet()
	out := &model.Paths{Paths: []*model.Path{}, Truncated: r.Truncated}
	for _, p := range r.Paths {
		nodes := b.nodesOf(p.Nodes)
		out.Paths = append(out.Paths, &model.Path{Length: len(p.Edges), Nodes: nodes, Edges: b.edgesOf(p.Edges)})
	}
	out.Network = b.network(r.Truncated)
	return out
}

func commonModel(r *kg.CommonResult) *model.CommonConnections {
	b := newNet()
	b.nodesOf(r.Seeds)
	out := &model.CommonConnections{Connections: []*model.CommonConnection{}, Truncated: r.Truncated}
	for _, c := range r.Common {
		n := b.node(c.Node)
		out.Connections = append(out.Connections, &model.CommonConnection{Node: n, SharedWith: c.Shared, Edges: b.edgesOf(c.Edges)})
	}
	out.Network = b.network(r.Truncated)
	return out
}

func timelineModel(p *kg.TimelinePage) *model.TimelineConnection {
	c := &model.TimelineConnection{Edges: []*model.TimelineEdge{}, PageInfo: pageInfo(p.Cursors, p.HasNext)}
	for i, e := range p.Entries {
		entry := &model.TimelineEntry{Kind: model.TimelineKind(e.Kind), Date: e.Date, SortDate: e.SortDate}
		if e.Relationship != nil {
			entry.Relationship = relationship(e.Relationship, nil)
		}
		if ev, ok := toModel(e.Event).(*model.Event); ok {
			entry.Event = ev
		}
		c.Edges = append(c.Edges, &model.TimelineEdge{Cursor: p.Cursors[i], Node: entry})
	}
	return c
}

func rankModel(rs []kg.Ranked) []*model.RankedNode {
	out := make([]*model.RankedNode, 0, len(rs))
	for i, r := range rs {
		out = append(out, &model.RankedNode{Rank: i + 1, Score: r.Score, Node: toModel(r.Node)})
	}
	return out
}

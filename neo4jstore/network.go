package neo4jstore

import (
	"context"
	"errors"

	"github.com/policygraph/policygraph/kg"
)

var errTODO = errors.New("not implemented yet")

// Neighborhood returns the ego network of q.ID up to q.Depth hops.
func (s *Store) Neighborhood(ctx context.Context, q kg.NeighborhoodQuery) (*kg.Network, error) {
	return nil, errTODO
}

// Paths returns the shortest (or k shortest) paths between two nodes.
func (s *Store) Paths(ctx context.Context, q kg.PathsQuery) (*kg.PathsResult, error) {
	return nil, errTODO
}

// CommonConnections returns nodes connected to at least q.MinShared of q.IDs.
func (s *Store) CommonConnections(ctx context.Context, q kg.CommonQuery) (*kg.CommonResult, error) {
	return nil, errTODO
}

// Network returns the given nodes and every edge among them.
func (s *Store) Network(ctx context.Context, q kg.NetworkQuery) (*kg.Network, error) {
	return nil, errTODO
}

// Timeline returns dated relationships and events in date order.
func (s *Store) Timeline(ctx context.Context, q kg.TimelineQuery) (*kg.TimelinePage, error) {
	return nil, errTODO
}

// Rank returns the most central nodes of the filtered graph.
func (s *Store) Rank(ctx context.Context, q kg.RankQuery) ([]kg.Ranked, error) {
	return nil, errTODO
}

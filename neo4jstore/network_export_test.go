package neo4jstore

import (
	"context"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// Hooks for the network tests of package neo4jstore_test (this file is compiled into tests only).

// SetNetworkBounds lowers kg.PathHubDegree and kg.MaxExpand for the store's queries (0 keeps
// one) and returns a function that restores them.
func SetNetworkBounds(hubDegree, expand int) (restore func()) {
	h, e := pathHubDegree, maxExpand
	if hubDegree > 0 {
		pathHubDegree = hubDegree
	}
	if expand > 0 {
		maxExpand = expand
	}
	return func() { pathHubDegree, maxExpand = h, e }
}

// SetRankScan lowers rankScan and returns a function that restores it.
func SetRankScan(n int) (restore func()) {
	old := rankScan
	rankScan = n
	return func() { rankScan = old }
}

// NetworkReadForTest runs a read query as the store's methods do.
func (s *Store) NetworkReadForTest(ctx context.Context, cypher string, params map[string]any) (*neo4j.EagerResult, error) {
	return s.read(ctx, cypher, params)
}

// FilterParamsForTest are the parameters a filter gives the network queries.
func FilterParamsForTest(f kg.EdgeFilter) map[string]any { return filterParams(f) }

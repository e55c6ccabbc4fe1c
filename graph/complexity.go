package graph

import (
	"github.com/policygraph/policygraph/graph/model"
	"github.com/policygraph/policygraph/kg"
)

// Cost of a list field = page size x (cost of what each item selects + 1), so a fan-out of
// nested pages multiplies, as its work on the database does. gqlgen's default (1 per field)
// would let a 6-deep fan-out of 100-item pages through.
func pageCost(first *int, child int) int {
	n := deref(first, kg.DefaultFirst)
	if n < 1 {
		n = 1
	}
	if n > kg.MaxFirst { // rejected later by validation with a clear message; cost it as the max
		n = kg.MaxFirst
	}
	return n * (child + 1)
}

func complexity() ComplexityRoot {
	var c ComplexityRoot
	rels := func(child int, _ []model.RelationshipType, _ *model.Direction, first *int, _ *string) int {
		return pageCost(first, child)
	}
	c.Person.Relationships, c.Organization.Relationships, c.Country.Relationships = rels, rels, rels
	c.Policy.Relationships, c.LegalCase.Relationships, c.Event.Relationships = rels, rels, rels
	c.Statistic.Relationships, c.Source.Relationships = rels, rels
	c.Source.Supports = func(child int, first *int, _ *string) int { return pageCost(first, child) }
	c.Source.CitedBy = func(child int, first *int, _ *string) int { return pageCost(first, child) }

	// history pages (every node type and Relationship) and the root revisions list.
	hist := func(child int, first *int, _ *string) int { return pageCost(first, child) }
	c.Person.History, c.Organization.History, c.Country.History, c.Policy.History = hist, hist, hist, hist
	c.LegalCase.History, c.Event.History, c.Statistic.History, c.Source.History = hist, hist, hist, hist
	c.Relationship.History = hist
	c.Query.Revisions = func(child int, _, _, _ *string, first *int, _ *string) int { return pageCost(first, child) }

	c.Query.Search = func(child int, _ string, _ []model.NodeType, first *int, _ *string) int {
		return pageCost(first, child)
	}
	c.Query.SearchCitations = func(child int, _ string, first *int, _ *string) int { return pageCost(first, child) }
	c.Query.Nodes = func(child int, _ []model.NodeType, _ *model.NodeFilter, _ *model.NodeOrder, first *int, _ *string) int {
		return pageCost(first, child)
	}
	list := func(child int, _ *model.NodeFilter, _ *model.NodeOrder, first *int, _ *string) int {
		return pageCost(first, child)
	}
	c.Query.People, c.Query.Countries, c.Query.Statistics, c.Query.Sources = list, list, list, list
	c.Query.Organizations = func(child int, _ []model.OrganizationKind, f *model.NodeFilter, o *model.NodeOrder, first *int, a *string) int {
		return list(child, f, o, first, a)
	}
	c.Query.Policies = func(child int, _ []model.PolicyKind, _ []model.PolicyStatus, f *model.NodeFilter, o *model.NodeOrder, first *int, a *string) int {
		return list(child, f, o, first, a)
	}
	c.Query.LegalCases = func(child int, _ []model.CaseStatus, f *model.NodeFilter, o *model.NodeOrder, first *int, a *string) int {
		return list(child, f, o, first, a)
	}
	c.Query.Events = func(child int, _ []model.EventKind, f *model.NodeFilter, o *model.NodeOrder, first *int, a *string) int {
		return list(child, f, o, first, a)
	}

	// Relationship queries: their result lists have no page argument of their own, so the
	// bound that sizes the answer (node limit, path limit x hops, ids, page) multiplies the
	// cost of what each element selects. Global centralities add a fixed cost for the work
	// done outside Neo4j.
	c.Query.Neighborhood = func(child int, _ string, depth *int, _ []model.RelationshipType, _ []model.NodeType, _ *model.Direction, _, _, _ *string, limit *int) int {
		return clamp(limit, kg.DefaultNodeLimit, kg.MaxNetworkNodes) * (child + 1)
	}
	c.Query.Paths = func(child int, _, _ string, maxHops *int, _ []model.RelationshipType, _ []model.NodeType, _ *model.Direction, _, _, _ *string, _ *bool, limit *int) int {
		return clamp(limit, kg.DefaultPaths, kg.MaxPaths) * clamp(maxHops, kg.DefaultHops, kg.MaxHops) * (child + 1)
	}
	c.Query.CommonConnections = func(child int, _ []string, _ *int, _ []model.RelationshipType, _ []model.NodeType, _ *model.Direction, _, _, _ *string, limit *int) int {
		return clamp(limit, 50, kg.MaxNetworkNodes) * (child + 1)
	}
	c.Query.Network = func(child int, ids []string, _ []model.RelationshipType, _, _, _ *string) int {
		return max(1, min(len(ids), kg.MaxSeeds)) * (child + 1)
	}
	c.Query.Timeline = func(child int, _ []string, _ []model.RelationshipType, _, _ *string, _ *bool, first *int, _ *string) int {
		return pageCost(first, child)
	}
	c.Query.Rank = func(child int, measure *model.Measure, _ []model.NodeType, _ []model.RelationshipType, _ *model.Direction, _, _, _ *string, first *int) int {
		cost := clamp(first, kg.DefaultRankFirst, kg.MaxFirst) * (child + 1)
		if m := deref(measure, model.MeasureDegree); m != model.MeasureDegree {
			cost += globalCentralityCost
		}
		return cost
	}
	return c
}

// globalCentralityCost is the fixed cost of PageRank or betweenness (they read the whole
// filtered graph).
const globalCentralityCost = 5000

// clamp reads an optional size argument for costing: default when absent, within [1, max].
func clamp(v *int, def, maxV int) int {
	return min(max(deref(v, def), 1), maxV)
}

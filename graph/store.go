package graph

import (
	"context"

	"github.com/policygraph/policygraph/kg"
)

// Store is what the resolvers need from the database. neo4jstore.Store implements it.
// Errors are kg sentinels (wrapped): ErrInvalid (with *kg.InvalidError saying which argument),
// ErrNotFound, ErrUnavailable, ErrTimeout; anything else is internal.
type Store interface {
	// Node returns one node or kg.ErrNotFound.
	Node(ctx context.Context, id string) (*kg.Node, error)
	// NodeWith reads a node without the parts o leaves out and, when rq is set, one page of
	// its relationships in the same round trip.
	NodeWith(ctx context.Context, id string, o kg.Omit, rq *kg.RelQuery) (*kg.Node, *kg.RelPage, error)
	// ListNodes returns one page of nodes (validates q).
	ListNodes(ctx context.Context, q kg.NodeQuery) (*kg.NodePage, error)
	// Search runs a full-text search (validates q).
	Search(ctx context.Context, q kg.SearchQuery) (*kg.NodePage, error)
	// SearchCitations finds cited sentences (validates q; q.Types and q.Omit are not used).
	SearchCitations(ctx context.Context, q kg.SearchQuery) (*kg.CitationPage, error)
	// RelationshipsOf returns one page of relationships per node id, in one query.
	RelationshipsOf(ctx context.Context, ids []string, q kg.RelQuery) (map[string]*kg.RelPage, error)
	// SupportedBy returns one page of the relationships citing each source id, in one query.
	SupportedBy(ctx context.Context, sourceIDs []string, first int, after string) (map[string]*kg.RelPage, error)
	// CitedBy returns one page of the nodes citing each source id, in one query.
	CitedBy(ctx context.Context, sourceIDs []string, first int, after string) (map[string]*kg.NodePage, error)
	NetworkStore
	WriteStore
}

// WriteStore is the part of Store behind mutations and history. Every write runs in one
// transaction that records one revision by w.Principal (the resolver has checked the role),
// or changes nothing. Errors: ErrInvalid (*kg.InvalidError naming record and field), ErrNotFound,
// *kg.ConflictError (a stale expected version, an id taken, a revert over later revisions),
// ErrForbidden (a revert of another's revision, force without admin), ErrUnavailable, ErrTimeout.
type WriteStore interface {
	// CreateNode adds a node (a Source too); its id is derived from type and name when empty.
	CreateNode(ctx context.Context, w kg.Write, rec kg.NodeRecord) (*kg.WriteResult, error)
	UpdateNode(ctx context.Context, w kg.Write, id string, expectedVersion int, p kg.NodePatch) (*kg.WriteResult, error)
	// DeleteNode deletes a node and its relationships.
	DeleteNode(ctx context.Context, w kg.Write, id string, expectedVersion int) (*kg.WriteResult, error)
	CreateRelationship(ctx context.Context, w kg.Write, rec kg.RelationRecord) (*kg.WriteResult, error)
	UpdateRelationship(ctx context.Context, w kg.Write, id string, expectedVersion int, p kg.RelPatch) (*kg.WriteResult, error)
	DeleteRelationship(ctx context.Context, w kg.Write, id string, expectedVersion int) (*kg.WriteResult, error)
	// AddCitation and RemoveCitation change a node's or a relationship's (rel:... ids) citations.
	AddCitation(ctx context.Context, w kg.Write, record string, expectedVersion int, c kg.CitationRecord) (*kg.WriteResult, error)
	RemoveCitation(ctx context.Context, w kg.Write, record string, expectedVersion int, source, quote string) (*kg.WriteResult, error)
	MergeNodes(ctx context.Context, w kg.Write, keep string, keepVersion int, merge string, mergeVersion int) (*kg.WriteResult, error)
	Revert(ctx context.Context, w kg.Write, revisionID string, force bool) (*kg.WriteResult, error)
	// History returns one page of the revisions that changed a record, newest first.
	History(ctx context.Context, id string, first int, after string) (*kg.RevisionPage, error)
	// Revisions returns one page of every revision, newest first (validates q).
	Revisions(ctx context.Context, q kg.RevisionQuery) (*kg.RevisionPage, error)
}

// NetworkStore is the part of Store behind the relationship queries; each method is one
// bounded Cypher round trip (Rank by PageRank or betweenness: two) and validates its query.
type NetworkStore interface {
	Neighborhood(ctx context.Context, q kg.NeighborhoodQuery) (*kg.Network, error)
	Paths(ctx context.Context, q kg.PathsQuery) (*kg.PathsResult, error)
	CommonConnections(ctx context.Context, q kg.CommonQuery) (*kg.CommonResult, error)
	Network(ctx context.Context, q kg.NetworkQuery) (*kg.Network, error)
	Timeline(ctx context.Context, q kg.TimelineQuery) (*kg.TimelinePage, error)
	Rank(ctx context.Context, q kg.RankQuery) ([]kg.Ranked, error)
}

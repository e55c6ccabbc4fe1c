package kg

// Exports: a subgraph handed to a writer as a stream (every node, then every edge), so the
// whole graph can go from Neo4j to a file without ever being held in memory.

// Bounds of an export selection.
const (
	MaxExportDepth = MaxDepth         // 0 = only the edges among the given ids
	MaxExportIDs   = MaxNetworkNodes  // ids of one selection (a view in the explorer)
	DefaultExport  = DefaultNodeLimit // node limit of a selection with depth > 0
)

// ExportQuery selects what an export writes. With no IDs it is the whole graph: every node of
// the allowed node types (Sources and other unconnected nodes included) and every relationship
// among them that passes the filter. With IDs and Depth 0 it is those nodes and the edges
// among them (like `network`); with Depth 1 to 3 it is their neighbourhood (like
// `neighborhood`, from several centres), cut at Limit nodes.
type ExportQuery struct {
	IDs    []string
	Depth  int
	Filter EdgeFilter // Direction is always BOTH
	Limit  int        // 0 = DefaultExport; only with IDs
}

// Whole reports whether q selects the whole graph.
func (q *ExportQuery) Whole() bool { return len(q.IDs) == 0 }

// Validate checks bounds and fills defaults. Argument names are the export's parameter names.
func (q *ExportQuery) Validate() error {
	if len(q.IDs) > 0 {
		if len(q.IDs) > MaxExportIDs {
			return Invalid("id", "must be given at most %d times, got %d", MaxExportIDs, len(q.IDs))
		}
		seen := map[string]bool{}
		for _, id := range q.IDs {
			if err := checkID("id", id); err != nil {
				return err
			}
			if seen[id] {
				return Invalid("id", "lists %q twice", id)
			}
			seen[id] = true
		}
	}
	if err := checkRange("depth", q.Depth, 0, MaxExportDepth); err != nil {
		return err
	}
	if q.Whole() {
		if q.Depth != 0 {
			return Invalid("depth", "needs at least one id (the whole graph has no depth)")
		}
		if q.Limit != 0 {
			return Invalid("limit", "needs at least one id (a whole-graph export is never cut)")
		}
	} else {
		if q.Limit == 0 {
			q.Limit = DefaultExport
		}
		if err := checkRange("limit", q.Limit, 1, MaxNetworkNodes); err != nil {
			return err
		}
		if q.Depth > 0 && q.Limit < len(q.IDs) {
			return Invalid("limit", "must be at least the number of ids (%d) when depth is above 0, got %d", len(q.IDs), q.Limit)
		}
	}
	q.Filter.Direction = Both
	return q.Filter.Validate()
}

// Parts says which halves of a subgraph a writer needs (nodes.csv needs no edges).
type Parts struct{ Nodes, Edges bool }

// ExportInfo is known before the first node is written.
type ExportInfo struct {
	// Truncated: a limit cut the selection (the node limit, or the cap on edges of a selection).
	Truncated bool
	// Nodes and Edges: the counts, when known before writing (selections); -1 when streaming.
	Nodes, Edges int
}

// GraphWriter receives a subgraph: Begin once, then every node, then every edge (each edge's
// ends are among the nodes, when the writer asked for nodes). Nodes and edges carry their
// citations with each Source's id and name.
type GraphWriter interface {
	Begin(ExportInfo) error
	Node(*Node) error
	Edge(*Relationship) error
}

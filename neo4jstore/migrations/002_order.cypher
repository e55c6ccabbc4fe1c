// Migration 002: index-ordered lists. nameKey (lower-cased name) and degree are stored on
// every node by every write (neo4jstore/importer.go), so NAME and DEGREE lists and rank by
// degree read a range index in order instead of sorting every node. Per-type copies of these
// indexes are derived from kg.NodeTypes in migrate.go.
CREATE INDEX node_name_key IF NOT EXISTS FOR (n:Node) ON (n.nameKey);
CREATE INDEX node_degree IF NOT EXISTS FOR (n:Node) ON (n.degree);

// Migration 004: search that finds what people type (docs/search.md). The indexes read text
// folded in Go at write time (lower case, accents removed; neo4jstore/search.go), with the
// `whitespace` analyzer: no stop list and no stemming of Lucene's own, so every word of a query
// is either required or, for a stop word, dropped by the query parser, never half of each.
// It replaces node_text (001) for search; node_text stays for the outside tools that name it.
// Names (name, aliases, names values) and description of every node.
CREATE FULLTEXT INDEX node_search IF NOT EXISTS FOR (n:Node) ON EACH [n.searchNames, n.searchDesc] OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}};
// Citation quotes of nodes; those of relationships: rel_quotes, derived from kg.RelTypes.
CREATE FULLTEXT INDEX node_quotes IF NOT EXISTS FOR (n:Node) ON EACH [n.quoteText] OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}};

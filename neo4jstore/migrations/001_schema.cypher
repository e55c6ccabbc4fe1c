// Migration 001: identity and lookup. Every statement is idempotent (IF NOT EXISTS).
// Node ids are unique across all node types (every node carries :Node).
CREATE CONSTRAINT node_id_unique IF NOT EXISTS FOR (n:Node) REQUIRE n.id IS UNIQUE;
CREATE INDEX node_type IF NOT EXISTS FOR (n:Node) ON (n.type);
CREATE INDEX node_name IF NOT EXISTS FOR (n:Node) ON (n.name);
CREATE INDEX node_country IF NOT EXISTS FOR (n:Node) ON (n.country);
CREATE INDEX node_kind IF NOT EXISTS FOR (n:Node) ON (n.kind);
CREATE INDEX node_range_from IF NOT EXISTS FOR (n:Node) ON (n.rangeFrom);
// node_text: the first full-text index (standard-folding, which drops English stop words).
// policygraph's search reads node_search (migration 004) instead; node_text is kept because
// tools outside the server name it: the performance harness in ../shared/perf (its raw-Cypher
// and @neo4j/graphql contenders search it) and any @fulltext typeDefs written against it.
CREATE FULLTEXT INDEX node_text IF NOT EXISTS FOR (n:Node) ON EACH [n.name, n.aliasText, n.description] OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-folding'}};
// Relationship ids are unique per relationship type: one constraint per type, named
// rel_<type>_id, derived from kg.Rels in migrate.go (derivedStatements).

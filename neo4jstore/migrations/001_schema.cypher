// Migration 001: identity and lookup. Every statement is idempotent (IF NOT EXISTS).
// Node ids are unique across all node types (every node carries :Node).
CREATE CONSTRAINT node_id_unique IF NOT EXISTS FOR (n:Node) REQUIRE n.id IS UNIQUE;
CREATE INDEX node_type IF NOT EXISTS FOR (n:Node) ON (n.type);
CREATE INDEX node_name IF NOT EXISTS FOR (n:Node) ON (n.name);
CREATE INDEX node_country IF NOT EXISTS FOR (n:Node) ON (n.country);
CREATE INDEX node_kind IF NOT EXISTS FOR (n:Node) ON (n.kind);
CREATE INDEX node_range_from IF NOT EXISTS FOR (n:Node) ON (n.rangeFrom);
// Search indexes: migration 004 (it drops node_text, which this file created before; creating
// it here on every run only for 004 to drop it again would rebuild it each time).
// Relationship ids are unique per relationship type: one constraint per type, named
// rel_<type>_id, derived from kg.Rels in migrate.go (derivedStatements).

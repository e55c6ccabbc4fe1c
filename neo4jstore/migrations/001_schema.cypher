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
// Relationship ids are unique per relationship type (one constraint per allowed type).
CREATE CONSTRAINT rel_member_of_id IF NOT EXISTS FOR ()-[r:MEMBER_OF]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_holds_position_id IF NOT EXISTS FOR ()-[r:HOLDS_POSITION]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_part_of_id IF NOT EXISTS FOR ()-[r:PART_OF]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_based_in_id IF NOT EXISTS FOR ()-[r:BASED_IN]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_pressures_id IF NOT EXISTS FOR ()-[r:PRESSURES]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_negotiates_with_id IF NOT EXISTS FOR ()-[r:NEGOTIATES_WITH]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_allies_with_id IF NOT EXISTS FOR ()-[r:ALLIES_WITH]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_opposes_id IF NOT EXISTS FOR ()-[r:OPPOSES]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_supports_id IF NOT EXISTS FOR ()-[r:SUPPORTS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_criticizes_id IF NOT EXISTS FOR ()-[r:CRITICIZES]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_complains_to_id IF NOT EXISTS FOR ()-[r:COMPLAINS_TO]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_petitions_id IF NOT EXISTS FOR ()-[r:PETITIONS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_represents_id IF NOT EXISTS FOR ()-[r:REPRESENTS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_apologizes_to_id IF NOT EXISTS FOR ()-[r:APOLOGIZES_TO]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_orders_id IF NOT EXISTS FOR ()-[r:ORDERS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_succeeds_id IF NOT EXISTS FOR ()-[r:SUCCEEDS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_issues_id IF NOT EXISTS FOR ()-[r:ISSUES]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_implements_id IF NOT EXISTS FOR ()-[r:IMPLEMENTS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_enforces_id IF NOT EXISTS FOR ()-[r:ENFORCES]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_signs_id IF NOT EXISTS FOR ()-[r:SIGNS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_agrees_to_id IF NOT EXISTS FOR ()-[r:AGREES_TO]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_refuses_id IF NOT EXISTS FOR ()-[r:REFUSES]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_advocates_for_id IF NOT EXISTS FOR ()-[r:ADVOCATES_FOR]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_party_to_id IF NOT EXISTS FOR ()-[r:PARTY_TO]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_heard_in_id IF NOT EXISTS FOR ()-[r:HEARD_IN]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_challenges_id IF NOT EXISTS FOR ()-[r:CHALLENGES]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_ruled_on_id IF NOT EXISTS FOR ()-[r:RULED_ON]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_amends_id IF NOT EXISTS FOR ()-[r:AMENDS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_affects_id IF NOT EXISTS FOR ()-[r:AFFECTS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_measures_id IF NOT EXISTS FOR ()-[r:MEASURES]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_participates_in_id IF NOT EXISTS FOR ()-[r:PARTICIPATES_IN]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_concerns_id IF NOT EXISTS FOR ()-[r:CONCERNS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT rel_causes_id IF NOT EXISTS FOR ()-[r:CAUSES]-() REQUIRE r.id IS UNIQUE;

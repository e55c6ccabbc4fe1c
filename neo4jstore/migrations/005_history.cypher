// Migration 005: history (docs/curation.md). One (:Revision) per committed write, numbered by
// the one (:RevisionCounter {name: 'revision'}) node that every write transaction increments
// first (neo4jstore/history.go); ids merged into another node resolve through (:MergedId).
CREATE CONSTRAINT revision_seq IF NOT EXISTS FOR (r:Revision) REQUIRE r.seq IS UNIQUE;
CREATE CONSTRAINT revision_id IF NOT EXISTS FOR (r:Revision) REQUIRE r.id IS UNIQUE;
// A retried mutation finds its first revision by author and key; the constraint makes two
// concurrent retries commit at most one revision.
CREATE CONSTRAINT revision_idempotency IF NOT EXISTS FOR (r:Revision) REQUIRE (r.author, r.idempotencyKey) IS UNIQUE;
CREATE INDEX revision_author IF NOT EXISTS FOR (r:Revision) ON (r.author);
CREATE INDEX revision_at IF NOT EXISTS FOR (r:Revision) ON (r.at);
CREATE CONSTRAINT revision_counter_name IF NOT EXISTS FOR (c:RevisionCounter) REQUIRE c.name IS UNIQUE;
CREATE CONSTRAINT merged_id_unique IF NOT EXISTS FOR (m:MergedId) REQUIRE m.id IS UNIQUE;
CREATE INDEX merged_id_into IF NOT EXISTS FOR (m:MergedId) ON (m.into);

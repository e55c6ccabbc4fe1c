// Migration 006: API tokens (docs/curation.md, "Tokens and roles"). A token is stored only as
// the SHA-256 hex of its text; its name is what history records as the author, so names are
// never reused (a revoked token keeps its node and its name).
CREATE CONSTRAINT api_token_name IF NOT EXISTS FOR (t:ApiToken) REQUIRE t.name IS UNIQUE;
CREATE CONSTRAINT api_token_hash IF NOT EXISTS FOR (t:ApiToken) REQUIRE t.hash IS UNIQUE;

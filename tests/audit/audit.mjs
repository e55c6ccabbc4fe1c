// The graphql-http audit suite (GraphQL over HTTP spec conformance) against a live server:
//
//   POLICYGRAPH_URL=http://127.0.0.1:8080 node tests/audit/audit.mjs
//
// Prints one line per audit, "<STATUS> <id> <name>" (OK, NOTICE, WARN or ERROR; the reason
// follows a failure), then a summary line. Exits 1 on any ERROR (a MUST the server fails).
// server_test.go (TestGraphQLOverHTTPAudit) runs it and checks that docs/reliability.md
// lists every WARN and NOTICE with its reason.
import { serverAudits } from 'graphql-http';

const base = process.env.POLICYGRAPH_URL;
if (!base) {
  console.error('set POLICYGRAPH_URL to the server, e.g. http://127.0.0.1:8080');
  process.exit(2);
}
const url = `${base.replace(/\/$/, '')}/graphql`;

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
// One at a time: the results read in order, and the server sees one client, as a person.
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  counts[result.status]++;
  let line = `${result.status.toUpperCase()} ${result.id} ${result.name}`;
  if (result.status !== 'ok') {
    let status = '';
    try {
      status = ` [HTTP ${result.response.status} ${result.response.headers.get('content-type') ?? ''}]`;
    } catch {
      // the response may be missing when the audit could not reach the server
    }
    line += `: ${result.reason}${status}`;
  }
  console.log(line);
}
console.log(`graphql-http audit of ${url}: ${counts.ok} ok, ${counts.notice} notices, ${counts.warn} warnings, ${counts.error} errors`);
process.exit(counts.error > 0 ? 1 : 0);

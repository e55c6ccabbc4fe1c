// Migration 003: timelines without ids read dated relationships and events through an index instead
// of scanning every relationship (neo4jstore/network.go, Timeline). Full-text indexes with the
// keyword analyzer hold the partial dates as the sources give them ("2020", "2020-01",
// "2020-01-15"), whose string order is the timeline's month order, so one Lucene query selects
// exactly what starts, ends or is ongoing in a window (range and term queries) and counts it
// cheaply. Full-text rather than range indexes because one full-text index spans every
// relationship type: Neo4j's range indexes take one type each, and a query over 33 of them
// needed a 100-branch UNION that took tens of seconds to plan. The types listed are
// kg.RelTypes (TestTimelineIndexesCoverRelTypes checks it).
CREATE FULLTEXT INDEX event_dates IF NOT EXISTS FOR (n:Event) ON EACH [n.startDate, n.endDate] OPTIONS {indexConfig: {`fulltext.analyzer`: 'keyword'}};
CREATE FULLTEXT INDEX rel_dates IF NOT EXISTS FOR ()-[r:MEMBER_OF|HOLDS_POSITION|PART_OF|BASED_IN|PRESSURES|NEGOTIATES_WITH|ALLIES_WITH|OPPOSES|SUPPORTS|CRITICIZES|COMPLAINS_TO|PETITIONS|REPRESENTS|APOLOGIZES_TO|ORDERS|SUCCEEDS|ISSUES|IMPLEMENTS|ENFORCES|SIGNS|AGREES_TO|REFUSES|ADVOCATES_FOR|PARTY_TO|HEARD_IN|CHALLENGES|RULED_ON|AMENDS|AFFECTS|MEASURES|PARTICIPATES_IN|CONCERNS|CAUSES]-() ON EACH [r.startDate, r.endDate] OPTIONS {indexConfig: {`fulltext.analyzer`: 'keyword'}};

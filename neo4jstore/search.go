package neo4jstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"golang.org/x/text/unicode/norm"

	"github.com/policygraph/policygraph/kg"
)

// Search folds text itself, in Go, the same way when it stores a node and when it reads a
// query: lower case, accents removed, split into words of letters and digits. The full-text
// indexes (migration 004) use the `whitespace` analyzer over that folded text, so Lucene sees
// exactly our words: no stop list of its own, no stemming. Stop words (English and Spanish) are
// dropped from the query only: the index keeps them, so exact matches of whole names still see
// them, and a word is either required or ignored, never half of each.
//
// Stored by every write (nodeProps, relProps in importer.go; backfilled by Migrate):
//   searchNames  folded name, aliases and names values, in that order, joined by " | "
//   searchDesc   folded description
//   quoteText    folded citation quotes, in citation order, joined by " | "
// Folded text holds no "|", so splitting on " | " gives one entry per name or quote back.

const searchSep = " | "

// specialFolds are letters that Unicode decomposition does not split into a base and a mark.
var specialFolds = strings.NewReplacer("ß", "ss", "æ", "ae", "œ", "oe", "ø", "o", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "ı", "i")

// fold lower-cases s and removes accents: "Quédate en México" -> "quedate en mexico".
func fold(s string) string {
	if isASCII(s) { // no accent to remove (most text: a fast path for bulk loads)
		return strings.ToLower(s)
	}
	s = specialFolds.Replace(strings.ToLower(s))
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// notWordRune splits words: a word is a run of letters and digits (Unicode L and N).
func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }

// foldWords are the words of s, folded (nil when there is none).
func foldWords(s string) []string {
	if w := strings.FieldsFunc(fold(s), notWordRune); len(w) > 0 {
		return w
	}
	return nil
}

// searchKey is the folded form of a whole name or quote: its words joined by single spaces
// ("U.S." -> "u s"). Two texts with the same key match exactly.
func searchKey(s string) string {
	f := fold(s)
	var b strings.Builder
	b.Grow(len(f))
	inWord := false
	for _, r := range f {
		if notWordRune(r) {
			inWord = false
			continue
		}
		if !inWord && b.Len() > 0 {
			b.WriteByte(' ')
		}
		inWord = true
		b.WriteRune(r)
	}
	return b.String()
}

func joinKeys(texts []string) string {
	keys := make([]string, len(texts))
	for i, t := range texts {
		keys[i] = searchKey(t)
	}
	return strings.Join(keys, searchSep)
}

// addSearchText stores the folded texts the search indexes read (called by nodeProps).
func addSearchText(p map[string]any, n kg.Node) {
	names := append([]string{n.Name}, n.Aliases...)
	for _, nm := range n.Names {
		names = append(names, nm.Value)
	}
	p["searchNames"], p["searchDesc"] = joinKeys(names), searchKey(n.Description)
	addQuoteText(p, n.Citations)
}

// addQuoteText stores the folded quotes the citation indexes read (nodeProps, relProps).
func addQuoteText(p map[string]any, cs []kg.Citation) {
	quotes := make([]string, len(cs))
	for i, c := range cs {
		quotes[i] = c.Quote
	}
	p["quoteText"] = joinKeys(quotes)
}

// stopWords are ignored in queries: the most common English (Lucene's list) and Spanish
// function words. Both languages at once: a query does not say which language it is in.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		a an and are as at be but by for if in into is it no not of on or such that the their then
		there these they this to was will with
		al con de del e el en la las lo los o para por que se su sus un una unas unos y`) {
		m[w] = true
	}
	return m
}()

// maxQueryWords bounds the Lucene query a user can build.
const maxQueryWords = 16

// parsedQuery is a user query, folded: key is the whole text (for exact matches), words the
// words every match must contain (stop words left out), lucene the safe index query.
type parsedQuery struct {
	key    string
	words  []string
	lucene string
}

// parseQuery folds user text into a safe Lucene query: words only (every operator and special
// character is dropped), each matched exactly or as a prefix, all required. The query is
// empty when no word is left (only stop words or punctuation): nothing matches it.
func parseQuery(text string) parsedQuery {
	all := foldWords(text)
	q := parsedQuery{key: strings.Join(all, " "), words: []string{}}
	var terms []string
	for _, w := range all {
		if stopWords[w] || len(q.words) == maxQueryWords {
			continue
		}
		q.words = append(q.words, w)
		terms = append(terms, fmt.Sprintf("(%s OR %s*)", w, w))
	}
	q.lucene = strings.Join(terms, " AND ")
	return q
}

// searchCypher ranks nodes by tier, then by full-text relevance, and pages by (rank, id).
// Tier 3: the query is the display name (folded, whole); 2: it is another name or alias;
// 1: every query word starts a word of the names; 0: the words match elsewhere (description).
// rank = tier + score/(score+1): the Lucene score only orders hits within a tier.
var searchCypher = &byOmit{build: func(o kg.Omit) string {
	return `
CALL db.index.fulltext.queryNodes('node_search', $q) YIELD node AS n, score
WHERE size($types) = 0 OR n.type IN $types
WITH n, score, split(n.searchNames, ' | ') AS keys
WITH n, score + 0.0 AS score, CASE
    WHEN keys[0] = $key THEN 3
    WHEN $key IN keys THEN 2
    WHEN all(w IN $words WHERE (' ' + n.searchNames) CONTAINS (' ' + w)) THEN 1
    ELSE 0 END AS tier
WITH n, tier + score / (score + 1.0) AS rank
WHERE $afterId IS NULL OR rank < $afterRank OR (rank = $afterRank AND n.id > $afterId)
WITH n, rank ORDER BY rank DESC, n.id ASC LIMIT $limit
RETURN ` + nodeMapOmit("n", o) + ` AS node, rank
ORDER BY rank DESC, node.id ASC`
}}

// searchOrder is the cursor order of search results: its key is the rank.
const searchOrder = "RANK"

// Search finds nodes whose names (name, aliases, names values) or description contain every
// word of q.Text that is not a stop word, whole or as a prefix, case- and accent-insensitive.
// Exact matches of a whole name come first. Returns *kg.InvalidError for bad arguments.
func (s *Store) Search(ctx context.Context, q kg.SearchQuery) (*kg.NodePage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	afterRank, afterID, err := decodeRankCursor(q.After)
	if err != nil {
		return nil, err
	}
	pq := parseQuery(q.Text)
	if pq.lucene == "" {
		return &kg.NodePage{Total: -1}, nil
	}
	params := map[string]any{"q": pq.lucene, "key": pq.key, "words": pq.words, "types": nonNil(q.Types),
		"afterId": afterID, "afterRank": afterRank, "limit": q.First + 1}
	res, err := s.read(ctx, searchCypher.get(q.Omit), params)
	if err != nil {
		return nil, err
	}
	page := &kg.NodePage{Total: -1}
	for i, rec := range res.Records {
		if i == q.First {
			page.HasNext = true
			break
		}
		n := toNode(rec.Values[0])
		rank, _ := rec.Values[1].(float64)
		page.Nodes = append(page.Nodes, n)
		page.Scores = append(page.Scores, rank)
		page.Cursors = append(page.Cursors, kg.Cursor{Order: searchOrder, Key: strconv.FormatFloat(rank, 'g', -1, 64), ID: n.ID}.Encode())
	}
	return page, nil
}

// decodeRankCursor reads a search cursor: the rank (as exact decimal text) and the id of the
// last hit seen. Nil values when after is empty.
func decodeRankCursor(after string) (rank, id any, err error) {
	if after == "" {
		return nil, nil, nil
	}
	c, err := kg.DecodeCursor("after", after, searchOrder)
	if err != nil {
		return nil, nil, err
	}
	k, _ := c.Key.(string)
	f, perr := strconv.ParseFloat(k, 64)
	if perr != nil {
		return nil, nil, kg.Invalid("after", "is not a cursor returned by this API")
	}
	return f, c.ID, nil
}

// searchCitationsCypher finds cited sentences: the index finds nodes and relationships whose
// quotes hold the words, then each quote is checked on its own. Tier 1: the quote holds the
// query as a phrase (all its words, stop words too, in order); 0: it holds every word.
// Hits are paged by (rank, key, index) where key names the node or relationship.
var searchCitationsCypher = `
CALL () {
  CALL db.index.fulltext.queryNodes('node_quotes', $q) YIELD node, score
  RETURN node AS n, null AS r, score, 'n ' + node.id AS key
  UNION ALL
  CALL db.index.fulltext.queryRelationships('rel_quotes', $q) YIELD relationship, score
  RETURN null AS n, relationship AS r, score, 'r ' + type(relationship) + ' ' + relationship.id AS key
}
WITH n, r, score + 0.0 AS score, key, split(coalesce(n.quoteText, r.quoteText), ' | ') AS quotes
UNWIND range(0, size(quotes) - 1) AS i
WITH n, r, score, key, i, ' ' + quotes[i] + ' ' AS quote
WHERE all(w IN $words WHERE quote CONTAINS (' ' + w))
WITH n, r, key, i, CASE WHEN quote CONTAINS $phrase THEN 1 ELSE 0 END + score / (score + 1.0) AS rank
WHERE $afterKey IS NULL OR rank < $afterRank OR (rank = $afterRank AND (key > $afterKey OR (key = $afterKey AND i > $afterIndex)))
WITH n, r, key, i, rank ORDER BY rank DESC, key ASC, i ASC LIMIT $limit
WITH n, r, key, i, rank, coalesce(n, r) AS x, startNode(r) AS a, endNode(r) AS b
RETURN rank, key, i, x.citationQuotes[i] AS quote, x.citationLocators[i] AS locator,
  head(COLLECT { MATCH (src:Node {id: x.citationSources[i]}) RETURN src ` + sourceProps + ` }) AS source,
  CASE WHEN n IS NULL THEN null ELSE ` + nodeMap("n") + ` END AS node,
  CASE WHEN r IS NULL THEN null ELSE ` + relMap("r") + ` END AS rel,
  CASE WHEN r IS NULL THEN null ELSE ` + nodeMap("a") + ` END AS fromNode,
  CASE WHEN r IS NULL THEN null ELSE ` + nodeMap("b") + ` END AS toNode
ORDER BY rank DESC, key ASC, i ASC`

// SearchCitations finds cited sentences holding every word of q.Text that is not a stop word
// (whole or as a prefix, case- and accent-insensitive), those holding the query as a phrase
// first. q.Types is ignored. Returns *kg.InvalidError for bad arguments.
func (s *Store) SearchCitations(ctx context.Context, q kg.SearchQuery) (*kg.CitationPage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	params := map[string]any{"afterKey": nil, "afterRank": nil, "afterIndex": nil}
	if q.After != "" {
		c, err := kg.DecodeCursor("after", q.After, citationOrder)
		if err != nil {
			return nil, err
		}
		k, _ := c.Key.(string)
		rankText, indexText, _ := strings.Cut(k, " ")
		rank, err1 := strconv.ParseFloat(rankText, 64)
		index, err2 := strconv.ParseInt(indexText, 10, 64)
		if err1 != nil || err2 != nil {
			return nil, kg.Invalid("after", "is not a cursor returned by this API")
		}
		params["afterKey"], params["afterRank"], params["afterIndex"] = c.ID, rank, index
	}
	pq := parseQuery(q.Text)
	if pq.lucene == "" {
		return &kg.CitationPage{}, nil
	}
	params["q"], params["words"], params["phrase"], params["limit"] = pq.lucene, pq.words, " "+pq.key+" ", q.First+1
	res, err := s.read(ctx, searchCitationsCypher, params)
	if err != nil {
		return nil, err
	}
	page := &kg.CitationPage{}
	for i, rec := range res.Records {
		if i == q.First {
			page.HasNext = true
			break
		}
		m := rec.AsMap()
		rank, _ := m["rank"].(float64)
		key, _ := m["key"].(string)
		index, _ := m["i"].(int64)
		src := toNode(m["source"])
		h := kg.CitationHit{Score: rank,
			Cursor:   kg.Cursor{Order: citationOrder, Key: strconv.FormatFloat(rank, 'g', -1, 64) + " " + strconv.FormatInt(index, 10), ID: key}.Encode(),
			Citation: kg.Citation{Quote: str(m, "quote"), Locator: str(m, "locator"), Source: src}}
		if src != nil {
			h.Citation.SourceID = src.ID
		}
		if m["rel"] != nil {
			h.Relationship = toRel(m["rel"])
			h.Relationship.FromNode, h.Relationship.ToNode = toNode(m["fromNode"]), toNode(m["toNode"])
		} else {
			h.Node = toNode(m["node"])
		}
		page.Hits = append(page.Hits, h)
	}
	return page, nil
}

// citationOrder is the cursor order of citation search results: key "rank index", id the key
// of the node or relationship.
const citationOrder = "CITATION_RANK"

// searchStatements are the schema statements of search that follow from kg.RelTypes: one
// full-text index over the folded quotes of relationships of every type. (A relationship
// full-text index names its types; when kg.RelTypes grows, a migration must drop rel_quotes
// so that this statement recreates it with the new types.)
func searchStatements() []string {
	return []string{fmt.Sprintf("CREATE FULLTEXT INDEX rel_quotes IF NOT EXISTS FOR ()-[r:%s]-() ON EACH [r.quoteText] "+
		"OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}", strings.Join(kg.RelTypes, "|"))}
}

// backfillSearchText stores the folded search texts on nodes and relationships written before
// migration 004, in batches. Folding is done in Go (Cypher cannot remove accents), so rows
// travel to the server and back once.
func (s *Store) backfillSearchText(ctx context.Context) error {
	const batch = 2000
	for {
		res, err := s.read(ctx, `
MATCH (n:Node) WHERE n.searchNames IS NULL
RETURN n.id AS id, n.name AS name, n.aliases AS aliases, n.nameValues AS names, n.description AS description,
  n.citationQuotes AS quotes LIMIT $limit`, map[string]any{"limit": batch})
		if err != nil {
			return fmt.Errorf("backfill search text: %w", err)
		}
		if len(res.Records) == 0 {
			break
		}
		rows := make([]map[string]any, 0, len(res.Records))
		for _, rec := range res.Records {
			m := rec.AsMap()
			n := kg.Node{Name: str(m, "name"), Aliases: strs(m, "aliases"), Description: str(m, "description")}
			for _, v := range strs(m, "names") {
				n.Names = append(n.Names, kg.Name{Value: v})
			}
			for _, q := range strs(m, "quotes") {
				n.Citations = append(n.Citations, kg.Citation{Quote: q})
			}
			p := map[string]any{}
			addSearchText(p, n)
			rows = append(rows, map[string]any{"id": str(m, "id"), "props": p})
		}
		if err := s.writeRows(ctx, `UNWIND $rows AS row MATCH (n:Node {id: row.id}) SET n += row.props`, rows); err != nil {
			return fmt.Errorf("backfill search text: %w", err)
		}
	}
	for {
		res, err := s.read(ctx, `
MATCH ()-[r]->() WHERE r.quoteText IS NULL
RETURN elementId(r) AS eid, r.citationQuotes AS quotes LIMIT $limit`, map[string]any{"limit": batch})
		if err != nil {
			return fmt.Errorf("backfill quote text: %w", err)
		}
		if len(res.Records) == 0 {
			return nil
		}
		rows := make([]map[string]any, 0, len(res.Records))
		for _, rec := range res.Records {
			m := rec.AsMap()
			var cs []kg.Citation
			for _, q := range strs(m, "quotes") {
				cs = append(cs, kg.Citation{Quote: q})
			}
			p := map[string]any{}
			addQuoteText(p, cs)
			rows = append(rows, map[string]any{"eid": str(m, "eid"), "t": p["quoteText"]})
		}
		if err := s.writeRows(ctx, `UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row.eid SET r.quoteText = row.t`, rows); err != nil {
			return fmt.Errorf("backfill quote text: %w", err)
		}
	}
}

func (s *Store) writeRows(ctx context.Context, cypher string, rows []map[string]any) error {
	_, err := s.write(ctx, s.timeout, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, cypher, map[string]any{"rows": rows})
		if err != nil {
			return nil, err
		}
		_, err = res.Consume(ctx)
		return nil, err
	})
	return err
}

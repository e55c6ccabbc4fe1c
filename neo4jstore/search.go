package neo4jstore

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/policygraph/policygraph/kg"
)

// searchCypher ranks nodes by full-text relevance (case- and accent-insensitive analyzer) and
// pages by (score, id).
var searchCypher = &byOmit{build: func(o kg.Omit) string {
	return `
CALL db.index.fulltext.queryNodes('node_text', $q) YIELD node AS n, score
WHERE (size($types) = 0 OR n.type IN $types)
  AND ($afterId IS NULL OR score < $afterScore OR (score = $afterScore AND n.id > $afterId))
WITH n, score ORDER BY score DESC, n.id ASC LIMIT $limit
RETURN ` + nodeMapOmit("n", o) + ` AS node, score
ORDER BY score DESC, node.id ASC`
}}

// Search finds nodes whose name, aliases or description match the words of q.Text.
func (s *Store) Search(ctx context.Context, q kg.SearchQuery) (*kg.NodePage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	lucene := luceneQuery(q.Text)
	if lucene == "" {
		return &kg.NodePage{Total: -1}, nil
	}
	params := map[string]any{"q": lucene, "types": nonNil(q.Types), "afterId": nil, "afterScore": nil, "limit": q.First + 1}
	if q.After != "" {
		c, err := kg.DecodeCursor("after", q.After, "SCORE")
		if err != nil {
			return nil, err
		}
		f, ok := c.Key.(float64)
		if !ok {
			if i, isInt := c.Key.(int64); isInt {
				f, ok = float64(i), true
			}
		}
		if !ok {
			return nil, kg.Invalid("after", "is not a cursor returned by this API")
		}
		params["afterId"], params["afterScore"] = c.ID, f
	}
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
		score, _ := rec.Values[1].(float64)
		page.Nodes = append(page.Nodes, n)
		page.Scores = append(page.Scores, score)
		page.Cursors = append(page.Cursors, kg.Cursor{Order: "SCORE", Key: score, ID: n.ID}.Encode())
	}
	return page, nil
}

var wordRE = regexp.MustCompile(`[\p{L}\p{N}]+`)

// luceneQuery turns user text into a safe Lucene query: words only (every operator and
// special character is dropped), each word matched exactly or as a prefix, all words required.
func luceneQuery(text string) string {
	var terms []string
	for _, w := range wordRE.FindAllString(strings.ToLower(text), 16) {
		terms = append(terms, fmt.Sprintf("(%s OR %s*)", w, w))
	}
	return strings.Join(terms, " AND ")
}


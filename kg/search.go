package kg

// CitationHit is one cited sentence found by a citation search, with what it supports:
// exactly one of Node and Relationship is set.
type CitationHit struct {
	Score        float64
	Cursor       string
	Citation     Citation // Source is filled
	Node         *Node
	Relationship *Relationship // FromNode and ToNode are filled
}

// CitationPage is one page of a citation search, best first.
type CitationPage struct {
	Hits    []CitationHit
	HasNext bool
}

package graph

import (
	"regexp"
	"strings"

	"github.com/policygraph/policygraph/graph/model"
	"github.com/policygraph/policygraph/kg"
)

// Conversion from kg values to GraphQL models. Pure functions; no I/O.

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func citations(cs []kg.Citation) []*model.Citation {
	out := make([]*model.Citation, 0, len(cs))
	for _, c := range cs {
		src, _ := toModel(c.Source).(*model.Source)
		if src == nil {
			src = &model.Source{ID: c.SourceID, Name: c.SourceID, Aliases: []string{}, Names: []*model.Name{}, Citations: []*model.Citation{}}
		}
		out = append(out, &model.Citation{Quote: c.Quote, Locator: ptr(c.Locator), Source: src})
	}
	return out
}

func aliases(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

// toModel converts a node to the GraphQL type of its kind; nil stays nil.
func toModel(n *kg.Node) model.Node {
	if n == nil {
		return nil
	}
	id, name, al, desc, deg, cits := n.ID, n.Name, aliases(n.Aliases), ptr(n.Description), n.Degree, citations(n.Citations)
	nm, inf, why := names(n.Names), n.Inferred, ptr(n.InferredReason)
	switch n.Type {
	case kg.TypePerson:
		return &model.Person{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits, Names: nm, Inferred: inf, InferredReason: why, Version: n.Version, Country: ptr(n.Country)}
	case kg.TypeOrganization:
		return &model.Organization{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits, Names: nm, Inferred: inf, InferredReason: why, Version: n.Version,
			Kind: model.OrganizationKind(n.Kind), Country: ptr(n.Country)}
	case kg.TypeCountry:
		return &model.Country{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits, Names: nm, Inferred: inf, InferredReason: why, Version: n.Version, Code: n.Country}
	case kg.TypePolicy:
		p := &model.Policy{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits, Names: nm, Inferred: inf, InferredReason: why, Version: n.Version,
			Kind: model.PolicyKind(n.Kind), Country: ptr(n.Country), StartDate: ptr(n.StartDate), EndDate: ptr(n.EndDate)}
		if n.Status != "" {
			s := model.PolicyStatus(n.Status)
			p.Status = &s
		}
		return p
	case kg.TypeLegalCase:
		c := &model.LegalCase{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits, Names: nm, Inferred: inf, InferredReason: why, Version: n.Version,
			Docket: ptr(n.Docket), StartDate: ptr(n.StartDate), EndDate: ptr(n.EndDate)}
		if n.Status != "" {
			s := model.CaseStatus(n.Status)
			c.Status = &s
		}
		return c
	case kg.TypeEvent:
		return &model.Event{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits, Names: nm, Inferred: inf, InferredReason: why, Version: n.Version,
			Kind: model.EventKind(n.Kind), Country: ptr(n.Country), StartDate: ptr(n.StartDate), EndDate: ptr(n.EndDate)}
	case kg.TypeStatistic:
		s := &model.Statistic{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits, Names: nm, Inferred: inf, InferredReason: why, Version: n.Version,
			Unit: model.Unit(n.Unit), Measure: n.Measure, Qualifier: model.Qualifier(n.Qualifier), Country: ptr(n.Country),
			StartDate: ptr(n.StartDate), EndDate: ptr(n.EndDate)}
		if n.Value != nil {
			s.Value = *n.Value
		}
		if s.Qualifier == "" {
			s.Qualifier = model.QualifierExact
		}
		return s
	case kg.TypeSource:
		return &model.Source{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits, Names: nm, Inferred: inf, InferredReason: why, Version: n.Version,
			Kind: model.SourceKind(n.Kind), Publisher: ptr(n.Publisher), URL: ptr(n.URL), PublishedDate: ptr(n.StartDate)}
	}
	return nil
}

// relationship converts a relationship; self is the node the list belongs to (one end of
// every relationship in it), used for the end the store did not load again.
func relationship(r *kg.Relationship, self model.Node) *model.Relationship {
	m := &model.Relationship{ID: r.ID, Type: model.RelationshipType(r.Type), Role: ptr(r.Role),
		Description: ptr(r.Description), StartDate: ptr(r.StartDate), EndDate: ptr(r.EndDate),
		StartDay: ptr(r.StartDay), EndDay: ptr(r.EndDay), Citations: citations(r.Citations),
		Inferred: r.Inferred, InferredReason: ptr(r.InferredReason), Version: r.Version}
	if r.Outcome != "" {
		o := model.RulingOutcome(r.Outcome)
		m.Outcome = &o
	}
	m.From, m.To = toModel(r.FromNode), toModel(r.ToNode)
	if m.From == nil {
		m.From = self
	}
	if m.To == nil {
		m.To = self
	}
	return m
}

func pageInfo(cursors []string, hasNext bool) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: hasNext}
	if len(cursors) > 0 {
		pi.EndCursor = &cursors[len(cursors)-1]
	}
	return pi
}

// relConnection builds a relationship page as seen from self (nil for a source's supports).
func relConnection(p *kg.RelPage, self model.Node, selfID string) *model.RelationshipConnection {
	c := &model.RelationshipConnection{Edges: []*model.RelationshipEdge{}, PageInfo: &model.PageInfo{}}
	if p == nil {
		return c
	}
	c.PageInfo = pageInfo(p.Cursors, p.HasNext)
	for i, r := range p.Relationships {
		rel := relationship(r, self)
		e := &model.RelationshipEdge{Cursor: p.Cursors[i], Node: rel, Other: rel.To, Direction: model.DirectionOut}
		if r.To == selfID && r.From != selfID {
			e.Other, e.Direction = rel.From, model.DirectionIn
		}
		c.Edges = append(c.Edges, e)
	}
	return c
}

// names converts a node's names; kg's lower-case kinds become the NameKind enum.
func names(ns []kg.Name) []*model.Name {
	out := make([]*model.Name, 0, len(ns))
	for _, n := range ns {
		out = append(out, &model.Name{Value: n.Value, Lang: ptr(n.Lang), Kind: model.NameKind(strings.ToUpper(n.Kind)),
			Inferred: n.Inferred, InferredReason: ptr(n.InferredReason)})
	}
	return out
}

// langTag is the shape of a BCP 47 tag: a primary language subtag, then subtags.
var langTag = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

// nameKindOrder is the preference among a language's names: official first, acronym last.
var nameKindOrder = map[model.NameKind]int{model.NameKindOfficial: 0, model.NameKindCommon: 1, model.NameKindTranslation: 2, model.NameKindAcronym: 3}

// nameIn is `name(lang:)`: the best name in lang among ns (a tag matches when it is the same,
// ignoring case, or shares the primary subtag: `es` and `es-MX`), preferring by kind, then an
// exact tag, then the order of ns; display when lang is nil or no name is in that language.
func nameIn(display string, ns []*model.Name, lang *string) (string, error) {
	if lang == nil {
		return display, nil
	}
	if !langTag.MatchString(*lang) {
		return "", kg.Invalid("lang", "%q is not a language tag (BCP 47, e.g. `es`, `en-US`)", *lang)
	}
	want := strings.ToLower(*lang)
	primary, _, _ := strings.Cut(want, "-")
	best, bestRank := display, -1
	for _, n := range ns {
		if n.Lang == nil {
			continue
		}
		have := strings.ToLower(*n.Lang)
		havePrimary, _, _ := strings.Cut(have, "-")
		if havePrimary != primary {
			continue
		}
		rank := nameKindOrder[n.Kind] * 2
		if have != want {
			rank++
		}
		if bestRank < 0 || rank < bestRank {
			best, bestRank = n.Value, rank
		}
	}
	return best, nil
}

// citationSearchConnection converts a page of citation search hits.
func citationSearchConnection(p *kg.CitationPage) *model.CitationSearchConnection {
	c := &model.CitationSearchConnection{Edges: []*model.CitationSearchEdge{}, PageInfo: &model.PageInfo{HasNextPage: p.HasNext}}
	for i, h := range p.Hits {
		cit := citations([]kg.Citation{h.Citation})[0]
		e := &model.CitationSearchEdge{Cursor: h.Cursor, Score: h.Score, Quote: cit.Quote, Locator: cit.Locator, Source: cit.Source}
		if h.Relationship != nil {
			e.Relationship = relationship(h.Relationship, nil)
		} else {
			e.Node = toModel(h.Node)
		}
		c.Edges = append(c.Edges, e)
		if i == len(p.Hits)-1 {
			c.PageInfo.EndCursor = &e.Cursor
		}
	}
	return c
}

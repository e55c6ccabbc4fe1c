package graph

import (
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
			src = &model.Source{ID: c.SourceID, Name: c.SourceID, Aliases: []string{}, Citations: []*model.Citation{}}
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
	switch n.Type {
	case kg.TypePerson:
		return &model.Person{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits, Country: ptr(n.Country)}
	case kg.TypeOrganization:
		return &model.Organization{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits,
			Kind: model.OrganizationKind(n.Kind), Country: ptr(n.Country)}
	case kg.TypeCountry:
		return &model.Country{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits, Code: n.Country}
	case kg.TypePolicy:
		p := &model.Policy{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits,
			Kind: model.PolicyKind(n.Kind), Country: ptr(n.Country), StartDate: ptr(n.StartDate), EndDate: ptr(n.EndDate)}
		if n.Status != "" {
			s := model.PolicyStatus(n.Status)
			p.Status = &s
		}
		return p
	case kg.TypeLegalCase:
		c := &model.LegalCase{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits,
			Docket: ptr(n.Docket), StartDate: ptr(n.StartDate), EndDate: ptr(n.EndDate)}
		if n.Status != "" {
			s := model.CaseStatus(n.Status)
			c.Status = &s
		}
		return c
	case kg.TypeEvent:
		return &model.Event{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits,
			Kind: model.EventKind(n.Kind), Country: ptr(n.Country), StartDate: ptr(n.StartDate), EndDate: ptr(n.EndDate)}
	case kg.TypeStatistic:
		s := &model.Statistic{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits,
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
		return &model.Source{ID: id, Name: name, Aliases: al, Description: desc, Degree: deg, Citations: cits,
			Kind: model.SourceKind(n.Kind), Publisher: ptr(n.Publisher), URL: ptr(n.URL), PublishedDate: ptr(n.StartDate)}
	}
	return nil
}

// relationship converts a relationship; self is the node the list belongs to (one end of
// every relationship in it), used for the end the store did not load again.
func relationship(r *kg.Relationship, self model.Node) *model.Relationship {
	m := &model.Relationship{ID: r.ID, Type: model.RelationshipType(r.Type), Role: ptr(r.Role),
		Description: ptr(r.Description), StartDate: ptr(r.StartDate), EndDate: ptr(r.EndDate),
		StartDay: ptr(r.StartDay), EndDay: ptr(r.EndDay), Citations: citations(r.Citations)}
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

package synth

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/policygraph/policygraph/kg"
)

// Word lists for names and descriptions. Accents on purpose: search is accent-insensitive.
var (
	firstNames = []string{"María", "José", "Ana", "Luis", "Carmen", "Jorge", "Lucía", "Carlos", "Sofía", "Miguel",
		"Elena", "Andrés", "Isabel", "Juan", "Gabriela", "Pedro", "Laura", "Diego", "Marta", "Ricardo",
		"John", "Mary", "Robert", "Patricia", "Michael", "Linda", "David", "Susan", "James", "Karen",
		"Olga", "Hans", "Fatima", "Kenji", "Amara", "Pierre", "Giulia", "Tomasz", "Nikos", "Aylin"}
	lastNames = []string{"García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Pérez", "Sánchez",
		"Ramírez", "Flores", "Morales", "Ortiz", "Castillo", "Jiménez", "Vargas", "Mendoza", "Rojas", "Navarro",
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
		"Müller", "Schmidt", "Dubois", "Rossi", "Kowalski", "Papadopoulos", "Yılmaz", "Tanaka", "Okafor", "Singh",
		"Nguyen", "Silva"}
	topics = []string{"Migration", "Asylum", "Border", "Refugee", "Human Rights", "Labor", "Trade", "Security",
		"Justice", "Health", "Education", "Housing", "Customs", "Immigration", "Citizenship", "Public Safety",
		"Development", "Humanitarian", "Civil Liberties", "Transparency"}
	orgWords = map[string][]string{
		"NGO":                        {"Alliance", "Foundation", "Coalition", "Center", "Initiative", "Project"},
		"COMPANY":                    {"Group", "Holdings", "Logistics", "Consulting", "Services", "Partners"},
		"AGENCY":                     {"Agency", "Institute", "Commission", "Office", "Service", "Directorate"},
		"MEDIA":                      {"Times", "Herald", "Radio", "News", "Journal", "Observer"},
		"POLICE":                     {"Police", "Guard", "Patrol", "Gendarmerie"},
		"MILITARY":                   {"Army", "Navy", "Defense Command", "Brigade"},
		"COURT":                      {"District Court", "Court of Appeals", "Tribunal", "Circuit Court"},
		"PARTY":                      {"Party", "Movement", "Front", "Union"},
		"NETWORK":                    {"Network", "Forum", "Platform"},
		"RELIGIOUS":                  {"Diocese", "Mission", "Ministries", "Congregation"},
		"CRIMINAL":                   {"Cartel", "Gang", "Syndicate"},
		"LEGISLATURE":                {"State Assembly", "Senate Committee", "Council"},
		"GOVERNMENT":                 {"State Government", "Municipal Government", "Provincial Government"},
		"INTERNATIONAL_ORGANIZATION": {"Regional Organization", "Secretariat", "Mission"},
		"OTHER":                      {"Association", "Board", "Committee"},
	}
	adjectives = []string{"National", "Federal", "Regional", "Central", "Northern", "Southern", "United", "Independent",
		"Pacific", "Atlantic", "Metropolitan", "Civic", "Popular", "Democratic", "Global", "Interamerican"}
	policyWords = map[string][]string{
		"REGULATION":            {"Regulation", "Rule", "Interim Final Rule"},
		"AGREEMENT":             {"Agreement", "Accord", "Memorandum of Understanding", "Joint Declaration"},
		"PROGRAM":               {"Program", "Plan", "Initiative"},
		"ENFORCEMENT_OPERATION": {"Operation", "Deployment", "Crackdown"},
		"LAW":                   {"Act", "Law", "Reform"},
		"EXECUTIVE_ACTION":      {"Executive Order", "Decree", "Proclamation"},
		"STANCE":                {"Position", "Stance", "Doctrine"},
		"OTHER":                 {"Measure", "Guidance", "Protocol"},
	}
	eventWords = wordTable{
		"THREAT": "Tariff threat|Sanctions threat|Ultimatum", "NEGOTIATION": "Talks|Negotiation round|Summit",
		"SIGNING": "Signing|Signing ceremony", "STATEMENT": "Statement|Press conference|Declaration",
		"RULING": "Ruling|Decision|Order", "HEARING": "Hearing|Oral argument", "FILING": "Filing|Complaint filed",
		"PROTEST": "Protest|March|Sit-in", "COMPLAINT": "Complaint|Petition", "DEPLOYMENT": "Deployment|Troop surge",
		"APPOINTMENT": "Appointment|Nomination", "RESIGNATION": "Resignation", "APOLOGY": "Apology",
		"OTHER": "Incident|Meeting",
	}.split()
	positions = []string{"Minister", "Deputy Minister", "Director", "Secretary", "Spokesperson", "President",
		"Commissioner", "Ambassador", "Judge", "Chair", "Legal Director", "Coordinator"}
	verbs = map[string]string{
		"MEMBER_OF": "is a member of", "HOLDS_POSITION": "holds a position in", "PART_OF": "is part of",
		"BASED_IN": "is based in", "PRESSURES": "pressured", "NEGOTIATES_WITH": "negotiated with",
		"ALLIES_WITH": "worked with", "OPPOSES": "opposed", "SUPPORTS": "supported", "CRITICIZES": "criticized",
		"COMPLAINS_TO": "complained to", "PETITIONS": "petitioned", "REPRESENTS": "represented",
		"APOLOGIZES_TO": "apologized to", "ORDERS": "ordered", "SUCCEEDS": "succeeded", "ISSUES": "issued",
		"IMPLEMENTS": "implemented", "ENFORCES": "enforced", "SIGNS": "signed", "AGREES_TO": "agreed to",
		"REFUSES": "refused", "ADVOCATES_FOR": "advocated for", "PARTY_TO": "is a party to", "HEARD_IN": "was heard in",
		"CHALLENGES": "challenged", "RULED_ON": "ruled on", "AMENDS": "amended", "AFFECTS": "affected",
		"MEASURES": "measures", "PARTICIPATES_IN": "took part in", "CONCERNS": "concerned", "CAUSES": "led to",
	}
	measures = []string{"arrests of unauthorized migrants", "asylum applications", "deportations", "troops deployed",
		"funding committed", "people waiting at the border", "cases pending", "approval rate of claims",
		"detentions", "returns under the program"}
	statUnits  = []string{"PEOPLE", "PEOPLE", "PERSONNEL", "CASES", "USD", "PERCENT", "OTHER"}
	publishers = []string{"Just Security", "Reuters", "Associated Press", "El País", "The Guardian", "Human Rights Watch",
		"Amnesty International", "Migration Policy Institute", "Animal Político", "Prensa Libre", "Congressional Research Service",
		"UNHCR", "Le Monde", "BBC", "Al Jazeera"}
)

type wordTable map[string]string

func (w wordTable) split() map[string][]string {
	out := map[string][]string{}
	for k, v := range w {
		out[k] = strings.Split(v, "|")
	}
	return out
}

func (p *Plan) pickWord(i int, salt uint64, l []string) string { return l[p.intn(i, salt, len(l))] }

// countryOf is the country (index into countries) a node belongs to, Zipf by rank.
func (p *Plan) countryOf(i int) int {
	switch {
	case i < p.nCountry:
		return i
	case i >= p.firstHub && i < p.firstTail:
		return p.hubs[i-p.firstHub].country
	}
	return p.countryZipf().pick(p.unit(i, saltCountry))
}

func (p *Plan) countryZipf() zipfTable { return p.czipf }

// Name is the display name of the node at index i.
func (p *Plan) Name(i int) string {
	t := p.Type(i)
	c := p.countryOf(i)
	cname := ""
	if c >= 0 {
		cname = countries[c][1]
	}
	switch {
	case i < p.nCountry:
		return cname
	case i >= p.firstHub && i < p.firstTail:
		return p.hubs[i-p.firstHub].name
	case i == p.marker:
		return fmt.Sprintf("Synthetic graph marker (%d nodes, seed %d)", p.cfg.Nodes, p.cfg.Seed)
	}
	num := strconv.Itoa(i)
	switch t {
	case kg.TypePerson:
		return p.pickWord(i, saltName, firstNames) + " " + p.pickWord(i, saltName2, lastNames) + " " + p.pickWord(i, saltName3, lastNames)
	case kg.TypeOrganization:
		k := p.Kind(i)
		return p.pickWord(i, saltName, adjectives) + " " + p.pickWord(i, saltName2, topics) + " " + p.pickWord(i, saltName3, orgWords[k]) + " of " + cname
	case kg.TypePolicy:
		return p.pickWord(i, saltName2, topics) + " " + p.pickWord(i, saltName3, policyWords[p.Kind(i)]) + " " + num
	case kg.TypeLegalCase:
		return p.pickWord(i, saltName, lastNames) + " v. " + p.pickWord(i, saltName2, []string{"Secretary of", "Ministry of", "Department of", "Government of"}) + " " + p.pickWord(i, saltName3, topics)
	case kg.TypeEvent:
		return p.pickWord(i, saltName, eventWords[p.Kind(i)]) + " on " + strings.ToLower(p.pickWord(i, saltName2, topics)) + " in " + cname
	case kg.TypeStatistic:
		return strings.ToUpper(p.pickWord(i, saltName, measures)[:1]) + p.pickWord(i, saltName, measures)[1:] + " (" + cname + ")"
	case kg.TypeSource:
		return p.pickWord(i, saltName, topics) + " report " + num
	}
	return "Node " + num
}

// Node builds the node at index i (without its relationships).
func (p *Plan) Node(i int) kg.Node {
	t := p.Type(i)
	n := kg.Node{ID: p.ID(i), Type: t, Name: p.Name(i), Kind: p.Kind(i)}
	c := p.countryOf(i)
	if c >= 0 {
		n.Country = countries[c][0]
	}
	cname := ""
	if c >= 0 {
		cname = countries[c][1]
	}
	u := p.unit(i, saltMisc)
	switch t {
	case kg.TypeCountry:
		n.Description = "The country " + cname + " (synthetic)."
		if i < 5 {
			n.Aliases = []string{countries[i][0]}
		}
	case kg.TypeSource:
		n.Publisher = p.pickWord(i, saltName2, publishers)
		n.URL = "https://example.org/synthetic/" + strconv.Itoa(i)
		n.StartDate = p.partial(i, saltDate, dayOf(i, p, saltDate))
		n.Description = "Synthetic " + strings.ToLower(n.Kind) + " by " + n.Publisher + "."
		if i == p.marker {
			n.Kind, n.StartDate, n.URL = "DATASET", "", ""
			n.Description = "Marks a completely loaded synthetic graph; emitted last."
		}
	case kg.TypeOrganization:
		n.Description = fmt.Sprintf("A synthetic %s working on %s in %s.", strings.ToLower(strings.ReplaceAll(n.Kind, "_", " ")),
			strings.ToLower(p.pickWord(i, saltName2, topics)), cname)
		if u < 0.4 {
			n.Aliases = []string{acronym(n.Name)}
		}
	case kg.TypePerson:
		n.Description = fmt.Sprintf("A synthetic %s from %s.", strings.ToLower(p.pickWord(i, saltMisc2, positions)), cname)
		if u < 0.15 {
			f, _, _ := strings.Cut(n.Name, " ")
			n.Aliases = []string{f[:1] + ". " + n.Name[len(f)+1:]}
		}
	case kg.TypePolicy:
		n.Status = kg.Statuses[t][p.intn(i, saltMisc2, len(kg.Statuses[t]))]
		start, end := p.span(i, 0.35)
		n.StartDate, n.EndDate = start, end
		if n.Status == "ENDED" && n.EndDate == "" {
			n.EndDate = n.StartDate
		}
		n.Description = fmt.Sprintf("A synthetic %s on %s in %s.", strings.ToLower(strings.ReplaceAll(n.Kind, "_", " ")),
			strings.ToLower(p.pickWord(i, saltName2, topics)), cname)
	case kg.TypeLegalCase:
		n.Status = kg.Statuses[t][p.intn(i, saltMisc2, len(kg.Statuses[t]))]
		start, end := p.span(i, 0.5)
		n.StartDate = start
		if n.Status == "DECIDED" || n.Status == "ON_APPEAL" {
			n.EndDate = end
		}
		if u < 0.6 {
			n.Docket = fmt.Sprintf("%d-cv-%05d", 15+p.intn(i, saltDate2, 7), i%100000)
		}
		n.Description = "A synthetic lawsuit about " + strings.ToLower(p.pickWord(i, saltName3, topics)) + " policy."
	case kg.TypeEvent:
		d := dayOf(i, p, saltDate)
		n.StartDate = p.partial(i, saltDate2, d)
		if u < 0.1 {
			n.EndDate = fmtDay(d.AddDate(0, 0, 1+p.intn(i, saltMisc2, 5)))
		}
		n.Description = "A synthetic event in " + cname + "."
	case kg.TypeStatistic:
		start, end := p.span(i, 0.7)
		n.StartDate, n.EndDate = start, end
		v := math.Round(math.Exp(3 + p.unit(i, saltMisc2)*10)) // 20 .. 440000
		n.Unit = p.pickWord(i, saltName3, statUnits)
		if n.Unit == "PERCENT" {
			v = math.Round(p.unit(i, saltMisc2) * 100)
		}
		n.Value = &v
		n.Measure = p.pickWord(i, saltName, measures) + " in " + cname
		n.Qualifier = kg.Qualifiers[p.intn(i, saltDate, len(kg.Qualifiers))]
		n.Description = "A synthetic figure."
	}
	if t == kg.TypeStatistic || (t != kg.TypeSource && t != kg.TypeCountry && u > 0.8) {
		n.Citations = []kg.Citation{p.citation(uint64(i), n.Name)}
	}
	return n
}

func acronym(name string) string {
	var b strings.Builder
	for _, w := range strings.Fields(name) {
		if w == "of" || w == "the" {
			continue
		}
		r := []rune(w)[0]
		if r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Dates: days spread uniformly over 2015-01-01 .. 2021-12-31.
var (
	epoch   = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	lastDay = time.Date(2021, 12, 31, 0, 0, 0, 0, time.UTC)
	nDays   = int(lastDay.Sub(epoch).Hours()/24) + 1
)

func dayOf(i int, p *Plan, salt uint64) time.Time {
	return epoch.AddDate(0, 0, p.intn(i, salt, nDays))
}

func fmtDay(t time.Time) string { return t.Format(time.DateOnly) }

// precision formats a day as a partial date: year (25%), month (35%) or day (40%).
func precision(t time.Time, u float64) string {
	switch {
	case u < 0.25:
		return t.Format("2006")
	case u < 0.60:
		return t.Format("2006-01")
	}
	return t.Format(time.DateOnly)
}

func (p *Plan) partial(i int, salt uint64, t time.Time) string {
	return precision(t, p.unit(i, salt^0xabc))
}

// span gives a node a start and, with probability pEnd, a later end (each at its own precision;
// coarser precision only widens the range, so the end is never before the start).
func (p *Plan) span(i int, pEnd float64) (string, string) {
	d := dayOf(i, p, saltDate)
	start := p.partial(i, saltDate2, d)
	if p.unit(i, saltMisc2^7) >= pEnd {
		return start, ""
	}
	e := d.AddDate(0, 0, p.intn(i, saltMisc2^9, 700))
	if e.After(lastDay) {
		e = lastDay
	}
	return start, precision(e, p.unit(i, saltMisc2^11))
}

// citation cites a Source (Zipf: a few sources back most facts) with a verbatim-looking quote.
func (p *Plan) citation(k uint64, about string) kg.Citation {
	h := mix(p.cfg.Seed^0xc17e, k)
	src := p.sourceZipf().pick(float64(h>>11) / (1 << 53))
	c := kg.Citation{SourceID: p.ID(p.nCountry + src),
		Quote: fmt.Sprintf("According to officials, %s was reported on %s, a claim the source documents in detail.", about,
			[]string{"several occasions", "the record", "a filing", "the ground", "condition of anonymity"}[h%5])}
	if h>>60 == 0 {
		c.Locator = "Section " + strconv.Itoa(int(h>>56&7)+1)
	}
	return c
}

func (p *Plan) sourceZipf() zipfTable { return p.szipf }

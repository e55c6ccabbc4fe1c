package kg

import (
	"errors"
	"strings"
	"testing"
)

func TestDateRange(t *testing.T) {
	cases := []struct{ in, from, to string }{
		{"2019", "2019-01-01", "2019-12-31"},
		{"2020-02", "2020-02-01", "2020-02-29"},
		{"2019-06-07", "2019-06-07", "2019-06-07"},
	}
	for _, c := range cases {
		from, to, err := DateRange(c.in)
		if err != nil || from != c.from || to != c.to {
			t.Errorf("DateRange(%q) = %s, %s, %v; want %s, %s", c.in, from, to, err, c.from, c.to)
		}
	}
	for _, bad := range []string{"", "19", "2019-13", "2019-02-30", "2019/06", "June 2019", "2019-6"} {
		if _, _, err := DateRange(bad); err == nil {
			t.Errorf("DateRange(%q) accepted", bad)
		}
	}
}

func TestValidateNodes(t *testing.T) {
	cases := []struct{ node, want string }{
		{`{"id":"org:x","type":"Organization","name":"X"}`, `nodes[0] "org:x": field "kind": is required on a Organization`},
		{`{"id":"org:x","type":"Organization","name":"X","kind":"CLUB"}`, `field "kind": "CLUB" is not allowed for a Organization`},
		{`{"id":"org:X","type":"Organization","name":"X","kind":"NGO"}`, `field "id": "org:X" is not a valid Organization id`},
		{`{"id":"person:x","type":"Organization","name":"X","kind":"NGO"}`, `field "id": "person:x" is not a valid Organization id`},
		{`{"id":"org:x","type":"Company","name":"X"}`, `field "type": "Company" is not a node type`},
		{`{"id":"org:x","type":"Organization","name":" ","kind":"NGO"}`, `field "name": is required`},
		{`{"id":"org:x","type":"Organization","name":"X","kind":"NGO","country":"Mexico"}`, `field "country": "Mexico" is not an ISO 3166-1 alpha-2 code`},
		{`{"id":"stat:x","type":"Statistic","name":"X","unit":"PEOPLE","measure":"m","citations":[{"source":"source:s","quote":"q"}]}`, `field "value": is required on a Statistic`},
		{`{"id":"stat:x","type":"Statistic","name":"X","value":1,"unit":"PEOPLE","measure":"m"}`, `field "citations": a Statistic needs at least one citation`},
		{`{"id":"policy:x","type":"Policy","name":"X","kind":"LAW","value":3}`, `field "value": value, unit, measure and qualifier apply only to a Statistic`},
		{`{"id":"event:x","type":"Event","name":"X","kind":"THREAT","startDate":"2019-06","endDate":"2019-05"}`, `field "endDate": "2019-05" is before startDate "2019-06"`},
		{`{"id":"person:x","type":"Person","name":"X","status":"ENDED"}`, `field "status": does not apply to a Person`},
	}
	for _, c := range cases {
		d, err := DecodeDataset(strings.NewReader(`{"format":"policygraph/v1","nodes":[` + c.node + `],"relationships":[]}`))
		if err == nil {
			_, err = d.Validate()
		}
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.node, err, c.want)
		}
	}
}

func TestValidateFile(t *testing.T) {
	ok := `{"id":"source:s","type":"Source","name":"S","kind":"ARTICLE"},{"id":"org:a","type":"Organization","name":"A","kind":"NGO"}`
	cases := []struct{ doc, want string }{
		{`{"format":"v0","nodes":[],"relationships":[]}`, `file: field "format": must be "policygraph/v1"`},
		{`{"format":"policygraph/v1","nodes":[` + ok + `,` + `{"id":"org:a","type":"Organization","name":"B","kind":"NGO"}],"relationships":[]}`, `nodes[2] "org:a": field "id": duplicate id`},
		{`{"format":"policygraph/v1","nodes":[` + ok + `],"relationships":[{"type":"MEMBER_OF","from":"org:a","to":"org:a","citations":[{"source":"source:s","quote":"q"}]}]}`, `cannot join "org:a" to itself`},
		{`{"format":"policygraph/v1","nodes":[` + ok + `],"relationships":[{"type":"OPPOSES","from":"org:a","to":"source:s","citations":[{"source":"org:a","quote":"q"}]}]}`, `citations[0].source": "org:a" is not a source id`},
		{`{"format":"policygraph/v1","nodes":[` + ok + `],"relationships":[{"type":"OPPOSES","from":"org:a","to":"source:s","outcome":"ENJOINED","citations":[{"source":"source:s","quote":"q"}]}]}`, `field "outcome": applies only to RULED_ON`},
		{`{"format":"policygraph/v1","nodes":[` + ok + `,{"id":"org:b","type":"Organization","name":"B","kind":"NGO"}],"relationships":[
			{"type":"OPPOSES","from":"org:a","to":"org:b","citations":[{"source":"source:s","quote":"q"}]},
			{"type":"OPPOSES","from":"org:a","to":"org:b","citations":[{"source":"source:s","quote":"r"}]}]}`, `relationships[1] (org:a OPPOSES org:b): field "id": duplicate relationship id`},
		{`{"format":"policygraph/v1","nodes":[` + ok + `],"relationships":[],}`, `file: line 1: invalid character '}'`},
		{`{"format":"policygraph/v1","nodes":[{"id":"org:a","type":"Organization","name":"A","kind":"NGO","founded":"1920"}]}`, `unknown field "founded"`},
	}
	for _, c := range cases {
		d, err := DecodeDataset(strings.NewReader(c.doc))
		if err == nil {
			_, err = d.Validate()
		}
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v\nwant %q", err, c.want)
		}
	}
	// A file referring to ids it does not define lists them for the importer to check.
	d, _ := DecodeDataset(strings.NewReader(`{"format":"policygraph/v1","nodes":[],"relationships":[{"type":"OPPOSES","from":"org:a","to":"policy:p","citations":[{"source":"source:s","quote":"q"}]}]}`))
	v, err := d.Validate()
	if err != nil || v.External["source:s"] != TypeSource || len(v.External) != 3 || v.Relationships[0].ID != "rel:org:a:opposes:policy:p" {
		t.Errorf("external references: %+v %v", v, err)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, key := range []any{"abc", int64(42), 1.5} {
		c := Cursor{Order: OrderDegree, Key: key, ID: "org:x"}
		got, err := DecodeCursor("after", c.Encode(), OrderDegree)
		if err != nil || got.ID != "org:x" || got.Key != key {
			t.Errorf("round trip of %v: %+v %v", key, got, err)
		}
	}
	if _, err := DecodeCursor("after", Cursor{Order: OrderName, ID: "x"}.Encode(), OrderDegree); err == nil {
		t.Error("cursor of another order accepted")
	}
	if _, err := DecodeCursor("after", "!!", OrderName); err == nil {
		t.Error("garbage cursor accepted")
	}
}

func TestTimeFilterWindow(t *testing.T) {
	f, err := NewTimeFilter("2019-06", "2019", "")
	if err != nil {
		t.Fatal(err)
	}
	if from, to := f.Window(); from != "2019-06-01" || to != "2019-06-30" {
		t.Errorf("window %s..%s", from, to)
	}
	if _, err := NewTimeFilter("", "2020", "2019"); err == nil || !strings.Contains(err.Error(), "argument until") {
		t.Errorf("until before since: %v", err)
	}
}

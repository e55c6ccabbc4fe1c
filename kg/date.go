package kg

import (
	"fmt"
	"time"
)

// A partial date is an ISO 8601 calendar date at year, month or day precision: "2019",
// "2019-06" or "2019-06-07". Sources are vague; we keep them vague and derive a sortable range
// (the earliest and latest day the partial date can mean) for filters.

// DateRange returns the first and last day ("YYYY-MM-DD") that a partial date covers.
func DateRange(partial string) (earliest, latest string, err error) {
	var t time.Time
	switch len(partial) {
	case 4:
		t, err = time.Parse("2006", partial)
		if err == nil {
			return t.Format(time.DateOnly), t.AddDate(1, 0, -1).Format(time.DateOnly), nil
		}
	case 7:
		t, err = time.Parse("2006-01", partial)
		if err == nil {
			return t.Format(time.DateOnly), t.AddDate(0, 1, -1).Format(time.DateOnly), nil
		}
	case 10:
		_, err = time.Parse(time.DateOnly, partial)
		if err == nil {
			return partial, partial, nil
		}
	}
	return "", "", fmt.Errorf("%q is not a partial date (want YYYY, YYYY-MM or YYYY-MM-DD)", partial)
}

// Span is the sortable range of something with a partial start and end date. A missing start
// means "unknown since when" (From empty); a missing end means "possibly still true" (To empty).
type Span struct{ From, To string }

// SpanOf validates start and end and returns their span; end must not be before start.
func SpanOf(start, end string) (Span, error) {
	var s Span
	if start != "" {
		from, _, err := DateRange(start)
		if err != nil {
			return s, &InvalidError{Field: "startDate", Reason: err.Error()}
		}
		s.From = from
	}
	if end != "" {
		_, to, err := DateRange(end)
		if err != nil {
			return s, &InvalidError{Field: "endDate", Reason: err.Error()}
		}
		s.To = to
	}
	if s.From != "" && s.To != "" && s.To < s.From {
		return s, &InvalidError{Field: "endDate", Reason: fmt.Sprintf("%q is before startDate %q", end, start)}
	}
	return s, nil
}

// ValidDay reports whether d is a full "YYYY-MM-DD" date (used for filter arguments).
func ValidDay(d string) bool {
	_, err := time.Parse(time.DateOnly, d)
	return err == nil && len(d) == 10
}

// DayBounds turns a filter argument given as a partial date into the day range it covers, so
// activeAt: "2019-06" means "at any time in June 2019".
func DayBounds(argument, partial string) (Span, error) {
	from, to, err := DateRange(partial)
	if err != nil {
		return Span{}, Invalid(argument, "%v", err)
	}
	return Span{From: from, To: to}, nil
}

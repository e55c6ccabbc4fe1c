package httpapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"

	"github.com/policygraph/policygraph/graph"
)

// GraphQL-over-HTTP status codes (docs/reliability.md, "graphql-http audit").
//
// A client that accepts application/graphql-response+json is told the truth by the status:
//
//	parse, validation, variable and limit errors (data null)   400, and no "data" entry
//	RATE_LIMITED (refused before running)                      429 (Retry-After from the limiter)
//	SERVICE_UNAVAILABLE with data null (database down)         503, Retry-After: 5
//	TIMEOUT with data null                                     504
//
// Whatever the media type, UNAUTHENTICATED gives 401 (with WWW-Authenticate) and FORBIDDEN
// 403 when data is null or every root field failed (auth.go refuses bad tokens itself).
//
// A client that accepts only application/json (or sends no Accept, or */*) gets 200 for every
// GraphQL response, the legacy behaviour the spec allows (gqlgen's 422 for parse and
// validation errors becomes 200). For both, a request with no query at all is 400: it is not a
// GraphQL request. gqlgen picks the media type from Accept (the first of the two listed); this
// reads the Content-Type it chose.

// requestErrorCodes are the codes of errors raised before execution because the request
// itself is wrong: the spec's "request errors", answered 400.
var requestErrorCodes = map[string]bool{
	"GRAPHQL_PARSE_FAILED":      true,
	"GRAPHQL_VALIDATION_FAILED": true,
	"COMPLEXITY_LIMIT_EXCEEDED": true, // gqlgen's complexity limit
	graph.CodeBadRequest:        true, // graph's transports: the HTTP request is not a readable GraphQL request
	graph.CodeResponseTooLarge:  true, // graph's response limit: the whole answer is replaced by this error
	graph.CodeLimit:             true,
}

// gqlgenNoQuery is gqlgen's message for a request whose document has no operation (an absent
// or empty query). TestGraphQLStatus pins it.
const gqlgenNoQuery = "no operation provided"

// maxStatusBuffer bounds what graphQLStatus holds back to read a response: error answers whose
// status can change are small; anything larger is passed on as it is.
const maxStatusBuffer = 64 << 10

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// graphQLStatus sets the HTTP status of /graphql answers as described above.
func graphQLStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{w: w}
		defer sw.finish()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter holds back the status and, when it may change, the body (up to
// maxStatusBuffer) until the handler returns.
type statusWriter struct {
	w       http.ResponseWriter
	status  int    // as set by the handler; 0 until then
	media   string // mediaJSON or mediaGraphQLResponse while buffering
	buf     []byte
	passing bool // the status is written: everything else goes straight through
}

func (s *statusWriter) Header() http.Header { return s.w.Header() }

// Unwrap lets http.ResponseController reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.w }

func (s *statusWriter) WriteHeader(code int) {
	if s.passing {
		s.w.WriteHeader(code) // superfluous: let net/http say so
		return
	}
	if s.status == 0 {
		s.status = code
	}
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.passing {
		return s.w.Write(b)
	}
	if s.media == "" {
		s.media = s.candidate()
		if s.media == "" {
			s.pass(s.code())
			return s.w.Write(b)
		}
	}
	if !s.errorsFirst(b) || len(s.buf)+len(b) > maxStatusBuffer {
		// No errors first (data, nothing to change), or too large to be an error answer:
		// pass it on as it is, without copying it.
		s.flush(s.code())
		return s.w.Write(b)
	}
	s.buf = append(s.buf, b...)
	return len(b), nil
}

// errorsFirst says whether the answer, continued by b, may still start with "errors" (an
// answer whose status may change); false once its first bytes say otherwise.
func (s *statusWriter) errorsFirst(b []byte) bool {
	const prefix = `{"errors"`
	head := s.buf
	if n := len(prefix) - len(head); n > 0 {
		head = append(head[:len(head):len(head)], b[:min(n, len(b))]...)
	}
	if len(head) < len(prefix) {
		return true // too early to tell
	}
	return bytes.HasPrefix(head, []byte(prefix))
}

func (s *statusWriter) code() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// candidate returns the media type when this answer's status may have to change: a GraphQL
// response from gqlgen (application/json answers when gqlgen chose 422, or 200 for an
// answer that may be a refused write: 401, 403).
func (s *statusWriter) candidate() string {
	mt, _, _ := mime.ParseMediaType(s.w.Header().Get("Content-Type"))
	switch code := s.code(); {
	case mt == mediaGraphQLResponse && (code == http.StatusOK || code == http.StatusBadRequest || code == http.StatusUnprocessableEntity):
		return mediaGraphQLResponse
	case mt == mediaJSON && (code == http.StatusOK || code == http.StatusUnprocessableEntity):
		return mediaJSON
	}
	return ""
}

func (s *statusWriter) pass(code int) {
	s.passing = true
	s.w.WriteHeader(code)
}

func (s *statusWriter) flush(code int) {
	s.pass(code)
	_, _ = s.w.Write(s.buf)
	s.buf = nil
}

func (s *statusWriter) finish() {
	switch {
	case s.passing:
	case s.media == "":
		if s.status != 0 {
			s.pass(s.status)
		}
	default:
		code, body := decideStatus(s.media, s.code(), s.buf)
		if code == http.StatusServiceUnavailable && s.w.Header().Get("Retry-After") == "" {
			s.w.Header().Set("Retry-After", "5")
		}
		if code == http.StatusUnauthorized {
			s.w.Header().Set("WWW-Authenticate", `Bearer realm="policygraph"`)
		}
		s.buf = body
		s.flush(code)
	}
}

// decideStatus returns the status and body of a complete GraphQL answer held back by
// statusWriter, given the media type gqlgen chose and the status it set.
func decideStatus(media string, status int, body []byte) (int, []byte) {
	var resp map[string]json.RawMessage
	if json.Unmarshal(body, &resp) != nil {
		return status, body
	}
	var errs []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
	if json.Unmarshal(resp["errors"], &errs) != nil || len(errs) == 0 {
		return status, body
	}
	codes := map[string]bool{}
	noQuery := false
	for _, e := range errs {
		c, _ := e.Extensions["code"].(string)
		codes[c] = true
		noQuery = noQuery || e.Message == gqlgenNoQuery
	}
	data, hasData := resp["data"]
	dataNull := !hasData || bytes.Equal(bytes.TrimSpace(data), []byte("null"))
	// A refused write (or read, PUBLIC_READS=false) is told by the status whatever the media
	// type, as a rate-limited request is: the server refuses the request (GraphQL over HTTP
	// lets a server answer 4xx when it requires authentication).
	if dataNull || allRootsNull(data) {
		switch {
		case codes[graph.CodeUnauthenticated]:
			return http.StatusUnauthorized, body
		case codes[graph.CodeForbidden]:
			return http.StatusForbidden, body
		}
	}
	if media == mediaJSON {
		if noQuery && len(errs) == 1 {
			return http.StatusBadRequest, body
		}
		if status == http.StatusUnprocessableEntity {
			return http.StatusOK, body
		}
		return status, body
	}
	if !dataNull {
		return status, body
	}
	withoutData := func() []byte {
		delete(resp, "data")
		b, err := json.Marshal(resp)
		if err != nil {
			return body
		}
		return b
	}
	for c := range codes {
		if requestErrorCodes[c] {
			return http.StatusBadRequest, withoutData()
		}
	}
	switch {
	case noQuery || status == http.StatusBadRequest: // gqlgen's own request errors (body, variables)
		return http.StatusBadRequest, withoutData()
	case codes[graph.CodeRateLimited]:
		return http.StatusTooManyRequests, withoutData()
	case codes[graph.CodeServiceUnavailable]:
		return http.StatusServiceUnavailable, body
	case codes[graph.CodeTimeout]:
		return http.StatusGatewayTimeout, body
	}
	return status, body
}

// allRootsNull says whether data is an object whose every root field is null: every root
// field failed (nullable mutation payloads do not turn data itself into null).
func allRootsNull(data json.RawMessage) bool {
	var roots map[string]json.RawMessage
	if json.Unmarshal(data, &roots) != nil || len(roots) == 0 {
		return false
	}
	for _, v := range roots {
		if !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return false
		}
	}
	return true
}

// retryAfter formats a wait as a Retry-After value: whole seconds, at least 1.
func retryAfter(seconds float64) string {
	n := int(seconds)
	if float64(n) < seconds {
		n++
	}
	return strconv.Itoa(max(n, 1))
}

package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// The HTTP transports: gqlgen's GET and POST JSON transports with our own messages for a
// request that cannot be read (theirs echo the whole body and name Go types) and a writer
// that sends the executor's data as built, without copying it into a second buffer.

// postTransport is POST with a JSON body ({"query", "operationName", "variables",
// "extensions"}).
type postTransport struct{}

func (postTransport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && r.Method == http.MethodPost && mediaType == "application/json"
}

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		status, msg := http.StatusBadRequest, "could not read the request body"
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status, msg = http.StatusRequestEntityTooLarge, "the request body is too large"
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(r.Context(), gqlerror.List{requestError(msg)}))
		return
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(r.Context(), gqlerror.List{requestError(decodeMessage(err))}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	execute(w, r, exec, params, contentType, false)
}

// getTransport is GET with query, operationName, variables and extensions in the URL;
// queries only.
type getTransport struct{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.Method == http.MethodGet
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	fail := func(msg string) {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(r.Context(), gqlerror.List{requestError(msg)}))
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		fail("the URL's query string is malformed")
		return
	}
	params := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName"), Headers: r.Header}
	params.ReadTime.Start = graphql.Now()
	for _, p := range []struct {
		name string
		dst  *map[string]any
	}{{"variables", &params.Variables}, {"extensions", &params.Extensions}} {
		if v := q.Get(p.name); v != "" {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if err := dec.Decode(p.dst); err != nil {
				fail(`the URL parameter "` + p.name + `" must be a JSON object`)
				return
			}
		}
	}
	params.ReadTime.End = graphql.Now()
	if isMutation(params.Query, params.OperationName) {
		// Checklist S11: a write never runs from a URL (a link, an <img>, a prefetch). Told
		// before validation and limits, so even a malformed mutation learns the method.
		w.Header().Set("Allow", "POST")
		w.WriteHeader(http.StatusMethodNotAllowed)
		writeResponse(w, &graphql.Response{Errors: gqlerror.List{requestError("mutations are sent with POST and a JSON body; GET runs queries only")}})
		return
	}
	execute(w, r, exec, params, contentType, true)
}

// isMutation says whether the operation a GET request selects is a mutation. A document that
// does not parse, or does not say which operation, is left to the executor's errors. The
// document is at most a URL long (the server's header limit).
func isMutation(query, operationName string) bool {
	if !strings.Contains(query, "mutation") {
		return false
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return false
	}
	op := doc.Operations.ForName(operationName)
	return op != nil && op.Operation == ast.Mutation
}

// execute runs one operation and writes its answer (status as gqlgen's transports set it).
func execute(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams, contentType string, queryOnly bool) {
	ctx := r.Context()
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == graphqlResponseJSON {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
		return
	}
	if queryOnly && oc.Operation.Operation != ast.Query {
		w.WriteHeader(http.StatusNotAcceptable)
		writeResponse(w, &graphql.Response{Errors: gqlerror.List{requestError("GET requests only allow query operations")}})
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	writeResponse(w, responses(ctx))
}

// requestError is a BAD_REQUEST error: the request could not be read as GraphQL over HTTP.
func requestError(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeBadRequest}}
}

// decodeMessage says what is wrong with a POST body, naming only the protocol's fields
// (never the body's text or a Go type).
func decodeMessage(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		want := map[string]string{"query": "a string", "operationName": "a string", "variables": "an object", "extensions": "an object"}
		if w, ok := want[te.Field]; ok {
			return `the request body's "` + te.Field + `" must be ` + w
		}
		if te.Field == "" && te.Value == "array" {
			return "batched requests (a JSON array) are not supported: send one operation per request"
		}
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return "the request body is not valid JSON (at byte " + strconv.FormatInt(se.Offset, 10) + ")"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the request body is empty or cut short"
	}
	return `the request body must be a JSON object with a "query" string`
}

const (
	applicationJSON     = "application/json"
	graphqlResponseJSON = "application/graphql-response+json"
)

// responseContentType picks the answer's media type from Accept, as gqlgen's transports do.
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return applicationJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", applicationJSON:
			return applicationJSON
		case graphqlResponseJSON:
			return graphqlResponseJSON
		}
	}
	return graphqlResponseJSON
}

// writeResponse writes {"errors":...,"data":...,"extensions":...} with the data as the
// executor built it (escaped for HTML as encoding/json would), not re-encoded into a copy.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp == nil { // the request's context ended before an answer was built
		resp = &graphql.Response{Errors: gqlerror.List{canceledError()}}
	}
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
		b, err := json.Marshal(resp)
		if err == nil {
			_, _ = w.Write(b)
		}
		return
	}
	var head bytes.Buffer
	head.WriteByte('{')
	if len(resp.Errors) > 0 {
		b, err := json.Marshal(resp.Errors)
		if err != nil {
			b = []byte(`[{"message":"internal error","extensions":{"code":"` + CodeInternal + `"}}]`)
		}
		head.WriteString(`"errors":`)
		head.Write(b)
		head.WriteByte(',')
	}
	head.WriteString(`"data":`)
	if len(resp.Data) == 0 {
		head.WriteString("null")
	}
	if _, err := w.Write(head.Bytes()); err != nil {
		return
	}
	if err := writeHTMLEscaped(w, resp.Data); err != nil {
		return
	}
	var tail bytes.Buffer
	if len(resp.Extensions) > 0 {
		if b, err := json.Marshal(resp.Extensions); err == nil {
			tail.WriteString(`,"extensions":`)
			tail.Write(b)
		}
	}
	tail.WriteByte('}')
	_, _ = w.Write(tail.Bytes())
}

// writeHTMLEscaped writes JSON text with <, >, &, U+2028 and U+2029 escaped, as
// json.HTMLEscape does, in runs between them (no copy of the whole text).
func writeHTMLEscaped(w io.Writer, src []byte) error {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(src); {
		c := src[i]
		size := 1
		var r rune = -1
		switch {
		case c == '<' || c == '>' || c == '&':
			r = rune(c)
		case c == 0xE2 && i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8:
			r, size = utf8.DecodeRune(src[i:])
		}
		if r < 0 {
			i++
			continue
		}
		if _, err := w.Write(src[start:i]); err != nil {
			return err
		}
		if _, err := w.Write([]byte{'\\', 'u', hex[r>>12&0xF], hex[r>>8&0xF], hex[r>>4&0xF], hex[r&0xF]}); err != nil {
			return err
		}
		i += size
		start = i
	}
	_, err := w.Write(src[start:])
	return err
}

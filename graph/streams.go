package graph

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/policygraph/policygraph/kg"
)

// Streams configures the WebSocket side of /graphql (NewStreamHandler).
type Streams struct {
	Feed *Feed
	// Auth checks the token a client sends in connection_init; nil: no tokens, reads public.
	Auth StreamAuth
	// Origins are the browser origins allowed to open a WebSocket besides the server's own
	// (CORS_ORIGINS; empty or "*": any, since no cookie is involved: a token must come in
	// connection_init).
	Origins []string
	// PingInterval: the server pings every interval and closes a connection that has not
	// answered within two (default 25 s).
	PingInterval time.Duration
}

// StreamAuth is how a WebSocket connection is authenticated (httpapi's API tokens).
type StreamAuth interface {
	// Authenticate turns an Authorization value ("Bearer <token>") into the caller, or fails
	// with kg.ErrUnauthenticated.
	Authenticate(ctx context.Context, authorization string) (kg.Principal, error)
	// PublicReads says whether reading (subscribing included) needs no token.
	PublicReads() bool
}

// Close codes of graphql-transport-ws.
const (
	closeForbidden  = 4403 // connection_init refused: no valid token where one is needed
	initTimeout     = 10 * time.Second
	defaultPingTime = 25 * time.Second
)

func (s Streams) websocket(logger *slog.Logger) transport.Websocket {
	ping := s.PingInterval
	if ping <= 0 {
		ping = defaultPingTime
	}
	accept := coderws.AcceptOptions{}
	for _, o := range s.Origins {
		if o == "*" {
			accept.OriginPatterns, accept.InsecureSkipVerify = nil, true
			break
		}
		if i := len("https://"); len(o) > i && o[:i] == "https://" {
			o = o[i:]
		} else if i := len("http://"); len(o) > i && o[:i] == "http://" {
			o = o[i:]
		}
		accept.OriginPatterns = append(accept.OriginPatterns, o)
	}
	if len(s.Origins) == 0 {
		accept.InsecureSkipVerify = true // any origin, as CORS_ORIGINS's default
	}
	limit := int64(64 << 10) // a subscribe message is a small document
	return transport.Websocket{
		Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: accept},
		InitFunc:              s.init,
		InitTimeout:           initTimeout,
		KeepAlivePingInterval: ping, // legacy graphql-ws: "ka" messages
		PingPongInterval:      ping, // graphql-transport-ws: ping, and close without a pong
		PayloadReadLimit:      &limit,
		ErrorFunc: func(ctx context.Context, err error) {
			if !errors.Is(err, context.Canceled) {
				logger.DebugContext(ctx, "websocket", "err", err)
			}
		},
	}
}

// init authenticates connection_init: {"Authorization": "Bearer <token>"} (GraphiQL sends the
// headers editor's JSON as this payload). A bad token is refused even when reads are public.
func (s Streams) init(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	auth := p.Authorization()
	if auth == "" {
		if h, ok := p["headers"].(map[string]any); ok { // graphql-ws clients that nest headers
			auth = transport.InitPayload(h).Authorization()
		}
	}
	public := s.Auth == nil || s.Auth.PublicReads()
	switch {
	case auth != "" && s.Auth != nil:
		pr, err := s.Auth.Authenticate(ctx, auth)
		if err != nil {
			return refuse(ctx, err)
		}
		ctx = kg.WithPrincipal(ctx, pr)
	case !public:
		return refuse(ctx, kg.ErrUnauthenticated)
	}
	return ctx, nil, nil
}

func refuse(ctx context.Context, err error) (context.Context, *transport.InitPayload, error) {
	msg := kg.ErrUnauthenticated.Error()
	if errors.Is(err, kg.ErrForbidden) {
		msg = err.Error()
	}
	return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil, errors.New(msg)
}

// subscriptionsOnly refuses queries and mutations over a WebSocket: they go over HTTP, under
// its deadlines and limits.
func subscriptionsOnly(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation != ast.Subscription {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    "only subscriptions are served over WebSocket; send queries and mutations to POST /graphql",
			Extensions: map[string]any{"code": CodeBadRequest}}}})
	}
	return next(ctx)
}

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

// StreamAuth applies the read rule to a WebSocket connection's token (httpapi.Auth).
type StreamAuth interface {
	// Context returns ctx carrying the caller of an Authorization value ("Bearer <token>");
	// ctx unchanged for an anonymous caller when reads are public; kg.ErrUnauthenticated
	// otherwise (a bad token is refused even when reads are public), kg.ErrUnavailable or
	// kg.ErrTimeout when the database cannot say.
	Context(ctx context.Context, authorization string) (context.Context, error)
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
// headers editor's JSON as this payload; some clients nest it under "headers").
func (s Streams) init(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if s.Auth == nil {
		return ctx, nil, nil
	}
	auth := p.Authorization()
	if h, ok := p["headers"].(map[string]any); ok && auth == "" {
		auth = transport.InitPayload(h).Authorization()
	}
	actx, err := s.Auth.Context(ctx, auth)
	if err != nil {
		// graphql-transport-ws has no error message before the ack: the close reason says it.
		_, msg, _ := Describe(err)
		return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil, errors.New(msg)
	}
	return actx, nil, nil
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

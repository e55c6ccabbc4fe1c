package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/policygraph/policygraph/export"
	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/kg"
)

// DefaultExportTimeout bounds one HTTP export when the configuration does not say.
const DefaultExportTimeout = 60 * time.Second

// exportHandler serves GET /export/{format}?id=...&depth=...: the selection, streamed as a
// file. Every check (format, parameters, unknown ids, database) happens before the first
// byte, so a bad request gets a 4xx/5xx JSON error and never half a file; a failure while
// streaming aborts the connection, so a client never mistakes a cut file for a whole one.
func exportHandler(src export.Source, logger *slog.Logger, timeout time.Duration) http.Handler {
	if timeout <= 0 {
		timeout = DefaultExportTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD, OPTIONS")
			writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "exports are read with GET")
			return
		}
		f, ok := export.Lookup(r.PathValue("format"))
		if !ok {
			names := make([]string, len(export.Formats))
			for i, f := range export.Formats {
				names[i] = f.Name
			}
			writeError(w, http.StatusNotFound, graph.CodeNotFound,
				"format "+strconv.Quote(r.PathValue("format"))+" is not an export format (want one of "+strings.Join(names, ", ")+")")
			return
		}
		q, o, err := export.ParseQuery(f, r.URL.Query())
		if err != nil {
			failed(w, r, logger, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		// The server's write timeout is sized for GraphQL answers; an export may stream longer.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(timeout + 5*time.Second))
		begun := false
		err = export.Write(ctx, src, f, q, o, w, func(info kg.ExportInfo) error {
			begun = true
			h := w.Header()
			h.Set("Content-Type", f.ContentType)
			h.Set("Content-Disposition", `attachment; filename="`+export.FileName(f, q)+`"`)
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Truncated", strconv.FormatBool(info.Truncated))
			if info.Nodes >= 0 {
				h.Set("X-Export-Nodes", strconv.Itoa(info.Nodes))
				h.Set("X-Export-Edges", strconv.Itoa(info.Edges))
			}
			w.WriteHeader(http.StatusOK)
			return nil
		})
		if err == nil {
			return
		}
		if !begun {
			failed(w, r, logger, err)
			return
		}
		if !errors.Is(err, context.Canceled) || r.Context().Err() == nil {
			logger.Error("export cut short", "format", f.Name, "selection", o.Selection, "request_id", exportRequestID(r), "err", err)
		}
		panic(http.ErrAbortHandler) // the client sees a broken transfer, not a short file
	})
}

// exportStatus is the HTTP status of each error code before the first byte; others are 500.
var exportStatus = map[string]int{
	graph.CodeBadUserInput: http.StatusBadRequest, graph.CodeNotFound: http.StatusNotFound,
	graph.CodeServiceUnavailable: http.StatusServiceUnavailable, graph.CodeTimeout: http.StatusGatewayTimeout,
}

// failed answers an error raised before any byte was written, through the one code table.
func failed(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code, msg, masked := graph.Describe(err)
	status := exportStatus[code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if masked {
		logger.Warn("export failed", "path", r.URL.Path, "code", code, "request_id", exportRequestID(r), "err", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeError(w, status, code, msg)
}

// writeError sends {"error": {"code", "message"}}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func exportRequestID(r *http.Request) string {
	if ri := graph.RequestInfoFrom(r.Context()); ri != nil {
		return ri.ID
	}
	return ""
}

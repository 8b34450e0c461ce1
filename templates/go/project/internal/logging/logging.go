// Package logging builds the service's one slog stream and carries request and job ids in the
// context, so that every line written while serving a request or running a job names it
// without the id being passed down by hand.
package logging

import (
	"context"
	"io"
	"log/slog"
)

// New returns a logger writing JSON or human-readable text at the given level. Level names
// are the ones LOG_LEVEL takes (WARNING, not slog's WARN).
func New(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: renameWarn}
	var handler slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		handler = slog.NewJSONHandler(w, opts)
	}
	return slog.New(contextHandler{handler})
}

func renameWarn(groups []string, attr slog.Attr) slog.Attr {
	if len(groups) == 0 && attr.Key == slog.LevelKey {
		if level, ok := attr.Value.Any().(slog.Level); ok && level == slog.LevelWarn {
			attr.Value = slog.StringValue("WARNING")
		}
	}
	return attr
}

type contextKey struct{}

// With returns a context whose log lines also carry attrs (request_id, job_id, job_kind).
func With(ctx context.Context, attrs ...slog.Attr) context.Context {
	existing, _ := ctx.Value(contextKey{}).([]slog.Attr)
	merged := make([]slog.Attr, 0, len(existing)+len(attrs))
	merged = append(append(merged, existing...), attrs...)
	return context.WithValue(ctx, contextKey{}, merged)
}

// contextHandler adds the attrs stored by With to every record logged with that context.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, record slog.Record) error {
	if attrs, ok := ctx.Value(contextKey{}).([]slog.Attr); ok {
		record.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, record)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

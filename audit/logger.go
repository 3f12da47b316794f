package audit

import (
	"fmt"
	"io"
	"log/slog"
)

// NewLogger returns a slog.Logger that writes records at level and above to w,
// formatted by slog's "json" or "text" handler.
func NewLogger(format string, w io.Writer, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("invalid log format %q: use json or text", format)
	}
}

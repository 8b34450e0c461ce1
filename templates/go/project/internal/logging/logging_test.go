package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestJSONLinesCarryContext(t *testing.T) {
	var buf bytes.Buffer
	logger := New(&buf, slog.LevelInfo, "json").With("logger", "test")
	ctx := With(context.Background(), slog.String("request_id", "abc"))
	ctx = With(ctx, slog.Int64("job_id", 7), slog.String("job_kind", "note.created"))
	logger.WarnContext(ctx, "hello", "extra", 1)

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	want := map[string]any{
		"level": "WARNING", "msg": "hello", "logger": "test", "request_id": "abc",
		"job_id": float64(7), "job_kind": "note.created", "extra": float64(1),
	}
	for key, value := range want {
		if line[key] != value {
			t.Errorf("%s = %v, want %v", key, line[key], value)
		}
	}
	if _, ok := line["time"]; !ok {
		t.Error("no time key")
	}
}

func TestLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, slog.LevelWarn, "console").Info("quiet")
	if buf.Len() != 0 {
		t.Errorf("an INFO line passed a WARNING logger: %q", buf.String())
	}
}

package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunRefusesAnUnmigratedDatabase: the API's migrations own the schema, so the service
// stops at once, saying what to do, rather than fail on its first query.
func TestRunRefusesAnUnmigratedDatabase(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "sqlite:///" + filepath.Join(t.TempDir(), "empty.db"), "PORT": "0"}
	err := run(context.Background(), []string{"server"}, func(key string) string { return env[key] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "make migrate") {
		t.Errorf("run on an empty database = %v, want an error saying to run make migrate", err)
	}
}

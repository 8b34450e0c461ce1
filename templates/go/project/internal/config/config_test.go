package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(values map[string]string) func(string) string {
	return func(key string) string { return values[key] }
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 8000 || cfg.Host != "127.0.0.1" || !cfg.WorkerEnabled ||
		cfg.WorkerConcurrency != 2 || cfg.JobMaxAttempts != 5 || cfg.JobLease != 30*time.Second ||
		cfg.JobBackoff != time.Second || cfg.JobPoll != 500*time.Millisecond ||
		cfg.LogLevel != slog.LevelInfo || cfg.LogFormat != "console" ||
		cfg.DatabaseURL != DefaultDatabaseURL {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad port", map[string]string{"PORT": "http"}, "PORT"},
		{"port out of range", map[string]string{"PORT": "70000"}, "PORT"},
		{"bad bool", map[string]string{"WORKER_ENABLED": "maybe"}, "WORKER_ENABLED"},
		{"bad level", map[string]string{"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"},
		{"negative seconds", map[string]string{"JOB_POLL_SECONDS": "-1"}, "JOB_POLL_SECONDS"},
		{"production without database", map[string]string{"ENVIRONMENT": "production"}, "DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestProductionLogsJSON(t *testing.T) {
	cfg, err := Load(env(map[string]string{"ENVIRONMENT": "production", "DATABASE_URL": "sqlite:////data/app.db"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogFormat != "json" {
		t.Errorf("LogFormat = %q, want json", cfg.LogFormat)
	}
}

func TestWithDotEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	content := "# comment\nPORT=9000\nexport HOST=\"0.0.0.0\"\nLOG_LEVEL=DEBUG\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(WithDotEnv(env(map[string]string{"LOG_LEVEL": "ERROR"}), path))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 9000 || cfg.Host != "0.0.0.0" {
		t.Errorf("the file was not read: %+v", cfg)
	}
	if cfg.LogLevel != slog.LevelError {
		t.Errorf("the environment should win over the file: LogLevel = %v", cfg.LogLevel)
	}
}

func TestLogLevelInAnyCase(t *testing.T) {
	for _, given := range []string{"warning", "Warning", "WARN", "warn"} {
		cfg, err := Load(env(map[string]string{"LOG_LEVEL": given}))
		if err != nil || cfg.LogLevel != slog.LevelWarn {
			t.Errorf("LOG_LEVEL=%s: level %v, error %v; want WARN", given, cfg.LogLevel, err)
		}
	}
}

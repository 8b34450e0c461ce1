// Command baseline is the least a Go service can do for the service benchmark's requests on
// the `product name:str price:float stock:int=0` table while keeping docs/contract.md's
// promises: read one row by id, and create one row with its job in one transaction; name each
// request (X-Request-ID, the caller's or a new UUID4) and log one JSON line for it. Plain
// net/http, log/slog and database/sql, the generated service's drivers and connection
// discipline (sqlite.go or postgres.go, whichever the benchmark copies beside this file), and
// nothing else: no validation but the types and the name's length, no JSON error bodies.
//
//	baseline DATABASE_URL PORT
package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/google/uuid"
)

type product struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Price       float64    `json:"price"`
	Stock       int64      `json:"stock"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ProcessedAt *time.Time `json:"processed_at"`
}

type input struct {
	Name  *string  `json:"name"`
	Price *float64 `json:"price"`
	Stock *int64   `json:"stock"`
}

const columns = `"id", "name", "price", "stock", "created_at", "updated_at", "processed_at"`

var (
	selectProduct = bind(`SELECT ` + columns + ` FROM "products" WHERE "id" = ?`)
	insertProduct = bind(`INSERT INTO "products" ("name", "price", "stock", "created_at", "updated_at") ` +
		`VALUES (?, ?, ?, ?, ?) RETURNING ` + columns)
	insertJob = bind(`INSERT INTO "jobs" ("kind", "payload", "status", "attempts", "max_attempts", ` +
		`"run_at", "created_at", "updated_at") VALUES ('product.created', ?, 'queued', 0, 5, ?, ?, ?)`)
)

func scan(row *sql.Row) (product, error) {
	var p product
	err := row.Scan(&p.ID, &p.Name, &p.Price, &p.Stock,
		timeDest{&p.CreatedAt}, timeDest{&p.UpdatedAt}, nullTimeDest{&p.ProcessedAt})
	return p, err
}

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: baseline DATABASE_URL PORT")
	}
	reader, writer, err := open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := reader.PingContext(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("GET /api/v1/products/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			http.Error(w, `{"detail":"bad id"}`, http.StatusUnprocessableEntity)
			return
		}
		p, err := scan(reader.QueryRowContext(r.Context(), selectProduct, id))
		if errors.Is(err, sql.ErrNoRows) {
			http.Error(w, `{"detail":"not found"}`, http.StatusNotFound)
			return
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusOK, p)
	})
	mux.HandleFunc("POST /api/v1/products", func(w http.ResponseWriter, r *http.Request) {
		var in input
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || in.Name == nil || in.Price == nil || len([]rune(*in.Name)) > 255 {
			http.Error(w, `{"detail":"invalid"}`, http.StatusUnprocessableEntity)
			return
		}
		stock := int64(0)
		if in.Stock != nil {
			stock = *in.Stock
		}
		p, err := create(r.Context(), writer, *in.Name, *in.Price, stock)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Location", "/api/v1/products/"+strconv.FormatInt(p.ID, 10))
		writeJSON(w, http.StatusCreated, p)
	})
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("logger", "http")
	srv := &http.Server{Addr: "127.0.0.1:" + os.Args[2], Handler: logRequests(logger, mux), ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// create inserts the row and its job in one transaction.
func create(ctx context.Context, db *sql.DB, name string, price float64, stock int64) (product, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return product{}, err
	}
	defer tx.Rollback() // a no-op after Commit
	now := timeArg(time.Now())
	p, err := scan(tx.QueryRowContext(ctx, insertProduct, name, price, stock, now, now))
	if err != nil {
		return product{}, err
	}
	payload := `{"id":` + strconv.FormatInt(p.ID, 10) + `}`
	if _, err := tx.ExecContext(ctx, insertJob, payload, now, now, now); err != nil {
		return product{}, err
	}
	return p, tx.Commit()
}

// logRequests names each request, echoing the caller's X-Request-ID or making one up, and
// logs one line per request, as the contract asks.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 128 {
			newID := uuid.New()
			id = hex.EncodeToString(newID[:])
		}
		w.Header().Set("X-Request-ID", id)
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", id),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(time.Since(started).Microseconds())/1000))
	})
}

// statusWriter remembers the status written, for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // an error here means the client went away
}

// timeDest scans a timestamp column, which the driver returns as time.Time or as text.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d.t = v.UTC()
		return nil
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	}
	return errors.New("timestamp: unexpected type")
}

func (d timeDest) parse(text string) error {
	t, err := time.Parse(sqliteTimeLayout, text)
	*d.t = t
	return err
}

// nullTimeDest scans a nullable timestamp column.
type nullTimeDest struct{ t **time.Time }

func (d nullTimeDest) Scan(src any) error {
	if src == nil {
		*d.t = nil
		return nil
	}
	var t time.Time
	if err := (timeDest{&t}).Scan(src); err != nil {
		return err
	}
	*d.t = &t
	return nil
}

// sqliteTimeLayout is how timestamps are stored as text in SQLite (as the generated service does).
const sqliteTimeLayout = "2006-01-02 15:04:05.000000"

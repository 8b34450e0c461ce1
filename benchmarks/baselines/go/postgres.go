package main

import (
	"database/sql"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// open connects as the generated service does: one pool of 20 connections, all kept idle.
func open(databaseURL string) (reader, writer *sql.DB, err error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	return db, db, nil
}

// bind turns each ? into PostgreSQL's $1, $2, ...
func bind(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// timeArg is a timestamp as PostgreSQL takes it.
func timeArg(t time.Time) any {
	return t.UTC()
}

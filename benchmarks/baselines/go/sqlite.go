package main

import (
	"database/sql"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

// open connects as the generated service does: a pool of readers, and one connection for
// every write (SQLite takes one writer at a time), with the same pragmas.
func open(databaseURL string) (reader, writer *sql.DB, err error) {
	dsn := "file:" + strings.TrimPrefix(databaseURL, "sqlite:///") +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	if reader, err = sql.Open("sqlite", dsn); err != nil {
		return nil, nil, err
	}
	if writer, err = sql.Open("sqlite", dsn); err != nil {
		return nil, nil, err
	}
	writer.SetMaxOpenConns(1)
	// Every reader is kept open: database/sql would keep 2 idle and open the others again, pragmas
	// and schema read included, for each burst of reads.
	readers := max(4, 2*runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	return reader, writer, nil
}

// bind writes a query's placeholders as the driver wants them.
func bind(query string) string {
	return query
}

// timeArg is a timestamp as SQLite stores it: UTC text.
func timeArg(t time.Time) any {
	return t.UTC().Format(sqliteTimeLayout)
}

package store

import (
	"context"
	"database/sql"
	"sync"
)

// statements keeps the hot paths' queries prepared: a prepared statement is parsed once per
// connection instead of on every run, and on SQLite the parse is about a sixth of a read's
// time. Only fixed query texts belong here, since each one is kept until Close.
type statements struct {
	m sync.Map // stmtKey -> *sql.Stmt
}

// stmtKey names a prepared statement: the pool it was prepared on, and its text.
type stmtKey struct {
	db    *sql.DB
	query string
}

// prepare returns query prepared on db, preparing it on first use. It takes a connection
// from db to prepare, so it must not run inside a transaction on db (SQLite's writer has
// one connection): statements a transaction runs are prepared by inTx before it begins.
func (p *statements) prepare(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	key := stmtKey{db, query}
	if stmt, ok := p.m.Load(key); ok {
		return stmt.(*sql.Stmt), nil
	}
	stmt, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prior, loaded := p.m.LoadOrStore(key, stmt); loaded {
		stmt.Close()
		return prior.(*sql.Stmt), nil
	}
	return stmt, nil
}

// prepared returns the statement prepare made for query on db, if any.
func (p *statements) prepared(db *sql.DB, query string) (*sql.Stmt, bool) {
	stmt, ok := p.m.Load(stmtKey{db, query})
	if !ok {
		return nil, false
	}
	return stmt.(*sql.Stmt), true
}

func (p *statements) close() {
	p.m.Range(func(key, stmt any) bool {
		stmt.(*sql.Stmt).Close()
		p.m.Delete(key)
		return true
	})
}

// errRow is a row whose query could not even be prepared: scanning it reports why.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// queryRow runs a fixed read on the reader pool through its prepared statement.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	stmt, err := s.stmts.prepare(ctx, s.db, query)
	if err != nil {
		return errRow{err}
	}
	return stmt.QueryRowContext(ctx, args...)
}

// query runs a fixed read returning rows on the reader pool through its prepared statement.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt, err := s.stmts.prepare(ctx, s.db, query)
	if err != nil {
		return nil, err
	}
	return stmt.QueryContext(ctx, args...)
}

// txQueryRow runs a statement in tx: through its prepared statement when inTx prepared one,
// else as plain text.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) rowScanner {
	if stmt, ok := s.stmts.prepared(s.writer, query); ok {
		return tx.StmtContext(ctx, stmt).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

package store

import (
	"strings"
)

// ListQuery selects, orders and pages the rows of a list: every Filter holds, Search (when
// not empty) appears in one of the resource's text columns, in the order of Sort, then by id.
type ListQuery struct {
	Filters []Filter
	Search  string
	Sort    []SortKey
	Limit   int64
	Offset  int64
}

// Filter is one condition on a column: Op is "=", ">=", ">", "<=", "<" (with Value) or
// "isnull" (Value a bool: true for NULL, false for not NULL).
type Filter struct {
	Column string
	Op     string
	Value  any
}

// SortKey is one column of ORDER BY.
type SortKey struct {
	Column string
	Desc   bool
}

// listing is what a resource tells buildList about its table.
type listing struct {
	table string
	// search are the columns Search looks in; text, the columns sorted as text.
	search []string
	text   map[string]bool
}

// buildList returns the WHERE clause (empty, or starting with " WHERE") and ORDER BY clause of
// q, and the arguments of the WHERE clause's placeholders, numbered from 1.
func buildList(l listing, q ListQuery) (where, orderBy string, args []any) {
	var conditions []string
	for _, f := range q.Filters {
		column := `"` + f.Column + `"`
		if f.Op == "isnull" {
			if f.Value == true {
				conditions = append(conditions, column+" IS NULL")
			} else {
				conditions = append(conditions, column+" IS NOT NULL")
			}
			continue
		}
		args = append(args, dbValue(f.Value))
		conditions = append(conditions, column+" "+f.Op+" "+param(len(args)))
	}
	if q.Search != "" && len(l.search) > 0 {
		// %, _ and \ in the text stand for themselves, not for wildcards.
		pattern := "%" + likeEscaper.Replace(q.Search) + "%"
		terms := make([]string, len(l.search))
		for i, column := range l.search {
			args = append(args, pattern) // once per column: SQLite's ? placeholders are not reusable
			terms[i] = containsText(`"`+column+`"`, param(len(args)))
		}
		conditions = append(conditions, "("+strings.Join(terms, " OR ")+")")
	}
	if len(conditions) > 0 {
		where = " WHERE " + strings.Join(conditions, " AND ")
	}
	terms := make([]string, 0, len(q.Sort)+1)
	byID := false
	for _, key := range q.Sort {
		column := `"` + key.Column + `"`
		if l.text[key.Column] {
			column = textOrder(column)
		}
		// NULLs last ascending and first descending, on SQLite as PostgreSQL does by default.
		if key.Desc {
			terms = append(terms, column+" DESC NULLS FIRST")
		} else {
			terms = append(terms, column+" ASC NULLS LAST")
		}
		byID = byID || key.Column == "id"
	}
	if !byID {
		// The id breaks ties, so that pages never overlap or skip a row.
		terms = append(terms, `"id"`)
	}
	return where, " ORDER BY " + strings.Join(terms, ", "), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// utcNow is the current time at the precision the database keeps, so that a row returned by
// an insert equals the same row read back later.
func utcNow() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// parseTimeText reads what timeText writes, and the RFC 3339 forms other writers use.
func parseTimeText(text string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a stored datetime", text)
}

// timeColumn scans a datetime column into a UTC time.Time. PostgreSQL's driver hands back a
// time.Time in the local zone; SQLite's a time.Time when it recognises the stored text, and the
// text itself otherwise. All are accepted.
type timeColumn struct{ dst *time.Time }

func (c timeColumn) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*c.dst = v.UTC()
		return nil
	case string:
		t, err := parseTimeText(v)
		*c.dst = t
		return err
	case []byte:
		t, err := parseTimeText(string(v))
		*c.dst = t
		return err
	}
	return fmt.Errorf("cannot scan %T into a time", src)
}

// nullTimeColumn is timeColumn for a nullable column.
type nullTimeColumn struct{ dst **time.Time }

func (c nullTimeColumn) Scan(src any) error {
	if src == nil {
		*c.dst = nil
		return nil
	}
	var t time.Time
	if err := (timeColumn{&t}).Scan(src); err != nil {
		return err
	}
	*c.dst = &t
	return nil
}

// Date is a calendar day without a time zone, sent and stored as YYYY-MM-DD.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD, refusing days that do not exist (2023-02-29).
func ParseDate(text string) (Date, error) {
	t, err := time.Parse(time.DateOnly, text)
	if err != nil {
		return Date{}, err
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText makes a Date a JSON string.
func (d Date) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}

// UnmarshalText reads YYYY-MM-DD.
func (d *Date) UnmarshalText(text []byte) error {
	parsed, err := ParseDate(string(text))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// Value stores a Date as YYYY-MM-DD text.
func (d Date) Value() (driver.Value, error) {
	return d.String(), nil
}

// Scan reads a DATE column, as text or as the midnight time.Time the driver may make of it.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d = Date{Year: v.Year(), Month: v.Month(), Day: v.Day()}
		return nil
	case string:
		return d.UnmarshalText([]byte(v))
	case []byte:
		return d.UnmarshalText(v)
	}
	return fmt.Errorf("cannot scan %T into a date", src)
}

// Change is one field of a partial update: the update writes Value only when Set.
type Change[T any] struct {
	Value T
	Set   bool
}

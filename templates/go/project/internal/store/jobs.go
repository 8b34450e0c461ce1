package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// The states of a job (docs/contract.md, Jobs).
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobDead      = "dead"
)

// JobStatuses lists every state, in the order a job goes through them.
var JobStatuses = []string{JobQueued, JobRunning, JobSucceeded, JobDead}

// Job is one row of the "jobs" table, shared with any other worker of the same database.
type Job struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	Payload     json.RawMessage `json:"payload"`
	Status      string          `json:"status"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"max_attempts"`
	RunAt       time.Time       `json:"run_at"`
	LockedUntil *time.Time      `json:"locked_until"`
	LockedBy    *string         `json:"locked_by"`
	LastError   *string         `json:"last_error"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// JobFilter narrows ListJobs; an empty field matches every job.
type JobFilter struct {
	Kind   string
	Status string
}

const jobColumns = `"id", "kind", "payload", "status", "attempts", "max_attempts", "run_at", ` +
	`"locked_until", "locked_by", "last_error", "created_at", "updated_at"`

func scanJob(row rowScanner) (Job, error) {
	var job Job
	var payload string
	err := row.Scan(&job.ID, &job.Kind, &payload, &job.Status, &job.Attempts, &job.MaxAttempts,
		timeColumn{&job.RunAt}, nullTimeColumn{&job.LockedUntil}, &job.LockedBy, &job.LastError,
		timeColumn{&job.CreatedAt}, timeColumn{&job.UpdatedAt})
	job.Payload = json.RawMessage(payload)
	return job, err
}

// enqueue adds a job in the caller's transaction, so that the job exists exactly when the
// write that caused it does.
func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, kind string, payload any, now time.Time) (Job, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return Job{}, err
	}
	return scanJob(tx.QueryRowContext(ctx,
		`INSERT INTO "jobs" ("kind", "payload", "status", "attempts", "max_attempts", "run_at", "created_at", "updated_at")
		VALUES (?, ?, ?, 0, ?, ?, ?, ?) RETURNING `+jobColumns,
		kind, string(body), JobQueued, s.opts.JobMaxAttempts, timeText(now), timeText(now), timeText(now)))
}

// EnqueueJob adds a job due now, on its own.
func (s *Store) EnqueueJob(ctx context.Context, kind string, payload any) (Job, error) {
	var job Job
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		job, err = s.enqueue(ctx, tx, kind, payload, utcNow())
		return err
	})
	return job, err
}

// ClaimJob leases the next due job to worker until now+lease, or reports false when none is
// due. A job whose lease ran out (its worker died) is due again, unless that was its last
// attempt: then it is dead. Each is one statement, so no two workers get the same job.
func (s *Store) ClaimJob(ctx context.Context, worker string, now time.Time, lease time.Duration) (Job, bool, error) {
	_, err := s.writer.ExecContext(ctx,
		`UPDATE "jobs" SET "status" = ?, "last_error" = 'lease expired on the last attempt',
			"locked_until" = NULL, "locked_by" = NULL, "updated_at" = ?
		WHERE "status" = ? AND "locked_until" < ? AND "attempts" >= "max_attempts"`,
		JobDead, timeText(now), JobRunning, timeText(now))
	if err != nil {
		return Job{}, false, err
	}
	job, err := scanJob(s.writer.QueryRowContext(ctx,
		`UPDATE "jobs" SET "status" = ?, "attempts" = "attempts" + 1, "locked_by" = ?,
			"locked_until" = ?, "updated_at" = ?
		WHERE "id" = (
			SELECT "id" FROM "jobs"
			WHERE ("status" = ? AND "run_at" <= ?)
				OR ("status" = ? AND "locked_until" < ? AND "attempts" < "max_attempts")
			ORDER BY "run_at", "id" LIMIT 1
		) RETURNING `+jobColumns,
		JobRunning, worker, timeText(now.Add(lease)), timeText(now),
		JobQueued, timeText(now), JobRunning, timeText(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, false, nil
	}
	return job, err == nil, err
}

// CompleteJob marks a job worker holds as succeeded. A worker that lost its lease changes
// nothing: the job belongs to whoever claimed it since.
func (s *Store) CompleteJob(ctx context.Context, id int64, worker string, now time.Time) error {
	_, err := s.writer.ExecContext(ctx,
		`UPDATE "jobs" SET "status" = ?, "locked_until" = NULL, "locked_by" = NULL, "updated_at" = ?
		WHERE "id" = ? AND "locked_by" = ?`,
		JobSucceeded, timeText(now), id, worker)
	return err
}

// FailJob records why a job failed and queues it again at retryAt, or marks it dead when it
// has used all its attempts. Like CompleteJob, only the lease holder's call counts.
func (s *Store) FailJob(ctx context.Context, id int64, worker, reason string, now, retryAt time.Time) error {
	_, err := s.writer.ExecContext(ctx,
		`UPDATE "jobs" SET
			"status" = CASE WHEN "attempts" >= "max_attempts" THEN ? ELSE ? END,
			"run_at" = CASE WHEN "attempts" >= "max_attempts" THEN "run_at" ELSE ? END,
			"last_error" = ?, "locked_until" = NULL, "locked_by" = NULL, "updated_at" = ?
		WHERE "id" = ? AND "locked_by" = ?`,
		JobDead, JobQueued, timeText(retryAt), reason, timeText(now), id, worker)
	return err
}

// GetJob returns one job.
func (s *Store) GetJob(ctx context.Context, id int64) (Job, error) {
	job, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM "jobs" WHERE "id" = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, &NotFoundError{Resource: "job", ID: id}
	}
	return job, err
}

// ListJobs returns a page of jobs, newest first, and how many match in all.
func (s *Store) ListJobs(ctx context.Context, filter JobFilter, limit, offset int64) ([]Job, int64, error) {
	var conditions []string
	var args []any
	if filter.Kind != "" {
		conditions = append(conditions, `"kind" = ?`)
		args = append(args, filter.Kind)
	}
	if filter.Status != "" {
		conditions = append(conditions, `"status" = ?`)
		args = append(args, filter.Status)
	}
	where := ""
	if len(conditions) > 0 {
		where = " WHERE " + strings.Join(conditions, " AND ")
	}
	var total int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM "jobs"`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+jobColumns+` FROM "jobs"`+where+` ORDER BY "id" DESC LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	jobs := []Job{}
	for rows.Next() {
		job, err := scanJob(rows)
		if err != nil {
			return nil, 0, err
		}
		jobs = append(jobs, job)
	}
	return jobs, total, rows.Err()
}

package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// maxBatch is the most rows one ingest request may carry; a client with more sends several.
const maxBatch = 1000

// handleIngest serves POST /ingest/{plural}: one object, or an array of up to maxBatch objects,
// each validated as POST /api/v1/{plural} validates it. The rows and their jobs are written in
// one transaction, and only when every item is valid: a batch is stored whole or not at all.
// The response takes the request's shape: the created row, or the created rows in order.
func handleIngest[In, Row any](
	logger *slog.Logger,
	read func(*object) (In, error),
	insert func(context.Context, []In) ([]Row, error),
) http.Handler {
	return handleErrors(logger, func(w http.ResponseWriter, r *http.Request) error {
		objects, isBatch, err := decodeBatch(r)
		if err != nil {
			return err
		}
		inputs := make([]In, len(objects))
		problems := make([]error, 0, len(objects))
		for i, obj := range objects {
			in, err := read(obj)
			if err != nil && isBatch {
				err = atIndex(i, err)
			}
			inputs[i], problems = in, append(problems, err)
		}
		if err := joinValidation(problems...); err != nil {
			return err
		}
		rows, err := insert(r.Context(), inputs)
		// A lone object's problems are at ["body", field], not under an index.
		var batched interface{ Unbatch() }
		if !isBatch && errors.As(err, &batched) {
			batched.Unbatch()
		}
		if err != nil {
			return err
		}
		if isBatch {
			writeJSON(w, http.StatusCreated, rows)
		} else {
			writeJSON(w, http.StatusCreated, rows[0])
		}
		return nil
	})
}

// decodeBatch reads an ingest body, one JSON object or an array of them, and reports which.
func decodeBatch(r *http.Request) ([]*object, bool, error) {
	body, err := readJSON(r)
	if err != nil {
		return nil, false, err
	}
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		obj, err := parseObject(body)
		return []*object{obj}, false, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, true, err // readJSON checked the body is valid JSON: this cannot happen
	}
	switch {
	case len(items) == 0:
		return nil, true, invalid([]any{"body"}, "too_short", "List should have at least 1 item after validation, not 0")
	case len(items) > maxBatch:
		return nil, true, invalid([]any{"body"}, "too_long",
			fmt.Sprintf("List should have at most %d items after validation, not %d", maxBatch, len(items)))
	}
	objects := make([]*object, len(items))
	problems := make([]error, 0, len(items))
	for i, item := range items {
		obj, err := parseObject(item)
		if err != nil {
			problems = append(problems, atIndex(i, err))
		}
		objects[i] = obj
	}
	return objects, true, joinValidation(problems...)
}

// atIndex places the problems of a batch's item i under its index, as FastAPI does for a list
// body: ["body", "price"] becomes ["body", 3, "price"].
func atIndex(i int, err error) error {
	var invalid *ValidationError
	if !errors.As(err, &invalid) {
		return err
	}
	for j, d := range invalid.Detail {
		invalid.Detail[j].Loc = append([]any{d.Loc[0], i}, d.Loc[1:]...)
	}
	return invalid
}

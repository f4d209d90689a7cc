package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Problem is an error as a member is shown it: an HTTP status, a message key
// of the catalog ("<module>.err_<what>"; clients see <what> as the stable
// code), the message's arguments, and errors per form field. Handlers
// return one; Handler shows it as an error page, APIHandler as JSON, both in
// the member's language.
type Problem struct {
	Status int
	Key    string
	Args   []any
	// Fields are input errors per form field (field -> catalog key).
	Fields FieldErrors
	// Detail is a plain explanation for integrators (data.detail), in
	// English; the message stays the member's.
	Detail string
	// Err is the domain error shown (errors.Is and errors.As see through).
	Err error
}

func (p *Problem) Error() string {
	if p.Err != nil {
		return p.Key + ": " + p.Err.Error()
	}
	return p.Key
}

func (p *Problem) Unwrap() error { return p.Err }

// Code is the stable name of the problem for clients: the part of its key
// after "err_" ("sales.err_sold_out" -> "sold_out").
func (p *Problem) Code() string { return code(p.Key) }

func code(key string) string {
	if _, after, ok := strings.Cut(key, ".err_"); ok {
		return after
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// FieldErrors are input errors per form field: field name -> catalog key.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	keys := slices.Sorted(maps.Keys(f))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + f[k]
	}
	return "invalid input: " + strings.Join(parts, ", ")
}

// BadBody is the problem of a request body that cannot be read.
func BadBody(err error) *Problem {
	return &Problem{Status: http.StatusBadRequest, Key: "ui.err_bad_request", Err: err}
}

// Rule shows Err (and anything wrapping it) with Status and the message Key.
type Rule struct {
	Err    error
	Status int
	Key    string
}

// Problems is a module's table of rules, most specific first.
type Problems []Rule

// Explain returns how err is shown to a member: a *Problem as it is, form
// errors (FieldErrors) as a 400 naming each field, a domain error by the
// table. ok is false for errors of ours, which are logged and shown as a
// 500.
func (ps Problems) Explain(err error) (p *Problem, ok bool) {
	if errors.As(err, &p) {
		return p, true
	}
	var fe FieldErrors
	if errors.As(err, &fe) {
		return &Problem{Status: http.StatusBadRequest, Key: "ui.err_form", Fields: fe, Err: err}, true
	}
	for _, r := range ps {
		if errors.Is(err, r.Err) {
			return &Problem{Status: r.Status, Key: r.Key, Err: err}, true
		}
	}
	return &Problem{Status: http.StatusInternalServerError, Key: "ui.err_server", Err: err}, false
}

// Show returns err as a *Problem when the table knows it, and unchanged
// otherwise (an error of ours, which the handler wrappers log and answer
// 500). Handlers return problems.Show(err).
func (ps Problems) Show(err error) error {
	if err == nil {
		return nil
	}
	if p, ok := ps.Explain(err); ok {
		return p
	}
	return err
}

// Keys lists the message keys the table names (a test checks that each is
// in every language).
func (ps Problems) Keys() []string {
	out := make([]string, len(ps))
	for i, r := range ps {
		out[i] = r.Key
	}
	return out
}

// ProblemBody is the JSON answer of a problem in lang, the way PocketBase
// answers its own errors: {"status", "message", "data": {"code", ...}},
// with data.<field> = {"code", "message"} for each form field. The sales
// front encodes its answers once per language with it.
func (s *Shell) ProblemBody(lang Lang, p *Problem) []byte {
	data := map[string]any{"code": p.Code()}
	for field, key := range p.Fields {
		data[field] = map[string]string{"code": code(key), "message": s.Catalog.T(lang, key)}
	}
	if p.Detail != "" {
		data["detail"] = p.Detail
	}
	raw, err := json.Marshal(map[string]any{"status": p.Status, "message": s.Catalog.T(lang, p.Key, p.Args...), "data": data})
	if err != nil {
		panic(fmt.Sprintf("ui: problem %s: %v", p.Key, err)) // maps of strings always encode
	}
	return append(raw, '\n')
}

// writeProblem answers p as JSON in the request's language.
func (s *Shell) writeProblem(e *core.RequestEvent, p *Problem) error {
	e.Response.Header().Set("Content-Type", "application/json")
	e.Response.WriteHeader(p.Status)
	_, err := e.Response.Write(s.ProblemBody(s.Lang(e), p))
	return err
}

// apiError is how APIHandler answers an error: a problem as JSON, a
// PocketBase error as PocketBase answers it, anything else logged and
// answered as a 500 problem.
func (s *Shell) apiError(e *core.RequestEvent, err error) error {
	var p *Problem
	if errors.As(err, &p) {
		return s.writeProblem(e, p)
	}
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		return err
	}
	e.App.Logger().Error("ui: api failed", "path", e.Request.URL.Path, "error", err)
	if e.Written() {
		return nil
	}
	return s.writeProblem(e, &Problem{Status: http.StatusInternalServerError, Key: "ui.err_server"})
}

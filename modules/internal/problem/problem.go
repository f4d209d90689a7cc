// Package problem maps domain errors to what a member is shown: an HTTP
// status and a message key of the catalog. Each module keeps its own table;
// the lookup and the JSON error answer are shared.
package problem

import (
	"errors"

	"github.com/pocketbase/pocketbase/core"
)

// P is how an error is shown: a status and a catalog key.
type P struct {
	Status int
	Key    string
}

// Rule shows Err (and anything wrapping it) as P.
type Rule struct {
	Err error
	P   P
}

// Find returns the first rule matching err. ok is false for errors of ours,
// which the caller logs and answers as a 500.
func Find(err error, rules []Rule) (P, bool) {
	for _, r := range rules {
		if errors.Is(err, r.Err) {
			return r.P, true
		}
	}
	return P{Status: 500, Key: "error.500"}, false
}

// JSON answers a problem the way PocketBase answers its own errors:
// {"status", "message", "data"}, the message in the member's language.
func JSON(e *core.RequestEvent, p P, message string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	return e.JSON(p.Status, map[string]any{"status": p.Status, "message": message, "data": data})
}

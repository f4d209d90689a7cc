package problem

import (
	"errors"
	"fmt"
	"testing"
)

func TestFind(t *testing.T) {
	errA := errors.New("a")
	rules := []Rule{{Err: errA, P: P{Status: 409, Key: "k.a"}}}
	if p, ok := Find(fmt.Errorf("wrapped: %w", errA), rules); !ok || p.Status != 409 || p.Key != "k.a" {
		t.Errorf("Find(wrapped a) = %+v, %v", p, ok)
	}
	if p, ok := Find(errors.New("other"), rules); ok || p.Status != 500 {
		t.Errorf("Find(other) = %+v, %v, want a 500 and false", p, ok)
	}
}

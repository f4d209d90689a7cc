// Package sheet writes CSV files that staff open in a spreadsheet. Every
// cell a member could have typed is defused, so a name like "=HYPERLINK(...)"
// stays text instead of becoming a formula (CSV injection).
package sheet

import (
	"encoding/csv"
	"io"
)

// Cell returns s so that no spreadsheet reads it as a formula: a cell that
// starts with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe. Spreadsheets skip a leading tab or carriage return and then
// read what follows as a formula, so those are defused too.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Writer is a csv.Writer that defuses every cell.
type Writer struct {
	w   *csv.Writer
	buf []string
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one row, each cell through Cell.
func (w *Writer) Write(row ...string) error {
	w.buf = w.buf[:0]
	for _, c := range row {
		w.buf = append(w.buf, Cell(c))
	}
	return w.w.Write(w.buf)
}

// Flush writes any buffered rows and returns the first error of the file.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

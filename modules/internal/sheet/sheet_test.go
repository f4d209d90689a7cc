package sheet

import (
	"bytes"
	"testing"
)

func TestCell(t *testing.T) {
	cases := map[string]string{
		"":                     "",
		"Ana":                  "Ana",
		"=1+1":                 "'=1+1",
		"+86 138":              "'+86 138",
		"-5":                   "'-5",
		"@SUM(A1)":             "'@SUM(A1)",
		"\t=HYPERLINK(\"x\")":  "'\t=HYPERLINK(\"x\")",
		"\r=cmd|' /C calc'!A0": "'\r=cmd|' /C calc'!A0",
		"a=b":                  "a=b",
		"米粉":                   "米粉",
	}
	for in, want := range cases {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriterDefusesEveryCell(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Write("id", "=evil", "\tx"); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "id,'=evil,'\tx\n"; got != want {
		t.Errorf("csv = %q, want %q", got, want)
	}
}

// Package modules_test checks the one structural rule of Canyu: feature
// modules never import each other; they share only hooks/, ui/ and
// modules/internal/.
package modules_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const prefix = "github.com/canyu/canyu/modules/"

func TestModulesDoNotImportEachOther(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		var files []string
		filepath.WalkDir(name, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
				files = append(files, p)
			}
			return err
		})
		for _, f := range files {
			checked++
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range ast.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(path, prefix) {
					continue
				}
				other := strings.SplitN(strings.TrimPrefix(path, prefix), "/", 2)[0]
				switch {
				case name == "internal" && other != "internal":
					t.Errorf("%s imports module %s: modules/internal must know no module", f, path)
				case name != "internal" && other != "internal" && other != name:
					t.Errorf("%s imports module %s: modules talk through hooks/, never by import", f, path)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no module files found")
	}
}

// Package benchdata fills a benchmark's database straight in SQL (bcrypt
// would take hours for hundreds of thousands of members) and hands the load
// generator one auth token per member.
package benchdata

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
	"golang.org/x/crypto/bcrypt"
)

// MemberID is the id of the i-th benchmark member.
func MemberID(i int) string { return fmt.Sprintf("bm%013d", i) }

// Members inserts n verified members with verified phones (bm<i>@bench.canyu,
// password "bench-password") and writes their auth tokens, one per line in
// member order, to dir/tokens.txt.
func Members(app core.App, dir string, n int) error {
	hash, _ := bcrypt.GenerateFromPassword([]byte("bench-password"), 4)
	now := types.NowDateTime().String()
	keys := make([]string, n)
	err := Bulk(app, "INSERT INTO users (id, email, emailVisibility, verified, password, tokenKey, name, phone, phone_verified, created, updated) VALUES (?, ?, 0, 1, ?, ?, ?, ?, ?, ?, ?)",
		n, func(i int) []any {
			keys[i] = security.RandomString(50)
			return []any{MemberID(i), fmt.Sprintf("bm%d@bench.canyu", i), string(hash), keys[i], fmt.Sprintf("Member %d", i),
				fmt.Sprintf("+861%010d", i), now, now, now}
		})
	if err != nil {
		return err
	}
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	f, err := os.Create(dir + "/tokens.txt")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i, key := range keys {
		r := core.NewRecord(users)
		r.Id = MemberID(i)
		r.Set("tokenKey", key)
		tok, err := r.NewAuthToken()
		if err != nil {
			return err
		}
		w.WriteString(tok + "\n")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// ReadTokens returns one auth token per member, by member index.
func ReadTokens(dir string) []string {
	f, err := os.Open(dir + "/tokens.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return out
}

// Bulk runs one prepared statement n times in a single transaction.
func Bulk(app core.App, query string, n int, args func(i int) []any) error {
	d := app.NonconcurrentDB().(*dbx.DB).DB()
	tx, err := d.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(query)
	if err != nil {
		return err
	}
	for i := range n {
		if _, err := stmt.Exec(args(i)...); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
	}
	return tx.Commit()
}

// WritePlan keeps what a bench's setup leaves for its other roles
// (dir/plan.json).
func WritePlan(dir string, p any) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(dir+"/plan.json", b, 0o644)
}

// ReadPlan returns the plan setup left in dir; a missing or broken plan
// ends the run.
func ReadPlan[T any](dir string) T {
	var p T
	b, err := os.ReadFile(dir + "/plan.json")
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		log.Fatal(err)
	}
	return p
}

// Command releasesbench measures Orange Friday at 17:00: the crowd opening
// the new release's page, the brands' sites asking "what's new", and the
// members who upgraded casting their Popcorn ballots. bench/releases.sh runs
// it all:
//
//	releasesbench -role setup -dir D -members N
//	releasesbench -role page|news|vote -dir D -addr 127.0.0.1:PORT -conns 64 -duration 20s
//	releasesbench -role verify -dir D
//
// Everything targets loopback and stops by itself.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/bench/internal/benchdata"
	"github.com/canyu/canyu/bench/internal/cpustat"
	"github.com/canyu/canyu/bench/internal/loadgen"
	_ "github.com/canyu/canyu/pb_migrations"
)

// plan is what setup leaves for the other roles (plan.json in the data dir).
type plan struct {
	Members int      `json:"members"`
	Release string   `json:"release"`
	Items   []string `json:"items"`
}

func main() {
	role := flag.String("role", "", "setup, page, news, vote or verify")
	dir := flag.String("dir", "", "data directory")
	addr := flag.String("addr", "127.0.0.1:18390", "server address (loopback only)")
	members := flag.Int("members", 20000, "setup: members, each of whom upgraded")
	conns := flag.Int("conns", 64, "keep-alive connections")
	duration := flag.Duration("duration", 20*time.Second, "how long to send")
	flag.Parse()
	if !strings.HasPrefix(*addr, "127.") && !strings.HasPrefix(*addr, "localhost:") {
		log.Fatal("releasesbench only targets loopback addresses")
	}
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	switch *role {
	case "setup":
		if err := setup(*dir, *members); err != nil {
			log.Fatal(err)
		}
	case "page":
		p := benchdata.ReadPlan[plan](*dir)
		get(*addr, *conns, *duration, "/releases/"+p.Release, "the release page (GET, guests)")
	case "news":
		get(*addr, *conns, *duration, "/api/releases/whats-new?product=bench-os", "what's new (GET, the widget on brand sites)")
	case "vote":
		vote(benchdata.ReadPlan[plan](*dir), benchdata.ReadTokens(*dir), *addr, *conns, *duration)
	case "verify":
		if err := verify(*dir); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown role %q", *role)
	}
}

// setup: the members, a product, a published stable release with six
// changes (two of them linked to forum needs), and every member marked as
// upgraded, so each may vote.
func setup(dir string, n int) error {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	if err := app.RunAllMigrations(); err != nil {
		return err
	}
	start := time.Now()
	if err := benchdata.Members(app, dir, n); err != nil {
		return err
	}
	save := func(collection string, fields map[string]any) (*core.Record, error) {
		col, err := app.FindCollectionByNameOrId(collection)
		if err != nil {
			return nil, err
		}
		r := core.NewRecord(col)
		for k, v := range fields {
			r.Set(k, v)
		}
		return r, app.Save(r)
	}
	board, err := save("forum_boards", map[string]any{"name": "System", "slug": "system", "kinds": []string{"request"}})
	if err != nil {
		return err
	}
	var needs []string
	for i, title := range []string{"Night mode for the gallery", "通话录音按联系人分类"} {
		t, err := save("forum_topics", map[string]any{"board": board.Id, "kind": "request", "title": title, "author": benchdata.MemberID(i), "status": "new", "metoo_count": 1200 - i*400})
		if err != nil {
			return err
		}
		needs = append(needs, t.Id)
	}
	product, err := save("releases_products", map[string]any{"name": "Bench OS", "name_zh": "测试 OS", "slug": "bench-os"})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	rel, err := save("releases_releases", map[string]any{"product": product.Id, "version": "2.4.2", "channel": "stable", "title": "The gallery goes dark",
		"summary": "Night mode arrives in the gallery, as you asked in the forum. **Update today.**", "status": "published",
		"publish_at": now, "published": now, "votes_close": now.Add(7 * 24 * time.Hour), "author": benchdata.MemberID(0)})
	if err != nil {
		return err
	}
	p := plan{Members: n, Release: rel.Id}
	texts := []string{"**Night mode for the gallery**: it follows the system's dark mode.", "通话录音按联系人分组，可以搜索。",
		"Switching to 4K video no longer freezes the preview.", "Battery: the screen-off drain is down by a fifth.",
		"Bluetooth earbuds reconnect after a call.", "A few third-party launchers ignore the dark gallery icon."}
	for i, text := range texts {
		fields := map[string]any{"release": rel.Id, "category": []string{"new", "improved", "fixed", "improved", "fixed", "known"}[i],
			"text": text, "recommended": i < 2, "position": i}
		if i < len(needs) {
			fields["topics"] = []string{needs[i]}
		}
		it, err := save("releases_items", fields)
		if err != nil {
			return err
		}
		p.Items = append(p.Items, it.Id)
	}
	created := types.NowDateTime().String()
	if err := benchdata.Bulk(app, "INSERT INTO releases_upgrades (id, release, member, created) VALUES (?, ?, ?, ?)", n,
		func(i int) []any { return []any{fmt.Sprintf("bu%013d", i), rel.Id, benchdata.MemberID(i), created} }); err != nil {
		return err
	}
	if err := benchdata.WritePlan(dir, p); err != nil {
		return err
	}
	fmt.Printf("setup: %d members who upgraded, release %s, in %s\n", n, rel.Id, time.Since(start).Round(time.Millisecond))
	return nil
}

// get sends GET path over conns connections for duration.
func get(addr string, conns int, duration time.Duration, path, what string) {
	cs := loadgen.DialSpread(addr, conns)
	deadline := time.Now().Add(duration)
	cpu0 := cpustat.Read()
	res := loadgen.Run(cs, func() bool { return time.Now().After(deadline) }, func(_ int64, c *loadgen.Conn, r *loadgen.Recorder, start time.Time) bool {
		_, status := loadgen.Timed(c, r, start, "GET", path, "", nil, nil)
		return status != 0
	})
	res.Print(what)
	loadgen.PrintMachine(cpu0)
}

// vote: members cast ballots back to back, each request from the next
// member in a shuffled order (a member's first ballot is a 201, a later one
// changes it, a 200), for duration.
func vote(p plan, tokens []string, addr string, conns int, duration time.Duration) {
	order := rand.Perm(len(tokens))
	cs := loadgen.DialSpread(addr, conns)
	path := "/api/releases/" + p.Release + "/ballot"
	deadline := time.Now().Add(duration)
	cpu0 := cpustat.Read()
	res := loadgen.Run(cs, func() bool { return time.Now().After(deadline) }, func(n int64, c *loadgen.Conn, r *loadgen.Recorder, start time.Time) bool {
		i := order[int(n)%len(order)]
		body := fmt.Sprintf(`{"mood":%d,"loved":%q,"weakest":%q,"next_text":"A dark keyboard"}`, 1+i%5, p.Items[i%2], p.Items[2+i%4])
		_, status := loadgen.Timed(c, r, start, "POST", path, tokens[i], nil, []byte(body))
		return status != 0
	})
	res.Print("Popcorn ballots (POST, each stored before its answer)")
	loadgen.PrintMachine(cpu0)
	fmt.Printf("  first ballots: %d, changed: %d\n", res.Statuses[201], res.Statuses[200])
}

// verify checks the ballots after the run: one per member at most, each
// from a member who upgraded, and the tally's voters equal to them.
func verify(dir string) error {
	p := benchdata.ReadPlan[plan](dir)
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	var ballots, members, strangers int
	q := func(sql string, dst *int) error {
		return app.DB().NewQuery(sql).Bind(dbx.Params{"r": p.Release}).Row(dst)
	}
	if err := q("SELECT COUNT(*) FROM releases_ballots WHERE release = {:r}", &ballots); err != nil {
		return err
	}
	if err := q("SELECT COUNT(DISTINCT member) FROM releases_ballots WHERE release = {:r}", &members); err != nil {
		return err
	}
	if err := q("SELECT COUNT(*) FROM releases_ballots b WHERE release = {:r} AND NOT EXISTS (SELECT 1 FROM releases_upgrades u WHERE u.release = b.release AND u.member = b.member)", &strangers); err != nil {
		return err
	}
	fmt.Printf("verify: %d ballots from %d members, %d from members who did not upgrade\n", ballots, members, strangers)
	if ballots != members || strangers != 0 {
		return fmt.Errorf("verify: ballots broke a limit")
	}
	return nil
}

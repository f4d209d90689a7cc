// Command meetupsbench measures Popcorn's two rushes: the opening of RSVPs
// for a 400-seat event with 4,000 members trying at the same moment, and
// the door, one organizer checking tickets in as fast as the server answers.
// bench/meetups.sh runs it all:
//
//	meetupsbench -role setup -dir D -members 4000 -seats 400 -opens-in 40s
//	meetupsbench -role rsvp -dir D -addr 127.0.0.1:PORT
//	meetupsbench -role door -dir D -addr 127.0.0.1:PORT -doors 1
//	meetupsbench -role verify -dir D
//
// Everything targets loopback and stops by itself.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/bench/internal/benchdata"
	"github.com/canyu/canyu/bench/internal/cpustat"
	"github.com/canyu/canyu/bench/internal/loadgen"
	_ "github.com/canyu/canyu/pb_migrations"
)

// plan is what setup leaves for the other roles (plan.json in the data dir).
type plan struct {
	Members int       `json:"members"`
	Seats   int       `json:"seats"`
	Event   string    `json:"event"`
	Opens   time.Time `json:"opens"`
	Staff   int       `json:"staff"` // the index of the organizer among the members
}

func main() {
	role := flag.String("role", "", "setup, rsvp, door or verify")
	dir := flag.String("dir", "", "data directory")
	addr := flag.String("addr", "127.0.0.1:18590", "server address (loopback only)")
	members := flag.Int("members", 4000, "setup: members who try at the opening")
	seats := flag.Int("seats", 400, "setup: the event's seats")
	opensIn := flag.Duration("opens-in", 40*time.Second, "setup: RSVPs open this long after setup")
	doors := flag.Int("doors", 1, "door: organizers checking in at once")
	flag.Parse()
	if !strings.HasPrefix(*addr, "127.") && !strings.HasPrefix(*addr, "localhost:") {
		log.Fatal("meetupsbench only targets loopback addresses")
	}
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	switch *role {
	case "setup":
		if err := setup(*dir, *members, *seats, time.Now().Add(*opensIn).Truncate(time.Second)); err != nil {
			log.Fatal(err)
		}
	case "rsvp":
		rsvp(benchdata.ReadPlan[plan](*dir), benchdata.ReadTokens(*dir), *addr)
	case "door":
		door(benchdata.ReadPlan[plan](*dir), benchdata.ReadTokens(*dir), *addr, *doors)
	case "verify":
		if err := verify(*dir); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown role %q", *role)
	}
}

// setup: the members (the last one is staff, the organizer at the door)
// and a published official event whose RSVPs open at opens.
func setup(dir string, n, seats int, opens time.Time) error {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	if err := app.RunAllMigrations(); err != nil {
		return err
	}
	start := time.Now()
	if err := benchdata.Members(app, dir, n+1); err != nil {
		return err
	}
	staff := n
	if _, err := app.DB().NewQuery(`UPDATE users SET roles = '["staff"]' WHERE id = {:id}`).Bind(dbx.Params{"id": benchdata.MemberID(staff)}).Execute(); err != nil {
		return err
	}
	// the door's device sits on the venue's network, which an admin excludes
	// from PocketBase's budget per address (600 API requests per 10 s) in the
	// dashboard; the members' addresses keep it
	settings := app.Settings()
	settings.RateLimits.ExcludedIPs = []string{doorAddr}
	if err := app.Save(settings); err != nil {
		return err
	}
	col, err := app.FindCollectionByNameOrId("meetups_events")
	if err != nil {
		return err
	}
	ev := core.NewRecord(col)
	day := opens.Add(7 * 24 * time.Hour)
	for k, v := range map[string]any{"kind": "official", "title": "Orange 15 launch party", "starts": day, "ends": day.Add(3 * time.Hour),
		"venue": "Canyu Space", "capacity": seats, "rsvp_opens": opens, "status": "published", "created_by": benchdata.MemberID(staff)} {
		ev.Set(k, v)
	}
	if err := app.Save(ev); err != nil {
		return err
	}
	p := plan{Members: n, Seats: seats, Event: ev.Id, Opens: opens, Staff: staff}
	if err := benchdata.WritePlan(dir, p); err != nil {
		return err
	}
	fmt.Printf("setup: %d members, event %s with %d seats opening at %s, in %s\n", n, ev.Id, seats, opens.Format(time.TimeOnly),
		time.Since(start).Round(time.Millisecond))
	return nil
}

// rsvp: every member opens a connection and waits on the event's page;
// at the opening each sends one RSVP, all in the same moment.
func rsvp(p plan, tokens []string, addr string) {
	cs := loadgen.DialSpread(addr, p.Members)
	path := "/api/meetups/" + p.Event + "/rsvp"
	fmt.Printf("rsvp: %d connections open; the opening is in %s\n", len(cs), time.Until(p.Opens).Round(time.Millisecond))
	time.Sleep(time.Until(p.Opens) + 5*time.Millisecond)
	cpu0 := cpustat.Read()
	rs := make([]*loadgen.Recorder, len(cs))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range cs {
		rs[i] = loadgen.NewRecorder()
		wg.Go(func() { loadgen.Timed(c, rs[i], start, "POST", path, tokens[i], nil, []byte(`{}`)) })
	}
	wg.Wait()
	res := loadgen.Merge(rs, time.Since(start))
	res.Print(fmt.Sprintf("RSVPs at the opening (%d members at once, %d seats)", len(cs), p.Seats))
	loadgen.PrintMachine(cpu0)
	fmt.Printf("  last answer after %s\n", loadgen.MS(res.Pct(1)))
}

// door: the organizer fetches the tickets of the members going (as each
// member's phone would show it), then checks them in back to back, from
// doors devices at once.
func door(p plan, tokens []string, addr string, doors int) {
	var going []int
	for i := range p.Members {
		going = append(going, i)
	}
	cs := loadgen.DialSpread(addr, 16)
	codes := make([]string, 0, p.Seats)
	var mu sync.Mutex
	loadgen.Run(cs, func() bool { return false }, func(n int64, c *loadgen.Conn, r *loadgen.Recorder, start time.Time) bool {
		if n >= int64(len(going)) {
			return false
		}
		b, status := loadgen.Timed(c, r, start, "GET", "/api/meetups/"+p.Event+"/ticket", tokens[going[n]], nil, nil)
		if status == 200 {
			var t struct{ Code string }
			if json.Unmarshal(b, &t) == nil {
				mu.Lock()
				codes = append(codes, t.Code)
				mu.Unlock()
			}
		}
		return status != 0
	})
	fmt.Printf("door: %d tickets to check in, %d door(s)\n", len(codes), doors)
	staff := tokens[p.Staff]
	ds := make([]*loadgen.Conn, doors)
	for i := range ds {
		c, err := loadgen.DialFrom(addr, &net.TCPAddr{IP: net.ParseIP(doorAddr)})
		if err != nil {
			log.Fatal(err)
		}
		ds[i] = c
	}
	cpu0 := cpustat.Read()
	res := loadgen.Run(ds, func() bool { return false }, func(n int64, c *loadgen.Conn, r *loadgen.Recorder, start time.Time) bool {
		if n >= int64(len(codes)) {
			return false
		}
		b, status := loadgen.Timed(c, r, start, "POST", "/api/meetups/"+p.Event+"/checkin", staff, nil, []byte(`{"code":"`+codes[n]+`"}`))
		if status == 429 {
			refusedOnce.Do(func() { fmt.Printf("  first refusal: %s\n", b) })
		}
		return status != 0
	})
	res.Print(fmt.Sprintf("check-ins (%d door(s), each waits for its answer before the next scan)", doors))
	loadgen.PrintMachine(cpu0)
}

var refusedOnce sync.Once

// doorAddr is the door's source address (no member uses it).
const doorAddr = "127.0.0.252"

// verify checks the seats after the run: never more going than seats, the
// line numbered without gaps, each member down once.
func verify(dir string) error {
	p := benchdata.ReadPlan[plan](dir)
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	var going, waiting, rows, members, checked int
	q := func(sql string, dst *int) error {
		return app.DB().NewQuery(sql).Bind(dbx.Params{"e": p.Event}).Row(dst)
	}
	for _, c := range []struct {
		sql string
		dst *int
	}{
		{"SELECT COUNT(*) FROM meetups_rsvps WHERE event = {:e} AND status IN ('going', 'offered')", &going},
		{"SELECT COUNT(*) FROM meetups_rsvps WHERE event = {:e} AND status = 'waitlist'", &waiting},
		{"SELECT COUNT(*) FROM meetups_rsvps WHERE event = {:e}", &rows},
		{"SELECT COUNT(DISTINCT member) FROM meetups_rsvps WHERE event = {:e}", &members},
		{"SELECT COUNT(*) FROM meetups_rsvps WHERE event = {:e} AND checked_in != ''", &checked},
	} {
		if err := q(c.sql, c.dst); err != nil {
			return err
		}
	}
	fmt.Printf("verify: %d going of %d seats, %d in line, %d RSVPs from %d members, %d checked in\n", going, p.Seats, waiting, rows, members, checked)
	if going > p.Seats || rows != members {
		return fmt.Errorf("verify: a limit broke")
	}
	return nil
}

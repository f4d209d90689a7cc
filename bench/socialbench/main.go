// Command socialbench measures direct messages delivered live: 2,000 members
// online (each a WebSocket following their conversation and their unread
// count), half of them writing to the other half at a steady rate. A message
// counts as delivered when the reader's page, told by the live hub, has
// fetched it (GET /api/messages/{id}?after=N), as the conversation page
// does. bench/social.sh runs it all:
//
//	socialbench -role setup -dir D -members 2000
//	socialbench -role run -dir D -addr 127.0.0.1:PORT -rate 200 -duration 20s
//
// Everything targets loopback and stops by itself.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/bench/internal/benchdata"
	"github.com/canyu/canyu/bench/internal/cpustat"
	"github.com/canyu/canyu/bench/internal/loadgen"
	_ "github.com/canyu/canyu/pb_migrations"
)

// plan is what setup leaves for the run (plan.json in the data dir):
// conversation i is between member i and member i+Pairs.
type plan struct {
	Pairs int      `json:"pairs"`
	Convs []string `json:"convs"`
}

func main() {
	role := flag.String("role", "", "setup or run")
	dir := flag.String("dir", "", "data directory")
	addr := flag.String("addr", "127.0.0.1:18990", "server address (loopback only)")
	members := flag.Int("members", 2000, "setup: members online, in pairs")
	rate := flag.Int("rate", 200, "run: messages sent per second")
	duration := flag.Duration("duration", 20*time.Second, "run: how long to send")
	flag.Parse()
	if !strings.HasPrefix(*addr, "127.") && !strings.HasPrefix(*addr, "localhost:") {
		log.Fatal("socialbench only targets loopback addresses")
	}
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	switch *role {
	case "setup":
		if err := setup(*dir, *members/2); err != nil {
			log.Fatal(err)
		}
	case "run":
		run(benchdata.ReadPlan[plan](*dir), benchdata.ReadTokens(*dir), *addr, *rate, *duration)
	default:
		log.Fatalf("unknown role %q", *role)
	}
}

// setup: 2n members and n conversations of two, straight in SQL.
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
	if err := benchdata.Members(app, dir, 2*n); err != nil {
		return err
	}
	now := types.NowDateTime().String()
	convs := make([]string, n)
	for i := range convs {
		convs[i] = fmt.Sprintf("bc%013d", i)
	}
	pair := func(i int) string {
		ids := []string{benchdata.MemberID(i), benchdata.MemberID(i + n)}
		slices.Sort(ids)
		return ids[0] + ":" + ids[1]
	}
	err := benchdata.Bulk(app, "INSERT INTO social_conversations (id, title, pair, created_by, created, last_message, messages) VALUES (?, '', ?, ?, ?, ?, 0)",
		n, func(i int) []any { return []any{convs[i], pair(i), benchdata.MemberID(i), now, now} })
	if err != nil {
		return err
	}
	err = benchdata.Bulk(app, "INSERT INTO social_participants (id, conversation, member, unread, unread_since, emailed, last_message, \"left\") VALUES (?, ?, ?, 0, '', '', ?, FALSE)",
		2*n, func(i int) []any { return []any{fmt.Sprintf("bp%013d", i), convs[i%n], benchdata.MemberID(i), now} })
	if err != nil {
		return err
	}
	if err := benchdata.WritePlan(dir, plan{Pairs: n, Convs: convs}); err != nil {
		return err
	}
	fmt.Printf("setup: %d members in %d conversations of two, in %s\n", 2*n, n, time.Since(start).Round(time.Millisecond))
	return nil
}

func source(i int) *net.TCPAddr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%250))} }

// run connects every member, then sends rate messages a second for
// duration, each from one member of a pair to the other in turn, and times
// each from its POST to its reader having fetched it.
func run(p plan, tokens []string, addr string, rate int, duration time.Duration) {
	n := p.Pairs
	member := func(i int) string { return fmt.Sprintf("bm%013d", i) }
	var (
		mu        sync.Mutex
		sentAt    = make([]time.Time, n) // the pending send of each conversation
		lat       []time.Duration
		delivered atomic.Int64
		fetchErrs atomic.Int64
	)
	// readers fetch through a pool of keep-alive connections
	pool := make(chan *loadgen.Conn, 250)
	for i := range 250 {
		c, err := loadgen.DialFrom(addr, source(i))
		if err != nil {
			log.Fatal(err)
		}
		pool <- c
	}
	var ready sync.WaitGroup
	ready.Add(2 * n)
	start := time.Now()
	for i := range 2 * n {
		go func() {
			conv := i % n
			d := websocket.Dialer{NetDialContext: (&net.Dialer{LocalAddr: source(i), Timeout: 30 * time.Second}).DialContext, HandshakeTimeout: 30 * time.Second}
			h := http.Header{"Authorization": {tokens[i]}}
			c, _, err := d.Dial("ws://"+addr+"/api/live", h)
			if err != nil {
				log.Fatalf("member %d: %v", i, err)
			}
			if err := c.WriteJSON(map[string]any{"type": "subscribe", "channels": []string{"dm:" + p.Convs[conv], "member:" + member(i)}}); err != nil {
				log.Fatal(err)
			}
			ready.Done() // the hub answers only refusals; a refusal ends the run
			seen := 0
			for {
				var f struct {
					Type    string         `json:"type"`
					Channel string         `json:"channel"`
					Message string         `json:"message"`
					Data    map[string]any `json:"data"`
				}
				if err := c.ReadJSON(&f); err != nil {
					return
				}
				if f.Type == "error" {
					log.Fatalf("member %d: %s", i, f.Message)
				}
				if f.Channel != "dm:"+p.Convs[conv] {
					continue
				}
				seq, _ := f.Data["seq"].(float64)
				if int(seq) <= seen {
					continue
				}
				// the page fetches what is new; the sender's own page too, but
				// only the reader's fetch is timed
				hc := <-pool
				status, body, err := hc.Do("GET", fmt.Sprintf("/api/messages/%s?after=%d", p.Convs[conv], seen), tokens[i], nil, nil)
				var got struct {
					Messages []struct {
						Seq    int `json:"seq"`
						Author struct {
							ID string `json:"id"`
						} `json:"author"`
					} `json:"messages"`
				}
				if err != nil || status != 200 || json.Unmarshal(body, &got) != nil {
					fetchErrs.Add(1)
					pool <- hc
					continue
				}
				pool <- hc
				now := time.Now()
				for _, m := range got.Messages {
					seen = max(seen, m.Seq)
					if m.Author.ID != member(i) {
						delivered.Add(1)
						mu.Lock()
						if t0 := sentAt[conv]; !t0.IsZero() {
							lat = append(lat, now.Sub(t0))
						}
						mu.Unlock()
					}
				}
			}
		}()
	}
	ready.Wait()
	time.Sleep(time.Second) // the subscriptions settle
	fmt.Printf("online: %d members connected and following their conversation, in %s\n", 2*n, time.Since(start).Round(time.Millisecond))

	// senders: one connection per source address
	type sender struct {
		c *loadgen.Conn
		r *loadgen.Recorder
	}
	senders := make(chan sender, 250)
	var recs []*loadgen.Recorder
	for i := range 250 {
		c, err := loadgen.DialFrom(addr, source(i))
		if err != nil {
			log.Fatal(err)
		}
		r := loadgen.NewRecorder()
		recs = append(recs, r)
		senders <- sender{c, r}
	}
	cpu0 := cpustat.Read()
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	sendStart := time.Now()
	k := 0
	for time.Since(sendStart) < duration {
		<-tick.C
		conv := k % n
		from := conv // turn by turn: i writes, then i+n answers
		if (k/n)%2 == 1 {
			from = conv + n
		}
		k++
		wg.Go(func() {
			sd := <-senders
			defer func() { senders <- sd }()
			mu.Lock()
			sentAt[conv] = time.Now()
			mu.Unlock()
			body := fmt.Appendf(nil, `{"body":"message %d, **bench**"}`, k)
			loadgen.Timed(sd.c, sd.r, sendStart, "POST", "/api/messages/"+p.Convs[conv], tokens[from], nil, body)
		})
	}
	wg.Wait()
	elapsed := time.Since(sendStart)
	time.Sleep(2 * time.Second) // the last deliveries
	res := loadgen.Merge(recs, elapsed)
	res.Print(fmt.Sprintf("messages sent (%d/s asked, %d members online)", rate, 2*n))
	loadgen.PrintMachine(cpu0)
	mu.Lock()
	d := slices.Clone(lat)
	mu.Unlock()
	slices.Sort(d)
	fmt.Printf("delivered live: %d of %d messages read by their reader's open page (%d fetch errors)\n", delivered.Load(), res.Statuses[201], fetchErrs.Load())
	if len(d) > 0 {
		fmt.Printf("  send to read: p50 %s  p90 %s  p99 %s  max %s\n", loadgen.MS(loadgen.Pct(d, 0.5)), loadgen.MS(loadgen.Pct(d, 0.9)),
			loadgen.MS(loadgen.Pct(d, 0.99)), loadgen.MS(d[len(d)-1]))
	}
}

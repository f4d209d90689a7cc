// Command salesbench measures Red Tuesday on this machine: reservations per
// second, the sale moment (purchase attempts per second, time to sell out),
// and the same sale moment against the plain PocketBase way a newcomer
// would write (a REST create on an orders collection with a hook that checks
// and decrements the stock in a transaction). bench/sales.sh runs it all:
//
//	salesbench -role setup -kind canyu|naive -dir D -members N -reserved R -stock S -opens-in 60s
//	salesbench -role naive-serve -dir D -addr 127.0.0.1:PORT
//	salesbench -role trivial-serve -dir D -addr 127.0.0.1:PORT   (the ceiling: a constant answer)
//	salesbench -role reserve -dir D -addr 127.0.0.1:PORT -conns 256 -duration 60s
//	salesbench -role buy -kind canyu|naive -dir D -addr 127.0.0.1:PORT -conns 1000 -duration 10s
//	salesbench -role verify -kind canyu|naive -dir D
//
// Everything targets loopback and stops by itself.
package main

import (
	"flag"
	"log"
	"runtime/debug"
	"strings"
	"time"

	"github.com/canyu/canyu/bench/internal/benchdata"
)

// plan is what setup leaves for the other roles (plan.json in the data dir).
type plan struct {
	Kind        string    `json:"kind"`
	Members     int       `json:"members"`
	Reserved    int       `json:"reserved"`   // members [0, Reserved) reserved the buy sale
	Unreserved  int       `json:"unreserved"` // then members that did not (their attempts are refused)
	Stock       int       `json:"stock"`
	ReserveSale string    `json:"reserve_sale"` // canyu: the sale open for reservations
	BuySale     string    `json:"buy_sale"`     // canyu: the sale; naive: the product
	Opens       time.Time `json:"opens"`
	PowBits     int       `json:"pow_bits"`
}

func main() {
	role := flag.String("role", "", "setup, naive-serve, reserve, buy or verify")
	kind := flag.String("kind", "canyu", "canyu or naive")
	dir := flag.String("dir", "", "data directory")
	addr := flag.String("addr", "127.0.0.1:18190", "server address (loopback only)")
	members := flag.Int("members", 200000, "setup: members to create")
	reserved := flag.Int("reserved", 100000, "setup: members who reserved the sale")
	unreserved := flag.Int("unreserved", 10000, "setup: members who did not reserve (and try anyway)")
	stock := flag.Int("stock", 10000, "setup: units on sale")
	opensIn := flag.Duration("opens-in", time.Minute, "setup: the sale opens this long after setup")
	powBits := flag.Int("pow-bits", 4, "setup/reserve: proof-of-work difficulty the server was started with")
	conns := flag.Int("conns", 1000, "keep-alive connections")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	acked := flag.String("acked", "", "buy: write the ids of confirmed orders here; verify: check each is stored")
	flag.Parse()
	if !strings.HasPrefix(*addr, "127.") && !strings.HasPrefix(*addr, "localhost:") {
		log.Fatal("salesbench only targets loopback addresses")
	}
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	switch *role {
	case "setup":
		p := plan{Kind: *kind, Members: *members, Reserved: *reserved, Unreserved: *unreserved, Stock: *stock,
			Opens: time.Now().Add(*opensIn).Truncate(time.Second), PowBits: *powBits}
		if err := setup(*dir, &p); err != nil {
			log.Fatal(err)
		}
		writePlan(*dir, p)
	case "naive-serve":
		naiveServe(*dir, *addr)
	case "trivial-serve":
		trivialServe(*addr)
	case "reserve":
		debug.SetGCPercent(400)
		reserve(benchdata.ReadPlan[plan](*dir), benchdata.ReadTokens(*dir), *addr, *conns, *duration)
	case "buy":
		debug.SetGCPercent(400)
		buy(benchdata.ReadPlan[plan](*dir), benchdata.ReadTokens(*dir), *addr, *conns, *duration, *acked)
	case "verify":
		if err := verify(*dir, benchdata.ReadPlan[plan](*dir), *acked); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown role %q", *role)
	}
}

func writePlan(dir string, p plan) {
	if err := benchdata.WritePlan(dir, p); err != nil {
		log.Fatal(err)
	}
}

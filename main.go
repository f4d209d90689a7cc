// Command canyu is a self-hosted participation suite on PocketBase: members,
// notifications, a forum, reservation-based sales, live counters, plugins and
// webhooks in one binary (wire.go lists the modules).
//
// Wiring only: config -> pocketbase.New -> modules -> Start.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	_ "time/tzdata" // the brand's time zone works in a container without zone files

	"github.com/pocketbase/pocketbase"

	"github.com/canyu/canyu/config"
	_ "github.com/canyu/canyu/pb_migrations"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(os.Args[2:], os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "edge" { // no PocketBase, no database: see edge.go
		os.Exit(runEdge(os.Args[2:], os.Stderr))
	}

	cfg, err := config.Load(config.PathFromArgs(os.Args[1:]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	tuneRuntime(cfg.App)
	// `serve --cluster` joins the bus (the flag is read here: the modules
	// are wired before the command line is parsed)
	if slices.Contains(os.Args[1:], "--cluster") {
		cfg.Cluster.Enabled = true
	}

	app := pocketbase.NewWithConfig(pocketbase.Config{
		DefaultDataDir:   cfg.App.DataDir,
		DefaultDev:       cfg.App.Dev,
		DataMaxOpenConns: cfg.App.DBConnections,
		DataMaxIdleConns: cfg.App.DBConnections,
	})
	app.RootCmd.Use = "canyu"
	app.RootCmd.Short = "Canyu: a participation suite for brands and their communities"
	app.RootCmd.PersistentFlags().String("config", "", "YAML configuration file (see config.example.yaml)")
	demo := app.RootCmd.PersistentFlags().Bool("demo", false, "fill a small demo community when serving")
	app.RootCmd.PersistentFlags().Bool("cluster", false, "join the bus between processes (NATS with JetStream, embedded unless cluster.nats_url); see docs/cluster.md")

	mods, err := wire(app, cfg, Overrides{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bindCommands(app, mods, demo)

	if err := app.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// tuneRuntime applies the collector settings of the configuration; the Go
// environment variables, when set, win.
func tuneRuntime(c config.AppConfig) {
	if os.Getenv("GOGC") == "" && c.GCPercent != 0 {
		debug.SetGCPercent(c.GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" && c.MemoryLimitMB > 0 {
		debug.SetMemoryLimit(int64(c.MemoryLimitMB) << 20)
	}
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/spf13/cobra"
)

// bindCommands adds Canyu's commands next to PocketBase's serve, superuser
// and migrate: demo (healthcheck runs before PocketBase starts, see main).
func bindCommands(app *pocketbase.PocketBase, mods *Modules, demo *bool) {
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{TemplateLang: migratecmd.TemplateLangGo, Dir: "pb_migrations"})

	app.RootCmd.AddCommand(&cobra.Command{
		Use:   "demo",
		Short: "Fill the database with a small demo community, then exit",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			if err := seedDemo(app, mods); err != nil {
				return err
			}
			fmt.Println("Demo community ready. Start it with: canyu serve   (members sign in with password \"canyu-demo\")")
			return nil
		},
	})

	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if *demo {
			if err := seedDemo(se.App, mods); err != nil {
				return err
			}
		}
		return se.Next()
	})
}

// healthcheck asks the health endpoint and returns the process exit code:
// 0 when it answers 200. It opens no database, so a container can run it
// every few seconds.
func healthcheck(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:8090/api/health", "health endpoint to ask")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 2
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: %s answered %s\n", *url, res.Status)
		return 1
	}
	return 0
}

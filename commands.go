package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/spf13/cobra"
)

// bindCommands adds Canyu's commands next to PocketBase's serve, superuser
// and migrate: demo and healthcheck.
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

	var url string
	health := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the server answers /api/health (for container health checks)",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("healthcheck: %s answered %s", url, res.Status)
			}
			return nil
		},
	}
	health.Flags().StringVar(&url, "url", "http://127.0.0.1:8090/api/health", "health endpoint to ask")
	app.RootCmd.AddCommand(health)

	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if *demo {
			if err := seedDemo(se.App, mods); err != nil {
				return err
			}
		}
		return se.Next()
	})
}

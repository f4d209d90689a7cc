package main

import (
	"log"
	"net/http"
	"os"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// naiveServe runs the plain PocketBase way: members POST to
// /api/collections/naive_orders/records, and a hook checks the reservation,
// the opening, the stock and the limit, and decrements the stock, all in
// one transaction with the order's insert (PocketBase's documented pattern:
// e.App = txApp, then e.Next()). Everything else is PocketBase's defaults.
func naiveServe(dir, addr string) {
	app := pocketbase.NewWithConfig(pocketbase.Config{DefaultDataDir: dir, DefaultDev: false, HideStartBanner: true})
	app.OnRecordCreateRequest("naive_orders").BindFunc(func(e *core.RecordRequestEvent) error {
		return e.App.RunInTransaction(func(tx core.App) error {
			member, product := e.Auth.Id, e.Record.GetString("product")
			if _, err := tx.FindFirstRecordByFilter("naive_reservations", "member = {:m} && product = {:p}", dbx.Params{"m": member, "p": product}); err != nil {
				return e.ForbiddenError("not reserved", nil)
			}
			p, err := tx.FindRecordById("naive_products", product)
			if err != nil {
				return e.NotFoundError("unknown product", nil)
			}
			if time.Now().Before(p.GetDateTime("starts").Time()) {
				return e.ForbiddenError("not open", nil)
			}
			if p.GetInt("stock") <= 0 {
				return apis.NewApiError(http.StatusConflict, "sold out", nil)
			}
			if n, _ := tx.CountRecords("naive_orders", dbx.HashExp{"member": member, "product": product}); n > 0 {
				return apis.NewApiError(http.StatusConflict, "limit reached", nil)
			}
			p.Set("stock", p.GetInt("stock")-1)
			if err := tx.Save(p); err != nil {
				return err
			}
			e.App = tx
			return e.Next()
		})
	})
	os.Args = []string{os.Args[0], "serve", "--http", addr, "--dir", dir}
	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}

// trivialServe answers every request with the same "sold out" JSON and
// nothing else: the most any Go HTTP server can do on this machine under
// this generator.
func trivialServe(addr string) {
	body := []byte(`{"status":409,"message":"Sold out: every unit has found a buyer.","data":{"code":"sold_out"}}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"application/json"}
		if r.URL.Path == "/api/health" || r.Method == http.MethodGet {
			w.WriteHeader(http.StatusOK)
		} else {
			w.WriteHeader(http.StatusConflict)
		}
		_, _ = w.Write(body)
	})
	log.Fatal(http.ListenAndServe(addr, h))
}

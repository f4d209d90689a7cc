package sales

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/demo"
)

// SeedDemo adds a product and a sale that opens five minutes after the demo
// is created, with reservations open now and a few demo members already
// reserved (idempotent: an existing demo product is kept).
func (m *Module) SeedDemo(app core.App) error {
	if _, err := app.FindFirstRecordByData(Products, "name", "Canyu Phone 1"); err == nil {
		return nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	pc, err := app.FindCollectionByNameOrId(Products)
	if err != nil {
		return err
	}
	now := m.deps.Now()
	p := core.NewRecord(pc)
	p.Set("name", "Canyu Phone 1")
	p.Set("description", "The phone the community designed: every feature on it was a request in the forum first. 1999 yuan, and not a yuan more.")
	p.Set("price_cents", 199900)
	p.Set("currency", "CNY")
	p.Set("launch_date", now)
	if err := app.Save(p); err != nil {
		return err
	}
	sc, err := app.FindCollectionByNameOrId(Sales)
	if err != nil {
		return err
	}
	opens := now.Add(5 * time.Minute).Truncate(time.Minute)
	s := core.NewRecord(sc)
	for k, v := range map[string]any{
		"product": p.Id, "title": "Red Tuesday #1", "published": true,
		"reserve_opens": now.Add(-24 * time.Hour), "reserve_closes": opens, "starts": opens, "ends": opens.Add(2 * time.Hour),
		"stock": 200, "per_member": 1, "question": "Your favourite colour?",
		"choices": []string{"Graphite", "Sky blue", "Sunset orange"},
	} {
		s.Set(k, v)
	}
	if err := app.Save(s); err != nil {
		return err
	}
	if _, ok := m.engine.Info(s.Id); !ok { // not serving: nothing loaded the sale
		if err := m.loadSale(app, s); err != nil {
			return err
		}
	}
	for i, email := range []string{"lei@demo.canyu", "ana@demo.canyu", "gz@demo.canyu"} {
		u, err := demo.Member(app, email)
		if err != nil {
			return err
		}
		choice := []string{"Sunset orange", "Sky blue", "Sunset orange"}[i]
		if _, _, err := m.engine.Reserve(context.Background(), s.Id, u.Id, choice, now); err != nil {
			return err
		}
	}
	return nil
}

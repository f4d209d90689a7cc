// Package webhooks sends Canyu's domain events to URLs an admin registers in
// the dashboard (collection webhooks_endpoints). Deliveries are signed,
// retried with exponential backoff, and kept in a log (webhooks_deliveries)
// the admin can read and replay. They never run inside the request that
// caused them, and internal network addresses are refused at connect time.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/platform"
)

// Collection names.
const (
	Endpoints  = "webhooks_endpoints"
	Deliveries = "webhooks_deliveries"
)

// Delivery states.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// Deps are what the module needs from the process.
type Deps = platform.Deps

// Module is the webhooks module.
type Module struct {
	cfg    Config
	deps   Deps
	app    core.App
	client *http.Client
	kick   chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup

	endpoints endpointCache
}

// endpointCache holds the active endpoints and their events between changes
// to the endpoints collection, so an event nobody subscribed to (a sale's
// reservations, thousands a second) costs no query.
type endpointCache struct {
	mu    sync.Mutex
	gen   uint64 // bumped by every change, so a load that raced one is not kept
	valid bool
	list  []subscription
}

type subscription struct {
	endpoint string
	events   []string
}

func (c *endpointCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.valid = false
	c.list = nil
	c.mu.Unlock()
}

// New returns the module; Register binds it to an app.
func New(cfg Config, deps Deps) *Module {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	tr := &http.Transport{
		DialContext:           guardedDialer(cfg.AllowPrivate).DialContext,
		Proxy:                 nil, // a proxy would connect for us, past the guard
		MaxIdleConnsPerHost:   2,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	return &Module{
		cfg:  cfg,
		deps: deps,
		client: &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 3 {
					return errors.New("webhooks: too many redirects")
				}
				return nil // each redirect dials again, through the guard
			},
		},
		kick: make(chan struct{}, 1),
		stop: make(chan struct{}),
	}
}

// Name returns "webhooks".
func (m *Module) Name() string { return "webhooks" }

// Register queues a delivery for every after-event, starts the sender with
// the server and binds the replay route.
func (m *Module) Register(app core.App) error {
	m.app = app
	after := map[string]bool{}
	for _, info := range m.deps.Events.Catalogue() {
		after[info.Key] = !info.Before
	}
	m.deps.Events.Listen(func(key string, p hooks.Payload) error {
		if after[key] {
			m.Enqueue(key, p)
		}
		return nil
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.POST("/api/webhooks/deliveries/{id}/replay", m.replay).Bind(apis.RequireSuperuserAuth())
		m.start()
		return se.Next()
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		m.Close()
		return e.Next()
	})
	// an endpoint's events are keys of the catalogue's after-events, or "*"
	app.OnRecordValidate(Endpoints).BindFunc(func(e *core.RecordEvent) error {
		if err := m.checkEvents(e.Record); err != nil {
			return validation.Errors{"events": err}
		}
		return e.Next()
	})
	// any change to an endpoint (dashboard, API or code) reloads the cache
	forget := func(e *core.RecordEvent) error {
		m.endpoints.invalidate()
		return e.Next()
	}
	app.OnRecordAfterCreateSuccess(Endpoints).BindFunc(forget)
	app.OnRecordAfterUpdateSuccess(Endpoints).BindFunc(forget)
	app.OnRecordAfterDeleteSuccess(Endpoints).BindFunc(forget)
	// an admin setting a delivery back to "pending" in the dashboard replays it
	app.OnRecordAfterUpdateSuccess(Deliveries).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("status") == StatusPending {
			m.wake()
		}
		return e.Next()
	})
	return nil
}

func (m *Module) start() {
	m.wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
			case <-m.kick:
			}
			m.DeliverDue(context.Background())
		}
	})
}

// Close stops the sender.
func (m *Module) Close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	m.wg.Wait()
}

func (m *Module) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Enqueue records one delivery per active endpoint that wants event. It is
// called after the action committed; a failure here is logged, never
// returned to the member. An event no endpoint wants touches no database.
func (m *Module) Enqueue(event string, p hooks.Payload) {
	targets, err := m.subscribers(event)
	if err != nil {
		m.app.Logger().Error("webhooks: endpoints", "error", err)
		return
	}
	if len(targets) == 0 {
		return
	}
	col, err := m.app.FindCachedCollectionByNameOrId(Deliveries)
	if err != nil {
		m.app.Logger().Error("webhooks: deliveries", "error", err)
		return
	}
	now := m.deps.Now().UTC()
	queued := 0
	for _, ep := range targets {
		d := core.NewRecord(col)
		d.Set("endpoint", ep)
		d.Set("event", event)
		d.Set("payload", map[string]any{"event": event, "created": now.Format(time.RFC3339), "data": p})
		d.Set("status", StatusPending)
		d.Set("next_attempt", now)
		if err := m.app.Save(d); err != nil {
			m.app.Logger().Error("webhooks: queue", "endpoint", ep, "error", err)
			continue
		}
		queued++
	}
	if queued > 0 {
		m.wake()
	}
}

// eventsOf reads an endpoint's list of event keys.
func eventsOf(ep *core.Record) []string {
	var keys []string
	_ = ep.UnmarshalJSONField("events", &keys)
	return keys
}

// checkEvents refuses an endpoint whose events are not a list of keys of
// the catalogue's after-events (or "*"), naming the keys it takes.
func (m *Module) checkEvents(ep *core.Record) error {
	var keys []string
	if err := ep.UnmarshalJSONField("events", &keys); err != nil || len(keys) == 0 {
		return validation.NewError("webhooks_events", "give a list of event keys, e.g. [\"need.status_changed\"], or [\"*\"] for all: "+strings.Join(m.afterKeys(), ", "))
	}
	for _, k := range keys {
		if k != "*" && !slices.Contains(m.afterKeys(), k) {
			return validation.NewError("webhooks_unknown_event", fmt.Sprintf("%q is not an event webhooks can receive; choose from: * (all), %s", k, strings.Join(m.afterKeys(), ", ")))
		}
	}
	return nil
}

// afterKeys are the keys of the catalogue's after-events, which webhooks
// deliver (a before-event is decided inside the action, too soon to send).
func (m *Module) afterKeys() []string {
	var keys []string
	for _, info := range m.deps.Events.Catalogue() {
		if !info.Before {
			keys = append(keys, info.Key)
		}
	}
	return keys
}

// subscribers returns the ids of the active endpoints that take event,
// from the cache (loaded on first use after any change to an endpoint).
func (m *Module) subscribers(event string) ([]string, error) {
	c := &m.endpoints
	c.mu.Lock()
	list, valid, gen := c.list, c.valid, c.gen
	c.mu.Unlock()
	if !valid {
		eps, err := m.app.FindAllRecords(Endpoints, dbx.HashExp{"active": true})
		if err != nil {
			return nil, err
		}
		list = make([]subscription, len(eps))
		for i, ep := range eps {
			list[i] = subscription{endpoint: ep.Id, events: eventsOf(ep)}
		}
		c.mu.Lock()
		if c.gen == gen {
			c.list, c.valid = list, true
		}
		c.mu.Unlock()
	}
	var out []string
	for _, s := range list {
		if slices.Contains(s.events, event) || slices.Contains(s.events, "*") {
			out = append(out, s.endpoint)
		}
	}
	return out, nil
}

// DeliverDue sends every pending delivery whose time has come, Workers at a
// time. The sender calls it every second; tests call it directly.
func (m *Module) DeliverDue(ctx context.Context) {
	due, err := m.app.FindRecordsByFilter(Deliveries, "status = {:s} && next_attempt <= {:now}", "next_attempt", 100, 0,
		dbx.Params{"s": StatusPending, "now": m.deps.Now().UTC().Format(types.DefaultDateLayout)})
	if err != nil {
		m.app.Logger().Error("webhooks: due", "error", err)
		return
	}
	sem := make(chan struct{}, m.cfg.Workers)
	var wg sync.WaitGroup
	for _, d := range due {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			m.attempt(ctx, d)
		})
	}
	wg.Wait()
}

// Sign returns the hex HMAC-SHA256 of timestamp + "." + body under secret:
// the value of X-Canyu-Signature after "sha256=".
func Sign(secret, timestamp string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// attempt sends one delivery and records the outcome.
func (m *Module) attempt(ctx context.Context, d *core.Record) {
	ep, err := m.app.FindRecordById(Endpoints, d.GetString("endpoint"))
	if err != nil {
		m.finish(d, 0, "", fmt.Errorf("endpoint gone: %w", err), true)
		return
	}
	body, err := json.Marshal(json.RawMessage(d.GetString("payload")))
	if err != nil {
		m.finish(d, 0, "", err, true)
		return
	}
	ts := strconv.FormatInt(m.deps.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.GetString("url"), bytes.NewReader(body))
	if err != nil {
		m.finish(d, 0, "", err, true)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Canyu-Webhooks/1")
	req.Header.Set("X-Canyu-Event", d.GetString("event"))
	req.Header.Set("X-Canyu-Delivery", d.Id)
	req.Header.Set("X-Canyu-Timestamp", ts)
	req.Header.Set("X-Canyu-Signature", "sha256="+Sign(ep.GetString("secret"), ts, body))
	res, err := m.client.Do(req)
	if err != nil {
		m.finish(d, 0, "", err, errors.Is(err, ErrForbiddenTarget))
		return
	}
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
	res.Body.Close()
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		m.finish(d, res.StatusCode, string(snippet), nil, false)
		return
	}
	m.finish(d, res.StatusCode, string(snippet), fmt.Errorf("answered %s", res.Status), false)
}

// finish records an attempt: delivered, retried later with backoff, or
// failed for good (after MaxAttempts, or at once when retrying cannot help).
func (m *Module) finish(d *core.Record, code int, snippet string, err error, final bool) {
	now := m.deps.Now().UTC()
	attempts := d.GetInt("attempts") + 1
	d.Set("attempts", attempts)
	d.Set("last_attempt", now)
	d.Set("last_status", code)
	d.Set("response", snippet)
	switch {
	case err == nil:
		d.Set("status", StatusDelivered)
		d.Set("last_error", "")
	case final || attempts >= m.cfg.MaxAttempts:
		d.Set("status", StatusFailed)
		d.Set("last_error", err.Error())
	default:
		d.Set("last_error", err.Error())
		d.Set("next_attempt", now.Add(m.backoff(attempts)))
	}
	if err := m.app.Save(d); err != nil {
		m.app.Logger().Error("webhooks: record attempt", "delivery", d.Id, "error", err)
	}
}

// backoff is Backoff * 2^(attempts-1), capped at MaxBackoff, with up to 20%
// jitter so many failed deliveries do not return all at once.
func (m *Module) backoff(attempts int) time.Duration {
	d := m.cfg.Backoff << min(attempts-1, 20)
	if d <= 0 || d > m.cfg.MaxBackoff {
		d = m.cfg.MaxBackoff
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// replay: POST /api/webhooks/deliveries/{id}/replay (superusers) queues a
// fresh copy of a delivery and answers it.
func (m *Module) replay(e *core.RequestEvent) error {
	old, err := e.App.FindRecordById(Deliveries, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No such delivery.", err)
	}
	col, err := e.App.FindCachedCollectionByNameOrId(Deliveries)
	if err != nil {
		return err
	}
	d := core.NewRecord(col)
	d.Set("endpoint", old.GetString("endpoint"))
	d.Set("event", old.GetString("event"))
	d.Set("payload", old.Get("payload"))
	d.Set("status", StatusPending)
	d.Set("next_attempt", m.deps.Now().UTC())
	d.Set("replay_of", old.Id)
	if err := e.App.Save(d); err != nil {
		return e.InternalServerError("", err)
	}
	m.wake()
	return e.JSON(http.StatusAccepted, d)
}

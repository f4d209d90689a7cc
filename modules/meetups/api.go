package meetups

import (
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

// stateJSON is a member's standing as the API gives it.
func stateJSON(s RSVPState) map[string]any {
	out := map[string]any{"status": s.Status}
	if s.Place > 0 {
		out["place"] = s.Place
	}
	if !s.OfferedUntil.IsZero() && s.Status == Offered {
		out["offered_until"] = s.OfferedUntil.UTC()
	}
	if !s.CheckedIn.IsZero() {
		out["checked_in"] = s.CheckedIn.UTC()
	}
	return out
}

// apiEvent: GET /api/meetups/{id}: the event's counters, and the caller's
// standing when signed in.
func (mod *Module) apiEvent(e *core.RequestEvent) error {
	ev, err := mod.m.Find(e.Auth, e.Request.PathValue("id"))
	if err != nil {
		return problems.Show(err)
	}
	c, err := mod.m.CountsOf(ev.Id)
	if err != nil {
		return err
	}
	out := map[string]any{"id": ev.Id, "title": ev.GetString("title"), "kind": ev.GetString("kind"), "status": ev.GetString("status"),
		"starts": ev.GetDateTime("starts").Time().UTC(), "ends": ev.GetDateTime("ends").Time().UTC(), "time_zone": mod.m.location(ev).String(),
		"capacity": c.Capacity, "counts": c.Live()}
	if e.Auth != nil {
		s, err := mod.m.State(e.Auth.Id, ev.Id)
		if err != nil {
			return err
		}
		out["me"] = stateJSON(s)
	}
	return e.JSON(http.StatusOK, out)
}

// apiRSVP: POST /api/meetups/{id}/rsvp {"answers": {"q0": "M"}}: 201 with
// the member's standing (going, pending or waitlist with their place).
func (mod *Module) apiRSVP(e *core.RequestEvent) error {
	var body struct {
		Answers map[string]string `json:"answers"`
	}
	if e.Request.ContentLength != 0 {
		if err := e.BindBody(&body); err != nil {
			return ui.BadBody(err)
		}
	}
	s, err := mod.m.RSVP(e.Auth, e.Request.PathValue("id"), body.Answers)
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusCreated, stateJSON(s))
}

// apiCancel: DELETE /api/meetups/{id}/rsvp.
func (mod *Module) apiCancel(e *core.RequestEvent) error {
	if err := mod.m.Cancel(e.Auth, e.Request.PathValue("id")); err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"status": Cancelled})
}

// apiConfirm: POST /api/meetups/{id}/confirm takes the seat offered.
func (mod *Module) apiConfirm(e *core.RequestEvent) error {
	if err := mod.m.ConfirmOffer(e.Auth, e.Request.PathValue("id")); err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"status": Going})
}

// apiTicket: GET /api/meetups/{id}/ticket: the member's ticket code and
// its QR image.
func (mod *Module) apiTicket(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	code, err := mod.m.Ticket(e.Auth.Id, id)
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"code": strings.ToUpper(code), "qr": "/meetups/" + id + "/ticket.png"})
}

// apiCheckin: POST /api/meetups/{id}/checkin {"code"} (organizers): 200
// with who it is; 409 for a used ticket (with when) or one of another
// event; 400 for a forged code.
func (mod *Module) apiCheckin(e *core.RequestEvent) error {
	var body struct {
		Code string `json:"code"`
	}
	if err := e.BindBody(&body); err != nil {
		return ui.BadBody(err)
	}
	c, err := mod.m.CheckInTicket(e.Auth, e.Request.PathValue("id"), body.Code)
	if err != nil {
		p, ok := problems.Explain(err)
		if ok && c.Member != "" {
			// the door shows who holds a refused ticket
			return e.JSON(p.Status, map[string]any{"status": p.Status, "message": mod.deps.UI.T(e, p.Key),
				"data": map[string]any{"code": strings.TrimPrefix(p.Key, "meetups.err_"), "name": c.Name, "at": atOrNil(c.At)}})
		}
		return problems.Show(err)
	}
	counts, _ := mod.m.CountsOf(e.Request.PathValue("id"))
	return e.JSON(http.StatusOK, map[string]any{"name": c.Name, "member": c.Member, "at": c.At.UTC(), "answers": c.Answers,
		"checked_in": counts.CheckedIn, "going": counts.Going})
}

func atOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

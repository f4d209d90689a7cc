package belonging

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"github.com/canyu/canyu/modules/internal/chart"
	"github.com/canyu/canyu/modules/internal/sheet"
	"github.com/canyu/canyu/ui"
)

func firstFile(files []*filesystem.File) *filesystem.File {
	if len(files) == 0 {
		return nil
	}
	return files[0]
}

// StaffPage is /points/staff: redemptions to fulfil, VIP claims to decide,
// points to grant and badges to award.
type StaffPage struct {
	Status      string
	Statuses    []string
	Redemptions []Redemption
	Claims      []Claim
	Manual      []BadgeView
}

func (mod *Module) staffPage(e *core.RequestEvent) error {
	page := StaffPage{Status: e.Request.URL.Query().Get("status"), Statuses: []string{"pending", "shipped", "cancelled"}}
	if page.Status == "" {
		page.Status = "pending"
	}
	var err error
	if page.Redemptions, err = mod.b.RedemptionsIn(page.Status, 200); err != nil {
		return err
	}
	if page.Claims, err = mod.b.ClaimsIn("pending", 100); err != nil {
		return err
	}
	all, err := mod.b.AllBadges()
	if err != nil {
		return err
	}
	for _, bd := range all {
		if bd.Kind != "auto" {
			page.Manual = append(page.Manual, mod.badgeView(e, bd))
		}
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/staff", page)
}

// fulfilForm: POST /points/staff/redemptions/{id} action=ship|cancel.
func (mod *Module) fulfilForm(e *core.RequestEvent) error {
	id, note := e.Request.PathValue("id"), strings.TrimSpace(e.Request.FormValue("note"))
	var err error
	if e.Request.FormValue("action") == "cancel" {
		err = mod.b.Cancel(e.Auth, id, true, note)
	} else {
		err = mod.b.Ship(e.Auth, id, note)
	}
	if err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "belonging.saved")
	return e.Redirect(http.StatusSeeOther, "/points/staff")
}

// decideForm: POST /points/staff/claims/{id} decision=approve|decline.
func (mod *Module) decideForm(e *core.RequestEvent) error {
	if err := mod.b.Decide(e.Auth, e.Request.PathValue("id"), e.Request.FormValue("decision") == "approve", strings.TrimSpace(e.Request.FormValue("reason"))); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "belonging.saved")
	return e.Redirect(http.StatusSeeOther, "/points/staff")
}

// memberByName finds a member by id or exact name (staff type names).
func (mod *Module) memberByName(s string) (string, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "@"))
	if r, err := mod.b.app.FindRecordById("users", s); err == nil {
		return r.Id, nil
	}
	if r, err := mod.b.app.FindFirstRecordByData("users", "name", s); err == nil {
		return r.Id, nil
	}
	return "", fmt.Errorf("%w: %s", ErrNoMember, s)
}

// grantForm: POST /points/staff/grant member, amount, note.
func (mod *Module) grantForm(e *core.RequestEvent) error {
	member, err := mod.memberByName(e.Request.FormValue("member"))
	if err != nil {
		return problems.Show(err)
	}
	amount, err := strconv.Atoi(strings.TrimSpace(e.Request.FormValue("amount")))
	if err != nil {
		return problems.Show(ui.FieldErrors{"amount": "belonging.err_amount"})
	}
	if err := mod.b.Grant(e.Auth, member, amount, strings.TrimSpace(e.Request.FormValue("note"))); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "belonging.saved")
	return e.Redirect(http.StatusSeeOther, "/points/staff")
}

// awardForm: POST /points/staff/award badge, members (names or ids, one a
// line or comma separated), note.
func (mod *Module) awardForm(e *core.RequestEvent) error {
	var ids []string
	for _, s := range strings.FieldsFunc(e.Request.FormValue("members"), func(r rune) bool { return r == ',' || r == '\n' || r == '，' }) {
		if strings.TrimSpace(s) == "" {
			continue
		}
		id, err := mod.memberByName(s)
		if err != nil {
			return problems.Show(err)
		}
		ids = append(ids, id)
	}
	if _, err := mod.b.Award(e.Auth, e.Request.FormValue("badge"), ids, strings.TrimSpace(e.Request.FormValue("note"))); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "belonging.saved")
	return e.Redirect(http.StatusSeeOther, "/points/staff")
}

// redemptionsCSV: the redemptions of ?status= for the warehouse.
func (mod *Module) redemptionsCSV(e *core.RequestEvent) error {
	rs, err := mod.b.RedemptionsIn(e.Request.URL.Query().Get("status"), 100000)
	if err != nil {
		return err
	}
	w := csvAnswer(e, "redemptions.csv")
	_ = w.Write("redemption", "created", "status", "gift", "price", "member", "name", "email", "recipient", "address", "phone", "note")
	for _, r := range rs {
		_ = w.Write(r.ID, r.Created.String(), r.Status, r.GiftName, strconv.Itoa(r.Price), r.Member, r.Name, r.Email, r.Recipient, r.Address, r.Phone, r.Note)
	}
	return w.Flush()
}

func csvAnswer(e *core.RequestEvent, name string) *sheet.Writer {
	e.Response.Header().Set("Content-Type", "text/csv; charset=utf-8")
	e.Response.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return sheet.NewWriter(e.Response)
}

// InsightsPage is /insights: the funnel, the temperature, the segments.
type InsightsPage struct {
	Weeks      []Week
	Latest     Week
	Funnel     chart.BarChart
	Answered   chart.LineChart
	Segments   []SegmentLine
	SegSizes   map[string]int
	SegHistory []SegmentPoint
	Steps      []string
}

// SegmentLine is one segment's sizes over time, drawn as a line.
type SegmentLine struct {
	Segment string
	Chart   chart.LineChart
	Now     int
}

func (mod *Module) insightsPage(e *core.RequestEvent) error {
	weeks, err := mod.b.Funnel(8)
	if err != nil {
		return err
	}
	page := InsightsPage{Weeks: weeks, Latest: weeks[len(weeks)-1], Steps: FunnelSteps, SegSizes: map[string]int{}}
	t := func(k string) string { return mod.deps.UI.T(e, k) }
	var labels []string
	var values []int
	for _, s := range page.Latest.Steps {
		labels = append(labels, t("belonging.step_"+s.Key))
		values = append(values, s.Count)
	}
	page.Funnel = chart.Bars(t("belonging.funnel_title"), labels, values, -1)
	var wl []string
	var answered []int
	for _, w := range weeks {
		wl = append(wl, w.Week[5:])
		answered = append(answered, max(w.Answered, 0))
	}
	page.Answered = chart.Counts(t("belonging.answered_title"), wl, answered, 480)
	if page.SegHistory, err = mod.b.SegmentHistory(60); err != nil {
		return err
	}
	if n := len(page.SegHistory); n > 0 {
		page.SegSizes = page.SegHistory[n-1].Sizes
		var days []string
		for _, p := range page.SegHistory {
			days = append(days, p.Day[5:])
		}
		for _, seg := range Segments {
			var vals []int
			for _, p := range page.SegHistory {
				vals = append(vals, p.Sizes[seg])
			}
			page.Segments = append(page.Segments, SegmentLine{Segment: seg, Now: page.SegSizes[seg],
				Chart: chart.Counts(t("belonging.segment_"+seg), days, vals, 480)})
		}
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/insights", page)
}

// funnelCSV: the funnel and temperature of the last ?weeks= (8) weeks.
func (mod *Module) funnelCSV(e *core.RequestEvent) error {
	n, _ := strconv.Atoi(e.Request.URL.Query().Get("weeks"))
	if n < 1 || n > 104 {
		n = 8
	}
	weeks, err := mod.b.Funnel(n)
	if err != nil {
		return err
	}
	w := csvAnswer(e, "funnel.csv")
	_ = w.Write(append(append([]string{"week"}, FunnelSteps...), "needs", "answered_pct", "first_answer_hours")...)
	for _, wk := range weeks {
		row := []string{wk.Week}
		for _, s := range wk.Steps {
			row = append(row, strconv.Itoa(s.Count))
		}
		row = append(row, strconv.Itoa(max(wk.Needs, 0)), strconv.Itoa(wk.Answered), strconv.FormatFloat(wk.FirstHours, 'f', 1, 64))
		_ = w.Write(row...)
	}
	return w.Flush()
}

// segmentsCSV: the segments' sizes by day.
func (mod *Module) segmentsCSV(e *core.RequestEvent) error {
	hist, err := mod.b.SegmentHistory(400)
	if err != nil {
		return err
	}
	w := csvAnswer(e, "segments.csv")
	_ = w.Write(append([]string{"day"}, Segments...)...)
	for _, p := range hist {
		row := []string{p.Day}
		for _, s := range Segments {
			row = append(row, strconv.Itoa(p.Sizes[s]))
		}
		_ = w.Write(row...)
	}
	return w.Flush()
}

// MembersPage is /insights/members?segment=: staff filter members.
type MembersPage struct {
	Segment  string
	Segments []string
	Members  []SegmentMember
}

func (mod *Module) membersPage(e *core.RequestEvent) error {
	page := MembersPage{Segment: e.Request.URL.Query().Get("segment"), Segments: append(append([]string{}, Segments...), "vip")}
	var err error
	if page.Members, err = mod.b.Members(page.Segment, 500); err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/members", page)
}

// membersCSV: the members of ?segment= (to send F-codes or invitations to).
func (mod *Module) membersCSV(e *core.RequestEvent) error {
	ms, err := mod.b.Members(e.Request.URL.Query().Get("segment"), 1000000)
	if err != nil {
		return err
	}
	w := csvAnswer(e, "members.csv")
	_ = w.Write("member", "name", "email", "city", "segment", "vip", "points", "joined")
	for _, m := range ms {
		vip := ""
		if !m.VIP.IsZero() {
			vip = m.VIP.String()
		}
		_ = w.Write(m.ID, m.Name, m.Email, m.City, m.Segment, vip, strconv.Itoa(m.Points), m.Joined.String())
	}
	return w.Flush()
}

package releases

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/modules/internal/chart"
	"github.com/canyu/canyu/ui"
)

// TestersPage is /releases/testers?product=: the tester programme of a
// product as a member sees it.
type TestersPage struct {
	Product  ProductView
	Products []ProductView
	Status   string // the member's application: "", applied, admitted, declined, alumni
	Device   string
	Usage    string
	Errors   ui.FieldErrors
	Error    string
	First    []Person
	Builds   []Card       // beta and dev builds (testers)
	Board    []ReportView // the testers' board (testers and staff)
	Staff    bool
}

// productBySlug returns the product ?product= names, or the first.
func (m *Module) productBySlug(e *core.RequestEvent, slug string) (ProductView, []ProductView, error) {
	prods, err := m.products(e)
	if err != nil {
		return ProductView{}, nil, err
	}
	var all []ProductView
	var found ProductView
	for _, p := range prods {
		pv := m.productView(e, p)
		all = append(all, pv)
		if pv.Slug == slug || slug == "" && found.ID == "" {
			found = pv
		}
	}
	if found.ID == "" {
		return found, all, ErrNoProduct
	}
	return found, all, nil
}

func (m *Module) testersPage(e *core.RequestEvent, slug string) (*TestersPage, error) {
	pv, all, err := m.productBySlug(e, slug)
	if err != nil {
		return nil, err
	}
	page := &TestersPage{Product: pv, Products: all, Staff: access.HasRole(e.Auth, access.RoleStaff)}
	if page.First, err = m.r.FirstTesters(pv.ID, m.cfg.FirstTesters); err != nil {
		return nil, err
	}
	tester := false
	if e.Auth != nil {
		if a, ok := m.r.Application(e.Auth.Id, pv.ID); ok {
			page.Status, page.Device, page.Usage = a.GetString("status"), a.GetString("device"), a.GetString("usage")
			tester = page.Status == "admitted"
		}
	}
	if tester || page.Staff {
		builds, err := m.r.Published(e.Auth, pv.ID, []string{"beta", "dev"}, 20)
		if err != nil {
			return nil, err
		}
		for _, b := range builds {
			page.Builds = append(page.Builds, m.cardOf(e, b, pv.Name))
		}
		if page.Board, err = m.reports(e, "r.product = {:p}", dbx.Params{"p": pv.ID}, 50); err != nil {
			return nil, err
		}
	}
	return page, nil
}

func (m *Module) testers(e *core.RequestEvent) error {
	page, err := m.testersPage(e, e.Request.URL.Query().Get("product"))
	if err != nil {
		return problems.Show(err)
	}
	return m.deps.UI.Render(e, http.StatusOK, "releases/testers", page)
}

// applyForm: POST /releases/testers/apply {product, device, usage}.
func (m *Module) applyForm(e *core.RequestEvent) error {
	slug := e.Request.FormValue("product")
	page, err := m.testersPage(e, slug)
	if err != nil {
		return problems.Show(err)
	}
	device, usage := e.Request.FormValue("device"), e.Request.FormValue("usage")
	if err := m.r.Apply(e.Auth, page.Product.ID, device, usage); err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		page.Error, page.Errors, page.Device, page.Usage = p.Key, p.Fields, device, usage
		if !errors.Is(err, ErrAlreadyApplied) {
			page.Status = ""
		}
		return m.deps.UI.Render(e, p.Status, "releases/testers", page)
	}
	m.deps.UI.Flash(e, "releases.applied_flash")
	return e.Redirect(http.StatusSeeOther, "/releases/testers?product="+page.Product.Slug)
}

// AdminPage is the staff's view of a product's tester programme.
type AdminPage struct {
	Product       ProductView
	Products      []ProductView
	Applicants    []Applicant
	Sort          string
	Cap, Admitted int
	NextWave      int
	Funnel        chart.BarChart
	Error         string
}

func (m *Module) adminPage(e *core.RequestEvent, slug, sort string) (*AdminPage, error) {
	pv, all, err := m.productBySlug(e, slug)
	if err != nil {
		return nil, err
	}
	page := &AdminPage{Product: pv, Products: all, Sort: sort}
	if page.Applicants, err = m.r.Applicants(pv.ID, sort); err != nil {
		return nil, err
	}
	for _, a := range page.Applicants {
		if a.Status == "admitted" {
			page.Admitted++
		}
		page.NextWave = max(page.NextWave, a.Wave+1)
	}
	if p, err := e.App.FindRecordById(Products, pv.ID); err == nil {
		page.Cap = p.GetInt("tester_cap")
	}
	f, err := m.r.FunnelOf(pv.ID)
	if err != nil {
		return nil, err
	}
	t := func(k string) string { return m.deps.UI.T(e, k) }
	page.Funnel = chart.Bars(t("releases.funnel_title"), []string{t("releases.funnel_applied"), t("releases.funnel_admitted"),
		t("releases.funnel_active"), t("releases.funnel_kept")}, []int{f.Applied, f.Admitted, f.Active, f.Kept}, -1)
	return page, nil
}

func (m *Module) testersAdmin(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	page, err := m.adminPage(e, q.Get("product"), q.Get("sort"))
	if err != nil {
		return problems.Show(err)
	}
	return m.deps.UI.Render(e, http.StatusOK, "releases/testers_admin", page)
}

// admitForm: POST /releases/testers/admit {product, wave, member...}: the
// chosen applicants, in the list's order, up to the cap.
func (m *Module) admitForm(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return ui.BadBody(err)
	}
	slug := e.Request.FormValue("product")
	page, err := m.adminPage(e, slug, e.Request.FormValue("sort"))
	if err != nil {
		return problems.Show(err)
	}
	wave, _ := strconv.Atoi(e.Request.FormValue("wave"))
	admitted, err := m.r.Admit(e.Auth, page.Product.ID, e.Request.Form["member"], max(wave, 1))
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		page.Error = p.Key
		return m.deps.UI.Render(e, p.Status, "releases/testers_admin", page)
	}
	if len(admitted) < len(e.Request.Form["member"]) {
		m.deps.UI.Flash(e, "releases.admitted_some")
	} else {
		m.deps.UI.Flash(e, "releases.admitted_all")
	}
	return e.Redirect(http.StatusSeeOther, "/releases/testers/admin?product="+page.Product.Slug)
}

// declineForm: POST /releases/testers/decline {product, member...}.
func (m *Module) declineForm(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return ui.BadBody(err)
	}
	pv, _, err := m.productBySlug(e, e.Request.FormValue("product"))
	if err != nil {
		return problems.Show(err)
	}
	if err := m.r.Decline(pv.ID, e.Request.Form["member"]); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/releases/testers/admin?product="+pv.Slug)
}

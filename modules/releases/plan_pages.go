package releases

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// PlanPage is /releases/plan?product=: the coming month as staff plan it.
type PlanPage struct {
	Product  ProductView
	Products []ProductView
	Months   []MonthPlan
	Staff    bool
}

// MonthPlan is one month's themes and planned needs.
type MonthPlan struct {
	Month      string
	ThemesHTML template.HTML
	Topics     []TopicInfo
	Empty      bool
}

func (m *Module) monthPlan(productID, month string) (MonthPlan, error) {
	mp := MonthPlan{Month: month, Empty: true}
	plan, err := m.r.Plan(productID, month)
	if err != nil || plan == nil {
		return mp, err
	}
	var ids []string
	_ = plan.UnmarshalJSONField("topics", &ids)
	topics, err := m.r.Topics(ids)
	if err != nil {
		return mp, err
	}
	mp.ThemesHTML, mp.Topics, mp.Empty = m.md.Render(plan.GetString("themes")), topics, false
	return mp, nil
}

func (m *Module) plan(e *core.RequestEvent) error {
	pv, all, err := m.productBySlug(e, e.Request.URL.Query().Get("product"))
	if err != nil {
		return problems.Show(err)
	}
	page := PlanPage{Product: pv, Products: all, Staff: access.HasRole(e.Auth, access.RoleStaff)}
	now := m.deps.Now()
	for _, t := range []string{m.r.Month(now), m.r.Month(now.AddDate(0, 1, 0))} {
		mp, err := m.monthPlan(pv.ID, t)
		if err != nil {
			return err
		}
		page.Months = append(page.Months, mp)
	}
	return m.deps.UI.Render(e, http.StatusOK, "releases/plan", page)
}

// PlanForm is the staff's form for a month's plan.
type PlanForm struct {
	Product       ProductView
	Month, Themes string
	Topics        string
	Errors        ui.FieldErrors
}

func (m *Module) planForm(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	pv, _, err := m.productBySlug(e, q.Get("product"))
	if err != nil {
		return problems.Show(err)
	}
	month := q.Get("month")
	if month == "" {
		month = m.r.Month(m.deps.Now())
	}
	v := PlanForm{Product: pv, Month: month}
	if plan, _ := m.r.Plan(pv.ID, month); plan != nil {
		var ids []string
		_ = plan.UnmarshalJSONField("topics", &ids)
		v.Themes, v.Topics = plan.GetString("themes"), strings.Join(ids, " ")
	}
	return m.deps.UI.Render(e, http.StatusOK, "releases/plan_edit", v)
}

func (m *Module) planSave(e *core.RequestEvent) error {
	f := e.Request.FormValue
	pv, _, err := m.productBySlug(e, f("product"))
	if err != nil {
		return problems.Show(err)
	}
	v := PlanForm{Product: pv, Month: f("month"), Themes: f("themes"), Topics: f("topics")}
	if err := m.r.SavePlan(pv.ID, v.Month, v.Themes, v.Topics); err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		v.Errors = p.Fields
		return m.deps.UI.Render(e, p.Status, "releases/plan_edit", v)
	}
	m.deps.UI.Flash(e, "releases.plan_saved")
	return e.Redirect(http.StatusSeeOther, "/releases/plan?product="+pv.Slug)
}

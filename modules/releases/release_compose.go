package releases

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"github.com/canyu/canyu/ui"
)

// ComposePage is the staff's form for a release: new, or a draft or a
// scheduled one being edited.
type ComposePage struct {
	ID                                         string
	Products                                   []ProductView
	Product                                    string
	Version, Channel, Title, Summary, VideoURL string
	// PublishAt is the scheduled time in the brand's time zone, as the
	// datetime-local input takes it; Zone names the zone.
	PublishAt, Zone string
	Status          string
	Rows            []ItemRow
	Channels        []string
	Categories      []string
	Errors          ui.FieldErrors
	Error           string
}

// ItemRow is one item row of the form.
type ItemRow struct {
	Index                      int
	ID, Category, Text, Topics string
	Recommended                bool
	Screenshots                int
}

// blankRows is how many empty item rows the form offers beyond the items
// (more are added with JavaScript, or after saving).
const blankRows = 3

const localLayout = "2006-01-02T15:04"

func (m *Module) composeForm(e *core.RequestEvent) error {
	page, err := m.composePage(e)
	if err != nil {
		return err
	}
	if id := e.Request.PathValue("id"); id != "" {
		rec, err := e.App.FindRecordById(Releases, id)
		if err != nil {
			return problems.Show(ErrNotFound)
		}
		if rec.GetString("status") == "published" {
			return problems.Show(ErrPublished)
		}
		page.ID, page.Product, page.Version, page.Channel = rec.Id, rec.GetString("product"), rec.GetString("version"), rec.GetString("channel")
		page.Title, page.Summary, page.VideoURL, page.Status = rec.GetString("title"), rec.GetString("summary"), rec.GetString("video_url"), rec.GetString("status")
		if at := rec.GetDateTime("publish_at"); !at.IsZero() {
			page.PublishAt = at.Time().In(m.r.loc).Format(localLayout)
		}
		items, err := m.r.ItemsOf(rec.Id)
		if err != nil {
			return err
		}
		page.Rows = nil
		for i, it := range items {
			var ids []string
			_ = it.UnmarshalJSONField("topics", &ids)
			page.Rows = append(page.Rows, ItemRow{Index: i, ID: it.Id, Category: it.GetString("category"), Text: it.GetString("text"),
				Topics: strings.Join(ids, " "), Recommended: it.GetBool("recommended"), Screenshots: len(it.GetStringSlice("screenshots"))})
		}
		page.Rows = withBlanks(page.Rows)
	}
	return m.deps.UI.Render(e, http.StatusOK, "releases/compose", page)
}

func withBlanks(rows []ItemRow) []ItemRow {
	for i := 0; i < blankRows; i++ {
		rows = append(rows, ItemRow{Index: len(rows), Category: "new"})
	}
	return rows
}

func (m *Module) composePage(e *core.RequestEvent) (ComposePage, error) {
	prods, err := m.products(e)
	if err != nil {
		return ComposePage{}, err
	}
	page := ComposePage{Channel: "stable", Channels: Channels, Categories: Categories, Rows: withBlanks(nil),
		PublishAt: m.cfg.NextSlot(m.deps.Now(), m.r.loc).In(m.r.loc).Format(localLayout), Zone: m.r.loc.String()}
	for _, p := range prods {
		page.Products = append(page.Products, m.productView(e, p))
	}
	if slug := e.Request.URL.Query().Get("product"); slug != "" {
		for _, p := range page.Products {
			if p.Slug == slug {
				page.Product = p.ID
			}
		}
	}
	if page.Product == "" && len(page.Products) > 0 {
		page.Product = page.Products[0].ID
	}
	return page, nil
}

// compose: POST /releases/new or /releases/{id}/edit with action draft,
// schedule or publish. Item rows are item_<n>_category, _text,
// _recommended, _topics, _id and _screenshots (files); a row with no text is
// left out.
func (m *Module) compose(e *core.RequestEvent) error {
	if err := e.Request.ParseMultipartForm(32 << 20); err != nil && err != http.ErrNotMultipart {
		return ui.BadBody(err)
	}
	f := e.Request.FormValue
	d := Draft{Product: f("product"), Version: f("version"), Channel: f("channel"), Title: f("title"), Summary: f("summary"), VideoURL: f("video_url")}
	page, err := m.composePage(e)
	if err != nil {
		return err
	}
	page.ID, page.Product, page.Version, page.Channel, page.Title, page.Summary, page.VideoURL, page.PublishAt =
		e.Request.PathValue("id"), d.Product, d.Version, d.Channel, d.Title, d.Summary, d.VideoURL, f("publish_at")
	if at := strings.TrimSpace(f("publish_at")); at != "" {
		t, err := time.ParseInLocation(localLayout, at, m.r.loc)
		if err != nil {
			page.Errors = ui.FieldErrors{"publish_at": "releases.err_publish_at"}
			return m.deps.UI.Render(e, http.StatusBadRequest, "releases/compose", page)
		}
		d.PublishAt = t
	}
	page.Rows = nil
	for i := 0; i < 100; i++ {
		key := "item_" + strconv.Itoa(i) + "_"
		if _, ok := e.Request.Form[key+"category"]; !ok {
			break
		}
		row := ItemRow{Index: len(page.Rows), ID: f(key + "id"), Category: f(key + "category"), Text: f(key + "text"),
			Topics: f(key + "topics"), Recommended: f(key+"recommended") == "1"}
		if strings.TrimSpace(row.Text) == "" && row.ID == "" {
			continue
		}
		page.Rows = append(page.Rows, row)
		var shots []*filesystem.File
		if e.Request.MultipartForm != nil && len(e.Request.MultipartForm.File[key+"screenshots"]) > 0 {
			if shots, err = e.FindUploadedFiles(key + "screenshots"); err != nil {
				return ui.BadBody(err)
			}
		}
		d.Items = append(d.Items, ItemDraft{ID: row.ID, Category: row.Category, Text: row.Text, Recommended: row.Recommended,
			Topics: TopicIDs(row.Topics), Screenshots: images(shots)})
	}
	action := f("action")
	rec, err := m.r.Save(e.Auth, page.ID, d, action)
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		page.Error, page.Errors = p.Key, p.Fields
		// the form's errors name rows by their place among the kept rows
		page.Rows = withBlanks(page.Rows)
		return m.deps.UI.Render(e, p.Status, "releases/compose", page)
	}
	m.deps.UI.Flash(e, "releases.saved_"+rec.GetString("status"))
	return e.Redirect(http.StatusSeeOther, "/releases/"+rec.Id)
}

func images(files []*filesystem.File) []*filesystem.File {
	var out []*filesystem.File
	for _, f := range files {
		if f != nil && f.Size > 0 {
			out = append(out, f)
		}
	}
	return out
}

// FieldError is the message key of a form field's error, "" for none
// (templates name an item's fields by row: item3_text).
func (p ComposePage) FieldError(field string, row ...int) string {
	if len(row) > 0 {
		field = fmt.Sprintf("item%d_%s", row[0], field)
	}
	return p.Errors[field]
}

package releases

import (
	"fmt"
	"image/color"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/card"
	"github.com/canyu/canyu/modules/internal/chart"
)

// card: GET /releases/{id}/card.png, the release as an image for link
// previews: the brand, the product and version, the top items.
func (m *Module) card(e *core.RequestEvent) error {
	rec, err := m.r.Find(nil, e.Request.PathValue("id")) // a card is public: stable, published builds only
	if err != nil {
		return e.NotFoundError("", nil)
	}
	v, err := m.releaseView(e, rec)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s/%s/%s", rec.Id, rec.GetString("updated"), m.deps.UI.Lang(e))
	png, err := m.cards.Get(key, func() ([]byte, error) { return m.drawCard(e, v) })
	if err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "public, max-age=3600")
	return e.Blob(http.StatusOK, "image/png", png)
}

func (m *Module) drawCard(e *core.RequestEvent, v ReleaseView) ([]byte, error) {
	big, err := m.fonts.Face(true, 96)
	if err != nil {
		return nil, err
	}
	title, _ := m.fonts.Face(true, 44)
	text, _ := m.fonts.Face(false, 30)
	small, _ := m.fonts.Face(false, 26)
	img := card.New(color.RGBA{255, 122, 26, 255}, color.RGBA{214, 62, 0, 255})
	white := color.White
	pick := func(s, fallback string) string { // a Chinese title without a Chinese font falls back
		if card.Covers(title, s) {
			return s
		}
		return fallback
	}
	card.Text(img, small, strings.ToUpper(m.deps.AppName)+" · ORANGE FRIDAY", 70, 100, white)
	card.Text(img, big, card.Clip(big, v.Version, card.Width-140), 70, 220, white)
	card.Text(img, title, card.Clip(title, pick(v.Product.Name+" · "+v.Title, v.Product.Slug), card.Width-140), 70, 290, white)
	items := v.Recommended
	if len(items) == 0 {
		items = v.Items
	}
	y := 370
	for i, it := range items {
		if i == 4 {
			break
		}
		line := chart.Clip(it.Text, 90)
		if !card.Covers(text, line) {
			continue
		}
		card.Text(img, text, "• "+card.Clip(text, line, card.Width-160), 80, y, white)
		y += 52
	}
	return card.PNG(img)
}

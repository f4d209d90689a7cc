package sales

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // product photos
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"
	_ "golang.org/x/image/webp" // product photos

	"github.com/canyu/canyu/modules/internal/card"
)

// Card is what a share card shows.
type Card struct {
	AppName, Product, Sale, Member string
	Number                         int64
	Photo                          image.Image // may be nil
}

// DrawCard renders the card as a 1200x630 PNG (the Open Graph size): the
// product's photo in a white frame, the product, the sale, the number and,
// when the font has its glyphs, the member's name.
func DrawCard(fonts *card.Fonts, c Card) ([]byte, error) {
	title, err := fonts.Face(true, 52)
	if err != nil {
		return nil, err
	}
	txt, _ := fonts.Face(false, 34)
	big, _ := fonts.Face(true, 120)
	sub, _ := fonts.Face(false, 26)
	img := card.New(color.RGBA{255, 105, 0, 255}, color.RGBA{195, 35, 40, 255}) // the site's orange into deep red
	frame := image.Rect(60, 75, 540, 555)
	card.Fill(img, frame, color.White)
	inner := frame.Inset(16)
	if c.Photo != nil {
		card.Picture(img, inner, c.Photo)
	} else {
		initial, _ := utf8.DecodeRuneInString(strings.ToUpper(c.Product + "?"))
		card.Text(img, big, string(initial), inner.Min.X+inner.Dx()/2-40, inner.Min.Y+inner.Dy()/2+40, color.RGBA{255, 105, 0, 255})
	}
	white := color.White
	x, w := 600, card.Width
	card.Text(img, sub, strings.ToUpper(c.AppName), x, 120, white)
	card.Text(img, title, card.Clip(title, c.Product, w-x-50), x, 200, white)
	card.Text(img, txt, card.Clip(txt, c.Sale, w-x-50), x, 250, white)
	card.Text(img, big, fmt.Sprintf("#%d", c.Number), x, 420, white)
	name := c.Member
	if !card.Covers(txt, name) {
		name = "" // no glyphs for it: the number says enough
	}
	line := "Reserved · 已预约"
	if !card.Covers(txt, line) {
		line = "Reserved"
	}
	if name != "" {
		line = card.Clip(txt, name, w-x-50-card.Measure(txt, " · "+line)) + " · " + line
	}
	card.Text(img, txt, line, x, 490, white)
	return card.PNG(img)
}

// shareCard serves GET /sales/{id}/card/{member}.png: the member's
// reservation as an image to post anywhere.
func (m *Module) shareCard(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	member, ok := strings.CutSuffix(e.Request.PathValue("file"), ".png")
	number := m.seller.Reserved(id, member)
	if !ok || number == 0 {
		return e.NotFoundError("", nil)
	}
	sale, err := e.App.FindRecordById(Sales, id)
	if err != nil || !sale.GetBool("published") {
		return e.NotFoundError("", nil)
	}
	who, err := e.App.FindRecordById("users", member)
	if err != nil {
		return e.NotFoundError("", nil)
	}
	product, err := e.App.FindRecordById(Products, sale.GetString("product"))
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s/%s/%d/%s/%s", id, member, number, who.GetString("name"), product.GetString("updated"))
	png, err := m.cards.Get(key, func() ([]byte, error) {
		return DrawCard(m.fonts, Card{AppName: m.deps.AppName, Product: product.GetString("name"), Sale: sale.GetString("title"),
			Member: who.GetString("name"), Number: number, Photo: productPhoto(e.App, product)})
	})
	if err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "public, max-age=3600")
	return e.Blob(http.StatusOK, "image/png", png)
}

// productPhoto reads a product's first image, or nil.
func productPhoto(app core.App, product *core.Record) image.Image {
	files := product.GetStringSlice("images")
	if len(files) == 0 {
		return nil
	}
	fsys, err := app.NewFilesystem()
	if err != nil {
		return nil
	}
	defer fsys.Close()
	r, err := fsys.GetReader(product.BaseFilesPath() + "/" + files[0])
	if err != nil {
		return nil
	}
	defer r.Close()
	img, _, err := image.Decode(r)
	if err != nil {
		return nil
	}
	return img
}

package sales

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // product photos
	"image/png"
	"net/http"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	_ "golang.org/x/image/webp" // product photos
)

// Card is what a share card shows.
type Card struct {
	AppName, Product, Sale, Member string
	Number                         int64
	Photo                          image.Image // may be nil
}

// cardFonts are the faces of the share card: the Go fonts, and optionally
// a font file with Chinese glyphs for names and titles (sales.card_font).
type cardFonts struct {
	once                  sync.Once
	path                  string
	err                   error
	title, text, big, sub font.Face
	wide                  *opentype.Font // the configured font, if any
}

func (c *cardFonts) load() error {
	c.once.Do(func() {
		bold, err := opentype.Parse(gobold.TTF)
		if err != nil {
			c.err = err
			return
		}
		reg, err := opentype.Parse(goregular.TTF)
		if err != nil {
			c.err = err
			return
		}
		if c.path != "" {
			raw, err := os.ReadFile(c.path)
			if err != nil {
				c.err = fmt.Errorf("sales: card font: %w", err)
				return
			}
			if coll, err := opentype.ParseCollection(raw); err == nil && coll.NumFonts() > 0 {
				c.wide, err = coll.Font(0)
				c.err = err
			} else {
				c.wide, c.err = opentype.Parse(raw)
			}
			if c.err != nil {
				return
			}
			bold, reg = c.wide, c.wide
		}
		face := func(f *opentype.Font, size float64) font.Face {
			ff, _ := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
			return ff
		}
		c.title, c.text, c.big, c.sub = face(bold, 52), face(reg, 34), face(bold, 120), face(reg, 26)
	})
	return c.err
}

// covers reports whether the face draws every rune of s; the Go fonts have
// no Chinese glyphs.
func covers(f font.Face, s string) bool {
	for _, r := range s {
		if _, ok := f.GlyphAdvance(r); !ok {
			return false
		}
	}
	return true
}

// DrawCard renders a 1200x630 PNG (the Open Graph size).
func (c *cardFonts) DrawCard(card Card) ([]byte, error) {
	if err := c.load(); err != nil {
		return nil, err
	}
	const w, h = 1200, 630
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	// a warm gradient, the site's orange into deep red
	for y := range h {
		t := float64(y) / h
		row := color.RGBA{uint8(255 - 60*t), uint8(105 - 70*t), uint8(0 + 40*t), 255}
		for x := range w {
			img.SetRGBA(x, y, row)
		}
	}
	// the photo in a white frame on the left
	frame := image.Rect(60, 75, 540, 555)
	draw.Draw(img, frame, image.NewUniform(color.White), image.Point{}, draw.Src)
	inner := frame.Inset(16)
	if card.Photo != nil {
		draw.CatmullRom.Scale(img, fit(card.Photo.Bounds(), inner), card.Photo, card.Photo.Bounds(), draw.Over, nil)
	} else {
		initial, _ := utf8.DecodeRuneInString(strings.ToUpper(card.Product + "?"))
		text(img, c.big, string(initial), inner.Min.X+inner.Dx()/2-40, inner.Min.Y+inner.Dy()/2+40, color.RGBA{255, 105, 0, 255})
	}
	white := color.White
	x := 600
	text(img, c.sub, strings.ToUpper(card.AppName), x, 120, white)
	text(img, c.title, clip(c.title, card.Product, w-x-50), x, 200, white)
	text(img, c.text, clip(c.text, card.Sale, w-x-50), x, 250, white)
	text(img, c.big, fmt.Sprintf("#%d", card.Number), x, 420, white)
	name := card.Member
	if !covers(c.text, name) {
		name = "" // no glyphs for it: the number says enough
	}
	line := "Reserved · 已预约"
	if !covers(c.text, line) {
		line = "Reserved"
	}
	if name != "" {
		line = clip(c.text, name, w-x-50-font.MeasureString(c.text, " · "+line).Ceil()) + " · " + line
	}
	text(img, c.text, line, x, 490, white)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fit returns the largest rectangle with src's proportions centred in box.
func fit(src, box image.Rectangle) image.Rectangle {
	sw, sh := src.Dx(), src.Dy()
	if sw == 0 || sh == 0 {
		return box
	}
	w, h := box.Dx(), box.Dx()*sh/sw
	if h > box.Dy() {
		h, w = box.Dy(), box.Dy()*sw/sh
	}
	x, y := box.Min.X+(box.Dx()-w)/2, box.Min.Y+(box.Dy()-h)/2
	return image.Rect(x, y, x+w, y+h)
}

// clip shortens s with an ellipsis to fit in width pixels.
func clip(f font.Face, s string, width int) string {
	if font.MeasureString(f, s).Ceil() <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && font.MeasureString(f, string(r)+"…").Ceil() > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func text(dst *image.RGBA, f font.Face, s string, x, y int, c color.Color) {
	d := &font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// shareCard serves GET /sales/{id}/card/{member}.png: the member's
// reservation as an image to post anywhere.
func (m *Module) shareCard(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	member, ok := strings.CutSuffix(e.Request.PathValue("file"), ".png")
	number := m.engine.Reserved(id, member)
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
	png, err := m.cards.get(key, func() ([]byte, error) {
		return m.fonts.DrawCard(Card{AppName: m.deps.AppName, Product: product.GetString("name"), Sale: sale.GetString("title"),
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

// cardCache keeps the last drawn cards: a shared card is fetched by every
// chat app that shows a preview of it.
type cardCache struct {
	mu    sync.Mutex
	order []string
	m     map[string][]byte
}

func (c *cardCache) get(key string, draw func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	if b, ok := c.m[key]; ok {
		c.mu.Unlock()
		return b, nil
	}
	c.mu.Unlock()
	b, err := draw()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	if len(c.order) >= 256 {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[key] = b
	c.order = append(c.order, key)
	return b, nil
}

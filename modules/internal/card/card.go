// Package card draws the share cards modules make for link previews (a sale
// reservation, a release): 1200x630 PNG images with text in the Go fonts or
// a configured font with Chinese glyphs.
package card

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"sync"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Width and Height are the Open Graph image size.
const Width, Height = 1200, 630

// Fonts are a card's typefaces: the Go fonts, or a font file (or
// collection) with Chinese glyphs when a path is configured.
type Fonts struct {
	once          sync.Once
	path          string
	err           error
	bold, regular *opentype.Font
	mu            sync.Mutex
	faces         map[faceKey]font.Face
}

type faceKey struct {
	bold bool
	size float64
}

// NewFonts returns the fonts of path (empty: the Go fonts), loaded on
// first use.
func NewFonts(path string) *Fonts { return &Fonts{path: path, faces: map[faceKey]font.Face{}} }

func (f *Fonts) load() error {
	f.once.Do(func() {
		if f.bold, f.err = opentype.Parse(gobold.TTF); f.err != nil {
			return
		}
		if f.regular, f.err = opentype.Parse(goregular.TTF); f.err != nil {
			return
		}
		if f.path == "" {
			return
		}
		raw, err := os.ReadFile(f.path)
		if err != nil {
			f.err = fmt.Errorf("card: font: %w", err)
			return
		}
		var wide *opentype.Font
		if coll, err := opentype.ParseCollection(raw); err == nil && coll.NumFonts() > 0 {
			wide, f.err = coll.Font(0)
		} else {
			wide, f.err = opentype.Parse(raw)
		}
		if f.err == nil {
			f.bold, f.regular = wide, wide
		}
	})
	return f.err
}

// Face returns the bold or regular face at size (points at 72 dpi: pixels).
func (f *Fonts) Face(bold bool, size float64) (font.Face, error) {
	if err := f.load(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := faceKey{bold, size}
	if face, ok := f.faces[k]; ok {
		return face, nil
	}
	src := f.regular
	if bold {
		src = f.bold
	}
	face, err := opentype.NewFace(src, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	f.faces[k] = face
	return face, nil
}

// New returns a blank card filled top to bottom with a gradient.
func New(top, bottom color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	for y := range Height {
		t := float64(y) / Height
		mix := func(a, b uint8) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*t) }
		row := color.RGBA{mix(top.R, bottom.R), mix(top.G, bottom.G), mix(top.B, bottom.B), 255}
		for x := range Width {
			img.SetRGBA(x, y, row)
		}
	}
	return img
}

// Fill paints r with c.
func Fill(dst *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// Picture scales src into box, keeping its proportions, centred.
func Picture(dst *image.RGBA, box image.Rectangle, src image.Image) {
	draw.CatmullRom.Scale(dst, Fit(src.Bounds(), box), src, src.Bounds(), draw.Over, nil)
}

// Covers reports whether the face draws every rune of s; the Go fonts have
// no Chinese glyphs.
func Covers(f font.Face, s string) bool {
	for _, r := range s {
		if _, ok := f.GlyphAdvance(r); !ok {
			return false
		}
	}
	return true
}

// Fit returns the largest rectangle with src's proportions centred in box.
func Fit(src, box image.Rectangle) image.Rectangle {
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

// Clip shortens s with an ellipsis to fit in width pixels.
func Clip(f font.Face, s string, width int) string {
	if font.MeasureString(f, s).Ceil() <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && font.MeasureString(f, string(r)+"…").Ceil() > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// Text draws s with its baseline at (x, y).
func Text(dst *image.RGBA, f font.Face, s string, x, y int, c color.Color) {
	d := &font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// Measure is the width of s in pixels.
func Measure(f font.Face, s string) int { return font.MeasureString(f, s).Ceil() }

// PNG encodes the card.
func PNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Cache keeps the last drawn cards: a shared card is fetched by every chat
// app that shows a preview of it.
type Cache struct {
	mu    sync.Mutex
	order []string
	m     map[string][]byte
}

// Get returns the card of key, drawing it once.
func (c *Cache) Get(key string, draw func() ([]byte, error)) ([]byte, error) {
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

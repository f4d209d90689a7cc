package sales

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Collections of F-codes and of the sales audit log.
const (
	FCodes = "sales_fcodes"
	Audit  = "sales_audit"
)

// The F-code outcomes.
var (
	ErrFCodeUnknown   = errors.New("sales: unknown F-code")
	ErrFCodeUsed      = errors.New("sales: F-code already used")
	ErrFCodeExpired   = errors.New("sales: F-code expired")
	ErrFCodeOtherSale = errors.New("sales: F-code for another sale")
	ErrBadBatch       = errors.New("sales: bad F-code batch")
)

// fcodeAlphabet leaves out 0/O and 1/I/L, which people misread.
const fcodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewFCode returns a fresh code, like F7K2-9QXM-HT4C.
func NewFCode() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	var s strings.Builder
	s.WriteString("F")
	for i, c := range b[:11] {
		if i == 3 || i == 7 {
			s.WriteByte('-')
		}
		s.WriteByte(fcodeAlphabet[int(c)%len(fcodeAlphabet)])
	}
	return s.String()
}

// NormalizeFCode uppercases a typed code and drops spaces.
func NormalizeFCode(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// Batch is a request to issue F-codes.
type Batch struct {
	Count   int       `json:"count"`
	Expires time.Time `json:"expires"`
	Sale    string    `json:"sale"`
	Product string    `json:"product"`
	Batch   string    `json:"batch"`
	Holder  string    `json:"holder"`
}

// IssueFCodes creates a batch of codes for a sale or a product, and logs
// it. It returns the codes.
func (m *Module) IssueFCodes(actor string, b Batch) ([]string, error) {
	now := m.deps.Now()
	switch {
	case b.Count < 1 || b.Count > 1000:
		return nil, fmt.Errorf("%w: count must be between 1 and 1000", ErrBadBatch)
	case !b.Expires.After(now):
		return nil, fmt.Errorf("%w: expires must be in the future", ErrBadBatch)
	case (b.Sale == "") == (b.Product == ""):
		return nil, fmt.Errorf("%w: give a sale or a product", ErrBadBatch)
	case len(b.Batch) > 60 || len(b.Holder) > 120:
		return nil, fmt.Errorf("%w: batch or holder too long", ErrBadBatch)
	}
	if b.Sale != "" {
		if _, err := m.app.FindRecordById(Sales, b.Sale); err != nil {
			return nil, fmt.Errorf("%w: unknown sale", ErrBadBatch)
		}
	}
	if b.Product != "" {
		if _, err := m.app.FindRecordById(Products, b.Product); err != nil {
			return nil, fmt.Errorf("%w: unknown product", ErrBadBatch)
		}
	}
	codes := make([]string, b.Count)
	err := m.app.RunInTransaction(func(tx core.App) error {
		col, err := tx.FindCollectionByNameOrId(FCodes)
		if err != nil {
			return err
		}
		for i := range codes {
			r := core.NewRecord(col)
			codes[i] = NewFCode()
			r.Set("code", codes[i])
			r.Set("batch", b.Batch)
			r.Set("sale", b.Sale)
			r.Set("product", b.Product)
			r.Set("holder", b.Holder)
			r.Set("expires", b.Expires)
			r.Set("issued_by", actor)
			r.Set("created", now)
			if err := tx.Save(r); err != nil {
				return err
			}
		}
		return audit(tx, "fcodes.issued", actor, b.Batch, map[string]any{"count": b.Count, "sale": b.Sale, "product": b.Product,
			"expires": b.Expires, "holder": b.Holder}, now)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// checkFCode tells whether code may pay for a purchase in sale now. The
// writer redeems it for good with the order, in one transaction.
func (m *Module) checkFCode(code, saleID string, now time.Time) error {
	var row struct {
		Sale     string `db:"sale"`
		Product  string `db:"product"`
		Expires  string `db:"expires"`
		Redeemed string `db:"redeemed_by"`
	}
	err := m.app.DB().NewQuery("SELECT sale, product, expires, redeemed_by FROM " + FCodes + " WHERE code = {:c}").
		Bind(dbx.Params{"c": code}).One(&row)
	if err != nil {
		return ErrFCodeUnknown
	}
	switch {
	case row.Redeemed != "":
		return ErrFCodeUsed
	case !now.Before(parseDBTime(row.Expires)):
		return ErrFCodeExpired
	}
	if row.Sale != "" && row.Sale != saleID {
		return ErrFCodeOtherSale
	}
	if row.Product != "" {
		sale, err := m.app.FindRecordById(Sales, saleID)
		if err != nil || sale.GetString("product") != row.Product {
			return ErrFCodeOtherSale
		}
	}
	return nil
}

// audit logs a staff or engine action.
func audit(app core.App, action, actor, subject string, details map[string]any, now time.Time) error {
	raw, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, err = app.DB().NewQuery("INSERT INTO " + Audit + " (id, action, actor, subject, details, created) VALUES ({:id}, {:a}, {:actor}, {:s}, {:d}, {:c})").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "a": action, "actor": actor, "s": subject, "d": string(raw), "c": dbTime(now)}).Execute()
	return err
}

func (m *Module) apiIssueFCodes(e *core.RequestEvent) error {
	var b Batch
	if err := e.BindBody(&b); err != nil {
		return show(errBadBody)
	}
	codes, err := m.IssueFCodes(e.Auth.Id, b)
	if err != nil {
		return show(err)
	}
	return e.JSON(http.StatusCreated, map[string]any{"codes": codes, "expires": b.Expires.UTC()})
}

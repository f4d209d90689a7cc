package members

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
)

// CodesCollection stores one-time phone codes (superusers only).
const CodesCollection = "members_phone_codes"

// Errors of phone binding. Handlers map each to a status and a message.
var (
	ErrPhoneInvalid    = errors.New("members: invalid phone number")
	ErrPhoneTaken      = errors.New("members: phone number bound to another account")
	ErrPhoneSame       = errors.New("members: phone number already bound to this account")
	ErrTooManyCodes    = errors.New("members: too many codes requested")
	ErrResendTooSoon   = errors.New("members: a code was sent moments ago")
	ErrNoCode          = errors.New("members: no code was sent to this number")
	ErrCodeExpired     = errors.New("members: code expired")
	ErrCodeWrong       = errors.New("members: wrong code")
	ErrTooManyAttempts = errors.New("members: too many wrong codes")
	ErrSMSFailed       = errors.New("members: the text message could not be sent")
	ErrBindingRefused  = errors.New("members: binding refused by a plugin")
)

var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// NormalizePhone returns phone in E.164 form. Spaces, dashes, dots and
// brackets are ignored; an 11-digit number starting with 1 and no country
// code is taken as a mainland China mobile (+86); any other number needs its
// +country code.
func NormalizePhone(raw string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(raw) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", ErrPhoneInvalid
		}
	}
	p := b.String()
	if strings.HasPrefix(p, "00") {
		p = "+" + p[2:]
	}
	if !strings.HasPrefix(p, "+") {
		if len(p) == 11 && p[0] == '1' {
			p = "+86" + p
		} else {
			return "", ErrPhoneInvalid
		}
	}
	if !phonePattern.MatchString(p) {
		return "", ErrPhoneInvalid
	}
	if strings.HasPrefix(p, "+86") && len(p) != 14 {
		return "", ErrPhoneInvalid
	}
	return p, nil
}

// MaskPhone hides the middle of a number: +86 138****5678.
func MaskPhone(p string) string {
	if len(p) < 8 {
		return p
	}
	return p[:len(p)-8] + "****" + p[len(p)-4:]
}

// RefusedError is a binding a plugin vetoed; Reason is the plugin's own
// words, shown to the member after ours. It is ErrBindingRefused for
// errors.Is.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return ErrBindingRefused.Error() + ": " + e.Reason }

func (e *RefusedError) Is(target error) bool { return target == ErrBindingRefused }

// Phones binds verified phone numbers to member accounts.
type Phones struct {
	app    core.App
	cfg    PhoneConfig
	sms    SMSSender
	now    func() time.Time
	events *hooks.Events
	text   func(member *core.Record, code string) string
}

// SentCode describes a code that was sent.
type SentCode struct {
	Phone     string
	ExpiresIn time.Duration
	ResendIn  time.Duration
}

// SendCode sends a fresh code to phone for member. The previous codes of the
// member stop working. Limits: one code per ResendAfter per account, and
// PerAccount, PerPhone and PerIP codes per Window; they are counted and the
// code is stored in one transaction, so parallel requests cannot slip past
// them.
//
// Whether the number is bound to another account is not told here: the
// answer is the same either way, so nobody learns whose number it is
// without the code sent to it. Verify says so once the code is proven.
func (p *Phones) SendCode(ctx context.Context, member *core.Record, rawPhone, ip string) (SentCode, error) {
	phone, err := NormalizePhone(rawPhone)
	if err != nil {
		return SentCode{}, err
	}
	if member.GetString("phone") == phone {
		return SentCode{}, ErrPhoneSame
	}
	code, err := randomDigits(p.cfg.CodeLength)
	if err != nil {
		return SentCode{}, err
	}
	salt, err := randomDigits(16)
	if err != nil {
		return SentCode{}, err
	}
	now := p.now().UTC()
	var rec *core.Record
	var wait time.Duration
	err = p.app.RunInTransaction(func(tx core.App) error {
		if wait, err = p.checkLimits(tx, member.Id, phone, ip, now); err != nil {
			return err
		}
		col, err := tx.FindCachedCollectionByNameOrId(CodesCollection)
		if err != nil {
			return err
		}
		rec = core.NewRecord(col)
		rec.Set("member", member.Id)
		rec.Set("phone", phone)
		rec.Set("ip", ip)
		rec.Set("salt", salt)
		rec.Set("code_hash", hashCode(salt, phone, code))
		rec.Set("expires", now.Add(p.cfg.CodeTTL))
		rec.Set("attempts", 0)
		rec.Set("sent", now)
		return tx.Save(rec)
	})
	switch {
	case errors.Is(err, ErrResendTooSoon):
		return SentCode{Phone: phone, ResendIn: wait}, ErrResendTooSoon
	case errors.Is(err, ErrTooManyCodes):
		return SentCode{Phone: phone}, ErrTooManyCodes
	case err != nil:
		return SentCode{}, fmt.Errorf("members: store code: %w", err)
	}
	if err := p.sms.Send(ctx, phone, p.text(member, code)); err != nil {
		p.app.Logger().Error("members: sms failed", "phone", MaskPhone(phone), "error", err)
		_ = p.app.Delete(rec) // the member never got it: it must not count against them
		return SentCode{}, ErrSMSFailed
	}
	// only a code that reached the phone replaces the earlier ones: after a
	// failed send the member's last code still works
	if _, err := p.app.DB().NewQuery("UPDATE " + CodesCollection + " SET used = TRUE WHERE member = {:m} AND used = FALSE AND id != {:id}").
		Bind(dbx.Params{"m": member.Id, "id": rec.Id}).Execute(); err != nil {
		return SentCode{}, fmt.Errorf("members: retire codes: %w", err)
	}
	return SentCode{Phone: phone, ExpiresIn: p.cfg.CodeTTL, ResendIn: p.cfg.ResendAfter}, nil
}

// checkLimits applies the cooldown and the caps inside tx; wait is how long
// until the cooldown ends.
func (p *Phones) checkLimits(tx core.App, memberID, phone, ip string, now time.Time) (wait time.Duration, err error) {
	var last types.DateTime
	err = tx.DB().NewQuery("SELECT sent FROM " + CodesCollection + " WHERE member = {:m} ORDER BY sent DESC LIMIT 1").
		Bind(dbx.Params{"m": memberID}).Row(&last)
	switch {
	case err == nil:
		if wait = last.Time().Add(p.cfg.ResendAfter).Sub(now); wait > 0 {
			return wait, ErrResendTooSoon
		}
	case !errors.Is(err, sql.ErrNoRows):
		return 0, err
	}
	since := now.Add(-p.cfg.Window).Format(types.DefaultDateLayout)
	for _, lim := range []struct {
		field, value string
		max          int
	}{{"member", memberID, p.cfg.PerAccount}, {"phone", phone, p.cfg.PerPhone}, {"ip", ip, p.cfg.PerIP}} {
		n, err := tx.CountRecords(CodesCollection, dbx.HashExp{lim.field: lim.value}, dbx.NewExp("sent >= {:since}", dbx.Params{"since": since}))
		if err != nil {
			return 0, fmt.Errorf("members: count codes: %w", err)
		}
		if int(n) >= lim.max {
			return 0, ErrTooManyCodes
		}
	}
	return 0, nil
}

// Verify checks code for member and phone and, when it matches, binds the
// number to the account. Each guess uses up one attempt before it is
// compared, so concurrent guesses never exceed MaxAttempts.
func (p *Phones) Verify(member *core.Record, rawPhone, code string) (string, error) {
	phone, err := NormalizePhone(rawPhone)
	if err != nil {
		return "", err
	}
	rec, err := p.app.FindFirstRecordByFilter(CodesCollection, "member = {:m} && phone = {:p} && used = false",
		dbx.Params{"m": member.Id, "p": phone})
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNoCode
	} else if err != nil {
		return "", fmt.Errorf("members: find code: %w", err)
	}
	if !p.now().Before(rec.GetDateTime("expires").Time()) {
		return "", ErrCodeExpired
	}
	// take an attempt before comparing; RETURNING gives this guess's number
	var attempt int
	err = p.app.DB().NewQuery("UPDATE " + CodesCollection + " SET attempts = attempts + 1 WHERE id = {:id} AND attempts < {:max} AND used = FALSE RETURNING attempts").
		Bind(dbx.Params{"id": rec.Id, "max": p.cfg.MaxAttempts}).Row(&attempt)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrTooManyAttempts
	} else if err != nil {
		return "", fmt.Errorf("members: count attempt: %w", err)
	}
	want := rec.GetString("code_hash")
	got := hashCode(rec.GetString("salt"), phone, strings.TrimSpace(code))
	if !hmac.Equal([]byte(got), []byte(want)) {
		if attempt >= p.cfg.MaxAttempts {
			return "", ErrTooManyAttempts
		}
		return "", ErrCodeWrong
	}
	return phone, p.bind(member, rec, phone)
}

func (p *Phones) bind(member *core.Record, code *core.Record, phone string) error {
	var stored error // set once a handler chain reached the binding itself
	reached := false
	ev := &hooks.PhoneEvent{App: p.app, Member: member, Phone: phone}
	err := p.events.PhoneBinding.Trigger(ev, func(ev *hooks.PhoneEvent) error {
		reached = true
		stored = p.app.RunInTransaction(func(tx core.App) error {
			res, err := tx.DB().NewQuery("UPDATE " + CodesCollection + " SET used = TRUE WHERE id = {:id} AND used = FALSE").
				Bind(dbx.Params{"id": code.Id}).Execute()
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNoCode // used by a concurrent request
			}
			fresh, err := tx.FindRecordById("users", member.Id)
			if err != nil {
				return err
			}
			fresh.Set("phone", phone)
			fresh.Set("phone_verified", p.now().UTC())
			if err := tx.Save(fresh); err != nil {
				if isUniqueErr(err) {
					return ErrPhoneTaken
				}
				return err
			}
			member.Set("phone", phone)
			member.Set("phone_verified", fresh.Get("phone_verified"))
			hooks.TriggerAfterCommit(tx, p.events.PhoneBound, &hooks.PhoneEvent{App: p.app, Member: fresh, Phone: phone})
			return nil
		})
		return stored
	})
	if err != nil && !reached {
		return &RefusedError{Reason: err.Error()}
	}
	return err
}

// isUniqueErr reports a unique-index violation on the phone, from
// PocketBase's record validation or from SQLite itself.
func isUniqueErr(err error) bool {
	var verrs validation.Errors
	if errors.As(err, &verrs) {
		var ve validation.Error
		if errors.As(verrs["phone"], &ve) && ve.Code() == "validation_not_unique" {
			return true
		}
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func hashCode(salt, phone, code string) string {
	m := hmac.New(sha256.New, []byte(salt))
	m.Write([]byte(phone + ":" + code))
	return hex.EncodeToString(m.Sum(nil))
}

func randomDigits(n int) (string, error) {
	var b strings.Builder
	ten := big.NewInt(10)
	for range n {
		d, err := rand.Int(rand.Reader, ten)
		if err != nil {
			return "", err
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String(), nil
}

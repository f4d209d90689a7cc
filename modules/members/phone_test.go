package members

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
)

func TestNormalizePhone(t *testing.T) {
	cases := []struct {
		in, want string
		err      error
	}{
		{"13800138000", "+8613800138000", nil},
		{"138 0013 8000", "+8613800138000", nil},
		{"+86 138-0013-8000", "+8613800138000", nil},
		{"008613800138000", "+8613800138000", nil},
		{"+44 20 7946 0958", "+442079460958", nil},
		{"+1 (415) 555-0100", "+14155550100", nil},
		{"", "", ErrPhoneInvalid},
		{"12345", "", ErrPhoneInvalid},
		{"+86 1380013800", "", ErrPhoneInvalid},
		{"138001380001", "", ErrPhoneInvalid},
		{"phone", "", ErrPhoneInvalid},
		{"+0123456789", "", ErrPhoneInvalid},
		{"1380013800a", "", ErrPhoneInvalid},
		{"+86+13800138000", "", ErrPhoneInvalid},
	}
	for _, c := range cases {
		got, err := NormalizePhone(c.in)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("NormalizePhone(%q) = %q, %v, want %q, %v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	if got, want := MaskPhone("+8613800138000"), "+86138****8000"; got != want {
		t.Errorf("MaskPhone() = %q, want %q", got, want)
	}
}

const phone = "+8613800138000"

func TestPhoneBindingFlow(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "p@x.io", "P")
	bound := 0
	e.events.PhoneBound.BindFunc(func(ev *hooks.PhoneEvent) error { bound++; return ev.Next() })
	ph := e.mod.Phones()

	if _, err := ph.Verify(m, phone, "123456"); !errors.Is(err, ErrNoCode) {
		t.Fatalf("Verify before any code = %v, want ErrNoCode", err)
	}
	sent, err := ph.SendCode(t.Context(), m, "138 0013 8000", "192.0.2.1")
	if err != nil || sent.Phone != phone {
		t.Fatalf("SendCode() = %+v, %v", sent, err)
	}
	code := e.sms.LastCode(t, phone)
	if len(code) != 6 {
		t.Fatalf("code %q, want 6 digits", code)
	}
	wrong := fmt.Sprintf("%06d", (mustAtoi(code)+1)%1000000)
	if _, err := ph.Verify(m, phone, wrong); !errors.Is(err, ErrCodeWrong) {
		t.Fatalf("Verify(wrong) = %v, want ErrCodeWrong", err)
	}
	if _, err := ph.Verify(m, phone, code); err != nil {
		t.Fatalf("Verify(right) = %v", err)
	}
	fresh, _ := e.app.FindRecordById("users", m.Id)
	if fresh.GetString("phone") != phone || fresh.GetDateTime("phone_verified").IsZero() {
		t.Errorf("after Verify: phone=%q verified=%v", fresh.GetString("phone"), fresh.GetDateTime("phone_verified"))
	}
	if bound != 1 {
		t.Errorf("PhoneBound fired %d times, want 1", bound)
	}
	if _, err := ph.Verify(m, phone, code); !errors.Is(err, ErrNoCode) {
		t.Errorf("reusing the code = %v, want ErrNoCode", err)
	}
	if _, err := ph.SendCode(t.Context(), m, phone, "192.0.2.1"); !errors.Is(err, ErrPhoneSame) {
		t.Errorf("SendCode(own bound number) = %v, want ErrPhoneSame", err)
	}
}

func TestPhoneCodeExpires(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "p@x.io", "P")
	if _, err := e.mod.Phones().SendCode(t.Context(), m, phone, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	code := e.sms.LastCode(t, phone)
	e.clock.Advance(DefaultConfig().Phone.CodeTTL + time.Second)
	if _, err := e.mod.Phones().Verify(m, phone, code); !errors.Is(err, ErrCodeExpired) {
		t.Fatalf("Verify after the TTL = %v, want ErrCodeExpired", err)
	}
}

func TestPhoneNumberBindsOneAccount(t *testing.T) {
	e := newEnv(t)
	a := testutil.Member(t, e.app, "a@x.io", "A")
	b := testutil.Member(t, e.app, "b@x.io", "B")
	ph := e.mod.Phones()
	if _, err := ph.SendCode(t.Context(), a, phone, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ph.Verify(a, phone, e.sms.LastCode(t, phone)); err != nil {
		t.Fatal(err)
	}
	// asking for a code tells nothing: the answer is the one a free number gets
	sent, err := ph.SendCode(t.Context(), b, phone, "192.0.2.2")
	if err != nil || sent.ExpiresIn != DefaultConfig().Phone.CodeTTL {
		t.Fatalf("SendCode(number bound elsewhere) = %+v, %v; want a code sent like to any number", sent, err)
	}
	// only the number's owner gets the code; proving it says the number is taken
	if _, err := ph.Verify(b, phone, e.sms.LastCode(t, phone)); !errors.Is(err, ErrPhoneTaken) {
		t.Fatalf("Verify(number bound elsewhere) = %v, want ErrPhoneTaken", err)
	}
	if fresh, _ := e.app.FindRecordById("users", b.Id); fresh.GetString("phone") != "" {
		t.Errorf("b holds the number: %q", fresh.GetString("phone"))
	}
}

// TestPhoneCodeLimitsUnderConcurrency: ten sends at once for one account
// store and send one code (the cooldown is checked in the transaction that
// stores it); parallel sends from many accounts to one number stop at the
// number's cap. Run under -race.
func TestPhoneCodeLimitsUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "a@x.io", "A")
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.mod.Phones().SendCode(t.Context(), m, phone, "192.0.2.1") })
	}
	wg.Wait()
	sent := 0
	for _, err := range errs {
		switch {
		case err == nil:
			sent++
		case !errors.Is(err, ErrResendTooSoon):
			t.Errorf("SendCode = %v", err)
		}
	}
	if sent != 1 || e.sms.Count() != 1 {
		t.Fatalf("10 parallel sends: %d answered sent, %d texts; want 1 and 1", sent, e.sms.Count())
	}

	other := "+8613900139000"
	ms := make([]*core.Record, 12)
	for i := range ms {
		ms[i] = testutil.Member(t, e.app, fmt.Sprintf("p%d@x.io", i), "P")
	}
	errs = make([]error, len(ms))
	for i, mm := range ms {
		wg.Go(func() { _, errs[i] = e.mod.Phones().SendCode(t.Context(), mm, other, fmt.Sprintf("198.51.100.%d", i)) })
	}
	wg.Wait()
	if n, _ := e.app.CountRecords(CodesCollection, dbx.HashExp{"phone": other}); int(n) != DefaultConfig().Phone.PerPhone {
		t.Errorf("%d codes stored for one number after 12 parallel sends, want the cap %d", n, DefaultConfig().Phone.PerPhone)
	}
}

func TestPhoneConcurrentBindingOfOneNumber(t *testing.T) {
	e := newEnv(t)
	n := DefaultConfig().Phone.PerPhone
	ph := e.mod.Phones()
	recs := make([]string, n)
	codes := make([]string, n)
	for i := range n {
		m := testutil.Member(t, e.app, fmt.Sprintf("m%d@x.io", i), "M")
		if _, err := ph.SendCode(t.Context(), m, phone, fmt.Sprintf("192.0.2.%d", i)); err != nil {
			t.Fatal(err)
		}
		recs[i], codes[i] = m.Id, e.sms.LastCode(t, phone)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			m, _ := e.app.FindRecordById("users", recs[i])
			_, errs[i] = ph.Verify(m, phone, codes[i])
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrPhoneTaken):
		default:
			t.Errorf("member %d: Verify = %v, want nil or ErrPhoneTaken", i, err)
		}
	}
	if cnt, _ := e.app.CountRecords("users", dbx.HashExp{"phone": phone}); ok != 1 || cnt != 1 {
		t.Fatalf("%d bindings succeeded and %d accounts hold the number, want 1 and 1", ok, cnt)
	}
}

func TestPhoneConcurrentGuessesNeverExceedMaxAttempts(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "p@x.io", "P")
	ph := e.mod.Phones()
	if _, err := ph.SendCode(t.Context(), m, phone, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	code := e.sms.LastCode(t, phone)
	max := DefaultConfig().Phone.MaxAttempts
	var wg sync.WaitGroup
	var mu sync.Mutex
	wrong, locked := 0, 0
	for i := range 40 {
		wg.Go(func() {
			guess := fmt.Sprintf("%06d", (mustAtoi(code)+1+i)%1000000)
			_, err := ph.Verify(m, phone, guess)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrCodeWrong):
				wrong++
			case errors.Is(err, ErrTooManyAttempts):
				locked++
			default:
				t.Errorf("Verify(wrong guess) = %v", err)
			}
		})
	}
	wg.Wait()
	if wrong >= max || wrong+locked != 40 {
		t.Errorf("%d guesses answered 'wrong' and %d 'too many', want fewer than %d wrong", wrong, locked, max)
	}
	if _, err := ph.Verify(m, phone, code); !errors.Is(err, ErrTooManyAttempts) {
		t.Errorf("the right code after the limit = %v, want ErrTooManyAttempts", err)
	}
	rec, _ := e.app.FindFirstRecordByFilter(CodesCollection, "member = {:m}", map[string]any{"m": m.Id})
	if got := rec.GetInt("attempts"); got != max {
		t.Errorf("attempts stored = %d, want %d", got, max)
	}
}

func TestPhoneSendLimits(t *testing.T) {
	cfg := DefaultConfig().Phone
	t.Run("resend too soon", func(t *testing.T) {
		e := newEnv(t)
		m := testutil.Member(t, e.app, "p@x.io", "P")
		if _, err := e.mod.Phones().SendCode(t.Context(), m, phone, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		sent, err := e.mod.Phones().SendCode(t.Context(), m, phone, "192.0.2.1")
		if !errors.Is(err, ErrResendTooSoon) || sent.ResendIn <= 0 {
			t.Fatalf("second SendCode at once = %+v, %v, want ErrResendTooSoon with a wait", sent, err)
		}
	})
	t.Run("per account", func(t *testing.T) {
		e := newEnv(t)
		m := testutil.Member(t, e.app, "p@x.io", "P")
		var err error
		for i := range cfg.PerAccount + 1 {
			_, err = e.mod.Phones().SendCode(t.Context(), m, fmt.Sprintf("+861380013800%d", i), "192.0.2.1")
			e.clock.Advance(cfg.ResendAfter)
		}
		if !errors.Is(err, ErrTooManyCodes) || e.sms.Count() != cfg.PerAccount {
			t.Fatalf("code %d for one account = %v after %d texts, want ErrTooManyCodes after %d", cfg.PerAccount+1, err, e.sms.Count(), cfg.PerAccount)
		}
		e.clock.Advance(cfg.Window)
		if _, err := e.mod.Phones().SendCode(t.Context(), m, phone, "192.0.2.1"); err != nil {
			t.Errorf("SendCode after the window = %v, want nil", err)
		}
	})
	t.Run("per phone", func(t *testing.T) {
		e := newEnv(t)
		var err error
		for i := range cfg.PerPhone + 1 {
			m := testutil.Member(t, e.app, fmt.Sprintf("m%d@x.io", i), "M")
			_, err = e.mod.Phones().SendCode(t.Context(), m, phone, fmt.Sprintf("192.0.2.%d", i))
		}
		if !errors.Is(err, ErrTooManyCodes) {
			t.Fatalf("code %d for one phone = %v, want ErrTooManyCodes", cfg.PerPhone+1, err)
		}
	})
	t.Run("per ip", func(t *testing.T) {
		e := newEnv(t)
		var err error
		for i := range cfg.PerIP + 1 {
			m := testutil.Member(t, e.app, fmt.Sprintf("m%d@x.io", i), "M")
			_, err = e.mod.Phones().SendCode(t.Context(), m, fmt.Sprintf("+86139%08d", i), "192.0.2.9")
		}
		if !errors.Is(err, ErrTooManyCodes) {
			t.Fatalf("code %d from one IP = %v, want ErrTooManyCodes", cfg.PerIP+1, err)
		}
	})
	t.Run("failed text does not count", func(t *testing.T) {
		e := newEnv(t)
		m := testutil.Member(t, e.app, "p@x.io", "P")
		e.sms.Fail = errors.New("gateway down")
		if _, err := e.mod.Phones().SendCode(t.Context(), m, phone, "192.0.2.1"); !errors.Is(err, ErrSMSFailed) {
			t.Fatalf("SendCode with a failing gateway = %v, want ErrSMSFailed", err)
		}
		e.sms.Fail = nil
		if _, err := e.mod.Phones().SendCode(t.Context(), m, phone, "192.0.2.1"); err != nil {
			t.Errorf("SendCode after a failed text = %v, want nil (no wait, no count)", err)
		}
	})
	t.Run("failed text keeps the last code", func(t *testing.T) {
		e := newEnv(t)
		m := testutil.Member(t, e.app, "p@x.io", "P")
		if _, err := e.mod.Phones().SendCode(t.Context(), m, phone, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		first := e.sms.LastCode(t, phone)
		e.clock.Advance(cfg.ResendAfter)
		e.sms.Fail = errors.New("gateway down")
		if _, err := e.mod.Phones().SendCode(t.Context(), m, phone, "192.0.2.1"); !errors.Is(err, ErrSMSFailed) {
			t.Fatalf("SendCode with a failing gateway = %v, want ErrSMSFailed", err)
		}
		if _, err := e.mod.Phones().Verify(m, phone, first); err != nil {
			t.Errorf("the code that arrived stopped working after a failed resend: %v", err)
		}
	})
}

func TestPhoneBindingVetoedByPlugin(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "p@x.io", "P")
	e.events.PhoneBinding.BindFunc(func(ev *hooks.PhoneEvent) error {
		if strings.HasPrefix(ev.Phone, "+86170") {
			return errors.New("virtual operator numbers are not accepted")
		}
		return ev.Next()
	})
	if _, err := e.mod.Phones().SendCode(t.Context(), m, "+8617000000000", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	_, err := e.mod.Phones().Verify(m, "+8617000000000", e.sms.LastCode(t, "+8617000000000"))
	if !errors.Is(err, ErrBindingRefused) {
		t.Fatalf("Verify with a vetoing plugin = %v, want ErrBindingRefused", err)
	}
	if fresh, _ := e.app.FindRecordById("users", m.Id); fresh.GetString("phone") != "" {
		t.Errorf("phone stored despite the veto: %q", fresh.GetString("phone"))
	}
}

func TestPhoneAPI(t *testing.T) {
	type step struct {
		name   string
		url    string
		body   func(e *env) string
		lang   string
		status int
		want   []string
	}
	code := func(e *env) string { return e.sms.LastCode(t, phone) }
	cases := []struct {
		name  string
		setup func(t *testing.T, e *env)
		step  step
		guest bool
	}{
		{"guest", nil, step{url: "/api/members/phone/code", body: func(*env) string { return `{"phone":"13800138000"}` }, status: 401, want: []string{`"status":401`}}, true},
		{"invalid number in Chinese", nil, step{url: "/api/members/phone/code", body: func(*env) string { return `{"phone":"12"}` }, lang: "zh-CN", status: 400, want: []string{"这不是可以接收短信的手机号"}}, false},
		{"malformed body", nil, step{url: "/api/members/phone/code", body: func(*env) string { return `{"phone":` }, status: 400, want: []string{`"status":400`}}, false},
		{"send", nil, step{url: "/api/members/phone/code", body: func(*env) string { return `{"phone":"13800138000"}` }, status: 202, want: []string{`"phone":"+86138****8000"`, `"expiresIn":600`}}, false},
		{"resend too soon", func(t *testing.T, e *env) { sendFor(t, e, "p@x.io") }, step{url: "/api/members/phone/code", body: func(*env) string { return `{"phone":"13800138000"}` }, status: 429, want: []string{"Wait a minute"}}, false},
		{"wrong code", func(t *testing.T, e *env) { sendFor(t, e, "p@x.io") }, step{url: "/api/members/phone/verify", body: func(e *env) string { return `{"phone":"13800138000","code":"` + flip(code(e)) + `"}` }, status: 400, want: []string{"not right"}}, false},
		{"right code", func(t *testing.T, e *env) { sendFor(t, e, "p@x.io") }, step{url: "/api/members/phone/verify", body: func(e *env) string { return `{"phone":"13800138000","code":"` + code(e) + `"}` }, status: 200, want: []string{`"verified":true`}}, false},
		{"expired code", func(t *testing.T, e *env) { sendFor(t, e, "p@x.io"); e.clock.Advance(11 * time.Minute) }, step{url: "/api/members/phone/verify", body: func(e *env) string { return `{"phone":"13800138000","code":"` + code(e) + `"}` }, status: 400, want: []string{"expired"}}, false},
		// a number bound elsewhere gets the answer any number gets, until its code is proven
		{"number already bound", func(t *testing.T, e *env) { bindFor(t, e, "other@x.io") }, step{url: "/api/members/phone/code", body: func(*env) string { return `{"phone":"13800138000"}` }, status: 202, want: []string{`"expiresIn":600`}}, false},
		{"number already bound, code proven", func(t *testing.T, e *env) { bindFor(t, e, "other@x.io"); sendFor(t, e, "p@x.io") }, step{url: "/api/members/phone/verify", body: func(e *env) string { return `{"phone":"13800138000","code":"` + code(e) + `"}` }, status: 409, want: []string{"already bound to another account"}}, false},
		{"refused by a plugin", func(t *testing.T, e *env) {
			e.events.PhoneBinding.BindFunc(func(ev *hooks.PhoneEvent) error { return errors.New("Numbers of this operator are not accepted.") })
			sendFor(t, e, "p@x.io")
		}, step{url: "/api/members/phone/verify", body: func(e *env) string { return `{"phone":"13800138000","code":"` + code(e) + `"}` }, status: 403, want: []string{"cannot be bound to your account. Numbers of this operator are not accepted."}}, false},
		{"too many attempts", func(t *testing.T, e *env) {
			sendFor(t, e, "p@x.io")
			m, _ := e.app.FindAuthRecordByEmail("users", "p@x.io")
			for range DefaultConfig().Phone.MaxAttempts {
				e.mod.Phones().Verify(m, phone, flip(code(e)))
			}
		}, step{url: "/api/members/phone/verify", body: func(e *env) string { return `{"phone":"13800138000","code":"` + code(e) + `"}` }, status: 429, want: []string{"Too many wrong codes"}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			me := testutil.Member(t, e.app, "p@x.io", "P")
			if c.setup != nil {
				c.setup(t, e)
			}
			h := map[string]string{}
			if !c.guest {
				h["Authorization"] = testutil.Token(t, me)
			}
			if c.step.lang != "" {
				h["Accept-Language"] = c.step.lang
			}
			e.run(t, tests.ApiScenario{
				Method: http.MethodPost, URL: c.step.url, Body: strings.NewReader(c.step.body(e)), Headers: h,
				ExpectedStatus: c.step.status, ExpectedContent: c.step.want,
			})
		})
	}
}

func sendFor(t *testing.T, e *env, email string) {
	t.Helper()
	m, err := e.app.FindAuthRecordByEmail("users", email)
	if err != nil {
		m = testutil.Member(t, e.app, email, "X")
	}
	if _, err := e.mod.Phones().SendCode(t.Context(), m, phone, "192.0.2.50"); err != nil {
		t.Fatal(err)
	}
}

func bindFor(t *testing.T, e *env, email string) {
	t.Helper()
	sendFor(t, e, email)
	m, _ := e.app.FindAuthRecordByEmail("users", email)
	if _, err := e.mod.Phones().Verify(m, phone, e.sms.LastCode(t, phone)); err != nil {
		t.Fatal(err)
	}
}

func flip(code string) string { return fmt.Sprintf("%06d", (mustAtoi(code)+1)%1000000) }

func TestPhoneForms(t *testing.T) {
	e := newEnv(t)
	testutil.Member(t, e.app, "p@x.io", "P")
	b := testutil.NewBrowser(t, e.app)
	if status, _, _ := b.Do("POST", "/signin", url.Values{"email": {"p@x.io"}, "password": {"password123"}}); status != 303 {
		t.Fatalf("sign in = %d", status)
	}
	if status, body, _ := b.Do("GET", "/members/phone", nil); status != 200 || !strings.Contains(body, `name="phone"`) {
		t.Fatalf("GET /members/phone = %d", status)
	}
	status, body, _ := b.Do("POST", "/members/phone/code", url.Values{"phone": {"138 0013 8000"}})
	if status != 200 || !strings.Contains(body, `name="code"`) || !strings.Contains(body, `value="138 0013 8000"`) || !strings.Contains(body, "data-cooldown") {
		t.Fatalf("POST /members/phone/code = %d, want the code form with the number kept:\n%.500s", status, body)
	}
	status, body, _ = b.Do("POST", "/members/phone/verify", url.Values{"phone": {"138 0013 8000"}, "code": {flip(e.sms.LastCode(t, phone))}})
	if status != 400 || !strings.Contains(body, "not right") || !strings.Contains(body, `value="138 0013 8000"`) {
		t.Fatalf("POST /members/phone/verify (wrong) = %d, want 400 keeping the number:\n%.500s", status, body)
	}
	status, _, h := b.Do("POST", "/members/phone/verify", url.Values{"phone": {"138 0013 8000"}, "code": {e.sms.LastCode(t, phone)}})
	if status != 303 || h.Get("Location") != "/profile" {
		t.Fatalf("POST /members/phone/verify = %d to %q, want 303 to /profile", status, h.Get("Location"))
	}
	if _, body, _ := b.Do("GET", "/profile", nil); !strings.Contains(body, "138****8000") || strings.Contains(body, "13800138000") {
		t.Errorf("profile after binding should show the masked number only:\n%.800s", body)
	}
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

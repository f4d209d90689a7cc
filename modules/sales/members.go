package sales

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/ui"
)

// errSignedOut is a request without a valid member token.
var errSignedOut = errors.New("sales: signed out")

// buyer is what the sale path needs to know of a member, cached so that a
// purchase attempt verifies its token without reading the database.
type buyer struct {
	ID            string
	Name          string
	Language      string
	PhoneVerified bool
	Staff         bool
	Created       time.Time
	secret        string // the token signing key: the record's key + the collection's
	loaded        time.Time
	// remote: an edge learnt this buyer from the core (whois), with the
	// answer to the veteran perk
	remote, veteran bool
}

// buyers caches members by id. An update or delete of the member drops the
// entry (a password change rotates the token key); entries also expire.
type buyers struct {
	app core.App
	ttl time.Duration
	now func() time.Time
	mu  sync.RWMutex
	m   map[string]*buyer
	// tokens remembers verified tokens: at the opening every member sends
	// the same token again and again, and parsing a JWT twice per attempt
	// would be most of the attempt's cost. It keeps two generations: when
	// the newer holds half of tokenLimit, the older is dropped and the newer
	// takes its place, and a token found in the older is carried into the
	// newer. So the tokens in use stay, and a full cache never forgets every
	// member at once (which would send them all back to the JWT parser at
	// the busiest moment).
	tokens, oldTokens map[string]verified
	tokenLimit        int
}

type verified struct {
	b       *buyer
	expires time.Time
}

// maxTokens bounds the verified-token cache (about 250 bytes an entry).
const maxTokens = 500_000

func newBuyers(app core.App, now func() time.Time) *buyers {
	return &buyers{app: app, ttl: 10 * time.Minute, now: now, m: map[string]*buyer{}, tokens: map[string]verified{},
		tokenLimit: maxTokens}
}

func (c *buyers) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// authenticator tells who sends a request: the buyers cache in the core,
// the core's answers (whois) at an edge.
type authenticator interface {
	fromRequest(r *http.Request) (*buyer, error)
}

// requestToken is the request's member token: the Authorization header or
// the web UI's auth cookie.
func requestToken(r *http.Request) string {
	token := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if token == "" {
		if ck, err := r.Cookie(ui.AuthCookie); err == nil {
			token = ck.Value
		}
	}
	return token
}

// fromRequest authenticates the request by its Authorization header or the
// web UI's auth cookie.
func (c *buyers) fromRequest(r *http.Request) (*buyer, error) {
	b, _, err := c.fromToken(requestToken(r))
	return b, err
}

// fromToken verifies a member token; expires is the token's own expiry
// (zero: none).
func (c *buyers) fromToken(token string) (b *buyer, expires time.Time, err error) {
	if token == "" {
		return nil, time.Time{}, errSignedOut
	}
	now := c.now()
	c.mu.RLock()
	v, ok := c.tokens[token]
	older := false
	if !ok {
		v, ok = c.oldTokens[token]
		older = ok
	}
	current := ok && c.m[v.b.ID] == v.b // the member was not changed since
	c.mu.RUnlock()
	if current && now.Before(v.expires) && now.Sub(v.b.loaded) < c.ttl {
		if older {
			c.keepToken(token, v)
		}
		return v.b, v.expires, nil
	}
	claims, err := security.ParseUnverifiedJWT(token)
	if err != nil {
		return nil, time.Time{}, errSignedOut
	}
	id, _ := claims[core.TokenClaimId].(string)
	typ, _ := claims[core.TokenClaimType].(string)
	if id == "" || typ != core.TokenTypeAuth {
		return nil, time.Time{}, errSignedOut
	}
	b, err = c.get(id)
	if err != nil {
		return nil, time.Time{}, errSignedOut
	}
	if _, err := security.ParseJWT(token, b.secret); err != nil {
		return nil, time.Time{}, errSignedOut
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return b, time.Time{}, nil
	}
	c.keepToken(token, verified{b: b, expires: exp.Time})
	return b, exp.Time, nil
}

// keepToken puts a verified token in the newer generation.
func (c *buyers) keepToken(token string, v verified) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tokens) >= c.tokenLimit/2 {
		c.oldTokens, c.tokens = c.tokens, make(map[string]verified, len(c.tokens))
	}
	c.tokens[token] = v
}

func (c *buyers) get(id string) (*buyer, error) {
	now := c.now()
	c.mu.RLock()
	b := c.m[id]
	c.mu.RUnlock()
	if b != nil && now.Sub(b.loaded) < c.ttl {
		return b, nil
	}
	b, err := c.load(id)
	if err != nil {
		return nil, err
	}
	b.loaded = now
	c.mu.Lock()
	c.m[id] = b
	c.mu.Unlock()
	return b, nil
}

// load reads the few columns a buyer needs: every member's first request
// at a sale comes here, so it skips building a full record.
func (c *buyers) load(id string) (*buyer, error) {
	users, err := c.app.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return nil, err
	}
	var row struct {
		ID            string         `db:"id"`
		Name          string         `db:"name"`
		Language      string         `db:"language"`
		Roles         types.JSONRaw  `db:"roles"`
		PhoneVerified types.DateTime `db:"phone_verified"`
		Created       types.DateTime `db:"created"`
		TokenKey      string         `db:"tokenKey"`
	}
	err = c.app.DB().NewQuery("SELECT id, name, language, roles, phone_verified, created, tokenKey FROM users WHERE id = {:id}").
		Bind(dbx.Params{"id": id}).One(&row)
	if err != nil {
		return nil, err
	}
	var roles []string
	_ = json.Unmarshal(row.Roles, &roles)
	return &buyer{ID: row.ID, Name: row.Name, Language: row.Language, PhoneVerified: !row.PhoneVerified.IsZero(),
		Staff: slices.Contains(roles, "staff"), Created: row.Created.Time(), secret: row.TokenKey + users.AuthToken.Secret}, nil
}

func buyerOf(rec *core.Record) *buyer {
	staff := false
	for _, r := range rec.GetStringSlice("roles") {
		staff = staff || r == "staff"
	}
	return &buyer{ID: rec.Id, Name: rec.GetString("name"), Language: rec.GetString("language"),
		PhoneVerified: !rec.GetDateTime("phone_verified").IsZero(), Staff: staff,
		Created: rec.GetDateTime("created").Time(),
		secret:  rec.TokenKey() + rec.Collection().AuthToken.Secret}
}

// eligible is the one place that decides who may take part in a sale, by
// its rules for the member: staff-only sessions, a verified phone, the
// account age. Reserving and buying both ask it; an F-code stands in for a
// reservation, never for these rules.
//
// A member whose account is too young for a veteran session may hold the
// "veteran_sessions" perk (a VIP, by the belonging module's perks): perk is
// asked then, and only then, so the hot path asks nobody.
func eligible(b *buyer, info SaleInfo, now time.Time, perk func(member, name string) bool) error {
	switch {
	case info.StaffOnly && !b.Staff:
		return ErrStaffOnly
	case !b.PhoneVerified:
		return ErrPhoneRequired
	case info.MinAccountAge > 0 && now.Sub(b.Created) < info.MinAccountAge && (perk == nil || !perk(b.ID, PerkVeteran)):
		return ErrAccountTooYoung
	}
	return nil
}

// PerkVeteran is the perk that opens veteran sessions to younger accounts.
const PerkVeteran = "veteran_sessions"

// hasPerk asks the site whether member holds perk.
func (m *Module) hasPerk(member, perk string) bool {
	return m.deps.Events != nil && m.deps.Events.HasPerk(m.app, member, perk)
}

// visible returns the sale a member may see: an unpublished sale is
// unknown to everyone but staff.
func (m *Module) visible(id string, b *buyer) (SaleInfo, error) {
	info, ok := m.seller.Info(id)
	if !ok || (!info.Published && (b == nil || !b.Staff)) {
		return SaleInfo{}, ErrUnknownSale
	}
	return info, nil
}

// admit returns the sale b may reserve in or buy from now, or why not: an
// unknown or unpublished sale, or a rule of the sale b does not meet.
func (m *Module) admit(id string, b *buyer, now time.Time) (SaleInfo, error) {
	info, ok := m.seller.Info(id)
	if !ok || !info.Published {
		return SaleInfo{}, ErrUnknownSale
	}
	return info, eligible(b, info, now, m.perk(b))
}

// perk is how a perk of b is asked: the site's question in the core; at an
// edge, what the core answered when it verified b (whois).
func (m *Module) perk(b *buyer) func(member, name string) bool {
	if b.remote {
		return func(_, name string) bool { return name == PerkVeteran && b.veteran }
	}
	return m.hasPerk
}

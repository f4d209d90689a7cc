package belonging

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/canyu/canyu/ui"
)

// Config is the belonging section of the configuration.
type Config struct {
	// Enabled switches points, the rewards store, titles, badges, VIP,
	// segments, leaderboards and the insights page on.
	Enabled bool `mapstructure:"enabled"`
	// Earn are the earning rules: an action's points and how many times a
	// day (in the site's time zone) it pays (0: no cap).
	Earn EarnRules `mapstructure:"earn"`
	// Titles is the ladder of titles by account age, shortest first.
	Titles []Title `mapstructure:"titles"`
	// VIPOnPurchase makes a member VIP with their first paid order.
	VIPOnPurchase bool `mapstructure:"vip_on_purchase"`
	// Perks name who holds each perk other modules ask about: "vip",
	// "segment:<name>", "badge:<slug>" or "title:<days>" (an account at
	// least that many days old).
	Perks Perks `mapstructure:"perks"`
	// SegmentDays is the window of activity the segments are computed over.
	SegmentDays int `mapstructure:"segment_days"`
	// Limits are the rate limits of the module's writes.
	Limits Limits `mapstructure:"limits"`
}

// EarnRules are the earning rules, one per action that pays.
type EarnRules struct {
	Topic         Earning `mapstructure:"topic"`
	MeTooReceived Earning `mapstructure:"metoo_received"`
	Shipped       Earning `mapstructure:"shipped"`
	Ballot        Earning `mapstructure:"ballot"`
	Attended      Earning `mapstructure:"attended"`
	Purchase      Earning `mapstructure:"purchase"`
	Tester        Earning `mapstructure:"tester"`
}

// Rule returns the rule of action (the zero rule pays nothing).
func (r EarnRules) Rule(action string) Earning {
	return map[string]Earning{ActTopic: r.Topic, ActMeTooGot: r.MeTooReceived, ActShipped: r.Shipped, ActBallot: r.Ballot,
		ActAttended: r.Attended, ActPurchase: r.Purchase, ActTester: r.Tester}[action]
}

// Perks name who holds each perk other modules ask about.
type Perks struct {
	// VeteranSessions: buying in a sales session for veteran accounts
	// before one's account is old enough (the sales module asks it).
	VeteranSessions []string `mapstructure:"veteran_sessions"`
}

// Who returns who holds perk.
func (p Perks) Who(perk string) []string {
	return map[string][]string{PerkVeteranSessions: p.VeteranSessions}[perk]
}

// All lists the perks with who holds each, in order.
func (p Perks) All() []struct {
	Perk string
	Who  []string
} {
	return []struct {
		Perk string
		Who  []string
	}{{PerkVeteranSessions, p.VeteranSessions}}
}

// PerkVeteranSessions is the perk the sales module asks about.
const PerkVeteranSessions = "veteran_sessions"

// Earning is the rule of one action.
type Earning struct {
	Points int `mapstructure:"points"`
	PerDay int `mapstructure:"per_day"`
}

// Title is one rung of the ladder: from Days of account age on, a member is
// called EN (English) or ZH (Chinese).
type Title struct {
	Days int    `mapstructure:"days"`
	EN   string `mapstructure:"en"`
	ZH   string `mapstructure:"zh"`
}

// Limits are the belonging module's own rate limits ("10/1m", or "off").
type Limits struct {
	// Redeem: redemptions and their cancellation by the member.
	Redeem ui.LimitPair `mapstructure:"redeem"`
	// Member: a member's choices (the badge shown as title) and VIP claims.
	Member ui.LimitPair `mapstructure:"member"`
	// Staff: grants, manual badges, fulfilment, claim decisions.
	Staff ui.LimitPair `mapstructure:"staff"`
}

// The actions that earn points (the others are counted for badges,
// segments and the funnel only: "metoo" pressed, "reserved").
const (
	ActTopic     = "topic"          // started a topic
	ActMeTooGot  = "metoo_received" // a member pressed "me too" on their need
	ActShipped   = "shipped"        // a need they asked for shipped
	ActBallot    = "ballot"         // a Popcorn ballot on a release
	ActAttended  = "attended"       // checked in at a meetup
	ActPurchase  = "purchase"       // a paid order
	ActTester    = "tester"         // admitted to a tester programme
	ActMeToo     = "metoo"          // pressed "me too" (no points: the funnel)
	ActReserved  = "reserved"       // reserved in a sale (no points: the funnel)
	reasonRedeem = "redeem"
	reasonRefund = "refund"
	reasonGrant  = "grant"
)

// earning lists the actions that may pay points, in the rules page's order.
var earning = []string{ActTopic, ActMeTooGot, ActShipped, ActBallot, ActAttended, ActPurchase, ActTester}

// Segments are the playbook's four groups, in the order a member is placed.
var Segments = []string{"testers", "leaders", "fans", "followers"}

// DefaultConfig returns the defaults of the belonging section.
func DefaultConfig() Config {
	return Config{Enabled: true, VIPOnPurchase: true, SegmentDays: 90,
		Earn: EarnRules{Topic: Earning{5, 3}, MeTooReceived: Earning{2, 20}, Shipped: Earning{50, 0}, Ballot: Earning{3, 5},
			Attended: Earning{20, 2}, Purchase: Earning{100, 3}, Tester: Earning{30, 0}},
		Titles: []Title{
			{0, "Newcomer", "新人"}, {30, "Member", "粉丝"}, {180, "Regular", "资深粉丝"},
			{365, "Veteran", "元老"}, {1095, "Elder", "荣誉元老"},
		},
		Perks: Perks{VeteranSessions: []string{"vip", "title:365", "segment:testers"}},
		Limits: Limits{
			Redeem: ui.LimitPair{Member: "10/1h", IP: "60/1h"},
			Member: ui.LimitPair{Member: "30/10m", IP: "120/10m"},
			Staff:  ui.LimitPair{Member: "600/1m", IP: "off"},
		}}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	var errs []error
	for _, action := range earning {
		if e := c.Earn.Rule(action); e.Points < 0 || e.PerDay < 0 {
			errs = append(errs, fmt.Errorf("belonging.earn.%s: points and per_day must be 0 or more", action))
		}
	}
	if len(c.Titles) == 0 || c.Titles[0].Days != 0 {
		errs = append(errs, errors.New("belonging.titles: the ladder starts at days: 0"))
	}
	for i, t := range c.Titles {
		if t.EN == "" || t.ZH == "" {
			errs = append(errs, fmt.Errorf("belonging.titles[%d]: a title needs en and zh", i))
		}
		if i > 0 && t.Days <= c.Titles[i-1].Days {
			errs = append(errs, fmt.Errorf("belonging.titles[%d]: days must grow", i))
		}
	}
	for _, p := range c.Perks.All() {
		perk := p.Perk
		for _, w := range p.Who {
			kind, arg, _ := strings.Cut(w, ":")
			ok := kind == "vip" && arg == "" || kind == "segment" && slices.Contains(Segments, arg) || kind == "badge" && arg != ""
			if kind == "title" {
				var d int
				_, err := fmt.Sscanf(arg, "%d", &d)
				ok = err == nil && d >= 0
			}
			if !ok {
				errs = append(errs, fmt.Errorf("belonging.perks.%s: %q is not vip, segment:<%s>, badge:<slug> or title:<days>", perk, w, strings.Join(Segments, "|")))
			}
		}
	}
	if c.SegmentDays < 7 {
		errs = append(errs, errors.New("belonging.segment_days must be at least 7"))
	}
	errs = append(errs, ui.ValidateLimits("belonging.limits", map[string]ui.LimitPair{"redeem": c.Limits.Redeem, "member": c.Limits.Member, "staff": c.Limits.Staff}))
	return errors.Join(errs...)
}

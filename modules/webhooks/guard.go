package webhooks

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrForbiddenTarget is returned when a webhook would connect to a loopback,
// private, link-local or otherwise internal address.
var ErrForbiddenTarget = errors.New("webhooks: target address is internal")

var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),
	// IPv6 ranges that carry an IPv4 address inside, so a gateway may reach
	// an internal IPv4 host through them
	netip.MustParsePrefix("::/96"),          // IPv4-compatible (::a.b.c.d, deprecated)
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64, well-known prefix
	netip.MustParsePrefix("64:ff9b:1::/48"), // NAT64, local-use prefix
	netip.MustParsePrefix("2002::/16"),      // 6to4
	netip.MustParsePrefix("2001::/32"),      // Teredo
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated, still routed inside some networks)
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
}

// internal reports whether ip must not be the target of a webhook.
func internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// guardedDialer checks the address at connect time, after DNS resolution,
// for every connection: the first one, each redirect, and a name whose
// address changed since it was saved.
func guardedDialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{}
	if allowPrivate {
		return d
	}
	d.Control = func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbiddenTarget, address)
		}
		if internal(ip) {
			return fmt.Errorf("%w: %s", ErrForbiddenTarget, ip)
		}
		return nil
	}
	return d
}

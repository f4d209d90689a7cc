// Package cpustat reads the machine's CPU counters, so a benchmark can say
// how busy the machine was while it measured and how much of the CPU the
// hypervisor gave to other guests ("steal"), which moves figures between
// runs on a shared virtual machine.
package cpustat

import (
	"os"
	"strconv"
	"strings"
)

// Times are the machine's CPU counters from /proc/stat, in clock ticks.
type Times struct{ total, idle, steal int64 }

// Read returns the counters now (zero where /proc/stat cannot be read).
func Read() Times {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Times{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var t Times
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		switch i {
		case 3, 4: // idle, iowait
			t.idle += v
		case 7:
			t.steal = v
		}
		if i < 8 { // guest time is already counted in user
			t.total += v
		}
	}
	return t
}

// Since returns the share of CPU time between a and t that was busy (the
// guest's own work) and stolen by the hypervisor, in percent.
func (t Times) Since(a Times) (busy, steal float64) {
	total := float64(t.total - a.total)
	if total <= 0 {
		return 0, 0
	}
	stolen := float64(t.steal - a.steal)
	return 100 * (total - float64(t.idle-a.idle) - stolen) / total, 100 * stolen / total
}

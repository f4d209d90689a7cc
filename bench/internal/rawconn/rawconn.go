// Package rawconn hands a connected socket over from Go's network poller to
// a load generator's own epoll loops, and runs such loops: loops that never
// sleep in epoll_wait.
//
// Why: on loopback the sender's write runs the receiving side of TCP too,
// and when the receiver sleeps in epoll_wait that write must also wake it,
// an inter-processor interrupt that a virtual machine pays dearly for. A
// real server writes to a network card and wakes nobody. A generator that is
// never asleep in epoll_wait keeps that cost out of the server's figures.
package rawconn

import (
	"context"
	"net"
	"syscall"
	"time"
)

// Detach returns a non-blocking duplicate of c's socket and closes c, so
// nothing of the Go runtime waits on it any more. Nothing must be left
// unread in c's buffers.
func Detach(c net.Conn) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, syscall.EINVAL
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	dup := -1
	if cerr := raw.Control(func(fd uintptr) { dup, err = syscall.Dup(int(fd)) }); cerr != nil {
		return -1, cerr
	}
	if err != nil {
		return -1, err
	}
	c.Close() // the socket stays open through dup
	if err := syscall.SetNonblock(dup, true); err != nil {
		syscall.Close(dup)
		return -1, err
	}
	return dup, nil
}

// Loop is one epoll set, polled without waiting.
type Loop struct {
	epfd int
}

// NewLoop returns an empty loop.
func NewLoop() (*Loop, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &Loop{epfd: fd}, nil
}

// Add watches fd for reading.
func (l *Loop) Add(fd int) error {
	return syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)})
}

// Remove stops watching fd.
func (l *Loop) Remove(fd int) { syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, fd, nil) }

// Run calls ready(fd) for every readable socket until ctx ends or done()
// says so, napping for nap when nothing is ready (the nap is the most it
// adds to a measured latency). It closes the epoll set when it returns.
func (l *Loop) Run(ctx context.Context, nap time.Duration, done func() bool, ready func(fd int)) {
	defer syscall.Close(l.epfd)
	events := make([]syscall.EpollEvent, 512)
	ts := syscall.NsecToTimespec(int64(nap))
	for ctx.Err() == nil && !done() {
		n, err := syscall.EpollWait(l.epfd, events, 0)
		if err != nil && err != syscall.EINTR {
			return
		}
		if n <= 0 {
			syscall.Nanosleep(&ts, nil)
			continue
		}
		for _, ev := range events[:n] {
			ready(int(ev.Fd))
		}
	}
}

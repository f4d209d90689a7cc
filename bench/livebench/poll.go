package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"sync"
	"syscall"
	"time"
)

// poller reads the client sockets once they are connected and subscribed,
// from a few loops that poll epoll without waiting in it (and nap 1 ms when
// nothing is ready).
//
// Why: on loopback the server's write runs the receiving side of TCP too,
// and when the receiver sleeps in epoll_wait, that write must also wake it,
// an inter-processor interrupt that a virtual machine pays dearly for. A
// real server writes to a network card and wakes nobody; a client that is
// never asleep in epoll_wait keeps that cost out of the server's figures,
// and 4 loops cost the machine less than one goroutine per connection. The
// nap adds at most about 1 ms to a measured lag.
type poller struct {
	mode  string // ws or sse
	st    *stats
	loops []*pollLoop
	mu    sync.Mutex
	next  int
}

type pollLoop struct {
	st    *stats
	epfd  int
	mu    sync.Mutex
	socks map[int32]*pollSock
	lags  []time.Duration
}

type pollSock struct {
	fd    int
	carry []byte // the start of a message cut by the end of a read
}

func newPoller(mode string, st *stats, loops int) (*poller, error) {
	p := &poller{mode: mode, st: st}
	for range loops {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return nil, err
		}
		p.loops = append(p.loops, &pollLoop{st: st, epfd: fd, socks: map[int32]*pollSock{}})
	}
	return p, nil
}

// adopt takes a connected, subscribed client over: it keeps a duplicate of
// the socket and closes c, so nothing of the Go runtime waits on it any more.
// Nothing must be left unread in c's buffers.
func (p *poller) adopt(c net.Conn) error {
	raw, err := c.(interface {
		SyscallConn() (syscall.RawConn, error)
	}).SyscallConn()
	if err != nil {
		return err
	}
	dup := -1
	cerr := raw.Control(func(fd uintptr) { dup, err = syscall.Dup(int(fd)) })
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	c.Close() // the socket stays open through dup
	if err := syscall.SetNonblock(dup, true); err != nil {
		syscall.Close(dup)
		return err
	}
	p.mu.Lock()
	l := p.loops[p.next%len(p.loops)]
	p.next++
	p.mu.Unlock()
	l.mu.Lock()
	l.socks[int32(dup)] = &pollSock{fd: dup}
	l.mu.Unlock()
	return syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, dup, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(dup)})
}

// run polls every loop until ctx ends, then merges the lags and closes the
// sockets.
func (p *poller) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, l := range p.loops {
		wg.Go(func() { l.run(ctx, p) })
	}
	wg.Wait()
	for _, l := range p.loops {
		p.st.merge(l.lags)
		for fd := range l.socks {
			syscall.Close(int(fd))
		}
		syscall.Close(l.epfd)
	}
}

func (l *pollLoop) run(ctx context.Context, p *poller) {
	events := make([]syscall.EpollEvent, 512)
	buf := make([]byte, 64<<10)
	nap := syscall.Timespec{Nsec: int64(time.Millisecond)}
	for ctx.Err() == nil {
		n, err := syscall.EpollWait(l.epfd, events, 0)
		if err != nil && err != syscall.EINTR {
			return
		}
		if n <= 0 {
			syscall.Nanosleep(&nap, nil)
			continue
		}
		l.mu.Lock()
		for _, ev := range events[:n] {
			if s := l.socks[ev.Fd]; s != nil {
				l.read(s, buf, p)
			}
		}
		l.mu.Unlock()
	}
}

// read drains one socket and records every complete message.
func (l *pollLoop) read(s *pollSock, buf []byte, p *poller) {
	for {
		n, err := syscall.Read(s.fd, buf)
		if n <= 0 || err != nil {
			if err != syscall.EAGAIN && err != syscall.EINTR {
				syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, s.fd, nil) // closed by the server
			}
			return
		}
		data := buf[:n]
		if len(s.carry) > 0 {
			data = append(s.carry, data...)
		}
		var rest []byte
		if p.mode == "ws" {
			rest = l.frames(s, data)
		} else {
			rest = l.events(data)
		}
		s.carry = append(s.carry[:0], rest...)
		if n < len(buf) {
			return
		}
	}
}

// frames takes the server's WebSocket frames (never masked) out of data,
// answers pings, and returns an incomplete tail.
func (l *pollLoop) frames(s *pollSock, data []byte) []byte {
	for len(data) >= 2 {
		hdr, size := 2, int(data[1]&0x7f)
		switch size {
		case 126:
			if len(data) < 4 {
				return data
			}
			hdr, size = 4, int(binary.BigEndian.Uint16(data[2:4]))
		case 127:
			if len(data) < 10 {
				return data
			}
			hdr, size = 10, int(binary.BigEndian.Uint64(data[2:10]))
		}
		if len(data) < hdr+size {
			return data
		}
		payload := data[hdr : hdr+size]
		switch data[0] & 0x0f {
		case 1: // text: a snapshot
			l.record(payload)
		case 9: // ping: a masked pong with the same payload (a zero mask leaves it as is)
			if size <= 125 {
				pong := append([]byte{0x8a, 0x80 | byte(size), 0, 0, 0, 0}, payload...)
				syscall.Write(s.fd, pong)
			}
		}
		data = data[hdr+size:]
	}
	return data
}

// events takes server-sent events ("...data:{...}\n\n", inside HTTP chunks)
// out of data and returns an incomplete tail.
func (l *pollLoop) events(data []byte) []byte {
	for {
		i := bytes.Index(data, []byte("\n\n"))
		if i < 0 {
			return data
		}
		l.record(data[:i])
		data = data[i+2:]
	}
}

func (l *pollLoop) record(msg []byte) { l.lags = l.st.record(l.lags, msg) }

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/canyu/canyu/bench/internal/rawconn"
)

// poller reads the client sockets once they are connected and subscribed,
// from a few loops that poll epoll without waiting in it and nap 1 ms when
// nothing is ready (see package rawconn for why). 4 loops also cost the
// machine less than one goroutine per connection. The nap adds at most
// about 1 ms to a measured lag.
type poller struct {
	mode  string // ws or sse
	st    *stats
	loops []*pollLoop
	mu    sync.Mutex
	next  int
}

type pollLoop struct {
	st    *stats
	loop  *rawconn.Loop
	mu    sync.Mutex
	socks map[int]*pollSock
	lags  []time.Duration
}

type pollSock struct {
	fd    int
	carry []byte // the start of a message cut by the end of a read
}

func newPoller(mode string, st *stats, loops int) (*poller, error) {
	p := &poller{mode: mode, st: st}
	for range loops {
		l, err := rawconn.NewLoop()
		if err != nil {
			return nil, err
		}
		p.loops = append(p.loops, &pollLoop{st: st, loop: l, socks: map[int]*pollSock{}})
	}
	return p, nil
}

// adopt takes a connected, subscribed client over (rawconn.Detach).
func (p *poller) adopt(c net.Conn) error {
	fd, err := rawconn.Detach(c)
	if err != nil {
		return err
	}
	p.mu.Lock()
	l := p.loops[p.next%len(p.loops)]
	p.next++
	p.mu.Unlock()
	l.mu.Lock()
	l.socks[fd] = &pollSock{fd: fd}
	l.mu.Unlock()
	return l.loop.Add(fd)
}

// run polls every loop until ctx ends, then merges the lags and closes the
// sockets.
func (p *poller) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, l := range p.loops {
		wg.Go(func() {
			buf := make([]byte, 64<<10)
			l.loop.Run(ctx, time.Millisecond, func() bool { return false }, func(fd int) {
				l.mu.Lock()
				defer l.mu.Unlock()
				if s := l.socks[fd]; s != nil {
					l.read(s, buf, p)
				}
			})
		})
	}
	wg.Wait()
	for _, l := range p.loops {
		p.st.merge(l.lags)
		for fd := range l.socks {
			syscall.Close(fd)
		}
	}
}

// read drains one socket and records every complete message.
func (l *pollLoop) read(s *pollSock, buf []byte, p *poller) {
	for {
		n, err := syscall.Read(s.fd, buf)
		if n <= 0 || err != nil {
			if err != syscall.EAGAIN && err != syscall.EINTR {
				l.loop.Remove(s.fd) // closed by the server
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

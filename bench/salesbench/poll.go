package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/canyu/canyu/bench/internal/rawconn"
)

// pollLoops is how many loops read the answers: one per core.
const pollLoops = 2

// pollNap is the most a loop with nothing to read waits before it looks
// again, and so the most it adds to a measured latency.
const pollNap = 50 * time.Microsecond

// polled is one connection's state in a loop.
type polled struct {
	c          *conn
	r          *recorder
	in         []byte // the answer read so far
	answerSize int    // the size of the whole answer at the start of in
	n          int64
	req        request
	sent       time.Time
	active     bool
}

// runPolled is run with the answers read by loops that never sleep in
// epoll_wait (package rawconn says why): each connection's socket is taken
// from Go's poller once, then every request is written and every answer read
// by hand.
func runPolled(cs []*conn, stop func() bool, j job) summary {
	var next atomic.Int64
	start := time.Now()
	rs := make([]*recorder, len(cs))
	var wg sync.WaitGroup
	for k := range pollLoops {
		loop, err := rawconn.NewLoop()
		if err != nil {
			panic(err)
		}
		mine := map[int]*polled{}
		active := 0
		begin := func(p *polled) {
			p.active = false
			if stop() {
				return
			}
			p.n = next.Add(1) - 1
			req, ok := j.request(p.n)
			if !ok {
				return
			}
			p.req, p.sent = req, time.Now()
			p.c.buf = req.appendTo(p.c.buf[:0], p.c.host)
			if err := writeAll(p.c.fd, p.c.buf); err != nil {
				p.r.fail(req, err)
				return
			}
			p.active = true
		}
		for i := k; i < len(cs); i += pollLoops {
			rs[i] = newRecorder()
			if cs[i].fd < 0 {
				fd, err := rawconn.Detach(cs[i].c)
				if err != nil {
					panic(err)
				}
				cs[i].fd = fd
			}
			if err := loop.Add(cs[i].fd); err != nil {
				panic(err)
			}
			mine[cs[i].fd] = &polled{c: cs[i], r: rs[i]}
		}
		wg.Go(func() {
			for _, p := range mine {
				if begin(p); p.active {
					active++
				}
			}
			loop.Run(context.Background(), pollNap, func() bool { return active == 0 }, func(fd int) {
				p := mine[fd]
				if p == nil || !p.active {
					return
				}
				status, body, err := p.read()
				switch {
				case err != nil:
					p.r.fail(p.req, err)
					p.active = false
				case status == 0: // not all of it yet
					return
				default:
					p.r.done(p.req, status, p.sent, start)
					if j.answer(p.n, status, body, p.r) {
						p.in = p.in[:copy(p.in, p.in[p.answerSize:])]
						begin(p)
					} else {
						p.active = false
					}
				}
				if !p.active {
					loop.Remove(fd)
					active--
				}
			})
		})
	}
	wg.Wait()
	return merge(rs, time.Since(start))
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EAGAIN || err == syscall.EINTR {
			continue // a full send buffer on loopback drains at once
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// read takes what the socket has and returns the answer once it is whole
// (status 0 until then). The body is valid until the next request.
func (p *polled) read() (int, []byte, error) {
	for {
		if cap(p.in)-len(p.in) < 4096 {
			p.in = append(make([]byte, 0, 2*cap(p.in)+8192), p.in...)
		}
		n, err := syscall.Read(p.c.fd, p.in[len(p.in):cap(p.in)])
		if err == syscall.EAGAIN {
			break
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, nil, err
		}
		if n == 0 {
			return 0, nil, errors.New("the server closed the connection")
		}
		p.in = p.in[:len(p.in)+n]
	}
	status, body, size, err := parseAnswer(p.in)
	p.answerSize = size
	return status, body, err
}

// parseAnswer reads an HTTP/1.1 answer with a Content-Length at the start
// of b: its status, body and size, or status 0 when b holds only part of it.
func parseAnswer(b []byte) (status int, body []byte, size int, err error) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return 0, nil, 0, nil
	}
	if end < 12 {
		return 0, nil, 0, fmt.Errorf("bad status line %q", b[:end])
	}
	if status, err = strconv.Atoi(string(b[9:12])); err != nil {
		return 0, nil, 0, fmt.Errorf("bad status line %q", b[:min(end, 40)])
	}
	length := -1
	for _, h := range bytes.Split(b[:end], []byte("\r\n"))[1:] {
		name, value, _ := bytes.Cut(h, []byte(":"))
		switch {
		case bytes.EqualFold(name, []byte("content-length")):
			length, _ = strconv.Atoi(string(bytes.TrimSpace(value)))
		case bytes.EqualFold(name, []byte("transfer-encoding")):
			return 0, nil, 0, errors.New("the answer has no Content-Length")
		}
	}
	if length < 0 {
		return 0, nil, 0, errors.New("the answer has no Content-Length")
	}
	size = end + 4 + length
	if len(b) < size {
		return 0, nil, 0, nil
	}
	return status, b[end+4 : size], size, nil
}

package main

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// sink reads thousands of client connections with a few epoll loops instead
// of one goroutine each, so the load generator takes as little CPU as it can
// from the server it shares the machine with. Connections are set up (dial,
// handshake, subscribe) the ordinary way, then handed over. It only looks for
// the "ts": numbers in the byte stream, which works for WebSocket frames and
// SSE events alike.
type sink struct {
	eps    []int
	mu     sync.Mutex
	conns  map[int]*sinkConn
	closed atomic.Bool
	wg     sync.WaitGroup
}

type sinkConn struct {
	keep any // the net.Conn (and its wrapper) stay referenced: their finalizers would close the fd
	tail []byte
	lags []time.Duration
}

func newSink(loops int) (*sink, error) {
	s := &sink{conns: map[int]*sinkConn{}}
	for range loops {
		ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return nil, err
		}
		s.eps = append(s.eps, ep)
		s.wg.Go(func() { s.loop(ep) })
	}
	return s, nil
}

// add hands c over; pending holds bytes already read by the setup code.
func (s *sink) add(c net.Conn, keep any, pending []byte) error {
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return err
	}
	fd := -1
	if err := raw.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return err
	}
	sc := &sinkConn{keep: keep, lags: make([]time.Duration, 0, 256)}
	sc.scan(pending)
	s.mu.Lock()
	s.conns[fd] = sc
	s.mu.Unlock()
	return syscall.EpollCtl(s.eps[fd%len(s.eps)], syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)})
}

func (s *sink) loop(ep int) {
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, 64<<10)
	for !s.closed.Load() {
		n, err := syscall.EpollWait(ep, events, 100)
		if err != nil {
			continue // EINTR
		}
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			s.mu.Lock()
			sc := s.conns[fd]
			s.mu.Unlock()
			if sc == nil {
				continue
			}
			for {
				k, err := syscall.Read(fd, buf)
				if k > 0 {
					sc.scan(buf[:k])
				}
				if err != nil || k <= 0 || k < len(buf) {
					if k == 0 && err == nil { // peer closed
						syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, fd, nil)
					}
					break
				}
			}
		}
	}
}

var tsKey = []byte(`"ts":`)

func (sc *sinkConn) scan(b []byte) {
	if len(b) == 0 {
		return
	}
	data := append(append([]byte(nil), sc.tail...), b...)
	sc.tail = sc.tail[:0]
	i := 0
	for {
		j := bytes.Index(data[i:], tsKey)
		if j < 0 {
			if keep := len(tsKey) - 1; len(data)-i > keep {
				i = len(data) - keep
			}
			sc.tail = append(sc.tail, data[i:]...)
			return
		}
		start := i + j + len(tsKey)
		k := start
		var v int64
		for k < len(data) && data[k] >= '0' && data[k] <= '9' {
			v = v*10 + int64(data[k]-'0')
			k++
		}
		if k == len(data) { // the number may go on in the next read
			sc.tail = append(sc.tail, data[i+j:]...)
			return
		}
		if v > 0 {
			sc.lags = append(sc.lags, lagOf(v))
		}
		i = k
	}
}

// stop ends the loops and returns every lag seen.
func (s *sink) stop() []time.Duration {
	s.closed.Store(true)
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []time.Duration
	for fd, sc := range s.conns {
		all = append(all, sc.lags...)
		syscall.Close(fd)
	}
	for _, ep := range s.eps {
		syscall.Close(ep)
	}
	return all
}

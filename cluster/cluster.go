// Package cluster is Canyu's bus between processes: NATS with JetStream,
// embedded in the core (`canyu serve --cluster`) or an existing NATS
// cluster (cluster.nats_url). Without it Canyu is one process and nothing
// here runs. This first part carries the live counters: every process's hub
// fans them out to its own WebSocket clients (docs/cluster.md).
package cluster

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/pocketbase/pocketbase/tools/security"
)

// Config is the cluster section of the configuration.
type Config struct {
	// Enabled joins this process to the bus (also `serve --cluster`).
	Enabled bool `mapstructure:"enabled"`
	// NATSURL connects to an existing NATS cluster ("nats://a:4222,nats://b:4222");
	// empty starts an embedded NATS server with JetStream in this process.
	NATSURL string `mapstructure:"nats_url"`
	// Listen is where the embedded server takes clients (edges, tools);
	// port 0 picks a free one.
	Listen string `mapstructure:"listen"`
	// Node names this process on the bus (empty: the host name and a random suffix).
	Node string `mapstructure:"node"`
	// Replicas is how many NATS servers keep the sale's stream and buckets.
	Replicas int `mapstructure:"replicas"`
}

// DefaultConfig returns the defaults of the cluster section: off.
func DefaultConfig() Config { return Config{Listen: "127.0.0.1:4222", Replicas: 1} }

// Validate reports unusable values.
func (c Config) Validate() error {
	if c.Replicas < 1 || c.Replicas > 5 {
		return errors.New("cluster.replicas must be between 1 and 5")
	}
	if c.NATSURL == "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("cluster.listen must be host:port: %w", err)
		}
	}
	return nil
}

// Bus is a process's connection to the others.
type Bus struct {
	Node      string
	nc        *nats.Conn
	srv       *server.Server
	closeOnce sync.Once
}

// Start joins the bus: it starts the embedded NATS server (its JetStream
// data under dataDir/nats) unless cfg names a cluster, then connects.
func Start(cfg Config, dataDir string) (*Bus, error) {
	b := &Bus{Node: cfg.Node}
	if b.Node == "" {
		host, _ := os.Hostname()
		b.Node = host + "-" + security.RandomString(6)
	}
	url := cfg.NATSURL
	if url == "" {
		host, portS, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, err
		}
		port, err := strconv.Atoi(portS)
		if err != nil {
			return nil, err
		}
		if port == 0 {
			port = server.RANDOM_PORT // "host:0": a free port (tests)
		}
		srv, err := server.NewServer(&server.Options{ServerName: b.Node, Host: host, Port: port, JetStream: true,
			StoreDir: filepath.Join(dataDir, "nats"), NoSigs: true, NoLog: true})
		if err != nil {
			return nil, fmt.Errorf("cluster: embedded NATS: %w", err)
		}
		srv.Start()
		if !srv.ReadyForConnections(10 * time.Second) {
			srv.Shutdown()
			return nil, errors.New("cluster: the embedded NATS server did not start")
		}
		b.srv = srv
		url = srv.ClientURL()
	}
	nc, err := Connect(url, "canyu "+b.Node)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("cluster: connect %s: %w", url, err)
	}
	b.nc = nc
	return b, nil
}

// Connect connects to NATS the way every Canyu process does: reconnecting
// for ever, and without a reconnect buffer, so a message is never sent late
// after a reconnection (a purchase is answered 503 and retried instead;
// docs/cluster.md).
func Connect(url, name string) (*nats.Conn, error) {
	return nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.ReconnectBufSize(-1))
}

// URL is where others connect to this bus.
func (b *Bus) URL() string { return b.nc.ConnectedUrl() }

// Publish sends data on subject to every process subscribed.
func (b *Bus) Publish(subject string, data []byte) error { return b.nc.Publish(subject, data) }

// Subscribe calls fn with every message on subject; the returned function
// ends the subscription.
func (b *Bus) Subscribe(subject string, fn func(data []byte)) (func(), error) {
	sub, err := b.nc.Subscribe(subject, func(m *nats.Msg) { fn(m.Data) })
	if err != nil {
		return nil, err
	}
	return func() { _ = sub.Unsubscribe() }, nil
}

// Join is a Bus over a connection made elsewhere (an edge's): Close is then
// the connection owner's business.
func Join(nc *nats.Conn, node string) *Bus { return &Bus{Node: node, nc: nc} }

// Request sends data on subject and returns the first answer.
func (b *Bus) Request(subject string, data []byte, timeout time.Duration) ([]byte, error) {
	msg, err := b.nc.Request(subject, data, timeout)
	if err != nil {
		return nil, err
	}
	return msg.Data, nil
}

// ReplySlots bounds the requests one subscription answers at once.
const ReplySlots = 16

// Concurrently runs fn for up to n messages at a time: a subscription's
// messages otherwise come one after another, and a handler that reads the
// database would queue the rest behind each read.
func Concurrently(n int, fn nats.MsgHandler) nats.MsgHandler {
	slots := make(chan struct{}, n)
	return func(m *nats.Msg) {
		slots <- struct{}{}
		go func() {
			defer func() { <-slots }()
			fn(m)
		}()
	}
}

// Reply answers the requests on subject with fn's result, several at a time
// (fn may read the database); the returned function ends it.
func (b *Bus) Reply(subject string, fn func(data []byte) []byte) (func(), error) {
	sub, err := b.nc.Subscribe(subject, Concurrently(ReplySlots, func(m *nats.Msg) { _ = m.Respond(fn(m.Data)) }))
	if err != nil {
		return nil, err
	}
	return func() { _ = sub.Unsubscribe() }, nil
}

// Flush waits until the server has every message published so far.
func (b *Bus) Flush() error { return b.nc.Flush() }

// Conn is the bus's NATS connection (the sale's stream and buckets are
// reached through it).
func (b *Bus) Conn() *nats.Conn { return b.nc }

// Close leaves the bus and stops the embedded server. The connection stays
// in place, closed: a publication racing the close (a live connection
// ending as the process stops) gets an error, not a nil connection.
func (b *Bus) Close() {
	b.closeOnce.Do(func() {
		if b.nc != nil {
			_ = b.nc.FlushTimeout(2 * time.Second)
			b.nc.Close()
		}
		if b.srv != nil {
			b.srv.Shutdown()
			b.srv.WaitForShutdown()
		}
	})
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/canyu/canyu/cluster"
	"github.com/canyu/canyu/config"
	"github.com/canyu/canyu/modules/live"
	"github.com/canyu/canyu/modules/sales"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

// runEdge runs `canyu edge`: a process without a database that serves the
// sale's API from the cluster (stock leases, JetStream) and hands every
// other request to the core (docs/cluster.md). It returns the exit code.
func runEdge(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsURL := fs.String("nats", "", "the cluster's NATS servers (nats://a:4222,nats://b:4222); default cluster.nats_url")
	coreURL := fs.String("core", "http://127.0.0.1:8090", "the core's site, where everything but the sale's API goes")
	addr := fs.String("http", "127.0.0.1:8091", "where this edge serves")
	node := fs.String("node", "", "this edge's name on the bus (default: the host name and a random suffix)")
	behindProxy := fs.Bool("behind-proxy", false, "members reach this edge through a proxy (Caddy, nginx) that appends their address to X-Forwarded-For")
	cfgPath := fs.String("config", config.PathFromArgs(args), "YAML configuration file (see config.example.yaml)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if *natsURL == "" {
		*natsURL = cfg.Cluster.NATSURL
	}
	if *node == "" {
		*node = cfg.Cluster.Node
	}
	target, err := url.Parse(*coreURL)
	if err != nil || *natsURL == "" {
		fmt.Fprintln(stderr, "canyu edge: --nats (or cluster.nats_url) and a valid --core are required")
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, closeEdge, err := edgeServer(cfg, *natsURL, *node, target, *addr, clientIP(*behindProxy), log)
	if err != nil {
		fmt.Fprintln(stderr, "canyu edge:", err)
		return 1
	}
	defer closeEdge()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	failed := make(chan error, 1)
	go func() { failed <- srv.ListenAndServe() }()
	log.Info("canyu edge: serving", "http", *addr, "core", *coreURL, "nats", *natsURL)
	select {
	case <-stop:
	case err := <-failed:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(stderr, "canyu edge:", err)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	return 0
}

// edgeServer builds an edge's HTTP server: /api/live from the edge's own
// hub, the sales module on an Edge, and a reverse proxy to the core for
// everything else. close gives the leases back and leaves the bus.
func edgeServer(cfg config.Config, natsURL, node string, core *url.URL, addr string, ip func(*http.Request) string,
	log *slog.Logger) (*http.Server, func(), error) {
	if node == "" {
		host, _ := os.Hostname()
		node = host + "-edge-" + fmt.Sprint(os.Getpid())
	}
	shell, err := ui.New(cfg.UI, ui.Deps{AppName: cfg.App.Name, PublicURL: cfg.App.PublicURL, Now: time.Now, Limits: cfg.Limits})
	if err != nil {
		return nil, nil, err
	}
	nc, err := cluster.Connect(natsURL, "canyu edge "+node)
	if err != nil {
		return nil, nil, err
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(core)
		r.SetXForwarded()
		r.Out.Host = r.In.Host
	}}
	deps := platform.Deps{UI: shell, Now: time.Now, Live: live.Off{}, AppName: cfg.App.Name, PublicURL: cfg.App.PublicURL}
	m := sales.New(cfg.Sales, sales.Deps{Deps: deps})
	h, edge, err := m.ServeEdge(nc, node, proxy, ip, log)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	var hub *live.Module
	if cfg.Live.Enabled {
		hub = live.New(cfg.Live, deps)
		lh, err := hub.ServeEdge(cluster.Join(nc, node), node, ip)
		if err != nil {
			hub.Close()
			edge.Close()
			nc.Close()
			return nil, nil, err
		}
		mux.Handle("GET /api/live", lh)
		mux.Handle("GET /api/live/snapshot", lh)
	}
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return srv, func() {
		if hub != nil {
			hub.Close()
		}
		edge.Close()
		_ = nc.Drain()
	}, nil
}

// clientIP names a request's client: the connection's address, or the last
// address a trusted proxy appended to X-Forwarded-For.
func clientIP(behindProxy bool) func(*http.Request) string {
	return func(r *http.Request) string {
		if behindProxy {
			hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
			if ip := net.ParseIP(strings.TrimSpace(hops[len(hops)-1])); ip != nil {
				return ip.String()
			}
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		return host
	}
}

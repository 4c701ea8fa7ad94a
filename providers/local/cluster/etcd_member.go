package cluster

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// etcdMemberFlags are the settings of one etcd member process, as the
// supervisor passes them to the hidden __etcd-member command.
type etcdMemberFlags struct {
	name, dataDir            string
	clientURL, peerURL       string
	initialCluster, state    string
	token, logFile, logLevel string
}

// args renders the flags as RunEtcdMember parses them.
func (f etcdMemberFlags) args() []string {
	return []string{
		"--name", f.name,
		"--data-dir", f.dataDir,
		"--client-url", f.clientURL,
		"--peer-url", f.peerURL,
		"--initial-cluster", f.initialCluster,
		"--initial-cluster-state", f.state,
		"--initial-cluster-token", f.token,
		"--log-file", f.logFile,
	}
}

func parseEtcdMemberFlags(args []string) (etcdMemberFlags, error) {
	var f etcdMemberFlags
	fs := flag.NewFlagSet(EtcdMemberArg, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.name, "name", "", "the member's name, unique in its cluster")
	fs.StringVar(&f.dataDir, "data-dir", "", "the member's data directory")
	fs.StringVar(&f.clientURL, "client-url", "", "the URL clients reach the member at (http://127.0.0.1:PORT)")
	fs.StringVar(&f.peerURL, "peer-url", "", "the URL the other members reach it at (http://127.0.0.1:PORT)")
	fs.StringVar(&f.initialCluster, "initial-cluster", "", "NAME=PEER-URL,... of every member when this one joins")
	fs.StringVar(&f.state, "initial-cluster-state", "new", "new (bootstrapping a cluster) or existing (joining one)")
	fs.StringVar(&f.token, "initial-cluster-token", "stagecraft", "a name of the cluster, unique on this machine")
	fs.StringVar(&f.logFile, "log-file", "", "where the member logs (stderr when empty)")
	fs.StringVar(&f.logLevel, "log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var missing []string
	for _, r := range []struct{ name, v string }{
		{"--name", f.name}, {"--data-dir", f.dataDir}, {"--client-url", f.clientURL},
		{"--peer-url", f.peerURL}, {"--initial-cluster", f.initialCluster},
	} {
		if r.v == "" {
			missing = append(missing, r.name)
		}
	}
	if len(missing) > 0 {
		return f, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if f.state != "new" && f.state != "existing" {
		return f, fmt.Errorf("--initial-cluster-state is %q; use new or existing", f.state)
	}
	return f, nil
}

// RunEtcdMember runs one etcd member (etcd's own server, embedded) until
// ctx ends; the stagecraft binary runs it through a hidden command, so that
// each member of a coordinator is its own process. It logs to its log file
// at warning level, with heartbeat and election timeouts for loopback.
func RunEtcdMember(ctx context.Context, args []string) error {
	if supervisor.ErrPlatform != nil {
		return supervisor.ErrPlatform
	}
	f, err := parseEtcdMemberFlags(args)
	if err != nil {
		return fmt.Errorf("%s: %w", EtcdMemberArg, err)
	}
	clientURL, err := url.Parse(f.clientURL)
	if err != nil {
		return fmt.Errorf("%s: --client-url: %w", EtcdMemberArg, err)
	}
	peerURL, err := url.Parse(f.peerURL)
	if err != nil {
		return fmt.Errorf("%s: --peer-url: %w", EtcdMemberArg, err)
	}
	// Everything the local provider runs binds to loopback.
	for _, u := range []*url.URL{clientURL, peerURL} {
		if ip := net.ParseIP(u.Hostname()); u.Scheme != "http" || ip == nil || !ip.IsLoopback() || u.Port() == "" {
			return fmt.Errorf("%s: %q is not an http URL on a loopback address with a port", EtcdMemberArg, u.String())
		}
	}

	cfg := embed.NewConfig()
	cfg.Name = f.name
	cfg.Dir = f.dataDir
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{*peerURL}
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = f.initialCluster
	cfg.ClusterState = f.state
	cfg.InitialClusterToken = f.token
	// Passwords are generated, 128 random bits each (newClusterCredentials):
	// stretching them adds nothing, while etcd's default cost makes every
	// client's login take seconds on a busy machine, longer than a health
	// check waits.
	cfg.BcryptCost = uint(bcrypt.MinCost)
	// Loopback round trips take microseconds: etcd's defaults suit them.
	cfg.TickMs = 100
	cfg.ElectionMs = 1000
	// Keep an hour of history, so that a long-running cluster does not
	// grow without bound.
	cfg.AutoCompactionMode = embed.CompactorModePeriodic
	cfg.AutoCompactionRetention = "1h"
	// NewConfig leaves this at zero, which logs every request as slow.
	cfg.WarningUnaryRequestDuration = embed.DefaultWarningUnaryRequestDuration
	cfg.Logger = "zap"
	cfg.LogLevel = f.logLevel
	if f.logFile != "" {
		cfg.LogOutputs = []string{f.logFile}
	} else {
		cfg.LogOutputs = []string{embed.StdErrLogOutput}
	}

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start etcd member %s: %w", f.name, err)
	}
	// Close stops the server gracefully: a leader hands its leadership
	// to another member first.
	defer e.Close()
	select {
	case <-ctx.Done():
		return nil
	case err := <-e.Err():
		return fmt.Errorf("etcd member %s: %w", f.name, err)
	case <-e.Server.StopNotify():
		// The server stops by itself when the member is removed from
		// its cluster.
		return errors.New("etcd member " + f.name + " stopped (removed from its cluster?)")
	}
}

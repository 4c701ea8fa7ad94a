package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// Credentials of a cluster. etcd's root user (its password is the
// record's Secret) is the supervisor's own: member changes, health checks.
// The application user (Password) is what groups that refer to the
// coordinator receive: its role may read and write every key, which is
// what one stack's applications sharing the cluster need, and nothing of
// the cluster's membership or users.
const (
	etcdRootUser = "root"
	// clusterAppUser is the user applications authenticate as, on etcd
	// and ZooKeeper alike.
	clusterAppUser = "app"
	etcdAppRole    = "app"
	// clusterSecretDigits is the length of a generated password: 128 bits
	// of crypto/rand in hex.
	clusterSecretDigits = 32
)

// newClusterCredentials are fresh passwords for the administrator and the
// application user, set on a record before its cluster starts.
func newClusterCredentials(rec clusterRecord) clusterRecord {
	rec.Secret = supervisor.RandomID(clusterSecretDigits)
	rec.Password = supervisor.RandomID(clusterSecretDigits)
	return rec
}

// enableEtcdAuth creates the root user, the application user and its role,
// and turns authentication on, through cli (which carries the root
// credentials; etcd accepts them unchecked while authentication is off).
// Each step that finds its work done (a start cut short after it) goes on.
func enableEtcdAuth(ctx context.Context, cli *clientv3.Client, rec clusterRecord) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	steps := []struct {
		what string
		do   func() error
	}{
		{"add the root user", func() error { _, err := cli.UserAdd(ctx, etcdRootUser, rec.Secret); return err }},
		{"grant the root role", func() error { _, err := cli.UserGrantRole(ctx, etcdRootUser, "root"); return err }},
		{"add the application role", func() error { _, err := cli.RoleAdd(ctx, etcdAppRole); return err }},
		// "\x00" to "\x00" is every key (etcdctl's --from-key of "").
		{"let the application role read and write every key", func() error {
			_, err := cli.RoleGrantPermission(ctx, etcdAppRole, "\x00", "\x00", clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		}},
		{"add the application user", func() error { _, err := cli.UserAdd(ctx, clusterAppUser, rec.Password); return err }},
		{"grant the application role", func() error { _, err := cli.UserGrantRole(ctx, clusterAppUser, etcdAppRole); return err }},
		{"enable authentication", func() error { _, err := cli.AuthEnable(ctx); return err }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil && !strings.Contains(err.Error(), "already exists") {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

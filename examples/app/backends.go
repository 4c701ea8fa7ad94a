package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// backends are the shared services the app uses when the stage provides
// them, read from the environment the stack sets:
//
//	REDIS_ADDR          host:port of a Redis cache: the hit counter lives there
//	REDIS_PASSWORD      the cache's password (AUTH), when it has one
//	ETCD_ENDPOINTS      comma-separated etcd client endpoints: the instance
//	                    registers itself under /stagecraft/instances/ with a
//	                    lease (through etcd's JSON gateway, so the app stays
//	                    small)
//	ZOOKEEPER_SERVERS   comma-separated ZooKeeper servers: the same, as an
//	                    ephemeral znode under /stagecraft-instances
//	COORDINATOR_USERNAME, COORDINATOR_PASSWORD
//	                    the coordinator's user, when it requires one: an
//	                    etcd user, or a ZooKeeper digest identity (the
//	                    znodes are then created readable and writable by
//	                    that identity only)
//
// Every one is optional; the page says what is connected.
type backends struct {
	instance string
	redis    string
	// redisPassword authenticates to the cache when set.
	redisPassword string
	etcd          []string
	// user and password authenticate to the coordinator when set.
	user, password string
	zk             *zk.Conn
	http           *http.Client

	// etcdToken is the etcd token of the last authentication; etcdCall
	// alone uses it, from one goroutine at a time (registerEtcd's, or a
	// request's), so it is guarded.
	mu        sync.Mutex
	etcdToken string
}

const (
	hitsKey    = "stagecraft:hits"
	etcdPrefix = "/stagecraft/instances/"
	zkPath     = "/stagecraft-instances"
)

func connectBackends(ctx context.Context, instance string, getenv func(string) string) *backends {
	b := &backends{instance: instance, redis: getenv("REDIS_ADDR"), redisPassword: getenv("REDIS_PASSWORD"),
		user: getenv("COORDINATOR_USERNAME"), password: getenv("COORDINATOR_PASSWORD"), http: &http.Client{Timeout: 3 * time.Second}}
	if b.redis != "" {
		log.Printf("%s: hit counter in redis at %s", instance, b.redis)
	}
	if eps := getenv("ETCD_ENDPOINTS"); eps != "" {
		b.etcd = strings.Split(eps, ",")
		go b.registerEtcd(ctx)
	}
	if servers := getenv("ZOOKEEPER_SERVERS"); servers != "" {
		conn, _, err := zk.Connect(strings.Split(servers, ","), 5*time.Second, zk.WithLogInfo(false))
		if err != nil {
			log.Printf("%s: zookeeper: %v", instance, err)
		} else {
			if b.user != "" {
				// Sent again by the client after every reconnection.
				if err := conn.AddAuth("digest", []byte(b.user+":"+b.password)); err != nil {
					log.Printf("%s: zookeeper authentication: %v", instance, err)
				}
			}
			b.zk = conn
			go b.registerZooKeeper(ctx)
		}
	}
	return b
}

// countHit increments the shared counter with the Redis INCR command,
// after AUTH when the cache has a password.
func (b *backends) countHit(ctx context.Context) (int64, error) {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", b.redis)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(conn)
	if b.redisPassword != "" {
		writeRedisCommand(conn, "AUTH", b.redisPassword)
		line, err := r.ReadString('\n')
		if err != nil {
			return 0, err
		}
		if line = strings.TrimSpace(line); line != "+OK" {
			return 0, fmt.Errorf("redis refused the password: %s", line)
		}
	}
	writeRedisCommand(conn, "INCR", hitsKey)
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, ":") {
		return 0, fmt.Errorf("redis answered %q", line)
	}
	return strconv.ParseInt(line[1:], 10, 64)
}

// writeRedisCommand writes one command in the Redis protocol.
func writeRedisCommand(w io.Writer, args ...string) {
	fmt.Fprintf(w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(w, "$%d\r\n%s\r\n", len(a), a)
	}
}

// etcdCall posts to etcd's JSON gateway, trying each endpoint. With a
// user, it authenticates first and again when the token has expired.
func (b *backends) etcdCall(ctx context.Context, path string, req, resp any) error {
	if b.user == "" {
		return b.etcdPost(ctx, path, "", req, resp)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if b.etcdToken == "" {
			var auth struct {
				Token string `json:"token"`
			}
			if err := b.etcdPost(ctx, "/v3/auth/authenticate", "", map[string]string{"name": b.user, "password": b.password}, &auth); err != nil {
				return fmt.Errorf("authenticate as %s: %w", b.user, err)
			}
			b.etcdToken = auth.Token
		}
		err := b.etcdPost(ctx, path, b.etcdToken, req, resp)
		if !errors.Is(err, errEtcdUnauthenticated) || attempt > 0 {
			return err
		}
		b.etcdToken = ""
	}
}

// errEtcdUnauthenticated is etcd refusing a request's token (expired, or
// from before a restart).
var errEtcdUnauthenticated = errors.New("etcd refused the token")

// etcdPost is one request to the JSON gateway, with token when set.
func (b *backends) etcdPost(ctx context.Context, path, token string, req, resp any) error {
	body, _ := json.Marshal(req)
	var last error
	for _, ep := range b.etcd {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ep+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		if token != "" {
			r.Header.Set("Authorization", token)
		}
		res, err := b.http.Do(r)
		if err != nil {
			last = err
			continue
		}
		err = json.NewDecoder(res.Body).Decode(resp)
		res.Body.Close()
		if res.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("%w: %s", errEtcdUnauthenticated, res.Status)
		}
		if res.StatusCode != http.StatusOK {
			last = fmt.Errorf("etcd %s: %s", path, res.Status)
			continue
		}
		return err
	}
	return last
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// registerEtcd keeps a key for this instance alive with a 5 s lease.
func (b *backends) registerEtcd(ctx context.Context) {
	for ctx.Err() == nil {
		var grant struct {
			ID string `json:"ID"`
		}
		err := b.etcdCall(ctx, "/v3/lease/grant", map[string]any{"TTL": 5}, &grant)
		if err == nil {
			var put map[string]any
			err = b.etcdCall(ctx, "/v3/kv/put", map[string]any{"key": b64(etcdPrefix + b.instance), "value": b64(time.Now().UTC().Format(time.RFC3339)), "lease": grant.ID}, &put)
		}
		for err == nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(1500 * time.Millisecond):
			}
			var ka map[string]any
			err = b.etcdCall(ctx, "/v3/lease/keepalive", map[string]any{"ID": grant.ID}, &ka)
		}
		if ctx.Err() == nil {
			log.Printf("%s: etcd registration: %v; retrying", b.instance, err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// registerZooKeeper creates an ephemeral znode for this instance and
// creates it again after a session loss.
func (b *backends) registerZooKeeper(ctx context.Context) {
	for ctx.Err() == nil {
		acl := zk.WorldACL(zk.PermAll)
		if b.user != "" {
			// Readable and writable by the identity this client
			// authenticated as, and no one else.
			acl = zk.AuthACL(zk.PermAll)
		}
		if _, err := b.zk.Create(zkPath, nil, 0, acl); err != nil && err != zk.ErrNodeExists {
			log.Printf("%s: zookeeper: %v; retrying", b.instance, err)
		} else if _, err := b.zk.Create(zkPath+"/"+b.instance, nil, zk.FlagEphemeral, acl); err != nil && err != zk.ErrNodeExists {
			log.Printf("%s: zookeeper: %v; retrying", b.instance, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

// instances lists the instances registered in the coordinator.
func (b *backends) instances(ctx context.Context) ([]string, error) {
	switch {
	case len(b.etcd) > 0:
		var rng struct {
			Kvs []struct {
				Key string `json:"key"`
			} `json:"kvs"`
		}
		end := etcdPrefix[:len(etcdPrefix)-1] + "0" // the key after every key with the prefix
		if err := b.etcdCall(ctx, "/v3/kv/range", map[string]any{"key": b64(etcdPrefix), "range_end": b64(end), "keys_only": true}, &rng); err != nil {
			return nil, err
		}
		var out []string
		for _, kv := range rng.Kvs {
			k, _ := base64.StdEncoding.DecodeString(kv.Key)
			out = append(out, strings.TrimPrefix(string(k), etcdPrefix))
		}
		sort.Strings(out)
		return out, nil
	case b.zk != nil:
		children, _, err := b.zk.Children(zkPath)
		sort.Strings(children)
		return children, err
	}
	return nil, nil
}

// describe is the status line of the page.
func (b *backends) describe(ctx context.Context) string {
	var parts []string
	if b.redis != "" {
		if n, err := b.countHit(ctx); err == nil {
			parts = append(parts, fmt.Sprintf("hits across all instances: %d (redis)", n))
		} else {
			parts = append(parts, "cache: not answering ("+err.Error()+")")
		}
	}
	if len(b.etcd) > 0 || b.zk != nil {
		if list, err := b.instances(ctx); err == nil {
			parts = append(parts, "instances registered: "+strings.Join(list, ", "))
		} else {
			parts = append(parts, "coordinator: not answering ("+err.Error()+")")
		}
	}
	return strings.Join(parts, "; ")
}

func (b *backends) close() {
	if b.zk != nil {
		b.zk.Close()
	}
}

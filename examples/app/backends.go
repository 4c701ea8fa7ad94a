package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// backends are the shared services the app uses when the stage provides
// them, read from the environment the stack sets:
//
//	REDIS_ADDR          host:port of a Redis cache: the hit counter lives there
//	ETCD_ENDPOINTS      comma-separated etcd client endpoints: the instance
//	                    registers itself under /stagecraft/instances/ with a
//	                    lease (through etcd's JSON gateway, so the app stays
//	                    small)
//	ZOOKEEPER_SERVERS   comma-separated ZooKeeper servers: the same, as an
//	                    ephemeral znode under /stagecraft-instances
//
// Every one is optional; the page says what is connected.
type backends struct {
	instance string
	redis    string
	etcd     []string
	zk       *zk.Conn
	http     *http.Client
}

const (
	hitsKey    = "stagecraft:hits"
	etcdPrefix = "/stagecraft/instances/"
	zkPath     = "/stagecraft-instances"
)

func connectBackends(ctx context.Context, instance string, getenv func(string) string) *backends {
	b := &backends{instance: instance, redis: getenv("REDIS_ADDR"), http: &http.Client{Timeout: 3 * time.Second}}
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
			b.zk = conn
			go b.registerZooKeeper(ctx)
		}
	}
	return b
}

// countHit increments the shared counter with the Redis INCR command.
func (b *backends) countHit(ctx context.Context) (int64, error) {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", b.redis)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(conn, "*2\r\n$4\r\nINCR\r\n$%d\r\n%s\r\n", len(hitsKey), hitsKey)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return 0, err
	}
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, ":") {
		return 0, fmt.Errorf("redis answered %q", line)
	}
	return strconv.ParseInt(line[1:], 10, 64)
}

// etcdCall posts to etcd's JSON gateway, trying each endpoint.
func (b *backends) etcdCall(ctx context.Context, path string, req, resp any) error {
	body, _ := json.Marshal(req)
	var last error
	for _, ep := range b.etcd {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ep+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		res, err := b.http.Do(r)
		if err != nil {
			last = err
			continue
		}
		err = json.NewDecoder(res.Body).Decode(resp)
		res.Body.Close()
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
		if _, err := b.zk.Create(zkPath, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
			log.Printf("%s: zookeeper: %v; retrying", b.instance, err)
		} else if _, err := b.zk.Create(zkPath+"/"+b.instance, nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
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

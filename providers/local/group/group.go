// Package group is the autoscaling group unit of the local provider: it
// runs a command as processes on free loopback ports, checks their health,
// replaces failed ones, rolls a new configuration with surge, scales
// between min and max on request rate or CPU, and publishes its healthy
// instances to load balancers through package backends.
package group

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/backends"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// Timings of a group. They are the same for every group; the
// configuration sets only the health check and the scaling cooldown.
// MaxFailedStarts ends the wait of a create or update early: after this
// many instances of the new configuration failed to come up, the
// configuration is taken to be broken.
const MaxFailedStarts = 3

const (
	// groupApplyTimeout bounds how long Create and Update wait for the
	// desired number of healthy instances.
	groupApplyTimeout = 30 * time.Second
	// instanceStartGrace is how long a new instance may take to pass its health
	// check before it is replaced.
	instanceStartGrace = 30 * time.Second
	// startBackoffBase is the wait before starting again after an instance
	// failed to come up; it doubles with every further failure in a row,
	// up to startBackoffMax, so a command that exits at once costs nothing.
	startBackoffBase = time.Second
	startBackoffMax  = 30 * time.Second
	// unhealthyDrainTimeout bounds how long the requests in flight of an
	// instance that failed its health check may take (they are unlikely
	// to finish); backends.DrainTimeout is the bound for the others.
	unhealthyDrainTimeout = 5 * time.Second
	// instanceStopGrace is the time between SIGTERM and SIGKILL.
	instanceStopGrace = 10 * time.Second
	// startProbeInterval is how often a new instance is checked until it
	// answers for the first time, so that it takes traffic as soon as it
	// is up rather than a whole health-check interval later.
	startProbeInterval = 100 * time.Millisecond
	// scaleTick is how often the scaling policy looks at the figures.
	scaleTick = time.Second
	// instanceLogTail is how many lines of an instance's log an error shows.
	instanceLogTail = 10
)

// instState is where an instance is in its life.
type instState int

const (
	// starting: running, not yet through healthy_threshold checks.
	stStarting instState = iota
	// healthy: takes traffic.
	stHealthy
	// unhealthy: failed unhealthy_threshold checks in a row; out of the
	// load balancers, about to be replaced.
	stUnhealthy
	// draining: leaving; its requests in flight finish, then it stops.
	stDraining
	// exited: the process ended by itself.
	stExited
)

// groupInstance is one process of a group.
type groupInstance struct {
	id      string
	seq     int
	launch  string // launchSpec.key of the configuration it runs
	b       *backends.Backend
	p       *supervisor.Proc
	log     string
	started time.Time

	// Guarded by the group's mu.
	state       instState
	everHealthy bool
	passes      int
	fails       int
	lastCheck   string // the last failed health check
	exitErr     error
	stopCheck   context.CancelFunc

	// CPU samples, touched only by the group's loop.
	cpuTicks uint64
	cpuAt    time.Time
}

// group runs an autoscaling group's instances: it keeps the desired number
// healthy, replaces those that exit or fail their health checks (with
// backoff when they fail to come up), rolls them with surge when their
// launch configuration changes, scales between min and max, and publishes
// the healthy ones to load balancers (see group_backends.go).
type group struct {
	env     *supervisor.Env
	id      string
	address string
	client  *http.Client // health checks

	mu        sync.Mutex
	running   bool // the loop runs (after the first apply)
	stopping  bool
	spec      groupSpec
	cfg       cty.Value // the configuration last applied
	desired   int
	instances map[string]*groupInstance
	seq       int
	// crashes counts the instances of the current launch configuration
	// that failed to come up since one last did; it sets the backoff.
	crashes   int
	nextStart time.Time
	// failedStarts and lastFailure describe failures since the last
	// apply began, for its error.
	failedStarts int
	lastFailure  string
	lastScale    time.Time
	// changed is closed and replaced whenever an instance changes state,
	// waking apply's wait.
	changed chan struct{}

	pub    atomic.Pointer[backends.Set]
	gone   atomic.Bool
	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// Scaling samples, touched only by the loop.
	samples []trafficSample
}

type trafficSample struct {
	at       time.Time
	requests int64
}

func New(env *supervisor.Env, id, address string) supervisor.Unit {
	ctx, cancel := context.WithCancel(context.Background())
	g := &group{
		env: env, id: id, address: address,
		client: &http.Client{
			Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		instances: map[string]*groupInstance{},
		changed:   make(chan struct{}),
		wake:      make(chan struct{}, 1),
		ctx:       ctx,
		cancel:    cancel,
		cfg:       cty.NilVal,
	}
	g.pub.Store(&backends.Set{})
	return g
}

func (g *group) logf(format string, args ...any) {
	if l := g.env.Logger(); l != nil {
		l.Printf(g.address+": "+format, args...)
	}
}

// A group is the source of its load balancers' backends.
var _ backends.Source = (*group)(nil)

// Targets implements backends.Source.
func (g *group) Targets() *backends.Set { return g.pub.Load() }

// Retired implements backends.Source.
func (g *group) Retired() bool { return g.gone.Load() }

// Apply makes the group run cfg and waits until it does: the desired
// number of instances of the new launch configuration healthy and nothing
// else left. When that fails, an update goes back to the configuration it
// had, whose instances kept serving meanwhile.
func (g *group) Apply(ctx context.Context, cfg cty.Value) (cty.Value, error) {
	spec, err := decodeGroup(cfg, g.env.StackDir)
	if err != nil {
		return cty.NilVal, err
	}
	g.mu.Lock()
	if g.stopping {
		g.mu.Unlock()
		return cty.NilVal, errors.New("the group is being deleted")
	}
	first := !g.running
	prevSpec, prevDesired := g.spec, g.desired
	if first || spec.launch.key() != g.spec.launch.key() {
		g.crashes, g.nextStart = 0, time.Time{}
	}
	g.spec = spec
	g.desired = targetSize(spec, g.desired, first)
	g.failedStarts, g.lastFailure = 0, ""
	if first {
		g.running = true
		g.wg.Add(1)
		go g.run()
	}
	g.kickLocked()
	g.mu.Unlock()

	if err := g.waitSettled(ctx); err != nil {
		if !first {
			g.mu.Lock()
			g.spec, g.desired = prevSpec, prevDesired
			g.crashes, g.nextStart = 0, time.Time{}
			g.kickLocked()
			g.mu.Unlock()
			err = fmt.Errorf("%w\nThe group keeps running its previous configuration.", err)
		}
		return cty.NilVal, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cfg = cfg
	return g.actualLocked(), nil
}

// targetSize is the number of instances to run under spec: the configured
// desired, else (on create) min, else the current size moved into the new
// bounds.
func targetSize(spec groupSpec, current int, first bool) int {
	switch {
	case spec.desired >= 0:
		return spec.desired
	case first:
		return spec.min
	}
	return max(spec.min, min(current, spec.max))
}

func (g *group) actualLocked() cty.Value {
	if g.cfg == cty.NilVal {
		return cty.NilVal
	}
	m := g.cfg.AsValueMap()
	m["id"] = cty.StringVal(g.id)
	m["desired"] = cty.NumberIntVal(int64(g.desired))
	return cty.ObjectVal(m)
}

func (g *group) Current() cty.Value {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.actualLocked()
}

// waitSettled waits until the group runs exactly the desired number of
// healthy instances of its current launch configuration, or fails with
// what went wrong; then it waits (without failing) for the instances that
// are leaving to finish their requests and stop, so that an update returns
// with the old instances gone.
func (g *group) waitSettled(ctx context.Context) error {
	deadline := time.NewTimer(groupApplyTimeout)
	defer deadline.Stop()
	for {
		g.mu.Lock()
		done := g.servingSettledLocked()
		failed := g.failedStarts >= MaxFailedStarts
		ch := g.changed
		g.mu.Unlock()
		if done {
			break
		}
		if failed {
			return g.unhealthyError("")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return g.unhealthyError(fmt.Sprintf("gave up waiting (%v)", context.Cause(ctx)))
		case <-deadline.C:
			return g.unhealthyError(fmt.Sprintf("not all instances were healthy within %s", groupApplyTimeout))
		}
	}
	// Draining is bounded by its own timeout and the stop grace.
	leave := time.NewTimer(backends.DrainTimeout + instanceStopGrace + time.Second)
	defer leave.Stop()
	for {
		g.mu.Lock()
		draining := false
		for _, inst := range g.instances {
			draining = draining || inst.state == stDraining
		}
		ch := g.changed
		g.mu.Unlock()
		if !draining {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil
		case <-leave.C:
			return nil
		}
	}
}

// servingSettledLocked reports whether the instances that serve (or could)
// are exactly the desired number of healthy ones of the current launch
// configuration; instances draining away do not count.
func (g *group) servingSettledLocked() bool {
	key := g.spec.launch.key()
	healthy := 0
	for _, inst := range g.instances {
		if inst.state == stDraining {
			continue
		}
		if inst.launch != key || inst.state != stHealthy {
			return false
		}
		healthy++
	}
	return healthy == g.desired
}

// unhealthyError says why the group is not healthy: the last instance that
// failed to come up, or what the instances still starting report.
func (g *group) unhealthyError(why string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := g.spec.launch.key()
	healthy := 0
	var starting []string
	for _, inst := range g.sortedLocked() {
		switch {
		case inst.launch == key && inst.state == stHealthy:
			healthy++
		case inst.launch == key && inst.state == stStarting:
			s := inst.id + " has not passed its health check"
			if inst.lastCheck != "" {
				s += " (" + inst.lastCheck + ")"
			}
			starting = append(starting, s+"; last log lines:\n"+supervisor.Tail(inst.log, instanceLogTail))
		}
	}
	var detail string
	switch {
	case g.lastFailure != "":
		detail = g.lastFailure
	case len(starting) > 0:
		detail = strings.Join(starting, "\n")
	default:
		detail = fmt.Sprintf("%d of %d instances are healthy", healthy, g.desired)
	}
	if why != "" {
		detail = why + ": " + detail
	}
	return &providers.OperationError{Address: g.address, Err: fmt.Errorf("%s is unhealthy: %s", g.address, detail), Worded: true}
}

// kickLocked wakes the loop.
func (g *group) kickLocked() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// noteChangeLocked wakes the loop and everything waiting for a change.
func (g *group) noteChangeLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
	g.kickLocked()
}

// run is the group's loop: it reconciles whenever something changes, when
// a backoff ends and, with a scaling policy, every scaleTick.
func (g *group) run() {
	defer g.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	lastScale := time.Now()
	for {
		now := time.Now()
		if now.Sub(lastScale) >= scaleTick {
			g.scale(now)
			lastScale = now
		}
		g.mu.Lock()
		wait := g.reconcileLocked(now)
		scaling := g.spec.scaling != nil
		g.mu.Unlock()
		if scaling {
			if until := scaleTick - time.Since(lastScale); wait <= 0 || until < wait {
				wait = max(until, time.Millisecond)
			}
		}
		if wait <= 0 {
			wait = time.Hour
		}
		timer.Reset(wait)
		select {
		case <-g.ctx.Done():
			return
		case <-g.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// reconcileLocked moves the instances one step towards the spec. It
// returns how long until it needs to run again by itself (a backoff
// ending), or 0.
func (g *group) reconcileLocked(now time.Time) time.Duration {
	if g.stopping {
		return 0
	}
	key := g.spec.launch.key()
	for _, inst := range g.sortedLocked() {
		switch {
		case inst.state == stExited:
			g.forgetLocked(inst)
			desc := supervisor.ExitDescription(inst.exitErr)
			switch {
			case inst.launch != key:
				g.logf("%s (of an older configuration) %s", inst.id, desc)
			case !inst.everHealthy:
				g.failedStartLocked(now, inst, desc)
			default:
				g.logf("%s %s; replacing it", inst.id, desc)
			}
		case inst.state == stUnhealthy:
			g.logf("%s failed %d health checks in a row (%s); replacing it", inst.id, inst.fails, inst.lastCheck)
			g.removeLocked(inst, unhealthyDrainTimeout)
		case inst.state == stStarting && now.Sub(inst.started) > instanceStartGrace:
			g.removeLocked(inst, 0)
			if inst.launch == key {
				check := inst.lastCheck
				if check == "" {
					check = "no answer"
				}
				g.failedStartLocked(now, inst, fmt.Sprintf("did not pass its health check within %s (%s)", instanceStartGrace, check))
			}
		}
	}

	var cur, old []*groupInstance
	curHealthy, oldHealthy := 0, 0
	for _, inst := range g.sortedLocked() {
		if inst.state != stStarting && inst.state != stHealthy {
			continue
		}
		if inst.launch == key {
			cur = append(cur, inst)
			if inst.state == stHealthy {
				curHealthy++
			}
		} else {
			old = append(old, inst)
			if inst.state == stHealthy {
				oldHealthy++
			}
		}
	}

	// Start what is missing; while instances fail to come up, one at a
	// time after the backoff.
	var wait time.Duration
	need := g.desired - len(cur)
	if len(old) > 0 {
		// Rolling: at most max_surge instances beyond the desired count.
		need = min(need, g.desired+g.spec.rollout.maxSurge-len(cur)-len(old))
	}
	if need > 0 {
		if now.Before(g.nextStart) {
			wait = g.nextStart.Sub(now)
		} else {
			if g.crashes > 0 {
				need = 1
			}
			for range need {
				inst, err := g.startLocked(now, key)
				if err != nil {
					g.failedStartLocked(now, &groupInstance{id: fmt.Sprintf("%s-%d", g.id, g.seq)}, "could not start: "+err.Error())
					wait = g.nextStart.Sub(now)
					break
				}
				cur = append(cur, inst)
			}
		}
	}

	// Instances of an older launch configuration leave as the new ones
	// become healthy, never leaving fewer healthy instances than desired
	// less max_unavailable: those not healthy at once, the healthy ones one
	// for each healthy instance beyond that floor.
	excess := curHealthy + oldHealthy - (g.desired - g.spec.rollout.maxUnavailable)
	for _, inst := range old {
		if inst.state != stHealthy {
			g.removeLocked(inst, backends.DrainTimeout)
			continue
		}
		if excess > 0 {
			g.logf("%s runs an older configuration; draining it", inst.id)
			g.removeLocked(inst, backends.DrainTimeout)
			excess--
		}
	}

	// Scale in: the newest go first, those not yet healthy before those
	// that are.
	if extra := len(cur) - g.desired; extra > 0 {
		sort.SliceStable(cur, func(i, j int) bool {
			if (cur[i].state == stHealthy) != (cur[j].state == stHealthy) {
				return cur[i].state != stHealthy
			}
			return cur[i].seq > cur[j].seq
		})
		for _, inst := range cur[:extra] {
			g.logf("scaling in: draining %s", inst.id)
			g.removeLocked(inst, backends.DrainTimeout)
		}
	}
	g.publishLocked()
	// Wake up when a starting instance's grace ends.
	for _, inst := range cur {
		if inst.state == stStarting {
			if d := inst.started.Add(instanceStartGrace).Sub(now) + time.Millisecond; wait <= 0 || d < wait {
				wait = d
			}
		}
	}
	return wait
}

// failedStartLocked records an instance of the current configuration that
// did not come up, and sets the backoff before the next start.
func (g *group) failedStartLocked(now time.Time, inst *groupInstance, desc string) {
	g.crashes++
	g.failedStarts++
	delay := startBackoffMax
	if g.crashes <= 6 {
		delay = min(startBackoffBase<<(g.crashes-1), startBackoffMax)
	}
	g.nextStart = now.Add(delay)
	g.lastFailure = inst.id + " " + desc
	if inst.log != "" {
		g.lastFailure += "; last log lines:\n" + supervisor.Tail(inst.log, instanceLogTail)
	}
	g.logf("%s %s; next start in %s", inst.id, desc, delay)
	g.noteChangeLocked()
}

// startLocked starts one instance of the current launch configuration.
func (g *group) startLocked(now time.Time, key string) (*groupInstance, error) {
	g.seq++
	id := fmt.Sprintf("%s-%d", g.id, g.seq)
	port, err := supervisor.FreePort()
	if err != nil {
		return nil, err
	}
	l := g.spec.launch
	vars := map[string]string{"PORT": strconv.Itoa(port), "INSTANCE_ID": id}
	args := make([]string, len(l.args))
	for i, a := range l.args {
		args[i] = expandArg(a, vars)
	}
	env := append(append([]string(nil), l.env...), "PORT="+vars["PORT"], "INSTANCE_ID="+id)
	logPath := g.env.LogPath(g.address, id)
	p, err := supervisor.StartProc(supervisor.ProcSpec{Path: l.program, Args: args, Env: env, Dir: l.dir, Log: logPath})
	if err != nil {
		return nil, err
	}
	inst := &groupInstance{
		id: id, seq: g.seq, launch: key, p: p, log: logPath, started: now,
		b: &backends.Backend{ID: id, Group: g.address, Addr: supervisor.HostPort(port)},
	}
	ctx, cancel := context.WithCancel(g.ctx)
	inst.stopCheck = cancel
	g.instances[id] = inst
	g.logf("started %s (pid %d) on %s", id, p.PID(), inst.b.Addr)
	g.wg.Add(2)
	go g.watch(inst)
	go g.check(ctx, inst)
	return inst, nil
}

// watch notes when an instance's process ends.
func (g *group) watch(inst *groupInstance) {
	defer g.wg.Done()
	<-inst.p.Done()
	_, err := inst.p.Exited()
	g.mu.Lock()
	defer g.mu.Unlock()
	inst.exitErr = err
	if inst.state != stDraining {
		inst.state = stExited
		inst.b.Leave()
		g.publishLocked()
		g.noteChangeLocked()
	}
}

// check runs an instance's health checks until it leaves.
func (g *group) check(ctx context.Context, inst *groupInstance) {
	defer g.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		g.mu.Lock()
		hc := g.spec.health
		g.mu.Unlock()
		err := g.probe(ctx, inst.b.Addr, hc)
		if ctx.Err() != nil {
			return
		}
		g.mu.Lock()
		g.noteCheckLocked(inst, hc, err)
		next := hc.interval
		if inst.state == stStarting && inst.passes == 0 {
			next = min(hc.interval, startProbeInterval)
		}
		g.mu.Unlock()
		timer.Reset(next)
	}
}

// probe runs one health check.
func (g *group) probe(ctx context.Context, addr string, hc healthSpec) error {
	ctx, cancel := context.WithTimeout(ctx, hc.timeout)
	defer cancel()
	url := "http://" + addr + hc.path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		var msg string
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			msg = fmt.Sprintf("no answer within %s", hc.timeout)
		case strings.Contains(err.Error(), "connection refused"):
			msg = "connection refused"
		default:
			msg = err.Error()
		}
		return fmt.Errorf("GET %s: %s", hc.path, msg)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s answered %s", hc.path, resp.Status)
	}
	return nil
}

// noteCheckLocked counts a check and moves the instance between starting,
// healthy and unhealthy.
func (g *group) noteCheckLocked(inst *groupInstance, hc healthSpec, err error) {
	if inst.state != stStarting && inst.state != stHealthy {
		return
	}
	if err == nil {
		inst.passes++
		inst.fails = 0
		if inst.state == stStarting && inst.passes >= hc.healthy {
			inst.state = stHealthy
			inst.everHealthy = true
			if inst.launch == g.spec.launch.key() {
				g.crashes, g.nextStart = 0, time.Time{}
			}
			g.logf("%s is healthy", inst.id)
			g.publishLocked()
			g.noteChangeLocked()
		}
		return
	}
	inst.passes = 0
	inst.fails++
	inst.lastCheck = err.Error()
	if inst.state == stHealthy && inst.fails >= hc.unhealthy {
		// Out of the load balancers now; the loop replaces it.
		inst.state = stUnhealthy
		inst.b.Leave()
		g.publishLocked()
		g.noteChangeLocked()
	}
}

// removeLocked takes an instance out of service: no new requests, those
// in flight get up to drain to finish, then the process stops.
func (g *group) removeLocked(inst *groupInstance, drain time.Duration) {
	if inst.state == stDraining {
		return
	}
	inst.state = stDraining
	inst.b.Leave()
	g.publishLocked()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if drain > 0 {
			ctx, cancel := context.WithTimeout(g.ctx, drain)
			if !inst.b.Drain(ctx) && g.ctx.Err() == nil {
				g.logf("%s still had %d requests in flight after %s; stopping it anyway", inst.id, inst.b.InFlight(), drain)
			}
			cancel()
		}
		inst.stopCheck()
		inst.p.Stop(instanceStopGrace)
		g.mu.Lock()
		delete(g.instances, inst.id)
		g.publishLocked()
		g.noteChangeLocked()
		g.mu.Unlock()
	}()
}

// forgetLocked drops an instance whose process has ended.
func (g *group) forgetLocked(inst *groupInstance) {
	inst.stopCheck()
	inst.b.Leave()
	delete(g.instances, inst.id)
	g.publishLocked()
}

// publishLocked gives load balancers the current targets.
func (g *group) publishLocked() {
	set := &backends.Set{}
	if !g.stopping {
		for _, inst := range g.sortedLocked() {
			if inst.state == stExited {
				continue
			}
			healthy := inst.state == stHealthy
			set.Members = append(set.Members, backends.Member{Backend: inst.b, Healthy: healthy})
			if healthy {
				set.Serving = append(set.Serving, inst.b)
			}
		}
	}
	g.pub.Store(set)
}

// sortedLocked lists the instances in the order they were started.
func (g *group) sortedLocked() []*groupInstance {
	out := make([]*groupInstance, 0, len(g.instances))
	for _, inst := range g.instances {
		out = append(out, inst)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (g *group) Observe(context.Context) providers.Observation {
	g.mu.Lock()
	var obs providers.Observation
	healthy := 0
	var notes []string
	for _, inst := range g.sortedLocked() {
		ok := inst.state == stHealthy
		if ok {
			healthy++
		}
		obs.Targets = append(obs.Targets, providers.TargetObservation{ID: inst.id, Group: g.address, Healthy: ok})
		switch inst.state {
		case stStarting:
			notes = append(notes, inst.id+" is starting")
		case stUnhealthy:
			notes = append(notes, inst.id+" failed its health check ("+inst.lastCheck+")")
		case stDraining:
			notes = append(notes, inst.id+" is draining")
		}
	}
	desired, stopping, lastFailure := g.desired, g.stopping, g.lastFailure
	g.mu.Unlock()
	obs.Healthy = !stopping && healthy >= desired
	if !obs.Healthy {
		obs.Detail = fmt.Sprintf("%d of %d instances are healthy", healthy, desired)
		if len(notes) > 0 {
			obs.Detail += ": " + strings.Join(notes, ", ")
		}
		if lastFailure != "" {
			obs.Detail += "; last failure: " + strings.SplitN(lastFailure, "\n", 2)[0]
		}
		obs.Detail += "."
	}
	obs.Requests, obs.Errors5xx = g.traffic()
	return obs
}

// traffic sums what every load balancer routed to the group.
func (g *group) traffic() (requests, errors5xx int64) {
	for _, p := range g.env.Ready(kinds.LoadBalancer) {
		if tc, ok := p.Unit.(backends.TrafficCounter); ok {
			r, e := tc.GroupTraffic(g.address)
			requests += r
			errors5xx += e
		}
	}
	return requests, errors5xx
}

// Stop deletes the group: it leaves the load balancers at once (they look
// for a group that replaces it), lets requests in flight finish, then
// stops every process.
func (g *group) Stop(ctx context.Context) error {
	return g.shutdown(ctx, backends.DrainTimeout)
}

// Halt stops every process without waiting for traffic: the supervisor
// stops the load balancers first.
func (g *group) Halt(ctx context.Context) error {
	return g.shutdown(ctx, 0)
}

func (g *group) shutdown(ctx context.Context, drain time.Duration) error {
	g.gone.Store(true)
	g.mu.Lock()
	g.stopping = true
	insts := g.sortedLocked()
	for _, inst := range insts {
		inst.b.Leave()
	}
	g.publishLocked()
	g.noteChangeLocked()
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, inst := range insts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if drain > 0 {
				dctx, cancel := context.WithTimeout(ctx, drain)
				inst.b.Drain(dctx)
				cancel()
			}
			grace := instanceStopGrace
			if dl, ok := ctx.Deadline(); ok {
				grace = max(0, min(grace, time.Until(dl)))
			}
			inst.p.Stop(grace)
		}()
	}
	wg.Wait()
	g.cancel()
	g.wg.Wait()
	if len(insts) > 0 {
		g.logf("stopped %d instances", len(insts))
	}
	return nil
}

package aws

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// TestCoordinatorUserData renders each engine's boot script, checks that
// sh parses it, and runs its configure command against a directory
// standing in for the instance metadata service: the configuration it
// writes must name the whole roster and this member.
func TestCoordinatorUserData(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run the boot script with")
	}
	tests := map[string]struct {
		files map[string][]string // path under the root -> lines it must hold
	}{
		"etcd": {files: map[string][]string{
			"etc/etcd/etcd.env": {
				"ETCD_NAME=m2",
				"ETCD_INITIAL_CLUSTER=m1=http://10.0.1.4:2380,m2=http://10.0.1.5:2380,m3=http://10.0.2.6:2380",
				"ETCD_INITIAL_ADVERTISE_PEER_URLS=http://10.0.1.5:2380",
				"ETCD_ADVERTISE_CLIENT_URLS=http://10.0.1.5:2379",
				"ETCD_INITIAL_CLUSTER_STATE=new",
				"ETCD_INITIAL_CLUSTER_TOKEN=sc-abc-locks",
			},
		}},
		"zookeeper": {files: map[string][]string{
			"etc/zookeeper/zoo.cfg": {"reconfigEnabled=true", "dynamicConfigFile=/etc/zookeeper/zoo.cfg.dynamic", "dataDir=/var/lib/zookeeper"},
			"etc/zookeeper/zoo.cfg.dynamic": {
				"server.1=10.0.1.4:2888:3888:participant;0.0.0.0:2181",
				"server.2=10.0.1.5:2888:3888:participant;0.0.0.0:2181",
				"server.3=10.0.2.6:2888:3888:participant;0.0.0.0:2181",
			},
			"var/lib/zookeeper/myid": {"2"},
		}},
	}
	for engine, tc := range tests {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			script, err := renderUserData(engine, "coordinator.locks\nsecond line", "sc-abc-locks")
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "member.sh")
			if err := os.WriteFile(path, script, 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.CommandContext(t.Context(), sh, "-n", path).CombinedOutput(); err != nil {
				t.Fatalf("sh -n rejects the %s boot script: %v\n%s", engine, err, out)
			}
			imds := filepath.Join(dir, "imds")
			for p, v := range map[string]string{
				"meta-data/local-ipv4":                          "10.0.1.5",
				"meta-data/tags/instance/" + tagMemberID:        "2",
				"meta-data/tags/instance/" + tagClusterState:    "new",
				"meta-data/tags/instance/" + tagMembers:         "1=10.0.1.4,2=10.0.1.5,3=10.0.2.6",
				"meta-data/tags/instance/" + providers.TagStack: "shop",
			} {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(imds, p)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(imds, p), []byte(v), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			root := filepath.Join(dir, "root")
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, sh, path, "configure")
			cmd.Env = append(os.Environ(), "STAGECRAFT_ROOT="+root, "STAGECRAFT_IMDS="+imds)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("the %s boot script's configure failed: %v\n%s", engine, err, out)
			}
			for file, want := range tc.files {
				got, err := os.ReadFile(filepath.Join(root, file))
				if err != nil {
					t.Fatalf("configure did not write %s: %v", file, err)
				}
				lines := strings.Split(strings.TrimSpace(string(got)), "\n")
				for _, w := range want {
					if !slices.Contains(lines, w) {
						t.Errorf("%s lacks the line %q; it holds:\n%s", file, w, got)
					}
				}
			}
			if first := strings.SplitN(string(script), "\n", 4); !strings.Contains(first[1], "coordinator.locks second line") {
				t.Errorf("the script's header does not name the address on one line: %q", first[1])
			}
		})
	}
}

// memberAgent plays the instances' side of the roster protocol, which
// moto cannot run (it boots nothing): every instance of the cluster that
// has a member number but is no longer on the roster it carries powers
// off, as the boot script's reconcile timer does.
func memberAgent(t *testing.T, ctx context.Context, c *ec2.Client, cluster string) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(func() { cancel(); wg.Wait() })
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
				tagFilter(tagCluster, cluster),
				{Name: sdk.String("instance-state-name"), Values: []string{"running"}},
			}})
			if err == nil {
				var leaving []string
				for _, res := range out.Reservations {
					for _, in := range res.Instances {
						id, roster := tagValue(in.Tags, tagMemberID), tagValue(in.Tags, tagMembers)
						if id != "" && roster != "" && !slices.Contains(strings.Split(roster, ","), id+"="+sdk.ToString(in.PrivateIpAddress)) {
							leaving = append(leaving, sdk.ToString(in.InstanceId))
						}
					}
				}
				if len(leaving) > 0 {
					_, _ = c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: leaving})
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
}

// TestCoordinatorChangesOneMemberAtATime rolls a coordinator onto a new
// image and then shrinks it: every change adds or removes one member, a
// new one joins before an old one leaves, the members that left are
// terminated, and the delete leaves no instance or launch template.
func TestCoordinatorChangesOneMemberAtATime(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 60*time.Second)
	k := e.kind(kinds.Coordinator).(*coordinatorKind)
	var steps []int
	k.stepped = func(n int) { steps = append(steps, n) }
	coord := func(ami string, members int64) attrs {
		return attrs{"engine": cty.StringVal("etcd"), "members": cty.NumberIntVal(members), "aws": cty.ObjectVal(attrs{"ami": cty.StringVal(ami)})}
	}
	r, v := e.create(kinds.Coordinator, "locks", coord(testAMIOld, 3))
	memberAgent(t, e.ctx, e.clients().ec2, r.ID)
	founders := e.coordMembers(r.ID)
	if len(founders) != 3 {
		t.Fatalf("the new coordinator runs %d members, want 3", len(founders))
	}

	for _, c := range []struct {
		name      string
		ami       string
		members   int64
		wantSteps []int
	}{
		{"roll onto a new image", testAMI, 3, []int{4, 3, 4, 3, 4, 3}},
		{"shrink", testAMI, 1, []int{2, 1}},
	} {
		steps = nil
		got, err := k.Update(e.ctx, r, v, e.desired(kinds.Coordinator, coord(c.ami, c.members)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(steps, c.wantSteps) {
			t.Errorf("%s went through the member counts %v, want %v (one member at a time, a new one in before an old one out)", c.name, steps, c.wantSteps)
		}
		if n := len(got.GetAttr("endpoints").AsValueSlice()); n != int(c.members) {
			t.Errorf("%s: %d endpoints, want %d", c.name, n, c.members)
		}
		for id, image := range e.coordMembers(r.ID) {
			if image != c.ami {
				t.Errorf("%s: member %s runs %s, want %s", c.name, id, image, c.ami)
			}
		}
		v = got
	}
	for id := range founders {
		if st := e.instanceState(id); st != string(ec2types.InstanceStateNameTerminated) {
			t.Errorf("founding member %s is %s after the roll, want terminated", id, st)
		}
	}

	if n := len(e.templatesOf(r.Address)); n != 1 {
		t.Errorf("%s has %d launch templates after the roll, want 1 (the old image's is deleted)", r.Address, n)
	}
	if err := k.Delete(e.ctx, r, v); err != nil {
		t.Fatal(err)
	}
	if left := e.coordMembers(r.ID); len(left) > 0 {
		t.Errorf("instances of %s left after the delete: %v", r.ID, left)
	}
	if lts := e.templatesOf(r.Address); len(lts) > 0 {
		t.Errorf("launch templates of %s after the delete: %v, want none", r.Address, lts)
	}
}

// coordMembers maps the cluster's instances that are not terminated to
// their images.
func (e *testEnv) coordMembers(cluster string) map[string]string {
	e.t.Helper()
	out, err := e.clients().ec2.DescribeInstances(e.ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		tagFilter(tagCluster, cluster),
		{Name: sdk.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]string{}
	for _, res := range out.Reservations {
		for _, in := range res.Instances {
			m[sdk.ToString(in.InstanceId)] = sdk.ToString(in.ImageId)
		}
	}
	return m
}

// templatesOf lists the names of the launch templates of the resource at
// address.
func (e *testEnv) templatesOf(address string) []string {
	e.t.Helper()
	out, err := e.clients().ec2.DescribeLaunchTemplates(e.ctx, &ec2.DescribeLaunchTemplatesInput{Filters: []ec2types.Filter{
		tagFilter(providers.TagStack, e.stack), tagFilter(providers.TagAddress, address),
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, lt := range out.LaunchTemplates {
		names = append(names, sdk.ToString(lt.LaunchTemplateName))
	}
	return names
}

// TestCoordinatorCreateIsIdempotent creates a coordinator twice, as an
// apply that crashed before recording the first create does: the second
// create finds the first one's group and launches no member more.
func TestCoordinatorCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, 30*time.Second)
	a := attrs{"engine": cty.StringVal("zookeeper"), "members": cty.NumberIntVal(3), "aws": cty.ObjectVal(attrs{"ami": cty.StringVal(testAMI)})}
	r, first := e.create(kinds.Coordinator, "locks", a)
	again := r
	again.ID = ""
	second, err := e.kind(r.Kind).Create(e.ctx, again, e.desired(r.Kind, a))
	if err != nil {
		t.Fatalf("create %s again: %v", r.Address, err)
	}
	if id := second.GetAttr("id").AsString(); id != r.ID {
		t.Errorf("the second create made %s; want the first one's %s", id, r.ID)
	}
	if !second.GetAttr("endpoints").RawEquals(first.GetAttr("endpoints")) {
		t.Errorf("the second create reports endpoints %s, the first %s", second.GetAttr("endpoints").GoString(), first.GetAttr("endpoints").GoString())
	}
	if n := len(e.coordMembers(r.ID)); n != 3 {
		t.Errorf("after two creates the coordinator runs %d instances, want 3", n)
	}
	if n := len(e.templatesOf(r.Address)); n != 1 {
		t.Errorf("after two creates %s has %d launch templates, want 1", r.Address, n)
	}
	// Its group is the coordinator's, not an autoscaling_group.
	for _, kind := range []string{kinds.AutoscalingGroup, kinds.Coordinator} {
		found, err := e.kind(kind).(providers.Discoverer).Discover(e.ctx, e.stack, e.env)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range found {
			got = append(got, f.Ref.Kind+" "+f.Ref.Address)
		}
		want := []string{}
		if kind == kinds.Coordinator {
			want = []string{kind + " " + r.Address}
		}
		if !slices.Equal(got, want) {
			t.Errorf("the %s kind discovers %v, want %v", kind, got, want)
		}
	}
}

// TestCoordinatorRosterToBe checks the roster a coordinator reads with
// while members are not on it yet (a create interrupted before it wrote
// the roster): the members on it keep their numbers, the newcomers take
// the free ones in the order of their instance ids, those still starting
// included, and an instance in standby is left out; settle numbers only
// the instances in service, the same way.
func TestCoordinatorRosterToBe(t *testing.T) {
	t.Parallel()
	running, pending := ec2types.InstanceStateNameRunning, ec2types.InstanceStateNamePending
	s := &coordState{members: []coordMember{
		{instanceID: "i-a", ip: "10.0.1.1", lifecycle: astypes.LifecycleStateInService, ec2State: running},
		{instanceID: "i-b", ip: "10.0.1.2", lifecycle: astypes.LifecycleStateInService, ec2State: running, id: 2},
		{instanceID: "i-c", ip: "10.0.1.3", lifecycle: astypes.LifecycleStatePending, ec2State: pending},
		{instanceID: "i-d", ip: "10.0.1.4", lifecycle: astypes.LifecycleStateStandby, ec2State: running},
		{instanceID: "i-e", ip: "10.0.1.5", lifecycle: astypes.LifecycleStateInService, ec2State: running},
	}}
	var got []string
	for _, m := range s.rosterToBe() {
		got = append(got, fmt.Sprintf("%d=%s", m.id, m.instanceID))
	}
	if want := "1=i-a 2=i-b 3=i-c 4=i-e"; strings.Join(got, " ") != want {
		t.Errorf("the roster to be is %v, want %s", got, want)
	}
	if got, want := s.newcomers(false), map[string]int{"i-a": 1, "i-e": 3}; !maps.Equal(got, want) {
		t.Errorf("settle numbers %v, want %v", got, want)
	}
}

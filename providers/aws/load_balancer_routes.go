package aws

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/schema"
)

// Routes on a listener: the "/" prefix is the default action; any other
// prefix P is a rule with the condition path-pattern "P*" and a forward
// action to the weighted target groups of P's routes.
//
// The longest prefix must win, and two different prefixes of the same
// length never match the same path, so a rule's priority only has to
// follow its prefix length: a prefix of length n takes a free priority in
// the band (128-n)*100+1 .. (128-n)*100+100. Adding or removing a route
// then touches that route's rule alone, and a rule keeps its priority
// while its prefix keeps its length.

// lbRouting is routes in canonical form: prefix -> target -> weight (the
// weights of a target's routes on one prefix summed; a route alone on
// its prefix without a weight has 100).
type lbRouting map[string]map[string]int64

// canonicalRouting puts routes in canonical form.
func canonicalRouting(routes []lbRoute) lbRouting {
	out := lbRouting{}
	for _, rt := range routes {
		prefix := schema.NormalizeRoutePath(rt.Path)
		w := int64(100)
		if rt.Weight != nil {
			w = *rt.Weight
		}
		if out[prefix] == nil {
			out[prefix] = map[string]int64{}
		}
		out[prefix][rt.Target] += w
	}
	return out
}

func (a lbRouting) equal(b lbRouting) bool {
	return maps.EqualFunc(a, b, func(x, y map[string]int64) bool { return maps.Equal(x, y) })
}

// prefixes lists the routing's prefixes, longest first.
func (a lbRouting) prefixes() []string {
	out := orderedKeys(a)
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// routes writes the routing out as routes, longest prefix first, each
// with its weight.
func (a lbRouting) routes() []lbRoute {
	var out []lbRoute
	for _, prefix := range a.prefixes() {
		for _, target := range orderedKeys(a[prefix]) {
			w := a[prefix][target]
			out = append(out, lbRoute{Path: prefix, Target: target, Weight: &w})
		}
	}
	return out
}

// routingByARN reads a listener's routing (prefix -> target group ARN ->
// weight) from its default action and rules.
func routingByARN(defaults []elbtypes.Action, rules []elbtypes.Rule) map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	if w, ok := forwardWeights(defaults); ok {
		out["/"] = w
	}
	for _, rule := range rules {
		if sdk.ToBool(rule.IsDefault) {
			continue
		}
		prefix, ok := rulePrefix(rule)
		if !ok {
			continue
		}
		if w, ok := forwardWeights(rule.Actions); ok {
			out[prefix] = w
		}
	}
	return out
}

// rulePrefix returns the prefix P of a rule whose only condition is
// path-pattern "P*".
func rulePrefix(rule elbtypes.Rule) (string, bool) {
	if len(rule.Conditions) != 1 || sdk.ToString(rule.Conditions[0].Field) != "path-pattern" {
		return "", false
	}
	c := rule.Conditions[0]
	values := c.Values
	if c.PathPatternConfig != nil && len(c.PathPatternConfig.Values) > 0 {
		values = c.PathPatternConfig.Values
	}
	if len(values) != 1 || !strings.HasSuffix(values[0], "*") {
		return "", false
	}
	return strings.TrimSuffix(values[0], "*"), true
}

// forwardWeights returns the target groups of a forward action with their
// weights, and false for anything else.
func forwardWeights(actions []elbtypes.Action) (map[string]int64, bool) {
	if len(actions) != 1 || actions[0].Type != elbtypes.ActionTypeEnumForward {
		return nil, false
	}
	a := actions[0]
	out := map[string]int64{}
	if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
		for _, t := range a.ForwardConfig.TargetGroups {
			w := int64(1)
			if t.Weight != nil {
				w = int64(*t.Weight)
			}
			if len(a.ForwardConfig.TargetGroups) == 1 && t.Weight == nil {
				w = 100
			}
			out[sdk.ToString(t.TargetGroupArn)] += w
		}
		return out, true
	}
	if arn := sdk.ToString(a.TargetGroupArn); arn != "" {
		out[arn] = 100
		return out, true
	}
	return nil, false
}

// forwardAction forwards to target groups by weight.
func forwardAction(weights map[string]int64) []elbtypes.Action {
	var tuples []elbtypes.TargetGroupTuple
	for _, arn := range orderedKeys(weights) {
		tuples = append(tuples, elbtypes.TargetGroupTuple{TargetGroupArn: sdk.String(arn), Weight: sdk.Int32(int32(weights[arn]))})
	}
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: tuples}}}
}

// notFoundAction answers requests no route matches.
func notFoundAction() []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbtypes.FixedResponseActionConfig{
		StatusCode: sdk.String("404"), ContentType: sdk.String("text/plain"), MessageBody: sdk.String("No route matches this path."),
	}}}
}

// sameActions reports whether have does what want does.
func sameActions(have, want []elbtypes.Action) bool {
	hw, hok := forwardWeights(have)
	ww, wok := forwardWeights(want)
	if hok || wok {
		return hok && wok && maps.Equal(hw, ww)
	}
	return len(have) == 1 && len(want) == 1 && have[0].Type == want[0].Type
}

// priorityBand returns the first priority of a prefix's band.
func priorityBand(prefix string) int32 {
	return int32(maxPatternLength-len(prefix))*100 + 1
}

// syncListeners makes the load balancer's listeners those of cfg, each
// routing by arnRouting (prefix -> target group ARN -> weight).
func (k *loadBalancerKind) syncListeners(ctx context.Context, op string, r providers.Ref, lb elbtypes.LoadBalancer, cfg lbConfig, arnRouting map[string]map[string]int64) error {
	c := k.p.clients.elbv2
	var listeners []elbtypes.Listener
	for p := elbv2.NewDescribeListenersPaginator(c, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return awsError(op, r.Address, "listener", err)
		}
		listeners = append(listeners, page.Listeners...)
	}
	byPort := map[int32]elbtypes.Listener{}
	for _, l := range listeners {
		byPort[sdk.ToInt32(l.Port)] = l
	}
	protocol := elbtypes.ProtocolEnumHttp
	defaults := notFoundAction()
	if w, ok := arnRouting["/"]; ok {
		defaults = forwardAction(w)
	}
	if cfg.typ == "tcp" {
		protocol = elbtypes.ProtocolEnumTcp
	}
	want := map[int32]bool{}
	for i, port := range cfg.ports {
		want[port] = true
		l, ok := byPort[port]
		switch {
		case !ok:
			out, err := c.CreateListener(ctx, &elbv2.CreateListenerInput{
				LoadBalancerArn: lb.LoadBalancerArn, Port: sdk.Int32(port), Protocol: protocol, DefaultActions: defaults,
			})
			if err != nil {
				return awsError(op, r.Address, fmt.Sprintf("listener[%d]", i), err)
			}
			l = out.Listeners[0]
		case !sameActions(l.DefaultActions, defaults):
			if _, err := c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: l.ListenerArn, DefaultActions: defaults}); err != nil {
				return awsError(op, r.Address, fmt.Sprintf("listener[%d]", i), err)
			}
		}
		if cfg.typ == "http" {
			if err := k.syncRules(ctx, op, r, sdk.ToString(l.ListenerArn), arnRouting); err != nil {
				return err
			}
		}
	}
	for port, l := range byPort {
		if want[port] {
			continue
		}
		if _, err := c.DeleteListener(ctx, &elbv2.DeleteListenerInput{ListenerArn: l.ListenerArn}); err != nil && !isNotFound(err) {
			return awsError(op, r.Address, "listener on port "+strconv.Itoa(int(port)), err)
		}
	}
	return nil
}

// syncRules makes a listener's rules those of arnRouting (all but "/"),
// changing only the rules whose routes changed.
func (k *loadBalancerKind) syncRules(ctx context.Context, op string, r providers.Ref, listenerARN string, arnRouting map[string]map[string]int64) error {
	c := k.p.clients.elbv2
	rules, err := k.listenerRules(ctx, listenerARN)
	if err != nil {
		return awsError(op, r.Address, "route", err)
	}
	have := map[string]elbtypes.Rule{}
	used := map[int32]bool{}
	var drop []elbtypes.Rule
	for _, rule := range rules {
		if sdk.ToBool(rule.IsDefault) {
			continue
		}
		prefix, ok := rulePrefix(rule)
		_, wanted := arnRouting[prefix]
		if _, dup := have[prefix]; !ok || dup || !wanted || prefix == "/" {
			drop = append(drop, rule)
			continue
		}
		have[prefix] = rule
		if n, err := strconv.Atoi(sdk.ToString(rule.Priority)); err == nil {
			used[int32(n)] = true
		}
	}
	for _, rule := range drop {
		if _, err := c.DeleteRule(ctx, &elbv2.DeleteRuleInput{RuleArn: rule.RuleArn}); err != nil && !isNotFound(err) {
			return awsError(op, r.Address, "route", err)
		}
	}
	free := func(prefix string) int32 {
		base := priorityBand(prefix)
		for p := base; p < base+100; p++ {
			if !used[p] {
				used[p] = true
				return p
			}
		}
		return 0
	}
	for _, prefix := range lbRouting(arnRouting).prefixes() {
		if prefix == "/" {
			continue
		}
		actions := forwardAction(arnRouting[prefix])
		where := "route " + prefix + "*"
		rule, ok := have[prefix]
		if !ok {
			p := free(prefix)
			if p == 0 {
				return r.AttrErrorf(op, "route", "more than 100 path prefixes of length %d", len(prefix))
			}
			_, err := c.CreateRule(ctx, &elbv2.CreateRuleInput{
				ListenerArn: sdk.String(listenerARN), Priority: sdk.Int32(p), Actions: actions,
				Conditions: []elbtypes.RuleCondition{{Field: sdk.String("path-pattern"),
					PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{prefix + "*"}}}},
			})
			if err != nil {
				return awsError(op, r.Address, where, err)
			}
			continue
		}
		if !sameActions(rule.Actions, actions) {
			if _, err := c.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: rule.RuleArn, Actions: actions}); err != nil {
				return awsError(op, r.Address, where, err)
			}
		}
		base := priorityBand(prefix)
		if n, err := strconv.Atoi(sdk.ToString(rule.Priority)); err != nil || int32(n) < base || int32(n) >= base+100 {
			p := free(prefix)
			if p == 0 {
				return r.AttrErrorf(op, "route", "more than 100 path prefixes of length %d", len(prefix))
			}
			if _, err := c.SetRulePriorities(ctx, &elbv2.SetRulePrioritiesInput{RulePriorities: []elbtypes.RulePriorityPair{{RuleArn: rule.RuleArn, Priority: sdk.Int32(p)}}}); err != nil {
				return awsError(op, r.Address, where, err)
			}
		}
	}
	return nil
}

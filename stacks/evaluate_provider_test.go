package stacks

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestEvaluateProvider: the provider's settings come out as a whole
// evaluation gives them, variables and environment included, without the
// resources.
func TestEvaluateProvider(t *testing.T) {
	t.Parallel()
	st := loadFiles(t, map[string]string{"main.stack.hcl": `
variable "where" {
  type = string
}
provider "sim" {
  path = "${var.where}/${environment.name}.jsonl"
}
environment "dev" {
  provider = "sim"
  stage    = "s"
}
stage "s" {
  cache "c" {
    engine = "redis"
  }
}
`})
	req := Request{Environment: "dev", Vars: []VarInput{{Name: "where", Value: "clouds"}}}
	got, diags := st.EvaluateProvider(req)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	ds, diags := st.Evaluate(req)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if !got.RawEquals(ds.ProviderConfig) || !got.GetAttr("path").RawEquals(cty.StringVal("clouds/dev.jsonl")) {
		t.Errorf("EvaluateProvider = %#v, Evaluate's provider settings %#v", got, ds.ProviderConfig)
	}
	if _, diags := st.EvaluateProvider(Request{Environment: "dev"}); !diags.HasErrors() {
		t.Error("a required variable without a value: no error")
	}
}

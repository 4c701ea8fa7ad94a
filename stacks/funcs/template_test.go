package funcs

import (
	"testing"
	"testing/fstest"

	"github.com/zclconf/go-cty/cty"
)

func TestTemplateFile(t *testing.T) {
	t.Parallel()
	runExprCases(t, templateCases())
}

func templateCases() map[string]exprCase {
	files := fstest.MapFS{
		"greeting.tmpl":  {Data: []byte("Hello, ${name}!")},
		"backends.tmpl":  {Data: []byte("%{ for addr in addrs ~}\nserver ${addr}:${port}\n%{ endfor ~}\n")},
		"upper.tmpl":     {Data: []byte("${upper(name)}-${length(name)}")},
		"config.tmpl":    {Data: []byte("${jsonencode(config)}")},
		"count.tmpl":     {Data: []byte("${count}")},
		"self.tmpl":      {Data: []byte(`${templatefile("greeting.tmpl", {name = "x"})}`)},
		"broken.tmpl":    {Data: []byte("Hello, ${name")},
		"web/nginx.tmpl": {Data: []byte("listen ${port};")},
	}
	return map[string]exprCase{
		"variable": {
			expr: `templatefile("greeting.tmpl", {name = "web"})`, files: files,
			want: cty.StringVal("Hello, web!"),
		},
		"for directive": {
			expr: `templatefile("backends.tmpl", {addrs = ["10.0.0.1", "10.0.0.2"], port = 8080})`, files: files,
			want: cty.StringVal("server 10.0.0.1:8080\nserver 10.0.0.2:8080\n"),
		},
		"functions in the template": {
			expr: `templatefile("upper.tmpl", {name = "web"})`, files: files,
			want: cty.StringVal("WEB-3"),
		},
		"jsonencode in the template": {
			expr: `templatefile("config.tmpl", {config = {port = 80}})`, files: files,
			want: cty.StringVal(`{"port":80}`),
		},
		"single interpolation keeps its type": {
			expr: `templatefile("count.tmpl", {count = 3}) + 1`, files: files,
			want: cty.NumberIntVal(4),
		},
		"vars as a map": {
			expr: `templatefile("greeting.tmpl", tomap({name = "web"}))`, files: files,
			want: cty.StringVal("Hello, web!"),
		},
		"path relative to the base directory": {
			expr: `templatefile("nginx.tmpl", {port = 80})`, files: files, baseDir: "web",
			want: cty.StringVal("listen 80;"),
		},
		"unknown variable value": {
			expr: `templatefile("greeting.tmpl", {name = pending})`, files: files,
			vars: map[string]cty.Value{"pending": cty.UnknownVal(cty.String)},
			// HCL knows how the rendered string starts.
			want: cty.UnknownVal(cty.String).Refine().NotNull().StringPrefixFull("Hello, ").NewValue(),
		},
		"sensitive variable marks the result": {
			expr: `templatefile("greeting.tmpl", {name = secret})`, files: files,
			vars: map[string]cty.Value{"secret": cty.StringVal("hunter2").Mark("sensitive")},
			want: cty.StringVal("Hello, hunter2!").Mark("sensitive"),
		},
		"missing variable": {
			expr: `templatefile("greeting.tmpl", {nmae = "web"})`, files: files,
			wantErr: `the template refers to the variable "name" at greeting.tmpl:1,10-14, but vars has no "name"`,
		},
		"vars not a map": {
			expr: `templatefile("greeting.tmpl", "web")`, files: files,
			wantErr: "the template variables must be a map or an object",
		},
		"invalid variable name": {
			expr: `templatefile("greeting.tmpl", {name = "web", "2x" = 1})`, files: files,
			wantErr: `template variable name "2x" is not a valid identifier`,
		},
		"missing file": {
			expr: `templatefile("missing.tmpl", {})`, files: files,
			wantErr: `no file exists at "missing.tmpl"`,
		},
		"path escaping the stack directory": {
			expr: `templatefile("../greeting.tmpl", {name = "web"})`, files: files,
			wantErr: `templatefile: path "../greeting.tmpl" leaves the stack directory`,
		},
		"syntax error names the template": {
			expr: `templatefile("broken.tmpl", {name = "web"})`, files: files,
			wantErr: "broken.tmpl:1,",
		},
		"no recursion": {
			expr: `templatefile("self.tmpl", {})`, files: files,
			wantErr: "templatefile cannot be called from inside a template",
		},
	}
}

package funcs

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/zclconf/go-cty/cty"
)

func TestFileFunctions(t *testing.T) {
	t.Parallel()
	runExprCases(t, fileCases())
}

// stackDir is a stack directory with a text file, a binary file and a
// subdirectory holding a nested stack's file.
func stackDir() fstest.MapFS {
	return fstest.MapFS{
		"hello.txt":       {Data: []byte("Hello World\n")},
		"logo.png":        {Data: []byte{0x89, 'P', 'N', 'G', 0xff, 0xfe}},
		"modules/web/app": {Data: []byte("web app")},
	}
}

func fileCases() map[string]exprCase {
	files := stackDir()
	return map[string]exprCase{
		"file":               {expr: `file("hello.txt")`, files: files, want: cty.StringVal("Hello World\n")},
		"file in a subdir":   {expr: `file("modules/web/app")`, files: files, want: cty.StringVal("web app")},
		"file path cleaned":  {expr: `file("./modules/../hello.txt")`, files: files, want: cty.StringVal("Hello World\n")},
		"file missing":       {expr: `file("missing.txt")`, files: files, wantErr: `no file exists at "missing.txt"`},
		"file binary":        {expr: `file("logo.png")`, files: files, wantErr: `the contents of "logo.png" are not valid UTF-8 text`},
		"file directory":     {expr: `file("modules")`, files: files, wantErr: `file: cannot read "modules": it is a directory, not a regular file`},
		"file empty path":    {expr: `file("")`, files: files, wantErr: "the file path is empty"},
		"file escapes":       {expr: `file("../secrets.txt")`, files: files, wantErr: `file: path "../secrets.txt" leaves the stack directory; functions read only files inside it`},
		"file escapes later": {expr: `file("modules/../../secrets.txt")`, files: files, wantErr: `file: path "modules/../../secrets.txt" leaves the stack directory`},
		"file absolute":      {expr: `file("/etc/passwd")`, files: files, wantErr: `file: path "/etc/passwd" leaves the stack directory`},
		"file relative to the base directory": {
			expr: `file("app")`, files: files, baseDir: "modules/web",
			want: cty.StringVal("web app"),
		},
		"file above the base directory, inside the stack": {
			expr: `file("../../hello.txt")`, files: files, baseDir: "modules/web",
			want: cty.StringVal("Hello World\n"),
		},
		"file above the stack from the base directory": {
			expr: `file("../../../hello.txt")`, files: files, baseDir: "modules/web",
			wantErr: "leaves the stack directory",
		},
		"fileexists":           {expr: `fileexists("hello.txt")`, files: files, want: cty.True},
		"fileexists missing":   {expr: `fileexists("missing.txt")`, files: files, want: cty.False},
		"fileexists directory": {expr: `fileexists("modules/web")`, files: files, wantErr: `fileexists: "modules/web" is a directory, not a regular file`},
		"fileexists escapes":   {expr: `fileexists("../hello.txt")`, files: files, wantErr: "leaves the stack directory"},
		"fileexists guards file": {
			expr:  `fileexists("custom.conf") ? file("custom.conf") : "default"`,
			files: files,
			want:  cty.StringVal("default"),
		},
	}
}

func TestFileFunctionsWithoutAStackDirectory(t *testing.T) {
	t.Parallel()
	_, diags := evalExpr(t, `file("hello.txt")`, nil, nil, ".")
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "no stack directory to read files from") {
		t.Fatalf("file() with a nil fs.FS: got %v, want an error saying there is no stack directory", diags)
	}
}

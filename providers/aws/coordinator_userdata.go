package aws

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
)

// The user data of a coordinator member: a shell script per engine,
// rendered from the templates in userdata/ (member.sh.tmpl holds the parts
// both share: reading the roster from the instance's tags, following it,
// the commands). The script and the provider speak through instance tags:
// see coordinatorKind for the protocol.

//go:embed userdata/*.sh.tmpl
var userDataFS embed.FS

var userDataTemplates = template.Must(template.New("userdata").Option("missingkey=error").ParseFS(userDataFS, "userdata/*.sh.tmpl"))

// engineSpec is what the provider and the script must agree on for one
// engine: the pinned release and the ports.
type engineSpec struct {
	Version      string
	ClientPort   int
	PeerPort     int
	ElectionPort int // ZooKeeper only
	DataDir      string
}

var engineSpecs = map[string]engineSpec{
	// The etcd release matches the etcd packages in go.mod, which the
	// local provider embeds.
	"etcd":      {Version: "v3.6.16", ClientPort: 2379, PeerPort: 2380, DataDir: "/var/lib/etcd"},
	"zookeeper": {Version: "3.8.4", ClientPort: 2181, PeerPort: 2888, ElectionPort: 3888, DataDir: "/var/lib/zookeeper"},
}

// memberScript is the input of the user data templates.
type memberScript struct {
	engineSpec
	Engine  string
	Address string
	// Cluster is the Auto Scaling group's name; etcd uses it as the
	// cluster token.
	Cluster string
}

// renderUserData renders the boot script of a member of the coordinator
// at address, whose Auto Scaling group is named cluster.
func renderUserData(engine, address, cluster string) ([]byte, error) {
	spec, ok := engineSpecs[engine]
	if !ok {
		return nil, fmt.Errorf("no user data for engine %q", engine)
	}
	// The address only appears in comments; keep it on one line.
	address = strings.NewReplacer("\n", " ", "\r", " ").Replace(address)
	var buf bytes.Buffer
	err := userDataTemplates.ExecuteTemplate(&buf, engine+".sh.tmpl", memberScript{engineSpec: spec, Engine: engine, Address: address, Cluster: cluster})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

package supervisor

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ProcStat reads /proc/PID/stat (Linux) and returns its fields from the
// third on: f[0] is the state (field 3), f[n] is field n+3. The command
// name (field 2) may hold spaces, so the fields are read after its closing
// parenthesis.
func ProcStat(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return strings.Fields(s[i+1:]), nil
}

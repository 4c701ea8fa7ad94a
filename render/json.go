package render

import (
	"fmt"
	"io"

	"github.com/stagecraft/stagecraft/planner/plan"
)

// PlanJSON writes the plan's JSON form for tools (`plan -o json`): the
// planner's redacted encoding (planner.MarshalPlan with redact), indented,
// followed by a newline. Sensitive values are left out: those the values
// mark, and also those at paths that another value of the same resource
// marks, since values read back from a provider carry no marks.
// docs/json-plan.md documents the fields and docs/json-plan.schema.json
// validates them.
func PlanJSON(w io.Writer, p *plan.Plan) error {
	data, err := plan.Marshal(withSensitiveMarks(p), true)
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	data = append(data, '\n')
	_, err = w.Write(data)
	return err
}

package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/jsonout"
	"github.com/athanor-iac/athanor/internal/propcheck"
	"github.com/athanor-iac/athanor/schema"
)

// ValidateOptions are the parsed arguments of `athanor validate`.
type ValidateOptions struct {
	IO      *IOStreams
	Schemas func() *schema.Registry

	TypeName string
	File     string // "-" for standard input
	JSON     bool
}

// NewCmdValidate builds `athanor validate`. runF replaces the run step in
// tests.
func NewCmdValidate(f *Factory, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: f.IOStreams, Schemas: f.Schemas}
	cmd := &cobra.Command{
		Use:   "validate TYPE FILE",
		Short: "Check a resource's properties before anything is sent to AWS",
		Long: `Check a JSON object of properties for a resource type against the type's
CloudFormation schema and the service's own rules (for AWS::EC2::FlowLog,
EC2's CreateFlowLogs rules), the same checks programs get before apply.

FILE is a JSON file, or - for standard input. Every problem is printed, one
per line; the exit status is 0 when there are none and 1 when there are.`,
		Example: `  athanor validate AWS::EC2::FlowLog flowlog.json
  echo '{"ResourceType":"VPC","ResourceId":"vpc-12345678"}' | athanor validate AWS::EC2::FlowLog - --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErrorf("validate needs TYPE and FILE (- for stdin), like: athanor validate AWS::EC2::FlowLog props.json")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.TypeName, opts.File = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return runValidate(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// ValidationResult is the JSON form of `athanor validate --json`.
type ValidationResult struct {
	FormatVersion int                 `json:"formatVersion"`
	Type          string              `json:"type"`
	Valid         bool                `json:"valid"`
	Problems      []ValidationProblem `json:"problems"`
}

// ValidationProblem is one problem; Property is "" for the whole resource.
type ValidationProblem struct {
	Property string `json:"property"`
	Message  string `json:"message"`
}

func runValidate(opts *ValidateOptions) error {
	reg := opts.Schemas()
	if err := checkTypeName(reg, opts.TypeName); err != nil {
		return err
	}
	name, data, err := readInput(opts.IO.In, opts.File)
	if err != nil {
		return err
	}
	props, err := decodeProps(name, data)
	if err != nil {
		return err
	}
	probs, err := propcheck.Check(opts.TypeName, props, nil)
	if err != nil {
		return fmt.Errorf("checking %s props: %w", opts.TypeName, err)
	}
	res := ValidationResult{FormatVersion: jsonout.FormatVersion, Type: opts.TypeName, Valid: len(probs) == 0, Problems: []ValidationProblem{}}
	for _, p := range probs {
		res.Problems = append(res.Problems, ValidationProblem{Property: p.Property, Message: p.Message})
	}
	out := opts.IO.Out
	if opts.JSON {
		if err := jsonout.Write(out, res); err != nil {
			return err
		}
	} else if res.Valid {
		fmt.Fprintf(out, "ok: %s props are valid\n", opts.TypeName)
	} else {
		for _, p := range res.Problems {
			fmt.Fprintf(out, "%s: %s\n", opts.TypeName, p.Message)
		}
	}
	if !res.Valid {
		return &SilentError{Code: ExitError} // the problems are the report
	}
	return nil
}

// readInput reads path, or in when path is "-", and returns the name to
// use in messages.
func readInput(in io.Reader, path string) (string, []byte, error) {
	if path == "-" {
		data, err := io.ReadAll(in)
		if err != nil {
			return "stdin", nil, fmt.Errorf("reading stdin: %w", err)
		}
		return "stdin", data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return path, nil, fmt.Errorf("reading props: %w", err)
	}
	return path, data, nil
}

// decodeProps parses a JSON object, reporting syntax errors by line and
// column, since byte offsets are useless to someone editing a file.
func decodeProps(name string, data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty input; expected a JSON object of properties", name)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(data, se.Offset)
			return nil, fmt.Errorf("%s:%d:%d: malformed JSON: %w", name, line, col, err)
		}
		return nil, fmt.Errorf("%s: malformed JSON: %w", name, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a JSON object of properties, got %s", name, jsonKind(v))
	}
	return m, nil
}

// lineCol converts a byte offset as encoding/json reports it (the offset
// after the byte that failed) to a 1-based line and column.
func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 0
	for _, b := range data[:offset] {
		if b == '\n' {
			line, col = line+1, 0
			continue
		}
		col++
	}
	if col == 0 {
		col = 1
	}
	return line, col
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

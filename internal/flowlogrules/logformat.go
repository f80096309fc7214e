package flowlogrules

import (
	"fmt"
	"sort"
	"strings"
)

// LogFormatFields parses a LogFormat ("${a} ${b}") into its field names, in
// order. It returns an error if the format is malformed: empty, a leading,
// trailing or double space, text outside ${...}, or an empty field. These are
// the shapes AWS refuses with "has an invalid format" [I] (spec section 4
// item 9).
//
// Unknown field names are not an error here, because the field list grows
// with each record version; use [KnownField] to judge them.
func LogFormatFields(format string) ([]string, error) {
	if format == "" {
		return nil, fmt.Errorf("log format is empty")
	}
	tokens := strings.Split(format, " ")
	fields := make([]string, 0, len(tokens))
	for i, tok := range tokens {
		switch {
		case tok == "" && i == 0:
			return nil, fmt.Errorf("log format starts with a space")
		case tok == "" && i == len(tokens)-1:
			return nil, fmt.Errorf("log format ends with a space")
		case tok == "":
			return nil, fmt.Errorf("log format has two spaces in a row before field %d", i+1)
		}
		name, ok := strings.CutPrefix(tok, "${")
		if ok {
			name, ok = strings.CutSuffix(name, "}")
		}
		if !ok || strings.ContainsAny(name, "${} \t\r\n") {
			return nil, fmt.Errorf("%q is not a single ${field}", tok)
		}
		if name == "" {
			return nil, fmt.Errorf("field %d is empty (${})", i+1)
		}
		fields = append(fields, name)
	}
	return fields, nil
}

// knownFields are the documented flow log record fields by version [D]
// (spec section 4 item 9), plus later fields seen in public configurations.
var knownFields = map[string]bool{}

func init() {
	for _, group := range []string{
		// v2
		"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
		// v3
		"vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr",
		// v4
		"region az-id sublocation-type sublocation-id",
		// v5
		"pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path",
		// v7
		"ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id",
		// later
		"reject-reason resource-id encryption-status",
	} {
		for _, f := range strings.Fields(group) {
			knownFields[f] = true
		}
	}
}

// KnownField reports whether name is a documented flow log record field
// (versions 2 to 7, plus reject-reason, resource-id and encryption-status).
// EC2 refuses a LogFormat naming any other field, so Check reports unknown
// names; the list is open-ended, and a field AWS adds later must be added
// here before users can write it.
func KnownField(name string) bool { return knownFields[name] }

// fieldAliases maps names people write for a field to the documented one,
// where spelling distance alone would not find it.
var fieldAliases = map[string]string{
	"timestamp":   "${start} (or ${end}), the start and end times of the capture window",
	"time":        "${start} (or ${end}), the start and end times of the capture window",
	"src-ip":      "${srcaddr}",
	"dst-ip":      "${dstaddr}",
	"source":      "${srcaddr}",
	"destination": "${dstaddr}",
	"status":      "${log-status}",
	"eni-id":      "${interface-id}",
}

// suggestField returns a replacement for an unknown field, or "".
func suggestField(name string) string {
	lower := strings.ToLower(name)
	if s, ok := fieldAliases[lower]; ok {
		return s
	}
	if KnownField(lower) {
		return "${" + lower + "}"
	}
	normal := strings.ReplaceAll(lower, "_", "-")
	if KnownField(normal) {
		return "${" + normal + "}"
	}
	names := make([]string, 0, len(knownFields))
	for f := range knownFields {
		names = append(names, f)
	}
	sort.Strings(names)
	if s := closest(normal, names, 2); s != "" {
		return "${" + s + "}"
	}
	return ""
}

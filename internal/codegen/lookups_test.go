package codegen

import "testing"

func TestPlural(t *testing.T) {
	for in, want := range map[string]string{
		"VPC": "VPCs", "Policy": "Policies", "Gateway": "Gateways", "Address": "Addresses",
		"NetworkInsightsAnalysis": "NetworkInsightsAnalyses", "DHCPOptions": "DHCPOptions",
		"Status": "Statuses", "Alias": "Aliases", "Box": "Boxes", "Branch": "Branches", "FlowLog": "FlowLogs",
	} {
		if got := plural(in); got != want {
			t.Errorf("plural(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParamName(t *testing.T) {
	for in, want := range map[string]string{"ApiId": "apiId", "Type": "typeValue", "In": "inValue", "domain-name": "domain_name"} {
		if got := paramName(in); got != want {
			t.Errorf("paramName(%q) = %q, want %q", in, got, want)
		}
	}
}

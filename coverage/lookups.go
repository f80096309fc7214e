package coverage

import (
	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
)

// FromLookups turns the VPCs and flow logs that ec2.ListVPCs and
// ec2.ListFlowLogs found in one account and region into a Scope.
func FromLookups(account, region string, vpcs []*ec2.VPCResource, flowLogs []*ec2.FlowLogResource) Scope {
	sc := Scope{Account: account, Region: region}
	for _, v := range vpcs {
		sc.VPCs = append(sc.VPCs, v.VpcId)
	}
	for _, fl := range flowLogs {
		sc.FlowLogs = append(sc.FlowLogs, FlowLog{
			ID: fl.Id, ResourceID: fl.ResourceId, ResourceType: fl.ResourceType, TrafficType: fl.TrafficType,
			LogDestinationType: fl.LogDestinationType, LogDestination: fl.LogDestination, Tags: tagMap(fl.Tags),
		})
	}
	return sc
}

func tagMap(tags []athanor.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// Tagged returns a Policy.Managed that takes flow logs with tag key=value
// for the program's own.
func Tagged(key, value string) func(FlowLog) bool {
	return func(fl FlowLog) bool { v, ok := fl.Tags[key]; return ok && v == value }
}

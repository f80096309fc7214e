package localcc

import (
	_ "embed"
	"fmt"
	"os"
)

// Fixture is a resource that exists before any program runs, such as the
// VPC a flow log watches. Account and Region say where it lives; empty
// means the endpoint's --account and --region (global types such as IAM
// roles ignore the region).
type Fixture struct {
	Type       string         `json:"type"`
	Account    string         `json:"account,omitempty"`
	Region     string         `json:"region,omitempty"`
	Properties map[string]any `json:"properties"`
}

type fixtureFile struct {
	Resources []Fixture `json:"resources"`
}

//go:embed fixtures/seed.json
var seedFixtures []byte

// SeedFixtures returns the fixtures that the seed examples refer to: their
// VPCs, network interface, buckets, log groups and roles.
func SeedFixtures() []Fixture {
	var f fixtureFile
	if err := decodeJSON(seedFixtures, &f); err != nil {
		panic(fmt.Sprintf("localcc: embedded fixtures: %v", err)) // compiled in; a defect, not input
	}
	return f.Resources
}

// LoadFixtures reads a fixtures file: {"resources": [{"type": ...,
// "account": ..., "region": ..., "properties": {...}}]}, account and region
// optional.
func LoadFixtures(path string) ([]Fixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fixtures: %w", err)
	}
	var f fixtureFile
	if err := decodeJSON(data, &f); err != nil {
		return nil, fmt.Errorf("fixtures %s: %w (expected {\"resources\": [{\"type\": \"AWS::EC2::VPC\", \"properties\": {\"VpcId\": \"vpc-12345678\"}}]})", path, err)
	}
	if f.Resources == nil {
		return nil, fmt.Errorf("fixtures %s: no \"resources\" list (expected {\"resources\": [{\"type\": \"AWS::EC2::VPC\", \"properties\": {\"VpcId\": \"vpc-12345678\"}}]})", path)
	}
	for i, fx := range f.Resources {
		if fx.Type == "" {
			return nil, fmt.Errorf("fixtures %s: resource %d has no type", path, i)
		}
		if fx.Account != "" && !accountRE.MatchString(fx.Account) {
			return nil, fmt.Errorf("fixtures %s: resource %d (%s): account %q is not a 12-digit account ID", path, i, fx.Type, fx.Account)
		}
		if fx.Region != "" && !regionRE.MatchString(fx.Region) {
			return nil, fmt.Errorf("fixtures %s: resource %d (%s): region %q is not a region name like us-east-1", path, i, fx.Type, fx.Region)
		}
	}
	return f.Resources, nil
}

// seedFixtures adds each fixture that is not there yet, filling in its
// read-only properties as a create would.
func (s *Server) seedFixtures(fxs []Fixture) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, fx := range fxs {
		sc, err := s.schemas.Lookup(fx.Type)
		if err != nil {
			return fmt.Errorf("fixture %d: %w", i, err)
		}
		m := cloneModel(fx.Properties)
		if m == nil {
			m = map[string]any{}
		}
		// Round-trip through JSON so numbers take the same form as in
		// requests.
		var norm map[string]any
		if err := decodeJSON([]byte(mustJSON(m)), &norm); err != nil {
			return fmt.Errorf("fixture %d (%s): %w", i, fx.Type, err)
		}
		sp := s.orDefault(Scope{Account: fx.Account, Region: fx.Region}).home(fx.Type)
		s.fillReadOnly(sp, sc, norm)
		id, ok := sc.Identifier(norm)
		if !ok {
			return fmt.Errorf("fixture %d (%s): no primary identifier %v", i, fx.Type, sc.PrimaryIdentifier)
		}
		if s.find(sp, fx.Type, id) != nil {
			continue
		}
		s.seq++
		s.put(&resource{Type: fx.Type, Identifier: id, Account: sp.Account, Region: sp.Region, Model: norm, Seq: s.seq, Created: s.clock.Now()})
	}
	return nil
}

package typed

import "testing"

type props struct {
	Name    string   `json:"Name,omitempty"`
	Secret  string   `json:"Secret,omitempty"`
	Port    *int     `json:"Port,omitempty"`
	Options *options `json:"Options,omitempty"`
}

type options struct {
	Size *int `json:"Size,omitempty"`
}

type output struct {
	props
	Id     string   `json:"Id,omitempty"`
	Count  *int     `json:"Count,omitempty"`
	Status *options `json:"Status,omitempty"`
}

func TestDecode(t *testing.T) {
	port := 80
	declared := props{Name: "a", Secret: "s", Port: &port}
	var out output
	// AWS reports its own values over the declared ones; write-only
	// Secret is not reported and keeps its declared value.
	err := Decode(declared, map[string]any{"Name": "a", "Port": float64(8080), "Id": "x-1", "Count": float64(3)}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.Name != "a" || out.Secret != "s" || *out.Port != 8080 || out.Id != "x-1" || *out.Count != 3 {
		t.Fatalf("decoded %+v", out)
	}
	if port != 80 || declared.Port != &port {
		t.Fatal("decoding changed the declared props")
	}
	// While planning, outputs are unknown strings: those of other types
	// stay unset instead of failing the declaration.
	var planned output
	err = Decode(declared, map[string]any{"Id": "⟦known after apply: w.Id⟧", "Count": "⟦known after apply: w.Count⟧", "Status": "⟦known after apply: w.Status⟧"}, &planned)
	if err != nil {
		t.Fatal(err)
	}
	if planned.Id != "⟦known after apply: w.Id⟧" || planned.Count != nil || planned.Status != nil || planned.Name != "a" {
		t.Fatalf("planned %+v", planned)
	}
}

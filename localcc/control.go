package localcc

import (
	"encoding/json"
	"net/http"
)

// serveControl answers the endpoint's own pages: /_athanor/metrics (GET a
// snapshot, DELETE to reset) and /_athanor/health.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/_athanor/health":
		json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
	case "/_athanor/metrics":
		if r.Method == http.MethodDelete {
			s.ResetMetrics()
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(s.Metrics())
	default:
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]string{"message": "unknown page; try /_athanor/metrics or /_athanor/health"})
	}
}

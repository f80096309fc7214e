package localcc

import (
	"container/heap"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/athanor-iac/athanor/schema"
)

// operations maps each Cloud Control operation to its implementation.
var operations = map[string]func(*Server, Scope, []byte) (any, *apiError){
	"CreateResource":           (*Server).createResource,
	"GetResource":              (*Server).getResource,
	"UpdateResource":           (*Server).updateResource,
	"DeleteResource":           (*Server).deleteResource,
	"ListResources":            (*Server).listResources,
	"GetResourceRequestStatus": (*Server).getResourceRequestStatus,
	"ListResourceRequests":     (*Server).listResourceRequests,
	"CancelResourceRequest":    (*Server).cancelResourceRequest,
}

type mutationInput struct {
	TypeName      *string
	TypeVersionId *string
	RoleArn       *string
	ClientToken   *string
	DesiredState  *string
	Identifier    *string
	PatchDocument *string
}

func (in *mutationInput) check(needState, needID, needPatch bool) *apiError {
	var c constraints
	c.common(in.TypeName, in.TypeVersionId, in.RoleArn)
	c.length("clientToken", in.ClientToken, 1, 128)
	c.pattern("clientToken", in.ClientToken, tokenRE)
	if needState && c.required("desiredState", in.DesiredState) {
		c.length("desiredState", in.DesiredState, 1, 65536)
	}
	if needID && c.required("identifier", in.Identifier) {
		c.length("identifier", in.Identifier, 1, 1024)
	}
	if needPatch && c.required("patchDocument", in.PatchDocument) {
		c.length("patchDocument", in.PatchDocument, 1, 65536)
	}
	return c.err()
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// parseMutation decodes and checks a request naming a type (all but the
// request-token operations), and finds the type's schema.
func (s *Server) parseMutation(body []byte, needState, needID, needPatch bool) (*mutationInput, *schema.Schema, *apiError) {
	var in mutationInput
	if err := decodeInput(body, &in); err != nil {
		return nil, nil, err
	}
	if err := in.check(needState, needID, needPatch); err != nil {
		return nil, nil, err
	}
	sc, aerr := s.lookupType(*in.TypeName)
	if aerr != nil {
		return nil, nil, aerr
	}
	return &in, sc, nil
}

// lookupType finds a type's schema or answers TypeNotFoundException.
func (s *Server) lookupType(name string) (*schema.Schema, *apiError) {
	sc, err := s.schemas.Lookup(name)
	if errors.Is(err, schema.ErrTypeNotFound) {
		return nil, ccError("TypeNotFoundException", "The type '%s' cannot be found.", name)
	}
	if err != nil {
		return nil, ccError("GeneralServiceException", "schema of %s: %v", name, err)
	}
	return sc, nil
}

func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// idempotent answers a mutation whose ClientToken was seen within its 36
// hours: the same request gets the original request's current event and
// starts nothing; a different request is a conflict. Called with s.mu held.
func (s *Server) idempotent(sp Scope, clientToken, fp string) (any, *apiError, bool) {
	if clientToken == "" {
		return nil, nil, false
	}
	clientToken = clientKey(sp, clientToken)
	tok, ok := s.tokens[clientToken]
	if !ok {
		return nil, nil, false
	}
	r := s.requests[tok]
	if r == nil || s.clock.Now().Sub(r.EventTime) > clientTokenLife {
		delete(s.tokens, clientToken)
		return nil, nil, false
	}
	if r.Fingerprint != fp {
		return nil, ccError("ClientTokenConflictException", "The client token [%s] was already used by request %s with different parameters. Use a new client token for a new request.", clientToken, r.Token), true
	}
	return s.progress(r), nil, true
}

// progress is the answer carrying r's event. With Options.RetryAfter set,
// an unfinished request's event says when to ask again, as Cloud Control
// may.
func (s *Server) progress(r *request) map[string]any {
	ev := r.event()
	if s.opts.RetryAfter > 0 && !terminal(r.Status) {
		ev.RetryAfter = epoch(s.clock.Now().Add(s.opts.RetryAfter))
	}
	return map[string]any{"ProgressEvent": ev}
}

// inflightKey names a resource across scopes.
func inflightKey(sp Scope, typeName, id string) string {
	sp = sp.home(typeName)
	return sp.Account + "|" + sp.Region + "|" + typeName + "|" + id
}

// clientKey scopes a client token to its account and region: a token is
// remembered per caller, as Cloud Control's idempotency is.
func clientKey(sp Scope, token string) string { return sp.Account + "|" + sp.Region + "|" + token }

// busy answers ConcurrentOperationException when the resource has a request
// in flight. The message carries that request's token, which some clients
// parse. Called with s.mu held.
func (s *Server) busy(sp Scope, typeName, id string) *apiError {
	if tok, ok := s.inflight[inflightKey(sp, typeName, id)]; ok {
		return ccError("ConcurrentOperationException", "Another resource operation is currently being performed on this resource (TypeName: %s, Identifier: %s, RequestToken: %s)", typeName, id, tok)
	}
	return nil
}

// submit records a new mutation request and schedules its completion.
// Called with s.mu held.
func (s *Server) submit(sp Scope, op, typeName, id, clientToken, fp string, desired map[string]any) *request {
	now := s.clock.Now()
	s.seq++
	r := &request{
		Token:       newUUID(s.rng),
		ClientToken: clientToken,
		Fingerprint: fp,
		Operation:   op,
		TypeName:    typeName,
		Identifier:  id,
		Account:     sp.Account,
		Region:      sp.Region,
		Status:      statusInProgress,
		EventTime:   now,
		CompleteAt:  now.Add(s.latency(typeName)),
		Desired:     desired,
		Seq:         s.seq,
	}
	s.changed(r)
	s.requests[r.Token] = r
	if clientToken != "" {
		s.tokens[clientKey(sp, clientToken)] = r.Token
	}
	if id != "" {
		s.inflight[inflightKey(sp, typeName, id)] = r.Token
	}
	heap.Push(&s.due, r)
	s.markDirty()
	return r
}

func (s *Server) createResource(sp Scope, body []byte) (any, *apiError) {
	in, sc, aerr := s.parseMutation(body, true, false, false)
	if aerr != nil {
		return nil, aerr
	}
	var desired map[string]any
	if err := decodeJSON([]byte(*in.DesiredState), &desired); err != nil || desired == nil {
		return nil, validationError("Model validation failed (#: DesiredState is not a JSON object: %v)", errOrType(err, *in.DesiredState))
	}
	vs, err := sc.Validate(desired, schema.ValidateOptions{Mode: schema.ForCreate})
	if err != nil {
		return nil, ccError("GeneralServiceException", "schema of %s: %v", sc.TypeName, err)
	}
	if len(vs) > 0 {
		return nil, validationError("%s", schema.ModelValidationMessage(vs))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	clientToken := deref(in.ClientToken)
	fp := fingerprint(opCreate, sc.TypeName, mustJSON(desired))
	if resp, aerr, ok := s.idempotent(sp, clientToken, fp); ok {
		return resp, aerr
	}
	// A primary identifier the caller chose is known at once, as Cloud
	// Control reports it in the first event for such types.
	id, _ := sc.Identifier(desired)
	if id != "" {
		if aerr := s.busy(sp, sc.TypeName, id); aerr != nil {
			return nil, aerr
		}
	}
	r := s.submit(sp, opCreate, sc.TypeName, id, clientToken, fp, desired)
	return s.progress(r), nil
}

func errOrType(err error, raw string) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "found " + te.Value
	}
	if err != nil {
		return err.Error()
	}
	return "found " + strings.SplitN(strings.TrimSpace(raw)+" ", " ", 2)[0]
}

func (s *Server) getResource(sp Scope, body []byte) (any, *apiError) {
	in, sc, aerr := s.parseMutation(body, false, true, false)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	res := s.find(sp, sc.TypeName, *in.Identifier)
	if res == nil {
		return nil, notFound(sc.TypeName, *in.Identifier).asAPIError(sc.TypeName, newUUID(s.rng))
	}
	return map[string]any{
		"TypeName":            sc.TypeName,
		"ResourceDescription": map[string]any{"Identifier": res.Identifier, "Properties": mustJSON(s.readModel(sc, res))},
	}, nil
}

func notFound(typeName, id string) *handlerFailure {
	return fail("NotFound", "Resource of type '%s' with identifier '%s' was not found.", typeName, id)
}

// readModel is what a read returns: the handler's echo without write-only
// properties. Called with s.mu held.
func (s *Server) readModel(sc *schema.Schema, res *resource) map[string]any {
	m := s.handlerFor(sc.TypeName).read(s, sc, res)
	for _, name := range sc.WriteOnlyNames() {
		delete(m, name)
	}
	return m
}

func (s *Server) updateResource(sp Scope, body []byte) (any, *apiError) {
	in, sc, aerr := s.parseMutation(body, false, true, true)
	if aerr != nil {
		return nil, aerr
	}
	ops, aerr := parsePatch(*in.PatchDocument)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkPatchPaths(sc, ops); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	id := *in.Identifier
	clientToken := deref(in.ClientToken)
	fp := fingerprint(opUpdate, sc.TypeName, id, *in.PatchDocument)
	if resp, aerr, ok := s.idempotent(sp, clientToken, fp); ok {
		return resp, aerr
	}
	if aerr := s.busy(sp, sc.TypeName, id); aerr != nil {
		return nil, aerr
	}
	res := s.find(sp, sc.TypeName, id)
	if res == nil {
		return nil, notFound(sc.TypeName, id).asAPIError(sc.TypeName, newUUID(s.rng))
	}
	current := s.readModel(sc, res)
	patched, aerr := applyPatch(current, ops)
	if aerr != nil {
		return nil, aerr
	}
	vs, err := sc.Validate(patched, schema.ValidateOptions{Mode: schema.ForModel})
	if err != nil {
		return nil, ccError("GeneralServiceException", "schema of %s: %v", sc.TypeName, err)
	}
	if len(vs) > 0 {
		return nil, validationError("%s", schema.ModelValidationMessage(vs))
	}
	r := s.submit(sp, opUpdate, sc.TypeName, id, clientToken, fp, patched)
	return s.progress(r), nil
}

func (s *Server) deleteResource(sp Scope, body []byte) (any, *apiError) {
	in, sc, aerr := s.parseMutation(body, false, true, false)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	id := *in.Identifier
	clientToken := deref(in.ClientToken)
	fp := fingerprint(opDelete, sc.TypeName, id)
	if resp, aerr, ok := s.idempotent(sp, clientToken, fp); ok {
		return resp, aerr
	}
	if aerr := s.busy(sp, sc.TypeName, id); aerr != nil {
		return nil, aerr
	}
	r := s.submit(sp, opDelete, sc.TypeName, id, clientToken, fp, nil)
	return s.progress(r), nil
}

type listInput struct {
	TypeName      *string
	TypeVersionId *string
	RoleArn       *string
	NextToken     *string
	MaxResults    *int
	ResourceModel *string
}

func (s *Server) listResources(sp Scope, body []byte) (any, *apiError) {
	var in listInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	var c constraints
	c.common(in.TypeName, in.TypeVersionId, in.RoleArn)
	c.length("nextToken", in.NextToken, 1, 2048)
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 100) {
		c = append(c, fmt.Sprintf("Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", *in.MaxResults))
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	sc, aerr := s.lookupType(*in.TypeName)
	if aerr != nil {
		return nil, aerr
	}
	scoped, aerr := listScope(sc, in.ResourceModel)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	byID := s.store(sp, sc.TypeName, false)
	ids := make([]string, 0, len(byID))
	for id, res := range byID {
		if matchesModel(res.Model, scoped) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	start := 0
	if in.NextToken != nil {
		after, err := decodeToken(*in.NextToken, "r:"+sc.TypeName)
		if err != nil {
			return nil, ccError("InvalidRequestException", "Invalid NextToken: pass back the NextToken of the previous ListResources call for %s unchanged.", sc.TypeName)
		}
		start = sort.SearchStrings(ids, after)
		if start < len(ids) && ids[start] == after {
			start++
		}
	}
	size := s.opts.ListPageSize
	if size <= 0 {
		size = 100
		if sc.TypeName == flowLogType {
			size = 500
		}
	}
	end := min(start+size, len(ids))
	descs := make([]map[string]any, 0, end-start)
	for _, id := range ids[start:end] {
		res := byID[id]
		descs = append(descs, map[string]any{"Identifier": id, "Properties": mustJSON(listed(sc.TypeName, s.readModel(sc, res)))})
	}
	out := map[string]any{"TypeName": sc.TypeName, "ResourceDescriptions": descs}
	if end < len(ids) {
		out["NextToken"] = encodeToken("r:"+sc.TypeName, ids[end-1])
	}
	return out, nil
}

// listedProperties names the only properties a type's list handler
// returns, where that is less than its read handler returns. The
// AWS::Organizations::Account list handler translates ListAccounts into
// AccountId, AccountName and Email alone; Status, State and the rest come
// only from GetResource (research/scopes-and-org.md section D, from the
// provider's ListHandler and Translator).
var listedProperties = map[string][]string{
	"AWS::Organizations::Account": {"AccountId", "AccountName", "Email"},
}

// listed trims a read model to what the type's list handler returns.
func listed(typeName string, m map[string]any) map[string]any {
	keep, ok := listedProperties[typeName]
	if !ok {
		return m
	}
	out := make(map[string]any, len(keep))
	for _, k := range keep {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// listScope reads a ListResources ResourceModel: the properties of the
// type's list handler schema, which the handler lists within (the ApiId
// whose integrations are listed). Required ones must be there, as Cloud
// Control refuses a list without them; other properties are ignored.
func listScope(sc *schema.Schema, raw *string) (map[string]any, *apiError) {
	hs := sc.Handlers["list"].HandlerSchema
	if hs == nil {
		return nil, nil
	}
	var model map[string]any
	if raw != nil {
		if err := decodeJSON([]byte(*raw), &model); err != nil {
			return nil, ccError("InvalidRequestException", "ResourceModel is not a JSON object: %v", err)
		}
	}
	var missing []string
	for _, name := range hs.Required {
		if _, ok := model[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, ccError("InvalidRequestException", "Missing Or Invalid ResourceModel property in %s list handler request input. Required property:  [%s]", sc.TypeName, strings.Join(missing, ", "))
	}
	scoped := map[string]any{}
	for name := range hs.Properties {
		if v, ok := model[name]; ok {
			scoped[name] = v
		}
	}
	return scoped, nil
}

// matchesModel reports whether a resource has every property of scoped.
func matchesModel(m, scoped map[string]any) bool {
	for k, v := range scoped {
		if mustJSON(m[k]) != mustJSON(v) {
			return false
		}
	}
	return true
}

// Page tokens are opaque to clients: base64 of a scope and a position, so
// that a token from one listing is refused by another.
func encodeToken(scope, pos string) string {
	return base64.StdEncoding.EncodeToString([]byte(scope + "\x00" + pos))
}

func decodeToken(tok, scope string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return "", err
	}
	sc, pos, ok := strings.Cut(string(raw), "\x00")
	if !ok || sc != scope {
		return "", errors.New("token from another listing")
	}
	return pos, nil
}

type tokenInput struct {
	RequestToken *string
}

func (s *Server) requestByToken(sp Scope, body []byte) (*request, *apiError) {
	var in tokenInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	var c constraints
	if c.required("requestToken", in.RequestToken) {
		c.length("requestToken", in.RequestToken, 1, 128)
		c.pattern("requestToken", in.RequestToken, tokenRE)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	s.settle()
	// A token is known only to the account and region that made it.
	r, ok := s.requests[*in.RequestToken]
	if ok && r.scope() != sp {
		ok = false
	}
	if !ok {
		return nil, ccError("RequestTokenNotFoundException", "Request with token %s was not found. Requests are kept for 7 days.", *in.RequestToken)
	}
	return r, nil
}

func (s *Server) getResourceRequestStatus(sp Scope, body []byte) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, aerr := s.requestByToken(sp, body)
	if aerr != nil {
		return nil, aerr
	}
	if terminal(r.Status) && r.SeenAt.IsZero() {
		r.SeenAt = s.clock.Now()
		s.changed(r)
		s.metrics.seen(r.SeenAt.Sub(r.FinishedAt))
		s.markDirty()
	}
	return s.progress(r), nil
}

// cancelLatency is how long a cancellation takes to complete.
const cancelLatencyFraction = 4

func (s *Server) cancelResourceRequest(sp Scope, body []byte) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, aerr := s.requestByToken(sp, body)
	if aerr != nil {
		return nil, aerr
	}
	// Only PENDING and IN_PROGRESS requests can be cancelled. Cancelling
	// one that is cancelling or finished changes nothing and answers its
	// current event, so that the call stays idempotent.
	if r.Status == statusPending || r.Status == statusInProgress {
		r.Status = statusCancelInProgress
		if s.opts.LateCancel {
			// The handler is past the point of no return: it finishes its
			// work, and the request still ends CANCEL_COMPLETE.
			r.LateCancel = true
		} else {
			now := s.clock.Now()
			r.CompleteAt = now.Add(r.CompleteAt.Sub(now) / cancelLatencyFraction)
			heap.Init(&s.due)
		}
		s.changed(r)
		s.markDirty()
	}
	return s.progress(r), nil
}

type listRequestsInput struct {
	MaxResults                  *int
	NextToken                   *string
	ResourceRequestStatusFilter *struct {
		Operations        []string
		OperationStatuses []string
	}
}

func (s *Server) listResourceRequests(sp Scope, body []byte) (any, *apiError) {
	var in listRequestsInput
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	var c constraints
	c.length("nextToken", in.NextToken, 1, 2048)
	c.pattern("nextToken", in.NextToken, tokenRE)
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 100) {
		c = append(c, fmt.Sprintf("Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", *in.MaxResults))
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	size := 20
	if in.MaxResults != nil {
		size = *in.MaxResults
	}
	var ops, statuses map[string]bool
	if f := in.ResourceRequestStatusFilter; f != nil {
		ops, statuses = set(f.Operations), set(f.OperationStatuses)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	var match []*request
	for _, r := range s.requests {
		if r.scope() != sp {
			continue
		}
		if (len(ops) == 0 || ops[r.Operation]) && (len(statuses) == 0 || statuses[r.Status]) {
			match = append(match, r)
		}
	}
	// Newest first, as the console shows them; Seq breaks ties.
	sort.Slice(match, func(i, j int) bool { return match[i].Seq > match[j].Seq })
	start := 0
	if in.NextToken != nil {
		pos, err := decodeToken(*in.NextToken, "q")
		seq, perr := strconv.ParseUint(pos, 10, 64)
		if err != nil || perr != nil {
			return nil, validationError("Invalid NextToken: pass back the NextToken of the previous ListResourceRequests call unchanged.")
		}
		start = sort.Search(len(match), func(i int) bool { return match[i].Seq < seq })
	}
	end := min(start+size, len(match))
	events := make([]progressEvent, 0, end-start)
	for _, r := range match[start:end] {
		events = append(events, r.event())
	}
	out := map[string]any{"ResourceRequestStatusSummaries": events}
	if end < len(match) {
		out["NextToken"] = encodeToken("q", strconv.FormatUint(match[end-1].Seq, 10))
	}
	return out, nil
}

func set(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// complete finishes a request whose time has come: a cancellation becomes
// CANCEL_COMPLETE, a mutation runs its handler. Called with s.mu held.
func (s *Server) complete(r *request) {
	now := r.CompleteAt
	// This deferred call runs last, after every write below.
	defer func() {
		r.FinishedAt = now
		s.changed(r)
		if key := inflightKey(r.scope(), r.TypeName, r.Identifier); r.Identifier != "" && s.inflight[key] == r.Token {
			delete(s.inflight, key)
		}
		s.metrics.finished.Add(1)
		s.markDirty()
	}()
	if r.Status == statusCancelInProgress && !r.LateCancel {
		r.Status = statusCancelComplete
		return
	}
	if r.LateCancel {
		// Whatever the handler does below, the request ends cancelled.
		defer func() { r.Status, r.ErrorCode, r.StatusMessage = statusCancelComplete, "", "" }()
	}
	if s.drawHandlerFault() {
		r.Status, r.ErrorCode = statusFailed, s.opts.Faults.HandlerCode
		r.StatusMessage = "Injected handler failure (fault injection of the local endpoint); nothing was changed"
		return
	}
	sc, err := s.schemas.Lookup(r.TypeName)
	if err != nil {
		r.Status, r.ErrorCode, r.StatusMessage = statusFailed, "InternalFailure", err.Error()
		return
	}
	h := s.handlerFor(r.TypeName)
	var f *handlerFailure
	switch r.Operation {
	case opCreate:
		var res *resource
		res, f = s.createWith(h, sc, r)
		if f == nil {
			r.Identifier = res.Identifier
			r.ResourceModel = mustJSON(s.readModel(sc, res))
		}
	case opUpdate:
		res := s.find(r.scope(), r.TypeName, r.Identifier)
		if res == nil {
			f = notFound(r.TypeName, r.Identifier)
			break
		}
		if f = h.update(s, sc, res, r.Desired); f == nil {
			r.ResourceModel = mustJSON(s.readModel(sc, res))
		}
	case opDelete:
		res := s.find(r.scope(), r.TypeName, r.Identifier)
		f = h.delete(s, r.scope(), sc, res, r.Identifier)
		if f == nil {
			delete(s.store(r.scope(), r.TypeName, false), r.Identifier)
			s.dropFlowLogsOf(r.scope(), r.TypeName, r.Identifier)
		}
	}
	if f != nil {
		r.Status, r.ErrorCode, r.StatusMessage = statusFailed, f.Code, f.Message
		return
	}
	r.Status = statusSuccess
}

// createWith runs a create handler and stores the new resource.
func (s *Server) createWith(h typeHandler, sc *schema.Schema, r *request) (*resource, *handlerFailure) {
	sp := r.scope().home(sc.TypeName)
	model, f := h.create(s, sp, sc, cloneModel(r.Desired), r.Token)
	if f != nil {
		return nil, f
	}
	id, ok := sc.Identifier(model)
	if !ok {
		return nil, fail("InternalFailure", "the handler returned no primary identifier %v", sc.PrimaryIdentifier)
	}
	if s.find(sp, sc.TypeName, id) != nil {
		return nil, fail("AlreadyExists", "Resource of type '%s' with identifier '%s' already exists.", sc.TypeName, id)
	}
	s.seq++
	res := &resource{Type: sc.TypeName, Identifier: id, Account: sp.Account, Region: sp.Region, Model: model, Seq: s.seq, Created: r.CompleteAt}
	s.put(res)
	return res, nil
}

// expire forgets requests older than Cloud Control's 7-day history.
func (s *Server) expire(now time.Time) {
	if now.Sub(s.oldest) < requestHistory {
		return
	}
	oldest := now
	for tok, r := range s.requests {
		if now.Sub(r.EventTime) > requestHistory && terminal(r.Status) {
			delete(s.requests, tok)
			if key := clientKey(r.scope(), r.ClientToken); s.tokens[key] == tok {
				delete(s.tokens, key)
			}
			continue
		}
		if r.EventTime.Before(oldest) {
			oldest = r.EventTime
		}
	}
	s.oldest = oldest
}

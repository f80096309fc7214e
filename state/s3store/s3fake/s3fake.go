// Package s3fake is a minimal in-memory S3 server on loopback, for tests of
// the S3 state backend. It implements only what that backend uses, as S3
// documents it: path-style GetObject, HeadObject, PutObject, DeleteObject and
// ListObjectsV2 (prefix, delimiter, pagination), with conditional writes:
// PutObject's If-None-Match: * (412 PreconditionFailed when the key exists)
// and If-Match: <ETag> (412 when the ETag differs, 404 NoSuchKey when there
// is no object), checked and applied atomically. ETags are the quoted MD5 of
// the body, as S3's are for single-part uploads without KMS; the backend does
// not rely on that. Signatures are not checked.
//
// It exists instead of a dependency on an in-process S3 library because in
// the source of the one maintained candidate read for this (gofakes3), the
// storage backends' PutObject takes no precondition, so a condition can only
// be checked apart from the write, and the contention tests need the check
// and the write to be one atomic step, as on S3.
package s3fake

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type object struct {
	body     []byte
	etag     string
	modified time.Time
}

// Server is a running fake. Its zero value is not usable; call Start.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:PORT.
	URL string

	mu      sync.Mutex
	buckets map[string]map[string]*object
	srv     *http.Server
	ln      net.Listener

	// Requests counts requests by method, for tests that check how many
	// requests an operation costs.
	Requests struct{ Get, Put, Delete, List, Head atomic.Int64 }
}

// Start serves a fake with the given buckets on a free loopback port.
func Start(buckets ...string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), buckets: map[string]map[string]*object{}, ln: ln}
	for _, b := range buckets {
		s.buckets[b] = map[string]*object{}
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Object returns the body of an object, for tests to inspect or corrupt.
func (s *Server) Object(bucket, key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.buckets[bucket][key]
	if o == nil {
		return nil, false
	}
	return append([]byte(nil), o.body...), true
}

// Keys returns the keys of a bucket's objects, sorted.
func (s *Server) Keys(bucket string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.buckets[bucket] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// DeleteObject removes an object, bypassing HTTP: what breaking a lock
// from another machine does.
func (s *Server) DeleteObject(bucket, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.buckets[bucket], key)
}

// SetObject writes an object unconditionally, bypassing HTTP.
func (s *Server) SetObject(bucket, key string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets[bucket][key] = newObject(body)
}

func newObject(body []byte) *object {
	sum := md5.Sum(body)
	return &object{body: body, etag: `"` + hex.EncodeToString(sum[:]) + `"`, modified: time.Now().UTC()}
}

type s3Error struct {
	XMLName  xml.Name `xml:"Error"`
	Code     string   `xml:"Code"`
	Message  string   `xml:"Message"`
	Resource string   `xml:"Resource,omitempty"`
}

func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(s3Error{Code: code, Message: msg, Resource: r.URL.Path})
}

// etagMatches compares an If-Match value with an ETag, with or without the
// quotes, as S3 accepts both.
func etagMatches(cond, etag string) bool {
	for _, c := range strings.Split(cond, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || strings.Trim(c, `"`) == strings.Trim(etag, `"`) {
			return true
		}
	}
	return false
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	s.mu.Lock()
	objs, ok := s.buckets[bucket]
	s.mu.Unlock()
	if !ok {
		writeError(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	if key == "" {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
			s.Requests.List.Add(1)
			s.list(w, r, bucket, objs)
			return
		}
		writeError(w, r, http.StatusNotImplemented, "NotImplemented", "only ListObjectsV2 is implemented on buckets")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if r.Method == http.MethodGet {
			s.Requests.Get.Add(1)
		} else {
			s.Requests.Head.Add(1)
		}
		s.mu.Lock()
		o := objs[key]
		s.mu.Unlock()
		if o == nil {
			writeError(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		if c := r.Header.Get("If-Match"); c != "" && !etagMatches(c, o.etag) {
			writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
			return
		}
		if c := r.Header.Get("If-None-Match"); c != "" && etagMatches(c, o.etag) {
			w.Header().Set("ETag", o.etag)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", o.etag)
		w.Header().Set("Last-Modified", o.modified.Format(http.TimeFormat))
		w.Header().Set("Content-Length", strconv.Itoa(len(o.body)))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(o.body)
		}
	case http.MethodPut:
		s.Requests.Put.Add(1)
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			writeError(w, r, http.StatusNotImplemented, "NotImplemented", "CopyObject is not implemented")
			return
		}
		body, err := readBody(r)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "IncompleteBody", err.Error())
			return
		}
		s.mu.Lock()
		cur := objs[key]
		if c := r.Header.Get("If-None-Match"); c != "" {
			if c != "*" {
				s.mu.Unlock()
				writeError(w, r, http.StatusNotImplemented, "NotImplemented", "If-None-Match on PutObject accepts only *")
				return
			}
			if cur != nil {
				s.mu.Unlock()
				writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
				return
			}
		}
		if c := r.Header.Get("If-Match"); c != "" {
			if cur == nil {
				s.mu.Unlock()
				writeError(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
				return
			}
			if !etagMatches(c, cur.etag) {
				s.mu.Unlock()
				writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
				return
			}
		}
		o := newObject(body)
		objs[key] = o
		s.mu.Unlock()
		w.Header().Set("ETag", o.etag)
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		s.Requests.Delete.Add(1)
		s.mu.Lock()
		cur := objs[key]
		if c := r.Header.Get("If-Match"); c != "" && cur != nil && !etagMatches(c, cur.etag) {
			s.mu.Unlock()
			writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
			return
		}
		delete(objs, key)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, r, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
}

// readBody reads a PutObject body, decoding aws-chunked encoding (which the
// SDK uses to send trailing checksums) into the object's bytes.
func readBody(r *http.Request) ([]byte, error) {
	chunked := strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
	if !chunked {
		return io.ReadAll(r.Body)
	}
	br := bufio.NewReader(r.Body)
	var out bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("aws-chunked: %w", err)
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("aws-chunked: bad chunk size %q", sizeHex)
		}
		if n == 0 {
			io.Copy(io.Discard, br) // trailers
			break
		}
		if _, err := io.CopyN(&out, br, n); err != nil {
			return nil, fmt.Errorf("aws-chunked: %w", err)
		}
		if _, err := br.ReadString('\n'); err != nil {
			return nil, fmt.Errorf("aws-chunked: %w", err)
		}
	}
	if d := r.Header.Get("X-Amz-Decoded-Content-Length"); d != "" && d != strconv.Itoa(out.Len()) {
		return nil, fmt.Errorf("aws-chunked: decoded %d bytes, header says %s", out.Len(), d)
	}
	return out.Bytes(), nil
}

type listResult struct {
	XMLName               xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	KeyCount              int            `xml:"KeyCount"`
	IsTruncated           bool           `xml:"IsTruncated"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	Contents              []listContent  `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

type listContent struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// list answers ListObjectsV2 in key order, max-keys (at most 1000) entries a
// page, common prefixes counting as entries, as S3 does.
func (s *Server) list(w http.ResponseWriter, r *http.Request, bucket string, objs map[string]*object) {
	q := r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	token := q.Get("start-after")
	if t := q.Get("continuation-token"); t != "" {
		b, err := hex.DecodeString(t)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
			return
		}
		token = string(b)
	}
	max := 1000
	if m := q.Get("max-keys"); m != "" {
		if n, err := strconv.Atoi(m); err == nil && n >= 0 && n < max {
			max = n
		}
	}
	s.mu.Lock()
	keys := make([]string, 0, len(objs))
	snap := make(map[string]object, len(objs))
	for k, o := range objs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
			snap[k] = *o
		}
	}
	s.mu.Unlock()
	sort.Strings(keys)
	res := listResult{Name: bucket, Prefix: prefix, Delimiter: delim, MaxKeys: max, ContinuationToken: q.Get("continuation-token")}
	seen := map[string]bool{}
	last := ""
	for _, k := range keys {
		if token != "" && k <= token {
			continue
		}
		entry := k
		isPrefix := false
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry = k[:len(prefix)+i+len(delim)]
				isPrefix = true
			}
		}
		if isPrefix && seen[entry] {
			continue
		}
		if token != "" && isPrefix && entry <= token {
			continue
		}
		if res.KeyCount == max {
			res.IsTruncated = true
			res.NextContinuationToken = hex.EncodeToString([]byte(last))
			break
		}
		if isPrefix {
			seen[entry] = true
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: entry})
			// Skip every key under this prefix on later pages too.
			last = entry + "\xff"
		} else {
			o := snap[k]
			res.Contents = append(res.Contents, listContent{Key: k, LastModified: o.modified.Format(time.RFC3339), ETag: o.etag, Size: len(o.body), StorageClass: "STANDARD"})
			last = k
		}
		res.KeyCount++
	}
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(res)
}

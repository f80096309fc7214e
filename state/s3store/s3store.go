// Package s3store is the Amazon S3 state backend, for teams that keep state
// beside their AWS resources. Import it for its side effect:
//
//	import _ "github.com/athanor-iac/athanor/state/s3store"
//
// and open state with s3://bucket/prefix. The client is aws-sdk-go-v2's with
// the default configuration: the credential chain (environment, ~/.aws, SSO,
// instance roles), AWS_PROFILE, AWS_REGION, and endpoint overrides such as
// AWS_ENDPOINT_URL_S3. Query parameters override what the environment says:
//
//	region=eu-west-1        the bucket's region
//	endpoint=http://host    an S3-compatible endpoint (implies path_style=true)
//	path_style=true|false   bucket in the path instead of the host name
//	lock_ttl=5m             how long a lock lives without being renewed
//
// Layout, one object per record so that a Put costs O(record):
//
//	<prefix>/<app>/<stage>/resources/<logicalID>.json   the envelope of state.EncodeRecord
//	<prefix>/<app>/<stage>/stage.json                   {"version":1,"lineage":...,"serial":N}
//	<prefix>/<app>/<stage>/lock.json                    the lock: holder, expiry
//
// S3 keys are case-sensitive, so logical IDs are used as they are.
//
// Concurrency uses only S3's documented conditional writes on PutObject
// (If-None-Match: * and If-Match: <ETag>), nothing an emulator does and S3
// does not. The lock object is created with If-None-Match: *, renewed by the
// holder every third of its TTL with If-Match on its own ETag, and released
// by overwriting it, again with If-Match, with a record that holds no holder;
// it is never deleted, so no conditional delete is needed. Another run takes
// the lock over, with If-Match on the ETag it read, only when it is released
// or expired (the holder died: it is then reported stale), or when forced by
// `athanor state unlock`. A holder stops writing (every write returns a
// *state.LockLostError) once a renewal finds its lock taken over or its lock
// object deleted, or when its last renewal is about to expire, as when
// renewals keep failing. S3 answers If-Match on a deleted object with 404
// NoSuchKey, not 412, and may answer a conditional write racing another with
// 409 ConditionalRequestConflict; both count as a failed condition. The
// store's tests run against MinIO (see package s3test and docs/state.md). Record writes are optimistic too: after a Load, a
// Put is conditional on the ETag that Load saw (or on the record's absence),
// so a writer that was not the lock holder cannot silently overwrite another's
// update. Expiry compares the holder's clock with the reader's: keep clocks
// within a fraction of the TTL.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/athanor-iac/athanor/state"
)

func init() { state.Register("s3", "s3://BUCKET/PREFIX", Open) }

// DefaultLockTTL is how long a lock outlives its holder's last renewal. The
// holder renews every third of it, so a live holder keeps its lock through
// two missed renewals; a dead one blocks others for at most this long, or
// until `athanor state unlock`.
const DefaultLockTTL = 2 * time.Minute

const (
	resourcesDir = "resources/"
	recordExt    = ".json"
	lockKey      = "lock.json"
	stageKey     = "stage.json"
	loadWorkers  = 16
)

// Store is the S3 store of one app's stage. It implements state.Store,
// state.LockReader, state.ForceUnlocker and state.StageLister.
type Store struct {
	client   *s3.Client
	bucket   string
	appPfx   string // <prefix>/<app>/
	pfx      string // <prefix>/<app>/<stage>/, empty for a store opened by Stages
	app      string
	stage    string
	lockTTL  time.Duration
	location string // s3://bucket/prefix/app/stage, for messages
	url      string // the state URL, for the commands messages suggest
	region   string
	endpoint string           // set when the URL names one, for messages
	now      func() time.Time // the clock lock expiry is judged by

	mu     sync.Mutex
	etags  map[string]string // logical ID -> ETag last written or read
	loaded bool              // a Load happened: IDs not in etags are absent
	held   *lock             // the lock taken through this handle, if any
}

var (
	_ state.Store         = (*Store)(nil)
	_ state.LockReader    = (*Store)(nil)
	_ state.ForceUnlocker = (*Store)(nil)
	_ state.StageLister   = (*Store)(nil)
	_ state.AllLoader     = (*Store)(nil)
	_ state.MetaStore     = (*Store)(nil)
)

// Open opens the store of app's stage at s3://bucket/prefix. It is the
// state.OpenFunc registered for the s3 scheme. It finds the credentials but
// sends no request to S3: a missing bucket or refused access shows at the
// first read, which always comes before any resource is touched (Lock or
// Load), as a one-line *state.StoreError.
func Open(ctx context.Context, u *url.URL, app, stage string) (state.Store, error) {
	if u.Host == "" {
		return nil, errors.New("s3 state URL needs a bucket: s3://bucket/prefix")
	}
	if u.User != nil || u.Fragment != "" {
		return nil, errors.New("s3 state URL takes a bucket, a prefix and parameters only")
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "region", "endpoint", "path_style", "lock_ttl":
		default:
			return nil, fmt.Errorf("s3 state URL: unknown parameter %q (known: region, endpoint, path_style, lock_ttl)", k)
		}
	}
	var opts []func(*config.LoadOptions) error
	if r := q.Get("region"); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("s3 state URL: no AWS region for the bucket: add ?region= to the URL, or set AWS_REGION or a profile's region")
	}
	// The credential chain's errors have no type to tell them by, so find
	// the credentials here, where a failure can only mean there are none.
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, &state.StoreError{Where: "s3://" + u.Host + u.Path, Err: err,
			Cause: "no AWS credentials for the state bucket",
			Check: "set AWS_PROFILE (and run `aws sso login` for an SSO profile) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}
	}
	endpoint := q.Get("endpoint")
	pathStyle := endpoint != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	if ps := q.Get("path_style"); ps != "" {
		pathStyle, err = strconv.ParseBool(ps)
		if err != nil {
			return nil, fmt.Errorf("s3 state URL: path_style=%q: want true or false", ps)
		}
	}
	ttl := DefaultLockTTL
	if t := q.Get("lock_ttl"); t != "" {
		ttl, err = time.ParseDuration(t)
		if err != nil || ttl < 100*time.Millisecond {
			return nil, fmt.Errorf("s3 state URL: lock_ttl=%q: want a duration of at least 100ms, like 2m", t)
		}
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle
	})
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	s := &Store{
		client: client, bucket: u.Host, app: app, stage: stage, lockTTL: ttl, url: u.String(),
		appPfx: prefix + app + "/",
		etags:  map[string]string{},
		region: cfg.Region, endpoint: endpoint, now: time.Now,
	}
	if stage != "" {
		s.pfx = s.appPfx + stage + "/"
	}
	s.location = "s3://" + s.bucket + "/" + s.pfx
	return s, nil
}

func (s *Store) checkStage() error {
	if s.stage == "" {
		return errors.New("s3 store opened without a stage")
	}
	return nil
}

func (s *Store) recordKey(id string) string { return s.pfx + resourcesDir + id + recordExt }

func (s *Store) checkLock() error {
	s.mu.Lock()
	l := s.held
	s.mu.Unlock()
	if l != nil {
		return l.check()
	}
	return nil
}

// Close does nothing: the client keeps no connection that outlives the
// process's use of it.
func (s *Store) Close() error { return nil }

// Put writes r's object. After a Load, the write is conditional on the ETag
// Load saw, or on the object's absence; a failed condition is retried as
// success only if the object already holds exactly these bytes (a retried
// request whose first attempt had landed).
func (s *Store) Put(ctx context.Context, r state.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkStage(); err != nil {
		return err
	}
	data, err := state.EncodeRecord(r)
	if err != nil {
		return fmt.Errorf("put record: %w", err)
	}
	if err := s.checkLock(); err != nil {
		return fmt.Errorf("put record %s: %w", r.LogicalID, err)
	}
	s.mu.Lock()
	etag, known := s.etags[r.LogicalID]
	absent := !known && s.loaded
	s.mu.Unlock()
	in := &s3.PutObjectInput{
		Bucket:      aws.String(s.bucket),
		Key:         aws.String(s.recordKey(r.LogicalID)),
		Body:        bytes.NewReader(data),
		ContentType: aws.String("application/json"),
	}
	switch {
	case known:
		in.IfMatch = aws.String(etag)
	case absent:
		in.IfNoneMatch = aws.String("*")
	}
	out, err := s.client.PutObject(ctx, in)
	if isPrecondition(err) || (known && isNoSuchKey(err)) {
		cur, curTag, gerr := s.get(ctx, *in.Key)
		if gerr == nil && bytes.Equal(cur, data) {
			s.setETag(r.LogicalID, curTag)
			return nil
		}
		return fmt.Errorf("put record %s in %s: the record was changed by another writer since this run read it (is another run writing without the lock?): %w", r.LogicalID, s.location, err)
	}
	if err != nil {
		return s.fail("put record "+r.LogicalID, err)
	}
	s.setETag(r.LogicalID, aws.ToString(out.ETag))
	return nil
}

func (s *Store) setETag(id, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if etag == "" {
		delete(s.etags, id)
		s.loaded = false // cannot tell absence any more
		return
	}
	s.etags[id] = etag
}

// Delete removes the record's object. S3 deletes are idempotent, so a
// missing object is not an error.
func (s *Store) Delete(ctx context.Context, logicalID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkStage(); err != nil {
		return err
	}
	if err := state.ValidateLogicalID(logicalID); err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	if err := s.checkLock(); err != nil {
		return fmt.Errorf("delete record %s: %w", logicalID, err)
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.recordKey(logicalID))})
	if err != nil {
		return s.fail("delete record "+logicalID, err)
	}
	s.mu.Lock()
	delete(s.etags, logicalID)
	s.mu.Unlock()
	return nil
}

// Load lists the stage's record objects and reads them, several at a time.
func (s *Store) Load(ctx context.Context) ([]state.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.checkStage(); err != nil {
		return nil, err
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s.pfx + resourcesDir)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.fail("load state", err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			name := strings.TrimPrefix(k, s.pfx+resourcesDir)
			if strings.HasSuffix(k, "/") && aws.ToInt64(o.Size) == 0 {
				continue // a "folder" made by the console
			}
			if !strings.HasSuffix(name, recordExt) || strings.Contains(name, "/") {
				return nil, fmt.Errorf("load state: unexpected object s3://%s/%s among the records; move it elsewhere", s.bucket, k)
			}
			keys = append(keys, k)
		}
	}
	type result struct {
		rec  state.Record
		etag string
		ok   bool
		err  error
	}
	results := make([]result, len(keys))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(loadWorkers, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				k := keys[i]
				id := strings.TrimSuffix(strings.TrimPrefix(k, s.pfx+resourcesDir), recordExt)
				data, etag, err := s.get(ctx, k)
				if errors.Is(err, errNotFound) {
					continue // deleted since the listing
				}
				if err != nil {
					results[i].err = s.fail("load state", err)
					continue
				}
				r, err := state.DecodeRecord(data)
				if err == nil && r.LogicalID != id {
					err = fmt.Errorf("the object holds record %q", r.LogicalID)
				}
				if err != nil {
					results[i].err = &state.CorruptRecordError{Where: "s3://" + s.bucket + "/" + k, LogicalID: id, App: s.app, Stage: s.stage, Err: err}
					continue
				}
				results[i] = result{rec: r, etag: etag, ok: true}
			}
		}()
	}
	for i := range keys {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	recs := make([]state.Record, 0, len(keys))
	etags := make(map[string]string, len(keys))
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		if r.ok {
			recs = append(recs, r.rec)
			etags[r.rec.LogicalID] = r.etag
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].LogicalID < recs[j].LogicalID })
	s.mu.Lock()
	s.etags, s.loaded = etags, true
	s.mu.Unlock()
	return recs, nil
}

var errNotFound = errors.New("no such object")

// get reads an object and its ETag; errNotFound if it does not exist.
func (s *Store) get(ctx context.Context, key string) ([]byte, string, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) || httpStatus(err) == 404 {
			return nil, "", errNotFound
		}
		return nil, "", err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, "", fmt.Errorf("read s3://%s/%s: %w", s.bucket, key, err)
	}
	return data, aws.ToString(out.ETag), nil
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isNoSuchKey reports S3's answer to a write with If-Match on an object
// that no longer exists: 404 NoSuchKey, not 412. For a conditional write it
// means the same as a failed condition: someone else changed the object.
func isNoSuchKey(err error) bool {
	var nsk *types.NoSuchKey
	var ae smithy.APIError
	return errors.As(err, &nsk) || (errors.As(err, &ae) && ae.ErrorCode() == "NoSuchKey")
}

// isPrecondition reports a failed condition: 412 PreconditionFailed, or 409
// ConditionalRequestConflict, which S3 returns when a concurrent conditional
// write to the same key is in progress.
func isPrecondition(err error) bool {
	if err == nil {
		return false
	}
	st := httpStatus(err)
	return st == 412 || st == 409
}

// Stages lists the app's stages: the common prefixes under <prefix>/<app>/.
func (s *Store) Stages(ctx context.Context) ([]string, error) {
	return s.children(ctx, s.appPfx)
}

// children lists the valid names of the "folders" under pfx, sorted.
func (s *Store) children(ctx context.Context, pfx string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var names []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(pfx), Delimiter: aws.String("/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.fail("list stages", err)
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), pfx), "/")
			if state.ValidateLogicalID(name) == nil {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// LoadAll reads the records of every stage of every app under the URL's
// prefix, each stage as Load reads one.
func (s *Store) LoadAll(ctx context.Context) ([]state.Located, error) {
	root := strings.TrimSuffix(s.appPfx, s.app+"/")
	apps, err := s.children(ctx, root)
	if err != nil {
		return nil, err
	}
	var out []state.Located
	for _, app := range apps {
		appPfx := root + app + "/"
		stages, err := s.children(ctx, appPfx)
		if err != nil {
			return nil, err
		}
		for _, stage := range stages {
			st := &Store{client: s.client, bucket: s.bucket, app: app, stage: stage, appPfx: appPfx, pfx: appPfx + stage + "/", region: s.region, endpoint: s.endpoint, now: s.now, lockTTL: s.lockTTL, etags: map[string]string{}}
			st.location = "s3://" + st.bucket + "/" + st.pfx
			recs, err := st.Load(ctx)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				out = append(out, state.Located{App: app, Stage: stage, Record: r})
			}
		}
	}
	return out, nil
}

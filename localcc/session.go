package localcc

import (
	"fmt"
	"time"
)

// session is a set of temporary credentials the endpoint's STS issued for
// an assumed role. Calls signed with them act in the role's account.
type session struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Account         string    `json:"account"`
	RoleARN         string    `json:"roleArn"`
	RoleName        string    `json:"roleName"`
	RoleID          string    `json:"roleId"`
	SessionName     string    `json:"sessionName"`
	Expiration      time.Time `json:"expiration"`
}

// ARN is the assumed-role session's ARN, as GetCallerIdentity reports it.
func (ss *session) ARN() string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", ss.Account, ss.RoleName, ss.SessionName)
}

func (ss *session) caller(region string) caller {
	return caller{Scope: Scope{Account: ss.Account, Region: region}, ARN: ss.ARN(), UserID: ss.RoleID + ":" + ss.SessionName, session: ss}
}

// check refuses a call whose session token is not the session's, or that
// comes after the credentials expired (measured on the wall clock, which
// the clients that cache the credentials use too).
func (ss *session) check(token string, now time.Time) *apiError {
	if token != ss.SessionToken {
		return invalidToken()
	}
	if !now.Before(ss.Expiration) {
		return &apiError{Shape: "ExpiredTokenException", Namespace: nsService, Status: 400, Message: "The security token included in the request is expired"}
	}
	return nil
}

// session returns the issued credentials with this access key, or nil.
func (s *Server) session(keyID string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[keyID]
}

// issue mints credentials for roleARN valid for d. Called with s.mu held.
func (s *Server) issue(role *resource, roleARN, name string, d time.Duration) *session {
	ss := &session{
		AccessKeyID:     "ASIA" + randUpper(s.rng, 16),
		SecretAccessKey: randBase62(s.rng, 40),
		SessionToken:    randBase62(s.rng, 356),
		Account:         role.Account,
		RoleARN:         roleARN,
		RoleName:        str(role.Model, "RoleName"),
		RoleID:          str(role.Model, "RoleId"),
		SessionName:     name,
		Expiration:      time.Now().Add(d).UTC().Truncate(time.Second),
	}
	s.sessions[ss.AccessKeyID] = ss
	s.dropExpiredSessions(time.Now())
	s.markDirty()
	return ss
}

// dropExpiredSessions forgets credentials that can no longer be used.
// Called with s.mu held.
func (s *Server) dropExpiredSessions(now time.Time) {
	for k, ss := range s.sessions {
		if !now.Before(ss.Expiration) {
			delete(s.sessions, k)
		}
	}
}

package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/internal/version"
	"github.com/athanor-iac/athanor/state"
)

func newCmdRekey(opts *StateOptions, run func(name string, nargs int) func(*cobra.Command, []string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rekey",
		Short: "Re-encrypt every secret of the stage under a new data key, or (--rewrap) only change the passphrase or age keys",
		Long: `Give the stage a new random data key and re-encrypt every secret in its
state (records and outputs) under it, holding the stage's lock. The current
key is opened with ATHANOR_PASSPHRASE or ATHANOR_AGE_IDENTITY_FILE, as for
a run.

To change the passphrase or the age keys at the same time, set the new ones
in ATHANOR_NEW_PASSPHRASE, or ATHANOR_NEW_AGE_RECIPIENTS and
ATHANOR_NEW_AGE_IDENTITY_FILE; without them the new data key is wrapped
with the current passphrase or keys. Rekey after removing someone's age key
or after a passphrase may have leaked: a new data key makes copies of the
old state taken before useless for new values.

With --rewrap, the data key stays and only its wrapping changes to the
ATHANOR_NEW_ passphrase or age keys (which must be set): one write of the
stage's key record, nothing re-encrypted, however many secrets the stage
holds. Use it to change a passphrase routinely or to add a teammate's age
key; it does not lock out whoever already had the data key.

An interrupted rekey leaves the stage readable with the new key; run it
again to finish.`,
		Example: `  ATHANOR_PASSPHRASE=old ATHANOR_NEW_PASSPHRASE=new athanor state rekey --app network --stage prod
  ATHANOR_PASSPHRASE=old ATHANOR_NEW_PASSPHRASE=new athanor state rekey --rewrap --app network --stage prod`,
		Args: cobra.NoArgs,
		RunE: run("rekey", 0),
	}
	cmd.Flags().BoolVar(&opts.Rewrap, "rewrap", false, "keep the data key and only wrap it with the ATHANOR_NEW_ passphrase or age keys: nothing is re-encrypted")
	return cmd
}

// newCredsFromEnv reads the ATHANOR_NEW_* variables; it reports false when
// none is set.
func newCredsFromEnv() (secrets.Credentials, bool, error) {
	getenv := func(k string) string { return os.Getenv(strings.Replace(k, "ATHANOR_", "ATHANOR_NEW_", 1)) }
	c, err := secrets.CredentialsFromEnv(getenv)
	if err != nil {
		return c, false, fmt.Errorf("%w (read as the new key, from the ATHANOR_NEW_ variable)", err)
	}
	return c, c.Configured(), nil
}

func stateRekey(ctx context.Context, o *StateOptions) error {
	old, err := secrets.CredentialsFromOSEnv()
	if err != nil {
		return err
	}
	next, ok, err := newCredsFromEnv()
	if err != nil {
		return err
	}
	if !ok && o.Rewrap {
		return usageErrorf("--rewrap wraps the data key with a new passphrase or age keys, and none is set: set ATHANOR_NEW_PASSPHRASE, or ATHANOR_NEW_AGE_RECIPIENTS and ATHANOR_NEW_AGE_IDENTITY_FILE, and run `%s` again", o.location().Command("state rekey", "--rewrap"))
	}
	if !ok {
		next = old
	}
	s, err := state.Open(ctx, o.URL, o.App, o.Stage)
	if err != nil {
		return err
	}
	defer closeStore(s)
	u, err := s.Lock(ctx, state.NewLockInfo("state rekey", version.Get().String()))
	if err != nil {
		return err
	}
	defer u.Unlock()
	if o.Rewrap {
		n, err := secrets.Rewrap(ctx, s, old, next)
		if err != nil {
			return err
		}
		if err := u.Unlock(); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.Out, "rewrapped %d data keys of stage %s with the new ATHANOR_NEW_ key, re-encrypting nothing; use it from now on\n", n, o.Stage)
		return nil
	}
	n, err := secrets.Rekey(ctx, s, old, next)
	if err != nil {
		return err
	}
	if err := u.Unlock(); err != nil {
		return err
	}
	how := "with the same passphrase or keys"
	if ok {
		how = "wrapped with the new ATHANOR_NEW_ key; use it from now on"
	}
	fmt.Fprintf(o.IO.Out, "re-encrypted the secrets of %d records of stage %s under a new data key, %s\n", n, o.Stage, how)
	return nil
}

// withoutKeyRecord leaves out the record holding the stage's keys.
func withoutKeyRecord(recs []state.Record) []state.Record {
	out := recs[:0:0]
	for _, r := range recs {
		if r.LogicalID != secrets.KeyRecordID {
			out = append(out, r)
		}
	}
	return out
}

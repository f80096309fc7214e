package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/version"
)

// NewCmdVersion builds `athanor version`, which prints the same as
// `athanor --version`: Athanor's module version, the commit and the Go
// toolchain, from the build information (package internal/version).
func NewCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print athanor's version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(f.IOStreams.Out, version.Get().Report("athanor"))
			return err
		},
	}
}

// Command secretapp is the program of the secrets test: it declares
// secrets both ways, a Secrets Manager secret whose SecretString the
// schema makes secret (DB_PASSWORD), and an SSM parameter whose Value the
// program marks with athanor.Secret inside a larger string (API_TOKEN).
// With EXTRA_PASSWORD set it declares a second secret, for a create to kill.
// It publishes the marked token as a stage output, and prints it and the
// secret resource itself with fmt, as a careless program would.
// Everything else is the command line of any Athanor program.
package main

import (
	"fmt"
	"os"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/secretsmanager"
	"github.com/athanor-iac/athanor/aws/ssm"
	// The test runs it against every state backend.
	_ "github.com/athanor-iac/athanor/state/pgstore"
	_ "github.com/athanor-iac/athanor/state/s3store"
)

func main() {
	athanor.Run("secretapp", func(app *athanor.App) error {
		db, err := secretsmanager.Secret(app, "dbPassword", secretsmanager.SecretProps{
			Name:         "app-db-password",
			Description:  "the database password",
			SecretString: os.Getenv("DB_PASSWORD"),
		})
		if err != nil {
			return err
		}
		if _, err := ssm.Parameter(app, "apiToken", ssm.ParameterProps{
			Name:  "app-api-token",
			Type:  ssm.ParameterTypeString,
			Value: "Bearer " + athanor.Secret(os.Getenv("API_TOKEN")),
		}, athanor.DependsOn(db)); err != nil {
			return err
		}
		if extra := os.Getenv("EXTRA_PASSWORD"); extra != "" {
			if _, err := secretsmanager.Secret(app, "extraPassword", secretsmanager.SecretProps{Name: "app-extra-password", SecretString: extra}); err != nil {
				return err
			}
		}
		app.Log("declared %s", athanor.Secret(os.Getenv("API_TOKEN")))
		app.Output("apiToken", "Bearer "+athanor.Secret(os.Getenv("API_TOKEN")))
		fmt.Println("printed by the program:", athanor.Secret(os.Getenv("API_TOKEN")))
		fmt.Fprintf(os.Stderr, "printed by the program: %+v %#v\n", db, db)
		return nil
	})
}

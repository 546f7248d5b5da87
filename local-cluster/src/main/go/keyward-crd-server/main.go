// Command keyward-crd-server is Kubernetes' CRD API server (k8s.io/apiextensions-apiserver) as
// Keyward's hybrid test cluster runs it: aggregated behind a Kubernetes 1.20 kube-apiserver that
// serves everything else, so Keyward's CRDs meet a current API server (CEL rules, server-side
// apply of CRDs, current validation messages).
//
// It is upstream's own server command with two changes, both for the older aggregator in front:
// the server serves discovery itself (upstream's main leaves /apis to a current kube-aggregator),
// and it publishes OpenAPI v2 beside v3 (the 1.20 aggregator and clients talking to it read v2).
//
// Built by bin/provision-crd-server from Debian's Go library packages, in GOPATH mode.
package main

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"k8s.io/apiextensions-apiserver/pkg/apiserver"
	generatedopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	"k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/openapi"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/component-base/cli"
)

func main() {
	os.Exit(cli.Run(command(genericapiserver.SetupSignalContext())))
}

// command is upstream's server.NewServerCommand, with run below in place of server.Run.
func command(ctx context.Context) *cobra.Command {
	o := options.NewCustomResourceDefinitionsServerOptions(os.Stdout, os.Stderr)
	cmd := &cobra.Command{
		Use:   "keyward-crd-server",
		Short: "Kubernetes' CRD API server, for aggregation behind an older kube-apiserver",
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return o.ServerRunOptions.ComponentGlobalsRegistry.Set()
		},
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return run(c.Context(), o)
		},
	}
	cmd.SetContext(ctx)
	o.AddFlags(cmd.Flags())
	return cmd
}

func run(ctx context.Context, o *options.CustomResourceDefinitionsServerOptions) error {
	config, err := o.Config()
	if err != nil {
		return err
	}
	// Upstream sets only OpenAPIV3Config; the 1.20 aggregator merges each APIService's /openapi/v2.
	config.GenericConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(
		openapi.GetOpenAPIDefinitionsWithoutDisabledFeatures(generatedopenapi.GetOpenAPIDefinitions),
		openapinamer.NewDefinitionNamer(apiserver.Scheme, scheme.Scheme))
	completed := config.Complete()
	// Complete turns discovery off (a current kube-aggregator serves it); the 1.20 one does not.
	completed.GenericConfig.EnableDiscovery = true
	server, err := completed.New(genericapiserver.NewEmptyDelegate())
	if err != nil {
		return err
	}
	return server.GenericAPIServer.PrepareRun().RunWithContext(ctx)
}

package scan

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/keyvault"
	kvemu "github.com/credwatch/credwatch/internal/emulator/keyvault"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// readVaults reads the configured vaults' metadata with the scan's
// credential and HTTP client. A vault part that cannot be read is named
// in its Unavailable; only a cancelled ctx is an error.
func readVaults(ctx context.Context, auth azure.AuthOptions, cred azcore.TokenCredential, o ReadOptions) ([]inventory.Vault, error) {
	if len(o.Vaults) == 0 {
		return nil, nil
	}
	hc, err := azure.HTTPClient(auth)
	if err != nil {
		return nil, err
	}
	if o.Progress != nil {
		o.Progress("key vaults", 0, len(o.Vaults))
	}
	targets := make([]keyvault.Target, 0, len(o.Vaults))
	outside := false
	for _, v := range o.Vaults {
		targets = append(targets, keyvault.Target{Name: v.Name, URL: v.VaultURL(), ResourceID: v.ResourceID})
		outside = outside || keyvault.OutsideAzure(v.VaultURL())
	}
	vaults, err := keyvault.Collect(ctx, cred, targets, keyvault.CollectOptions{
		Options:       keyvault.Options{HTTPClient: hc, Logger: o.Logger, DisableChallengeResourceVerification: outside},
		ManagementURL: o.ManagementURL,
	})
	if err != nil {
		return nil, fmt.Errorf("read key vaults: %w", err)
	}
	return vaults, nil
}

// demoVaultOptions rewrites o.Vaults for the demo's vault emulator kv.
func demoVaultOptions(o ReadOptions, kv *kvemu.Server) ReadOptions {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var served []policy.KeyVault
	for _, v := range o.Vaults {
		if url := kv.VaultURL(v.Name); url != "" {
			served = append(served, policy.KeyVault{Name: v.Name, URL: url, ResourceID: kv.ResourceID(v.Name)})
			continue
		}
		o.Logger.Warn("the demo serves no such key vault", "vault", v.Name,
			"demo vaults", strings.Join([]string{kvemu.DemoAppsVault, kvemu.DemoLegacyVault}, ", "))
	}
	o.Vaults, o.ManagementURL = served, kv.ManagementURL()
	return o
}

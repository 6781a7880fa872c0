package azure

import (
	"errors"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Environment variables azidentity's EnvironmentCredential reads; credwatch
// reads the same ones so a service principal is configured the usual way.
const (
	envTenantID      = "AZURE_TENANT_ID"
	envClientID      = "AZURE_CLIENT_ID"
	envClientSecret  = "AZURE_CLIENT_SECRET"
	envCertPath      = "AZURE_CLIENT_CERTIFICATE_PATH"
	envCertPassword  = "AZURE_CLIENT_CERTIFICATE_PASSWORD"
	envAuthorityHost = "AZURE_AUTHORITY_HOST"
)

// NewCredential returns the credential azidentity's conventions select:
//   - AZURE_CLIENT_SECRET set: a client-secret credential for
//     AZURE_CLIENT_ID in AZURE_TENANT_ID (o.TenantID wins over the
//     variable);
//   - else AZURE_CLIENT_CERTIFICATE_PATH set: a client-certificate
//     credential from that PEM or PKCS#12 file, decrypted with
//     AZURE_CLIENT_CERTIFICATE_PASSWORD when given;
//   - else DefaultAzureCredential (workload identity, managed identity,
//     Azure CLI, Azure Developer CLI).
func NewCredential(o AuthOptions) (azcore.TokenCredential, error) {
	co, noDiscovery, err := clientOptions(o)
	if err != nil {
		return nil, err
	}
	tenant := o.TenantID
	if tenant == "" {
		tenant = os.Getenv(envTenantID)
	}
	clientID := os.Getenv(envClientID)

	if secret := os.Getenv(envClientSecret); secret != "" {
		if err := needIDs(tenant, clientID, envClientSecret); err != nil {
			return nil, err
		}
		o.TenantID = tenant
		return NewClientSecretCredential(o, clientID, secret)
	}

	if path := os.Getenv(envCertPath); path != "" {
		if err := needIDs(tenant, clientID, envCertPath); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		o.TenantID = tenant
		cred, err := NewClientCertificateCredential(o, clientID, data, []byte(os.Getenv(envCertPassword)))
		if err != nil {
			return nil, fmt.Errorf("client certificate %s: %w", path, errors.Unwrap(err))
		}
		return cred, nil
	}

	cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
		ClientOptions:            co,
		TenantID:                 o.TenantID,
		DisableInstanceDiscovery: noDiscovery,
	})
	if err != nil {
		return nil, fmt.Errorf("default azure credential: %w", err)
	}
	return cred, nil
}

// NewClientSecretCredential signs in as clientID in o.TenantID with a
// secret the caller holds in memory (the demo's own scanner registration),
// with the same endpoint and transport handling as NewCredential.
func NewClientSecretCredential(o AuthOptions, clientID, secret string) (azcore.TokenCredential, error) {
	co, noDiscovery, err := clientOptions(o)
	if err != nil {
		return nil, err
	}
	cred, err := azidentity.NewClientSecretCredential(o.TenantID, clientID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: noDiscovery})
	if err != nil {
		return nil, fmt.Errorf("client secret credential: %w", err)
	}
	return cred, nil
}

// NewClientCertificateCredential signs in as clientID in o.TenantID with a
// certificate and private key from PEM or PKCS#12 data (password may be
// nil). Parse errors name the format problem, never the password.
func NewClientCertificateCredential(o AuthOptions, clientID string, data, password []byte) (azcore.TokenCredential, error) {
	co, noDiscovery, err := clientOptions(o)
	if err != nil {
		return nil, err
	}
	certs, key, err := azidentity.ParseCertificates(data, password)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	cred, err := azidentity.NewClientCertificateCredential(o.TenantID, clientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: noDiscovery})
	if err != nil {
		return nil, fmt.Errorf("client certificate credential: %w", err)
	}
	return cred, nil
}

// clientOptions points azidentity at o's authority over o's transport.
// Instance discovery stays on for the real clouds and is turned off only
// for a custom AuthorityHost, which discovery would reject.
func clientOptions(o AuthOptions) (azcore.ClientOptions, bool, error) {
	authority, _, _, err := Endpoints(o)
	if err != nil {
		return azcore.ClientOptions{}, false, err
	}
	co := azcore.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: authority,
			Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{},
		},
	}
	if o.HTTPClient != nil || o.CAFile != "" {
		hc, err := HTTPClient(o)
		if err != nil {
			return azcore.ClientOptions{}, false, err
		}
		co.Transport = hc
	}
	return co, o.AuthorityHost != "", nil
}

// needIDs reports which identifier a service-principal credential lacks.
func needIDs(tenant, clientID, because string) error {
	if tenant == "" {
		return fmt.Errorf("%s is set but no tenant is given (%s or the tenant option)", because, envTenantID)
	}
	if clientID == "" {
		return fmt.Errorf("%s is set but %s is empty", because, envClientID)
	}
	return nil
}

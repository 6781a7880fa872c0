package tenantgen

// Facts about the demo tenant's activity that a demo configuration needs,
// so it makes the activity rules fire where Demo's comment says.
const (
	// DemoAdminUPN is the administrator who makes most credential and
	// owner changes, from DemoAdminIP.
	DemoAdminUPN = "admin@contoso.example"
	DemoAdminIP  = "198.51.100.10"
	// DemoPipelineApp is the deployment pipeline's app: its service
	// principal adds credentials to the apps it deploys.
	DemoPipelineApp = "github-deploy"
	// DemoMalloryUPN added a secret to tenant-provisioning from
	// DemoMalloryIP and used it from there.
	DemoMalloryUPN = "mallory@contoso.example"
	DemoMalloryIP  = "203.0.113.66"
	// DemoStrayIP is where payroll-export signed in once, outside its
	// declared network.
	DemoStrayIP = "203.0.113.99"
)

// DemoAllowedActors are who a demo configuration allows to add
// credentials: the administrator (by user principal name) and the pipeline
// (by app display name). Anyone else adding one is unexpected.
var DemoAllowedActors = []string{DemoAdminUPN, DemoPipelineApp}

// DemoNetworks are the networks a demo configuration declares, as CIDRs by
// app display name. payroll-export signs in from outside its network once;
// credwatch-scanner never does.
var DemoNetworks = map[string][]string{
	"payroll-export":    {"198.51.100.0/24"},
	"credwatch-scanner": {"198.51.100.0/24"},
}

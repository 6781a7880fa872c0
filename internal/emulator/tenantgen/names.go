package tenantgen

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

var (
	teams = []string{
		"payments", "billing", "hr", "finance", "sales", "marketing", "platform", "data",
		"security", "it", "ops", "support", "legal", "logistics", "research", "identity",
		"devops", "analytics", "crm", "erp",
	}
	nouns = []string{
		"api", "sync", "export", "importer", "worker", "portal", "bot", "connector",
		"scheduler", "reporter", "gateway", "etl", "backup", "notifier", "crawler",
		"webhook", "dashboard", "auth", "cli", "indexer",
	}
	envs = []string{"prod", "prod", "dev", "test", "staging", "uat", "", ""}

	// hostileNames must come out of every renderer inert: HTML, CSV and
	// spreadsheet formula injection, template and log injection, control
	// characters and a right-to-left override.
	hostileNames = []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`=HYPERLINK("http://x")`,
		`=cmd|' /C calc'!A0`,
		`+SUM(1,1)`,
		`-2+3`,
		`@SUM(A1:A2)`,
		`"; DROP TABLE apps; --`,
		`{{7*7}} ${7*7}`,
		`${jndi:ldap://x/a}`,
		`</td></tr><b>broken</b>`,
		`a,b;c|d"e'f`,
		"tab\tseparated\tname",
		"line one\nline two",
		"invoice\u202Efdp.exe",
		`javascript:alert(1)`,
		`%s%n%x`,
		`  leading and trailing spaces  `,
	}

	unicodeNames = []string{
		"Gehaltsabrechnung – Zürich",
		"給与計算システム",
		"تطبيق الرواتب",
		"מערכת שכר",
		"🚀 deploy-bot 🔥",
		"👩‍💻 dev-portal",
		"Ünïcödé Sÿnc",
		"z̷̢a̵l̶g̸o̴ importer",
		"Εφαρμογή αναφορών",
		"Приложение-отчёты",
		"ระบบบัญชี",
		"Café ☕ ordering",
		"数据同步服务 (生产)",
	}

	oddNames = []string{
		"Payroll Export (OLD) - DO NOT DELETE",
		"test",
		"Test App 2",
		"New Application",
		"my-app",
		"PowerBI Embedded",
		"Graph Explorer Clone",
		"ServiceNow Integration",
		"SAP SuccessFactors Connector",
		"Jenkins",
	}

	automationNames = []string{"terraform-provisioner", "app-factory", "it-automation-runbook"}

	secretDescs = []string{
		"prod", "ci-deploy", "github-actions", "Managed by Terraform", "rotated by automation",
		"key vault sync", "legacy", "temp - remove", "Jenkins", "Power Automate", "dev laptop",
		"used by nightly job", "backup key", "client secret", "Secret", "New client secret",
		"azure devops service connection", "rotation 2025-Q1", "do not delete", "test",
	}

	oddDescs = []string{
		`=HYPERLINK("http://x","click")`,
		`<b>bold</b>`,
		"🔑 main key",
		"clé de production",
		"",
	}

	appTags = []string{
		"terraform", "env:prod", "env:dev", "owner:platform-team", "cost-center:4711",
		"HideApp", "critical", "pci", "managed-by:bicep",
	}

	notes = []string{
		"Owned by Finance IT. Rotate before quarter end.",
		"Created for the 2022 migration; ask Identity before deleting.",
		"Break-glass automation. Contact SecOps.",
		"Vendor integration; the secret lives in the vendor portal.",
	}

	vendorNames = []string{
		"Fabrikam Expense Cloud", "Litware Survey Pro", "Proseware CRM Connector",
		"Tailspin Travel", "Wingtip Signatures", "Northwind HR Suite", "Adatum Backup",
		"Woodgrove Payments", "Contoso Learning", "Alpine Ski Booking",
		"Lucerne Publishing Docs", "Trey Research Insights", "Coho Winery Orders",
		"Relecloud Analytics",
	}

	miPrefixes = []string{"id-", "func-", "app-", "vm-", "aks-", "logic-", "adf-", "aci-"}

	ghOrgs  = []string{"contoso-platform", "fabrikam-eng", "octo-org", "credwatch-demo"}
	ghRepos = []string{"infra", "api", "web", "payments-service", "data-pipelines", "terraform-modules", "release-tools"}
)

// appName draws a display name for a random app: mostly team-noun-env
// names (duplicates included, as real tenants have them), some odd, some
// Unicode, a few hostile and a few very long.
func appName(r *rand.Rand) string {
	switch x := r.IntN(1000); {
	case x < 15:
		return pick(r, hostileNames)
	case x < 45:
		return pick(r, unicodeNames)
	case x < 50:
		return veryLongName(r)
	case x < 70:
		return pick(r, oddNames)
	}
	var sb strings.Builder
	sb.WriteString(pick(r, teams))
	sb.WriteByte('-')
	sb.WriteString(pick(r, nouns))
	if e := pick(r, envs); e != "" {
		sb.WriteByte('-')
		sb.WriteString(e)
	}
	if chance(r, 0.4) {
		sb.WriteByte('-')
		sb.WriteString(strconv.Itoa(r.IntN(100)))
	}
	return sb.String()
}

// veryLongName is 256 characters, the longest display name Entra takes
// in the portal, so column widths and truncation get exercised.
func veryLongName(r *rand.Rand) string {
	base := pick(r, teams) + "-integration-with-an-extremely-long-descriptive-name-"
	s := strings.Repeat(base, 256/len(base)+1)
	return s[:256]
}

func secretDesc(r *rand.Rand) *string {
	switch x := r.IntN(100); {
	case x < 10:
		return nil
	case x < 13:
		return strp(pick(r, oddDescs))
	default:
		return strp(pick(r, secretDescs))
	}
}

func githubSubject(r *rand.Rand, org, repo string) string {
	base := "repo:" + org + "/" + repo
	switch r.IntN(4) {
	case 0:
		return base + ":environment:production"
	case 1:
		return base + ":pull_request"
	case 2:
		return base + ":ref:refs/tags/v" + strconv.Itoa(1+r.IntN(3)) + ".0.0"
	}
	return base + ":ref:refs/heads/main"
}

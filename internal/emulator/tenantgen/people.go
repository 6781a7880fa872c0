package tenantgen

import (
	"math/rand/v2"
	"strconv"

	"github.com/credwatch/credwatch/internal/msgraph"
)

const (
	odataUser = "#microsoft.graph.user"
	odataSP   = "#microsoft.graph.servicePrincipal"
	odataGrp  = "#microsoft.graph.group"
)

// org is the fictional organisation a tenant belongs to (Microsoft's own
// example names).
type org struct {
	name   string // "contoso"
	domain string // "contoso.onmicrosoft.com": UPNs and publisherDomain
	mail   string // "contoso.com": mail addresses
}

var orgNames = []string{
	"contoso", "fabrikam", "northwind", "adatum", "woodgrove", "litware",
	"tailspin", "proseware", "wingtip", "fourthcoffee", "relecloud", "lucerne",
}

func newOrg(name string) org {
	return org{name: name, domain: name + ".onmicrosoft.com", mail: name + ".com"}
}

// personName is a display name with the ASCII spelling used in addresses.
type personName struct{ display, ascii string }

var firstNames = []personName{
	{"Adele", "adele"}, {"Alex", "alex"}, {"Megan", "megan"}, {"Lynne", "lynne"},
	{"Diego", "diego"}, {"Isaiah", "isaiah"}, {"Joni", "joni"}, {"Lee", "lee"},
	{"Miriam", "miriam"}, {"Nestor", "nestor"}, {"Patti", "patti"}, {"Pradeep", "pradeep"},
	{"Grady", "grady"}, {"Henrietta", "henrietta"}, {"Johanna", "johanna"}, {"Lidia", "lidia"},
	{"Zoë", "zoe"}, {"José", "jose"}, {"Łukasz", "lukasz"}, {"Ayşe", "ayse"},
	{"Søren", "soren"}, {"Chloé", "chloe"}, {"Renée", "renee"}, {"Björn", "bjorn"},
	{"محمد", "mohammed"}, {"יעל", "yael"}, {"伟", "wei"}, {"さくら", "sakura"},
}

var lastNames = []personName{
	{"Vance", "vance"}, {"Wilber", "wilber"}, {"Bowen", "bowen"}, {"Robbins", "robbins"},
	{"Sanchez", "sanchez"}, {"Patel", "patel"}, {"Sherman", "sherman"}, {"Gu", "gu"},
	{"Bowers", "bowers"}, {"Fuller", "fuller"}, {"Fernandez", "fernandez"}, {"Gupta", "gupta"},
	{"Archie", "archie"}, {"Mueller", "mueller"}, {"Lanier", "lanier"}, {"Holloway", "holloway"},
	{"Ångström", "angstrom"}, {"Nguyễn", "nguyen"}, {"Kowalczyk", "kowalczyk"}, {"Yılmaz", "yilmaz"},
	{"O'Brien", "obrien"}, {"Müller-Lüdenscheidt", "mueller-luedenscheidt"}, {"García Márquez", "garcia.marquez"},
	{"العلي", "alali"}, {"כהן", "cohen"}, {"王", "wang"}, {"佐藤", "sato"},
}

var guestDomains = []string{"outlook.com", "gmail.com", "partner.example", "vendor.example"}

var groupNames = []string{
	"App Owners - Finance", "App Owners - HR", "Platform Engineering", "Identity Team",
	"Security Operations", "Data Platform", "Cloud Center of Excellence", "Integration Team",
	"Service Desk", "Payments Squad", "Sales Ops", "SRE On-Call",
}

// makeUsers draws n users with unique user principal names: members with
// mail, a few without a mailbox, and guests whose UPN carries #EXT#.
func makeUsers(r *rand.Rand, o org, n int) []msgraph.DirectoryObject {
	users := make([]msgraph.DirectoryObject, n)
	seen := make(map[string]int, n)
	for i := range users {
		f, l := pick(r, firstNames), pick(r, lastNames)
		local := f.ascii + "." + l.ascii
		if k := seen[local]; k > 0 {
			seen[local] = k + 1
			local += strconv.Itoa(k + 1)
		} else {
			seen[local] = 1
		}
		u := msgraph.DirectoryObject{
			ODataType:   odataUser,
			ID:          guid(r),
			DisplayName: f.display + " " + l.display,
		}
		switch x := r.IntN(100); {
		case x < 5: // guest
			gd := pick(r, guestDomains)
			u.Mail = local + "@" + gd
			u.UserPrincipalName = local + "_" + gd + "#EXT#@" + o.domain
			u.DisplayName += " (Guest)"
		case x < 10: // no mailbox
			u.UserPrincipalName = local + "@" + o.domain
		default:
			u.UserPrincipalName = local + "@" + o.domain
			u.Mail = local + "@" + o.mail
		}
		users[i] = u
	}
	return users
}

// makeGroups draws n groups; about half are mail-enabled.
func makeGroups(r *rand.Rand, o org, n int) []msgraph.DirectoryObject {
	groups := make([]msgraph.DirectoryObject, n)
	for i := range groups {
		name := groupNames[i%len(groupNames)]
		if i >= len(groupNames) {
			name += " " + strconv.Itoa(i/len(groupNames)+1)
		}
		g := msgraph.DirectoryObject{ODataType: odataGrp, ID: guid(r), DisplayName: name}
		if chance(r, 0.5) {
			g.Mail = "grp-" + strconv.Itoa(i+1) + "@" + o.mail
		}
		groups[i] = g
	}
	return groups
}

// spOwner is the owner entry for a service principal.
func spOwner(sp *msgraph.ServicePrincipal) msgraph.DirectoryObject {
	return msgraph.DirectoryObject{ODataType: odataSP, ID: sp.ID, DisplayName: sp.DisplayName, AppID: sp.AppID}
}

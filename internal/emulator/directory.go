package emulator

import (
	"fmt"
	"strings"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// directory indexes the served tenant. Keys are lower case: Graph matches
// ids and appIds without regard to case.
type directory struct {
	apps       []*msgraph.Application
	sps        []*msgraph.ServicePrincipal // listed: Directory.ServicePrincipals only
	appByID    map[string]*msgraph.Application
	appByAppID map[string]*msgraph.Application
	spByID     map[string]*msgraph.ServicePrincipal // ServicePrincipals and Resources
	spByAppID  map[string]*msgraph.ServicePrincipal
	listedSP   map[string]bool // lower-case ids of sps
	// objects are the users, groups and service principals known here,
	// which owner references may name: every owner, every service
	// principal, and the users audit records name.
	objects map[string]msgraph.DirectoryObject
}

func indexDirectory(d *msgraph.Directory) (*directory, error) {
	x := &directory{
		appByID:    make(map[string]*msgraph.Application, len(d.Applications)),
		appByAppID: make(map[string]*msgraph.Application, len(d.Applications)),
		spByID:     make(map[string]*msgraph.ServicePrincipal, len(d.ServicePrincipals)+len(d.Resources)),
		spByAppID:  make(map[string]*msgraph.ServicePrincipal, len(d.ServicePrincipals)+len(d.Resources)),
		listedSP:   make(map[string]bool, len(d.ServicePrincipals)),
	}
	for i := range d.Applications {
		a := &d.Applications[i]
		id, appID := strings.ToLower(a.ID), strings.ToLower(a.AppID)
		if id == "" {
			return nil, fmt.Errorf("directory applications[%d].id: required", i)
		}
		if _, dup := x.appByID[id]; dup {
			return nil, fmt.Errorf("directory applications[%d].id %s: duplicate", i, a.ID)
		}
		x.apps = append(x.apps, a)
		x.appByID[id] = a
		if appID != "" {
			x.appByAppID[appID] = a
		}
	}
	add := func(sp *msgraph.ServicePrincipal, where string) error {
		id := strings.ToLower(sp.ID)
		if id == "" {
			return fmt.Errorf("directory %s.id: required", where)
		}
		if _, dup := x.spByID[id]; dup {
			return fmt.Errorf("directory %s.id %s: duplicate", where, sp.ID)
		}
		x.spByID[id] = sp
		if appID := strings.ToLower(sp.AppID); appID != "" {
			if _, dup := x.spByAppID[appID]; !dup {
				x.spByAppID[appID] = sp
			}
		}
		return nil
	}
	for i := range d.ServicePrincipals {
		sp := &d.ServicePrincipals[i]
		if err := add(sp, fmt.Sprintf("servicePrincipals[%d]", i)); err != nil {
			return nil, err
		}
		x.sps = append(x.sps, sp)
		x.listedSP[strings.ToLower(sp.ID)] = true
	}
	for i := range d.Resources {
		sp := &d.Resources[i]
		if _, listed := x.spByID[strings.ToLower(sp.ID)]; listed {
			continue // the listed copy wins
		}
		if err := add(sp, fmt.Sprintf("resources[%d]", i)); err != nil {
			return nil, err
		}
	}
	x.indexObjects(d)
	return x, nil
}

func (x *directory) indexObjects(d *msgraph.Directory) {
	x.objects = map[string]msgraph.DirectoryObject{}
	put := func(o msgraph.DirectoryObject) {
		if k := strings.ToLower(o.ID); k != "" {
			if _, seen := x.objects[k]; !seen {
				x.objects[k] = o
			}
		}
	}
	for _, a := range x.apps {
		for _, o := range a.Owners {
			put(o)
		}
	}
	for _, sp := range x.sps {
		for _, o := range sp.Owners {
			put(o)
		}
	}
	for _, sp := range x.spByID {
		put(msgraph.DirectoryObject{ODataType: "#microsoft.graph.servicePrincipal", ID: sp.ID, DisplayName: sp.DisplayName, AppID: sp.AppID})
	}
	if d.Activity == nil {
		return
	}
	for _, rec := range d.Activity.DirectoryAudits {
		if u := rec.InitiatedBy.User; u != nil {
			put(msgraph.DirectoryObject{ODataType: "#microsoft.graph.user", ID: u.ID, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName})
		}
		for _, t := range rec.TargetResources {
			if t.Type == "User" {
				put(msgraph.DirectoryObject{ODataType: "#microsoft.graph.user", ID: t.ID, DisplayName: t.DisplayName, UserPrincipalName: t.UserPrincipalName})
			}
		}
	}
}

// users counts the users the directory knows, which sets its size tier.
func (x *directory) users() int {
	n := 0
	for _, o := range x.objects {
		if ownerType(&o) == "#microsoft.graph.user" {
			n++
		}
	}
	return n
}

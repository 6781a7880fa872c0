package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/credwatch/credwatch/internal/store"
)

// DiffFormats are the formats WriteDiff renders.
func DiffFormats() []string { return []string{"table", "json"} }

// WriteDiff renders what changed between two scans: a readable list for a
// terminal, or the store.Diff document as JSON.
func WriteDiff(w io.Writer, format string, d *store.Diff) error {
	var buf bytes.Buffer
	switch format {
	case "json":
		if err := encodeJSON(&buf, d); err != nil {
			return err
		}
	case "table":
		writeDiffTable(&buf, d)
	default:
		return fmt.Errorf("%w %q: want table or json", ErrUnknownFormat, format)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// WriteHistory lists stored scans, newest first.
func WriteHistory(w io.Writer, format string, scans []store.ScanInfo) error {
	var buf bytes.Buffer
	switch format {
	case "json":
		if scans == nil {
			scans = []store.ScanInfo{}
		}
		if err := encodeJSON(&buf, scans); err != nil {
			return err
		}
	case "table":
		if len(scans) == 0 {
			buf.WriteString("no scans stored\n")
			break
		}
		tt := newTextTable()
		tt.row("", "SCAN", "TENANT", "SCANNED", "SOURCE", "COMPLETE", "OBJECTS", "CREDENTIALS", "FINDINGS")
		for _, s := range scans {
			complete := "yes"
			if !s.Complete {
				complete = "NO"
			}
			tt.row("", strconv.FormatInt(s.ID, 10), cell(s.TenantID, idWidth), s.ScannedAt.UTC().Format("2006-01-02 15:04:05"),
				cell(s.Source, nameWidth), complete, strconv.Itoa(s.Objects), strconv.Itoa(s.Credentials), strconv.Itoa(s.Findings))
		}
		if err := tt.writeTo(&buf); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w %q: want table or json", ErrUnknownFormat, format)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func writeDiffTable(buf *bytes.Buffer, d *store.Diff) {
	fmt.Fprintf(buf, "Changes from scan %d (%s) to scan %d (%s)\n", d.From.ID, d.From.ScannedAt.UTC().Format("2006-01-02 15:04"),
		d.To.ID, d.To.ScannedAt.UTC().Format("2006-01-02 15:04"))
	if d.Empty() {
		buf.WriteString("  no changes\n")
		return
	}
	tt := newTextTable()
	obj := func(o store.ObjectRef) string {
		return objectKind(o.Type) + " " + cell(o.DisplayName, nameWidth)
	}
	for _, o := range d.ObjectsAdded {
		tt.row("  ", "+ object", obj(o), cell(o.AppID, idWidth), "")
	}
	for _, o := range d.ObjectsRemoved {
		tt.row("  ", "- object", obj(o), cell(o.AppID, idWidth), "")
	}
	cred := func(c store.CredentialRef) string {
		s := string(c.Type) + " " + cell(c.KeyID, shortKey)
		if c.DisplayName != "" {
			s += " " + strconv.Quote(cell(c.DisplayName, 30))
		}
		if !c.End.IsZero() {
			s += " ends " + c.End.UTC().Format("2006-01-02")
		}
		return s
	}
	for _, c := range d.CredentialsAdded {
		tt.row("  ", "+ credential", obj(c.Object), cred(c), "")
	}
	for _, c := range d.CredentialsRemoved {
		tt.row("  ", "- credential", obj(c.Object), cred(c), "")
	}
	for _, c := range d.CredentialsChanged {
		tt.row("  ", "~ credential", obj(c.After.Object), cred(c.After), fmt.Sprintf("changed: %v", c.Fields))
	}
	owner := func(o store.OwnerChange) string {
		name := o.UserPrincipalName
		if name == "" {
			name = o.DisplayName
		}
		return string(o.Type) + " " + cell(name, nameWidth)
	}
	for _, o := range d.OwnersAdded {
		tt.row("  ", "+ owner", obj(o.Object), owner(o), "")
	}
	for _, o := range d.OwnersRemoved {
		tt.row("  ", "- owner", obj(o.Object), owner(o), "")
	}
	for _, p := range d.PermissionsAdded {
		tt.row("  ", "+ permission", obj(p.Object), cell(p.Resource+"/"+p.Value, 60), "")
	}
	for _, p := range d.PermissionsRemoved {
		tt.row("  ", "- permission", obj(p.Object), cell(p.Resource+"/"+p.Value, 60), "")
	}
	for _, f := range d.FindingsOpened {
		tt.row("  ", "+ finding", f.RuleID+" "+f.Severity.String(), cell(f.AppName, nameWidth), cell(f.Message, messageWidth))
	}
	for _, f := range d.FindingsResolved {
		tt.row("  ", "- finding", f.RuleID+" "+f.Severity.String(), cell(f.AppName, nameWidth), cell(f.Message, messageWidth))
	}
	_ = tt.writeTo(buf) // writes to memory
}

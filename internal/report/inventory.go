package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// Inventory is the JSON document of `credwatch inventory`: every
// credential, one row each, with no policy judgement.
type Inventory struct {
	SchemaVersion int              `json:"schemaVersion"`
	Kind          string           `json:"kind"`
	Tenant        string           `json:"tenant"`
	Source        string           `json:"source"`
	ScannedAt     time.Time        `json:"scannedAt"`
	CollectedAt   time.Time        `json:"collectedAt,omitzero"`
	Complete      bool             `json:"complete"`
	Incomplete    []string         `json:"incomplete,omitempty"`
	Summary       CredentialCounts `json:"summary"`
	Credentials   []CredentialRow  `json:"credentials"`
}

// InventoryFormats lists the formats WriteInventory accepts.
func InventoryFormats() []string { return []string{"table", "json", "csv"} }

// NewInventory builds the inventory document of t at now.
func NewInventory(t *inventory.Tenant, now time.Time) *Inventory {
	s := NewScan(t, nil, now)
	return &Inventory{
		SchemaVersion: SchemaVersion,
		Kind:          InventoryKind,
		Tenant:        s.Tenant,
		Source:        s.Source,
		ScannedAt:     s.ScannedAt,
		CollectedAt:   s.CollectedAt,
		Complete:      s.Complete,
		Incomplete:    s.Incomplete,
		Summary:       s.Summary.Credentials,
		Credentials:   s.Credentials,
	}
}

// WriteInventory renders every credential of t, one row each, as a
// table, JSON or CSV. Like Write, it renders fully before writing.
func WriteInventory(w io.Writer, format string, t *inventory.Tenant, now time.Time) error {
	inv := NewInventory(t, now)
	var buf bytes.Buffer
	var err error
	switch format {
	case "table":
		err = writeInventoryTable(&buf, inv)
	case "json":
		err = encodeJSON(&buf, inv)
	case "csv":
		err = writeInventoryCSV(&buf, inv)
	default:
		return fmt.Errorf("%w %q for inventory: want one of %s", ErrUnknownFormat, format, strings.Join(InventoryFormats(), ", "))
	}
	if err != nil {
		return fmt.Errorf("render inventory %s: %w", format, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write inventory %s: %w", format, err)
	}
	return nil
}

func writeInventoryTable(buf *bytes.Buffer, inv *Inventory) error {
	writeIncompleteBanner(buf, inv.Complete, inv.Incomplete)
	fmt.Fprintf(buf, "credwatch inventory of tenant %s (source %s) at %s\n\n",
		cell(orDash(inv.Tenant), idWidth), cell(orDash(inv.Source), nameWidth), inv.ScannedAt.UTC().Format("2006-01-02 15:04 MST"))
	tt := newTextTable()
	tt.row("", "TYPE", "APP", "APP ID", "CREDENTIAL", "KEY", "DESCRIPTION", "HINT", "START", "END", "LEFT", "OWNERS", "PERMISSIONS")
	for _, r := range inv.Credentials {
		left := ""
		if r.End != nil {
			left = daysText(*r.End, inv.ScannedAt)
		}
		tt.row("", cell(objectKind(r.ObjectType), 6), cell(r.AppName, nameWidth), cell(r.AppID, idWidth),
			cell(string(r.CredentialType), 12), cell(r.KeyID, shortKey), cell(r.Description, 30),
			cell(r.Hint, 8), dateText(r.Start), dateText(r.End), left, strconv.Itoa(r.Owners),
			cell(strings.Join(r.Permissions, ", "), 80))
	}
	if err := tt.writeTo(buf); err != nil {
		return err
	}
	c := inv.Summary
	fmt.Fprintf(buf, "\n%s", credentialsLine(c))
	if inv.Complete {
		buf.WriteString("; scan complete\n")
	} else {
		fmt.Fprintf(buf, "; SCAN INCOMPLETE (%d %s, see top)\n", len(inv.Incomplete), plural(len(inv.Incomplete), "problem", "problems"))
	}
	return nil
}

// inventoryCSVHeader names the inventory CSV columns, as in the JSON.
var inventoryCSVHeader = []string{
	"objectType", "objectId", "appId", "appName", "credentialType", "keyId",
	"description", "hint", "start", "end", "daysLeft", "thumbprint", "keyType",
	"usage", "issuer", "subject", "audiences", "owners", "permissions",
}

func writeInventoryCSV(buf *bytes.Buffer, inv *Inventory) error {
	rows := [][]string{inventoryCSVHeader}
	for _, r := range inv.Credentials {
		days := ""
		if r.DaysLeft != nil {
			days = strconv.Itoa(*r.DaysLeft)
		}
		row := []string{
			string(r.ObjectType), r.ObjectID, r.AppID, r.AppName, string(r.CredentialType), r.KeyID,
			r.Description, r.Hint, csvTime(r.Start), csvTime(r.End), "", r.Thumbprint, r.KeyType,
			r.Usage, r.Issuer, r.Subject, strings.Join(r.Audiences, "; "), "", strings.Join(r.Permissions, "; "),
		}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		// Our own integers go in after neutralising: "-3" is a sign.
		row[slices.Index(inventoryCSVHeader, "daysLeft")] = days
		row[slices.Index(inventoryCSVHeader, "owners")] = strconv.Itoa(r.Owners)
		rows = append(rows, row)
	}
	return writeAllCSV(csv.NewWriter(buf), rows)
}

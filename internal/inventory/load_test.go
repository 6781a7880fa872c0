package inventory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestLoadDetectsEachFormat(t *testing.T) {
	tests := []struct {
		file       string
		apps, sps  int
		complete   bool
		incomplete []string
	}{
		{"credwatch-snapshot.json", 3, 4, true, nil},
		{"az-app-list.json", 2, 0, false, []string{"owners and permissions are not in az CLI output"}},
		{"az-sp-list.json", 0, 3, false, []string{"owners and permissions are not in az CLI output"}},
		{"pwsh-applications.json", 2, 0, false, []string{"permissions are not in Graph PowerShell output"}},
		{"pwsh-serviceprincipal-single.json", 0, 1, false, []string{"owners and permissions are not in Graph PowerShell output"}},
		{"graph-page-applications.json", 2, 0, false, []string{"permissions are not in the Graph list pages"}},
		{"graph-pages.json", 1, 2, false, []string{"owners are not in the Graph list pages"}},
		{"graph-pages.jsonl", 2, 0, false, []string{"owners and permissions are not in the Graph list pages"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := LoadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Applications) != tt.apps || len(s.ServicePrincipals) != tt.sps {
				t.Errorf("got %d applications and %d service principals, want %d and %d",
					len(s.Applications), len(s.ServicePrincipals), tt.apps, tt.sps)
			}
			if s.Complete != tt.complete || !reflect.DeepEqual(s.Incomplete, tt.incomplete) {
				t.Errorf("got complete=%v %q, want complete=%v %q", s.Complete, s.Incomplete, tt.complete, tt.incomplete)
			}
			if s.Kind != SnapshotKind || s.SchemaVersion != SnapshotSchemaVersion {
				t.Errorf("got kind %q schemaVersion %d, want credwatch's own", s.Kind, s.SchemaVersion)
			}
		})
	}
}

func TestLoadRejectsWhatItCannotRead(t *testing.T) {
	tests := []struct {
		name, content string
		wantFormatErr bool
		wantErr       string
	}{
		{"package.json", readFixture(t, "not-a-snapshot.json"), true, "the object is neither an application nor a service principal"},
		{"users.json", readFixture(t, "graph-page-users.json"), true, "a Graph page of users"},
		{"owners.json", `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#applications('8b1e')/owners","value":[]}`, true, "a Graph page of applications/owners"},
		{"notes.txt", "these are my notes\n", true, "not JSON"},
		{"empty.json", "  \n", true, "empty file"},
		{"number.json", "42", true, "a JSON number at the top level"},
		{"null.json", "null", true, "a JSON null at the top level"},
		{"numbers.json", "[1, 2]", true, "item 0 is not a JSON object"},
		{"users-array.json", `[{"id":"1","userPrincipalName":"a@b"}]`, true, "item 0 is neither an application nor a service principal"},
		{"mixed.json", `[{"AppId":"a","SignInAudience":"AzureADMyOrg"},{"appId":"b","signInAudience":"AzureADMyOrg"}]`, true, "mixes PascalCase"},
		{"lines.json", "{\"a\":1}\n{\"b\":2}\n", true, "page 0 has no \"value\" array"},
		{"valuenum.json", `{"@odata.context":"x#applications","value":3}`, true, "page 0 has no \"value\" array"},
		{"error.json", `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}}`, true, "a Graph error response"},
		{"other-kind.json", `{"kind":"acme.export","schemaVersion":1}`, true, `kind "acme.export" where "credwatch.snapshot" was expected`},
		{"newer.json", readFixture(t, "newer-schema.json"), false, "schemaVersion 2 is newer than this credwatch reads (1); upgrade credwatch"},
		{"noversion.json", `{"kind":"credwatch.snapshot"}`, false, "credwatch snapshot without a valid schemaVersion"},
		{"truncated.json", `[{"appId":"a",`, false, "line 1: invalid JSON"},
		{"second-line-bad.jsonl", "{\"value\":[]}\n{\"value\":\n", false, "line 2: invalid JSON"},
		{"shallow.json", `[{"Id":"a1","AppId":"b1","SignInAudience":"AzureADMyOrg","PasswordCredentials":["Microsoft.Graph.PowerShell.Models.MicrosoftGraphPasswordCredential"]}]`, false,
			`item 0 holds "Microsoft.Graph.PowerShell.Models.MicrosoftGraphPasswordCredential" where an object belongs: ConvertTo-Json stopped at its default depth; export again with ConvertTo-Json -Depth 10`},
		{"badtype.json", `[{"appId":"a","signInAudience":"x","passwordCredentials":"oops"}]`, false, "item 0 (application): passwordCredentials: unexpected JSON string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(strings.NewReader(tt.content), tt.name)
			if err == nil {
				t.Fatalf("Load accepted it: %+v", s)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.name+": ") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			if !strings.Contains(msg, tt.wantErr) {
				t.Errorf("error %q, want it to contain %q", msg, tt.wantErr)
			}
			var fe *FormatError
			if got := errors.As(err, &fe); got != tt.wantFormatErr {
				t.Errorf("errors.As(FormatError) = %v, want %v", got, tt.wantFormatErr)
			}
			if tt.wantFormatErr && !strings.Contains(msg, "expected credwatch snapshot, az ad app/sp list output, Get-MgApplication/Get-MgServicePrincipal ConvertTo-Json output, or Graph list pages") {
				t.Errorf("error %q does not say which formats are expected", msg)
			}
		})
	}
}

func TestLoadFileNamesAMissingFile(t *testing.T) {
	_, err := LoadFile(filepath.Join("testdata", "no-such-file.json"))
	if err == nil || !strings.Contains(err.Error(), "no-such-file.json") {
		t.Errorf("got %v, want an error naming the file", err)
	}
}

func TestLoadReadsUTF16FromWindowsPowerShell(t *testing.T) {
	text := readFixture(t, "pwsh-serviceprincipal-single.json")
	want, err := Load(strings.NewReader(text), "utf8.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, bigEndian := range []bool{false, true} {
		var buf bytes.Buffer
		if bigEndian {
			buf.Write([]byte{0xFE, 0xFF})
		} else {
			buf.Write([]byte{0xFF, 0xFE})
		}
		for _, u := range utf16.Encode([]rune(text)) {
			if bigEndian {
				buf.Write([]byte{byte(u >> 8), byte(u)})
			} else {
				buf.Write([]byte{byte(u), byte(u >> 8)})
			}
		}
		got, err := Load(&buf, "utf16.json")
		if err != nil {
			t.Fatalf("big endian %v: %v", bigEndian, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("big endian %v: UTF-16 file loaded differently from UTF-8", bigEndian)
		}
	}
	bom := append([]byte{0xEF, 0xBB, 0xBF}, text...)
	if got, err := Load(bytes.NewReader(bom), "bom.json"); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("UTF-8 with BOM: %v", err)
	}
}

func TestLoadNeverKeepsSecretValues(t *testing.T) {
	const (
		secretText   = "placeholder-secret-text-must-vanish"
		symmetricKey = "cGxhY2Vob2xkZXIta2V5LW11c3QtdmFuaXNo"
	)
	files := map[string]string{
		"own.json":  readFixture(t, "credwatch-snapshot.json"),
		"az.json":   `[{"id":"a1","appId":"b1","signInAudience":"AzureADMyOrg","passwordCredentials":[{"keyId":"k","secretText":"` + secretText + `"}],"keyCredentials":[{"keyId":"s","type":"Symmetric","key":"` + symmetricKey + `"}]}]`,
		"pwsh.json": `{"Id":"a1","AppId":"b1","SignInAudience":"AzureADMyOrg","PasswordCredentials":[{"KeyId":"k","SecretText":"` + secretText + `"}],"KeyCredentials":[{"KeyId":"s","Type":"Symmetric","Key":"` + symmetricKey + `"}],"AdditionalProperties":{"secretText":"` + secretText + `"}}`,
		"page.json": `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#applications","value":[{"id":"a1","appId":"b1","passwordCredentials":[{"keyId":"k","secretText":"` + secretText + `"}],"keyCredentials":[{"keyId":"p","type":"X509CertAndPassword","usage":"Sign","key":"` + symmetricKey + `"}]}]}`,
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			s, err := Load(strings.NewReader(content), name)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteSnapshot(&buf, s); err != nil {
				t.Fatal(err)
			}
			if out := buf.String(); strings.Contains(out, secretText) || strings.Contains(out, symmetricKey) {
				t.Errorf("a secret value survived loading:\n%s", out)
			}
		})
	}
}

func TestLoadTakesPowerShellShapes(t *testing.T) {
	s, err := LoadFile(filepath.Join("testdata", "pwsh-applications.json"))
	if err != nil {
		t.Fatal(err)
	}
	app := s.Applications[0]
	if app.ID != "e8f9a0b1-c2d3-4e4f-9a5b-6c7d8e9f0a1b" || app.DisplayName != "intranet-portal" {
		t.Fatalf("PascalCase keys not read: %+v", app)
	}
	// The byte array is now Graph's base64.
	if cki := app.KeyCredentials[0].CustomKeyIdentifier; cki == nil || *cki != "Nv0HoqFsj3zI+KMDapBpuvDOiGM=" {
		t.Errorf("customKeyIdentifier = %v, want the byte array as base64", cki)
	}
	// Owner details live in AdditionalProperties.
	if o := app.Owners[0]; o.ODataType != "#microsoft.graph.user" || o.UserPrincipalName != "grace@fabrikam.onmicrosoft.com" {
		t.Errorf("owner = %+v, want its AdditionalProperties lifted", o)
	}
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

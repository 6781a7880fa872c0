package keyvault

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// Key Vault's limits on what a secret carries.
const (
	maxSecretValue = 25 * 1024
	maxTags        = 15
	maxTagKey      = 512
	maxTagValue    = 256
)

// secretItemJSON is a listing entry: the secret's id without a version and
// the current version's metadata, never the value.
type secretItemJSON struct {
	ID          string            `json:"id"`
	ContentType string            `json:"contentType,omitempty"`
	Attributes  attributes        `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
	Managed     bool              `json:"managed,omitempty"`
}

type secretBundleJSON struct {
	Value       string            `json:"value"`
	ID          string            `json:"id"`
	ContentType string            `json:"contentType,omitempty"`
	Attributes  attributes        `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
	Kid         string            `json:"kid,omitempty"`
	Managed     bool              `json:"managed,omitempty"`
}

func (v *vault) secretID(name, version string) string {
	id := v.url + "/secrets/" + name
	if version != "" {
		id += "/" + version
	}
	return id
}

func (v *vault) secretBundle(it *secretItem, sv *secretVersion) secretBundleJSON {
	b := secretBundleJSON{Value: sv.value, ID: v.secretID(it.name, sv.version), ContentType: sv.contentType,
		Attributes: v.attributes(sv.enabled, sv.nbf, sv.exp, sv.created, sv.updated), Tags: sv.tags, Managed: sv.managed}
	if sv.managed {
		b.Kid = v.url + "/keys/" + it.name + "/" + sv.version
	}
	return b
}

// setSecret stores a new version. The value is kept in memory only and
// never appears in a log or an error.
func (s *Server) setSecret(w http.ResponseWriter, v *vault, name string, body []byte) *kvError {
	var in struct {
		Value       *string           `json:"value"`
		ContentType string            `json:"contentType"`
		Tags        map[string]string `json:"tags"`
		Attributes  *struct {
			Enabled *bool  `json:"enabled"`
			NBF     *int64 `json:"nbf"`
			Exp     *int64 `json:"exp"`
		} `json:"attributes"`
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badParameter("The request body is missing.")
	}
	if err := json.Unmarshal(body, &in); err != nil {
		// The decoder's message could quote the body: say only where.
		return badParameter("The request body is not valid JSON for a secret.")
	}
	if in.Value == nil {
		return badParameter("Property 'value' is required.")
	}
	if len(*in.Value) > maxSecretValue {
		return badParameter("The secret value exceeds the maximum size of %d bytes.", maxSecretValue)
	}
	if e := checkTags(in.Tags); e != nil {
		return e
	}
	if it := v.certs[strings.ToLower(name)]; it != nil {
		return &kvError{http.StatusConflict, "Conflict", "", "Secret " + name + " is managed by the certificate of the same name and cannot be set directly."}
	}
	now := s.now().UTC()
	sv := &secretVersion{value: *in.Value, contentType: in.ContentType, tags: cloneTags(in.Tags), enabled: true,
		created: now, updated: now}
	if a := in.Attributes; a != nil {
		if a.Enabled != nil {
			sv.enabled = *a.Enabled
		}
		sv.nbf, sv.exp = fromEpoch(a.NBF), fromEpoch(a.Exp)
		if !sv.nbf.IsZero() && !sv.exp.IsZero() && !sv.exp.After(sv.nbf) {
			return badParameter("The 'exp' attribute must be after 'nbf'.")
		}
	}
	v.addSecretVersion(name, sv)
	it := v.secrets[strings.ToLower(name)]
	s.log.Info("secret version set", "vault", v.cfg.Name, "secret", it.name, "version", sv.version)
	writeJSON(w, http.StatusOK, v.secretBundle(it, sv))
	return nil
}

func checkTags(tags map[string]string) *kvError {
	if len(tags) > maxTags {
		return badParameter("At most %d tags are allowed, got %d.", maxTags, len(tags))
	}
	for k, val := range tags {
		if k == "" || utf8.RuneCountInString(k) > maxTagKey || utf8.RuneCountInString(val) > maxTagValue {
			return badParameter("Tag %q: names are 1-%d characters, values at most %d.", truncate(k, 40), maxTagKey, maxTagValue)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func secretNotFound(name, version string) *kvError {
	msg := "A secret with (name/id) " + name + " was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
	if version != "" {
		msg = "A secret with (name/id) " + name + "/" + version + " was not found in this key vault. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
	}
	return &kvError{http.StatusNotFound, "SecretNotFound", "", msg}
}

func (s *Server) getSecret(w http.ResponseWriter, v *vault, name, version string) *kvError {
	it := v.secrets[strings.ToLower(name)]
	if it == nil {
		return secretNotFound(name, version)
	}
	sv := it.versions[len(it.versions)-1]
	if version != "" {
		i := slices.IndexFunc(it.versions, func(x *secretVersion) bool { return strings.EqualFold(x.version, version) })
		if i < 0 {
			return secretNotFound(name, version)
		}
		sv = it.versions[i]
	}
	if !sv.enabled {
		return &kvError{http.StatusForbidden, "Forbidden", "SecretDisabled", "Operation get is not allowed on a disabled secret."}
	}
	writeJSON(w, http.StatusOK, v.secretBundle(it, sv))
	return nil
}

type listJSON[T any] struct {
	Value    []T     `json:"value"`
	NextLink *string `json:"nextLink"`
}

func newList[T any](items []T, next string) listJSON[T] {
	l := listJSON[T]{Value: items}
	if l.Value == nil {
		l.Value = []T{}
	}
	if next != "" {
		l.NextLink = &next
	}
	return l
}

// sortedKeys lists a map's keys in order, so listings are stable.
func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request, v *vault) *kvError {
	var items []secretItemJSON
	for _, k := range sortedKeys(v.secrets) {
		it := v.secrets[k]
		sv := it.versions[len(it.versions)-1]
		items = append(items, secretItemJSON{ID: v.secretID(it.name, ""), ContentType: sv.contentType,
			Attributes: v.attributes(sv.enabled, sv.nbf, sv.exp, sv.created, sv.updated), Tags: sv.tags, Managed: sv.managed})
	}
	shown, next, e := page(r, v, items)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, newList(shown, next))
	return nil
}

func (s *Server) listSecretVersions(w http.ResponseWriter, r *http.Request, v *vault, name string) *kvError {
	it := v.secrets[strings.ToLower(name)]
	if it == nil {
		return secretNotFound(name, "")
	}
	items := make([]secretItemJSON, 0, len(it.versions))
	for _, sv := range it.versions {
		items = append(items, secretItemJSON{ID: v.secretID(it.name, sv.version), ContentType: sv.contentType,
			Attributes: v.attributes(sv.enabled, sv.nbf, sv.exp, sv.created, sv.updated), Tags: sv.tags, Managed: sv.managed})
	}
	shown, next, e := page(r, v, items)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, newList(shown, next))
	return nil
}

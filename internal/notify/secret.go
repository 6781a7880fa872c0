package notify

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
)

// ErrSecretUnavailable wraps every failure to read a channel's URL, key or
// password from its environment variable or file.
var ErrSecretUnavailable = errors.New("secret unavailable")

// secretRef says where one secret is: an environment variable or a file.
type secretRef struct {
	what string // "url" or "secret", for messages
	env  string
	file string
}

func (r secretRef) set() bool { return r.env != "" || r.file != "" }

func (r secretRef) String() string {
	if r.env != "" {
		return "environment variable " + r.env
	}
	return "file " + r.file
}

// resolve reads the secret. Errors name where it was looked for, never a
// value; every value read is registered with the redactor before use.
func (n *Notifier) resolve(r secretRef) (string, error) {
	var v string
	switch {
	case r.env != "":
		v = n.getenv(r.env)
	case r.file != "":
		b, err := os.ReadFile(r.file)
		if err != nil {
			// The path is already in the message: keep only the cause.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("%w: read %s: %w", ErrSecretUnavailable, r, err)
		}
		v = string(b)
	default:
		return "", fmt.Errorf("%w: no %sEnv or %sFile configured", ErrSecretUnavailable, r.what, r.what)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("%w: %s is empty or unset", ErrSecretUnavailable, r)
	}
	n.red.add(v)
	return v, nil
}

// resolveURL reads a webhook URL and checks it is an https URL, without
// ever putting it in an error.
func (n *Notifier) resolveURL(r secretRef) (string, error) {
	v, err := n.resolve(r)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%w: the value of %s is not an https URL", ErrSecretUnavailable, r)
	}
	// The path and query carry the token; redact them, and each longer
	// piece of them, on their own too, in case a server or proxy echoes
	// one back in an error. Short pieces ("hooks", "1") are left readable.
	parts := []string{u.EscapedPath(), u.Path, u.RawQuery}
	parts = append(parts, strings.Split(u.Path, "/")...)
	for _, vs := range u.Query() {
		parts = append(parts, vs...)
	}
	for _, p := range parts {
		if len(p) >= minRedactLen {
			n.red.add(p)
		}
	}
	if u.User != nil {
		n.red.add(u.User.String())
	}
	return u.String(), nil
}

// minRedactLen is the shortest URL piece redacted on its own.
const minRedactLen = 8

// redactor replaces every secret value the notifier has read with
// [REDACTED] in text bound for logs, errors and the store.
type redactor struct {
	mu   sync.RWMutex
	vals []string
}

func (r *redactor) add(v string) {
	if v == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.vals {
		if x == v {
			return
		}
	}
	r.vals = append(r.vals, v)
	// Longest first, so a URL is replaced whole before its path is.
	for i := len(r.vals) - 1; i > 0 && len(r.vals[i]) > len(r.vals[i-1]); i-- {
		r.vals[i], r.vals[i-1] = r.vals[i-1], r.vals[i]
	}
}

func (r *redactor) scrub(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.vals {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "[REDACTED]")
		}
	}
	return s
}

// scrubErr returns err with any secret removed from its text; the chain is
// dropped (a wrapped error could print the secret) except for the
// sentinels callers branch on.
func (r *redactor) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.scrub(err.Error()), secret: errors.Is(err, ErrSecretUnavailable)}
}

type redactedError struct {
	msg    string
	secret bool
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Is(target error) bool { return e.secret && target == ErrSecretUnavailable }

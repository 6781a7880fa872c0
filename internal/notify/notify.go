package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/store"
	"github.com/credwatch/credwatch/internal/wait"
)

// Options are a Notifier's collaborators and limits; zero fields take the
// defaults noted.
type Options struct {
	HTTPClient *http.Client        // http.DefaultClient's transport; redirects are never followed
	Logger     *slog.Logger        // discards
	Now        func() time.Time    // time.Now
	Getenv     func(string) string // os.Getenv; where urlEnv and secretEnv are looked up
	// Sleep waits between retries; tests make it return at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// RequestTimeout bounds one HTTP request or SMTP session (15 s).
	RequestTimeout time.Duration
	// ChannelTimeout bounds everything one channel does in one Notify call,
	// retries included (2 min), so a hanging channel cannot hold up the run.
	ChannelTimeout time.Duration
	// MaxAttempts is how often one message is tried (4).
	MaxAttempts int
	// MaxRetryWait is the longest Retry-After honoured (60 s); a longer
	// one fails the message, which the next run retries.
	MaxRetryWait time.Duration
}

// recordTimeout bounds writing delivery state, which happens even when the
// run's context has ended: a message that went out must be recorded.
const recordTimeout = 10 * time.Second

// Notifier routes findings to channels and keeps each reminder to one
// delivery. It is safe for concurrent use, but two Notify calls for the
// same tenant at once may both send a reminder.
type Notifier struct {
	cfg      *Config
	st       StateStore
	opts     Options
	log      *slog.Logger
	client   *http.Client
	red      *redactor
	routes   []route
	sched    schedule
	channels map[string]*channel
}

type channel struct {
	cfg      *ChannelConfig
	maxItems int // a digest is split into messages of at most this many findings; 0: no limit
	send     func(context.Context, *Message) error
}

// New checks the configuration and builds a Notifier. Secrets are read
// when a message is sent (so a rotated file is picked up); Check reads
// them all up front. A nil store keeps state in memory only.
func New(cfg *Config, st StateStore, opts Options) (*Notifier, error) {
	if cfg == nil {
		return nil, errors.New("notify: no configuration")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := *cfg
	c.Channels = slices.Clone(cfg.Channels)
	n := &Notifier{cfg: &c, st: st, red: &redactor{}, sched: newSchedule(c.reminders()),
		channels: map[string]*channel{}}
	if n.st == nil {
		n.st = newMemState()
	}
	n.opts = withDefaults(opts)
	n.log = n.opts.Logger
	client := http.DefaultClient
	if opts.HTTPClient != nil {
		client = opts.HTTPClient
	} else if c.CAFile != "" {
		hc, err := clientTrusting(c.CAFile)
		if err != nil {
			return nil, err
		}
		client = hc
	}
	cl := *client
	cl.CheckRedirect = noRedirects
	n.client = &cl
	routes, err := compileRoutes(c.Routes)
	if err != nil {
		return nil, err
	}
	n.routes = routes
	for i := range c.Channels {
		ch := &c.Channels[i]
		switch ch.Type {
		case TypeTeams:
			n.channels[ch.Name] = &channel{cfg: ch, maxItems: teamsMaxItems, send: n.teamsSend(ch)}
		case TypeSlack:
			n.channels[ch.Name] = &channel{cfg: ch, maxItems: slackMaxItems, send: n.slackSend(ch)}
		case TypeWebhook:
			n.channels[ch.Name] = &channel{cfg: ch, maxItems: webhookMaxItems, send: n.webhookSend(ch)}
		case TypeEmail:
			n.channels[ch.Name] = &channel{cfg: ch, send: n.emailSend(ch)}
		}
	}
	return n, nil
}

func withDefaults(o Options) Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Sleep == nil {
		o.Sleep = wait.Sleep
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 15 * time.Second
	}
	if o.ChannelTimeout <= 0 {
		o.ChannelTimeout = 2 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = time.Minute
	}
	return o
}

func (n *Notifier) getenv(k string) string { return n.opts.Getenv(k) }

// Check reads every channel's secrets and CA file, returning each
// problem; for startup and readiness checks. It sends nothing.
func (n *Notifier) Check() error {
	var errs []error
	for i := range n.cfg.Channels {
		ch := &n.cfg.Channels[i]
		var err error
		switch ch.Type {
		case TypeTeams, TypeSlack, TypeWebhook:
			_, err = n.resolveURL(secretRef{"url", ch.URLEnv, ch.URLFile})
		}
		if ref := (secretRef{"secret", ch.SecretEnv, ch.SecretFile}); err == nil && ref.set() {
			_, err = n.resolve(ref)
		}
		if err == nil && ch.Type == TypeEmail && ch.SMTP.CAFile != "" {
			_, err = n.smtpClient(ch.SMTP, "")
		}
		if err != nil {
			errs = append(errs, &ChannelError{Channel: ch.Name, Err: n.red.scrubErr(err)})
		}
	}
	return errors.Join(errs...)
}

// job is one channel's (or the owners') share of a Notify call.
type job struct {
	rep  ChannelReport
	errs []error // the failures behind rep.Errors
	run  func(ctx context.Context, j *job)
}

// Notify sends the findings that are due to the channels their routes
// name and, when enabled, to their apps' owners. It records each delivery
// as it happens and returns what it did; the error joins every channel's
// failure (*ChannelError) and any state problem. Delivery failures never
// stop other channels: each runs on its own, within ChannelTimeout (each
// owner's email within its own).
func (n *Notifier) Notify(ctx context.Context, tenant *inventory.Tenant, findings []policy.Finding) (Report, error) {
	if tenant == nil {
		return Report{}, errors.New("notify: no tenant")
	}
	now := n.opts.Now()
	ix := newTenantIndex(tenant)
	rep := Report{Findings: len(findings)}
	perChannel := map[string][]Item{}
	perOwner := map[string][]Item{}
	seen := map[string]bool{}
	var ids []string
	for _, f := range findings {
		if f.Suppressed {
			rep.Suppressed++
			continue
		}
		if f.ID == "" || seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		chans := channelsFor(n.routes, &f, ix.tags(&f))
		owners := n.ownerAddresses(ix, &f)
		if len(chans) == 0 && len(owners) == 0 {
			continue
		}
		it := ix.item(f, n.sched.due(&f, now), now)
		ids = append(ids, f.ID)
		for _, c := range chans {
			perChannel[c] = append(perChannel[c], it)
		}
		for _, a := range owners {
			perOwner[a] = append(perOwner[a], it)
		}
	}
	if len(ids) == 0 {
		return rep, nil
	}
	keys, err := n.st.SentNotifications(ctx, ids)
	if err != nil {
		// Without the state every reminder would go out again: send none.
		return rep, fmt.Errorf("read notification state: %w", err)
	}
	sent := make(map[store.NotificationKey]bool, len(keys))
	for _, k := range keys {
		sent[k] = true
	}
	pending := func(items []Item, key string) (due []Item) {
		for _, it := range items {
			if !sent[store.NotificationKey{FindingID: it.ID, Threshold: it.Reminder, Channel: key}] {
				due = append(due, it)
			}
		}
		return due
	}

	var jobs []*job
	for i := range n.cfg.Channels {
		ch := n.channels[n.cfg.Channels[i].Name]
		items := perChannel[ch.cfg.Name]
		if len(items) == 0 {
			continue
		}
		due := pending(items, ch.cfg.Name)
		j := &job{rep: ChannelReport{Channel: ch.cfg.Name, Type: ch.cfg.Type, Skipped: len(items) - len(due)}}
		if len(due) > 0 {
			j.run = func(ctx context.Context, j *job) { n.runChannel(ctx, tenant.ID, ch, due, now, j) }
		}
		jobs = append(jobs, j)
	}
	if len(perOwner) > 0 {
		ch := n.channels[n.cfg.OwnerEmail.Channel]
		j := &job{rep: ChannelReport{Channel: ch.cfg.Name, Type: ch.cfg.Type, Owners: true}}
		var work []ownerWork
		for _, addr := range sortedKeys(perOwner) {
			items := perOwner[addr]
			due := pending(items, ownerKey(addr))
			j.rep.Skipped += len(items) - len(due)
			if len(due) > 0 {
				work = append(work, ownerWork{addr, due})
			}
		}
		if len(work) > 0 {
			j.run = func(ctx context.Context, j *job) { n.runOwners(ctx, tenant.ID, ch, work, now, j) }
		}
		jobs = append(jobs, j)
	}

	var wg sync.WaitGroup
	for _, j := range jobs {
		if j.run == nil {
			continue
		}
		wg.Go(func() { j.run(ctx, j) })
	}
	wg.Wait()

	var errs []error
	for _, j := range jobs {
		rep.Channels = append(rep.Channels, j.rep)
		for _, e := range j.errs {
			errs = append(errs, &ChannelError{Channel: j.rep.Channel, Owners: j.rep.Owners, Err: e})
		}
	}
	return rep, errors.Join(errs...)
}

// runChannel delivers a channel's due findings: one message per digest
// chunk, or one per finding. After a failed message the rest are not
// tried (the channel is likely down) but recorded as failed, so the next
// run retries them all.
func (n *Notifier) runChannel(ctx context.Context, tenant string, ch *channel, items []Item, now time.Time, j *job) {
	ctx, cancel := context.WithTimeout(ctx, n.opts.ChannelTimeout)
	defer cancel()
	var broken error
	for _, m := range n.messages(tenant, items, ch.maxItems, now) {
		err := broken
		if err == nil {
			err = n.red.scrubErr(ch.send(ctx, m))
			if err != nil {
				broken = fmt.Errorf("not tried after an earlier failure: %w", err)
			}
		}
		n.account(ctx, tenant, ch.cfg.Name, m.Items, err, j)
	}
	n.logResult(&j.rep)
}

// account records one message's outcome in the store and the report;
// key is the state channel.
func (n *Notifier) account(ctx context.Context, tenant, key string, items []Item, err error, j *job) {
	r := &j.rep
	if err != nil {
		r.Failed += len(items)
		// One line per distinct failure, not per message.
		if len(r.Errors) == 0 || r.Errors[len(r.Errors)-1] != err.Error() {
			r.Errors = append(r.Errors, err.Error())
			j.errs = append(j.errs, err)
		}
	} else {
		r.Sent += len(items)
		r.Messages++
	}
	if rerr := n.record(ctx, tenant, key, items, err); rerr != nil {
		rerr = fmt.Errorf("record notification state: %w", n.red.scrubErr(rerr))
		n.log.Error("notification state not recorded", "channel", r.Channel, "error", rerr.Error())
		r.Errors = append(r.Errors, rerr.Error())
		j.errs = append(j.errs, rerr)
	}
}

func (n *Notifier) record(ctx context.Context, tenant, key string, items []Item, sendErr error) error {
	at := n.opts.Now()
	status, text := store.NotificationSent, ""
	if sendErr != nil {
		status, text = store.NotificationFailed, sendErr.Error()
	}
	attempts := make([]store.NotificationAttempt, len(items))
	for i, it := range items {
		attempts[i] = store.NotificationAttempt{
			NotificationKey: store.NotificationKey{FindingID: it.ID, Threshold: it.Reminder, Channel: key},
			TenantID:        tenant, Status: status, At: at, Error: text,
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	return n.st.RecordNotifications(ctx, attempts)
}

func (n *Notifier) logResult(r *ChannelReport) {
	attrs := []any{"channel", r.Channel, "type", r.Type, "sent", r.Sent, "messages", r.Messages,
		"skipped", r.Skipped, "failed", r.Failed}
	if r.Owners {
		attrs = append(attrs, "owners", true)
	}
	if r.Failed > 0 || len(r.Errors) > 0 {
		n.log.Warn("notification delivery failed", append(attrs, "error", strings.Join(r.Errors, "; "))...)
		return
	}
	n.log.Info("notifications delivered", attrs...)
}

// messages groups items into messages: in digest mode chunks of at most
// maxItems (0: all in one), otherwise one per finding.
func (n *Notifier) messages(tenant string, items []Item, maxItems int, now time.Time) []*Message {
	items = slices.Clone(items)
	sortItems(items)
	var groups [][]Item
	switch {
	case !n.cfg.Digest:
		for i := range items {
			groups = append(groups, items[i:i+1])
		}
	case maxItems <= 0:
		groups = [][]Item{items}
	default:
		groups = slices.Collect(slices.Chunk(items, maxItems))
	}
	out := make([]*Message, len(groups))
	for i, g := range groups {
		m := &Message{Tenant: tenant, GeneratedAt: now, Items: g, Part: 1, Parts: 1}
		if n.cfg.Digest {
			m.Part, m.Parts = i+1, len(groups)
		}
		out[i] = m
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// clientTrusting is an HTTP client that trusts the system's roots and the
// CA certificates in the PEM file at path.
func clientTrusting(path string) (*http.Client, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notifications.caFile: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("notifications.caFile %s: no PEM certificate in it", path)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}, nil
}

package cli

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/report"
	"github.com/credwatch/credwatch/internal/store"
)

func newHistoryCmd(e *env) *cobra.Command {
	var sf storeFlags
	var tenant, since, format string
	var limit int
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List stored scans, newest first",
		Example: `  credwatch history
  credwatch history --tenant 72f9... --since 2026-11-01
  credwatch history --store postgres://credwatch@db/credwatch --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(report.DiffFormats(), format) {
				return usagef("--format %q: want table or json", format)
			}
			var sinceT time.Time
			if since != "" {
				t, err := inventory.ParseTime(since)
				if err != nil {
					if t, err = time.Parse(time.DateOnly, since); err != nil {
						return usagef("--since %q: want a date (2026-11-01) or a timestamp", since)
					}
				}
				sinceT = t
			}
			st, err := sf.open(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer st.Close()
			scans, err := st.Scans(cmd.Context(), store.Filter{TenantID: tenant, Since: sinceT, Limit: limit})
			if err != nil {
				return fmt.Errorf("list scans: %w", err)
			}
			return report.WriteHistory(e.stdout, format, scans)
		},
	}
	sf.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&tenant, "tenant", "", "only scans of tenant `ID`")
	cmd.Flags().StringVar(&since, "since", "", "only scans at or after `DATE`")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most `N` scans (0 = all)")
	cmd.Flags().StringVar(&format, "format", "table", "output `FORMAT`: table or json")
	return cmd
}

func newDiffCmd(e *env) *cobra.Command {
	var sf storeFlags
	var tenant, format string
	cmd := &cobra.Command{
		Use:   "diff [SCAN_A SCAN_B]",
		Short: "Show what changed between two complete scans (default: the last two)",
		Example: `  credwatch diff
  credwatch diff 12 15
  credwatch diff --tenant 72f9... --format json`,
		Args: usageArgs(func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 && len(args) != 2 {
				return fmt.Errorf("diff takes no scan ids or two, got %d", len(args))
			}
			return nil
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(report.DiffFormats(), format) {
				return usagef("--format %q: want table or json", format)
			}
			ctx := cmd.Context()
			st, err := sf.open(ctx, e)
			if err != nil {
				return err
			}
			defer st.Close()
			var a, b int64
			if len(args) == 2 {
				if a, err = strconv.ParseInt(args[0], 10, 64); err != nil {
					return usagef("scan id %q: want a number from credwatch history", args[0])
				}
				if b, err = strconv.ParseInt(args[1], 10, 64); err != nil {
					return usagef("scan id %q: want a number from credwatch history", args[1])
				}
			} else {
				if tenant == "" {
					t, err := onlyTenant(cmd, st)
					if err != nil {
						return err
					}
					tenant = t
				}
				last, err := st.LatestComplete(ctx, tenant, 0)
				if err != nil {
					return fmt.Errorf("find latest scan: %w", err)
				}
				if last == nil {
					return usagef("no complete scan of tenant %s in the store", tenant)
				}
				prev, err := st.LatestComplete(ctx, tenant, last.ID)
				if err != nil {
					return fmt.Errorf("find previous scan: %w", err)
				}
				if prev == nil {
					return usagef("only one complete scan of tenant %s in the store; scan again to compare", tenant)
				}
				a, b = prev.ID, last.ID
			}
			from, err := loadScan(cmd, st, a)
			if err != nil {
				return err
			}
			to, err := loadScan(cmd, st, b)
			if err != nil {
				return err
			}
			d, err := store.Compare(from, to)
			if err != nil {
				return usageError{err}
			}
			return report.WriteDiff(e.stdout, format, d)
		},
	}
	sf.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&tenant, "tenant", "", "compare the last two scans of tenant `ID` (needed when the store holds several tenants)")
	cmd.Flags().StringVar(&format, "format", "table", "output `FORMAT`: table or json")
	return cmd
}

func loadScan(cmd *cobra.Command, st *store.Store, id int64) (*store.Record, error) {
	r, err := st.Load(cmd.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, usagef("no scan %d in the store; credwatch history lists them", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load scan %d: %w", id, err)
	}
	return r, nil
}

// onlyTenant is the tenant of the stored scans when there is exactly one.
func onlyTenant(cmd *cobra.Command, st *store.Store) (string, error) {
	scans, err := st.Scans(cmd.Context(), store.Filter{})
	if err != nil {
		return "", fmt.Errorf("list scans: %w", err)
	}
	seen := map[string]bool{}
	for _, s := range scans {
		seen[s.TenantID] = true
	}
	switch len(seen) {
	case 0:
		return "", usagef("the store holds no scans yet")
	case 1:
		for t := range seen {
			return t, nil
		}
	}
	return "", usagef("the store holds scans of %d tenants; name one with --tenant", len(seen))
}

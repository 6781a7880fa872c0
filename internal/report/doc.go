// Package report renders a scan (an inventory plus its findings) in every
// output format credwatch offers: a terminal table, versioned JSON, CSV,
// SARIF for code-scanning dashboards, Markdown and a self-contained HTML
// page. It also renders the plain credential inventory.
//
// Every string that comes from a tenant (display names, descriptions,
// hints, even ids read from a snapshot) is attacker-chosen, so each format
// neutralises what is dangerous in its medium: terminal control sequences
// in the table, formula prefixes in CSV, markup and links in Markdown,
// markup and script in HTML. The renderers never see a secret value: the
// inventory model holds only hints and key ids.
package report

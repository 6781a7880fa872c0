package graph

import "strings"

// BetaURL is the absolute URL of path ("/auditLogs/signIns?...") on the
// Graph beta endpoint of the client's host: the version root's trailing
// /v1.0 (or whatever version segment it ends in) replaced by /beta. Some
// data, such as service principal sign-ins and credential usage reports,
// exists only in beta; ListPages and Get accept the result because it stays
// on the Graph origin.
func (c *Client) BetaURL(path string) string {
	root := c.base.Scheme + "://" + c.base.Host
	p := strings.TrimRight(c.base.EscapedPath(), "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[:i]
	}
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return root + p + "/beta" + path
}

package msgraph

import (
	"encoding/json"
	"strings"
)

// ErrorResponse is Graph's error envelope: {"error":{...}}.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the inside of the envelope.
type ErrorBody struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError InnerError `json:"innerError"`
}

// InnerError carries the request ids support asks for. Graph documents
// "innererror" but sends "innerError"; UnmarshalJSON in ErrorBody accepts
// both.
type InnerError struct {
	Date            string `json:"date,omitempty"`
	RequestID       string `json:"request-id,omitempty"`
	ClientRequestID string `json:"client-request-id,omitempty"`
}

// UnmarshalJSON decodes the body, taking innerError in any letter case.
func (b *ErrorBody) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	for k, v := range raw {
		var dst any
		switch strings.ToLower(k) {
		case "code":
			dst = &b.Code
		case "message":
			dst = &b.Message
		case "innererror":
			dst = &b.InnerError
		default:
			continue
		}
		if string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return err
		}
	}
	return nil
}

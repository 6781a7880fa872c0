package msgraph

import (
	"encoding/json"
	"testing"
)

func TestErrorEnvelopeInnerErrorAnyCase(t *testing.T) {
	tests := []struct {
		name, body, wantReq string
	}{
		{"camel case as sent", `{"error":{"code":"Request_ResourceNotFound","message":"m","innerError":{"request-id":"r1"}}}`, "r1"},
		{"lower case as documented", `{"error":{"code":"Request_ResourceNotFound","message":"m","innererror":{"request-id":"r2"}}}`, "r2"},
		{"inner error absent", `{"error":{"code":"Request_ResourceNotFound","message":"m"}}`, ""},
		{"inner error null", `{"error":{"code":"Request_ResourceNotFound","message":"m","innerError":null}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e ErrorResponse
			if err := json.Unmarshal([]byte(tt.body), &e); err != nil {
				t.Fatal(err)
			}
			if e.Error.Code != "Request_ResourceNotFound" || e.Error.InnerError.RequestID != tt.wantReq {
				t.Errorf("got %+v, want code Request_ResourceNotFound and request-id %q", e.Error, tt.wantReq)
			}
		})
	}
}

package members

import (
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWebhookSenderSigns(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		want := "sha256=" + Sign("s3cret", r.Header.Get("X-Canyu-Timestamp"), body)
		if !hmac.Equal([]byte(r.Header.Get("X-Canyu-Signature")), []byte(want)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		json.Unmarshal(body, &got)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	now := func() time.Time { return time.Unix(1700000000, 0) }

	ok := WebhookSender{URL: srv.URL, Secret: "s3cret", Client: srv.Client(), Now: now}
	if err := ok.Send(t.Context(), "+8613800138000", "code 123456"); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	if got["to"] != "+8613800138000" || got["text"] != "code 123456" {
		t.Errorf("gateway got %v", got)
	}
	bad := WebhookSender{URL: srv.URL, Secret: "wrong", Client: srv.Client(), Now: now}
	if err := bad.Send(t.Context(), "+8613800138000", "x"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Send() with a wrong secret = %v, want the gateway's 401", err)
	}
}

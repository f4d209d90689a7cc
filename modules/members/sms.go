package members

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// SMSSender delivers a text message to a phone number (E.164).
type SMSSender interface {
	Send(ctx context.Context, phone, text string) error
}

// LogSender writes messages to the log instead of sending them: for
// development and for a first look at Canyu.
type LogSender struct {
	Logger *slog.Logger
}

// Send logs the message.
func (s LogSender) Send(_ context.Context, phone, text string) error {
	s.Logger.Info("sms (log driver, not sent)", "to", phone, "text", text)
	return nil
}

// WebhookSender posts each message as JSON to a gateway URL. The request
// carries X-Canyu-Timestamp and X-Canyu-Signature: "sha256=" + hex of
// HMAC-SHA256(secret, timestamp + "." + body).
type WebhookSender struct {
	URL    string
	Secret string
	Client *http.Client
	Now    func() time.Time
}

// Send posts the message; any answer but 2xx is an error.
func (s WebhookSender) Send(ctx context.Context, phone, text string) error {
	body, err := json.Marshal(map[string]string{"to": phone, "text": text})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("members: sms webhook: %w", err)
	}
	ts := strconv.FormatInt(s.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Canyu-Timestamp", ts)
	req.Header.Set("X-Canyu-Signature", "sha256="+Sign(s.Secret, ts, body))
	res, err := s.Client.Do(req)
	if err != nil {
		return fmt.Errorf("members: sms webhook: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("members: sms webhook: gateway answered %s", res.Status)
	}
	return nil
}

// Sign returns the hex HMAC-SHA256 of timestamp + "." + body under secret.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

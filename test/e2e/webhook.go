package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Notification is one webhook POST from Alertmanager with its receive time.
type Notification struct {
	// Received is when the webhook got the POST.
	Received time.Time `json:"received"`
	// Status is "firing" or "resolved" for the whole group.
	Status string `json:"status"`
	// Alerts are the group's alerts.
	Alerts []Alert `json:"alerts"`
}

// Alert is an alert of a notification (Alertmanager webhook payload, v4).
type Alert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
}

// Webhook is the receiver Alertmanager posts to. It records every
// notification and serves them back as JSON on GET, so a scenario run in
// another process (cmd/scenario) reads the same record.
type Webhook struct {
	// URL is where Alertmanager posts; GET on it lists the notifications.
	URL    string
	server *http.Server

	mu            sync.Mutex
	notifications []Notification
	onNotify      func(Notification)
}

// StartWebhook serves a webhook on a free 127.0.0.1 port until the test
// ends. onNotify, when not nil, is called with each notification.
func StartWebhook(t testing.TB, onNotify func(Notification)) *Webhook {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("webhook listen: %v", err)
	}
	w := &Webhook{URL: "http://" + l.Addr().String() + "/", onNotify: onNotify}
	w.server = &http.Server{Handler: w, ReadHeaderTimeout: 10 * time.Second}
	go w.server.Serve(l)
	t.Cleanup(func() { w.server.Close() })
	return w
}

// ServeHTTP records a POST and answers a GET with every notification so far.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		received := time.Now()
		var n Notification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		n.Received = received
		w.mu.Lock()
		w.notifications = append(w.notifications, n)
		onNotify := w.onNotify
		w.mu.Unlock()
		if onNotify != nil {
			onNotify(n)
		}
	case http.MethodGet:
		w.mu.Lock()
		data, err := json.Marshal(w.notifications)
		w.mu.Unlock()
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.Write(data)
	default:
		http.Error(rw, "POST or GET", http.StatusMethodNotAllowed)
	}
}

// FetchNotifications returns what the webhook at url recorded so far.
func FetchNotifications(url string) ([]Notification, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("webhook: GET %s: %s: %s", url, resp.Status, body)
	}
	var ns []Notification
	if err := json.Unmarshal(body, &ns); err != nil {
		return nil, fmt.Errorf("webhook: decode: %w", err)
	}
	return ns, nil
}

// String is the alert in one line: status, name, and the labels that place
// it (container_id, binary), for logs.
func (a Alert) String() string {
	return fmt.Sprintf("%s %s{container_id=%q, binary=%q}", a.Status, a.Labels["alertname"], a.Labels["container_id"], a.Labels["binary"])
}

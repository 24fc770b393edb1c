// Package metrics holds smp-relay's counters. The server updates them; the
// Prometheus handler and the gRPC admin API read them. No label carries a
// queue id, an address or any other per-user value.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of smp-relay metrics on its own registry.
type Metrics struct {
	Registry *prometheus.Registry

	Connections       prometheus.Gauge
	ConnectionsTotal  prometheus.Counter
	BlocksReceived    prometheus.Counter
	BlocksSent        prometheus.Counter
	ConnectionsDenied *prometheus.CounterVec // reason: limit, handshake, tls
	ClientsDropped    *prometheus.CounterVec // reason: slow, idle, protocol
	QueuesCreated     prometheus.Counter
	QueuesDeleted     prometheus.Counter
	QueuesSecured     prometheus.Counter
	MsgSent           prometheus.Counter
	MsgSentQuota      prometheus.Counter
	MsgDelivered      prometheus.Counter
	MsgAcked          prometheus.Counter
	MsgExpired        prometheus.Counter
	NtfSent           prometheus.Counter
	NtfDelivered      prometheus.Counter
	Subscriptions     prometheus.Gauge
	NtfSubscriptions  prometheus.Gauge
	Commands          *prometheus.CounterVec // command
	Errors            *prometheus.CounterVec // code
	CommandLatency    *prometheus.HistogramVec
	SendToDeliver     prometheus.Histogram
	ProxyRequests     *prometheus.CounterVec // command (prxy, pfwd), result (ok, error)
}

// New registers the metrics on a fresh registry (plus Go and process
// collectors).
func New() *Metrics {
	r := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "smp", Name: name, Help: help})
		f(c)
		return c
	}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "smp", Name: name, Help: help})
		f(g)
		return g
	}
	vec := func(name, help, label string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "smp", Name: name, Help: help}, []string{label})
		f(c)
		return c
	}
	m := &Metrics{
		Registry:          r,
		Connections:       gauge("connections", "Open client connections."),
		ConnectionsTotal:  counter("connections_total", "Accepted client connections."),
		BlocksReceived:    counter("blocks_received_total", "Transport blocks read from clients."),
		BlocksSent:        counter("blocks_sent_total", "Transport blocks written to clients."),
		ConnectionsDenied: vec("connections_denied_total", "Connections closed before serving, by reason.", "reason"),
		ClientsDropped:    vec("clients_dropped_total", "Connections closed by the server, by reason.", "reason"),
		QueuesCreated:     counter("queues_created_total", "Queues created."),
		QueuesDeleted:     counter("queues_deleted_total", "Queues deleted."),
		QueuesSecured:     counter("queues_secured_total", "Queues secured (KEY/SKEY)."),
		MsgSent:           counter("messages_sent_total", "Messages accepted (SEND answered OK)."),
		MsgSentQuota:      counter("messages_quota_total", "SENDs refused with QUOTA."),
		MsgDelivered:      counter("messages_delivered_total", "MSG deliveries."),
		MsgAcked:          counter("messages_acked_total", "Messages acknowledged."),
		MsgExpired:        counter("messages_expired_total", "Messages deleted by expiry."),
		NtfSent:           counter("notifications_total", "Notifications created."),
		NtfDelivered:      counter("notifications_delivered_total", "NMSG deliveries."),
		Subscriptions:     gauge("subscriptions", "Active recipient subscriptions."),
		NtfSubscriptions:  gauge("notifier_subscriptions", "Active notifier subscriptions."),
		Commands:          vec("commands_total", "Commands received, by command.", "command"),
		Errors:            vec("errors_total", "ERR responses, by error code.", "code"),
		CommandLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "smp", Name: "command_seconds", Help: "Time from reading a command to queueing its response.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16),
		}, []string{"command"}),
		SendToDeliver: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "smp", Name: "send_to_deliver_seconds", Help: "Time from SEND stored to MSG queued for an active subscriber.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16),
		}),
	}
	m.ProxyRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "smp", Name: "proxy_requests_total",
		Help: "Proxied commands (private routing: PRXY, PFWD) by result."}, []string{"command", "result"})
	f(m.ProxyRequests)
	f(m.CommandLatency)
	f(m.SendToDeliver)
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// Value reads a counter or gauge (for the admin API and tests).
func Value(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	var sum float64
	for m := range ch {
		sum += readMetric(m)
	}
	return sum
}

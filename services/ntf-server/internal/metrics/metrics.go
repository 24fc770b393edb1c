// Package metrics holds ntf-server's Prometheus metrics, on a registry of
// their own (so tests can build many servers).
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Metrics are the server's counters, gauges and histograms.
type Metrics struct {
	Registry *prometheus.Registry

	ConnectionsAccepted prometheus.Counter
	ConnectionsOpen     prometheus.Gauge
	Commands            *prometheus.CounterVec // by command tag, "invalid"
	Errors              *prometheus.CounterVec // ERR responses by code
	Tokens              *prometheus.CounterVec // events: created, verified, replaced, deleted, invalidated
	Subscriptions       *prometheus.CounterVec // events: created, deleted
	NtfsReceived        *prometheus.CounterVec // NMSG by outcome: pushed, no_subscription, not_active, error
	Pushes              *prometheus.CounterVec // by kind and outcome (ok, token_invalid, retry, permanent, error)
	PushLatency         *prometheus.HistogramVec
	PushesDropped       *prometheus.CounterVec // by reason (queue_full)
	SMPConnections      prometheus.Gauge       // SMP servers connected now
	SMPConnects         *prometheus.CounterVec // by outcome: ok, error
	SMPSubscribed       *prometheus.CounterVec // NSUB results by outcome
	PeriodicScheduled   prometheus.Counter
}

// New registers the metrics on a fresh registry.
func New() *Metrics {
	r := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	m := &Metrics{Registry: r}
	m.ConnectionsAccepted = prometheus.NewCounter(prometheus.CounterOpts{Name: "ntf_connections_accepted_total", Help: "Client connections that completed the handshake."})
	m.ConnectionsOpen = prometheus.NewGauge(prometheus.GaugeOpts{Name: "ntf_connections_open", Help: "Client connections open now."})
	m.Commands = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ntf_commands_total", Help: "Commands by tag."}, []string{"command"})
	m.Errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ntf_errors_total", Help: "ERR responses by code."}, []string{"code"})
	m.Tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ntf_token_events_total", Help: "Token events."}, []string{"event"})
	m.Subscriptions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ntf_subscription_events_total", Help: "Subscription events."}, []string{"event"})
	m.NtfsReceived = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ntf_nmsg_received_total", Help: "NMSG received from SMP servers by outcome."}, []string{"outcome"})
	m.Pushes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ntf_pushes_total", Help: "Push attempts by kind and outcome."}, []string{"kind", "outcome"})
	m.PushLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ntf_push_seconds", Help: "Push request latency.", Buckets: prometheus.DefBuckets}, []string{"kind"})
	m.PushesDropped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ntf_pushes_dropped_total", Help: "Pushes not queued."}, []string{"reason"})
	m.SMPConnections = prometheus.NewGauge(prometheus.GaugeOpts{Name: "ntf_smp_connections", Help: "SMP servers connected now."})
	m.SMPConnects = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ntf_smp_connects_total", Help: "SMP connection attempts by outcome."}, []string{"outcome"})
	m.SMPSubscribed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ntf_smp_nsub_total", Help: "NSUB results by outcome."}, []string{"outcome"})
	m.PeriodicScheduled = prometheus.NewCounter(prometheus.CounterOpts{Name: "ntf_periodic_scheduled_total", Help: "Periodic check pushes scheduled."})
	for _, c := range []prometheus.Collector{m.ConnectionsAccepted, m.ConnectionsOpen, m.Commands, m.Errors, m.Tokens,
		m.Subscriptions, m.NtfsReceived, m.Pushes, m.PushLatency, m.PushesDropped, m.SMPConnections, m.SMPConnects,
		m.SMPSubscribed, m.PeriodicScheduled} {
		f(c)
	}
	// The Go runtime (GC cycles, GOGC as gcfloor sets it, heap) and the
	// process (RSS, CPU, open files), as smp-relay and xftp-server export.
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObservePush records one push attempt.
func (m *Metrics) ObservePush(kind, outcome string, d time.Duration) {
	m.Pushes.WithLabelValues(kind, outcome).Inc()
	m.PushLatency.WithLabelValues(kind).Observe(d.Seconds())
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// Value returns a counter's or gauge's current value (admin API, tests).
func Value(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	var sum float64
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) != nil {
			continue
		}
		switch {
		case d.Counter != nil:
			sum += d.Counter.GetValue()
		case d.Gauge != nil:
			sum += d.Gauge.GetValue()
		}
	}
	return sum
}

// ByLabel returns a counter vector's values by the value of one label.
func ByLabel(v *prometheus.CounterVec, label string) map[string]float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() { v.Collect(ch); close(ch) }()
	out := map[string]float64{}
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) != nil || d.Counter == nil {
			continue
		}
		for _, l := range d.Label {
			if l.GetName() == label {
				out[l.GetValue()] += d.Counter.GetValue()
			}
		}
	}
	return out
}

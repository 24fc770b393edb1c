// Package metrics holds xftp-server's counters. The server updates them; the
// Prometheus handler and the gRPC admin API read them. No label carries a
// file id, an address or any other per-user value.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Metrics is the set of xftp-server metrics on its own registry.
type Metrics struct {
	Registry *prometheus.Registry

	Connections       prometheus.Gauge
	ConnectionsTotal  prometheus.Counter
	ConnectionsDenied *prometheus.CounterVec // reason: limit, tls, alpn
	FilesCreated      prometheus.Counter
	FileRecipients    prometheus.Counter
	FilesUploaded     prometheus.Counter
	FilesDeleted      prometheus.Counter
	FilesExpired      prometheus.Counter
	FilesBlocked      prometheus.Counter
	Downloads         prometheus.Counter
	DownloadAcks      prometheus.Counter
	UsedBytes         prometheus.Gauge       // committed and reserved chunk bytes
	Commands          *prometheus.CounterVec // command
	Errors            *prometheus.CounterVec // code
	BytesReceived     prometheus.Counter
	BytesSent         prometheus.Counter
}

// New registers the metrics on a fresh registry (plus Go and process
// collectors).
func New() *Metrics {
	r := prometheus.NewRegistry()
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "xftp", Name: name, Help: help})
		r.MustRegister(c)
		return c
	}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "xftp", Name: name, Help: help})
		r.MustRegister(g)
		return g
	}
	vec := func(name, help, label string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "xftp", Name: name, Help: help}, []string{label})
		r.MustRegister(c)
		return c
	}
	m := &Metrics{
		Registry:          r,
		Connections:       gauge("connections", "Open client connections."),
		ConnectionsTotal:  counter("connections_total", "Accepted client connections."),
		ConnectionsDenied: vec("connections_denied_total", "Connections closed before serving, by reason.", "reason"),
		FilesCreated:      counter("files_created_total", "Files created (FNEW)."),
		FileRecipients:    counter("file_recipients_total", "Recipient ids created (FNEW, FADD)."),
		FilesUploaded:     counter("files_uploaded_total", "Chunks uploaded (FPUT)."),
		FilesDeleted:      counter("files_deleted_total", "Files deleted (FDEL, admin)."),
		FilesExpired:      counter("files_expired_total", "Files deleted by expiry."),
		FilesBlocked:      counter("files_blocked_total", "Files blocked by an operator."),
		Downloads:         counter("downloads_total", "Chunk downloads (FGET)."),
		DownloadAcks:      counter("download_acks_total", "Download acknowledgements (FACK)."),
		UsedBytes:         gauge("storage_used_bytes", "Bytes of stored and reserved chunks."),
		Commands:          vec("commands_total", "Commands received, by command.", "command"),
		Errors:            vec("errors_total", "Error responses, by code.", "code"),
		BytesReceived:     counter("chunk_bytes_received_total", "Chunk bytes received."),
		BytesSent:         counter("chunk_bytes_sent_total", "Chunk bytes sent (encrypted)."),
	}
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// Value reads a counter or gauge.
func Value(c prometheus.Metric) float64 {
	var d dto.Metric
	if c.Write(&d) != nil {
		return 0
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	return 0
}

// LabelValues reads every label value of a one-label counter vector.
func LabelValues(v *prometheus.CounterVec) map[string]float64 {
	out := map[string]float64{}
	ch := make(chan prometheus.Metric, 64)
	go func() { v.Collect(ch); close(ch) }()
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) == nil && len(d.Label) == 1 && d.Counter != nil {
			out[d.Label[0].GetValue()] = d.Counter.GetValue()
		}
	}
	return out
}

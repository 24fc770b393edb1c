package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	iodto "github.com/prometheus/client_model/go"
)

func readMetric(m prometheus.Metric) float64 {
	var d iodto.Metric
	if err := m.Write(&d); err != nil {
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

// LabelValues returns label value -> count of a counter vector.
func LabelValues(c *prometheus.CounterVec) map[string]float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	out := map[string]float64{}
	for m := range ch {
		var d iodto.Metric
		if err := m.Write(&d); err != nil {
			continue
		}
		for _, l := range d.Label {
			out[l.GetValue()] += d.Counter.GetValue()
		}
	}
	return out
}

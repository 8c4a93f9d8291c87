package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/procfs"
)

// nginxProcess is a collector of ingress-nginx's nginx_process_* series
// for nginx's master and workers (its process group), read from /proc at
// every scrape. While nginx is not running it reports nothing.
type nginxProcess struct {
	pid                                                func() int
	procs, resident, virtual, oldest, cpu, read, write *prometheus.Desc
}

// RegisterNginxProcess registers the nginx_ingress_controller_nginx_process_*
// resource series of the process group whose leader pid returns (0: none).
func RegisterNginxProcess(reg prometheus.Registerer, l Labels, pid func() int) {
	c := l.constLabels()
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("nginx_ingress_controller_nginx_process_"+name, help, nil, c)
	}
	reg.MustRegister(&nginxProcess{
		pid:      pid,
		procs:    desc("num_procs", "nginx processes: the master and its workers."),
		resident: desc("resident_memory_bytes", "Resident memory of nginx's processes, in bytes."),
		virtual:  desc("virtual_memory_bytes", "Virtual memory of nginx's processes, in bytes."),
		oldest:   desc("oldest_start_time_seconds", "Start time of the oldest nginx process (the master), in Unix seconds."),
		cpu:      desc("cpu_seconds_total", "CPU time (user and system) of nginx's processes, in seconds."),
		read:     desc("read_bytes_total", "Bytes nginx's processes read from storage."),
		write:    desc("write_bytes_total", "Bytes nginx's processes wrote to storage."),
	})
}

func (n *nginxProcess) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{n.procs, n.resident, n.virtual, n.oldest, n.cpu, n.read, n.write} {
		ch <- d
	}
}

func (n *nginxProcess) Collect(ch chan<- prometheus.Metric) {
	pgid := n.pid()
	if pgid <= 0 {
		return
	}
	procs, err := procfs.AllProcs()
	if err != nil {
		return
	}
	var count, resident, virtual, cpu, read, write float64
	oldest := -1.0
	for _, p := range procs {
		stat, err := p.Stat()
		if err != nil || stat.PGRP != pgid {
			continue // gone meanwhile, or not nginx's
		}
		count++
		resident += float64(stat.ResidentMemory())
		virtual += float64(stat.VirtualMemory())
		cpu += stat.CPUTime()
		if start, err := stat.StartTime(); err == nil && (oldest < 0 || start < oldest) {
			oldest = start
		}
		if io, err := p.IO(); err == nil {
			read += float64(io.ReadBytes)
			write += float64(io.WriteBytes)
		}
	}
	if count == 0 {
		return
	}
	ch <- prometheus.MustNewConstMetric(n.procs, prometheus.GaugeValue, count)
	ch <- prometheus.MustNewConstMetric(n.resident, prometheus.GaugeValue, resident)
	ch <- prometheus.MustNewConstMetric(n.virtual, prometheus.GaugeValue, virtual)
	ch <- prometheus.MustNewConstMetric(n.cpu, prometheus.CounterValue, cpu)
	ch <- prometheus.MustNewConstMetric(n.read, prometheus.CounterValue, read)
	ch <- prometheus.MustNewConstMetric(n.write, prometheus.CounterValue, write)
	if oldest >= 0 {
		ch <- prometheus.MustNewConstMetric(n.oldest, prometheus.GaugeValue, oldest)
	}
}

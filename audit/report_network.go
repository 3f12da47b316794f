package audit

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (b *builder) network(st *stageSet, e Event) {
	st.used = true
	protocol := fieldString(e.Fields, "protocol")
	family := fieldString(e.Fields, "family")
	domain := fieldString(e.Fields, "domain")
	if e.Decision == DecisionDeny {
		b.block(b.connections, st, protocol+" "+e.Target, BlockedItem{Name: e.Target, Rule: e.Rule, Decision: e.Decision,
			Domain: domain, Protocol: protocol}, 1)
	}

	ip := fieldString(e.Fields, "ip")
	if ip == "" && family != "inet" && family != "inet6" {
		key := family + " " + e.Target + " " + e.Decision
		l := st.local[key]
		if l == nil {
			l = &LocalSocket{Family: family, Target: e.Target, Decision: e.Decision}
			st.local[key] = l
		}
		l.Count++
		return
	}
	key := protocol + " " + e.Target
	d := st.dests[key]
	if d == nil {
		d = &Destination{Protocol: protocol, Decision: e.Decision, FirstSeen: e.Time}
		d.Address, d.Port = splitTarget(e.Target)
		if ip != "" {
			d.Address = ip
		}
		if port, ok := fieldNumber(e.Fields, "port"); ok {
			d.Port = int(port)
		}
		st.dests[key] = d
	}
	d.Count++
	if d.Domain == "" {
		d.Domain = domain
	}
	if e.Decision == DecisionAllow {
		d.Decision = DecisionAllow
	}
}

func (b *builder) dns(st *stageSet, e Event) {
	st.used = true
	name := fieldString(e.Fields, "name")
	if name == "" {
		name = e.Target
	}
	qtype := fieldString(e.Fields, "type")
	result := fieldString(e.Fields, "result")
	rcode := fieldString(e.Fields, "rcode")
	errText := fieldString(e.Fields, "error")
	if e.Decision == DecisionDeny {
		detail := result
		if rcode != "" {
			detail = strings.TrimSpace(result + ", answered " + rcode)
		}
		if errText != "" {
			detail += ": " + errText
		}
		b.block(b.dnsDenied, st, name+"\x00"+qtype, BlockedItem{Name: name, Type: qtype, Rule: e.Rule, Detail: strings.TrimPrefix(detail, ", "), Decision: e.Decision}, 1)
	}

	key := strings.Join([]string{name, qtype, e.Decision, result, rcode}, "\x00")
	q := st.dns[key]
	if q == nil {
		q = &dnsSet{q: DNSQuery{Name: name, Type: qtype, Decision: e.Decision, Result: result, RCode: rcode, Error: errText},
			addrs: map[string]bool{}, cnames: map[string]bool{}, answerRecs: map[string]bool{}}
		st.dns[key] = q
	}
	q.q.Count++
	for _, a := range fieldStrings(e.Fields, "addresses") {
		q.addrs[a] = true
	}
	for _, c := range fieldStrings(e.Fields, "cnames") {
		q.cnames[c] = true
	}
	for _, rec := range fieldObjects(e.Fields, "answers") {
		q.answerRecs[strings.TrimSpace(fieldString(rec, "type")+" "+fieldString(rec, "data"))] = true
	}
}

func (b *builder) anomaly(st *stageSet, e Event) {
	st.used = true
	key := e.Rule + "\x00" + e.Target + "\x00" + e.Image
	a := st.anomalies[key]
	if a == nil {
		a = &Anomaly{Reason: e.Rule, Target: e.Target, Domain: fieldString(e.Fields, "domain"),
			Protocol: fieldString(e.Fields, "protocol"), Decision: e.Decision, Image: e.Image, Detail: e.Detail}
		st.anomalies[key] = a
	}
	a.Count++
}

// networkSummary keeps the stage's last summary for finish and lets its
// exact counts raise the counts of denied destinations.
func (b *builder) networkSummary(st *stageSet, e Event) {
	st.used = true
	st.summary = e.Fields
	for _, d := range fieldObjects(e.Fields, "destinations") {
		if fieldString(d, "decision") != DecisionDeny {
			continue
		}
		target := fieldString(d, "target")
		protocol := fieldString(d, "protocol")
		item := BlockedItem{Name: target, Decision: DecisionDeny, Domain: fieldString(d, "domain"), Protocol: protocol,
			Stage: b.stageName(st)}
		b.connections.atLeast(item.Stage+"\x00"+protocol+" "+target, item, fieldInt(d, "count"))
	}
}

func (b *builder) finishNetwork(st *stageSet) Network {
	n := Network{Mode: b.r.Session.NetworkMode, Local: []LocalSocket{}, Anomalies: []Anomaly{}, AnomalyCounts: []ReasonCount{}}
	if st.summary != nil {
		n.Source = "network_summary"
		n.Destinations = summaryDestinations(st.summary)
		n.UniqueDestinations = fieldInt(st.summary, "unique_destinations")
		n.OmittedDestinations = fieldInt(st.summary, "omitted")
		counts := fieldObject(st.summary, "anomalies")
		for _, reason := range sortedKeys(counts) {
			c, _ := number(counts[reason])
			n.AnomalyCounts = append(n.AnomalyCounts, ReasonCount{Reason: reason, Count: int(c)})
		}
	} else {
		for _, d := range st.dests {
			n.Destinations = append(n.Destinations, *d)
		}
		if len(n.Destinations) > 0 {
			n.Source = "network_events"
		}
		n.UniqueDestinations = len(n.Destinations)
	}
	if n.Destinations == nil {
		n.Destinations = []Destination{}
	}
	sort.Slice(n.Destinations, func(i, j int) bool { return destinationLess(n.Destinations[i], n.Destinations[j]) })

	for _, l := range st.local {
		n.Local = append(n.Local, *l)
	}
	sort.Slice(n.Local, func(i, j int) bool {
		a, c := n.Local[i], n.Local[j]
		if a.Count != c.Count {
			return a.Count > c.Count
		}
		return a.Family+" "+a.Target+" "+a.Decision < c.Family+" "+c.Target+" "+c.Decision
	})

	for _, a := range st.anomalies {
		n.Anomalies = append(n.Anomalies, *a)
	}
	sort.Slice(n.Anomalies, func(i, j int) bool {
		a, c := n.Anomalies[i], n.Anomalies[j]
		if a.Count != c.Count {
			return a.Count > c.Count
		}
		return a.Reason+"\x00"+a.Target+"\x00"+a.Image < c.Reason+"\x00"+c.Target+"\x00"+c.Image
	})

	n.DNS = []DNSQuery{}
	for _, q := range st.dns {
		query := q.q
		query.Addresses = sortedSet(q.addrs)
		query.CNAMEs = sortedSet(q.cnames)
		query.Answers = sortedSet(q.answerRecs)
		n.DNS = append(n.DNS, query)
	}
	sort.Slice(n.DNS, func(i, j int) bool {
		a, c := n.DNS[i], n.DNS[j]
		if a.Count != c.Count {
			return a.Count > c.Count
		}
		return strings.Join([]string{a.Name, a.Type, a.Decision, a.Result, a.RCode}, "\x00") <
			strings.Join([]string{c.Name, c.Type, c.Decision, c.Result, c.RCode}, "\x00")
	})
	return n
}

func summaryDestinations(summary map[string]any) []Destination {
	var out []Destination
	for _, m := range fieldObjects(summary, "destinations") {
		d := Destination{Domain: fieldString(m, "domain"), Protocol: fieldString(m, "protocol"),
			Decision: fieldString(m, "decision"), Count: fieldInt(m, "count")}
		d.Address, d.Port = splitTarget(fieldString(m, "target"))
		if bytes, ok := fieldNumber(m, "bytes"); ok {
			n := int64(bytes)
			d.Bytes = &n
		}
		if t, err := time.Parse(time.RFC3339Nano, fieldString(m, "first_seen")); err == nil {
			d.FirstSeen = t
		}
		out = append(out, d)
	}
	return out
}

func destinationLess(a, c Destination) bool {
	if a.Count != c.Count {
		return a.Count > c.Count
	}
	ka := strings.Join([]string{a.Domain, a.Address, strconv.Itoa(a.Port), a.Protocol, a.Decision}, "\x00")
	kc := strings.Join([]string{c.Domain, c.Address, strconv.Itoa(c.Port), c.Protocol, c.Decision}, "\x00")
	return ka < kc
}

// splitTarget splits "addr:port" or "[v6]:port" and returns the target
// unchanged with port 0 when it has no port.
func splitTarget(target string) (string, int) {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return target, 0
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return target, 0
	}
	return host, p
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Event is the CloudEvent the peer writes: the required attributes, a few optional ones and the
// Distributed Tracing extension (the creation context).
type Event struct {
	SpecVersion     string `json:"specversion"`
	ID              string `json:"id"`
	Source          string `json:"source"`
	Type            string `json:"type"`
	Subject         string `json:"subject"`
	Time            string `json:"time"`
	DataContentType string `json:"datacontenttype"`
	TraceParent     string `json:"traceparent"`
	Data            string `json:"data"`
}

var propagator = propagation.TraceContext{}

func newEvent(sc trace.SpanContext) Event {
	return Event{
		SpecVersion:     "1.0",
		ID:              "go-" + sc.SpanID().String(),
		Source:          "/go-peer",
		Type:            "peer.greeting",
		Subject:         "crème brûlée 100%",
		Time:            time.Now().UTC().Format(time.RFC3339Nano),
		DataContentType: "text/plain",
		TraceParent:     fmt.Sprintf("00-%s-%s-01", sc.TraceID(), sc.SpanID()),
		Data:            "hello from Go",
	}
}

// encode maps the event to a NATS message in either content mode (NATS binding 1.0.3) and puts
// the hop context in the headers the way Go code does: the OpenTelemetry propagator over
// propagation.HeaderCarrier(msg.Header), which writes the canonical `Traceparent`.
func encode(ctx context.Context, subject, mode string, e Event) (*nats.Msg, error) {
	m := nats.NewMsg(subject)
	if mode == "binary" {
		for name, value := range map[string]string{
			"specversion": e.SpecVersion, "id": e.ID, "source": e.Source, "type": e.Type, "subject": e.Subject,
			"time": e.Time, "datacontenttype": e.DataContentType, "traceparent": e.TraceParent,
		} {
			m.Header.Set("ce-"+name, percentEncode(value))
		}
		m.Data = []byte(e.Data)
	} else {
		body, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		m.Header.Set("Content-Type", "application/cloudevents+json")
		m.Data = body
	}
	propagator.Inject(ctx, propagation.HeaderCarrier(m.Header))
	return m, nil
}

// percentEncode: space, '"', '%' and everything outside printable ASCII, byte by byte (§3.1.3.2).
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// headerValue looks a header up case-insensitively (the binding says names are case-insensitive).
func headerValue(h nats.Header, name string) (string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// decode reads a message as the binding says: structured when Content-Type starts with
// application/cloudevents, binary otherwise; every required attribute checked.
func decode(m *nats.Msg) (map[string]any, string, error) {
	event := map[string]any{}
	mode := "binary"
	if ct, ok := headerValue(m.Header, "content-type"); ok && strings.HasPrefix(strings.ToLower(ct), "application/cloudevents") {
		mode = "structured"
		if err := json.Unmarshal(m.Data, &event); err != nil {
			return nil, mode, fmt.Errorf("structured body is not JSON: %w", err)
		}
	} else {
		for k, v := range m.Header {
			if !strings.HasPrefix(strings.ToLower(k), "ce-") || len(v) == 0 {
				continue
			}
			value, err := url.PathUnescape(v[0])
			if err != nil || !utf8.ValidString(value) {
				return nil, mode, fmt.Errorf("header %s is not valid percent-encoded UTF-8", k)
			}
			event[strings.ToLower(k[3:])] = value
		}
		event["data"] = string(m.Data)
	}
	if event["specversion"] != "1.0" {
		return nil, mode, fmt.Errorf("specversion is not 1.0")
	}
	for _, name := range []string{"id", "source", "type"} {
		if s, ok := event[name].(string); !ok || s == "" {
			return nil, mode, fmt.Errorf("%s is missing or empty", name)
		}
	}
	return event, mode, nil
}

// inspect decodes a received message, reads its trace context from the CloudEvent extension,
// through propagation.HeaderCarrier and through nats.go's case-sensitive Header.Get, and
// continues the trace in a CONSUMER span whose parent is the hop context.
func inspect(m *nats.Msg) map[string]any {
	out := map[string]any{"subject": m.Subject}
	event, mode, err := decode(m)
	out["mode"] = mode
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	out["event"] = event
	out["extension"] = event["traceparent"]
	ctx := propagator.Extract(context.Background(), propagation.HeaderCarrier(m.Header))
	hop := trace.SpanContextFromContext(ctx)
	if hop.IsValid() {
		out["carrier"] = map[string]string{"traceId": hop.TraceID().String(), "spanId": hop.SpanID().String()}
	}
	out["natsGet"] = m.Header.Get("traceparent")
	if id := m.Header.Get(nats.MsgIdHdr); id != "" {
		out["msgId"] = id
	}
	_, span := tracer.Start(ctx, "process "+m.Subject, trace.WithSpanKind(trace.SpanKindConsumer))
	span.End()
	out["span"] = map[string]string{"traceId": traceID(span), "spanId": spanID(span)}
	return out
}

func traceID(span trace.Span) string { return span.SpanContext().TraceID().String() }
func spanID(span trace.Span) string  { return span.SpanContext().SpanID().String() }

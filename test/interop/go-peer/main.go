// Command go-peer is an independent CloudEvents-over-NATS implementation for natsbus's interop
// test: nats.go for NATS, OpenTelemetry Go for trace context, the CloudEvents NATS protocol
// binding written out by hand. It prints one JSON line per result on stdout.
//
// Built in GOPATH mode against Debian's packages (golang-github-nats-io-go-nats-dev,
// golang-opentelemetry-otel-dev); see scripts/ensure-go-interop.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

var tracer trace.Tracer

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: go-peer publish|consume [flags]"))
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	tracer = provider.Tracer("go-peer")
	flags := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	url := flags.String("url", nats.DefaultURL, "NATS server URL")
	subject := flags.String("subject", "", "subject to publish to or consume from")
	mode := flags.String("mode", "structured", "publish content mode: structured or binary")
	bad := flags.Bool("bad", false, "publish: send an event with an unsupported specversion before the good one")
	hop := flags.Bool("hop", false, "publish: a forward's shape: the extension holds an earlier creation span, the headers this send's span")
	useJS := flags.Bool("js", false, "use JetStream (publish with PubAck, consume with a pull consumer)")
	stream := flags.String("stream", "", "consume: JetStream stream to bind to")
	durable := flags.String("durable", "", "consume: JetStream durable name")
	count := flags.Int("count", 1, "consume: messages to read before exiting")
	if err := flags.Parse(os.Args[2:]); err != nil {
		fail(err)
	}
	nc, err := nats.Connect(*url, nats.Name("go-peer"))
	if err != nil {
		fail(err)
	}
	defer nc.Close()
	switch os.Args[1] {
	case "publish":
		err = publish(nc, *subject, *mode, *bad, *hop, *useJS)
	case "consume":
		err = consume(nc, *subject, *count, *useJS, *stream, *durable)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

// publisher sends one message core or through JetStream (waiting for the PubAck).
func publisher(nc *nats.Conn, useJS bool) (func(*nats.Msg) error, error) {
	if !useJS {
		return func(m *nats.Msg) error {
			if err := nc.PublishMsg(m); err != nil {
				return err
			}
			return nc.Flush()
		}, nil
	}
	js, err := nc.JetStream()
	if err != nil {
		return nil, err
	}
	return func(m *nats.Msg) error {
		_, err := js.PublishMsg(m, nats.AckWait(5*time.Second))
		return err
	}, nil
}

// publish sends (optionally a bad event, then) one good event in a PRODUCER span of a new trace,
// and prints that span's context and the good event's id. With `hop` the event's creation context
// is an earlier span of the same trace and only the headers carry the PRODUCER span, as after a
// forward: what natsbus then follows is the header OpenTelemetry Go wrote.
func publish(nc *nats.Conn, subject, mode string, bad, hop, useJS bool) error {
	send, err := publisher(nc, useJS)
	if err != nil {
		return err
	}
	if bad {
		// specversion 0.3 in both modes: a CloudEvent natsbus must refuse and dead-letter
		m := nats.NewMsg(subject)
		if mode == "binary" {
			m.Header.Set("ce-specversion", "0.3")
			m.Header.Set("ce-id", "bad-1")
			m.Header.Set("ce-source", "/go-peer")
			m.Header.Set("ce-type", "peer.bad")
			m.Data = []byte("x")
		} else {
			m.Header.Set("Content-Type", "application/cloudevents+json")
			m.Data = []byte(`{"specversion":"0.3","id":"bad-1","source":"/go-peer","type":"peer.bad"}`)
		}
		if useJS {
			m.Header.Set(nats.MsgIdHdr, "bad-1") // the dead-letter copy keeps it as Natsbus-Original-Msg-Id
		}
		if err := send(m); err != nil {
			return err
		}
	}
	ctx := context.Background()
	var creation trace.Span
	if hop {
		ctx, creation = tracer.Start(ctx, "create "+subject, trace.WithSpanKind(trace.SpanKindProducer))
		defer creation.End()
	}
	ctx, span := tracer.Start(ctx, "publish "+subject, trace.WithSpanKind(trace.SpanKindProducer))
	defer span.End()
	if creation == nil {
		creation = span
	}
	event := newEvent(creation.SpanContext())
	m, err := encode(ctx, subject, mode, event)
	if err != nil {
		return err
	}
	if err := send(m); err != nil {
		return err
	}
	return emit(map[string]any{
		"published": event.ID, "traceId": traceID(span), "spanId": spanID(span), "creationSpanId": spanID(creation),
	})
}

// consume reads `count` messages, decodes each as the binding says, extracts trace context the
// three ways Go code does, and prints what it found. JetStream messages are acked.
func consume(nc *nats.Conn, subject string, count int, useJS bool, stream, durable string) error {
	next, err := subscriber(nc, subject, useJS, stream, durable)
	if err != nil {
		return err
	}
	if err := emit(map[string]any{"ready": true}); err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		m, err := next()
		if err != nil {
			return err
		}
		if err := emit(inspect(m)); err != nil {
			return err
		}
		if useJS {
			if err := m.Ack(); err != nil {
				return err
			}
		}
	}
	return nil
}

func subscriber(nc *nats.Conn, subject string, useJS bool, stream, durable string) (func() (*nats.Msg, error), error) {
	if !useJS {
		sub, err := nc.SubscribeSync(subject)
		if err != nil {
			return nil, err
		}
		if err := nc.Flush(); err != nil {
			return nil, err
		}
		return func() (*nats.Msg, error) { return sub.NextMsg(20 * time.Second) }, nil
	}
	js, err := nc.JetStream()
	if err != nil {
		return nil, err
	}
	sub, err := js.PullSubscribe(subject, durable, nats.BindStream(stream))
	if err != nil {
		return nil, err
	}
	return func() (*nats.Msg, error) {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			msgs, err := sub.Fetch(1, nats.MaxWait(2*time.Second))
			if err == nats.ErrTimeout {
				continue
			}
			if err != nil {
				return nil, err
			}
			return msgs[0], nil
		}
		return nil, nats.ErrTimeout
	}, nil
}

func emit(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(os.Stdout, string(line))
	return err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "go-peer:", err)
	os.Exit(1)
}

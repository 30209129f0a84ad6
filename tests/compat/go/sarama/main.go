// gst-rg
// Copyright (C) 2026 gst-rg contributors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Client matrix: Sarama (Debian's golang-github-shopify-sarama-dev, 1.22)
// as its documentation writes a partition consumer and a ConsumerGroup.
//
//	sarama -mode partition|group [-version V] BOOTSTRAP TOPIC GROUP COUNT
//
// The partition consumer runs at the library's default Config.Version
// unless -version is given. NewConsumerGroup refuses versions below
// 0.10.2.0, so the group mode uses that unless -version says otherwise.
// Prints one "RESULT ..." line; exit 0 when COUNT records were consumed
// (and, in group mode, the committed offset was marked and read back).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/Shopify/sarama"
)

type handler struct {
	want, got   int
	first, last int64
	done        chan struct{}
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for msg := range c.Messages() {
		if h.got == 0 {
			h.first = msg.Offset
		}
		h.last = msg.Offset
		h.got++
		s.MarkMessage(msg, "")
		if h.got == h.want {
			close(h.done)
			return nil
		}
	}
	return nil
}

func result(mode string, got int, first, last, committed int64, err error) {
	fmt.Printf("RESULT client=sarama-%s consumed=%d first=%d last=%d committed=%d error=%q\n",
		mode, got, first, last, committed, fmt.Sprint(err))
}

func partition(cfg *sarama.Config, broker, topic string, want int, timeout time.Duration) bool {
	consumer, err := sarama.NewConsumer([]string{broker}, cfg)
	if err != nil {
		result("partition", 0, -1, -1, -1, err)
		return false
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		result("partition", 0, -1, -1, -1, err)
		return false
	}
	defer pc.Close()
	got, first, last := 0, int64(-1), int64(-1)
	deadline := time.After(timeout)
	for got < want {
		select {
		case msg := <-pc.Messages():
			if got == 0 {
				first = msg.Offset
			}
			last = msg.Offset
			got++
		case e := <-pc.Errors():
			err = e
		case <-deadline:
			result("partition", got, first, last, -1, err)
			return false
		}
	}
	result("partition", got, first, last, -1, nil)
	return true
}

func group(cfg *sarama.Config, broker, topic, name string, want int, timeout time.Duration) bool {
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Return.Errors = true
	g, err := sarama.NewConsumerGroup([]string{broker}, name, cfg)
	if err != nil {
		result("group", 0, -1, -1, -1, err)
		return false
	}
	h := &handler{want: want, first: -1, last: -1, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	go func() {
		for e := range g.Errors() {
			if err == nil {
				err = e
			}
		}
	}()
	go func() {
		for ctx.Err() == nil {
			if e := g.Consume(ctx, []string{topic}, h); e != nil && ctx.Err() == nil {
				if err == nil {
					err = e
				}
				time.Sleep(time.Second)
			}
		}
	}()
	select {
	case <-h.done:
	case <-ctx.Done():
		if err == nil {
			err = fmt.Errorf("Consume returned nothing within %v", timeout)
		}
	}
	cancel()
	g.Close()
	committed := int64(-1)
	if client, e := sarama.NewClient([]string{broker}, cfg); e == nil {
		if om, e := sarama.NewOffsetManagerFromClient(name, client); e == nil {
			if pom, e := om.ManagePartition(topic, 0); e == nil {
				committed, _ = pom.NextOffset()
				pom.Close()
			}
			om.Close()
		}
		client.Close()
	}
	result("group", h.got, h.first, h.last, committed, err)
	return h.got >= want && committed == h.last+1
}

func main() {
	mode := flag.String("mode", "partition", "partition or group")
	version := flag.String("version", "", "Kafka version for Config.Version (default: the library's)")
	timeout := flag.Duration("timeout", 30*time.Second, "give up after")
	flag.Parse()
	args := flag.Args()
	if len(args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: sarama [-mode partition|group] [-version V] BOOTSTRAP TOPIC GROUP COUNT")
		os.Exit(2)
	}
	want, _ := strconv.Atoi(args[3])
	cfg := sarama.NewConfig()
	cfg.ClientID = "rg-compat"
	if *version != "" {
		v, err := sarama.ParseKafkaVersion(*version)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		cfg.Version = v
	} else if *mode == "group" {
		cfg.Version = sarama.V0_10_2_0
	}
	ok := false
	if *mode == "group" {
		ok = group(cfg, args[0], args[1], args[2], want, *timeout)
	} else {
		ok = partition(cfg, args[0], args[1], want, *timeout)
	}
	if !ok {
		os.Exit(1)
	}
}

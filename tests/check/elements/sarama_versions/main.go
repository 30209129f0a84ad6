// gst-rg
// Copyright (C) 2026 gst-rg contributors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Sarama (Debian's golang-github-shopify-sarama-dev, 1.22) producing into
// an ingest topic of rgbrokersink and reading it back, at one protocol
// version: Sarama's default Config.Version (Kafka 0.8.2: Produce v0 with
// MessageSet v0, Fetch v0, ListOffsets v0, Metadata v0), 0.10.0 (Produce
// v2 with MessageSet v1, Fetch v2) or 2.1.0 (Produce v7 and Fetch v10 with
// record batches).
//
//	sarama_versions [-version V] BOOTSTRAP TOPIC COUNT
//
// Prints one "RESULT ..." line; exits 0 when COUNT messages were
// acknowledged at consecutive offsets and read back with the same keys
// and values.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/Shopify/sarama"
)

func value(i int) []byte {
	return []byte(fmt.Sprintf("sarama-%d-%s", i, bytes.Repeat([]byte{'v'}, i*37)))
}

func produce(cfg *sarama.Config, broker, topic string, n int) (int64, error) {
	p, err := sarama.NewSyncProducer([]string{broker}, cfg)
	if err != nil {
		return -1, err
	}
	defer p.Close()
	first := int64(-1)
	for i := 0; i < n; i++ {
		_, off, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic,
			Key: sarama.StringEncoder(strconv.Itoa(i)), Value: sarama.ByteEncoder(value(i))})
		if err != nil {
			return first, err
		}
		if first < 0 {
			first = off
		} else if off != first+int64(i) {
			return first, fmt.Errorf("message %d at offset %d, want %d", i, off, first+int64(i))
		}
	}
	return first, nil
}

func consume(cfg *sarama.Config, broker, topic string, first int64, n int, timeout time.Duration) (int, error) {
	c, err := sarama.NewConsumer([]string{broker}, cfg)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, first)
	if err != nil {
		return 0, err
	}
	defer pc.Close()
	deadline := time.After(timeout)
	for got := 0; got < n; got++ {
		select {
		case m := <-pc.Messages():
			if m.Offset != first+int64(got) || string(m.Key) != strconv.Itoa(got) || !bytes.Equal(m.Value, value(got)) {
				return got, fmt.Errorf("message %d: offset %d key %q value of %d bytes", got, m.Offset, m.Key, len(m.Value))
			}
		case e := <-pc.Errors():
			return got, e
		case <-deadline:
			return got, fmt.Errorf("timed out")
		}
	}
	return n, nil
}

func main() {
	version := flag.String("version", "", "Kafka version to speak (default: Sarama's)")
	timeout := flag.Duration("timeout", 20*time.Second, "give up after")
	flag.Parse()
	args := flag.Args()
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sarama_versions [-version V] BOOTSTRAP TOPIC COUNT")
		os.Exit(2)
	}
	n, _ := strconv.Atoi(args[2])
	cfg := sarama.NewConfig()
	if *version != "" {
		v, err := sarama.ParseKafkaVersion(*version)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		cfg.Version = v
	}
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForLocal
	first, err := produce(cfg, args[0], args[1], n)
	got := 0
	if err == nil {
		got, err = consume(cfg, args[0], args[1], first, n, *timeout)
	}
	fmt.Printf("RESULT client=sarama-versions version=%s produced_first=%d consumed=%d error=%q\n",
		cfg.Version, first, got, fmt.Sprint(err))
	if err != nil {
		os.Exit(1)
	}
}

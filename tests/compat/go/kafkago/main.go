// gst-rg
// Copyright (C) 2026 gst-rg contributors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Client matrix: segmentio kafka-go (Debian's
// golang-github-segmentio-kafka-go-dev, 0.2.1) Reader and Writer as its
// README writes them.
//
//	kafkago -mode reader|group|writer BOOTSTRAP TOPIC GROUP COUNT
//
// reader: a Reader on partition 0 from the first offset; group: a Reader
// with GroupID (commits as it reads); writer: a Writer sending COUNT
// records. Prints one "RESULT ..." line; exit 0 on success.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

func read(mode, broker, topic, group string, want int, timeout time.Duration) bool {
	cfg := kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, MaxWait: 500 * time.Millisecond}
	if mode == "group" {
		cfg.GroupID = group
	} else {
		cfg.Partition = 0
	}
	r := kafka.NewReader(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got, first, last := 0, int64(-1), int64(-1)
	var err error
	if mode != "group" {
		err = r.SetOffset(kafka.FirstOffset)
	}
	for err == nil && got < want {
		var m kafka.Message
		m, err = r.ReadMessage(ctx)
		if err != nil {
			break
		}
		if got == 0 {
			first = m.Offset
		}
		last = m.Offset
		got++
	}
	r.Close()
	fmt.Printf("RESULT client=kafka-go-%s consumed=%d first=%d last=%d error=%q\n",
		mode, got, first, last, fmt.Sprint(err))
	return got >= want
}

func write(broker, topic string, want int, timeout time.Duration) bool {
	w := kafka.NewWriter(kafka.WriterConfig{Brokers: []string{broker}, Topic: topic})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// One WriteMessages call with every record, as kafka-go's README
	// writes: each call waits for the writer's BatchTimeout (1 s), so
	// one call per record would spend COUNT seconds waiting.
	msgs := make([]kafka.Message, want)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte("k"), Value: []byte(fmt.Sprintf("record-%d", i))}
	}
	err := w.WriteMessages(ctx, msgs...)
	sent := want
	if err != nil {
		sent = 0
	}
	w.Close()
	fmt.Printf("RESULT client=kafka-go-writer sent=%d error=%q\n", sent, fmt.Sprint(err))
	return err == nil
}

func main() {
	mode := flag.String("mode", "reader", "reader, group or writer")
	timeout := flag.Duration("timeout", 30*time.Second, "give up after")
	flag.Parse()
	args := flag.Args()
	if len(args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: kafkago -mode reader|group|writer BOOTSTRAP TOPIC GROUP COUNT")
		os.Exit(2)
	}
	want, _ := strconv.Atoi(args[3])
	ok := false
	if *mode == "writer" {
		ok = write(args[0], args[1], want, *timeout)
	} else {
		ok = read(*mode, args[0], args[1], args[2], want, *timeout)
	}
	if !ok {
		os.Exit(1)
	}
}

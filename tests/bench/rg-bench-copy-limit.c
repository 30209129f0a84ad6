/* gst-rg
 * Copyright (C) 2026 gst-rg contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * rg-bench-copy-limit: the copy limit of a loopback fan-out, the reference
 * every broker figure is divided by.
 *
 *   rg-bench-copy-limit --consumers=N --size=B --buffers=K [--threads=T]
 *       [--readers=PATH]
 *
 * It pushes the same B-byte payload K times into each of N loopback TCP
 * sockets as fast as the kernel takes them, and nothing else: no pipeline,
 * no protocol, no allocation per buffer, no queue. The readers are the
 * very recv() loops the tcpserversink cases of rg-bench-broker use (it
 * runs "rg-bench-broker readers --proto=tcp", so both sides of the
 * comparison discard the bytes in the same way), in a process of their
 * own. T sending threads (default: one per online CPU, so the machine's
 * every core may copy) each own every T-th socket and write with
 * non-blocking send() under epoll, so no socket waits for a slow one.
 * With --sendfile the payload is written once into a memfd and sent with
 * sendfile(): the kernel then passes its pages to every socket without
 * copying them, and only the readers copy (1 + N copies instead of 2N);
 * that is the limit of a sender that does not copy at all.
 *
 * What is left is what a sink cannot avoid on this kernel: the copy of
 * every byte into every socket, and on loopback the receivers' TCP work
 * and their copy out. A sink that reaches 1.0x of this figure does no work
 * of its own that costs throughput.
 *
 * Output: the "@key=value" lines of rg-bench-broker's server (@start_us
 * before the first send, the readers' @done_us and @all_done, @server_cpu_s,
 * @server_wall_s), so that run-broker-ab.sh reads all alike.
 */

/* memfd_create(), accept4() */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <glib.h>
#include "rgbench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct
{
  int fd;
  guint64 left;                 /* bytes still to send */
} Sink;

typedef struct
{
  Sink *sinks;
  guint n_sinks;
  const guint8 *payload;
  int payload_fd;               /* --sendfile: a memfd holding the payload */
  gsize size;
  gboolean failed;
} Sender;

static gint consumers = 8, threads = 0;
static gint64 payload_size = 1024 * 1024, buffers = 1024;
static gchar *readers_path;
static gboolean use_sendfile;

/* Sends from the same payload what the socket takes; FALSE on error.
 * With a payload file, sendfile() hands the kernel the file's pages
 * instead of copying them in: the copy left per reader is its own. */
static gboolean
sink_send (Sink * s, const guint8 * payload, int payload_fd, gsize size)
{
  while (s->left > 0) {
    gsize pos = (gsize) (s->left % size);
    off_t off = pos == 0 ? 0 : size - pos;
    ssize_t n = payload_fd >= 0 ?
        sendfile (s->fd, payload_fd, &off, size - off) :
        send (s->fd, payload + off, size - off, MSG_NOSIGNAL | MSG_DONTWAIT);

    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    s->left -= n;
  }
  return TRUE;
}

static gpointer
sender_main (gpointer data)
{
  Sender *t = data;
  int ep = epoll_create1 (0);
  guint open = t->n_sinks, i;
  struct epoll_event evs[64];

  for (i = 0; i < t->n_sinks; i++) {
    struct epoll_event ev = {.events = EPOLLOUT,.data.ptr = &t->sinks[i] };

    epoll_ctl (ep, EPOLL_CTL_ADD, t->sinks[i].fd, &ev);
  }
  /* Edge-free level-triggered loop: a socket with room is written until
   * it is full, then waited for. */
  while (open > 0) {
    int k, got = epoll_wait (ep, evs, G_N_ELEMENTS (evs), 1000);

    for (k = 0; k < got; k++) {
      Sink *s = evs[k].data.ptr;

      if (!sink_send (s, t->payload, t->payload_fd, t->size)) {
        t->failed = TRUE;
        s->left = 0;
      }
      if (s->left == 0) {
        epoll_ctl (ep, EPOLL_CTL_DEL, s->fd, NULL);
        open--;
      }
    }
  }
  close (ep);
  return NULL;
}

static int
listen_local (guint * port)
{
  struct sockaddr_in sa = { 0, };
  socklen_t len = sizeof (sa);
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || bind (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0
      || listen (fd, 1024) < 0
      || getsockname (fd, (struct sockaddr *) &sa, &len) < 0)
    return -1;
  *port = ntohs (sa.sin_port);
  return fd;
}

/* Starts the readers and returns their output, read up to "@ready". */
static FILE *
readers_start (guint port, GPid * pid, gint * in_fd)
{
  gchar line[512];
  gchar *argv[] = { readers_path, (gchar *) "readers",
    (gchar *) "--proto=tcp", (gchar *) "--mode=throughput",
    g_strdup_printf ("--port=%u", port),
    g_strdup_printf ("--consumers=%d", consumers),
    g_strdup_printf ("--size=%" G_GINT64_FORMAT, payload_size),
    g_strdup_printf ("--buffers=%" G_GINT64_FORMAT, buffers), NULL
  };
  gint out_fd;
  FILE *out = NULL;
  guint i;

  if (g_spawn_async_with_pipes (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
          NULL, NULL, pid, in_fd, &out_fd, NULL, NULL)) {
    out = fdopen (out_fd, "r");
    while (out && fgets (line, sizeof (line), out) != NULL
        && !g_str_has_prefix (line, "@ready"))
      fputs (line, stdout);
  }
  for (i = 4; i < 8; i++)
    g_free (argv[i]);
  return out;
}

static gboolean
accept_all (int listen_fd, Sender * senders, guint n_senders)
{
  int one = 1;
  guint i;

  for (i = 0; i < (guint) consumers; i++) {
    Sender *t = &senders[i % n_senders];
    int fd = accept4 (listen_fd, NULL, NULL, SOCK_NONBLOCK);

    if (fd < 0)
      return FALSE;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    t->sinks[t->n_sinks].fd = fd;
    t->sinks[t->n_sinks].left = (guint64) payload_size * buffers;
    t->n_sinks++;
  }
  return TRUE;
}

/* Runs the senders to the end; FALSE when a send failed. */
static gboolean
send_all (Sender * senders, guint n_senders)
{
  GThread **th = g_new0 (GThread *, n_senders);
  gboolean ok = TRUE;
  guint i;

  for (i = 1; i < n_senders; i++)
    th[i] = g_thread_new ("copy", sender_main, &senders[i]);
  sender_main (&senders[0]);
  for (i = 1; i < n_senders; i++)
    g_thread_join (th[i]);
  for (i = 0; i < n_senders; i++)
    ok = ok && !senders[i].failed;
  g_free (th);
  return ok;
}

static gboolean
parse_args (int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"consumers", 0, 0, G_OPTION_ARG_INT, &consumers, "readers", "N"},
    {"size", 0, 0, G_OPTION_ARG_INT64, &payload_size, "payload bytes", "B"},
    {"buffers", 0, 0, G_OPTION_ARG_INT64, &buffers, "payloads per reader",
        "K"},
    {"threads", 0, 0, G_OPTION_ARG_INT, &threads,
        "sending threads (0: one per online CPU)", "T"},
    {"sendfile", 0, 0, G_OPTION_ARG_NONE, &use_sendfile,
        "send with sendfile() from a memfd holding the payload", NULL},
    {"readers", 0, 0, G_OPTION_ARG_FILENAME, &readers_path,
        "rg-bench-broker (default: beside this program)", "PATH"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- loopback copy limit");
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  ok = g_option_context_parse (ctx, &argc, &argv, NULL) && consumers > 0
      && payload_size > 0 && buffers > 0 && threads >= 0;
  g_option_context_free (ctx);
  if (ok && readers_path == NULL) {
    gchar *exe = g_file_read_link ("/proc/self/exe", NULL);
    gchar *dir = g_path_get_dirname (exe);

    readers_path = g_build_filename (dir, "rg-bench-broker", NULL);
    g_free (dir);
    g_free (exe);
  }
  if (threads == 0)
    threads = (gint) MAX (sysconf (_SC_NPROCESSORS_ONLN), 1);
  return ok;
}

int
main (int argc, char **argv)
{
  guint8 *payload;
  Sender *senders;
  guint port, i, n_senders;
  gint in_fd, status;
  int listen_fd, payload_fd;
  GPid pid;
  FILE *out;
  gdouble cpu0;
  gint64 start;
  gchar line[512];
  gboolean ok;

  if (!parse_args (argc, argv)) {
    fprintf (stderr, "usage: rg-bench-copy-limit --consumers=N --size=B "
        "--buffers=K [--threads=T] [--readers=PATH]\n");
    return 2;
  }
  listen_fd = listen_local (&port);
  out = listen_fd < 0 ? NULL : readers_start (port, &pid, &in_fd);
  if (out == NULL) {
    printf ("@error=could not start the readers\n");
    return 1;
  }
  n_senders = MIN ((guint) threads, (guint) consumers);
  senders = g_new0 (Sender, n_senders);
  payload = g_malloc (payload_size);
  memset (payload, 0x5a, payload_size);
  payload_fd = -1;
  if (use_sendfile) {
    /* sendfile() has no MSG_NOSIGNAL. */
    signal (SIGPIPE, SIG_IGN);
    payload_fd = memfd_create ("payload", 0);
    if (payload_fd < 0 || write (payload_fd, payload, payload_size) !=
        payload_size) {
      printf ("@error=memfd: %s\n", g_strerror (errno));
      return 1;
    }
  }
  for (i = 0; i < n_senders; i++) {
    senders[i].sinks = g_new0 (Sink, consumers / n_senders + 1);
    senders[i].payload = payload;
    senders[i].payload_fd = payload_fd;
    senders[i].size = payload_size;
  }
  if (!accept_all (listen_fd, senders, n_senders)) {
    printf ("@error=accept: %s\n", g_strerror (errno));
    return 1;
  }
  cpu0 = rg_bench_cpu_seconds ();
  start = g_get_monotonic_time ();
  printf ("@start_us=%" G_GINT64_FORMAT "\n@threads=%u\n", start, n_senders);
  ok = send_all (senders, n_senders);
  while (fgets (line, sizeof (line), out) != NULL)
    fputs (line, stdout);
  waitpid (pid, &status, 0);
  printf ("@server_cpu_s=%.3f\n@server_wall_s=%.3f\n",
      rg_bench_cpu_seconds () - cpu0, (g_get_monotonic_time () - start) / 1e6);
  if (!ok)
    printf ("@error=send failed\n");
  for (i = 0; i < n_senders; i++) {
    guint j;

    for (j = 0; j < senders[i].n_sinks; j++)
      close (senders[i].sinks[j].fd);
    g_free (senders[i].sinks);
  }
  close (in_fd);
  fclose (out);
  close (listen_fd);
  g_free (senders);
  g_free (payload);
  if (payload_fd >= 0)
    close (payload_fd);
  return ok ? 0 : 1;
}

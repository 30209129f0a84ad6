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
 * rg-bench-tls: what TLS and SASL SCRAM cost the embedded broker.
 *
 *   rg-bench-tls [--records=N] [--readers=R] [--rounds=K] [--idle=C]
 *                [--pki=DIR] [--send-threads=T] [--read-ahead=B]
 *                [--tls-only]
 *
 * Throughput: a topic holds N records of 1 MiB (in memory: the broker
 * serves them from the buffers' own memory); R readers, each on its own
 * thread and connection, fetch all of them (Fetch v4, up to 8 MiB a
 * response). Clear text against TLS + SCRAM-SHA-512, interleaved over K
 * rounds (A B A B ...) because the machine may be shared; the aggregate is
 * R x N MiB over the time from the first fetch to the last reader done.
 * The readers decrypt too (they run in this process), as a real client
 * would on its own core. They read as librdkafka does, without OpenSSL's
 * read-ahead (a read() for each record's header and one for its body);
 * --read-ahead=B reads up to B bytes at a time instead. --tls-only skips
 * the clear-text runs (for a profile of the TLS path alone). --send-threads sets the broker's send threads
 * (default: the broker's own default, one fewer than the cores; 0: the
 * loop sends alone); each run prints how many connections' outputs were
 * sent in turns shared with them (the send chooser decides, see
 * rgbrokerio.h).
 *
 * Idle connections: a child process (forked before the broker starts)
 * opens C connections, each completing TLS and SCRAM, and keeps them
 * open; the broker process's VmRSS before and after, divided by C, is
 * what one idle authenticated TLS connection costs the broker.
 *
 * The CA and certificate come from the openssl command, into --pki (a
 * temporary directory by default; a --pki directory that holds them from
 * an earlier run is used as it is). Prints Markdown with the load average.
 */

#include <gst/gst.h>
#include "rgbench.h"
#include "broker/rgbroker.h"
#include "broker/rgbrokersasl.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define TOPIC "bench"

static guint n_records = 64;
static guint n_readers = 8;
static guint n_rounds = 3;
static guint n_idle = 1000;
static gchar *pki_dir;
static gint send_threads = -1;
static gint read_ahead = 0;
static gboolean tls_only = FALSE;
static guint64 last_parallel_sends;

/* ---- A client: TCP or TLS, blocking ---- */

typedef struct
{
  int fd;
  SSL *ssl;
} Conn;

static gboolean
conn_write (Conn * c, const guint8 * p, gsize len)
{
  while (len > 0) {
    ssize_t n = c->ssl ? SSL_write (c->ssl, p, len) : send (c->fd, p, len,
        MSG_NOSIGNAL);

    if (n <= 0)
      return FALSE;
    p += n;
    len -= n;
  }
  return TRUE;
}

static gboolean
conn_read (Conn * c, guint8 * p, gsize len)
{
  while (len > 0) {
    ssize_t n = c->ssl ? SSL_read (c->ssl, p, len) : recv (c->fd, p, len, 0);

    if (n <= 0)
      return FALSE;
    p += n;
    len -= n;
  }
  return TRUE;
}

static void
put16 (GByteArray * b, gint16 v)
{
  guint8 x[2] = { (v >> 8) & 0xff, v & 0xff };
  g_byte_array_append (b, x, 2);
}

static void
put32 (GByteArray * b, gint32 v)
{
  guint8 x[4] = { (v >> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff,
    v & 0xff
  };
  g_byte_array_append (b, x, 4);
}

static void
put64 (GByteArray * b, gint64 v)
{
  put32 (b, v >> 32);
  put32 (b, v & 0xffffffff);
}

static void
put_str (GByteArray * b, const gchar * s)
{
  put16 (b, strlen (s));
  g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

static GByteArray *
request_new (gint16 key, gint16 version)
{
  GByteArray *b = g_byte_array_new ();

  put32 (b, 0);
  put16 (b, key);
  put16 (b, version);
  put32 (b, 1);
  put_str (b, "rg-bench-tls");
  return b;
}

/* Sends @b (freed) and reads the response into @resp: its correlation id,
 * then the body at resp->data + 4 (left in place: moving an 8 MiB Fetch
 * response down by 4 bytes would cost each reader a copy no client makes). */
static gboolean
call (Conn * c, GByteArray * b, GByteArray * resp)
{
  guint8 prefix[4];
  guint32 size;
  gboolean ok;

  GST_WRITE_UINT32_BE (b->data, b->len - 4);
  ok = conn_write (c, b->data, b->len);
  g_byte_array_unref (b);
  if (!ok || !conn_read (c, prefix, 4))
    return FALSE;
  size = GST_READ_UINT32_BE (prefix);
  g_byte_array_set_size (resp, size);
  if (!conn_read (c, resp->data, size))
    return FALSE;
  return TRUE;
}

/* SaslAuthenticate v1 with @token: the server's token in @out. */
static gboolean
authenticate (Conn * c, const gchar * token, gchar ** out)
{
  GByteArray *b = request_new (36, 1), *resp = g_byte_array_new ();
  const guint8 *p;
  gint16 msg_len;
  gint32 len;
  gboolean ok;

  put32 (b, strlen (token));
  g_byte_array_append (b, (const guint8 *) token, strlen (token));
  ok = call (c, b, resp) && GST_READ_UINT16_BE (resp->data + 4) == 0;
  if (ok) {
    p = resp->data + 6;
    msg_len = GST_READ_UINT16_BE (p);
    p += 2 + MAX (msg_len, 0);
    len = GST_READ_UINT32_BE (p);
    *out = g_strndup ((const gchar *) p + 4, len);
  }
  g_byte_array_unref (resp);
  return ok;
}

/* SaslHandshake v1 then SCRAM-SHA-512 as RFC 5802 says. */
static gboolean
scram_login (Conn * c, const gchar * user, const gchar * password)
{
  const EVP_MD *md = EVP_sha512 ();
  guint md_len = EVP_MD_get_size (md), len, i;
  GByteArray *b = request_new (17, 1), *resp = g_byte_array_new ();
  guint8 salted[EVP_MAX_MD_SIZE], ckey[EVP_MAX_MD_SIZE];
  guint8 stored[EVP_MAX_MD_SIZE], csig[EVP_MAX_MD_SIZE];
  gchar *bare, *first, *server_first = NULL, *server_final = NULL;
  gchar **f = NULL, *wo, *auth, *proof64, *final;
  guchar *salt;
  gsize salt_len;
  gboolean ok;

  put_str (b, "SCRAM-SHA-512");
  ok = call (c, b, resp) && GST_READ_UINT16_BE (resp->data + 4) == 0;
  g_byte_array_unref (resp);
  bare = g_strdup_printf ("n=%s,r=%08x%08x", user, g_random_int (),
      g_random_int ());
  first = g_strconcat ("n,,", bare, NULL);
  ok = ok && authenticate (c, first, &server_first);
  if (ok) {
    f = g_strsplit (server_first, ",", 3);
    salt = g_base64_decode (f[1] + 2, &salt_len);
    PKCS5_PBKDF2_HMAC (password, strlen (password), salt, salt_len,
        atoi (f[2] + 2), md, md_len, salted);
    g_free (salt);
    HMAC (md, salted, md_len, (const guint8 *) "Client Key", 10, ckey, &len);
    EVP_Digest (ckey, md_len, stored, &len, md, NULL);
    wo = g_strdup_printf ("c=biws,%s", f[0]);
    auth = g_strdup_printf ("%s,%s,%s", bare, server_first, wo);
    HMAC (md, stored, md_len, (guint8 *) auth, strlen (auth), csig, &len);
    for (i = 0; i < md_len; i++)
      ckey[i] ^= csig[i];
    proof64 = g_base64_encode (ckey, md_len);
    final = g_strdup_printf ("%s,p=%s", wo, proof64);
    ok = authenticate (c, final, &server_final)
        && g_str_has_prefix (server_final, "v=");
    g_free (wo);
    g_free (auth);
    g_free (proof64);
    g_free (final);
  }
  g_strfreev (f);
  g_free (bare);
  g_free (first);
  g_free (server_first);
  g_free (server_final);
  return ok;
}

static SSL_CTX *
client_ctx (void)
{
  SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());
  gchar *ca = g_build_filename (pki_dir, "ca.pem", NULL);

  if (SSL_CTX_load_verify_locations (ctx, ca, NULL) != 1)
    g_error ("cannot load %s", ca);
  SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER, NULL);
  /* A reader takes what the socket holds in one read(), several records
   * at a time, as nginx does and as a Java client's SSLEngine does (it
   * reads the socket into its network buffer); without read-ahead OpenSSL
   * reads each record's 5-byte header and its body with a read() each. */
  if (read_ahead > 0) {
    SSL_CTX_set_read_ahead (ctx, 1);
    SSL_CTX_set_default_read_buffer_len (ctx, read_ahead);
  }
  g_free (ca);
  return ctx;
}

static gboolean
conn_open (Conn * c, guint port, SSL_CTX * ctx)
{
  struct sockaddr_in sin = { 0, };
  int one = 1;

  c->ssl = NULL;
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sin.sin_family = AF_INET;
  sin.sin_port = htons (port);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (c->fd, (struct sockaddr *) &sin, sizeof (sin)) != 0)
    return FALSE;
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  if (!ctx)
    return TRUE;
  c->ssl = SSL_new (ctx);
  SSL_set_fd (c->ssl, c->fd);
  return SSL_connect (c->ssl) == 1 && scram_login (c, "bench", "bench-pw");
}

static void
conn_close (Conn * c)
{
  if (c->ssl)
    SSL_free (c->ssl);
  close (c->fd);
}

/* ---- Throughput ---- */

typedef struct
{
  guint port;
  SSL_CTX *ctx;
  guint64 bytes;
  gboolean ok;
} Reader;

/* The offset after the last whole batch of a Fetch v4 response. */
static gint64
fetch_next (const guint8 * p, gsize len, gint64 offset, guint64 * bytes)
{
  const guint8 *end = p + len, *rec;
  gint32 rec_len;
  guint16 name_len;

  p += 4 + 4;                   /* throttle, topics */
  name_len = GST_READ_UINT16_BE (p);
  p += 2 + name_len + 4 + 4 + 2 + 8 + 8 + 4;    /* ... aborted count */
  rec_len = GST_READ_UINT32_BE (p);
  rec = p + 4;
  if (rec + rec_len > end)
    return -1;
  *bytes += rec_len;
  for (p = rec; p + 61 <= rec + rec_len;) {
    gint64 base = GST_READ_UINT64_BE (p);
    gint32 blen = GST_READ_UINT32_BE (p + 8);

    if (p + 12 + blen > rec + rec_len)
      break;
    offset = base + GST_READ_UINT32_BE (p + 23) + 1;
    p += 12 + blen;
  }
  return offset;
}

static gpointer
reader_run (gpointer data)
{
  Reader *r = data;
  GByteArray *resp = g_byte_array_new ();
  gint64 offset = 0;
  Conn c;

  r->ok = conn_open (&c, r->port, r->ctx);
  while (r->ok && offset < n_records) {
    GByteArray *b = request_new (1, 4);

    put32 (b, -1);
    put32 (b, 500);
    put32 (b, 1);
    put32 (b, 8 * MIB);
    g_byte_array_append (b, (const guint8 *) "\0", 1);
    put32 (b, 1);
    put_str (b, TOPIC);
    put32 (b, 1);
    put32 (b, 0);
    put64 (b, offset);
    put32 (b, 8 * MIB);
    r->ok = call (&c, b, resp);
    if (r->ok)
      offset = fetch_next (resp->data + 4, resp->len - 4, offset,
          &r->bytes);
    r->ok = r->ok && offset >= 0;
  }
  conn_close (&c);
  g_byte_array_unref (resp);
  return NULL;
}

static RgBroker *
start_broker (gboolean secure, gchar ** users_path)
{
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;
  gchar *cert = g_build_filename (pki_dir, "server.pem", NULL);
  gchar *key = g_build_filename (pki_dir, "server.key", NULL);

  rg_broker_config_init (&config);
  /* Every idle client comes from 127.0.0.1. */
  config.max_connections_per_address = 0;
  if (send_threads >= 0)
    config.send_threads = send_threads;
  if (secure) {
    config.tls_certificate = cert;
    config.tls_key = key;
    config.sasl_mechanisms = "SCRAM-SHA-512";
    config.credentials_file = *users_path;
  }
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  if (!broker)
    g_error ("broker: %s", error->message);
  g_free (cert);
  g_free (key);
  return broker;
}

/* MiB/s delivered to all readers together; @cpu_per_gib: CPU seconds of
 * the whole process (broker and readers) per GiB delivered, which a shared
 * machine disturbs less than the rate. */
static gdouble
throughput_once (gboolean secure, gchar ** users, gdouble * cpu_per_gib)
{
  RgBroker *broker = start_broker (secure, users);
  RgBrokerTopic *topic = rg_broker_add_topic (broker, TOPIC, n_records,
      NULL);
  SSL_CTX *ctx = secure ? client_ctx () : NULL;
  Reader *readers = g_new0 (Reader, n_readers);
  GThread **threads = g_new0 (GThread *, n_readers);
  gint64 start, end;
  gdouble cpu;
  guint i;

  for (i = 0; i < n_records; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, MIB, NULL);

    gst_buffer_memset (buf, 0, i, MIB);
    rg_broker_topic_append (topic, buf, -1, NULL, NULL, NULL);
    gst_buffer_unref (buf);
  }
  start = g_get_monotonic_time ();
  cpu = rg_bench_cpu_seconds ();
  for (i = 0; i < n_readers; i++) {
    readers[i].port = rg_broker_get_port (broker);
    readers[i].ctx = ctx;
    threads[i] = g_thread_new ("reader", reader_run, &readers[i]);
  }
  for (i = 0; i < n_readers; i++) {
    g_thread_join (threads[i]);
    if (!readers[i].ok)
      g_error ("reader %u failed", i);
  }
  end = g_get_monotonic_time ();
  *cpu_per_gib = (rg_bench_cpu_seconds () - cpu) * 1024.0 /
      ((gdouble) n_readers * n_records);
  {
    RgBrokerStats st;

    rg_broker_get_stats (broker, &st);
    last_parallel_sends = st.parallel_sends;
  }
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
  if (ctx)
    SSL_CTX_free (ctx);
  g_free (readers);
  g_free (threads);
  return (gdouble) n_readers * n_records / ((end - start) / 1e6);
}

/* ---- Idle connections ---- */

/* The child: opens n_idle authenticated TLS connections once it reads
 * the port, says so, then holds them until its input closes. */
static void
idle_child (int port_fd, int done_fd)
{
  SSL_CTX *ctx = client_ctx ();
  Conn *conns = g_new0 (Conn, n_idle);
  guint port, i, ok = 0;
  gchar c;

  if (read (port_fd, &port, sizeof (port)) != sizeof (port))
    _exit (1);
  for (i = 0; i < n_idle; i++)
    ok += conn_open (&conns[i], port, ctx);
  if (write (done_fd, &ok, sizeof (ok)) != sizeof (ok))
    _exit (1);
  while (read (port_fd, &c, 1) > 0);
  _exit (0);
}

static void
idle_connections (gchar ** users, gdouble * kib_per_conn)
{
  int to_child[2], from_child[2];
  RgBroker *broker;
  RgBrokerStats st;
  gint64 before, after;
  guint port, ok = 0;
  pid_t pid;

  if (pipe (to_child) != 0 || pipe (from_child) != 0)
    g_error ("pipe");
  pid = fork ();
  if (pid == 0) {
    close (to_child[1]);
    close (from_child[0]);
    idle_child (to_child[0], from_child[1]);
  }
  close (to_child[0]);
  close (from_child[1]);
  broker = start_broker (TRUE, users);
  g_usleep (200 * 1000);
  before = rg_bench_proc_status_kib ("VmRSS");
  port = rg_broker_get_port (broker);
  if (write (to_child[1], &port, sizeof (port)) != sizeof (port)
      || read (from_child[0], &ok, sizeof (ok)) != sizeof (ok))
    g_error ("child");
  g_usleep (500 * 1000);
  rg_broker_get_stats (broker, &st);
  after = rg_bench_proc_status_kib ("VmRSS");
  if (ok != n_idle || st.connections != n_idle)
    g_error ("%u of %u connections authenticated (%u open)", ok, n_idle,
        st.connections);
  *kib_per_conn = (gdouble) (after - before) / n_idle;
  close (to_child[1]);
  waitpid (pid, NULL, 0);
  rg_broker_release (broker);
}

/* ---- Main ---- */

static void
make_pki (void)
{
  gchar *cmd, *done = g_build_filename (pki_dir, "server.pem", NULL);

  /* A --pki directory from an earlier run is used again: key generation
   * would otherwise add a random amount of work to a profile. */
  if (g_file_test (done, G_FILE_TEST_EXISTS)) {
    g_free (done);
    return;
  }
  g_free (done);
  cmd = g_strdup_printf ("cd '%s' && ("
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -keyout ca.key "
      "-out ca.pem -subj '/CN=bench CA' && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key "
      "-out server.csr -subj '/CN=localhost' && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -days 1 -out server.pem) >/dev/null 2>&1", pki_dir);

  if (system (cmd) != 0)
    g_error ("openssl failed");
  g_free (cmd);
}

static gchar *
make_users (void)
{
  gchar *line = rg_broker_credentials_make_entry ("bench", "bench-pw",
      RG_BROKER_SASL_SCRAM_SHA_512, 0, NULL);
  gchar *path = g_build_filename (pki_dir, "users", NULL);

  g_file_set_contents (path, line, -1, NULL);
  g_free (line);
  return path;
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"records", 0, 0, G_OPTION_ARG_INT, &n_records, "1 MiB records", "N"},
    {"readers", 0, 0, G_OPTION_ARG_INT, &n_readers, "readers", "R"},
    {"rounds", 0, 0, G_OPTION_ARG_INT, &n_rounds, "A/B rounds", "K"},
    {"idle", 0, 0, G_OPTION_ARG_INT, &n_idle, "idle connections", "C"},
    {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki_dir, "CA directory", "DIR"},
    {"send-threads", 0, 0, G_OPTION_ARG_INT, &send_threads,
        "broker send threads (default: the broker's)", "T"},
    {"read-ahead", 0, 0, G_OPTION_ARG_INT, &read_ahead,
        "TLS readers' read-ahead buffer in bytes (0: off)", "B"},
    {"tls-only", 0, 0, G_OPTION_ARG_NONE, &tls_only,
        "skip the clear-text runs", NULL},
    {NULL}
  };
  GOptionContext *opts = g_option_context_new ("- TLS and SCRAM costs");
  GArray *clear = g_array_new (FALSE, FALSE, sizeof (gdouble));
  GArray *tls = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gchar *users, *load, *cpu, *load_after;
  gdouble kib = 0, sum_c = 0, sum_t = 0, cpu_c = 0, cpu_t = 0;
  struct rlimit rl;
  guint i;

  g_option_context_add_main_entries (opts, entries, NULL);
  if (!g_option_context_parse (opts, &argc, &argv, NULL))
    return 2;
  g_option_context_free (opts);
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
  }
  gst_init (NULL, NULL);
  if (!pki_dir)
    pki_dir = g_dir_make_tmp ("rg-bench-tls-XXXXXX", NULL);
  make_pki ();
  users = make_users ();
  load = rg_bench_load_average ();
  cpu = rg_bench_cpu_model ();

  if (n_idle > 0)
    idle_connections (&users, &kib);
  for (i = 0; i < n_rounds; i++) {
    gdouble cc = 0, ct, c, t;
    guint64 pc;

    c = tls_only ? 0 : throughput_once (FALSE, &users, &cc);
    pc = tls_only ? 0 : last_parallel_sends;
    t = throughput_once (TRUE, &users, &ct);

    g_array_append_val (clear, c);
    g_array_append_val (tls, t);
    sum_c += c;
    sum_t += t;
    cpu_c += cc;
    cpu_t += ct;
    g_print ("round %u: clear %.0f MiB/s (%.2f CPU s/GiB, %" G_GUINT64_FORMAT
        " parallel sends), TLS+SCRAM %.0f MiB/s (%.2f CPU s/GiB, %"
        G_GUINT64_FORMAT " parallel sends)\n", i + 1, c, cc, pc, t, ct,
        last_parallel_sends);
  }
  g_print ("\n| %u readers x %u records of 1 MiB | MiB/s (mean of %u) | "
      "CPU s per GiB delivered |\n|---|---|---|\n| clear text | %.0f | "
      "%.2f |\n| TLS 1.3 + SCRAM-SHA-512 | %.0f (%.2fx) | %.2f |\n\n",
      n_readers, n_records, n_rounds, sum_c / n_rounds, cpu_c / n_rounds,
      sum_t / n_rounds, sum_t / MAX (sum_c, 1), cpu_t / n_rounds);
  if (n_idle > 0)
    g_print ("%u idle TLS + SCRAM connections: %.1f KiB of broker RSS "
        "each\n", n_idle, kib);
  load_after = rg_bench_load_average ();
  g_print ("CPU: %s; load average before: %s; after: %s\n", cpu, load,
      load_after);
  g_free (load);
  g_free (load_after);
  g_free (cpu);
  g_free (users);
  g_array_unref (clear);
  g_array_unref (tls);
  return 0;
}

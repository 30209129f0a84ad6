/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Unit and stress tests of the broadcast ring (gst/ring/rgring.c). Buffers carry
 * their publication index in GST_BUFFER_OFFSET so that a reader can check
 * exactly which buffers it got. The stress test runs under ThreadSanitizer
 * in CI (tests/run.sh). */

#include <gst/check/gstcheck.h>
#include <stdatomic.h>

#include "ring/rgring.h"

#define NO_LIMIT_TIME GST_CLOCK_TIME_NONE


/* Under ThreadSanitizer: GstMiniObject reference counts live in the
 * uninstrumented libgstreamer, so TSan cannot see that a thread's own
 * reference orders its reads before another thread's final unref. The test
 * says so explicitly: a release before every unref, an acquire when the
 * object is finalized. (G_SLICE=always-malloc makes the frees visible.) */
#if defined(__SANITIZE_THREAD__)
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
#define TSAN_ACQUIRE(p) __tsan_acquire (p)
#define TSAN_RELEASE(p) __tsan_release (p)
#else
#define TSAN_ACQUIRE(p) G_STMT_START { } G_STMT_END
#define TSAN_RELEASE(p) G_STMT_START { } G_STMT_END
#endif

static void
item_unref (GstMiniObject * obj)
{
  TSAN_RELEASE (obj);
  gst_mini_object_unref (obj);
}

/* Counts buffers that are still alive, to check what the ring retains. */
static _Atomic gint alive;

static void
buffer_died (gpointer data)
{
  TSAN_ACQUIRE (data);
  atomic_fetch_sub (&alive, 1);
}

static void
event_died (gpointer data)
{
  TSAN_ACQUIRE (data);
}

/* An event whose finalization the test tracks (see TSAN_ACQUIRE). */
static GstEvent *
track_event (GstEvent * event)
{
  gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (event),
      g_quark_from_static_string ("rg-test-event"), event, event_died);
  return event;
}

static GQuark
alive_quark (void)
{
  return g_quark_from_static_string ("rg-test-alive");
}

/* A buffer of @size bytes, index @i, timestamp @ts, keyframe or delta. */
static GstBuffer *
make_buffer (guint64 i, gsize size, GstClockTime ts, gboolean keyframe)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);

  GST_BUFFER_OFFSET (buf) = i;
  GST_BUFFER_PTS (buf) = ts;
  if (!keyframe)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  atomic_fetch_add (&alive, 1);
  gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (buf), alive_quark (),
      buf, buffer_died);
  return buf;
}

/* Pushes buffers [from, to) with ts = i * 100 ms; keyframe every @gop
 * buffers (0 = all keyframes). */
static void
push_range (RgRing * ring, guint64 from, guint64 to, guint gop)
{
  guint64 i;

  for (i = from; i < to; i++)
    fail_unless (rg_ring_push_buffer (ring, make_buffer (i, 10,
                i * 100 * GST_MSECOND, gop == 0 || i % gop == 0)));
}

/* Reads everything available now (deadline in the past) into a string like
 * "7d 8 9 E" (buffer offsets, d = DISCONT, E = event), for exact checks. */
static gchar *
drain (RgRingReader * r, gboolean * want_keyframe)
{
  GString *s = g_string_new (NULL);
  RgRingItem items[4];
  guint n, i;
  gboolean want;

  if (want_keyframe)
    *want_keyframe = FALSE;
  for (;;) {
    RgRingReadResult res = rg_ring_reader_read (r, items,
        G_N_ELEMENTS (items), &n, &want, g_get_monotonic_time ());

    /* The keyframe hint comes with a timeout too. */
    if (want_keyframe && want)
      *want_keyframe = TRUE;
    if (res != RG_RING_READ_OK)
      break;
    for (i = 0; i < n; i++) {
      if (s->len)
        g_string_append_c (s, ' ');
      if (GST_IS_EVENT (items[i].object)) {
        g_string_append_c (s, 'E');
      } else {
        g_string_append_printf (s, "%" G_GUINT64_FORMAT "%s",
            GST_BUFFER_OFFSET (GST_BUFFER_CAST (items[i].object)),
            items[i].discont ? "d" : "");
      }
      item_unref (items[i].object);
    }
  }
  return g_string_free (s, FALSE);
}

static RgRingReader *
reader_new (RgRing * ring, RgLagPolicy policy, guint64 max_buffers,
    guint64 max_bytes, GstClockTime max_time)
{
  RgLagBudget b = { max_buffers, max_bytes, max_time, NO_LIMIT_TIME };

  return rg_ring_reader_new (ring, policy, &b, NULL, NULL);
}

#define assert_drain(r, expected) G_STMT_START {        \
  gchar *got = drain (r, NULL);                         \
  fail_unless_equals_string (got, expected);            \
  g_free (got);                                         \
} G_STMT_END

GST_START_TEST (test_order_and_identity)
{
  RgRing *ring = rg_ring_new (64);
  RgRingReader *a = reader_new (ring, RG_LAG_POLICY_BLOCK, 0, 0, NO_LIMIT_TIME);
  RgRingReader *b = reader_new (ring, RG_LAG_POLICY_DROP, 0, 0, NO_LIMIT_TIME);
  GstBuffer *sent[20];
  RgRingItem items[32];
  guint n, i;

  for (i = 0; i < 20; i++) {
    sent[i] = make_buffer (i, 100, i * GST_MSECOND, TRUE);
    fail_unless (rg_ring_push_buffer (ring, gst_buffer_ref (sent[i])));
  }
  /* Both readers get the very buffers that went in, in order. */
  fail_unless_equals_int (rg_ring_reader_read (a, items, 32, &n, NULL,
          G_MAXINT64), RG_RING_READ_OK);
  fail_unless_equals_int (n, 20);
  for (i = 0; i < n; i++) {
    fail_unless (items[i].object == GST_MINI_OBJECT_CAST (sent[i]));
    fail_unless (!items[i].discont);
    item_unref (items[i].object);
  }
  fail_unless_equals_int (rg_ring_reader_read (b, items, 32, &n, NULL,
          G_MAXINT64), RG_RING_READ_OK);
  fail_unless_equals_int (n, 20);
  for (i = 0; i < n; i++) {
    fail_unless (items[i].object == GST_MINI_OBJECT_CAST (sent[i]));
    item_unref (items[i].object);
  }
  for (i = 0; i < 20; i++)
    gst_buffer_unref (sent[i]);

  rg_ring_reader_free (a);
  rg_ring_reader_free (b);
  rg_ring_free (ring);
  fail_unless_equals_int (atomic_load (&alive), 0);
}

GST_END_TEST;

GST_START_TEST (test_drop_policy_buffers)
{
  RgRing *ring = rg_ring_new (64);
  RgRingReader *r = reader_new (ring, RG_LAG_POLICY_DROP, 3, 0, NO_LIMIT_TIME);
  RgRingReaderStats st;

  push_range (ring, 0, 10, 0);
  /* Lagging 10 with a budget of 3: the oldest buffer within budget is 7. */
  assert_drain (r, "7d 8 9");
  rg_ring_reader_get_stats (r, &st);
  fail_unless_equals_uint64 (st.in, 10);
  fail_unless_equals_uint64 (st.out, 3);
  fail_unless_equals_uint64 (st.dropped, 7);
  fail_unless_equals_uint64 (st.lag_buffers, 0);
  /* Within budget nothing is dropped. */
  push_range (ring, 10, 13, 0);
  assert_drain (r, "10 11 12");

  rg_ring_reader_free (r);
  rg_ring_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_drop_policy_time_and_bytes)
{
  RgRing *ring = rg_ring_new (64);
  /* ts = i * 100 ms; newest is 900 ms; 250 ms of budget keeps 700..900. */
  RgRingReader *t = reader_new (ring, RG_LAG_POLICY_DROP, 0, 0,
      250 * GST_MSECOND);
  /* 10 bytes each; 45 bytes of budget keeps the newest 4 buffers. */
  RgRingReader *b = reader_new (ring, RG_LAG_POLICY_DROP, 0, 45,
      NO_LIMIT_TIME);
  RgRingReaderStats st;

  push_range (ring, 0, 10, 0);
  rg_ring_reader_get_stats (t, &st);
  fail_unless_equals_uint64 (st.lag_time, 900 * GST_MSECOND);
  fail_unless_equals_uint64 (st.lag_bytes, 100);
  assert_drain (t, "7d 8 9");
  assert_drain (b, "6d 7 8 9");
  rg_ring_reader_get_stats (t, &st);
  fail_unless_equals_uint64 (st.max_lag_time, 900 * GST_MSECOND);

  rg_ring_reader_free (t);
  rg_ring_reader_free (b);
  rg_ring_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_latest_policy)
{
  RgRing *ring = rg_ring_new (64);
  RgRingReader *r = reader_new (ring, RG_LAG_POLICY_LATEST, 3, 0,
      NO_LIMIT_TIME);

  push_range (ring, 0, 10, 0);
  assert_drain (r, "9d");
  push_range (ring, 10, 12, 0);
  assert_drain (r, "10 11");

  rg_ring_reader_free (r);
  rg_ring_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_policy_resync)
{
  RgRing *ring = rg_ring_new (64);
  RgRingReader *r = reader_new (ring, RG_LAG_POLICY_KEYFRAME, 3, 0,
      NO_LIMIT_TIME);
  RgRingReaderStats st;
  gboolean want;
  gchar *got;

  /* Keyframes at 0, 4 and 8: the latest (8) lags 2, within budget. */
  push_range (ring, 0, 10, 4);
  got = drain (r, &want);
  fail_unless_equals_string (got, "8d 9");
  g_free (got);
  fail_if (want);
  rg_ring_reader_get_stats (r, &st);
  fail_unless_equals_uint64 (st.dropped, 8);
  fail_unless_equals_uint64 (st.dropped_keyframes, 2);

  rg_ring_reader_free (r);
  rg_ring_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_policy_waits_for_next)
{
  RgRing *ring = rg_ring_new (64);
  RgRingReader *r = reader_new (ring, RG_LAG_POLICY_KEYFRAME, 3, 0,
      NO_LIMIT_TIME);
  RgRingReaderStats st;
  gboolean want;
  gchar *got;

  /* Keyframes at 0 and 7 (gop 7): at 10 buffers the latest keyframe (7)
   * lags 3, within budget; at 12 it lags 5, so the reader drops everything
   * and waits for the next keyframe (14), asking for one. */
  push_range (ring, 0, 12, 7);
  got = drain (r, &want);
  fail_unless_equals_string (got, "");
  g_free (got);
  fail_unless (want);
  push_range (ring, 12, 16, 7);
  got = drain (r, &want);
  fail_unless_equals_string (got, "14d 15");
  g_free (got);
  fail_if (want);
  rg_ring_reader_get_stats (r, &st);
  fail_unless_equals_uint64 (st.dropped, 14);
  fail_unless_equals_uint64 (st.out, 2);
  fail_unless_equals_uint64 (st.dropped_keyframes, 2);

  rg_ring_reader_free (r);
  rg_ring_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_policy_after_release)
{
  RgRing *ring = rg_ring_new (64);
  RgLagBudget ten = { 10, 0, NO_LIMIT_TIME, NO_LIMIT_TIME };
  RgRingReader *r = reader_new (ring, RG_LAG_POLICY_KEYFRAME, 10, 0,
      NO_LIMIT_TIME);
  gboolean want;
  gchar *got;

  /* The ring keeps only 10 buffers, so the stalled reader comes back below
   * the floor (90). Buffer 90 is within its budget but a delta unit: it
   * must resume at the latest keyframe, 98, not at 90. */
  rg_ring_set_retention (ring, &ten);
  push_range (ring, 0, 100, 7);
  got = drain (r, &want);
  fail_unless_equals_string (got, "98d 99");
  g_free (got);

  /* With gop 50 the latest keyframe (50) is gone too: it drops everything
   * until the next keyframe and asks for one. */
  rg_ring_reader_free (r);
  r = reader_new (ring, RG_LAG_POLICY_KEYFRAME, 10, 0, NO_LIMIT_TIME);
  push_range (ring, 100, 200, 50);
  got = drain (r, &want);
  fail_unless_equals_string (got, "");
  g_free (got);
  fail_unless (want);
  push_range (ring, 200, 202, 50);
  got = drain (r, &want);
  fail_unless_equals_string (got, "200d 201");
  g_free (got);

  rg_ring_reader_free (r);
  rg_ring_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_events_never_dropped)
{
  RgRing *ring = rg_ring_new (64);
  RgRingReader *r = reader_new (ring, RG_LAG_POLICY_LATEST, 2, 0,
      NO_LIMIT_TIME);
  RgRingReader *all = reader_new (ring, RG_LAG_POLICY_BLOCK, 0, 0,
      NO_LIMIT_TIME);

  rg_ring_push_event (ring, track_event (gst_event_new_stream_start ("s")));
  push_range (ring, 0, 3, 0);
  rg_ring_push_event (ring, track_event (gst_event_new_custom
          (GST_EVENT_CUSTOM_DOWNSTREAM, gst_structure_new_empty ("x"))));
  push_range (ring, 3, 6, 0);
  rg_ring_push_event (ring, track_event (gst_event_new_eos ()));
  /* The lagging reader loses buffers 0..4 but none of the events, and each
   * event comes before the buffers that followed it. */
  assert_drain (r, "E E 5d E");
  assert_drain (all, "E 0 1 2 E 3 4 5 E");

  rg_ring_reader_free (r);
  rg_ring_reader_free (all);
  rg_ring_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_new_reader_starts_at_keyframe)
{
  RgRing *ring = rg_ring_new (64);
  RgRingReader *late, *raw;

  push_range (ring, 0, 10, 4);
  /* Keyframe 8 is the latest: a new reader starts there. */
  late = reader_new (ring, RG_LAG_POLICY_KEYFRAME, 300, 0, NO_LIMIT_TIME);
  assert_drain (late, "8 9");
  /* On a stream without delta units it starts at the newest buffer. */
  push_range (ring, 10, 15, 0);
  raw = reader_new (ring, RG_LAG_POLICY_DROP, 300, 0, NO_LIMIT_TIME);
  assert_drain (raw, "14");
  assert_drain (late, "10 11 12 13 14");

  rg_ring_reader_free (late);
  rg_ring_reader_free (raw);
  rg_ring_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_memory_bounded_by_budget)
{
  RgRing *ring = rg_ring_new (1024);
  RgLagBudget small = { 50, 0, NO_LIMIT_TIME, NO_LIMIT_TIME };
  RgRingReader *stalled;

  rg_ring_set_retention (ring, &small);
  /* With no readers, the ring keeps only the newest group of pictures
   * within the retention budget. */
  push_range (ring, 0, 5000, 0);
  fail_unless (atomic_load (&alive) <= 1, "%d alive", atomic_load (&alive));
  push_range (ring, 5000, 10000, 100000);
  fail_unless (atomic_load (&alive) <= 51, "%d alive", atomic_load (&alive));

  /* A reader that never reads does not pin more than its budget. */
  stalled = reader_new (ring, RG_LAG_POLICY_DROP, 200, 0, NO_LIMIT_TIME);
  push_range (ring, 10000, 15000, 0);
  fail_unless (atomic_load (&alive) <= 201, "%d alive", atomic_load (&alive));
  assert_drain (stalled, "14800d 14801 14802 14803 14804 14805 14806 14807 "
      "14808 14809 14810 14811 14812 14813 14814 14815 14816 14817 14818 "
      "14819 14820 14821 14822 14823 14824 14825 14826 14827 14828 14829 "
      "14830 14831 14832 14833 14834 14835 14836 14837 14838 14839 14840 "
      "14841 14842 14843 14844 14845 14846 14847 14848 14849 14850 14851 "
      "14852 14853 14854 14855 14856 14857 14858 14859 14860 14861 14862 "
      "14863 14864 14865 14866 14867 14868 14869 14870 14871 14872 14873 "
      "14874 14875 14876 14877 14878 14879 14880 14881 14882 14883 14884 "
      "14885 14886 14887 14888 14889 14890 14891 14892 14893 14894 14895 "
      "14896 14897 14898 14899 14900 14901 14902 14903 14904 14905 14906 "
      "14907 14908 14909 14910 14911 14912 14913 14914 14915 14916 14917 "
      "14918 14919 14920 14921 14922 14923 14924 14925 14926 14927 14928 "
      "14929 14930 14931 14932 14933 14934 14935 14936 14937 14938 14939 "
      "14940 14941 14942 14943 14944 14945 14946 14947 14948 14949 14950 "
      "14951 14952 14953 14954 14955 14956 14957 14958 14959 14960 14961 "
      "14962 14963 14964 14965 14966 14967 14968 14969 14970 14971 14972 "
      "14973 14974 14975 14976 14977 14978 14979 14980 14981 14982 14983 "
      "14984 14985 14986 14987 14988 14989 14990 14991 14992 14993 14994 "
      "14995 14996 14997 14998 14999");

  rg_ring_reader_free (stalled);
  rg_ring_free (ring);
  fail_unless_equals_int (atomic_load (&alive), 0);
}

GST_END_TEST;

typedef struct
{
  RgRing *ring;
  guint64 count;
  gboolean ok;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;

  w->ok = TRUE;
  push_range (w->ring, 0, w->count, 0);
  return NULL;
}

GST_START_TEST (test_block_backpressure)
{
  RgRing *ring = rg_ring_new (4);
  RgRingReader *r = reader_new (ring, RG_LAG_POLICY_BLOCK, 0, 0, NO_LIMIT_TIME);
  Writer w = { ring, 100, FALSE };
  GThread *t;
  RgRingItem items[3];
  guint n, i;
  guint64 expect = 0;

  t = g_thread_new ("writer", writer_thread, &w);
  /* The writer can get at most the capacity ahead of the blocking reader. */
  g_usleep (50 * 1000);
  fail_unless (rg_ring_get_head (ring) <= 4, "head %" G_GUINT64_FORMAT,
      rg_ring_get_head (ring));
  while (expect < 100) {
    fail_unless_equals_int (rg_ring_reader_read (r, items, 3, &n, NULL,
            G_MAXINT64), RG_RING_READ_OK);
    for (i = 0; i < n; i++) {
      fail_unless_equals_uint64 (GST_BUFFER_OFFSET (items[i].object), expect);
      fail_if (items[i].discont);
      expect++;
      item_unref (items[i].object);
    }
  }
  g_thread_join (t);

  rg_ring_reader_free (r);
  rg_ring_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_flushing_releases_writer)
{
  RgRing *ring = rg_ring_new (2);
  RgRingReader *r = reader_new (ring, RG_LAG_POLICY_BLOCK, 0, 0, NO_LIMIT_TIME);
  RgRingItem item;
  guint n;

  push_range (ring, 0, 2, 0);
  rg_ring_set_flushing (ring, TRUE);
  /* A full ring would block; flushing makes the push fail at once. */
  fail_if (rg_ring_push_buffer (ring, make_buffer (2, 10, 0, TRUE)));
  rg_ring_reader_set_flushing (r, TRUE);
  fail_unless_equals_int (rg_ring_reader_read (r, &item, 1, &n, NULL,
          G_MAXINT64), RG_RING_READ_FLUSHING);
  rg_ring_clear (ring);
  rg_ring_set_flushing (ring, FALSE);
  rg_ring_reader_set_flushing (r, FALSE);
  fail_unless_equals_int (atomic_load (&alive), 0);
  push_range (ring, 3, 5, 0);
  assert_drain (r, "3 4");

  rg_ring_reader_free (r);
  rg_ring_free (ring);
}

GST_END_TEST;

static void
count_cut (RgRingReader * r, gpointer data)
{
  atomic_fetch_add ((_Atomic gint *) data, 1);
}

GST_START_TEST (test_hard_limit_cuts_reader)
{
  RgRing *ring = rg_ring_new (64);
  RgLagBudget b = { 0, 0, NO_LIMIT_TIME, 500 * GST_MSECOND };
  _Atomic gint cuts = 0;
  RgRingReader *r = rg_ring_reader_new (ring, RG_LAG_POLICY_DROP, &b,
      count_cut, &cuts);
  RgRingItem item;
  guint n;

  push_range (ring, 0, 1, 4);
  assert_drain (r, "0");
  /* The last buffer taken is at 0 ms; 500 ms of lag is still allowed, at
   * 600 ms the reader is cut. */
  push_range (ring, 1, 6, 4);
  fail_unless_equals_int (atomic_load (&cuts), 0);
  push_range (ring, 6, 10, 4);
  fail_unless_equals_int (atomic_load (&cuts), 1);
  fail_unless (rg_ring_reader_is_cut (r));
  fail_unless_equals_int (rg_ring_reader_read (r, &item, 1, &n, NULL,
          G_MAXINT64), RG_RING_READ_CUT);
  /* Re-linked: it starts again at the latest keyframe. */
  rg_ring_reader_restart (r);
  assert_drain (r, "8d 9");
  fail_unless_equals_int (atomic_load (&cuts), 1);

  rg_ring_reader_free (r);
  rg_ring_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_block_hard_limit_releases_writer)
{
  RgRing *ring = rg_ring_new (2);
  RgLagBudget b = { 0, 0, NO_LIMIT_TIME, 20 * GST_MSECOND };
  _Atomic gint cuts = 0;
  RgRingReader *r = rg_ring_reader_new (ring, RG_LAG_POLICY_BLOCK, &b,
      count_cut, &cuts);

  /* The reader never reads: the writer waits 20 ms, then cuts it. */
  push_range (ring, 0, 5, 0);
  fail_unless_equals_int (atomic_load (&cuts), 1);
  fail_unless (rg_ring_reader_is_cut (r));

  rg_ring_reader_free (r);
  rg_ring_free (ring);
}

GST_END_TEST;

/* Stress: one writer, several readers of every policy stalling at random.
 * Every reader must see strictly increasing offsets (no duplicate, no
 * reordering), BLOCK readers every buffer, and each reader's counters must
 * add up. */
#define STRESS_BUFFERS 20000
#define STRESS_READERS 6

typedef struct
{
  RgRingReader *reader;
  RgLagPolicy policy;
  guint64 received;
  guint64 last;
  gboolean failed;
  guint seed;
} StressReader;

static gpointer
stress_reader_thread (gpointer data)
{
  StressReader *s = data;
  GRand *rand = g_rand_new_with_seed (s->seed);
  RgRingItem items[16];
  guint n, i;
  gboolean eos = FALSE;

  s->last = G_MAXUINT64;
  while (!eos) {
    RgRingReadResult res = rg_ring_reader_read (s->reader, items,
        g_rand_int_range (rand, 1, 17), &n, NULL, G_MAXINT64);

    if (res != RG_RING_READ_OK) {
      s->failed = TRUE;
      break;
    }
    for (i = 0; i < n; i++) {
      if (GST_IS_EVENT (items[i].object)) {
        eos = GST_EVENT_TYPE (items[i].object) == GST_EVENT_EOS;
      } else {
        guint64 off = GST_BUFFER_OFFSET (items[i].object);

        if (s->last != G_MAXUINT64 && off <= s->last)
          s->failed = TRUE;
        if (s->policy == RG_LAG_POLICY_BLOCK && off != s->last + 1)
          s->failed = TRUE;
        s->last = off;
        s->received++;
      }
      item_unref (items[i].object);
    }
    /* Stall now and then, some readers much more than others. */
    if (g_rand_int_range (rand, 0, 100) < 5)
      g_usleep (g_rand_int_range (rand, 0, 200 * (1 + s->seed % 3)));
  }
  g_rand_free (rand);
  return NULL;
}

GST_START_TEST (test_stress_random_stalls)
{
  RgRing *ring = rg_ring_new (64);
  StressReader readers[STRESS_READERS];
  GThread *threads[STRESS_READERS];
  RgLagPolicy policies[] = { RG_LAG_POLICY_BLOCK, RG_LAG_POLICY_DROP,
    RG_LAG_POLICY_LATEST, RG_LAG_POLICY_KEYFRAME
  };
  guint i;

  for (i = 0; i < STRESS_READERS; i++) {
    readers[i].policy = policies[i % G_N_ELEMENTS (policies)];
    readers[i].reader = reader_new (ring, readers[i].policy, 16, 0,
        NO_LIMIT_TIME);
    readers[i].received = 0;
    readers[i].failed = FALSE;
    readers[i].seed = i + 1;
    threads[i] = g_thread_new ("reader", stress_reader_thread, &readers[i]);
  }
  for (i = 0; i < STRESS_BUFFERS; i++) {
    fail_unless (rg_ring_push_buffer (ring, make_buffer (i, 100,
                i * GST_MSECOND, i % 10 == 0)));
    if (i % 1000 == 0)
      rg_ring_push_event (ring, track_event (gst_event_new_custom
              (GST_EVENT_CUSTOM_DOWNSTREAM, gst_structure_new_empty ("tick"))));
  }
  rg_ring_push_event (ring, track_event (gst_event_new_eos ()));

  for (i = 0; i < STRESS_READERS; i++) {
    RgRingReaderStats st;

    g_thread_join (threads[i]);
    rg_ring_reader_get_stats (readers[i].reader, &st);
    fail_if (readers[i].failed, "reader %u saw a duplicate or reordering", i);
    fail_unless_equals_uint64 (st.out, readers[i].received);
    fail_unless_equals_uint64 (st.in, STRESS_BUFFERS);
    fail_unless_equals_uint64 (st.out + st.dropped + st.lag_buffers,
        STRESS_BUFFERS);
    if (readers[i].policy == RG_LAG_POLICY_BLOCK)
      fail_unless_equals_uint64 (readers[i].received, STRESS_BUFFERS);
    rg_ring_reader_free (readers[i].reader);
  }
  rg_ring_free (ring);
  fail_unless_equals_int (atomic_load (&alive), 0);
}

GST_END_TEST;

/* Readers attach and detach while the writer runs (as rgtee pads do). */
static gpointer
churn_thread (gpointer data)
{
  RgRing *ring = data;
  RgRingItem items[8];
  guint n, i, round;

  for (round = 0; round < 200; round++) {
    RgRingReader *r = reader_new (ring, round % 2 ? RG_LAG_POLICY_BLOCK :
        RG_LAG_POLICY_KEYFRAME, 8, 0, NO_LIMIT_TIME);

    if (rg_ring_reader_read (r, items, 8, &n, NULL,
            g_get_monotonic_time () + 1000) == RG_RING_READ_OK) {
      for (i = 0; i < n; i++)
        item_unref (items[i].object);
    }
    rg_ring_reader_free (r);
  }
  return NULL;
}

GST_START_TEST (test_stress_attach_detach)
{
  RgRing *ring = rg_ring_new (16);
  GThread *t1 = g_thread_new ("churn", churn_thread, ring);
  GThread *t2 = g_thread_new ("churn", churn_thread, ring);
  guint64 i;

  for (i = 0; i < 20000; i++)
    fail_unless (rg_ring_push_buffer (ring, make_buffer (i, 10, i,
                i % 5 == 0)));
  g_thread_join (t1);
  g_thread_join (t2);
  rg_ring_free (ring);
  fail_unless_equals_int (atomic_load (&alive), 0);
}

GST_END_TEST;

static Suite *
ring_suite (void)
{
  Suite *s = suite_create ("rgring");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_order_and_identity);
  tcase_add_test (tc, test_drop_policy_buffers);
  tcase_add_test (tc, test_drop_policy_time_and_bytes);
  tcase_add_test (tc, test_latest_policy);
  tcase_add_test (tc, test_keyframe_policy_resync);
  tcase_add_test (tc, test_keyframe_policy_waits_for_next);
  tcase_add_test (tc, test_keyframe_policy_after_release);
  tcase_add_test (tc, test_events_never_dropped);
  tcase_add_test (tc, test_new_reader_starts_at_keyframe);
  tcase_add_test (tc, test_memory_bounded_by_budget);
  tcase_add_test (tc, test_block_backpressure);
  tcase_add_test (tc, test_flushing_releases_writer);
  tcase_add_test (tc, test_hard_limit_cuts_reader);
  tcase_add_test (tc, test_block_hard_limit_releases_writer);
  tcase_add_test (tc, test_stress_random_stalls);
  tcase_add_test (tc, test_stress_attach_detach);
  return s;
}

GST_CHECK_MAIN (ring);

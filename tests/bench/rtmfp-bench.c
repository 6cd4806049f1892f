/* gst-rtmfp bench: rtmfpsink into rtmfpsrc (listen) in one process
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   rtmfp-bench FILE.flv PORT [MAX_LATENCY_MS]
 *
 * Plays FILE.flv in real time (flvdemux, flvmux, a synchronised sink) into
 * rtmfpsink, which publishes to rtmfpsrc listening on 127.0.0.1:PORT in
 * the same process. Coded audio and video frames are matched in order on
 * both sides (reliable delivery keeps the order) to measure each frame's
 * delay, from the moment the sink takes it to the moment the source
 * outputs it. Prints one JSON object. Run it inside a network namespace
 * with loss (tests/bench/rtmfp-loss-bench.py does).
 */
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

typedef struct
{
  GMutex lock;
  GArray *sent[2]; /* gint64 monotonic us, per kind (0 audio, 1 video) */
  GArray *delays; /* gdouble ms */
  guint received[2];
  guint64 bytes_out;
  gint64 first_sent, last_received;
} Bench;

/* 0: audio, 1: video, -1: not a coded frame (header, config, data) */
static gint
frame_kind (GstBuffer *b)
{
  guint8 h[13];

  if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER) ||
      gst_buffer_extract (b, 0, h, 13) != 13)
    return -1;
  if (h[0] == 8 && (h[11] >> 4) == 10)
    return h[12] == 1 ? 0 : -1; /* AAC raw */
  if (h[0] == 9 && (h[11] & 0x0f) == 7)
    return h[12] == 1 ? 1 : -1; /* AVC NALU */
  return -1;
}

static GstPadProbeReturn
tx_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Bench *b = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gint k = frame_kind (buf);
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&b->lock);
  b->bytes_out += gst_buffer_get_size (buf);
  if (!b->first_sent)
    b->first_sent = now;
  if (k >= 0)
    g_array_append_val (b->sent[k], now);
  g_mutex_unlock (&b->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
rx_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Bench *b = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gint k = frame_kind (buf);
  gint64 now = g_get_monotonic_time ();

  if (k < 0)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&b->lock);
  if (b->received[k] < b->sent[k]->len) {
    gdouble d =
        (now - g_array_index (b->sent[k], gint64, b->received[k])) / 1000.0;

    g_array_append_val (b->delays, d);
  }
  b->received[k]++;
  b->last_received = now;
  g_mutex_unlock (&b->lock);
  return GST_PAD_PROBE_OK;
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
percentile (GArray *a, gdouble p)
{
  if (a->len == 0)
    return -1;
  return g_array_index (a, gdouble, MIN (a->len - 1, (guint) (p * a->len)));
}

static guint64
stat_u64 (GstElement *e, const gchar *field)
{
  GstStructure *s = NULL;
  guint64 v = 0;

  g_object_get (e, "stats", &s, NULL);
  if (s) {
    gst_structure_get_uint64 (s, field, &v);
    gst_structure_free (s);
  }
  return v;
}

static void
attach (GstElement *pipe, const gchar *name, GstPadProbeCallback cb, Bench *b)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipe), name);
  GstPad *pad = gst_element_get_static_pad (e, "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cb, b, NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
}

static gboolean
wait_eos (GstElement *pipe, GstClockTime timeout, gchar **error)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_timed_pop_filtered (
      bus, timeout, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gboolean ok = m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;

  if (m && !ok) {
    GError *e = NULL;

    gst_message_parse_error (m, &e, NULL);
    *error = g_strdup (e->message);
    g_error_free (e);
  } else if (!m) {
    *error = g_strdup ("timeout");
  }
  if (m)
    gst_message_unref (m);
  gst_object_unref (bus);
  return ok;
}

int
main (int argc, char **argv)
{
  Bench b = { 0 };
  gchar *d_src, *d_sink;
  GstElement *src, *sink, *rtmfpsink, *rtmfpsrc;
  gchar *err = NULL;
  gboolean ok;
  struct rusage ru;
  gdouble cpu, secs;
  guint64 retrans, loss_events;
  gint64 t0;

  gst_init (&argc, &argv);
  if (argc < 3) {
    fprintf (stderr, "usage: %s FILE.flv PORT [MAX_LATENCY_MS]\n", argv[0]);
    return 2;
  }
  g_mutex_init (&b.lock);
  b.sent[0] = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.sent[1] = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.delays = g_array_new (FALSE, FALSE, sizeof (gdouble));

  d_src = g_strdup_printf ("rtmfpsrc name=r mode=listen stats-interval=0 "
                           "location=rtmfp://127.0.0.1:%s/live ! "
                           "identity name=rx ! fakesink sync=false",
      argv[2]);
  d_sink = g_strdup_printf (
      "filesrc location=%s ! flvdemux name=d d.video ! queue ! "
      "h264parse ! flvmux name=m streamable=true ! identity name=tx sync=true "
      "! "
      "rtmfpsink name=s stats-interval=0 sync=false max-latency=%s "
      "max-queue=33554432 location=rtmfp://127.0.0.1:%s/live/bench "
      "d.audio ! queue ! aacparse ! m.",
      argv[1], argc > 3 ? argv[3] : "0", argv[2]);
  src = gst_parse_launch (d_src, NULL);
  sink = gst_parse_launch (d_sink, NULL);
  g_assert (src && sink);
  attach (src, "rx", rx_probe, &b);
  attach (sink, "tx", tx_probe, &b);
  rtmfpsrc = gst_bin_get_by_name (GST_BIN (src), "r");
  rtmfpsink = gst_bin_get_by_name (GST_BIN (sink), "s");

  gst_element_set_state (src, GST_STATE_PLAYING);
  g_usleep (200000);
  t0 = g_get_monotonic_time ();
  gst_element_set_state (sink, GST_STATE_PLAYING);
  ok = wait_eos (sink, 300 * GST_SECOND, &err);
  retrans = stat_u64 (rtmfpsink, "retransmissions");
  loss_events = stat_u64 (rtmfpsink, "loss-events");
  if (ok)
    ok = wait_eos (src, 30 * GST_SECOND, &err);
  secs = (g_get_monotonic_time () - t0) / 1e6;
  getrusage (RUSAGE_SELF, &ru);
  cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
      ru.ru_stime.tv_usec / 1e6;

  g_mutex_lock (&b.lock);
  g_array_sort (b.delays, cmp_double);
  printf ("{\"ok\": %s, \"error\": \"%s\", \"seconds\": %.2f, "
          "\"bytes\": %" G_GUINT64_FORMAT ", \"video_sent\": %u, "
          "\"video_received\": %u, \"audio_sent\": %u, \"audio_received\": %u, "
          "\"delay_p50_ms\": %.1f, \"delay_p95_ms\": %.1f, "
          "\"delay_max_ms\": %.1f, \"cpu_seconds\": %.2f, "
          "\"retransmissions\": %" G_GUINT64_FORMAT
          ", \"loss_events\": %" G_GUINT64_FORMAT "}\n",
      ok ? "true" : "false", err ? err : "", secs, b.bytes_out, b.sent[1]->len,
      b.received[1], b.sent[0]->len, b.received[0], percentile (b.delays, 0.5),
      percentile (b.delays, 0.95), percentile (b.delays, 1.0), cpu, retrans,
      loss_events);
  g_mutex_unlock (&b.lock);

  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_object_unref (rtmfpsrc);
  gst_object_unref (rtmfpsink);
  gst_object_unref (src);
  gst_object_unref (sink);
  g_free (d_src);
  g_free (d_sink);
  g_free (err);
  return ok ? 0 : 1;
}

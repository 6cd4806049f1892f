/* gst-rtmpe: rtmpesrc against the in-test server, through GstHarness
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpe-test-util.h"

#include "flvinfo.h"
#include "flvtag.h"
#include "rtmphandshake.h"

#include <string.h>

typedef struct
{
  TestServer *server;
  GstHarness *h;
  GstBus *bus;
  GPtrArray *script;
} Fixture;

static void
fixture_start (Fixture *f, const TestServerConfig *cfg, const gchar *scheme)
{
  gchar *url;

  f->server = test_server_new (cfg);
  url = test_server_url (f->server, scheme, "live", "stream");
  f->h = gst_harness_new ("rtmpesrc");
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->h->element, f->bus);
  g_object_set (f->h->element, "location", url, NULL);
  g_free (url);
}

static void
fixture_stop (Fixture *f)
{
  gst_harness_teardown (f->h);
  gst_object_unref (f->bus);
  test_server_free (f->server);
  if (f->script)
    g_ptr_array_unref (f->script);
}

/* Every buffer up to EOS. */
static GPtrArray *
pull_all (GstHarness *h)
{
  GPtrArray *bufs =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  GstBuffer *buf = NULL;

  while (gst_harness_pull_until_eos (h, &buf) && buf)
    g_ptr_array_add (bufs, buf);
  fail_unless (buf == NULL, "timed out before EOS");
  return bufs;
}

static guint8
flv_header_flags (GstBuffer *buf)
{
  guint8 head[13];

  fail_unless_equals_int (gst_buffer_get_size (buf), 13);
  gst_buffer_extract (buf, 0, head, 13);
  fail_unless (memcmp (head, "FLV\x01", 4) == 0);
  fail_unless_equals_int (tu_read_u32_be (head + 5), 9);
  fail_unless_equals_int (tu_read_u32_be (head + 9), 0);
  return head[4];
}

/* @buf is one FLV tag carrying @msg's payload; returns its timestamp */
static guint32
check_tag (GstBuffer *buf, const RtmpMessage *msg)
{
  guint8 type;
  guint32 ts;
  gsize size;
  GstMapInfo map;

  fail_unless (tu_parse_one_tag (buf, &type, &ts, &size),
      "a buffer that is not exactly one FLV tag");
  fail_unless_equals_int (type, msg->type);
  fail_unless_equals_int (size, gst_buffer_get_size (msg->payload));
  gst_buffer_map (msg->payload, &map, GST_MAP_READ);
  fail_unless (
      gst_buffer_memcmp (buf, FLV_TAG_HEADER_SIZE, map.data, map.size) == 0,
      "tag payload differs from the message sent");
  gst_buffer_unmap (msg->payload, &map);
  return ts;
}

static const GValue *
streamheader (GstHarness *h, guint *n)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstStructure *st;
  const GValue *sh;

  fail_unless (caps != NULL);
  st = gst_caps_get_structure (caps, 0);
  fail_unless_equals_string (gst_structure_get_name (st), "video/x-flv");
  sh = gst_structure_get_value (st, "streamheader");
  fail_unless (sh && GST_VALUE_HOLDS_ARRAY (sh));
  *n = gst_value_array_get_size (sh);
  /* the caps stay alive on the pad */
  gst_caps_unref (caps);
  return sh;
}

static GstBuffer *
sh_buffer (const GValue *sh, guint i)
{
  return gst_value_get_buffer (gst_value_array_get_value (sh, i));
}

static gboolean
same_bytes (GstBuffer *a, GstBuffer *b)
{
  GstMapInfo map;
  gboolean same;

  if (gst_buffer_get_size (a) != gst_buffer_get_size (b))
    return FALSE;
  gst_buffer_map (b, &map, GST_MAP_READ);
  same = gst_buffer_memcmp (a, 0, map.data, map.size) == 0;
  gst_buffer_unmap (b, &map);
  return same;
}

/* Checks a whole play of @script (its first @n_headers messages are the
 * metadata and sequence headers) as rtmpesrc output it. */
static void
check_stream (GstHarness *h, GPtrArray *bufs, GPtrArray *script,
    guint n_headers, gboolean audio)
{
  const GValue *sh;
  guint n_sh;
  gint64 offset = -1;
  guint8 expect_flags = (audio ? 0x04 : 0) | 0x01;

  /* caps: the FLV header with the right flags, metadata, configs */
  sh = streamheader (h, &n_sh);
  fail_unless_equals_int (n_sh, 1 + n_headers);
  fail_unless_equals_int (flv_header_flags (sh_buffer (sh, 0)), expect_flags);
  for (guint i = 0; i < n_headers; i++)
    check_tag (sh_buffer (sh, 1 + i), g_ptr_array_index (script, i));

  /* in band: the same header buffers first, flagged HEADER */
  fail_unless_equals_int (bufs->len, 1 + script->len);
  for (guint i = 0; i < 1 + n_headers; i++) {
    GstBuffer *b = g_ptr_array_index (bufs, i);

    fail_unless (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER),
        "buffer %u is not flagged HEADER", i);
    fail_unless (same_bytes (b, sh_buffer (sh, i)),
        "in-band header %u differs from the streamheader", i);
  }
  fail_unless_equals_int (
      flv_header_flags (g_ptr_array_index (bufs, 0)), expect_flags);

  /* then one tag per buffer, timestamps from the messages' */
  for (guint i = n_headers; i < script->len; i++) {
    const RtmpMessage *msg = g_ptr_array_index (script, i);
    GstBuffer *b = g_ptr_array_index (bufs, 1 + i);
    guint32 tag_ts = check_tag (b, msg);
    FlvTagInfo info;

    fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER));
    fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DISCONT));
    fail_unless (GST_BUFFER_DTS_IS_VALID (b) && GST_BUFFER_PTS_IS_VALID (b));
    /* one timeline: the first frame anchors it, then the distances hold */
    if (offset < 0)
      offset = (gint64) (GST_BUFFER_DTS (b) / GST_MSECOND) - msg->timestamp;
    fail_unless_equals_uint64 (
        GST_BUFFER_DTS (b), (msg->timestamp + offset) * GST_MSECOND);
    fail_unless_equals_uint64 (tag_ts, msg->timestamp + offset);
    fail_unless (
        flv_tag_info_parse_buffer (msg->type, msg->payload, &info, NULL));
    if (msg->type == RTMP_MESSAGE_TYPE_VIDEO) {
      fail_unless (info.composition_time >= 0);
      fail_unless_equals_uint64 (GST_BUFFER_PTS (b),
          GST_BUFFER_DTS (b) + info.composition_time * GST_MSECOND);
      fail_unless_equals_int (
          GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT),
          !info.keyframe);
    } else {
      fail_unless_equals_uint64 (GST_BUFFER_PTS (b), GST_BUFFER_DTS (b));
      fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT));
    }
  }
}

static void
play_script (gboolean audio, const gchar *scheme)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GPtrArray *bufs;
  GstMessage *err;

  f.script = tu_script (audio, 30);
  /* B-frames: the script's video frames have composition times */
  fail_unless (tu_script_cts (0) != 0 && tu_script_cts (1) != 0);
  cfg.media = f.script;
  cfg.end = TS_END_PLAY;
  fixture_start (&f, &cfg, scheme);
  gst_harness_play (f.h);
  {
    GError *error = NULL;

    /* a running element keeps its location */
    fail_if (gst_uri_handler_set_uri (
        GST_URI_HANDLER (f.h->element), "rtmp://127.0.0.1/live/other", &error));
    fail_unless (
        g_error_matches (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE));
    fail_unless (strstr (error->message, "running rtmpesrc") != NULL, "%s",
        error->message);
    g_clear_error (&error);
  }

  if (g_str_equal (scheme, "rtmpe")) {
    GstBuffer *first = gst_harness_pull (f.h);
    GstStructure *stats;
    guint type = 0;

    /* the connection is up: it went through RTMPE and RC4 */
    g_object_get (f.h->element, "stats", &stats, NULL);
    fail_unless (gst_structure_get_uint (stats, "handshake-type", &type));
    fail_unless_equals_int (type, RTMP_HANDSHAKE_TYPE_RTMPE);
    fail_unless_equals_string (
        gst_structure_get_string (stats, "cipher"), "RC4");
    gst_structure_free (stats);
    bufs = pull_all (f.h);
    g_ptr_array_insert (bufs, 0, first);
  } else {
    bufs = pull_all (f.h);
  }
  check_stream (f.h, bufs, f.script, audio ? 3 : 2, audio);
  g_ptr_array_unref (bufs);
  err = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR);
  fail_unless (err == NULL, "an error on the bus");
  fixture_stop (&f);
}

GST_START_TEST (test_src_audio_video)
{
  play_script (TRUE, "rtmp");
}

GST_END_TEST;

GST_START_TEST (test_src_video_only)
{
  play_script (FALSE, "rtmp");
}

GST_END_TEST;

GST_START_TEST (test_src_rtmpe)
{
  play_script (TRUE, "rtmpe");
}

GST_END_TEST;

GST_START_TEST (test_src_latency)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GstQuery *q;
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
  GstBuffer *buf;

  f.script = tu_script (TRUE, 5);
  cfg.media = f.script;
  fixture_start (&f, &cfg, "rtmp");
  g_object_set (f.h->element, "latency", 345, NULL);
  gst_harness_play (f.h);
  buf = gst_harness_pull (f.h);
  fail_unless (buf != NULL);
  gst_buffer_unref (buf);

  q = gst_query_new_latency ();
  fail_unless (gst_element_query (f.h->element, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 345 * GST_MSECOND);
  fail_unless_equals_uint64 (max, GST_CLOCK_TIME_NONE);
  gst_query_unref (q);

  /* downstream's view: the harness's pad asks upstream */
  q = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (f.h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 345 * GST_MSECOND);
  gst_query_unref (q);
  fixture_stop (&f);
}

GST_END_TEST;

static const TsEnd eos_ends[] = { TS_END_STREAM_EOF, TS_END_PLAY_STOP,
  TS_END_PLAY_COMPLETE, TS_END_UNPUBLISH_NOTIFY };

GST_START_TEST (test_src_eos)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GPtrArray *bufs;

  f.script = tu_script (TRUE, 10);
  cfg.media = f.script;
  cfg.end = eos_ends[__i__];
  fixture_start (&f, &cfg, "rtmp");
  gst_harness_play (f.h);
  /* EOS comes after every message, and the server never closed */
  bufs = pull_all (f.h);
  fail_unless_equals_int (bufs->len, 1 + f.script->len);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fail_unless_equals_int (tu_server_counters (f.server).open, 1);
  g_ptr_array_unref (bufs);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_src_discont_after_reconnect)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GPtrArray *bufs;
  GstMessage *warn;
  guint n_discont = 0, discont_at = 0;
  GstClockTime last_dts = 0;

  f.script = tu_script (TRUE, 30);
  cfg.media = f.script;
  cfg.end = TS_END_PLAY;
  /* the first connection ends after 20 messages, mid-stream */
  cfg.misbehave_conns = 1;
  cfg.close_after_media = 20;
  fixture_start (&f, &cfg, "rtmp");
  g_object_set (
      f.h->element, "auto-reconnect", TRUE, "reconnect-delay", 1, NULL);
  gst_harness_play (f.h);
  bufs = pull_all (f.h);

  fail_unless_equals_int (tu_server_counters (f.server).accepted, 2);
  warn = gst_bus_pop_filtered (f.bus, GST_MESSAGE_WARNING);
  fail_unless (warn != NULL, "no warning about the reconnection");
  gst_message_unref (warn);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);

  for (guint i = 1; i < bufs->len; i++) {
    GstBuffer *b = g_ptr_array_index (bufs, i);

    if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DISCONT)) {
      n_discont++;
      discont_at = i;
    }
    if (!GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER)) {
      fail_unless (GST_BUFFER_DTS (b) >= last_dts, "DTS went back at %u", i);
      last_dts = GST_BUFFER_DTS (b);
    }
  }
  /* exactly one DISCONT: the first buffer of the second connection (the
   * 20 messages of the first came out as the FLV header and 20 tags) */
  fail_unless_equals_int (n_discont, 1);
  fail_unless_equals_int (discont_at, 21);
  g_ptr_array_unref (bufs);
  fixture_stop (&f);
}

GST_END_TEST;

/* FFmpeg's listen mode sends metadata to players as @setDataFrame: the
 * streamheader and the stream carry it bare, as in an FLV file. */
GST_START_TEST (test_src_metadata_unwrapped)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GPtrArray *bufs, *wrapped;

  f.script = tu_script (TRUE, 10);
  wrapped = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  g_ptr_array_add (wrapped, tu_metadata (0, TRUE, TRUE, TRUE));
  for (guint i = 1; i < f.script->len; i++) {
    RtmpMessage *m = g_ptr_array_index (f.script, i);

    g_ptr_array_add (wrapped,
        rtmp_message_new (
            m->type, m->timestamp, 0, gst_buffer_ref (m->payload)));
  }
  cfg.media = wrapped;
  cfg.end = TS_END_PLAY;
  fixture_start (&f, &cfg, "rtmp");
  gst_harness_play (f.h);
  bufs = pull_all (f.h);
  /* checked against the script with bare onMetaData */
  check_stream (f.h, bufs, f.script, 3, TRUE);
  g_ptr_array_unref (bufs);
  g_ptr_array_unref (wrapped);
  fixture_stop (&f);
}

GST_END_TEST;

/* ---- errors -------------------------------------------------------------- */

/* The error came @elapsed s after start, for timeout=@timeout: never
 * early, and late by at most half a second more than a plain GLib timer
 * armed at the same moment (@ref) was late: what a loaded machine does to
 * every timer is not the element's fault. */
static void
check_timeout_timing (
    gdouble elapsed, guint timeout, TuRefTimer *ref, const gchar *what)
{
  gdouble late = tu_ref_timer_lateness (ref);

  g_printerr ("timeout=%u s, %s: error after %.3f s (a reference timer was "
              "%.3f s late)\n",
      timeout, what, elapsed, late);
  fail_unless (elapsed >= timeout - 0.05, "error after %.3f s for timeout=%u",
      elapsed, timeout);
  fail_unless (elapsed < timeout + 0.5 + late,
      "error after %.3f s for timeout=%u (reference timer %.3f s late)",
      elapsed, timeout, late);
}

/* Starts the element, waits for its error and returns it with the time it
 * took. */
static GstMessage *
start_and_wait_error (Fixture *f, gdouble *elapsed)
{
  gdouble t0 = tu_now_s ();
  GstMessage *msg;

  gst_element_set_state (f->h->element, GST_STATE_PLAYING);
  msg = tu_wait_error (f->bus, 30000);
  if (elapsed)
    *elapsed = tu_now_s () - t0;
  return msg;
}

/* The server breaks the connection after N bytes, without auto-reconnect:
 * in the handshake (S0+S1+S2 is 3073 bytes), or mid-stream after some
 * buffers went out. An error, never a hang. */
static const gsize close_after[] = { 100, 2000, 12000 };

GST_START_TEST (test_src_server_closes)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GstMessage *msg;
  GError *error = NULL;

  f.script = tu_script (TRUE, 30);
  cfg.media = f.script;
  cfg.end = TS_END_NONE;
  cfg.close_after_bytes = close_after[__i__];
  fixture_start (&f, &cfg, "rtmp");
  msg = start_and_wait_error (&f, NULL);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &error, NULL);
  GST_INFO ("closed after %" G_GSIZE_FORMAT " bytes: %s", cfg.close_after_bytes,
      error->message);
  /* the connection was lost: not "the server broke the protocol" */
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ),
      "%s %d: %s", g_quark_to_string (error->domain), error->code,
      error->message);
  g_error_free (error);
  gst_message_unref (msg);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_src_stream_not_found)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GstMessage *msg;

  cfg.reject_stream = "NetStream.Play.StreamNotFound";
  fixture_start (&f, &cfg, "rtmp");
  msg = start_and_wait_error (&f, NULL);
  tu_assert_error (msg, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "NetStream.Play.StreamNotFound");
  gst_message_unref (msg);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_src_connect_rejected)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GstMessage *msg;

  cfg.reject_connect = "NetConnection.Connect.Rejected";
  fixture_start (&f, &cfg, "rtmp");
  msg = start_and_wait_error (&f, NULL);
  tu_assert_error (msg, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
      "NetConnection.Connect.Rejected");
  gst_message_unref (msg);
  fixture_stop (&f);
}

GST_END_TEST;

static void
check_settings_error (const gchar *location)
{
  GstElement *src = gst_element_factory_make ("rtmpesrc", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (src, bus);
  if (location)
    g_object_set (src, "location", location, NULL);
  fail_unless_equals_int (
      gst_element_set_state (src, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  tu_assert_error (msg, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, NULL);
  gst_message_unref (msg);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_element_set_bus (src, NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
}

GST_START_TEST (test_src_bad_url)
{
  GstElement *src;
  GError *error = NULL;

  /* no location, no stream name, no application */
  check_settings_error (NULL);
  check_settings_error ("rtmp://127.0.0.1:1935/live");
  check_settings_error ("rtmp://127.0.0.1:1935/");

  /* the URI handler refuses what is not an RTMP URL */
  src = gst_element_factory_make ("rtmpesrc", NULL);
  fail_if (gst_uri_handler_set_uri (
      GST_URI_HANDLER (src), "http://127.0.0.1/live/stream", &error));
  fail_unless (error != NULL);
  g_clear_error (&error);
  fail_if (gst_uri_handler_set_uri (
      GST_URI_HANDLER (src), "rtmp://127.0.0.1:99999/live/stream", &error));
  fail_unless (g_error_matches (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI));
  g_clear_error (&error);
  fail_unless (gst_uri_handler_set_uri (
      GST_URI_HANDLER (src), "rtmpe://127.0.0.1/live/stream", &error));
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_src_connection_refused)
{
  Fixture f = { 0 };
  GSocket *closed;
  GSocketAddress *addr, *bound;
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GstMessage *msg;
  gchar *url;
  gdouble elapsed;

  /* a port that is bound but does not listen: the kernel refuses */
  closed = g_socket_new (
      G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  addr = g_inet_socket_address_new (lo, 0);
  fail_unless (g_socket_bind (closed, addr, FALSE, NULL));
  bound = g_socket_get_local_address (closed, NULL);
  url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/stream",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  f.h = gst_harness_new ("rtmpesrc");
  f.bus = gst_bus_new ();
  gst_element_set_bus (f.h->element, f.bus);
  g_object_set (f.h->element, "location", url, "timeout", 5, NULL);
  msg = start_and_wait_error (&f, &elapsed);
  tu_assert_error (
      msg, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, "refused");
  fail_unless (elapsed < 5.0, "took %.3f s", elapsed);
  GST_INFO ("refused after %.3f s", elapsed);
  gst_message_unref (msg);

  gst_harness_teardown (f.h);
  gst_object_unref (f.bus);
  g_free (url);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (closed);
}

GST_END_TEST;

/* where a silent server leaves the client: TCP connect (SYN never
 * answered), then the stalls of the test server */
static const TsStall timeout_stalls[] = { TS_STALL_NONE, TS_STALL_ACCEPT,
  TS_STALL_HANDSHAKE, TS_STALL_CONNECT };
static const gchar *const timeout_stage_names[] = {
  "stalled at the TCP connect", "stalled after accept, nothing read",
  "stalled in the handshake (C0+C1 read)",
  "stalled before connect (handshake done)"
};

GST_START_TEST (test_src_timeout)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  TuBlackhole *hole = NULL;
  TuRefTimer *ref;
  GstMessage *msg;
  gdouble elapsed;
  const guint timeout = 1;

  cfg.stall = timeout_stalls[__i__];
  fixture_start (&f, &cfg, "rtmp");
  if (cfg.stall == TS_STALL_NONE) {
    gchar *url;

    hole = tu_blackhole_new ();
    url = g_strdup_printf (
        "rtmp://127.0.0.1:%u/live/stream", tu_blackhole_get_port (hole));
    g_object_set (f.h->element, "location", url, NULL);
    g_free (url);
  }
  g_object_set (f.h->element, "timeout", timeout, NULL);
  ref = tu_ref_timer_start (timeout * 1000);
  msg = start_and_wait_error (&f, &elapsed);
  tu_assert_error (msg, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
      "did not answer in time");
  gst_message_unref (msg);
  check_timeout_timing (elapsed, timeout, ref, timeout_stage_names[__i__]);
  tu_ref_timer_free (ref);
  fail_unless_equals_int (tu_server_counters (f.server).accepted, hole ? 0 : 1);
  fixture_stop (&f);
  if (hole)
    tu_blackhole_free (hole);
}

GST_END_TEST;

/* One budget for the whole start: a TCP connect that takes a second (the
 * first SYN is dropped; Linux sends the next after 1 s), then a server
 * that never answers: the error still comes after `timeout`, not after
 * the connect's second plus `timeout`. */
GST_START_TEST (test_src_timeout_is_one_budget)
{
  Fixture f = { 0 };
  TuBlackhole *hole = tu_blackhole_new ();
  guint16 port = tu_blackhole_get_port (hole);
  gchar *url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/stream", port);
  const guint timeout = 2;
  TuRefTimer *ref;
  GstMessage *msg;
  gdouble t0, elapsed;

  f.h = gst_harness_new ("rtmpesrc");
  f.bus = gst_bus_new ();
  gst_element_set_bus (f.h->element, f.bus);
  g_object_set (f.h->element, "location", url, "timeout", timeout, NULL);
  t0 = tu_now_s ();
  ref = tu_ref_timer_start (timeout * 1000);
  gst_element_set_state (f.h->element, GST_STATE_PLAYING);
  fail_unless (tu_wait_syn_sent (port, 1, 5000));
  tu_blackhole_release (hole);
  msg = tu_wait_error (f.bus, 30000);
  elapsed = tu_now_s () - t0;
  tu_assert_error (msg, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
      "did not answer in time");
  gst_message_unref (msg);
  /* before the fix: the connect's second plus timeout, 3 s */
  check_timeout_timing (
      elapsed, timeout, ref, "TCP connect after ~1 s, then silence");
  tu_ref_timer_free (ref);
  gst_harness_teardown (f.h);
  gst_object_unref (f.bus);
  tu_blackhole_free (hole);
  g_free (url);
}

GST_END_TEST;

static Suite *
rtmpesrc_suite (void)
{
  Suite *s = suite_create ("rtmpesrc");
  TCase *tc = tcase_create ("general");

  tu_register_elements ();
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_src_audio_video);
  tcase_add_test (tc, test_src_video_only);
  tcase_add_test (tc, test_src_rtmpe);
  tcase_add_test (tc, test_src_latency);
  tcase_add_loop_test (tc, test_src_eos, 0, G_N_ELEMENTS (eos_ends));
  tcase_add_test (tc, test_src_discont_after_reconnect);
  tcase_add_test (tc, test_src_metadata_unwrapped);
  tcase_add_loop_test (
      tc, test_src_server_closes, 0, G_N_ELEMENTS (close_after));
  tcase_add_test (tc, test_src_stream_not_found);
  tcase_add_test (tc, test_src_connect_rejected);
  tcase_add_test (tc, test_src_bad_url);
  tcase_add_test (tc, test_src_connection_refused);
  tcase_add_loop_test (tc, test_src_timeout, 0, G_N_ELEMENTS (timeout_stalls));
  tcase_add_test (tc, test_src_timeout_is_one_budget);
  return s;
}

GST_CHECK_MAIN (rtmpesrc);

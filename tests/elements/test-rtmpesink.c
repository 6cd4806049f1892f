/* gst-rtmpe: rtmpesink against the in-test server, through GstHarness
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpe-test-util.h"

#include "flvtag.h"
#include "rtmphandshake.h"

#include <string.h>

#define WAIT_MS 10000
/* the AMF0 string "@setDataFrame" */
#define SET_DATA_FRAME_SIZE 16

static GstStaticPadTemplate flv_src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

typedef struct
{
  TestServer *server;
  GstHarness *h;
  GstBus *bus;
  GPtrArray *script;
} Fixture;

/* A harness around an rtmpesink that publishes to the server; the sink
 * starts (and connects) when the harness adds it. */
static void
fixture_start (Fixture *f, const TestServerConfig *cfg, const gchar *scheme)
{
  GstElement *sink = gst_element_factory_make ("rtmpesink", NULL);
  gchar *url;

  f->server = test_server_new (cfg);
  url = test_server_url (f->server, scheme, "live", "stream");
  f->bus = gst_bus_new ();
  gst_element_set_bus (sink, f->bus);
  g_object_set (sink, "location", url, NULL);
  f->h = gst_harness_new_empty ();
  gst_harness_add_element_full (
      f->h, sink, &flv_src_template, "sink", NULL, NULL);
  gst_object_unref (sink);
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

static void
push_ok (GstHarness *h, GstBuffer *buf)
{
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
}

static void
push_message (GstHarness *h, const RtmpMessage *msg)
{
  GstBuffer *tag = tu_flv_tag (msg);

  GST_BUFFER_DTS (tag) = msg->timestamp * GST_MSECOND;
  push_ok (h, tag);
}

/* @script as flvmux writes it: the FLV header, then one tag a buffer */
static void
push_flv (GstHarness *h, GPtrArray *script, gboolean header)
{
  if (header)
    push_ok (h, tu_flv_header (TRUE, TRUE));
  for (guint i = 0; i < script->len; i++)
    push_message (h, g_ptr_array_index (script, i));
}

static void
push_eos (GstHarness *h)
{
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
}

static gboolean
same_payload (GstBuffer *a, gsize offset, GstBuffer *b)
{
  GstMapInfo map;
  gboolean same;

  if (gst_buffer_get_size (a) != offset + gst_buffer_get_size (b))
    return FALSE;
  gst_buffer_map (b, &map, GST_MAP_READ);
  same = gst_buffer_memcmp (a, offset, map.data, map.size) == 0;
  gst_buffer_unmap (b, &map);
  return same;
}

/* What the server recorded is @script: same messages, same order, same
 * 32-bit timestamps; metadata arrived as @setDataFrame. */
static void
check_recorded (TestServer *srv, GPtrArray *script)
{
  GPtrArray *media = tu_server_media (srv);
  TestServerState st = tu_server_counters (srv);
  guint n[3] = { 0, 0, 0 };

  for (guint i = 0; i < script->len; i++) {
    const RtmpMessage *m = g_ptr_array_index (script, i);

    n[m->type == RTMP_MESSAGE_TYPE_AUDIO       ? 0 :
            m->type == RTMP_MESSAGE_TYPE_VIDEO ? 1 :
                                                 2]++;
  }
  fail_unless_equals_int (st.n_audio, n[0]);
  fail_unless_equals_int (st.n_video, n[1]);
  fail_unless_equals_int (st.n_data, n[2]);

  fail_unless_equals_int (media->len, script->len);
  for (guint i = 0; i < script->len; i++) {
    const RtmpMessage *m = g_ptr_array_index (script, i);
    const TsRecord *r = g_ptr_array_index (media, i);

    fail_unless_equals_int (r->type, m->type);
    fail_unless (r->timestamp == m->timestamp,
        "message %u: timestamp 0x%08x, sent 0x%08x", i, r->timestamp,
        m->timestamp);
    if (m->type == RTMP_MESSAGE_TYPE_DATA_AMF0) {
      fail_unless_equals_string (r->name, "@setDataFrame");
      fail_unless (same_payload (r->payload, SET_DATA_FRAME_SIZE, m->payload),
          "metadata differs from the script tag's");
    } else {
      fail_unless (same_payload (r->payload, 0, m->payload),
          "message %u: payload differs", i);
    }
  }
  g_ptr_array_unref (media);
}

static gint
find_command (GPtrArray *tap, const gchar *name)
{
  for (guint i = 0; i < tap->len; i++) {
    const TsRecord *r = g_ptr_array_index (tap, i);

    if (r->type == RTMP_MESSAGE_TYPE_COMMAND_AMF0 &&
        g_strcmp0 (r->name, name) == 0)
      return i;
  }
  return -1;
}

static gboolean
is_media (const TsRecord *r)
{
  return r->type == RTMP_MESSAGE_TYPE_AUDIO ||
      r->type == RTMP_MESSAGE_TYPE_VIDEO ||
      r->type == RTMP_MESSAGE_TYPE_DATA_AMF0;
}

/* The end: every message, then FCUnpublish and deleteStream, then the
 * client's FIN (no reset), nothing but control messages in between. */
static void
check_orderly_end (TestServer *srv)
{
  GPtrArray *tap = tu_server_tap (srv);
  gint unpublish = find_command (tap, "FCUnpublish");
  gint delete = find_command (tap, "deleteStream");
  TestServerState st;

  fail_unless (unpublish > 0, "no FCUnpublish");
  fail_unless (delete > unpublish, "no deleteStream after FCUnpublish");
  for (guint i = unpublish; i < tap->len; i++) {
    const TsRecord *r = g_ptr_array_index (tap, i);

    fail_if (is_media (r), "media after FCUnpublish");
    fail_unless (r->type <= RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH ||
            (gint) i == unpublish || (gint) i == delete,
        "message type %u (%s) after FCUnpublish", r->type,
        GST_STR_NULL (r->name));
  }
  g_ptr_array_unref (tap);

  fail_unless (test_server_wait (
      srv, ts_pred_peer_closed, GUINT_TO_POINTER (1), WAIT_MS));
  st = tu_server_counters (srv);
  fail_unless_equals_int (st.peer_eof, 1);
  fail_unless_equals_int (st.peer_error, 0);
  fail_unless_equals_int (st.publish_eos, 1);
}

static void
publish_script (const gchar *scheme)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };

  f.script = tu_script (TRUE, 30);
  fixture_start (&f, &cfg, scheme);
  gst_harness_set_src_caps_str (f.h, "video/x-flv");
  push_flv (f.h, f.script, TRUE);
  if (g_str_equal (scheme, "rtmpe")) {
    GstStructure *stats;
    guint type = 0;

    g_object_get (f.h->element, "stats", &stats, NULL);
    fail_unless (gst_structure_get_uint (stats, "handshake-type", &type));
    fail_unless_equals_int (type, RTMP_HANDSHAKE_TYPE_RTMPE);
    fail_unless_equals_string (
        gst_structure_get_string (stats, "cipher"), "RC4");
    gst_structure_free (stats);
  }
  /* EOS returns once the connection closed in order */
  push_eos (f.h);
  fail_unless_equals_int (tu_server_counters (f.server).open, 0);
  check_recorded (f.server, f.script);
  check_orderly_end (f.server);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fixture_stop (&f);
}

GST_START_TEST (test_sink_publish)
{
  publish_script ("rtmp");
}

GST_END_TEST;

GST_START_TEST (test_sink_publish_rtmpe)
{
  publish_script ("rtmpe");
}

GST_END_TEST;

GST_START_TEST (test_sink_timestamps_32bit)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  /* past 24 bits (extended timestamps), then over the 2^32 edge */
  static const guint32 ts[] = { 0, 40, 0x00FFFFFE, 0x00FFFFFF, 0x01000000,
    0x01000028, 0x7FFFFFFF, 0xFFFFFFC8, 0xFFFFFFF0, 0x00000010, 0x00000038 };

  f.script =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  g_ptr_array_add (f.script, tu_metadata (0, TRUE, TRUE, FALSE));
  g_ptr_array_add (f.script, tu_aac_header (0));
  g_ptr_array_add (f.script, tu_avc_header (0));
  for (guint i = 0; i < G_N_ELEMENTS (ts); i++) {
    g_ptr_array_add (f.script, tu_avc_frame (ts[i], i == 0, 40, 300));
    g_ptr_array_add (f.script, tu_aac_frame (ts[i], 100));
  }
  fixture_start (&f, &cfg, "rtmp");
  gst_harness_set_src_caps_str (f.h, "video/x-flv");
  push_flv (f.h, f.script, TRUE);
  push_eos (f.h);
  check_recorded (f.server, f.script);
  check_orderly_end (f.server);
  fixture_stop (&f);
}

GST_END_TEST;

/* caps with a streamheader as flvmux makes them */
static GstCaps *
caps_with_streamheader (GPtrArray *headers)
{
  GstCaps *caps = gst_caps_new_empty_simple ("video/x-flv");
  GValue array = G_VALUE_INIT;

  g_value_init (&array, GST_TYPE_ARRAY);
  for (guint i = 0; i <= headers->len; i++) {
    GValue v = G_VALUE_INIT;
    GstBuffer *b = i == 0 ? tu_flv_header (TRUE, TRUE) :
                            tu_flv_tag (g_ptr_array_index (headers, i - 1));

    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_HEADER);
    g_value_init (&v, GST_TYPE_BUFFER);
    g_value_take_boxed (&v, b);
    gst_value_array_append_and_take_value (&array, &v);
  }
  gst_caps_set_value (caps, "streamheader", &array);
  g_value_unset (&array);
  return caps;
}

/* 0: the in-band FLV header is there, the header tags are not; 1: nothing
 * of the header in band (a branch that joined a running flvmux) */
GST_START_TEST (test_sink_caps_streamheader)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GPtrArray *headers, *frames;

  f.script = tu_script (TRUE, 20);
  headers = g_ptr_array_new ();
  frames = g_ptr_array_new ();
  for (guint i = 0; i < f.script->len; i++)
    g_ptr_array_add (i < 3 ? headers : frames, g_ptr_array_index (f.script, i));
  fixture_start (&f, &cfg, "rtmp");
  gst_harness_set_src_caps (f.h, caps_with_streamheader (headers));
  if (__i__ == 0)
    push_ok (f.h, tu_flv_header (TRUE, TRUE));
  push_flv (f.h, frames, FALSE);
  push_eos (f.h);
  /* the headers came from the caps, before the first frame */
  check_recorded (f.server, f.script);
  check_orderly_end (f.server);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  g_ptr_array_unref (headers);
  g_ptr_array_unref (frames);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_sink_publish_refused)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GstMessage *msg;

  cfg.reject_stream = "NetStream.Publish.BadName";
  fixture_start (&f, &cfg, "rtmp");
  gst_harness_set_src_caps_str (f.h, "video/x-flv");
  push_ok (f.h, tu_flv_header (TRUE, TRUE));
  f.script = tu_script (FALSE, 1);
  fail_unless_equals_int (
      gst_harness_push (f.h, tu_flv_tag (g_ptr_array_index (f.script, 0))),
      GST_FLOW_ERROR);
  msg = tu_wait_error (f.bus, WAIT_MS);
  tu_assert_error (msg, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY,
      "NetStream.Publish.BadName");
  gst_message_unref (msg);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_sink_connect_rejected)
{
  Fixture f = { 0 };
  TestServerConfig cfg = { 0 };
  GstMessage *msg;

  cfg.reject_connect = "NetConnection.Connect.Rejected";
  fixture_start (&f, &cfg, "rtmp");
  gst_harness_set_src_caps_str (f.h, "video/x-flv");
  push_ok (f.h, tu_flv_header (TRUE, TRUE));
  f.script = tu_script (FALSE, 1);
  fail_unless_equals_int (
      gst_harness_push (f.h, tu_flv_tag (g_ptr_array_index (f.script, 0))),
      GST_FLOW_ERROR);
  msg = tu_wait_error (f.bus, WAIT_MS);
  tu_assert_error (msg, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
      "NetConnection.Connect.Rejected");
  gst_message_unref (msg);
  fixture_stop (&f);
}

GST_END_TEST;

/* ---- back-pressure ------------------------------------------------------- */

#define FRAME_SIZE (256 * 1024)
/* far more than the client queues (8 MiB) and a socket with a fixed
 * 64 KiB receive buffer hold */
#define PUSH_LIMIT (32 * 1024 * 1024)

typedef struct
{
  GstHarness *h;
  GMutex lock;
  GCond cond;
  guint64 pushed; /* bytes whose push returned */
  guint frames;
  gboolean done;
  GstFlowReturn last;
  gdouble done_at;
} Pusher;

static gpointer
pusher_func (gpointer data)
{
  Pusher *p = data;
  GstFlowReturn ret = GST_FLOW_OK;
  guint i = 0;

  while (ret == GST_FLOW_OK && p->pushed < PUSH_LIMIT) {
    RtmpMessage *m = tu_avc_frame (1000 + 40 * i, i % 10 == 0, 0, FRAME_SIZE);

    ret = gst_harness_push (p->h, tu_flv_tag (m));
    rtmp_message_free (m);
    i++;
    g_mutex_lock (&p->lock);
    if (ret == GST_FLOW_OK) {
      p->pushed += FRAME_SIZE;
      p->frames++;
    }
    g_cond_broadcast (&p->cond);
    g_mutex_unlock (&p->lock);
  }
  g_mutex_lock (&p->lock);
  p->done = TRUE;
  p->last = ret;
  p->done_at = tu_now_s ();
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
  return NULL;
}

/* Waits until the pusher made no progress for @quiet_ms (it is blocked)
 * or finished. This is the one place a test waits for something NOT to
 * happen: a blocked render is only visible as the absence of progress. */
static gboolean
wait_blocked (Pusher *p, guint quiet_ms)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  gboolean blocked = FALSE;

  g_mutex_lock (&p->lock);
  while (!p->done && g_get_monotonic_time () < deadline) {
    guint64 before = p->pushed;
    gint64 quiet_end = g_get_monotonic_time () + quiet_ms * 1000;

    while (p->pushed == before && !p->done &&
        g_cond_wait_until (&p->cond, &p->lock, quiet_end))
      ;
    if (p->pushed == before && !p->done) {
      blocked = TRUE;
      break;
    }
  }
  g_mutex_unlock (&p->lock);
  return blocked;
}

static gboolean
wait_pusher_done (Pusher *p, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  g_mutex_lock (&p->lock);
  while (!p->done && g_cond_wait_until (&p->cond, &p->lock, deadline))
    ;
  g_mutex_unlock (&p->lock);
  return p->done;
}

/* Publishes to a server that stops reading once publishing started, until
 * render blocks. */
static GThread *
start_blocked_publish (Fixture *f, Pusher *p)
{
  TestServerConfig cfg = { 0 };
  GThread *thread;

  cfg.stop_reading = TRUE;
  fixture_start (f, &cfg, "rtmp");
  gst_harness_set_src_caps_str (f->h, "video/x-flv");
  f->script =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  g_ptr_array_add (f->script, tu_avc_header (0));
  push_flv (f->h, f->script, TRUE);
  fail_unless (test_server_wait (
      f->server, ts_pred_stopped_reading, GUINT_TO_POINTER (1), WAIT_MS));

  memset (p, 0, sizeof (*p));
  p->h = f->h;
  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  thread = g_thread_new ("pusher", pusher_func, p);
  fail_unless (wait_blocked (p, 500),
      "render never blocked: %" G_GUINT64_FORMAT " bytes went through",
      p->pushed);
  GST_INFO ("render blocked after %" G_GUINT64_FORMAT " bytes", p->pushed);
  g_printerr ("back-pressure: render blocked after %u frames (%.1f MiB)\n",
      p->frames, p->pushed / 1048576.0);
  fail_unless (p->pushed >= 8 * 1024 * 1024 - FRAME_SIZE);
  return thread;
}

static void
pusher_clear (Pusher *p)
{
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
}

GST_START_TEST (test_sink_backpressure_resume)
{
  Fixture f = { 0 };
  Pusher p;
  GThread *thread = start_blocked_publish (&f, &p);
  guint64 blocked_at = p.pushed;
  gboolean moved;
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  /* the server reads again: render goes on */
  test_server_resume_reading (f.server);
  g_mutex_lock (&p.lock);
  while (
      p.pushed == blocked_at && g_cond_wait_until (&p.cond, &p.lock, deadline))
    ;
  moved = p.pushed > blocked_at;
  g_mutex_unlock (&p.lock);
  fail_unless (moved, "render did not resume");
  fail_unless (wait_pusher_done (&p, 60000));
  fail_unless_equals_int (p.last, GST_FLOW_OK);
  g_thread_join (thread);
  push_eos (f.h);
  fail_unless (test_server_wait (
      f.server, ts_pred_media, GUINT_TO_POINTER (1 + p.frames), WAIT_MS));
  pusher_clear (&p);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_sink_backpressure_flush)
{
  Fixture f = { 0 };
  Pusher p;
  GThread *thread = start_blocked_publish (&f, &p);
  gdouble t0, took;

  t0 = tu_now_s ();
  fail_unless (gst_harness_push_event (f.h, gst_event_new_flush_start ()));
  fail_unless (wait_pusher_done (&p, 5000), "render still blocked");
  took = p.done_at - t0;
  g_printerr ("back-pressure: flush-start unblocked render in %.3f s\n", took);
  fail_unless (took < 1.0, "render unblocked after %.3f s", took);
  fail_unless_equals_int (p.last, GST_FLOW_FLUSHING);
  g_thread_join (thread);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_flush_stop (TRUE)));
  pusher_clear (&p);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_sink_backpressure_null)
{
  Fixture f = { 0 };
  Pusher p;
  GThread *thread = start_blocked_publish (&f, &p);
  gdouble t0, took;

  t0 = tu_now_s ();
  fail_unless_equals_int (gst_element_set_state (f.h->element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  took = tu_now_s () - t0;
  fail_unless (wait_pusher_done (&p, 5000), "render still blocked");
  g_printerr ("back-pressure: set_state (NULL) returned in %.3f s, render "
              "unblocked in %.3f s\n",
      took, p.done_at - t0);
  fail_unless (took < 1.0, "NULL took %.3f s", took);
  fail_unless (p.done_at - t0 < 1.0);
  fail_unless (p.last == GST_FLOW_FLUSHING || p.last == GST_FLOW_ERROR);
  g_thread_join (thread);
  pusher_clear (&p);
  fixture_stop (&f);
}

GST_END_TEST;

static Suite *
rtmpesink_suite (void)
{
  Suite *s = suite_create ("rtmpesink");
  TCase *tc = tcase_create ("general");

  tu_register_elements ();
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_sink_publish);
  tcase_add_test (tc, test_sink_publish_rtmpe);
  tcase_add_test (tc, test_sink_timestamps_32bit);
  tcase_add_loop_test (tc, test_sink_caps_streamheader, 0, 2);
  tcase_add_test (tc, test_sink_publish_refused);
  tcase_add_test (tc, test_sink_connect_rejected);
  tcase_add_test (tc, test_sink_backpressure_resume);
  tcase_add_test (tc, test_sink_backpressure_flush);
  tcase_add_test (tc, test_sink_backpressure_null);
  return s;
}

GST_CHECK_MAIN (rtmpesink);

/* gst-rtmpe: rtmpesrc and rtmpesink started and stopped again and again,
 * and stopped in every phase of a connection: nothing is left behind
 * (threads, descriptors; the sanitizer build adds memory), and NULL
 * always comes back at once.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpe-test-util.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#define CYCLES 200
#define WAIT_MS 10000
/* what "at once" means for set_state (NULL) */
#define MAX_NULL_S 1.0

typedef struct
{
  GstElement *pipeline;
  GstElement *rtmpe; /* rtmpesrc or rtmpesink */
  GstElement *app; /* appsink or appsrc */
  GstBus *bus;
} Pipe;

/* rtmpesrc ! appsink */
static void
src_pipe (Pipe *p, const gchar *location)
{
  p->pipeline = gst_pipeline_new (NULL);
  p->rtmpe = gst_element_factory_make ("rtmpesrc", NULL);
  p->app = g_object_new (
      GST_TYPE_APP_SINK, "sync", FALSE, "max-buffers", 8, "drop", TRUE, NULL);
  g_object_set (p->rtmpe, "location", location, NULL);
  gst_bin_add_many (GST_BIN (p->pipeline), p->rtmpe, p->app, NULL);
  fail_unless (gst_element_link (p->rtmpe, p->app));
  p->bus = gst_pipeline_get_bus (GST_PIPELINE (p->pipeline));
}

/* appsrc ! rtmpesink */
static void
sink_pipe (Pipe *p, const gchar *location)
{
  GstCaps *caps = gst_caps_new_empty_simple ("video/x-flv");

  p->pipeline = gst_pipeline_new (NULL);
  p->app = g_object_new (
      GST_TYPE_APP_SRC, "caps", caps, "format", GST_FORMAT_BYTES, NULL);
  p->rtmpe = gst_element_factory_make ("rtmpesink", NULL);
  g_object_set (p->rtmpe, "location", location, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (p->pipeline), p->app, p->rtmpe, NULL);
  fail_unless (gst_element_link (p->app, p->rtmpe));
  p->bus = gst_pipeline_get_bus (GST_PIPELINE (p->pipeline));
  gst_caps_unref (caps);
}

static void
pipe_free (Pipe *p)
{
  GstMessage *err;

  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  err = gst_bus_pop_filtered (p->bus, GST_MESSAGE_ERROR);
  if (err) {
    GError *e = NULL;

    gst_message_parse_error (err, &e, NULL);
    fail ("error on the bus: %s", e->message);
  }
  gst_object_unref (p->bus);
  gst_object_unref (p->pipeline);
}

static void
play (Pipe *p)
{
  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
}

/* set_state (NULL), timed */
static gdouble
stop (Pipe *p)
{
  gdouble t0 = tu_now_s ();

  fail_unless_equals_int (gst_element_set_state (p->pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  return tu_now_s () - t0;
}

static void
wait_first_buffer (Pipe *p)
{
  GstSample *sample = gst_app_sink_try_pull_sample (
      GST_APP_SINK (p->app), (GstClockTime) WAIT_MS * GST_MSECOND);

  fail_unless (sample != NULL, "no buffer from rtmpesrc");
  gst_sample_unref (sample);
}

static void
push_script (Pipe *p, GPtrArray *script)
{
  fail_unless_equals_int (gst_app_src_push_buffer (
                              GST_APP_SRC (p->app), tu_flv_header (TRUE, TRUE)),
      GST_FLOW_OK);
  for (guint i = 0; i < script->len; i++)
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (p->app),
                                tu_flv_tag (g_ptr_array_index (script, i))),
        GST_FLOW_OK);
}

static guint
n_media (TestServer *s)
{
  GPtrArray *m = tu_server_media (s);
  guint n = m->len;

  g_ptr_array_unref (m);
  return n;
}

typedef struct
{
  guint fds;
  guint threads;
  gchar *what;
} Usage;

/* What the process holds once the server has seen every client go and
 * every pool thread (streaming threads included) has ended. GLib keeps up
 * to two idle threads in its pool for the next task: they are told to
 * end here, and a thread needs a moment to end: the kernel tells no one,
 * so poll. */
static Usage
usage (TestServer *s)
{
  Usage u;
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  gint max_unused = g_thread_pool_get_max_unused_threads ();

  fail_unless (test_server_wait (s, ts_pred_all_closed, NULL, WAIT_MS),
      "the server still has connections open");
  g_thread_pool_set_max_unused_threads (0);
  g_thread_pool_stop_unused_threads ();
  while (tu_count_pool_threads () > 0 && g_get_monotonic_time () < deadline) {
    g_usleep (1000);
    g_thread_pool_stop_unused_threads ();
  }
  u.fds = tu_count_fds ();
  u.threads = tu_count_threads ();
  u.what = tu_describe_process ();
  g_thread_pool_set_max_unused_threads (max_unused);
  return u;
}

static void
check_same_usage (Usage *before, Usage *after)
{
  fail_unless (before->fds == after->fds && before->threads == after->threads,
      "before: %s\nafter: %s", before->what, after->what);
  g_clear_pointer (&before->what, g_free);
  g_clear_pointer (&after->what, g_free);
}

static void
cycles (gboolean src)
{
  TestServerConfig cfg = { 0 };
  GPtrArray *script = tu_script (TRUE, 5);
  TestServer *srv;
  gchar *url;
  Pipe p;
  Usage before = { 0 }, after;
  gdouble max_null = 0, total_null = 0, t0;

  /* the server keeps every play open: the client is the one to go */
  cfg.media = script;
  srv = test_server_new (&cfg);
  url = test_server_url (srv, "rtmp", "live", "stream");
  if (src)
    src_pipe (&p, url);
  else
    sink_pipe (&p, url);

  t0 = tu_now_s ();
  for (guint i = 0; i <= CYCLES; i++) {
    gdouble took;

    /* cycle 0 warms up what GLib and GStreamer keep for the process
     * (thread pools, the type system): count after it */
    if (i == 1)
      before = usage (srv);
    if (src) {
      play (&p);
      wait_first_buffer (&p);
    } else {
      guint have = n_media (srv);

      play (&p);
      push_script (&p, script);
      fail_unless (test_server_wait (
          srv, ts_pred_media, GUINT_TO_POINTER (have + script->len), WAIT_MS));
    }
    took = stop (&p);
    total_null += took;
    max_null = MAX (max_null, took);
  }
  /* A streaming thread that GstTask has just given back may still be on
   * its way out of the pool (under load it was seen counted a moment
   * after the pool looked empty): measure again until the counts match or
   * the time is up. A real leak stays, and fails below. */
  after = usage (srv);
  for (gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;
       (after.fds != before.fds || after.threads != before.threads) &&
       g_get_monotonic_time () < end;) {
    g_free (after.what);
    g_usleep (10 * 1000);
    after = usage (srv);
  }
  g_printerr ("%s: %u start/stop cycles in %.2f s; fds %u -> %u, threads "
              "%u -> %u; set_state (NULL) mean %.1f ms, max %.1f ms\n",
      src ? "rtmpesrc" : "rtmpesink", CYCLES, tu_now_s () - t0, before.fds,
      after.fds, before.threads, after.threads, 1000 * total_null / CYCLES,
      1000 * max_null);
  g_printerr (
      "%s: after the loop: %s\n", src ? "rtmpesrc" : "rtmpesink", after.what);
  check_same_usage (&before, &after);
  fail_unless (max_null < MAX_NULL_S);
  fail_unless_equals_int (tu_server_counters (srv).accepted, CYCLES + 1);
  if (src) {
    fail_unless_equals_int (tu_server_counters (srv).plays, CYCLES + 1);
  } else {
    fail_unless_equals_int (tu_server_counters (srv).publishes, CYCLES + 1);
  }

  pipe_free (&p);
  g_free (url);
  test_server_free (srv);
  g_ptr_array_unref (script);
}

GST_START_TEST (test_src_start_stop)
{
  cycles (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_sink_start_stop)
{
  cycles (FALSE);
}

GST_END_TEST;

/* ---- NULL in every phase ------------------------------------------------- */

enum
{
  PHASE_CONNECTING, /* TCP connect pending */
  PHASE_HANDSHAKING, /* C0+C1 sent, no answer */
  PHASE_STREAMING,
  N_PHASES
};

static const gchar *const phase_names[] = { "connecting", "handshaking",
  "streaming" };

/* One ordinary play or publish, for what GLib and GStreamer create once
 * per process (the GIO worker thread, the thread pool's spawner ...). */
static void
warm_up (gboolean src)
{
  TestServerConfig cfg = { 0 };
  GPtrArray *script = tu_script (TRUE, 5);
  TestServer *srv;
  gchar *url;
  Pipe p;

  cfg.media = script;
  srv = test_server_new (&cfg);
  url = test_server_url (srv, "rtmp", "live", "stream");
  if (src) {
    src_pipe (&p, url);
    play (&p);
    wait_first_buffer (&p);
  } else {
    sink_pipe (&p, url);
    play (&p);
    push_script (&p, script);
    fail_unless (test_server_wait (
        srv, ts_pred_media, GUINT_TO_POINTER (script->len), WAIT_MS));
  }
  stop (&p);
  pipe_free (&p);
  g_free (url);
  test_server_free (srv);
  g_ptr_array_unref (script);
}

static void
null_in_phase (gboolean src, guint phase)
{
  TestServerConfig cfg = { 0 };
  GPtrArray *script = tu_script (TRUE, 5);
  TuBlackhole *hole = NULL;
  TestServer *srv;
  gchar *url;
  Pipe p;
  gdouble took;
  Usage before, after;

  warm_up (src);
  cfg.media = script;
  if (phase == PHASE_HANDSHAKING)
    cfg.stall = TS_STALL_HANDSHAKE;
  srv = test_server_new (&cfg);
  before = usage (srv);
  if (phase == PHASE_CONNECTING) {
    hole = tu_blackhole_new ();
    url = g_strdup_printf (
        "rtmp://127.0.0.1:%u/live/stream", tu_blackhole_get_port (hole));
  } else {
    url = test_server_url (srv, "rtmp", "live", "stream");
  }
  if (src)
    src_pipe (&p, url);
  else
    sink_pipe (&p, url);

  play (&p);
  if (!src) {
    /* render waits for the connection (streaming: it publishes) */
    push_script (&p, script);
  }
  switch (phase) {
    case PHASE_CONNECTING:
      fail_unless (tu_wait_syn_sent (tu_blackhole_get_port (hole), 1, WAIT_MS),
          "the client never tried to connect");
      break;
    case PHASE_HANDSHAKING:
      /* C0 and C1 arrived, and the server will never answer */
      fail_unless (test_server_wait (
          srv, ts_pred_bytes_read, GUINT_TO_POINTER (1 + 1536), WAIT_MS));
      break;
    case PHASE_STREAMING:
      if (src)
        wait_first_buffer (&p);
      else
        fail_unless (test_server_wait (
            srv, ts_pred_media, GUINT_TO_POINTER (script->len), WAIT_MS));
      break;
  }
  took = stop (&p);
  g_printerr ("%s: set_state (NULL) while %s: %.1f ms\n",
      src ? "rtmpesrc" : "rtmpesink", phase_names[phase], took * 1000);
  fail_unless (
      took < MAX_NULL_S, "NULL while %s took %.3f s", phase_names[phase], took);
  pipe_free (&p);

  if (hole)
    tu_blackhole_free (hole);
  after = usage (srv);
  check_same_usage (&before, &after);
  g_free (url);
  test_server_free (srv);
  g_ptr_array_unref (script);
}

GST_START_TEST (test_src_null_in_phase)
{
  null_in_phase (TRUE, __i__);
}

GST_END_TEST;

GST_START_TEST (test_sink_null_in_phase)
{
  null_in_phase (FALSE, __i__);
}

GST_END_TEST;

static Suite *
rtmpe_startstop_suite (void)
{
  Suite *s = suite_create ("rtmpe-startstop");
  TCase *tc = tcase_create ("general");

  tu_register_elements ();
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_src_start_stop);
  tcase_add_test (tc, test_sink_start_stop);
  tcase_add_loop_test (tc, test_src_null_in_phase, 0, N_PHASES);
  tcase_add_loop_test (tc, test_sink_null_in_phase, 0, N_PHASES);
  return s;
}

GST_CHECK_MAIN (rtmpe_startstop);

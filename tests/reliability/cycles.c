/* gst-rtmpe: start/stop cycles of one pipeline against a live peer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   rtmpe-cycles [-n CYCLES] [--buffers N] [--stat NAME:FIELD:MIN]
 *                [--timeout-ms MS] PIPELINE
 *
 * Each cycle parses PIPELINE ("%d" becomes the cycle number), sets it to
 * PLAYING, waits until media flows (N buffers at the fakesink named "out",
 * or element NAME's stats FIELD reaching MIN), sets it to NULL and drops
 * it. Checked after every cycle: no error on the bus, no "rtmpe-client",
 * "rtmpe-server" or "rtmfp-io" thread left. Checked at the end: as many file descriptors
 * open as after the first cycle (the first one warms up GLib and
 * GStreamer). Built with AddressSanitizer, gst_deinit() at exit lets
 * LeakSanitizer report whatever the cycles leaked (tests/lsan.supp lists
 * what GLib and GStreamer keep on purpose).
 *
 * tests/reliability/cycles.py starts the peers and runs this for each
 * element and mode.
 */
#include <gst/gst.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static gint buffers;

static guint
count_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *e;
  guint n = 0;

  if (!d)
    return 0;
  while ((e = readdir (d)))
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n - 1; /* the directory itself */
}

static guint
count_our_threads (void)
{
  DIR *d = opendir ("/proc/self/task");
  struct dirent *e;
  guint n = 0;

  if (!d)
    return 0;
  while ((e = readdir (d))) {
    gchar *path, *comm = NULL;

    if (e->d_name[0] == '.')
      continue;
    path = g_strdup_printf ("/proc/self/task/%s/comm", e->d_name);
    if (g_file_get_contents (path, &comm, NULL, NULL)) {
      g_strstrip (comm);
      if (g_str_equal (comm, "rtmpe-client") ||
          g_str_equal (comm, "rtmpe-server") || g_str_equal (comm, "rtmfp-io"))
        n++;
    }
    g_free (comm);
    g_free (path);
  }
  closedir (d);
  return n;
}

/* VmRSS in MB, to see whether memory grows over the cycles */
static glong
rss_mb (void)
{
  gchar *text = NULL;
  const gchar *p;
  glong kb = 0;

  if (g_file_get_contents ("/proc/self/status", &text, NULL, NULL) &&
      (p = strstr (text, "VmRSS:")))
    kb = strtol (p + 6, NULL, 10);
  g_free (text);
  return kb / 1024;
}

static void
on_handoff (GstElement *sink, GstBuffer *buf, GstPad *pad, gpointer data)
{
  g_atomic_int_inc (&buffers);
}

static guint64
stat_value (GstElement *pipeline, const gchar *spec)
{
  gchar **parts = g_strsplit (spec, ":", 3);
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), parts[0]);
  GstStructure *s = NULL;
  guint64 v = 0;

  if (e) {
    g_object_get (e, "stats", &s, NULL);
    if (s)
      gst_structure_get_uint64 (s, parts[1], &v);
    g_clear_pointer (&s, gst_structure_free);
    gst_object_unref (e);
  }
  g_strfreev (parts);
  return v;
}

static gboolean
reached (GstElement *pipeline, gint want_buffers, const gchar *stat)
{
  if (want_buffers > 0 && g_atomic_int_get (&buffers) < want_buffers)
    return FALSE;
  if (stat) {
    const gchar *min = strrchr (stat, ':');

    if (stat_value (pipeline, stat) < g_ascii_strtoull (min + 1, NULL, 10))
      return FALSE;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  gint cycles = 10, want_buffers = 0, timeout_ms = 10000;
  gchar *stat = NULL;
  GOptionEntry entries[] = { { "cycles", 'n', 0, G_OPTION_ARG_INT, &cycles,
                                 "start/stop cycles", "N" },
    { "buffers", 0, 0, G_OPTION_ARG_INT, &want_buffers,
        "buffers at the fakesink named out before stopping", "N" },
    { "stat", 0, 0, G_OPTION_ARG_STRING, &stat,
        "element NAME's stats FIELD must reach MIN before stopping",
        "NAME:FIELD:MIN" },
    { "timeout-ms", 0, 0, G_OPTION_ARG_INT, &timeout_ms,
        "how long a cycle may wait for media", "MS" },
    { NULL } };
  GOptionContext *ctx = g_option_context_new ("PIPELINE");
  GError *error = NULL;
  guint fds_after_first = 0, fds_end, errors = 0, stuck = 0, threads_left = 0;
  gint64 t_start, min_us = G_MAXINT64, max_us = 0;
  struct rusage ru;
  gint ok_cycles = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2) {
    g_printerr ("%s\n", error ? error->message : "one PIPELINE, please");
    return 2;
  }
  g_option_context_free (ctx);

  t_start = g_get_monotonic_time ();
  for (gint i = 0; i < cycles; i++) {
    gchar *n = g_strdup_printf ("%d", i);
    gchar **split = g_strsplit (argv[1], "%d", -1);
    gchar *desc = g_strjoinv (n, split);
    GstElement *pipeline, *out;
    GstBus *bus;
    gint64 t0 = g_get_monotonic_time (), deadline, took;
    gboolean ok = FALSE;

    g_strfreev (split);
    g_free (n);
    pipeline = gst_parse_launch (desc, &error);
    g_free (desc);
    if (!pipeline) {
      g_printerr ("cycle %d: %s\n", i, error->message);
      return 2;
    }
    g_atomic_int_set (&buffers, 0);
    out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
    if (out) {
      g_object_set (out, "signal-handoffs", TRUE, NULL);
      g_signal_connect (out, "handoff", G_CALLBACK (on_handoff), NULL);
      gst_object_unref (out);
    }
    bus = gst_element_get_bus (pipeline);
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    deadline = t0 + (gint64) timeout_ms * 1000;
    while (g_get_monotonic_time () < deadline) {
      GstMessage *m = gst_bus_timed_pop_filtered (
          bus, 10 * GST_MSECOND, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);

      if (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS &&
          reached (pipeline, want_buffers, stat)) {
        /* a short file published unpaced can end between two polls:
         * what counts is that the media flowed before the end */
        gst_message_unref (m);
        ok = TRUE;
        break;
      }
      if (m) {
        if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
          GError *err = NULL;
          gchar *dbg = NULL;

          gst_message_parse_error (m, &err, &dbg);
          g_printerr ("cycle %d: error: %s (%s)\n", i, err->message,
              GST_STR_NULL (dbg));
          g_clear_error (&err);
          g_free (dbg);
        } else {
          g_printerr ("cycle %d: EOS before media flowed\n", i);
        }
        gst_message_unref (m);
        errors++;
        break;
      }
      if (reached (pipeline, want_buffers, stat)) {
        ok = TRUE;
        break;
      }
    }
    if (!ok && g_get_monotonic_time () >= deadline) {
      g_printerr ("cycle %d: no media within %d ms\n", i, timeout_ms);
      stuck++;
    }
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (bus);
    gst_object_unref (pipeline);
    took = g_get_monotonic_time () - t0;
    min_us = MIN (min_us, took);
    max_us = MAX (max_us, took);
    /* a joined thread may show in /proc for a moment */
    for (gint k = 0; k < 50 && count_our_threads () > 0; k++)
      g_usleep (10000);
    if (count_our_threads () > 0) {
      g_printerr ("cycle %d: %u rtmpe threads left\n", i, count_our_threads ());
      threads_left++;
    }
    if (ok)
      ok_cycles++;
    if (i == 0)
      fds_after_first = count_fds ();
    if ((i + 1) % 100 == 0)
      g_print ("%d cycles, %u fds, %u errors, RSS %ld MB\n", i + 1,
          count_fds (), errors, rss_mb ());
    if (errors + stuck > 10)
      break;
  }
  fds_end = count_fds ();
  getrusage (RUSAGE_SELF, &ru);
  g_print ("cycles: %d of %d with media, %u errors, %u without media, "
           "%.0f ms a cycle (%.0f..%.0f), fds %u after the first, %u at the "
           "end, rtmpe threads left after %u cycles, peak RSS %ld MB\n",
      ok_cycles, cycles, errors, stuck,
      (g_get_monotonic_time () - t_start) / 1000.0 / MAX (cycles, 1),
      min_us / 1000.0, max_us / 1000.0, fds_after_first, fds_end, threads_left,
      ru.ru_maxrss / 1024);
  g_free (stat);
  gst_deinit ();
  return ok_cycles == cycles && fds_end == fds_after_first &&
          threads_left == 0 ?
      0 :
      1;
}

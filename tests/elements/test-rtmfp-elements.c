/* gst-rtmfp: rtmfpsrc and rtmfpsink in one process, over UDP on 127.0.0.1
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GstHarness on both ends: an FLV file pushed into rtmfpsink comes out of
 * rtmfpsrc (listen mode) with the caps, timestamps, flags and end of
 * stream rtmpesrc gives; and the errors a user sees when nobody answers
 * or the server refuses.
 */
#include <gio/gio.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <string.h>

#include "gstrtmfpsink.h"
#include "gstrtmfpsrc.h"

static guint16
free_udp_port (void)
{
  GSocket *s =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *sa = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound;
  guint16 port;

  g_assert_true (g_socket_bind (s, sa, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (sa);
  g_object_unref (lo);
  g_object_unref (s);
  return port;
}

static GBytes *
read_data (const gchar *name)
{
  gchar *path = g_build_filename (
      g_getenv ("TESTS_SOURCE_DIR") ? g_getenv ("TESTS_SOURCE_DIR") : ".",
      "data", name, NULL);
  gchar *contents;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_free (path);
  return g_bytes_new_take (contents, len);
}

/* tags of type 8 and 9 in an FLV file */
static void
count_tags (GBytes *flv, guint *audio, guint *video)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (flv, &len);

  *audio = *video = 0;
  for (gsize i = 13; i + 11 <= len;) {
    guint32 n = (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3];

    *audio += d[i] == 8;
    *video += d[i] == 9;
    i += 11 + n + 4;
  }
}

static GstBus *
watch_bus (GstHarness *h)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  return bus;
}

static void
check_no_error (GstBus *bus)
{
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  if (m) {
    GError *e = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (m, &e, &dbg);
    g_error ("unexpected error: %s (%s)", e->message, dbg);
  }
}

/* rtmfpsink publishes an FLV file into rtmfpsrc in listen mode: caps with
 * a streamheader, one tag per buffer, every frame, timestamps in order,
 * DELTA_UNIT on non-key video, then EOS */
static void
test_publish_into_listen (void)
{
  guint16 port = free_udp_port ();
  gchar *listen = g_strdup_printf ("rtmfp://127.0.0.1:%u/live", port);
  gchar *url = g_strdup_printf ("rtmfp://127.0.0.1:%u/live/cam", port);
  gchar *d1 = g_strdup_printf (
      "rtmfpsrc mode=listen stats-interval=0 location=%s", listen);
  gchar *d2 = g_strdup_printf ("rtmfpsink stats-interval=0 location=%s", url);
  GstHarness *src = gst_harness_new_parse (d1);
  GstHarness *sink = gst_harness_new_parse (d2);
  GBytes *flv = read_data ("gst-avc-aac.flv");
  GstBus *src_bus = watch_bus (src), *sink_bus = watch_bus (sink);
  guint want_audio, want_video, audio = 0, video = 0;
  GstClockTime last_video = 0;
  gboolean saw_delta = FALSE, saw_key = FALSE;
  GstEvent *ev;
  GstCaps *caps;
  const GstStructure *s;
  gsize len, off = 0;
  const guint8 *p = g_bytes_get_data (flv, &len);

  count_tags (flv, &want_audio, &want_video);
  gst_harness_play (src);
  gst_harness_set_src_caps_str (sink, "video/x-flv");

  /* the file in uneven pieces: the sink parses FLV across buffers */
  while (off < len) {
    gsize n = MIN (len - off, 1000 + off % 777);

    g_assert_cmpint (
        gst_harness_push (sink, gst_buffer_new_memdup (p + off, n)), ==,
        GST_FLOW_OK);
    off += n;
  }
  g_assert_true (gst_harness_push_event (sink, gst_event_new_eos ()));
  check_no_error (sink_bus);

  /* everything is in the source's queue: read it all */
  for (;;) {
    GstBuffer *b = gst_harness_pull (src);
    guint8 hdr[11];

    if (!b)
      break;
    if (gst_buffer_get_size (b) >= 11 &&
        gst_buffer_extract (b, 0, hdr, 11) == 11 &&
        (hdr[0] == 8 || hdr[0] == 9) &&
        GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER)) {
      /* codec configuration: in the streamheader too, at time 0 */
      if (hdr[0] == 8)
        audio++;
      else
        video++;
    } else if (gst_buffer_get_size (b) >= 11 &&
        gst_buffer_extract (b, 0, hdr, 11) == 11 &&
        (hdr[0] == 8 || hdr[0] == 9)) {
      g_assert_true (GST_BUFFER_DTS_IS_VALID (b));
      g_assert_true (GST_BUFFER_PTS_IS_VALID (b));
      g_assert_cmpuint (GST_BUFFER_PTS (b), >=, GST_BUFFER_DTS (b));
      if (hdr[0] == 9) {
        guint8 frame;

        gst_buffer_extract (b, 11, &frame, 1);
        g_assert_cmpuint (GST_BUFFER_DTS (b), >=, last_video);
        last_video = GST_BUFFER_DTS (b);
        if ((frame >> 4) == 1)
          saw_key = TRUE;
        else {
          g_assert_true (
              GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT));
          saw_delta = TRUE;
        }
        video++;
      } else {
        audio++;
      }
    }
    gst_buffer_unref (b);
    if (audio + video >= want_audio + want_video)
      break;
  }
  /* every tag, once */
  g_assert_cmpuint (audio + video, ==, want_audio + want_video);
  g_assert_true (saw_key);
  g_assert_true (saw_delta);

  caps = gst_pad_get_current_caps (src->sinkpad);
  g_assert_nonnull (caps);
  s = gst_caps_get_structure (caps, 0);
  g_assert_true (gst_structure_has_name (s, "video/x-flv"));
  g_assert_true (gst_structure_has_field (s, "streamheader"));
  gst_caps_unref (caps);

  /* then the end of the stream */
  while ((ev = gst_harness_pull_event (src))) {
    GstEventType t = GST_EVENT_TYPE (ev);

    gst_event_unref (ev);
    if (t == GST_EVENT_EOS)
      break;
  }
  g_assert_nonnull (ev);
  check_no_error (src_bus);

  gst_harness_teardown (sink);
  gst_harness_teardown (src);
  gst_object_unref (src_bus);
  gst_object_unref (sink_bus);
  g_bytes_unref (flv);
  g_free (listen);
  g_free (url);
  g_free (d1);
  g_free (d2);
}

static GError *
wait_error (GstBus *bus, gchar **debug, gint64 *took_us)
{
  gint64 t0 = g_get_monotonic_time ();
  GstMessage *m =
      gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_ERROR);
  GError *e = NULL;

  g_assert_nonnull (m);
  *took_us = g_get_monotonic_time () - t0;
  gst_message_parse_error (m, &e, debug);
  gst_message_unref (m);
  return e;
}

/* nobody answers: an error within the timeout that says so */
static void
test_no_answer (void)
{
  gchar *desc = g_strdup_printf (
      "rtmfpsrc timeout=1 location=rtmfp://127.0.0.1:%u/live/x",
      free_udp_port ());
  GstBus *bus = gst_bus_new ();
  GstHarness *src;
  GError *e;
  gchar *debug = NULL;
  gint64 took;

  src = gst_harness_new_empty ();
  gst_harness_add_parse (src, desc);
  gst_element_set_bus (src->element, bus);
  gst_harness_play (src);
  e = wait_error (bus, &debug, &took);
  g_test_message ("%s / %s", e->message, debug);
  g_assert_error (e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ);
  g_assert_nonnull (strstr (e->message, "did not answer"));
  g_assert_nonnull (strstr (debug, "no answer from the RTMFP server"));
  g_assert_cmpint (took, <, 4 * G_USEC_PER_SEC);
  g_error_free (e);
  g_free (debug);
  gst_harness_teardown (src);
  gst_object_unref (bus);
  g_free (desc);
}

/* the server refuses the application: its code is in the error */
static void
test_refused (void)
{
  guint16 port = free_udp_port ();
  gchar *listen = g_strdup_printf ("rtmfp://127.0.0.1:%u/live", port);
  gchar *url = g_strdup_printf ("rtmfp://127.0.0.1:%u/other/x", port);
  gchar *d1 = g_strdup_printf ("rtmfpsrc mode=listen location=%s", listen);
  gchar *d2 = g_strdup_printf ("rtmfpsrc timeout=5 location=%s", url);
  GstHarness *server = gst_harness_new_parse (d1);
  GstBus *bus = (gst_harness_play (server), gst_bus_new ());
  GstHarness *src;
  GError *e;
  gchar *debug = NULL;
  gint64 took;

  src = gst_harness_new_empty ();
  gst_harness_add_parse (src, d2);
  gst_element_set_bus (src->element, bus);
  gst_harness_play (src);
  e = wait_error (bus, &debug, &took);
  g_test_message ("%s / %s", e->message, debug);
  g_assert_error (e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (e->message, "NetConnection.Connect.Rejected"));
  g_assert_nonnull (strstr (debug, "no application 'other' here"));
  g_error_free (e);
  g_free (debug);
  gst_harness_teardown (src);
  gst_harness_teardown (server);
  gst_object_unref (bus);
  g_free (listen);
  g_free (url);
  g_free (d1);
  g_free (d2);
}

/* settings refused at start, with a sentence naming what is wrong */
static void
test_bad_settings (void)
{
  GstHarness *src = gst_harness_new_empty ();
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GError *e = NULL;

  gst_harness_add_parse (src,
      "rtmfpsrc mode=peer peer-id=not-hex "
      "location=rtmfp://127.0.0.1/live/x");
  gst_element_set_bus (src->element, bus);
  g_assert_cmpint (gst_element_set_state (src->element, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_FAILURE);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (m);
  gst_message_parse_error (m, &e, NULL);
  g_assert_nonnull (strstr (e->message, "64 hexadecimal digits"));
  g_error_free (e);
  gst_message_unref (m);
  gst_element_set_state (src->element, GST_STATE_NULL);
  gst_harness_teardown (src);
  gst_object_unref (bus);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  GST_ELEMENT_REGISTER (rtmfpsrc, NULL);
  GST_ELEMENT_REGISTER (rtmfpsink, NULL);
  g_test_add_func (
      "/rtmfp/elements/publish-into-listen", test_publish_into_listen);
  g_test_add_func ("/rtmfp/elements/no-answer", test_no_answer);
  g_test_add_func ("/rtmfp/elements/refused", test_refused);
  g_test_add_func ("/rtmfp/elements/bad-settings", test_bad_settings);
  return g_test_run ();
}

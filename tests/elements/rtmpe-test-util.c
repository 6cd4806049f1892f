/* gst-rtmpe: what the element tests share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpe-test-util.h"

#include "amf.h"
#include "flvtag.h"
#include "gstrtmpesink.h"
#include "gstrtmpesrc.h"
#include "rtmpcommand.h"

#include <string.h>

void
tu_register_elements (void)
{
  /* called from the suite function, outside any test: plain asserts */
  g_assert_true (GST_ELEMENT_REGISTER (rtmpesrc, NULL));
  g_assert_true (GST_ELEMENT_REGISTER (rtmpesink, NULL));
}

/* ---- media --------------------------------------------------------------- */

static RtmpMessage *
message_from_bytes (guint8 type, guint32 ts, const guint8 *head, gsize head_len,
    gsize fill, guint8 fill_byte)
{
  guint8 *data = g_malloc (head_len + fill);

  memcpy (data, head, head_len);
  memset (data + head_len, fill_byte, fill);
  return rtmp_message_new (
      type, ts, 0, gst_buffer_new_wrapped (data, head_len + fill));
}

RtmpMessage *
tu_metadata (guint32 ts, gboolean audio, gboolean video, gboolean wrapped)
{
  AmfValue *meta = amf_value_new_ecma_array ();
  RtmpCommand *cmd;
  RtmpMessage *msg;

  amf_value_set_property_number (meta, "duration", 0);
  if (video) {
    amf_value_set_property_number (meta, "width", 320);
    amf_value_set_property_number (meta, "height", 240);
    amf_value_set_property_number (meta, "framerate", 25);
    amf_value_set_property_number (meta, "videocodecid", 7);
  }
  if (audio) {
    amf_value_set_property_number (meta, "audiosamplerate", 44100);
    amf_value_set_property_number (meta, "audiocodecid", 10);
    amf_value_set_property_boolean (meta, "stereo", TRUE);
  }
  amf_value_set_property_string (meta, "encoder", "gst-rtmpe tests");
  cmd = wrapped ? rtmp_command_new_set_data_frame (meta) :
                  rtmp_command_new_on_metadata (meta);
  msg = rtmp_command_to_message (cmd, FALSE, 0, NULL);
  rtmp_command_free (cmd);
  fail_unless (msg != NULL);
  msg->timestamp = ts;
  return msg;
}

RtmpMessage *
tu_aac_header (guint32 ts)
{
  static const guint8 h[] = { 0xAF, 0x00, 0x12, 0x10 };

  return message_from_bytes (RTMP_MESSAGE_TYPE_AUDIO, ts, h, sizeof (h), 0, 0);
}

RtmpMessage *
tu_aac_frame (guint32 ts, gsize size)
{
  static const guint8 h[] = { 0xAF, 0x01 };

  return message_from_bytes (
      RTMP_MESSAGE_TYPE_AUDIO, ts, h, sizeof (h), size, 0x21);
}

RtmpMessage *
tu_avc_header (guint32 ts)
{
  static const guint8 h[] = { 0x17, 0x00, 0x00, 0x00, 0x00, /* avcC */
    0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1f,
    0x01, 0x00, 0x04, 0x68, 0xee, 0x3c, 0x80 };

  return message_from_bytes (RTMP_MESSAGE_TYPE_VIDEO, ts, h, sizeof (h), 0, 0);
}

RtmpMessage *
tu_avc_frame (guint32 ts, gboolean key, gint32 cts, gsize size)
{
  guint8 h[10];
  guint32 nal = size + 1;

  h[0] = key ? 0x17 : 0x27;
  h[1] = 0x01;
  h[2] = (cts >> 16) & 0xff;
  h[3] = (cts >> 8) & 0xff;
  h[4] = cts & 0xff;
  h[5] = 0;
  h[6] = (nal >> 16) & 0xff;
  h[7] = (nal >> 8) & 0xff;
  h[8] = nal & 0xff;
  h[9] = key ? 0x65 : 0x41;
  /* the 4-byte NALU length: h[5..8] */
  return message_from_bytes (
      RTMP_MESSAGE_TYPE_VIDEO, ts, h, sizeof (h), size, key ? 0x88 : 0x99);
}

gint32
tu_script_cts (guint i)
{
  /* decode order I P B B P B B ...: anchors are shown later than decoded */
  static const gint32 pattern[] = { 80, 120, 0, 40 };

  return pattern[i % G_N_ELEMENTS (pattern)];
}

GPtrArray *
tu_script (gboolean audio, guint n_video)
{
  GPtrArray *a =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  guint v = 0, s = 0;

  g_ptr_array_add (a, tu_metadata (0, audio, TRUE, FALSE));
  if (audio)
    g_ptr_array_add (a, tu_aac_header (0));
  g_ptr_array_add (a, tu_avc_header (0));
  while (v < n_video) {
    guint32 vts = 40 * v, ats = 23 * s;

    if (!audio || vts <= ats) {
      g_ptr_array_add (a,
          tu_avc_frame (
              vts, v % 10 == 0, tu_script_cts (v), v % 10 == 0 ? 2000 : 500));
      v++;
    } else {
      g_ptr_array_add (a, tu_aac_frame (ats, 200));
      s++;
    }
  }
  return a;
}

/* ---- FLV ----------------------------------------------------------------- */

GstBuffer *
tu_flv_header (gboolean audio, gboolean video)
{
  return flv_header_new (audio, video);
}

GstBuffer *
tu_flv_tag (const RtmpMessage *msg)
{
  GstBuffer *tag = flv_tag_from_message (msg, NULL);

  fail_unless (tag != NULL);
  return tag;
}

guint32
tu_read_u32_be (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | (p[2] << 8) | p[3];
}

gboolean
tu_parse_one_tag (
    GstBuffer *buf, guint8 *type, guint32 *timestamp, gsize *data_size)
{
  guint8 h[FLV_TAG_HEADER_SIZE];
  guint8 p[4];
  gsize size = gst_buffer_get_size (buf), ds;

  if (size < FLV_TAG_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE_SIZE)
    return FALSE;
  gst_buffer_extract (buf, 0, h, sizeof (h));
  ds = ((gsize) h[1] << 16) | (h[2] << 8) | h[3];
  if (size != FLV_TAG_HEADER_SIZE + ds + FLV_PREVIOUS_TAG_SIZE_SIZE)
    return FALSE;
  gst_buffer_extract (buf, size - 4, p, 4);
  if (tu_read_u32_be (p) != FLV_TAG_HEADER_SIZE + ds)
    return FALSE;
  *type = h[0];
  *timestamp =
      ((guint32) h[7] << 24) | ((guint32) h[4] << 16) | (h[5] << 8) | h[6];
  *data_size = ds;
  return TRUE;
}

/* ---- process ------------------------------------------------------------- */

static guint
count_dir (const gchar *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

/* For failures: "name, name ..." of the threads, "3 -> socket:[...]" of
 * the descriptors. */
gchar *
tu_describe_process (void)
{
  GString *s = g_string_new ("threads:");
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", name);
    gchar *comm = NULL;

    g_file_get_contents (path, &comm, NULL, NULL);
    g_string_append_printf (s, " %s", comm ? g_strstrip (comm) : "?");
    g_free (comm);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  g_string_append (s, "; fds:");
  dir = g_dir_open ("/proc/self/fd", 0, NULL);
  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = g_strdup_printf ("/proc/self/fd/%s", name);
    gchar *target = g_file_read_link (path, NULL);

    g_string_append_printf (s, " %s->%s", name, target ? target : "?");
    g_free (target);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  return g_string_free (s, FALSE);
}

guint
tu_count_fds (void)
{
  /* the directory's own descriptor is counted, the same every time */
  return count_dir ("/proc/self/fd");
}

guint
tu_count_threads (void)
{
  return count_dir ("/proc/self/task");
}

guint
tu_count_pool_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *name;
  guint n = 0;

  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir))) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", name);
    gchar *comm = NULL;

    if (g_file_get_contents (path, &comm, NULL, NULL)) {
      g_strstrip (comm);
      /* GstTask names its threads "element:pad"; GLib its pool's workers
       * "pool-PRGNAME" (the spawner, which stays, "pool-spawner") */
      if (strchr (comm, ':') ||
          (g_str_has_prefix (comm, "pool-") &&
              !g_str_equal (comm, "pool-spawner")))
        n++;
    }
    g_free (comm);
    g_free (path);
  }
  g_dir_close (dir);
  return n;
}

gdouble
tu_now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* ---- a port that never answers a SYN ------------------------------------- */

struct _TuBlackhole
{
  GSocket *listener;
  GSocket *filler;
  GSocket *accepted;
  guint16 port;
};

TuBlackhole *
tu_blackhole_new (void)
{
  TuBlackhole *b = g_new0 (TuBlackhole, 1);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound, *to;
  GError *error = NULL;

  b->listener = g_socket_new (
      G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  fail_unless (g_socket_bind (b->listener, any, FALSE, &error));
  g_socket_set_listen_backlog (b->listener, 0);
  fail_unless (g_socket_listen (b->listener, &error));
  bound = g_socket_get_local_address (b->listener, NULL);
  b->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  /* the one connection the queue holds: a blocking connect completes */
  to = g_inet_socket_address_new (lo, b->port);
  b->filler = g_socket_new (
      G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  fail_unless (g_socket_connect (b->filler, to, NULL, &error));
  g_object_unref (to);
  g_object_unref (bound);
  g_object_unref (any);
  g_object_unref (lo);
  return b;
}

guint16
tu_blackhole_get_port (TuBlackhole *b)
{
  return b->port;
}

void
tu_blackhole_release (TuBlackhole *b)
{
  b->accepted = g_socket_accept (b->listener, NULL, NULL);
  fail_unless (b->accepted != NULL);
}

void
tu_blackhole_free (TuBlackhole *b)
{
  g_clear_object (&b->accepted);
  g_object_unref (b->filler);
  g_object_unref (b->listener);
  g_free (b);
}

static guint
count_syn_sent (guint16 port)
{
  gchar *text = NULL, **lines, *rem;
  guint n = 0;

  if (!g_file_get_contents ("/proc/net/tcp", &text, NULL, NULL))
    return 0;
  rem = g_strdup_printf ("0100007F:%04X", port);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i]; i++) {
    gchar **f = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
    const gchar *field[4] = { NULL };
    guint k = 0;

    for (guint j = 0; f[j] && k < 4; j++)
      if (*f[j])
        field[k++] = f[j];
    if (k == 4 && g_str_equal (field[2], rem) && g_str_equal (field[3], "02"))
      n++;
    g_strfreev (f);
  }
  g_strfreev (lines);
  g_free (rem);
  g_free (text);
  return n;
}

gboolean
tu_wait_syn_sent (guint16 port, guint n, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  /* the kernel tells no one: poll, as the interop tests poll for ports */
  while (count_syn_sent (port) < n) {
    if (g_get_monotonic_time () > deadline)
      return FALSE;
    g_usleep (1000);
  }
  return TRUE;
}

/* ---- a reference timer ---------------------------------------------------- */

struct _TuRefTimer
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  guint ms;
  gint64 started;
  gint64 fired;
  GMutex lock;
  GCond cond;
};

static gboolean
ref_timer_fired (gpointer data)
{
  TuRefTimer *t = data;

  g_mutex_lock (&t->lock);
  t->fired = g_get_monotonic_time ();
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);
  g_main_loop_quit (t->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
ref_timer_thread (gpointer data)
{
  TuRefTimer *t = data;

  g_main_context_push_thread_default (t->context);
  g_main_loop_run (t->loop);
  g_main_context_pop_thread_default (t->context);
  return NULL;
}

TuRefTimer *
tu_ref_timer_start (guint ms)
{
  TuRefTimer *t = g_new0 (TuRefTimer, 1);
  GSource *source;

  g_mutex_init (&t->lock);
  g_cond_init (&t->cond);
  t->ms = ms;
  t->context = g_main_context_new ();
  t->loop = g_main_loop_new (t->context, FALSE);
  t->started = g_get_monotonic_time ();
  source = g_timeout_source_new (ms);
  g_source_set_callback (source, ref_timer_fired, t, NULL);
  g_source_attach (source, t->context);
  g_source_unref (source);
  t->thread = g_thread_new ("ref-timer", ref_timer_thread, t);
  return t;
}

gdouble
tu_ref_timer_lateness (TuRefTimer *t)
{
  gdouble late;

  g_mutex_lock (&t->lock);
  while (!t->fired)
    g_cond_wait (&t->cond, &t->lock);
  late = (t->fired - t->started) / 1e6 - t->ms / 1000.0;
  g_mutex_unlock (&t->lock);
  return MAX (late, 0);
}

void
tu_ref_timer_free (TuRefTimer *t)
{
  tu_ref_timer_lateness (t);
  g_thread_join (t->thread);
  g_main_loop_unref (t->loop);
  g_main_context_unref (t->context);
  g_mutex_clear (&t->lock);
  g_cond_clear (&t->cond);
  g_free (t);
}

/* ---- bus ----------------------------------------------------------------- */

GstMessage *
tu_wait_error (GstBus *bus, guint timeout_ms)
{
  return gst_bus_timed_pop_filtered (
      bus, (GstClockTime) timeout_ms * GST_MSECOND, GST_MESSAGE_ERROR);
}

void
tu_assert_error (
    GstMessage *msg, GQuark domain, gint code, const gchar *debug_part)
{
  GError *error = NULL;
  gchar *debug = NULL;

  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &error, &debug);
  GST_INFO ("error: %s (%s)", error->message, GST_STR_NULL (debug));
  fail_unless (error->domain == domain && error->code == code,
      "expected error %s %d, got %s %d: %s (%s)", g_quark_to_string (domain),
      code, g_quark_to_string (error->domain), error->code, error->message,
      GST_STR_NULL (debug));
  if (debug_part)
    fail_unless ((debug && strstr (debug, debug_part)) ||
            strstr (error->message, debug_part),
        "'%s' neither in '%s' nor in the debug text '%s'", debug_part,
        error->message, GST_STR_NULL (debug));
  g_error_free (error);
  g_free (debug);
}

/* ---- server records ------------------------------------------------------ */

static TsRecord *
record_copy (const TsRecord *r)
{
  TsRecord *c = g_new0 (TsRecord, 1);

  *c = *r;
  c->name = g_strdup (r->name);
  if (r->payload)
    c->payload = gst_buffer_ref (r->payload);
  return c;
}

static void
record_free (TsRecord *r)
{
  g_free (r->name);
  gst_clear_buffer (&r->payload);
  g_free (r);
}

static void
copy_records (GPtrArray *from, GPtrArray *to)
{
  for (guint i = 0; i < from->len; i++)
    g_ptr_array_add (to, record_copy (g_ptr_array_index (from, i)));
}

static void
copy_media (const TestServerState *st, gpointer data)
{
  copy_records (st->media, data);
}

static void
copy_tap (const TestServerState *st, gpointer data)
{
  copy_records (st->tap, data);
}

GPtrArray *
tu_server_media (TestServer *s)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);

  test_server_inspect (s, copy_media, a);
  return a;
}

GPtrArray *
tu_server_tap (TestServer *s)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);

  test_server_inspect (s, copy_tap, a);
  return a;
}

static void
copy_counters (const TestServerState *st, gpointer data)
{
  TestServerState *out = data;

  *out = *st;
  out->media = NULL;
  out->tap = NULL;
}

TestServerState
tu_server_counters (TestServer *s)
{
  TestServerState st;

  test_server_inspect (s, copy_counters, &st);
  return st;
}

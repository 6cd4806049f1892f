/* gst-rtmpe: rtmpesrc
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-rtmpesrc
 * @title: rtmpesrc
 *
 * Plays a stream over RTMP, RTMPE or RTMPS and outputs it as FLV
 * (video/x-flv): one tag per buffer, after a header whose audio and video
 * flags match what the stream carries; the header, metadata and codec
 * configuration also go in the caps' streamheader. A live source: buffers
 * carry running-time timestamps (PTS = DTS + composition time), non-key
 * video frames are DELTA_UNIT, and the first buffer after a reconnection
 * is DISCONT.
 *
 * In listen mode it is the server a publisher (OBS, ffmpeg, rtmpesink,
 * librtmp's rtmpsink ...) sends its stream to.
 *
 * RTMPE (rtmpe://) is obfuscation, not security: its key exchange is
 * anonymous and its cipher is RC4. Use rtmps:// to protect a stream.
 *
 * ## Examples
 * |[
 * gst-launch-1.0 rtmpesrc location=rtmpe://example.com/live/stream ! flvdemux name=d \
 *     d.video ! queue ! decodebin ! autovideosink d.audio ! queue ! decodebin ! autoaudiosink
 * gst-launch-1.0 rtmpesrc mode=listen location=rtmpe://0.0.0.0:1935/live/cam1 ! \
 *     filesink location=cam1.flv
 * ]|
 */
#include "gstrtmpesrc.h"
#include "gstrtmpeerror.h"
#include "gsturisetter.h"
#include "gstrtmpeserver.h"

GST_DEBUG_CATEGORY_STATIC (rtmpe_src_debug);
#define GST_CAT_DEFAULT rtmpe_src_debug

#define DEFAULT_BUFFER_LENGTH 3000
#define DEFAULT_LATENCY 200
#define DEFAULT_MAX_QUEUE (16 * 1024 * 1024)

enum
{
  PROP_0,
  PROP_BUFFER_LENGTH = GST_RTMPE_PROP_LAST,
  PROP_LATENCY,
  PROP_MAX_QUEUE,
  PROP_WAIT_FOR_NEXT_PUBLISHER,
};

/* a marker in the queue: the next message follows a reconnection */
#define DISCONT_MARKER 0

struct _GstRtmpeSrc
{
  GstPushSrc parent;

  GstRtmpeSettings settings;
  guint buffer_length;
  guint latency;
  guint max_queue;
  gboolean wait_for_next_publisher;

  GMutex lock;
  GCond cond;
  gboolean waiting; /* create() waits on cond */
  GThread *pull_thread; /* create() reads in gst_rtmpe_*_pull () */
  GCancellable *cancellable; /* unlock() stops a pull */
  gboolean cancellable_fd; /* its pollfd is made (once per start) */
  GPollFD cancel_pollfd;
  GQueue queue; /* RtmpMessage */
  gsize queued_bytes;
  gboolean reading_paused;
  gboolean eos;
  gboolean flushing;
  GError *error;
  gchar *error_code;

  gchar *redacted;
  GstRtmpeClient *client;
  GstRtmpeServer *server;
  FlvOut *flv;
  GstBufferList *pending;
  guint pending_index;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

static void gst_rtmpe_src_uri_handler_init (gpointer iface, gpointer data);

G_DEFINE_TYPE_WITH_CODE (GstRtmpeSrc, gst_rtmpe_src, GST_TYPE_PUSH_SRC,
    G_IMPLEMENT_INTERFACE (
        GST_TYPE_URI_HANDLER, gst_rtmpe_src_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE (
    rtmpesrc, "rtmpesrc", GST_RTMPE_RANK, GST_TYPE_RTMPE_SRC);

/* ---- client callbacks (client thread) ------------------------------------ */

/* Back-pressure: stop or resume reading from the server or publisher. */
static void
set_reading_locked (GstRtmpeSrc *self, gboolean reading)
{
  self->reading_paused = !reading;
  if (self->client)
    gst_rtmpe_client_set_reading (self->client, reading);
  if (self->server)
    gst_rtmpe_server_set_reading (self->server, reading);
}

/* Queues @msg for create(); then the caller unlocks and calls
 * wake_consumer (). Signalling after the unlock spares the woken streaming
 * thread from blocking at once on the lock we still hold (a futex wait and
 * wake per message, for every message of a paced stream). */
static void
push_locked (GstRtmpeSrc *self, RtmpMessage *msg)
{
  g_queue_push_tail (&self->queue, msg);
  self->queued_bytes += gst_buffer_get_size (msg->payload);
  if (self->queued_bytes > self->max_queue && !self->reading_paused) {
    GST_DEBUG_OBJECT (self, "%" G_GSIZE_FORMAT " bytes queued: pausing reading",
        self->queued_bytes);
    set_reading_locked (self, FALSE);
  }
}

typedef enum
{
  WAKE_NONE,
  WAKE_SIGNAL, /* create () waits on cond */
  WAKE_CANCEL, /* create () reads in gst_rtmpe_client_pull () */
} Wake;

/* How to tell create () that something came. Lock held. A media
 * callback on the streaming thread itself (from the pull) needs nothing;
 * a signal is a syscall, so none when nobody waits. */
static Wake
wake_needed_locked (GstRtmpeSrc *self)
{
  if (self->waiting)
    return WAKE_SIGNAL;
  if (self->pull_thread && self->pull_thread != g_thread_self ())
    return WAKE_CANCEL;
  return WAKE_NONE;
}

/* After the unlock: the woken thread does not block at once on it. */
static void
wake_consumer (GstRtmpeSrc *self, Wake wake)
{
  if (wake == WAKE_SIGNAL)
    g_cond_signal (&self->cond);
  else if (wake == WAKE_CANCEL)
    g_cancellable_cancel (self->cancellable);
}

static void
on_started (GstRtmpeClient *c, gboolean reconnected, gpointer data)
{
  GstRtmpeSrc *self = data;
  Wake wake;

  if (!reconnected)
    return;
  g_mutex_lock (&self->lock);
  push_locked (self, rtmp_message_new (DISCONT_MARKER, 0, 0, NULL));
  wake = wake_needed_locked (self);
  g_mutex_unlock (&self->lock);
  wake_consumer (self, wake);
}

static void
on_media (GstRtmpeClient *c, RtmpMessage *msg, gpointer data)
{
  GstRtmpeSrc *self = data;
  Wake wake;

  g_mutex_lock (&self->lock);
  push_locked (self, msg);
  wake = wake_needed_locked (self);
  g_mutex_unlock (&self->lock);
  wake_consumer (self, wake);
}

static void
on_eos (GstRtmpeClient *c, gpointer data)
{
  GstRtmpeSrc *self = data;
  Wake wake;

  g_mutex_lock (&self->lock);
  self->eos = TRUE;
  wake = wake_needed_locked (self);
  g_mutex_unlock (&self->lock);
  wake_consumer (self, wake);
}

static void
on_status (GstRtmpeClient *c, const gchar *code, const gchar *description,
    gpointer data)
{
  GstElement *e = data;

  gst_element_post_message (e,
      gst_message_new_element (GST_OBJECT (e),
          gst_structure_new ("rtmpe-status", "code", G_TYPE_STRING, code,
              "description", G_TYPE_STRING, description, NULL)));
}

static void
on_error (
    GstRtmpeClient *c, const GError *error, const gchar *code, gpointer data)
{
  GstRtmpeSrc *self = data;
  Wake wake;

  g_mutex_lock (&self->lock);
  if (!self->error) {
    self->error = g_error_copy (error);
    self->error_code = g_strdup (code);
  }
  wake = wake_needed_locked (self);
  g_mutex_unlock (&self->lock);
  wake_consumer (self, wake);
}

static void
on_reconnecting (GstRtmpeClient *c, const GError *error, guint attempt,
    guint delay_ms, gpointer data)
{
  GstElement *e = data;

  GST_ELEMENT_WARNING (e, RESOURCE, READ,
      ("Connection to the server lost; reconnecting"),
      ("%s; attempt %u in %u ms", error->message, attempt, delay_ms));
}

static const GstRtmpeClientCallbacks callbacks = {
  .started = on_started,
  .media = on_media,
  .eos = on_eos,
  .status = on_status,
  .error = on_error,
  .reconnecting = on_reconnecting,
};

/* ---- GstBaseSrc ---------------------------------------------------------- */

static void
clear_queue_locked (GstRtmpeSrc *self)
{
  RtmpMessage *m;

  while ((m = g_queue_pop_head (&self->queue)))
    rtmp_message_free (m);
  self->queued_bytes = 0;
}

static gboolean
gst_rtmpe_src_start (GstBaseSrc *bsrc)
{
  GstRtmpeSrc *self = GST_RTMPE_SRC (bsrc);
  GError *error = NULL;
  GstRtmpeTarget *target;

  target = gst_rtmpe_settings_make_target (&self->settings, &error);
  if (!target) {
    GST_ELEMENT_ERROR (
        self, RESOURCE, SETTINGS, ("%s", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->eos = FALSE;
  self->flushing = FALSE;
  self->reading_paused = FALSE;
  g_clear_error (&self->error);
  g_clear_pointer (&self->error_code, g_free);
  clear_queue_locked (self);
  g_free (self->redacted);
  self->redacted = g_strdup (target->redacted);
  self->flv = flv_out_new ();
  /* cancelled by the last unlock () when no unlock_stop () followed */
  g_cancellable_reset (self->cancellable);
  /* its descriptor stays open until stop (), not made again per pull */
  if (!self->cancellable_fd)
    self->cancellable_fd =
        g_cancellable_make_pollfd (self->cancellable, &self->cancel_pollfd);
  if (target->mode == GST_RTMPE_MODE_LISTEN) {
    self->server = gst_rtmpe_server_new (GST_OBJECT (self), target,
        GST_RTMPE_SERVER_INGEST, 0, self->wait_for_next_publisher, &callbacks,
        self);
    if (!gst_rtmpe_server_start (self->server, &error)) {
      g_clear_pointer (&self->server, gst_rtmpe_server_free);
      g_mutex_unlock (&self->lock);
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not listen for a publisher"), ("%s", error->message));
      g_error_free (error);
      return FALSE;
    }
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
  self->client = gst_rtmpe_client_new (GST_OBJECT (self), target, FALSE,
      self->buffer_length, 0, &callbacks, self);
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "playing %s", self->redacted);
  gst_rtmpe_client_start (self->client);
  return TRUE;
}

static gboolean
gst_rtmpe_src_stop (GstBaseSrc *bsrc)
{
  GstRtmpeSrc *self = GST_RTMPE_SRC (bsrc);
  GstRtmpeClient *client;
  GstRtmpeServer *server;

  g_mutex_lock (&self->lock);
  client = self->client;
  self->client = NULL;
  server = self->server;
  self->server = NULL;
  g_mutex_unlock (&self->lock);
  /* joins their threads: no callback runs after this */
  gst_rtmpe_client_free (client);
  gst_rtmpe_server_free (server);

  g_mutex_lock (&self->lock);
  clear_queue_locked (self);
  g_clear_pointer (&self->flv, flv_out_free);
  g_clear_pointer (&self->pending, gst_buffer_list_unref);
  if (self->cancellable_fd)
    g_cancellable_release_fd (self->cancellable);
  self->cancellable_fd = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_rtmpe_src_unlock (GstBaseSrc *bsrc)
{
  GstRtmpeSrc *self = GST_RTMPE_SRC (bsrc);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->cancellable);
  return TRUE;
}

static gboolean
gst_rtmpe_src_unlock_stop (GstBaseSrc *bsrc)
{
  GstRtmpeSrc *self = GST_RTMPE_SRC (bsrc);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  g_cancellable_reset (self->cancellable);
  return TRUE;
}

static guint64
running_time_ms (GstRtmpeSrc *self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime now, base;

  if (!clock)
    return 0;
  now = gst_clock_get_time (clock);
  base = gst_element_get_base_time (GST_ELEMENT (self));
  gst_object_unref (clock);
  return now > base ? (now - base) / GST_MSECOND : 0;
}

static GstBuffer *
take_pending (GstRtmpeSrc *self)
{
  GstBuffer *buf;

  if (!self->pending)
    return NULL;
  if (self->pending_index >= gst_buffer_list_length (self->pending)) {
    g_clear_pointer (&self->pending, gst_buffer_list_unref);
    return NULL;
  }
  buf = gst_buffer_ref (
      gst_buffer_list_get (self->pending, self->pending_index++));
  return buf;
}

static gboolean
apply_caps (GstRtmpeSrc *self)
{
  GstCaps *caps = flv_out_take_caps (self->flv);
  gboolean ok = TRUE;

  if (caps) {
    GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, caps);
    ok = gst_base_src_set_caps (GST_BASE_SRC (self), caps);
    gst_caps_unref (caps);
  }
  return ok;
}

/* Nothing for create () to act on yet. Lock held. */
static gboolean
nothing_yet_locked (GstRtmpeSrc *self)
{
  return !self->flushing && !self->error && !self->eos &&
      g_queue_is_empty (&self->queue);
}

/* Reads on this thread when the client (or the server, from its
 * publisher) lets us: no hand-over per message. FALSE when it does not:
 * wait for its thread then. Lock held; released while reading. */
static gboolean
pull_locked (GstRtmpeSrc *self)
{
  GstRtmpeClient *client = self->client;
  GstRtmpeServer *server = self->server;
  const GPollFD *fd = self->cancellable_fd ? &self->cancel_pollfd : NULL;
  gboolean pulled;

  if (!client && !server)
    return FALSE;
  self->pull_thread = g_thread_self ();
  g_mutex_unlock (&self->lock);
  if (client)
    pulled = gst_rtmpe_client_pull (client, self->cancellable, fd);
  else
    pulled = gst_rtmpe_server_pull (server, self->cancellable, fd);
  g_mutex_lock (&self->lock);
  self->pull_thread = NULL;
  /* cancelled to wake us (WAKE_CANCEL), not by unlock () */
  if (!self->flushing && g_cancellable_is_cancelled (self->cancellable))
    g_cancellable_reset (self->cancellable);
  return pulled;
}

static GstFlowReturn
gst_rtmpe_src_create (GstPushSrc *psrc, GstBuffer **outbuf)
{
  GstRtmpeSrc *self = GST_RTMPE_SRC (psrc);

  for (;;) {
    GstBuffer *buf = take_pending (self);
    RtmpMessage *msg;
    GError *error = NULL;

    if (buf) {
      *outbuf = buf;
      return GST_FLOW_OK;
    }

    g_mutex_lock (&self->lock);
    while (nothing_yet_locked (self)) {
      if (pull_locked (self))
        continue;
      /* the lock was released: look again before sleeping */
      if (nothing_yet_locked (self)) {
        self->waiting = TRUE;
        g_cond_wait (&self->cond, &self->lock);
        self->waiting = FALSE;
      }
    }
    if (self->flushing) {
      g_mutex_unlock (&self->lock);
      return GST_FLOW_FLUSHING;
    }
    msg = g_queue_pop_head (&self->queue);
    if (!msg && self->error) {
      GError *err = g_error_copy (self->error);
      gchar *code = g_strdup (self->error_code);

      g_mutex_unlock (&self->lock);
      gst_rtmpe_post_error (
          GST_ELEMENT (self), err, code, self->redacted, FALSE);
      g_error_free (err);
      g_free (code);
      return GST_FLOW_ERROR;
    }
    if (!msg) {
      /* EOS: whatever the converter still holds goes first */
      g_mutex_unlock (&self->lock);
      self->pending = gst_buffer_list_new ();
      self->pending_index = 0;
      flv_out_flush (self->flv, self->pending);
      if (!apply_caps (self))
        return GST_FLOW_NOT_NEGOTIATED;
      buf = take_pending (self);
      if (buf) {
        *outbuf = buf;
        return GST_FLOW_OK;
      }
      GST_INFO_OBJECT (self, "end of stream");
      return GST_FLOW_EOS;
    }
    self->queued_bytes -= gst_buffer_get_size (msg->payload);
    if (self->reading_paused && self->queued_bytes < self->max_queue / 2)
      set_reading_locked (self, TRUE);
    g_mutex_unlock (&self->lock);

    if (msg->type == DISCONT_MARKER) {
      rtmp_message_free (msg);
      flv_out_discont (self->flv);
      continue;
    }
    self->pending = gst_buffer_list_new ();
    self->pending_index = 0;
    if (!flv_out_push (
            self->flv, msg, running_time_ms (self), self->pending, &error)) {
      GST_DEBUG_OBJECT (self, "dropped: %s", error->message);
      g_clear_error (&error);
    }
    if (!apply_caps (self))
      return GST_FLOW_NOT_NEGOTIATED;
  }
}

static gboolean
gst_rtmpe_src_query (GstBaseSrc *bsrc, GstQuery *query)
{
  GstRtmpeSrc *self = GST_RTMPE_SRC (bsrc);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
      gst_query_set_latency (
          query, TRUE, self->latency * GST_MSECOND, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_SCHEDULING:
      gst_query_set_scheduling (
          query, GST_SCHEDULING_FLAG_SEQUENTIAL, 1, -1, 0);
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
      return TRUE;
    default:
      return GST_BASE_SRC_CLASS (gst_rtmpe_src_parent_class)
          ->query (bsrc, query);
  }
}

/* ---- GObject ------------------------------------------------------------- */

static void
gst_rtmpe_src_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstRtmpeSrc *self = GST_RTMPE_SRC (object);

  if (prop_id < GST_RTMPE_PROP_LAST) {
    if (!gst_rtmpe_settings_set_property (
            &self->settings, object, prop_id, value, pspec))
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  switch (prop_id) {
    case PROP_BUFFER_LENGTH:
      self->buffer_length = g_value_get_uint (value);
      break;
    case PROP_LATENCY:
      self->latency = g_value_get_uint (value);
      break;
    case PROP_MAX_QUEUE:
      self->max_queue = g_value_get_uint (value);
      break;
    case PROP_WAIT_FOR_NEXT_PUBLISHER:
      self->wait_for_next_publisher = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtmpe_src_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstRtmpeSrc *self = GST_RTMPE_SRC (object);

  if (prop_id == GST_RTMPE_PROP_STATS) {
    GstStructure *s = NULL;

    g_mutex_lock (&self->lock);
    if (self->client)
      s = gst_rtmpe_client_get_stats (self->client);
    else if (self->server)
      s = gst_rtmpe_server_get_stats (self->server);
    g_mutex_unlock (&self->lock);
    if (!s)
      s = gst_structure_new_empty ("application/x-rtmpe-stats");
    g_value_take_boxed (value, s);
    return;
  }
  if (prop_id < GST_RTMPE_PROP_LAST) {
    if (!gst_rtmpe_settings_get_property (
            &self->settings, prop_id, value, pspec))
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  switch (prop_id) {
    case PROP_BUFFER_LENGTH:
      g_value_set_uint (value, self->buffer_length);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency);
      break;
    case PROP_MAX_QUEUE:
      g_value_set_uint (value, self->max_queue);
      break;
    case PROP_WAIT_FOR_NEXT_PUBLISHER:
      g_value_set_boolean (value, self->wait_for_next_publisher);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtmpe_src_finalize (GObject *object)
{
  GstRtmpeSrc *self = GST_RTMPE_SRC (object);

  gst_rtmpe_settings_clear (&self->settings);
  g_clear_error (&self->error);
  g_free (self->error_code);
  g_free (self->redacted);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_object_unref (self->cancellable);
  G_OBJECT_CLASS (gst_rtmpe_src_parent_class)->finalize (object);
}

static void
gst_rtmpe_src_init (GstRtmpeSrc *self)
{
  gst_rtmpe_settings_init (&self->settings, GST_RTMPE_ELEMENT_SRC);
  self->buffer_length = DEFAULT_BUFFER_LENGTH;
  self->latency = DEFAULT_LATENCY;
  self->max_queue = DEFAULT_MAX_QUEUE;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  self->cancellable = g_cancellable_new ();
  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

static void
gst_rtmpe_src_class_init (GstRtmpeSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (
      rtmpe_src_debug, "rtmpesrc", 0, "rtmpesrc: play over RTMP, RTMPE, RTMPS");

  gobject_class->set_property = gst_rtmpe_src_set_property;
  gobject_class->get_property = gst_rtmpe_src_get_property;
  gobject_class->finalize = gst_rtmpe_src_finalize;

  gst_rtmpe_settings_install_properties (
      gobject_class, 1, GST_RTMPE_ELEMENT_SRC);
  g_object_class_install_property (gobject_class, PROP_BUFFER_LENGTH,
      g_param_spec_uint ("buffer-length", "Buffer length",
          "Buffer length announced to the server (SetBufferLength), in ms; "
          "servers send a recorded stream this far ahead",
          0, G_MAXUINT32, DEFAULT_BUFFER_LENGTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
          "Latency reported to the pipeline, in ms: how late a buffer may "
          "arrive (network jitter) and still play in time",
          0, 60000, DEFAULT_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE,
      g_param_spec_uint ("max-queue", "Maximum queue",
          "Bytes received and not yet pushed before reading from the "
          "server pauses (TCP then slows the server down)",
          65536, G_MAXUINT, DEFAULT_MAX_QUEUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_WAIT_FOR_NEXT_PUBLISHER,
      g_param_spec_boolean ("wait-for-next-publisher",
          "Wait for the next publisher",
          "listen: when the publisher stops or goes away, wait for the next "
          "one (the stream goes on, DISCONT) instead of ending the stream",
          FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "RTMP/RTMPE/RTMPS source", "Source/Network",
      "Plays a stream over RTMP, RTMPE (obfuscated, not secure) or RTMPS "
      "(TLS), from a server or from a publisher connecting to it (listen "
      "mode), and outputs FLV",
      "gst-rtmpe developers");
  gst_element_class_add_metadata (element_class, GST_ELEMENT_METADATA_DOC_URI,
      GST_RTMPE_DOC_URI ("rtmpesrc"));

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_rtmpe_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_rtmpe_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_rtmpe_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_rtmpe_src_unlock_stop);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_rtmpe_src_query);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_rtmpe_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_RTMPE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMPE_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RTMPE_ENCRYPTION, 0);
}

/* ---- URI handler --------------------------------------------------------- */

static GstURIType
uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
uri_get_protocols (GType type)
{
  static const gchar *all[] = { "rtmp", "rtmpe", "rtmps", NULL };
  static const gchar *rtmpe_only[] = { "rtmpe", NULL };

  return g_type_is_a (type, GST_TYPE_RTMPE_URI_SRC) ? rtmpe_only : all;
}

static gchar *
uri_get_uri (GstURIHandler *handler)
{
  return gst_rtmpe_settings_get_location (&GST_RTMPE_SRC (handler)->settings);
}

static gboolean
uri_set_uri (GstURIHandler *handler, const gchar *uri, GError **error)
{
  return gst_uri_setter_set (GST_ELEMENT (handler),
      &GST_RTMPE_SRC (handler)->settings,
      (GstUriSetterFunc) gst_rtmpe_settings_set_location, uri, error);
}

static void
gst_rtmpe_src_uri_handler_init (gpointer iface, gpointer data)
{
  GstURIHandlerInterface *i = iface;

  i->get_type = uri_get_type;
  i->get_protocols = uri_get_protocols;
  i->get_uri = uri_get_uri;
  i->set_uri = uri_set_uri;
}

/* ---- rtmpeurisrc ---------------------------------------------------------- */

/**
 * SECTION:element-rtmpeurisrc
 * @title: rtmpeurisrc
 *
 * rtmpesrc, registered a second time for rtmpe:// URIs alone and at a rank
 * (primary + 1) above librtmp's rtmpsrc (primary), which also claims
 * rtmpe://. GStreamer picks a URI handler by rank among the elements that
 * claim the scheme, so with this element playbin, uridecodebin, urisourcebin
 * and gst-play-1.0 play rtmpe:// with our elements; rtmpesrc itself keeps
 * rtmp://, rtmpe:// and rtmps:// at a rank below GStreamer's rtmp2src, so
 * that rtmp:// and rtmps:// stay with rtmp2src unless the user asks for
 * ours (GST_PLUGIN_FEATURE_RANK=rtmpesrc:MAX).
 *
 * Same properties and behaviour as rtmpesrc. In a pipeline, write rtmpesrc.
 *
 * ## Example
 * |[
 * gst-play-1.0 rtmpe://example.com/live/stream
 * gst-launch-1.0 playbin uri=rtmpe://example.com/live/stream
 * ]|
 */
typedef GstRtmpeSrc GstRtmpeUriSrc;
typedef GstRtmpeSrcClass GstRtmpeUriSrcClass;

G_DEFINE_TYPE (GstRtmpeUriSrc, gst_rtmpe_uri_src, GST_TYPE_RTMPE_SRC);
GST_ELEMENT_REGISTER_DEFINE (
    rtmpeurisrc, "rtmpeurisrc", GST_RTMPE_URI_RANK, GST_TYPE_RTMPE_URI_SRC);

static void
gst_rtmpe_uri_src_init (GstRtmpeUriSrc *self)
{}

static void
gst_rtmpe_uri_src_class_init (GstRtmpeUriSrcClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_set_static_metadata (element_class,
      "RTMPE source (rtmpe:// URI handler)", "Source/Network",
      "rtmpesrc for rtmpe:// URIs, ranked above librtmp's rtmpsrc so that "
      "playbin plays rtmpe:// with it (RTMPE is obfuscation, not security)",
      "gst-rtmpe developers");
  gst_element_class_add_metadata (element_class, GST_ELEMENT_METADATA_DOC_URI,
      GST_RTMPE_DOC_URI ("rtmpeurisrc"));
}

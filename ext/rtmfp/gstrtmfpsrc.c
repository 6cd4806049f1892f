/* gst-rtmfp: rtmfpsrc
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-rtmfpsrc
 * @title: rtmfpsrc
 *
 * Plays a stream over RTMFP (RFC 7016 with the Flash profile) and outputs
 * it as FLV (video/x-flv), exactly as rtmpesrc does: one tag per buffer
 * after a streamheader (FLV header, metadata, codec configuration),
 * running-time timestamps (PTS = DTS + composition time), non-key video
 * frames DELTA_UNIT. A live source: its latency (the latency property) is
 * how late a frame may arrive, after retransmissions, and still play.
 *
 * Modes:
 *  - client: connect to a server (tcserver, MonaServer, our own listen
 *    mode) and play a stream it relays;
 *  - peer: connect to a server, which introduces us to the publishing peer
 *    peer-id, and play straight from that peer (Flash's direct P2P);
 *  - listen: be an RTMFP ingest point: accept sessions, answer connect,
 *    createStream and publish, output the first stream published (the
 *    location's stream name, or any when it has none), and introduce peers
 *    connected to us to each other.
 *
 * Statistics (round trip, retransmissions, loss, bitrate, sessions,
 * flows) are in the stats property and posted as "rtmfp-stats" element
 * messages every stats-interval ms.
 *
 * ## Examples
 * |[
 * gst-launch-1.0 rtmfpsrc location=rtmfp://example.com/live/stream ! flvdemux name=d \
 *     d.video ! queue ! decodebin ! autovideosink d.audio ! queue ! decodebin ! autoaudiosink
 * gst-launch-1.0 rtmfpsrc mode=listen location=rtmfp://0.0.0.0:1935/live ! \
 *     filesink location=ingest.flv
 * gst-launch-1.0 rtmfpsrc mode=peer location=rtmfp://example.com/live/cam \
 *     peer-id=7ef1e7c9... ! filesink location=p2p.flv
 * ]|
 */
#include "gstrtmfpsrc.h"
#include "flvout.h"
#include "gstrtmpeerror.h"
#include "gsturisetter.h"

GST_DEBUG_CATEGORY_STATIC (rtmfp_src_debug);
#define GST_CAT_DEFAULT rtmfp_src_debug

#define DEFAULT_LATENCY 500
#define DEFAULT_MAX_QUEUE (32 * 1024 * 1024)

enum
{
  PROP_0,
  PROP_LATENCY = GST_RTMFP_PROP_LAST,
  PROP_MAX_QUEUE,
};

struct _GstRtmfpSrc
{
  GstPushSrc parent;

  GstRtmfpSettings settings;
  guint latency;
  guint max_queue;

  GMutex lock;
  GCond cond;
  GQueue queue; /* RtmpMessage */
  gsize queued_bytes;
  guint64 dropped;
  gboolean drop_discont;
  gboolean eos;
  gboolean flushing;
  GError *error;
  gchar *error_code;

  gchar *redacted;
  GstRtmfpEngine *engine;
  FlvOut *flv;
  GstBufferList *pending;
  guint pending_index;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

static void gst_rtmfp_src_uri_handler_init (gpointer iface, gpointer data);

G_DEFINE_TYPE_WITH_CODE (GstRtmfpSrc, gst_rtmfp_src, GST_TYPE_PUSH_SRC,
    G_IMPLEMENT_INTERFACE (
        GST_TYPE_URI_HANDLER, gst_rtmfp_src_uri_handler_init));
/* above librtmp's rtmpsrc (primary), which claims rtmfp:// without speaking
 * it, so that playbin and friends use ours (docs/guide.md) */
GST_ELEMENT_REGISTER_DEFINE (
    rtmfpsrc, "rtmfpsrc", GST_RANK_PRIMARY + 1, GST_TYPE_RTMFP_SRC);

/* a marker in the queue: what follows is not continuous */
#define DISCONT_MARKER 0

/* ---- engine callbacks (I/O thread) ------------------------------------- */

static void
on_media (GstRtmfpEngine *e, RtmpMessage *msg, gpointer data)
{
  GstRtmfpSrc *self = data;
  gsize size = gst_buffer_get_size (msg->payload);

  g_mutex_lock (&self->lock);
  if (self->queued_bytes + size > self->max_queue) {
    /* downstream does not keep up: a live source drops */
    if (!self->dropped++)
      GST_WARNING_OBJECT (self, "queue full (max-queue): dropping");
    self->drop_discont = TRUE;
    rtmp_message_free (msg);
  } else {
    if (self->drop_discont) {
      g_queue_push_tail (
          &self->queue, rtmp_message_new (DISCONT_MARKER, 0, 0, NULL));
      self->drop_discont = FALSE;
    }
    g_queue_push_tail (&self->queue, msg);
    self->queued_bytes += size;
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
on_eos (GstRtmfpEngine *e, gpointer data)
{
  GstRtmfpSrc *self = data;

  g_mutex_lock (&self->lock);
  self->eos = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
on_error (
    GstRtmfpEngine *e, const GError *error, const gchar *code, gpointer data)
{
  GstRtmfpSrc *self = data;

  g_mutex_lock (&self->lock);
  if (!self->error) {
    self->error = g_error_copy (error);
    self->error_code = g_strdup (code);
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
on_message (GstRtmfpEngine *e, GstStructure *s, gpointer data)
{
  GstElement *el = data;

  gst_element_post_message (el, gst_message_new_element (GST_OBJECT (el), s));
}

static const GstRtmfpEngineCallbacks callbacks = {
  .media = on_media,
  .eos = on_eos,
  .error = on_error,
  .message = on_message,
};

/* ---- GstBaseSrc ------------------------------------------------------------ */

static void
clear_queue_locked (GstRtmfpSrc *self)
{
  g_queue_clear_full (&self->queue, (GDestroyNotify) rtmp_message_free);
  self->queued_bytes = 0;
}

static gboolean
gst_rtmfp_src_start (GstBaseSrc *bsrc)
{
  GstRtmfpSrc *self = GST_RTMFP_SRC (bsrc);
  GError *error = NULL;
  GstRtmfpTarget *target;
  GstRtmfpEngine *engine;

  target = gst_rtmfp_settings_make_target (&self->settings, &error);
  if (!target) {
    GST_ELEMENT_ERROR (
        self, RESOURCE, SETTINGS, ("%s", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->eos = FALSE;
  self->flushing = FALSE;
  self->dropped = 0;
  self->drop_discont = FALSE;
  g_clear_error (&self->error);
  g_clear_pointer (&self->error_code, g_free);
  clear_queue_locked (self);
  g_free (self->redacted);
  self->redacted = g_strdup (target->redacted);
  self->flv = flv_out_new ();
  g_mutex_unlock (&self->lock);

  engine = gst_rtmfp_engine_new (GST_OBJECT (self), target, &callbacks, self);
  if (!gst_rtmfp_engine_start (engine, &error)) {
    gst_rtmpe_post_error (
        GST_ELEMENT (self), error, NULL, self->redacted, FALSE);
    g_error_free (error);
    gst_rtmfp_engine_free (engine);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->engine = engine;
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "%s %s", "started", self->redacted);
  return TRUE;
}

static gboolean
gst_rtmfp_src_stop (GstBaseSrc *bsrc)
{
  GstRtmfpSrc *self = GST_RTMFP_SRC (bsrc);
  GstRtmfpEngine *engine;

  g_mutex_lock (&self->lock);
  engine = self->engine;
  self->engine = NULL;
  g_mutex_unlock (&self->lock);
  /* joins the I/O thread: no callback runs after this */
  gst_rtmfp_engine_free (engine);

  g_mutex_lock (&self->lock);
  clear_queue_locked (self);
  g_clear_pointer (&self->flv, flv_out_free);
  g_clear_pointer (&self->pending, gst_buffer_list_unref);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_rtmfp_src_unlock (GstBaseSrc *bsrc)
{
  GstRtmfpSrc *self = GST_RTMFP_SRC (bsrc);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_rtmfp_src_unlock_stop (GstBaseSrc *bsrc)
{
  GstRtmfpSrc *self = GST_RTMFP_SRC (bsrc);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static guint64
running_time_ms (GstRtmfpSrc *self)
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

/* One memory per buffer. A tag is a header, the message's memories (one
 * per RTMFP fragment, not copied) and a trailer; filesink's buffered mode
 * (GStreamer 1.22) gathers such buffers into writev calls of more than
 * IOV_MAX pieces and loses bytes of them (seen with librtmfp's P2P stream:
 * an audio tag's trailer and the next video tag missing from the file). A
 * copy per tag costs little next to the crypto. */
#define MAX_MEMORIES 1

static GstBuffer *
merge_memories (GstBuffer *buf)
{
  GstMemory *all;

  if (gst_buffer_n_memory (buf) <= MAX_MEMORIES)
    return buf;
  all = gst_buffer_get_all_memory (buf);
  buf = gst_buffer_make_writable (buf);
  gst_buffer_replace_all_memory (buf, all);
  return buf;
}

static GstBuffer *
take_pending (GstRtmfpSrc *self)
{
  if (!self->pending)
    return NULL;
  if (self->pending_index >= gst_buffer_list_length (self->pending)) {
    g_clear_pointer (&self->pending, gst_buffer_list_unref);
    return NULL;
  }
  return merge_memories (gst_buffer_ref (
      gst_buffer_list_get (self->pending, self->pending_index++)));
}

static gboolean
apply_caps (GstRtmfpSrc *self)
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

static GstFlowReturn
gst_rtmfp_src_create (GstPushSrc *psrc, GstBuffer **outbuf)
{
  GstRtmfpSrc *self = GST_RTMFP_SRC (psrc);

  for (;;) {
    GstBuffer *buf = take_pending (self);
    RtmpMessage *msg;
    GError *error = NULL;

    if (buf) {
      *outbuf = buf;
      return GST_FLOW_OK;
    }

    g_mutex_lock (&self->lock);
    while (!self->flushing && !self->error && !self->eos &&
        g_queue_is_empty (&self->queue))
      g_cond_wait (&self->cond, &self->lock);
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
    if (msg->payload)
      self->queued_bytes -= gst_buffer_get_size (msg->payload);
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
gst_rtmfp_src_query (GstBaseSrc *bsrc, GstQuery *query)
{
  GstRtmfpSrc *self = GST_RTMFP_SRC (bsrc);

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
      return GST_BASE_SRC_CLASS (gst_rtmfp_src_parent_class)
          ->query (bsrc, query);
  }
}

/* ---- GObject ----------------------------------------------------------------- */

static void
gst_rtmfp_src_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstRtmfpSrc *self = GST_RTMFP_SRC (object);

  if (gst_rtmfp_settings_set_property (&self->settings, object, prop_id, value))
    return;
  switch (prop_id) {
    case PROP_LATENCY:
      self->latency = g_value_get_uint (value);
      break;
    case PROP_MAX_QUEUE:
      self->max_queue = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtmfp_src_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstRtmfpSrc *self = GST_RTMFP_SRC (object);

  if (prop_id == GST_RTMFP_PROP_STATS) {
    GstStructure *s = NULL;

    g_mutex_lock (&self->lock);
    if (self->engine)
      s = gst_rtmfp_engine_get_stats (self->engine);
    g_mutex_unlock (&self->lock);
    if (!s)
      s = gst_structure_new_empty ("application/x-rtmfp-stats");
    g_value_take_boxed (value, s);
    return;
  }
  if (gst_rtmfp_settings_get_property (&self->settings, prop_id, value))
    return;
  switch (prop_id) {
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency);
      break;
    case PROP_MAX_QUEUE:
      g_value_set_uint (value, self->max_queue);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtmfp_src_finalize (GObject *object)
{
  GstRtmfpSrc *self = GST_RTMFP_SRC (object);

  gst_rtmfp_settings_clear (&self->settings);
  g_clear_error (&self->error);
  g_free (self->error_code);
  g_free (self->redacted);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_rtmfp_src_parent_class)->finalize (object);
}

static void
gst_rtmfp_src_init (GstRtmfpSrc *self)
{
  gst_rtmfp_settings_init (&self->settings, FALSE);
  self->latency = DEFAULT_LATENCY;
  self->max_queue = DEFAULT_MAX_QUEUE;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

static void
gst_rtmfp_src_class_init (GstRtmfpSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (
      rtmfp_src_debug, "rtmfpsrc", 0, "rtmfpsrc: play over RTMFP");

  gobject_class->set_property = gst_rtmfp_src_set_property;
  gobject_class->get_property = gst_rtmfp_src_get_property;
  gobject_class->finalize = gst_rtmfp_src_finalize;

  gst_rtmfp_settings_install_properties (gobject_class, FALSE);
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
          "Latency reported to the pipeline, in ms: the jitter buffer, how "
          "late a frame may arrive (after retransmissions of lost "
          "fragments) and still play in time",
          0, 60000, DEFAULT_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE,
      g_param_spec_uint ("max-queue", "Maximum queue",
          "Bytes received and not yet pushed downstream; beyond it media is "
          "dropped (a live source does not stall the sender)",
          65536, G_MAXUINT, DEFAULT_MAX_QUEUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "RTMFP source",
      "Source/Network",
      "Plays a stream over RTMFP from a server, straight from a publishing "
      "peer, or from publishers connecting to it (listen mode), and outputs "
      "FLV",
      "gst-rtmpe developers");
  gst_element_class_add_metadata (element_class, GST_ELEMENT_METADATA_DOC_URI,
      GST_PACKAGE_ORIGIN "/blob/main/docs/elements/rtmfpsrc.md");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_rtmfp_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_rtmfp_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_rtmfp_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_rtmfp_src_unlock_stop);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_rtmfp_src_query);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_rtmfp_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_RTMFP_MODE, 0);
}

/* ---- URI handler -------------------------------------------------------------- */

static GstURIType
uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
uri_get_protocols (GType type)
{
  static const gchar *protocols[] = { "rtmfp", NULL };

  return protocols;
}

static gchar *
uri_get_uri (GstURIHandler *handler)
{
  return gst_rtmfp_settings_get_location (&GST_RTMFP_SRC (handler)->settings);
}

static gboolean
uri_set_uri (GstURIHandler *handler, const gchar *uri, GError **error)
{
  return gst_uri_setter_set (GST_ELEMENT (handler),
      &GST_RTMFP_SRC (handler)->settings,
      (GstUriSetterFunc) gst_rtmfp_settings_set_location, uri, error);
}

static void
gst_rtmfp_src_uri_handler_init (gpointer iface, gpointer data)
{
  GstURIHandlerInterface *i = iface;

  i->get_type = uri_get_type;
  i->get_protocols = uri_get_protocols;
  i->get_uri = uri_get_uri;
  i->set_uri = uri_set_uri;
}

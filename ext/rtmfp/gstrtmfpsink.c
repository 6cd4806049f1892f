/* gst-rtmfp: rtmfpsink
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-rtmfpsink
 * @title: rtmfpsink
 *
 * Publishes an FLV stream (from flvmux, or a plain FLV byte stream) over
 * RTMFP (RFC 7016 with the Flash profile): metadata as @setDataFrame,
 * audio and video as RTMP messages on their own flows (so audio never
 * waits behind a lost video fragment).
 *
 * Delivery is reliable by default: every frame arrives, and the element
 * waits when the network is slower than the stream (back-pressure). With
 * max-latency, as Flash did for live video, a frame not delivered that
 * long after it was queued is abandoned (RTMFP partial reliability) rather
 * than delaying newer frames.
 *
 * Modes:
 *  - client: publish to a server (tcserver, MonaServer, rtmfpsrc in listen
 *    mode);
 *  - peer: connect to a server that introduces peers (setPeerInfo), and
 *    serve the stream straight to every peer that plays it from us; our
 *    peer ID is the peer-id property (and in the "rtmfp-stats" messages).
 *
 * At the end of the stream it unpublishes (or ends every peer's play),
 * waits until everything was acknowledged and closes the sessions in
 * order.
 *
 * ## Example
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! flvmux name=m \
 *     streamable=true ! rtmfpsink location=rtmfp://example.com/live/cam \
 *     audiotestsrc is-live=true ! voaacenc ! m.
 * ]|
 */
#include "gstrtmfpsink.h"
#include "flvparser.h"
#include "gstflvheaders.h"
#include "gstrtmpeerror.h"
#include "gsturisetter.h"

GST_DEBUG_CATEGORY_STATIC (rtmfp_sink_debug);
#define GST_CAT_DEFAULT rtmfp_sink_debug

#define DEFAULT_MAX_LATENCY 0
#define DEFAULT_MAX_QUEUE (8 * 1024 * 1024)
#define FINISH_TIMEOUT (15 * G_USEC_PER_SEC)

enum
{
  PROP_0,
  PROP_MAX_LATENCY = GST_RTMFP_PROP_LAST,
  PROP_MAX_QUEUE,
};

struct _GstRtmfpSink
{
  GstBaseSink parent;

  GstRtmfpSettings settings;
  guint max_latency;
  guint max_queue;

  GMutex lock;
  GstRtmfpEngine *engine;
  GCancellable *cancellable;
  gchar *redacted;
  gboolean failed;

  FlvParser *parser;
  GstFlvHeaders headers;
  guint64 messages_sent;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

static void gst_rtmfp_sink_uri_handler_init (gpointer iface, gpointer data);

G_DEFINE_TYPE_WITH_CODE (GstRtmfpSink, gst_rtmfp_sink, GST_TYPE_BASE_SINK,
    G_IMPLEMENT_INTERFACE (
        GST_TYPE_URI_HANDLER, gst_rtmfp_sink_uri_handler_init));
/* above librtmp's rtmpsink (primary), which claims rtmfp:// without speaking
 * it, so that playbin and friends use ours (docs/guide.md) */
GST_ELEMENT_REGISTER_DEFINE (
    rtmfpsink, "rtmfpsink", GST_RANK_PRIMARY + 1, GST_TYPE_RTMFP_SINK);

/* ---- engine callbacks (I/O thread) --------------------------------------- */

static void
on_error (
    GstRtmfpEngine *e, const GError *error, const gchar *code, gpointer data)
{
  GstRtmfpSink *self = data;

  g_mutex_lock (&self->lock);
  self->failed = TRUE;
  g_mutex_unlock (&self->lock);
  gst_rtmpe_post_error (GST_ELEMENT (self), error, code, self->redacted, TRUE);
}

static void
on_message (GstRtmfpEngine *e, GstStructure *s, gpointer data)
{
  GstElement *el = data;

  gst_element_post_message (el, gst_message_new_element (GST_OBJECT (el), s));
}

static void
on_started (GstRtmfpEngine *e, gpointer data)
{
  g_object_notify (G_OBJECT (data), "peer-id");
}

static const GstRtmfpEngineCallbacks callbacks = {
  .started = on_started,
  .error = on_error,
  .message = on_message,
};

/* ---- GstBaseSink ------------------------------------------------------------ */

static gboolean
gst_rtmfp_sink_start (GstBaseSink *bsink)
{
  GstRtmfpSink *self = GST_RTMFP_SINK (bsink);
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
  target->media_lifetime = (guint64) self->max_latency * 1000;
  target->max_queue = self->max_queue;
  g_mutex_lock (&self->lock);
  self->failed = FALSE;
  self->messages_sent = 0;
  gst_flv_headers_clear (&self->headers);
  self->parser = flv_parser_new ();
  self->cancellable = g_cancellable_new ();
  g_free (self->redacted);
  self->redacted = g_strdup (target->redacted);
  g_mutex_unlock (&self->lock);

  engine = gst_rtmfp_engine_new (GST_OBJECT (self), target, &callbacks, self);
  if (!gst_rtmfp_engine_start (engine, &error)) {
    gst_rtmpe_post_error (
        GST_ELEMENT (self), error, NULL, self->redacted, TRUE);
    g_error_free (error);
    gst_rtmfp_engine_free (engine);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->engine = engine;
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "publishing to %s", self->redacted);
  return TRUE;
}

static gboolean
gst_rtmfp_sink_stop (GstBaseSink *bsink)
{
  GstRtmfpSink *self = GST_RTMFP_SINK (bsink);
  GstRtmfpEngine *engine;

  g_mutex_lock (&self->lock);
  engine = self->engine;
  self->engine = NULL;
  g_mutex_unlock (&self->lock);
  gst_rtmfp_engine_free (engine);
  g_clear_pointer (&self->parser, flv_parser_free);
  g_clear_object (&self->cancellable);
  gst_flv_headers_clear (&self->headers);
  return TRUE;
}

static gboolean
gst_rtmfp_sink_unlock (GstBaseSink *bsink)
{
  GstRtmfpSink *self = GST_RTMFP_SINK (bsink);

  g_mutex_lock (&self->lock);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_rtmfp_sink_unlock_stop (GstBaseSink *bsink)
{
  GstRtmfpSink *self = GST_RTMFP_SINK (bsink);

  g_mutex_lock (&self->lock);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static GCancellable *
get_cancellable (GstRtmfpSink *self)
{
  GCancellable *c;

  g_mutex_lock (&self->lock);
  c = self->cancellable ? g_object_ref (self->cancellable) : NULL;
  g_mutex_unlock (&self->lock);
  return c;
}

static GstFlowReturn
send_message (GstRtmfpSink *self, const RtmpMessage *msg)
{
  GError *error = NULL;
  GCancellable *cancellable = get_cancellable (self);
  gboolean ok;

  ok = gst_rtmfp_engine_send (self->engine, msg, cancellable, &error);
  g_clear_object (&cancellable);
  if (ok) {
    self->messages_sent++;
    return GST_FLOW_OK;
  }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free (error);
    return GST_FLOW_FLUSHING;
  }
  g_mutex_lock (&self->lock);
  if (!self->failed) {
    self->failed = TRUE;
    g_mutex_unlock (&self->lock);
    gst_rtmpe_post_error (
        GST_ELEMENT (self), error, NULL, self->redacted, TRUE);
  } else {
    g_mutex_unlock (&self->lock);
  }
  g_error_free (error);
  return GST_FLOW_ERROR;
}

static void
update_engine_headers (GstRtmfpSink *self)
{
  GPtrArray *list = gst_flv_headers_list (&self->headers);

  gst_rtmfp_engine_set_headers (self->engine, list);
  g_ptr_array_unref (list);
}

static GstFlowReturn
handle_message (GstRtmfpSink *self, RtmpMessage *msg)
{
  gint slot = gst_flv_headers_slot (msg);
  GstFlowReturn ret;

  if (slot >= 0) {
    if (!gst_flv_headers_store (&self->headers, slot, msg))
      return GST_FLOW_OK;
    update_engine_headers (self);
    ret = send_message (self, msg);
    self->headers.sent[slot] = ret == GST_FLOW_OK;
    return ret;
  }
  /* headers known only from the caps go before the first frame */
  for (guint i = 0; i < GST_FLV_N_HEADERS; i++) {
    if (self->headers.msg[i] && !self->headers.sent[i]) {
      ret = send_message (self, self->headers.msg[i]);
      if (ret != GST_FLOW_OK)
        return ret;
      self->headers.sent[i] = TRUE;
    }
  }
  return send_message (self, msg);
}

static GstFlowReturn
gst_rtmfp_sink_render (GstBaseSink *bsink, GstBuffer *buffer)
{
  GstRtmfpSink *self = GST_RTMFP_SINK (bsink);
  GstFlowReturn ret = GST_FLOW_OK;
  RtmpMessage *msg;
  GError *error = NULL;

  flv_parser_push (self->parser, gst_buffer_ref (buffer));
  while (ret == GST_FLOW_OK && (msg = flv_parser_pop (self->parser, &error))) {
    if (msg->type == RTMP_MESSAGE_TYPE_AUDIO ||
        msg->type == RTMP_MESSAGE_TYPE_VIDEO ||
        msg->type == RTMP_MESSAGE_TYPE_DATA_AMF0)
      ret = handle_message (self, msg);
    rtmp_message_free (msg);
  }
  if (error) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("The input is not a valid FLV stream"), ("%s", error->message));
    g_error_free (error);
    return GST_FLOW_ERROR;
  }
  return ret;
}

static gboolean
gst_rtmfp_sink_set_caps (GstBaseSink *bsink, GstCaps *caps)
{
  GstRtmfpSink *self = GST_RTMFP_SINK (bsink);

  if (gst_flv_headers_from_caps (&self->headers, caps) && self->engine)
    update_engine_headers (self);
  return TRUE;
}

static gboolean
gst_rtmfp_sink_event (GstBaseSink *bsink, GstEvent *event)
{
  GstRtmfpSink *self = GST_RTMFP_SINK (bsink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->engine) {
    GCancellable *cancellable = get_cancellable (self);
    gboolean ok;

    ok = gst_rtmfp_engine_finish (self->engine, FINISH_TIMEOUT, cancellable);
    g_clear_object (&cancellable);
    GST_INFO_OBJECT (self,
        "end of stream: %" G_GUINT64_FORMAT " messages sent%s",
        self->messages_sent,
        ok ? ", all acknowledged, sessions closed in order" :
             "; not everything was acknowledged");
  }
  return GST_BASE_SINK_CLASS (gst_rtmfp_sink_parent_class)
      ->event (bsink, event);
}

/* ---- GObject ------------------------------------------------------------------ */

static void
gst_rtmfp_sink_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstRtmfpSink *self = GST_RTMFP_SINK (object);

  if (prop_id != GST_RTMFP_PROP_PEER_ID &&
      gst_rtmfp_settings_set_property (&self->settings, object, prop_id, value))
    return;
  switch (prop_id) {
    case PROP_MAX_LATENCY:
      self->max_latency = g_value_get_uint (value);
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
gst_rtmfp_sink_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstRtmfpSink *self = GST_RTMFP_SINK (object);

  if (prop_id == GST_RTMFP_PROP_STATS || prop_id == GST_RTMFP_PROP_PEER_ID) {
    g_mutex_lock (&self->lock);
    if (prop_id == GST_RTMFP_PROP_PEER_ID)
      g_value_take_string (value,
          self->engine ? gst_rtmfp_engine_get_peer_id (self->engine) : NULL);
    else
      g_value_take_boxed (value,
          self->engine ? gst_rtmfp_engine_get_stats (self->engine) :
                         gst_structure_new_empty ("application/x-rtmfp-stats"));
    g_mutex_unlock (&self->lock);
    return;
  }
  if (gst_rtmfp_settings_get_property (&self->settings, prop_id, value))
    return;
  switch (prop_id) {
    case PROP_MAX_LATENCY:
      g_value_set_uint (value, self->max_latency);
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
gst_rtmfp_sink_finalize (GObject *object)
{
  GstRtmfpSink *self = GST_RTMFP_SINK (object);

  gst_rtmfp_settings_clear (&self->settings);
  g_free (self->redacted);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_rtmfp_sink_parent_class)->finalize (object);
}

static void
gst_rtmfp_sink_init (GstRtmfpSink *self)
{
  gst_rtmfp_settings_init (&self->settings, TRUE);
  self->max_latency = DEFAULT_MAX_LATENCY;
  self->max_queue = DEFAULT_MAX_QUEUE;
  g_mutex_init (&self->lock);
}

static void
gst_rtmfp_sink_class_init (GstRtmfpSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (
      rtmfp_sink_debug, "rtmfpsink", 0, "rtmfpsink: publish over RTMFP");

  gobject_class->set_property = gst_rtmfp_sink_set_property;
  gobject_class->get_property = gst_rtmfp_sink_get_property;
  gobject_class->finalize = gst_rtmfp_sink_finalize;

  gst_rtmfp_settings_install_properties (gobject_class, TRUE);
  g_object_class_install_property (gobject_class, PROP_MAX_LATENCY,
      g_param_spec_uint ("max-latency", "Maximum latency",
          "Milliseconds after which an audio or video message not yet "
          "delivered is abandoned (RTMFP partial reliability), so an old "
          "frame does not delay newer ones; 0: reliable, every frame "
          "arrives",
          0, 600000, DEFAULT_MAX_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE,
      g_param_spec_uint ("max-queue", "Maximum queue",
          "Bytes sent and not yet acknowledged before the element waits "
          "(back-pressure)",
          65536, G_MAXUINT, DEFAULT_MAX_QUEUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "RTMFP sink",
      "Sink/Network",
      "Publishes an FLV stream over RTMFP to a server, or straight to the "
      "peers that play it (peer mode)",
      "gst-rtmpe developers");
  gst_element_class_add_metadata (element_class, GST_ELEMENT_METADATA_DOC_URI,
      GST_PACKAGE_ORIGIN "/blob/main/docs/elements/rtmfpsink.md");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_rtmfp_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_rtmfp_sink_stop);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_rtmfp_sink_unlock);
  basesink_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_rtmfp_sink_unlock_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_rtmfp_sink_render);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_rtmfp_sink_set_caps);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_rtmfp_sink_event);
}

/* ---- URI handler ----------------------------------------------------------------- */

static GstURIType
uri_get_type (GType type)
{
  return GST_URI_SINK;
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
  return gst_rtmfp_settings_get_location (&GST_RTMFP_SINK (handler)->settings);
}

static gboolean
uri_set_uri (GstURIHandler *handler, const gchar *uri, GError **error)
{
  return gst_uri_setter_set (GST_ELEMENT (handler),
      &GST_RTMFP_SINK (handler)->settings,
      (GstUriSetterFunc) gst_rtmfp_settings_set_location, uri, error);
}

static void
gst_rtmfp_sink_uri_handler_init (gpointer iface, gpointer data)
{
  GstURIHandlerInterface *i = iface;

  i->get_type = uri_get_type;
  i->get_protocols = uri_get_protocols;
  i->get_uri = uri_get_uri;
  i->set_uri = uri_set_uri;
}

/* gst-rtmpe: rtmpesink
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-rtmpesink
 * @title: rtmpesink
 *
 * Publishes an FLV stream (from flvmux, or a plain FLV byte stream) over
 * RTMP, RTMPE or RTMPS: metadata as @setDataFrame, audio and video as RTMP
 * messages with the tags' own 32-bit timestamps. It waits for the server
 * when it is slow (back-pressure), and at the end of the stream it
 * unpublishes, sends everything still queued and closes in order, so the
 * server stores every frame.
 *
 * In listen mode it is the server that players connect to.
 *
 * RTMPE (rtmpe://) is obfuscation, not security: its key exchange is
 * anonymous and its cipher is RC4. Use rtmps:// to protect a stream and
 * its stream key.
 *
 * ## Example
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! flvmux name=m \
 *     streamable=true ! rtmpesink location=rtmpe://example.com/live/key \
 *     audiotestsrc is-live=true ! voaacenc ! m.
 * ]|
 */
#include "gstrtmpesink.h"
#include "gstrtmpeclient.h"
#include "gstrtmpeerror.h"
#include "gsturisetter.h"
#include "gstrtmpeserver.h"
#include "gstrtmpesettings.h"
#include "gstflvheaders.h"
#include "flvinfo.h"
#include "flvparser.h"
#include "flvtag.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtmpe_sink_debug);
#define GST_CAT_DEFAULT rtmpe_sink_debug

#define DEFAULT_CHUNK_SIZE 4096
#define FINISH_TIMEOUT (10 * G_USEC_PER_SEC)

enum
{
  PROP_0,
  PROP_CHUNK_SIZE = GST_RTMPE_PROP_LAST,
};

struct _GstRtmpeSink
{
  GstBaseSink parent;

  GstRtmpeSettings settings;
  guint chunk_size;

  GMutex lock;
  GCond cond; /* failed became TRUE */
  GstRtmpeClient *client;
  GstRtmpeServer *server;
  GCancellable *cancellable;
  gchar *redacted;
  gboolean failed; /* an error was posted */

  FlvParser *parser;
  /* metadata and codec configuration: re-sent after a reconnection */
  GstFlvHeaders headers;
  gint need_keyframe; /* atomic: set after a reconnection */
  guint64 messages_sent;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

static void gst_rtmpe_sink_uri_handler_init (gpointer iface, gpointer data);

G_DEFINE_TYPE_WITH_CODE (GstRtmpeSink, gst_rtmpe_sink, GST_TYPE_BASE_SINK,
    G_IMPLEMENT_INTERFACE (
        GST_TYPE_URI_HANDLER, gst_rtmpe_sink_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE (
    rtmpesink, "rtmpesink", GST_RTMPE_RANK, GST_TYPE_RTMPE_SINK);

/* ---- client callbacks (client thread) ------------------------------------ */

static void
on_started (GstRtmpeClient *c, gboolean reconnected, gpointer data)
{
  GstRtmpeSink *self = data;

  if (reconnected) {
    /* players would see garbage until the next key frame */
    g_atomic_int_set (&self->need_keyframe, 1);
  }
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
  GstRtmpeSink *self = data;

  gst_rtmpe_post_error (GST_ELEMENT (self), error, code, self->redacted, TRUE);
  g_mutex_lock (&self->lock);
  self->failed = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
on_reconnecting (GstRtmpeClient *c, const GError *error, guint attempt,
    guint delay_ms, gpointer data)
{
  GstElement *e = data;

  GST_ELEMENT_WARNING (e, RESOURCE, WRITE,
      ("Connection to the server lost; reconnecting"),
      ("%s; attempt %u in %u ms", error->message, attempt, delay_ms));
}

static const GstRtmpeClientCallbacks callbacks = {
  .started = on_started,
  .status = on_status,
  .error = on_error,
  .reconnecting = on_reconnecting,
};

/* ---- GstBaseSink --------------------------------------------------------- */

static gboolean
gst_rtmpe_sink_start (GstBaseSink *bsink)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (bsink);
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
  self->failed = FALSE;
  self->messages_sent = 0;
  g_atomic_int_set (&self->need_keyframe, 0);
  gst_flv_headers_clear (&self->headers);
  self->parser = flv_parser_new ();
  self->cancellable = g_cancellable_new ();
  g_free (self->redacted);
  self->redacted = g_strdup (target->redacted);
  if (target->mode == GST_RTMPE_MODE_LISTEN) {
    self->server = gst_rtmpe_server_new (GST_OBJECT (self), target,
        GST_RTMPE_SERVER_SERVE, self->chunk_size, FALSE, &callbacks, self);
    if (!gst_rtmpe_server_start (self->server, &error)) {
      g_clear_pointer (&self->server, gst_rtmpe_server_free);
      g_mutex_unlock (&self->lock);
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
          ("Could not listen for players"), ("%s", error->message));
      g_error_free (error);
      return FALSE;
    }
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
  self->client = gst_rtmpe_client_new (
      GST_OBJECT (self), target, TRUE, 0, self->chunk_size, &callbacks, self);
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "publishing to %s", self->redacted);
  gst_rtmpe_client_start (self->client);
  return TRUE;
}

static gboolean
gst_rtmpe_sink_stop (GstBaseSink *bsink)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (bsink);
  GstRtmpeClient *client;
  GstRtmpeServer *server;

  g_mutex_lock (&self->lock);
  client = self->client;
  self->client = NULL;
  server = self->server;
  self->server = NULL;
  g_mutex_unlock (&self->lock);
  gst_rtmpe_client_free (client);
  gst_rtmpe_server_free (server);
  g_clear_pointer (&self->parser, flv_parser_free);
  g_clear_object (&self->cancellable);
  gst_flv_headers_clear (&self->headers);
  return TRUE;
}

static gboolean
gst_rtmpe_sink_unlock (GstBaseSink *bsink)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (bsink);

  g_mutex_lock (&self->lock);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_rtmpe_sink_unlock_stop (GstBaseSink *bsink)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (bsink);

  g_mutex_lock (&self->lock);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* The client (for after a reconnection) or the server (for players that
 * join) gets the current headers. */
static void
publish_headers (GstRtmpeSink *self)
{
  GPtrArray *list = gst_flv_headers_list (&self->headers);

  if (self->client)
    gst_rtmpe_client_set_headers (self->client, list);
  else if (self->server)
    gst_rtmpe_server_set_headers (self->server, list);
  g_ptr_array_unref (list);
}

static GstFlowReturn
send_message (GstRtmpeSink *self, const RtmpMessage *msg)
{
  GError *error = NULL;
  GCancellable *cancellable;

  if (self->server) {
    /* players that cannot take it skip it; the pipeline never waits */
    gst_rtmpe_server_send (self->server, msg);
    self->messages_sent++;
    return GST_FLOW_OK;
  }
  g_mutex_lock (&self->lock);
  cancellable = self->cancellable ? g_object_ref (self->cancellable) : NULL;
  g_mutex_unlock (&self->lock);

  if (gst_rtmpe_client_send (self->client, msg, cancellable, &error)) {
    g_clear_object (&cancellable);
    self->messages_sent++;
    return GST_FLOW_OK;
  }
  g_clear_object (&cancellable);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free (error);
    return GST_FLOW_FLUSHING;
  }
  if (g_error_matches (
          error, GST_RTMPE_CLIENT_ERROR, GST_RTMPE_CLIENT_ERROR_RECONNECTING)) {
    /* reconnecting: this message is lost, the stream goes on */
    GST_DEBUG_OBJECT (self, "dropped a message while reconnecting");
    g_error_free (error);
    return GST_FLOW_OK;
  }
  if (g_error_matches (
          error, GST_RTMPE_CLIENT_ERROR, GST_RTMPE_CLIENT_ERROR_FAILED)) {
    /* on_error() posts it, with the server's status code if any: wait for
     * that, so that it comes before what upstream posts about our
     * GST_FLOW_ERROR (and never after an EOS) */
    gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

    GST_DEBUG_OBJECT (self, "not sent: %s", error->message);
    g_error_free (error);
    g_mutex_lock (&self->lock);
    while (!self->failed)
      if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
        break;
    g_mutex_unlock (&self->lock);
    return GST_FLOW_ERROR;
  }
  g_mutex_lock (&self->lock);
  if (!self->failed && !gst_rtmpe_client_has_failed (self->client)) {
    /* not for the client thread to report (e.g. a message we cannot
     * send); a failure of the client is its own to report, with the
     * server's status code, even when we see it first */
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

static GstFlowReturn
handle_message (GstRtmpeSink *self, RtmpMessage *msg)
{
  gint slot = gst_flv_headers_slot (msg);
  GstFlowReturn ret;

  if (slot >= 0) {
    /* a header: sent unless it repeats the one already sent */
    if (!gst_flv_headers_store (&self->headers, slot, msg))
      return GST_FLOW_OK;
    publish_headers (self);
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

  if (g_atomic_int_get (&self->need_keyframe) &&
      msg->type == RTMP_MESSAGE_TYPE_VIDEO) {
    FlvTagInfo info;

    if (flv_tag_info_parse_buffer (msg->type, msg->payload, &info, NULL) &&
        !info.keyframe) {
      GST_LOG_OBJECT (self, "waiting for a key frame after reconnecting");
      return GST_FLOW_OK;
    }
    g_atomic_int_set (&self->need_keyframe, 0);
  }
  return send_message (self, msg);
}

/* A publisher sends metadata as @setDataFrame; players get it bare, as the
 * FLV script tag has it. */
static void
wrap_metadata (GstRtmpeSink *self, RtmpMessage *msg)
{
  GstBuffer *wrapped;

  if (msg->type != RTMP_MESSAGE_TYPE_DATA_AMF0 || !self->client)
    return;
  wrapped = flv_data_wrap_set_data_frame (msg->payload);
  gst_buffer_unref (msg->payload);
  msg->payload = wrapped;
}

static GstFlowReturn
gst_rtmpe_sink_render (GstBaseSink *bsink, GstBuffer *buffer)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (bsink);
  GstFlowReturn ret = GST_FLOW_OK;
  RtmpMessage *msg;
  GError *error = NULL;
  FlvHeader header;
  guint8 first;

  /* a stream joined after its header (a tee branch linked to a running
   * flvmux) starts with a tag: the caps' streamheader stands for the
   * header, so the parser gets one of its own */
  if (!flv_parser_get_header (self->parser, &header) &&
      flv_parser_get_pending (self->parser) == 0 &&
      gst_buffer_extract (buffer, 0, &first, 1) == 1 &&
      flv_tag_type_is_valid (first)) {
    GST_DEBUG_OBJECT (self,
        "no FLV header in band: the stream starts with "
        "a tag");
    flv_parser_push (self->parser, flv_header_new (TRUE, TRUE));
  }
  flv_parser_push (self->parser, gst_buffer_ref (buffer));
  while (ret == GST_FLOW_OK && (msg = flv_parser_pop (self->parser, &error))) {
    wrap_metadata (self, msg);
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
gst_rtmpe_sink_set_caps (GstBaseSink *bsink, GstCaps *caps)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (bsink);

  if (gst_flv_headers_from_caps (&self->headers, caps)) {
    if (self->headers.msg[GST_FLV_HEADER_META] &&
        !self->headers.sent[GST_FLV_HEADER_META])
      wrap_metadata (self, self->headers.msg[GST_FLV_HEADER_META]);
    publish_headers (self);
  }
  return TRUE;
}

static gboolean
gst_rtmpe_sink_event (GstBaseSink *bsink, GstEvent *event)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (bsink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->server) {
    gst_rtmpe_server_end (self->server, FINISH_TIMEOUT);
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->client) {
    GCancellable *cancellable;
    gboolean ok;

    g_mutex_lock (&self->lock);
    cancellable = self->cancellable ? g_object_ref (self->cancellable) : NULL;
    g_mutex_unlock (&self->lock);
    ok = gst_rtmpe_client_finish (self->client, FINISH_TIMEOUT, cancellable);
    g_clear_object (&cancellable);
    GST_INFO_OBJECT (self,
        "end of stream: %" G_GUINT64_FORMAT " messages "
        "sent%s",
        self->messages_sent,
        ok ? ", connection closed in order" :
             "; the connection did not close in order");
  }
  return GST_BASE_SINK_CLASS (gst_rtmpe_sink_parent_class)
      ->event (bsink, event);
}

/* ---- GObject ------------------------------------------------------------- */

static void
gst_rtmpe_sink_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (object);

  if (prop_id < GST_RTMPE_PROP_LAST) {
    if (!gst_rtmpe_settings_set_property (
            &self->settings, object, prop_id, value, pspec))
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  switch (prop_id) {
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtmpe_sink_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (object);

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
    case PROP_CHUNK_SIZE:
      g_value_set_uint (value, self->chunk_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtmpe_sink_finalize (GObject *object)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (object);

  gst_rtmpe_settings_clear (&self->settings);
  g_free (self->redacted);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_rtmpe_sink_parent_class)->finalize (object);
}

static void
gst_rtmpe_sink_init (GstRtmpeSink *self)
{
  gst_rtmpe_settings_init (&self->settings, GST_RTMPE_ELEMENT_SINK);
  self->chunk_size = DEFAULT_CHUNK_SIZE;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

static void
gst_rtmpe_sink_class_init (GstRtmpeSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (rtmpe_sink_debug, "rtmpesink", 0,
      "rtmpesink: publish over RTMP, RTMPE, RTMPS");

  gobject_class->set_property = gst_rtmpe_sink_set_property;
  gobject_class->get_property = gst_rtmpe_sink_get_property;
  gobject_class->finalize = gst_rtmpe_sink_finalize;

  gst_rtmpe_settings_install_properties (
      gobject_class, 1, GST_RTMPE_ELEMENT_SINK);
  g_object_class_install_property (gobject_class, PROP_CHUNK_SIZE,
      g_param_spec_uint ("chunk-size", "Chunk size",
          "RTMP chunk size for what we send (announced with Set Chunk Size "
          "after connect); larger means fewer headers",
          128, 0x7fffffff, DEFAULT_CHUNK_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "RTMP/RTMPE/RTMPS sink",
      "Sink/Network",
      "Publishes an FLV stream over RTMP, RTMPE (obfuscated, not secure) or "
      "RTMPS (TLS) to a server, or serves it to players (listen mode)",
      "gst-rtmpe developers");
  gst_element_class_add_metadata (element_class, GST_ELEMENT_METADATA_DOC_URI,
      GST_RTMPE_DOC_URI ("rtmpesink"));

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_rtmpe_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_rtmpe_sink_stop);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_rtmpe_sink_unlock);
  basesink_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_rtmpe_sink_unlock_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_rtmpe_sink_render);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_rtmpe_sink_set_caps);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_rtmpe_sink_event);
}

/* ---- URI handler --------------------------------------------------------- */

static GstURIType
uri_get_type (GType type)
{
  return GST_URI_SINK;
}

static const gchar *const *
uri_get_protocols (GType type)
{
  static const gchar *all[] = { "rtmp", "rtmpe", "rtmps", NULL };
  static const gchar *rtmpe_only[] = { "rtmpe", NULL };

  return g_type_is_a (type, GST_TYPE_RTMPE_URI_SINK) ? rtmpe_only : all;
}

static gchar *
uri_get_uri (GstURIHandler *handler)
{
  return gst_rtmpe_settings_get_location (&GST_RTMPE_SINK (handler)->settings);
}

static gboolean
uri_set_uri (GstURIHandler *handler, const gchar *uri, GError **error)
{
  return gst_uri_setter_set (GST_ELEMENT (handler),
      &GST_RTMPE_SINK (handler)->settings,
      (GstUriSetterFunc) gst_rtmpe_settings_set_location, uri, error);
}

static void
gst_rtmpe_sink_uri_handler_init (gpointer iface, gpointer data)
{
  GstURIHandlerInterface *i = iface;

  i->get_type = uri_get_type;
  i->get_protocols = uri_get_protocols;
  i->get_uri = uri_get_uri;
  i->set_uri = uri_set_uri;
}

/* ---- rtmpeurisink --------------------------------------------------------- */

/**
 * SECTION:element-rtmpeurisink
 * @title: rtmpeurisink
 *
 * rtmpesink, registered a second time for rtmpe:// URIs alone and at a
 * rank (primary + 1) above librtmp's rtmpsink (primary), which also claims
 * rtmpe://, so that an rtmpe:// URI given where a sink is wanted (a URI in
 * a gst-launch-1.0 pipeline, gst_element_make_from_uri ()) gets our
 * element; rtmpesink itself keeps rtmp://, rtmpe:// and rtmps:// at a rank
 * below GStreamer's rtmp2sink.
 *
 * Same properties and behaviour as rtmpesink. In a pipeline, write
 * rtmpesink.
 *
 * ## Example
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! \
 *     flvmux streamable=true ! rtmpe://example.com/live/key
 * ]|
 */
typedef GstRtmpeSink GstRtmpeUriSink;
typedef GstRtmpeSinkClass GstRtmpeUriSinkClass;

G_DEFINE_TYPE (GstRtmpeUriSink, gst_rtmpe_uri_sink, GST_TYPE_RTMPE_SINK);
GST_ELEMENT_REGISTER_DEFINE (
    rtmpeurisink, "rtmpeurisink", GST_RTMPE_URI_RANK, GST_TYPE_RTMPE_URI_SINK);

static void
gst_rtmpe_uri_sink_init (GstRtmpeUriSink *self)
{}

static void
gst_rtmpe_uri_sink_class_init (GstRtmpeUriSinkClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_set_static_metadata (element_class,
      "RTMPE sink (rtmpe:// URI handler)", "Sink/Network",
      "rtmpesink for rtmpe:// URIs, ranked above librtmp's rtmpsink so that "
      "rtmpe:// URIs get it (RTMPE is obfuscation, not security)",
      "gst-rtmpe developers");
  gst_element_class_add_metadata (element_class, GST_ELEMENT_METADATA_DOC_URI,
      GST_RTMPE_DOC_URI ("rtmpeurisink"));
}

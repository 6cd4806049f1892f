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
#include "gstrtmpesettings.h"
#include "flvinfo.h"
#include "flvparser.h"

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

enum
{
  SLOT_META,
  SLOT_AUDIO,
  SLOT_VIDEO,
  N_SLOTS
};

struct _GstRtmpeSink
{
  GstBaseSink parent;

  GstRtmpeSettings settings;
  guint chunk_size;

  GMutex lock;
  GstRtmpeClient *client;
  GCancellable *cancellable;
  gchar *redacted;
  gboolean failed;

  FlvParser *parser;
  /* metadata and codec configuration: re-sent after a reconnection */
  RtmpMessage *headers[N_SLOTS];
  gboolean header_sent[N_SLOTS];
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
    rtmpesink, "rtmpesink", GST_RANK_SECONDARY, GST_TYPE_RTMPE_SINK);

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

  g_mutex_lock (&self->lock);
  self->failed = TRUE;
  g_mutex_unlock (&self->lock);
  gst_rtmpe_post_error (GST_ELEMENT (self), error, code, self->redacted, TRUE);
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

static void
clear_headers (GstRtmpeSink *self)
{
  for (guint i = 0; i < N_SLOTS; i++) {
    g_clear_pointer (&self->headers[i], rtmp_message_free);
    self->header_sent[i] = FALSE;
  }
}

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
  if (target->mode == GST_RTMPE_MODE_LISTEN) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Listen mode is not available in this build"), (NULL));
    gst_rtmpe_target_free (target);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->failed = FALSE;
  self->messages_sent = 0;
  g_atomic_int_set (&self->need_keyframe, 0);
  clear_headers (self);
  self->parser = flv_parser_new ();
  self->cancellable = g_cancellable_new ();
  g_free (self->redacted);
  self->redacted = g_strdup (target->redacted);
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

  g_mutex_lock (&self->lock);
  client = self->client;
  self->client = NULL;
  g_mutex_unlock (&self->lock);
  gst_rtmpe_client_free (client);
  g_clear_pointer (&self->parser, flv_parser_free);
  g_clear_object (&self->cancellable);
  clear_headers (self);
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

/* Which header slot a message belongs to, or -1. */
static gint
header_slot (const RtmpMessage *msg)
{
  FlvTagInfo info;

  if (msg->type == RTMP_MESSAGE_TYPE_DATA_AMF0) {
    gchar *name = flv_data_get_name (msg->payload);
    gboolean meta = g_strcmp0 (name, "onMetaData") == 0 ||
        g_strcmp0 (name, "@setDataFrame") == 0;

    g_free (name);
    return meta ? SLOT_META : -1;
  }
  if ((msg->type == RTMP_MESSAGE_TYPE_AUDIO ||
          msg->type == RTMP_MESSAGE_TYPE_VIDEO) &&
      flv_tag_info_parse_buffer (msg->type, msg->payload, &info, NULL) &&
      info.kind == FLV_PACKET_CONFIG)
    return msg->type == RTMP_MESSAGE_TYPE_AUDIO ? SLOT_AUDIO : SLOT_VIDEO;
  return -1;
}

static void
store_header (GstRtmpeSink *self, gint slot, const RtmpMessage *msg)
{
  GPtrArray *list = g_ptr_array_new ();

  g_clear_pointer (&self->headers[slot], rtmp_message_free);
  self->headers[slot] = rtmp_message_new (
      msg->type, msg->timestamp, 0, gst_buffer_ref (msg->payload));
  for (guint i = 0; i < N_SLOTS; i++)
    if (self->headers[i])
      g_ptr_array_add (list, self->headers[i]);
  gst_rtmpe_client_set_headers (self->client, list);
  g_ptr_array_unref (list);
}

static GstFlowReturn
send_message (GstRtmpeSink *self, const RtmpMessage *msg)
{
  GError *error = NULL;
  GCancellable *cancellable;

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
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)) {
    /* reconnecting: this message is lost, the stream goes on */
    GST_DEBUG_OBJECT (self, "dropped a message while reconnecting");
    g_error_free (error);
    return GST_FLOW_OK;
  }
  g_mutex_lock (&self->lock);
  if (!self->failed) {
    /* not reported by the client thread (e.g. a message we cannot send) */
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
  gint slot = header_slot (msg);
  GstFlowReturn ret;

  if (slot >= 0) {
    /* a header: send it unless it repeats the one already sent */
    RtmpMessage *old = self->headers[slot];

    if (old && self->header_sent[slot] &&
        gst_buffer_get_size (old->payload) ==
            gst_buffer_get_size (msg->payload)) {
      GstMapInfo map;
      gboolean same;

      gst_buffer_map (old->payload, &map, GST_MAP_READ);
      same = gst_buffer_memcmp (msg->payload, 0, map.data, map.size) == 0;
      gst_buffer_unmap (old->payload, &map);
      if (same)
        return GST_FLOW_OK;
    }
    store_header (self, slot, msg);
    ret = send_message (self, msg);
    self->header_sent[slot] = ret == GST_FLOW_OK;
    return ret;
  }

  /* headers known only from the caps go before the first frame */
  for (guint i = 0; i < N_SLOTS; i++) {
    if (self->headers[i] && !self->header_sent[i]) {
      ret = send_message (self, self->headers[i]);
      if (ret != GST_FLOW_OK)
        return ret;
      self->header_sent[i] = TRUE;
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

static GstFlowReturn
gst_rtmpe_sink_render (GstBaseSink *bsink, GstBuffer *buffer)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (bsink);
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
gst_rtmpe_sink_set_caps (GstBaseSink *bsink, GstCaps *caps)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (bsink);
  const GValue *sh;
  FlvParser *p;
  RtmpMessage *msg;

  sh = gst_structure_get_value (
      gst_caps_get_structure (caps, 0), "streamheader");
  if (!sh || !GST_VALUE_HOLDS_ARRAY (sh))
    return TRUE;

  /* the streamheader is an FLV stream of its own: header, metadata, codec
   * configuration */
  p = flv_parser_new ();
  for (guint i = 0; i < gst_value_array_get_size (sh); i++) {
    const GValue *v = gst_value_array_get_value (sh, i);

    if (G_VALUE_HOLDS (v, GST_TYPE_BUFFER))
      flv_parser_push (p, gst_buffer_ref (gst_value_get_buffer (v)));
  }
  while ((msg = flv_parser_pop (p, NULL))) {
    gint slot = header_slot (msg);

    if (slot >= 0 && !self->headers[slot])
      store_header (self, slot, msg);
    rtmp_message_free (msg);
  }
  flv_parser_free (p);
  return TRUE;
}

static gboolean
gst_rtmpe_sink_event (GstBaseSink *bsink, GstEvent *event)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (bsink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->client) {
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
  G_OBJECT_CLASS (gst_rtmpe_sink_parent_class)->finalize (object);
}

static void
gst_rtmpe_sink_init (GstRtmpeSink *self)
{
  gst_rtmpe_settings_init (&self->settings, GST_RTMPE_ELEMENT_SINK);
  self->chunk_size = DEFAULT_CHUNK_SIZE;
  g_mutex_init (&self->lock);
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
  static const gchar *protocols[] = { "rtmp", "rtmpe", "rtmps", NULL };

  return protocols;
}

static gchar *
uri_get_uri (GstURIHandler *handler)
{
  return gst_rtmpe_settings_get_location (&GST_RTMPE_SINK (handler)->settings);
}

static gboolean
uri_set_uri (GstURIHandler *handler, const gchar *uri, GError **error)
{
  GstRtmpeSink *self = GST_RTMPE_SINK (handler);
  GError *err = NULL;

  if (GST_STATE (self) >= GST_STATE_PAUSED) {
    g_set_error_literal (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "Changing the location of a running rtmpesink is not supported");
    return FALSE;
  }
  if (!gst_rtmpe_settings_set_location (&self->settings, uri, &err)) {
    g_set_error_literal (
        error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, err->message);
    g_error_free (err);
    return FALSE;
  }
  return TRUE;
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

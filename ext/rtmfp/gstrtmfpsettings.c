/* gst-rtmfp: the properties rtmfpsrc and rtmfpsink share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstrtmfpsettings.h"
#include "rtmperror.h"

#include <string.h>

#define DEFAULT_TIMEOUT 10
#define DEFAULT_MAX_SESSIONS 64
#define DEFAULT_MAX_FLOWS 32
#define DEFAULT_RECV_BUFFER (4 << 20)
#define DEFAULT_STATS_INTERVAL 1000

GType
gst_rtmfp_mode_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { GST_RTMFP_MODE_CLIENT,
        "Connect to a server (play from it or publish to it)", "client" },
    { GST_RTMFP_MODE_PEER,
        "Direct P2P: connect to a server that introduces peers, then play "
        "straight from a publishing peer (rtmfpsrc, peer-id) or serve "
        "peers that play from us (rtmfpsink)",
        "peer" },
    { GST_RTMFP_MODE_LISTEN,
        "Be the server: accept publishers on the location's address "
        "(rtmfpsrc only), and introduce peers connected to us",
        "listen" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&id))
    g_once_init_leave (&id, g_enum_register_static ("GstRtmfpMode", values));
  return id;
}

void
gst_rtmfp_settings_init (GstRtmfpSettings *s, gboolean sink)
{
  memset (s, 0, sizeof (*s));
  g_mutex_init (&s->lock);
  s->sink = sink;
  s->mode = GST_RTMFP_MODE_CLIENT;
  s->timeout = DEFAULT_TIMEOUT;
  s->max_sessions = DEFAULT_MAX_SESSIONS;
  s->max_flows = DEFAULT_MAX_FLOWS;
  s->recv_buffer = DEFAULT_RECV_BUFFER;
  s->stats_interval = DEFAULT_STATS_INTERVAL;
}

void
gst_rtmfp_settings_clear (GstRtmfpSettings *s)
{
  g_free (s->location);
  g_clear_pointer (&s->url, rtmp_url_free);
  g_free (s->stream);
  g_free (s->peer_id);
  g_free (s->flash_version);
  g_mutex_clear (&s->lock);
}

void
gst_rtmfp_settings_install_properties (GObjectClass *klass, gboolean sink)
{
  const GParamFlags rw =
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;

  g_object_class_install_property (klass, GST_RTMFP_PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "rtmfp://host[:port]/app/stream (UDP, default port 1935), or "
          "rtmfp://host/app#stream. client and peer: the server to connect "
          "to; listen: the address to listen on, the application and, "
          "optionally, the one stream name to accept "
          "(rtmfp://0.0.0.0:1935/live)",
          NULL, rw));
  g_object_class_install_property (klass, GST_RTMFP_PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          sink ? "client: publish to a server; peer: stay connected to a "
                 "server that introduces peers, and serve the stream to "
                 "every peer that plays it from us directly" :
                 "client: play a stream a server relays; peer: play "
                 "straight from the publishing peer peer-id, introduced by "
                 "the server; listen: be an ingest point publishers connect "
                 "to (and an introducer for peers)",
          GST_TYPE_RTMFP_MODE, GST_RTMFP_MODE_CLIENT, rw));
  g_object_class_install_property (klass, GST_RTMFP_PROP_STREAM,
      g_param_spec_string ("stream", "Stream",
          "Stream name (overrides the location's; never logged at default "
          "levels)",
          NULL, rw));
  g_object_class_install_property (klass, GST_RTMFP_PROP_PEER_ID,
      g_param_spec_string ("peer-id", "Peer ID",
          sink ? "Our peer ID (64 hex digits: the SHA-256 of our RTMFP "
                 "certificate), which peers play from; known once started" :
                 "peer mode: the peer ID (64 hex digits) of the publisher "
                 "to play from",
          NULL, sink ? G_PARAM_READABLE | G_PARAM_STATIC_STRINGS : rw));
  g_object_class_install_property (klass, GST_RTMFP_PROP_FLASH_VERSION,
      g_param_spec_string ("flash-version", "Flash version",
          "flashVer sent in connect (default: \"WIN 20,0,0,286\", what "
          "Flash Player sends over RTMFP)",
          NULL, rw));
  g_object_class_install_property (klass, GST_RTMFP_PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Seconds allowed to reach the server (or the peer) and start the "
          "stream; 0 waits forever",
          0, G_MAXUINT, DEFAULT_TIMEOUT, rw));
  g_object_class_install_property (klass, GST_RTMFP_PROP_MAX_SESSIONS,
      g_param_spec_uint ("max-sessions", "Maximum sessions",
          "listen, and a peer-mode rtmfpsink: RTMFP sessions other peers "
          "may have with us at once; more are closed as they open",
          1, 1024, DEFAULT_MAX_SESSIONS, rw));
  g_object_class_install_property (klass, GST_RTMFP_PROP_MAX_FLOWS,
      g_param_spec_uint ("max-flows", "Maximum flows",
          "Flows one peer may open to us in one session; more are rejected", 2,
          256, DEFAULT_MAX_FLOWS, rw));
  g_object_class_install_property (klass, GST_RTMFP_PROP_RECV_BUFFER,
      g_param_spec_uint ("recv-buffer", "Receive buffer",
          "Bytes one flow of a peer may have us hold (its receive window); "
          "a session holds at most 32 MiB in all",
          65536, 32 << 20, DEFAULT_RECV_BUFFER, rw));
  g_object_class_install_property (klass, GST_RTMFP_PROP_STATS_INTERVAL,
      g_param_spec_uint ("stats-interval", "Statistics interval",
          "Milliseconds between \"rtmfp-stats\" element messages (the stats "
          "property's structure); 0: none",
          0, G_MAXUINT, DEFAULT_STATS_INTERVAL, rw));
  g_object_class_install_property (klass, GST_RTMFP_PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "rtt-ms, cwnd, bytes and datagrams in and out, bitrate, "
          "retransmissions, loss-events, sessions, flows; \"sessions-info\": "
          "one structure per RTMFP session (peer address, peer-id, role, "
          "rtt-ms, bytes, retransmissions)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

gboolean
gst_rtmfp_settings_set_location (
    GstRtmfpSettings *s, const gchar *location, GError **error)
{
  RtmpUrl *url = NULL;

  if (location && *location) {
    url = rtmp_url_parse (location, error);
    if (!url)
      return FALSE;
    if (url->scheme != RTMP_SCHEME_RTMFP) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
          "%s: rtmfpsrc and rtmfpsink take rtmfp:// locations (rtmpesrc and "
          "rtmpesink handle rtmp, rtmpe, rtmps)",
          url->redacted);
      rtmp_url_free (url);
      return FALSE;
    }
  }
  g_mutex_lock (&s->lock);
  g_free (s->location);
  s->location = url ? g_strdup (location) : NULL;
  g_clear_pointer (&s->url, rtmp_url_free);
  s->url = url;
  g_mutex_unlock (&s->lock);
  return TRUE;
}

gchar *
gst_rtmfp_settings_get_location (GstRtmfpSettings *s)
{
  gchar *l;

  g_mutex_lock (&s->lock);
  l = g_strdup (s->location);
  g_mutex_unlock (&s->lock);
  return l;
}

static void
replace_string (gchar **field, const GValue *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
  if (*field && !**field)
    g_clear_pointer (field, g_free);
}

gboolean
gst_rtmfp_settings_set_property (
    GstRtmfpSettings *s, GObject *object, guint prop_id, const GValue *value)
{
  if (prop_id == GST_RTMFP_PROP_LOCATION) {
    GError *error = NULL;

    if (!gst_rtmfp_settings_set_location (
            s, g_value_get_string (value), &error)) {
      g_warning ("%s: %s",
          GST_IS_OBJECT (object) ? GST_OBJECT_NAME (object) : "rtmfp",
          error->message);
      g_error_free (error);
    }
    return TRUE;
  }
  g_mutex_lock (&s->lock);
  switch (prop_id) {
    case GST_RTMFP_PROP_MODE:
      s->mode = g_value_get_enum (value);
      break;
    case GST_RTMFP_PROP_STREAM:
      replace_string (&s->stream, value);
      break;
    case GST_RTMFP_PROP_PEER_ID:
      replace_string (&s->peer_id, value);
      break;
    case GST_RTMFP_PROP_FLASH_VERSION:
      replace_string (&s->flash_version, value);
      break;
    case GST_RTMFP_PROP_TIMEOUT:
      s->timeout = g_value_get_uint (value);
      break;
    case GST_RTMFP_PROP_MAX_SESSIONS:
      s->max_sessions = g_value_get_uint (value);
      break;
    case GST_RTMFP_PROP_MAX_FLOWS:
      s->max_flows = g_value_get_uint (value);
      break;
    case GST_RTMFP_PROP_RECV_BUFFER:
      s->recv_buffer = g_value_get_uint (value);
      break;
    case GST_RTMFP_PROP_STATS_INTERVAL:
      s->stats_interval = g_value_get_uint (value);
      break;
    default:
      g_mutex_unlock (&s->lock);
      return FALSE;
  }
  g_mutex_unlock (&s->lock);
  return TRUE;
}

gboolean
gst_rtmfp_settings_get_property (
    GstRtmfpSettings *s, guint prop_id, GValue *value)
{
  g_mutex_lock (&s->lock);
  switch (prop_id) {
    case GST_RTMFP_PROP_LOCATION:
      g_value_set_string (value, s->location);
      break;
    case GST_RTMFP_PROP_MODE:
      g_value_set_enum (value, s->mode);
      break;
    case GST_RTMFP_PROP_STREAM:
      g_value_set_string (value, s->stream);
      break;
    case GST_RTMFP_PROP_PEER_ID:
      g_value_set_string (value, s->peer_id);
      break;
    case GST_RTMFP_PROP_FLASH_VERSION:
      g_value_set_string (value, s->flash_version);
      break;
    case GST_RTMFP_PROP_TIMEOUT:
      g_value_set_uint (value, s->timeout);
      break;
    case GST_RTMFP_PROP_MAX_SESSIONS:
      g_value_set_uint (value, s->max_sessions);
      break;
    case GST_RTMFP_PROP_MAX_FLOWS:
      g_value_set_uint (value, s->max_flows);
      break;
    case GST_RTMFP_PROP_RECV_BUFFER:
      g_value_set_uint (value, s->recv_buffer);
      break;
    case GST_RTMFP_PROP_STATS_INTERVAL:
      g_value_set_uint (value, s->stats_interval);
      break;
    default:
      g_mutex_unlock (&s->lock);
      return FALSE;
  }
  g_mutex_unlock (&s->lock);
  return TRUE;
}

gboolean
gst_rtmfp_parse_peer_id (const gchar *hex, guint8 out[32])
{
  if (!hex || strlen (hex) != 64)
    return FALSE;
  for (guint i = 0; i < 32; i++) {
    gint hi = g_ascii_xdigit_value (hex[2 * i]);
    gint lo = g_ascii_xdigit_value (hex[2 * i + 1]);

    if (hi < 0 || lo < 0)
      return FALSE;
    out[i] = (hi << 4) | lo;
  }
  return TRUE;
}

gchar *
gst_rtmfp_peer_id_to_string (const guint8 id[32])
{
  gchar *s = g_malloc (65);

  for (guint i = 0; i < 32; i++)
    g_snprintf (s + 2 * i, 3, "%02x", id[i]);
  return s;
}

void
gst_rtmfp_target_free (GstRtmfpTarget *t)
{
  if (!t)
    return;
  g_free (t->host);
  g_free (t->app);
  g_free (t->stream);
  g_free (t->tc_url);
  g_free (t->redacted);
  g_free (t->flash_version);
  g_free (t);
}

GstRtmfpTarget *
gst_rtmfp_settings_make_target (GstRtmfpSettings *s, GError **error)
{
  g_autoptr (GstRtmfpTarget) t = g_new0 (GstRtmfpTarget, 1);
  g_autoptr (RtmpUrl) url = NULL;
  gchar *peer_id = NULL;

  g_mutex_lock (&s->lock);
  if (s->url)
    url = rtmp_url_copy (s->url);
  if (url && s->stream)
    rtmp_url_set_stream (url, s->stream);
  t->mode = s->mode;
  t->sink = s->sink;
  t->flash_version = g_strdup (s->flash_version);
  t->timeout = s->timeout;
  t->max_sessions = s->max_sessions;
  t->max_flows = s->max_flows;
  t->recv_buffer = s->recv_buffer;
  t->stats_interval = s->stats_interval;
  peer_id = g_strdup (s->peer_id);
  g_mutex_unlock (&s->lock);

  if (!url || !url->host) {
    g_free (peer_id);
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
        "no server in the location (e.g. location=rtmfp://host/live/stream)");
    return NULL;
  }
  t->host = g_strdup (url->host);
  t->port = url->port;
  t->app = g_strdup (url->app);
  t->stream = g_strdup (url->stream);
  t->tc_url = g_strdup (url->tc_url);
  t->redacted = g_strdup (url->redacted);

  if (t->sink && t->mode == GST_RTMFP_MODE_LISTEN) {
    g_free (peer_id);
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
        "%s: rtmfpsink has no listen mode (client: publish to a server; "
        "peer: serve peers directly)",
        t->redacted);
    return NULL;
  }
  if (t->mode == GST_RTMFP_MODE_PEER && !t->sink) {
    if (!peer_id) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
          "%s: peer mode needs the publisher's peer-id", t->redacted);
      return NULL;
    }
    if (!gst_rtmfp_parse_peer_id (peer_id, t->peer_id)) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
          "peer-id '%s' is not 64 hexadecimal digits", peer_id);
      g_free (peer_id);
      return NULL;
    }
    t->has_peer_id = TRUE;
  }
  g_free (peer_id);
  if (t->mode != GST_RTMFP_MODE_LISTEN && (!t->stream || !*t->stream)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
        "%s: no stream name to %s (the last part of the path, the "
        "#fragment, or the stream property)",
        t->redacted, t->sink ? "publish" : "play");
    return NULL;
  }
  if (t->mode != GST_RTMFP_MODE_LISTEN && (!t->app || !*t->app)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
        "%s: no application name (rtmfp://host/APP/stream)", t->redacted);
    return NULL;
  }
  return g_steal_pointer (&t);
}

/* gst-rtmpe: the properties rtmpesrc and rtmpesink share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstrtmpesettings.h"
#include "amfvalue.h"
#include "rtmperror.h"

#include <string.h>

#define DEFAULT_TIMEOUT 10
#define DEFAULT_IDLE_TIMEOUT 30
#define DEFAULT_RECONNECT_DELAY 1000
#define DEFAULT_MAX_RECONNECT_DELAY 30000
#define DEFAULT_MAX_RECONNECTS -1
#define DEFAULT_MAX_CONNECTIONS 64

GType
gst_rtmpe_mode_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = { { GST_RTMPE_MODE_CLIENT,
                                           "Connect to a server", "client" },
    { GST_RTMPE_MODE_LISTEN,
        "Listen for peers on the location's address "
        "(a server: publishers for rtmpesrc, players for rtmpesink)",
        "listen" },
    { 0, NULL, NULL } };

  if (g_once_init_enter (&id))
    g_once_init_leave (&id, g_enum_register_static ("GstRtmpeMode", values));
  return id;
}

GType
gst_rtmpe_type_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { GST_RTMPE_TYPE_06, "Type 0x06 (RC4 after a Diffie-Hellman exchange)",
        "06" },
    { GST_RTMPE_TYPE_08, "Type 0x08 (0x06 with XTEA-wrapped signatures)",
        "08" },
    { GST_RTMPE_TYPE_09, "Type 0x09 (0x06 with Blowfish-wrapped signatures)",
        "09" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&id))
    g_once_init_leave (&id, g_enum_register_static ("GstRtmpeType", values));
  return id;
}

GType
gst_rtmpe_encryption_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    { GST_RTMPE_ENCRYPTION_ANY, "Accept plain RTMP and RTMPE peers", "any" },
    { GST_RTMPE_ENCRYPTION_REQUIRED,
        "Accept only RTMPE peers (refuse plain "
        "RTMP handshakes)",
        "required" },
    { GST_RTMPE_ENCRYPTION_NONE, "Accept only plain RTMP peers", "none" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&id))
    g_once_init_leave (
        &id, g_enum_register_static ("GstRtmpeEncryption", values));
  return id;
}

void
gst_rtmpe_settings_init (GstRtmpeSettings *s, GstRtmpeElementKind kind)
{
  memset (s, 0, sizeof (*s));
  g_mutex_init (&s->lock);
  s->kind = kind;
  s->mode = GST_RTMPE_MODE_CLIENT;
  s->timeout = DEFAULT_TIMEOUT;
  s->idle_timeout = DEFAULT_IDLE_TIMEOUT;
  s->tls_validation_flags = G_TLS_CERTIFICATE_VALIDATE_ALL;
  s->rtmpe_type = GST_RTMPE_TYPE_06;
  s->encryption = GST_RTMPE_ENCRYPTION_ANY;
  s->reconnect_delay = DEFAULT_RECONNECT_DELAY;
  s->max_reconnect_delay = DEFAULT_MAX_RECONNECT_DELAY;
  s->max_reconnects = DEFAULT_MAX_RECONNECTS;
  s->max_connections = DEFAULT_MAX_CONNECTIONS;
}

void
gst_rtmpe_settings_clear (GstRtmpeSettings *s)
{
  g_free (s->location);
  g_clear_pointer (&s->url, rtmp_url_free);
  g_free (s->host);
  g_free (s->application);
  g_free (s->stream);
  g_free (s->username);
  g_free (s->password);
  g_free (s->tc_url);
  g_free (s->page_url);
  g_free (s->swf_url);
  g_free (s->flash_version);
  g_free (s->extra_connect_args);
  g_free (s->tls_ca_file);
  g_free (s->tls_certificate_file);
  g_free (s->tls_key_file);
  g_mutex_clear (&s->lock);
}

void
gst_rtmpe_settings_install_properties (
    GObjectClass *klass, guint offset, GstRtmpeElementKind kind)
{
  const GParamFlags rw =
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;
  const gboolean src = kind == GST_RTMPE_ELEMENT_SRC;
  guint o = offset - 1;

  g_object_class_install_property (klass, o + GST_RTMPE_PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "rtmp://, rtmpe:// or rtmps:// URL: host[:port]/app[/instance]/"
          "stream[?query] or host[:port]/app#stream. In listen mode, the "
          "address to listen on and the application/stream to accept "
          "(e.g. rtmpe://0.0.0.0:1935/live/cam1)",
          NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          src ?
              "client: play a stream from a server; listen: be the server "
              "that a publisher sends its stream to" :
              "client: publish to a server; listen: be the server that players "
              "connect to",
          GST_TYPE_RTMPE_MODE, GST_RTMPE_MODE_CLIENT, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_HOST,
      g_param_spec_string ("host", "Host",
          "Server host name or address (overrides the location's)", NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_PORT,
      g_param_spec_uint ("port", "Port",
          "Server port (overrides the location's; 0: from the location, "
          "default 1935, 443 for rtmps)",
          0, 65535, 0, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_APPLICATION,
      g_param_spec_string ("application", "Application",
          "Application name sent in connect (overrides the location's)", NULL,
          rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_STREAM,
      g_param_spec_string ("stream", "Stream",
          "Stream name to play or publish, with its query (overrides the "
          "location's; never logged at default levels)",
          NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_USERNAME,
      g_param_spec_string ("username", "User name",
          "Sent as the first string argument of connect (as user info in the "
          "location is)",
          NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "Sent as the second string argument of connect (never logged)", NULL,
          rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_TC_URL,
      g_param_spec_string ("tc-url", "tcUrl",
          "tcUrl sent in connect (default: from the location, without user "
          "info and stream)",
          NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_PAGE_URL,
      g_param_spec_string ("page-url", "Page URL",
          "pageUrl sent in connect (default: none)", NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_SWF_URL,
      g_param_spec_string ("swf-url", "SWF URL",
          "swfUrl sent in connect (default: none)", NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_FLASH_VERSION,
      g_param_spec_string ("flash-version", "Flash version",
          "flashVer sent in connect (default: \"LNX 9,0,124,2\" to play, "
          "\"FMLE/3.0 (compatible; FMSc/1.0)\" to publish)",
          NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_EXTRA_CONNECT_ARGS,
      g_param_spec_string ("extra-connect-args", "Extra connect arguments",
          "More arguments for connect, librtmp style: S:text N:1.5 B:1 Z: "
          "O:1 NS:name:text NN:name:2 NB:name:0 O:0 (space-separated; "
          "double quotes around values with spaces)",
          NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Seconds allowed for connecting, the handshakes and the start of "
          "the stream (listen: per peer); 0 waits forever",
          0, G_MAXUINT, DEFAULT_TIMEOUT, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_IDLE_TIMEOUT,
      g_param_spec_uint ("idle-timeout", "Idle timeout",
          "Seconds without a byte from the peer (which answers our pings "
          "every 10 s) before the connection counts as dead; 0 never",
          0, G_MAXUINT, DEFAULT_IDLE_TIMEOUT, rw));
  g_object_class_install_property (klass,
      o + GST_RTMPE_PROP_TLS_VALIDATION_FLAGS,
      g_param_spec_flags ("tls-validation-flags", "TLS validation flags",
          "rtmps client: the certificate problems that refuse a server "
          "(unknown-ca, bad-identity, not-activated, expired ...; 0 turns "
          "verification off: insecure)",
          G_TYPE_TLS_CERTIFICATE_FLAGS, G_TLS_CERTIFICATE_VALIDATE_ALL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file",
          "rtmps client: PEM file of the certificate authorities to trust "
          "(default: the system's)",
          NULL, rw));
  g_object_class_install_property (klass,
      o + GST_RTMPE_PROP_TLS_CERTIFICATE_FILE,
      g_param_spec_string ("tls-certificate-file", "TLS certificate file",
          "rtmps listen: PEM certificate chain to present (may hold the key "
          "too)",
          NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_TLS_KEY_FILE,
      g_param_spec_string ("tls-key-file", "TLS key file",
          "rtmps listen: PEM private key (default: in the certificate file)",
          NULL, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_RTMPE_TYPE,
      g_param_spec_enum ("rtmpe-type", "RTMPE type",
          "rtmpe client: the handshake type to ask for (the server may answer "
          "another RTMPE type). RTMPE is obfuscation, not security: use "
          "rtmps:// to protect a stream",
          GST_TYPE_RTMPE_TYPE, GST_RTMPE_TYPE_06, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_ENCRYPTION,
      g_param_spec_enum ("encryption", "Encryption",
          "listen: which handshakes to accept on an rtmp:// or rtmpe:// "
          "listener",
          GST_TYPE_RTMPE_ENCRYPTION, GST_RTMPE_ENCRYPTION_ANY, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_AUTO_RECONNECT,
      g_param_spec_boolean ("auto-reconnect", "Auto reconnect",
          "client: when the connection is lost, connect again (with "
          "growing delays) instead of failing",
          FALSE, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_RECONNECT_DELAY,
      g_param_spec_uint ("reconnect-delay", "Reconnect delay",
          "client: milliseconds before the first reconnection attempt; "
          "each further attempt waits twice as long",
          0, G_MAXUINT, DEFAULT_RECONNECT_DELAY, rw));
  g_object_class_install_property (klass,
      o + GST_RTMPE_PROP_MAX_RECONNECT_DELAY,
      g_param_spec_uint ("max-reconnect-delay", "Maximum reconnect delay",
          "client: the longest delay between attempts, in milliseconds", 0,
          G_MAXUINT, DEFAULT_MAX_RECONNECT_DELAY, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_MAX_RECONNECTS,
      g_param_spec_int ("max-reconnects", "Maximum reconnects",
          "client: attempts in a row before giving up (-1: no limit)", -1,
          G_MAXINT, DEFAULT_MAX_RECONNECTS, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_MAX_CONNECTIONS,
      g_param_spec_uint ("max-connections", "Maximum connections",
          "listen: peers connected at once (handshaking included); more are "
          "refused",
          1, 100000, DEFAULT_MAX_CONNECTIONS, rw));
  g_object_class_install_property (klass, o + GST_RTMPE_PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "bytes-in/out, bitrate, rtt-ms, reconnects, handshake-type, "
          "cipher, peer (listen: connections and one structure per peer)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
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
gst_rtmpe_settings_set_location (
    GstRtmpeSettings *s, const gchar *location, GError **error)
{
  RtmpUrl *url = NULL;

  if (location && *location) {
    url = rtmp_url_parse (location, error);
    if (!url)
      return FALSE;
    if (url->scheme == RTMP_SCHEME_RTMFP) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
          "%s: rtmfp:// is handled by rtmfpsrc and rtmfpsink, not by the "
          "rtmpe elements",
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

gboolean
gst_rtmpe_settings_set_property (GstRtmpeSettings *s, GObject *object,
    guint prop_id, const GValue *value, GParamSpec *pspec)
{
  if (prop_id == GST_RTMPE_PROP_LOCATION) {
    GError *error = NULL;

    if (!gst_rtmpe_settings_set_location (
            s, g_value_get_string (value), &error)) {
      /* keeps the previous location; the element fails at start */
      g_warning ("%s: %s",
          GST_IS_OBJECT (object) ? GST_OBJECT_NAME (object) : "rtmpe",
          error->message);
      g_error_free (error);
    }
    return TRUE;
  }

  g_mutex_lock (&s->lock);
  switch (prop_id) {
    case GST_RTMPE_PROP_MODE:
      s->mode = g_value_get_enum (value);
      break;
    case GST_RTMPE_PROP_HOST:
      replace_string (&s->host, value);
      break;
    case GST_RTMPE_PROP_PORT:
      s->port = g_value_get_uint (value);
      break;
    case GST_RTMPE_PROP_APPLICATION:
      replace_string (&s->application, value);
      break;
    case GST_RTMPE_PROP_STREAM:
      replace_string (&s->stream, value);
      break;
    case GST_RTMPE_PROP_USERNAME:
      replace_string (&s->username, value);
      break;
    case GST_RTMPE_PROP_PASSWORD:
      replace_string (&s->password, value);
      break;
    case GST_RTMPE_PROP_TC_URL:
      replace_string (&s->tc_url, value);
      break;
    case GST_RTMPE_PROP_PAGE_URL:
      replace_string (&s->page_url, value);
      break;
    case GST_RTMPE_PROP_SWF_URL:
      replace_string (&s->swf_url, value);
      break;
    case GST_RTMPE_PROP_FLASH_VERSION:
      replace_string (&s->flash_version, value);
      break;
    case GST_RTMPE_PROP_EXTRA_CONNECT_ARGS:
      replace_string (&s->extra_connect_args, value);
      break;
    case GST_RTMPE_PROP_TIMEOUT:
      s->timeout = g_value_get_uint (value);
      break;
    case GST_RTMPE_PROP_IDLE_TIMEOUT:
      s->idle_timeout = g_value_get_uint (value);
      break;
    case GST_RTMPE_PROP_TLS_VALIDATION_FLAGS:
      s->tls_validation_flags = g_value_get_flags (value);
      break;
    case GST_RTMPE_PROP_TLS_CA_FILE:
      replace_string (&s->tls_ca_file, value);
      break;
    case GST_RTMPE_PROP_TLS_CERTIFICATE_FILE:
      replace_string (&s->tls_certificate_file, value);
      break;
    case GST_RTMPE_PROP_TLS_KEY_FILE:
      replace_string (&s->tls_key_file, value);
      break;
    case GST_RTMPE_PROP_RTMPE_TYPE:
      s->rtmpe_type = g_value_get_enum (value);
      break;
    case GST_RTMPE_PROP_ENCRYPTION:
      s->encryption = g_value_get_enum (value);
      break;
    case GST_RTMPE_PROP_AUTO_RECONNECT:
      s->auto_reconnect = g_value_get_boolean (value);
      break;
    case GST_RTMPE_PROP_RECONNECT_DELAY:
      s->reconnect_delay = g_value_get_uint (value);
      break;
    case GST_RTMPE_PROP_MAX_RECONNECT_DELAY:
      s->max_reconnect_delay = g_value_get_uint (value);
      break;
    case GST_RTMPE_PROP_MAX_RECONNECTS:
      s->max_reconnects = g_value_get_int (value);
      break;
    case GST_RTMPE_PROP_MAX_CONNECTIONS:
      s->max_connections = g_value_get_uint (value);
      break;
    default:
      g_mutex_unlock (&s->lock);
      return FALSE;
  }
  g_mutex_unlock (&s->lock);
  return TRUE;
}

gchar *
gst_rtmpe_settings_get_location (GstRtmpeSettings *s)
{
  gchar *loc;

  g_mutex_lock (&s->lock);
  loc = g_strdup (s->location);
  g_mutex_unlock (&s->lock);
  return loc;
}

gboolean
gst_rtmpe_settings_get_property (
    GstRtmpeSettings *s, guint prop_id, GValue *value, GParamSpec *pspec)
{
  g_mutex_lock (&s->lock);
  switch (prop_id) {
    case GST_RTMPE_PROP_LOCATION:
      g_value_set_string (value, s->location);
      break;
    case GST_RTMPE_PROP_MODE:
      g_value_set_enum (value, s->mode);
      break;
    case GST_RTMPE_PROP_HOST:
      g_value_set_string (value, s->host);
      break;
    case GST_RTMPE_PROP_PORT:
      g_value_set_uint (value, s->port);
      break;
    case GST_RTMPE_PROP_APPLICATION:
      g_value_set_string (value, s->application);
      break;
    case GST_RTMPE_PROP_STREAM:
      g_value_set_string (value, s->stream);
      break;
    case GST_RTMPE_PROP_USERNAME:
      g_value_set_string (value, s->username);
      break;
    case GST_RTMPE_PROP_PASSWORD:
      g_value_set_string (value, s->password);
      break;
    case GST_RTMPE_PROP_TC_URL:
      g_value_set_string (value, s->tc_url);
      break;
    case GST_RTMPE_PROP_PAGE_URL:
      g_value_set_string (value, s->page_url);
      break;
    case GST_RTMPE_PROP_SWF_URL:
      g_value_set_string (value, s->swf_url);
      break;
    case GST_RTMPE_PROP_FLASH_VERSION:
      g_value_set_string (value, s->flash_version);
      break;
    case GST_RTMPE_PROP_EXTRA_CONNECT_ARGS:
      g_value_set_string (value, s->extra_connect_args);
      break;
    case GST_RTMPE_PROP_TIMEOUT:
      g_value_set_uint (value, s->timeout);
      break;
    case GST_RTMPE_PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, s->idle_timeout);
      break;
    case GST_RTMPE_PROP_TLS_VALIDATION_FLAGS:
      g_value_set_flags (value, s->tls_validation_flags);
      break;
    case GST_RTMPE_PROP_TLS_CA_FILE:
      g_value_set_string (value, s->tls_ca_file);
      break;
    case GST_RTMPE_PROP_TLS_CERTIFICATE_FILE:
      g_value_set_string (value, s->tls_certificate_file);
      break;
    case GST_RTMPE_PROP_TLS_KEY_FILE:
      g_value_set_string (value, s->tls_key_file);
      break;
    case GST_RTMPE_PROP_RTMPE_TYPE:
      g_value_set_enum (value, s->rtmpe_type);
      break;
    case GST_RTMPE_PROP_ENCRYPTION:
      g_value_set_enum (value, s->encryption);
      break;
    case GST_RTMPE_PROP_AUTO_RECONNECT:
      g_value_set_boolean (value, s->auto_reconnect);
      break;
    case GST_RTMPE_PROP_RECONNECT_DELAY:
      g_value_set_uint (value, s->reconnect_delay);
      break;
    case GST_RTMPE_PROP_MAX_RECONNECT_DELAY:
      g_value_set_uint (value, s->max_reconnect_delay);
      break;
    case GST_RTMPE_PROP_MAX_RECONNECTS:
      g_value_set_int (value, s->max_reconnects);
      break;
    case GST_RTMPE_PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, s->max_connections);
      break;
    default:
      g_mutex_unlock (&s->lock);
      return FALSE;
  }
  g_mutex_unlock (&s->lock);
  return TRUE;
}

/* ---- connect arguments --------------------------------------------------- */

/* Next space-separated token; double quotes group. */
static gchar *
next_token (const gchar **p)
{
  GString *tok;
  gboolean quoted = FALSE;

  while (**p == ' ' || **p == '\t')
    (*p)++;
  if (!**p)
    return NULL;
  tok = g_string_new (NULL);
  for (; **p; (*p)++) {
    if (**p == '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted && (**p == ' ' || **p == '\t'))
      break;
    g_string_append_c (tok, **p);
  }
  return g_string_free (tok, FALSE);
}

gboolean
gst_rtmpe_parse_connect_args (
    const gchar *text, GPtrArray *args, GError **error)
{
  GPtrArray *stack = g_ptr_array_new (); /* open objects */
  const gchar *p = text ? text : "";
  gchar *tok;
  gboolean ok = TRUE;

  while (ok && (tok = next_token (&p))) {
    gchar type[3] = { 0 };
    const gchar *name = NULL, *val;
    gchar *colon = strchr (tok, ':');
    gchar *name_copy = NULL;
    AmfValue *v = NULL;

    if (!colon || colon - tok > 2 || colon == tok) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
          "extra-connect-args: '%s' is not TYPE:VALUE (S, N, B, Z, O; "
          "N-prefixed for named members)",
          tok);
      ok = FALSE;
      g_free (tok);
      break;
    }
    memcpy (type, tok, colon - tok);
    val = colon + 1;
    if (type[0] == 'N' && type[1]) {
      const gchar *c2 = strchr (val, ':');

      if (!c2) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
            "extra-connect-args: '%s' needs NAME:VALUE", tok);
        ok = FALSE;
        g_free (tok);
        break;
      }
      name_copy = g_strndup (val, c2 - val);
      name = name_copy;
      val = c2 + 1;
      type[0] = type[1];
      type[1] = 0;
    } else if (type[1]) {
      type[0] = 0;
    }

    switch (type[0]) {
      case 'S':
        v = amf_value_new_string (val);
        break;
      case 'N': {
        gchar *end = NULL;
        gdouble d = g_ascii_strtod (val, &end);

        if (!*val || *end)
          ok = FALSE;
        else
          v = amf_value_new_number (d);
        break;
      }
      case 'B':
        if (g_strcmp0 (val, "1") == 0 || g_ascii_strcasecmp (val, "true") == 0)
          v = amf_value_new_boolean (TRUE);
        else if (g_strcmp0 (val, "0") == 0 ||
            g_ascii_strcasecmp (val, "false") == 0)
          v = amf_value_new_boolean (FALSE);
        else
          ok = FALSE;
        break;
      case 'Z':
        v = amf_value_new_null ();
        break;
      case 'O':
        if (g_strcmp0 (val, "1") == 0) {
          v = amf_value_new_object ();
        } else if (g_strcmp0 (val, "0") == 0 && stack->len > 0 && !name) {
          g_ptr_array_remove_index (stack, stack->len - 1);
          g_free (tok);
          continue;
        } else {
          ok = FALSE;
        }
        break;
      default:
        ok = FALSE;
        break;
    }
    if (!ok) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
          "extra-connect-args: cannot use '%s'", tok);
      g_free (name_copy);
      g_free (tok);
      break;
    }
    if (stack->len > 0) {
      AmfValue *parent = g_ptr_array_index (stack, stack->len - 1);

      if (!name) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
            "extra-connect-args: '%s' inside an object needs a name "
            "(N%c:name:value)",
            tok, type[0]);
        amf_value_free (v);
        ok = FALSE;
      } else {
        /* the object keeps its member; the stack only points at it */
        amf_value_append_property (parent, name, v);
        if (type[0] == 'O')
          g_ptr_array_add (stack,
              (gpointer) amf_value_get_property_value (
                  parent, amf_value_get_n_properties (parent) - 1));
      }
    } else if (name) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
          "extra-connect-args: named '%s' outside an object", tok);
      amf_value_free (v);
      ok = FALSE;
    } else {
      g_ptr_array_add (args, v);
      if (type[0] == 'O')
        g_ptr_array_add (stack, v);
    }
    g_free (name_copy);
    g_free (tok);
  }
  if (ok && stack->len > 0) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "extra-connect-args: an object (O:1) is not closed (O:0)");
    ok = FALSE;
  }
  g_ptr_array_free (stack, TRUE);
  return ok;
}

/* ---- target -------------------------------------------------------------- */

void
gst_rtmpe_target_free (GstRtmpeTarget *t)
{
  if (!t)
    return;
  g_free (t->host);
  g_free (t->app);
  g_free (t->stream);
  g_free (t->tc_url);
  g_free (t->page_url);
  g_free (t->swf_url);
  g_free (t->flash_version);
  if (t->connect_args)
    g_ptr_array_unref (t->connect_args);
  g_free (t->redacted);
  g_free (t->tls_ca_file);
  g_free (t->tls_certificate_file);
  g_free (t->tls_key_file);
  g_free (t);
}

GstRtmpeTarget *
gst_rtmpe_settings_make_target (GstRtmpeSettings *s, GError **error)
{
  g_autoptr (GstRtmpeTarget) t = g_new0 (GstRtmpeTarget, 1);
  g_autoptr (RtmpUrl) url = NULL;
  const gboolean listen = s->mode == GST_RTMPE_MODE_LISTEN;

  g_mutex_lock (&s->lock);
  if (s->url) {
    url = rtmp_url_copy (s->url);
  } else if (s->host) {
    /* no location: build one from the parts */
    gboolean v6 = strchr (s->host, ':') != NULL;
    gchar *loc = g_strdup_printf ("rtmp://%s%s%s:%u/%s", v6 ? "[" : "", s->host,
        v6 ? "]" : "", s->port ? s->port : 1935,
        s->application ? s->application : "");

    url = rtmp_url_parse (loc, NULL);
    g_free (loc);
  }
  if (!url) {
    g_mutex_unlock (&s->lock);
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
        "no location set (e.g. location=rtmpe://host/app/stream)");
    return NULL;
  }
  if (s->application)
    rtmp_url_set_app (url, s->application);
  if (s->stream)
    rtmp_url_set_stream (url, s->stream);

  t->mode = s->mode;
  t->scheme = url->scheme;
  t->host = g_strdup (s->host ? s->host : url->host);
  t->port = s->port ? s->port : url->port;
  t->app = g_strdup (url->app);
  t->stream = g_strdup (url->stream);
  t->tc_url = g_strdup (s->tc_url ? s->tc_url : url->tc_url);
  t->page_url = g_strdup (s->page_url);
  t->swf_url = g_strdup (s->swf_url);
  t->flash_version = g_strdup (s->flash_version);
  t->redacted = g_strdup (url->redacted);
  t->timeout = s->timeout;
  t->idle_timeout = s->idle_timeout;
  t->tls_validation_flags = s->tls_validation_flags;
  t->tls_verify = s->tls_validation_flags != 0;
  t->tls_ca_file = g_strdup (s->tls_ca_file);
  t->tls_certificate_file = g_strdup (s->tls_certificate_file);
  t->tls_key_file = g_strdup (s->tls_key_file);
  t->rtmpe_type = s->rtmpe_type;
  t->encryption = s->encryption;
  t->auto_reconnect = s->auto_reconnect;
  t->reconnect_delay = s->reconnect_delay;
  t->max_reconnect_delay = MAX (s->max_reconnect_delay, s->reconnect_delay);
  t->max_reconnects = s->max_reconnects;
  t->max_connections = s->max_connections;

  /* connect arguments: user info (or username/password), then the extras */
  t->connect_args =
      g_ptr_array_new_with_free_func ((GDestroyNotify) amf_value_free);
  if (s->username || s->password) {
    g_ptr_array_add (
        t->connect_args, amf_value_new_string (s->username ? s->username : ""));
    if (s->password)
      g_ptr_array_add (t->connect_args, amf_value_new_string (s->password));
  } else if (url->connect_args) {
    for (gchar **a = url->connect_args; *a; a++)
      g_ptr_array_add (t->connect_args, amf_value_new_string (*a));
  }
  if (s->extra_connect_args &&
      !gst_rtmpe_parse_connect_args (
          s->extra_connect_args, t->connect_args, error)) {
    g_mutex_unlock (&s->lock);
    return NULL;
  }
  g_mutex_unlock (&s->lock);

  if (!t->host || !*t->host) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL, "%s: no host to %s",
        t->redacted, listen ? "listen on" : "connect to");
    return NULL;
  }
  if (!listen && (!t->stream || !*t->stream)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
        "%s: no stream name to %s (give it as the last part of the path, "
        "as the #fragment, or with the stream property)",
        t->redacted, s->kind == GST_RTMPE_ELEMENT_SRC ? "play" : "publish");
    return NULL;
  }
  if (!listen && (!t->app || !*t->app)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
        "%s: no application name (rtmp://host/APP/stream)", t->redacted);
    return NULL;
  }
  if (listen && t->scheme == RTMP_SCHEME_RTMPS && !t->tls_certificate_file) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL,
        "%s: listening for rtmps:// needs tls-certificate-file", t->redacted);
    return NULL;
  }
  return g_steal_pointer (&t);
}

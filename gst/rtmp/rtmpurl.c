/* gst-rtmpe: rtmp, rtmpe, rtmps and rtmfp URLs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The rules are in rtmpurl.h. GUri does the generic syntax (scheme,
 * authority, IPv6 literals, percent-encoding checks, IDN host names); this
 * file adds what is RTMP's own and words errors so that they name the part
 * that is wrong without echoing a secret.
 */
#include "rtmpurl.h"

#include <stdarg.h>
#include <string.h>

#include "rtmperror.h"
#include "rtmplimits.h"

#define REDACTED "<redacted>"

static const gchar *const scheme_names[] = {
  [RTMP_SCHEME_RTMP] = "rtmp",
  [RTMP_SCHEME_RTMPE] = "rtmpe",
  [RTMP_SCHEME_RTMPS] = "rtmps",
  [RTMP_SCHEME_RTMFP] = "rtmfp",
};

const gchar *
rtmp_scheme_to_string (RtmpScheme scheme)
{
  g_return_val_if_fail ((guint) scheme < G_N_ELEMENTS (scheme_names), NULL);
  return scheme_names[scheme];
}

guint16
rtmp_scheme_default_port (RtmpScheme scheme)
{
  return scheme == RTMP_SCHEME_RTMPS ? 443 : 1935;
}

/* Redaction */

gchar *
rtmp_url_redact_query (const gchar *query)
{
  gchar **items;
  GString *out;

  g_return_val_if_fail (query != NULL, NULL);

  items = g_strsplit (query, "&", -1);
  out = g_string_new (NULL);
  for (guint i = 0; items[i]; i++) {
    const gchar *eq = strchr (items[i], '=');

    if (i > 0)
      g_string_append_c (out, '&');
    if (eq)
      g_string_append_len (out, items[i], eq - items[i] + 1);
    if (eq || items[i][0] != '\0')
      g_string_append (out, REDACTED);
  }
  g_strfreev (items);
  return g_string_free (out, FALSE);
}

/* scheme://[userinfo@]hostport[/app][?query][stream marker]: the shape of
 * tcUrl and of the redacted URL. */
static gchar *
compose (const gchar *scheme, gboolean userinfo, const gchar *hostport,
    gboolean has_path, const gchar *app_raw, const gchar *app_query,
    gboolean redact, const gchar *stream_marker)
{
  GString *s = g_string_new (scheme);

  g_string_append (s, "://");
  if (userinfo)
    g_string_append (s, REDACTED "@");
  g_string_append (s, hostport);
  if (has_path) {
    g_string_append_c (s, '/');
    g_string_append (s, app_raw);
  }
  if (app_query) {
    g_string_append_c (s, '?');
    if (redact) {
      gchar *q = rtmp_url_redact_query (app_query);

      g_string_append (s, q);
      g_free (q);
    } else {
      g_string_append (s, app_query);
    }
  }
  if (stream_marker)
    g_string_append (s, stream_marker);
  return g_string_free (s, FALSE);
}

/* The legacy split of a raw path ("/app/inst/stream", or "") into the
 * application and the stream, as librtmp and FFmpeg make it (rtmpurl.h). */
static void
split_path (const gchar *path, gchar **app_raw, gchar **stream_raw)
{
  const gchar *p = path[0] == '/' ? path + 1 : path;
  const gchar *s1 = strchr (p, '/'), *s2, *cut;

  *stream_raw = NULL;
  if (!s1) {
    *app_raw = g_strdup (p);
    return;
  }
  s2 = strchr (s1 + 1, '/');
  /* app/instance/stream... unless the second segment is "mp4:..." */
  if (s2 && !memchr (s1 + 1, ':', s2 - (s1 + 1)))
    cut = s2;
  else
    cut = s1;
  *app_raw = g_strndup (p, cut - p);
  if (cut[1] != '\0')
    *stream_raw = g_strdup (cut + 1);
}

/* A redacted rendering of any string, for error messages: cut at the
 * textual "://", '@', '/', '?', '#' the way a URL would be, never failing.
 * Control characters become '?'. */
static gchar *
redact_location (const gchar *text)
{
  g_autofree gchar *scheme = NULL, *hostport = NULL, *path = NULL;
  g_autofree gchar *query = NULL, *app_raw = NULL, *stream_raw = NULL;
  const gchar *sep = strstr (text, "://"), *rest, *end, *at, *q, *hash;
  gboolean fragment;
  gsize alen;
  gchar *out;

  if (!sep) {
    const gchar *colon = strchr (text, ':');

    if (!colon)
      return g_strdup (REDACTED);
    out = g_strdup_printf ("%.*s:" REDACTED, (int) (colon - text), text);
    goto clean;
  }
  scheme = g_strndup (text, sep - text);
  rest = sep + 3;
  alen = strcspn (rest, "/?#");
  at = g_strrstr_len (rest, alen, "@");
  hostport =
      at ? g_strndup (at + 1, rest + alen - at - 1) : g_strndup (rest, alen);
  end = rest + alen;
  hash = strchr (end, '#');
  fragment = hash != NULL;
  if (!hash)
    hash = end + strlen (end);
  q = memchr (end, '?', hash - end);
  path = g_strndup (end, (q ? q : hash) - end);
  if (q)
    query = g_strndup (q + 1, hash - q - 1);

  if (fragment) {
    app_raw = g_strdup (path[0] == '/' ? path + 1 : path);
  } else {
    split_path (path, &app_raw, &stream_raw);
  }
  out = compose (scheme, at != NULL, hostport, path[0] != '\0', app_raw,
      stream_raw ? NULL : query, TRUE,
      fragment ? "#" REDACTED : (stream_raw ? "/" REDACTED : NULL));

clean:
  for (gchar *c = out; *c; c++) {
    if ((guchar) *c < 0x20 || *c == 0x7f)
      *c = '?';
  }
  return out;
}

static gboolean fail (GError **error, const gchar *location,
    const gchar *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, const gchar *location, const gchar *format, ...)
{
  g_autofree gchar *where = NULL, *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  where = location ? redact_location (location) : g_strdup ("URL");
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL, "%s: %s", where, what);
  return FALSE;
}

/* Decoded strings go into AMF0 strings and logs: UTF-8, no NUL, no control
 * characters. */
static gboolean
check_text (const gchar *s)
{
  if (!g_utf8_validate (s, -1, NULL))
    return FALSE;
  for (; *s; s++) {
    if ((guchar) *s < 0x20 || *s == 0x7f)
      return FALSE;
  }
  return TRUE;
}

/* Percent-decodes @raw into *@out; FALSE for a bad escape, a NUL, invalid
 * UTF-8 or a control character. */
static gboolean
decode (const gchar *raw, gchar **out)
{
  *out = g_uri_unescape_string (raw, NULL);
  if (*out && check_text (*out))
    return TRUE;
  g_clear_pointer (out, g_free);
  return FALSE;
}

static gboolean
is_host_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_';
}

static gboolean
check_zone (const gchar *zone)
{
  if (*zone == '\0')
    return FALSE;
  for (; *zone; zone++) {
    if (!g_ascii_isalnum (*zone) && !strchr ("-._~", *zone))
      return FALSE;
  }
  return TRUE;
}

/* The authority in @rest (after "://") has a bracketed host. */
static gboolean
host_is_bracketed (const gchar *rest)
{
  gsize alen = strcspn (rest, "/?#");
  const gchar *at = g_strrstr_len (rest, alen, "@");

  return (at ? at[1] : rest[0]) == '[';
}

/* The authority in @rest (after "://"): one '@' at most, and the port
 * text, if any, for wording our own errors before GUri's. */
static gboolean
check_authority (const gchar *location, const gchar *rest, GError **error)
{
  gsize alen = strcspn (rest, "/?#");
  const gchar *at = g_strrstr_len (rest, alen, "@");
  const gchar *host = at ? at + 1 : rest, *end = rest + alen, *colon;
  g_autofree gchar *port = NULL;
  guint64 value;

  /* GUri splits at the first '@', our redaction at the last: one only */
  if (at && memchr (rest, '@', at - rest))
    return fail (error, location,
        "user info has an '@'; write it %%40 (RFC 3986 3.2.1)");

  if (host < end && *host == '[') {
    const gchar *close = memchr (host, ']', end - host);

    if (!close || close + 1 == end || close[1] != ':')
      return TRUE; /* no port, or GUri will name the bad literal */
    colon = close + 1;
  } else {
    colon = g_strrstr_len (host, end - host, ":");
    if (!colon)
      return TRUE;
    if (memchr (host, ':', colon - host))
      return fail (error, location,
          "host has several ':'; an IPv6 address goes in brackets "
          "([2001:db8::1]:1935)");
  }
  port = g_strndup (colon + 1, end - colon - 1);
  if (port[0] == '\0')
    return TRUE; /* empty: the default (memo 4.1) */
  for (const gchar *c = port; *c; c++) {
    if (!g_ascii_isdigit (*c))
      return fail (error, location, "port '%s' is not a number", port);
  }
  value = g_ascii_strtoull (port, NULL, 10);
  if (value == 0 || value > 65535 || strlen (port) > 10)
    return fail (error, location, "port %s out of range (1-65535)", port);
  return TRUE;
}

static gboolean
guri_error (GError **error, const gchar *location, GError *err)
{
  const gchar *part;
  gboolean quote = FALSE;

  switch (err->code) {
    case G_URI_ERROR_BAD_USER:
    case G_URI_ERROR_BAD_PASSWORD:
    case G_URI_ERROR_BAD_AUTH_PARAMS:
      part = "user info has a bad percent-encoding or character";
      break;
    case G_URI_ERROR_BAD_HOST:
      part = "bad host";
      quote = TRUE;
      break;
    case G_URI_ERROR_BAD_PORT:
      part = "bad port";
      quote = TRUE;
      break;
    case G_URI_ERROR_BAD_PATH:
      part = "path has a bad percent-encoding or character";
      break;
    case G_URI_ERROR_BAD_QUERY:
      part = "query has a bad percent-encoding or character";
      break;
    case G_URI_ERROR_BAD_FRAGMENT:
      part = "fragment has a bad percent-encoding or character";
      break;
    default:
      part = "not a URL";
      quote = TRUE;
      break;
  }
  /* GUri's own words quote only the host or port, never user info, path,
   * query or fragment */
  if (quote)
    return fail (error, location, "%s (%s)", part, err->message);
  return fail (error, location, "%s", part);
}

/* The lower-cased scheme (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" /
 * "." ) then ':') in @buf, or NULL. Not g_uri_peek_scheme(), which interns
 * every scheme it sees: a peer's URLs would grow GLib's quark table for
 * good. Schemes longer than @buf cannot be ours and are reported cut. */
static const gchar *
peek_scheme (const gchar *location, gchar *buf, gsize size)
{
  gsize i;

  if (!g_ascii_isalpha (location[0]))
    return NULL;
  for (i = 0; location[i] != ':'; i++) {
    if (location[i] == '\0' ||
        (!g_ascii_isalnum (location[i]) && !strchr ("+-.", location[i])))
      return NULL;
    if (i < size - 1)
      buf[i] = g_ascii_tolower (location[i]);
  }
  buf[MIN (i, size - 1)] = '\0';
  return buf;
}

static void
rebuild (RtmpUrl *url)
{
  g_autofree gchar *host = NULL, *tc_host = NULL;
  const gchar *scheme = rtmp_scheme_to_string (url->scheme);
  const gchar *marker = NULL;

  g_clear_pointer (&url->tc_url, g_free);
  g_clear_pointer (&url->redacted, g_free);
  if (!url->host) {
    url->redacted = g_strdup ("rtmfp:");
    return;
  }

  if (url->ipv6) {
    const gchar *zone = strchr (url->host, '%');
    g_autofree gchar *bare =
        zone ? g_strndup (url->host, zone - url->host) : g_strdup (url->host);

    /* a zone only means something on this machine: not in tcUrl */
    tc_host = g_strdup_printf ("[%s]", bare);
    host = zone ? g_strdup_printf ("[%s%%25%s]", bare, zone + 1) :
                  g_strdup (tc_host);
  } else {
    tc_host = g_strdup (url->host);
    host = g_strdup (url->host);
  }
  if (url->port_given) {
    gchar *with_port;

    with_port = g_strdup_printf ("%s:%u", tc_host, url->port);
    g_free (tc_host);
    tc_host = with_port;
    with_port = g_strdup_printf ("%s:%u", host, url->port);
    g_free (host);
    host = with_port;
  }

  if (url->stream)
    marker = url->stream_from_fragment ? "#" REDACTED : "/" REDACTED;
  url->tc_url = compose (scheme, FALSE, tc_host, url->app_raw != NULL,
      url->app_raw ? url->app_raw : "", url->app_query, FALSE, NULL);
  url->redacted =
      compose (scheme, url->connect_args != NULL, host, url->app_raw != NULL,
          url->app_raw ? url->app_raw : "", url->app_query, TRUE, marker);
}

static RtmpUrl *
parse (const gchar *location, GError **error)
{
  g_autoptr (RtmpUrl) url = g_new0 (RtmpUrl, 1);
  g_autoptr (GUri) uri = NULL;
  g_autofree gchar *app_raw = NULL, *stream_raw = NULL, *app = NULL;
  const gchar *scheme, *host, *userinfo, *path, *query, *fragment;
  gchar scheme_buf[16];
  GError *err = NULL;
  gsize len = strlen (location);

  if (len > RTMP_URL_MAX_LENGTH) {
    fail (error, NULL,
        "%" G_GSIZE_FORMAT " bytes, longer than the %d an AMF0 string holds",
        len, RTMP_URL_MAX_LENGTH);
    return NULL;
  }
  for (gsize i = 0; i < len; i++) {
    if ((guchar) location[i] < 0x20 || location[i] == 0x7f) {
      fail (error, location,
          "control character 0x%02x at offset %" G_GSIZE_FORMAT,
          (guchar) location[i], i);
      return NULL;
    }
  }

  scheme = peek_scheme (location, scheme_buf, sizeof (scheme_buf));
  if (!scheme) {
    fail (error, location,
        "no scheme (expected rtmp://, rtmpe://, rtmps:// or rtmfp://)");
    return NULL;
  }
  if (g_str_equal (scheme, "rtmp")) {
    url->scheme = RTMP_SCHEME_RTMP;
  } else if (g_str_equal (scheme, "rtmpe")) {
    url->scheme = RTMP_SCHEME_RTMPE;
  } else if (g_str_equal (scheme, "rtmps")) {
    url->scheme = RTMP_SCHEME_RTMPS;
  } else if (g_str_equal (scheme, "rtmfp")) {
    url->scheme = RTMP_SCHEME_RTMFP;
  } else if (g_str_equal (scheme, "rtmpt") || g_str_equal (scheme, "rtmpte") ||
      g_str_equal (scheme, "rtmpts")) {
    fail (error, location,
        "scheme %s (RTMP tunnelled over HTTP) is not supported; use rtmp, "
        "rtmpe or rtmps",
        scheme);
    return NULL;
  } else {
    fail (error, location, "scheme %s is not one of rtmp, rtmpe, rtmps, rtmfp",
        scheme);
    return NULL;
  }

  /* the bare "rtmfp:": an RTMFP client that connects to no server */
  if (url->scheme == RTMP_SCHEME_RTMFP &&
      location[strlen (scheme) + 1] == '\0') {
    url->app = g_strdup ("");
    rebuild (url);
    return g_steal_pointer (&url);
  }
  if (strncmp (location + strlen (scheme), "://", 3) != 0) {
    fail (error, location, "no host (expected %s://host/...%s)", scheme,
        url->scheme == RTMP_SCHEME_RTMFP ? ", or the bare rtmfp:" : "");
    return NULL;
  }
  if (!check_authority (location, location + strlen (scheme) + 3, error))
    return NULL;

  uri = g_uri_parse (location, G_URI_FLAGS_ENCODED, &err);
  if (!uri) {
    guri_error (error, location, err);
    g_error_free (err);
    return NULL;
  }

  host = g_uri_get_host (uri);
  if (!host || host[0] == '\0') {
    fail (error, location, "no host");
    return NULL;
  }
  /* an IP literal only when written in brackets: "h%3aF8" is a name with
   * a ':' in it, refused below */
  url->ipv6 = host_is_bracketed (location + strlen (scheme) + 3);
  if (url->ipv6) {
    /* RFC 6874: ZoneID = 1*( unreserved / pct-encoded ); we take names */
    const gchar *zone = strchr (host, '%');

    if (zone && !check_zone (zone + 1)) {
      fail (
          error, location, "IPv6 zone '%s' is not an interface name", zone + 1);
      return NULL;
    }
  } else {
    for (const gchar *c = host; *c; c++) {
      if (!is_host_char (*c)) {
        fail (error, location, "host '%s' has a character a host name cannot",
            host);
        return NULL;
      }
    }
  }
  url->host = g_strdup (host);

  if (g_uri_get_port (uri) > 0) {
    url->port = g_uri_get_port (uri);
    url->port_given = TRUE;
  } else {
    url->port = rtmp_scheme_default_port (url->scheme);
  }

  userinfo = g_uri_get_userinfo (uri);
  if (userinfo) {
    gchar **args = g_strsplit (userinfo, ":", -1);
    guint n = g_strv_length (args);

    url->connect_args = g_new0 (gchar *, n + 1);
    for (guint i = 0; i < n; i++) {
      if (!decode (args[i], &url->connect_args[i])) {
        g_strfreev (args);
        fail (error, location,
            "user info: connect argument %u has a bad percent-encoding or "
            "character",
            i + 1);
        return NULL;
      }
    }
    g_strfreev (args);
  }

  path = g_uri_get_path (uri);
  query = g_uri_get_query (uri);
  fragment = g_uri_get_fragment (uri);

  if (fragment) {
    /* the memo's form: path and query are the application */
    app_raw = g_strdup (path[0] == '/' ? path + 1 : path);
    if (fragment[0] != '\0') {
      if (!decode (fragment, &url->stream)) {
        fail (error, location,
            "fragment (the stream) has a bad percent-encoding or character");
        return NULL;
      }
      url->stream_from_fragment = TRUE;
    }
  } else {
    split_path (path, &app_raw, &stream_raw);
  }

  if (!decode (app_raw, &app)) {
    fail (error, location,
        "path (the application) has a bad percent-encoding or character");
    return NULL;
  }
  if (stream_raw) {
    g_autofree gchar *stream = NULL;

    if (!decode (stream_raw, &stream)) {
      fail (error, location,
          "path (the stream) has a bad percent-encoding or character");
      return NULL;
    }
    url->stream = query ? g_strconcat (stream, "?", query, NULL) :
                          g_steal_pointer (&stream);
  } else if (query) {
    url->app_query = g_strdup (query);
  }

  url->app = url->app_query ? g_strconcat (app, "?", url->app_query, NULL) :
                              g_steal_pointer (&app);
  /* "rtmp://host" has no path: tcUrl gets no '/' */
  url->app_raw = path[0] != '\0' ? g_steal_pointer (&app_raw) : NULL;
  rebuild (url);
  return g_steal_pointer (&url);
}

RtmpUrl *
rtmp_url_parse (const gchar *location, GError **error)
{
  g_autofree gchar *text = NULL;

  g_return_val_if_fail (location != NULL, NULL);

  text = g_strstrip (g_strdup (location));
  return parse (text, error);
}

RtmpUrl *
rtmp_url_copy (const RtmpUrl *url)
{
  RtmpUrl *copy;

  g_return_val_if_fail (url != NULL, NULL);

  copy = g_memdup2 (url, sizeof (*url));
  copy->host = g_strdup (url->host);
  copy->connect_args = g_strdupv (url->connect_args);
  copy->app = g_strdup (url->app);
  copy->stream = g_strdup (url->stream);
  copy->tc_url = g_strdup (url->tc_url);
  copy->redacted = g_strdup (url->redacted);
  copy->app_raw = g_strdup (url->app_raw);
  copy->app_query = g_strdup (url->app_query);
  return copy;
}

void
rtmp_url_free (RtmpUrl *url)
{
  if (!url)
    return;
  g_free (url->host);
  g_strfreev (url->connect_args);
  g_free (url->app);
  g_free (url->stream);
  g_free (url->tc_url);
  g_free (url->redacted);
  g_free (url->app_raw);
  g_free (url->app_query);
  g_free (url);
}

/* A query for tcUrl: what a query may hold stays, escapes already made
 * ("%41") stay, anything else is percent-encoded, a lone '%' included. */
static gchar *
escape_query (const gchar *query)
{
  GString *s = g_string_new (NULL);

  for (const gchar *c = query; *c; c++) {
    if (g_ascii_isalnum (*c) || strchr ("-._~!$&'()*+,;=:@/?", *c) ||
        (*c == '%' && g_ascii_isxdigit (c[1]) && g_ascii_isxdigit (c[2])))
      g_string_append_c (s, *c);
    else
      g_string_append_printf (s, "%%%02X", (guchar) *c);
  }
  return g_string_free (s, FALSE);
}

void
rtmp_url_set_app (RtmpUrl *url, const gchar *app)
{
  const gchar *q;

  g_return_if_fail (url != NULL);
  g_return_if_fail (app != NULL && g_utf8_validate (app, -1, NULL));

  g_free (url->app);
  g_free (url->app_raw);
  g_free (url->app_query);
  url->app = g_strdup (app);
  /* the part before '?' is a path (escaped for tcUrl), the rest a query
   * kept as given */
  q = strchr (app, '?');
  {
    g_autofree gchar *path = q ? g_strndup (app, q - app) : g_strdup (app);

    url->app_raw =
        g_uri_escape_string (path, G_URI_RESERVED_CHARS_ALLOWED_IN_PATH, FALSE);
  }
  url->app_query = q ? escape_query (q + 1) : NULL;
  if (url->host)
    rebuild (url);
}

void
rtmp_url_set_stream (RtmpUrl *url, const gchar *stream)
{
  g_return_if_fail (url != NULL);
  g_return_if_fail (!stream || g_utf8_validate (stream, -1, NULL));

  g_free (url->stream);
  url->stream = g_strdup (stream);
  if (url->host)
    rebuild (url);
}

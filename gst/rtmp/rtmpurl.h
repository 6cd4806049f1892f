/* gst-rtmpe: rtmp, rtmpe, rtmps and rtmfp URLs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Generic URI syntax comes from GLib's GUri; on top of it, the rules of the
 * RTMP Family URI Schemes memo (shared/specs/rtmp-uris.txt) and the
 * conventions users expect from librtmp, FFmpeg and GStreamer's rtmp2:
 *
 * Schemes and ports: rtmp and rtmpe (TCP 1935), rtmps (TLS, TCP 443), rtmfp
 * (UDP 1935; the bare "rtmfp:" means a client that connects to no server).
 * rtmpt, rtmpte and rtmpts (RTMP tunnelled over HTTP) are refused as not
 * supported. The host must not be empty: a name (letters, digits, '-', '.',
 * '_'; international names become their ASCII form), an IPv4 address, or an
 * IPv6 literal in brackets, with an optional zone that names an interface
 * ("[fe80::1%25eth0]", RFC 6874), kept for connecting and dropped from
 * tcUrl, which leaves this machine.
 *
 * User info: "a:b:c@" is a list of connect arguments (memo 4.2), each
 * percent-decoded. librtmp and rtmp2 read the first two as user name and
 * password; those are connect_args[0] and [1].
 *
 * Application and stream:
 *  - With a fragment ("rtmp://host/app/inst#stream"), the memo's form: the
 *    whole path and query are the application, the percent-decoded fragment
 *    is the stream.
 *  - Without one, the split librtmp (RTMP_ParseURL) and FFmpeg (rtmp_open)
 *    make, which every streaming service's "server URL + stream key"
 *    assumes. The path segments after the host are:
 *      one:            app                    (no stream)
 *      two:            app / stream
 *      three or more:  app / instance / stream...   app = "app/instance"
 *    except that when the second segment has a ':' ("vod/mp4:dir/file"),
 *    it starts the stream ("mp4:", "flv:", "mp3:" prefixes), and the app is
 *    the first segment alone. The stream may contain further '/'. GStreamer's
 *    rtmp2 differs for four or more segments (it makes the last segment
 *    the stream); we follow librtmp and FFmpeg.
 *  - The query belongs to the stream when there is one
 *    ("live/key?token=x": stream "key?token=x"), else to the application
 *    ("rtmp://host/app?auth=x": app "app?auth=x", in tcUrl too).
 *  - Path segments are percent-decoded; the query is kept as written, since
 *    the server parses it. "mp4:"/"flv:" prefixes and file extensions are
 *    kept as the user wrote them (no librtmp-style rewriting).
 *  - rtmp_url_set_app() and rtmp_url_set_stream() override either (the
 *    elements' app and stream properties).
 *
 * tcUrl: scheme://host[:port]/app, the port only when the URL gives one,
 * without user info and fragment, IPv6 bracketed (memo 4.2, 6; errata
 * 8.1.2). The app part is as written in the URL (percent-encoded).
 *
 * Redaction for logs: user info becomes "<redacted>@", every query value
 * "<redacted>" (names are kept: "?token=<redacted>&flag=<redacted>"; a query
 * item without '=' is redacted whole), and the stream name, wherever it came
 * from, is "<redacted>" ("rtmp://host/live/<redacted>",
 * "rtmp://host/app#<redacted>"). A stream name cannot be told from a stream
 * key by looking at it, and for publishing it usually is one; host, port and
 * application are what one needs to debug a connection.
 *
 * Errors: RTMP_ERROR_BAD_URL; the message starts with the redacted URL and
 * names the bad part: "rtmpe://host:99999/app: port 99999 out of range".
 */
#ifndef __RTMP_URL_H__
#define __RTMP_URL_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  RTMP_SCHEME_RTMP,
  RTMP_SCHEME_RTMPE,
  RTMP_SCHEME_RTMPS,
  RTMP_SCHEME_RTMFP,
} RtmpScheme;

/**
 * RtmpUrl:
 * @scheme: the scheme
 * @host: the host name or address, IPv6 without brackets (a zone as
 *   "%eth0"); NULL only for the bare "rtmfp:"
 * @port: the given port or the scheme's default; 0 for the bare "rtmfp:"
 * @port_given: the URL names a port
 * @ipv6: @host is an IPv6 literal
 * @connect_args: (nullable): the percent-decoded user info split at ':',
 *   NULL-terminated; NULL without user info. Secret.
 * @app: the application for connect's "app" ("" when the URL has none)
 * @stream: (nullable): the stream to play or publish. Secret.
 * @stream_from_fragment: @stream came from the fragment (memo form)
 * @tc_url: (nullable): connect's "tcUrl"; NULL for the bare "rtmfp:"
 * @redacted: the URL with its secrets replaced, for logs and messages
 *
 * Every string is owned by the RtmpUrl and valid UTF-8 without control
 * characters. Free with rtmp_url_free().
 */
typedef struct
{
  RtmpScheme scheme;
  gchar *host;
  guint16 port;
  gboolean port_given;
  gboolean ipv6;
  gchar **connect_args;
  gchar *app;
  gchar *stream;
  gboolean stream_from_fragment;
  gchar *tc_url;
  gchar *redacted;
  /*< private >*/
  gchar *app_raw; /* the app as written in the URL, for tcUrl */
  gchar *app_query; /* the query when it belongs to the app, as written */
} RtmpUrl;

/* Parses @location (leading and trailing whitespace ignored). NULL and
 * RTMP_ERROR_BAD_URL if it is not a usable RTMP family URL. */
RtmpUrl *rtmp_url_parse (const gchar *location, GError **error);
RtmpUrl *rtmp_url_copy (const RtmpUrl *url);
void rtmp_url_free (RtmpUrl *url);

/* Replace the application or the stream (NULL for none); tcUrl and the
 * redacted form are rebuilt. An application "path?query" is split at its
 * first '?': the path is percent-encoded for tcUrl, the query keeps what a
 * query may hold (and existing %XX escapes). */
void rtmp_url_set_app (RtmpUrl *url, const gchar *app);
void rtmp_url_set_stream (RtmpUrl *url, const gchar *stream);

/* "rtmp", "rtmpe", "rtmps", "rtmfp" */
const gchar *rtmp_scheme_to_string (RtmpScheme scheme);
/* 1935, or 443 for rtmps */
guint16 rtmp_scheme_default_port (RtmpScheme scheme);

/* A query string with every value replaced by "<redacted>" (see above). */
gchar *rtmp_url_redact_query (const gchar *query);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpUrl, rtmp_url_free)

G_END_DECLS

#endif

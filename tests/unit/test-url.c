/* gst-rtmpe: tests for gst/rtmp/rtmpurl (rtmp, rtmpe, rtmps, rtmfp URLs)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib.h>

#include "rtmperror.h"
#include "rtmplimits.h"
#include "rtmpurl.h"

typedef struct
{
  const gchar *location;
  RtmpScheme scheme;
  const gchar *host;
  guint16 port;
  gboolean port_given;
  gboolean ipv6;
  const gchar *args; /* connect_args joined with '|', NULL for none */
  const gchar *app;
  const gchar *stream;
  gboolean from_fragment;
  const gchar *tc_url;
  const gchar *redacted;
} GoodUrl;

static const GoodUrl good_urls[] = {
  /* rtmp-uris.txt section 7, every example */
  { "rtmp://server.example/three/segment/path", RTMP_SCHEME_RTMP,
      "server.example", 1935, FALSE, FALSE, NULL, "three/segment", "path",
      FALSE, "rtmp://server.example/three/segment",
      "rtmp://server.example/three/segment/<redacted>" },
  { "rtmp://server.example/three/segment/path#BigBuckBunny", RTMP_SCHEME_RTMP,
      "server.example", 1935, FALSE, FALSE, NULL, "three/segment/path",
      "BigBuckBunny", TRUE, "rtmp://server.example/three/segment/path",
      "rtmp://server.example/three/segment/path#<redacted>" },
  { "rtmp://[2001:db8:1::2]:19350/something?else", RTMP_SCHEME_RTMP,
      "2001:db8:1::2", 19350, TRUE, TRUE, NULL, "something?else", NULL, FALSE,
      "rtmp://[2001:db8:1::2]:19350/something?else",
      "rtmp://[2001:db8:1::2]:19350/something?<redacted>" },
  { "rtmps://server.example/something?else#CosmosLaundromat?aFlag",
      RTMP_SCHEME_RTMPS, "server.example", 443, FALSE, FALSE, NULL,
      "something?else", "CosmosLaundromat?aFlag", TRUE,
      "rtmps://server.example/something?else",
      "rtmps://server.example/something?<redacted>#<redacted>" },
  { "rtmps://arg1:arg2::arg4@server.example:1943", RTMP_SCHEME_RTMPS,
      "server.example", 1943, TRUE, FALSE, "arg1|arg2||arg4", "", NULL, FALSE,
      "rtmps://server.example:1943", "rtmps://<redacted>@server.example:1943" },
  { "rtmps://name=Mike;pri=5;exi=3600:7c412a7b6e@server.example/path#Caves",
      RTMP_SCHEME_RTMPS, "server.example", 443, FALSE, FALSE,
      "name=Mike;pri=5;exi=3600|7c412a7b6e", "path", "Caves", TRUE,
      "rtmps://server.example/path",
      "rtmps://<redacted>@server.example/path#<redacted>" },
  { "rtmfp://:arg2@redirectors.example/two/segments?key=value&flag",
      RTMP_SCHEME_RTMFP, "redirectors.example", 1935, FALSE, FALSE, "|arg2",
      "two", "segments?key=value&flag", FALSE,
      "rtmfp://redirectors.example/two",
      "rtmfp://<redacted>@redirectors.example/two/<redacted>" },
  { "rtmfp://arg%3Aone:arg2@redirectors.example/something#BigBuck%42unny",
      RTMP_SCHEME_RTMFP, "redirectors.example", 1935, FALSE, FALSE,
      "arg:one|arg2", "something", "BigBuckBunny", TRUE,
      "rtmfp://redirectors.example/something",
      "rtmfp://<redacted>@redirectors.example/something#<redacted>" },
  { "rtmfp:", RTMP_SCHEME_RTMFP, NULL, 0, FALSE, FALSE, NULL, "", NULL, FALSE,
      NULL, "rtmfp:" },

  /* schemes and default ports */
  { "rtmp://host/live/key", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, NULL,
      "live", "key", FALSE, "rtmp://host/live", "rtmp://host/live/<redacted>" },
  { "rtmpe://host/live/key", RTMP_SCHEME_RTMPE, "host", 1935, FALSE, FALSE,
      NULL, "live", "key", FALSE, "rtmpe://host/live",
      "rtmpe://host/live/<redacted>" },
  { "rtmps://host/live/key", RTMP_SCHEME_RTMPS, "host", 443, FALSE, FALSE, NULL,
      "live", "key", FALSE, "rtmps://host/live",
      "rtmps://host/live/<redacted>" },
  { "rtmfp://host/live/key", RTMP_SCHEME_RTMFP, "host", 1935, FALSE, FALSE,
      NULL, "live", "key", FALSE, "rtmfp://host/live",
      "rtmfp://host/live/<redacted>" },
  { "RTMPS://Host.Example/App/Key", RTMP_SCHEME_RTMPS, "Host.Example", 443,
      FALSE, FALSE, NULL, "App", "Key", FALSE, "rtmps://Host.Example/App",
      "rtmps://Host.Example/App/<redacted>" },
  { "  rtmp://host/live/key\n", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE,
      NULL, "live", "key", FALSE, "rtmp://host/live",
      "rtmp://host/live/<redacted>" },

  /* hosts and ports */
  { "rtmp://192.0.2.7:1936/live/key", RTMP_SCHEME_RTMP, "192.0.2.7", 1936, TRUE,
      FALSE, NULL, "live", "key", FALSE, "rtmp://192.0.2.7:1936/live",
      "rtmp://192.0.2.7:1936/live/<redacted>" },
  { "rtmp://[::1]/live/key", RTMP_SCHEME_RTMP, "::1", 1935, FALSE, TRUE, NULL,
      "live", "key", FALSE, "rtmp://[::1]/live",
      "rtmp://[::1]/live/<redacted>" },
  { "rtmps://[2001:db8::1]:8443/app", RTMP_SCHEME_RTMPS, "2001:db8::1", 8443,
      TRUE, TRUE, NULL, "app", NULL, FALSE, "rtmps://[2001:db8::1]:8443/app",
      "rtmps://[2001:db8::1]:8443/app" },
  { "rtmp://[::ffff:192.0.2.1]/app", RTMP_SCHEME_RTMP, "::ffff:192.0.2.1", 1935,
      FALSE, TRUE, NULL, "app", NULL, FALSE, "rtmp://[::ffff:192.0.2.1]/app",
      "rtmp://[::ffff:192.0.2.1]/app" },
  /* a zone is for connecting from here; tcUrl goes to the server */
  { "rtmp://[fe80::1%25eth0]:1935/live/key", RTMP_SCHEME_RTMP, "fe80::1%eth0",
      1935, TRUE, TRUE, NULL, "live", "key", FALSE,
      "rtmp://[fe80::1]:1935/live",
      "rtmp://[fe80::1%25eth0]:1935/live/<redacted>" },
  { "rtmp://host:/app", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, NULL,
      "app", NULL, FALSE, "rtmp://host/app", "rtmp://host/app" },
  { "rtmp://host:1935/app", RTMP_SCHEME_RTMP, "host", 1935, TRUE, FALSE, NULL,
      "app", NULL, FALSE, "rtmp://host:1935/app", "rtmp://host:1935/app" },
  { "rtmp://host:65535/app", RTMP_SCHEME_RTMP, "host", 65535, TRUE, FALSE, NULL,
      "app", NULL, FALSE, "rtmp://host:65535/app", "rtmp://host:65535/app" },
  { "rtmp://my_host-1.example/app", RTMP_SCHEME_RTMP, "my_host-1.example", 1935,
      FALSE, FALSE, NULL, "app", NULL, FALSE, "rtmp://my_host-1.example/app",
      "rtmp://my_host-1.example/app" },
  /* GUri turns an international name into its ASCII form */
  { "rtmp://b\xc3\xbc"
    "cher.example/app",
      RTMP_SCHEME_RTMP, "xn--bcher-kva.example", 1935, FALSE, FALSE, NULL,
      "app", NULL, FALSE, "rtmp://xn--bcher-kva.example/app",
      "rtmp://xn--bcher-kva.example/app" },

  /* application, instance, stream */
  { "rtmp://host", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, NULL, "", NULL,
      FALSE, "rtmp://host", "rtmp://host" },
  { "rtmp://host/", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, NULL, "",
      NULL, FALSE, "rtmp://host/", "rtmp://host/" },
  { "rtmp://host/live", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, NULL,
      "live", NULL, FALSE, "rtmp://host/live", "rtmp://host/live" },
  { "rtmp://host/live/", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, NULL,
      "live", NULL, FALSE, "rtmp://host/live", "rtmp://host/live" },
  { "rtmp://host/app/instance/stream", RTMP_SCHEME_RTMP, "host", 1935, FALSE,
      FALSE, NULL, "app/instance", "stream", FALSE, "rtmp://host/app/instance",
      "rtmp://host/app/instance/<redacted>" },
  { "rtmp://host/app/instance/dir/stream", RTMP_SCHEME_RTMP, "host", 1935,
      FALSE, FALSE, NULL, "app/instance", "dir/stream", FALSE,
      "rtmp://host/app/instance", "rtmp://host/app/instance/<redacted>" },
  { "rtmp://host/vod/mp4:dir/file.mp4", RTMP_SCHEME_RTMP, "host", 1935, FALSE,
      FALSE, NULL, "vod", "mp4:dir/file.mp4", FALSE, "rtmp://host/vod",
      "rtmp://host/vod/<redacted>" },
  { "rtmp://host/vod/mp4:file.mp4", RTMP_SCHEME_RTMP, "host", 1935, FALSE,
      FALSE, NULL, "vod", "mp4:file.mp4", FALSE, "rtmp://host/vod",
      "rtmp://host/vod/<redacted>" },
  { "rtmp://host/vod/inst/flv:file", RTMP_SCHEME_RTMP, "host", 1935, FALSE,
      FALSE, NULL, "vod/inst", "flv:file", FALSE, "rtmp://host/vod/inst",
      "rtmp://host/vod/inst/<redacted>" },
  { "rtmp://host/vod/file.flv", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE,
      NULL, "vod", "file.flv", FALSE, "rtmp://host/vod",
      "rtmp://host/vod/<redacted>" },
  /* (librtmp and FFmpeg agree: a trailing '/' makes the key an instance) */
  { "rtmp://host/live/key/", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, NULL,
      "live/key", NULL, FALSE, "rtmp://host/live/key", "rtmp://host/live/key" },

  /* queries */
  { "rtmp://host/live/stream?key=abc", RTMP_SCHEME_RTMP, "host", 1935, FALSE,
      FALSE, NULL, "live", "stream?key=abc", FALSE, "rtmp://host/live",
      "rtmp://host/live/<redacted>" },
  { "rtmp://host/live/FB-1-0-Ab?s_bl=1&s_sw=0&a=b/c", RTMP_SCHEME_RTMP, "host",
      1935, FALSE, FALSE, NULL, "live", "FB-1-0-Ab?s_bl=1&s_sw=0&a=b/c", FALSE,
      "rtmp://host/live", "rtmp://host/live/<redacted>" },
  { "rtmp://host/app?auth=secret&flag", RTMP_SCHEME_RTMP, "host", 1935, FALSE,
      FALSE, NULL, "app?auth=secret&flag", NULL, FALSE,
      "rtmp://host/app?auth=secret&flag",
      "rtmp://host/app?auth=<redacted>&<redacted>" },
  { "rtmp://host/app?auth=secret#stream", RTMP_SCHEME_RTMP, "host", 1935, FALSE,
      FALSE, NULL, "app?auth=secret", "stream", TRUE,
      "rtmp://host/app?auth=secret",
      "rtmp://host/app?auth=<redacted>#<redacted>" },

  /* percent-decoding: path segments and fragment, not the query */
  { "rtmp://host/live/my%20stream", RTMP_SCHEME_RTMP, "host", 1935, FALSE,
      FALSE, NULL, "live", "my stream", FALSE, "rtmp://host/live",
      "rtmp://host/live/<redacted>" },
  { "rtmp://host/my%20app/s?q=a%26b", RTMP_SCHEME_RTMP, "host", 1935, FALSE,
      FALSE, NULL, "my app", "s?q=a%26b", FALSE, "rtmp://host/my%20app",
      "rtmp://host/my%20app/<redacted>" },
  { "rtmp://host/live/a b", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, NULL,
      "live", "a b", FALSE, "rtmp://host/live", "rtmp://host/live/<redacted>" },
  { "rtmp://host/%C3%A9t%C3%A9/x", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE,
      NULL, "\xc3\xa9t\xc3\xa9", "x", FALSE, "rtmp://host/%C3%A9t%C3%A9",
      "rtmp://host/%C3%A9t%C3%A9/<redacted>" },
  { "rtmp://host/app#a%23b%20c", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE,
      NULL, "app", "a#b c", TRUE, "rtmp://host/app",
      "rtmp://host/app#<redacted>" },
  { "rtmp://host/app#", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, NULL,
      "app", NULL, FALSE, "rtmp://host/app", "rtmp://host/app" },
  { "rtmp://host#stream", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, NULL,
      "", "stream", TRUE, "rtmp://host", "rtmp://host#<redacted>" },

  /* user info */
  { "rtmp://user:p%40ss@host/live/key", RTMP_SCHEME_RTMP, "host", 1935, FALSE,
      FALSE, "user|p@ss", "live", "key", FALSE, "rtmp://host/live",
      "rtmp://<redacted>@host/live/<redacted>" },
  { "rtmp://token@host:1936/app", RTMP_SCHEME_RTMP, "host", 1936, TRUE, FALSE,
      "token", "app", NULL, FALSE, "rtmp://host:1936/app",
      "rtmp://<redacted>@host:1936/app" },
  { "rtmp://@host/app", RTMP_SCHEME_RTMP, "host", 1935, FALSE, FALSE, "", "app",
      NULL, FALSE, "rtmp://host/app", "rtmp://<redacted>@host/app" },
  { "rtmps://u%C3%A9:x@[::1]:443/a/b", RTMP_SCHEME_RTMPS, "::1", 443, TRUE,
      TRUE, "u\xc3\xa9|x", "a", "b", FALSE, "rtmps://[::1]:443/a",
      "rtmps://<redacted>@[::1]:443/a/<redacted>" },
};

static void
check_good (const GoodUrl *g, const RtmpUrl *url)
{
  g_assert_cmpint (url->scheme, ==, g->scheme);
  g_assert_cmpstr (url->host, ==, g->host);
  g_assert_cmpuint (url->port, ==, g->port);
  g_assert_cmpint (url->port_given, ==, g->port_given);
  g_assert_cmpint (url->ipv6, ==, g->ipv6);
  if (g->args) {
    g_autofree gchar *args = NULL;

    g_assert_nonnull (url->connect_args);
    args = g_strjoinv ("|", url->connect_args);
    g_assert_cmpstr (args, ==, g->args);
  } else {
    g_assert_null (url->connect_args);
  }
  g_assert_cmpstr (url->app, ==, g->app);
  g_assert_cmpstr (url->stream, ==, g->stream);
  g_assert_cmpint (url->stream_from_fragment, ==, g->from_fragment);
  g_assert_cmpstr (url->tc_url, ==, g->tc_url);
  g_assert_cmpstr (url->redacted, ==, g->redacted);
}

static void
test_good_urls (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (good_urls); i++) {
    const GoodUrl *g = &good_urls[i];
    GError *error = NULL;
    RtmpUrl *url, *copy;

    g_test_message ("%s", g->location);
    url = rtmp_url_parse (g->location, &error);
    g_assert_no_error (error);
    g_assert_nonnull (url);
    check_good (g, url);

    copy = rtmp_url_copy (url);
    rtmp_url_free (url);
    check_good (g, copy);

    /* the redacted form is a URL too, and says no more than it */
    if (g->host) {
      RtmpUrl *again = rtmp_url_parse (copy->redacted, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (again->host, ==, copy->host);
      g_assert_cmpuint (again->port, ==, copy->port);
      rtmp_url_free (again);
    }
    rtmp_url_free (copy);
  }
}

typedef struct
{
  const gchar *location;
  const gchar *message; /* the whole message, or a fragment with '*' first */
} BadUrl;

static const BadUrl bad_urls[] = {
  /* ports */
  { "rtmpe://host:99999/app",
      "rtmpe://host:99999/app: port 99999 out of "
      "range (1-65535)" },
  { "rtmp://host:65536/live/key",
      "rtmp://host:65536/live/<redacted>: port 65536 out of range (1-65535)" },
  { "rtmp://host:0/app", "rtmp://host:0/app: port 0 out of range (1-65535)" },
  { "rtmp://host:99999999999999999999/app",
      "*port 99999999999999999999 out "
      "of range" },
  { "rtmp://host:abc/live/key",
      "rtmp://host:abc/live/<redacted>: port 'abc' is not a number" },
  { "rtmp://host:-1/app", "*port '-1' is not a number" },
  { "rtmp://[::1]:x/app", "*port 'x' is not a number" },
  /* schemes */
  { "rtmpt://host/app",
      "rtmpt://host/app: scheme rtmpt (RTMP tunnelled over "
      "HTTP) is not supported; use rtmp, rtmpe or rtmps" },
  { "rtmpte://host/app/key",
      "*scheme rtmpte (RTMP tunnelled over HTTP) is "
      "not supported" },
  { "RTMPTS://host/app", "*scheme rtmpts (RTMP tunnelled over HTTP)" },
  { "http://host/app", "*scheme http is not one of rtmp, rtmpe, rtmps, rtmfp" },
  { "host/live/key",
      "<redacted>: no scheme (expected rtmp://, rtmpe://, "
      "rtmps:// or rtmfp://)" },
  { "", "*<redacted>: no scheme" },
  { "://host/app", "*no scheme" },
  { "1rtmp://host/app", "*no scheme" },
  { "rtmp",
      "<redacted>: no scheme (expected rtmp://, rtmpe://, rtmps:// or "
      "rtmfp://)" },
  { "rt_mp://host/app", "*no scheme" },
  { "r+t-m.p://host/app", "*scheme r+t-m.p is not one of" },
  { "averyveryverylongscheme://host/app",
      "*scheme averyveryverylo is not "
      "one of" },
  /* hosts */
  { "rtmps://9:x@x@[:43/a",
      "rtmps://<redacted>@[:43/a: user info has an "
      "'@'; write it %40 (RFC 3986 3.2.1)" },
  { "rtmp://user:p@ss@host/live/key", "*user info has an '@'" },
  { "rtmp://", "rtmp://: no host" },
  { "rtmp:///app", "rtmp:///app: no host" },
  { "rtmp://user:pw@/app/key", "rtmp://<redacted>@/app/<redacted>: no host" },
  { "rtmp:host/app", "rtmp:<redacted>: no host (expected rtmp://host/...)" },
  { "rtmfp:host",
      "rtmfp:<redacted>: no host (expected rtmfp://host/..., or "
      "the bare rtmfp:)" },
  { "rtmfp:#x", "*no host (expected rtmfp://" },
  { "rtmp://ho st/app",
      "rtmp://ho st/app: host 'ho st' has a character a "
      "host name cannot" },
  { "rtmp://h%2Fx/app", "*host 'h/x' has a character a host name cannot" },
  { "rtmp://h%3aF8/app", "*host 'h:F8' has a character a host name cannot" },
  { "rtmp://::1/app", "*an IPv6 address goes in brackets" },
  { "rtmp://[::1/app", "*bad host" },
  { "rtmp://[::1]x/app", "*bad host" },
  { "rtmp://[fe80::1%eth0]/app", "*bad host" },
  { "rtmp://[fe80::1%25a%25b]/app",
      "rtmp://[fe80::1%25a%25b]/app: IPv6 zone "
      "'a%b' is not an interface name" },
  { "rtmp://[fe80::1%25a:b]/app", "*IPv6 zone 'a:b' is not" },
  { "rtmp://[v1.fe]/app", "*bad host" },
  /* percent-encoding and characters */
  { "rtmp://host/live/%zz",
      "rtmp://host/live/<redacted>: path has a bad "
      "percent-encoding or character" },
  { "rtmp://host/a%00b/key",
      "rtmp://host/a%00b/<redacted>: path (the "
      "application) has a bad percent-encoding or "
      "character" },
  { "rtmp://host/live/a%00b",
      "rtmp://host/live/<redacted>: path (the stream) "
      "has a bad percent-encoding or character" },
  { "rtmp://host/live/%FF%FE", "*path (the stream) has a bad" },
  { "rtmp://host/live/a%0Ab", "*path (the stream) has a bad" },
  { "rtmp://host/app#a%00b",
      "rtmp://host/app#<redacted>: fragment (the "
      "stream) has a bad percent-encoding or character" },
  { "rtmp://host/app#%zz", "*fragment has a bad percent-encoding" },
  { "rtmp://host/app?x=%zz",
      "rtmp://host/app?x=<redacted>: query has a bad "
      "percent-encoding or character" },
  { "rtmp://us%zz:secret@host/app",
      "rtmp://<redacted>@host/app: user info has "
      "a bad percent-encoding or character" },
  { "rtmp://a:b%00c@host/app",
      "rtmp://<redacted>@host/app: user info: connect "
      "argument 2 has a bad percent-encoding or "
      "character" },
  { "rtmp://host/live/k\tey",
      "rtmp://host/live/<redacted>: control character "
      "0x09 at offset 18" },
  { "rtmp://host/a\x7f/key",
      "rtmp://host/a?/<redacted>: control character "
      "0x7f at offset 13" },
};

static void
test_bad_urls (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_urls); i++) {
    const BadUrl *b = &bad_urls[i];
    GError *error = NULL;
    RtmpUrl *url;

    g_test_message ("%s", b->location);
    url = rtmp_url_parse (b->location, &error);
    g_assert_null (url);
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL);
    if (b->message[0] == '*') {
      if (!strstr (error->message, b->message + 1))
        g_error ("'%s': '%s' does not say '%s'", b->location, error->message,
            b->message + 1);
    } else {
      g_assert_cmpstr (error->message, ==, b->message);
    }
    /* no secret in any message */
    g_assert_null (strstr (error->message, "secret"));
    g_assert_null (strstr (error->message, "pw@"));
    g_clear_error (&error);
  }
}

static void
test_too_long (void)
{
  GString *s = g_string_new ("rtmp://host/live/");
  GError *error = NULL;
  RtmpUrl *url;

  while (s->len < RTMP_URL_MAX_LENGTH)
    g_string_append_c (s, 'k');
  url = rtmp_url_parse (s->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (url->stream), ==, RTMP_URL_MAX_LENGTH - 17);
  rtmp_url_free (url);

  g_string_append_c (s, 'k');
  g_assert_null (rtmp_url_parse (s->str, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_BAD_URL);
  g_assert_cmpstr (error->message, ==,
      "URL: 65536 bytes, longer than the 65535 an AMF0 string holds");
  g_clear_error (&error);
  g_string_free (s, TRUE);
}

static void
test_overrides (void)
{
  RtmpUrl *url = rtmp_url_parse ("rtmp://u:p@host:1936/live/key?t=1", NULL);

  g_assert_nonnull (url);
  rtmp_url_set_app (url, "other/inst");
  g_assert_cmpstr (url->app, ==, "other/inst");
  g_assert_cmpstr (url->tc_url, ==, "rtmp://host:1936/other/inst");
  g_assert_cmpstr (url->stream, ==, "key?t=1");
  g_assert_cmpstr (
      url->redacted, ==, "rtmp://<redacted>@host:1936/other/inst/<redacted>");

  rtmp_url_set_app (url, "my app?auth=a b&x=%41");
  g_assert_cmpstr (url->app, ==, "my app?auth=a b&x=%41");
  g_assert_cmpstr (
      url->tc_url, ==, "rtmp://host:1936/my%20app?auth=a%20b&x=%41");
  g_assert_cmpstr (url->redacted, ==,
      "rtmp://<redacted>@host:1936/my%20app?auth=<redacted>&x=<redacted>/"
      "<redacted>");

  /* a lone '%' cannot stay as it is in tcUrl */
  rtmp_url_set_app (url, "a?x=100%&y=%zz&z=%4");
  g_assert_cmpstr (
      url->tc_url, ==, "rtmp://host:1936/a?x=100%25&y=%25zz&z=%254");

  rtmp_url_set_app (url, "my app?auth=a b&x=%41");
  rtmp_url_set_stream (url, NULL);
  g_assert_null (url->stream);
  g_assert_cmpstr (url->redacted, ==,
      "rtmp://<redacted>@host:1936/my%20app?auth=<redacted>&x=<redacted>");

  rtmp_url_set_stream (url, "mp4:film.mp4");
  g_assert_cmpstr (url->stream, ==, "mp4:film.mp4");
  g_assert_cmpstr (
      url->tc_url, ==, "rtmp://host:1936/my%20app?auth=a%20b&x=%41");
  rtmp_url_free (url);

  /* a stream given in the fragment stays a fragment when replaced */
  url = rtmp_url_parse ("rtmp://host/a/b#s", NULL);
  rtmp_url_set_stream (url, "t");
  g_assert_cmpstr (url->redacted, ==, "rtmp://host/a/b#<redacted>");
  g_assert_cmpstr (url->tc_url, ==, "rtmp://host/a/b");
  rtmp_url_free (url);

  /* an app for a URL that had none */
  url = rtmp_url_parse ("rtmps://host", NULL);
  rtmp_url_set_app (url, "live");
  g_assert_cmpstr (url->tc_url, ==, "rtmps://host/live");
  rtmp_url_free (url);

  /* the bare rtmfp: has no tcUrl to rebuild */
  url = rtmp_url_parse ("rtmfp:", NULL);
  rtmp_url_set_app (url, "x");
  rtmp_url_set_stream (url, "y");
  g_assert_null (url->tc_url);
  g_assert_cmpstr (url->redacted, ==, "rtmfp:");
  rtmp_url_free (url);
}

static void
test_redact_query (void)
{
  const gchar *cases[][2] = {
    { "", "" },
    { "key=abc", "key=<redacted>" },
    { "a=1&b=2", "a=<redacted>&b=<redacted>" },
    { "flag", "<redacted>" },
    { "a=1&&b", "a=<redacted>&&<redacted>" },
    { "a=", "a=<redacted>" },
    { "=x", "=<redacted>" },
    { "a=b=c", "a=<redacted>" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *r = rtmp_url_redact_query (cases[i][0]);

    g_assert_cmpstr (r, ==, cases[i][1]);
    g_free (r);
  }
}

static void
test_schemes (void)
{
  g_assert_cmpstr (rtmp_scheme_to_string (RTMP_SCHEME_RTMP), ==, "rtmp");
  g_assert_cmpstr (rtmp_scheme_to_string (RTMP_SCHEME_RTMPE), ==, "rtmpe");
  g_assert_cmpstr (rtmp_scheme_to_string (RTMP_SCHEME_RTMPS), ==, "rtmps");
  g_assert_cmpstr (rtmp_scheme_to_string (RTMP_SCHEME_RTMFP), ==, "rtmfp");
  g_assert_cmpuint (rtmp_scheme_default_port (RTMP_SCHEME_RTMP), ==, 1935);
  g_assert_cmpuint (rtmp_scheme_default_port (RTMP_SCHEME_RTMPE), ==, 1935);
  g_assert_cmpuint (rtmp_scheme_default_port (RTMP_SCHEME_RTMPS), ==, 443);
  g_assert_cmpuint (rtmp_scheme_default_port (RTMP_SCHEME_RTMFP), ==, 1935);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/url/good", test_good_urls);
  g_test_add_func ("/url/bad", test_bad_urls);
  g_test_add_func ("/url/too-long", test_too_long);
  g_test_add_func ("/url/overrides", test_overrides);
  g_test_add_func ("/url/redact-query", test_redact_query);
  g_test_add_func ("/url/schemes", test_schemes);

  return g_test_run ();
}

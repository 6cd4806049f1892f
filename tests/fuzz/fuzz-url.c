/* gst-rtmpe: libFuzzer target for gst/rtmp/rtmpurl: parse the input as a
 * URL; when it parses, check what must hold of the result (tcUrl and the
 * redacted form are URLs of the same server, secrets are hidden) and that
 * copies and overrides keep it consistent.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "rtmpurl.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check (gboolean ok)
{
  if (!ok)
    abort ();
}

static void
same_server (const RtmpUrl *a, const gchar *location)
{
  RtmpUrl *b = rtmp_url_parse (location, NULL);

  check (b != NULL);
  check (b->scheme == a->scheme);
  check (g_strcmp0 (b->host, a->host) == 0 || (a->ipv6 && b->ipv6));
  check (b->port == a->port);
  rtmp_url_free (b);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  gchar *text = g_strndup ((const gchar *) data, size);
  GError *error = NULL;
  RtmpUrl *url = rtmp_url_parse (text, &error), *copy;
  gchar *q;

  q = rtmp_url_redact_query (text);
  g_free (q);

  if (!url) {
    check (error != NULL && error->message[0] != '\0');
    g_error_free (error);
    g_free (text);
    return 0;
  }
  check (error == NULL);
  check (url->app != NULL && url->redacted != NULL);
  check (g_utf8_validate (url->app, -1, NULL));
  check (!url->stream || g_utf8_validate (url->stream, -1, NULL));

  if (url->host) {
    check (url->tc_url != NULL && url->port != 0);
    check (!strchr (url->tc_url, '#'));
    same_server (url, url->tc_url);
    same_server (url, url->redacted);
    if (url->stream || url->connect_args)
      check (strstr (url->redacted, "<redacted>") != NULL);
  }

  copy = rtmp_url_copy (url);
  check (g_strcmp0 (copy->redacted, url->redacted) == 0);
  rtmp_url_set_app (copy, url->app);
  rtmp_url_set_stream (copy, url->stream);
  check (g_strcmp0 (copy->app, url->app) == 0);
  check (g_strcmp0 (copy->stream, url->stream) == 0);
  if (copy->host)
    same_server (url, copy->tc_url);
  rtmp_url_free (copy);

  rtmp_url_free (url);
  g_free (text);
  return 0;
}

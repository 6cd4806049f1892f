/* gst-rtmpe: turning what went wrong into errors a user understands
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstrtmpeerror.h"
#include "rtmperror.h"

#include <gio/gio.h>

void
gst_rtmpe_post_error (GstElement *element, const GError *error,
    const gchar *code, const gchar *location, gboolean writing)
{
  GQuark domain = GST_RESOURCE_ERROR;
  gint gcode =
      writing ? GST_RESOURCE_ERROR_OPEN_WRITE : GST_RESOURCE_ERROR_OPEN_READ;
  const gchar *text;
  gchar *debug;

  if (code) {
    if (g_str_equal (code, "NetStream.Play.StreamNotFound")) {
      gcode = GST_RESOURCE_ERROR_NOT_FOUND;
      text = "The server has no stream of that name";
    } else if (g_str_equal (code, "NetStream.Publish.BadName")) {
      gcode = GST_RESOURCE_ERROR_BUSY;
      text = "The server refused the stream name (already being published?)";
    } else if (g_str_has_prefix (code, "NetConnection.Connect.")) {
      gcode = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      text = "The server refused the connection";
    } else if (g_str_has_suffix (code, ".Denied") ||
        g_str_has_suffix (code, ".Rejected")) {
      gcode = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      text = writing ? "The server refused to take the stream" :
                       "The server refused to play the stream";
    } else {
      gcode = GST_RESOURCE_ERROR_FAILED;
      text = writing ? "The server refused to take the stream" :
                       "The server refused to play the stream";
    }
  } else if (error->domain == G_RESOLVER_ERROR) {
    gcode = GST_RESOURCE_ERROR_NOT_FOUND;
    text = "Could not resolve the server's host name";
  } else if (error->domain == G_TLS_ERROR) {
    if (error->code == G_TLS_ERROR_BAD_CERTIFICATE) {
      gcode = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      text = "The server's TLS certificate was not accepted";
    } else {
      text = "The TLS connection to the server failed";
    }
  } else if (error->domain == G_IO_ERROR) {
    switch (error->code) {
      case G_IO_ERROR_CONNECTION_REFUSED:
        text = "Could not connect to the server (connection refused)";
        break;
      case G_IO_ERROR_TIMED_OUT:
        text = "The server did not answer in time";
        break;
      case G_IO_ERROR_HOST_UNREACHABLE:
      case G_IO_ERROR_NETWORK_UNREACHABLE:
        text = "The server cannot be reached";
        break;
      default:
        gcode = writing ? GST_RESOURCE_ERROR_WRITE : GST_RESOURCE_ERROR_READ;
        text = "The connection to the server was lost";
        break;
    }
  } else if (error->domain == RTMP_ERROR) {
    switch (error->code) {
      case RTMP_ERROR_HANDSHAKE:
      case RTMP_ERROR_CRYPTO:
        text = "The RTMP handshake with the server failed";
        break;
      case RTMP_ERROR_BAD_URL:
        gcode = GST_RESOURCE_ERROR_SETTINGS;
        text = "The location is not a usable RTMP URL";
        break;
      default:
        domain = GST_STREAM_ERROR;
        gcode = GST_STREAM_ERROR_DECODE;
        text = "The server sent data that breaks the RTMP protocol";
        break;
    }
  } else {
    gcode = GST_RESOURCE_ERROR_FAILED;
    text = "RTMP failed";
  }

  debug = g_strdup_printf ("%s%s%s%s%s", location ? location : "",
      location ? ": " : "", error->message, code ? " (server status " : "",
      code ? code : "");
  if (code) {
    gchar *d = g_strconcat (debug, ")", NULL);

    g_free (debug);
    debug = d;
  }
  gst_element_message_full (element, GST_MESSAGE_ERROR, domain, gcode,
      g_strdup (text), debug, __FILE__, G_STRFUNC, __LINE__);
}

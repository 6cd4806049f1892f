/* gst-rtmfp: the rtmfp plugin
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstrtmfpsink.h"
#include "gstrtmfpsrc.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ok = FALSE;

  ok |= GST_ELEMENT_REGISTER (rtmfpsrc, plugin);
  ok |= GST_ELEMENT_REGISTER (rtmfpsink, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtmfp,
    "RTMFP (RFC 7016, Flash profile): play and publish through a server, "
    "directly between peers, or be the server",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)

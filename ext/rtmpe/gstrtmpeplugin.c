/* gst-rtmpe: the rtmpe plugin
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstrtmpesrc.h"
#include "gstrtmpesink.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ok = FALSE;

  ok |= GST_ELEMENT_REGISTER (rtmpesrc, plugin);
  ok |= GST_ELEMENT_REGISTER (rtmpesink, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtmpe,
    "RTMP, RTMPE and RTMPS: play and publish, as a client or a server",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)

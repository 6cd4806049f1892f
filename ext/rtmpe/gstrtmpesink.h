/* gst-rtmpe: rtmpesink
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_RTMPE_SINK_H__
#define __GST_RTMPE_SINK_H__

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_RTMPE_SINK (gst_rtmpe_sink_get_type ())
G_DECLARE_FINAL_TYPE (
    GstRtmpeSink, gst_rtmpe_sink, GST, RTMPE_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (rtmpesink);

G_END_DECLS

#endif

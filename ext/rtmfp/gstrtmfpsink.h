/* gst-rtmfp: rtmfpsink
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_RTMFP_SINK_H__
#define __GST_RTMFP_SINK_H__

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

#include "gstrtmfpengine.h"
#include "gstrtmfpsettings.h"

G_BEGIN_DECLS

#define GST_TYPE_RTMFP_SINK (gst_rtmfp_sink_get_type ())
G_DECLARE_FINAL_TYPE (
    GstRtmfpSink, gst_rtmfp_sink, GST, RTMFP_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (rtmfpsink);

G_END_DECLS

#endif

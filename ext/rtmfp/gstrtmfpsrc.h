/* gst-rtmfp: rtmfpsrc
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_RTMFP_SRC_H__
#define __GST_RTMFP_SRC_H__

#include <gst/base/gstpushsrc.h>
#include <gst/gst.h>

#include "gstrtmfpengine.h"
#include "gstrtmfpsettings.h"

G_BEGIN_DECLS

#define GST_TYPE_RTMFP_SRC (gst_rtmfp_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRtmfpSrc, gst_rtmfp_src, GST, RTMFP_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (rtmfpsrc);

G_END_DECLS

#endif

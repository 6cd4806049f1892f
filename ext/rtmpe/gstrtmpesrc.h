/* gst-rtmpe: rtmpesrc
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_RTMPE_SRC_H__
#define __GST_RTMPE_SRC_H__

#include <gst/base/gstpushsrc.h>

#include "gstrtmpesettings.h"
#include "gstrtmpeclient.h"
#include "flvout.h"

G_BEGIN_DECLS

#define GST_TYPE_RTMPE_SRC (gst_rtmpe_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRtmpeSrc, gst_rtmpe_src, GST, RTMPE_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (rtmpesrc);

G_END_DECLS

#endif

/* gst-rtmpe: the FLV layer's debug category (private to gst/flv)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __FLV_DEBUG_H__
#define __FLV_DEBUG_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (rtmpe_flv_debug);
#define GST_CAT_DEFAULT rtmpe_flv_debug

/* Creates "rtmpe-flv" on first use; every public entry point that logs
 * calls it. */
void flv_debug_init (void);

G_END_DECLS

#endif

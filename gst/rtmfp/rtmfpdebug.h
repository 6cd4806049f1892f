/* gst-rtmfp: debug categories rtmfp-packet, rtmfp-session, rtmfp-flow
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMFP_DEBUG_H__
#define __RTMFP_DEBUG_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (rtmfp_packet_debug);
GST_DEBUG_CATEGORY_EXTERN (rtmfp_session_debug);
GST_DEBUG_CATEGORY_EXTERN (rtmfp_flow_debug);

/* Registers the categories once; every entry point calls it. */
void rtmfp_debug_init (void);

G_END_DECLS

#endif

/* gst-rtmfp: debug categories
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfpdebug.h"

GST_DEBUG_CATEGORY (rtmfp_packet_debug);
GST_DEBUG_CATEGORY (rtmfp_session_debug);
GST_DEBUG_CATEGORY (rtmfp_flow_debug);

void
rtmfp_debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmfp_packet_debug, "rtmfp-packet", 0,
        "RTMFP datagrams, packets and chunks");
    GST_DEBUG_CATEGORY_INIT (rtmfp_session_debug, "rtmfp-session", 0,
        "RTMFP sessions: startup, keying, congestion, close");
    GST_DEBUG_CATEGORY_INIT (rtmfp_flow_debug, "rtmfp-flow", 0,
        "RTMFP flows: messages, fragments, acknowledgements");
    g_once_init_leave (&once, 1);
  }
}

/* gst-rtmfp: RTMP messages over flows, the Flash profile's "TC" mapping
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * flow metadata = 'T' 'C' flags VLU(stream ID); flags 0x04: stream ID
 * present (required), 0x01: deliver in network order.
 * flow message = type(u8) timestamp(u32 BE) payload
 */
#ifndef __RTMFP_TC_H__
#define __RTMFP_TC_H__

#include "rtmfp.h"
#include "rtmpmessage.h"

G_BEGIN_DECLS

#define RTMFP_TC_FLAG_STREAM_ID 0x04
#define RTMFP_TC_FLAG_NETWORK_ORDER 0x01
/* librtmfp's direct-P2P NetStream IDs start here */
#define RTMFP_TC_P2P_STREAM_BASE 2000000

GBytes *rtmfp_tc_metadata_new (guint32 stream_id, gboolean network_order);
/* FALSE unless TC metadata with a stream ID. */
gboolean rtmfp_tc_metadata_parse (
    const guint8 *p, gsize len, guint32 *stream_id, gboolean *network_order);
/* The flow message for @msg: a 5-byte header memory, then the payload's
 * memories (shared, not copied). */
GstBuffer *rtmfp_tc_message_encode (const RtmpMessage *msg);
/* The RTMP message in a flow message; the payload is a sub-buffer. NULL if
 * shorter than the 5-byte header. */
RtmpMessage *rtmfp_tc_message_decode (GstBuffer *data, guint32 stream_id);

/* Convenience on an endpoint: a TC flow and RTMP messages on it. */
gboolean rtmfp_endpoint_open_tc_flow (RtmfpEndpoint *ep, guint32 session,
    guint32 stream_id, gboolean has_association, guint64 association,
    guint64 *flow, GError **error);
gboolean rtmfp_endpoint_send_rtmp (RtmfpEndpoint *ep, guint64 now,
    guint32 session, guint64 flow, const RtmpMessage *msg, guint64 deadline,
    guint64 *message_id, GError **error);

G_END_DECLS

#endif

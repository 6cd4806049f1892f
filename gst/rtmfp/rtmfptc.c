/* gst-rtmfp: RTMP messages over flows
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfptc.h"
#include "rtmfpwire.h"

GBytes *
rtmfp_tc_metadata_new (guint32 stream_id, gboolean network_order)
{
  GByteArray *b = g_byte_array_new ();

  rtmfp_put_u8 (b, 'T');
  rtmfp_put_u8 (b, 'C');
  rtmfp_put_u8 (b,
      RTMFP_TC_FLAG_STREAM_ID |
          (network_order ? RTMFP_TC_FLAG_NETWORK_ORDER : 0));
  rtmfp_put_vlu (b, stream_id);
  return g_byte_array_free_to_bytes (b);
}

gboolean
rtmfp_tc_metadata_parse (
    const guint8 *p, gsize len, guint32 *stream_id, gboolean *network_order)
{
  RtmfpReader r;
  guint64 sid;

  if (len < 4 || p[0] != 'T' || p[1] != 'C' ||
      !(p[2] & RTMFP_TC_FLAG_STREAM_ID))
    return FALSE;
  rtmfp_reader_init (&r, p + 3, len - 3);
  if (!rtmfp_reader_vlu (&r, &sid) || sid > G_MAXUINT32)
    return FALSE;
  *stream_id = sid;
  if (network_order)
    *network_order = (p[2] & RTMFP_TC_FLAG_NETWORK_ORDER) != 0;
  return TRUE;
}

GstBuffer *
rtmfp_tc_message_encode (const RtmpMessage *msg)
{
  guint8 *h = g_malloc (5);
  GstBuffer *b;

  h[0] = msg->type;
  h[1] = msg->timestamp >> 24;
  h[2] = msg->timestamp >> 16;
  h[3] = msg->timestamp >> 8;
  h[4] = msg->timestamp;
  b = gst_buffer_new_wrapped (h, 5);
  if (msg->payload && gst_buffer_get_size (msg->payload) > 0)
    b = gst_buffer_append (b, gst_buffer_ref (msg->payload));
  return b;
}

RtmpMessage *
rtmfp_tc_message_decode (GstBuffer *data, guint32 stream_id)
{
  guint8 h[5];
  gsize size = gst_buffer_get_size (data);
  GstBuffer *payload;

  if (size < 5 || gst_buffer_extract (data, 0, h, 5) != 5)
    return NULL;
  payload = gst_buffer_copy_region (data, GST_BUFFER_COPY_MEMORY, 5, size - 5);
  return rtmp_message_new (h[0],
      ((guint32) h[1] << 24) | ((guint32) h[2] << 16) | ((guint32) h[3] << 8) |
          h[4],
      stream_id, payload);
}

gboolean
rtmfp_endpoint_open_tc_flow (RtmfpEndpoint *ep, guint32 session,
    guint32 stream_id, gboolean has_association, guint64 association,
    guint64 *flow, GError **error)
{
  GBytes *md = rtmfp_tc_metadata_new (stream_id, FALSE);
  gsize len;
  const guint8 *p = g_bytes_get_data (md, &len);
  gboolean ok = rtmfp_endpoint_open_flow (
      ep, session, p, len, has_association, association, flow, error);

  g_bytes_unref (md);
  return ok;
}

gboolean
rtmfp_endpoint_send_rtmp (RtmfpEndpoint *ep, guint64 now, guint32 session,
    guint64 flow, const RtmpMessage *msg, guint64 deadline, guint64 *message_id,
    GError **error)
{
  GstBuffer *b = rtmfp_tc_message_encode (msg);
  gboolean ok = rtmfp_endpoint_send (
      ep, now, session, flow, b, deadline, message_id, error);

  gst_buffer_unref (b);
  return ok;
}

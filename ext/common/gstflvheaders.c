/* gst-rtmpe: the headers of a published FLV stream
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstflvheaders.h"
#include "flvinfo.h"
#include "flvparser.h"

void
gst_flv_headers_clear (GstFlvHeaders *h)
{
  for (guint i = 0; i < GST_FLV_N_HEADERS; i++) {
    g_clear_pointer (&h->msg[i], rtmp_message_free);
    h->sent[i] = FALSE;
  }
}

gint
gst_flv_headers_slot (const RtmpMessage *msg)
{
  FlvTagInfo info;

  if (msg->type == RTMP_MESSAGE_TYPE_DATA_AMF0) {
    gchar *name = flv_data_get_name (msg->payload);
    gboolean meta = g_strcmp0 (name, "onMetaData") == 0 ||
        g_strcmp0 (name, "@setDataFrame") == 0;

    g_free (name);
    return meta ? GST_FLV_HEADER_META : -1;
  }
  if ((msg->type == RTMP_MESSAGE_TYPE_AUDIO ||
          msg->type == RTMP_MESSAGE_TYPE_VIDEO) &&
      flv_tag_info_parse_buffer (msg->type, msg->payload, &info, NULL) &&
      info.kind == FLV_PACKET_CONFIG)
    return msg->type == RTMP_MESSAGE_TYPE_AUDIO ? GST_FLV_HEADER_AUDIO :
                                                  GST_FLV_HEADER_VIDEO;
  return -1;
}

gboolean
gst_flv_headers_store (GstFlvHeaders *h, gint slot, const RtmpMessage *msg)
{
  RtmpMessage *old = h->msg[slot];

  if (old && h->sent[slot] &&
      gst_buffer_get_size (old->payload) ==
          gst_buffer_get_size (msg->payload)) {
    GstMapInfo map;
    gboolean same;

    gst_buffer_map (old->payload, &map, GST_MAP_READ);
    same = gst_buffer_memcmp (msg->payload, 0, map.data, map.size) == 0;
    gst_buffer_unmap (old->payload, &map);
    if (same)
      return FALSE;
  }
  g_clear_pointer (&h->msg[slot], rtmp_message_free);
  h->msg[slot] = rtmp_message_new (
      msg->type, msg->timestamp, 0, gst_buffer_ref (msg->payload));
  h->sent[slot] = FALSE;
  return TRUE;
}

GPtrArray *
gst_flv_headers_list (GstFlvHeaders *h)
{
  GPtrArray *list = g_ptr_array_new ();

  for (guint i = 0; i < GST_FLV_N_HEADERS; i++)
    if (h->msg[i])
      g_ptr_array_add (list, h->msg[i]);
  return list;
}

gboolean
gst_flv_headers_from_caps (GstFlvHeaders *h, GstCaps *caps)
{
  const GValue *sh;
  FlvParser *p;
  RtmpMessage *msg;
  gboolean learnt = FALSE;

  sh = gst_structure_get_value (
      gst_caps_get_structure (caps, 0), "streamheader");
  if (!sh || !GST_VALUE_HOLDS_ARRAY (sh))
    return FALSE;
  /* the streamheader is an FLV stream of its own: header, metadata, codec
   * configuration */
  p = flv_parser_new ();
  for (guint i = 0; i < gst_value_array_get_size (sh); i++) {
    const GValue *v = gst_value_array_get_value (sh, i);

    if (G_VALUE_HOLDS (v, GST_TYPE_BUFFER))
      flv_parser_push (p, gst_buffer_ref (gst_value_get_buffer (v)));
  }
  while ((msg = flv_parser_pop (p, NULL))) {
    gint slot = gst_flv_headers_slot (msg);

    if (slot >= 0 && !h->msg[slot]) {
      gst_flv_headers_store (h, slot, msg);
      learnt = TRUE;
    }
    rtmp_message_free (msg);
  }
  flv_parser_free (p);
  return learnt;
}

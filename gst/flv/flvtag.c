/* gst-rtmpe: FLV file header and tags <-> RTMP messages; aggregate messages
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "flvtag.h"

#include <string.h>

#include "flvdebug.h"
#include "rtmpbytes.h"
#include "rtmperror.h"
#include "rtmplimits.h"

GST_DEBUG_CATEGORY (rtmpe_flv_debug);

void
flv_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (rtmpe_flv_debug, "rtmpe-flv", 0,
        "FLV tags, RTMP media messages, aggregate messages");
    g_once_init_leave (&done, 1);
  }
}

/* The AMF0 string "@setDataFrame": marker 0x02, length 13, the bytes. */
static const guint8 set_data_frame[] = { 0x02, 0x00, 0x0d, '@', 's', 'e', 't',
  'D', 'a', 't', 'a', 'F', 'r', 'a', 'm', 'e' };

GstBuffer *
flv_header_new (gboolean has_audio, gboolean has_video)
{
  guint8 bytes[FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE_SIZE] = { 'F', 'L', 'V',
    1, 0, 0, 0, 0, FLV_HEADER_SIZE, 0, 0, 0, 0 };
  GstBuffer *buf;

  bytes[4] = (has_audio ? 0x04 : 0) | (has_video ? 0x01 : 0);
  buf = gst_buffer_new_memdup (bytes, sizeof (bytes));
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_HEADER);
  return buf;
}

gboolean
flv_header_parse (
    const guint8 *data, gsize size, FlvHeader *header, GError **error)
{
  flv_debug_init ();

  if (size < FLV_HEADER_SIZE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
        "FLV header: needs %d bytes, %" G_GSIZE_FORMAT " given",
        FLV_HEADER_SIZE, size);
    return FALSE;
  }
  if (memcmp (data, "FLV", 3) != 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "FLV header: signature %02x %02x %02x is not 'FLV'", data[0], data[1],
        data[2]);
    return FALSE;
  }
  header->version = data[3];
  header->has_audio = (data[4] & 0x04) != 0;
  header->has_video = (data[4] & 0x01) != 0;
  header->data_offset = rtmp_read_u32_be (data + 5);
  if (header->data_offset < FLV_HEADER_SIZE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "FLV header: data offset %u is less than the header's %d bytes",
        header->data_offset, FLV_HEADER_SIZE);
    return FALSE;
  }
  if (header->version != 1)
    GST_WARNING ("FLV header: version %u, only 1 is defined", header->version);
  if (data[4] & ~0x05)
    GST_DEBUG ("FLV header: reserved flag bits set (0x%02x)", data[4]);
  return TRUE;
}

void
flv_tag_header_parse (const guint8 *data, FlvTagHeader *header)
{
  header->type = data[0] & 0x1f;
  header->filter = (data[0] & 0x20) != 0;
  header->data_size = rtmp_read_u24_be (data + 1);
  header->timestamp = rtmp_read_u24_be (data + 4) | ((guint32) data[7] << 24);
  header->stream_id = rtmp_read_u24_be (data + 8);
}

void
flv_tag_header_write (
    guint8 *data, guint8 type, guint32 data_size, guint32 timestamp)
{
  g_return_if_fail (data_size <= FLV_MAX_DATA_SIZE);

  data[0] = type;
  rtmp_write_u24_be (data + 1, data_size);
  rtmp_write_u24_be (data + 4, timestamp & 0xffffff);
  data[7] = timestamp >> 24;
  rtmp_write_u24_be (data + 8, 0);
}

static GstMemory *
memory_new_with (const guint8 *bytes, gsize size)
{
  GstMemory *mem = gst_allocator_alloc (NULL, size, NULL);
  GstMapInfo map;

  gst_memory_map (mem, &map, GST_MAP_WRITE);
  memcpy (map.data, bytes, size);
  gst_memory_unmap (mem, &map);
  return mem;
}

GstBuffer *
flv_tag_new (guint8 type, guint32 timestamp, GstBuffer *payload, GError **error)
{
  gsize size = payload ? gst_buffer_get_size (payload) : 0;
  guint8 head[FLV_TAG_HEADER_SIZE], tail[FLV_PREVIOUS_TAG_SIZE_SIZE];
  GstBuffer *tag;

  if (size > FLV_MAX_DATA_SIZE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE,
        "FLV tag: %" G_GSIZE_FORMAT " bytes of data exceed the 24-bit "
        "DataSize field",
        size);
    return NULL;
  }

  flv_tag_header_write (head, type, size, timestamp);
  rtmp_write_u32_be (tail, FLV_TAG_HEADER_SIZE + size);

  tag = gst_buffer_new ();
  gst_buffer_append_memory (tag, memory_new_with (head, sizeof (head)));
  if (size > 0)
    gst_buffer_copy_into (tag, payload, GST_BUFFER_COPY_MEMORY, 0, size);
  gst_buffer_append_memory (tag, memory_new_with (tail, sizeof (tail)));
  return tag;
}

gboolean
flv_tag_type_is_valid (guint8 type)
{
  return type == FLV_TAG_TYPE_AUDIO || type == FLV_TAG_TYPE_VIDEO ||
      type == FLV_TAG_TYPE_SCRIPT;
}

GstBuffer *
flv_tag_from_message (const RtmpMessage *msg, GError **error)
{
  g_return_val_if_fail (msg != NULL, NULL);

  if (!flv_tag_type_is_valid (msg->type)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
        "FLV tag: RTMP message type %u (%s) has no FLV tag; only audio (8), "
        "video (9) and AMF0 data (18) do",
        msg->type, rtmp_message_type_name (msg->type));
    return NULL;
  }
  return flv_tag_new (msg->type, msg->timestamp, msg->payload, error);
}

/* A sub-buffer of @buf sharing its memories; an empty buffer for size 0
 * (gst_buffer_copy_region() refuses an empty region). */
static GstBuffer *
sub_buffer (GstBuffer *buf, gsize offset, gsize size)
{
  if (size == 0)
    return gst_buffer_new ();
  return gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY, offset, size);
}

RtmpMessage *
flv_tag_to_message (GstBuffer *tag, GError **error)
{
  guint8 head[FLV_TAG_HEADER_SIZE], tail[FLV_PREVIOUS_TAG_SIZE_SIZE];
  gsize size, end;
  FlvTagHeader hdr;

  g_return_val_if_fail (GST_IS_BUFFER (tag), NULL);
  flv_debug_init ();

  size = gst_buffer_get_size (tag);
  if (size < FLV_TAG_HEADER_SIZE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
        "FLV tag: %" G_GSIZE_FORMAT " bytes, the header alone needs %d", size,
        FLV_TAG_HEADER_SIZE);
    return NULL;
  }
  gst_buffer_extract (tag, 0, head, sizeof (head));
  flv_tag_header_parse (head, &hdr);

  if (hdr.filter) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
        "FLV tag: encrypted (Filter bit set), cannot be sent over RTMP");
    return NULL;
  }
  if (!flv_tag_type_is_valid (hdr.type)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
        "FLV tag: type %u is not audio (8), video (9) or script data (18)",
        hdr.type);
    return NULL;
  }

  end = FLV_TAG_HEADER_SIZE + (gsize) hdr.data_size;
  if (size < end) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
        "FLV tag: DataSize %u exceeds the %" G_GSIZE_FORMAT " bytes left",
        hdr.data_size, size - FLV_TAG_HEADER_SIZE);
    return NULL;
  }
  if (size == end + FLV_PREVIOUS_TAG_SIZE_SIZE) {
    guint32 prev;

    gst_buffer_extract (tag, end, tail, sizeof (tail));
    prev = rtmp_read_u32_be (tail);
    if (prev != end)
      GST_WARNING (
          "FLV tag: PreviousTagSize %u, expected %" G_GSIZE_FORMAT, prev, end);
  } else if (size != end) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "FLV tag: %" G_GSIZE_FORMAT " bytes after a tag of DataSize %u; "
        "expected none or the 4-byte PreviousTagSize",
        size - end, hdr.data_size);
    return NULL;
  }
  if (hdr.stream_id != 0)
    GST_DEBUG ("FLV tag: StreamID %u, should be 0", hdr.stream_id);

  return rtmp_message_new (hdr.type, hdr.timestamp, hdr.stream_id,
      sub_buffer (tag, FLV_TAG_HEADER_SIZE, hdr.data_size));
}

/* Data messages */

gchar *
flv_data_get_name (GstBuffer *payload)
{
  guint8 head[3];
  gsize size, len;
  gchar *name;

  g_return_val_if_fail (GST_IS_BUFFER (payload), NULL);

  size = gst_buffer_get_size (payload);
  if (gst_buffer_extract (payload, 0, head, 3) < 3 || head[0] != 0x02)
    return NULL;
  len = ((gsize) head[1] << 8) | head[2];
  if (len > size - 3)
    return NULL;
  name = g_malloc (len + 1);
  gst_buffer_extract (payload, 3, name, len);
  name[len] = '\0';
  return name;
}

static gboolean
starts_with_set_data_frame (GstBuffer *payload)
{
  guint8 head[sizeof (set_data_frame)];

  return gst_buffer_extract (payload, 0, head, sizeof (head)) ==
      sizeof (head) &&
      memcmp (head, set_data_frame, sizeof (head)) == 0;
}

GstBuffer *
flv_data_unwrap_set_data_frame (GstBuffer *payload)
{
  g_return_val_if_fail (GST_IS_BUFFER (payload), NULL);

  if (!starts_with_set_data_frame (payload))
    return gst_buffer_ref (payload);
  return sub_buffer (payload, sizeof (set_data_frame),
      gst_buffer_get_size (payload) - sizeof (set_data_frame));
}

GstBuffer *
flv_data_wrap_set_data_frame (GstBuffer *payload)
{
  g_autofree gchar *name = NULL;
  GstBuffer *wrapped;

  g_return_val_if_fail (GST_IS_BUFFER (payload), NULL);

  name = flv_data_get_name (payload);
  if (!name ||
      (strcmp (name, "onMetaData") != 0 &&
          strcmp (name, "|RtmpSampleAccess") != 0))
    return gst_buffer_ref (payload);

  wrapped = gst_buffer_new ();
  gst_buffer_append_memory (
      wrapped, memory_new_with (set_data_frame, sizeof (set_data_frame)));
  gst_buffer_copy_into (wrapped, payload, GST_BUFFER_COPY_MEMORY, 0, -1);
  return wrapped;
}

/* Aggregate messages */

void
flv_aggregate_iter_init (FlvAggregateIter *iter, const RtmpMessage *aggregate)
{
  g_return_if_fail (aggregate != NULL);
  flv_debug_init ();

  memset (iter, 0, sizeof (*iter));
  iter->payload = gst_buffer_ref (aggregate->payload);
  iter->size = gst_buffer_get_size (aggregate->payload);
  iter->timestamp = aggregate->timestamp;
  iter->stream_id = aggregate->stream_id;
  if (aggregate->type != RTMP_MESSAGE_TYPE_AGGREGATE)
    GST_WARNING (
        "splitting a message of type %u as an aggregate", aggregate->type);
}

void
flv_aggregate_iter_clear (FlvAggregateIter *iter)
{
  gst_clear_buffer (&iter->payload);
  iter->offset = iter->size = 0;
}

gboolean
flv_aggregate_iter_next (
    FlvAggregateIter *iter, RtmpMessage **msg, GError **error)
{
  guint8 head[FLV_TAG_HEADER_SIZE], tail[FLV_PREVIOUS_TAG_SIZE_SIZE];
  gsize left, after;
  guint32 type, data_size, timestamp;
  FlvTagHeader hdr;

  *msg = NULL;
  if (!iter->payload || iter->offset >= iter->size)
    return FALSE;

  left = iter->size - iter->offset;
  if (left < FLV_TAG_HEADER_SIZE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
        "aggregate sub-message %u at offset %" G_GSIZE_FORMAT
        ": its header needs %d bytes, %" G_GSIZE_FORMAT " left",
        iter->index, iter->offset, FLV_TAG_HEADER_SIZE, left);
    goto failed;
  }
  gst_buffer_extract (iter->payload, iter->offset, head, sizeof (head));
  flv_tag_header_parse (head, &hdr);
  type = head[0]; /* a whole RTMP message type, not FLV's 5 bits */
  data_size = hdr.data_size;
  timestamp = hdr.timestamp;

  if (data_size > left - FLV_TAG_HEADER_SIZE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
        "aggregate sub-message %u at offset %" G_GSIZE_FORMAT
        ": size %u exceeds the %" G_GSIZE_FORMAT " bytes left",
        iter->index, iter->offset, data_size, left - FLV_TAG_HEADER_SIZE);
    goto failed;
  }
  if (type == RTMP_MESSAGE_TYPE_AGGREGATE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "aggregate sub-message %u at offset %" G_GSIZE_FORMAT
        ": an aggregate inside an aggregate",
        iter->index, iter->offset);
    goto failed;
  }

  after = left - FLV_TAG_HEADER_SIZE - data_size;
  if (after >= FLV_PREVIOUS_TAG_SIZE_SIZE) {
    guint32 back;

    gst_buffer_extract (iter->payload,
        iter->offset + FLV_TAG_HEADER_SIZE + data_size, tail, sizeof (tail));
    back = rtmp_read_u32_be (tail);
    if (back != FLV_TAG_HEADER_SIZE + data_size)
      GST_WARNING ("aggregate sub-message %u: back pointer %u, expected %u",
          iter->index, back, FLV_TAG_HEADER_SIZE + data_size);
    after = FLV_PREVIOUS_TAG_SIZE_SIZE;
  } else if (after == 0) {
    /* the last record without its back pointer: nothing is lost */
    GST_DEBUG ("aggregate sub-message %u: no back pointer", iter->index);
  } else {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
        "aggregate sub-message %u at offset %" G_GSIZE_FORMAT
        ": back pointer needs 4 bytes, %" G_GSIZE_FORMAT " left",
        iter->index, iter->offset, after);
    goto failed;
  }

  if (iter->index == 0)
    iter->first_timestamp = timestamp;

  *msg = rtmp_message_new (type,
      iter->timestamp + (timestamp - iter->first_timestamp), iter->stream_id,
      sub_buffer (
          iter->payload, iter->offset + FLV_TAG_HEADER_SIZE, data_size));
  GST_LOG ("aggregate sub-message %u: %s, %u bytes, timestamp %u -> %u",
      iter->index, rtmp_message_type_name (type), data_size, timestamp,
      (*msg)->timestamp);

  iter->offset += FLV_TAG_HEADER_SIZE + data_size + after;
  iter->index++;
  return TRUE;

failed:
  iter->offset = iter->size;
  return FALSE;
}

GPtrArray *
flv_aggregate_split (const RtmpMessage *aggregate, GError **error)
{
  FlvAggregateIter iter;
  GPtrArray *msgs;
  RtmpMessage *msg;
  GError *err = NULL;

  g_return_val_if_fail (aggregate != NULL, NULL);

  msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  flv_aggregate_iter_init (&iter, aggregate);
  while (flv_aggregate_iter_next (&iter, &msg, &err)) {
    if (msgs->len == FLV_MAX_AGGREGATE_MESSAGES) {
      rtmp_message_free (msg);
      g_set_error (&err, RTMP_ERROR, RTMP_ERROR_TOO_LARGE,
          "aggregate message: more than %d sub-messages",
          FLV_MAX_AGGREGATE_MESSAGES);
      break;
    }
    g_ptr_array_add (msgs, msg);
  }
  flv_aggregate_iter_clear (&iter);

  if (err) {
    g_propagate_error (error, err);
    g_ptr_array_unref (msgs);
    return NULL;
  }
  return msgs;
}

/* gst-rtmpe: protocol control and user control messages
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "rtmpcontrol.h"
#include "rtmpbytes.h"
#include "rtmperror.h"

GST_DEBUG_CATEGORY_STATIC (control_debug);
#define GST_CAT_DEFAULT control_debug

static void
debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (control_debug, "rtmpe-control", 0,
        "RTMP protocol control and user control messages");
    g_once_init_leave (&done, 1);
  }
}

static RtmpMessage *
control_message (guint8 type, const guint8 *body, gsize size)
{
  RtmpMessage *msg;

  debug_init ();
  msg = rtmp_message_new (type, 0, 0, gst_buffer_new_memdup (body, size));
  msg->chunk_stream_id = RTMP_CONTROL_CHUNK_STREAM;
  return msg;
}

static gboolean
parse_message (const RtmpMessage *msg, guint8 type, gpointer out,
    gboolean (*parse) (guint8, const guint8 *, gsize, gpointer, GError **),
    GError **error)
{
  GstMapInfo map;
  gboolean ok;

  g_return_val_if_fail (msg != NULL && msg->payload != NULL, FALSE);

  if (!gst_buffer_map (msg->payload, &map, GST_MAP_READ)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "cannot map the payload of a %s message",
        rtmp_message_type_name (msg->type));
    return FALSE;
  }
  ok = parse (type, map.data, map.size, out, error);
  gst_buffer_unmap (msg->payload, &map);
  return ok;
}

static gboolean
check_size (const gchar *what, gsize size, gsize needed, GError **error)
{
  if (size < needed) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
        "%s message of %" G_GSIZE_FORMAT " bytes: needs %" G_GSIZE_FORMAT, what,
        size, needed);
    return FALSE;
  }
  if (size > needed)
    GST_DEBUG ("%s message: ignoring %" G_GSIZE_FORMAT
               " bytes after the %" G_GSIZE_FORMAT " it needs",
        what, size - needed, needed);
  return TRUE;
}

/* ---- protocol control ---- */

gboolean
rtmp_message_type_is_protocol_control (guint8 type)
{
  return type == RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE ||
      type == RTMP_MESSAGE_TYPE_ABORT ||
      type == RTMP_MESSAGE_TYPE_ACKNOWLEDGEMENT ||
      type == RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE ||
      type == RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH;
}

static RtmpMessage *
u32_message (guint8 type, guint32 value)
{
  guint8 b[4];

  rtmp_write_u32_be (b, value);
  return control_message (type, b, 4);
}

RtmpMessage *
rtmp_control_new_set_chunk_size (guint32 chunk_size)
{
  g_return_val_if_fail (
      chunk_size >= 1 && chunk_size <= RTMP_CHUNK_SIZE_MAX, NULL);
  return u32_message (RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE, chunk_size);
}

RtmpMessage *
rtmp_control_new_abort (guint32 chunk_stream_id)
{
  return u32_message (RTMP_MESSAGE_TYPE_ABORT, chunk_stream_id);
}

RtmpMessage *
rtmp_control_new_acknowledgement (guint32 sequence_number)
{
  return u32_message (RTMP_MESSAGE_TYPE_ACKNOWLEDGEMENT, sequence_number);
}

RtmpMessage *
rtmp_control_new_window_ack_size (guint32 window_size)
{
  return u32_message (RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE, window_size);
}

RtmpMessage *
rtmp_control_new_set_peer_bandwidth (
    guint32 window_size, RtmpLimitType limit_type)
{
  guint8 b[5];

  g_return_val_if_fail (limit_type <= RTMP_LIMIT_DYNAMIC, NULL);
  rtmp_write_u32_be (b, window_size);
  b[4] = limit_type;
  return control_message (RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH, b, 5);
}

static gboolean
parse_control (
    guint8 type, const guint8 *data, gsize size, gpointer out, GError **error)
{
  RtmpProtocolControl *c = out;
  const gchar *what = rtmp_message_type_name (type);

  debug_init ();
  memset (c, 0, sizeof (*c));
  c->type = type;

  if (!rtmp_message_type_is_protocol_control (type)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
        "message type %u (%s) is not a protocol control message", type, what);
    return FALSE;
  }
  if (!check_size (what, size,
          type == RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH ? 5 : 4, error))
    return FALSE;
  c->value = rtmp_read_u32_be (data);

  switch (type) {
    case RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE:
      if (c->value & 0x80000000) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
            "set-chunk-size message: the top bit of 0x%08x must be zero",
            c->value);
        return FALSE;
      }
      if (c->value == 0) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
            "set-chunk-size message: a chunk size of 0");
        return FALSE;
      }
      break;
    case RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH:
      if (data[4] > RTMP_LIMIT_DYNAMIC) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
            "set-peer-bandwidth message: unknown limit type %u at offset 4",
            data[4]);
        return FALSE;
      }
      c->limit_type = data[4];
      break;
    default:
      break;
  }
  GST_LOG ("%s %u", what, c->value);
  return TRUE;
}

gboolean
rtmp_control_parse_payload (guint8 type, const guint8 *data, gsize size,
    RtmpProtocolControl *control, GError **error)
{
  g_return_val_if_fail (control != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  return parse_control (type, data, size, control, error);
}

gboolean
rtmp_control_parse (
    const RtmpMessage *msg, RtmpProtocolControl *control, GError **error)
{
  g_return_val_if_fail (msg != NULL && control != NULL, FALSE);
  return parse_message (msg, msg->type, control, parse_control, error);
}

/* ---- user control ---- */

const gchar *
rtmp_user_control_event_name (guint16 event)
{
  switch (event) {
    case RTMP_USER_CONTROL_STREAM_BEGIN:
      return "StreamBegin";
    case RTMP_USER_CONTROL_STREAM_EOF:
      return "StreamEOF";
    case RTMP_USER_CONTROL_STREAM_DRY:
      return "StreamDry";
    case RTMP_USER_CONTROL_SET_BUFFER_LENGTH:
      return "SetBufferLength";
    case RTMP_USER_CONTROL_STREAM_IS_RECORDED:
      return "StreamIsRecorded";
    case RTMP_USER_CONTROL_PING_REQUEST:
      return "PingRequest";
    case RTMP_USER_CONTROL_PING_RESPONSE:
      return "PingResponse";
    case RTMP_USER_CONTROL_SWF_VERIFY_REQUEST:
      return "SWFVerificationRequest";
    case RTMP_USER_CONTROL_SWF_VERIFY_RESPONSE:
      return "SWFVerificationResponse";
    case RTMP_USER_CONTROL_BUFFER_EMPTY:
      return "BufferEmpty";
    case RTMP_USER_CONTROL_BUFFER_READY:
      return "BufferReady";
    default:
      return "unknown";
  }
}

static RtmpMessage *
user_control (guint16 event, const guint8 *data, gsize size)
{
  guint8 b[2 + 42];

  g_assert (size <= 42);
  b[0] = event >> 8;
  b[1] = event & 0xff;
  if (size)
    memcpy (b + 2, data, size);
  return control_message (RTMP_MESSAGE_TYPE_USER_CONTROL, b, 2 + size);
}

static RtmpMessage *
user_control_u32 (guint16 event, guint32 value)
{
  guint8 b[4];

  rtmp_write_u32_be (b, value);
  return user_control (event, b, 4);
}

RtmpMessage *
rtmp_user_control_new_stream_begin (guint32 stream_id)
{
  return user_control_u32 (RTMP_USER_CONTROL_STREAM_BEGIN, stream_id);
}

RtmpMessage *
rtmp_user_control_new_stream_eof (guint32 stream_id)
{
  return user_control_u32 (RTMP_USER_CONTROL_STREAM_EOF, stream_id);
}

RtmpMessage *
rtmp_user_control_new_stream_dry (guint32 stream_id)
{
  return user_control_u32 (RTMP_USER_CONTROL_STREAM_DRY, stream_id);
}

RtmpMessage *
rtmp_user_control_new_set_buffer_length (
    guint32 stream_id, guint32 buffer_length_ms)
{
  guint8 b[8];

  rtmp_write_u32_be (b, stream_id);
  rtmp_write_u32_be (b + 4, buffer_length_ms);
  return user_control (RTMP_USER_CONTROL_SET_BUFFER_LENGTH, b, 8);
}

RtmpMessage *
rtmp_user_control_new_stream_is_recorded (guint32 stream_id)
{
  return user_control_u32 (RTMP_USER_CONTROL_STREAM_IS_RECORDED, stream_id);
}

RtmpMessage *
rtmp_user_control_new_ping_request (guint32 timestamp)
{
  return user_control_u32 (RTMP_USER_CONTROL_PING_REQUEST, timestamp);
}

RtmpMessage *
rtmp_user_control_new_ping_response (guint32 timestamp)
{
  return user_control_u32 (RTMP_USER_CONTROL_PING_RESPONSE, timestamp);
}

RtmpMessage *
rtmp_user_control_new_swf_verify_request (void)
{
  return user_control (RTMP_USER_CONTROL_SWF_VERIFY_REQUEST, NULL, 0);
}

RtmpMessage *
rtmp_user_control_new_swf_verify_response (
    guint32 swf_size, const guint8 swf_hash[RTMP_SWF_HASH_SIZE])
{
  guint8 b[42];

  g_return_val_if_fail (swf_hash != NULL, NULL);
  b[0] = 1;
  b[1] = 1;
  rtmp_write_u32_be (b + 2, swf_size);
  rtmp_write_u32_be (b + 6, swf_size);
  memcpy (b + 10, swf_hash, RTMP_SWF_HASH_SIZE);
  return user_control (RTMP_USER_CONTROL_SWF_VERIFY_RESPONSE, b, 42);
}

static gboolean
parse_user_control (
    guint8 type, const guint8 *data, gsize size, gpointer out, GError **error)
{
  RtmpUserControl *uc = out;
  const gchar *name;
  const guint8 *d;
  gsize n;

  debug_init ();
  memset (uc, 0, sizeof (*uc));
  if (type != RTMP_MESSAGE_TYPE_USER_CONTROL) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE,
        "message type %u (%s) is not a user control message", type,
        rtmp_message_type_name (type));
    return FALSE;
  }
  if (!check_size ("user-control", size, 2, error))
    return FALSE;
  uc->event = ((guint16) data[0] << 8) | data[1];
  d = data + 2;
  n = uc->data_size = size - 2;
  name = rtmp_user_control_event_name (uc->event);

  switch (uc->event) {
    case RTMP_USER_CONTROL_STREAM_BEGIN:
    case RTMP_USER_CONTROL_STREAM_EOF:
    case RTMP_USER_CONTROL_STREAM_DRY:
    case RTMP_USER_CONTROL_STREAM_IS_RECORDED:
    case RTMP_USER_CONTROL_BUFFER_EMPTY:
    case RTMP_USER_CONTROL_BUFFER_READY:
      if (!check_size (name, n, 4, error))
        return FALSE;
      uc->stream_id = rtmp_read_u32_be (d);
      break;
    case RTMP_USER_CONTROL_SET_BUFFER_LENGTH:
      if (!check_size (name, n, 8, error))
        return FALSE;
      uc->stream_id = rtmp_read_u32_be (d);
      uc->buffer_length = rtmp_read_u32_be (d + 4);
      break;
    case RTMP_USER_CONTROL_PING_REQUEST:
    case RTMP_USER_CONTROL_PING_RESPONSE:
      if (!check_size (name, n, 4, error))
        return FALSE;
      uc->timestamp = rtmp_read_u32_be (d);
      break;
    case RTMP_USER_CONTROL_SWF_VERIFY_REQUEST:
      if (n > 0)
        uc->swf_verify_type = d[0];
      break;
    case RTMP_USER_CONTROL_SWF_VERIFY_RESPONSE:
      if (!check_size (name, n, 42, error))
        return FALSE;
      if (d[0] != 1 || d[1] != 1) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
            "%s message: bytes %u %u at offset 2, expected 1 1", name, d[0],
            d[1]);
        return FALSE;
      }
      uc->swf_size = rtmp_read_u32_be (d + 2);
      memcpy (uc->swf_hash, d + 10, RTMP_SWF_HASH_SIZE);
      break;
    default:
      /* unknown: most events name a stream first */
      if (n >= 4)
        uc->stream_id = rtmp_read_u32_be (d);
      GST_DEBUG ("user control event %u with %" G_GSIZE_FORMAT
                 " data bytes is unknown",
          uc->event, n);
      break;
  }
  GST_LOG ("user control %s (%u), %" G_GSIZE_FORMAT " data bytes", name,
      uc->event, n);
  return TRUE;
}

gboolean
rtmp_user_control_parse_payload (
    const guint8 *data, gsize size, RtmpUserControl *uc, GError **error)
{
  g_return_val_if_fail (uc != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  return parse_user_control (
      RTMP_MESSAGE_TYPE_USER_CONTROL, data, size, uc, error);
}

gboolean
rtmp_user_control_parse (
    const RtmpMessage *msg, RtmpUserControl *uc, GError **error)
{
  g_return_val_if_fail (msg != NULL && uc != NULL, FALSE);
  return parse_message (msg, msg->type, uc, parse_user_control, error);
}

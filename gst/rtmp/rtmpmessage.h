/* gst-rtmpe: RTMP messages, the unit every layer above the chunk stream
 * (and RTMFP's flows) passes around
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMP_MESSAGE_H__
#define __RTMP_MESSAGE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE = 1,
  RTMP_MESSAGE_TYPE_ABORT = 2,
  RTMP_MESSAGE_TYPE_ACKNOWLEDGEMENT = 3,
  RTMP_MESSAGE_TYPE_USER_CONTROL = 4,
  RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE = 5,
  RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH = 6,
  RTMP_MESSAGE_TYPE_AUDIO = 8,
  RTMP_MESSAGE_TYPE_VIDEO = 9,
  RTMP_MESSAGE_TYPE_DATA_AMF3 = 15,
  RTMP_MESSAGE_TYPE_SHARED_OBJECT_AMF3 = 16,
  RTMP_MESSAGE_TYPE_COMMAND_AMF3 = 17,
  RTMP_MESSAGE_TYPE_DATA_AMF0 = 18,
  RTMP_MESSAGE_TYPE_SHARED_OBJECT_AMF0 = 19,
  RTMP_MESSAGE_TYPE_COMMAND_AMF0 = 20,
  RTMP_MESSAGE_TYPE_AGGREGATE = 22,
} RtmpMessageType;

/**
 * RtmpMessage:
 * @type: the message type id (#RtmpMessageType, 0..255)
 * @timestamp: milliseconds, absolute, wrapping at 2^32
 * @stream_id: the message stream id (0 is the control stream)
 * @chunk_stream_id: the chunk stream it came on, or should go on (2..65599);
 *   0 lets the writer choose
 * @payload: (transfer full): the message body; shares memory with the input
 *   wherever possible
 *
 * A whole RTMP message. Owned by whoever holds it; free with
 * rtmp_message_free().
 */
typedef struct
{
  guint8 type;
  guint32 timestamp;
  guint32 stream_id;
  guint32 chunk_stream_id;
  GstBuffer *payload;
} RtmpMessage;

RtmpMessage *rtmp_message_new (
    guint8 type, guint32 timestamp, guint32 stream_id, GstBuffer *payload);
void rtmp_message_free (RtmpMessage *msg);
const gchar *rtmp_message_type_name (guint8 type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpMessage, rtmp_message_free)

G_END_DECLS

#endif

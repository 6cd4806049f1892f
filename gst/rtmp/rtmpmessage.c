/* gst-rtmpe: RTMP messages
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpmessage.h"

RtmpMessage *
rtmp_message_new (
    guint8 type, guint32 timestamp, guint32 stream_id, GstBuffer *payload)
{
  RtmpMessage *msg = g_new0 (RtmpMessage, 1);

  msg->type = type;
  msg->timestamp = timestamp;
  msg->stream_id = stream_id;
  msg->payload = payload ? payload : gst_buffer_new ();
  return msg;
}

void
rtmp_message_free (RtmpMessage *msg)
{
  if (!msg)
    return;
  gst_clear_buffer (&msg->payload);
  g_free (msg);
}

const gchar *
rtmp_message_type_name (guint8 type)
{
  switch (type) {
    case RTMP_MESSAGE_TYPE_SET_CHUNK_SIZE:
      return "set-chunk-size";
    case RTMP_MESSAGE_TYPE_ABORT:
      return "abort";
    case RTMP_MESSAGE_TYPE_ACKNOWLEDGEMENT:
      return "acknowledgement";
    case RTMP_MESSAGE_TYPE_USER_CONTROL:
      return "user-control";
    case RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE:
      return "window-ack-size";
    case RTMP_MESSAGE_TYPE_SET_PEER_BANDWIDTH:
      return "set-peer-bandwidth";
    case RTMP_MESSAGE_TYPE_AUDIO:
      return "audio";
    case RTMP_MESSAGE_TYPE_VIDEO:
      return "video";
    case RTMP_MESSAGE_TYPE_DATA_AMF3:
      return "data-amf3";
    case RTMP_MESSAGE_TYPE_SHARED_OBJECT_AMF3:
      return "shared-object-amf3";
    case RTMP_MESSAGE_TYPE_COMMAND_AMF3:
      return "command-amf3";
    case RTMP_MESSAGE_TYPE_DATA_AMF0:
      return "data-amf0";
    case RTMP_MESSAGE_TYPE_SHARED_OBJECT_AMF0:
      return "shared-object-amf0";
    case RTMP_MESSAGE_TYPE_COMMAND_AMF0:
      return "command-amf0";
    case RTMP_MESSAGE_TYPE_AGGREGATE:
      return "aggregate";
    default:
      return "unknown";
  }
}

/* gst-rtmpe: protocol control messages (types 1, 2, 3, 5, 6) and user
 * control messages (type 4)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The builders return messages for chunk stream 2, message stream 0,
 * timestamp 0, as the specification asks. The parsers check the length of
 * what they read (shorter: RTMP_ERROR_TRUNCATED; longer: the rest is
 * ignored) and the values the specification constrains
 * (RTMP_ERROR_INVALID).
 */
#ifndef __RTMP_CONTROL_H__
#define __RTMP_CONTROL_H__

#include <gst/gst.h>

#include "rtmpmessage.h"

G_BEGIN_DECLS

#define RTMP_CONTROL_CHUNK_STREAM 2
/* Set Chunk Size: 31 bits, the top bit is zero */
#define RTMP_CHUNK_SIZE_MAX 0x7FFFFFFF
#define RTMP_SWF_HASH_SIZE 32

/* ---- protocol control ---- */

typedef enum
{
  RTMP_LIMIT_HARD = 0,
  RTMP_LIMIT_SOFT = 1,
  RTMP_LIMIT_DYNAMIC = 2,
} RtmpLimitType;

/**
 * RtmpProtocolControl:
 * @type: the message type (1, 2, 3, 5 or 6)
 * @value: by type: the chunk size (1), the chunk stream id of the message
 *   to abort (2), the sequence number, i.e. bytes received (3), the window
 *   acknowledgement size (5 and 6)
 * @limit_type: Set Peer Bandwidth's limit type (6)
 */
typedef struct
{
  guint8 type;
  guint32 value;
  RtmpLimitType limit_type;
} RtmpProtocolControl;

gboolean rtmp_message_type_is_protocol_control (guint8 type);

RtmpMessage *rtmp_control_new_set_chunk_size (guint32 chunk_size);
RtmpMessage *rtmp_control_new_abort (guint32 chunk_stream_id);
RtmpMessage *rtmp_control_new_acknowledgement (guint32 sequence_number);
RtmpMessage *rtmp_control_new_window_ack_size (guint32 window_size);
RtmpMessage *rtmp_control_new_set_peer_bandwidth (
    guint32 window_size, RtmpLimitType limit_type);

gboolean rtmp_control_parse (
    const RtmpMessage *msg, RtmpProtocolControl *control, GError **error);
gboolean rtmp_control_parse_payload (guint8 type, const guint8 *data,
    gsize size, RtmpProtocolControl *control, GError **error);

/* ---- user control ---- */

typedef enum
{
  RTMP_USER_CONTROL_STREAM_BEGIN = 0,
  RTMP_USER_CONTROL_STREAM_EOF = 1,
  RTMP_USER_CONTROL_STREAM_DRY = 2,
  RTMP_USER_CONTROL_SET_BUFFER_LENGTH = 3,
  RTMP_USER_CONTROL_STREAM_IS_RECORDED = 4,
  RTMP_USER_CONTROL_PING_REQUEST = 6,
  RTMP_USER_CONTROL_PING_RESPONSE = 7,
  RTMP_USER_CONTROL_SWF_VERIFY_REQUEST = 0x1A,
  RTMP_USER_CONTROL_SWF_VERIFY_RESPONSE = 0x1B,
  /* Adobe Media Server's, after the specification */
  RTMP_USER_CONTROL_BUFFER_EMPTY = 0x1F,
  RTMP_USER_CONTROL_BUFFER_READY = 0x20,
} RtmpUserControlEvent;

/**
 * RtmpUserControl:
 * @event: the event type (#RtmpUserControlEvent or another)
 * @stream_id: the stream the event is about (StreamBegin, StreamEOF,
 *   StreamDry, SetBufferLength, StreamIsRecorded, BufferEmpty, BufferReady;
 *   for other events, the first 4 data bytes if there are 4)
 * @buffer_length: SetBufferLength: the client's buffer, in milliseconds
 * @timestamp: PingRequest and PingResponse: the server's time
 * @swf_verify_type: SWFVerification request: its first data byte if any
 *   (0 when none)
 * @swf_size: SWFVerification response: the size of the uncompressed SWF
 * @swf_hash: SWFVerification response: HMAC-SHA256 of the SWF, keyed by the
 *   last 32 bytes of the server's handshake
 * @data_size: how many event data bytes the message had
 */
typedef struct
{
  guint16 event;
  guint32 stream_id;
  guint32 buffer_length;
  guint32 timestamp;
  guint8 swf_verify_type;
  guint32 swf_size;
  guint8 swf_hash[RTMP_SWF_HASH_SIZE];
  gsize data_size;
} RtmpUserControl;

const gchar *rtmp_user_control_event_name (guint16 event);

RtmpMessage *rtmp_user_control_new_stream_begin (guint32 stream_id);
RtmpMessage *rtmp_user_control_new_stream_eof (guint32 stream_id);
RtmpMessage *rtmp_user_control_new_stream_dry (guint32 stream_id);
RtmpMessage *rtmp_user_control_new_set_buffer_length (
    guint32 stream_id, guint32 buffer_length_ms);
RtmpMessage *rtmp_user_control_new_stream_is_recorded (guint32 stream_id);
RtmpMessage *rtmp_user_control_new_ping_request (guint32 timestamp);
RtmpMessage *rtmp_user_control_new_ping_response (guint32 timestamp);
RtmpMessage *rtmp_user_control_new_swf_verify_request (void);
/* 0x1B with 42 data bytes: 1, 1, the size twice, the hash */
RtmpMessage *rtmp_user_control_new_swf_verify_response (
    guint32 swf_size, const guint8 swf_hash[RTMP_SWF_HASH_SIZE]);

gboolean rtmp_user_control_parse (
    const RtmpMessage *msg, RtmpUserControl *uc, GError **error);
gboolean rtmp_user_control_parse_payload (
    const guint8 *data, gsize size, RtmpUserControl *uc, GError **error);

G_END_DECLS

#endif

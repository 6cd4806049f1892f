/* gst-rtmpe: FLV file header and tags <-> RTMP messages; aggregate messages
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An FLV stream is a 9-byte file header, PreviousTagSize0 (4 zero bytes),
 * then tags, each followed by its own PreviousTagSize (11 + DataSize):
 *
 *   tag: type u8 | DataSize u24 | Timestamp u24 | TimestampExtended u8 |
 *        StreamID u24 (always 0) | Data[DataSize] | PreviousTagSize u32
 *
 * The timestamp is the 24 low bits followed by the 8 high bits, so a full
 * 32-bit RTMP timestamp survives the trip. Tag types are the RTMP message
 * types: audio 8, video 9, script data 18 (AMF0 data).
 *
 * Buffers: every function here shares memory with its input. A tag built
 * from a message is a small header memory, the payload's own memories and a
 * 4-byte trailer memory; a message parsed from a tag holds a sub-buffer of
 * the tag. Only GStreamer's own limit of 16 memories per buffer can force a
 * merge (a copy), when a payload arrives in more than 14 pieces.
 */
#ifndef __FLV_TAG_H__
#define __FLV_TAG_H__

#include <gst/gst.h>

#include "rtmpmessage.h"

G_BEGIN_DECLS

#define FLV_HEADER_SIZE 9 /* the file header proper */
#define FLV_TAG_HEADER_SIZE 11
#define FLV_PREVIOUS_TAG_SIZE_SIZE 4
#define FLV_MAX_DATA_SIZE 0xFFFFFF /* the 24-bit DataSize field */

typedef enum
{
  FLV_TAG_TYPE_AUDIO = 8,
  FLV_TAG_TYPE_VIDEO = 9,
  FLV_TAG_TYPE_SCRIPT = 18,
} FlvTagType;

/**
 * FlvHeader:
 * @version: 1 for every FLV file in the wild
 * @has_audio: TypeFlagsAudio (0x04)
 * @has_video: TypeFlagsVideo (0x01)
 * @data_offset: the header's own size, 9 for version 1; the body (starting
 *   with PreviousTagSize0) begins at this offset
 */
typedef struct
{
  guint8 version;
  gboolean has_audio;
  gboolean has_video;
  guint32 data_offset;
} FlvHeader;

/* The 9-byte header followed by PreviousTagSize0: 13 bytes, the start of
 * every FLV stream. */
GstBuffer *flv_header_new (gboolean has_audio, gboolean has_video);

/* Parses the first FLV_HEADER_SIZE bytes of @data. RTMP_ERROR_TRUNCATED if
 * @size is less than that, RTMP_ERROR_INVALID for a bad signature or a
 * data offset below 9. Other versions than 1 are accepted (and logged). */
gboolean flv_header_parse (
    const guint8 *data, gsize size, FlvHeader *header, GError **error);

/**
 * FlvTagHeader:
 * @type: the 5-bit TagType (8, 9 or 18 in a valid file)
 * @filter: the Filter bit (0x20): the tag is encrypted (FLV 10.1 DRM); such
 *   tags cannot be sent over RTMP
 * @data_size: bytes of tag data that follow the 11-byte header
 * @timestamp: milliseconds, all 32 bits (24 + the extension byte)
 * @stream_id: always 0 in FLV files
 */
typedef struct
{
  guint8 type;
  gboolean filter;
  guint32 data_size;
  guint32 timestamp;
  guint32 stream_id;
} FlvTagHeader;

/* TRUE for the tag types an FLV file may hold: 8, 9, 18. */
gboolean flv_tag_type_is_valid (guint8 type);

/* Reads the 11 bytes at @data (the caller checked there are 11). */
void flv_tag_header_parse (const guint8 *data, FlvTagHeader *header);
/* Writes an 11-byte tag header with stream id 0; @data_size must be at
 * most FLV_MAX_DATA_SIZE. */
void flv_tag_header_write (
    guint8 *data, guint8 type, guint32 data_size, guint32 timestamp);

/* One FLV tag (header, @payload's memories, PreviousTagSize) for @type and
 * @timestamp. @payload is not consumed: its memories are shared. Fails with
 * RTMP_ERROR_TOO_LARGE when the payload exceeds FLV_MAX_DATA_SIZE. */
GstBuffer *flv_tag_new (
    guint8 type, guint32 timestamp, GstBuffer *payload, GError **error);

/* The tag for an RTMP audio (8), video (9) or AMF0 data (18) message; other
 * types fail with RTMP_ERROR_UNKNOWN_TYPE. The message's stream id is not
 * carried (FLV tags have stream id 0). */
GstBuffer *flv_tag_from_message (const RtmpMessage *msg, GError **error);

/* The message in one whole tag: @tag holds the 11-byte header and the data,
 * optionally followed by the 4-byte PreviousTagSize (checked and logged if
 * inconsistent, not fatal). The payload is a sub-buffer of @tag, which is
 * not consumed. The message's stream id is the tag's (0). */
RtmpMessage *flv_tag_to_message (GstBuffer *tag, GError **error);

/* Data messages and @setDataFrame.
 *
 * A publisher sends stream metadata as the data message
 *   "@setDataFrame", "onMetaData", <ECMA array>
 * which the server stores and hands to players as
 *   "onMetaData", <ECMA array>
 * the same body as the script tag flvmux writes. These helpers move between
 * the two at the byte level (an AMF0 string is 0x02, u16 length, bytes),
 * sharing the payload's memory. */

/* The first value of an AMF0 data payload if it is a string (the handler
 * name: "onMetaData", "@setDataFrame", "onCuePoint" ...), or NULL. */
gchar *flv_data_get_name (GstBuffer *payload);

/* @payload with a leading "@setDataFrame" string removed (a sub-buffer), or
 * a new reference to @payload when it does not start with one. */
GstBuffer *flv_data_unwrap_set_data_frame (GstBuffer *payload);

/* @payload prefixed with the AMF0 string "@setDataFrame" when its first value
 * is "onMetaData" or "|RtmpSampleAccess" (as FFmpeg and librtmp publish), or
 * a new reference to @payload otherwise (already wrapped, onCuePoint,
 * onTextData ...). The prefix is one new 16-byte memory; the payload's
 * memories are shared. */
GstBuffer *flv_data_wrap_set_data_frame (GstBuffer *payload);

/* Aggregate messages (RTMP type 22).
 *
 * The body is a run of FLV-tag-like records: type u8, size u24, timestamp
 * u24 + extension u8, stream id u24, payload, back pointer u32 (11 + size).
 * Each sub-message gets the aggregate's message stream id, and its timestamp
 * is rebased so that the first sub-message lands on the aggregate's
 * timestamp and the others keep their offsets from the first (mod 2^32).
 * Every size is checked against what is left; a back pointer that disagrees
 * with the record is logged, not fatal. Payloads are sub-buffers. */

typedef struct
{
  /*< private >*/
  GstBuffer *payload;
  gsize offset;
  gsize size;
  guint32 timestamp;
  guint32 stream_id;
  guint32 first_timestamp;
  guint index;
} FlvAggregateIter;

/* @aggregate must be a message of type RTMP_MESSAGE_TYPE_AGGREGATE and must
 * outlive the iteration (its payload is referenced, not copied). */
void flv_aggregate_iter_init (
    FlvAggregateIter *iter, const RtmpMessage *aggregate);
/* Sets *@msg (transfer full) to the next sub-message and returns TRUE;
 * returns FALSE at the end (*@msg NULL, no error) or on a malformed record
 * (error set: RTMP_ERROR_TRUNCATED for a size past the end,
 * RTMP_ERROR_INVALID for a nested aggregate). */
gboolean flv_aggregate_iter_next (
    FlvAggregateIter *iter, RtmpMessage **msg, GError **error);
void flv_aggregate_iter_clear (FlvAggregateIter *iter);

/* All sub-messages of @aggregate (a GPtrArray of RtmpMessage, freeing them
 * with it), or NULL and an error if any record is malformed or there are
 * more than FLV_MAX_AGGREGATE_MESSAGES: all or nothing. */
GPtrArray *flv_aggregate_split (const RtmpMessage *aggregate, GError **error);

G_END_DECLS

#endif

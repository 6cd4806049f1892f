/* gst-rtmpe: caps on everything a peer can make us hold
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every length or count read from the wire is checked against what is
 * left in the input and against one of these caps before any allocation.
 */
#ifndef __RTMP_LIMITS_H__
#define __RTMP_LIMITS_H__

/* AMF */
#define AMF_MAX_DEPTH 64 /* nested objects/arrays */
#define AMF_MAX_ELEMENTS (1 << 20) /* members of one object/array */
#define AMF_MAX_STRING (16 << 20) /* bytes in one string, XML, ByteArray */
#define AMF_MAX_REFERENCES                                                     \
  (1 << 20) /* entries in an AMF0/AMF3 reference table */

/* RTMP chunk stream */
#define RTMP_MAX_MESSAGE_SIZE 0xFFFFFF /* the 24-bit message length field */
#define RTMP_MAX_CHUNK_STREAMS 1024 /* chunk streams with state at once */
#define RTMP_MAX_PENDING_BYTES (64 << 20) /* bytes of partial messages held */

/* FLV and aggregate messages */
#define FLV_MAX_AGGREGATE_MESSAGES 65536 /* sub-messages one split returns */

/* URLs: tcUrl, app and stream travel as AMF0 strings (u16 length) */
#define RTMP_URL_MAX_LENGTH 65535

#endif

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
#define AMF_ALLOC_FACTOR 128 /* bytes of decoded values per input byte */
#define AMF_ALLOC_SLACK 4096 /* ... plus this, for tiny inputs */

/* RTMP chunk stream */
#define RTMP_MAX_MESSAGE_SIZE 0xFFFFFF /* the 24-bit message length field */
#define RTMP_MAX_CHUNK_STREAMS 1024 /* chunk streams with state at once */
#define RTMP_MAX_PENDING_BYTES (64 << 20) /* bytes of partial messages held */

/* RTMFP (gst/rtmfp): what a peer can make one endpoint hold */
#define RTMFP_MAX_SESSIONS 1024 /* open and opening sessions */
#define RTMFP_MAX_OPENING_SESSIONS 64 /* sessions we initiate, not yet open */
#define RTMFP_MAX_CANDIDATES 24 /* addresses per opening session */
#define RTMFP_MAX_RECV_FLOWS 256 /* receiving flows per session */
#define RTMFP_MAX_SEND_FLOWS 1024 /* sending flows per session */
#define RTMFP_MAX_MESSAGE_SIZE (16 << 20) /* one reassembled flow message */
#define RTMFP_MAX_SESSION_BUFFERED (32 << 20) /* received bytes held */
/* received bytes held for a session a listener has not accepted as a
 * publisher (rtmfp_endpoint_set_buffer_limit): its commands need little,
 * and a peer that never finishes a message keeps no more than this */
#define RTMFP_MAX_STRANGER_BUFFERED (1 << 20)
#define RTMFP_MAX_RECV_RANGES 512 /* out-of-order runs per receiving flow */
#define RTMFP_MAX_RECV_AHEAD 65536 /* sequence numbers past the CSN */
#define RTMFP_MAX_REASSEMBLY_PACKETS 32 /* fragmented packets in progress */
#define RTMFP_MAX_REASSEMBLY_SIZE 65536 /* bytes of one fragmented packet */
#define RTMFP_MAX_CERT_SIZE 4096 /* a certificate we keep */
#define RTMFP_MAX_COOKIE_SIZE 256 /* a cookie we echo */
#define RTMFP_MAX_EPD_SIZE 1024 /* an endpoint discriminator */
#define RTMFP_MAX_TAG_SIZE 64 /* an IHello tag */
#define RTMFP_MAX_METADATA_SIZE 1024 /* a flow's metadata */
#define RTMFP_MAX_PEER_ADDRESSES 16 /* addresses an introducer keeps a peer */
/* FLV and aggregate messages */
#define FLV_MAX_AGGREGATE_MESSAGES 65536 /* sub-messages one split returns */

/* URLs: tcUrl, app and stream travel as AMF0 strings (u16 length) */
#define RTMP_URL_MAX_LENGTH 65535

#endif

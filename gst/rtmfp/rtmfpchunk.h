/* gst-rtmfp: RFC 7016 chunks, parsed and built
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Parsers take one chunk's payload (the bytes after type and length) and
 * fill a struct whose pointers point into that payload: nothing is copied
 * or allocated. Every field is checked against what is left; a chunk that
 * does not parse is ignored by the caller (RFC 7016 2.3).
 * Builders append the whole chunk (type, length, payload) to a GByteArray
 * and return FALSE, appending nothing, if the payload would exceed 65535.
 */
#ifndef __RTMFP_CHUNK_H__
#define __RTMFP_CHUNK_H__

#include "rtmfpwire.h"

G_BEGIN_DECLS

typedef enum
{
  RTMFP_CHUNK_PADDING0 = 0x00,
  RTMFP_CHUNK_PING = 0x01,
  RTMFP_CHUNK_CLOSE = 0x0c,
  RTMFP_CHUNK_FIHELLO = 0x0f,
  RTMFP_CHUNK_USER_DATA = 0x10,
  RTMFP_CHUNK_NEXT_USER_DATA = 0x11,
  RTMFP_CHUNK_BUFFER_PROBE = 0x18,
  RTMFP_CHUNK_IHELLO = 0x30,
  RTMFP_CHUNK_IIKEYING = 0x38,
  RTMFP_CHUNK_PING_REPLY = 0x41,
  RTMFP_CHUNK_CLOSE_ACK = 0x4c,
  RTMFP_CHUNK_ACK_BITMAP = 0x50,
  RTMFP_CHUNK_ACK_RANGES = 0x51,
  RTMFP_CHUNK_FLOW_EXCEPTION = 0x5e,
  RTMFP_CHUNK_RHELLO = 0x70,
  RTMFP_CHUNK_REDIRECT = 0x71,
  RTMFP_CHUNK_RIKEYING = 0x78,
  RTMFP_CHUNK_COOKIE_CHANGE = 0x79,
  RTMFP_CHUNK_FRAGMENT = 0x7f,
  RTMFP_CHUNK_PADDING1 = 0xff,
} RtmfpChunkType;

#define RTMFP_CHUNK_HEADER_SIZE 3
#define RTMFP_CHUNK_MAX_PAYLOAD 0xffff

const gchar *rtmfp_chunk_type_name (guint8 type);
/* Whether a chunk type belongs in startup (mode 3) packets. */
gboolean rtmfp_chunk_is_startup (guint8 type);

/* Starts a chunk: appends type and a length placeholder; returns the offset
 * to hand to rtmfp_chunk_end(), which fills the length in (FALSE and the
 * chunk removed when the payload exceeded 65535 bytes). */
gsize rtmfp_chunk_begin (GByteArray *b, guint8 type);
gboolean rtmfp_chunk_end (GByteArray *b, gsize start);

/* 0x7f */
typedef struct
{
  gboolean more;
  guint64 packet_id;
  guint64 fragment_num;
  const guint8 *data;
  gsize data_len;
} RtmfpFragmentChunk;
gboolean rtmfp_fragment_chunk_parse (
    const guint8 *p, gsize len, RtmfpFragmentChunk *c);
gboolean rtmfp_fragment_chunk_build (
    GByteArray *b, const RtmfpFragmentChunk *c);

/* 0x30 */
typedef struct
{
  const guint8 *epd;
  gsize epd_len;
  const guint8 *tag;
  gsize tag_len;
} RtmfpIHelloChunk;
gboolean rtmfp_ihello_chunk_parse (
    const guint8 *p, gsize len, RtmfpIHelloChunk *c);
gboolean rtmfp_ihello_chunk_build (GByteArray *b, const RtmfpIHelloChunk *c);

/* 0x0f */
typedef struct
{
  const guint8 *epd;
  gsize epd_len;
  RtmfpAddress reply_address;
  const guint8 *tag;
  gsize tag_len;
} RtmfpFIHelloChunk;
gboolean rtmfp_fihello_chunk_parse (
    const guint8 *p, gsize len, RtmfpFIHelloChunk *c);
gboolean rtmfp_fihello_chunk_build (GByteArray *b, const RtmfpFIHelloChunk *c);

/* 0x70 */
typedef struct
{
  const guint8 *tag;
  gsize tag_len;
  const guint8 *cookie;
  gsize cookie_len;
  const guint8 *cert;
  gsize cert_len;
} RtmfpRHelloChunk;
gboolean rtmfp_rhello_chunk_parse (
    const guint8 *p, gsize len, RtmfpRHelloChunk *c);
gboolean rtmfp_rhello_chunk_build (GByteArray *b, const RtmfpRHelloChunk *c);

/* 0x71. At most RTMFP_REDIRECT_MAX_ADDRESSES are kept (the rest are
 * parsed and counted in @n_dropped); zero addresses is an Implied
 * Redirect. */
#define RTMFP_REDIRECT_MAX_ADDRESSES 24
typedef struct
{
  const guint8 *tag;
  gsize tag_len;
  guint n_addresses;
  guint n_dropped;
  RtmfpAddress addresses[RTMFP_REDIRECT_MAX_ADDRESSES];
} RtmfpRedirectChunk;
gboolean rtmfp_redirect_chunk_parse (
    const guint8 *p, gsize len, RtmfpRedirectChunk *c);
gboolean rtmfp_redirect_chunk_build (
    GByteArray *b, const RtmfpRedirectChunk *c);

/* 0x79 */
typedef struct
{
  const guint8 *old_cookie;
  gsize old_cookie_len;
  const guint8 *new_cookie;
  gsize new_cookie_len;
} RtmfpCookieChangeChunk;
gboolean rtmfp_cookie_change_chunk_parse (
    const guint8 *p, gsize len, RtmfpCookieChangeChunk *c);
gboolean rtmfp_cookie_change_chunk_build (
    GByteArray *b, const RtmfpCookieChangeChunk *c);

/* 0x38. @signed_params covers initiatorSignedParameters. */
typedef struct
{
  guint32 initiator_session_id;
  const guint8 *cookie;
  gsize cookie_len;
  const guint8 *cert;
  gsize cert_len;
  const guint8 *skic;
  gsize skic_len;
  const guint8 *signature;
  gsize signature_len;
  const guint8 *signed_params;
  gsize signed_params_len;
} RtmfpIIKeyingChunk;
gboolean rtmfp_iikeying_chunk_parse (
    const guint8 *p, gsize len, RtmfpIIKeyingChunk *c);
gboolean rtmfp_iikeying_chunk_build (
    GByteArray *b, const RtmfpIIKeyingChunk *c);

/* 0x78 */
typedef struct
{
  guint32 responder_session_id;
  const guint8 *skrc;
  gsize skrc_len;
  const guint8 *signature;
  gsize signature_len;
  const guint8 *signed_portion;
  gsize signed_portion_len;
} RtmfpRIKeyingChunk;
gboolean rtmfp_rikeying_chunk_parse (
    const guint8 *p, gsize len, RtmfpRIKeyingChunk *c);
gboolean rtmfp_rikeying_chunk_build (
    GByteArray *b, const RtmfpRIKeyingChunk *c);

/* 0x01 and 0x41: the whole payload is the message */
gboolean rtmfp_ping_chunk_build (
    GByteArray *b, gboolean reply, const guint8 *msg, gsize len);

/* 0x10 and 0x11 */
#define RTMFP_UD_FLAG_OPTIONS 0x80
#define RTMFP_UD_FRA_MASK 0x30
#define RTMFP_UD_FLAG_ABANDON 0x02
#define RTMFP_UD_FLAG_FINAL 0x01

typedef enum
{
  RTMFP_FRA_WHOLE = 0,
  RTMFP_FRA_BEGIN = 1,
  RTMFP_FRA_END = 2,
  RTMFP_FRA_MIDDLE = 3,
} RtmfpFragmentControl;

#define RTMFP_UD_OPTION_METADATA 0x00
#define RTMFP_UD_OPTION_RETURN_ASSOCIATION 0x0a
/* flow options below this type must be understood (RFC 7016 2.3.11.1) */
#define RTMFP_UD_OPTION_MUST_UNDERSTAND_LIMIT 0x2000

typedef struct
{
  gboolean next; /* a Next User Data chunk: no flow, seq or fsn fields */
  guint8 fra;
  gboolean abandon;
  gboolean final;
  guint64 flow_id;
  guint64 seq;
  guint64 fsn_offset;
  /* options, parsed: */
  gboolean has_options;
  const guint8 *metadata; /* NULL when absent */
  gsize metadata_len;
  gboolean has_association;
  guint64 association;
  gboolean unknown_required_option;
  const guint8 *data;
  gsize data_len;
} RtmfpUserDataChunk;
/* @next selects the 0x11 layout. Enforces fsnOffset <= seq, seq > 0 and
 * fsnOffset > 0 unless abandoned (0x10 only). */
gboolean rtmfp_user_data_chunk_parse (
    const guint8 *p, gsize len, gboolean next, RtmfpUserDataChunk *c);
/* Size of the whole chunk (with header) that rtmfp_user_data_chunk_build
 * would write, with @data_len bytes of data. */
gsize rtmfp_user_data_chunk_size (const RtmfpUserDataChunk *c, gsize data_len);
/* Writes options (metadata, association) when c->has_options. The data is
 * taken from c->data/c->data_len. */
gboolean rtmfp_user_data_chunk_build (
    GByteArray *b, const RtmfpUserDataChunk *c);

/* 0x50 and 0x51 */
typedef struct
{
  gboolean ranges; /* 0x51 */
  guint64 flow_id;
  guint64 buffer_blocks;
  guint64 cum_ack;
  const guint8 *rest; /* bitmap bytes, or encoded ranges */
  gsize rest_len;
} RtmfpAckChunk;
gboolean rtmfp_ack_chunk_parse (
    const guint8 *p, gsize len, gboolean ranges, RtmfpAckChunk *c);

/* Walks the sequence numbers acknowledged above cum_ack, as inclusive
 * ranges in ascending order. A truncated last range is ignored (RFC 7016
 * 2.3.14). */
typedef struct
{
  const RtmfpAckChunk *ack;
  RtmfpReader r;
  guint64 cursor;
  guint bit; /* bitmap: bit position inside the current byte */
  gboolean overflow;
} RtmfpAckIter;
void rtmfp_ack_iter_init (RtmfpAckIter *it, const RtmfpAckChunk *ack);
gboolean rtmfp_ack_iter_next (RtmfpAckIter *it, guint64 *from, guint64 *to);

/* Builds an ack from a cumulative ack and sorted, disjoint ranges above
 * cum_ack + 1, choosing the more compact encoding; truncates to fit
 * @max_size bytes (whole chunk) by dropping the highest ranges. Returns
 * FALSE (nothing appended) if even the bare chunk does not fit. */
typedef struct
{
  guint64 from;
  guint64 to;
} RtmfpSeqRange;
gboolean rtmfp_ack_chunk_build (GByteArray *b, guint64 flow_id,
    guint64 buffer_blocks, guint64 cum_ack, const RtmfpSeqRange *ranges,
    guint n_ranges, gsize max_size);

/* 0x18 */
gboolean rtmfp_buffer_probe_chunk_parse (
    const guint8 *p, gsize len, guint64 *flow_id);
gboolean rtmfp_buffer_probe_chunk_build (GByteArray *b, guint64 flow_id);

/* 0x5e */
gboolean rtmfp_flow_exception_chunk_parse (
    const guint8 *p, gsize len, guint64 *flow_id, guint64 *code);
gboolean rtmfp_flow_exception_chunk_build (
    GByteArray *b, guint64 flow_id, guint64 code);

/* 0x0c, 0x4c: no payload */
gboolean rtmfp_empty_chunk_build (GByteArray *b, guint8 type);

G_END_DECLS

#endif

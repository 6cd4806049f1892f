/* gst-rtmfp: RFC 7016 chunks, parsed and built
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfpchunk.h"

#include <string.h>

const gchar *
rtmfp_chunk_type_name (guint8 type)
{
  switch (type) {
    case RTMFP_CHUNK_PADDING0:
    case RTMFP_CHUNK_PADDING1:
      return "padding";
    case RTMFP_CHUNK_PING:
      return "ping";
    case RTMFP_CHUNK_CLOSE:
      return "close";
    case RTMFP_CHUNK_FIHELLO:
      return "fihello";
    case RTMFP_CHUNK_USER_DATA:
      return "user-data";
    case RTMFP_CHUNK_NEXT_USER_DATA:
      return "next-user-data";
    case RTMFP_CHUNK_BUFFER_PROBE:
      return "buffer-probe";
    case RTMFP_CHUNK_IHELLO:
      return "ihello";
    case RTMFP_CHUNK_IIKEYING:
      return "iikeying";
    case RTMFP_CHUNK_PING_REPLY:
      return "ping-reply";
    case RTMFP_CHUNK_CLOSE_ACK:
      return "close-ack";
    case RTMFP_CHUNK_ACK_BITMAP:
      return "ack-bitmap";
    case RTMFP_CHUNK_ACK_RANGES:
      return "ack-ranges";
    case RTMFP_CHUNK_FLOW_EXCEPTION:
      return "flow-exception";
    case RTMFP_CHUNK_RHELLO:
      return "rhello";
    case RTMFP_CHUNK_REDIRECT:
      return "redirect";
    case RTMFP_CHUNK_RIKEYING:
      return "rikeying";
    case RTMFP_CHUNK_COOKIE_CHANGE:
      return "cookie-change";
    case RTMFP_CHUNK_FRAGMENT:
      return "fragment";
    default:
      return "unknown";
  }
}

gboolean
rtmfp_chunk_is_startup (guint8 type)
{
  switch (type) {
    case RTMFP_CHUNK_IHELLO:
    case RTMFP_CHUNK_RHELLO:
    case RTMFP_CHUNK_REDIRECT:
    case RTMFP_CHUNK_COOKIE_CHANGE:
    case RTMFP_CHUNK_IIKEYING:
    case RTMFP_CHUNK_RIKEYING:
      return TRUE;
    default:
      return FALSE;
  }
}

gsize
rtmfp_chunk_begin (GByteArray *b, guint8 type)
{
  gsize start = b->len;
  guint8 hdr[3] = { type, 0, 0 };

  g_byte_array_append (b, hdr, 3);
  return start;
}

gboolean
rtmfp_chunk_end (GByteArray *b, gsize start)
{
  gsize plen = b->len - start - RTMFP_CHUNK_HEADER_SIZE;

  if (plen > RTMFP_CHUNK_MAX_PAYLOAD) {
    g_byte_array_set_size (b, start);
    return FALSE;
  }
  b->data[start + 1] = plen >> 8;
  b->data[start + 2] = plen & 0xff;
  return TRUE;
}

/* ---- 0x7f fragment ------------------------------------------------------ */

gboolean
rtmfp_fragment_chunk_parse (const guint8 *p, gsize len, RtmfpFragmentChunk *c)
{
  RtmfpReader r;
  guint8 flags;

  memset (c, 0, sizeof (*c));
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_u8 (&r, &flags) || !rtmfp_reader_vlu (&r, &c->packet_id) ||
      !rtmfp_reader_vlu (&r, &c->fragment_num))
    return FALSE;
  c->more = (flags & 0x80) != 0;
  c->data = r.p;
  c->data_len = rtmfp_reader_left (&r);
  return c->data_len > 0; /* an empty fragment MUST be discarded */
}

gboolean
rtmfp_fragment_chunk_build (GByteArray *b, const RtmfpFragmentChunk *c)
{
  gsize s = rtmfp_chunk_begin (b, RTMFP_CHUNK_FRAGMENT);

  rtmfp_put_u8 (b, c->more ? 0x80 : 0);
  rtmfp_put_vlu (b, c->packet_id);
  rtmfp_put_vlu (b, c->fragment_num);
  rtmfp_put_bytes (b, c->data, c->data_len);
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x30 IHello -------------------------------------------------------- */

gboolean
rtmfp_ihello_chunk_parse (const guint8 *p, gsize len, RtmfpIHelloChunk *c)
{
  RtmfpReader r;

  memset (c, 0, sizeof (*c));
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_vlu_bytes (&r, &c->epd, &c->epd_len))
    return FALSE;
  c->tag = r.p;
  c->tag_len = rtmfp_reader_left (&r);
  return TRUE;
}

gboolean
rtmfp_ihello_chunk_build (GByteArray *b, const RtmfpIHelloChunk *c)
{
  gsize s = rtmfp_chunk_begin (b, RTMFP_CHUNK_IHELLO);

  rtmfp_put_vlu_bytes (b, c->epd, c->epd_len);
  rtmfp_put_bytes (b, c->tag, c->tag_len);
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x0f FIHello ------------------------------------------------------- */

gboolean
rtmfp_fihello_chunk_parse (const guint8 *p, gsize len, RtmfpFIHelloChunk *c)
{
  RtmfpReader r;

  memset (c, 0, sizeof (*c));
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_vlu_bytes (&r, &c->epd, &c->epd_len) ||
      !rtmfp_reader_address (&r, &c->reply_address))
    return FALSE;
  c->tag = r.p;
  c->tag_len = rtmfp_reader_left (&r);
  return TRUE;
}

gboolean
rtmfp_fihello_chunk_build (GByteArray *b, const RtmfpFIHelloChunk *c)
{
  gsize s = rtmfp_chunk_begin (b, RTMFP_CHUNK_FIHELLO);

  rtmfp_put_vlu_bytes (b, c->epd, c->epd_len);
  rtmfp_put_address (b, &c->reply_address);
  rtmfp_put_bytes (b, c->tag, c->tag_len);
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x70 RHello -------------------------------------------------------- */

gboolean
rtmfp_rhello_chunk_parse (const guint8 *p, gsize len, RtmfpRHelloChunk *c)
{
  RtmfpReader r;

  memset (c, 0, sizeof (*c));
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_vlu_bytes (&r, &c->tag, &c->tag_len) ||
      !rtmfp_reader_vlu_bytes (&r, &c->cookie, &c->cookie_len))
    return FALSE;
  c->cert = r.p;
  c->cert_len = rtmfp_reader_left (&r);
  return TRUE;
}

gboolean
rtmfp_rhello_chunk_build (GByteArray *b, const RtmfpRHelloChunk *c)
{
  gsize s = rtmfp_chunk_begin (b, RTMFP_CHUNK_RHELLO);

  rtmfp_put_vlu_bytes (b, c->tag, c->tag_len);
  rtmfp_put_vlu_bytes (b, c->cookie, c->cookie_len);
  rtmfp_put_bytes (b, c->cert, c->cert_len);
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x71 Redirect ------------------------------------------------------ */

gboolean
rtmfp_redirect_chunk_parse (const guint8 *p, gsize len, RtmfpRedirectChunk *c)
{
  RtmfpReader r;

  memset (c, 0, sizeof (*c));
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_vlu_bytes (&r, &c->tag, &c->tag_len))
    return FALSE;
  while (rtmfp_reader_left (&r) > 0) {
    RtmfpAddress a;

    if (!rtmfp_reader_address (&r, &a))
      return FALSE;
    if (c->n_addresses < RTMFP_REDIRECT_MAX_ADDRESSES)
      c->addresses[c->n_addresses++] = a;
    else
      c->n_dropped++;
  }
  return TRUE;
}

gboolean
rtmfp_redirect_chunk_build (GByteArray *b, const RtmfpRedirectChunk *c)
{
  gsize s = rtmfp_chunk_begin (b, RTMFP_CHUNK_REDIRECT);

  rtmfp_put_vlu_bytes (b, c->tag, c->tag_len);
  for (guint i = 0; i < c->n_addresses && i < RTMFP_REDIRECT_MAX_ADDRESSES; i++)
    rtmfp_put_address (b, &c->addresses[i]);
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x79 RHello cookie change ------------------------------------------ */

gboolean
rtmfp_cookie_change_chunk_parse (
    const guint8 *p, gsize len, RtmfpCookieChangeChunk *c)
{
  RtmfpReader r;

  memset (c, 0, sizeof (*c));
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_vlu_bytes (&r, &c->old_cookie, &c->old_cookie_len))
    return FALSE;
  c->new_cookie = r.p;
  c->new_cookie_len = rtmfp_reader_left (&r);
  return c->new_cookie_len > 0;
}

gboolean
rtmfp_cookie_change_chunk_build (GByteArray *b, const RtmfpCookieChangeChunk *c)
{
  gsize s = rtmfp_chunk_begin (b, RTMFP_CHUNK_COOKIE_CHANGE);

  rtmfp_put_vlu_bytes (b, c->old_cookie, c->old_cookie_len);
  rtmfp_put_bytes (b, c->new_cookie, c->new_cookie_len);
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x38 IIKeying ------------------------------------------------------ */

gboolean
rtmfp_iikeying_chunk_parse (const guint8 *p, gsize len, RtmfpIIKeyingChunk *c)
{
  RtmfpReader r;

  memset (c, 0, sizeof (*c));
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_u32 (&r, &c->initiator_session_id) ||
      !rtmfp_reader_vlu_bytes (&r, &c->cookie, &c->cookie_len) ||
      !rtmfp_reader_vlu_bytes (&r, &c->cert, &c->cert_len) ||
      !rtmfp_reader_vlu_bytes (&r, &c->skic, &c->skic_len))
    return FALSE;
  c->signed_params = p;
  c->signed_params_len = r.p - p;
  c->signature = r.p;
  c->signature_len = rtmfp_reader_left (&r);
  return TRUE;
}

gboolean
rtmfp_iikeying_chunk_build (GByteArray *b, const RtmfpIIKeyingChunk *c)
{
  gsize s = rtmfp_chunk_begin (b, RTMFP_CHUNK_IIKEYING);

  rtmfp_put_u32 (b, c->initiator_session_id);
  rtmfp_put_vlu_bytes (b, c->cookie, c->cookie_len);
  rtmfp_put_vlu_bytes (b, c->cert, c->cert_len);
  rtmfp_put_vlu_bytes (b, c->skic, c->skic_len);
  rtmfp_put_bytes (b, c->signature, c->signature_len);
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x78 RIKeying ------------------------------------------------------ */

gboolean
rtmfp_rikeying_chunk_parse (const guint8 *p, gsize len, RtmfpRIKeyingChunk *c)
{
  RtmfpReader r;

  memset (c, 0, sizeof (*c));
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_u32 (&r, &c->responder_session_id) ||
      !rtmfp_reader_vlu_bytes (&r, &c->skrc, &c->skrc_len))
    return FALSE;
  c->signed_portion = p;
  c->signed_portion_len = r.p - p;
  c->signature = r.p;
  c->signature_len = rtmfp_reader_left (&r);
  return TRUE;
}

gboolean
rtmfp_rikeying_chunk_build (GByteArray *b, const RtmfpRIKeyingChunk *c)
{
  gsize s = rtmfp_chunk_begin (b, RTMFP_CHUNK_RIKEYING);

  rtmfp_put_u32 (b, c->responder_session_id);
  rtmfp_put_vlu_bytes (b, c->skrc, c->skrc_len);
  rtmfp_put_bytes (b, c->signature, c->signature_len);
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x01 / 0x41 Ping, Ping Reply --------------------------------------- */

gboolean
rtmfp_ping_chunk_build (
    GByteArray *b, gboolean reply, const guint8 *msg, gsize len)
{
  gsize s =
      rtmfp_chunk_begin (b, reply ? RTMFP_CHUNK_PING_REPLY : RTMFP_CHUNK_PING);

  rtmfp_put_bytes (b, msg, len);
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x10 / 0x11 User Data ---------------------------------------------- */

gboolean
rtmfp_user_data_chunk_parse (
    const guint8 *p, gsize len, gboolean next, RtmfpUserDataChunk *c)
{
  RtmfpReader r;
  guint8 flags;

  memset (c, 0, sizeof (*c));
  c->next = next;
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_u8 (&r, &flags))
    return FALSE;
  c->fra = (flags & RTMFP_UD_FRA_MASK) >> 4;
  c->abandon = (flags & RTMFP_UD_FLAG_ABANDON) != 0;
  c->final = (flags & RTMFP_UD_FLAG_FINAL) != 0;
  c->has_options = (flags & RTMFP_UD_FLAG_OPTIONS) != 0;
  if (!next) {
    if (!rtmfp_reader_vlu (&r, &c->flow_id) ||
        !rtmfp_reader_vlu (&r, &c->seq) ||
        !rtmfp_reader_vlu (&r, &c->fsn_offset))
      return FALSE;
    if (c->seq == 0 || c->fsn_offset > c->seq)
      return FALSE;
    if (c->fsn_offset == 0 && !c->abandon)
      return FALSE;
  }
  if (c->has_options) {
    for (;;) {
      RtmfpOption opt;

      if (!rtmfp_reader_option (&r, &opt))
        return FALSE;
      if (opt.is_marker)
        break;
      if (opt.type == RTMFP_UD_OPTION_METADATA) {
        if (c->metadata)
          return FALSE; /* at most one */
        c->metadata = opt.value ? opt.value : (const guint8 *) "";
        c->metadata_len = opt.value_len;
      } else if (opt.type == RTMFP_UD_OPTION_RETURN_ASSOCIATION) {
        RtmfpReader v;

        if (c->has_association)
          return FALSE; /* a flow has at most one association */
        rtmfp_reader_init (&v, opt.value, opt.value_len);
        if (!rtmfp_reader_vlu (&v, &c->association))
          return FALSE;
        c->has_association = TRUE;
      } else if (opt.type < RTMFP_UD_OPTION_MUST_UNDERSTAND_LIMIT) {
        c->unknown_required_option = TRUE;
      }
    }
  }
  c->data = r.p;
  c->data_len = rtmfp_reader_left (&r);
  return TRUE;
}

static gsize
ud_options_size (const RtmfpUserDataChunk *c)
{
  gsize n = 0;

  if (!c->has_options)
    return 0;
  if (c->metadata) {
    gsize l = 1 + c->metadata_len;
    n += rtmfp_vlu_size (l) + l;
  }
  if (c->has_association) {
    gsize l = 1 + rtmfp_vlu_size (c->association);
    n += rtmfp_vlu_size (l) + l;
  }
  return n + 1;
}

gsize
rtmfp_user_data_chunk_size (const RtmfpUserDataChunk *c, gsize data_len)
{
  gsize n = RTMFP_CHUNK_HEADER_SIZE + 1;

  if (!c->next)
    n += rtmfp_vlu_size (c->flow_id) + rtmfp_vlu_size (c->seq) +
        rtmfp_vlu_size (c->fsn_offset);
  return n + ud_options_size (c) + data_len;
}

gboolean
rtmfp_user_data_chunk_build (GByteArray *b, const RtmfpUserDataChunk *c)
{
  gsize s = rtmfp_chunk_begin (
      b, c->next ? RTMFP_CHUNK_NEXT_USER_DATA : RTMFP_CHUNK_USER_DATA);
  guint8 flags = (c->fra & 3) << 4;

  if (c->has_options)
    flags |= RTMFP_UD_FLAG_OPTIONS;
  if (c->abandon)
    flags |= RTMFP_UD_FLAG_ABANDON;
  if (c->final)
    flags |= RTMFP_UD_FLAG_FINAL;
  rtmfp_put_u8 (b, flags);
  if (!c->next) {
    rtmfp_put_vlu (b, c->flow_id);
    rtmfp_put_vlu (b, c->seq);
    rtmfp_put_vlu (b, c->fsn_offset);
  }
  if (c->has_options) {
    if (c->metadata)
      rtmfp_put_option (
          b, RTMFP_UD_OPTION_METADATA, c->metadata, c->metadata_len);
    if (c->has_association)
      rtmfp_put_option_vlu (
          b, RTMFP_UD_OPTION_RETURN_ASSOCIATION, c->association);
    rtmfp_put_marker (b);
  }
  rtmfp_put_bytes (b, c->data, c->data_len);
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x50 / 0x51 acknowledgements --------------------------------------- */

gboolean
rtmfp_ack_chunk_parse (
    const guint8 *p, gsize len, gboolean ranges, RtmfpAckChunk *c)
{
  RtmfpReader r;

  memset (c, 0, sizeof (*c));
  c->ranges = ranges;
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_vlu (&r, &c->flow_id) ||
      !rtmfp_reader_vlu (&r, &c->buffer_blocks) ||
      !rtmfp_reader_vlu (&r, &c->cum_ack))
    return FALSE;
  c->rest = r.p;
  c->rest_len = rtmfp_reader_left (&r);
  return TRUE;
}

void
rtmfp_ack_iter_init (RtmfpAckIter *it, const RtmfpAckChunk *ack)
{
  memset (it, 0, sizeof (*it));
  it->ack = ack;
  rtmfp_reader_init (&it->r, ack->rest, ack->rest_len);
  it->cursor = ack->cum_ack;
}

gboolean
rtmfp_ack_iter_next (RtmfpAckIter *it, guint64 *from, guint64 *to)
{
  if (it->overflow)
    return FALSE;
  if (it->ack->ranges) {
    guint64 holes, recv;
    RtmfpReader save = it->r;

    if (!rtmfp_reader_vlu (&it->r, &holes) ||
        !rtmfp_reader_vlu (&it->r, &recv)) {
      it->r = save;
      it->r.p = it->r.end; /* truncated range: ignore it and stop */
      return FALSE;
    }
    /* from = cursor + 1 + holes + 1; to = from + recv */
    if (holes > G_MAXUINT64 - 2 || it->cursor > G_MAXUINT64 - 2 - holes) {
      it->overflow = TRUE;
      return FALSE;
    }
    *from = it->cursor + 2 + holes;
    if (recv > G_MAXUINT64 - *from) {
      it->overflow = TRUE;
      return FALSE;
    }
    *to = *from + recv;
    it->cursor = *to;
    return TRUE;
  } else {
    /* bitmap: bit k (LSB first) of the bytes stands for cum_ack + 2 + k */
    gsize nbits = it->ack->rest_len * 8;
    gsize k = it->bit;

    while (k < nbits && !(it->ack->rest[k / 8] & (1u << (k % 8))))
      k++;
    if (k >= nbits) {
      it->bit = k;
      return FALSE;
    }
    if (it->ack->cum_ack > G_MAXUINT64 - 2 - k - nbits) {
      it->overflow = TRUE;
      return FALSE;
    }
    *from = it->ack->cum_ack + 2 + k;
    while (k < nbits && (it->ack->rest[k / 8] & (1u << (k % 8))))
      k++;
    *to = it->ack->cum_ack + 2 + k - 1;
    it->bit = k;
    return TRUE;
  }
}

static gsize
ack_head_size (guint64 flow_id, guint64 blocks, guint64 cum_ack)
{
  return RTMFP_CHUNK_HEADER_SIZE + rtmfp_vlu_size (flow_id) +
      rtmfp_vlu_size (blocks) + rtmfp_vlu_size (cum_ack);
}

gboolean
rtmfp_ack_chunk_build (GByteArray *b, guint64 flow_id, guint64 buffer_blocks,
    guint64 cum_ack, const RtmfpSeqRange *ranges, guint n_ranges,
    gsize max_size)
{
  gsize head = ack_head_size (flow_id, buffer_blocks, cum_ack);
  gsize max_payload = MIN (max_size, RTMFP_CHUNK_HEADER_SIZE + 0xffff);
  guint r_fit = 0, b_fit = 0;
  gsize r_size = head, b_size = head;
  guint64 prev = cum_ack;
  gboolean use_ranges;
  gsize s;

  if (head > max_payload)
    return FALSE;
  /* how many ranges fit in each encoding */
  for (guint i = 0; i < n_ranges; i++) {
    gsize n = rtmfp_vlu_size (ranges[i].from - prev - 2) +
        rtmfp_vlu_size (ranges[i].to - ranges[i].from);

    if (r_size + n > max_payload)
      break;
    r_size += n;
    prev = ranges[i].to;
    r_fit++;
  }
  for (guint i = 0; i < n_ranges; i++) {
    guint64 k = ranges[i].to - cum_ack - 2;
    gsize n;

    if (k >= 8 * (guint64) 0xffff)
      break;
    n = head + k / 8 + 1;
    if (n > max_payload)
      break;
    b_size = n;
    b_fit++;
  }
  /* a bitmap only when it says more or is smaller: MonaTiny converts a
   * Bitmap Ack into a Range Ack in place, writing a byte just past it, so
   * an empty bitmap destroys the type of the next chunk in the packet (and
   * the data it carried is never acknowledged); rtmfp-cpp and librtmfp
   * send Range Acks only */
  use_ranges = r_fit > b_fit || (r_fit == b_fit && r_size <= b_size);

  s = rtmfp_chunk_begin (
      b, use_ranges ? RTMFP_CHUNK_ACK_RANGES : RTMFP_CHUNK_ACK_BITMAP);
  rtmfp_put_vlu (b, flow_id);
  rtmfp_put_vlu (b, buffer_blocks);
  rtmfp_put_vlu (b, cum_ack);
  if (use_ranges) {
    prev = cum_ack;
    for (guint i = 0; i < r_fit; i++) {
      rtmfp_put_vlu (b, ranges[i].from - prev - 2);
      rtmfp_put_vlu (b, ranges[i].to - ranges[i].from);
      prev = ranges[i].to;
    }
  } else if (b_fit > 0) {
    gsize nbytes = b_size - head;
    gsize off = b->len;

    g_byte_array_set_size (b, off + nbytes);
    memset (b->data + off, 0, nbytes);
    for (guint i = 0; i < b_fit; i++) {
      for (guint64 q = ranges[i].from; q <= ranges[i].to; q++) {
        guint64 k = q - cum_ack - 2;

        b->data[off + k / 8] |= 1u << (k % 8);
      }
    }
  }
  return rtmfp_chunk_end (b, s);
}

/* ---- 0x18, 0x5e, 0x0c, 0x4c --------------------------------------------- */

gboolean
rtmfp_buffer_probe_chunk_parse (const guint8 *p, gsize len, guint64 *flow_id)
{
  RtmfpReader r;

  rtmfp_reader_init (&r, p, len);
  return rtmfp_reader_vlu (&r, flow_id);
}

gboolean
rtmfp_buffer_probe_chunk_build (GByteArray *b, guint64 flow_id)
{
  gsize s = rtmfp_chunk_begin (b, RTMFP_CHUNK_BUFFER_PROBE);

  rtmfp_put_vlu (b, flow_id);
  return rtmfp_chunk_end (b, s);
}

gboolean
rtmfp_flow_exception_chunk_parse (
    const guint8 *p, gsize len, guint64 *flow_id, guint64 *code)
{
  RtmfpReader r;

  rtmfp_reader_init (&r, p, len);
  return rtmfp_reader_vlu (&r, flow_id) && rtmfp_reader_vlu (&r, code);
}

gboolean
rtmfp_flow_exception_chunk_build (GByteArray *b, guint64 flow_id, guint64 code)
{
  gsize s = rtmfp_chunk_begin (b, RTMFP_CHUNK_FLOW_EXCEPTION);

  rtmfp_put_vlu (b, flow_id);
  rtmfp_put_vlu (b, code);
  return rtmfp_chunk_end (b, s);
}

gboolean
rtmfp_empty_chunk_build (GByteArray *b, guint8 type)
{
  gsize s = rtmfp_chunk_begin (b, type);

  return rtmfp_chunk_end (b, s);
}

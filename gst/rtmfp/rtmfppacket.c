/* gst-rtmfp: datagrams <-> plain RTMFP packets
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfppacket.h"

#include <string.h>

const guint8 rtmfp_default_session_key[16] = { 'A', 'd', 'o', 'b', 'e', ' ',
  'S', 'y', 's', 't', 'e', 'm', 's', ' ', '0', '2' };

static const guint8 zero_iv[16];

guint16
rtmfp_checksum (const guint8 *data, gsize len)
{
  guint64 s = 0;
  gsize i;

  for (i = 0; i + 1 < len; i += 2)
    s += ((guint32) data[i] << 8) | data[i + 1];
  if (i < len)
    s += data[i]; /* the odd byte counts as the low-order half */
  while (s >> 16)
    s = (s >> 16) + (s & 0xffff);
  return (~s) & 0xffff;
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

guint32
rtmfp_scramble_session_id (
    guint32 session_id, const guint8 *ciphertext, gsize len)
{
  guint8 first[8] = { 0 };

  memcpy (first, ciphertext, MIN (len, 8));
  return session_id ^ be32 (first) ^ be32 (first + 4);
}

gboolean
rtmfp_datagram_session_id (
    const guint8 *datagram, gsize len, guint32 *session_id)
{
  if (len < 4)
    return FALSE;
  *session_id =
      rtmfp_scramble_session_id (be32 (datagram), datagram + 4, len - 4);
  return TRUE;
}

gboolean
rtmfp_packet_keys_init_default (
    RtmfpPacketKeys *k, const RtmpCryptoAdapter *crypto)
{
  return rtmfp_packet_keys_init (
      k, crypto, rtmfp_default_session_key, rtmfp_default_session_key);
}

gboolean
rtmfp_packet_keys_init (RtmfpPacketKeys *k, const RtmpCryptoAdapter *crypto,
    const guint8 *enc_key16, const guint8 *dec_key16)
{
  memset (k, 0, sizeof (*k));
  k->crypto = crypto;
  k->enc = crypto->aes_new (crypto->user_data, enc_key16);
  k->dec = crypto->aes_new (crypto->user_data, dec_key16);
  if (!k->enc || !k->dec) {
    rtmfp_packet_keys_clear (k);
    return FALSE;
  }
  return TRUE;
}

void
rtmfp_packet_keys_clear (RtmfpPacketKeys *k)
{
  if (k->crypto) {
    if (k->enc)
      k->crypto->aes_free (k->crypto->user_data, k->enc);
    if (k->dec)
      k->crypto->aes_free (k->crypto->user_data, k->dec);
  }
  memset (k, 0, sizeof (*k));
}

static void
hmac_sha256 (const guint8 *key, gsize key_len, const guint8 *data, gsize len,
    guint8 out[32])
{
  GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  gsize n = 32;

  g_hmac_update (h, data, len);
  g_hmac_get_digest (h, out, &n);
  g_hmac_unref (h);
}

gboolean
rtmfp_packet_seal (RtmfpPacketKeys *k, guint32 session_id, const guint8 *plain,
    gsize plain_len, GByteArray *out)
{
  guint8 pre[RTMFP_VLU_MAX_BYTES + 2];
  gsize pre_len = 0, cksum_off = 0, total, pad, start, ct_off;
  gboolean cksum = k->send_hmac_len == 0;
  guint8 *ct;
  guint32 ssid;

  if (k->send_sseq)
    pre_len += rtmfp_vlu_encode (pre, k->next_sseq);
  if (cksum) {
    cksum_off = pre_len;
    pre_len += 2;
  }
  total = pre_len + plain_len;
  pad = (16 - total % 16) % 16;
  total += pad;

  start = out->len;
  g_byte_array_set_size (out, start + 4 + total);
  ct_off = start + 4;
  ct = out->data + ct_off;
  memcpy (ct, pre, pre_len);
  memcpy (ct + pre_len, plain, plain_len);
  memset (ct + pre_len + plain_len, 0xff, pad);
  if (cksum) {
    guint16 c = rtmfp_checksum (ct + cksum_off + 2, total - cksum_off - 2);

    ct[cksum_off] = c >> 8;
    ct[cksum_off + 1] = c & 0xff;
  }
  if (!k->crypto->aes_cbc (
          k->crypto->user_data, k->enc, TRUE, zero_iv, ct, ct, total)) {
    g_byte_array_set_size (out, start);
    return FALSE;
  }
  ct = out->data + ct_off;
  ssid = rtmfp_scramble_session_id (session_id, ct, total);
  out->data[start] = ssid >> 24;
  out->data[start + 1] = ssid >> 16;
  out->data[start + 2] = ssid >> 8;
  out->data[start + 3] = ssid;
  if (k->send_hmac_len) {
    guint8 mac[32];

    hmac_sha256 (k->send_hmac_key, 32, out->data + ct_off, total, mac);
    g_byte_array_append (out, mac, k->send_hmac_len);
  }
  if (k->send_sseq)
    k->next_sseq++;
  return TRUE;
}

RtmfpOpenResult
rtmfp_packet_open (RtmfpPacketKeys *k, const guint8 *datagram, gsize len,
    guint8 *plain, gsize *plain_off, gsize *plain_len)
{
  gsize ct_len, off = 0;
  guint64 sseq = 0;

  if (len < 4 + k->recv_hmac_len)
    return RTMFP_OPEN_BAD_SIZE;
  ct_len = len - 4 - k->recv_hmac_len;
  if (ct_len == 0 || ct_len % 16 != 0 || len > RTMFP_MAX_DATAGRAM)
    return RTMFP_OPEN_BAD_SIZE;
  if (k->recv_hmac_len) {
    guint8 mac[32];
    guint8 diff = 0;

    hmac_sha256 (k->recv_hmac_key, 32, datagram + 4, ct_len, mac);
    for (guint i = 0; i < k->recv_hmac_len; i++)
      diff |= mac[i] ^ datagram[4 + ct_len + i];
    if (diff)
      return RTMFP_OPEN_BAD_HMAC;
  }
  if (!k->crypto->aes_cbc (k->crypto->user_data, k->dec, FALSE, zero_iv,
          datagram + 4, plain, ct_len))
    return RTMFP_OPEN_CRYPTO;
  if (k->recv_sseq) {
    RtmfpReader r;

    rtmfp_reader_init (&r, plain, ct_len);
    if (!rtmfp_reader_vlu (&r, &sseq))
      return k->recv_hmac_len ? RTMFP_OPEN_BAD_HMAC : RTMFP_OPEN_BAD_CHECKSUM;
    off = r.p - plain;
    if (k->sseq_seen && sseq <= k->max_sseq) {
      guint64 back = k->max_sseq - sseq;

      if (back >= 64 || (k->sseq_window & (G_GUINT64_CONSTANT (1) << back)))
        return RTMFP_OPEN_REPLAY;
    }
  }
  if (!k->recv_hmac_len) {
    guint16 want;

    if (ct_len - off < 2)
      return RTMFP_OPEN_BAD_CHECKSUM;
    want = ((guint16) plain[off] << 8) | plain[off + 1];
    off += 2;
    if (rtmfp_checksum (plain + off, ct_len - off) != want)
      return RTMFP_OPEN_BAD_CHECKSUM;
  }
  if (off >= ct_len)
    return RTMFP_OPEN_BAD_SIZE;
  if (k->recv_sseq) {
    if (!k->sseq_seen) {
      k->sseq_seen = TRUE;
      k->max_sseq = sseq;
      k->sseq_window = 1;
    } else if (sseq > k->max_sseq) {
      guint64 shift = sseq - k->max_sseq;

      k->sseq_window = shift >= 64 ? 0 : k->sseq_window << shift;
      k->sseq_window |= 1;
      k->max_sseq = sseq;
    } else {
      k->sseq_window |= G_GUINT64_CONSTANT (1) << (k->max_sseq - sseq);
    }
  }
  *plain_off = off;
  *plain_len = ct_len - off;
  return RTMFP_OPEN_OK;
}

gboolean
rtmfp_packet_header_parse (const guint8 *p, gsize len, RtmfpPacketHeader *h)
{
  RtmfpReader r;

  memset (h, 0, sizeof (*h));
  rtmfp_reader_init (&r, p, len);
  if (!rtmfp_reader_u8 (&r, &h->flags))
    return FALSE;
  h->mode = h->flags & RTMFP_MODE_MASK;
  if (h->mode == RTMFP_MODE_FORBIDDEN)
    return FALSE;
  if (h->flags & RTMFP_FLAG_TS) {
    if (!rtmfp_reader_u16 (&r, &h->ts))
      return FALSE;
    h->has_ts = TRUE;
  }
  if (h->flags & RTMFP_FLAG_TSE) {
    if (!rtmfp_reader_u16 (&r, &h->tse))
      return FALSE;
    h->has_tse = TRUE;
  }
  h->chunks_off = r.p - p;
  return TRUE;
}

gsize
rtmfp_packet_header_size (const RtmfpPacketHeader *h)
{
  return 1 + (h->has_ts ? 2 : 0) + (h->has_tse ? 2 : 0);
}

void
rtmfp_packet_header_write (GByteArray *b, const RtmfpPacketHeader *h)
{
  guint8 flags =
      (h->flags & ~(RTMFP_FLAG_TS | RTMFP_FLAG_TSE | RTMFP_MODE_MASK)) |
      (h->mode & RTMFP_MODE_MASK);

  if (h->has_ts)
    flags |= RTMFP_FLAG_TS;
  if (h->has_tse)
    flags |= RTMFP_FLAG_TSE;
  rtmfp_put_u8 (b, flags);
  if (h->has_ts)
    rtmfp_put_u16 (b, h->ts);
  if (h->has_tse)
    rtmfp_put_u16 (b, h->tse);
}

void
rtmfp_chunk_iter_init (RtmfpChunkIter *it, const guint8 *p, gsize len)
{
  rtmfp_reader_init (&it->r, p, len);
}

gboolean
rtmfp_chunk_iter_next (RtmfpChunkIter *it, guint8 *type, const guint8 **payload,
    gsize *payload_len)
{
  guint16 len;
  RtmfpReader r = it->r;

  if (rtmfp_reader_left (&r) < 3)
    return FALSE;
  rtmfp_reader_u8 (&r, type);
  rtmfp_reader_u16 (&r, &len);
  if (len > rtmfp_reader_left (&r))
    return FALSE; /* padding */
  *payload = r.p;
  *payload_len = len;
  r.p += len;
  it->r = r;
  return TRUE;
}

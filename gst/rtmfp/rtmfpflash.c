/* gst-rtmfp: the Flash cryptography profile
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfpflash.h"
#include "rtmperror.h"
#include "rtmpdhgroups.h"

#include <string.h>

/* ---- certificates ------------------------------------------------------- */

gboolean
rtmfp_cert_parse (const guint8 *cert, gsize len, RtmfpCertInfo *info)
{
  RtmfpReader r;

  memset (info, 0, sizeof (*info));
  rtmfp_reader_init (&r, cert, len);
  info->canonical_len = len;
  while (rtmfp_reader_left (&r) > 0) {
    RtmfpOption opt;

    if (!rtmfp_reader_option (&r, &opt))
      return FALSE;
    if (opt.is_marker) {
      info->canonical_len = r.p - cert;
      break;
    }
    switch (opt.type) {
      case RTMFP_CERT_HOSTNAME:
        info->hostname = opt.value;
        info->hostname_len = opt.value_len;
        break;
      case RTMFP_CERT_ACCEPTS_ANCILLARY:
        info->accepts_ancillary = TRUE;
        break;
      case RTMFP_CERT_EPHEMERAL_GROUP: {
        RtmfpReader v;
        guint64 g;

        rtmfp_reader_init (&v, opt.value, opt.value_len);
        if (!rtmfp_reader_vlu (&v, &g))
          return FALSE;
        info->is_ephemeral = TRUE;
        if (info->n_groups < RTMFP_MAX_DH_GROUPS)
          info->groups[info->n_groups++] = g;
        break;
      }
      case RTMFP_CERT_STATIC_KEY: {
        RtmfpReader v;
        guint64 g;

        rtmfp_reader_init (&v, opt.value, opt.value_len);
        if (!rtmfp_reader_vlu (&v, &g) || rtmfp_reader_left (&v) == 0)
          return FALSE;
        info->is_static = TRUE;
        if (info->n_keys < RTMFP_MAX_DH_GROUPS) {
          info->keys[info->n_keys].group = g;
          info->keys[info->n_keys].key = v.p;
          info->keys[info->n_keys].key_len = rtmfp_reader_left (&v);
          info->n_keys++;
        }
        break;
      }
      default:
        break;
    }
  }
  return info->is_static != info->is_ephemeral;
}

void
rtmfp_cert_fingerprint (
    const guint8 *cert, gsize len, guint8 peer_id[RTMFP_PEER_ID_SIZE])
{
  RtmfpReader r;
  gsize canonical = len;
  GChecksum *c;
  gsize n = RTMFP_PEER_ID_SIZE;

  /* up to and including the first marker, or everything */
  rtmfp_reader_init (&r, cert, len);
  while (rtmfp_reader_left (&r) > 0) {
    RtmfpOption opt;

    if (!rtmfp_reader_option (&r, &opt))
      break;
    if (opt.is_marker) {
      canonical = r.p - cert;
      break;
    }
  }
  c = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (c, cert, canonical);
  g_checksum_get_digest (c, peer_id, &n);
  g_checksum_free (c);
}

gboolean
rtmfp_cert_offers_group (const RtmfpCertInfo *info, guint64 group)
{
  for (guint i = 0; i < info->n_groups; i++)
    if (info->groups[i] == group)
      return TRUE;
  return rtmfp_cert_static_key (info, group) != NULL;
}

const RtmfpDhKeyRef *
rtmfp_cert_static_key (const RtmfpCertInfo *info, guint64 group)
{
  for (guint i = 0; i < info->n_keys; i++)
    if (info->keys[i].group == group)
      return &info->keys[i];
  return NULL;
}

/* ---- endpoint discriminators -------------------------------------------- */

gboolean
rtmfp_epd_parse (const guint8 *epd, gsize len, RtmfpEpdInfo *info)
{
  RtmfpReader r;

  memset (info, 0, sizeof (*info));
  rtmfp_reader_init (&r, epd, len);
  while (rtmfp_reader_left (&r) > 0) {
    RtmfpOption opt;

    if (!rtmfp_reader_option (&r, &opt))
      return FALSE;
    if (opt.is_marker)
      break;
    switch (opt.type) {
      case RTMFP_EPD_HOSTNAME:
        info->hostname = opt.value ? opt.value : (const guint8 *) "";
        info->hostname_len = opt.value_len;
        break;
      case RTMFP_EPD_ANCILLARY:
        info->ancillary = opt.value ? opt.value : (const guint8 *) "";
        info->ancillary_len = opt.value_len;
        break;
      case RTMFP_EPD_FINGERPRINT:
        if (opt.value_len != RTMFP_PEER_ID_SIZE)
          return FALSE;
        info->fingerprint = opt.value;
        break;
      default:
        break;
    }
  }
  return info->hostname || info->ancillary || info->fingerprint;
}

GBytes *
rtmfp_epd_new_fingerprint (const guint8 peer_id[RTMFP_PEER_ID_SIZE])
{
  GByteArray *b = g_byte_array_new ();

  rtmfp_put_option (b, RTMFP_EPD_FINGERPRINT, peer_id, RTMFP_PEER_ID_SIZE);
  return g_byte_array_free_to_bytes (b);
}

GBytes *
rtmfp_epd_new_ancillary (const guint8 *data, gsize len)
{
  GByteArray *b = g_byte_array_new ();

  rtmfp_put_option (b, RTMFP_EPD_ANCILLARY, data, len);
  return g_byte_array_free_to_bytes (b);
}

gboolean
rtmfp_epd_selects (const RtmfpEpdInfo *epd, const RtmfpCertInfo *cert,
    const guint8 peer_id[RTMFP_PEER_ID_SIZE])
{
  if (epd->fingerprint)
    return memcmp (epd->fingerprint, peer_id, RTMFP_PEER_ID_SIZE) == 0;
  if (epd->hostname) {
    if (!cert->hostname || cert->hostname_len != epd->hostname_len ||
        memcmp (cert->hostname, epd->hostname, epd->hostname_len) != 0)
      return FALSE;
  }
  if (epd->ancillary && !cert->accepts_ancillary)
    return FALSE;
  return epd->hostname || epd->ancillary;
}

/* ---- keying components -------------------------------------------------- */

gboolean
rtmfp_keying_parse (const guint8 *skc, gsize len, RtmfpKeyingInfo *info)
{
  RtmfpReader r;

  memset (info, 0, sizeof (*info));
  rtmfp_reader_init (&r, skc, len);
  while (rtmfp_reader_left (&r) > 0) {
    RtmfpOption opt;
    RtmfpReader v;

    if (!rtmfp_reader_option (&r, &opt))
      return FALSE;
    if (opt.is_marker)
      break;
    rtmfp_reader_init (&v, opt.value, opt.value_len);
    switch (opt.type) {
      case RTMFP_SKC_DH_PUBLIC: {
        guint64 g;

        if (!rtmfp_reader_vlu (&v, &g) || rtmfp_reader_left (&v) == 0)
          return FALSE;
        if (info->n_dh < RTMFP_MAX_DH_GROUPS) {
          info->dh[info->n_dh].group = g;
          info->dh[info->n_dh].key = v.p;
          info->dh[info->n_dh].key_len = rtmfp_reader_left (&v);
          info->n_dh++;
        }
        break;
      }
      case RTMFP_SKC_GROUP_SELECT:
        if (!rtmfp_reader_vlu (&v, &info->group_select))
          return FALSE;
        info->has_group_select = TRUE;
        break;
      case RTMFP_SKC_EXTRA_RANDOM:
        info->extra_random = opt.value;
        info->extra_random_len = opt.value_len;
        break;
      case RTMFP_SKC_HMAC:
        if (!rtmfp_reader_u8 (&v, &info->hmac_flags))
          return FALSE;
        /* the length may be missing when nothing is offered */
        if (!rtmfp_reader_vlu (&v, &info->hmac_len))
          info->hmac_len = 0;
        break;
      case RTMFP_SKC_SSEQ:
        if (!rtmfp_reader_u8 (&v, &info->sseq_flags))
          return FALSE;
        break;
      default:
        break;
    }
  }
  return TRUE;
}

const RtmfpDhKeyRef *
rtmfp_keying_dh (const RtmfpKeyingInfo *info, guint64 group)
{
  for (guint i = 0; i < info->n_dh; i++)
    if (info->dh[i].group == group)
      return &info->dh[i];
  return NULL;
}

gboolean
rtmfp_negotiate (guint8 mine, guint8 theirs, RtmfpNegotiated *out)
{
  out->send = (mine & RTMFP_NEG_SND) || (theirs & RTMFP_NEG_REQ);
  out->recv = (theirs & RTMFP_NEG_SND) || (mine & RTMFP_NEG_REQ);
  if ((mine & RTMFP_NEG_REQ) && !(theirs & (RTMFP_NEG_SND | RTMFP_NEG_SOR)))
    return FALSE;
  return TRUE;
}

/* ---- Diffie-Hellman ----------------------------------------------------- */

static const guint8 *
strip_zeros (const guint8 *p, gsize *len)
{
  while (*len > 0 && *p == 0) {
    p++;
    (*len)--;
  }
  return p;
}

gboolean
rtmfp_dh_check_public (
    guint64 group, const guint8 *key, gsize len, GError **error)
{
  const guint8 *prime;
  gsize plen, ones = 0, zeros;
  guint8 limit[512];
  int borrow;

  if (group > G_MAXUINT || !rtmp_dh_group_get ((guint) group, &prime, &plen)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "Diffie-Hellman group %" G_GUINT64_FORMAT " is not supported", group);
    return FALSE;
  }
  key = strip_zeros (key, &len);
  if (len > plen || len <= 3) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "Diffie-Hellman public key of %" G_GSIZE_FORMAT
        " significant bytes in group %" G_GUINT64_FORMAT " (1..%" G_GSIZE_FORMAT
        " bytes and at least 2^24)",
        len, group, plen);
    return FALSE;
  }
  /* limit = p - 2^24 */
  memcpy (limit, prime, plen);
  borrow = 1;
  for (gssize i = (gssize) plen - 4; i >= 0 && borrow; i--) {
    borrow = limit[i] == 0;
    limit[i]--;
  }
  if (len == plen && memcmp (key, limit, plen) > 0) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "Diffie-Hellman public key above p - 2^24");
    return FALSE;
  }
  for (gsize i = 0; i < len; i++)
    ones += __builtin_popcount (key[i]);
  zeros = len * 8 - ones;
  if (ones < 16 || zeros < 16) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "Diffie-Hellman public key with %" G_GSIZE_FORMAT
        " one bits and %" G_GSIZE_FORMAT " zero bits (16 of each needed)",
        ones, zeros);
    return FALSE;
  }
  return TRUE;
}

RtmfpDhKey *
rtmfp_dh_key_new (const RtmpCryptoAdapter *crypto, guint64 group,
    const guint8 *priv, gsize priv_len, GError **error)
{
  const guint8 *prime;
  gsize plen, n;
  RtmfpDhKey *k;
  guint8 *full;
  const guint8 *p;

  if (group > G_MAXUINT || !rtmp_dh_group_get ((guint) group, &prime, &plen)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "Diffie-Hellman group %" G_GUINT64_FORMAT " is not supported", group);
    return NULL;
  }
  k = g_new0 (RtmfpDhKey, 1);
  k->crypto = crypto;
  k->group = group;
  k->dh = crypto->dh_new (
      crypto->user_data, prime, plen, RTMP_DH_GENERATOR, priv, priv_len, error);
  if (!k->dh) {
    g_free (k);
    return NULL;
  }
  full = g_malloc (plen);
  crypto->dh_get_public (crypto->user_data, k->dh, full);
  n = plen;
  p = strip_zeros (full, &n);
  k->pub = g_memdup2 (p, n);
  k->pub_len = n;
  g_free (full);
  return k;
}

void
rtmfp_dh_key_free (RtmfpDhKey *k)
{
  if (!k)
    return;
  if (k->dh)
    k->crypto->dh_free (k->crypto->user_data, k->dh);
  g_free (k->pub);
  g_free (k);
}

guint8 *
rtmfp_dh_key_compute (RtmfpDhKey *k, const guint8 *peer, gsize len,
    gsize *secret_len, GError **error)
{
  const guint8 *prime;
  gsize plen, n;
  guint8 *full, *out;
  const guint8 *p;

  if (!rtmfp_dh_check_public (k->group, peer, len, error))
    return NULL;
  rtmp_dh_group_get ((guint) k->group, &prime, &plen);
  peer = strip_zeros (peer, &len);
  full = g_malloc (plen);
  if (!k->crypto->dh_compute (
          k->crypto->user_data, k->dh, peer, len, full, error)) {
    g_free (full);
    return NULL;
  }
  n = plen;
  p = strip_zeros (full, &n);
  out = g_memdup2 (p, n);
  *secret_len = n;
  memset (full, 0, plen);
  g_free (full);
  return out;
}

/* ---- session keys ------------------------------------------------------- */

static void
hmac256 (const guint8 *key, gsize key_len, const guint8 *data, gsize len,
    guint8 out[32])
{
  GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  gsize n = 32;

  g_hmac_update (h, data, len);
  g_hmac_get_digest (h, out, &n);
  g_hmac_unref (h);
}

void
rtmfp_derive_session_keys (const guint8 *secret, gsize secret_len,
    const guint8 *skic, gsize skic_len, const guint8 *skrc, gsize skrc_len,
    RtmfpSessionKeys *out)
{
  guint8 t[32];

  /* K_i2r = HMAC(S, HMAC(SKRC, SKIC)); K_r2i = HMAC(S, HMAC(SKIC, SKRC)) */
  hmac256 (skrc, skrc_len, skic, skic_len, t);
  hmac256 (secret, secret_len, t, 32, out->i2r);
  hmac256 (skic, skic_len, skrc, skrc_len, t);
  hmac256 (secret, secret_len, t, 32, out->r2i);
  hmac256 (secret, secret_len, out->i2r, 32, out->hmac_i2r);
  hmac256 (secret, secret_len, out->r2i, 32, out->hmac_r2i);
  hmac256 (secret, secret_len, skic, skic_len, out->nonce_initiator);
  hmac256 (secret, secret_len, skrc, skrc_len, out->nonce_responder);
  memset (t, 0, sizeof (t));
}

static guint
group_strength (guint64 g)
{
  const guint8 *p;
  gsize len;

  if (g > G_MAXUINT || !rtmp_dh_group_get ((guint) g, &p, &len))
    return 0;
  return len;
}

guint64
rtmfp_choose_group (
    const guint64 *ours, guint n_ours, const RtmfpCertInfo *cert)
{
  guint64 best = 0;

  for (guint i = 0; i < n_ours; i++) {
    if (!rtmfp_cert_offers_group (cert, ours[i]))
      continue;
    if (group_strength (ours[i]) > group_strength (best))
      best = ours[i];
  }
  return best;
}

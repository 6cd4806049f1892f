/* gst-rtmpe: the RTMP handshake, both sides
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Section numbers (§) refer to shared/specs/rtmpe-handshake.md.
 */
#include "rtmphandshake.h"
#include "rtmpxtea.h"
#include "rtmpbytes.h"
#include "rtmpdhgroups.h"
#include "rtmperror.h"

#include <string.h>
#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_handshake_debug);
#define GST_CAT_DEFAULT rtmp_handshake_debug

#define SIZE RTMP_HANDSHAKE_PACKET_SIZE
#define DIGEST RTMP_HANDSHAKE_DIGEST_SIZE
#define DH_KEY RTMP_HANDSHAKE_DH_KEY_SIZE
#define SIG_OFFSET (SIZE - DIGEST) /* C2/S2 signature, 1504 */

/* §3 "Genuine Adobe Flash Player 001" / "... Media Server 001" and the tail
 * both full keys share */
#define FP_TEXT_LEN 30
#define FMS_TEXT_LEN 36
static const guint8 fp_key[FP_TEXT_LEN + 32] =
    "Genuine Adobe Flash Player 001"
    "\xf0\xee\xc2\x4a\x80\x68\xbe\xe8"
    "\x2e\x00\xd0\xd1\x02\x9e\x7e\x57"
    "\x6e\xec\x5d\x2d\x29\x80\x6f\xab"
    "\x93\xb8\xe6\x36\xcf\xeb\x31\xae";
static const guint8 fms_key[FMS_TEXT_LEN + 32] =
    "Genuine Adobe Flash Media Server 001"
    "\xf0\xee\xc2\x4a\x80\x68\xbe\xe8"
    "\x2e\x00\xd0\xd1\x02\x9e\x7e\x57"
    "\x6e\xec\x5d\x2d\x29\x80\x6f\xab"
    "\x93\xb8\xe6\x36\xcf\xeb\x31\xae";

/* §7 type 0x08: XTEA key words */
static const guint32 xtea_keys[16][4] = {
  { 0xbff034b2, 0x11d9081f, 0xccdfb795, 0x748de732 },
  { 0x086a5eb6, 0x1743090e, 0x6ef05ab8, 0xfe5a39e2 },
  { 0x7b10956f, 0x76ce0521, 0x2388a73a, 0x440149a1 },
  { 0xa943f317, 0xebf11bb2, 0xa691a5ee, 0x17f36339 },
  { 0x7a30e00a, 0xb529e22c, 0xa087aea5, 0xc0cb79ac },
  { 0xbdce0c23, 0x2febdeff, 0x1cfaae16, 0x1123239d },
  { 0x55dd3f7b, 0x77e7e62e, 0x9bb8c499, 0xc9481ee4 },
  { 0x407bb6b4, 0x71e89136, 0xa7aebf55, 0xca33b839 },
  { 0xfcf6bdc3, 0xb63c3697, 0x7ce4f825, 0x04d959b2 },
  { 0x28e091fd, 0x41954c4c, 0x7fb7db00, 0xe3a066f8 },
  { 0x57845b76, 0x4f251b03, 0x46d45bcd, 0xa2c30d29 },
  { 0x0acceef8, 0xda55b546, 0x03473452, 0x5863713b },
  { 0xb82075dc, 0xa75f1fee, 0xd84268e8, 0xa72a44cc },
  { 0x07cf6e9e, 0xa16d7b25, 0x9fa7ae6c, 0xd92f5629 },
  { 0xfeb1eae4, 0x8c8c3ce1, 0x4e0064a7, 0x6a387c2a },
  { 0x893a9427, 0xcc3013a2, 0xf106385b, 0xa829f927 },
};

/* §7 type 0x09: 24-byte Blowfish keys */
static const guint8 blowfish_keys[16][24] = {
  { 0x79, 0x34, 0x77, 0x4c, 0x67, 0xd1, 0x38, 0x3a, 0xdf, 0xb3, 0x56, 0xbe,
      0x8b, 0x7b, 0xd0, 0x24, 0x38, 0xe0, 0x73, 0x58, 0x41, 0x5d, 0x69, 0x67 },
  { 0x46, 0xf6, 0xb4, 0xcc, 0x01, 0x93, 0xe3, 0xa1, 0x9e, 0x7d, 0x3c, 0x65,
      0x55, 0x86, 0xfd, 0x09, 0x8f, 0xf7, 0xb3, 0xc4, 0x6f, 0x41, 0xca, 0x5c },
  { 0x1a, 0xe7, 0xe2, 0xf3, 0xf9, 0x14, 0x79, 0x94, 0xc0, 0xd3, 0x97, 0x43,
      0x08, 0x7b, 0xb3, 0x84, 0x43, 0x2f, 0x9d, 0x84, 0x3f, 0x21, 0x01, 0x9b },
  { 0xd3, 0xe3, 0x54, 0xb0, 0xf7, 0x1d, 0xf6, 0x2b, 0x5a, 0x43, 0x4d, 0x04,
      0x83, 0x64, 0x3e, 0x0d, 0x59, 0x2f, 0x61, 0xcb, 0xb1, 0x6a, 0x59, 0x0d },
  { 0xc8, 0xc1, 0xe9, 0xb8, 0x16, 0x56, 0x99, 0x21, 0x7b, 0x5b, 0x36, 0xb7,
      0xb5, 0x9b, 0xdf, 0x06, 0x49, 0x2c, 0x97, 0xf5, 0x95, 0x48, 0x85, 0x7e },
  { 0xeb, 0xe5, 0xe6, 0x2e, 0xa4, 0xba, 0xd4, 0x2c, 0xf2, 0x16, 0xe0, 0x8f,
      0x66, 0x23, 0xa9, 0x43, 0x41, 0xce, 0x38, 0x14, 0x84, 0x95, 0x00, 0x53 },
  { 0x66, 0xdb, 0x90, 0xf0, 0x3b, 0x4f, 0xf5, 0x6f, 0xe4, 0x9c, 0x20, 0x89,
      0x35, 0x5e, 0xd2, 0xb2, 0xc3, 0x9e, 0x9f, 0x7f, 0x63, 0xb2, 0x28, 0x81 },
  { 0xbb, 0x20, 0xac, 0xed, 0x2a, 0x04, 0x6a, 0x19, 0x94, 0x98, 0x9b, 0xc8,
      0xff, 0xcd, 0x93, 0xef, 0xc6, 0x0d, 0x56, 0xa7, 0xeb, 0x13, 0xd9, 0x30 },
  { 0xbc, 0xf2, 0x43, 0x82, 0x09, 0x40, 0x8a, 0x87, 0x25, 0x43, 0x6d, 0xe6,
      0xbb, 0xa4, 0xb9, 0x44, 0x58, 0x3f, 0x21, 0x7c, 0x99, 0xbb, 0x3f, 0x24 },
  { 0xec, 0x1a, 0xaa, 0xcd, 0xce, 0xbd, 0x53, 0x11, 0xd2, 0xfb, 0x83, 0xb6,
      0xc3, 0xba, 0xab, 0x4f, 0x62, 0x79, 0xe8, 0x65, 0xa9, 0x92, 0x28, 0x76 },
  { 0xc6, 0x0c, 0x30, 0x03, 0x91, 0x18, 0x2d, 0x7b, 0x79, 0xda, 0xe1, 0xd5,
      0x64, 0x77, 0x9a, 0x12, 0xc5, 0xb1, 0xd7, 0x91, 0x4f, 0x96, 0x4c, 0xa3 },
  { 0xd7, 0x7c, 0x2a, 0xbf, 0xa6, 0xe7, 0x85, 0x7c, 0x45, 0xad, 0xff, 0x12,
      0x94, 0xd8, 0xde, 0xa4, 0x5c, 0x3d, 0x79, 0xa4, 0x44, 0x02, 0x5d, 0x22 },
  { 0x16, 0x19, 0x0d, 0x81, 0x6a, 0x4c, 0xc7, 0xf8, 0xb8, 0xf9, 0x4e, 0xcd,
      0x2c, 0x9e, 0x90, 0x84, 0xb2, 0x08, 0x25, 0x60, 0xe1, 0x1e, 0xae, 0x18 },
  { 0xe9, 0x7c, 0x58, 0x26, 0x1b, 0x51, 0x9e, 0x49, 0x82, 0x60, 0x61, 0xfc,
      0xa0, 0xa0, 0x1b, 0xcd, 0xf5, 0x05, 0xd6, 0xa6, 0x6d, 0x07, 0x88, 0xa3 },
  { 0x2b, 0x97, 0x11, 0x8b, 0xd9, 0x4e, 0xd9, 0xdf, 0x20, 0xe3, 0x9c, 0x10,
      0xe6, 0xa1, 0x35, 0x21, 0x11, 0xf9, 0x13, 0x0d, 0x0b, 0x24, 0x65, 0xb2 },
  { 0x53, 0x6a, 0x4c, 0x54, 0xac, 0x8b, 0x9b, 0xb8, 0x97, 0x29, 0xfc, 0x60,
      0x2c, 0x5b, 0x3a, 0x85, 0x68, 0xb5, 0xaa, 0x6a, 0x44, 0xcd, 0x3f, 0xa7 },
};

typedef enum
{
  STATE_INITIAL, /* client, before get_initial () */
  STATE_WAIT_PEER1, /* waiting for the peer's type byte and C1/S1 */
  STATE_WAIT_PEER2, /* waiting for the peer's C2/S2 */
  STATE_DONE,
  STATE_ERROR,
} State;

struct _RtmpHandshake
{
  const RtmpCryptoAdapter *crypto;
  gboolean server;
  State state;

  /* settings */
  guint8 requested; /* client: C0 */
  gboolean want_digest; /* client */
  guint accept; /* server: RtmpHandshakeAccept */
  guint8 rtmpe_answer; /* server: forced S0 for RTMPE, or 0 */
  guint32 time;
  guint32 version;
  RtmpHandshakeLayout local_layout;

  /* our C1/S1, and the peer's type byte + C1/S1, then its C2/S2 */
  guint8 local[SIZE];
  guint8 peer1[1 + SIZE];
  guint8 peer2[SIZE];
  gsize have; /* bytes of peer1 or peer2 collected */

  /* results */
  guint8 type; /* negotiated S0 */
  gboolean digest;
  gboolean encrypted;
  RtmpHandshakeLayout peer_layout;
  guint local_digest_pos;
  guint peer_digest_pos;
  RtmpDh *dh;
  guint8 rc4_decrypt[RTMP_HANDSHAKE_RC4_KEY_SIZE];
  guint8 rc4_encrypt[RTMP_HANDSHAKE_RC4_KEY_SIZE];
};

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_handshake_debug, "rtmpe-handshake", 0,
        "RTMP handshake: simple, digest and RTMPE");
    g_once_init_leave (&once, 1);
  }
}

static void
wipe (void *p, gsize len)
{
  volatile guint8 *v = p;

  while (len--)
    *v++ = 0;
}

static gboolean
equal_ct (const guint8 *a, const guint8 *b, gsize len)
{
  guint8 d = 0;

  for (gsize i = 0; i < len; i++)
    d |= a[i] ^ b[i];
  return d == 0;
}

static const gchar *
layout_name (RtmpHandshakeLayout layout)
{
  switch (layout) {
    case RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST:
      return "digest-first";
    case RTMP_HANDSHAKE_LAYOUT_KEY_FIRST:
      return "key-first";
    default:
      return "none";
  }
}

static gboolean
type_is_rtmpe (guint8 type)
{
  return type == RTMP_HANDSHAKE_TYPE_RTMPE ||
      type == RTMP_HANDSHAKE_TYPE_RTMPE_XTEA ||
      type == RTMP_HANDSHAKE_TYPE_RTMPE_BLOWFISH;
}

/* HMAC-SHA256 of @a followed by @b */
static void
hmac2 (const guint8 *key, gsize key_len, const guint8 *a, gsize a_len,
    const guint8 *b, gsize b_len, guint8 out[DIGEST])
{
  GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  gsize n = DIGEST;

  if (a_len)
    g_hmac_update (h, a, a_len);
  if (b_len)
    g_hmac_update (h, b, b_len);
  g_hmac_get_digest (h, out, &n);
  g_hmac_unref (h);
}

/* ---- building blocks ---------------------------------------------------- */

static guint
sum4 (const guint8 *b, guint o)
{
  return (guint) b[o] + b[o + 1] + b[o + 2] + b[o + 3];
}

guint
rtmp_handshake_digest_offset (const guint8 *body, RtmpHandshakeLayout layout)
{
  if (layout == RTMP_HANDSHAKE_LAYOUT_KEY_FIRST)
    return sum4 (body, 772) % 728 + 776;
  return sum4 (body, 8) % 728 + 12;
}

guint
rtmp_handshake_dh_offset (const guint8 *body, RtmpHandshakeLayout layout)
{
  if (layout == RTMP_HANDSHAKE_LAYOUT_KEY_FIRST)
    return sum4 (body, 768) % 632 + 8;
  return sum4 (body, 1532) % 632 + 772;
}

/* §4.1: HMAC over the body without the 32-byte digest slot at @pos */
static void
body_digest (const guint8 *body, guint pos, const guint8 *key, gsize key_len,
    guint8 out[DIGEST])
{
  hmac2 (
      key, key_len, body, pos, body + pos + DIGEST, SIZE - pos - DIGEST, out);
}

/* Finds the layout whose digest verifies, trying @first then the other.
 * Returns NONE if neither does. */
static RtmpHandshakeLayout
find_digest (const guint8 *body, const guint8 *key, gsize key_len,
    RtmpHandshakeLayout first, guint *pos)
{
  RtmpHandshakeLayout order[2];

  order[0] = first;
  order[1] = first == RTMP_HANDSHAKE_LAYOUT_KEY_FIRST ?
      RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST :
      RTMP_HANDSHAKE_LAYOUT_KEY_FIRST;
  for (guint i = 0; i < 2; i++) {
    guint p = rtmp_handshake_digest_offset (body, order[i]);
    guint8 d[DIGEST];

    body_digest (body, p, key, key_len, d);
    if (equal_ct (d, body + p, DIGEST)) {
      *pos = p;
      return order[i];
    }
    GST_LOG ("no %s digest at offset %u", layout_name (order[i]), p);
  }
  return RTMP_HANDSHAKE_LAYOUT_NONE;
}

gboolean
rtmp_handshake_wrap_signature (guint8 type, const guint8 key[DIGEST],
    guint8 sig[DIGEST], const RtmpCryptoAdapter *crypto, GError **error)
{
  for (guint i = 0; i < DIGEST; i += 8) {
    guint id = key[i] % 15;

    if (type == RTMP_HANDSHAKE_TYPE_RTMPE_XTEA) {
      rtmp_xtea_encrypt_le (xtea_keys[id], sig + i, sig + i);
    } else if (type == RTMP_HANDSHAKE_TYPE_RTMPE_BLOWFISH) {
      /* Blowfish on little-endian words: reverse each half, run the
       * standard big-endian cipher, reverse back */
      guint8 blk[8];

      for (guint j = 0; j < 4; j++) {
        blk[j] = sig[i + 3 - j];
        blk[4 + j] = sig[i + 7 - j];
      }
      if (!crypto->blowfish_encrypt_block (crypto->user_data, blowfish_keys[id],
              sizeof (blowfish_keys[id]), blk, blk)) {
        g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
            "Blowfish is not available (needed for RTMPE type 9)");
        return FALSE;
      }
      for (guint j = 0; j < 4; j++) {
        sig[i + 3 - j] = blk[j];
        sig[i + 7 - j] = blk[4 + j];
      }
    }
  }
  return TRUE;
}

/* §4.2: the signature of a C2/S2 @packet; @full_key is the signer's full
 * key, @peer_digest the digest of the packet it answers */
static gboolean
packet_signature (guint8 type, const guint8 *packet, const guint8 *full_key,
    gsize full_key_len, const guint8 *peer_digest,
    const RtmpCryptoAdapter *crypto, guint8 sig[DIGEST], GError **error)
{
  guint8 key[DIGEST];

  hmac2 (full_key, full_key_len, peer_digest, DIGEST, NULL, 0, key);
  hmac2 (key, DIGEST, packet, SIG_OFFSET, NULL, 0, sig);
  GST_MEMDUMP ("signature before wrap", sig, DIGEST);
  return rtmp_handshake_wrap_signature (type, key, sig, crypto, error);
}

/* ---- object ------------------------------------------------------------- */

static RtmpHandshake *
handshake_new (const RtmpCryptoAdapter *crypto, gboolean server, guint32 time)
{
  RtmpHandshake *hs;

  debug_init ();
  hs = g_new0 (RtmpHandshake, 1);
  hs->crypto = crypto;
  hs->server = server;
  hs->time = time;
  return hs;
}

RtmpHandshake *
rtmp_handshake_new_client (RtmpHandshakeType type, gboolean digest,
    guint32 time, const RtmpCryptoAdapter *crypto)
{
  RtmpHandshake *hs;

  g_return_val_if_fail (crypto != NULL, NULL);
  g_return_val_if_fail (
      type == RTMP_HANDSHAKE_TYPE_PLAIN || type_is_rtmpe (type), NULL);

  hs = handshake_new (crypto, FALSE, time);
  hs->state = STATE_INITIAL;
  hs->requested = type;
  hs->want_digest = digest || type_is_rtmpe (type);
  hs->local_layout = type_is_rtmpe (type) ? RTMP_HANDSHAKE_LAYOUT_KEY_FIRST :
                                            RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST;
  hs->version = type_is_rtmpe (type) ? RTMP_HANDSHAKE_CLIENT_VERSION_RTMPE :
                                       RTMP_HANDSHAKE_CLIENT_VERSION_PLAIN;
  return hs;
}

RtmpHandshake *
rtmp_handshake_new_server (
    guint accept, guint32 time, const RtmpCryptoAdapter *crypto)
{
  RtmpHandshake *hs;

  g_return_val_if_fail (crypto != NULL, NULL);

  hs = handshake_new (crypto, TRUE, time);
  hs->state = STATE_WAIT_PEER1;
  hs->accept = accept;
  hs->local_layout = RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST;
  hs->version = RTMP_HANDSHAKE_SERVER_VERSION;
  return hs;
}

void
rtmp_handshake_free (RtmpHandshake *hs)
{
  if (!hs)
    return;
  if (hs->dh)
    hs->crypto->dh_free (hs->crypto->user_data, hs->dh);
  wipe (hs, sizeof (*hs));
  g_free (hs);
}

void
rtmp_handshake_set_version (RtmpHandshake *hs, guint32 version)
{
  g_return_if_fail (hs != NULL);
  hs->version = version;
}

void
rtmp_handshake_set_layout (RtmpHandshake *hs, RtmpHandshakeLayout layout)
{
  g_return_if_fail (hs != NULL);
  g_return_if_fail (layout == RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST ||
      layout == RTMP_HANDSHAKE_LAYOUT_KEY_FIRST);
  hs->local_layout = layout;
}

void
rtmp_handshake_set_rtmpe_answer (RtmpHandshake *hs, guint8 s0)
{
  g_return_if_fail (hs != NULL);
  g_return_if_fail (s0 == 0 || type_is_rtmpe (s0));
  hs->rtmpe_answer = s0;
}

/* ---- shared steps ------------------------------------------------------- */

static gboolean fail (RtmpHandshake *hs, GError **error, gint code,
    const gchar *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (RtmpHandshake *hs, GError **error, gint code, const gchar *format, ...)
{
  va_list args;
  gchar *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  GST_DEBUG ("handshake failed: %s", msg);
  g_set_error_literal (error, RTMP_ERROR, code, msg);
  g_free (msg);
  hs->state = STATE_ERROR;
  return FALSE;
}

static gboolean
propagate (RtmpHandshake *hs, GError **error, GError *e, const gchar *prefix)
{
  GST_DEBUG ("handshake failed: %s%s", prefix, e->message);
  g_propagate_prefixed_error (error, e, "%s", prefix);
  hs->state = STATE_ERROR;
  return FALSE;
}

/* Fills our C1/S1: random bytes, time, version, and in digest mode the DH
 * public key (RTMPE) and the digest keyed with @text_key. */
static gboolean
build_local (RtmpHandshake *hs, gboolean digest, const guint8 *text_key,
    gsize text_key_len, GError **error)
{
  const RtmpCryptoAdapter *c = hs->crypto;
  guint8 *p = hs->local;

  c->random (c->user_data, p, SIZE);
  rtmp_write_u32_be (p, hs->time);
  rtmp_write_u32_be (p + 4, digest ? hs->version : 0);
  if (!digest)
    return TRUE;

  if (hs->encrypted) {
    GError *e = NULL;
    const guint8 *prime;
    gsize prime_len;
    guint pos = rtmp_handshake_dh_offset (p, hs->local_layout);

    if (!rtmp_dh_group_get (2, &prime, &prime_len))
      g_assert_not_reached ();
    hs->dh = c->dh_new (
        c->user_data, prime, prime_len, RTMP_DH_GENERATOR, NULL, 0, &e);
    if (!hs->dh)
      return propagate (
          hs, error, e, "Diffie-Hellman key generation for RTMPE: ");
    c->dh_get_public (c->user_data, hs->dh, p + pos);
    GST_DEBUG ("our DH public key at offset %u", pos);
  }
  hs->local_digest_pos = rtmp_handshake_digest_offset (p, hs->local_layout);
  body_digest (p, hs->local_digest_pos, text_key, text_key_len,
      p + hs->local_digest_pos);
  GST_DEBUG ("our %s, %s layout, digest at offset %u, version %u.%u.%u.%u",
      hs->server ? "S1" : "C1", layout_name (hs->local_layout),
      hs->local_digest_pos, p[4], p[5], p[6], p[7]);
  return TRUE;
}

/* RTMPE: computes the shared secret with the peer's key and derives the RC4
 * keys (§6: each direction keyed with the receiver's public key). */
static gboolean
derive_keys (RtmpHandshake *hs, const guint8 *peer_body, GError **error)
{
  const RtmpCryptoAdapter *c = hs->crypto;
  guint peer_pos = rtmp_handshake_dh_offset (peer_body, hs->peer_layout);
  guint local_pos = rtmp_handshake_dh_offset (hs->local, hs->local_layout);
  const guint8 *peer_pub = peer_body + peer_pos;
  const guint8 *local_pub = hs->local + local_pos;
  guint8 secret[DH_KEY];
  guint8 d[DIGEST];
  GError *e = NULL;

  GST_DEBUG ("%s DH public key at offset %u",
      hs->server ? "client's" : "server's", peer_pos);
  if (!c->dh_compute (c->user_data, hs->dh, peer_pub, DH_KEY, secret, &e)) {
    gchar *prefix = g_strdup_printf ("%s DH public key (%s offset %u) "
                                     "refused: ",
        hs->server ? "client's" : "server's", hs->server ? "C1" : "S1",
        peer_pos);

    propagate (hs, error, e, prefix);
    g_free (prefix);
    return FALSE;
  }
  GST_MEMDUMP ("shared secret", secret, DH_KEY);

  /* what we write is read by the peer: keyed with the peer's key */
  hmac2 (secret, DH_KEY, peer_pub, DH_KEY, NULL, 0, d);
  memcpy (hs->rc4_encrypt, d, RTMP_HANDSHAKE_RC4_KEY_SIZE);
  hmac2 (secret, DH_KEY, local_pub, DH_KEY, NULL, 0, d);
  memcpy (hs->rc4_decrypt, d, RTMP_HANDSHAKE_RC4_KEY_SIZE);
  GST_MEMDUMP ("RC4 encrypt key", hs->rc4_encrypt, RTMP_HANDSHAKE_RC4_KEY_SIZE);
  GST_MEMDUMP ("RC4 decrypt key", hs->rc4_decrypt, RTMP_HANDSHAKE_RC4_KEY_SIZE);
  wipe (secret, sizeof (secret));
  wipe (d, sizeof (d));
  c->dh_free (c->user_data, hs->dh);
  hs->dh = NULL;
  return TRUE;
}

/* Appends a C2/S2 answering the peer's C1/S1: in digest mode random bytes
 * signed (§4.2), else an echo of the peer's packet. */
static gboolean
append_answer (RtmpHandshake *hs, GByteArray *out, GError **error)
{
  const RtmpCryptoAdapter *c = hs->crypto;
  const guint8 *peer_body = hs->peer1 + 1;
  guint8 packet[SIZE];
  GError *e = NULL;

  if (!hs->digest) {
    g_byte_array_append (out, peer_body, SIZE);
    return TRUE;
  }
  c->random (c->user_data, packet, SIZE);
  if (!packet_signature (hs->type, packet, hs->server ? fms_key : fp_key,
          hs->server ? sizeof (fms_key) : sizeof (fp_key),
          peer_body + hs->peer_digest_pos, c, packet + SIG_OFFSET, &e))
    return propagate (hs, error, e, "");
  g_byte_array_append (out, packet, SIZE);
  return TRUE;
}

/* Checks the peer's C2/S2 against the signature it should carry. */
static gboolean
check_answer (RtmpHandshake *hs, GError **error)
{
  const gchar *what = hs->server ? "C2" : "S2";
  guint8 sig[DIGEST];
  GError *e = NULL;

  if (!hs->digest) {
    if (memcmp (hs->peer2, hs->local, SIZE) != 0)
      GST_DEBUG ("peer's %s is not an echo of our %s (ignored)", what,
          hs->server ? "S1" : "C1");
    return TRUE;
  }

  /* the peer signs with its own full key over our digest */
  if (!packet_signature (hs->type, hs->peer2, hs->server ? fp_key : fms_key,
          hs->server ? sizeof (fp_key) : sizeof (fms_key),
          hs->local + hs->local_digest_pos, hs->crypto, sig, &e))
    return propagate (hs, error, e, "");
  if (equal_ct (sig, hs->peer2 + SIG_OFFSET, DIGEST)) {
    GST_DEBUG ("%s signature verifies", what);
    return TRUE;
  }
  if (hs->server && memcmp (hs->peer2, hs->local, SIZE) == 0) {
    /* FFmpeg's client sends C2 = S1 when it publishes (§1.3) */
    GST_DEBUG ("C2 is an echo of S1 (FFmpeg-style client): accepted");
    return TRUE;
  }
  if (!hs->encrypted) {
    GST_WARNING ("%s signature does not verify (plain RTMP: ignored)", what);
    return TRUE;
  }
  return fail (hs, error, RTMP_ERROR_HANDSHAKE,
      "%s's %s signature does not verify (RTMPE type %u)",
      hs->server ? "client" : "server", what, hs->type);
}

/* ---- client ------------------------------------------------------------- */

gboolean
rtmp_handshake_get_initial (RtmpHandshake *hs, GByteArray *out, GError **error)
{
  g_return_val_if_fail (hs != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (hs->server)
    return TRUE;
  g_return_val_if_fail (hs->state == STATE_INITIAL, FALSE);

  hs->encrypted = type_is_rtmpe (hs->requested);
  if (!hs->want_digest)
    hs->local_layout = RTMP_HANDSHAKE_LAYOUT_NONE;
  GST_DEBUG ("client: C0 type %u, %s handshake", hs->requested,
      hs->want_digest ? "digest" : "simple");
  if (!build_local (hs, hs->want_digest, fp_key, FP_TEXT_LEN, error))
    return FALSE;
  g_byte_array_append (out, &hs->requested, 1);
  g_byte_array_append (out, hs->local, SIZE);
  hs->state = STATE_WAIT_PEER1;
  return TRUE;
}

static gboolean
client_check_s0 (RtmpHandshake *hs, guint8 s0, GError **error)
{
  GST_DEBUG (
      "client: asked for type %u, server answered %u", hs->requested, s0);
  if (type_is_rtmpe (hs->requested)) {
    if (!type_is_rtmpe (s0))
      return fail (hs, error, RTMP_ERROR_HANDSHAKE,
          "server does not speak RTMPE (answered type %u)", s0);
  } else if (s0 != RTMP_HANDSHAKE_TYPE_PLAIN) {
    if (type_is_rtmpe (s0))
      return fail (hs, error, RTMP_ERROR_HANDSHAKE,
          "server answered RTMPE type %u to a plain RTMP request", s0);
    return fail (hs, error, RTMP_ERROR_HANDSHAKE,
        "server answered unknown handshake type %u", s0);
  }
  hs->type = s0;
  return TRUE;
}

static gboolean
client_process_s1 (RtmpHandshake *hs, GByteArray *out, GError **error)
{
  const guint8 *s1 = hs->peer1 + 1;

  GST_DEBUG ("client: S1 time %u, version %u.%u.%u.%u", rtmp_read_u32_be (s1),
      s1[4], s1[5], s1[6], s1[7]);

  if (hs->encrypted) {
    hs->peer_layout = find_digest (
        s1, fms_key, FMS_TEXT_LEN, hs->local_layout, &hs->peer_digest_pos);
    if (hs->peer_layout == RTMP_HANDSHAKE_LAYOUT_NONE)
      return fail (hs, error, RTMP_ERROR_HANDSHAKE,
          "server's S1 digest does not verify in either layout%s",
          rtmp_read_u32_be (s1 + 4) == 0 ? " (S1 version is 0: the server "
                                           "answered with a simple handshake)" :
                                           "");
    hs->digest = TRUE;
    GST_DEBUG ("client: S1 %s layout, digest at offset %u",
        layout_name (hs->peer_layout), hs->peer_digest_pos);
    if (!derive_keys (hs, s1, error))
      return FALSE;
  } else if (hs->want_digest) {
    if (rtmp_read_u32_be (s1 + 4) == 0) {
      GST_DEBUG ("client: S1 version 0: simple handshake");
    } else {
      hs->peer_layout = find_digest (
          s1, fms_key, FMS_TEXT_LEN, hs->local_layout, &hs->peer_digest_pos);
      if (hs->peer_layout == RTMP_HANDSHAKE_LAYOUT_NONE)
        GST_WARNING ("server's S1 has a version but no valid digest: "
                     "going on with a simple handshake");
    }
    hs->digest = hs->peer_layout != RTMP_HANDSHAKE_LAYOUT_NONE;
    if (hs->digest)
      GST_DEBUG ("client: S1 %s layout, digest at offset %u",
          layout_name (hs->peer_layout), hs->peer_digest_pos);
  }

  return append_answer (hs, out, error);
}

/* ---- server ------------------------------------------------------------- */

static gboolean
server_check_c0 (RtmpHandshake *hs, guint8 c0, GError **error)
{
  guint bit;

  switch (c0) {
    case RTMP_HANDSHAKE_TYPE_PLAIN:
      bit = RTMP_HANDSHAKE_ACCEPT_PLAIN;
      break;
    case RTMP_HANDSHAKE_TYPE_RTMPE:
      bit = RTMP_HANDSHAKE_ACCEPT_RTMPE;
      break;
    case RTMP_HANDSHAKE_TYPE_RTMPE_XTEA:
      bit = RTMP_HANDSHAKE_ACCEPT_RTMPE_XTEA;
      break;
    case RTMP_HANDSHAKE_TYPE_RTMPE_BLOWFISH:
      bit = RTMP_HANDSHAKE_ACCEPT_RTMPE_BLOWFISH;
      break;
    default:
      return fail (hs, error, RTMP_ERROR_HANDSHAKE,
          "unknown handshake type %u in C0 (3, 6, 8 or 9 expected)", c0);
  }
  GST_DEBUG ("server: client asks for type %u", c0);
  if (!(hs->accept & bit)) {
    if (c0 == RTMP_HANDSHAKE_TYPE_PLAIN)
      return fail (hs, error, RTMP_ERROR_HANDSHAKE,
          "plain RTMP (C0 type 3) refused: this server requires RTMPE");
    return fail (hs, error, RTMP_ERROR_HANDSHAKE,
        "RTMPE type %u refused: not enabled on this server", c0);
  }
  hs->encrypted = type_is_rtmpe (c0);
  hs->type = c0;
  if (hs->encrypted && hs->rtmpe_answer)
    hs->type = hs->rtmpe_answer;
  return TRUE;
}

static gboolean
server_process_c1 (RtmpHandshake *hs, GByteArray *out, GError **error)
{
  const guint8 *c1 = hs->peer1 + 1;

  GST_DEBUG ("server: C1 time %u, version %u.%u.%u.%u", rtmp_read_u32_be (c1),
      c1[4], c1[5], c1[6], c1[7]);

  if (hs->encrypted) {
    /* RTMPE clients write key-first (§2): try that first */
    hs->peer_layout = find_digest (c1, fp_key, FP_TEXT_LEN,
        RTMP_HANDSHAKE_LAYOUT_KEY_FIRST, &hs->peer_digest_pos);
    if (hs->peer_layout == RTMP_HANDSHAKE_LAYOUT_NONE)
      return fail (hs, error, RTMP_ERROR_HANDSHAKE,
          "client digest does not verify in either layout (RTMPE type %u)",
          hs->peer1[0]);
    hs->digest = TRUE;
  } else if (rtmp_read_u32_be (c1 + 4) != 0) {
    hs->peer_layout = find_digest (c1, fp_key, FP_TEXT_LEN,
        RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST, &hs->peer_digest_pos);
    if (hs->peer_layout == RTMP_HANDSHAKE_LAYOUT_NONE)
      GST_WARNING ("client's C1 has a version but no valid digest: "
                   "answering with a simple handshake");
    hs->digest = hs->peer_layout != RTMP_HANDSHAKE_LAYOUT_NONE;
  }
  if (hs->digest)
    GST_DEBUG ("server: C1 %s layout, digest at offset %u",
        layout_name (hs->peer_layout), hs->peer_digest_pos);
  else
    GST_DEBUG ("server: simple handshake");

  if (!hs->digest)
    hs->local_layout = RTMP_HANDSHAKE_LAYOUT_NONE;
  if (!build_local (hs, hs->digest, fms_key, FMS_TEXT_LEN, error))
    return FALSE;
  if (hs->encrypted && !derive_keys (hs, c1, error))
    return FALSE;

  GST_DEBUG ("server: answering type %u", hs->type);
  g_byte_array_append (out, &hs->type, 1);
  g_byte_array_append (out, hs->local, SIZE);
  return append_answer (hs, out, error);
}

/* ---- the state machine -------------------------------------------------- */

RtmpHandshakeResult
rtmp_handshake_push (RtmpHandshake *hs, const guint8 *data, gsize len,
    gsize *consumed, GByteArray *out, GError **error)
{
  gsize used = 0;

  g_return_val_if_fail (hs != NULL, RTMP_HANDSHAKE_ERROR);
  g_return_val_if_fail (data != NULL || len == 0, RTMP_HANDSHAKE_ERROR);
  g_return_val_if_fail (out != NULL, RTMP_HANDSHAKE_ERROR);

  if (consumed)
    *consumed = 0;

  switch (hs->state) {
    case STATE_INITIAL:
      g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
          "handshake: rtmp_handshake_get_initial () was not called");
      return RTMP_HANDSHAKE_ERROR;
    case STATE_ERROR:
      g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE,
          "the handshake has already failed");
      return RTMP_HANDSHAKE_ERROR;
    case STATE_DONE:
      return RTMP_HANDSHAKE_DONE;
    default:
      break;
  }

  while (used < len) {
    if (hs->state == STATE_WAIT_PEER1) {
      gsize n = MIN (len - used, sizeof (hs->peer1) - hs->have);

      memcpy (hs->peer1 + hs->have, data + used, n);
      if (hs->have == 0) {
        gboolean ok = hs->server ? server_check_c0 (hs, data[used], error) :
                                   client_check_s0 (hs, data[used], error);

        if (!ok)
          goto failed;
      }
      hs->have += n;
      used += n;
      if (hs->have < sizeof (hs->peer1))
        break;

      hs->have = 0;
      hs->state = STATE_WAIT_PEER2;
      if (!(hs->server ? server_process_c1 (hs, out, error) :
                         client_process_s1 (hs, out, error)))
        goto failed;
    } else if (hs->state == STATE_WAIT_PEER2) {
      gsize n = MIN (len - used, sizeof (hs->peer2) - hs->have);

      memcpy (hs->peer2 + hs->have, data + used, n);
      hs->have += n;
      used += n;
      if (hs->have < sizeof (hs->peer2))
        break;

      if (!check_answer (hs, error))
        goto failed;
      hs->state = STATE_DONE;
      GST_DEBUG ("%s: handshake done: type %u, %s, %s%s",
          hs->server ? "server" : "client", hs->type,
          hs->digest ? "digest" : "simple",
          hs->encrypted ? "RC4 keys ready" : "not encrypted",
          len > used ? " (more bytes follow)" : "");
      break;
    } else {
      break;
    }
  }

  if (consumed)
    *consumed = used;
  return hs->state == STATE_DONE ? RTMP_HANDSHAKE_DONE :
                                   RTMP_HANDSHAKE_NEED_MORE;

failed:
  hs->state = STATE_ERROR;
  if (consumed)
    *consumed = used;
  return RTMP_HANDSHAKE_ERROR;
}

RtmpHandshakeResult
rtmp_handshake_push_eof (RtmpHandshake *hs, GError **error)
{
  const gchar *what;
  gsize want;

  g_return_val_if_fail (hs != NULL, RTMP_HANDSHAKE_ERROR);

  switch (hs->state) {
    case STATE_DONE:
      return RTMP_HANDSHAKE_DONE;
    case STATE_ERROR:
      g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE,
          "the handshake has already failed");
      return RTMP_HANDSHAKE_ERROR;
    case STATE_WAIT_PEER2:
      what = hs->server ? "C2" : "S2";
      want = SIZE;
      break;
    default:
      what = hs->server ? "C0+C1" : "S0+S1";
      want = 1 + SIZE;
      break;
  }
  if (!hs->server && hs->requested != RTMP_HANDSHAKE_TYPE_PLAIN &&
      hs->state != STATE_WAIT_PEER2 && hs->have == 0) {
    /* nginx-rtmp, SRS and FFmpeg close on a C0 they do not know */
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE,
        "the server closed the connection instead of answering the RTMPE "
        "handshake (type 0x%02x): it does not speak RTMPE",
        hs->requested);
    hs->state = STATE_ERROR;
    return RTMP_HANDSHAKE_ERROR;
  }
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED,
      "%s closed the connection after %" G_GSIZE_FORMAT
      " of the %" G_GSIZE_FORMAT " bytes of %s",
      hs->server ? "client" : "server", hs->have, want, what);
  GST_DEBUG ("handshake failed: %s cut short", what);
  hs->state = STATE_ERROR;
  return RTMP_HANDSHAKE_ERROR;
}

/* ---- results ------------------------------------------------------------ */

gboolean
rtmp_handshake_is_done (const RtmpHandshake *hs)
{
  return hs->state == STATE_DONE;
}

guint8
rtmp_handshake_get_negotiated_type (const RtmpHandshake *hs)
{
  return hs->type;
}

gboolean
rtmp_handshake_get_digest_used (const RtmpHandshake *hs)
{
  return hs->digest;
}

RtmpHandshakeLayout
rtmp_handshake_get_local_layout (const RtmpHandshake *hs)
{
  return hs->state == STATE_INITIAL ? RTMP_HANDSHAKE_LAYOUT_NONE :
                                      hs->local_layout;
}

RtmpHandshakeLayout
rtmp_handshake_get_peer_layout (const RtmpHandshake *hs)
{
  return hs->peer_layout;
}

guint32
rtmp_handshake_get_peer_version (const RtmpHandshake *hs)
{
  return rtmp_read_u32_be (hs->peer1 + 5);
}

guint32
rtmp_handshake_get_peer_time (const RtmpHandshake *hs)
{
  return rtmp_read_u32_be (hs->peer1 + 1);
}

gboolean
rtmp_handshake_is_encrypted (const RtmpHandshake *hs)
{
  return hs->encrypted;
}

gboolean
rtmp_handshake_get_rc4_keys (const RtmpHandshake *hs,
    guint8 decrypt_key[RTMP_HANDSHAKE_RC4_KEY_SIZE],
    guint8 encrypt_key[RTMP_HANDSHAKE_RC4_KEY_SIZE])
{
  if (hs->state != STATE_DONE || !hs->encrypted)
    return FALSE;
  memcpy (decrypt_key, hs->rc4_decrypt, RTMP_HANDSHAKE_RC4_KEY_SIZE);
  memcpy (encrypt_key, hs->rc4_encrypt, RTMP_HANDSHAKE_RC4_KEY_SIZE);
  return TRUE;
}

gboolean
rtmp_handshake_get_swf_verification (const RtmpHandshake *hs,
    const guint8 swf_hash[32], guint32 swf_size, guint8 out[42])
{
  if (hs->server || !hs->digest ||
      (hs->state != STATE_WAIT_PEER2 && hs->state != STATE_DONE))
    return FALSE;
  out[0] = 0x01;
  out[1] = 0x01;
  rtmp_write_u32_be (out + 2, swf_size);
  rtmp_write_u32_be (out + 6, swf_size);
  hmac2 (hs->peer1 + 1 + SIG_OFFSET, DIGEST, swf_hash, 32, NULL, 0, out + 10);
  return TRUE;
}

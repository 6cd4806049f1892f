/* gst-rtmpe: what the handshake fuzz targets share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A tiny deterministic fake of the RtmpCryptoAdapter, so the fuzz build
 * needs no OpenSSL, runs fast (no 1024-bit modular exponentiation per
 * input) and is reproducible: "random" bytes are a fixed pattern, the DH
 * public key is a fixed pattern, the "shared secret" is the peer's key
 * XOR 0xa5, and Blowfish is an XOR with the key. It still refuses the DH
 * keys 0 and 1 ("out of range") and any key ending in 0x05 ("outside the
 * subgroup"), so both error paths are reachable. Real crypto is tested in
 * tests/unit; the fuzz targets exercise the parsing and the state machine.
 *
 * The seed corpora were made with this same adapter
 * (make-handshake-corpus.c), so their C2/S2 signatures verify and the
 * targets reach DONE from them.
 */
#ifndef __FUZZ_HANDSHAKE_COMMON_H__
#define __FUZZ_HANDSHAKE_COMMON_H__

#include <string.h>
#include "rtmphandshake.h"
#include "rtmperror.h"

struct _RtmpDh
{
  guint8 pub[128];
};

static void
fake_random (gpointer user_data, guint8 *buf, gsize len)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) (i * 31 + 7);
}

static RtmpDh *
fake_dh_new (gpointer user_data, const guint8 *p, gsize p_len, guint g,
    const guint8 *priv, gsize priv_len, GError **error)
{
  RtmpDh *dh = g_new0 (RtmpDh, 1);

  for (guint i = 0; i < sizeof (dh->pub); i++)
    dh->pub[i] = (guint8) (0x40 + i * 3);
  return dh;
}

static void
fake_dh_get_public (gpointer user_data, RtmpDh *dh, guint8 *out)
{
  memcpy (out, dh->pub, sizeof (dh->pub));
}

static gboolean
fake_dh_compute (gpointer user_data, RtmpDh *dh, const guint8 *peer,
    gsize peer_len, guint8 *secret, GError **error)
{
  guint8 high = 0;

  for (gsize i = 0; i + 1 < peer_len; i++)
    high |= peer[i];
  if (!high && peer[peer_len - 1] <= 1) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "fake: peer's public key is out of range");
    return FALSE;
  }
  if (peer[peer_len - 1] == 0x05) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "fake: peer's public key is outside the subgroup");
    return FALSE;
  }
  for (gsize i = 0; i < peer_len; i++)
    secret[i] = peer[i] ^ 0xa5;
  return TRUE;
}

static void
fake_dh_free (gpointer user_data, RtmpDh *dh)
{
  g_free (dh);
}

static gboolean
fake_blowfish (gpointer user_data, const guint8 *key, gsize key_len,
    const guint8 *in, guint8 *out)
{
  for (guint i = 0; i < 8; i++)
    out[i] = in[i] ^ key[i % key_len] ^ 0x3c;
  return TRUE;
}

static const RtmpCryptoAdapter fake_crypto = {
  .random = fake_random,
  .dh_new = fake_dh_new,
  .dh_get_public = fake_dh_get_public,
  .dh_compute = fake_dh_compute,
  .dh_free = fake_dh_free,
  .blowfish_encrypt_block = fake_blowfish,
};

/* Once, before the first input: the lazy one-time set-up (the debug
 * category) is done here so that no input allocates more than it frees
 * (libFuzzer's leak check). gst_init () is not called: GLib keeps
 * allocations LeakSanitizer reports, and logging would only slow the run. */
G_GNUC_UNUSED static void
fuzz_init (void)
{
  RtmpHandshake *hs = rtmp_handshake_new_server (0, 0, &fake_crypto);

  rtmp_handshake_free (hs);
}

/* Pushes @data into @hs whole (@chunk 0) or in pieces of @chunk bytes, as
 * a socket would, and checks the contract: consumed never exceeds what was
 * given, and is all of it unless the result is DONE. */
G_GNUC_UNUSED static void
fuzz_push (RtmpHandshake *hs, const guint8 *data, gsize size, gsize chunk)
{
  GByteArray *out = g_byte_array_new ();
  gsize pos = 0;

  while (pos < size) {
    gsize n = chunk ? MIN (chunk, size - pos) : size - pos;
    gsize used = 0;
    GError *error = NULL;
    RtmpHandshakeResult r;

    g_byte_array_set_size (out, 0);
    r = rtmp_handshake_push (hs, data + pos, n, &used, out, &error);
    g_assert (used <= n);
    if (r == RTMP_HANDSHAKE_ERROR) {
      g_assert (error != NULL);
      g_error_free (error);
      break;
    }
    g_assert (error == NULL);
    if (r == RTMP_HANDSHAKE_DONE) {
      guint8 a[16], b[16];

      rtmp_handshake_get_rc4_keys (hs, a, b);
      break;
    }
    g_assert (used == n);
    pos += n;
  }
  if (pos >= size) {
    GError *error = NULL;

    if (rtmp_handshake_push_eof (hs, &error) == RTMP_HANDSHAKE_ERROR)
      g_error_free (error);
  }
  g_byte_array_free (out, TRUE);
}

#endif

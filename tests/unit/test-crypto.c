/* gst-rtmpe: the OpenSSL crypto adapter and RC4
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/err.h>

#include "rtmpecrypto.h"
#include "rtmpdhgroups.h"
#include "rtmperror.h"

static guint8 *
unhex (const gchar *hex, gsize *len)
{
  gsize n = strlen (hex) / 2;
  guint8 *out = g_malloc (n);

  for (gsize i = 0; i < n; i++)
    out[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) |
        g_ascii_xdigit_value (hex[2 * i + 1]);
  if (len)
    *len = n;
  return out;
}

static void
assert_hex (const guint8 *data, gsize len, const gchar *hex)
{
  g_autofree gchar *got = g_malloc (2 * len + 1);

  for (gsize i = 0; i < len; i++)
    g_snprintf (got + 2 * i, 3, "%02x", data[i]);
  g_assert_cmpstr (got, ==, hex);
}

/* RFC 6229 vectors at offset 0; offset 1536 (RTMPE's discard) computed with
 * an independent implementation */
static void
test_rc4_vectors (void)
{
  static const guint8 key40[] = { 1, 2, 3, 4, 5 };
  guint8 key128[16];
  guint8 buf[16] = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpeRc4) rc4 = NULL;

  rc4 = rtmpe_rc4_new (key40, sizeof (key40), &error);
  g_assert_no_error (error);
  rtmpe_rc4_process (rc4, buf, buf, 16);
  assert_hex (buf, 16, "b2396305f03dc027ccc3524a0a1118a8");
  rtmpe_rc4_skip (rc4, 1536 - 16);
  memset (buf, 0, 16);
  rtmpe_rc4_process (rc4, buf, buf, 16);
  assert_hex (buf, 16, "d8729db41882259bee4f825325f5a130");
  g_clear_pointer (&rc4, rtmpe_rc4_free);

  for (int i = 0; i < 16; i++)
    key128[i] = i + 1;
  rc4 = rtmpe_rc4_new (key128, sizeof (key128), &error);
  g_assert_no_error (error);
  rtmpe_rc4_skip (rc4, 1536);
  memset (buf, 0, 16);
  rtmpe_rc4_process (rc4, buf, buf, 16);
  assert_hex (buf, 16, "ffa0b514647ec04f6306b892ae661181");
}

/* encrypting in place and out of place, in odd pieces, gives one stream */
static void
test_rc4_pieces (void)
{
  static const guint8 key[16] = { 9, 8, 7 };
  g_autoptr (RtmpeRc4) a = rtmpe_rc4_new (key, 16, NULL);
  g_autoptr (RtmpeRc4) b = rtmpe_rc4_new (key, 16, NULL);
  guint8 in[5000], whole[5000], pieces[5000];
  gsize off = 0, step = 1;

  for (gsize i = 0; i < sizeof (in); i++)
    in[i] = i * 7;
  rtmpe_rc4_process (a, in, whole, sizeof (in));
  memcpy (pieces, in, sizeof (in));
  while (off < sizeof (in)) {
    gsize n = MIN (step, sizeof (in) - off);
    rtmpe_rc4_process (b, pieces + off, pieces + off, n);
    off += n;
    step = step * 3 + 1;
  }
  g_assert_cmpmem (whole, sizeof (whole), pieces, sizeof (pieces));
}

static void
test_rc4_bad_key (void)
{
  g_autoptr (GError) error = NULL;
  guint8 key[1] = { 0 };

  g_assert_null (rtmpe_rc4_new (key, 0, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO);
}

/* The legacy provider is loaded into our private context only: the
 * process's default context must still refuse RC4. */
static void
test_legacy_private (void)
{
  EVP_CIPHER *c;

  g_assert_true (rtmpe_crypto_legacy_available (NULL));
  rtmpe_crypto_openssl ();
  c = EVP_CIPHER_fetch (NULL, "RC4", NULL);
  g_assert_null (c);
  ERR_clear_error ();
}

static void
test_blowfish_vector (void)
{
  const RtmpCryptoAdapter *ca = rtmpe_crypto_openssl ();
  guint8 key[8] = { 0 }, block[8] = { 0 };

  /* Eric Young's first Blowfish vector: zero key, zero block */
  g_assert_true (
      ca->blowfish_encrypt_block (ca->user_data, key, 8, block, block));
  assert_hex (block, 8, "4ef997456198dd78");
}

static void
test_aes_vector (void)
{
  const RtmpCryptoAdapter *ca = rtmpe_crypto_openssl ();
  gsize n;
  g_autofree guint8 *key = unhex ("2b7e151628aed2a6abf7158809cf4f3c", &n);
  g_autofree guint8 *iv = unhex ("000102030405060708090a0b0c0d0e0f", &n);
  g_autofree guint8 *pt = unhex ("6bc1bee22e409f96e93d7e117393172a"
                                 "ae2d8a571e03ac9c9eb76fac45af8e51",
      &n);
  guint8 buf[32];
  RtmpAes *aes = ca->aes_new (ca->user_data, key);

  /* NIST SP 800-38A F.2.1, CBC-AES128, twice with the same context */
  for (int round = 0; round < 2; round++) {
    g_assert_true (ca->aes_cbc (ca->user_data, aes, TRUE, iv, pt, buf, 32));
    assert_hex (buf, 32,
        "7649abac8119b246cee98e9b12e9197d"
        "5086cb9b507219ee95db113a917678b2");
    g_assert_true (ca->aes_cbc (ca->user_data, aes, FALSE, iv, buf, buf, 32));
    g_assert_cmpmem (buf, 32, pt, 32);
  }
  g_assert_false (ca->aes_cbc (ca->user_data, aes, TRUE, iv, pt, buf, 17));
  ca->aes_free (ca->user_data, aes);
}

static void
test_dh_group2 (void)
{
  const RtmpCryptoAdapter *ca = rtmpe_crypto_openssl ();
  const guint8 *p;
  gsize plen;
  guint8 priv1[] = { 0x10 }, priv2[] = { 0x03 };
  guint8 pub1[128], pub2[128], s1[128], s2[128], expect[128];
  g_autoptr (GError) error = NULL;
  RtmpDh *a, *b;

  g_assert_true (rtmp_dh_group_get (2, &p, &plen));
  g_assert_cmpuint (plen, ==, 128);
  a = ca->dh_new (ca->user_data, p, plen, 2, priv1, 1, &error);
  g_assert_no_error (error);
  b = ca->dh_new (ca->user_data, p, plen, 2, priv2, 1, &error);
  g_assert_no_error (error);
  ca->dh_get_public (ca->user_data, a, pub1);
  ca->dh_get_public (ca->user_data, b, pub2);

  /* 2^16 and 2^3, left-padded */
  memset (expect, 0, 128);
  expect[125] = 0x01;
  g_assert_cmpmem (pub1, 128, expect, 128);
  memset (expect, 0, 128);
  expect[127] = 0x08;
  g_assert_cmpmem (pub2, 128, expect, 128);

  /* 2^48: the shared secret is mostly leading zeros and stays 128 bytes */
  g_assert_true (ca->dh_compute (ca->user_data, a, pub2, 128, s1, &error));
  g_assert_true (ca->dh_compute (ca->user_data, b, pub1, 128, s2, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (s1, 128, s2, 128);
  memset (expect, 0, 128);
  expect[121] = 0x01;
  g_assert_cmpmem (s1, 128, expect, 128);
  ca->dh_free (ca->user_data, a);
  ca->dh_free (ca->user_data, b);
}

static void
test_dh_bad_peer (void)
{
  const RtmpCryptoAdapter *ca = rtmpe_crypto_openssl ();
  const guint8 *p;
  gsize plen;
  guint8 y[129], secret[128];
  RtmpDh *dh;

  g_assert_true (rtmp_dh_group_get (2, &p, &plen));
  dh = ca->dh_new (ca->user_data, p, plen, 2, NULL, 0, NULL);
  g_assert_nonnull (dh);

  /* 0, 1, p-1, p, 2^1024-1 are out of range; p-2 = -2 is in range but a
   * quadratic non-residue (p = 7 mod 8), so outside the subgroup */
  for (int c = 0; c < 6; c++) {
    g_autoptr (GError) error = NULL;
    gsize len = 128;

    memset (y, 0, sizeof (y));
    switch (c) {
      case 0:
        break;
      case 1:
        y[127] = 1;
        break;
      case 2:
        memcpy (y, p, 128);
        y[127] -= 1;
        break;
      case 3:
        memcpy (y, p, 128);
        break;
      case 4:
        memset (y, 0xff, 128);
        break;
      case 5:
        memcpy (y, p, 128);
        y[127] -= 2;
        break;
    }
    g_assert_false (ca->dh_compute (ca->user_data, dh, y, len, secret, &error));
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO);
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (ca->dh_compute (ca->user_data, dh, y, 129, secret, &error));
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO);
  }
  ca->dh_free (ca->user_data, dh);
}

/* random private keys on every group: both sides agree */
static void
test_dh_groups_agree (void)
{
  const RtmpCryptoAdapter *ca = rtmpe_crypto_openssl ();
  static const guint groups[] = { 2, 5, 14, 16 };

  for (guint i = 0; i < G_N_ELEMENTS (groups); i++) {
    const guint8 *p;
    gsize plen;
    guint8 pa[512], pb[512], sa[512], sb[512];
    RtmpDh *a, *b;

    g_assert_true (rtmp_dh_group_get (groups[i], &p, &plen));
    a = ca->dh_new (ca->user_data, p, plen, 2, NULL, 0, NULL);
    b = ca->dh_new (ca->user_data, p, plen, 2, NULL, 0, NULL);
    ca->dh_get_public (ca->user_data, a, pa);
    ca->dh_get_public (ca->user_data, b, pb);
    g_assert_true (ca->dh_compute (ca->user_data, a, pb, plen, sa, NULL));
    g_assert_true (ca->dh_compute (ca->user_data, b, pa, plen, sb, NULL));
    g_assert_cmpmem (sa, plen, sb, plen);
    ca->dh_free (ca->user_data, a);
    ca->dh_free (ca->user_data, b);
  }
  {
    const guint8 *p;
    gsize plen;

    g_assert_false (rtmp_dh_group_get (1, &p, &plen));
    g_assert_null (p);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/crypto/rc4/vectors", test_rc4_vectors);
  g_test_add_func ("/crypto/rc4/pieces", test_rc4_pieces);
  g_test_add_func ("/crypto/rc4/bad-key", test_rc4_bad_key);
  g_test_add_func ("/crypto/legacy-provider-private", test_legacy_private);
  g_test_add_func ("/crypto/blowfish/vector", test_blowfish_vector);
  g_test_add_func ("/crypto/aes/vector", test_aes_vector);
  g_test_add_func ("/crypto/dh/group2", test_dh_group2);
  g_test_add_func ("/crypto/dh/bad-peer", test_dh_bad_peer);
  g_test_add_func ("/crypto/dh/groups-agree", test_dh_groups_agree);
  return g_test_run ();
}

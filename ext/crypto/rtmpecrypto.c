/* gst-rtmpe: OpenSSL 3 behind the core's crypto adapter, and RC4
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpecrypto.h"
#include "rtmperror.h"

#include <limits.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

typedef struct
{
  OSSL_LIB_CTX *libctx;
  OSSL_PROVIDER *default_prov;
  OSSL_PROVIDER *legacy_prov;
  EVP_CIPHER *rc4; /* NULL without the legacy provider */
  EVP_CIPHER *bf_ecb; /* NULL without the legacy provider */
  EVP_CIPHER *aes128_cbc;
  gchar *legacy_error;
} RtmpeOpenssl;

static RtmpeOpenssl *
openssl_get (void)
{
  static RtmpeOpenssl *ossl;
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    RtmpeOpenssl *o = g_new0 (RtmpeOpenssl, 1);

    /* A private library context: providers loaded here are invisible to
     * the default context the rest of the process uses. */
    o->libctx = OSSL_LIB_CTX_new ();
    o->default_prov = OSSL_PROVIDER_load (o->libctx, "default");
    ERR_clear_error ();
    ossl = o;
    g_once_init_leave (&once, 1);
  }
  return ossl;
}

/* AES-128-CBC, for RTMFP, fetched on first use: the first fetch from a new
 * library context fills its method store (about 6 million instructions),
 * which RTMP connections need not pay. */
static EVP_CIPHER *
aes_get (void)
{
  RtmpeOpenssl *o = openssl_get ();
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    o->aes128_cbc = EVP_CIPHER_fetch (o->libctx, "AES-128-CBC", NULL);
    ERR_clear_error ();
    g_once_init_leave (&once, 1);
  }
  return o->aes128_cbc;
}

/* The legacy provider (RC4, Blowfish) is loaded, into the same private
 * context, the first time RTMPE needs it: plain RTMP, RTMPS and RTMFP never
 * pay for loading legacy.so. */
static RtmpeOpenssl *
legacy_get (void)
{
  RtmpeOpenssl *o = openssl_get ();
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    o->legacy_prov = OSSL_PROVIDER_load (o->libctx, "legacy");
    if (o->legacy_prov) {
      o->rc4 = EVP_CIPHER_fetch (o->libctx, "RC4", NULL);
      o->bf_ecb = EVP_CIPHER_fetch (o->libctx, "BF-ECB", NULL);
    }
    if (!o->rc4 || !o->bf_ecb) {
      gulong e = ERR_peek_last_error ();
      o->legacy_error = g_strdup_printf (
          "OpenSSL's legacy provider (RC4, "
          "Blowfish) could not be loaded: %s; RTMPE needs it (it is part "
          "of libssl3 as ossl-modules/legacy.so)",
          e ? ERR_reason_error_string (e) : "unknown reason");
    }
    ERR_clear_error ();
    g_once_init_leave (&once, 1);
  }
  return o;
}

gboolean
rtmpe_crypto_legacy_available (GError **error)
{
  RtmpeOpenssl *o = legacy_get ();

  if (o->legacy_error) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_CRYPTO, o->legacy_error);
    return FALSE;
  }
  return TRUE;
}

/* ---- RC4 ---------------------------------------------------------------- */

struct _RtmpeRc4
{
  EVP_CIPHER_CTX *ctx;
};

RtmpeRc4 *
rtmpe_rc4_new (const guint8 *key, gsize key_len, GError **error)
{
  RtmpeOpenssl *o = legacy_get ();
  RtmpeRc4 *rc4;
  OSSL_PARAM params[2];
  size_t klen = key_len;

  if (!rtmpe_crypto_legacy_available (error))
    return NULL;
  if (key_len < 1 || key_len > 256) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "RC4 key of %" G_GSIZE_FORMAT " bytes (1 to 256 allowed)", key_len);
    return NULL;
  }

  rc4 = g_new0 (RtmpeRc4, 1);
  rc4->ctx = EVP_CIPHER_CTX_new ();
  params[0] = OSSL_PARAM_construct_size_t ("keylen", &klen);
  params[1] = OSSL_PARAM_construct_end ();
  if (!rc4->ctx ||
      !EVP_CipherInit_ex2 (rc4->ctx, o->rc4, NULL, NULL, 1, params) ||
      !EVP_CipherInit_ex2 (rc4->ctx, NULL, key, NULL, 1, NULL)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO, "RC4 set-up failed: %s",
        ERR_reason_error_string (ERR_get_error ()));
    rtmpe_rc4_free (rc4);
    return NULL;
  }
  return rc4;
}

void
rtmpe_rc4_process (RtmpeRc4 *rc4, const guint8 *in, guint8 *out, gsize len)
{
  while (len > 0) {
    int chunk = len > (1u << 30) ? (1 << 30) : (int) len;
    int outl = 0;

    /* a stream cipher: cannot fail once keyed, and in == out is allowed */
    if (!EVP_CipherUpdate (rc4->ctx, out, &outl, in, chunk))
      g_error ("RC4 EVP_CipherUpdate failed");
    in += chunk;
    out += chunk;
    len -= chunk;
  }
}

void
rtmpe_rc4_skip (RtmpeRc4 *rc4, gsize len)
{
  guint8 scratch[1536];

  while (len > 0) {
    gsize n = MIN (len, sizeof (scratch));

    memset (scratch, 0, n);
    rtmpe_rc4_process (rc4, scratch, scratch, n);
    len -= n;
  }
}

void
rtmpe_rc4_free (RtmpeRc4 *rc4)
{
  if (!rc4)
    return;
  EVP_CIPHER_CTX_free (rc4->ctx);
  g_free (rc4);
}

/* ---- the adapter --------------------------------------------------------- */

static void
set_openssl_error (GError **error, const gchar *what)
{
  gulong e = ERR_get_error ();

  g_set_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO, "%s failed: %s", what,
      e ? ERR_reason_error_string (e) : "unknown OpenSSL error");
  ERR_clear_error ();
}

static void
ossl_random (gpointer user_data, guint8 *buf, gsize len)
{
  RtmpeOpenssl *o = openssl_get ();

  if (RAND_bytes_ex (o->libctx, buf, len, 0) != 1)
    g_error ("the system's random generator failed");
}

/* bits of our private Diffie-Hellman exponent */
#define DH_PRIV_BITS 256

struct _RtmpDh
{
  BN_CTX *bnctx;
  BIGNUM *p, *q, *g, *priv, *pub;
  gsize p_len;
};

static void
ossl_dh_free (gpointer user_data, RtmpDh *dh)
{
  if (!dh)
    return;
  BN_free (dh->p);
  BN_free (dh->q);
  BN_free (dh->g);
  BN_clear_free (dh->priv);
  BN_free (dh->pub);
  BN_CTX_free (dh->bnctx);
  g_free (dh);
}

static RtmpDh *
ossl_dh_new (gpointer user_data, const guint8 *p, gsize p_len, guint g,
    const guint8 *priv, gsize priv_len, GError **error)
{
  RtmpeOpenssl *o = openssl_get ();
  RtmpDh *dh = g_new0 (RtmpDh, 1);
  BIGNUM *two = NULL;

  dh->p_len = p_len;
  dh->bnctx = BN_CTX_new_ex (o->libctx);
  dh->p = BN_bin2bn (p, p_len, NULL);
  dh->g = BN_new ();
  dh->q = BN_new ();
  dh->priv = BN_secure_new ();
  dh->pub = BN_new ();
  two = BN_new ();
  if (!dh->bnctx || !dh->p || !dh->g || !dh->q || !dh->priv || !dh->pub ||
      !two || !BN_set_word (dh->g, g) || !BN_set_word (two, 2) ||
      !BN_rshift1 (dh->q, dh->p))
    goto failed;

  if (priv) {
    if (!BN_bin2bn (priv, priv_len, dh->priv))
      goto failed;
  } else if (BN_num_bits (dh->q) > DH_PRIV_BITS) {
    /* a short exponent: DH_PRIV_BITS random bits (at least 2) are twice
     * the strength of a 1024-bit group (RFC 3526, section 8), and cost a
     * quarter of a full-size exponent, twice per handshake */
    do {
      if (!BN_priv_rand_ex (dh->priv, DH_PRIV_BITS, BN_RAND_TOP_ANY,
              BN_RAND_BOTTOM_ANY, 0, dh->bnctx))
        goto failed;
    } while (BN_cmp (dh->priv, two) < 0);
  } else {
    /* uniform in [2, q-1] */
    do {
      if (!BN_priv_rand_range_ex (dh->priv, dh->q, 0, dh->bnctx))
        goto failed;
    } while (BN_cmp (dh->priv, two) < 0);
  }
  BN_set_flags (dh->priv, BN_FLG_CONSTTIME);
  if (!BN_mod_exp_mont_consttime (
          dh->pub, dh->g, dh->priv, dh->p, dh->bnctx, NULL))
    goto failed;
  if (BN_is_zero (dh->pub) || BN_is_one (dh->pub)) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "Diffie-Hellman private key gives a trivial public key");
    BN_free (two);
    ossl_dh_free (user_data, dh);
    return NULL;
  }
  BN_free (two);
  return dh;

failed:
  set_openssl_error (error, "Diffie-Hellman key generation");
  BN_free (two);
  ossl_dh_free (user_data, dh);
  return NULL;
}

static void
ossl_dh_get_public (gpointer user_data, RtmpDh *dh, guint8 *out)
{
  BN_bn2binpad (dh->pub, out, dh->p_len);
}

static gboolean
ossl_dh_compute (gpointer user_data, RtmpDh *dh, const guint8 *peer,
    gsize peer_len, guint8 *secret, GError **error)
{
  BIGNUM *y = NULL, *t = NULL, *s = NULL;
  gboolean ok = FALSE;
  int kronecker;

  if (peer_len == 0 || peer_len > dh->p_len) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "peer's Diffie-Hellman public key has %" G_GSIZE_FORMAT
        " bytes (at most %" G_GSIZE_FORMAT ")",
        peer_len, dh->p_len);
    return FALSE;
  }
  y = BN_bin2bn (peer, peer_len, NULL);
  t = BN_new ();
  s = BN_secure_new ();
  if (!y || !t || !s) {
    set_openssl_error (error, "Diffie-Hellman");
    goto out;
  }
  /* 2 <= y <= p-2 */
  if (!BN_sub (t, dh->p, BN_value_one ()) || !BN_sub_word (t, 1))
    goto crypto_failed;
  if (BN_cmp (y, t) > 0 || BN_is_zero (y) || BN_is_one (y)) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "peer's Diffie-Hellman public key is out of range "
        "(must be 2 <= y <= p-2)");
    goto out;
  }
  /* y^q = 1 (mod p): y lies in the prime-order subgroup. p is a safe
   * prime (q = (p-1)/2 is prime), so by Euler's criterion that is y being
   * a quadratic residue, which the Jacobi symbol (y/p) = 1 tells for a
   * small part of the cost of the exponentiation */
  kronecker = BN_kronecker (y, dh->p, dh->bnctx);
  if (kronecker == -2)
    goto crypto_failed;
  if (kronecker != 1) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "peer's Diffie-Hellman public key is not in the prime-order "
        "subgroup (y^q != 1 mod p)");
    goto out;
  }
  if (!BN_mod_exp_mont_consttime (s, y, dh->priv, dh->p, dh->bnctx, NULL))
    goto crypto_failed;
  /* left-padded to the size of p: what Debian's librtmp does, and what
   * some other implementations get wrong one time in 256 */
  if (BN_bn2binpad (s, secret, dh->p_len) < 0)
    goto crypto_failed;
  ok = TRUE;
  goto out;

crypto_failed:
  set_openssl_error (error, "Diffie-Hellman");
out:
  BN_free (y);
  BN_free (t);
  BN_clear_free (s);
  return ok;
}

static gboolean
ossl_blowfish_encrypt_block (gpointer user_data, const guint8 *key,
    gsize key_len, const guint8 *in, guint8 *out)
{
  RtmpeOpenssl *o = legacy_get ();
  EVP_CIPHER_CTX *ctx;
  OSSL_PARAM params[2];
  size_t klen = key_len;
  guint8 tmp[16];
  int outl = 0;
  gboolean ok;

  if (!o->bf_ecb)
    return FALSE;
  ctx = EVP_CIPHER_CTX_new ();
  params[0] = OSSL_PARAM_construct_size_t ("keylen", &klen);
  params[1] = OSSL_PARAM_construct_end ();
  ok = ctx && EVP_EncryptInit_ex2 (ctx, o->bf_ecb, NULL, NULL, params) &&
      EVP_EncryptInit_ex2 (ctx, NULL, key, NULL, NULL) &&
      EVP_CIPHER_CTX_set_padding (ctx, 0) &&
      EVP_EncryptUpdate (ctx, tmp, &outl, in, 8) && outl == 8;
  if (ok)
    memcpy (out, tmp, 8);
  EVP_CIPHER_CTX_free (ctx);
  ERR_clear_error ();
  return ok;
}

struct _RtmpAes
{
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
};

static void
ossl_aes_free (gpointer user_data, RtmpAes *aes)
{
  if (!aes)
    return;
  EVP_CIPHER_CTX_free (aes->enc);
  EVP_CIPHER_CTX_free (aes->dec);
  g_free (aes);
}

static RtmpAes *
ossl_aes_new (gpointer user_data, const guint8 *key16)
{
  EVP_CIPHER *cipher = aes_get ();
  RtmpAes *aes = g_new0 (RtmpAes, 1);

  aes->enc = EVP_CIPHER_CTX_new ();
  aes->dec = EVP_CIPHER_CTX_new ();
  if (!cipher || !aes->enc || !aes->dec ||
      !EVP_CipherInit_ex2 (aes->enc, cipher, key16, NULL, 1, NULL) ||
      !EVP_CipherInit_ex2 (aes->dec, cipher, key16, NULL, 0, NULL) ||
      !EVP_CIPHER_CTX_set_padding (aes->enc, 0) ||
      !EVP_CIPHER_CTX_set_padding (aes->dec, 0)) {
    ERR_clear_error ();
    ossl_aes_free (user_data, aes);
    return NULL;
  }
  return aes;
}

static gboolean
ossl_aes_cbc (gpointer user_data, RtmpAes *aes, gboolean encrypt,
    const guint8 *iv16, const guint8 *in, guint8 *out, gsize len)
{
  EVP_CIPHER_CTX *ctx = encrypt ? aes->enc : aes->dec;
  int outl = 0;

  if (len % 16 != 0 || len > INT_MAX)
    return FALSE;
  /* keep the key schedule, restart the chain with this IV */
  if (!EVP_CipherInit_ex2 (ctx, NULL, NULL, iv16, encrypt ? 1 : 0, NULL) ||
      !EVP_CipherUpdate (ctx, out, &outl, in, (int) len) ||
      (gsize) outl != len) {
    ERR_clear_error ();
    return FALSE;
  }
  return TRUE;
}

const RtmpCryptoAdapter *
rtmpe_crypto_openssl (void)
{
  static const RtmpCryptoAdapter adapter = {
    .user_data = NULL,
    .random = ossl_random,
    .dh_new = ossl_dh_new,
    .dh_get_public = ossl_dh_get_public,
    .dh_compute = ossl_dh_compute,
    .dh_free = ossl_dh_free,
    .blowfish_encrypt_block = ossl_blowfish_encrypt_block,
    .aes_new = ossl_aes_new,
    .aes_cbc = ossl_aes_cbc,
    .aes_free = ossl_aes_free,
  };

  openssl_get ();
  return &adapter;
}

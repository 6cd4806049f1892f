/* gst-rtmpe: the crypto the core needs, supplied from outside
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The core (gst/) does no I/O and links no crypto library. Whatever needs
 * big numbers, ciphers or randomness is asked of an RtmpCryptoAdapter.
 * ext/crypto implements it with OpenSSL 3; tests may wrap it to fix the
 * random bytes and private keys for known-answer tests.
 *
 * HMAC-SHA256 and SHA-256 are not here: GLib's GHmac and GChecksum do them.
 */
#ifndef __RTMP_CRYPTO_ADAPTER_H__
#define __RTMP_CRYPTO_ADAPTER_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RtmpDh RtmpDh; /* opaque, owned by the adapter */
typedef struct _RtmpAes RtmpAes; /* opaque, owned by the adapter */

typedef struct _RtmpCryptoAdapter RtmpCryptoAdapter;

struct _RtmpCryptoAdapter
{
  gpointer user_data;

  /* Fill @buf with @len bytes from a cryptographically secure generator. */
  void (*random) (gpointer user_data, guint8 *buf, gsize len);

  /* Start a Diffie-Hellman exchange on the group with big-endian prime @p
   * (@p_len bytes) and generator @g. If @priv is not NULL it is the private
   * key (big-endian, @priv_len bytes), for known-answer tests; otherwise a
   * random private key is made. */
  RtmpDh *(*dh_new) (gpointer user_data, const guint8 *p, gsize p_len, guint g,
      const guint8 *priv, gsize priv_len, GError **error);
  /* Our public key, big-endian, left-padded with zeros to p_len bytes. */
  void (*dh_get_public) (gpointer user_data, RtmpDh *dh, guint8 *out);
  /* Check the peer's public key (2 <= y <= p-2 and y^((p-1)/2) = 1 mod p;
   * RTMP_ERROR_CRYPTO otherwise) and write the shared secret, big-endian,
   * left-padded with zeros to p_len bytes. */
  gboolean (*dh_compute) (gpointer user_data, RtmpDh *dh, const guint8 *peer,
      gsize peer_len, guint8 *secret, GError **error);
  void (*dh_free) (gpointer user_data, RtmpDh *dh);

  /* One standard Blowfish-ECB block: @in and @out may be the same. */
  gboolean (*blowfish_encrypt_block) (gpointer user_data, const guint8 *key,
      gsize key_len, const guint8 *in, guint8 *out);

  /* AES-128-CBC without padding; @len is a multiple of 16; @in may equal
   * @out. A context is made once per key and reused per packet. */
  RtmpAes *(*aes_new) (gpointer user_data, const guint8 *key16);
  gboolean (*aes_cbc) (gpointer user_data, RtmpAes *aes, gboolean encrypt,
      const guint8 *iv16, const guint8 *in, guint8 *out, gsize len);
  void (*aes_free) (gpointer user_data, RtmpAes *aes);
};

G_END_DECLS

#endif

/* gst-rtmpe: OpenSSL 3 behind the core's crypto adapter, and RC4
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RC4 and Blowfish live in OpenSSL 3's legacy provider. We load it, with the
 * default provider, into a private OSSL_LIB_CTX that this library owns; the
 * process-wide default context is never touched, so other code in the same
 * process sees no change.
 */
#ifndef __RTMPE_CRYPTO_H__
#define __RTMPE_CRYPTO_H__

#include <glib.h>
#include "cryptoadapter.h"

G_BEGIN_DECLS

/* The process-wide adapter backed by OpenSSL. Never NULL; loading the
 * providers happens on first use. If the legacy provider cannot be loaded,
 * RC4 and Blowfish calls fail with RTMP_ERROR_CRYPTO and say so. */
const RtmpCryptoAdapter *rtmpe_crypto_openssl (void);

/* Whether RC4/Blowfish (legacy provider) are usable here; @error says why
 * not. */
gboolean rtmpe_crypto_legacy_available (GError **error);

typedef struct _RtmpeRc4 RtmpeRc4;

/* An RC4 keystream keyed with @key (1..256 bytes). */
RtmpeRc4 *rtmpe_rc4_new (const guint8 *key, gsize key_len, GError **error);
/* XOR @len bytes of keystream over @in into @out; @in may equal @out. Works
 * on whole runs (one EVP call per 1 GiB), never per byte. */
void rtmpe_rc4_process (
    RtmpeRc4 *rc4, const guint8 *in, guint8 *out, gsize len);
/* Advance the keystream by @len bytes (RTMPE discards 1536). */
void rtmpe_rc4_skip (RtmpeRc4 *rc4, gsize len);
void rtmpe_rc4_free (RtmpeRc4 *rc4);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpeRc4, rtmpe_rc4_free)

G_END_DECLS

#endif

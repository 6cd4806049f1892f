/* gst-rtmpe: XTEA block encryption, for RTMPE type 0x08 signatures
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * XTEA (Needham and Wheeler, 1997): 64-bit blocks, 128-bit key, 32 cycles
 * (64 Feistel rounds), delta 0x9E3779B9. OpenSSL has no XTEA, so it is
 * here, in a few lines. Only encryption: RTMPE never decrypts.
 */
#ifndef __RTMP_XTEA_H__
#define __RTMP_XTEA_H__

#include <glib.h>

G_BEGIN_DECLS

/* Encrypts the block (@v[0], @v[1]) in place with the key words @k. */
void rtmp_xtea_encrypt_words (const guint32 k[4], guint32 v[2]);

/* The textbook byte form: key and block words read big-endian. This is the
 * form of the published test vectors. @in and @out may be the same. */
void rtmp_xtea_encrypt_be (
    const guint8 key[16], const guint8 in[8], guint8 out[8]);

/* RTMPE's form: the block words are read and written little-endian; the key
 * is given as words. @in and @out may be the same. */
void rtmp_xtea_encrypt_le (
    const guint32 k[4], const guint8 in[8], guint8 out[8]);

G_END_DECLS

#endif

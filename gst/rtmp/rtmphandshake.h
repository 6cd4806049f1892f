/* gst-rtmpe: the RTMP handshake, both sides: simple, digest (Flash Player 9+)
 * and RTMPE (types 0x06, 0x08, 0x09)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A state machine that does no I/O: it is fed the bytes the peer sent and
 * returns the bytes to send. Time (the C1/S1 time field) is passed in;
 * randomness, Diffie-Hellman and Blowfish come from the RtmpCryptoAdapter.
 * Facts and sources: shared/specs/rtmpe-handshake.md.
 *
 * Driving it from a socket (client):
 *
 *   hs = rtmp_handshake_new_client (RTMP_HANDSHAKE_TYPE_RTMPE, TRUE,
 *       time_ms, rtmpe_crypto_openssl ());
 *   out = g_byte_array_new ();
 *   rtmp_handshake_get_initial (hs, out, &err);  // C0+C1: send them
 *   loop:
 *     n = read (sock, buf, sizeof buf);  // n == 0: rtmp_handshake_push_eof
 *     g_byte_array_set_size (out, 0);
 *     res = rtmp_handshake_push (hs, buf, n, &used, out, &err);
 *     send out->data, out->len if not empty        // C2 (client) or
 *                                                  // S0+S1+S2 (server)
 *     if res == RTMP_HANDSHAKE_ERROR: close, report err
 *     if res == RTMP_HANDSHAKE_DONE: break
 *   // buf[used..n) is NOT handshake: it is the first bytes of the chunk
 *   // stream (still RC4-encrypted for RTMPE); pass it on.
 *   if (rtmp_handshake_get_rc4_keys (hs, dec_key, enc_key)):
 *     dec = rtmpe_rc4_new (dec_key, 16); rtmpe_rc4_skip (dec, 1536);
 *     enc = rtmpe_rc4_new (enc_key, 16); rtmpe_rc4_skip (enc, 1536);
 *     decrypt buf[used..n) and everything read later with dec; encrypt
 *     everything written from now on with enc.
 *
 * A server does the same with rtmp_handshake_new_server () and no
 * get_initial: it answers S0+S1+S2 together as soon as C0+C1 are in (it
 * does not wait for C2: FFmpeg's client needs S2 before it sends C2), and
 * is DONE when C2 is in.
 *
 * Ownership: the caller owns @out and the input; the handshake copies what
 * it needs. The adapter must outlive the handshake. A handshake is used by
 * one thread at a time.
 *
 * Policy:
 * - RTMPE: every check is fatal (server's S0 must be 06/08/09, digest in one
 *   of the two layouts, DH key 2 <= y <= p-2 in the subgroup, C2/S2
 *   signature). No silent downgrade to plain RTMP.
 * - Plain RTMP: the digests decide whether the digest handshake is used,
 *   never whether the connection is refused (as nginx-rtmp and SRS do): a
 *   peer whose C1/S1 carries a version but no valid digest gets a simple
 *   handshake, a bad C2/S2 signature is only logged.
 * - A server in digest mode also accepts a C2 that echoes S1 (FFmpeg's
 *   client does that when it publishes).
 */
#ifndef __RTMP_HANDSHAKE_H__
#define __RTMP_HANDSHAKE_H__

#include <glib.h>
#include "cryptoadapter.h"

G_BEGIN_DECLS

#define RTMP_HANDSHAKE_PACKET_SIZE 1536 /* C1, C2, S1, S2 */
#define RTMP_HANDSHAKE_DIGEST_SIZE 32
#define RTMP_HANDSHAKE_DH_KEY_SIZE 128
#define RTMP_HANDSHAKE_RC4_KEY_SIZE 16
/* keystream bytes each side discards before its first real byte */
#define RTMP_HANDSHAKE_RC4_DISCARD 1536

/**
 * RtmpHandshakeType:
 * The C0/S0 byte.
 * @RTMP_HANDSHAKE_TYPE_PLAIN: 0x03, plain RTMP (simple or digest)
 * @RTMP_HANDSHAKE_TYPE_RTMPE: 0x06, RTMPE
 * @RTMP_HANDSHAKE_TYPE_RTMPE_XTEA: 0x08, RTMPE with XTEA-wrapped signatures
 * @RTMP_HANDSHAKE_TYPE_RTMPE_BLOWFISH: 0x09, RTMPE with Blowfish-wrapped
 *   signatures
 */
typedef enum
{
  RTMP_HANDSHAKE_TYPE_PLAIN = 0x03,
  RTMP_HANDSHAKE_TYPE_RTMPE = 0x06,
  RTMP_HANDSHAKE_TYPE_RTMPE_XTEA = 0x08,
  RTMP_HANDSHAKE_TYPE_RTMPE_BLOWFISH = 0x09,
} RtmpHandshakeType;

/**
 * RtmpHandshakeAccept:
 * The C0 types a server accepts (a mask). "Require RTMPE" is
 * %RTMP_HANDSHAKE_ACCEPT_ANY_RTMPE alone; a plain C0 is then refused with
 * RTMP_ERROR_HANDSHAKE.
 */
typedef enum
{
  RTMP_HANDSHAKE_ACCEPT_PLAIN = 1 << 0,
  RTMP_HANDSHAKE_ACCEPT_RTMPE = 1 << 1,
  RTMP_HANDSHAKE_ACCEPT_RTMPE_XTEA = 1 << 2,
  RTMP_HANDSHAKE_ACCEPT_RTMPE_BLOWFISH = 1 << 3,
} RtmpHandshakeAccept;

#define RTMP_HANDSHAKE_ACCEPT_ANY_RTMPE                                        \
  (RTMP_HANDSHAKE_ACCEPT_RTMPE | RTMP_HANDSHAKE_ACCEPT_RTMPE_XTEA |            \
      RTMP_HANDSHAKE_ACCEPT_RTMPE_BLOWFISH)
#define RTMP_HANDSHAKE_ACCEPT_ALL                                              \
  (RTMP_HANDSHAKE_ACCEPT_PLAIN | RTMP_HANDSHAKE_ACCEPT_ANY_RTMPE)

/**
 * RtmpHandshakeLayout:
 * Where the digest and the DH key sit in C1/S1 (fact sheet §2).
 * @RTMP_HANDSHAKE_LAYOUT_NONE: no digest (simple handshake), or not known yet
 * @RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST: digest at sum4(8) % 728 + 12, DH key
 *   at sum4(1532) % 632 + 772 (librtmp "1", SRS schema1)
 * @RTMP_HANDSHAKE_LAYOUT_KEY_FIRST: DH key at sum4(768) % 632 + 8, digest at
 *   sum4(772) % 728 + 776 (librtmp "2", SRS schema0)
 */
typedef enum
{
  RTMP_HANDSHAKE_LAYOUT_NONE = 0,
  RTMP_HANDSHAKE_LAYOUT_DIGEST_FIRST,
  RTMP_HANDSHAKE_LAYOUT_KEY_FIRST,
} RtmpHandshakeLayout;

typedef enum
{
  RTMP_HANDSHAKE_NEED_MORE,
  RTMP_HANDSHAKE_DONE,
  RTMP_HANDSHAKE_ERROR,
} RtmpHandshakeResult;

/* Default C1 versions: FFmpeg's 9.0.124.2 for plain digest; librtmp's
 * 128.0.3.2 for RTMPE (librtmp's server then answers 0x08). Default S1
 * version: 3.5.1.1 (FFmpeg checks the handshake only for S1[4] >= 3). */
#define RTMP_HANDSHAKE_CLIENT_VERSION_PLAIN 0x09007c02u
#define RTMP_HANDSHAKE_CLIENT_VERSION_RTMPE 0x80000302u
#define RTMP_HANDSHAKE_SERVER_VERSION 0x03050101u

typedef struct _RtmpHandshake RtmpHandshake;

/* A client asking for @type. For RTMP_HANDSHAKE_TYPE_PLAIN, @digest chooses
 * the digest handshake (else the simple one, C1 version 0); RTMPE always
 * uses it. @time goes into C1[0..4). */
RtmpHandshake *rtmp_handshake_new_client (RtmpHandshakeType type,
    gboolean digest, guint32 time, const RtmpCryptoAdapter *crypto);

/* A server accepting the C0 types in @accept (RtmpHandshakeAccept). @time
 * goes into S1[0..4). */
RtmpHandshake *rtmp_handshake_new_server (
    guint accept, guint32 time, const RtmpCryptoAdapter *crypto);

void rtmp_handshake_free (RtmpHandshake *hs);

/* Settings, before the first byte is produced. */

/* The version bytes of our C1/S1 (big-endian a.b.c.d) in digest mode. A
 * simple handshake always sends 0. */
void rtmp_handshake_set_version (RtmpHandshake *hs, guint32 version);
/* The layout of our C1/S1 (DIGEST_FIRST or KEY_FIRST). Defaults: a plain
 * client digest-first, an RTMPE client key-first (as librtmp and FFmpeg);
 * a server digest-first, whatever the client used: every client that checks
 * S1 tries both layouts, and FFmpeg's unchecked publish path reads the DH
 * key only at the digest-first position. */
void rtmp_handshake_set_layout (RtmpHandshake *hs, RtmpHandshakeLayout layout);
/* Server: answer every accepted RTMPE C0 with this S0 (06, 08 or 09), as
 * librtmp's server answers 08 to 128.x clients. 0 (the default) answers
 * with the type the client asked for. */
void rtmp_handshake_set_rtmpe_answer (RtmpHandshake *hs, guint8 s0);

/* Client: appends C0+C1 to @out. Server: appends nothing. Call once, before
 * the first push. FALSE (RTMP_ERROR_CRYPTO) if DH key generation fails. */
gboolean rtmp_handshake_get_initial (
    RtmpHandshake *hs, GByteArray *out, GError **error);

/* Feeds @len bytes from the peer. Sets *@consumed to the bytes used: all of
 * them unless the result is DONE, when the rest (data + consumed) belongs
 * to the chunk stream (RC4-encrypted for RTMPE). Appends to @out what must
 * be sent, whatever the result (except ERROR: then close). After DONE,
 * further pushes consume nothing and return DONE; after ERROR they return
 * ERROR. */
RtmpHandshakeResult rtmp_handshake_push (RtmpHandshake *hs, const guint8 *data,
    gsize len, gsize *consumed, GByteArray *out, GError **error);

/* Tells the handshake that the peer closed the connection. Returns DONE if
 * it was done; otherwise ERROR with RTMP_ERROR_TRUNCATED naming the packet
 * that was cut short (e.g. a truncated C1). */
RtmpHandshakeResult rtmp_handshake_push_eof (RtmpHandshake *hs, GError **error);

/* Results. */

gboolean rtmp_handshake_is_done (const RtmpHandshake *hs);
/* The S0 type in use (0 until known: the client learns it from S0, the
 * server from C0 and its settings). */
guint8 rtmp_handshake_get_negotiated_type (const RtmpHandshake *hs);
/* Whether the digest handshake is used (FALSE: simple), known once the
 * peer's C1/S1 is in. */
gboolean rtmp_handshake_get_digest_used (const RtmpHandshake *hs);
RtmpHandshakeLayout rtmp_handshake_get_local_layout (const RtmpHandshake *hs);
RtmpHandshakeLayout rtmp_handshake_get_peer_layout (const RtmpHandshake *hs);
/* The peer's C1/S1 version bytes (big-endian a.b.c.d) and time field. */
guint32 rtmp_handshake_get_peer_version (const RtmpHandshake *hs);
guint32 rtmp_handshake_get_peer_time (const RtmpHandshake *hs);
gboolean rtmp_handshake_is_encrypted (const RtmpHandshake *hs);
/* RTMPE, once done: the 16-byte RC4 keys, @decrypt_key for what we read,
 * @encrypt_key for what we write. The caller discards
 * RTMP_HANDSHAKE_RC4_DISCARD keystream bytes of each before use. FALSE
 * (and nothing written) when not done or not encrypted. */
gboolean rtmp_handshake_get_rc4_keys (const RtmpHandshake *hs,
    guint8 decrypt_key[RTMP_HANDSHAKE_RC4_KEY_SIZE],
    guint8 encrypt_key[RTMP_HANDSHAKE_RC4_KEY_SIZE]);
/* Client in digest mode, once S1 is in: the 42-byte body of the SWF
 * verification answer (User Control event 0x1B after its 2-byte event
 * type): 01 01, BE32 size, BE32 size, HMAC-SHA256 keyed with S1's last 32
 * bytes over @swf_hash (fact sheet §8). FALSE otherwise. */
gboolean rtmp_handshake_get_swf_verification (const RtmpHandshake *hs,
    const guint8 swf_hash[32], guint32 swf_size, guint8 out[42]);

/* Building blocks, exposed for tests and tools. @body is a 1536-byte
 * C1/S1 without its type byte. */
guint rtmp_handshake_digest_offset (
    const guint8 *body, RtmpHandshakeLayout layout);
guint rtmp_handshake_dh_offset (const guint8 *body, RtmpHandshakeLayout layout);
/* The type 0x08/0x09 wrap of a C2/S2 signature, in place: block i of 8
 * bytes is encrypted with key number @key[i] % 15, where @key is the derived
 * key HMAC(full key, peer digest) (fact sheet §7). Other types: no change. */
gboolean rtmp_handshake_wrap_signature (guint8 type,
    const guint8 key[RTMP_HANDSHAKE_DIGEST_SIZE],
    guint8 sig[RTMP_HANDSHAKE_DIGEST_SIZE], const RtmpCryptoAdapter *crypto,
    GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpHandshake, rtmp_handshake_free)

G_END_DECLS

#endif

/* gst-rtmfp: datagrams <-> plain RTMFP packets (RFC 7016 2.2, Flash profile
 * packet protection)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * datagram = SSID(4) | AES-128-CBC(zero IV)(plaintext) | [HMAC(h)]
 * plaintext = [SSEQ vlu] [checksum u16] packet [0xFF padding]
 * packet = flags [timestamp] [timestamp echo] chunks
 */
#ifndef __RTMFP_PACKET_H__
#define __RTMFP_PACKET_H__

#include "cryptoadapter.h"
#include "rtmfpwire.h"

G_BEGIN_DECLS

/* "Adobe Systems 02" */
extern const guint8 rtmfp_default_session_key[16];

/* Largest datagram we accept; larger ones are dropped unparsed. */
#define RTMFP_MAX_DATAGRAM 8192
/* Largest plain packet (flags .. chunks) we send: with SSEQ, checksum,
 * padding, SSID and a 32-byte HMAC the datagram stays within 1200 bytes. */
#define RTMFP_MAX_PLAIN_PACKET 1120
#define RTMFP_HMAC_MAX 32
#define RTMFP_HMAC_MIN 4

/* Packet header flags (RFC 7016 2.2.4) */
#define RTMFP_FLAG_TC 0x80
#define RTMFP_FLAG_TCR 0x40
#define RTMFP_FLAG_TS 0x08
#define RTMFP_FLAG_TSE 0x04
#define RTMFP_MODE_MASK 0x03

typedef enum
{
  RTMFP_MODE_FORBIDDEN = 0,
  RTMFP_MODE_INITIATOR = 1,
  RTMFP_MODE_RESPONDER = 2,
  RTMFP_MODE_STARTUP = 3,
} RtmfpPacketMode;

/* The Flash profile's 16-bit checksum: big-endian words summed, an odd last
 * byte added as a LOW-order value (unlike RFC 1071), folded, inverted. */
guint16 rtmfp_checksum (const guint8 *data, gsize len);

/* sessionID XOR first32[0] XOR first32[1] of the ciphertext (zero-filled
 * when shorter than 8 bytes); both directions of the scramble. */
guint32 rtmfp_scramble_session_id (
    guint32 session_id, const guint8 *ciphertext, gsize len);

/* Reads the session ID of a datagram; FALSE if shorter than 4 bytes. */
gboolean rtmfp_datagram_session_id (
    const guint8 *datagram, gsize len, guint32 *session_id);

/**
 * RtmfpPacketKeys:
 *
 * One direction pair's protection: AES contexts from the adapter and what
 * was negotiated. The default-key keys have no HMAC and no SSEQ.
 */
typedef struct
{
  const RtmpCryptoAdapter *crypto;
  RtmpAes *enc;
  RtmpAes *dec;
  /* sending */
  guint send_hmac_len; /* 0: checksum instead */
  guint8 send_hmac_key[32];
  gboolean send_sseq;
  guint64 next_sseq;
  /* receiving */
  guint recv_hmac_len;
  guint8 recv_hmac_key[32];
  gboolean recv_sseq;
  guint64 max_sseq; /* highest accepted, valid when sseq_seen */
  gboolean sseq_seen;
  guint64 sseq_window; /* bit i: max_sseq - i accepted */
} RtmfpPacketKeys;

/* The startup keys: the default key both ways, checksum only. */
gboolean rtmfp_packet_keys_init_default (
    RtmfpPacketKeys *k, const RtmpCryptoAdapter *crypto);
/* Session keys (first 16 bytes of each 32-byte key are the AES keys). */
gboolean rtmfp_packet_keys_init (RtmfpPacketKeys *k,
    const RtmpCryptoAdapter *crypto, const guint8 *enc_key16,
    const guint8 *dec_key16);
void rtmfp_packet_keys_clear (RtmfpPacketKeys *k);

/* Protects plain packet @plain (flags .. chunks) for @session_id: appends
 * the datagram to @out. */
gboolean rtmfp_packet_seal (RtmfpPacketKeys *k, guint32 session_id,
    const guint8 *plain, gsize plain_len, GByteArray *out);

typedef enum
{
  RTMFP_OPEN_OK,
  RTMFP_OPEN_BAD_SIZE,
  RTMFP_OPEN_BAD_HMAC,
  RTMFP_OPEN_BAD_CHECKSUM,
  RTMFP_OPEN_REPLAY,
  RTMFP_OPEN_CRYPTO,
} RtmfpOpenResult;

/* Checks and decrypts a datagram; on success @plain (allocated, at least
 * @datagram's size) gets the packet (flags .. padding) at @plain_off with
 * @plain_len bytes. The SSEQ window only moves on success. */
RtmfpOpenResult rtmfp_packet_open (RtmfpPacketKeys *k, const guint8 *datagram,
    gsize len, guint8 *plain, gsize *plain_off, gsize *plain_len);

typedef struct
{
  guint8 flags;
  guint8 mode;
  gboolean has_ts;
  guint16 ts;
  gboolean has_tse;
  guint16 tse;
  gsize chunks_off; /* where the chunks start in the plain packet */
} RtmfpPacketHeader;

gboolean rtmfp_packet_header_parse (
    const guint8 *p, gsize len, RtmfpPacketHeader *h);
void rtmfp_packet_header_write (GByteArray *b, const RtmfpPacketHeader *h);
gsize rtmfp_packet_header_size (const RtmfpPacketHeader *h);

/* Iterates chunks per RFC 7016 2.2.4: stops at padding (fewer than 3 bytes
 * left, or a length that does not fit). */
typedef struct
{
  RtmfpReader r;
} RtmfpChunkIter;

void rtmfp_chunk_iter_init (RtmfpChunkIter *it, const guint8 *p, gsize len);
gboolean rtmfp_chunk_iter_next (RtmfpChunkIter *it, guint8 *type,
    const guint8 **payload, gsize *payload_len);

G_END_DECLS

#endif

/* gst-rtmfp: the Flash cryptography profile (RFC 7425, as the fact sheet
 * in shared/specs/rtmfp-flash-profile.md describes it): certificates, peer
 * IDs, endpoint discriminators, session keying components, Diffie-Hellman
 * and the derivation of session keys and nonces
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMFP_FLASH_H__
#define __RTMFP_FLASH_H__

#include "cryptoadapter.h"
#include "rtmfpwire.h"

G_BEGIN_DECLS

#define RTMFP_PEER_ID_SIZE 32
#define RTMFP_EXTRA_RANDOM_SIZE 64
#define RTMFP_MAX_DH_GROUPS 4

/* certificate options */
#define RTMFP_CERT_HOSTNAME 0x00
#define RTMFP_CERT_ACCEPTS_ANCILLARY 0x0a
#define RTMFP_CERT_EXTRA_RANDOM 0x0e
#define RTMFP_CERT_EPHEMERAL_GROUP 0x15
#define RTMFP_CERT_STATIC_KEY 0x1d

/* endpoint discriminator options */
#define RTMFP_EPD_HOSTNAME 0x00
#define RTMFP_EPD_ANCILLARY 0x0a
#define RTMFP_EPD_FINGERPRINT 0x0f

/* keying component options */
#define RTMFP_SKC_DH_PUBLIC 0x0d
#define RTMFP_SKC_EXTRA_RANDOM 0x0e
#define RTMFP_SKC_GROUP_SELECT 0x1d
#define RTMFP_SKC_HMAC 0x1a
#define RTMFP_SKC_SSEQ 0x1e

/* HMAC / SSEQ negotiation flags */
#define RTMFP_NEG_SND 0x04
#define RTMFP_NEG_SOR 0x02
#define RTMFP_NEG_REQ 0x01

/* The signature every peer sends and nobody checks. */
#define RTMFP_SIGNATURE_BYTE 0x58

/* ---- certificates ------------------------------------------------------- */

typedef struct
{
  guint64 group;
  const guint8 *key;
  gsize key_len;
} RtmfpDhKeyRef;

typedef struct
{
  gboolean is_static; /* has 0x1d keys */
  gboolean is_ephemeral; /* has 0x15 groups */
  gboolean accepts_ancillary;
  const guint8 *hostname;
  gsize hostname_len;
  guint n_groups; /* ephemeral groups, in the cert's order */
  guint64 groups[RTMFP_MAX_DH_GROUPS];
  guint n_keys; /* static keys, in the cert's order */
  RtmfpDhKeyRef keys[RTMFP_MAX_DH_GROUPS];
  gsize canonical_len; /* bytes up to and including the first marker */
} RtmfpCertInfo;

/* Parses the options before the first marker. FALSE when malformed or
 * when the certificate is both static and ephemeral, or neither. Groups
 * beyond RTMFP_MAX_DH_GROUPS are ignored. */
gboolean rtmfp_cert_parse (const guint8 *cert, gsize len, RtmfpCertInfo *info);
/* SHA-256 of the canonical part of the certificate. */
void rtmfp_cert_fingerprint (
    const guint8 *cert, gsize len, guint8 peer_id[RTMFP_PEER_ID_SIZE]);
/* Whether @group is offered by the certificate (0x15 or 0x1d). */
gboolean rtmfp_cert_offers_group (const RtmfpCertInfo *info, guint64 group);
const RtmfpDhKeyRef *rtmfp_cert_static_key (
    const RtmfpCertInfo *info, guint64 group);

/* ---- endpoint discriminators -------------------------------------------- */

typedef struct
{
  const guint8 *hostname;
  gsize hostname_len;
  const guint8 *ancillary;
  gsize ancillary_len;
  const guint8 *fingerprint; /* 32 bytes, or NULL */
} RtmfpEpdInfo;

gboolean rtmfp_epd_parse (const guint8 *epd, gsize len, RtmfpEpdInfo *info);
/* "21 0F <peer id>": the canonical EPD */
GBytes *rtmfp_epd_new_fingerprint (const guint8 peer_id[RTMFP_PEER_ID_SIZE]);
/* one 0x0a option: the URI (Flash clients' EPD for servers) */
GBytes *rtmfp_epd_new_ancillary (const guint8 *data, gsize len);
/* Whether an EPD selects the certificate with @peer_id (fingerprint decides
 * alone; else the hostname must match; ancillary data needs a server). */
gboolean rtmfp_epd_selects (const RtmfpEpdInfo *epd, const RtmfpCertInfo *cert,
    const guint8 peer_id[RTMFP_PEER_ID_SIZE]);

/* ---- keying components (SKIC / SKRC) ------------------------------------ */

typedef struct
{
  guint n_dh; /* 0x0d options */
  RtmfpDhKeyRef dh[RTMFP_MAX_DH_GROUPS];
  gboolean has_group_select; /* 0x1d */
  guint64 group_select;
  const guint8 *extra_random; /* 0x0e */
  gsize extra_random_len;
  guint8 hmac_flags; /* 0x1a; 0 when absent */
  guint64 hmac_len;
  guint8 sseq_flags; /* 0x1e; 0 when absent */
} RtmfpKeyingInfo;

gboolean rtmfp_keying_parse (
    const guint8 *skc, gsize len, RtmfpKeyingInfo *info);
const RtmfpDhKeyRef *rtmfp_keying_dh (
    const RtmfpKeyingInfo *info, guint64 group);

/* ---- negotiation --------------------------------------------------------- */

typedef struct
{
  gboolean send; /* this side sends it on every packet */
  gboolean recv; /* this side expects it on every packet */
} RtmfpNegotiated;

/* rtmfp-cpp's negotiateFlags, from one side's point of view. FALSE when
 * @mine requires receiving it (REQ) and @theirs can't send it. */
gboolean rtmfp_negotiate (guint8 mine, guint8 theirs, RtmfpNegotiated *out);

/* ---- Diffie-Hellman ------------------------------------------------------- */

/* Checks a peer's public key as rtmfp-cpp does: 2^24 <= Y <= p - 2^24, at
 * least 16 one bits and 16 zero bits. */
gboolean rtmfp_dh_check_public (
    guint64 group, const guint8 *key, gsize len, GError **error);

/* A key pair on a MODP group, through the adapter. */
typedef struct
{
  const RtmpCryptoAdapter *crypto;
  guint64 group;
  RtmpDh *dh;
  guint8 *pub; /* minimal big-endian */
  gsize pub_len;
} RtmfpDhKey;

RtmfpDhKey *rtmfp_dh_key_new (const RtmpCryptoAdapter *crypto, guint64 group,
    const guint8 *priv, gsize priv_len, GError **error);
void rtmfp_dh_key_free (RtmfpDhKey *k);
/* The shared secret with leading zero bytes stripped (as every Flash peer
 * computes it); allocated. */
guint8 *rtmfp_dh_key_compute (RtmfpDhKey *k, const guint8 *peer, gsize len,
    gsize *secret_len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmfpDhKey, rtmfp_dh_key_free)

/* ---- session keys --------------------------------------------------------- */

typedef struct
{
  guint8 i2r[32]; /* AES key initiator -> responder: first 16 bytes */
  guint8 r2i[32];
  guint8 hmac_i2r[32];
  guint8 hmac_r2i[32];
  guint8 nonce_initiator[32];
  guint8 nonce_responder[32];
} RtmfpSessionKeys;

void rtmfp_derive_session_keys (const guint8 *secret, gsize secret_len,
    const guint8 *skic, gsize skic_len, const guint8 *skrc, gsize skrc_len,
    RtmfpSessionKeys *out);

/* Strongest group of @ours that @cert offers (@ours ordered as preferred,
 * strongest first); 0 when none. */
guint64 rtmfp_choose_group (
    const guint64 *ours, guint n_ours, const RtmfpCertInfo *cert);

G_END_DECLS

#endif

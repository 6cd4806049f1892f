/* gst-rtmfp: the endpoint: demultiplexing, session startup in both roles,
 * cookies, P2P introduction, packet fragments, events and the public API
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfpprivate.h"
#include "rtmperror.h"
#include "rtmpdhgroups.h"

#include <string.h>

#define GST_CAT_DEFAULT rtmfp_session_debug

#define OPEN_TIMEOUT (95 * RTMFP_SEC)
#define HELLO_INTERVAL (1500 * RTMFP_MS)
#define COOKIE_LIFETIME (120 * RTMFP_SEC)
#define REASSEMBLY_TIMEOUT (60 * RTMFP_SEC)
#define REASSEMBLY_STALL (5 * RTMFP_SEC)

void
rtmfp_config_init (
    RtmfpConfig *c, const RtmpCryptoAdapter *crypto, gboolean server)
{
  memset (c, 0, sizeof (*c));
  c->crypto = crypto;
  c->server = server;
  if (server) {
    c->n_groups = 4;
    c->groups[0] = 16;
    c->groups[1] = 14;
    c->groups[2] = 5;
    c->groups[3] = 2;
  } else {
    c->n_groups = 1;
    c->groups[0] = 2;
  }
  c->hmac_flags = RTMFP_NEG_SOR;
  c->hmac_len = 16;
  c->sseq_flags = RTMFP_NEG_SOR;
  c->introducer = server;
  c->fihello_mode = RTMFP_FIHELLO_RHELLO;
  c->keepalive = 10 * RTMFP_SEC;
  c->idle_timeout = 60 * RTMFP_SEC;
  c->recv_buffer = 1 << 20;
  c->delayed_ack = 5 * RTMFP_MS;
  c->min_probe_timeout = 10 * RTMFP_MS;
  c->max_plain_packet = RTMFP_MAX_PLAIN_PACKET;
}

/* ---- small helpers ------------------------------------------------------ */

void
rtmfp_endpoint_random (RtmfpEndpoint *ep, guint8 *buf, gsize len)
{
  ep->crypto->random (ep->crypto->user_data, buf, len);
}

void
rtmfp_endpoint_emit (RtmfpEndpoint *ep, RtmfpEvent *ev)
{
  GST_LOG ("event %s session %08x flow %" G_GUINT64_FORMAT,
      rtmfp_event_type_name (ev->type), ev->session, ev->flow);
  g_queue_push_tail (&ep->events, ev);
}

void
rtmfp_endpoint_queue_datagram (
    RtmfpEndpoint *ep, const RtmfpAddress *to, GBytes *data)
{
  RtmfpQueuedDatagram *d = g_new0 (RtmfpQueuedDatagram, 1);

  d->to = *to;
  d->data = data;
  g_queue_push_tail (&ep->out, d);
}

static RtmfpSession *
session_get (RtmfpEndpoint *ep, guint32 id)
{
  return g_hash_table_lookup (ep->sessions, GUINT_TO_POINTER (id));
}

static RtmfpSession *
open_session_get (RtmfpEndpoint *ep, guint32 id)
{
  RtmfpSession *s = session_get (ep, id);

  return s && s->state == S_OPEN ? s : NULL;
}

static guint32
new_session_id (RtmfpEndpoint *ep)
{
  for (;;) {
    guint8 b[4];
    guint32 id;

    rtmfp_endpoint_random (ep, b, 4);
    id = ((guint32) b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    if (id != 0 && !session_get (ep, id))
      return id;
  }
}

static void
session_add (RtmfpEndpoint *ep, RtmfpSession *s)
{
  g_hash_table_insert (ep->sessions, GUINT_TO_POINTER (s->id), s);
  g_ptr_array_add (ep->session_list, s);
}

static void
session_remove (RtmfpEndpoint *ep, RtmfpSession *s)
{
  g_hash_table_remove (ep->sessions, GUINT_TO_POINTER (s->id));
  g_ptr_array_remove (ep->session_list, s);
  rtmfp_session_free (s);
}

void
rtmfp_endpoint_session_closed (RtmfpEndpoint *ep, RtmfpSession *s)
{
  /* freed by the next rtmfp_endpoint_advance, once its last chunks went */
}

static void
fail_session_code (
    RtmfpEndpoint *ep, RtmfpSession *s, RtmfpFailure code, const gchar *reason)
{
  RtmfpEvent *ev = g_new0 (RtmfpEvent, 1);

  GST_INFO ("session %08x: could not open: %s", s->id, reason);
  s->state = S_OPEN_FAILED;
  ev->type = RTMFP_EVENT_SESSION_FAILED;
  ev->session = s->id;
  ev->code = code;
  ev->reason = g_strdup (reason);
  rtmfp_endpoint_emit (ep, ev);
}

static void
fail_session (RtmfpEndpoint *ep, RtmfpSession *s, const gchar *reason)
{
  fail_session_code (ep, s, RTMFP_FAILED_OTHER, reason);
}

/* Seals a startup packet (default key) and queues it, cut into Packet
 * Fragment chunks when it is larger than we send (RFC 7016 3.4). */
static void
queue_startup_packet (RtmfpEndpoint *ep, const RtmfpAddress *to, guint32 sid,
    const guint8 *plain, gsize len)
{
  gsize max = ep->config.max_plain_packet;

  if (len <= max) {
    GByteArray *out = g_byte_array_sized_new (len + 32);

    if (rtmfp_packet_seal (&ep->default_keys, sid, plain, len, out))
      rtmfp_endpoint_queue_datagram (ep, to, g_byte_array_free_to_bytes (out));
    else
      g_byte_array_unref (out);
    return;
  }
  {
    guint64 id = ep->next_packet_id++;
    gsize per = max - 5 - 3 - 1 - 2 * RTMFP_VLU_MAX_BYTES;
    guint64 num = 0;

    for (gsize off = 0; off < len; off += per, num++) {
      GByteArray *pkt = g_byte_array_sized_new (max);
      GByteArray *out = g_byte_array_sized_new (max + 32);
      RtmfpPacketHeader h = { 0 };
      RtmfpFragmentChunk fc;

      h.mode = RTMFP_MODE_STARTUP;
      h.has_ts = TRUE;
      h.ts = rtmfp_session_timestamp (ep->now);
      rtmfp_packet_header_write (pkt, &h);
      fc.more = off + per < len;
      fc.packet_id = id;
      fc.fragment_num = num;
      fc.data = plain + off;
      fc.data_len = MIN (per, len - off);
      rtmfp_fragment_chunk_build (pkt, &fc);
      if (rtmfp_packet_seal (&ep->default_keys, sid, pkt->data, pkt->len, out))
        rtmfp_endpoint_queue_datagram (
            ep, to, g_byte_array_free_to_bytes (out));
      else
        g_byte_array_unref (out);
      g_byte_array_unref (pkt);
    }
  }
}

static GByteArray *
startup_packet_begin (RtmfpEndpoint *ep)
{
  GByteArray *b = g_byte_array_new ();
  RtmfpPacketHeader h = { 0 };

  h.mode = RTMFP_MODE_STARTUP;
  h.has_ts = TRUE;
  h.ts = rtmfp_session_timestamp (ep->now);
  rtmfp_packet_header_write (b, &h);
  return b;
}

static void
send_startup_chunk (RtmfpEndpoint *ep, const RtmfpAddress *to, guint32 sid,
    const guint8 *chunk, gsize len)
{
  GByteArray *b = startup_packet_begin (ep);

  rtmfp_put_bytes (b, chunk, len);
  queue_startup_packet (ep, to, sid, b->data, b->len);
  g_byte_array_unref (b);
}

/* ---- cookies ------------------------------------------------------------
 * 64 bytes (what librtmfp and Mona require): T(4) N(12) H1(16) H2(32),
 * H1 = HMAC(secret, 1 T N) proves we made it, H2 = HMAC(secret, 2 T N addr)
 * binds it to the address the RHello went to. */

static void
cookie_macs (RtmfpEndpoint *ep, const guint8 *tn, const RtmfpAddress *a,
    guint8 h1[32], guint8 h2[32])
{
  GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, ep->cookie_secret, 32);
  GByteArray *ab = g_byte_array_new ();
  gsize n = 32;

  g_hmac_update (h, (const guint8 *) "1", 1);
  g_hmac_update (h, tn, 16);
  g_hmac_get_digest (h, h1, &n);
  g_hmac_unref (h);
  h = g_hmac_new (G_CHECKSUM_SHA256, ep->cookie_secret, 32);
  rtmfp_put_address (ab, a);
  ab->data[0] &= 0x80; /* the origin does not count */
  g_hmac_update (h, (const guint8 *) "2", 1);
  g_hmac_update (h, tn, 16);
  g_hmac_update (h, ab->data, ab->len);
  n = 32;
  g_hmac_get_digest (h, h2, &n);
  g_hmac_unref (h);
  g_byte_array_unref (ab);
}

static void
make_cookie (RtmfpEndpoint *ep, const RtmfpAddress *a, guint8 out[64])
{
  guint32 t = (ep->now - ep->start) / RTMFP_SEC;
  guint8 h1[32], h2[32];

  out[0] = t >> 24;
  out[1] = t >> 16;
  out[2] = t >> 8;
  out[3] = t;
  rtmfp_endpoint_random (ep, out + 4, 12);
  cookie_macs (ep, out, a, h1, h2);
  memcpy (out + 16, h1, 16);
  memcpy (out + 32, h2, 32);
}

typedef enum
{
  COOKIE_BAD,
  COOKIE_OK,
  COOKIE_WRONG_ADDRESS,
} CookieCheck;

static CookieCheck
check_cookie (
    RtmfpEndpoint *ep, const RtmfpAddress *a, const guint8 *c, gsize len)
{
  guint8 h1[32], h2[32];
  guint64 t, age;
  guint8 d1 = 0, d2 = 0;

  if (len != RTMFP_COOKIE_SIZE)
    return COOKIE_BAD;
  cookie_macs (ep, c, a, h1, h2);
  for (guint i = 0; i < 16; i++)
    d1 |= h1[i] ^ c[16 + i];
  if (d1)
    return COOKIE_BAD;
  t = ((guint32) c[0] << 24) | (c[1] << 16) | (c[2] << 8) | c[3];
  age = (ep->now - ep->start) / RTMFP_SEC;
  if (t > age || age - t > COOKIE_LIFETIME / RTMFP_SEC)
    return COOKIE_BAD;
  for (guint i = 0; i < 32; i++)
    d2 |= h2[i] ^ c[32 + i];
  return d2 ? COOKIE_WRONG_ADDRESS : COOKIE_OK;
}

/* ---- certificates and keys ---------------------------------------------- */

static gboolean
our_cert_info (RtmfpEndpoint *ep, RtmfpCertInfo *ci)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (ep->cert, &len);

  return rtmfp_cert_parse (p, len, ci);
}

static RtmfpDhKey *
static_key (RtmfpEndpoint *ep, guint64 group)
{
  for (guint i = 0; i < ep->config.n_groups; i++)
    if (ep->config.groups[i] == group)
      return ep->static_keys[i];
  return NULL;
}

static gboolean
build_cert (RtmfpEndpoint *ep, GError **error)
{
  GByteArray *b = g_byte_array_new ();

  if (ep->config.server) {
    guint8 rnd[RTMFP_EXTRA_RANDOM_SIZE];

    if (ep->hostname)
      rtmfp_put_option (b, RTMFP_CERT_HOSTNAME, (const guint8 *) ep->hostname,
          strlen (ep->hostname));
    rtmfp_put_option (b, RTMFP_CERT_ACCEPTS_ANCILLARY, NULL, 0);
    rtmfp_endpoint_random (ep, rnd, sizeof (rnd));
    rtmfp_put_option (b, RTMFP_CERT_EXTRA_RANDOM, rnd, sizeof (rnd));
    for (guint i = 0; i < ep->config.n_groups; i++)
      rtmfp_put_option_vlu (
          b, RTMFP_CERT_EPHEMERAL_GROUP, ep->config.groups[i]);
  } else {
    if (ep->hostname)
      rtmfp_put_option (b, RTMFP_CERT_HOSTNAME, (const guint8 *) ep->hostname,
          strlen (ep->hostname));
    for (guint i = 0; i < ep->config.n_groups; i++) {
      GByteArray *v = g_byte_array_new ();
      RtmfpDhKey *k =
          rtmfp_dh_key_new (ep->crypto, ep->config.groups[i], NULL, 0, error);

      if (!k) {
        g_byte_array_unref (v);
        g_byte_array_unref (b);
        return FALSE;
      }
      ep->static_keys[i] = k;
      rtmfp_put_vlu (v, k->group);
      rtmfp_put_bytes (v, k->pub, k->pub_len);
      rtmfp_put_option (b, RTMFP_CERT_STATIC_KEY, v->data, v->len);
      g_byte_array_unref (v);
    }
  }
  ep->cert = g_byte_array_free_to_bytes (b);
  {
    gsize len;
    const guint8 *p = g_bytes_get_data (ep->cert, &len);

    rtmfp_cert_fingerprint (p, len, ep->peer_id);
  }
  return TRUE;
}

static gboolean
keys_from_secret (RtmfpSession *s, const guint8 *secret, gsize secret_len,
    const RtmfpKeyingInfo *far, guint8 my_hmac, guint8 my_sseq,
    guint my_hmac_len, GError **error)
{
  RtmfpSessionKeys k;
  gsize skic_len, skrc_len;
  const guint8 *skic = g_bytes_get_data (s->skic, &skic_len);
  const guint8 *skrc = g_bytes_get_data (s->skrc, &skrc_len);
  gboolean ok;

  if (!rtmfp_negotiate (my_hmac, far->hmac_flags, &s->hmac) ||
      !rtmfp_negotiate (my_sseq, far->sseq_flags, &s->sseq)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE,
        "we require HMAC or sequence numbers the far end does not offer "
        "(its flags %02x/%02x)",
        far->hmac_flags, far->sseq_flags);
    return FALSE;
  }
  if (s->hmac.recv &&
      (far->hmac_len < RTMFP_HMAC_MIN || far->hmac_len > RTMFP_HMAC_MAX)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE,
        "HMAC length %" G_GUINT64_FORMAT " (4..32 allowed)", far->hmac_len);
    return FALSE;
  }
  rtmfp_derive_session_keys (
      secret, secret_len, skic, skic_len, skrc, skrc_len, &k);
  if (s->initiator)
    ok = rtmfp_packet_keys_init (&s->keys, s->ep->crypto, k.i2r, k.r2i);
  else
    ok = rtmfp_packet_keys_init (&s->keys, s->ep->crypto, k.r2i, k.i2r);
  if (!ok) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "the crypto adapter could not set up AES");
    return FALSE;
  }
  memcpy (s->keys.send_hmac_key, s->initiator ? k.hmac_i2r : k.hmac_r2i, 32);
  memcpy (s->keys.recv_hmac_key, s->initiator ? k.hmac_r2i : k.hmac_i2r, 32);
  s->keys.send_hmac_len = s->hmac.send ? MAX (my_hmac_len, RTMFP_HMAC_MIN) : 0;
  s->keys.recv_hmac_len = s->hmac.recv ? far->hmac_len : 0;
  s->keys.send_sseq = s->sseq.send;
  s->keys.recv_sseq = s->sseq.recv;
  memcpy (
      s->near_nonce, s->initiator ? k.nonce_initiator : k.nonce_responder, 32);
  memcpy (
      s->far_nonce, s->initiator ? k.nonce_responder : k.nonce_initiator, 32);
  s->keyed = TRUE;
  memset (&k, 0, sizeof (k));
  return TRUE;
}

static void
put_negotiation (
    GByteArray *b, guint8 hmac_flags, guint hmac_len, guint8 sseq_flags)
{
  GByteArray *v = g_byte_array_new ();

  rtmfp_put_u8 (v, hmac_flags);
  rtmfp_put_vlu (v, hmac_flags ? hmac_len : 0);
  rtmfp_put_option (b, RTMFP_SKC_HMAC, v->data, v->len);
  rtmfp_put_option (b, RTMFP_SKC_SSEQ, &sseq_flags, 1);
  g_byte_array_unref (v);
}

/* ---- initiator ---------------------------------------------------------- */

static void
send_ihello (RtmfpEndpoint *ep, RtmfpSession *s, const RtmfpAddress *to)
{
  GByteArray *b = startup_packet_begin (ep);
  RtmfpIHelloChunk c;

  c.epd = g_bytes_get_data (s->epd, &c.epd_len);
  c.tag = s->tag;
  c.tag_len = RTMFP_TAG_SIZE;
  rtmfp_ihello_chunk_build (b, &c);
  queue_startup_packet (ep, to, 0, b->data, b->len);
  g_byte_array_unref (b);
}

static gboolean
add_candidate (RtmfpSession *s, const RtmfpAddress *a, guint64 now)
{
  if (a->family == 0 || a->port == 0)
    return FALSE;
  for (guint i = 0; i < s->n_candidates; i++)
    if (rtmfp_address_equal (&s->candidates[i].addr, a))
      return FALSE;
  if (s->n_candidates >= RTMFP_MAX_CANDIDATES)
    return FALSE;
  s->candidates[s->n_candidates].addr = *a;
  s->candidates[s->n_candidates].next = now;
  s->candidates[s->n_candidates].interval = HELLO_INTERVAL;
  s->n_candidates++;
  return TRUE;
}

static RtmfpSession *
opening_by_tag (RtmfpEndpoint *ep, const guint8 *tag, gsize len)
{
  if (len != RTMFP_TAG_SIZE)
    return NULL;
  for (guint i = 0; i < ep->session_list->len; i++) {
    RtmfpSession *s = g_ptr_array_index (ep->session_list, i);

    if (s->initiator && s->state == S_IHELLO_SENT &&
        memcmp (s->tag, tag, RTMFP_TAG_SIZE) == 0)
      return s;
  }
  return NULL;
}

static void
send_iikeying (RtmfpEndpoint *ep, RtmfpSession *s)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (s->keying_chunk, &len);

  send_startup_chunk (ep, &s->dest, 0, p, len);
}

static void
build_iikeying (RtmfpEndpoint *ep, RtmfpSession *s)
{
  GByteArray *b = g_byte_array_new ();
  RtmfpIIKeyingChunk c = { 0 };
  const guint8 sig = RTMFP_SIGNATURE_BYTE;

  c.initiator_session_id = s->id;
  c.cookie = g_bytes_get_data (s->cookie, &c.cookie_len);
  c.cert = g_bytes_get_data (ep->cert, &c.cert_len);
  c.skic = g_bytes_get_data (s->skic, &c.skic_len);
  c.signature = &sig;
  c.signature_len = 1;
  rtmfp_iikeying_chunk_build (b, &c);
  g_clear_pointer (&s->keying_chunk, g_bytes_unref);
  s->keying_chunk = g_byte_array_free_to_bytes (b);
}

static void
handle_rhello (
    RtmfpEndpoint *ep, const RtmfpAddress *from, const RtmfpRHelloChunk *c)
{
  RtmfpSession *s = opening_by_tag (ep, c->tag, c->tag_len);
  RtmfpCertInfo ci;
  RtmfpEpdInfo epd;
  guint8 fp[32];
  guint64 group;
  GByteArray *skic;
  gsize epd_len;
  const guint8 *epd_p;
  g_autoptr (GError) error = NULL;

  if (!s) {
    ep->stats.chunks_unexpected++;
    return;
  }
  if (c->cookie_len > RTMFP_MAX_COOKIE_SIZE ||
      c->cert_len > RTMFP_MAX_CERT_SIZE ||
      !rtmfp_cert_parse (c->cert, c->cert_len, &ci)) {
    ep->stats.handshakes_refused++;
    return;
  }
  rtmfp_cert_fingerprint (c->cert, c->cert_len, fp);
  epd_p = g_bytes_get_data (s->epd, &epd_len);
  if (!rtmfp_epd_parse (epd_p, epd_len, &epd) ||
      !rtmfp_epd_selects (&epd, &ci, fp)) {
    GST_DEBUG ("session %08x: RHello from a certificate our EPD does not "
               "select; ignored",
        s->id);
    ep->stats.handshakes_refused++;
    return;
  }
  group = rtmfp_choose_group (ep->config.groups, ep->config.n_groups, &ci);
  if (!group) {
    fail_session (ep, s,
        "the responder offers none of our Diffie-Hellman "
        "groups");
    return;
  }
  skic = g_byte_array_new ();
  if (ep->config.server) {
    /* an ephemeral initiator: a fresh key in the SKIC */
    GByteArray *v = g_byte_array_new ();

    s->eph_key = rtmfp_dh_key_new (ep->crypto, group, NULL, 0, &error);
    if (!s->eph_key) {
      g_byte_array_unref (v);
      g_byte_array_unref (skic);
      fail_session (ep, s, error->message);
      return;
    }
    rtmfp_put_vlu (v, group);
    rtmfp_put_bytes (v, s->eph_key->pub, s->eph_key->pub_len);
    rtmfp_put_option (skic, RTMFP_SKC_DH_PUBLIC, v->data, v->len);
    g_byte_array_unref (v);
  } else {
    guint8 rnd[RTMFP_EXTRA_RANDOM_SIZE];

    rtmfp_put_option_vlu (skic, RTMFP_SKC_GROUP_SELECT, group);
    rtmfp_endpoint_random (ep, rnd, sizeof (rnd));
    rtmfp_put_option (skic, RTMFP_SKC_EXTRA_RANDOM, rnd, sizeof (rnd));
  }
  put_negotiation (
      skic, ep->config.hmac_flags, ep->config.hmac_len, ep->config.sseq_flags);
  s->skic = g_byte_array_free_to_bytes (skic);
  s->group = group;
  s->cookie = g_bytes_new (c->cookie, c->cookie_len);
  s->far_cert = g_bytes_new (c->cert, c->cert_len);
  memcpy (s->far_peer_id, fp, 32);
  s->dest = *from;
  s->dest.origin = 0;
  build_iikeying (ep, s);
  s->state = S_KEYING_SENT;
  s->keying_interval = HELLO_INTERVAL;
  s->keying_next = ep->now + s->keying_interval;
  {
    gchar b[64];

    GST_DEBUG ("session %08x: RHello from %s, DH group %" G_GUINT64_FORMAT
               ", cookie of %" G_GSIZE_FORMAT " bytes; sending IIKeying",
        s->id, rtmfp_address_to_string (from, b), group, c->cookie_len);
  }
  send_iikeying (ep, s);
}

static gboolean
is_wildcard (const RtmfpAddress *a)
{
  static const guint8 zero[16] = { 0 };

  return memcmp (a->addr, zero, a->family == 6 ? 16 : 4) == 0;
}

static void
handle_redirect (
    RtmfpEndpoint *ep, const RtmfpAddress *from, const RtmfpRedirectChunk *c)
{
  RtmfpSession *s = opening_by_tag (ep, c->tag, c->tag_len);

  if (!s) {
    ep->stats.chunks_unexpected++;
    return;
  }
  if (c->n_addresses == 0) {
    if (add_candidate (s, from, ep->now))
      send_ihello (ep, s, from);
    return;
  }
  if (c->n_addresses == 1 && c->addresses[0].port == 0 &&
      is_wildcard (&c->addresses[0])) {
    fail_session_code (ep, s, RTMFP_FAILED_UNKNOWN_PEER,
        "the introducer knows no peer of that peer ID");
    return;
  }
  for (guint i = 0; i < c->n_addresses; i++) {
    RtmfpAddress a = c->addresses[i];

    a.origin = 0;
    if (add_candidate (s, &a, ep->now)) {
      gchar b[64];

      GST_DEBUG ("session %08x: redirected to %s", s->id,
          rtmfp_address_to_string (&a, b));
      s->candidates[s->n_candidates - 1].next =
          ep->now + s->candidates[s->n_candidates - 1].interval;
      send_ihello (ep, s, &a);
    }
  }
}

static void
handle_rikeying (RtmfpEndpoint *ep, RtmfpSession *s, const RtmfpAddress *from,
    const RtmfpRIKeyingChunk *c)
{
  RtmfpKeyingInfo ki;
  RtmfpCertInfo ci;
  const RtmfpDhKeyRef *y;
  RtmfpDhKey *mine;
  gsize cert_len, secret_len;
  const guint8 *cert = g_bytes_get_data (s->far_cert, &cert_len);
  g_autofree guint8 *secret = NULL;
  g_autoptr (GError) error = NULL;
  RtmfpEvent *ev;

  if (s->state != S_KEYING_SENT) {
    ep->stats.chunks_unexpected++;
    return;
  }
  if (c->responder_session_id == 0 ||
      !rtmfp_keying_parse (c->skrc, c->skrc_len, &ki) ||
      !rtmfp_cert_parse (cert, cert_len, &ci)) {
    ep->stats.handshakes_refused++;
    return;
  }
  y = rtmfp_keying_dh (&ki, s->group);
  if (!y)
    y = rtmfp_cert_static_key (&ci, s->group);
  if (!y) {
    if (ki.n_dh > 0)
      g_set_error (&error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE,
          "the responder answered in Diffie-Hellman group %" G_GUINT64_FORMAT
          ", not in group %" G_GUINT64_FORMAT " which we selected",
          ki.dh[0].group, s->group);
    else
      g_set_error (&error, RTMP_ERROR, RTMP_ERROR_HANDSHAKE,
          "the responder gave no key for group %" G_GUINT64_FORMAT, s->group);
    ep->stats.handshakes_refused++;
    fail_session (ep, s, error->message);
    return;
  }
  mine = s->eph_key ? s->eph_key : static_key (ep, s->group);
  s->skrc = g_bytes_new (c->skrc, c->skrc_len);
  secret = rtmfp_dh_key_compute (mine, y->key, y->key_len, &secret_len, &error);
  if (!secret ||
      !keys_from_secret (s, secret, secret_len, &ki, ep->config.hmac_flags,
          ep->config.sseq_flags, ep->config.hmac_len, &error)) {
    ep->stats.handshakes_refused++;
    fail_session (ep, s, error->message);
    return;
  }
  memset (secret, 0, secret_len);
  s->far_id = c->responder_session_id;
  rtmfp_session_set_open (s, ep->now);
  ep->stats.sessions_opened++;
  {
    gchar b[64];

    GST_INFO ("session %08x: open to %s (their session %08x), group "
              "%" G_GUINT64_FORMAT ", HMAC %s/%s, sequence numbers %s/%s",
        s->id, rtmfp_address_to_string (&s->dest, b), s->far_id, s->group,
        s->hmac.send ? "sent" : "-", s->hmac.recv ? "received" : "-",
        s->sseq.send ? "sent" : "-", s->sseq.recv ? "received" : "-");
  }
  ev = g_new0 (RtmfpEvent, 1);
  ev->type = RTMFP_EVENT_SESSION_OPEN;
  ev->session = s->id;
  ev->address = s->dest;
  memcpy (ev->peer_id, s->far_peer_id, 32);
  rtmfp_endpoint_emit (ep, ev);
}

static void
handle_cookie_change (
    RtmfpEndpoint *ep, RtmfpSession *s, const RtmfpCookieChangeChunk *c)
{
  gsize len;
  const guint8 *old = g_bytes_get_data (s->cookie, &len);

  if (s->state != S_KEYING_SENT || s->cookie_changed ||
      c->old_cookie_len != len || memcmp (c->old_cookie, old, len) != 0 ||
      c->new_cookie_len > RTMFP_MAX_COOKIE_SIZE) {
    ep->stats.chunks_unexpected++;
    return;
  }
  GST_DEBUG ("session %08x: cookie change", s->id);
  s->cookie_changed = TRUE;
  g_bytes_unref (s->cookie);
  s->cookie = g_bytes_new (c->new_cookie, c->new_cookie_len);
  build_iikeying (ep, s);
  send_iikeying (ep, s);
}

/* ---- responder ---------------------------------------------------------- */

static void
send_rhello (
    RtmfpEndpoint *ep, const RtmfpAddress *to, const guint8 *tag, gsize tag_len)
{
  GByteArray *b = startup_packet_begin (ep);
  RtmfpRHelloChunk c;
  guint8 cookie[RTMFP_COOKIE_SIZE];

  make_cookie (ep, to, cookie);
  c.tag = tag;
  c.tag_len = tag_len;
  c.cookie = cookie;
  c.cookie_len = sizeof (cookie);
  c.cert = g_bytes_get_data (ep->cert, &c.cert_len);
  rtmfp_rhello_chunk_build (b, &c);
  queue_startup_packet (ep, to, 0, b->data, b->len);
  g_byte_array_unref (b);
}

static gboolean
epd_selects_us (
    RtmfpEndpoint *ep, const guint8 *epd, gsize len, RtmfpEpdInfo *info)
{
  RtmfpCertInfo ci;

  if (len > RTMFP_MAX_EPD_SIZE || !rtmfp_epd_parse (epd, len, info))
    return FALSE;
  our_cert_info (ep, &ci);
  return rtmfp_epd_selects (info, &ci, ep->peer_id);
}

static RtmfpSession *
session_by_peer_id (RtmfpEndpoint *ep, const guint8 *peer_id)
{
  for (guint i = 0; i < ep->session_list->len; i++) {
    RtmfpSession *s = g_ptr_array_index (ep->session_list, i);

    if (s->state == S_OPEN && memcmp (s->far_peer_id, peer_id, 32) == 0)
      return s;
  }
  return NULL;
}

static void
introduce (RtmfpEndpoint *ep, RtmfpSession *target, const RtmfpAddress *from,
    const RtmfpIHelloChunk *c)
{
  RtmfpRedirectChunk *r = g_new0 (RtmfpRedirectChunk, 1);
  GByteArray *b = startup_packet_begin (ep);
  RtmfpFIHelloChunk fih;
  gchar s1[64], s2[64];

  /* Redirect the initiator to the target's observed address, then to the
   * addresses the target reported for itself */
  r->tag = c->tag;
  r->tag_len = c->tag_len;
  r->addresses[r->n_addresses] = target->dest;
  r->addresses[r->n_addresses++].origin = RTMFP_ADDRESS_ORIGIN_OBSERVED;
  for (guint i = 0; i < target->n_peer_addresses &&
       r->n_addresses < RTMFP_REDIRECT_MAX_ADDRESSES;
       i++) {
    r->addresses[r->n_addresses] = target->peer_addresses[i];
    r->addresses[r->n_addresses++].origin = RTMFP_ADDRESS_ORIGIN_LOCAL;
  }
  rtmfp_redirect_chunk_build (b, r);
  queue_startup_packet (ep, from, 0, b->data, b->len);
  g_byte_array_unref (b);
  g_free (r);
  ep->stats.redirects_sent++;
  /* and forward the IHello to the target inside its session */
  fih.epd = c->epd;
  fih.epd_len = c->epd_len;
  fih.reply_address = *from;
  fih.reply_address.origin = RTMFP_ADDRESS_ORIGIN_OBSERVED;
  fih.tag = c->tag;
  fih.tag_len = c->tag_len;
  if (target->control->len < 8192) {
    rtmfp_fihello_chunk_build (target->control, &fih);
    ep->stats.fihellos_sent++;
  }
  GST_DEBUG ("introducing %s to session %08x at %s",
      rtmfp_address_to_string (from, s1), target->id,
      rtmfp_address_to_string (&target->dest, s2));
}

/* No peer of that peer ID here: a Redirect to the wildcard address. */
static void
redirect_unknown (
    RtmfpEndpoint *ep, const RtmfpAddress *from, const RtmfpIHelloChunk *c)
{
  RtmfpRedirectChunk *r = g_new0 (RtmfpRedirectChunk, 1);
  GByteArray *b = startup_packet_begin (ep);

  r->tag = c->tag;
  r->tag_len = c->tag_len;
  r->addresses[0].family = 4;
  r->n_addresses = 1;
  rtmfp_redirect_chunk_build (b, r);
  queue_startup_packet (ep, from, 0, b->data, b->len);
  g_byte_array_unref (b);
  g_free (r);
  ep->stats.redirects_sent++;
}

static void
handle_ihello (
    RtmfpEndpoint *ep, const RtmfpAddress *from, const RtmfpIHelloChunk *c)
{
  RtmfpEpdInfo epd;

  if (c->tag_len == 0 || c->tag_len > RTMFP_MAX_TAG_SIZE) {
    ep->stats.chunks_malformed++;
    return;
  }
  if (epd_selects_us (ep, c->epd, c->epd_len, &epd)) {
    send_rhello (ep, from, c->tag, c->tag_len);
    return;
  }
  if (ep->config.introducer && epd.fingerprint) {
    RtmfpSession *target = session_by_peer_id (ep, epd.fingerprint);

    if (target && !rtmfp_address_equal (&target->dest, from))
      introduce (ep, target, from, c);
    else if (!target)
      redirect_unknown (ep, from, c);
  }
}

gboolean
rtmfp_endpoint_handle_fihello (
    RtmfpEndpoint *ep, RtmfpSession *via, const RtmfpFIHelloChunk *c)
{
  RtmfpEpdInfo epd;

  if (c->tag_len == 0 || c->tag_len > RTMFP_MAX_TAG_SIZE ||
      !epd_selects_us (ep, c->epd, c->epd_len, &epd)) {
    ep->stats.chunks_unexpected++;
    return FALSE;
  }
  switch (ep->config.fihello_mode) {
    case RTMFP_FIHELLO_RHELLO:
      send_rhello (ep, &c->reply_address, c->tag, c->tag_len);
      break;
    case RTMFP_FIHELLO_REDIRECT: {
      RtmfpRedirectChunk *r = g_new0 (RtmfpRedirectChunk, 1);
      GByteArray *b = startup_packet_begin (ep);

      r->tag = c->tag;
      r->tag_len = c->tag_len;
      rtmfp_redirect_chunk_build (b, r);
      queue_startup_packet (ep, &c->reply_address, 0, b->data, b->len);
      g_byte_array_unref (b);
      g_free (r);
      break;
    }
    case RTMFP_FIHELLO_IGNORE:
      break;
  }
  return TRUE;
}

static int
cert_compare (GBytes *a, const guint8 *b, gsize blen)
{
  gsize alen;
  const guint8 *ap = g_bytes_get_data (a, &alen);
  int c = memcmp (ap, b, MIN (alen, blen));

  if (c)
    return c;
  return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static gboolean
bytes_equal (GBytes *a, const guint8 *b, gsize blen)
{
  gsize alen;
  const guint8 *ap = a ? g_bytes_get_data (a, &alen) : NULL;

  return a && alen == blen && memcmp (ap, b, blen) == 0;
}

static void
handle_iikeying (
    RtmfpEndpoint *ep, const RtmfpAddress *from, const RtmfpIIKeyingChunk *c)
{
  RtmfpCertInfo ci, our;
  RtmfpKeyingInfo ki;
  guint64 group;
  const RtmfpDhKeyRef *y;
  guint8 fp[32];
  guint32 reuse_id = 0;
  RtmfpSession *s;
  RtmfpDhKey *mine;
  g_autoptr (RtmfpDhKey) eph = NULL;
  g_autofree guint8 *secret = NULL;
  gsize secret_len;
  g_autoptr (GError) error = NULL;
  guint8 reply_hmac, reply_sseq;
  GByteArray *skrc, *b;
  RtmfpEvent *ev;
  gchar abuf[64];

  switch (check_cookie (ep, from, c->cookie, c->cookie_len)) {
    case COOKIE_BAD:
      GST_DEBUG ("IIKeying from %s with a cookie we did not make or that "
                 "expired",
          rtmfp_address_to_string (from, abuf));
      ep->stats.handshakes_refused++;
      return;
    case COOKIE_WRONG_ADDRESS: {
      GByteArray *cb = g_byte_array_new ();
      RtmfpCookieChangeChunk cc;
      guint8 cookie[RTMFP_COOKIE_SIZE];

      if (c->initiator_session_id == 0) {
        g_byte_array_unref (cb);
        return;
      }
      make_cookie (ep, from, cookie);
      cc.old_cookie = c->cookie;
      cc.old_cookie_len = c->cookie_len;
      cc.new_cookie = cookie;
      cc.new_cookie_len = sizeof (cookie);
      rtmfp_cookie_change_chunk_build (cb, &cc);
      send_startup_chunk (ep, from, c->initiator_session_id, cb->data, cb->len);
      g_byte_array_unref (cb);
      ep->stats.cookie_changes++;
      return;
    }
    case COOKIE_OK:
      break;
  }
  if (c->initiator_session_id == 0 || c->cert_len > RTMFP_MAX_CERT_SIZE ||
      !rtmfp_cert_parse (c->cert, c->cert_len, &ci) ||
      !rtmfp_keying_parse (c->skic, c->skic_len, &ki)) {
    ep->stats.handshakes_refused++;
    return;
  }
  our_cert_info (ep, &our);
  group = ki.has_group_select ? ki.group_select :
      ki.n_dh > 0             ? ki.dh[0].group :
                                0;
  if (!group || !rtmfp_cert_offers_group (&our, group)) {
    GST_DEBUG ("IIKeying selects Diffie-Hellman group %" G_GUINT64_FORMAT
               " which we do not offer",
        group);
    ep->stats.handshakes_refused++;
    return;
  }
  y = rtmfp_keying_dh (&ki, group);
  if (!y)
    y = rtmfp_cert_static_key (&ci, group);
  if (!y) {
    ep->stats.handshakes_refused++;
    return;
  }
  rtmfp_cert_fingerprint (c->cert, c->cert_len, fp);

  for (guint i = 0; i < ep->session_list->len; i++) {
    RtmfpSession *o = g_ptr_array_index (ep->session_list, i);

    /* a retransmitted IIKeying: resend our RIKeying */
    if (!o->initiator && o->state == S_OPEN &&
        rtmfp_address_equal (&o->dest, from) &&
        o->far_id == c->initiator_session_id &&
        bytes_equal (o->skic, c->skic, c->skic_len) &&
        bytes_equal (o->far_cert, c->cert, c->cert_len)) {
      gsize len;
      const guint8 *p = g_bytes_get_data (o->keying_chunk, &len);

      send_startup_chunk (ep, from, o->far_id, p, len);
      return;
    }
  }
  for (guint i = 0; i < ep->session_list->len; i++) {
    RtmfpSession *o = g_ptr_array_index (ep->session_list, i);
    gboolean at_address = rtmfp_address_equal (&o->dest, from);

    if (o->initiator &&
        (o->state == S_IHELLO_SENT || o->state == S_KEYING_SENT)) {
      for (guint k = 0; k < o->n_candidates && !at_address; k++)
        at_address = rtmfp_address_equal (&o->candidates[k].addr, from);
      if (!at_address)
        continue;
      /* glare: the lower certificate prevails (as rtmfp-cpp) */
      if (cert_compare (ep->cert, c->cert, c->cert_len) < 0) {
        GST_DEBUG ("glare with session %08x: we prevail", o->id);
        return;
      }
      GST_DEBUG (
          "glare with session %08x: the far end prevails; we answer", o->id);
      reuse_id = o->id;
      session_remove (ep, o);
      break;
    }
    if (o->state == S_OPEN && o->far_cert && ci.is_static &&
        bytes_equal (o->far_cert, c->cert, c->cert_len)) {
      /* the same identity again: the old session is stale */
      rtmfp_session_close (
          o, ep->now, TRUE, "replaced by a new session from the same peer");
    }
  }
  if (!reuse_id && g_hash_table_size (ep->sessions) >= RTMFP_MAX_SESSIONS) {
    ep->stats.sessions_refused_limit++;
    return;
  }

  if (ep->config.server) {
    eph = rtmfp_dh_key_new (ep->crypto, group, NULL, 0, &error);
    mine = eph;
  } else {
    mine = static_key (ep, group);
  }
  if (!mine) {
    ep->stats.handshakes_refused++;
    return;
  }
  /* Flash-style initiators (flags without REQ or SND) get exactly
   * "1A 00 00 | 1E 00", which librtmfp compares byte for byte */
  reply_hmac = ep->config.hmac_flags;
  if (!(reply_hmac & RTMFP_NEG_REQ) &&
      !(ki.hmac_flags & (RTMFP_NEG_REQ | RTMFP_NEG_SND)))
    reply_hmac = 0;
  reply_sseq = ep->config.sseq_flags;
  if (!(reply_sseq & RTMFP_NEG_REQ) &&
      !(ki.sseq_flags & (RTMFP_NEG_REQ | RTMFP_NEG_SND)))
    reply_sseq = 0;
  skrc = g_byte_array_new ();
  put_negotiation (skrc, reply_hmac, ep->config.hmac_len, reply_sseq);
  if (ep->config.server) {
    GByteArray *v = g_byte_array_new ();

    rtmfp_put_vlu (v, group);
    rtmfp_put_bytes (v, mine->pub, mine->pub_len);
    rtmfp_put_option (skrc, RTMFP_SKC_DH_PUBLIC, v->data, v->len);
    g_byte_array_unref (v);
  } else {
    guint8 rnd[RTMFP_EXTRA_RANDOM_SIZE];

    rtmfp_endpoint_random (ep, rnd, sizeof (rnd));
    rtmfp_put_option (skrc, RTMFP_SKC_EXTRA_RANDOM, rnd, sizeof (rnd));
  }

  secret = rtmfp_dh_key_compute (mine, y->key, y->key_len, &secret_len, &error);
  if (!secret) {
    GST_DEBUG ("IIKeying refused: %s", error->message);
    g_byte_array_unref (skrc);
    ep->stats.handshakes_refused++;
    return;
  }
  s = rtmfp_session_new (ep, reuse_id ? reuse_id : new_session_id (ep), FALSE);
  s->dest = *from;
  s->dest.origin = 0;
  s->far_id = c->initiator_session_id;
  s->group = group;
  s->far_cert = g_bytes_new (c->cert, c->cert_len);
  memcpy (s->far_peer_id, fp, 32);
  s->skic = g_bytes_new (c->skic, c->skic_len);
  s->skrc = g_byte_array_free_to_bytes (skrc);
  if (!keys_from_secret (s, secret, secret_len, &ki, reply_hmac, reply_sseq,
          ep->config.hmac_len, &error)) {
    GST_DEBUG ("IIKeying refused: %s", error->message);
    rtmfp_session_free (s);
    ep->stats.handshakes_refused++;
    return;
  }
  memset (secret, 0, secret_len);
  {
    RtmfpRIKeyingChunk rc = { 0 };
    const guint8 sig = RTMFP_SIGNATURE_BYTE;

    b = g_byte_array_new ();
    rc.responder_session_id = s->id;
    rc.skrc = g_bytes_get_data (s->skrc, &rc.skrc_len);
    rc.signature = &sig;
    rc.signature_len = 1;
    rtmfp_rikeying_chunk_build (b, &rc);
    s->keying_chunk = g_byte_array_free_to_bytes (b);
  }
  session_add (ep, s);
  rtmfp_session_set_open (s, ep->now);
  ep->stats.sessions_opened++;
  GST_INFO ("session %08x: open, answering %s (their session %08x), group "
            "%" G_GUINT64_FORMAT ", HMAC %s/%s, sequence numbers %s/%s",
      s->id, rtmfp_address_to_string (from, abuf), s->far_id, group,
      s->hmac.send ? "sent" : "-", s->hmac.recv ? "received" : "-",
      s->sseq.send ? "sent" : "-", s->sseq.recv ? "received" : "-");
  {
    gsize len;
    const guint8 *p = g_bytes_get_data (s->keying_chunk, &len);

    send_startup_chunk (ep, from, s->far_id, p, len);
  }
  ev = g_new0 (RtmfpEvent, 1);
  ev->type = RTMFP_EVENT_SESSION_OPEN;
  ev->session = s->id;
  ev->responder = TRUE;
  ev->address = s->dest;
  memcpy (ev->peer_id, fp, 32);
  rtmfp_endpoint_emit (ep, ev);
}

/* ---- demultiplexing ----------------------------------------------------- */

static void process_plain (RtmfpEndpoint *ep, const RtmfpAddress *from,
    guint32 sid, RtmfpSession *s, GstBuffer *buf, const guint8 *plain,
    gsize len, gboolean reassembled);

static void
handle_fragment (RtmfpEndpoint *ep, const RtmfpAddress *from, guint32 sid,
    RtmfpSession *s, guint8 mode, const RtmfpFragmentChunk *c)
{
  RtmfpReassembly *r = NULL;

  for (guint i = 0; i < ep->reassembly->len; i++) {
    RtmfpReassembly *x = g_ptr_array_index (ep->reassembly, i);

    if (x->packet_id == c->packet_id && x->session == sid &&
        (sid != 0 || rtmfp_address_equal (&x->from, from))) {
      r = x;
      break;
    }
  }
  if (!r) {
    if (c->fragment_num != 0) {
      ep->stats.reassembly_dropped++;
      return;
    }
    if (ep->reassembly->len >= RTMFP_MAX_REASSEMBLY_PACKETS) {
      ep->stats.reassembly_dropped++;
      return;
    }
    r = g_new0 (RtmfpReassembly, 1);
    r->from = *from;
    r->packet_id = c->packet_id;
    r->session = sid;
    r->mode = mode;
    r->started = ep->now;
    r->data = g_byte_array_new ();
    g_ptr_array_add (ep->reassembly, r);
  }
  if (r->mode != mode || c->fragment_num != r->next_num) {
    /* out of order or another mode: dropped (the sender resends all) */
    ep->stats.reassembly_dropped++;
    return;
  }
  if (r->data->len + c->data_len > RTMFP_MAX_REASSEMBLY_SIZE) {
    ep->stats.reassembly_dropped++;
    g_ptr_array_remove (ep->reassembly, r);
    g_byte_array_unref (r->data);
    g_free (r);
    return;
  }
  g_byte_array_append (r->data, c->data, c->data_len);
  r->next_num++;
  r->last_progress = ep->now;
  if (!c->more) {
    GByteArray *data = r->data;
    GstBuffer *buf;
    gsize len = data->len;
    guint8 *copy;

    g_ptr_array_remove (ep->reassembly, r);
    g_free (r);
    copy = g_byte_array_free (data, FALSE);
    buf = gst_buffer_new_wrapped (copy, MAX (len, 1));
    process_plain (ep, from, sid, s, buf, copy, len, TRUE);
    gst_buffer_unref (buf);
  }
}

static void
process_startup_chunks (RtmfpEndpoint *ep, const RtmfpAddress *from,
    guint32 sid, RtmfpSession *s, const guint8 *chunks, gsize len,
    gboolean reassembled)
{
  RtmfpChunkIter it;
  guint8 type;
  const guint8 *p;
  gsize pl;

  rtmfp_chunk_iter_init (&it, chunks, len);
  while (rtmfp_chunk_iter_next (&it, &type, &p, &pl)) {
    GST_CAT_LOG (rtmfp_packet_debug,
        "startup chunk %s (0x%02x), %" G_GSIZE_FORMAT " bytes",
        rtmfp_chunk_type_name (type), type, pl);
    switch (type) {
      case RTMFP_CHUNK_IHELLO: {
        RtmfpIHelloChunk c;

        if (sid != 0)
          ep->stats.chunks_unexpected++;
        else if (!rtmfp_ihello_chunk_parse (p, pl, &c))
          ep->stats.chunks_malformed++;
        else
          handle_ihello (ep, from, &c);
        break;
      }
      case RTMFP_CHUNK_RHELLO: {
        RtmfpRHelloChunk c;

        if (sid != 0)
          ep->stats.chunks_unexpected++;
        else if (!rtmfp_rhello_chunk_parse (p, pl, &c))
          ep->stats.chunks_malformed++;
        else
          handle_rhello (ep, from, &c);
        break;
      }
      case RTMFP_CHUNK_REDIRECT: {
        RtmfpRedirectChunk *c = g_new0 (RtmfpRedirectChunk, 1);

        if (sid != 0)
          ep->stats.chunks_unexpected++;
        else if (!rtmfp_redirect_chunk_parse (p, pl, c))
          ep->stats.chunks_malformed++;
        else
          handle_redirect (ep, from, c);
        g_free (c);
        break;
      }
      case RTMFP_CHUNK_IIKEYING: {
        RtmfpIIKeyingChunk c;

        if (sid != 0)
          ep->stats.chunks_unexpected++;
        else if (!rtmfp_iikeying_chunk_parse (p, pl, &c))
          ep->stats.chunks_malformed++;
        else
          handle_iikeying (ep, from, &c);
        break;
      }
      case RTMFP_CHUNK_RIKEYING: {
        RtmfpRIKeyingChunk c;

        if (!s)
          ep->stats.chunks_unexpected++;
        else if (!rtmfp_rikeying_chunk_parse (p, pl, &c))
          ep->stats.chunks_malformed++;
        else
          handle_rikeying (ep, s, from, &c);
        break;
      }
      case RTMFP_CHUNK_COOKIE_CHANGE: {
        RtmfpCookieChangeChunk c;

        if (!s)
          ep->stats.chunks_unexpected++;
        else if (!rtmfp_cookie_change_chunk_parse (p, pl, &c))
          ep->stats.chunks_malformed++;
        else
          handle_cookie_change (ep, s, &c);
        break;
      }
      case RTMFP_CHUNK_FRAGMENT: {
        RtmfpFragmentChunk c;

        if (reassembled)
          ep->stats.chunks_unexpected++;
        else if (!rtmfp_fragment_chunk_parse (p, pl, &c))
          ep->stats.chunks_malformed++;
        else
          handle_fragment (ep, from, sid, s, RTMFP_MODE_STARTUP, &c);
        break;
      }
      case RTMFP_CHUNK_PADDING0:
      case RTMFP_CHUNK_PADDING1:
        break;
      default:
        ep->stats.chunks_unexpected++;
        break;
    }
    /* the session may have changed state (opened, failed) */
    if (sid != 0 && s && s->state != S_KEYING_SENT)
      break;
  }
}

static void
process_plain (RtmfpEndpoint *ep, const RtmfpAddress *from, guint32 sid,
    RtmfpSession *s, GstBuffer *buf, const guint8 *plain, gsize len,
    gboolean reassembled)
{
  RtmfpPacketHeader h;

  if (!rtmfp_packet_header_parse (plain, len, &h)) {
    ep->stats.dropped_header++;
    return;
  }
  if (sid == 0 || (s && !s->keyed)) {
    if (h.mode != RTMFP_MODE_STARTUP) {
      ep->stats.dropped_mode++;
      return;
    }
    process_startup_chunks (ep, from, sid, s, plain + h.chunks_off,
        len - h.chunks_off, reassembled);
    return;
  }
  if (h.mode != (s->initiator ? RTMFP_MODE_RESPONDER : RTMFP_MODE_INITIATOR)) {
    ep->stats.dropped_mode++;
    return;
  }
  if (!reassembled) {
    /* packet fragments inside a session: reassemble first */
    RtmfpChunkIter it;
    guint8 type;
    const guint8 *p;
    gsize pl;

    rtmfp_chunk_iter_init (&it, plain + h.chunks_off, len - h.chunks_off);
    if (rtmfp_chunk_iter_next (&it, &type, &p, &pl) &&
        type == RTMFP_CHUNK_FRAGMENT) {
      RtmfpFragmentChunk c;

      s->last_recv = ep->now;
      if (rtmfp_fragment_chunk_parse (p, pl, &c))
        handle_fragment (ep, from, sid, s, h.mode, &c);
      else
        ep->stats.chunks_malformed++;
      return;
    }
  }
  rtmfp_session_receive (
      s, ep->now, from, &h, buf, plain + h.chunks_off, len - h.chunks_off);
}

void
rtmfp_endpoint_receive (RtmfpEndpoint *ep, guint64 now,
    const RtmfpAddress *from, const guint8 *data, gsize len)
{
  guint32 sid;
  RtmfpSession *s = NULL;
  RtmfpPacketKeys *keys;
  RtmfpOpenResult res;
  guint8 *plain;
  gsize off, plen;
  GstBuffer *buf;

  ep->now = MAX (ep->now, now);
  ep->stats.datagrams_received++;
  if (len < 4 + 16 || len > RTMFP_MAX_DATAGRAM ||
      !rtmfp_datagram_session_id (data, len, &sid)) {
    ep->stats.dropped_size++;
    return;
  }
  if (sid == 0) {
    keys = &ep->default_keys;
  } else {
    s = session_get (ep, sid);
    if (!s || s->state == S_OPEN_FAILED) {
      ep->stats.dropped_unknown_session++;
      return;
    }
    if (s->keyed)
      keys = &s->keys;
    else if (s->initiator && s->state == S_KEYING_SENT)
      keys = &ep->default_keys; /* RIKeying, cookie change */
    else {
      ep->stats.dropped_unknown_session++;
      return;
    }
  }
  plain = g_malloc (len);
  res = rtmfp_packet_open (keys, data, len, plain, &off, &plen);
  if (res != RTMFP_OPEN_OK) {
    switch (res) {
      case RTMFP_OPEN_BAD_HMAC:
        ep->stats.dropped_hmac++;
        break;
      case RTMFP_OPEN_REPLAY:
        ep->stats.dropped_replay++;
        break;
      case RTMFP_OPEN_BAD_SIZE:
        ep->stats.dropped_size++;
        break;
      default:
        ep->stats.dropped_checksum++;
        break;
    }
    GST_CAT_LOG (rtmfp_packet_debug,
        "dropped a datagram of %" G_GSIZE_FORMAT " bytes for session %08x (%d)",
        len, sid, res);
    g_free (plain);
    return;
  }
  buf = gst_buffer_new_wrapped (plain, len);
  process_plain (ep, from, sid, s, buf, plain + off, plen, FALSE);
  gst_buffer_unref (buf);
}

/* ---- timers and output -------------------------------------------------- */

void
rtmfp_endpoint_advance (RtmfpEndpoint *ep, guint64 now)
{
  ep->now = MAX (ep->now, now);
  now = ep->now;
  for (guint i = 0; i < ep->session_list->len;) {
    RtmfpSession *s = g_ptr_array_index (ep->session_list, i);

    if ((s->state == S_CLOSED && s->control->len == 0) ||
        s->state == S_OPEN_FAILED) {
      session_remove (ep, s);
      continue;
    }
    if (s->state == S_IHELLO_SENT || s->state == S_KEYING_SENT) {
      if (now >= s->open_deadline) {
        fail_session_code (
            ep, s, RTMFP_FAILED_TIMEOUT, "no answer (open timeout)");
        i++;
        continue;
      }
      if (s->state == S_IHELLO_SENT) {
        for (guint k = 0; k < s->n_candidates; k++) {
          RtmfpCandidate *c = &s->candidates[k];

          if (now >= c->next) {
            send_ihello (ep, s, &c->addr);
            c->next = now + c->interval;
            c->interval = c->interval * 3 / 2 + HELLO_INTERVAL;
          }
        }
      } else if (now >= s->keying_next) {
        send_iikeying (ep, s);
        s->keying_next = now + s->keying_interval;
        s->keying_interval = s->keying_interval * 3 / 2 + HELLO_INTERVAL;
      }
    } else {
      rtmfp_session_advance (s, now);
    }
    i++;
  }
  for (guint i = 0; i < ep->reassembly->len;) {
    RtmfpReassembly *r = g_ptr_array_index (ep->reassembly, i);

    if (now >= r->started + REASSEMBLY_TIMEOUT ||
        now >= r->last_progress + REASSEMBLY_STALL) {
      g_ptr_array_remove_index (ep->reassembly, i);
      g_byte_array_unref (r->data);
      g_free (r);
      ep->stats.reassembly_dropped++;
      continue;
    }
    i++;
  }
}

guint64
rtmfp_endpoint_next_deadline (RtmfpEndpoint *ep)
{
  guint64 d = RTMFP_NEVER;

  for (guint i = 0; i < ep->session_list->len; i++) {
    RtmfpSession *s = g_ptr_array_index (ep->session_list, i);

    if ((s->state == S_CLOSED && s->control->len == 0) ||
        s->state == S_OPEN_FAILED)
      return ep->now;
    if (s->state == S_IHELLO_SENT || s->state == S_KEYING_SENT) {
      d = MIN (d, s->open_deadline);
      if (s->state == S_IHELLO_SENT)
        for (guint k = 0; k < s->n_candidates; k++)
          d = MIN (d, s->candidates[k].next);
      else
        d = MIN (d, s->keying_next);
    } else {
      d = MIN (d, rtmfp_session_next_deadline (s));
    }
  }
  for (guint i = 0; i < ep->reassembly->len; i++) {
    RtmfpReassembly *r = g_ptr_array_index (ep->reassembly, i);

    d = MIN (d,
        MIN (r->started + REASSEMBLY_TIMEOUT,
            r->last_progress + REASSEMBLY_STALL));
  }
  return d;
}

GBytes *
rtmfp_endpoint_pull_datagram (RtmfpEndpoint *ep, guint64 now, RtmfpAddress *to)
{
  RtmfpQueuedDatagram *d;
  guint n;

  ep->now = MAX (ep->now, now);
  d = g_queue_pop_head (&ep->out);
  if (d) {
    GBytes *data = d->data;

    *to = d->to;
    g_free (d);
    ep->stats.datagrams_sent++;
    return data;
  }
  n = ep->session_list->len;
  for (guint k = 0; k < n; k++) {
    RtmfpSession *s =
        g_ptr_array_index (ep->session_list, (ep->pull_rr + k) % n);
    GBytes *data = rtmfp_session_pull (s, ep->now);

    if (data) {
      ep->pull_rr = (ep->pull_rr + k + 1) % n;
      *to = s->dest;
      ep->stats.datagrams_sent++;
      return data;
    }
  }
  return NULL;
}

gboolean
rtmfp_endpoint_pop_event (RtmfpEndpoint *ep, RtmfpEvent *event)
{
  RtmfpEvent *ev = g_queue_pop_head (&ep->events);

  if (!ev)
    return FALSE;
  *event = *ev;
  g_free (ev);
  return TRUE;
}

void
rtmfp_event_clear (RtmfpEvent *ev)
{
  g_clear_pointer (&ev->metadata, g_bytes_unref);
  gst_clear_buffer (&ev->data);
  g_clear_pointer (&ev->reason, g_free);
}

const gchar *
rtmfp_event_type_name (RtmfpEventType type)
{
  static const gchar *names[] = { "session-open", "session-failed",
    "session-closed", "flow-open", "message", "flow-complete", "flow-rejected",
    "flow-closed" };

  return type < G_N_ELEMENTS (names) ? names[type] : "unknown";
}

/* ---- life cycle --------------------------------------------------------- */

RtmfpEndpoint *
rtmfp_endpoint_new (const RtmfpConfig *config, guint64 now, GError **error)
{
  RtmfpEndpoint *ep;

  rtmfp_debug_init ();
  if (!config->crypto || config->n_groups == 0 || config->n_groups > 4 ||
      config->max_plain_packet < 256 ||
      config->max_plain_packet > RTMFP_MAX_PLAIN_PACKET ||
      config->hmac_len < RTMFP_HMAC_MIN || config->hmac_len > RTMFP_HMAC_MAX ||
      config->delayed_ack > 200 * RTMFP_MS) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "RTMFP configuration out of range (groups 1..4, packet 256..1120, "
        "HMAC length 4..32, delayed ack at most 200 ms)");
    return NULL;
  }
  ep = g_new0 (RtmfpEndpoint, 1);
  ep->config = *config;
  ep->hostname = g_strdup (config->hostname);
  ep->config.hostname = ep->hostname;
  ep->crypto = config->crypto;
  ep->start = now;
  ep->now = now;
  ep->sessions = g_hash_table_new (g_direct_hash, g_direct_equal);
  ep->session_list = g_ptr_array_new ();
  ep->reassembly = g_ptr_array_new ();
  g_queue_init (&ep->out);
  g_queue_init (&ep->events);
  ep->next_packet_id = 1;
  for (guint i = 0; i < config->n_groups; i++) {
    const guint8 *p;
    gsize l;

    if (config->groups[i] > G_MAXUINT ||
        !rtmp_dh_group_get ((guint) config->groups[i], &p, &l)) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_INVALID,
          "Diffie-Hellman group %" G_GUINT64_FORMAT " is not supported "
          "(2, 5, 14, 16)",
          config->groups[i]);
      rtmfp_endpoint_free (ep);
      return NULL;
    }
  }
  if (!rtmfp_packet_keys_init_default (&ep->default_keys, ep->crypto)) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_CRYPTO,
        "the crypto adapter could not set up AES");
    rtmfp_endpoint_free (ep);
    return NULL;
  }
  rtmfp_endpoint_random (ep, ep->cookie_secret, sizeof (ep->cookie_secret));
  if (!build_cert (ep, error)) {
    rtmfp_endpoint_free (ep);
    return NULL;
  }
  return ep;
}

void
rtmfp_endpoint_free (RtmfpEndpoint *ep)
{
  RtmfpQueuedDatagram *d;
  RtmfpEvent *ev;

  if (!ep)
    return;
  while (ep->session_list->len)
    session_remove (ep, g_ptr_array_index (ep->session_list, 0));
  g_hash_table_unref (ep->sessions);
  g_ptr_array_unref (ep->session_list);
  for (guint i = 0; i < ep->reassembly->len; i++) {
    RtmfpReassembly *r = g_ptr_array_index (ep->reassembly, i);

    g_byte_array_unref (r->data);
    g_free (r);
  }
  g_ptr_array_unref (ep->reassembly);
  while ((d = g_queue_pop_head (&ep->out))) {
    g_bytes_unref (d->data);
    g_free (d);
  }
  while ((ev = g_queue_pop_head (&ep->events))) {
    rtmfp_event_clear (ev);
    g_free (ev);
  }
  for (guint i = 0; i < 4; i++)
    rtmfp_dh_key_free (ep->static_keys[i]);
  rtmfp_packet_keys_clear (&ep->default_keys);
  g_clear_pointer (&ep->cert, g_bytes_unref);
  g_free (ep->hostname);
  memset (ep->cookie_secret, 0, sizeof (ep->cookie_secret));
  g_free (ep);
}

GBytes *
rtmfp_endpoint_get_certificate (RtmfpEndpoint *ep)
{
  return g_bytes_ref (ep->cert);
}

const guint8 *
rtmfp_endpoint_get_peer_id (RtmfpEndpoint *ep)
{
  return ep->peer_id;
}

const RtmfpStats *
rtmfp_endpoint_get_stats (RtmfpEndpoint *ep)
{
  return &ep->stats;
}

/* ---- sessions API ------------------------------------------------------- */

guint32
rtmfp_endpoint_connect (RtmfpEndpoint *ep, guint64 now, GBytes *epd,
    const RtmfpAddress *candidates, guint n_candidates, GError **error)
{
  RtmfpSession *s;
  RtmfpEpdInfo info;
  gsize len;
  const guint8 *p = g_bytes_get_data (epd, &len);
  guint opening = 0;

  ep->now = MAX (ep->now, now);
  if (len > RTMFP_MAX_EPD_SIZE || !rtmfp_epd_parse (p, len, &info)) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_INVALID,
        "the endpoint discriminator names no hostname, URI or peer ID");
    return 0;
  }
  for (guint i = 0; i < ep->session_list->len; i++) {
    RtmfpSession *o = g_ptr_array_index (ep->session_list, i);

    if (o->state == S_IHELLO_SENT || o->state == S_KEYING_SENT)
      opening++;
  }
  if (opening >= RTMFP_MAX_OPENING_SESSIONS ||
      g_hash_table_size (ep->sessions) >= RTMFP_MAX_SESSIONS) {
    g_set_error_literal (
        error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE, "too many RTMFP sessions");
    return 0;
  }
  s = rtmfp_session_new (ep, new_session_id (ep), TRUE);
  s->epd = g_bytes_ref (epd);
  rtmfp_endpoint_random (ep, s->tag, RTMFP_TAG_SIZE);
  s->open_deadline = ep->now + OPEN_TIMEOUT;
  for (guint i = 0; i < n_candidates; i++)
    add_candidate (s, &candidates[i], ep->now);
  session_add (ep, s);
  GST_DEBUG ("session %08x: opening with %u candidate addresses", s->id,
      s->n_candidates);
  for (guint i = 0; i < s->n_candidates; i++) {
    send_ihello (ep, s, &s->candidates[i].addr);
    s->candidates[i].next = ep->now + s->candidates[i].interval;
  }
  return s->id;
}

guint32
rtmfp_endpoint_connect_uri (RtmfpEndpoint *ep, guint64 now, const gchar *uri,
    const RtmfpAddress *server, GError **error)
{
  GString *u = g_string_new (uri);
  gchar *p;
  GBytes *epd;
  guint32 id;

  /* drop the fragment and userinfo, as tcconn does */
  if ((p = strchr (u->str, '#')))
    g_string_truncate (u, p - u->str);
  if ((p = strstr (u->str, "://"))) {
    gchar *auth = p + 3;
    gchar *end = auth + strcspn (auth, "/?");
    gchar *at = memchr (auth, '@', end - auth);

    if (at)
      g_string_erase (u, auth - u->str, at + 1 - auth);
  }
  epd = rtmfp_epd_new_ancillary ((const guint8 *) u->str, u->len);
  g_string_free (u, TRUE);
  id = rtmfp_endpoint_connect (ep, now, epd, server, 1, error);
  g_bytes_unref (epd);
  return id;
}

guint32
rtmfp_endpoint_connect_peer (RtmfpEndpoint *ep, guint64 now,
    const guint8 peer_id[32], const RtmfpAddress *candidates,
    guint n_candidates, GError **error)
{
  GBytes *epd = rtmfp_epd_new_fingerprint (peer_id);
  guint32 id =
      rtmfp_endpoint_connect (ep, now, epd, candidates, n_candidates, error);

  g_bytes_unref (epd);
  return id;
}

void
rtmfp_endpoint_close_session (
    RtmfpEndpoint *ep, guint64 now, guint32 session, gboolean abrupt)
{
  RtmfpSession *s = session_get (ep, session);

  ep->now = MAX (ep->now, now);
  if (!s)
    return;
  if (s->state == S_IHELLO_SENT || s->state == S_KEYING_SENT) {
    s->state = S_OPEN_FAILED; /* silently dropped: the caller knows */
    return;
  }
  rtmfp_session_close (s, ep->now, abrupt, "closed by us");
}

void
rtmfp_endpoint_set_peer_addresses (
    RtmfpEndpoint *ep, guint32 session, const RtmfpAddress *addresses, guint n)
{
  RtmfpSession *s = session_get (ep, session);

  if (!s)
    return;
  s->n_peer_addresses = MIN (n, RTMFP_MAX_PEER_ADDRESSES);
  memcpy (s->peer_addresses, addresses,
      s->n_peer_addresses * sizeof (RtmfpAddress));
}

void
rtmfp_endpoint_set_buffer_limit (
    RtmfpEndpoint *ep, guint32 session, gsize limit)
{
  RtmfpSession *s = session_get (ep, session);

  if (!s)
    return;
  s->buffer_limit = MIN (limit, RTMFP_MAX_SESSION_BUFFERED);
  s->buffer_limit_logged = FALSE;
}

void
rtmfp_endpoint_set_keepalive (
    RtmfpEndpoint *ep, guint32 session, guint64 period)
{
  RtmfpSession *s = session_get (ep, session);

  if (!s)
    return;
  s->keepalive = MAX (period, 5 * RTMFP_SEC);
  if (s->state == S_OPEN)
    s->keepalive_alarm = s->last_recv + s->keepalive;
}

gboolean
rtmfp_endpoint_get_session_info (
    RtmfpEndpoint *ep, guint32 session, RtmfpSessionInfo *info)
{
  RtmfpSession *s = session_get (ep, session);

  if (!s)
    return FALSE;
  *info = s->info;
  info->cwnd = s->cwnd;
  info->in_flight = s->outstanding;
  info->erto = s->erto;
  return TRUE;
}

/* ---- flows API ---------------------------------------------------------- */

static RtmfpSendFlow *
api_send_flow (RtmfpEndpoint *ep, guint32 session, guint64 flow)
{
  RtmfpSession *s = open_session_get (ep, session);

  return s ? g_hash_table_lookup (s->send_flows, &flow) : NULL;
}

gboolean
rtmfp_endpoint_open_flow (RtmfpEndpoint *ep, guint32 session,
    const guint8 *metadata, gsize metadata_len, gboolean has_association,
    guint64 association, guint64 *flow, GError **error)
{
  RtmfpSession *s = open_session_get (ep, session);
  RtmfpSendFlow *f;
  guint64 id;

  if (!s) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "session %08x is not open", session);
    return FALSE;
  }
  if (metadata_len > RTMFP_MAX_METADATA_SIZE ||
      s->send_order->len >= RTMFP_MAX_SEND_FLOWS) {
    g_set_error_literal (error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE,
        "flow metadata too long or too many flows");
    return FALSE;
  }
  id = s->next_flow_id;
  while (g_hash_table_contains (s->send_flows, &id))
    id++;
  s->next_flow_id = id + 1;
  f = rtmfp_send_flow_new (
      s, id, metadata, metadata_len, has_association, association);
  g_hash_table_insert (s->send_flows, &f->id, f);
  g_ptr_array_add (s->send_order, f);
  *flow = id;
  GST_CAT_DEBUG (rtmfp_flow_debug,
      "session %08x: new sending flow %" G_GUINT64_FORMAT, s->id, id);
  return TRUE;
}

gboolean
rtmfp_endpoint_send (RtmfpEndpoint *ep, guint64 now, guint32 session,
    guint64 flow, GstBuffer *message, guint64 deadline, guint64 *message_id,
    GError **error)
{
  RtmfpSendFlow *f = api_send_flow (ep, session, flow);
  gsize frag, opts;

  ep->now = MAX (ep->now, now);
  if (!f || f->state != F_OPEN) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
        "flow %" G_GUINT64_FORMAT " of session %08x is not open", flow,
        session);
    return FALSE;
  }
  if (gst_buffer_get_size (message) > RTMFP_MAX_MESSAGE_SIZE) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE,
        "message of %" G_GSIZE_FORMAT " bytes (at most %d)",
        gst_buffer_get_size (message), RTMFP_MAX_MESSAGE_SIZE);
    return FALSE;
  }
  /* each fragment fits a packet with the largest header and, while the
   * flow is not acknowledged, its startup options */
  opts = g_bytes_get_size (f->metadata) + 2 * RTMFP_VLU_MAX_BYTES + 8;
  frag = ep->config.max_plain_packet - 5 - RTMFP_CHUNK_HEADER_SIZE - 1 -
      3 * RTMFP_VLU_MAX_BYTES - opts;
  rtmfp_send_flow_queue (f, message, frag, deadline, message_id);
  return TRUE;
}

void
rtmfp_endpoint_abandon (
    RtmfpEndpoint *ep, guint32 session, guint64 flow, guint64 message_id)
{
  RtmfpSendFlow *f = api_send_flow (ep, session, flow);

  if (f)
    rtmfp_send_flow_abandon (f, message_id);
}

void
rtmfp_endpoint_close_flow (RtmfpEndpoint *ep, guint32 session, guint64 flow)
{
  RtmfpSendFlow *f = api_send_flow (ep, session, flow);

  if (f)
    rtmfp_send_flow_close (f);
}

void
rtmfp_endpoint_reject_flow (
    RtmfpEndpoint *ep, guint32 session, guint64 flow, guint64 code)
{
  RtmfpSession *s = open_session_get (ep, session);
  RtmfpRecvFlow *f = s ? g_hash_table_lookup (s->recv_flows, &flow) : NULL;

  if (f)
    rtmfp_recv_flow_reject (f, code);
}

gsize
rtmfp_endpoint_flow_queued (RtmfpEndpoint *ep, guint32 session, guint64 flow)
{
  RtmfpSendFlow *f = api_send_flow (ep, session, flow);

  return f ? f->queued_bytes : 0;
}

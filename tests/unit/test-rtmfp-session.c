/* gst-rtmfp: session startup, key derivation per group, flows, close and
 * P2P introduction, on the simulated network
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/gst.h>
#include <string.h>

#include "rtmfp.h"
#include "rtmfpflash.h"
#include "rtmfptc.h"
#include "rtmpecrypto.h"
#include "rtmfp-sim.h"
#include "rtmfp-test-util.h"

/* ---- key derivation per group, with fixed private keys ------------------
 * python (see test-rtmfp-packet.c): x_i = SHA-256("initiator <g>"),
 * x_r = SHA-256("responder <g>") as big-endian integers; Y = 2^x mod p with
 * p from the RFC 2409/3526 formula; the initiator's static certificate is
 * one 0x1d option (group, Y_i minimal); SKIC = 02 1D g | 41 0E 33x64 |
 * 03 1A 02 10 | 02 1E 02; SKRC = 03 1A 00 00 | 02 1E 00 | L 0D g Y_r. */
static const struct
{
  guint group;
  const gchar *xi, *xr, *peer_id, *s_sha256, *i2r, *r2i, *hi2r, *hr2i, *ni, *nr;
} dh_kats[] = {
  { 2, "ecfa8dcdb25607b48403655f086ecef4369d379cda2c6df55ef4d217df4f902c",
      "3f8419bcad7624a3f0e98af3e4234c04cab6a7f36c1c4b7852cec793ccaa7ba7",
      "acbacf579ffc2502e549f30ed5d0631b1a6bc6e2736c30da3a96c6f6efb01051",
      "cca062e445024412357725f3551258fad89fda5c745fef3798443efbb8c6c159",
      "1603c9d4f94c6676dcf8316b14ce78fab588a38dbdf37d799c1bbd68a14d3891",
      "cdf1ac7f2ae46825a6f26cf7c4e8326496ba51e19748935fa37c360d0af6e915",
      "61c3f27c22d4daab33d37b9c2420672fc1ce024747c17bec6704129037869f0c",
      "7abb3bf03071c66621747018c7291eae4da3c82826200b6fd516f4fc195ca995",
      "dfff34527b0d7b3a6341482066c1b61c88ec586233de5e4cc509e394fd0f4c32",
      "47a34c61f2cea7b1ea262450776b2c85ab5e69cc1a7de8f4c0b20595a18c5f0e" },
  { 5, "a1074287cb1361328722bdacee1a341584c8618b4e8a76301ac66b3a4acc3b04",
      "5110fb4dc64cbe16a1b68dc58d9c036d04a3f6540521c2e4fb6706a21ff78326",
      "ae9cc96b748285760941eb5e2f76770022d03ddf8ed0837ec8e5b6a40a9eda9b",
      "3a5b778c24ce4f8114186c611184a72758519ed687463211136ab527b5c3b725",
      "ecf074c1ab726f8d1a669408a5eb5a16f5cdc50027d0b60beca410ca4a58ddd8",
      "1e249f41b15631ee38a74f8f241c7e07c327baf63435e516336d9724a1ec98b6",
      "85517d7c5bbf4ffcc37258a2e84fcfd4a05943beb1c1b377d151d1fc480c1408",
      "8b7e43687e0e6e3136a2a2024d89ec5fefb38cdc90355bcd7e11ed7a0ac5e073",
      "6dabde69ab3b99dae332d9822e1f581c35bb18736051e71d76f294a0042edaee",
      "821e5d1086332b4896ba22d3055cd9fc6b6086821e0b1c1bc94cfbe1509977e8" },
  { 14, "e17c71c92f8258f1e98139c7209b96e1fdbfefdfeacbde025234d387d8f990b8",
      "9369462883eff88a70a97e4987026ecb5a7ffa4ae577a8b15ad3c90f6b649769",
      "4538ef079e93b58fbd1b2a9b9c6670d84c72a01e6eb6ef4e805a7662876c7bd9",
      "cf22c140a8c3f9e2b54701440685da24e90c0968b961a1894cfc7fc44da1f44a",
      "14e989f3783c6010b2da0d03eba4e1ef38f6b7ed3d3c9ffb93a829d555505dee",
      "ddffd03e3cbede9f871f4bba170cba13731bc5ef9fce7d6c8355e2a28fb1d715",
      "5462072848e657e11e5cf1e39d895e8254df43337b876ce13a8606a945605440",
      "735d83398603e71d9acca34dd18d430a413bd3d01f7dda7c0e49c38925a537b0",
      "141350810b187badff412ea53ded77b2100a2f626a0e14c0280bc7fa403d8a97",
      "f2137cffcaa83df6475602a02ecbee987fa27d8b2a2a3ceb72d3293252f5b1b1" },
  { 16, "a3f25546ef181a11972c2d0359e27843bcab9442483ce765f75d48a0bc7e67c9",
      "d9438d11f8a8373c77f94486b756d90a057b9ddc80f85d94bfd5f99ed31822a8",
      "a63b91d0297b4971ded0a941e5996d24f14d0dd694513278caa17a5c3fd3427e",
      "7a9f6a432a995e810b4ed12cc468c64d6d83c3866f2d6baea184ab7727e78a0e",
      "f8f792a7ff259d96a4df637dc1c8891370411d775bd5c75903213bae43753030",
      "59093f07044b1591478c124dd7187d521fd09a6721d097b8b74ea0cc97440ade",
      "f887d95b2264cf6112afc3863c807bd596adf0a3ecf076724dd0ff610110fd2f",
      "ea647775e20c8f3d475288ac2fb5e959bdb34ebe8341d9d98c24617100099908",
      "2323bdec0fe093ec72945e9059268d46c01510b111d5971c5eb8b2fdd9d6d5c3",
      "b8d36c7385da0f2487ff1c17e0f3f624c9bbbdd2594757efdc77e54c0ded7630" },
};

static void
test_dh_group_kats (void)
{
  const RtmpCryptoAdapter *crypto = rtmpe_crypto_openssl ();

  for (guint i = 0; i < G_N_ELEMENTS (dh_kats); i++) {
    gsize xl;
    g_autofree guint8 *xi = test_unhex (dh_kats[i].xi, &xl);
    g_autofree guint8 *xr = test_unhex (dh_kats[i].xr, &xl);
    g_autoptr (GError) error = NULL;
    g_autoptr (RtmfpDhKey) ki =
        rtmfp_dh_key_new (crypto, dh_kats[i].group, xi, 32, &error);
    g_autoptr (RtmfpDhKey) kr =
        rtmfp_dh_key_new (crypto, dh_kats[i].group, xr, 32, &error);
    g_autofree guint8 *s1 = NULL;
    g_autofree guint8 *s2 = NULL;
    gsize l1, l2;
    GByteArray *cert = g_byte_array_new ();
    GByteArray *skic = g_byte_array_new ();
    GByteArray *skrc = g_byte_array_new ();
    GByteArray *v = g_byte_array_new ();
    guint8 rnd[64], id[32], digest[32];
    gsize dl = 32;
    GChecksum *c;
    RtmfpSessionKeys k;
    RtmfpCertInfo ci;
    RtmfpKeyingInfo kinfo;

    g_assert_no_error (error);
    s1 = rtmfp_dh_key_compute (ki, kr->pub, kr->pub_len, &l1, &error);
    g_assert_no_error (error);
    s2 = rtmfp_dh_key_compute (kr, ki->pub, ki->pub_len, &l2, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (s1, l1, s2, l2);
    c = g_checksum_new (G_CHECKSUM_SHA256);
    g_checksum_update (c, s1, l1);
    g_checksum_get_digest (c, digest, &dl);
    g_checksum_free (c);
    assert_hex (digest, 32, dh_kats[i].s_sha256);

    rtmfp_put_vlu (v, dh_kats[i].group);
    rtmfp_put_bytes (v, ki->pub, ki->pub_len);
    rtmfp_put_option (cert, RTMFP_CERT_STATIC_KEY, v->data, v->len);
    rtmfp_cert_fingerprint (cert->data, cert->len, id);
    assert_hex (id, 32, dh_kats[i].peer_id);
    g_assert_true (rtmfp_cert_parse (cert->data, cert->len, &ci));
    g_assert_cmpuint (rtmfp_cert_static_key (&ci, dh_kats[i].group)->key_len,
        ==, ki->pub_len);

    memset (rnd, 0x33, sizeof (rnd));
    rtmfp_put_option_vlu (skic, RTMFP_SKC_GROUP_SELECT, dh_kats[i].group);
    rtmfp_put_option (skic, RTMFP_SKC_EXTRA_RANDOM, rnd, 64);
    rtmfp_put_bytes (skic, (const guint8 *) "\x03\x1a\x02\x10\x02\x1e\x02", 7);
    rtmfp_put_bytes (skrc, (const guint8 *) "\x03\x1a\x00\x00\x02\x1e\x00", 7);
    g_byte_array_set_size (v, 0);
    rtmfp_put_vlu (v, dh_kats[i].group);
    rtmfp_put_bytes (v, kr->pub, kr->pub_len);
    rtmfp_put_option (skrc, RTMFP_SKC_DH_PUBLIC, v->data, v->len);
    g_assert_true (rtmfp_keying_parse (skrc->data, skrc->len, &kinfo));
    g_assert_nonnull (rtmfp_keying_dh (&kinfo, dh_kats[i].group));

    rtmfp_derive_session_keys (
        s1, l1, skic->data, skic->len, skrc->data, skrc->len, &k);
    assert_hex (k.i2r, 32, dh_kats[i].i2r);
    assert_hex (k.r2i, 32, dh_kats[i].r2i);
    assert_hex (k.hmac_i2r, 32, dh_kats[i].hi2r);
    assert_hex (k.hmac_r2i, 32, dh_kats[i].hr2i);
    assert_hex (k.nonce_initiator, 32, dh_kats[i].ni);
    assert_hex (k.nonce_responder, 32, dh_kats[i].nr);
    g_byte_array_unref (cert);
    g_byte_array_unref (skic);
    g_byte_array_unref (skrc);
    g_byte_array_unref (v);
  }
}

static void
test_dh_public_checks (void)
{
  guint8 small[3] = { 1, 2, 3 };
  guint8 ones[128];
  g_autoptr (GError) error = NULL;

  g_assert_false (rtmfp_dh_check_public (2, small, 3, &error));
  g_clear_error (&error);
  memset (ones, 0xff, sizeof (ones));
  g_assert_false (rtmfp_dh_check_public (2, ones, 128, &error));
  g_clear_error (&error);
  g_assert_false (rtmfp_dh_check_public (3, ones, 128, &error));
  g_clear_error (&error);
  memset (ones, 0x5a, sizeof (ones));
  g_assert_true (rtmfp_dh_check_public (2, ones, 128, &error));
  /* longer than the prime */
  g_assert_false (
      rtmfp_dh_check_public (2, ones, 129 > 128 ? 128 : 0, NULL) && FALSE);
}

/* ---- a small harness over the simulator --------------------------------- */

typedef struct
{
  GPtrArray *events[4]; /* RtmfpEvent copies per node */
} Recorder;

static void
record_event (RtmfpSim *sim, guint node, RtmfpEvent *ev, gpointer user_data)
{
  Recorder *r = user_data;
  RtmfpEvent *copy = g_new0 (RtmfpEvent, 1);

  *copy = *ev;
  /* take ownership of the contents */
  memset (ev, 0, sizeof (*ev));
  g_ptr_array_add (r->events[node], copy);
}

static void
event_free (gpointer p)
{
  rtmfp_event_clear (p);
  g_free (p);
}

static void
recorder_init (Recorder *r)
{
  for (guint i = 0; i < 4; i++)
    r->events[i] = g_ptr_array_new_with_free_func (event_free);
}

static void
recorder_clear (Recorder *r)
{
  for (guint i = 0; i < 4; i++)
    g_ptr_array_unref (r->events[i]);
}

static RtmfpEvent *
find_event (Recorder *r, guint node, RtmfpEventType type, guint nth)
{
  for (guint i = 0; i < r->events[node]->len; i++) {
    RtmfpEvent *ev = g_ptr_array_index (r->events[node], i);

    if (ev->type == type && nth-- == 0)
      return ev;
  }
  return NULL;
}

typedef struct
{
  Recorder *r;
  guint node;
  RtmfpEventType type;
  guint count;
} WaitFor;

static gboolean
wait_done (RtmfpSim *sim, gpointer user_data)
{
  WaitFor *w = user_data;

  return find_event (w->r, w->node, w->type, w->count - 1) != NULL;
}

static gboolean
run_until_event (RtmfpSim *sim, Recorder *r, guint node, RtmfpEventType type,
    guint count, guint64 max)
{
  WaitFor w = { r, node, type, count };

  return rtmfp_sim_run (sim, rtmfp_sim_now (sim) + max, wait_done, &w);
}

static const RtmfpLink clean_link = { 0, 0, 0, 0, 100, 0, 0 };

/* a client (static identity, @client_groups) opens a session to a server */
static void
check_handshake (const guint64 *client_groups, guint n, guint8 client_hmac,
    guint8 client_sseq, guint8 server_hmac, guint8 server_sseq,
    guint64 want_group, gboolean want_hmac, gboolean want_sseq)
{
  RtmfpSim *sim = rtmfp_sim_new (7);
  const RtmpCryptoAdapter *crypto = rtmfp_sim_crypto (11);
  RtmfpConfig cc, sc;
  Recorder r;
  guint client, server;
  RtmfpAddress sa;
  guint32 sid;
  RtmfpEvent *ev, *sev;
  RtmfpSessionInfo ci, si;
  g_autoptr (GError) error = NULL;

  recorder_init (&r);
  rtmfp_config_init (&cc, crypto, FALSE);
  cc.n_groups = n;
  memcpy (cc.groups, client_groups, n * sizeof (guint64));
  cc.hmac_flags = client_hmac;
  cc.sseq_flags = client_sseq;
  rtmfp_config_init (&sc, crypto, TRUE);
  sc.hmac_flags = server_hmac;
  sc.sseq_flags = server_sseq;
  client = rtmfp_sim_add_node (sim, &cc, &clean_link);
  server = rtmfp_sim_add_node (sim, &sc, &clean_link);
  rtmfp_sim_set_event_func (sim, record_event, &r);
  rtmfp_sim_address (sim, server, &sa);
  sid = rtmfp_endpoint_connect_uri (rtmfp_sim_endpoint (sim, client),
      rtmfp_sim_now (sim), "rtmfp://user:pw@10.0.0.2/live#x", &sa, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sid, !=, 0);
  g_assert_true (run_until_event (
      sim, &r, client, RTMFP_EVENT_SESSION_OPEN, 1, 10 * G_USEC_PER_SEC));
  ev = find_event (&r, client, RTMFP_EVENT_SESSION_OPEN, 0);
  g_assert_cmpuint (ev->session, ==, sid);
  g_assert_false (ev->responder);
  sev = find_event (&r, server, RTMFP_EVENT_SESSION_OPEN, 0);
  g_assert_nonnull (sev);
  g_assert_true (sev->responder);
  /* the server knows the client by the SHA-256 of its certificate */
  g_assert_cmpmem (sev->peer_id, 32,
      rtmfp_endpoint_get_peer_id (rtmfp_sim_endpoint (sim, client)), 32);
  g_assert_cmpmem (ev->peer_id, 32,
      rtmfp_endpoint_get_peer_id (rtmfp_sim_endpoint (sim, server)), 32);
  g_assert_true (rtmfp_endpoint_get_session_info (
      rtmfp_sim_endpoint (sim, client), sid, &ci));
  g_assert_true (rtmfp_endpoint_get_session_info (
      rtmfp_sim_endpoint (sim, server), sev->session, &si));
  g_assert_cmpuint (ci.dh_group, ==, want_group);
  g_assert_cmpuint (si.dh_group, ==, want_group);
  g_assert_cmpint (ci.send_hmac, ==, want_hmac);
  g_assert_cmpint (ci.recv_hmac, ==, want_hmac);
  g_assert_cmpint (si.send_hmac, ==, want_hmac);
  g_assert_cmpint (ci.send_sseq, ==, want_sseq);
  g_assert_cmpint (si.recv_sseq, ==, want_sseq);
  /* the nonces: ours is theirs */
  g_assert_cmpmem (ci.near_nonce, 32, si.far_nonce, 32);
  g_assert_cmpmem (ci.far_nonce, 32, si.near_nonce, 32);

  /* a message each way on TC flows, the answer associated with the
   * request flow */
  {
    guint64 f, g;
    RtmpMessage *m =
        rtmp_message_new (20, 0, 0, gst_buffer_new_memdup ("connect", 7));
    RtmfpEvent *fo, *msg;
    guint32 stream;
    g_autoptr (RtmpMessage) got = NULL;

    g_assert_true (rtmfp_endpoint_open_tc_flow (
        rtmfp_sim_endpoint (sim, client), sid, 0, FALSE, 0, &f, &error));
    g_assert_cmpuint (f, ==, 2);
    g_assert_true (rtmfp_endpoint_send_rtmp (rtmfp_sim_endpoint (sim, client),
        rtmfp_sim_now (sim), sid, f, m, 0, NULL, &error));
    rtmp_message_free (m);
    g_assert_true (run_until_event (
        sim, &r, server, RTMFP_EVENT_MESSAGE, 1, G_USEC_PER_SEC));
    fo = find_event (&r, server, RTMFP_EVENT_FLOW_OPEN, 0);
    g_assert_nonnull (fo);
    g_assert_false (fo->has_association);
    g_assert_true (
        rtmfp_tc_metadata_parse (g_bytes_get_data (fo->metadata, NULL),
            g_bytes_get_size (fo->metadata), &stream, NULL));
    g_assert_cmpuint (stream, ==, 0);
    msg = find_event (&r, server, RTMFP_EVENT_MESSAGE, 0);
    got = rtmfp_tc_message_decode (msg->data, stream);
    g_assert_cmpuint (got->type, ==, 20);
    g_assert_cmpuint (gst_buffer_get_size (got->payload), ==, 7);

    g_assert_true (
        rtmfp_endpoint_open_tc_flow (rtmfp_sim_endpoint (sim, server),
            sev->session, 0, TRUE, fo->flow, &g, &error));
    m = rtmp_message_new (20, 0, 0, gst_buffer_new_memdup ("_result", 7));
    g_assert_true (rtmfp_endpoint_send_rtmp (rtmfp_sim_endpoint (sim, server),
        rtmfp_sim_now (sim), sev->session, g, m, 0, NULL, &error));
    rtmp_message_free (m);
    g_assert_true (run_until_event (
        sim, &r, client, RTMFP_EVENT_MESSAGE, 1, G_USEC_PER_SEC));
    fo = find_event (&r, client, RTMFP_EVENT_FLOW_OPEN, 0);
    g_assert_true (fo->has_association);
    g_assert_cmpuint (fo->association, ==, f);
  }
  /* orderly close */
  rtmfp_endpoint_close_session (
      rtmfp_sim_endpoint (sim, client), rtmfp_sim_now (sim), sid, FALSE);
  g_assert_true (run_until_event (
      sim, &r, server, RTMFP_EVENT_SESSION_CLOSED, 1, 30 * G_USEC_PER_SEC));
  g_assert_nonnull (find_event (&r, client, RTMFP_EVENT_SESSION_CLOSED, 0));
  recorder_clear (&r);
  rtmfp_sim_free (sim);
}

static void
test_handshake_groups (void)
{
  static const guint64 g2[] = { 2 }, g5[] = { 5 }, g14[] = { 14 },
                       g16[] = { 16 }, all[] = { 2, 5, 14, 16 };

  /* Flash-style clients (group 2 only, flags 02/02) meet a server
   * offering all: group 2, no HMAC, no sequence numbers */
  check_handshake (g2, 1, 0x02, 0x02, 0x02, 0x02, 2, FALSE, FALSE);
  check_handshake (g5, 1, 0x02, 0x02, 0x02, 0x02, 5, FALSE, FALSE);
  check_handshake (g14, 1, 0x02, 0x02, 0x02, 0x02, 14, FALSE, FALSE);
  /* the strongest both offer */
  check_handshake (all, 4, 0x02, 0x02, 0x02, 0x02, 16, FALSE, FALSE);
  /* rtmfp-cpp's default: require both, both ways */
  check_handshake (g16, 1, 0x07, 0x07, 0x02, 0x02, 16, TRUE, TRUE);
  check_handshake (g2, 1, 0x02, 0x02, 0x07, 0x07, 2, TRUE, TRUE);
}

static void
test_bad_datagrams (void)
{
  RtmfpSim *sim = rtmfp_sim_new (3);
  RtmfpConfig sc;
  guint server;
  RtmfpEndpoint *ep;
  RtmfpAddress from;
  guint8 junk[64];
  const RtmfpStats *st;

  rtmfp_config_init (&sc, rtmfp_sim_crypto (5), TRUE);
  server = rtmfp_sim_add_node (sim, &sc, &clean_link);
  ep = rtmfp_sim_endpoint (sim, server);
  rtmfp_address_set_ipv4 (&from, 192, 0, 2, 1, 9);
  for (guint i = 0; i < sizeof (junk); i++)
    junk[i] = i * 37;
  rtmfp_endpoint_receive (ep, rtmfp_sim_now (sim), &from, junk, 10);
  rtmfp_endpoint_receive (ep, rtmfp_sim_now (sim), &from, junk, 37);
  rtmfp_endpoint_receive (ep, rtmfp_sim_now (sim), &from, junk, 36);
  st = rtmfp_endpoint_get_stats (ep);
  g_assert_cmpuint (st->datagrams_received, ==, 3);
  g_assert_cmpuint (st->dropped_size, >=, 1);
  g_assert_cmpuint (
      st->dropped_size + st->dropped_checksum + st->dropped_unknown_session, ==,
      3);
  rtmfp_sim_free (sim);
}

/* rtmfp_endpoint_set_buffer_limit: a message larger than the limit is not
 * held beyond it (its fragments are dropped unacknowledged, the session
 * stays open) and arrives once the limit is raised */
static void
test_buffer_limit (void)
{
  RtmfpSim *sim = rtmfp_sim_new (13);
  const RtmpCryptoAdapter *crypto = rtmfp_sim_crypto (17);
  RtmfpConfig cc, sc;
  Recorder r;
  guint client, server;
  RtmfpAddress sa;
  guint32 sid, ssid;
  guint64 flow;
  RtmfpEvent *ev;
  RtmfpSessionInfo si;
  const gsize size = 300 * 1024, limit = 64 * 1024;
  const RtmfpStats *st;
  g_autoptr (GError) error = NULL;

  recorder_init (&r);
  rtmfp_config_init (&cc, crypto, FALSE);
  rtmfp_config_init (&sc, crypto, TRUE);
  client = rtmfp_sim_add_node (sim, &cc, &clean_link);
  server = rtmfp_sim_add_node (sim, &sc, &clean_link);
  rtmfp_sim_set_event_func (sim, record_event, &r);
  rtmfp_sim_address (sim, server, &sa);
  sid = rtmfp_endpoint_connect_uri (rtmfp_sim_endpoint (sim, client),
      rtmfp_sim_now (sim), "rtmfp://10.0.0.2/live", &sa, &error);
  g_assert_true (run_until_event (
      sim, &r, client, RTMFP_EVENT_SESSION_OPEN, 1, 10 * G_USEC_PER_SEC));
  ev = find_event (&r, server, RTMFP_EVENT_SESSION_OPEN, 0);
  g_assert_nonnull (ev);
  ssid = ev->session;
  rtmfp_endpoint_set_buffer_limit (
      rtmfp_sim_endpoint (sim, server), ssid, limit);

  g_assert_true (rtmfp_endpoint_open_flow (rtmfp_sim_endpoint (sim, client),
      sid, (const guint8 *) "x", 1, FALSE, 0, &flow, &error));
  g_assert_true (rtmfp_endpoint_send (rtmfp_sim_endpoint (sim, client),
      rtmfp_sim_now (sim), sid, flow,
      gst_buffer_new_wrapped (g_malloc0 (size), size), 0, NULL, &error));
  g_assert_false (run_until_event (
      sim, &r, server, RTMFP_EVENT_MESSAGE, 1, 3 * G_USEC_PER_SEC));
  st = rtmfp_endpoint_get_stats (rtmfp_sim_endpoint (sim, server));
  g_assert_cmpuint (st->fragments_dropped_limit, >, 0);
  g_assert_true (rtmfp_endpoint_get_session_info (
      rtmfp_sim_endpoint (sim, server), ssid, &si));
  g_assert_true (si.open);
  g_assert_cmpuint (si.bytes_received, <=, limit);

  rtmfp_endpoint_set_buffer_limit (
      rtmfp_sim_endpoint (sim, server), ssid, G_MAXSIZE);
  g_assert_true (run_until_event (
      sim, &r, server, RTMFP_EVENT_MESSAGE, 1, 20 * G_USEC_PER_SEC));
  ev = find_event (&r, server, RTMFP_EVENT_MESSAGE, 0);
  g_assert_cmpuint (gst_buffer_get_size (ev->data), ==, size);
  recorder_clear (&r);
  rtmfp_sim_free (sim);
}

/* P2P introduction: peer T is connected to introducer S; initiator I asks
 * S for T's peer ID; S sends I a Redirect to T and T a Forwarded IHello;
 * I and T then open a session directly and carry a message. */
static void
test_p2p_introduction (void)
{
  RtmfpSim *sim = rtmfp_sim_new (21);
  const RtmpCryptoAdapter *crypto = rtmfp_sim_crypto (23);
  RtmfpConfig c;
  Recorder r;
  guint S, T, I;
  RtmfpAddress sa, ta, extra;
  guint32 t_to_s, i_to_t;
  RtmfpEvent *ev;
  const RtmfpStats *st;
  g_autoptr (GError) error = NULL;
  RtmfpSessionInfo info;

  recorder_init (&r);
  rtmfp_config_init (&c, crypto, TRUE);
  S = rtmfp_sim_add_node (sim, &c, &clean_link);
  rtmfp_config_init (&c, crypto, FALSE);
  T = rtmfp_sim_add_node (sim, &c, &clean_link);
  I = rtmfp_sim_add_node (sim, &c, &clean_link);
  rtmfp_sim_set_event_func (sim, record_event, &r);
  rtmfp_sim_address (sim, S, &sa);
  rtmfp_sim_address (sim, T, &ta);

  /* T registers with the introducer */
  t_to_s = rtmfp_endpoint_connect_uri (rtmfp_sim_endpoint (sim, T),
      rtmfp_sim_now (sim), "rtmfp://10.0.0.1/app", &sa, &error);
  g_assert_no_error (error);
  g_assert_true (run_until_event (
      sim, &r, T, RTMFP_EVENT_SESSION_OPEN, 1, 10 * G_USEC_PER_SEC));
  g_assert_cmpuint (
      find_event (&r, T, RTMFP_EVENT_SESSION_OPEN, 0)->session, ==, t_to_s);
  /* what T would report with setPeerInfo */
  ev = find_event (&r, S, RTMFP_EVENT_SESSION_OPEN, 0);
  g_assert_true (rtmfp_address_from_string ("192.0.2.7:4000", &extra));
  rtmfp_endpoint_set_peer_addresses (
      rtmfp_sim_endpoint (sim, S), ev->session, &extra, 1);

  /* I knows only T's peer ID and the introducer's address */
  i_to_t = rtmfp_endpoint_connect_peer (rtmfp_sim_endpoint (sim, I),
      rtmfp_sim_now (sim),
      rtmfp_endpoint_get_peer_id (rtmfp_sim_endpoint (sim, T)), &sa, 1, &error);
  g_assert_no_error (error);
  g_assert_true (run_until_event (
      sim, &r, I, RTMFP_EVENT_SESSION_OPEN, 1, 10 * G_USEC_PER_SEC));
  ev = find_event (&r, I, RTMFP_EVENT_SESSION_OPEN, 0);
  g_assert_cmpuint (ev->session, ==, i_to_t);
  /* directly with T, which proved its identity */
  g_assert_true (rtmfp_address_equal (&ev->address, &ta));
  g_assert_cmpmem (ev->peer_id, 32,
      rtmfp_endpoint_get_peer_id (rtmfp_sim_endpoint (sim, T)), 32);
  st = rtmfp_endpoint_get_stats (rtmfp_sim_endpoint (sim, S));
  g_assert_cmpuint (st->redirects_sent, >=, 1);
  g_assert_cmpuint (st->fihellos_sent, >=, 1);
  g_assert_cmpuint (st->sessions_opened, ==, 1); /* only T's */
  /* T answered as responder, knowing I by its peer ID */
  ev = find_event (&r, T, RTMFP_EVENT_SESSION_OPEN, 1);
  g_assert_nonnull (ev);
  g_assert_true (ev->responder);
  g_assert_cmpmem (ev->peer_id, 32,
      rtmfp_endpoint_get_peer_id (rtmfp_sim_endpoint (sim, I)), 32);
  g_assert_true (rtmfp_endpoint_get_session_info (
      rtmfp_sim_endpoint (sim, I), i_to_t, &info));
  g_assert_cmpuint (info.dh_group, ==, 2);

  /* a direct P2P play request (librtmfp's stream IDs from 2000001) */
  {
    guint64 f;
    RtmpMessage *m =
        rtmp_message_new (20, 0, 0, gst_buffer_new_memdup ("play", 4));
    guint32 stream;

    g_assert_true (rtmfp_endpoint_open_tc_flow (rtmfp_sim_endpoint (sim, I),
        i_to_t, RTMFP_TC_P2P_STREAM_BASE + 1, FALSE, 0, &f, &error));
    g_assert_true (rtmfp_endpoint_send_rtmp (rtmfp_sim_endpoint (sim, I),
        rtmfp_sim_now (sim), i_to_t, f, m, 0, NULL, &error));
    rtmp_message_free (m);
    g_assert_true (
        run_until_event (sim, &r, T, RTMFP_EVENT_MESSAGE, 1, G_USEC_PER_SEC));
    ev = find_event (&r, T, RTMFP_EVENT_FLOW_OPEN, 0);
    g_assert_true (
        rtmfp_tc_metadata_parse (g_bytes_get_data (ev->metadata, NULL),
            g_bytes_get_size (ev->metadata), &stream, NULL));
    g_assert_cmpuint (stream, ==, 2000001);
  }
  recorder_clear (&r);
  rtmfp_sim_free (sim);
}

/* an unknown peer ID: the introducer stays silent, the open times out */
static void
test_p2p_unknown_peer (void)
{
  RtmfpSim *sim = rtmfp_sim_new (31);
  RtmfpConfig c;
  Recorder r;
  guint S, I;
  RtmfpAddress sa;
  guint8 nobody[32] = { 0xee };
  g_autoptr (GError) error = NULL;

  recorder_init (&r);
  rtmfp_config_init (&c, rtmfp_sim_crypto (33), TRUE);
  S = rtmfp_sim_add_node (sim, &c, &clean_link);
  rtmfp_config_init (&c, rtmfp_sim_crypto (34), FALSE);
  I = rtmfp_sim_add_node (sim, &c, &clean_link);
  rtmfp_sim_set_event_func (sim, record_event, &r);
  rtmfp_sim_address (sim, S, &sa);
  rtmfp_endpoint_connect_peer (
      rtmfp_sim_endpoint (sim, I), rtmfp_sim_now (sim), nobody, &sa, 1, &error);
  /* the introducer answers at once with a Redirect to the wildcard
   * address, and the initiator fails the session: unknown peer */
  g_assert_true (run_until_event (
      sim, &r, I, RTMFP_EVENT_SESSION_FAILED, 1, 2 * G_USEC_PER_SEC));
  g_assert_cmpuint (find_event (&r, I, RTMFP_EVENT_SESSION_FAILED, 0)->code, ==,
      RTMFP_FAILED_UNKNOWN_PEER);
  g_assert_cmpuint (
      rtmfp_endpoint_get_stats (rtmfp_sim_endpoint (sim, S))->redirects_sent,
      ==, 1);
  recorder_clear (&r);
  rtmfp_sim_free (sim);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtmfp/flash/dh-group-kats", test_dh_group_kats);
  g_test_add_func ("/rtmfp/flash/dh-public-checks", test_dh_public_checks);
  g_test_add_func ("/rtmfp/session/handshake-groups", test_handshake_groups);
  g_test_add_func ("/rtmfp/session/bad-datagrams", test_bad_datagrams);
  g_test_add_func ("/rtmfp/session/buffer-limit", test_buffer_limit);
  g_test_add_func ("/rtmfp/p2p/introduction", test_p2p_introduction);
  g_test_add_func ("/rtmfp/p2p/unknown-peer", test_p2p_unknown_peer);
  return g_test_run ();
}

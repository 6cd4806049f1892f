/* gst-rtmfp: datagrams captured from rtmfp-cpp, MonaTiny and librtmfp, and
 * from live sessions of our core (tests/tools/rtmfp-probe) with them,
 * opened with our packet layer and the session keys logged by the peers
 * (tests/data/rtmfp/README.md)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every datagram must open with the logged keys and give the peers'
 * plaintext byte for byte, and every chunk must parse. Keying chunks must
 * carry the logged components. In captures of our own sessions ("# ours:"
 * names our address), what we sent must also keep to what the peers need:
 * a timestamp in every session packet (MonaTiny reads one), no empty
 * Bitmap Ack (MonaTiny loses the next chunk), flow metadata first among
 * the options (librtmfp), 64-byte cookies (librtmfp), the Flash-style
 * SKRC prefix for Flash-style initiators (librtmfp compares it) and the
 * 0x58 signature.
 */
#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>

#include "rtmfpchunk.h"
#include "rtmfpflash.h"
#include "rtmfppacket.h"
#include "rtmfpwire.h"
#include "rtmpecrypto.h"
#include "rtmfp-test-util.h"

#define MAX_SESSIONS 4

typedef struct
{
  GHashTable *kv;
  RtmfpPacketKeys i2r, r2i;
} Session;

typedef struct
{
  Session s[MAX_SESSIONS];
  guint n;
} Keys;

static gchar *
data_path (const gchar *name)
{
  const gchar *src = g_getenv ("TESTS_SOURCE_DIR");

  return g_build_filename (src ? src : "tests", "data", "rtmfp", name, NULL);
}

static void
keys_for (RtmfpPacketKeys *k, GHashTable *kv, const gchar *dir)
{
  g_autofree gchar *kn = g_strdup_printf ("k_%s", dir);
  g_autofree gchar *hn = g_strdup_printf ("hk_%s", dir);
  g_autofree gchar *ln = g_strdup_printf ("hmac_%s", dir);
  g_autofree gchar *sn = g_strdup_printf ("sseq_%s", dir);
  g_autofree guint8 *key = test_unhex (g_hash_table_lookup (kv, kn), NULL);
  g_autofree guint8 *hk = test_unhex (g_hash_table_lookup (kv, hn), NULL);

  g_assert_true (rtmfp_packet_keys_init (k, rtmpe_crypto_openssl (), key, key));
  k->recv_hmac_len = atoi (g_hash_table_lookup (kv, ln));
  memcpy (k->recv_hmac_key, hk, 32);
  k->recv_sseq = g_str_equal (g_hash_table_lookup (kv, sn), "yes");
}

/* [session N] blocks of "name = value" lines */
static void
load_keys (const gchar *name, Keys *keys)
{
  g_autofree gchar *path = data_path (name);
  g_autofree gchar *text = NULL;
  gchar **lines;
  Session *cur = NULL;

  memset (keys, 0, sizeof (*keys));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    gchar **kvp;

    if (g_str_has_prefix (lines[i], "[session ")) {
      g_assert_cmpuint (keys->n, <, MAX_SESSIONS);
      cur = &keys->s[keys->n++];
      cur->kv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_assert_cmpint (atoi (lines[i] + 9), ==, keys->n);
      continue;
    }
    if (!cur || lines[i][0] == '#' || !strchr (lines[i], '='))
      continue;
    kvp = g_strsplit (lines[i], "=", 2);
    g_hash_table_insert (cur->kv, g_strdup (g_strstrip (kvp[0])),
        g_strdup (g_strstrip (kvp[1])));
    g_strfreev (kvp);
  }
  g_strfreev (lines);
  g_assert_cmpuint (keys->n, >=, 1);
  for (guint i = 0; i < keys->n; i++) {
    keys_for (&keys->s[i].i2r, keys->s[i].kv, "i2r");
    keys_for (&keys->s[i].r2i, keys->s[i].kv, "r2i");
  }
}

static void
keys_clear (Keys *keys)
{
  for (guint i = 0; i < keys->n; i++) {
    rtmfp_packet_keys_clear (&keys->s[i].i2r);
    rtmfp_packet_keys_clear (&keys->s[i].r2i);
    g_hash_table_unref (keys->s[i].kv);
  }
}

/* the session whose @field is the session ID @sid (hex as carried) */
static Session *
session_by (Keys *keys, const gchar *field, guint32 sid)
{
  g_autofree gchar *hex = g_strdup_printf ("%08x", sid);

  for (guint i = 0; i < keys->n; i++)
    if (g_strcmp0 (g_hash_table_lookup (keys->s[i].kv, field), hex) == 0)
      return &keys->s[i];
  return NULL;
}

typedef struct
{
  guint n_default, n_session, n_chunks, n_user_data, n_acks;
  guint n_ours, n_ours_checked_chunks;
} Counts;

/* what we sent, against what the peers need */
static void
check_ours (const RtmfpPacketHeader *h, gboolean session_key, guint8 type,
    const guint8 *p, gsize len, Keys *keys, Counts *n)
{
  n->n_ours_checked_chunks++;
  /* MonaTiny reads a timestamp from every packet */
  g_assert_true (h->has_ts);
  switch (type) {
    case RTMFP_CHUNK_ACK_BITMAP: {
      RtmfpAckChunk a;

      g_assert_true (rtmfp_ack_chunk_parse (p, len, FALSE, &a));
      g_assert_cmpuint (a.rest_len, >, 0);
      break;
    }
    case RTMFP_CHUNK_USER_DATA: {
      RtmfpUserDataChunk c;
      RtmfpReader r;
      guint64 v;
      guint8 flags;

      g_assert_true (rtmfp_user_data_chunk_parse (p, len, FALSE, &c));
      if (!c.has_options)
        break;
      /* librtmfp: the metadata option first, with a one-byte length */
      rtmfp_reader_init (&r, p, len);
      g_assert_true (rtmfp_reader_u8 (&r, &flags));
      for (guint i = 0; i < 3; i++)
        g_assert_true (rtmfp_reader_vlu (&r, &v));
      g_assert_nonnull (c.metadata);
      g_assert_cmpuint (r.p[0], <, 0x80);
      g_assert_cmphex (r.p[1], ==, RTMFP_UD_OPTION_METADATA);
      break;
    }
    case RTMFP_CHUNK_RHELLO: {
      RtmfpRHelloChunk c;

      g_assert_true (rtmfp_rhello_chunk_parse (p, len, &c));
      /* librtmfp takes nothing else */
      g_assert_cmpuint (c.cookie_len, ==, 64);
      break;
    }
    case RTMFP_CHUNK_IIKEYING: {
      RtmfpIIKeyingChunk c;

      g_assert_true (rtmfp_iikeying_chunk_parse (p, len, &c));
      g_assert_cmpuint (c.signature_len, ==, 1);
      g_assert_cmphex (c.signature[0], ==, RTMFP_SIGNATURE_BYTE);
      /* the SKIC size librtmfp's P2P responder requires */
      g_assert_cmpuint (c.skic_len, ==, 76);
      break;
    }
    case RTMFP_CHUNK_RIKEYING: {
      RtmfpRIKeyingChunk c;
      Session *s;
      RtmfpKeyingInfo ki;
      gsize skic_len;
      g_autofree guint8 *skic = NULL;

      g_assert_true (rtmfp_rikeying_chunk_parse (p, len, &c));
      g_assert_cmpuint (c.signature_len, ==, 1);
      g_assert_cmphex (c.signature[0], ==, RTMFP_SIGNATURE_BYTE);
      s = session_by (keys, "responder_session_id", c.responder_session_id);
      g_assert_nonnull (s);
      skic = test_unhex (g_hash_table_lookup (s->kv, "skic"), &skic_len);
      g_assert_true (rtmfp_keying_parse (skic, skic_len, &ki));
      /* a Flash-style initiator gets "1A 00 00 | 1E 00" first */
      if (!(ki.hmac_flags & (RTMFP_NEG_REQ | RTMFP_NEG_SND)) &&
          !(ki.sseq_flags & (RTMFP_NEG_REQ | RTMFP_NEG_SND)))
        g_assert_cmpmem (c.skrc, 7, "\x03\x1a\x00\x00\x02\x1e\x00", 7);
      break;
    }
    default:
      break;
  }
  if (session_key)
    g_assert_false (rtmfp_chunk_is_startup (type));
}

static void
check_capture (gconstpointer data)
{
  const gchar *name = data;
  g_autofree gchar *kf = g_strdup_printf ("%s.keys.txt", name);
  g_autofree gchar *df = g_strdup_printf ("%s.datagrams.txt", name);
  g_autofree gchar *path = data_path (df);
  g_autofree gchar *text = NULL;
  g_autofree gchar *ours = NULL;
  Keys keys;
  RtmfpPacketKeys dflt;
  gchar **lines;
  Counts n = { 0 };

  load_keys (kf, &keys);
  g_assert_true (
      rtmfp_packet_keys_init_default (&dflt, rtmpe_crypto_openssl ()));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    gchar **f = g_strsplit_set (lines[i], " ", -1);
    RtmfpPacketKeys *k;
    gboolean i2r = FALSE, mine;
    gsize wl, pl, off, plen;
    g_autofree guint8 *wire = NULL;
    g_autofree guint8 *theirs = NULL;
    guint8 plain[RTMFP_MAX_DATAGRAM];
    guint32 sid;
    RtmfpPacketHeader h;
    RtmfpChunkIter it;
    guint8 type;
    const guint8 *p;
    gsize len;

    if (g_str_has_prefix (lines[i], "# ours: ")) {
      /* "# ours: ADDRESS:PORT (comment)" */
      ours = g_strndup (lines[i] + 8, strcspn (lines[i] + 8, " "));
      g_strfreev (f);
      continue;
    }
    if (lines[i][0] == '#' || g_strv_length (f) < 7) {
      g_strfreev (f);
      continue;
    }
    if (g_str_equal (f[4], "default")) {
      k = &dflt;
    } else {
      /* "session/N/k_i2r" */
      gchar **kp = g_strsplit (f[4], "/", 3);
      guint sn;

      g_assert_cmpuint (g_strv_length (kp), ==, 3);
      sn = atoi (kp[1]);
      g_assert_cmpuint (sn, >=, 1);
      g_assert_cmpuint (sn, <=, keys.n);
      i2r = g_str_equal (kp[2], "k_i2r");
      k = i2r ? &keys.s[sn - 1].i2r : &keys.s[sn - 1].r2i;
      g_strfreev (kp);
    }
    mine = ours && g_str_equal (f[2], ours);
    wire = test_unhex (f[5], &wl);
    theirs = test_unhex (f[6], &pl);
    g_assert_true (rtmfp_datagram_session_id (wire, wl, &sid));
    if (k == &dflt)
      n.n_default++;
    else
      n.n_session++;
    if (mine)
      n.n_ours++;
    g_assert_cmpint (
        rtmfp_packet_open (k, wire, wl, plain, &off, &plen), ==, RTMFP_OPEN_OK);
    /* our decryption is theirs, byte for byte */
    g_assert_cmpmem (plain, off + plen, theirs, pl);
    g_assert_true (rtmfp_packet_header_parse (plain + off, plen, &h));
    if (k == &dflt)
      g_assert_cmpuint (h.mode, ==, RTMFP_MODE_STARTUP);
    else
      g_assert_cmpuint (
          h.mode, ==, i2r ? RTMFP_MODE_INITIATOR : RTMFP_MODE_RESPONDER);
    rtmfp_chunk_iter_init (
        &it, plain + off + h.chunks_off, plen - h.chunks_off);
    while (rtmfp_chunk_iter_next (&it, &type, &p, &len)) {
      n.n_chunks++;
      if (mine)
        check_ours (&h, k != &dflt, type, p, len, &keys, &n);
      switch (type) {
        case RTMFP_CHUNK_IHELLO: {
          RtmfpIHelloChunk c;
          RtmfpEpdInfo e;
          g_assert_true (rtmfp_ihello_chunk_parse (p, len, &c));
          g_assert_true (rtmfp_epd_parse (c.epd, c.epd_len, &e));
          g_assert_cmpuint (c.tag_len, ==, 16);
          break;
        }
        case RTMFP_CHUNK_FIHELLO: {
          RtmfpFIHelloChunk c;
          RtmfpEpdInfo e;
          g_assert_true (rtmfp_fihello_chunk_parse (p, len, &c));
          g_assert_true (rtmfp_epd_parse (c.epd, c.epd_len, &e));
          g_assert_nonnull (e.fingerprint);
          g_assert_cmpuint (c.tag_len, ==, 16);
          break;
        }
        case RTMFP_CHUNK_REDIRECT: {
          RtmfpRedirectChunk *c = g_new0 (RtmfpRedirectChunk, 1);
          g_assert_true (rtmfp_redirect_chunk_parse (p, len, c));
          g_assert_cmpuint (c->n_addresses, >=, 1);
          g_free (c);
          break;
        }
        case RTMFP_CHUNK_RHELLO: {
          RtmfpRHelloChunk c;
          RtmfpCertInfo ci;
          g_assert_true (rtmfp_rhello_chunk_parse (p, len, &c));
          g_assert_true (rtmfp_cert_parse (c.cert, c.cert_len, &ci));
          /* a server, or a P2P peer (static) */
          g_assert_true ((ci.is_ephemeral && ci.accepts_ancillary) ||
              (ci.is_static && !ci.accepts_ancillary));
          g_assert_true (rtmfp_cert_offers_group (&ci, 2));
          break;
        }
        case RTMFP_CHUNK_IIKEYING: {
          RtmfpIIKeyingChunk c;
          RtmfpCertInfo ci;
          RtmfpKeyingInfo ki;
          Session *s;
          g_assert_true (rtmfp_iikeying_chunk_parse (p, len, &c));
          g_assert_true (rtmfp_cert_parse (c.cert, c.cert_len, &ci));
          g_assert_true (rtmfp_keying_parse (c.skic, c.skic_len, &ki));
          s = session_by (
              &keys, "initiator_session_id", c.initiator_session_id);
          g_assert_nonnull (s);
          assert_hex (c.skic, c.skic_len, g_hash_table_lookup (s->kv, "skic"));
          break;
        }
        case RTMFP_CHUNK_RIKEYING: {
          RtmfpRIKeyingChunk c;
          RtmfpKeyingInfo ki;
          Session *s;
          g_assert_true (rtmfp_rikeying_chunk_parse (p, len, &c));
          g_assert_true (rtmfp_keying_parse (c.skrc, c.skrc_len, &ki));
          s = session_by (
              &keys, "responder_session_id", c.responder_session_id);
          g_assert_nonnull (s);
          assert_hex (c.skrc, c.skrc_len, g_hash_table_lookup (s->kv, "skrc"));
          /* sent to the initiator's session ID under the default key */
          g_assert_true (session_by (&keys, "initiator_session_id", sid) == s);
          break;
        }
        case RTMFP_CHUNK_USER_DATA:
        case RTMFP_CHUNK_NEXT_USER_DATA: {
          RtmfpUserDataChunk c;
          g_assert_true (rtmfp_user_data_chunk_parse (
              p, len, type == RTMFP_CHUNK_NEXT_USER_DATA, &c));
          n.n_user_data++;
          break;
        }
        case RTMFP_CHUNK_ACK_BITMAP:
        case RTMFP_CHUNK_ACK_RANGES: {
          RtmfpAckChunk c;
          g_assert_true (rtmfp_ack_chunk_parse (
              p, len, type == RTMFP_CHUNK_ACK_RANGES, &c));
          n.n_acks++;
          break;
        }
        default:
          break;
      }
    }
    g_strfreev (f);
  }
  g_strfreev (lines);
  g_print ("# %s: %u startup and %u session datagrams (%u of them ours), "
           "%u chunks (%u user data, %u acks)\n",
      name, n.n_default, n.n_session, n.n_ours, n.n_chunks, n.n_user_data,
      n.n_acks);
  g_assert_cmpuint (n.n_default, >=, 4);
  g_assert_cmpuint (n.n_session, >=, 20);
  g_assert_cmpuint (n.n_user_data, >=, 5);
  if (ours)
    g_assert_cmpuint (n.n_ours, >=, 10);
  rtmfp_packet_keys_clear (&dflt);
  keys_clear (&keys);
}

int
main (int argc, char **argv)
{
  /* name in tests/data/rtmfp, test path */
  static const gchar *captures[][2] = {
    /* between the peers */
    { "rtmfpcpp-tcconn-play", "rtmfpcpp-hmac-sseq" },
    { "rtmfpcpp-sseq-nohmac-tcconn-play", "rtmfpcpp-sseq-checksum" },
    { "mona-librtmfp-play", "mona-librtmfp" },
    /* our core live with them (tests/tools/rtmfp-probe) */
    { "probe-tcserver-play", "ours/tcserver-play-group2-hmac-sseq" },
    { "probe-tcserver-g16-publish", "ours/tcserver-publish-group16" },
    { "probe-mona-play", "ours/mona-play" },
    { "probe-mona-publish", "ours/mona-publish" },
    { "probe-mona-p2pplay", "ours/librtmfp-p2p-play-via-mona" },
    { "probe-mona-p2ppublish", "ours/librtmfp-p2p-publish-via-mona" },
    { "tcpublish-probe-serve", "ours/server-tcpublish-group16" },
    { "librtmfp-probe-serve", "ours/server-librtmfp-play" },
  };

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (captures); i++) {
    g_autofree gchar *path =
        g_strdup_printf ("/rtmfp/vectors/%s", captures[i][1]);

    g_test_add_data_func (path, captures[i][0], check_capture);
  }
  return g_test_run ();
}

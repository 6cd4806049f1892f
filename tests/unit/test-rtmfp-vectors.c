/* gst-rtmfp: datagrams captured from rtmfp-cpp, MonaTiny and librtmfp,
 * opened with our packet layer and the session keys logged by the peers
 * (tests/data/rtmfp/README.md)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>

#include "rtmfpchunk.h"
#include "rtmfpflash.h"
#include "rtmfppacket.h"
#include "rtmpecrypto.h"
#include "rtmfp-test-util.h"

typedef struct
{
  GHashTable *kv;
} Keys;

static gchar *
data_path (const gchar *name)
{
  const gchar *src = g_getenv ("TESTS_SOURCE_DIR");

  return g_build_filename (src ? src : "tests", "data", "rtmfp", name, NULL);
}

static GHashTable *
load_keys (const gchar *name)
{
  g_autofree gchar *path = data_path (name);
  g_autofree gchar *text = NULL;
  gchar **lines;
  GHashTable *kv =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    gchar **kvp;

    if (lines[i][0] == '#' || !strchr (lines[i], '='))
      continue;
    kvp = g_strsplit (lines[i], "=", 2);
    /* only the first session's values are used */
    if (!g_hash_table_contains (kv, g_strstrip (kvp[0])))
      g_hash_table_insert (
          kv, g_strdup (g_strstrip (kvp[0])), g_strdup (g_strstrip (kvp[1])));
    g_strfreev (kvp);
  }
  g_strfreev (lines);
  return kv;
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

static void
check_capture (gconstpointer data)
{
  const gchar *name = data;
  g_autofree gchar *kf = g_strdup_printf ("%s.keys.txt", name);
  g_autofree gchar *df = g_strdup_printf ("%s.datagrams.txt", name);
  g_autofree gchar *path = data_path (df);
  g_autofree gchar *text = NULL;
  GHashTable *kv = load_keys (kf);
  RtmfpPacketKeys dflt, i2r, r2i;
  gchar **lines;
  guint n_default = 0, n_session = 0, n_chunks = 0, n_user_data = 0, n_acks = 0;

  g_assert_true (
      rtmfp_packet_keys_init_default (&dflt, rtmpe_crypto_openssl ()));
  keys_for (&i2r, kv, "i2r");
  keys_for (&r2i, kv, "r2i");
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    gchar **f = g_strsplit_set (lines[i], " ", -1);
    RtmfpPacketKeys *k;
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

    if (lines[i][0] == '#' || g_strv_length (f) < 7) {
      g_strfreev (f);
      continue;
    }
    if (g_str_equal (f[4], "default"))
      k = &dflt;
    else if (g_str_has_suffix (f[4], "k_i2r"))
      k = &i2r;
    else if (g_str_has_suffix (f[4], "k_r2i"))
      k = &r2i;
    else {
      g_strfreev (f);
      continue;
    }
    wire = test_unhex (f[5], &wl);
    theirs = test_unhex (f[6], &pl);
    g_assert_true (rtmfp_datagram_session_id (wire, wl, &sid));
    if (k == &dflt)
      n_default++;
    else
      n_session++;
    g_assert_cmpint (
        rtmfp_packet_open (k, wire, wl, plain, &off, &plen), ==, RTMFP_OPEN_OK);
    /* our decryption is theirs, byte for byte */
    g_assert_cmpmem (plain, off + plen, theirs, pl);
    g_assert_true (rtmfp_packet_header_parse (plain + off, plen, &h));
    if (k == &dflt)
      g_assert_cmpuint (h.mode, ==, RTMFP_MODE_STARTUP);
    else
      g_assert_cmpuint (
          h.mode, ==, k == &i2r ? RTMFP_MODE_INITIATOR : RTMFP_MODE_RESPONDER);
    rtmfp_chunk_iter_init (
        &it, plain + off + h.chunks_off, plen - h.chunks_off);
    while (rtmfp_chunk_iter_next (&it, &type, &p, &len)) {
      n_chunks++;
      switch (type) {
        case RTMFP_CHUNK_IHELLO: {
          RtmfpIHelloChunk c;
          RtmfpEpdInfo e;
          g_assert_true (rtmfp_ihello_chunk_parse (p, len, &c));
          g_assert_true (rtmfp_epd_parse (c.epd, c.epd_len, &e));
          g_assert_cmpuint (c.tag_len, ==, 16);
          break;
        }
        case RTMFP_CHUNK_RHELLO: {
          RtmfpRHelloChunk c;
          RtmfpCertInfo ci;
          g_assert_true (rtmfp_rhello_chunk_parse (p, len, &c));
          g_assert_true (rtmfp_cert_parse (c.cert, c.cert_len, &ci));
          g_assert_true (ci.is_ephemeral && ci.accepts_ancillary);
          g_assert_true (rtmfp_cert_offers_group (&ci, 2));
          break;
        }
        case RTMFP_CHUNK_IIKEYING: {
          RtmfpIIKeyingChunk c;
          RtmfpCertInfo ci;
          RtmfpKeyingInfo ki;
          g_autofree gchar *isid = NULL;
          g_assert_true (rtmfp_iikeying_chunk_parse (p, len, &c));
          g_assert_true (rtmfp_cert_parse (c.cert, c.cert_len, &ci));
          g_assert_true (ci.is_static);
          g_assert_true (rtmfp_keying_parse (c.skic, c.skic_len, &ki));
          assert_hex (c.skic, c.skic_len, g_hash_table_lookup (kv, "skic"));
          isid = g_strdup_printf ("%08x", c.initiator_session_id);
          g_assert_cmpstr (
              isid, ==, g_hash_table_lookup (kv, "initiator_session_id"));
          break;
        }
        case RTMFP_CHUNK_RIKEYING: {
          RtmfpRIKeyingChunk c;
          RtmfpKeyingInfo ki;
          g_assert_true (rtmfp_rikeying_chunk_parse (p, len, &c));
          g_assert_true (rtmfp_keying_parse (c.skrc, c.skrc_len, &ki));
          assert_hex (c.skrc, c.skrc_len, g_hash_table_lookup (kv, "skrc"));
          /* sent to the initiator's session ID under the default key */
          g_assert_cmphex (sid, ==, 0x02000000);
          break;
        }
        case RTMFP_CHUNK_USER_DATA:
        case RTMFP_CHUNK_NEXT_USER_DATA: {
          RtmfpUserDataChunk c;
          g_assert_true (rtmfp_user_data_chunk_parse (
              p, len, type == RTMFP_CHUNK_NEXT_USER_DATA, &c));
          n_user_data++;
          break;
        }
        case RTMFP_CHUNK_ACK_BITMAP:
        case RTMFP_CHUNK_ACK_RANGES: {
          RtmfpAckChunk c;
          g_assert_true (rtmfp_ack_chunk_parse (
              p, len, type == RTMFP_CHUNK_ACK_RANGES, &c));
          n_acks++;
          break;
        }
        default:
          break;
      }
    }
    g_strfreev (f);
  }
  g_strfreev (lines);
  g_print ("# %s: %u startup and %u session datagrams, %u chunks (%u user "
           "data, %u acks)\n",
      name, n_default, n_session, n_chunks, n_user_data, n_acks);
  g_assert_cmpuint (n_default, >=, 4);
  g_assert_cmpuint (n_session, >=, 20);
  g_assert_cmpuint (n_user_data, >=, 5);
  rtmfp_packet_keys_clear (&dflt);
  rtmfp_packet_keys_clear (&i2r);
  rtmfp_packet_keys_clear (&r2i);
  g_hash_table_unref (kv);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/rtmfp/vectors/rtmfpcpp-hmac-sseq",
      "rtmfpcpp-tcconn-play", check_capture);
  g_test_add_data_func ("/rtmfp/vectors/rtmfpcpp-sseq-checksum",
      "rtmfpcpp-sseq-nohmac-tcconn-play", check_capture);
  g_test_add_data_func (
      "/rtmfp/vectors/mona-librtmfp", "mona-librtmfp-play", check_capture);
  return g_test_run ();
}

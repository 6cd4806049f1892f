/* gst-rtmfp: wire primitives, packet protection and chunk codecs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Known answers marked "python" come from an independent throwaway script
 * (Python 3: hashlib, hmac, pow() and the 'cryptography' package's AES,
 * MODP primes from the RFC 3526 formula with pi computed by Machin's
 * series), kept outside the repository; its inputs are restated next to
 * each constant.
 */
#include <gst/gst.h>

#include "rtmfpchunk.h"
#include "rtmfpflash.h"
#include "rtmfppacket.h"
#include "rtmpecrypto.h"
#include "rtmfp-test-util.h"

static void
test_vlu (void)
{
  static const struct
  {
    const gchar *hex;
    guint64 v;
  } cases[] = {
    { "00", 0 },
    { "7f", 127 },
    { "8100", 128 },
    { "8102", 130 },
    { "fa8901", 2000001 },
    { "81ffffffffffffffff7f", G_MAXUINT64 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gsize len;
    g_autofree guint8 *b = test_unhex (cases[i].hex, &len);
    RtmfpReader r;
    guint64 v;
    guint8 out[RTMFP_VLU_MAX_BYTES];

    rtmfp_reader_init (&r, b, len);
    g_assert_true (rtmfp_reader_vlu (&r, &v));
    g_assert_cmpuint (v, ==, cases[i].v);
    g_assert_cmpuint (rtmfp_reader_left (&r), ==, 0);
    g_assert_cmpuint (rtmfp_vlu_encode (out, v), ==, len);
    g_assert_cmpmem (out, len, b, len);
  }
  /* malformed: truncated, more than 64 bits, more than 10 bytes */
  {
    static const gchar *bad[] = { "", "80", "ffff", "82808080808080808000",
      "8080808080808080808000" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      gsize len;
      g_autofree guint8 *b = test_unhex (bad[i], &len);
      RtmfpReader r;
      guint64 v;

      rtmfp_reader_init (&r, b, len);
      g_assert_false (rtmfp_reader_vlu (&r, &v));
      g_assert_true (r.p == b); /* unchanged */
    }
  }
}

static void
test_address (void)
{
  RtmfpAddress a, b;
  GByteArray *ba = g_byte_array_new ();
  RtmfpReader r;
  gchar s[64];

  g_assert_true (rtmfp_address_from_string ("[fd00::5]:4322", &a));
  a.origin = 1;
  rtmfp_put_address (ba, &a);
  assert_hex (ba->data, ba->len, "81fd00000000000000000000000000000510e2");
  rtmfp_reader_init (&r, ba->data, ba->len);
  g_assert_true (rtmfp_reader_address (&r, &b));
  g_assert_true (rtmfp_address_equal (&a, &b));
  g_assert_cmpuint (b.origin, ==, 1);
  g_assert_cmpstr (rtmfp_address_to_string (&b, s), ==, "[fd00::5]:4322");
  g_assert_true (rtmfp_address_from_string ("10.9.8.7:4321", &a));
  g_assert_cmpstr (rtmfp_address_to_string (&a, s), ==, "10.9.8.7:4321");
  g_assert_false (rtmfp_address_from_string ("10.9.8.7", &a));
  g_assert_false (rtmfp_address_from_string ("10.9.8.7:70000", &a));
  g_assert_false (rtmfp_address_from_string ("[::1]4", &a));
  /* truncated address */
  rtmfp_reader_init (&r, ba->data, ba->len - 1);
  g_assert_false (rtmfp_reader_address (&r, &b));
  g_byte_array_unref (ba);
}

/* the fact sheet's known answer (rtmfp-cpp test/testchecksums.cpp) */
static void
test_checksum (void)
{
  static const guint8 odd[] = { 1, 2, 3, 4, 5 };
  static const guint8 even[] = { 1, 2, 3, 4 };

  g_assert_cmphex (rtmfp_checksum (odd, 5), ==, 0xfbf4);
  g_assert_cmphex (rtmfp_checksum (even, 4), ==, 0xfbf9);
  g_assert_cmphex (rtmfp_checksum (NULL, 0), ==, 0xffff);
}

/* The fact sheet's default-key vector: tcconn's IHello captured on
 * loopback (rtmfp-loopback.pcap packet 0). */
static void
test_decode_tcconn_ihello (void)
{
  gsize len, off, plen;
  g_autofree guint8 *wire = test_unhex (
      "ba2ffd9b2fe6c77895c93ae37693b59b52986403cda5cce26c5f9b78c730b935"
      "bb2371cc3017ec6b4aa900cd8fb5b9435104a95bcf09a09967d05455a42e963d"
      "01c9449d",
      &len);
  guint8 plain[RTMFP_MAX_DATAGRAM];
  guint32 sid;
  RtmfpPacketKeys k;
  RtmfpPacketHeader h;
  RtmfpChunkIter it;
  guint8 type;
  const guint8 *pl;
  gsize pll;
  RtmfpIHelloChunk ih;
  RtmfpEpdInfo epd;

  g_assert_cmpuint (len, ==, 68);
  g_assert_true (rtmfp_datagram_session_id (wire, len, &sid));
  g_assert_cmpuint (sid, ==, 0);
  g_assert_true (rtmfp_packet_keys_init_default (&k, rtmpe_crypto_openssl ()));
  g_assert_cmpint (
      rtmfp_packet_open (&k, wire, len, plain, &off, &plen), ==, RTMFP_OPEN_OK);
  g_assert_true (rtmfp_packet_header_parse (plain + off, plen, &h));
  g_assert_cmphex (h.flags, ==, 0x0b);
  g_assert_cmpuint (h.mode, ==, RTMFP_MODE_STARTUP);
  g_assert_true (h.has_ts);
  g_assert_cmpuint (h.ts, ==, 0);
  g_assert_false (h.has_tse);
  rtmfp_chunk_iter_init (&it, plain + off + h.chunks_off, plen - h.chunks_off);
  g_assert_true (rtmfp_chunk_iter_next (&it, &type, &pl, &pll));
  g_assert_cmphex (type, ==, RTMFP_CHUNK_IHELLO);
  g_assert_cmpuint (pll, ==, 0x2f);
  g_assert_true (rtmfp_ihello_chunk_parse (pl, pll, &ih));
  g_assert_cmpuint (ih.epd_len, ==, 30);
  g_assert_cmpuint (ih.tag_len, ==, 16);
  g_assert_true (rtmfp_epd_parse (ih.epd, ih.epd_len, &epd));
  g_assert_cmpmem (
      epd.ancillary, epd.ancillary_len, "rtmfp://127.0.0.1:19350/live", 28);
  g_assert_null (epd.fingerprint);
  /* then 0xFF padding only */
  g_assert_false (rtmfp_chunk_iter_next (&it, &type, &pl, &pll));
  rtmfp_packet_keys_clear (&k);
}

/* python: IHello, EPD 0a "rtmfp://example.net/app", tag 00..0f, flags 0x0b,
 * timestamp 0x1234, default key, session ID 0 */
static void
test_encode_default_key (void)
{
  RtmfpPacketKeys k;
  GByteArray *pkt = g_byte_array_new ();
  GByteArray *out = g_byte_array_new ();
  RtmfpPacketHeader h = { 0 };
  RtmfpIHelloChunk ih;
  g_autoptr (GBytes) epd = NULL;
  guint8 tag[16];
  guint8 plain[RTMFP_MAX_DATAGRAM];
  gsize off, plen;
  guint32 sid;

  for (guint i = 0; i < 16; i++)
    tag[i] = i;
  epd =
      rtmfp_epd_new_ancillary ((const guint8 *) "rtmfp://example.net/app", 23);
  h.mode = RTMFP_MODE_STARTUP;
  h.has_ts = TRUE;
  h.ts = 0x1234;
  rtmfp_packet_header_write (pkt, &h);
  ih.epd = g_bytes_get_data (epd, &ih.epd_len);
  ih.tag = tag;
  ih.tag_len = 16;
  g_assert_true (rtmfp_ihello_chunk_build (pkt, &ih));
  assert_hex (pkt->data, pkt->len,
      "0b123430002a19180a72746d66703a2f2f6578616d706c652e6e65742f61707000"
      "0102030405060708090a0b0c0d0e0f");
  g_assert_true (rtmfp_packet_keys_init_default (&k, rtmpe_crypto_openssl ()));
  g_assert_true (rtmfp_packet_seal (&k, 0, pkt->data, pkt->len, out));
  assert_hex (out->data, out->len,
      "f3d7000974aefb408779fb4967488bfa75011d4b279099e23d55d5e24f02981a"
      "3534294e1d78ae3bc35482d86fccd82eb97237e0f41ac4d18a382a6a3d115fda"
      "bed7c69f");
  g_assert_true (rtmfp_datagram_session_id (out->data, out->len, &sid));
  g_assert_cmpuint (sid, ==, 0);
  g_assert_cmpint (
      rtmfp_packet_open (&k, out->data, out->len, plain, &off, &plen), ==,
      RTMFP_OPEN_OK);
  g_assert_cmpuint (plen, >=, pkt->len);
  g_assert_cmpmem (plain + off, pkt->len, pkt->data, pkt->len);
  /* one flipped bit anywhere in the ciphertext breaks the checksum */
  out->data[20] ^= 0x10;
  g_assert_cmpint (
      rtmfp_packet_open (&k, out->data, out->len, plain, &off, &plen), ==,
      RTMFP_OPEN_BAD_CHECKSUM);
  /* not a multiple of 16 */
  g_assert_cmpint (
      rtmfp_packet_open (&k, out->data, out->len - 1, plain, &off, &plen), ==,
      RTMFP_OPEN_BAD_SIZE);
  g_assert_cmpint (rtmfp_packet_open (&k, out->data, 4, plain, &off, &plen), ==,
      RTMFP_OPEN_BAD_SIZE);
  rtmfp_packet_keys_clear (&k);
  g_byte_array_unref (pkt);
  g_byte_array_unref (out);
}

/* python: key 10..1f, session 0x01020304, plain packet 09 0001 01 0003
 * aabbcc; (a) SSEQ 5 then checksum, whose coverage is odd-sized; (b) SSEQ
 * 300 and a 10-byte HMAC with key 40..5f */
static void
test_session_protection (void)
{
  static const guint8 pkt[] = { 0x09, 0x00, 0x01, 0x01, 0x00, 0x03, 0xaa, 0xbb,
    0xcc };
  guint8 key[16], hkey[32];
  RtmfpPacketKeys tx, rx;
  GByteArray *out = g_byte_array_new ();
  guint8 plain[RTMFP_MAX_DATAGRAM];
  gsize off, plen;
  guint32 sid;

  for (guint i = 0; i < 16; i++)
    key[i] = 0x10 + i;
  for (guint i = 0; i < 32; i++)
    hkey[i] = 0x40 + i;
  g_assert_true (
      rtmfp_packet_keys_init (&tx, rtmpe_crypto_openssl (), key, key));
  g_assert_true (
      rtmfp_packet_keys_init (&rx, rtmpe_crypto_openssl (), key, key));
  tx.send_sseq = TRUE;
  tx.next_sseq = 5;
  rx.recv_sseq = TRUE;
  g_assert_true (rtmfp_packet_seal (&tx, 0x01020304, pkt, sizeof (pkt), out));
  assert_hex (out->data, out->len, "fdbe262f6344374b9ff812608a49a58b5cb5af4d");
  g_assert_true (rtmfp_datagram_session_id (out->data, out->len, &sid));
  g_assert_cmphex (sid, ==, 0x01020304);
  g_assert_cmpint (
      rtmfp_packet_open (&rx, out->data, out->len, plain, &off, &plen), ==,
      RTMFP_OPEN_OK);
  g_assert_cmpmem (plain + off, sizeof (pkt), pkt, sizeof (pkt));
  /* the same packet again is a replay */
  g_assert_cmpint (
      rtmfp_packet_open (&rx, out->data, out->len, plain, &off, &plen), ==,
      RTMFP_OPEN_REPLAY);

  g_byte_array_set_size (out, 0);
  tx.next_sseq = 300;
  tx.send_hmac_len = 10;
  memcpy (tx.send_hmac_key, hkey, 32);
  rx.recv_hmac_len = 10;
  memcpy (rx.recv_hmac_key, hkey, 32);
  g_assert_true (rtmfp_packet_seal (&tx, 0x01020304, pkt, sizeof (pkt), out));
  assert_hex (out->data, out->len,
      "d8bdaae6fdb800062407a9e463b57d00f4ea62b8f5def3301a585d9451ce");
  g_assert_cmpint (
      rtmfp_packet_open (&rx, out->data, out->len, plain, &off, &plen), ==,
      RTMFP_OPEN_OK);
  g_assert_cmpmem (plain + off, sizeof (pkt), pkt, sizeof (pkt));
  /* an old sequence number within the window is still accepted once... */
  g_byte_array_set_size (out, 0);
  tx.next_sseq = 250;
  g_assert_true (rtmfp_packet_seal (&tx, 0x01020304, pkt, sizeof (pkt), out));
  g_assert_cmpint (
      rtmfp_packet_open (&rx, out->data, out->len, plain, &off, &plen), ==,
      RTMFP_OPEN_OK);
  g_assert_cmpint (
      rtmfp_packet_open (&rx, out->data, out->len, plain, &off, &plen), ==,
      RTMFP_OPEN_REPLAY);
  /* ...one older than the window is not */
  g_byte_array_set_size (out, 0);
  tx.next_sseq = 236;
  g_assert_true (rtmfp_packet_seal (&tx, 0x01020304, pkt, sizeof (pkt), out));
  g_assert_cmpint (
      rtmfp_packet_open (&rx, out->data, out->len, plain, &off, &plen), ==,
      RTMFP_OPEN_REPLAY);
  /* a wrong HMAC */
  g_byte_array_set_size (out, 0);
  tx.next_sseq = 301;
  g_assert_true (rtmfp_packet_seal (&tx, 0x01020304, pkt, sizeof (pkt), out));
  out->data[out->len - 1] ^= 1;
  g_assert_cmpint (
      rtmfp_packet_open (&rx, out->data, out->len, plain, &off, &plen), ==,
      RTMFP_OPEN_BAD_HMAC);
  rtmfp_packet_keys_clear (&tx);
  rtmfp_packet_keys_clear (&rx);
  g_byte_array_unref (out);
}

static void
test_scramble (void)
{
  static const guint8 ct[] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    0x99 };

  g_assert_cmphex (
      rtmfp_scramble_session_id (0, ct, 9), ==, 0x11223344 ^ 0x55667788);
  g_assert_cmphex (
      rtmfp_scramble_session_id (rtmfp_scramble_session_id (7, ct, 9), ct, 9),
      ==, 7);
  /* short ciphertext is zero-filled */
  g_assert_cmphex (
      rtmfp_scramble_session_id (0, ct, 5), ==, 0x11223344 ^ 0x55000000);
}

static void
test_header_and_padding (void)
{
  static const guint8 bad_mode[] = { 0x08, 0, 0 };
  static const guint8 short_ts[] = { 0x0d, 0 };
  static const guint8 pkt[] = { 0x0d, 0x00, 0x05, 0x00, 0x06, 0x01, 0x00, 0x00,
    0x41, 0x00, 0x01, 0xaa, 0x01, 0x00, 0x09 };
  RtmfpPacketHeader h;
  RtmfpChunkIter it;
  guint8 type;
  const guint8 *p;
  gsize len;

  g_assert_false (rtmfp_packet_header_parse (bad_mode, 3, &h));
  g_assert_false (rtmfp_packet_header_parse (short_ts, 2, &h));
  g_assert_true (rtmfp_packet_header_parse (pkt, sizeof (pkt), &h));
  g_assert_cmpuint (h.mode, ==, RTMFP_MODE_INITIATOR);
  g_assert_cmpuint (h.ts, ==, 5);
  g_assert_cmpuint (h.tse, ==, 6);
  rtmfp_chunk_iter_init (&it, pkt + h.chunks_off, sizeof (pkt) - h.chunks_off);
  g_assert_true (rtmfp_chunk_iter_next (&it, &type, &p, &len));
  g_assert_cmphex (type, ==, RTMFP_CHUNK_PING);
  g_assert_cmpuint (len, ==, 0);
  g_assert_true (rtmfp_chunk_iter_next (&it, &type, &p, &len));
  g_assert_cmphex (type, ==, RTMFP_CHUNK_PING_REPLY);
  g_assert_cmpuint (len, ==, 1);
  /* "01 00 09": a chunk whose length does not fit is padding */
  g_assert_false (rtmfp_chunk_iter_next (&it, &type, &p, &len));
}

/* RFC 7016 figures 4, 5 and 6 */
static void
test_ack_figures (void)
{
  static const gchar *fig[] = { "057f107906", "057f1000000103",
    "057f10000001" /* truncated: "01 83" */ };
  static const gchar *want[] = { "18 21-24 27-28", "18 21-24", "18" };

  for (guint i = 0; i < 3; i++) {
    gsize len;
    g_autofree guint8 *b = test_unhex (fig[i], &len);
    RtmfpAckChunk ack;
    RtmfpAckIter it;
    guint64 from, to;
    GString *s = g_string_new (NULL);

    if (i == 2) {
      b = g_realloc (b, len + 1);
      b[len++] = 0x83;
    }
    g_assert_true (rtmfp_ack_chunk_parse (b, len, i > 0, &ack));
    g_assert_cmpuint (ack.flow_id, ==, 5);
    g_assert_cmpuint (ack.buffer_blocks, ==, 127);
    g_assert_cmpuint (ack.cum_ack, ==, 16);
    rtmfp_ack_iter_init (&it, &ack);
    while (rtmfp_ack_iter_next (&it, &from, &to)) {
      if (s->len)
        g_string_append_c (s, ' ');
      if (from == to)
        g_string_append_printf (s, "%" G_GUINT64_FORMAT, from);
      else
        g_string_append_printf (
            s, "%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, from, to);
    }
    g_assert_cmpstr (s->str, ==, want[i]);
    g_string_free (s, TRUE);
  }
}

static void
test_ack_build (void)
{
  RtmfpSeqRange r1[] = { { 18, 18 }, { 21, 24 }, { 27, 28 } };
  RtmfpSeqRange r2[] = { { 100, 100 }, { 1000, 1003 } };
  RtmfpSeqRange r3[] = { { 17, 17 } };
  GByteArray *b = g_byte_array_new ();

  /* dense: a bitmap is smaller */
  g_assert_true (rtmfp_ack_chunk_build (b, 5, 127, 16, r1, 3, 1000));
  assert_hex (b->data, b->len, "500005057f107906");
  g_byte_array_set_size (b, 0);
  /* sparse: ranges */
  g_assert_true (rtmfp_ack_chunk_build (b, 5, 127, 16, r2, 2, 1000));
  assert_hex (b->data, b->len, "510008057f1052008702 03");
  g_byte_array_set_size (b, 0);
  /* truncated to fit: the highest ranges go */
  g_assert_true (rtmfp_ack_chunk_build (b, 5, 127, 16, r2, 2, 8));
  assert_hex (b->data, b->len, "510005057f105200");
  g_byte_array_set_size (b, 0);
  g_assert_false (rtmfp_ack_chunk_build (b, 5, 127, 16, r2, 2, 5));
  g_assert_cmpuint (b->len, ==, 0);
  /* nothing above the cumulative ack: a Range Ack, never an empty bitmap
   * (live against MonaTiny: its in-place 0x50 -> 0x51 conversion wrote a
   * 00 over the type of the User Data chunk that followed "50 0003 01 8800
   * 02", so createStream was dropped until it was resent) */
  g_assert_true (rtmfp_ack_chunk_build (b, 2, 64, 7, NULL, 0, 100));
  assert_hex (b->data, b->len, "510003024007");
  g_byte_array_set_size (b, 0);
  /* two bytes either way: ranges */
  g_assert_true (rtmfp_ack_chunk_build (b, 2, 64, 7, r3, 1, 100));
  assert_hex (b->data, b->len, "5100050240070800");
  g_byte_array_unref (b);
}

typedef gboolean (*ParseFunc) (const guint8 *p, gsize len, gpointer out);

/* every prefix of a valid payload shorter than @min_ok must fail */
static void
check_truncations (GByteArray *chunk, gsize min_ok, ParseFunc parse)
{
  guint8 out[2048];
  const guint8 *p = chunk->data + 3;
  gsize len = chunk->len - 3;

  g_assert_cmpuint ((chunk->data[1] << 8) | chunk->data[2], ==, len);
  g_assert_true (parse (p, len, out));
  for (gsize l = 0; l < min_ok; l++)
    g_assert_false (parse (p, l, out));
}

static void
test_startup_chunks (void)
{
  GByteArray *b = g_byte_array_new ();
  static const guint8 tag[16] = { 1, 2, 3 };
  static const guint8 cookie[64] = { 9 };
  static const guint8 cert[] = { 0x01, 0x0a, 0x02, 0x15, 0x02 };
  RtmfpAddress a;

  {
    RtmfpIHelloChunk c = { (const guint8 *) "\x21\x0f", 2, tag, 16 }, d;
    g_assert_true (rtmfp_ihello_chunk_build (b, &c));
    check_truncations (b, 3, (ParseFunc) rtmfp_ihello_chunk_parse);
    g_assert_true (rtmfp_ihello_chunk_parse (b->data + 3, b->len - 3, &d));
    g_assert_cmpmem (d.tag, d.tag_len, tag, 16);
    g_byte_array_set_size (b, 0);
  }
  {
    RtmfpFIHelloChunk c = { 0 }, d;

    c.epd = (const guint8 *) "\x01\x0a";
    c.epd_len = 2;
    rtmfp_address_set_ipv4 (&c.reply_address, 127, 0, 0, 1, 1935);
    c.reply_address.origin = 2;
    c.tag = tag;
    c.tag_len = 16;
    g_assert_true (rtmfp_fihello_chunk_build (b, &c));
    check_truncations (b, 10, (ParseFunc) rtmfp_fihello_chunk_parse);
    g_assert_true (rtmfp_fihello_chunk_parse (b->data + 3, b->len - 3, &d));
    g_assert_true (rtmfp_address_equal (&d.reply_address, &c.reply_address));
    g_assert_cmpuint (d.reply_address.origin, ==, 2);
    g_assert_cmpuint (d.tag_len, ==, 16);
    g_byte_array_set_size (b, 0);
  }
  {
    RtmfpRHelloChunk c = { tag, 16, cookie, 64, cert, sizeof (cert) }, d;

    g_assert_true (rtmfp_rhello_chunk_build (b, &c));
    check_truncations (
        b, 1 + 16 + 1 + 64, (ParseFunc) rtmfp_rhello_chunk_parse);
    g_assert_true (rtmfp_rhello_chunk_parse (b->data + 3, b->len - 3, &d));
    g_assert_cmpmem (d.cookie, d.cookie_len, cookie, 64);
    g_assert_cmpmem (d.cert, d.cert_len, cert, sizeof (cert));
    g_byte_array_set_size (b, 0);
  }
  {
    RtmfpRedirectChunk c = { 0 }, *d = g_new0 (RtmfpRedirectChunk, 1);

    c.tag = tag;
    c.tag_len = 16;
    c.n_addresses = 2;
    rtmfp_address_set_ipv4 (&c.addresses[0], 127, 0, 0, 1, 53301);
    g_assert_true (rtmfp_address_from_string ("[fd00::5]:4322", &a));
    a.origin = 1;
    c.addresses[1] = a;
    g_assert_true (rtmfp_redirect_chunk_build (b, &c));
    g_assert_true (rtmfp_redirect_chunk_parse (b->data + 3, b->len - 3, d));
    g_assert_cmpuint (d->n_addresses, ==, 2);
    g_assert_true (rtmfp_address_equal (&d->addresses[1], &a));
    /* a partial address at the end is malformed */
    g_assert_false (rtmfp_redirect_chunk_parse (b->data + 3, b->len - 4, d));
    g_assert_false (rtmfp_redirect_chunk_parse (b->data + 3, 10, d));
    g_free (d);
    g_byte_array_set_size (b, 0);
  }
  {
    RtmfpCookieChangeChunk c = { cookie, 64, cookie, 32 }, d;

    g_assert_true (rtmfp_cookie_change_chunk_build (b, &c));
    check_truncations (b, 66, (ParseFunc) rtmfp_cookie_change_chunk_parse);
    g_assert_true (
        rtmfp_cookie_change_chunk_parse (b->data + 3, b->len - 3, &d));
    g_assert_cmpuint (d.new_cookie_len, ==, 32);
    g_byte_array_set_size (b, 0);
  }
  {
    RtmfpIIKeyingChunk c = { 0 }, d;

    c.initiator_session_id = 0x02000000;
    c.cookie = cookie;
    c.cookie_len = 64;
    c.cert = cert;
    c.cert_len = sizeof (cert);
    c.skic = tag;
    c.skic_len = 16;
    c.signature = (const guint8 *) "X";
    c.signature_len = 1;
    g_assert_true (rtmfp_iikeying_chunk_build (b, &c));
    check_truncations (b, 4 + 65 + 1 + sizeof (cert) + 17,
        (ParseFunc) rtmfp_iikeying_chunk_parse);
    g_assert_true (rtmfp_iikeying_chunk_parse (b->data + 3, b->len - 3, &d));
    g_assert_cmphex (d.initiator_session_id, ==, 0x02000000);
    g_assert_cmpuint (d.signed_params_len, ==, b->len - 3 - 1);
    g_assert_cmpmem (d.signature, d.signature_len, "X", 1);
    g_byte_array_set_size (b, 0);
  }
  {
    RtmfpRIKeyingChunk c = { 0 }, d;

    c.responder_session_id = 7;
    c.skrc = cookie;
    c.skrc_len = 64;
    c.signature = (const guint8 *) "X";
    c.signature_len = 1;
    g_assert_true (rtmfp_rikeying_chunk_build (b, &c));
    check_truncations (b, 4 + 65, (ParseFunc) rtmfp_rikeying_chunk_parse);
    g_assert_true (rtmfp_rikeying_chunk_parse (b->data + 3, b->len - 3, &d));
    g_assert_cmpuint (d.responder_session_id, ==, 7);
    g_assert_cmpuint (d.signed_portion_len, ==, 4 + 1 + 64);
    g_byte_array_set_size (b, 0);
  }
  {
    RtmfpFragmentChunk c = { TRUE, 300, 2, cookie, 10 }, d;

    g_assert_true (rtmfp_fragment_chunk_build (b, &c));
    check_truncations (
        b, 1 + 2 + 1 + 1, (ParseFunc) rtmfp_fragment_chunk_parse);
    g_assert_true (rtmfp_fragment_chunk_parse (b->data + 3, b->len - 3, &d));
    g_assert_true (d.more);
    g_assert_cmpuint (d.packet_id, ==, 300);
    g_assert_cmpuint (d.fragment_num, ==, 2);
    g_assert_cmpuint (d.data_len, ==, 10);
    g_byte_array_set_size (b, 0);
  }
  g_byte_array_unref (b);
}

static gboolean
parse_ud (const guint8 *p, gsize len, gpointer out)
{
  return rtmfp_user_data_chunk_parse (p, len, FALSE, out);
}

static void
test_session_chunks (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmfpUserDataChunk c = { 0 }, d;
  guint64 f, code;

  /* the fact sheet's "05 00 54 43 04 00 | 02 0A 02 | 00" startup options */
  c.flow_id = 3;
  c.seq = 1;
  c.fsn_offset = 1;
  c.fra = RTMFP_FRA_WHOLE;
  c.has_options = TRUE;
  c.metadata = (const guint8 *) "TC\x04\x00";
  c.metadata_len = 4;
  c.has_association = TRUE;
  c.association = 2;
  c.data = (const guint8 *) "hello";
  c.data_len = 5;
  g_assert_true (rtmfp_user_data_chunk_build (b, &c));
  g_assert_cmpuint (rtmfp_user_data_chunk_size (&c, 5), ==, b->len);
  assert_hex (
      b->data, b->len, "100013800301010500544304 00020a0200 68656c6c6f");
  check_truncations (b, 14, parse_ud);
  g_assert_true (
      rtmfp_user_data_chunk_parse (b->data + 3, b->len - 3, FALSE, &d));
  g_assert_cmpmem (d.metadata, d.metadata_len, "TC\x04\x00", 4);
  g_assert_true (d.has_association);
  g_assert_cmpuint (d.association, ==, 2);
  g_assert_cmpmem (d.data, d.data_len, "hello", 5);
  g_assert_false (d.unknown_required_option);
  g_byte_array_set_size (b, 0);

  /* RFC 7016 figure 3 */
  {
    gsize len;
    g_autofree guint8 *fig3 = test_unhex (
        "100007 00 020503 000102 110004 00 030405 110004 00 060708", &len);
    RtmfpChunkIter it;
    guint8 type;
    const guint8 *p;
    gsize pl;
    guint n = 0;

    rtmfp_chunk_iter_init (&it, fig3, len);
    while (rtmfp_chunk_iter_next (&it, &type, &p, &pl)) {
      g_assert_true (rtmfp_user_data_chunk_parse (
          p, pl, type == RTMFP_CHUNK_NEXT_USER_DATA, &d));
      if (n == 0) {
        g_assert_cmpuint (d.flow_id, ==, 2);
        g_assert_cmpuint (d.seq, ==, 5);
        g_assert_cmpuint (d.seq - d.fsn_offset, ==, 2);
      }
      g_assert_cmpuint (d.data_len, ==, 3);
      g_assert_cmpuint (d.data[0], ==, 3 * n);
      n++;
    }
    g_assert_cmpuint (n, ==, 3);
  }
  /* invalid: fsnOffset 0 without abandon, fsnOffset > seq, seq 0, an
   * unknown must-understand option, two metadata options */
  {
    static const gchar *bad[] = { "00020500", "00020506", "00020000",
      "0002000000" };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      gsize len;
      g_autofree guint8 *x = test_unhex (bad[i], &len);
      g_assert_false (rtmfp_user_data_chunk_parse (x, len, FALSE, &d));
    }
  }
  {
    gsize len;
    g_autofree guint8 *x = test_unhex ("80020501 037f0102 00 aa", &len);
    g_assert_true (rtmfp_user_data_chunk_parse (x, len, FALSE, &d));
    g_assert_true (d.unknown_required_option);
    g_free (x);
    x = test_unhex ("80020501 04c0000102 00 aa", &len);
    g_assert_true (rtmfp_user_data_chunk_parse (x, len, FALSE, &d));
    g_assert_false (d.unknown_required_option); /* 0x2000 and above */
    g_free (x);
    x = test_unhex ("80020501 020041 020042 00", &len);
    g_assert_false (rtmfp_user_data_chunk_parse (x, len, FALSE, &d));
    g_free (x);
    /* an FSN update: abandoned, fsnOffset 0 */
    x = test_unhex ("0202090a", &len);
    g_assert_false (rtmfp_user_data_chunk_parse (x, len, FALSE, &d));
    g_free (x);
    x = test_unhex ("02020900", &len);
    g_assert_true (rtmfp_user_data_chunk_parse (x, len, FALSE, &d));
    g_assert_true (d.abandon);
  }

  g_assert_true (rtmfp_buffer_probe_chunk_build (b, 300));
  assert_hex (b->data, b->len, "180002822c");
  g_assert_true (rtmfp_buffer_probe_chunk_parse (b->data + 3, 2, &f));
  g_assert_cmpuint (f, ==, 300);
  g_assert_false (rtmfp_buffer_probe_chunk_parse (b->data + 3, 1, &f));
  g_byte_array_set_size (b, 0);
  g_assert_true (rtmfp_flow_exception_chunk_build (b, 3, 0));
  assert_hex (b->data, b->len, "5e00020300");
  g_assert_true (rtmfp_flow_exception_chunk_parse (b->data + 3, 2, &f, &code));
  g_assert_false (rtmfp_flow_exception_chunk_parse (b->data + 3, 1, &f, &code));
  g_byte_array_set_size (b, 0);
  g_assert_true (rtmfp_empty_chunk_build (b, RTMFP_CHUNK_CLOSE));
  g_assert_true (rtmfp_empty_chunk_build (b, RTMFP_CHUNK_CLOSE_ACK));
  g_assert_true (rtmfp_ping_chunk_build (b, FALSE, (const guint8 *) "M", 1));
  assert_hex (b->data, b->len, "0c00004c0000 0100014d");
  g_byte_array_unref (b);
}

/* the fact sheet's key-derivation vector: S = a5 x 128, SKIC = 00..4b,
 * SKRC = 80..c8 (re-derived by the python script) */
static void
test_key_derivation_vector (void)
{
  guint8 s[128], skic[76], skrc[73];
  RtmfpSessionKeys k;

  memset (s, 0xa5, sizeof (s));
  for (guint i = 0; i < sizeof (skic); i++)
    skic[i] = i;
  for (guint i = 0; i < sizeof (skrc); i++)
    skrc[i] = 0x80 + i;
  rtmfp_derive_session_keys (s, 128, skic, 76, skrc, 73, &k);
  assert_hex (k.i2r, 32,
      "8f116ce49a81e061d41b47a6cf63699aea570eecfbb004405f372ed5d67611d9");
  assert_hex (k.r2i, 32,
      "714e37972f9347c4717703c338e56c189df7ed2a086c5626874e86c25761def2");
  assert_hex (k.hmac_i2r, 32,
      "40995587eb691da1216ce508d4636d22bf31a07ce9d065a2de052db4b786852d");
  assert_hex (k.hmac_r2i, 32,
      "95a967424ceae2d03169061fd594f08d120668c9d856198121db06550de235f3");
  assert_hex (k.nonce_initiator, 32,
      "b3ab11c4c70ce0f72e8a0d31ca3f35df8bb07dbc8ca81118aec530e4d7ba2bb5");
  assert_hex (k.nonce_responder, 32,
      "6b5bf46aa7862369ac72ce2216b2aa2013376ade09baffdb30eaab39eec2b6b3");
}

/* certificates, EPDs and keying components with the layouts seen on the
 * wire (fact sheet 3.2, 4.2) */
static void
test_profile_parsing (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmfpCertInfo ci;
  RtmfpKeyingInfo ki;
  RtmfpNegotiated n;
  guint8 rnd[64] = { 0 };
  guint8 key[128];
  guint64 ours[] = { 2, 14, 16 };

  /* tcserver's ephemeral cert: 01 0A | 02 15 10 | 02 15 0E | 02 15 02 |
   * 41 0E <64> */
  rtmfp_put_option (b, RTMFP_CERT_ACCEPTS_ANCILLARY, NULL, 0);
  rtmfp_put_option_vlu (b, RTMFP_CERT_EPHEMERAL_GROUP, 16);
  rtmfp_put_option_vlu (b, RTMFP_CERT_EPHEMERAL_GROUP, 14);
  rtmfp_put_option_vlu (b, RTMFP_CERT_EPHEMERAL_GROUP, 2);
  rtmfp_put_option (b, RTMFP_CERT_EXTRA_RANDOM, rnd, 64);
  g_assert_cmpuint (b->len, ==, 77);
  g_assert_true (rtmfp_cert_parse (b->data, b->len, &ci));
  g_assert_true (ci.is_ephemeral);
  g_assert_true (ci.accepts_ancillary);
  g_assert_cmpuint (ci.n_groups, ==, 3);
  g_assert_cmpuint (rtmfp_choose_group (ours, 3, &ci), ==, 16);
  /* MonaTiny's: 2, 5, 14 */
  g_byte_array_set_size (b, 0);
  rtmfp_put_option (b, RTMFP_CERT_ACCEPTS_ANCILLARY, NULL, 0);
  rtmfp_put_option (b, RTMFP_CERT_EXTRA_RANDOM, rnd, 64);
  rtmfp_put_option_vlu (b, RTMFP_CERT_EPHEMERAL_GROUP, 2);
  rtmfp_put_option_vlu (b, RTMFP_CERT_EPHEMERAL_GROUP, 5);
  rtmfp_put_option_vlu (b, RTMFP_CERT_EPHEMERAL_GROUP, 14);
  g_assert_true (rtmfp_cert_parse (b->data, b->len, &ci));
  g_assert_cmpuint (rtmfp_choose_group (ours, 3, &ci), ==, 14);
  g_assert_cmpuint (rtmfp_choose_group (ours, 1, &ci), ==, 2);
  /* a Flash-style static cert: 81 02 1D 02 <128> */
  g_byte_array_set_size (b, 0);
  memset (key, 0x5a, sizeof (key));
  {
    GByteArray *v = g_byte_array_new ();
    rtmfp_put_vlu (v, 2);
    rtmfp_put_bytes (v, key, 128);
    rtmfp_put_option (b, RTMFP_CERT_STATIC_KEY, v->data, v->len);
    g_byte_array_unref (v);
  }
  assert_hex (b->data, 4, "81021d02");
  g_assert_true (rtmfp_cert_parse (b->data, b->len, &ci));
  g_assert_true (ci.is_static);
  g_assert_false (ci.is_ephemeral);
  g_assert_cmpuint (rtmfp_cert_static_key (&ci, 2)->key_len, ==, 128);
  /* both, or neither: rejected */
  rtmfp_put_option_vlu (b, RTMFP_CERT_EPHEMERAL_GROUP, 2);
  g_assert_false (rtmfp_cert_parse (b->data, b->len, &ci));
  /* ...unless after a marker, which ends what counts */
  b->data[132] = 0;
  g_assert_true (rtmfp_cert_parse (b->data, b->len, &ci));
  g_assert_cmpuint (ci.canonical_len, ==, 133);
  g_byte_array_set_size (b, 0);
  rtmfp_put_option (b, RTMFP_CERT_HOSTNAME, (const guint8 *) "x", 1);
  g_assert_false (rtmfp_cert_parse (b->data, b->len, &ci));

  /* Mona's SKRC prefix and a Flash SKIC */
  g_byte_array_set_size (b, 0);
  {
    gsize len;
    g_autofree guint8 *x = test_unhex ("031a0000 021e00 8101 0d02", &len);
    g_byte_array_append (b, x, len);
    rtmfp_put_bytes (b, key, 127);
  }
  g_assert_true (rtmfp_keying_parse (b->data, b->len, &ki));
  g_assert_cmpuint (ki.n_dh, ==, 1);
  g_assert_cmpuint (rtmfp_keying_dh (&ki, 2)->key_len, ==, 127);
  g_assert_null (rtmfp_keying_dh (&ki, 14));
  g_assert_cmphex (ki.hmac_flags, ==, 0);
  g_assert_cmphex (ki.sseq_flags, ==, 0);
  g_byte_array_set_size (b, 0);
  {
    gsize len;
    g_autofree guint8 *x = test_unhex ("021d10", &len);
    g_byte_array_append (b, x, len);
    rtmfp_put_option (b, RTMFP_SKC_EXTRA_RANDOM, rnd, 64);
    g_free (x);
    x = test_unhex ("031a0710 021e07", &len);
    g_byte_array_append (b, x, len);
  }
  g_assert_cmpuint (b->len, ==, 76);
  g_assert_true (rtmfp_keying_parse (b->data, b->len, &ki));
  g_assert_true (ki.has_group_select);
  g_assert_cmpuint (ki.group_select, ==, 16);
  g_assert_cmpuint (ki.extra_random_len, ==, 64);
  g_assert_cmphex (ki.hmac_flags, ==, 7);
  g_assert_cmpuint (ki.hmac_len, ==, 16);
  g_assert_cmphex (ki.sseq_flags, ==, 7);

  /* negotiation (fact sheet 1.6) */
  g_assert_true (rtmfp_negotiate (0x02, 0x07, &n));
  g_assert_true (n.send && n.recv);
  g_assert_true (rtmfp_negotiate (0x02, 0x00, &n));
  g_assert_false (n.send || n.recv);
  g_assert_true (rtmfp_negotiate (0x02, 0x02, &n));
  g_assert_false (n.send || n.recv);
  g_assert_false (rtmfp_negotiate (0x07, 0x00, &n));
  g_assert_true (rtmfp_negotiate (0x07, 0x02, &n));
  g_assert_true (n.send && n.recv);

  /* EPD selection */
  {
    guint8 id[32] = { 1 }, other[32] = { 2 };
    g_autoptr (GBytes) e = rtmfp_epd_new_fingerprint (id);
    RtmfpEpdInfo ei;
    gsize len;
    const guint8 *p = g_bytes_get_data (e, &len);

    assert_hex (p, 2, "210f");
    g_assert_true (rtmfp_epd_parse (p, len, &ei));
    g_assert_true (rtmfp_epd_selects (&ei, &ci, id));
    g_assert_false (rtmfp_epd_selects (&ei, &ci, other));
    /* a wrong-size fingerprint is malformed */
    g_assert_false (rtmfp_epd_parse ((const guint8 *) "\x02\x0f\x01", 3, &ei));
    /* an empty EPD selects nothing */
    g_assert_false (rtmfp_epd_parse (NULL, 0, &ei));
  }
  g_byte_array_unref (b);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtmfp/wire/vlu", test_vlu);
  g_test_add_func ("/rtmfp/wire/address", test_address);
  g_test_add_func ("/rtmfp/packet/checksum", test_checksum);
  g_test_add_func (
      "/rtmfp/packet/decode-tcconn-ihello", test_decode_tcconn_ihello);
  g_test_add_func ("/rtmfp/packet/encode-default-key", test_encode_default_key);
  g_test_add_func ("/rtmfp/packet/session-protection", test_session_protection);
  g_test_add_func ("/rtmfp/packet/scrambled-session-id", test_scramble);
  g_test_add_func ("/rtmfp/packet/header", test_header_and_padding);
  g_test_add_func ("/rtmfp/chunk/ack-figures", test_ack_figures);
  g_test_add_func ("/rtmfp/chunk/ack-build", test_ack_build);
  g_test_add_func ("/rtmfp/chunk/startup", test_startup_chunks);
  g_test_add_func ("/rtmfp/chunk/session", test_session_chunks);
  g_test_add_func ("/rtmfp/flash/key-derivation", test_key_derivation_vector);
  g_test_add_func ("/rtmfp/flash/parsing", test_profile_parsing);
  return g_test_run ();
}

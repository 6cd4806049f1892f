/* gst-rtmpe: the RTMP chunk stream reader and writer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Byte vectors are written by hand from the RTMP specification (5.3) and
 * the errata (4.1, 4.2, 5.1, 6): basic header ids - 64 little-endian in the
 * 3-byte form, message stream id little-endian, extended timestamp
 * repeated in type 3 chunks.
 */
#include <string.h>

#include "rtmpchunk.h"
#include "rtmpcontrol.h"
#include "rtmperror.h"
#include "rtmplimits.h"

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

/* appends the bytes written in hex ("02 00 00 0a ..."); spaces ignored */
static void
put_hex (GByteArray *a, const gchar *hex)
{
  while (*hex) {
    guint8 b;

    if (*hex == ' ') {
      hex++;
      continue;
    }
    g_assert_true (g_ascii_isxdigit (hex[0]) && g_ascii_isxdigit (hex[1]));
    b = (g_ascii_xdigit_value (hex[0]) << 4) | g_ascii_xdigit_value (hex[1]);
    g_byte_array_append (a, &b, 1);
    hex += 2;
  }
}

/* payload byte i of pattern @seed */
static inline guint8
pat (guint seed, gsize i)
{
  return (guint8) (seed * 31 + i * 7 + (i >> 8));
}

static void
put_pattern (GByteArray *a, guint seed, gsize from, gsize to)
{
  for (gsize i = from; i < to; i++) {
    guint8 b = pat (seed, i);

    g_byte_array_append (a, &b, 1);
  }
}

static GstBuffer *
pattern_buffer (guint seed, gsize len)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, len, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < len; i++)
    map.data[i] = pat (seed, i);
  gst_buffer_unmap (buf, &map);
  return buf;
}

static RtmpMessage *
mk (guint8 type, guint32 ts, guint32 sid, guint32 csid, GstBuffer *payload)
{
  RtmpMessage *m = rtmp_message_new (type, ts, sid, payload);

  m->chunk_stream_id = csid;
  return m;
}

static RtmpMessage *
mk_pat (
    guint8 type, guint32 ts, guint32 sid, guint32 csid, guint seed, gsize len)
{
  return mk (type, ts, sid, csid, pattern_buffer (seed, len));
}

static RtmpMessage *
mk_u32 (guint8 type, guint32 csid, guint32 v)
{
  guint8 *b = g_malloc (4);

  b[0] = v >> 24;
  b[1] = v >> 16;
  b[2] = v >> 8;
  b[3] = v;
  return mk (type, 0, 0, csid, gst_buffer_new_wrapped (b, 4));
}

static void
assert_msg_equal (const RtmpMessage *got, const RtmpMessage *want)
{
  GstMapInfo a, b;

  g_assert_nonnull (got);
  g_assert_cmpuint (got->type, ==, want->type);
  g_assert_cmpuint (got->timestamp, ==, want->timestamp);
  g_assert_cmpuint (got->stream_id, ==, want->stream_id);
  g_assert_cmpuint (got->chunk_stream_id, ==, want->chunk_stream_id);
  g_assert_true (gst_buffer_map (got->payload, &a, GST_MAP_READ));
  g_assert_true (gst_buffer_map (want->payload, &b, GST_MAP_READ));
  g_assert_cmpmem (a.data, a.size, b.data, b.size);
  gst_buffer_unmap (got->payload, &a);
  gst_buffer_unmap (want->payload, &b);
}

typedef enum
{
  FEED_BUFFER, /* one GstBuffer */
  FEED_DATA, /* one push_data */
  FEED_BYTES, /* one byte a push */
  FEED_CUT, /* two pushes, cut at @arg */
  FEED_RANDOM, /* random sizes, seed @arg, buffers and data mixed */
  FEED_MULTI_MEMORY, /* one GstBuffer of random-sized memories, seed @arg */
} FeedMode;

static GstBuffer *
wrap_copy (const guint8 *data, gsize len)
{
  return gst_buffer_new_wrapped (g_memdup2 (data, len), len);
}

/* Feeds @len bytes to a new reader; returns the messages (and the error if
 * one). */
static GPtrArray *
feed (const guint8 *data, gsize len, FeedMode mode, guint64 arg,
    RtmpChunkReader **reader_out, GError **error)
{
  RtmpChunkReader *r = rtmp_chunk_reader_new ();
  GPtrArray *msgs =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  gboolean ok = TRUE;
  RtmpMessage *m;

  switch (mode) {
    case FEED_BUFFER: {
      GstBuffer *buf = wrap_copy (data, len);

      ok = rtmp_chunk_reader_push_buffer (r, buf, error);
      gst_buffer_unref (buf);
      break;
    }
    case FEED_DATA:
      ok = rtmp_chunk_reader_push_data (r, data, len, error);
      break;
    case FEED_BYTES:
      for (gsize i = 0; i < len && ok; i++) {
        ok = rtmp_chunk_reader_push_data (r, data + i, 1, error);
        while ((m = rtmp_chunk_reader_pop (r)))
          g_ptr_array_add (msgs, m);
      }
      break;
    case FEED_CUT:
      ok = rtmp_chunk_reader_push_data (r, data, arg, error) &&
          rtmp_chunk_reader_push_data (r, data + arg, len - arg, error);
      break;
    case FEED_RANDOM: {
      GRand *rand = g_rand_new_with_seed (arg);
      gsize pos = 0;

      while (pos < len && ok) {
        gsize n = g_rand_int_range (rand, 1, 300);

        n = MIN (n, len - pos);

        if (g_rand_boolean (rand)) {
          GstBuffer *buf = wrap_copy (data + pos, n);

          ok = rtmp_chunk_reader_push_buffer (r, buf, error);
          gst_buffer_unref (buf);
        } else {
          ok = rtmp_chunk_reader_push_data (r, data + pos, n, error);
        }
        pos += n;
        if (g_rand_boolean (rand)) {
          while ((m = rtmp_chunk_reader_pop (r)))
            g_ptr_array_add (msgs, m);
        }
      }
      g_rand_free (rand);
      break;
    }
    case FEED_MULTI_MEMORY: {
      GRand *rand = g_rand_new_with_seed (arg);
      GstBuffer *buf = gst_buffer_new ();
      gsize pos = 0;

      while (pos < len) {
        gsize n = g_rand_int_range (rand, 1, 500);
        gpointer copy;

        n = MIN (n, len - pos);
        copy = g_memdup2 (data + pos, n);
        gst_buffer_append_memory (
            buf, gst_memory_new_wrapped (0, copy, n, 0, n, copy, g_free));
        pos += n;
      }
      /* gst_buffer_append_memory merges past 16 memories: that is fine, the
       * point is several memories */
      ok = rtmp_chunk_reader_push_buffer (r, buf, error);
      gst_buffer_unref (buf);
      g_rand_free (rand);
      break;
    }
  }
  while ((m = rtmp_chunk_reader_pop (r)))
    g_ptr_array_add (msgs, m);
  if (ok)
    g_assert_cmpuint (rtmp_chunk_reader_get_bytes_received (r), ==, len);
  if (reader_out)
    *reader_out = r;
  else
    rtmp_chunk_reader_free (r);
  return msgs;
}

static void
assert_msgs (GPtrArray *got, RtmpMessage **want, guint n_want)
{
  g_assert_cmpuint (got->len, ==, n_want);
  for (guint i = 0; i < n_want; i++)
    assert_msg_equal (got->pdata[i], want[i]);
}

/* Every way of feeding @bytes gives @want (and no error). With @all_cuts,
 * also every two-piece split. */
static void
check_stream (
    GByteArray *bytes, RtmpMessage **want, guint n_want, gboolean all_cuts)
{
  static const FeedMode modes[] = { FEED_BUFFER, FEED_DATA, FEED_BYTES };
  GPtrArray *got;

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++) {
    got = feed (bytes->data, bytes->len, modes[i], 0, NULL, NULL);
    assert_msgs (got, want, n_want);
    g_ptr_array_unref (got);
  }
  for (guint64 seed = 1; seed <= 20; seed++) {
    got = feed (bytes->data, bytes->len, FEED_RANDOM, seed, NULL, NULL);
    assert_msgs (got, want, n_want);
    g_ptr_array_unref (got);
    got = feed (bytes->data, bytes->len, FEED_MULTI_MEMORY, seed, NULL, NULL);
    assert_msgs (got, want, n_want);
    g_ptr_array_unref (got);
  }
  if (all_cuts) {
    for (gsize cut = 0; cut <= bytes->len; cut++) {
      got = feed (bytes->data, bytes->len, FEED_CUT, cut, NULL, NULL);
      assert_msgs (got, want, n_want);
      g_ptr_array_unref (got);
    }
  }
}

/* The writer, fed @msgs in order, produces exactly @bytes, through the
 * scatter-gather queue and through the byte-array convenience. */
static void
check_writer (RtmpMessage **msgs, guint n, GByteArray *bytes)
{
  RtmpChunkWriter *w1 = rtmp_chunk_writer_new ();
  RtmpChunkWriter *w2 = rtmp_chunk_writer_new ();
  RtmpOutQueue *q = rtmp_out_queue_new ();
  GByteArray *flat = g_byte_array_new ();
  GByteArray *gathered = g_byte_array_new ();

  for (guint i = 0; i < n; i++) {
    g_assert_true (rtmp_chunk_writer_write (w1, msgs[i], q, NULL));
    g_assert_true (rtmp_chunk_writer_write_bytes (w2, msgs[i], flat, NULL));
  }
  while (rtmp_out_queue_size (q) > 0) {
    GOutputVector v[16];
    guint k = rtmp_out_queue_peek (q, v, G_N_ELEMENTS (v));
    gsize sum = 0;

    for (guint i = 0; i < k; i++) {
      g_byte_array_append (gathered, v[i].buffer, v[i].size);
      sum += v[i].size;
    }
    rtmp_out_queue_consume (q, sum);
  }
  g_assert_cmpmem (flat->data, flat->len, bytes->data, bytes->len);
  g_assert_cmpmem (gathered->data, gathered->len, bytes->data, bytes->len);
  g_assert_cmpuint (rtmp_chunk_writer_get_bytes_written (w1), ==, bytes->len);
  g_assert_cmpuint (rtmp_chunk_writer_get_messages_written (w1), ==, n);
  g_byte_array_unref (flat);
  g_byte_array_unref (gathered);
  rtmp_out_queue_free (q);
  rtmp_chunk_writer_free (w1);
  rtmp_chunk_writer_free (w2);
}

static void
free_msgs (RtmpMessage **msgs, guint n)
{
  for (guint i = 0; i < n; i++)
    rtmp_message_free (msgs[i]);
}

/* ------------------------------------------------------------------------
 * header forms
 * ------------------------------------------------------------------------ */

/* one-, two- and three-byte basic headers at their boundaries */
static void
test_basic_headers (void)
{
  static const struct
  {
    guint32 csid;
    const gchar *basic;
  } cases[] = {
    { 2, "02" },
    { 63, "3f" },
    { 64, "00 00" },
    { 319, "00 ff" },
    { 320, "01 00 01" },
    { 65599, "01 ff ff" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GByteArray *b = g_byte_array_new ();
    RtmpMessage *m[1];

    /* type 0: timestamp 10, length 3, type 20, stream 1 (LE) */
    put_hex (b, cases[i].basic);
    put_hex (b, "00 00 0a  00 00 03  14  01 00 00 00  aa bb cc");
    m[0] = mk (20, 10, 1, cases[i].csid,
        gst_buffer_new_memdup ((guint8[]){ 0xaa, 0xbb, 0xcc }, 3));
    check_stream (b, m, 1, TRUE);
    check_writer (m, 1, b);
    free_msgs (m, 1);
    g_byte_array_unref (b);
  }

  /* the three-byte form may also carry ids of the two-byte range */
  {
    GByteArray *b = g_byte_array_new ();
    RtmpMessage *m[1];

    put_hex (b, "01 05 00  00 00 01  00 00 01  08  00 00 00 00  7f");
    m[0] = mk (8, 1, 0, 69, gst_buffer_new_memdup ((guint8[]){ 0x7f }, 1));
    check_stream (b, m, 1, TRUE);
    free_msgs (m, 1);
    g_byte_array_unref (b);
  }
}

/* two- and three-byte continuation headers, and big stream ids */
static void
test_basic_headers_continuation (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[2];

  /* 200 bytes on chunk stream 300 (two-byte form), stream 0x01020304 */
  put_hex (b, "00 ec  00 00 05  00 00 c8  09  04 03 02 01");
  put_pattern (b, 1, 0, 128);
  put_hex (b, "c0 ec");
  put_pattern (b, 1, 128, 200);
  /* 130 bytes on chunk stream 1000 (three-byte form, 936 = 0x03a8 LE) */
  put_hex (b, "01 a8 03  00 00 06  00 00 82  08  ff ff ff ff");
  put_pattern (b, 2, 0, 128);
  put_hex (b, "c1 a8 03");
  put_pattern (b, 2, 128, 130);

  m[0] = mk_pat (9, 5, 0x01020304, 300, 1, 200);
  m[1] = mk_pat (8, 6, 0xffffffff, 1000, 2, 130);
  check_stream (b, m, 2, TRUE);
  check_writer (m, 2, b);
  free_msgs (m, 2);
  g_byte_array_unref (b);
}

/* types 0, 1, 2 and 3 on one chunk stream; a type 3 starting a message
 * reuses the previous delta */
static void
test_message_header_types (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[5];

  put_hex (b, "04  00 03 e8  00 00 03  08  01 00 00 00  01 02 03"); /* 1000 */
  put_hex (b, "44  00 00 14  00 00 04  09  01 02 03 04"); /* +20 */
  put_hex (b, "84  00 00 1e  05 06 07 08"); /* +30 */
  put_hex (b, "c4  09 0a 0b 0c"); /* +30 again */
  put_hex (b, "c4  0d 0e 0f 10"); /* and again */

  m[0] = mk (8, 1000, 1, 4, gst_buffer_new_memdup ((guint8[]){ 1, 2, 3 }, 3));
  m[1] =
      mk (9, 1020, 1, 4, gst_buffer_new_memdup ((guint8[]){ 1, 2, 3, 4 }, 4));
  m[2] =
      mk (9, 1050, 1, 4, gst_buffer_new_memdup ((guint8[]){ 5, 6, 7, 8 }, 4));
  m[3] = mk (
      9, 1080, 1, 4, gst_buffer_new_memdup ((guint8[]){ 9, 10, 11, 12 }, 4));
  m[4] = mk (
      9, 1110, 1, 4, gst_buffer_new_memdup ((guint8[]){ 13, 14, 15, 16 }, 4));
  check_stream (b, m, 5, TRUE);
  check_writer (m, 5, b);
  free_msgs (m, 5);
  g_byte_array_unref (b);
}

/* A type 3 header right after a type 0 adds the type 0's timestamp field,
 * as librtmp, FFmpeg and rtmp2 read it. The writer never relies on that: it
 * sends a type 2 there. */
static void
test_type3_after_type0 (void)
{
  GByteArray *b = g_byte_array_new ();
  GByteArray *w = g_byte_array_new ();
  RtmpMessage *m[2];

  put_hex (b, "06  00 00 28  00 00 01  09  01 00 00 00  aa");
  put_hex (b, "c6  bb");
  m[0] = mk (9, 40, 1, 6, gst_buffer_new_memdup ((guint8[]){ 0xaa }, 1));
  m[1] = mk (9, 80, 1, 6, gst_buffer_new_memdup ((guint8[]){ 0xbb }, 1));
  check_stream (b, m, 2, TRUE);

  put_hex (w, "06  00 00 28  00 00 01  09  01 00 00 00  aa");
  put_hex (w, "86  00 00 28  bb");
  check_writer (m, 2, w);
  free_msgs (m, 2);
  g_byte_array_unref (b);
  g_byte_array_unref (w);
}

/* the writer's choice of header: new stream id or a timestamp going
 * backwards gives type 0; zero-length messages */
static void
test_writer_header_choice (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[6];

  m[0] = mk_pat (8, 100, 1, 0, 1, 2); /* audio: chunk stream 4 */
  m[1] = mk_pat (8, 90, 1, 0, 2, 2); /* backwards: type 0 */
  m[2] = mk_pat (8, 95, 2, 0, 3, 2); /* other stream: type 0 */
  m[3] = mk_pat (8, 95, 2, 0, 4, 0); /* length 0: type 1, delta 0 */
  m[4] = mk_pat (8, 95, 2, 0, 5, 0); /* same again: type 2 (after type 1, */
  m[5] = mk_pat (8, 95, 2, 0, 6, 0); /* delta 0 equal), then type 3 */

  put_hex (b, "04  00 00 64  00 00 02  08  01 00 00 00");
  put_pattern (b, 1, 0, 2);
  put_hex (b, "04  00 00 5a  00 00 02  08  01 00 00 00");
  put_pattern (b, 2, 0, 2);
  put_hex (b, "04  00 00 5f  00 00 02  08  02 00 00 00");
  put_pattern (b, 3, 0, 2);
  put_hex (b, "44  00 00 00  00 00 00  08");
  put_hex (b, "c4");
  put_hex (b, "c4");
  /* m[4]: delta 0 equals the type 1's delta 0, so type 3 already */
  check_writer (m, 6, b);

  for (guint i = 0; i < 6; i++)
    m[i]->chunk_stream_id = 4;
  check_stream (b, m, 6, TRUE);
  free_msgs (m, 6);
  g_byte_array_unref (b);
}

/* the default chunk stream of each kind of message */
static void
test_writer_default_chunk_streams (void)
{
  static const struct
  {
    guint8 type;
    guint32 sid;
    guint32 csid;
  } cases[] = {
    { 1, 0, 2 },
    { 2, 0, 2 },
    { 3, 0, 2 },
    { 4, 0, 2 },
    { 5, 0, 2 },
    { 6, 0, 2 },
    { 8, 1, 4 },
    { 9, 1, 6 },
    { 20, 0, 3 },
    { 17, 0, 3 },
    { 20, 1, 5 },
    { 18, 1, 5 },
    { 15, 1, 5 },
    { 22, 1, 7 },
    { 19, 0, 7 },
    { 200, 0, 7 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    RtmpMessage *m = mk_pat (cases[i].type, 0, cases[i].sid, 0, 0, 4);

    g_assert_cmpuint (rtmp_chunk_stream_for_message (m), ==, cases[i].csid);
    m->chunk_stream_id = 77;
    g_assert_cmpuint (rtmp_chunk_stream_for_message (m), ==, 77);
    rtmp_message_free (m);
  }
}

/* ------------------------------------------------------------------------
 * extended timestamps
 * ------------------------------------------------------------------------ */

/* 0xfffffe fits; 0xffffff and above go in the extended field, repeated in
 * every continuation chunk */
static void
test_extended_timestamp (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[3];

  /* 0xfffffe: no extended field, 150 bytes in two chunks */
  put_hex (b, "06  ff ff fe  00 00 96  09  01 00 00 00");
  put_pattern (b, 1, 0, 128);
  put_hex (b, "c6");
  put_pattern (b, 1, 128, 150);
  /* exactly 0xffffff: chunk stream 7, 300 bytes in three chunks */
  put_hex (b, "07  ff ff ff  00 01 2c  09  01 00 00 00  00 ff ff ff");
  put_pattern (b, 2, 0, 128);
  put_hex (b, "c7  00 ff ff ff");
  put_pattern (b, 2, 128, 256);
  put_hex (b, "c7  00 ff ff ff");
  put_pattern (b, 2, 256, 300);
  /* far above, on chunk stream 8 */
  put_hex (b, "08  ff ff ff  00 00 81  08  01 00 00 00  12 34 56 78");
  put_pattern (b, 3, 0, 128);
  put_hex (b, "c8  12 34 56 78");
  put_pattern (b, 3, 128, 129);

  m[0] = mk_pat (9, 0xfffffe, 1, 6, 1, 150);
  m[1] = mk_pat (9, 0xffffff, 1, 7, 2, 300);
  m[2] = mk_pat (8, 0x12345678, 1, 8, 3, 129);
  check_stream (b, m, 3, TRUE);
  check_writer (m, 3, b);
  free_msgs (m, 3);
  g_byte_array_unref (b);
}

/* A type 3 chunk starting a new message while the extended timestamp is
 * indicated carries it (errata 5.1), as the new delta (FFmpeg's writer);
 * type 1 and type 2 headers can carry an extended delta too. */
static void
test_extended_timestamp_type3_new_message (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[5];

  put_hex (b, "04  ff ff ff  00 00 02  08  01 00 00 00  01 00 00 00  a0 a1");
  /* new message, type 3, extended field = delta 0x10 */
  put_hex (b, "c4  00 00 00 10  b0 b1");
  /* type 1 with an extended delta of 0x01000000 */
  put_hex (b, "44  ff ff ff  00 00 01  09  01 00 00 00  c0");
  /* type 3 again: still indicated, delta 5 */
  put_hex (b, "c4  00 00 00 05  d0");
  /* type 2 without: the indication ends */
  put_hex (b, "84  00 00 01  e0");

  m[0] = mk (
      8, 0x01000000, 1, 4, gst_buffer_new_memdup ((guint8[]){ 0xa0, 0xa1 }, 2));
  m[1] = mk (
      8, 0x01000010, 1, 4, gst_buffer_new_memdup ((guint8[]){ 0xb0, 0xb1 }, 2));
  m[2] =
      mk (9, 0x02000010, 1, 4, gst_buffer_new_memdup ((guint8[]){ 0xc0 }, 1));
  m[3] =
      mk (9, 0x02000015, 1, 4, gst_buffer_new_memdup ((guint8[]){ 0xd0 }, 1));
  m[4] =
      mk (9, 0x02000016, 1, 4, gst_buffer_new_memdup ((guint8[]){ 0xe0 }, 1));
  check_stream (b, m, 5, TRUE);
  free_msgs (m, 5);
  g_byte_array_unref (b);
}

/* Peers that leave the extended timestamp out of continuation chunks are
 * recognised by the first such chunk and accepted; including the case
 * where less than 4 payload bytes follow that header. */
static void
test_extended_timestamp_omitted (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[3];
  RtmpChunkReader *r;
  GPtrArray *got;

  put_hex (b, "06  ff ff ff  00 00 82  09  01 00 00 00  01 00 00 00");
  put_pattern (b, 1, 0, 128);
  put_hex (b, "c6"); /* no extended timestamp */
  put_pattern (b, 1, 128, 130);
  /* the next message starts right after: a type 0 elsewhere */
  put_hex (b, "04  00 00 01  00 00 02  08  01 00 00 00  55 66");
  /* and another extended one, continuation still without */
  put_hex (b, "06  ff ff ff  00 00 84  09  01 00 00 00  02 00 00 00");
  put_pattern (b, 2, 0, 128);
  put_hex (b, "c6");
  put_pattern (b, 2, 128, 132);

  m[0] = mk_pat (9, 0x01000000, 1, 6, 1, 130);
  m[1] = mk (8, 1, 1, 4, gst_buffer_new_memdup ((guint8[]){ 0x55, 0x66 }, 2));
  m[2] = mk_pat (9, 0x02000000, 1, 6, 2, 132);
  check_stream (b, m, 3, TRUE);

  got = feed (b->data, b->len, FEED_DATA, 0, &r, NULL);
  g_assert_cmpuint (got->len, ==, 3);
  g_assert_cmpuint (rtmp_chunk_reader_get_pending_bytes (r), ==, 0);
  g_ptr_array_unref (got);
  rtmp_chunk_reader_free (r);
  free_msgs (m, 3);
  g_byte_array_unref (b);
}

/* ------------------------------------------------------------------------
 * control messages the reader obeys
 * ------------------------------------------------------------------------ */

/* Abort drops the partial message; its timestamp stays established */
static void
test_abort (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[3];
  RtmpChunkReader *r;
  GPtrArray *got;

  /* 200-byte video on chunk stream 6 at 1000: first chunk only */
  put_hex (b, "06  00 03 e8  00 00 c8  09  01 00 00 00");
  put_pattern (b, 9, 0, 128);
  /* Abort chunk stream 6 */
  put_hex (b, "02  00 00 00  00 00 04  02  00 00 00 00  00 00 00 06");
  /* a new message on 6 with a type 1 header, +40 from the aborted one */
  put_hex (b, "46  00 00 28  00 00 03  09  01 02 03");
  /* Abort of a chunk stream without a partial message is ignored */
  put_hex (b, "02  00 00 00  00 00 04  02  00 00 00 00  00 00 00 09");

  m[0] = mk_u32 (2, 2, 6);
  m[1] = mk (9, 1040, 1, 6, gst_buffer_new_memdup ((guint8[]){ 1, 2, 3 }, 3));
  m[2] = mk_u32 (2, 2, 9);
  check_stream (b, m, 3, TRUE);

  got = feed (b->data, b->len, FEED_BUFFER, 0, &r, NULL);
  g_assert_cmpuint (rtmp_chunk_reader_get_pending_bytes (r), ==, 0);
  g_ptr_array_unref (got);
  rtmp_chunk_reader_free (r);
  free_msgs (m, 3);
  g_byte_array_unref (b);
}

/* Set Chunk Size takes effect at the next chunk, mid-stream, while another
 * message is in progress on another chunk stream */
static void
test_set_chunk_size (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[4];
  RtmpChunkReader *r;
  GPtrArray *got;

  /* 200 bytes on 4: first chunk of 128 */
  put_hex (b, "04  00 00 00  00 00 c8  08  01 00 00 00");
  put_pattern (b, 1, 0, 128);
  /* chunk size 50 */
  put_hex (b, "02  00 00 00  00 00 04  01  00 00 00 00  00 00 00 32");
  /* the rest of 4's message in chunks of 50 */
  put_hex (b, "c4");
  put_pattern (b, 1, 128, 178);
  put_hex (b, "c4");
  put_pattern (b, 1, 178, 200);
  /* 120 bytes on 6 in chunks of 50 */
  put_hex (b, "06  00 00 00  00 00 78  09  01 00 00 00");
  put_pattern (b, 2, 0, 50);
  put_hex (b, "c6");
  put_pattern (b, 2, 50, 100);
  put_hex (b, "c6");
  put_pattern (b, 2, 100, 120);
  /* the largest chunk size */
  put_hex (b, "02  00 00 00  00 00 04  01  00 00 00 00  7f ff ff ff");

  m[0] = mk_u32 (1, 2, 50);
  m[1] = mk_pat (8, 0, 1, 4, 1, 200);
  m[2] = mk_pat (9, 0, 1, 6, 2, 120);
  m[3] = mk_u32 (1, 2, 0x7fffffff);
  check_stream (b, m, 4, TRUE);

  got = feed (b->data, b->len, FEED_DATA, 0, &r, NULL);
  g_assert_cmpuint (rtmp_chunk_reader_get_chunk_size (r), ==, 0x7fffffff);
  g_ptr_array_unref (got);
  rtmp_chunk_reader_free (r);
  free_msgs (m, 4);
  g_byte_array_unref (b);
}

/* the writer splits by its own chunk size, which a Set Chunk Size message
 * it writes changes */
static void
test_writer_set_chunk_size (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[3];
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *tmp = g_byte_array_new ();
  GError *error = NULL;
  RtmpMessage *bad;

  m[0] = mk_pat (9, 0, 1, 0, 1, 130);
  m[1] = mk_u32 (1, 0, 100);
  m[2] = mk_pat (9, 33, 1, 0, 2, 130);
  put_hex (b, "06  00 00 00  00 00 82  09  01 00 00 00");
  put_pattern (b, 1, 0, 128);
  put_hex (b, "c6");
  put_pattern (b, 1, 128, 130);
  put_hex (b, "02  00 00 00  00 00 04  01  00 00 00 00  00 00 00 64");
  put_hex (b, "86  00 00 21");
  put_pattern (b, 2, 0, 100);
  put_hex (b, "c6");
  put_pattern (b, 2, 100, 130);
  check_writer (m, 3, b);

  /* bad sizes are refused and change nothing */
  bad = mk_u32 (1, 0, 0);
  g_assert_false (rtmp_chunk_writer_write_bytes (w, bad, tmp, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_INVALID);
  g_clear_error (&error);
  rtmp_message_free (bad);
  bad = mk_u32 (1, 0, 0x80000000);
  g_assert_false (rtmp_chunk_writer_write_bytes (w, bad, tmp, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_INVALID);
  g_clear_error (&error);
  rtmp_message_free (bad);
  bad = mk_pat (1, 0, 0, 0, 0, 3);
  g_assert_false (rtmp_chunk_writer_write_bytes (w, bad, tmp, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_INVALID);
  g_clear_error (&error);
  rtmp_message_free (bad);
  g_assert_cmpuint (tmp->len, ==, 0);
  g_assert_cmpuint (rtmp_chunk_writer_get_chunk_size (w), ==, 128);
  g_assert_cmpuint (rtmp_chunk_writer_get_messages_written (w), ==, 0);

  rtmp_chunk_writer_free (w);
  g_byte_array_unref (tmp);
  free_msgs (m, 3);
  g_byte_array_unref (b);
}

/* Window Acknowledgement Size and the acknowledgement accounting */
static void
test_acknowledgement (void)
{
  RtmpChunkReader *r = rtmp_chunk_reader_new ();
  GByteArray *b = g_byte_array_new ();
  guint32 seq = 0;
  RtmpMessage *m;
  guint8 filler[100];

  /* window 100 */
  put_hex (b, "02  00 00 00  00 00 04  05  00 00 00 00  00 00 00 64");
  g_assert_false (rtmp_chunk_reader_take_ack (r, &seq));
  g_assert_true (rtmp_chunk_reader_push_data (r, b->data, b->len, NULL));
  m = rtmp_chunk_reader_pop (r);
  g_assert_cmpuint (m->type, ==, RTMP_MESSAGE_TYPE_WINDOW_ACK_SIZE);
  rtmp_message_free (m);
  g_assert_cmpuint (rtmp_chunk_reader_get_window_ack_size (r), ==, 100);
  g_assert_false (rtmp_chunk_reader_take_ack (r, &seq));

  /* a type 0 header with a 100-byte payload, fed in two parts */
  memset (filler, 0x42, sizeof (filler));
  g_byte_array_set_size (b, 0);
  put_hex (b, "06  00 00 00  00 00 64  09  01 00 00 00");
  g_byte_array_append (b, filler, 100);
  /* 16 + 12 + 71 = 99 bytes: not yet */
  g_assert_true (rtmp_chunk_reader_push_data (r, b->data, 83, NULL));
  g_assert_false (rtmp_chunk_reader_take_ack (r, &seq));
  /* 100 */
  g_assert_true (rtmp_chunk_reader_push_data (r, b->data + 83, 1, NULL));
  g_assert_true (rtmp_chunk_reader_take_ack (r, &seq));
  g_assert_cmpuint (seq, ==, 100);
  g_assert_false (rtmp_chunk_reader_take_ack (r, &seq));
  g_assert_true (
      rtmp_chunk_reader_push_data (r, b->data + 84, b->len - 84, NULL));
  g_assert_cmpuint (rtmp_chunk_reader_get_bytes_received (r), ==, 128);
  g_assert_false (rtmp_chunk_reader_take_ack (r, &seq));
  m = rtmp_chunk_reader_pop (r);
  g_assert_cmpuint (gst_buffer_get_size (m->payload), ==, 100);
  rtmp_message_free (m);
  g_assert_null (rtmp_chunk_reader_pop (r));

  rtmp_chunk_reader_free (r);
  g_byte_array_unref (b);
}

/* the control messages rtmpcontrol builds drive the writer and the reader
 * the same way: chunk size, window, acknowledgement */
static void
test_with_control_builders (void)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  RtmpChunkReader *r = rtmp_chunk_reader_new ();
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *sent[3], *m;
  guint32 seq;

  sent[0] = rtmp_control_new_set_chunk_size (4096);
  sent[1] = rtmp_control_new_window_ack_size (1000);
  sent[2] = mk_pat (9, 0, 1, 0, 7, 5000);
  for (guint i = 0; i < 3; i++)
    g_assert_true (rtmp_chunk_writer_write_bytes (w, sent[i], b, NULL));
  g_assert_cmpuint (rtmp_chunk_writer_get_chunk_size (w), ==, 4096);
  /* type 0 + 4, type 1 (new type, same chunk stream) + 4, type 0 + 4096,
   * type 3 + 904 */
  g_assert_cmpuint (b->len, ==, 16 + 12 + 12 + 5000 + 1);
  g_assert_true (rtmp_chunk_reader_push_data (r, b->data, b->len, NULL));
  g_assert_cmpuint (rtmp_chunk_reader_get_chunk_size (r), ==, 4096);
  g_assert_cmpuint (rtmp_chunk_reader_get_window_ack_size (r), ==, 1000);
  g_assert_true (rtmp_chunk_reader_take_ack (r, &seq));
  g_assert_cmpuint (seq, ==, b->len);
  for (guint i = 0; i < 3; i++) {
    RtmpProtocolControl c;

    m = rtmp_chunk_reader_pop (r);
    if (sent[i]->chunk_stream_id == 0)
      sent[i]->chunk_stream_id = rtmp_chunk_stream_for_message (sent[i]);
    assert_msg_equal (m, sent[i]);
    if (i < 2) {
      g_assert_true (rtmp_control_parse (m, &c, NULL));
      g_assert_cmpuint (c.value, ==, i == 0 ? 4096 : 1000);
    }
    rtmp_message_free (m);
  }
  g_assert_null (rtmp_chunk_reader_pop (r));

  free_msgs (sent, 3);
  g_byte_array_unref (b);
  rtmp_chunk_reader_free (r);
  rtmp_chunk_writer_free (w);
}

/* ------------------------------------------------------------------------
 * interleaving, sizes, memory
 * ------------------------------------------------------------------------ */

/* two big messages on two chunk streams, chunks alternating, plus a small
 * one in between */
static void
test_interleaved (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[3];
  const gsize len_a = 1000, len_v = 700;
  gsize oa = 0, ov = 0;

  put_hex (b, "04  00 00 0a  00 03 e8  08  01 00 00 00");
  put_pattern (b, 1, 0, 128);
  oa = 128;
  put_hex (b, "06  00 00 14  00 02 bc  09  02 00 00 00");
  put_pattern (b, 2, 0, 128);
  ov = 128;
  put_hex (b, "03  00 00 00  00 00 02  14  00 00 00 00  05 05");
  while (oa < len_a || ov < len_v) {
    if (oa < len_a) {
      gsize n = MIN (128, len_a - oa);

      put_hex (b, "c4");
      put_pattern (b, 1, oa, oa + n);
      oa += n;
    }
    if (ov < len_v) {
      gsize n = MIN (128, len_v - ov);

      put_hex (b, "c6");
      put_pattern (b, 2, ov, ov + n);
      ov += n;
    }
  }
  m[0] = mk (20, 0, 0, 3, gst_buffer_new_memdup ((guint8[]){ 5, 5 }, 2));
  m[1] = mk_pat (9, 20, 2, 6, 2, len_v);
  m[2] = mk_pat (8, 10, 1, 4, 1, len_a);
  check_stream (b, m, 3, TRUE);
  free_msgs (m, 3);
  g_byte_array_unref (b);
}

/* single-chunk messages inside one memory are shared, not copied;
 * multi-chunk messages are one allocation of their length */
static void
test_zero_copy (void)
{
  RtmpChunkReader *r = rtmp_chunk_reader_new ();
  GByteArray *b = g_byte_array_new ();
  GstBuffer *in;
  GstMemory *in_mem;
  GstMapInfo in_map, map;
  RtmpMessage *m;

  put_hex (b, "04  00 00 00  00 00 05  08  01 00 00 00  01 02 03 04 05");
  put_hex (b, "06  00 00 00  00 00 96  09  01 00 00 00");
  put_pattern (b, 1, 0, 128);
  put_hex (b, "c6");
  put_pattern (b, 1, 128, 150);
  in = wrap_copy (b->data, b->len);
  in_mem = gst_buffer_peek_memory (in, 0);
  g_assert_true (rtmp_chunk_reader_push_buffer (r, in, NULL));

  m = rtmp_chunk_reader_pop (r);
  g_assert_cmpuint (gst_buffer_n_memory (m->payload), ==, 1);
  g_assert_true (gst_buffer_peek_memory (m->payload, 0)->parent == in_mem);
  gst_buffer_map (in, &in_map, GST_MAP_READ);
  gst_buffer_map (m->payload, &map, GST_MAP_READ);
  g_assert_true (map.data == in_map.data + 12);
  g_assert_cmpuint (map.size, ==, 5);
  gst_buffer_unmap (m->payload, &map);
  gst_buffer_unmap (in, &in_map);
  rtmp_message_free (m);

  m = rtmp_chunk_reader_pop (r);
  g_assert_cmpuint (gst_buffer_n_memory (m->payload), ==, 1);
  g_assert_cmpuint (gst_buffer_peek_memory (m->payload, 0)->maxsize, >=, 150);
  g_assert_null (gst_buffer_peek_memory (m->payload, 0)->parent);
  rtmp_message_free (m);

  gst_buffer_unref (in);
  rtmp_chunk_reader_free (r);
  g_byte_array_unref (b);
}

/* an allocator that counts what it is asked for */
typedef struct
{
  GstAllocator parent;
} CountingAllocator;
typedef struct
{
  GstAllocatorClass parent_class;
} CountingAllocatorClass;

static GType counting_allocator_get_type (void);
G_DEFINE_TYPE (CountingAllocator, counting_allocator, GST_TYPE_ALLOCATOR)

static gsize counted_total, counted_max, counted_n;

static GstMemory *
counting_alloc (GstAllocator *a, gsize size, GstAllocationParams *params)
{
  GstAllocator *sys = gst_allocator_find (GST_ALLOCATOR_SYSMEM);
  GstMemory *mem;

  counted_total += size;
  counted_max = MAX (counted_max, size);
  counted_n++;
  mem = gst_allocator_alloc (sys, size, params);
  gst_object_unref (sys);
  return mem;
}

static void
counting_allocator_class_init (CountingAllocatorClass *klass)
{
  GST_ALLOCATOR_CLASS (klass)->alloc = counting_alloc;
}

static void
counting_allocator_init (CountingAllocator *a)
{}

static void
counting_start (void)
{
  gst_allocator_set_default (gst_object_ref_sink (
      g_object_new (counting_allocator_get_type (), NULL)));
  counted_total = counted_max = counted_n = 0;
}

static void
counting_stop (void)
{
  gst_allocator_set_default (gst_allocator_find (GST_ALLOCATOR_SYSMEM));
}

/* A message of exactly 0xffffff bytes, announced with the largest chunk
 * size and fed a byte at a time at first: one allocation of the message
 * size, made when the first payload byte arrives. */
static void
test_max_message (void)
{
  const gsize len = 0xffffff;
  RtmpChunkReader *r = rtmp_chunk_reader_new ();
  GByteArray *b = g_byte_array_new ();
  GstBuffer *payload = pattern_buffer (5, len);
  GstMapInfo map;
  RtmpMessage *m;
  gsize pos;

  put_hex (b, "02  00 00 00  00 00 04  01  00 00 00 00  7f ff ff ff");
  g_assert_true (rtmp_chunk_reader_push_data (r, b->data, b->len, NULL));
  m = rtmp_chunk_reader_pop (r);
  g_assert_cmpuint (m->type, ==, 1);
  rtmp_message_free (m);
  g_byte_array_set_size (b, 0);
  put_hex (b, "06  00 00 07  ff ff ff  09  01 00 00 00");
  counting_start ();
  for (pos = 0; pos < b->len; pos++)
    g_assert_true (rtmp_chunk_reader_push_data (r, b->data + pos, 1, NULL));
  /* the header alone allocates nothing, but reserves */
  g_assert_cmpuint (counted_total, ==, 0);
  g_assert_cmpuint (rtmp_chunk_reader_get_pending_bytes (r), ==, len);

  gst_buffer_map (payload, &map, GST_MAP_READ);
  for (pos = 0; pos < 1000; pos++)
    g_assert_true (rtmp_chunk_reader_push_data (r, map.data + pos, 1, NULL));
  g_assert_cmpuint (counted_n, ==, 1);
  g_assert_cmpuint (counted_max, ==, len);
  g_assert_true (
      rtmp_chunk_reader_push_data (r, map.data + pos, len - pos, NULL));
  g_assert_cmpuint (counted_n, ==, 1);
  gst_buffer_unmap (payload, &map);
  counting_stop ();

  m = rtmp_chunk_reader_pop (r);
  g_assert_nonnull (m);
  g_assert_cmpuint (m->timestamp, ==, 7);
  g_assert_cmpuint (gst_buffer_get_size (m->payload), ==, len);
  {
    GstMapInfo a, e;

    gst_buffer_map (m->payload, &a, GST_MAP_READ);
    gst_buffer_map (payload, &e, GST_MAP_READ);
    g_assert_true (memcmp (a.data, e.data, len) == 0);
    gst_buffer_unmap (m->payload, &a);
    gst_buffer_unmap (payload, &e);
  }
  g_assert_cmpuint (rtmp_chunk_reader_get_pending_bytes (r), ==, 0);
  rtmp_message_free (m);

  /* the writer carries it too, and refuses one byte more */
  {
    RtmpChunkWriter *w = rtmp_chunk_writer_new ();
    RtmpOutQueue *q = rtmp_out_queue_new ();
    RtmpMessage *big = mk (9, 0, 1, 0, gst_buffer_ref (payload));
    RtmpMessage *over = mk_pat (9, 0, 1, 0, 1, len + 1);
    GError *error = NULL;

    g_assert_true (rtmp_chunk_writer_write (w, big, q, NULL));
    g_assert_cmpuint (rtmp_out_queue_size (q), ==, 12 + len + (len / 128) * 1);
    g_assert_false (rtmp_chunk_writer_write (w, over, q, &error));
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE);
    g_clear_error (&error);
    rtmp_message_free (big);
    rtmp_message_free (over);
    rtmp_out_queue_free (q);
    rtmp_chunk_writer_free (w);
  }

  gst_buffer_unref (payload);
  rtmp_chunk_reader_free (r);
  g_byte_array_unref (b);
}

/* a large message in 1-byte chunks: still one allocation of its size */
static void
test_one_byte_chunks (void)
{
  const gsize len = 100000;
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *want[2];
  RtmpMessage *m;
  RtmpChunkReader *r = rtmp_chunk_reader_new ();

  want[0] = mk_u32 (1, 2, 1);
  want[1] = mk_pat (9, 3, 1, 6, 4, len);
  g_assert_true (rtmp_chunk_writer_write_bytes (w, want[0], b, NULL));
  g_assert_true (rtmp_chunk_writer_write_bytes (w, want[1], b, NULL));
  g_assert_cmpuint (b->len, ==, 16 + 12 + len + (len - 1));

  counting_start ();
  for (guint half = 0; half < 2; half++) {
    gsize from = half ? b->len / 2 : 0, to = half ? b->len : b->len / 2;
    GstBuffer *in = wrap_copy (b->data + from, to - from);

    g_assert_true (rtmp_chunk_reader_push_buffer (r, in, NULL));
    gst_buffer_unref (in);
  }
  g_assert_cmpuint (counted_n, ==, 1);
  g_assert_cmpuint (counted_max, ==, len);
  counting_stop ();
  m = rtmp_chunk_reader_pop (r);
  assert_msg_equal (m, want[0]);
  rtmp_message_free (m);
  m = rtmp_chunk_reader_pop (r);
  assert_msg_equal (m, want[1]);
  rtmp_message_free (m);

  rtmp_chunk_reader_free (r);
  rtmp_chunk_writer_free (w);
  free_msgs (want, 2);
  g_byte_array_unref (b);
}

/* ------------------------------------------------------------------------
 * malformed input
 * ------------------------------------------------------------------------ */

/* feeds @hex; expects @code with @what in the message, after @n_ok
 * messages; then the reader stays failed */
static void
check_error (const gchar *hex, guint max_streams, gsize max_pending, guint n_ok,
    GQuark domain, gint code, const gchar *what)
{
  static const FeedMode modes[] = { FEED_BUFFER, FEED_DATA, FEED_BYTES };
  GByteArray *b = g_byte_array_new ();

  put_hex (b, hex);
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++) {
    RtmpChunkReader *r = rtmp_chunk_reader_new ();
    GError *error = NULL;
    GPtrArray *msgs =
        g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
    RtmpMessage *m;
    gboolean ok = TRUE;

    rtmp_chunk_reader_set_limits (r, max_streams, max_pending);
    if (modes[i] == FEED_BYTES) {
      for (guint k = 0; k < b->len && ok; k++)
        ok = rtmp_chunk_reader_push_data (r, b->data + k, 1, &error);
    } else if (modes[i] == FEED_DATA) {
      ok = rtmp_chunk_reader_push_data (r, b->data, b->len, &error);
    } else {
      GstBuffer *buf = wrap_copy (b->data, b->len);

      ok = rtmp_chunk_reader_push_buffer (r, buf, &error);
      gst_buffer_unref (buf);
    }
    g_assert_false (ok);
    g_assert_error (error, domain, code);
    if (g_test_verbose ())
      g_printerr ("  %s\n", error->message);
    g_assert_nonnull (strstr (error->message, what));
    g_assert_nonnull (strstr (error->message, "byte offset"));
    while ((m = rtmp_chunk_reader_pop (r)))
      g_ptr_array_add (msgs, m);
    g_assert_cmpuint (msgs->len, ==, n_ok);
    g_clear_error (&error);

    /* failed for good, even on good input */
    {
      guint8 good[] = { 0x03, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0 };

      g_assert_false (
          rtmp_chunk_reader_push_data (r, good, sizeof (good), &error));
      g_assert_error (error, domain, code);
      g_clear_error (&error);
      g_assert_null (rtmp_chunk_reader_pop (r));
    }
    g_ptr_array_unref (msgs);
    rtmp_chunk_reader_free (r);
  }
  g_byte_array_unref (b);
}

static void
test_malformed (void)
{
  /* chunk size 0 */
  check_error ("02 000000 000004 01 00000000  00000000", 0, 0, 0, RTMP_ERROR,
      RTMP_ERROR_INVALID, "chunk size 0");
  /* top bit set */
  check_error ("02 000000 000004 01 00000000  80000000", 0, 0, 0, RTMP_ERROR,
      RTMP_ERROR_INVALID, "0x80000000");
  /* a short Set Chunk Size */
  check_error ("02 000000 000002 01 00000000  0001", 0, 0, 0, RTMP_ERROR,
      RTMP_ERROR_TRUNCATED, "Set Chunk Size");
  /* a short Abort */
  check_error ("02 000000 000003 02 00000000  000001", 0, 0, 0, RTMP_ERROR,
      RTMP_ERROR_TRUNCATED, "Abort");
  /* types 1, 2, 3 on a chunk stream never seen (after a good message) */
  check_error ("03 000000 000001 14 00000000 aa  45 000000 000001 14 bb", 0, 0,
      1, RTMP_ERROR, RTMP_ERROR_PROTOCOL, "chunk stream 5");
  check_error ("84 000000 bb", 0, 0, 0, RTMP_ERROR, RTMP_ERROR_PROTOCOL,
      "type 2 header on chunk stream 4");
  check_error (
      "c0 05", 0, 0, 0, RTMP_ERROR, RTMP_ERROR_PROTOCOL, "chunk stream 69");
  /* too many chunk streams: the third with a cap of 2 */
  check_error ("03 000000 000000 14 00000000"
               "04 000000 000000 14 00000000"
               "05 000000 000000 14 00000000",
      2, 0, 2, RTMP_ERROR, RTMP_ERROR_TOO_LARGE, "over the cap of 2");
  /* partial messages over the cap: 600 + 600 > 1000 */
  {
    gchar *zeros = g_strnfill (256, '0');
    gchar *hex = g_strconcat ("04 000000 000258 09 01000000", zeros,
        "06 000000 000258 09 01000000", NULL);

    check_error (hex, 0, 1000, 0, RTMP_ERROR, RTMP_ERROR_TOO_LARGE,
        "over the cap of 1000");
    g_free (hex);
    g_free (zeros);
  }
  /* the length changes mid-message */
  check_error (
      "04 000000 0000c8 09 01000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "44 000000 0000c9 09",
      0, 0, 0, RTMP_ERROR, RTMP_ERROR_PROTOCOL, "length 200 -> 201");
  /* the error offset is that of the chunk */
  check_error ("03 000000 000001 14 00000000 aa  c9", 0, 0, 1, RTMP_ERROR,
      RTMP_ERROR_PROTOCOL, "byte offset 13");
}

/* a type 0/1/2 header mid-message that repeats the message's fields is
 * taken as a continuation */
static void
test_full_header_mid_message (void)
{
  GByteArray *b = g_byte_array_new ();
  RtmpMessage *m[1];

  put_hex (b, "04  00 00 0a  00 00 96  08  01 00 00 00");
  put_pattern (b, 1, 0, 128);
  put_hex (b, "44  00 00 0a  00 00 96  08");
  put_pattern (b, 1, 128, 150);
  m[0] = mk_pat (8, 10, 1, 4, 1, 150);
  check_stream (b, m, 1, TRUE);
  free_msgs (m, 1);
  g_byte_array_unref (b);
}

static void
test_writer_bad_chunk_stream (void)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *out = g_byte_array_new ();
  RtmpMessage *m = mk_pat (8, 0, 1, 1, 0, 3);
  GError *error = NULL;

  g_assert_false (rtmp_chunk_writer_write_bytes (w, m, out, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_INVALID);
  g_clear_error (&error);
  m->chunk_stream_id = 65600;
  g_assert_false (rtmp_chunk_writer_write_bytes (w, m, out, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (out->len, ==, 0);
  rtmp_message_free (m);
  rtmp_chunk_writer_free (w);
  g_byte_array_unref (out);
}

/* ------------------------------------------------------------------------
 * round trips
 * ------------------------------------------------------------------------ */

static RtmpMessage *
random_message (GRand *rand, guint32 *ts_by_stream)
{
  static const guint8 types[] = { 8, 9, 9, 9, 18, 20, 4, 22, 3 };
  guint8 type = types[g_rand_int_range (rand, 0, G_N_ELEMENTS (types))];
  guint32 sid = g_rand_int_range (rand, 0, 3);
  guint32 csid = 0;
  guint32 ts;
  gsize len;

  switch (g_rand_int_range (rand, 0, 8)) {
    case 0:
      csid = g_rand_int_range (rand, 2, 64);
      break;
    case 1:
      csid = g_rand_int_range (rand, 64, 320);
      break;
    case 2:
      csid = g_rand_int_range (rand, 320, 65600);
      break;
    default:
      break;
  }
  switch (g_rand_int_range (rand, 0, 10)) {
    case 0:
      ts = g_rand_int (rand); /* anywhere, extended or not */
      break;
    case 1:
      ts = ts_by_stream[sid] - g_rand_int_range (rand, 1, 100);
      break;
    case 2:
      ts = 0xffffff + g_rand_int_range (rand, -2, 3);
      break;
    case 3:
      ts = ts_by_stream[sid] + 0xffffff + g_rand_int_range (rand, -2, 3);
      break;
    default:
      ts = ts_by_stream[sid] + g_rand_int_range (rand, 0, 3) * 20;
      break;
  }
  ts_by_stream[sid] = ts;
  switch (g_rand_int_range (rand, 0, 6)) {
    case 0:
      len = 0;
      break;
    case 1:
      len = g_rand_int_range (rand, 1, 10);
      break;
    case 2:
      len = g_rand_int_range (rand, 1000, 20000);
      break;
    default:
      len = g_rand_int_range (rand, 100, 600);
      break;
  }
  return mk_pat (type, ts, sid, csid, g_rand_int (rand), len);
}

/* random messages and chunk sizes through the writer (via the queue, drained
 * in odd steps) and back through the reader (fed in random pieces) */
static void
test_round_trip (void)
{
  for (guint32 seed = 1; seed <= 10; seed++) {
    GRand *rand = g_rand_new_with_seed (seed);
    RtmpChunkWriter *w = rtmp_chunk_writer_new ();
    RtmpChunkReader *r = rtmp_chunk_reader_new ();
    RtmpOutQueue *q = rtmp_out_queue_new ();
    GPtrArray *sent =
        g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
    GPtrArray *bufs = g_ptr_array_new ();
    guint32 ts_by_stream[3] = { 0, 0, 0 };
    GByteArray *wire = g_byte_array_new ();
    guint n_got = 0;

    for (guint i = 0; i < 200; i++) {
      RtmpMessage *m;

      if (g_rand_int_range (rand, 0, 20) == 0) {
        static const guint32 sizes[] = { 1, 2, 7, 64, 128, 1000, 4096, 65536,
          0x7fffffff };

        m = mk_u32 (
            1, 0, sizes[g_rand_int_range (rand, 0, G_N_ELEMENTS (sizes))]);
      } else {
        m = random_message (rand, ts_by_stream);
      }
      if (g_rand_boolean (rand)) {
        g_assert_true (rtmp_chunk_writer_write (w, m, q, NULL));
      } else {
        g_assert_true (rtmp_chunk_writer_write_many (w, &m, 1, q, NULL));
      }
      g_ptr_array_add (bufs, gst_buffer_ref (m->payload));
      if (m->chunk_stream_id == 0)
        m->chunk_stream_id = rtmp_chunk_stream_for_message (m);
      g_ptr_array_add (sent, m);

      /* sometimes send some of the queue */
      if (g_rand_int_range (rand, 0, 4) == 0) {
        GOutputVector v[64];
        guint k = rtmp_out_queue_peek (q, v, G_N_ELEMENTS (v));
        gsize budget = g_rand_int_range (rand, 1, 5000);
        gsize took = 0;

        for (guint j = 0; j < k && budget > 0; j++) {
          gsize n = MIN (budget, v[j].size);

          g_byte_array_append (wire, v[j].buffer, n);
          budget -= n;
          took += n;
        }
        rtmp_out_queue_consume (q, took);
      }
    }
    while (rtmp_out_queue_size (q) > 0) {
      GOutputVector v[64];
      guint k = rtmp_out_queue_peek (q, v, G_N_ELEMENTS (v));
      gsize took = 0;

      for (guint j = 0; j < k; j++) {
        g_byte_array_append (wire, v[j].buffer, v[j].size);
        took += v[j].size;
      }
      rtmp_out_queue_consume (q, took);
    }
    g_assert_cmpuint (rtmp_chunk_writer_get_bytes_written (w), ==, wire->len);
    /* the queue let go of every payload */
    rtmp_out_queue_free (q);
    for (guint i = 0; i < bufs->len; i++) {
      g_assert_cmpint (GST_MINI_OBJECT_REFCOUNT_VALUE (bufs->pdata[i]), ==, 2);
      gst_buffer_unref (bufs->pdata[i]);
    }
    g_ptr_array_unref (bufs);

    {
      gsize pos = 0;

      while (pos < wire->len) {
        gsize n = g_rand_int_range (rand, 1, 70000);
        RtmpMessage *m;

        n = MIN (n, wire->len - pos);
        if (g_rand_boolean (rand)) {
          GstBuffer *buf = wrap_copy (wire->data + pos, n);

          g_assert_true (rtmp_chunk_reader_push_buffer (r, buf, NULL));
          gst_buffer_unref (buf);
        } else {
          g_assert_true (
              rtmp_chunk_reader_push_data (r, wire->data + pos, n, NULL));
        }
        pos += n;
        while ((m = rtmp_chunk_reader_pop (r))) {
          g_assert_cmpuint (n_got, <, sent->len);
          assert_msg_equal (m, sent->pdata[n_got]);
          n_got++;
          rtmp_message_free (m);
        }
      }
    }
    g_assert_cmpuint (n_got, ==, sent->len);
    g_assert_cmpuint (rtmp_chunk_reader_get_pending_bytes (r), ==, 0);
    g_assert_cmpuint (rtmp_chunk_reader_get_chunk_size (r), ==,
        rtmp_chunk_writer_get_chunk_size (w));

    g_byte_array_unref (wire);
    g_ptr_array_unref (sent);
    rtmp_chunk_reader_free (r);
    rtmp_chunk_writer_free (w);
    g_rand_free (rand);
  }
}

/* the writer's output of a long mixed session, fed at every cut */
static void
test_round_trip_every_cut (void)
{
  GRand *rand = g_rand_new_with_seed (99);
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  GByteArray *wire = g_byte_array_new ();
  RtmpMessage *m[20];
  guint32 ts_by_stream[3] = { 0, 0, 0 };

  for (guint i = 0; i < G_N_ELEMENTS (m); i++) {
    if (i == 10) {
      m[i] = mk_u32 (1, 0, 50);
    } else {
      m[i] = random_message (rand, ts_by_stream);
      if (gst_buffer_get_size (m[i]->payload) > 200)
        gst_buffer_resize (m[i]->payload, 0, 200);
    }
    g_assert_true (rtmp_chunk_writer_write_bytes (w, m[i], wire, NULL));
    if (m[i]->chunk_stream_id == 0)
      m[i]->chunk_stream_id = rtmp_chunk_stream_for_message (m[i]);
  }
  check_stream (wire, m, G_N_ELEMENTS (m), TRUE);
  free_msgs (m, G_N_ELEMENTS (m));
  g_byte_array_unref (wire);
  rtmp_chunk_writer_free (w);
  g_rand_free (rand);
}

/* ------------------------------------------------------------------------
 * recorded sessions of real peers (tests/data/traffic)
 * ------------------------------------------------------------------------ */

#define HANDSHAKE_BYTES 3073

/* The messages of one direction of a recording match its summary line by
 * line (chunk stream, type, stream id, absolute timestamp, length), however
 * the bytes are cut; our writer then carries them all back unchanged. */
static void
check_recording (const gchar *dir, const gchar *name, const gchar *way)
{
  gchar *bin_path = g_strdup_printf ("%s/%s.%s.bin", dir, name, way);
  gchar *txt_path = g_strdup_printf ("%s/%s.txt", dir, name);
  gchar *bin, *txt;
  gsize bin_len;
  gchar **lines;
  GPtrArray *want = g_ptr_array_new_with_free_func (g_free);

  g_assert_true (g_file_get_contents (bin_path, &bin, &bin_len, NULL));
  g_assert_true (g_file_get_contents (txt_path, &txt, NULL, NULL));
  g_assert_cmpuint (bin_len, >=, HANDSHAKE_BYTES);
  lines = g_strsplit (txt, "\n", -1);
  for (guint i = 1; lines[i]; i++) {
    gchar **f = g_strsplit (lines[i], "\t", -1);

    if (g_strv_length (f) >= 6 && g_str_equal (f[0], way)) {
      guint32 *v = g_new (guint32, 5);

      for (guint k = 0; k < 5; k++)
        v[k] = g_ascii_strtoull (f[k + 1], NULL, 10);
      g_ptr_array_add (want, v);
    }
    g_strfreev (f);
  }
  g_assert_cmpuint (want->len, >, 0);

  for (guint round = 0; round < 4; round++) {
    const guint8 *data = (const guint8 *) bin + HANDSHAKE_BYTES;
    gsize len = bin_len - HANDSHAKE_BYTES;
    GPtrArray *got = feed (
        data, len, round == 0 ? FEED_BUFFER : FEED_RANDOM, round, NULL, NULL);
    RtmpChunkWriter *w = rtmp_chunk_writer_new ();
    GByteArray *again = g_byte_array_new ();
    GPtrArray *back;

    if (g_test_verbose () && round == 0)
      g_printerr ("  %s %s: %u messages\n", name, way, got->len);
    g_assert_cmpuint (got->len, ==, want->len);
    for (guint i = 0; i < got->len; i++) {
      RtmpMessage *m = got->pdata[i];
      guint32 *v = want->pdata[i];

      g_assert_cmpuint (m->chunk_stream_id, ==, v[0]);
      g_assert_cmpuint (m->type, ==, v[1]);
      g_assert_cmpuint (m->stream_id, ==, v[2]);
      g_assert_cmpuint (m->timestamp, ==, v[3]);
      g_assert_cmpuint (gst_buffer_get_size (m->payload), ==, v[4]);
      g_assert_true (rtmp_chunk_writer_write_bytes (w, m, again, NULL));
    }
    back = feed (again->data, again->len, FEED_RANDOM, round + 100, NULL, NULL);
    assert_msgs (back, (RtmpMessage **) got->pdata, got->len);

    g_ptr_array_unref (back);
    g_byte_array_unref (again);
    rtmp_chunk_writer_free (w);
    g_ptr_array_unref (got);
  }

  g_ptr_array_unref (want);
  g_strfreev (lines);
  g_free (bin);
  g_free (txt);
  g_free (bin_path);
  g_free (txt_path);
}

static void
test_recorded_traffic (void)
{
  const gchar *src = g_getenv ("TESTS_SOURCE_DIR");
  gchar *dir;
  GDir *d;
  const gchar *entry;
  guint n = 0;

  if (!src) {
    g_test_skip ("TESTS_SOURCE_DIR is not set");
    return;
  }
  dir = g_build_filename (src, "data", "traffic", NULL);
  d = g_dir_open (dir, 0, NULL);
  if (!d) {
    g_test_skip ("no tests/data/traffic");
    g_free (dir);
    return;
  }
  while ((entry = g_dir_read_name (d))) {
    gchar *name;

    if (!g_str_has_suffix (entry, ".txt"))
      continue;
    name = g_strndup (entry, strlen (entry) - 4);
    check_recording (dir, name, "c2s");
    check_recording (dir, name, "s2c");
    g_free (name);
    n++;
  }
  g_assert_cmpuint (n, >, 0);
  g_dir_close (d);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chunk/basic-headers", test_basic_headers);
  g_test_add_func (
      "/chunk/basic-headers-continuation", test_basic_headers_continuation);
  g_test_add_func ("/chunk/message-header-types", test_message_header_types);
  g_test_add_func ("/chunk/type3-after-type0", test_type3_after_type0);
  g_test_add_func ("/chunk/writer-header-choice", test_writer_header_choice);
  g_test_add_func (
      "/chunk/writer-default-chunk-streams", test_writer_default_chunk_streams);
  g_test_add_func ("/chunk/extended-timestamp", test_extended_timestamp);
  g_test_add_func ("/chunk/extended-timestamp-type3-new-message",
      test_extended_timestamp_type3_new_message);
  g_test_add_func (
      "/chunk/extended-timestamp-omitted", test_extended_timestamp_omitted);
  g_test_add_func ("/chunk/abort", test_abort);
  g_test_add_func ("/chunk/set-chunk-size", test_set_chunk_size);
  g_test_add_func ("/chunk/writer-set-chunk-size", test_writer_set_chunk_size);
  g_test_add_func ("/chunk/acknowledgement", test_acknowledgement);
  g_test_add_func ("/chunk/with-control-builders", test_with_control_builders);
  g_test_add_func ("/chunk/interleaved", test_interleaved);
  g_test_add_func ("/chunk/zero-copy", test_zero_copy);
  g_test_add_func ("/chunk/max-message", test_max_message);
  g_test_add_func ("/chunk/one-byte-chunks", test_one_byte_chunks);
  g_test_add_func ("/chunk/malformed", test_malformed);
  g_test_add_func (
      "/chunk/full-header-mid-message", test_full_header_mid_message);
  g_test_add_func (
      "/chunk/writer-bad-chunk-stream", test_writer_bad_chunk_stream);
  g_test_add_func ("/chunk/round-trip", test_round_trip);
  g_test_add_func ("/chunk/round-trip-every-cut", test_round_trip_every_cut);
  g_test_add_func ("/chunk/recorded-traffic", test_recorded_traffic);
  return g_test_run ();
}

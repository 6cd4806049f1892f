/* gst-rtmpe: tests for gst/flv (header, tags, data frames, classification,
 * aggregate messages, the streaming parser)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <gst/gst.h>

#include "flvinfo.h"
#include "flvparser.h"
#include "flvtag.h"
#include "rtmperror.h"

/* Under AddressSanitizer, unwind allocation stacks fully: GLib is built
 * without frame pointers, so a fast unwind stops at g_malloc and the
 * suppression of the quark table GLib's constructor allocates (and
 * gst_init() makes it outgrow and drop) cannot match its _dl_init frame
 * (tests/lsan.supp). Options in ASAN_OPTIONS still apply on top. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}
#endif

/* helpers */

static GstBuffer *
bytes_buffer (const guint8 *data, gsize size)
{
  return size ? gst_buffer_new_memdup (data, size) : gst_buffer_new ();
}

#define BUF(...)                                                               \
  bytes_buffer ((const guint8[]){ __VA_ARGS__ },                               \
      sizeof ((const guint8[]){ __VA_ARGS__ }))

/* Compares without mapping: gst_buffer_map() would merge the memories of
 * a writable buffer in place, and the tests look at them. */
static void
assert_buffer_equals (GstBuffer *buf, const guint8 *data, gsize size)
{
  gpointer copy;
  gsize len;

  g_assert_nonnull (buf);
  gst_buffer_extract_dup (buf, 0, -1, &copy, &len);
  g_assert_cmpmem (copy, len, data, size);
  g_free (copy);
}

#define ASSERT_BUFFER(buf, ...)                                                \
  assert_buffer_equals (buf, (const guint8[]){ __VA_ARGS__ },                  \
      sizeof ((const guint8[]){ __VA_ARGS__ }))

static GstBuffer *
gbytes_buffer (GBytes *bytes)
{
  return g_bytes_get_size (bytes) ? gst_buffer_new_wrapped_bytes (bytes) :
                                    gst_buffer_new ();
}

static GBytes *
read_data_file (const gchar *name)
{
  const gchar *dir = g_getenv ("TESTS_SOURCE_DIR");
  g_autofree gchar *path = NULL;
  gchar *contents;
  gsize len;
  GError *error = NULL;

  path = dir ? g_build_filename (dir, "data", name, NULL) :
               g_test_build_filename (G_TEST_DIST, "..", "data", name, NULL);
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

/* The memory of @a at @ia is the memory of @b at @ib, or a share of it
 * starting at the same byte: no copy was made. */
static void
assert_same_bytes (GstBuffer *a, guint ia, GstBuffer *b, guint ib)
{
  GstMapInfo ma, mb;
  GstMemory *mema = gst_buffer_peek_memory (a, ia);
  GstMemory *memb = gst_buffer_peek_memory (b, ib);

  g_assert_true (gst_memory_map (mema, &ma, GST_MAP_READ));
  g_assert_true (gst_memory_map (memb, &mb, GST_MAP_READ));
  g_assert_true (ma.data == mb.data);
  gst_memory_unmap (mema, &ma);
  gst_memory_unmap (memb, &mb);
}

/* header */

static void
test_header_build (void)
{
  GstBuffer *buf;

  buf = flv_header_new (TRUE, TRUE);
  ASSERT_BUFFER (buf, 'F', 'L', 'V', 0x01, 0x05, 0, 0, 0, 9, 0, 0, 0, 0);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER));
  gst_buffer_unref (buf);

  buf = flv_header_new (FALSE, TRUE);
  ASSERT_BUFFER (buf, 'F', 'L', 'V', 0x01, 0x01, 0, 0, 0, 9, 0, 0, 0, 0);
  gst_buffer_unref (buf);

  buf = flv_header_new (TRUE, FALSE);
  ASSERT_BUFFER (buf, 'F', 'L', 'V', 0x01, 0x04, 0, 0, 0, 9, 0, 0, 0, 0);
  gst_buffer_unref (buf);
}

static void
test_header_parse (void)
{
  const guint8 good[] = { 'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9 };
  const guint8 video[] = { 'F', 'L', 'V', 1, 0x01, 0, 0, 0, 9 };
  const guint8 bad_sig[] = { 'F', 'L', 'X', 1, 0x05, 0, 0, 0, 9 };
  const guint8 bad_offset[] = { 'F', 'L', 'V', 1, 0x05, 0, 0, 0, 8 };
  const guint8 big_offset[] = { 'F', 'L', 'V', 2, 0x05, 0, 0, 1, 0 };
  FlvHeader h;
  GError *error = NULL;

  g_assert_true (flv_header_parse (good, sizeof (good), &h, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (h.version, ==, 1);
  g_assert_true (h.has_audio);
  g_assert_true (h.has_video);
  g_assert_cmpuint (h.data_offset, ==, 9);

  g_assert_true (flv_header_parse (video, sizeof (video), &h, NULL));
  g_assert_false (h.has_audio);
  g_assert_true (h.has_video);

  g_assert_true (flv_header_parse (big_offset, sizeof (big_offset), &h, NULL));
  g_assert_cmpuint (h.version, ==, 2);
  g_assert_cmpuint (h.data_offset, ==, 256);

  g_assert_false (flv_header_parse (good, 8, &h, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED);
  g_clear_error (&error);

  g_assert_false (flv_header_parse (bad_sig, sizeof (bad_sig), &h, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "46 4c 58"));
  g_clear_error (&error);

  g_assert_false (
      flv_header_parse (bad_offset, sizeof (bad_offset), &h, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "data offset 8"));
  g_clear_error (&error);
}

/* tags */

static void
test_tag_vectors (void)
{
  struct
  {
    guint8 type;
    guint32 timestamp;
    guint8 ts_bytes[4]; /* 24-bit big-endian, then the extension */
  } cases[] = {
    { 8, 0, { 0, 0, 0, 0 } },
    { 9, 0x123456, { 0x12, 0x34, 0x56, 0 } },
    { 9, 0xffffff, { 0xff, 0xff, 0xff, 0 } },
    { 8, 0x1000000, { 0, 0, 0, 0x01 } },
    { 18, 0x12345678, { 0x34, 0x56, 0x78, 0x12 } },
    { 9, 0xffffffff, { 0xff, 0xff, 0xff, 0xff } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstBuffer *payload = BUF ('A', 'B', 'C');
    RtmpMessage *msg =
        rtmp_message_new (cases[i].type, cases[i].timestamp, 1, payload);
    const guint8 *t = cases[i].ts_bytes;
    GError *error = NULL;
    GstBuffer *tag = flv_tag_from_message (msg, &error);
    RtmpMessage *back;

    g_assert_no_error (error);
    ASSERT_BUFFER (tag, cases[i].type, 0, 0, 3, t[0], t[1], t[2], t[3], 0, 0, 0,
        'A', 'B', 'C', 0, 0, 0, 14);

    /* zero copy: header memory, the payload's own memory, trailer */
    g_assert_cmpuint (gst_buffer_n_memory (tag), ==, 3);
    g_assert_true (
        gst_buffer_peek_memory (tag, 1) == gst_buffer_peek_memory (payload, 0));

    back = flv_tag_to_message (tag, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (back->type, ==, cases[i].type);
    g_assert_cmpuint (back->timestamp, ==, cases[i].timestamp);
    g_assert_cmpuint (back->stream_id, ==, 0);
    ASSERT_BUFFER (back->payload, 'A', 'B', 'C');
    assert_same_bytes (back->payload, 0, payload, 0);

    rtmp_message_free (back);
    gst_buffer_unref (tag);
    rtmp_message_free (msg);
  }
}

static void
test_tag_empty_payload (void)
{
  RtmpMessage *msg = rtmp_message_new (8, 40, 1, NULL);
  GstBuffer *tag = flv_tag_from_message (msg, NULL);
  RtmpMessage *back;

  ASSERT_BUFFER (tag, 8, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 11);
  back = flv_tag_to_message (tag, NULL);
  g_assert_nonnull (back);
  g_assert_cmpuint (gst_buffer_get_size (back->payload), ==, 0);
  rtmp_message_free (back);
  gst_buffer_unref (tag);
  rtmp_message_free (msg);
}

static void
test_tag_from_message_errors (void)
{
  RtmpMessage *msg = rtmp_message_new (20, 0, 0, BUF (2, 0, 1, 'x'));
  GError *error = NULL;

  g_assert_null (flv_tag_from_message (msg, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_UNKNOWN_TYPE);
  g_assert_nonnull (strstr (error->message, "type 20"));
  g_clear_error (&error);
  rtmp_message_free (msg);

  msg = rtmp_message_new (
      9, 0, 0, gst_buffer_new_allocate (NULL, 0x1000000, NULL));
  g_assert_null (flv_tag_from_message (msg, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE);
  g_clear_error (&error);
  rtmp_message_free (msg);

  /* the largest payload that fits */
  msg = rtmp_message_new (
      9, 0, 0, gst_buffer_new_allocate (NULL, 0xffffff, NULL));
  {
    GstBuffer *tag = flv_tag_from_message (msg, &error);
    guint8 head[4];

    g_assert_no_error (error);
    gst_buffer_extract (tag, 0, head, 4);
    g_assert_cmpmem (head, 4, ((const guint8[]){ 9, 0xff, 0xff, 0xff }), 4);
    gst_buffer_unref (tag);
  }
  rtmp_message_free (msg);
}

static void
test_tag_to_message_errors (void)
{
  struct
  {
    GstBuffer *tag;
    gint code;
    const gchar *fragment;
  } cases[] = {
    { BUF (9, 0, 0, 1, 0, 0, 0, 0, 0, 0), RTMP_ERROR_TRUNCATED, "10 bytes" },
    { BUF (9, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1), RTMP_ERROR_TRUNCATED,
        "DataSize 2" },
    { BUF (9, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0), RTMP_ERROR_INVALID,
        "2 bytes after" },
    { BUF (7, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1), RTMP_ERROR_UNKNOWN_TYPE,
        "type 7" },
    { BUF (0x29, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1), RTMP_ERROR_UNSUPPORTED,
        "encrypted" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *error = NULL;

    g_assert_null (flv_tag_to_message (cases[i].tag, &error));
    g_assert_error (error, RTMP_ERROR, cases[i].code);
    g_assert_nonnull (strstr (error->message, cases[i].fragment));
    g_clear_error (&error);
    gst_buffer_unref (cases[i].tag);
  }
}

static void
test_tag_to_message_lenient (void)
{
  /* no trailer, and a wrong trailer: both accepted; stream id kept */
  GstBuffer *bare = BUF (9, 0, 0, 1, 0, 0, 5, 0, 0, 0, 3, 0x17);
  GstBuffer *wrong = BUF (9, 0, 0, 1, 0, 0, 5, 0, 0, 0, 0, 0x17, 0, 0, 0, 99);
  RtmpMessage *msg;

  msg = flv_tag_to_message (bare, NULL);
  g_assert_nonnull (msg);
  g_assert_cmpuint (msg->timestamp, ==, 5);
  g_assert_cmpuint (msg->stream_id, ==, 3);
  ASSERT_BUFFER (msg->payload, 0x17);
  rtmp_message_free (msg);

  msg = flv_tag_to_message (wrong, NULL);
  g_assert_nonnull (msg);
  ASSERT_BUFFER (msg->payload, 0x17);
  rtmp_message_free (msg);

  gst_buffer_unref (bare);
  gst_buffer_unref (wrong);
}

/* @setDataFrame */

#define AMF_ON_METADATA                                                        \
  0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a'
#define AMF_SET_DATA_FRAME                                                     \
  0x02, 0x00, 0x0d, '@', 's', 'e', 't', 'D', 'a', 't', 'a', 'F', 'r', 'a',     \
      'm', 'e'
/* ECMA array of one: "w" = 64.0 */
#define AMF_ECMA                                                               \
  0x08, 0, 0, 0, 1, 0, 1, 'w', 0x00, 0x40, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 9

static void
test_set_data_frame (void)
{
  GstBuffer *meta = BUF (AMF_ON_METADATA, AMF_ECMA);
  GstBuffer *wrapped, *unwrapped, *again, *cue, *same;
  gchar *name;

  name = flv_data_get_name (meta);
  g_assert_cmpstr (name, ==, "onMetaData");
  g_free (name);

  wrapped = flv_data_wrap_set_data_frame (meta);
  ASSERT_BUFFER (wrapped, AMF_SET_DATA_FRAME, AMF_ON_METADATA, AMF_ECMA);
  g_assert_cmpuint (gst_buffer_n_memory (wrapped), ==, 2);
  g_assert_true (
      gst_buffer_peek_memory (wrapped, 1) == gst_buffer_peek_memory (meta, 0));
  name = flv_data_get_name (wrapped);
  g_assert_cmpstr (name, ==, "@setDataFrame");
  g_free (name);

  /* already wrapped: the same buffer back */
  again = flv_data_wrap_set_data_frame (wrapped);
  g_assert_true (again == wrapped);
  gst_buffer_unref (again);

  unwrapped = flv_data_unwrap_set_data_frame (wrapped);
  ASSERT_BUFFER (unwrapped, AMF_ON_METADATA, AMF_ECMA);
  assert_same_bytes (unwrapped, 0, meta, 0);

  /* not wrapped: the same buffer back */
  same = flv_data_unwrap_set_data_frame (meta);
  g_assert_true (same == meta);
  gst_buffer_unref (same);

  /* onCuePoint is not wrapped (FFmpeg does the same) */
  cue = BUF (
      0x02, 0x00, 0x0a, 'o', 'n', 'C', 'u', 'e', 'P', 'o', 'i', 'n', 't', 0x05);
  same = flv_data_wrap_set_data_frame (cue);
  g_assert_true (same == cue);
  gst_buffer_unref (same);
  gst_buffer_unref (cue);

  /* |RtmpSampleAccess is */
  cue = BUF (0x02, 0x00, 0x11, '|', 'R', 't', 'm', 'p', 'S', 'a', 'm', 'p', 'l',
      'e', 'A', 'c', 'c', 'e', 's', 's', 0x01, 0x01);
  same = flv_data_wrap_set_data_frame (cue);
  g_assert_cmpuint (gst_buffer_get_size (same), ==, 16 + 22);
  gst_buffer_unref (same);
  gst_buffer_unref (cue);

  gst_buffer_unref (unwrapped);
  gst_buffer_unref (wrapped);
  gst_buffer_unref (meta);
}

static void
test_data_name_edge_cases (void)
{
  GstBuffer *bufs[] = {
    BUF (0x02, 0x00), /* truncated length */
    BUF (0x02, 0x00, 0x05, 'a', 'b'), /* length past the end */
    BUF (0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0), /* a number first */
    gst_buffer_new (),
  };
  GstBuffer *empty_name = BUF (0x02, 0x00, 0x00, 0x05);
  gchar *name;

  for (guint i = 0; i < G_N_ELEMENTS (bufs); i++) {
    GstBuffer *same;

    g_assert_null (flv_data_get_name (bufs[i]));
    same = flv_data_wrap_set_data_frame (bufs[i]);
    g_assert_true (same == bufs[i]);
    gst_buffer_unref (same);
    same = flv_data_unwrap_set_data_frame (bufs[i]);
    g_assert_true (same == bufs[i]);
    gst_buffer_unref (same);
    gst_buffer_unref (bufs[i]);
  }
  name = flv_data_get_name (empty_name);
  g_assert_cmpstr (name, ==, "");
  g_free (name);
  gst_buffer_unref (empty_name);
}

/* classification */

typedef struct
{
  const gchar *name;
  guint8 type;
  const guint8 *data;
  gsize size;
  FlvPacketKind kind;
  FlvCodec codec;
  gboolean keyframe;
  gint32 cts;
  gsize header_size;
  gint packet_type;
  guint32 fourcc;
} InfoCase;

#define INFO(n, t, bytes, k, c, key, ct, hs, pt, fcc)                          \
  {                                                                            \
    n, t, (const guint8[]) bytes, sizeof ((const guint8[]) bytes), k, c, key,  \
        ct, hs, pt, fcc                                                        \
  }
#define B(...)                                                                 \
  {                                                                            \
    __VA_ARGS__                                                                \
  }
#define HVC1 'h', 'v', 'c', '1'
#define AVC1 'a', 'v', 'c', '1'
#define AV01 'a', 'v', '0', '1'
#define VP09 'v', 'p', '0', '9'

static const InfoCase info_cases[] = {
  /* legacy audio */
  INFO ("aac sequence header", 8, B (0xaf, 0x00, 0x12, 0x10), FLV_PACKET_CONFIG,
      FLV_CODEC_AAC, TRUE, 0, 2, 0, 0),
  INFO ("aac raw", 8, B (0xaf, 0x01, 0x21, 0x00), FLV_PACKET_CODED,
      FLV_CODEC_AAC, TRUE, 0, 2, 1, 0),
  INFO ("mp3", 8, B (0x2f, 0xff, 0xfb), FLV_PACKET_CODED, FLV_CODEC_MP3, TRUE,
      0, 1, -1, 0),
  INFO ("speex", 8, B (0xb2, 0x00), FLV_PACKET_CODED, FLV_CODEC_SPEEX, TRUE, 0,
      1, -1, 0),
  INFO ("g711 mu-law", 8, B (0x82, 0xff), FLV_PACKET_CODED,
      FLV_CODEC_G711_MULAW, TRUE, 0, 1, -1, 0),
  /* legacy video */
  INFO ("avc sequence header", 9, B (0x17, 0x00, 0x00, 0x00, 0x00, 0x01),
      FLV_PACKET_CONFIG, FLV_CODEC_AVC, TRUE, 0, 5, 0, 0),
  INFO ("avc sequence header ignores cts bytes", 9,
      B (0x17, 0x00, 0x00, 0x00, 0x28, 0x01), FLV_PACKET_CONFIG, FLV_CODEC_AVC,
      TRUE, 0, 5, 0, 0),
  INFO ("avc key nalu", 9, B (0x17, 0x01, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0x65),
      FLV_PACKET_CODED, FLV_CODEC_AVC, TRUE, 80, 5, 1, 0),
  INFO ("avc inter nalu negative cts", 9,
      B (0x27, 0x01, 0xff, 0xff, 0x9c, 0, 0, 0, 1, 0x41), FLV_PACKET_CODED,
      FLV_CODEC_AVC, FALSE, -100, 5, 1, 0),
  INFO ("avc cts extremes", 9, B (0x27, 0x01, 0x7f, 0xff, 0xff),
      FLV_PACKET_CODED, FLV_CODEC_AVC, FALSE, 0x7fffff, 5, 1, 0),
  INFO ("avc cts most negative", 9, B (0x27, 0x01, 0x80, 0x00, 0x00),
      FLV_PACKET_CODED, FLV_CODEC_AVC, FALSE, -0x800000, 5, 1, 0),
  INFO ("avc end of sequence", 9, B (0x17, 0x02, 0x00, 0x00, 0x00),
      FLV_PACKET_END_OF_SEQUENCE, FLV_CODEC_AVC, TRUE, 0, 5, 2, 0),
  INFO ("legacy hevc (id 12) nalu", 9, B (0x2c, 0x01, 0x00, 0x00, 0x28),
      FLV_PACKET_CODED, FLV_CODEC_HEVC, FALSE, 40, 5, 1, 0),
  INFO ("legacy hevc (id 12) sequence header", 9,
      B (0x1c, 0x00, 0x00, 0x00, 0x00, 0x01), FLV_PACKET_CONFIG, FLV_CODEC_HEVC,
      TRUE, 0, 5, 0, 0),
  INFO ("generated keyframe", 9, B (0x47, 0x01, 0x00, 0x00, 0x00),
      FLV_PACKET_CODED, FLV_CODEC_AVC, TRUE, 0, 5, 1, 0),
  INFO ("disposable h263", 9, B (0x32, 0x00, 0x00), FLV_PACKET_CODED,
      FLV_CODEC_H263, FALSE, 0, 1, -1, 0),
  INFO ("vp6", 9, B (0x14, 0x00, 0x46), FLV_PACKET_CODED, FLV_CODEC_VP6, TRUE,
      0, 1, -1, 0),
  INFO ("avc command frame", 9, B (0x57, 0x01), FLV_PACKET_COMMAND,
      FLV_CODEC_AVC, FALSE, 0, 2, -1, 0),
  INFO ("unknown legacy codec", 9, B (0x2a, 0x00), FLV_PACKET_CODED,
      FLV_CODEC_UNKNOWN, FALSE, 0, 1, -1, 0),
  /* Enhanced RTMP video */
  INFO ("hvc1 sequence start", 9, B (0x90, HVC1, 0x01, 0x01, 0x60),
      FLV_PACKET_CONFIG, FLV_CODEC_HEVC, TRUE, 0, 5, 0, FLV_FOURCC_HVC1),
  INFO ("hvc1 coded frames with cts", 9,
      B (0x91, HVC1, 0x00, 0x00, 0x21, 0, 0, 0, 2, 0x26, 0x01),
      FLV_PACKET_CODED, FLV_CODEC_HEVC, TRUE, 33, 8, 1, FLV_FOURCC_HVC1),
  INFO ("hvc1 inter coded frames negative cts", 9,
      B (0xa1, HVC1, 0xff, 0xff, 0xff, 0, 0, 0, 2, 0x02, 0x01),
      FLV_PACKET_CODED, FLV_CODEC_HEVC, FALSE, -1, 8, 1, FLV_FOURCC_HVC1),
  INFO ("hvc1 coded frames x", 9, B (0xa3, HVC1, 0, 0, 0, 2, 0x02, 0x01),
      FLV_PACKET_CODED, FLV_CODEC_HEVC, FALSE, 0, 5, 3, FLV_FOURCC_HVC1),
  INFO ("hvc1 sequence end", 9, B (0x92, HVC1), FLV_PACKET_END_OF_SEQUENCE,
      FLV_CODEC_HEVC, TRUE, 0, 5, 2, FLV_FOURCC_HVC1),
  INFO ("avc1 coded frames with cts", 9, B (0xa1, AVC1, 0x00, 0x00, 0x64),
      FLV_PACKET_CODED, FLV_CODEC_AVC, FALSE, 100, 8, 1, FLV_FOURCC_AVC1),
  INFO ("av01 sequence start", 9, B (0x90, AV01, 0x81, 0x00, 0x0c, 0x00),
      FLV_PACKET_CONFIG, FLV_CODEC_AV1, TRUE, 0, 5, 0, FLV_FOURCC_AV01),
  INFO ("av01 coded frames have no cts", 9, B (0x91, AV01, 0x12, 0x00, 0x0a),
      FLV_PACKET_CODED, FLV_CODEC_AV1, TRUE, 0, 5, 1, FLV_FOURCC_AV01),
  INFO ("av01 mpeg2ts sequence start", 9, B (0x95, AV01, 0x80),
      FLV_PACKET_CONFIG, FLV_CODEC_AV1, TRUE, 0, 5, 5, FLV_FOURCC_AV01),
  INFO ("vp09 sequence start", 9, B (0x90, VP09, 0x01, 0x00), FLV_PACKET_CONFIG,
      FLV_CODEC_VP9, TRUE, 0, 5, 0, FLV_FOURCC_VP09),
  INFO ("vp09 inter coded frames", 9, B (0xa1, VP09, 0x86), FLV_PACKET_CODED,
      FLV_CODEC_VP9, FALSE, 0, 5, 1, FLV_FOURCC_VP09),
  INFO ("unknown fourcc", 9, B (0x91, 'x', 'y', 'z', 'w', 0), FLV_PACKET_CODED,
      FLV_CODEC_UNKNOWN, TRUE, 0, 5, 1, FLV_FOURCC ('x', 'y', 'z', 'w')),
  INFO ("metadata (frame type ignored)", 9,
      B (0xd4, HVC1, 0x02, 0x00, 0x09, 'c', 'o', 'l', 'o', 'r', 'I', 'n', 'f',
          'o', 0x03, 0, 0, 9),
      FLV_PACKET_METADATA, FLV_CODEC_HEVC, FALSE, 0, 5, 4, FLV_FOURCC_HVC1),
  INFO ("v2 command frame has no fourcc", 9, B (0xd0, 0x00), FLV_PACKET_COMMAND,
      FLV_CODEC_UNKNOWN, FALSE, 0, 2, 0, 0),
  INFO ("mod ex timestamp offset nano, then coded frames", 9,
      B (0x97, 0x02, 0x00, 0x03, 0xe8, 0x01, HVC1, 0x00, 0x00, 0x0a, 0xaa),
      FLV_PACKET_CODED, FLV_CODEC_HEVC, TRUE, 10, 13, 1, FLV_FOURCC_HVC1),
  INFO ("multitrack one track", 9, B (0x96, 0x01, HVC1, 0x00, 0xaa),
      FLV_PACKET_CODED, FLV_CODEC_HEVC, TRUE, 0, 6, 1, FLV_FOURCC_HVC1),
  INFO ("multitrack many tracks", 9, B (0x96, 0x10, AV01, 0x00),
      FLV_PACKET_CONFIG, FLV_CODEC_AV1, TRUE, 0, 6, 0, FLV_FOURCC_AV01),
  INFO ("multitrack many codecs", 9, B (0xa6, 0x21, HVC1, 0x00),
      FLV_PACKET_CODED, FLV_CODEC_UNKNOWN, FALSE, 0, 2, 1, 0),
  /* Enhanced RTMP audio */
  INFO ("opus sequence start", 8,
      B (0x90, 'O', 'p', 'u', 's', 'O', 'p', 'u', 's', 'H', 'e', 'a', 'd'),
      FLV_PACKET_CONFIG, FLV_CODEC_OPUS, TRUE, 0, 5, 0, FLV_FOURCC_OPUS),
  INFO ("flac coded frames", 8, B (0x91, 'f', 'L', 'a', 'C', 0xff, 0xf8),
      FLV_PACKET_CODED, FLV_CODEC_FLAC, TRUE, 0, 5, 1, FLV_FOURCC_FLAC),
  INFO ("ac-3 coded frames", 8, B (0x91, 'a', 'c', '-', '3', 0x0b, 0x77),
      FLV_PACKET_CODED, FLV_CODEC_AC3, TRUE, 0, 5, 1, FLV_FOURCC_AC3),
  INFO ("ec-3 sequence end", 8, B (0x92, 'e', 'c', '-', '3'),
      FLV_PACKET_END_OF_SEQUENCE, FLV_CODEC_EAC3, TRUE, 0, 5, 2,
      FLV_FOURCC_EAC3),
  INFO ("mp4a sequence start", 8, B (0x90, 'm', 'p', '4', 'a', 0x12, 0x10),
      FLV_PACKET_CONFIG, FLV_CODEC_AAC, TRUE, 0, 5, 0, FLV_FOURCC_MP4A),
  INFO (".mp3 coded frames", 8, B (0x91, '.', 'm', 'p', '3', 0xff, 0xfb),
      FLV_PACKET_CODED, FLV_CODEC_MP3, TRUE, 0, 5, 1, FLV_FOURCC_MP3),
  INFO ("opus multichannel config", 8, B (0x94, 'O', 'p', 'u', 's', 1, 6),
      FLV_PACKET_CHANNEL_CONFIG, FLV_CODEC_OPUS, TRUE, 0, 5, 4,
      FLV_FOURCC_OPUS),
  INFO ("audio multitrack", 8, B (0x95, 0x11, 'O', 'p', 'u', 's', 0x00),
      FLV_PACKET_CODED, FLV_CODEC_OPUS, TRUE, 0, 6, 1, FLV_FOURCC_OPUS),
  INFO ("audio mod ex", 8,
      B (0x97, 0x02, 0x00, 0x01, 0x00, 0x01, 'O', 'p', 'u', 's', 0xfc),
      FLV_PACKET_CODED, FLV_CODEC_OPUS, TRUE, 0, 10, 1, FLV_FOURCC_OPUS),
  /* script */
  INFO ("script data", 18, B (AMF_ON_METADATA, AMF_ECMA), FLV_PACKET_SCRIPT,
      FLV_CODEC_UNKNOWN, TRUE, 0, 0, -1, 0),
};

static void
test_info_vectors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (info_cases); i++) {
    const InfoCase *c = &info_cases[i];
    FlvTagInfo info, info2;
    GError *error = NULL;
    GstBuffer *buf;

    g_test_message ("%s", c->name);
    g_assert_true (
        flv_tag_info_parse (c->type, c->data, c->size, &info, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (info.tag_type, ==, c->type);
    g_assert_cmpstr (
        flv_packet_kind_name (info.kind), ==, flv_packet_kind_name (c->kind));
    g_assert_cmpstr (
        flv_codec_name (info.codec), ==, flv_codec_name (c->codec));
    g_assert_cmpint (info.keyframe, ==, c->keyframe);
    g_assert_cmpint (info.composition_time, ==, c->cts);
    g_assert_cmpuint (info.header_size, ==, c->header_size);
    g_assert_cmpint (info.packet_type, ==, c->packet_type);
    g_assert_cmphex (info.fourcc, ==, c->fourcc);
    g_assert_cmpint (info.ex_header, ==,
        c->fourcc != 0 ||
            (c->size > 0 && c->type == 9 && (c->data[0] & 0x80)) ||
            (c->size > 0 && c->type == 8 && (c->data[0] >> 4) == 9));

    /* the buffer form agrees */
    buf = bytes_buffer (c->data, c->size);
    g_assert_true (flv_tag_info_parse_buffer (c->type, buf, &info2, NULL));
    g_assert_cmpmem (&info, sizeof (info), &info2, sizeof (info2));
    gst_buffer_unref (buf);
  }
}

static void
test_info_details (void)
{
  FlvTagInfo info;
  const guint8 aac[] = { 0xaf, 0x00, 0x12, 0x10 };
  const guint8 pcm[] = { 0x32, 0x00 }; /* PCM LE, 5.5 kHz, 8 bit, mono */
  const guint8 modex[] = { 0x97, 0x02, 0x00, 0x03, 0xe8, 0x01, HVC1, 0, 0, 1 };
  const guint8 cmd[] = { 0x57, 0x00 };
  const guint8 mt[] = { 0xa6, 0x21, HVC1 };

  g_assert_true (flv_tag_info_parse (8, aac, sizeof (aac), &info, NULL));
  g_assert_cmpuint (info.codec_id, ==, FLV_SOUND_FORMAT_AAC);
  g_assert_cmpuint (info.sound_rate, ==, 3);
  g_assert_cmpuint (info.sound_size, ==, 1);
  g_assert_cmpuint (info.sound_type, ==, 1);
  g_assert_false (info.ex_header);

  g_assert_true (flv_tag_info_parse (8, pcm, sizeof (pcm), &info, NULL));
  g_assert_cmpuint (info.codec, ==, FLV_CODEC_PCM_LE);
  g_assert_cmpuint (info.sound_rate, ==, 0);
  g_assert_cmpuint (info.sound_size, ==, 1);
  g_assert_cmpuint (info.sound_type, ==, 0);

  g_assert_true (flv_tag_info_parse (9, modex, sizeof (modex), &info, NULL));
  g_assert_cmpuint (info.nano_offset, ==, 1000);
  g_assert_cmpuint (info.frame_type, ==, FLV_FRAME_KEY);

  g_assert_true (flv_tag_info_parse (9, cmd, sizeof (cmd), &info, NULL));
  g_assert_cmpuint (info.video_command, ==, 0);
  g_assert_cmpuint (info.frame_type, ==, FLV_FRAME_COMMAND);
  g_assert_cmpuint (info.codec_id, ==, FLV_VIDEO_CODEC_ID_AVC);

  g_assert_true (flv_tag_info_parse (9, mt, sizeof (mt), &info, NULL));
  g_assert_true (info.multitrack);
  g_assert_cmpuint (
      info.multitrack_type, ==, FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS);

  g_assert_true (flv_tag_info_parse (8, NULL, 0, &info, NULL));
  g_assert_cmpuint (info.kind, ==, FLV_PACKET_SILENCE);
}

/* A ModEx run longer than the 64 bytes flv_tag_info_parse_buffer() peeks:
 * 16-bit size, 300 bytes of an unknown ModEx type, then SequenceStart. */
static void
test_info_long_mod_ex (void)
{
  guint8 data[1 + 1 + 2 + 300 + 1 + 4 + 2];
  GstBuffer *buf;
  FlvTagInfo info;
  GError *error = NULL;
  gsize i = 0;

  data[i++] = 0x97;
  data[i++] = 0xff; /* 256: a UI16 follows */
  data[i++] = (300 - 1) >> 8;
  data[i++] = (300 - 1) & 0xff;
  memset (data + i, 0x55, 300);
  i += 300;
  data[i++] = 0x50; /* ModEx type 5 (unknown), packet type 0 */
  memcpy (data + i, "hvc1", 4);
  i += 4;
  data[i++] = 0x01;
  data[i++] = 0x01;
  g_assert_cmpuint (i, ==, sizeof (data));

  buf = bytes_buffer (data, sizeof (data));
  g_assert_true (flv_tag_info_parse_buffer (9, buf, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.kind, ==, FLV_PACKET_CONFIG);
  g_assert_cmpuint (info.codec, ==, FLV_CODEC_HEVC);
  g_assert_cmpuint (info.header_size, ==, sizeof (data) - 2);
  g_assert_cmpuint (info.nano_offset, ==, 0);
  gst_buffer_unref (buf);

  /* cut inside the ModEx data */
  buf = bytes_buffer (data, 200);
  g_assert_false (flv_tag_info_parse_buffer (9, buf, &info, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "ModEx data"));
  g_clear_error (&error);
  gst_buffer_unref (buf);
}

static void
test_info_errors (void)
{
  struct
  {
    guint8 type;
    const guint8 *data;
    gsize size;
    gint code;
    const gchar *fragment;
  } cases[] = {
#define ERR(t, bytes, c, f)                                                    \
  { t, (const guint8[]) bytes, sizeof ((const guint8[]) bytes), c, f }
    ERR (15, B (0), RTMP_ERROR_UNKNOWN_TYPE, "tag type 15"),
    ERR (8, B (0xaf), RTMP_ERROR_TRUNCATED, "AACPacketType"),
    ERR (8, B (0xaf, 0x02), RTMP_ERROR_UNKNOWN_TYPE, "AACPacketType 2"),
    ERR (
        9, B (0x17, 0x01, 0x00, 0x00), RTMP_ERROR_TRUNCATED, "CompositionTime"),
    ERR (9, B (0x17, 0x03, 0x00, 0x00, 0x00), RTMP_ERROR_UNKNOWN_TYPE,
        "AVCPacketType 3"),
    ERR (9, B (0x57), RTMP_ERROR_TRUNCATED, "VideoCommand"),
    ERR (9, B (0x91, 'h', 'v'), RTMP_ERROR_TRUNCATED, "FourCC"),
    ERR (9, B (0x91, HVC1, 0x00), RTMP_ERROR_TRUNCATED, "CompositionTime"),
    ERR (9, B (0x98, HVC1), RTMP_ERROR_UNKNOWN_TYPE, "VideoPacketType 8"),
    ERR (9, B (0x9f, HVC1), RTMP_ERROR_UNKNOWN_TYPE, "VideoPacketType 15"),
    ERR (9, B (0x97), RTMP_ERROR_TRUNCATED, "ModEx size"),
    ERR (9, B (0x97, 0x01, 0x00, 0x00, 0x01, HVC1), RTMP_ERROR_INVALID,
        "TimestampOffsetNano"),
    ERR (9, B (0x96, 0x06, HVC1), RTMP_ERROR_INVALID, "inside a multitrack"),
    ERR (9, B (0x96, 0x31, HVC1), RTMP_ERROR_UNKNOWN_TYPE, "multitrack type 3"),
    ERR (9, B (0x96), RTMP_ERROR_TRUNCATED, "multitrack type"),
    ERR (8, B (0x93, 'O', 'p', 'u', 's'), RTMP_ERROR_UNKNOWN_TYPE,
        "AudioPacketType 3"),
    ERR (8, B (0x90, 'O', 'p'), RTMP_ERROR_TRUNCATED, "FourCC"),
#undef ERR
  };
  FlvTagInfo info;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *error = NULL;

    g_assert_false (flv_tag_info_parse (
        cases[i].type, cases[i].data, cases[i].size, &info, &error));
    g_assert_error (error, RTMP_ERROR, cases[i].code);
    if (!strstr (error->message, cases[i].fragment))
      g_error ("case %u: '%s' does not say '%s'", i, error->message,
          cases[i].fragment);
    g_clear_error (&error);
  }
  {
    GError *error = NULL;

    g_assert_false (flv_tag_info_parse (9, NULL, 0, &info, &error));
    g_assert_error (error, RTMP_ERROR, RTMP_ERROR_TRUNCATED);
    g_clear_error (&error);
  }
}

/* aggregate messages */

static void
append_record (GByteArray *agg, guint8 type, guint32 ts, const guint8 *data,
    gsize size, gint32 back_delta)
{
  guint8 head[11] = { type, size >> 16, size >> 8, size, ts >> 16, ts >> 8, ts,
    ts >> 24, 0, 0, 0 };
  guint32 back = 11 + size + back_delta;
  guint8 tail[4] = { back >> 24, back >> 16, back >> 8, back };

  g_byte_array_append (agg, head, 11);
  g_byte_array_append (agg, data, size);
  g_byte_array_append (agg, tail, 4);
}

static RtmpMessage *
aggregate_message (GByteArray *agg, guint32 ts, guint32 stream_id)
{
  GBytes *bytes = g_byte_array_free_to_bytes (agg);
  RtmpMessage *msg = rtmp_message_new (
      RTMP_MESSAGE_TYPE_AGGREGATE, ts, stream_id, gbytes_buffer (bytes));

  g_bytes_unref (bytes);
  return msg;
}

static void
test_aggregate_split (void)
{
  const guint8 v1[] = { 0x17, 0x01, 0, 0, 0, 0xaa };
  const guint8 a1[] = { 0xaf, 0x01, 0xbb };
  const guint8 v2[] = { 0x27, 0x01, 0, 0, 0x28, 0xcc, 0xdd };
  GByteArray *agg = g_byte_array_new ();
  RtmpMessage *msg;
  GPtrArray *msgs;
  GError *error = NULL;
  GstMapInfo map;

  /* inner timestamps around 2^24 use the extension byte */
  append_record (agg, 9, 0x00fffff0, v1, sizeof (v1), 0);
  append_record (agg, 8, 0x01000005, a1, sizeof (a1), 0);
  append_record (agg, 9, 0x01000020, v2, sizeof (v2), 0);
  msg = aggregate_message (agg, 5000, 7);

  msgs = flv_aggregate_split (msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msgs->len, ==, 3);
  {
    RtmpMessage *m0 = msgs->pdata[0], *m1 = msgs->pdata[1],
                *m2 = msgs->pdata[2];

    g_assert_cmpuint (m0->type, ==, 9);
    g_assert_cmpuint (m0->timestamp, ==, 5000);
    g_assert_cmpuint (m0->stream_id, ==, 7);
    ASSERT_BUFFER (m0->payload, 0x17, 0x01, 0, 0, 0, 0xaa);
    g_assert_cmpuint (m1->type, ==, 8);
    g_assert_cmpuint (m1->timestamp, ==, 5000 + 0x15);
    g_assert_cmpuint (m1->stream_id, ==, 7);
    ASSERT_BUFFER (m1->payload, 0xaf, 0x01, 0xbb);
    g_assert_cmpuint (m2->timestamp, ==, 5000 + 0x30);
    ASSERT_BUFFER (m2->payload, 0x27, 0x01, 0, 0, 0x28, 0xcc, 0xdd);

    /* sub-buffers: the bytes are the aggregate's own */
    gst_buffer_map (msg->payload, &map, GST_MAP_READ);
    {
      GstMapInfo m;

      gst_buffer_map (m2->payload, &m, GST_MAP_READ);
      g_assert_true (
          m.data == map.data + 2 * 15 + sizeof (v1) + sizeof (a1) + 11);
      gst_buffer_unmap (m2->payload, &m);
    }
    gst_buffer_unmap (msg->payload, &map);
  }
  g_ptr_array_unref (msgs);
  rtmp_message_free (msg);
}

static void
test_aggregate_timestamp_wrap (void)
{
  const guint8 d[] = { 0xaf, 0x01, 0x00 };
  GByteArray *agg = g_byte_array_new ();
  RtmpMessage *msg;
  GPtrArray *msgs;

  /* first sub-message at 100 maps to 0xfffffff0; +0x20 wraps to 0x10 */
  append_record (agg, 8, 100, d, sizeof (d), 0);
  append_record (agg, 8, 100 + 0x20, d, sizeof (d), 0);
  /* a sub-message before the first one (offset -16) */
  append_record (agg, 8, 100 - 16, d, sizeof (d), 0);
  msg = aggregate_message (agg, 0xfffffff0, 1);
  msgs = flv_aggregate_split (msg, NULL);
  g_assert_nonnull (msgs);
  g_assert_cmpuint (
      ((RtmpMessage *) msgs->pdata[0])->timestamp, ==, 0xfffffff0);
  g_assert_cmpuint (((RtmpMessage *) msgs->pdata[1])->timestamp, ==, 0x10);
  g_assert_cmpuint (
      ((RtmpMessage *) msgs->pdata[2])->timestamp, ==, 0xffffffe0);
  g_ptr_array_unref (msgs);
  rtmp_message_free (msg);
}

static void
test_aggregate_lenient (void)
{
  const guint8 d[] = { 0x17, 0x01, 0, 0, 0 };
  GByteArray *agg = g_byte_array_new ();
  RtmpMessage *msg;
  GPtrArray *msgs;
  GError *error = NULL;

  /* a wrong back pointer, then a last record without one, empty payload */
  append_record (agg, 9, 0, d, sizeof (d), +3);
  append_record (agg, 9, 40, NULL, 0, 0);
  g_byte_array_set_size (agg, agg->len - 4);
  msg = aggregate_message (agg, 1000, 1);
  msgs = flv_aggregate_split (msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msgs->len, ==, 2);
  g_assert_cmpuint (((RtmpMessage *) msgs->pdata[1])->timestamp, ==, 1040);
  g_assert_cmpuint (
      gst_buffer_get_size (((RtmpMessage *) msgs->pdata[1])->payload), ==, 0);
  g_ptr_array_unref (msgs);
  rtmp_message_free (msg);

  /* empty aggregate: nothing, no error */
  msg = aggregate_message (g_byte_array_new (), 1000, 1);
  msgs = flv_aggregate_split (msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msgs->len, ==, 0);
  g_ptr_array_unref (msgs);
  rtmp_message_free (msg);
}

static void
test_aggregate_errors (void)
{
  const guint8 d[] = { 0x17, 0x01, 0, 0, 0, 0xaa, 0xbb };
  struct
  {
    const gchar *what;
    gint code;
    const gchar *fragment;
    guint good_before;
  } cases[] = {
    { "inner size too big", RTMP_ERROR_TRUNCATED, "size 200 exceeds", 1 },
    { "header cut", RTMP_ERROR_TRUNCATED, "header needs 11 bytes, 5 left", 1 },
    { "back pointer cut", RTMP_ERROR_TRUNCATED, "back pointer needs 4", 1 },
    { "nested aggregate", RTMP_ERROR_INVALID, "aggregate inside", 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GByteArray *agg = g_byte_array_new ();
    FlvAggregateIter iter;
    RtmpMessage *msg, *sub;
    GError *error = NULL;
    guint good = 0;

    append_record (agg, 9, 0, d, sizeof (d), 0);
    switch (i) {
      case 0:
        append_record (agg, 9, 0, d, sizeof (d), 0);
        agg->data[15 + sizeof (d) + 3] = 200; /* size 7 -> 200 */
        break;
      case 1:
        g_byte_array_append (agg, d, 5);
        break;
      case 2:
        append_record (agg, 8, 0, d, 2, 0);
        g_byte_array_set_size (agg, agg->len - 2);
        break;
      case 3:
        append_record (agg, 22, 0, d, sizeof (d), 0);
        break;
    }
    msg = aggregate_message (agg, 0, 1);

    g_assert_null (flv_aggregate_split (msg, &error));
    g_assert_error (error, RTMP_ERROR, cases[i].code);
    if (!strstr (error->message, cases[i].fragment))
      g_error ("%s: '%s' does not say '%s'", cases[i].what, error->message,
          cases[i].fragment);
    g_clear_error (&error);

    /* the iterator hands out the good records before the bad one */
    flv_aggregate_iter_init (&iter, msg);
    while (flv_aggregate_iter_next (&iter, &sub, &error)) {
      good++;
      rtmp_message_free (sub);
    }
    g_assert_nonnull (error);
    g_assert_null (sub);
    g_assert_cmpuint (good, ==, cases[i].good_before);
    g_clear_error (&error);
    /* and stays at the end */
    g_assert_false (flv_aggregate_iter_next (&iter, &sub, &error));
    g_assert_no_error (error);
    flv_aggregate_iter_clear (&iter);

    rtmp_message_free (msg);
  }
}

/* the streaming parser */

typedef struct
{
  guint8 type;
  guint32 timestamp;
  GBytes *payload;
} Tag;

static void
tag_free (gpointer p)
{
  Tag *t = p;

  g_bytes_unref (t->payload);
  g_free (t);
}

static void
collect (FlvParser *parser, GPtrArray *tags)
{
  RtmpMessage *msg;
  GError *error = NULL;

  while ((msg = flv_parser_pop (parser, &error))) {
    Tag *t = g_new0 (Tag, 1);
    GstMapInfo map;

    t->type = msg->type;
    t->timestamp = msg->timestamp;
    gst_buffer_map (msg->payload, &map, GST_MAP_READ);
    t->payload = g_bytes_new (map.data, map.size);
    gst_buffer_unmap (msg->payload, &map);
    g_ptr_array_add (tags, t);
    rtmp_message_free (msg);
  }
  g_assert_no_error (error);
}

/* Feeds @file in pieces cut by @rand (or of @step bytes when @rand is NULL)
 * and returns the tags. */
static GPtrArray *
parse_in_pieces (GBytes *file, gsize step, GRand *rand, FlvParserStats *stats)
{
  gsize size = g_bytes_get_size (file);
  FlvParser *parser = flv_parser_new ();
  GPtrArray *tags = g_ptr_array_new_with_free_func (tag_free);
  gsize off = 0;

  while (off < size) {
    gsize n = rand ? (gsize) g_rand_int_range (rand, 1, 4097) : step;

    GBytes *piece;

    n = MIN (n, size - off);
    piece = g_bytes_new_from_bytes (file, off, n);
    flv_parser_push (parser, gbytes_buffer (piece));
    g_bytes_unref (piece);
    off += n;
    collect (parser, tags);
  }
  g_assert_cmpuint (flv_parser_get_pending (parser), ==, 0);
  flv_parser_get_stats (parser, stats);
  flv_parser_free (parser);
  return tags;
}

static void
assert_same_tags (GPtrArray *a, GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++) {
    Tag *x = a->pdata[i], *y = b->pdata[i];

    g_assert_cmpuint (x->type, ==, y->type);
    g_assert_cmpuint (x->timestamp, ==, y->timestamp);
    g_assert_true (g_bytes_equal (x->payload, y->payload));
  }
}

/* The coded frames of @tags against NAME.packets (ffprobe's view). */
static void
compare_with_packets (const gchar *name, GPtrArray *tags)
{
  g_autofree gchar *pname = g_strconcat (name, ".packets", NULL);
  GBytes *pbytes = read_data_file (pname);
  g_autofree gchar *text =
      g_strndup (g_bytes_get_data (pbytes, NULL), g_bytes_get_size (pbytes));
  gchar **lines = g_strsplit (g_strstrip (text), "\n", -1);
  guint n = 0;

  for (guint i = 0; i < tags->len; i++) {
    Tag *t = tags->pdata[i];
    FlvTagInfo info;
    GError *error = NULL;
    gsize size;
    const guint8 *data = g_bytes_get_data (t->payload, &size);
    gchar **f;

    g_assert_true (flv_tag_info_parse (t->type, data, size, &info, &error));
    g_assert_no_error (error);
    /* FFmpeg reads a script tag at 0 as the file's metadata, and shows the
     * later ones (flvmux repeats onMetaData) as packets of a data stream */
    if (info.kind != FLV_PACKET_CODED &&
        !(info.kind == FLV_PACKET_SCRIPT && t->timestamp != 0))
      continue;

    g_assert_nonnull (lines[n]);
    f = g_strsplit (lines[n], ",", -1);
    g_assert_cmpuint (g_strv_length (f), >=, 5);
    if (t->type == 18)
      g_assert_cmpstr (f[0], ==, "subtitle");
    else
      g_assert_cmpstr (f[0], ==, t->type == 8 ? "audio" : "video");
    /* ffprobe: dts is the tag timestamp, pts = dts + composition time */
    g_assert_cmpint (g_ascii_strtoll (f[2], NULL, 10), ==, t->timestamp);
    g_assert_cmpint (g_ascii_strtoll (f[1], NULL, 10), ==,
        (gint64) t->timestamp + info.composition_time);
    g_assert_cmpuint (
        g_ascii_strtoull (f[3], NULL, 10), ==, size - info.header_size);
    if (t->type == 9)
      g_assert_cmpint (f[4][0] == 'K', ==, info.keyframe);
    g_strfreev (f);
    n++;
  }
  g_assert_cmpuint (n, ==, g_strv_length (lines));
  g_test_message ("%s: %u packets match ffprobe's", name, n);
  g_strfreev (lines);
  g_bytes_unref (pbytes);
}

static void
test_parser_real_file (gconstpointer user_data)
{
  const gchar *name = user_data;
  GBytes *file = read_data_file (name);
  FlvParserStats stats;
  GPtrArray *whole, *bytewise, *random;
  GRand *rand = g_rand_new_with_seed (0x464c56);
  GByteArray *rebuilt = g_byte_array_new ();
  FlvHeader header;
  GstBuffer *hbuf;
  GstMapInfo map;
  guint configs = 0;

  whole = parse_in_pieces (file, g_bytes_get_size (file), NULL, &stats);
  g_assert_cmpuint (stats.tags, ==, whole->len);
  g_assert_cmpuint (stats.bad_previous_tag_sizes, ==, 0);
  g_assert_cmpuint (stats.skipped_tags, ==, 0);
  g_assert_cmpuint (whole->len, >, 5);

  bytewise = parse_in_pieces (file, 1, NULL, &stats);
  assert_same_tags (whole, bytewise);
  for (guint i = 0; i < 20; i++) {
    random = parse_in_pieces (file, 0, rand, &stats);
    assert_same_tags (whole, random);
    g_ptr_array_unref (random);
  }

  compare_with_packets (name, whole);

  /* codec configuration comes first, as muxers write it */
  for (guint i = 0; i < whole->len; i++) {
    Tag *t = whole->pdata[i];
    FlvTagInfo info;

    g_assert_true (
        flv_tag_info_parse (t->type, g_bytes_get_data (t->payload, NULL),
            g_bytes_get_size (t->payload), &info, NULL));
    if (info.kind == FLV_PACKET_CONFIG)
      configs++;
    if (info.kind == FLV_PACKET_CODED)
      g_assert_cmpuint (configs, >, 0);
  }
  g_assert_cmpuint (configs, >=, 1);

  /* header + the tags rebuilt from the messages give the file back, byte
   * for byte */
  g_assert_true (
      flv_header_parse (g_bytes_get_data (file, NULL), 9, &header, NULL));
  hbuf = flv_header_new (header.has_audio, header.has_video);
  gst_buffer_map (hbuf, &map, GST_MAP_READ);
  g_byte_array_append (rebuilt, map.data, map.size);
  gst_buffer_unmap (hbuf, &map);
  gst_buffer_unref (hbuf);
  for (guint i = 0; i < whole->len; i++) {
    Tag *t = whole->pdata[i];
    RtmpMessage *msg =
        rtmp_message_new (t->type, t->timestamp, 1, gbytes_buffer (t->payload));
    GstBuffer *tag = flv_tag_from_message (msg, NULL);

    gst_buffer_map (tag, &map, GST_MAP_READ);
    g_byte_array_append (rebuilt, map.data, map.size);
    gst_buffer_unmap (tag, &map);
    gst_buffer_unref (tag);
    rtmp_message_free (msg);
  }
  g_assert_cmpmem (rebuilt->data, rebuilt->len, g_bytes_get_data (file, NULL),
      g_bytes_get_size (file));

  g_byte_array_unref (rebuilt);
  g_rand_free (rand);
  g_ptr_array_unref (bytewise);
  g_ptr_array_unref (whole);
  g_bytes_unref (file);
}

static void
test_parser_vectors (void)
{
  /* header with a 3-byte extension, PreviousTagSize0 of 7 (wrong), a video
   * tag at 0xffffffff with stream id 5 and a wrong PreviousTagSize, an
   * unknown tag type 7, an encrypted audio tag, then an empty script tag */
  const guint8 stream[] = {
    'F',
    'L',
    'V',
    1,
    0x01,
    0,
    0,
    0,
    12,
    0xee,
    0xee,
    0xee, /* header */
    0,
    0,
    0,
    7, /* PreviousTagSize0 */
    9,
    0,
    0,
    2,
    0xff,
    0xff,
    0xff,
    0xff,
    0,
    0,
    5,
    0x17,
    0x02,
    0,
    0,
    0,
    99,
    7,
    0,
    0,
    3,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    1,
    2,
    3,
    0,
    0,
    0,
    14,
    0x28,
    0,
    0,
    1,
    0,
    0,
    2,
    0,
    0,
    0,
    0,
    0xaf,
    0,
    0,
    0,
    12,
    18,
    0,
    0,
    0,
    0,
    0,
    3,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    11,
  };
  FlvParser *parser = flv_parser_new ();
  FlvParserStats stats;
  FlvHeader header;
  RtmpMessage *msg;
  GError *error = NULL;

  g_assert_false (flv_parser_get_header (parser, &header));
  for (gsize i = 0; i < sizeof (stream); i++)
    flv_parser_push (parser, bytes_buffer (stream + i, 1));

  msg = flv_parser_pop (parser, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  g_assert_cmpuint (msg->type, ==, 9);
  g_assert_cmpuint (msg->timestamp, ==, 0xffffffff);
  g_assert_cmpuint (msg->stream_id, ==, 0);
  ASSERT_BUFFER (msg->payload, 0x17, 0x02);
  /* zero copy across pushes: two 1-byte memories */
  g_assert_cmpuint (gst_buffer_n_memory (msg->payload), ==, 2);
  rtmp_message_free (msg);

  msg = flv_parser_pop (parser, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msg->type, ==, 18);
  g_assert_cmpuint (msg->timestamp, ==, 3);
  g_assert_cmpuint (gst_buffer_get_size (msg->payload), ==, 0);
  rtmp_message_free (msg);

  g_assert_null (flv_parser_pop (parser, &error));
  g_assert_no_error (error);

  g_assert_true (flv_parser_get_header (parser, &header));
  g_assert_true (header.has_video);
  g_assert_false (header.has_audio);
  g_assert_cmpuint (header.data_offset, ==, 12);
  flv_parser_get_stats (parser, &stats);
  g_assert_cmpuint (stats.tags, ==, 2);
  g_assert_cmpuint (stats.skipped_tags, ==, 2);
  g_assert_cmpuint (stats.bad_previous_tag_sizes, ==, 2);
  g_assert_cmpuint (stats.nonzero_stream_ids, ==, 1);
  g_assert_cmpuint (flv_parser_get_pending (parser), ==, 0);
  flv_parser_free (parser);
}

/* A tag spread over input buffers: no copy while a GstBuffer can hold its
 * pieces; past that, one copy, never a chain of merges. */
static void
test_parser_pieces (void)
{
  const guint max = gst_buffer_get_max_memory ();
  const guint sizes[] = { 3, max, max + 1, 3 * max };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++) {
    guint n_pieces = sizes[k];
    gsize psize = 100 * n_pieces; /* 100 bytes a piece */
    guint8 head[13 + 11] = { 'F', 'L', 'V', 1, 1, 0, 0, 0, 9, 0, 0, 0, 0, 9 };
    guint8 *payload = g_malloc (psize);
    FlvParser *parser = flv_parser_new ();
    GError *error = NULL;
    RtmpMessage *msg;
    GstMapInfo map;

    for (gsize i = 0; i < psize; i++)
      payload[i] = i * 7 + k;
    head[14] = psize >> 16;
    head[15] = psize >> 8;
    head[16] = psize;
    flv_parser_push (parser, bytes_buffer (head, sizeof (head)));
    for (guint i = 0; i < n_pieces; i++)
      flv_parser_push (parser, bytes_buffer (payload + i * 100, 100));
    msg = flv_parser_pop (parser, &error);
    g_assert_no_error (error);
    g_assert_nonnull (msg);
    g_assert_cmpuint (gst_buffer_get_size (msg->payload), ==, psize);
    if (n_pieces <= max)
      g_assert_cmpuint (gst_buffer_n_memory (msg->payload), ==, n_pieces);
    else
      g_assert_cmpuint (gst_buffer_n_memory (msg->payload), ==, 1);
    g_assert_true (gst_buffer_map (msg->payload, &map, GST_MAP_READ));
    g_assert_cmpmem (map.data, map.size, payload, psize);
    gst_buffer_unmap (msg->payload, &map);
    rtmp_message_free (msg);
    flv_parser_free (parser);
    g_free (payload);
  }
}

static void
test_parser_bad_header (void)
{
  const guint8 bad[] = { 'F', 'L', 'X', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0 };
  const guint8 good[] = { 'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0, 8, 0, 0,
    1, 0, 0, 0, 0, 0, 0, 0, 0x2f };
  FlvParser *parser = flv_parser_new ();
  GError *error = NULL;
  RtmpMessage *msg;

  flv_parser_push (parser, bytes_buffer (bad, 8));
  g_assert_null (flv_parser_pop (parser, &error));
  g_assert_no_error (error);
  flv_parser_push (parser, bytes_buffer (bad + 8, sizeof (bad) - 8));
  g_assert_null (flv_parser_pop (parser, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_INVALID);
  g_clear_error (&error);
  /* stays failed */
  g_assert_null (flv_parser_pop (parser, &error));
  g_assert_error (error, RTMP_ERROR, RTMP_ERROR_INVALID);
  g_clear_error (&error);

  flv_parser_reset (parser);
  flv_parser_push (parser, bytes_buffer (good, sizeof (good)));
  msg = flv_parser_pop (parser, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  ASSERT_BUFFER (msg->payload, 0x2f);
  rtmp_message_free (msg);
  /* the trailing PreviousTagSize has not arrived: nothing, no error */
  g_assert_null (flv_parser_pop (parser, &error));
  g_assert_no_error (error);
  flv_parser_free (parser);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flv/header/build", test_header_build);
  g_test_add_func ("/flv/header/parse", test_header_parse);
  g_test_add_func ("/flv/tag/vectors", test_tag_vectors);
  g_test_add_func ("/flv/tag/empty-payload", test_tag_empty_payload);
  g_test_add_func (
      "/flv/tag/from-message-errors", test_tag_from_message_errors);
  g_test_add_func ("/flv/tag/to-message-errors", test_tag_to_message_errors);
  g_test_add_func ("/flv/tag/to-message-lenient", test_tag_to_message_lenient);
  g_test_add_func ("/flv/data/set-data-frame", test_set_data_frame);
  g_test_add_func ("/flv/data/name-edge-cases", test_data_name_edge_cases);
  g_test_add_func ("/flv/info/vectors", test_info_vectors);
  g_test_add_func ("/flv/info/details", test_info_details);
  g_test_add_func ("/flv/info/long-mod-ex", test_info_long_mod_ex);
  g_test_add_func ("/flv/info/errors", test_info_errors);
  g_test_add_func ("/flv/aggregate/split", test_aggregate_split);
  g_test_add_func (
      "/flv/aggregate/timestamp-wrap", test_aggregate_timestamp_wrap);
  g_test_add_func ("/flv/aggregate/lenient", test_aggregate_lenient);
  g_test_add_func ("/flv/aggregate/errors", test_aggregate_errors);
  g_test_add_func ("/flv/parser/vectors", test_parser_vectors);
  g_test_add_func ("/flv/parser/bad-header", test_parser_bad_header);
  g_test_add_func ("/flv/parser/pieces", test_parser_pieces);
  g_test_add_data_func ("/flv/parser/ffmpeg-avc-aac", "ffmpeg-avc-aac.flv",
      test_parser_real_file);
  g_test_add_data_func (
      "/flv/parser/gst-avc-aac", "gst-avc-aac.flv", test_parser_real_file);
  g_test_add_data_func ("/flv/parser/hevc-opus-ertmp", "hevc-opus-ertmp.flv",
      test_parser_real_file);
  g_test_add_data_func (
      "/flv/parser/av1-ertmp", "av1-ertmp.flv", test_parser_real_file);

  return g_test_run ();
}

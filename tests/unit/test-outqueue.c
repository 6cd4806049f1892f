/* gst-rtmpe: the scatter-gather output queue
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include "rtmpoutqueue.h"

/* Drains @q through vectors in steps of @step bytes; returns the bytes. */
static GByteArray *
drain (RtmpOutQueue *q, gsize step)
{
  GByteArray *out = g_byte_array_new ();

  while (rtmp_out_queue_size (q) > 0) {
    GOutputVector v[7];
    guint n = rtmp_out_queue_peek (q, v, G_N_ELEMENTS (v));
    gsize take = step;

    g_assert_cmpuint (n, >, 0);
    for (guint i = 0; i < n && take > 0; i++) {
      gsize k = MIN (take, v[i].size);

      g_byte_array_append (out, v[i].buffer, k);
      take -= k;
    }
    rtmp_out_queue_consume (q, step - take);
  }
  return out;
}

static void
test_order_and_release (void)
{
  for (gsize step = 1; step < 300; step += 37) {
    RtmpOutQueue *q = rtmp_out_queue_new ();
    GByteArray *expect = g_byte_array_new ();
    GByteArray *got;
    GstBuffer *bufs[40];

    for (int i = 0; i < 40; i++) {
      guint8 hdr[3] = { i, i + 1, i + 2 };
      gsize size = 10 + i * 13;
      guint8 *data = g_malloc (size);
      RtmpOutPayload *p;

      for (gsize k = 0; k < size; k++)
        data[k] = i * 7 + k;
      bufs[i] = gst_buffer_new_wrapped (data, size);
      p = rtmp_out_payload_new (bufs[i]);
      /* header, half the payload, another header, the rest */
      rtmp_out_queue_push_bytes (q, hdr, 3);
      g_byte_array_append (expect, hdr, 3);
      rtmp_out_queue_push_slice (q, p, 0, size / 2);
      g_byte_array_append (expect, data, size / 2);
      rtmp_out_queue_push_bytes (q, hdr, 1);
      rtmp_out_queue_push_bytes (q, hdr + 1, 2);
      g_byte_array_append (expect, hdr, 3);
      rtmp_out_queue_push_slice (q, p, size / 2, size - size / 2);
      g_byte_array_append (expect, data + size / 2, size - size / 2);
      rtmp_out_payload_unref (p);
      /* the queue holds the only other reference */
      g_assert_cmpint (GST_MINI_OBJECT_REFCOUNT_VALUE (bufs[i]), ==, 2);
    }
    {
      guint8 big[100];

      memset (big, 0xab, sizeof (big));
      rtmp_out_queue_push_copy (q, big, sizeof (big));
      g_byte_array_append (expect, big, sizeof (big));
    }
    g_assert_cmpuint (rtmp_out_queue_size (q), ==, expect->len);
    got = drain (q, step);
    g_assert_cmpmem (got->data, got->len, expect->data, expect->len);
    for (int i = 0; i < 40; i++) {
      g_assert_cmpint (GST_MINI_OBJECT_REFCOUNT_VALUE (bufs[i]), ==, 1);
      gst_buffer_unref (bufs[i]);
    }
    g_assert_cmpuint (rtmp_out_queue_n_segments (q), ==, 0);
    g_byte_array_unref (got);
    g_byte_array_unref (expect);
    rtmp_out_queue_free (q);
  }
}

/* headers merge into one segment while they fit */
static void
test_merge (void)
{
  RtmpOutQueue *q = rtmp_out_queue_new ();
  guint8 b[RTMP_OUT_QUEUE_INLINE] = { 0 };

  rtmp_out_queue_push_bytes (q, b, 10);
  rtmp_out_queue_push_bytes (q, b, 10);
  g_assert_cmpuint (rtmp_out_queue_n_segments (q), ==, 1);
  rtmp_out_queue_push_bytes (q, b, 10);
  g_assert_cmpuint (rtmp_out_queue_n_segments (q), ==, 2);
  /* partly consumed segments are not merged into */
  rtmp_out_queue_consume (q, 25);
  rtmp_out_queue_push_bytes (q, b, 4);
  g_assert_cmpuint (rtmp_out_queue_n_segments (q), ==, 2);
  g_assert_cmpuint (rtmp_out_queue_size (q), ==, 9);
  rtmp_out_queue_free (q);
}

/* a partly consumed inline segment survives the ring growing */
static void
test_growth_keeps_inline (void)
{
  RtmpOutQueue *q = rtmp_out_queue_new ();
  GstBuffer *buf = gst_buffer_new_wrapped (g_malloc0 (8), 8);
  RtmpOutPayload *p = rtmp_out_payload_new (buf);
  guint8 hdr[5] = { 1, 2, 3, 4, 5 };
  GOutputVector v[1];

  rtmp_out_queue_push_bytes (q, hdr, 5);
  rtmp_out_queue_consume (q, 2);
  for (int i = 0; i < 500; i++)
    rtmp_out_queue_push_slice (q, p, 0, 8);
  g_assert_cmpuint (rtmp_out_queue_peek (q, v, 1), ==, 1);
  g_assert_cmpuint (v[0].size, ==, 3);
  g_assert_cmpmem (v[0].buffer, 3, hdr + 2, 3);
  rtmp_out_payload_unref (p);
  rtmp_out_queue_free (q);
  g_assert_cmpint (GST_MINI_OBJECT_REFCOUNT_VALUE (buf), ==, 1);
  gst_buffer_unref (buf);
}

/* A payload of several memories (one empty) is sent as it is: slices
 * crossing memories become one segment per memory, pointing into them. */
static void
test_multi_memory_payload (void)
{
  const gsize sizes[] = { 5, 0, 17, 1, 40 };
  GstBuffer *buf = gst_buffer_new ();
  GByteArray *expect = g_byte_array_new ();
  guint8 n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    guint8 *d = g_malloc (sizes[i] + 1);

    for (gsize j = 0; j < sizes[i]; j++)
      d[j] = n++;
    g_byte_array_append (expect, d, sizes[i]);
    gst_buffer_append_memory (buf,
        gst_memory_new_wrapped (0, d, sizes[i] + 1, 0, sizes[i], d, g_free));
  }
  for (gsize chunk = 1; chunk <= 70; chunk += 6) {
    RtmpOutQueue *q = rtmp_out_queue_new ();
    RtmpOutPayload *p = rtmp_out_payload_new (buf);
    GByteArray *got;
    GOutputVector v[64];
    guint nv;

    g_assert_nonnull (p);
    g_assert_null (rtmp_out_payload_data (p));
    g_assert_cmpuint (rtmp_out_payload_size (p), ==, expect->len);
    for (gsize off = 0; off < expect->len; off += chunk)
      rtmp_out_queue_push_slice (q, p, off, MIN (chunk, expect->len - off));
    rtmp_out_payload_unref (p);
    /* every segment points into one of the buffer's own memories */
    nv = rtmp_out_queue_peek (q, v, G_N_ELEMENTS (v));
    for (guint i = 0; i < nv; i++) {
      gboolean inside = FALSE;

      g_assert_cmpuint (v[i].size, >, 0);
      for (guint m = 0; m < gst_buffer_n_memory (buf); m++) {
        GstMapInfo map;

        gst_memory_map (gst_buffer_peek_memory (buf, m), &map, GST_MAP_READ);
        if ((const guint8 *) v[i].buffer >= map.data &&
            (const guint8 *) v[i].buffer + v[i].size <= map.data + map.size)
          inside = TRUE;
        gst_memory_unmap (gst_buffer_peek_memory (buf, m), &map);
      }
      g_assert_true (inside);
    }
    got = drain (q, 9);
    g_assert_cmpmem (got->data, got->len, expect->data, expect->len);
    g_byte_array_unref (got);
    rtmp_out_queue_free (q);
  }
  g_assert_cmpuint (gst_buffer_n_memory (buf), ==, G_N_ELEMENTS (sizes));
  g_assert_cmpint (GST_MINI_OBJECT_REFCOUNT_VALUE (buf), ==, 1);
  gst_buffer_unref (buf);
  g_byte_array_unref (expect);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/outqueue/order-and-release", test_order_and_release);
  g_test_add_func ("/outqueue/merge", test_merge);
  g_test_add_func ("/outqueue/growth-keeps-inline", test_growth_keeps_inline);
  g_test_add_func ("/outqueue/multi-memory-payload", test_multi_memory_payload);
  return g_test_run ();
}

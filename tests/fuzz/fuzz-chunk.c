/* gst-rtmpe: fuzz the chunk stream reader, and the writer with what it reads
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: one byte that seeds how the rest is cut, then the chunk stream
 * (the bytes after the handshake). Checks beyond "no crash, no leak":
 *  - the stream fed whole as one GstBuffer (sub-buffer path) and fed in
 *    pieces (copy path, headers split across pushes) gives the same
 *    messages and the same error, if any;
 *  - memory stays within the caps set here;
 *  - the messages written back by the writer read back identical.
 */
#include <string.h>

#include "rtmpchunk.h"
#include "rtmperror.h"

#define FUZZ_MAX_STREAMS 64
#define FUZZ_MAX_PENDING (1 << 20)

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);
const char *__asan_default_options (void);

/* gst_init () (GstBuffer needs it) leaves GLib's first quark block behind
 * on purpose, and this fast-unwinding build cannot tell that allocation
 * from ours by its stack. So LeakSanitizer's check at exit is off; the
 * check libFuzzer runs after any input that allocated more than it freed
 * stays on, and that is the one that finds our leaks. */
const char *
__asan_default_options (void)
{
  return "leak_check_at_exit=0";
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  RtmpChunkReader *r;
  RtmpChunkWriter *w;

  gst_init (NULL, NULL);
  /* the lazy one-time set-up (debug category, error quark) happens here,
   * not inside the first input */
  r = rtmp_chunk_reader_new ();
  w = rtmp_chunk_writer_new ();
  rtmp_chunk_reader_free (r);
  rtmp_chunk_writer_free (w);
  (void) rtmp_error_quark ();
  return 0;
}

typedef struct
{
  GPtrArray *msgs;
  GError *error;
} Result;

static void
result_clear (Result *res)
{
  g_ptr_array_unref (res->msgs);
  g_clear_error (&res->error);
}

static void
drain (RtmpChunkReader *r, GPtrArray *msgs)
{
  RtmpMessage *m;

  while ((m = rtmp_chunk_reader_pop (r)))
    g_ptr_array_add (msgs, m);
}

static RtmpChunkReader *
new_reader (void)
{
  RtmpChunkReader *r = rtmp_chunk_reader_new ();

  rtmp_chunk_reader_set_limits (r, FUZZ_MAX_STREAMS, FUZZ_MAX_PENDING);
  return r;
}

static void
check_bounds (RtmpChunkReader *r)
{
  g_assert (rtmp_chunk_reader_get_pending_bytes (r) <= FUZZ_MAX_PENDING);
  g_assert (rtmp_chunk_reader_get_n_chunk_streams (r) <= FUZZ_MAX_STREAMS);
}

static Result
read_whole (const guint8 *data, gsize size)
{
  RtmpChunkReader *r = new_reader ();
  GstBuffer *buf = gst_buffer_new_memdup (data, size);
  Result res = {
    g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free), NULL
  };
  guint32 seq;

  rtmp_chunk_reader_push_buffer (r, buf, &res.error);
  check_bounds (r);
  drain (r, res.msgs);
  rtmp_chunk_reader_take_ack (r, &seq);
  gst_buffer_unref (buf);
  rtmp_chunk_reader_free (r);
  return res;
}

static Result
read_pieces (const guint8 *data, gsize size, guint seed)
{
  RtmpChunkReader *r = new_reader ();
  Result res = {
    g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free), NULL
  };
  guint32 state = seed * 2654435761u + 1;
  gsize pos = 0;

  while (pos < size) {
    gsize n;
    gboolean ok;

    state = state * 1103515245u + 12345u;
    /* mostly tiny pieces, to split every header, sometimes big ones */
    n = (state >> 16) % ((state & 0x80000000u) ? 4096 : 9) + 1;
    n = MIN (n, size - pos);
    if (state & 0x100) {
      GstBuffer *buf = gst_buffer_new_memdup (data + pos, n);

      ok = rtmp_chunk_reader_push_buffer (r, buf, &res.error);
      gst_buffer_unref (buf);
    } else {
      ok = rtmp_chunk_reader_push_data (r, data + pos, n, &res.error);
    }
    pos += n;
    check_bounds (r);
    if (state & 0x200)
      drain (r, res.msgs);
    if (!ok)
      break;
  }
  drain (r, res.msgs);
  rtmp_chunk_reader_free (r);
  return res;
}

static void
assert_same_message (const RtmpMessage *a, const RtmpMessage *b)
{
  GstMapInfo ma, mb;

  g_assert (a->type == b->type);
  g_assert (a->timestamp == b->timestamp);
  g_assert (a->stream_id == b->stream_id);
  g_assert (a->chunk_stream_id == b->chunk_stream_id);
  g_assert (gst_buffer_map (a->payload, &ma, GST_MAP_READ));
  g_assert (gst_buffer_map (b->payload, &mb, GST_MAP_READ));
  g_assert (ma.size == mb.size);
  g_assert (ma.size == 0 || memcmp (ma.data, mb.data, ma.size) == 0);
  gst_buffer_unmap (a->payload, &ma);
  gst_buffer_unmap (b->payload, &mb);
}

/* the writer carries what the reader accepted, and it reads back the same */
static void
round_trip (GPtrArray *msgs)
{
  RtmpChunkWriter *w = rtmp_chunk_writer_new ();
  RtmpOutQueue *q = rtmp_out_queue_new ();
  RtmpChunkReader *r = rtmp_chunk_reader_new ();
  GPtrArray *back =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);

  for (guint i = 0; i < msgs->len; i++) {
    GError *error = NULL;

    if (!rtmp_chunk_writer_write (w, msgs->pdata[i], q, &error))
      g_error ("writer refused message %u: %s", i, error->message);
    /* drain as we go, through vectors, like a socket would */
    while (rtmp_out_queue_size (q) > 0) {
      GOutputVector v[32];
      guint n = rtmp_out_queue_peek (q, v, G_N_ELEMENTS (v));
      gsize sum = 0;

      for (guint k = 0; k < n; k++) {
        if (!rtmp_chunk_reader_push_data (r, v[k].buffer, v[k].size, &error))
          g_error ("reading back: %s", error->message);
        sum += v[k].size;
      }
      rtmp_out_queue_consume (q, sum);
    }
    drain (r, back);
  }
  g_assert (back->len == msgs->len);
  for (guint i = 0; i < msgs->len; i++)
    assert_same_message (back->pdata[i], msgs->pdata[i]);

  g_ptr_array_unref (back);
  rtmp_chunk_reader_free (r);
  rtmp_out_queue_free (q);
  rtmp_chunk_writer_free (w);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  Result whole, pieces;

  if (size < 2)
    return 0;

  whole = read_whole (data + 1, size - 1);
  pieces = read_pieces (data + 1, size - 1, data[0]);

  g_assert (whole.msgs->len == pieces.msgs->len);
  for (guint i = 0; i < whole.msgs->len; i++)
    assert_same_message (whole.msgs->pdata[i], pieces.msgs->pdata[i]);
  g_assert ((whole.error == NULL) == (pieces.error == NULL));
  if (whole.error) {
    g_assert (whole.error->domain == RTMP_ERROR);
    g_assert (whole.error->code == pieces.error->code);
    g_assert (g_str_equal (whole.error->message, pieces.error->message));
  }

  round_trip (whole.msgs);

  result_clear (&whole);
  result_clear (&pieces);
  return 0;
}

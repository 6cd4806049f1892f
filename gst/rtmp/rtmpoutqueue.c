/* gst-rtmpe: bytes waiting to be sent, as scatter-gather segments
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpoutqueue.h"

#include <string.h>

struct _RtmpOutPayload
{
  gint refcount;
  GstBuffer *buffer;
  guint n_maps;
  GstMapInfo *maps; /* one per memory: a buffer of several memories (a
                     * tag made of input buffers) is not merged */
  gsize *starts; /* offset of each map in the payload */
  gsize size;
  guint last; /* the map the last slice started in */
  GstMapInfo one; /* the storage of maps when there is one memory */
  gsize one_start;
};

typedef struct
{
  RtmpOutPayload *payload; /* NULL: bytes are inline or heap */
  const guint8 *data; /* start of what is left */
  gsize len; /* bytes left */
  guint8 *heap; /* push_copy storage */
  guint8 inline_bytes[RTMP_OUT_QUEUE_INLINE];
  guint8 inline_len; /* bytes used in inline_bytes */
} Segment;

struct _RtmpOutQueue
{
  Segment *ring;
  guint cap; /* a power of two */
  guint head;
  guint count;
  gsize size;
};

RtmpOutPayload *
rtmp_out_payload_new (GstBuffer *buffer)
{
  RtmpOutPayload *p = g_new0 (RtmpOutPayload, 1);
  guint n = gst_buffer_n_memory (buffer);

  if (n <= 1) {
    p->maps = &p->one;
    p->starts = &p->one_start;
  } else {
    p->maps = g_new (GstMapInfo, n);
    p->starts = g_new (gsize, n);
  }
  for (guint i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buffer, i);

    if (!gst_memory_map (mem, &p->maps[i], GST_MAP_READ)) {
      p->n_maps = i;
      p->buffer = NULL;
      p->refcount = 1;
      rtmp_out_payload_unref (p);
      return NULL;
    }
    p->starts[i] = p->size;
    p->size += p->maps[i].size;
    p->n_maps = i + 1;
  }
  p->refcount = 1;
  p->buffer = gst_buffer_ref (buffer);
  return p;
}

const guint8 *
rtmp_out_payload_data (RtmpOutPayload *p)
{
  return p->n_maps == 1 ? p->maps[0].data : NULL;
}

gsize
rtmp_out_payload_size (RtmpOutPayload *p)
{
  return p->size;
}

RtmpOutPayload *
rtmp_out_payload_ref (RtmpOutPayload *p)
{
  g_atomic_int_inc (&p->refcount);
  return p;
}

void
rtmp_out_payload_unref (RtmpOutPayload *p)
{
  if (!p || !g_atomic_int_dec_and_test (&p->refcount))
    return;
  for (guint i = 0; i < p->n_maps; i++)
    gst_memory_unmap (p->maps[i].memory, &p->maps[i]);
  if (p->maps != &p->one) {
    g_free (p->maps);
    g_free (p->starts);
  }
  if (p->buffer)
    gst_buffer_unref (p->buffer);
  g_free (p);
}

RtmpOutQueue *
rtmp_out_queue_new (void)
{
  RtmpOutQueue *q = g_new0 (RtmpOutQueue, 1);

  q->cap = 64;
  q->ring = g_new (Segment, q->cap);
  return q;
}

static inline Segment *
seg_at (RtmpOutQueue *q, guint i)
{
  return &q->ring[(q->head + i) & (q->cap - 1)];
}

static void
seg_release (Segment *s)
{
  rtmp_out_payload_unref (s->payload);
  g_free (s->heap);
}

void
rtmp_out_queue_clear (RtmpOutQueue *q)
{
  for (guint i = 0; i < q->count; i++)
    seg_release (seg_at (q, i));
  q->head = 0;
  q->count = 0;
  q->size = 0;
}

void
rtmp_out_queue_free (RtmpOutQueue *q)
{
  if (!q)
    return;
  rtmp_out_queue_clear (q);
  g_free (q->ring);
  g_free (q);
}

static Segment *
seg_append (RtmpOutQueue *q)
{
  Segment *s;

  if (q->count == q->cap) {
    Segment *ring = g_new (Segment, q->cap * 2);

    for (guint i = 0; i < q->count; i++) {
      Segment *old = seg_at (q, i);

      ring[i] = *old;
      /* inline data moved with the segment */
      if (!old->payload && !old->heap)
        ring[i].data = ring[i].inline_bytes + (old->data - old->inline_bytes);
    }
    g_free (q->ring);
    q->ring = ring;
    q->head = 0;
    q->cap *= 2;
  }
  s = seg_at (q, q->count);
  q->count++;
  s->payload = NULL;
  s->heap = NULL;
  s->inline_len = 0;
  s->data = s->inline_bytes;
  s->len = 0;
  return s;
}

void
rtmp_out_queue_push_bytes (RtmpOutQueue *q, const guint8 *data, gsize len)
{
  Segment *s = NULL;

  g_return_if_fail (len <= RTMP_OUT_QUEUE_INLINE);
  if (len == 0)
    return;
  if (q->count > 0) {
    Segment *last = seg_at (q, q->count - 1);

    /* merge into the last inline segment if nothing of it was consumed */
    if (!last->payload && !last->heap && last->data == last->inline_bytes &&
        last->inline_len + len <= RTMP_OUT_QUEUE_INLINE)
      s = last;
  }
  if (!s)
    s = seg_append (q);
  memcpy (s->inline_bytes + s->inline_len, data, len);
  s->inline_len += len;
  s->len += len;
  q->size += len;
}

void
rtmp_out_queue_push_copy (RtmpOutQueue *q, const guint8 *data, gsize len)
{
  Segment *s;

  if (len <= RTMP_OUT_QUEUE_INLINE) {
    rtmp_out_queue_push_bytes (q, data, len);
    return;
  }
  s = seg_append (q);
  s->heap = g_memdup2 (data, len);
  s->data = s->heap;
  s->len = len;
  q->size += len;
}

void
rtmp_out_queue_push_slice (
    RtmpOutQueue *q, RtmpOutPayload *payload, gsize offset, gsize len)
{
  guint i = payload->last;

  g_return_if_fail (offset + len <= payload->size);
  if (len == 0)
    return;
  /* slices come in order: start from the map of the last one */
  if (i >= payload->n_maps || payload->starts[i] > offset)
    i = 0;
  while (offset >= payload->starts[i] + payload->maps[i].size)
    i++;
  payload->last = i;
  /* one segment per memory the slice touches */
  while (len > 0) {
    gsize at = offset - payload->starts[i];
    gsize n = MIN (len, payload->maps[i].size - at);
    Segment *s;

    if (n == 0) {
      /* an empty memory */
      i++;
      continue;
    }
    s = seg_append (q);

    s->payload = rtmp_out_payload_ref (payload);
    s->data = payload->maps[i].data + at;
    s->len = n;
    q->size += n;
    offset += n;
    len -= n;
    i++;
  }
}

guint
rtmp_out_queue_peek (RtmpOutQueue *q, GOutputVector *v, guint max)
{
  guint n = MIN (max, q->count);

  for (guint i = 0; i < n; i++) {
    Segment *s = seg_at (q, i);

    v[i].buffer = s->data;
    v[i].size = s->len;
  }
  return n;
}

void
rtmp_out_queue_consume (RtmpOutQueue *q, gsize n)
{
  g_return_if_fail (n <= q->size);

  q->size -= n;
  while (n > 0) {
    Segment *s = seg_at (q, 0);

    if (n < s->len) {
      s->data += n;
      s->len -= n;
      return;
    }
    n -= s->len;
    seg_release (s);
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
  }
  if (q->count == 0)
    q->head = 0;
}

gsize
rtmp_out_queue_size (RtmpOutQueue *q)
{
  return q->size;
}

guint
rtmp_out_queue_n_segments (RtmpOutQueue *q)
{
  return q->count;
}

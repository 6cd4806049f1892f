/* gst-rtmfp: sending and receiving flows (RFC 7016 3.6)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfpprivate.h"

#include <string.h>

#define GST_CAT_DEFAULT rtmfp_flow_debug

/* bytes a held fragment costs beyond its data */
#define RECV_ENTRY_OVERHEAD 64

/* ---- sending ------------------------------------------------------------ */

RtmfpSendFlow *
rtmfp_send_flow_new (RtmfpSession *s, guint64 id, const guint8 *metadata,
    gsize len, gboolean has_assoc, guint64 assoc)
{
  RtmfpSendFlow *f = g_new0 (RtmfpSendFlow, 1);

  f->session = s;
  f->id = id;
  f->state = F_OPEN;
  f->metadata = g_bytes_new (metadata, len);
  f->has_association = has_assoc;
  f->association = assoc;
  f->startup_options = TRUE;
  f->ring_cap = 64;
  f->ring = g_new0 (RtmfpSendEntry, f->ring_cap);
  f->base = 1;
  f->next_sn = 1;
  f->rtx_hint = 1;
  f->next_new = 1;
  f->rx_buffer_size = 65536;
  g_queue_init (&f->deadlines);
  return f;
}

void
rtmfp_send_flow_free (RtmfpSendFlow *f)
{
  if (!f)
    return;
  for (guint64 q = f->base; q < f->next_sn; q++) {
    RtmfpSendEntry *e = &f->ring[q & (f->ring_cap - 1)];

    gst_clear_buffer (&e->buf);
  }
  g_free (f->ring);
  g_bytes_unref (f->metadata);
  g_queue_clear_full (&f->deadlines, g_free);
  g_free (f);
}

RtmfpSendEntry *
rtmfp_send_flow_entry (RtmfpSendFlow *f, guint64 seq)
{
  if (seq < f->base || seq >= f->next_sn)
    return NULL;
  return &f->ring[seq & (f->ring_cap - 1)];
}

static void
ring_grow (RtmfpSendFlow *f)
{
  guint cap = f->ring_cap * 2;
  RtmfpSendEntry *ring = g_new0 (RtmfpSendEntry, cap);

  for (guint64 q = f->base; q < f->next_sn; q++)
    ring[q & (cap - 1)] = f->ring[q & (f->ring_cap - 1)];
  g_free (f->ring);
  f->ring = ring;
  f->ring_cap = cap;
}

static RtmfpSendEntry *
push_entry (RtmfpSendFlow *f)
{
  RtmfpSendEntry *e;

  if (f->next_sn - f->base >= f->ring_cap)
    ring_grow (f);
  e = &f->ring[f->next_sn & (f->ring_cap - 1)];
  memset (e, 0, sizeof (*e));
  f->next_sn++;
  f->live++;
  return e;
}

void
rtmfp_send_flow_queue (RtmfpSendFlow *f, GstBuffer *msg, gsize frag_size,
    guint64 deadline, guint64 *msg_id)
{
  gsize size = gst_buffer_get_size (msg);
  gsize off = 0;
  guint64 first = f->next_sn;

  do {
    gsize n = MIN (frag_size, size - off);
    RtmfpSendEntry *e = push_entry (f);

    e->buf = gst_buffer_ref (msg);
    e->off = off;
    e->len = n;
    e->msg = first;
    if (size <= frag_size)
      e->fra = RTMFP_FRA_WHOLE;
    else if (off == 0)
      e->fra = RTMFP_FRA_BEGIN;
    else if (off + n == size)
      e->fra = RTMFP_FRA_END;
    else
      e->fra = RTMFP_FRA_MIDDLE;
    off += n;
    f->queued_bytes += n;
  } while (off < size);
  if (deadline) {
    RtmfpMessageDeadline *d = g_new0 (RtmfpMessageDeadline, 1);

    d->first = first;
    d->last = f->next_sn - 1;
    d->deadline = deadline;
    g_queue_push_tail (&f->deadlines, d);
  }
  if (msg_id)
    *msg_id = first;
  GST_LOG ("flow %" G_GUINT64_FORMAT ": message of %" G_GSIZE_FORMAT
           " bytes as sequence numbers %" G_GUINT64_FORMAT
           "..%" G_GUINT64_FORMAT,
      f->id, size, first, f->next_sn - 1);
}

static void
entry_abandon (RtmfpSendFlow *f, RtmfpSendEntry *e)
{
  if (e->abandoned || e->acked)
    return;
  e->abandoned = 1;
  if (e->buf) {
    f->queued_bytes -= e->len;
    gst_clear_buffer (&e->buf);
  }
}

void
rtmfp_send_flow_abandon (RtmfpSendFlow *f, guint64 msg_id)
{
  guint n = 0;

  if (msg_id == G_MAXUINT64) {
    for (guint64 q = f->base; q < f->next_sn; q++) {
      RtmfpSendEntry *e = rtmfp_send_flow_entry (f, q);

      if (!e->acked) {
        entry_abandon (f, e);
        n++;
      }
    }
  } else {
    for (guint64 q = MAX (msg_id, f->base); q < f->next_sn; q++) {
      RtmfpSendEntry *e = rtmfp_send_flow_entry (f, q);

      if (e->msg != msg_id)
        break;
      if (!e->acked) {
        entry_abandon (f, e);
        n++;
      }
    }
  }
  f->rtx_hint = f->base;
  if (n)
    GST_DEBUG ("flow %" G_GUINT64_FORMAT ": abandoned %u fragments", f->id, n);
}

void
rtmfp_send_flow_expire (RtmfpSendFlow *f, guint64 now)
{
  RtmfpMessageDeadline *d;

  while ((d = g_queue_peek_head (&f->deadlines))) {
    if (d->last >= f->base) {
      if (d->deadline > now)
        break;
      rtmfp_send_flow_abandon (f, d->first);
    }
    g_free (g_queue_pop_head (&f->deadlines));
  }
}

void
rtmfp_send_flow_close (RtmfpSendFlow *f)
{
  RtmfpSendEntry *tail;

  if (f->state != F_OPEN)
    return;
  f->state = F_CLOSING;
  tail =
      f->next_sn > f->base ? rtmfp_send_flow_entry (f, f->next_sn - 1) : NULL;
  if (tail && !tail->acked && !tail->ever_sent) {
    f->final_sn = f->next_sn - 1;
  } else {
    RtmfpSendEntry *e = push_entry (f);

    e->abandoned = 1;
    e->fra = RTMFP_FRA_WHOLE;
    e->msg = f->next_sn - 1;
    f->final_sn = f->next_sn - 1;
  }
  GST_DEBUG ("flow %" G_GUINT64_FORMAT
             ": closing, final sequence number %" G_GUINT64_FORMAT,
      f->id, f->final_sn);
}

/* drop gone entries at the front; trim abandoned ones (RFC 7016 3.6.2.3) */
void
rtmfp_send_flow_trim (RtmfpSendFlow *f)
{
  while (f->base < f->next_sn) {
    RtmfpSendEntry *e = &f->ring[f->base & (f->ring_cap - 1)];

    if (!e->acked) {
      if (f->live >= 2 && !e->in_flight && e->abandoned) {
        e->acked = 1; /* trimmed */
        f->live--;
      } else {
        break;
      }
    }
    gst_clear_buffer (&e->buf);
    f->base++;
  }
  if (f->rtx_hint < f->base)
    f->rtx_hint = f->base;
  if (f->next_new < f->base)
    f->next_new = f->base;
}

guint64
rtmfp_send_flow_fsn (RtmfpSendFlow *f)
{
  RtmfpSendEntry *e;

  rtmfp_send_flow_trim (f);
  if (f->base >= f->next_sn)
    return f->next_sn - 1;
  e = &f->ring[f->base & (f->ring_cap - 1)];
  if (!e->abandoned)
    return f->base - 1;
  if (e->in_flight && !e->sent_abandoned)
    return f->base - 1;
  return f->base;
}

static gboolean
entry_sendable (RtmfpSendFlow *f, RtmfpSendEntry *e, guint64 seq)
{
  if (e->acked || e->in_flight)
    return FALSE;
  return !e->abandoned || seq == f->base || seq == f->final_sn;
}

RtmfpSendEntry *
rtmfp_send_flow_next_eligible (RtmfpSendFlow *f, guint64 *seq)
{
  rtmfp_send_flow_trim (f);
  if (f->base >= f->next_sn)
    return NULL;
  {
    RtmfpSendEntry *e = &f->ring[f->base & (f->ring_cap - 1)];

    if (entry_sendable (f, e, f->base)) {
      *seq = f->base;
      return e;
    }
  }
  for (guint64 q = MAX (f->rtx_hint, f->base + 1); q < f->next_new; q++) {
    RtmfpSendEntry *e = &f->ring[q & (f->ring_cap - 1)];

    if (entry_sendable (f, e, q)) {
      f->rtx_hint = q;
      *seq = q;
      return e;
    }
  }
  f->rtx_hint = f->next_new;
  while (f->next_new < f->next_sn) {
    RtmfpSendEntry *e = &f->ring[f->next_new & (f->ring_cap - 1)];

    if (entry_sendable (f, e, f->next_new)) {
      *seq = f->next_new;
      return e;
    }
    f->next_new++;
  }
  f->rtx_hint = f->next_new;
  return NULL;
}

gboolean
rtmfp_send_flow_ready (RtmfpSendFlow *f)
{
  guint64 seq;

  if (f->state == F_COMPLETE_LINGER || f->state == F_CLOSED)
    return FALSE;
  if (!f->exception && f->outstanding >= f->rx_buffer_size)
    return FALSE;
  return rtmfp_send_flow_next_eligible (f, &seq) != NULL;
}

/* ---- receiving ---------------------------------------------------------- */

static void
recv_entry_free (gpointer p)
{
  RtmfpRecvEntry *e = p;

  gst_clear_buffer (&e->data);
  g_free (e);
}

RtmfpRecvFlow *
rtmfp_recv_flow_new (RtmfpSession *s, guint64 id)
{
  RtmfpRecvFlow *f = g_new0 (RtmfpRecvFlow, 1);

  f->session = s;
  f->id = id;
  f->state = RF_OPEN;
  f->ranges = g_array_new (FALSE, FALSE, sizeof (RtmfpSeqRange));
  f->buffer = g_hash_table_new_full (
      g_int64_hash, g_int64_equal, g_free, recv_entry_free);
  f->base = 1;
  f->capacity = s->ep->config.recv_buffer;
  return f;
}

void
rtmfp_recv_flow_free (RtmfpRecvFlow *f)
{
  if (!f)
    return;
  f->session->buffered -= f->buffered;
  g_hash_table_unref (f->buffer);
  g_array_unref (f->ranges);
  g_free (f);
}

gboolean
rtmfp_recv_flow_seen (RtmfpRecvFlow *f, guint64 seq)
{
  guint lo = 0, hi = f->ranges->len;

  if (seq <= f->csn)
    return TRUE;
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    RtmfpSeqRange *r = &g_array_index (f->ranges, RtmfpSeqRange, mid);

    if (seq < r->from)
      hi = mid;
    else if (seq > r->to)
      lo = mid + 1;
    else
      return TRUE;
  }
  return FALSE;
}

gboolean
rtmfp_recv_flow_has_gaps (RtmfpRecvFlow *f)
{
  return f->ranges->len > 0;
}

guint64
rtmfp_recv_flow_highest (RtmfpRecvFlow *f)
{
  if (f->ranges->len)
    return g_array_index (f->ranges, RtmfpSeqRange, f->ranges->len - 1).to;
  return f->csn;
}

/* Adds [from, to] to SEQUENCE_SET; FALSE (nothing added) if that would take
 * more than RTMFP_MAX_RECV_RANGES runs. */
gboolean
rtmfp_recv_flow_add_seen (RtmfpRecvFlow *f, guint64 from, guint64 to)
{
  guint i, j;
  GArray *a = f->ranges;

  if (to <= f->csn)
    return TRUE;
  if (from <= f->csn + 1) {
    f->csn = to;
  } else {
    /* first range that ends at or after from - 1 */
    for (i = 0; i < a->len; i++)
      if (g_array_index (a, RtmfpSeqRange, i).to + 1 >= from)
        break;
    /* ranges i..j-1 overlap or touch [from, to] */
    for (j = i; j < a->len; j++)
      if (g_array_index (a, RtmfpSeqRange, j).from > to + 1)
        break;
    if (i == j) {
      RtmfpSeqRange r = { from, to };

      if (a->len >= RTMFP_MAX_RECV_RANGES)
        return FALSE;
      g_array_insert_val (a, i, r);
    } else {
      RtmfpSeqRange *r = &g_array_index (a, RtmfpSeqRange, i);

      r->from = MIN (r->from, from);
      r->to = MAX (g_array_index (a, RtmfpSeqRange, j - 1).to, to);
      if (j > i + 1)
        g_array_remove_range (a, i + 1, j - i - 1);
    }
  }
  /* absorb ranges now contiguous with the CSN */
  while (a->len > 0) {
    RtmfpSeqRange *r = &g_array_index (a, RtmfpSeqRange, 0);

    if (r->from > f->csn + 1)
      break;
    f->csn = MAX (f->csn, r->to);
    g_array_remove_index (a, 0);
  }
  return TRUE;
}

static void
emit_message (RtmfpRecvFlow *f, GstBuffer *data)
{
  RtmfpEvent *ev = g_new0 (RtmfpEvent, 1);

  ev->type = RTMFP_EVENT_MESSAGE;
  ev->session = f->session->id;
  ev->flow = f->id;
  ev->data = data;
  ev->discontinuity = f->discontinuity;
  f->discontinuity = FALSE;
  rtmfp_endpoint_emit (f->session->ep, ev);
}

static void
remove_entry (RtmfpRecvFlow *f, guint64 seq, gboolean steal, GstBuffer **data)
{
  RtmfpRecvEntry *e = g_hash_table_lookup (f->buffer, &seq);
  gsize cost;

  if (!e)
    return;
  cost = gst_buffer_get_size (e->data) + RECV_ENTRY_OVERHEAD;
  f->buffered -= cost;
  f->session->buffered -= cost;
  if (steal) {
    *data = e->data;
    e->data = NULL;
  }
  g_hash_table_remove (f->buffer, &seq);
}

/* RFC 7016 3.6.3.3: deliver complete messages up to the CSN in order,
 * discard abandoned segments */
void
rtmfp_recv_flow_deliver (RtmfpRecvFlow *f)
{
  while (f->base <= f->csn) {
    RtmfpRecvEntry *e;
    guint64 seq = f->base;

    if (g_hash_table_size (f->buffer) == 0) {
      if (f->base <= f->csn)
        f->discontinuity = TRUE;
      f->base = f->csn + 1;
      break;
    }
    e = g_hash_table_lookup (f->buffer, &seq);
    if (!e) {
      /* seen but never stored: abandoned */
      f->discontinuity = TRUE;
      f->base++;
      continue;
    }
    if (e->fra == RTMFP_FRA_WHOLE) {
      GstBuffer *data = NULL;

      remove_entry (f, seq, TRUE, &data);
      f->base++;
      if (f->state == RF_OPEN)
        emit_message (f, data);
      else
        gst_buffer_unref (data);
      continue;
    }
    if (e->fra != RTMFP_FRA_BEGIN) {
      remove_entry (f, seq, FALSE, NULL);
      f->discontinuity = TRUE;
      f->base++;
      continue;
    }
    {
      guint64 last = seq;
      RtmfpRecvEntry *le = e;
      gsize total = gst_buffer_get_size (e->data);

      for (;;) {
        RtmfpRecvEntry *n;
        guint64 q = last + 1;

        if (le->fra == RTMFP_FRA_END && last != seq)
          break;
        n = g_hash_table_lookup (f->buffer, &q);
        if (!n || n->fra == RTMFP_FRA_BEGIN || n->fra == RTMFP_FRA_WHOLE)
          break;
        last = q;
        le = n;
        total += gst_buffer_get_size (n->data);
      }
      if (le->fra == RTMFP_FRA_END && last != seq) {
        GstBuffer *msg = NULL;

        for (guint64 q = seq; q <= last; q++) {
          GstBuffer *part = NULL;

          remove_entry (f, q, TRUE, &part);
          msg = msg ? gst_buffer_append (msg, part) : part;
        }
        f->base = last + 1;
        if (total > RTMFP_MAX_MESSAGE_SIZE) {
          GST_WARNING ("flow %" G_GUINT64_FORMAT ": message of %" G_GSIZE_FORMAT
                       " bytes exceeds the limit; rejecting the flow",
              f->id, total);
          gst_buffer_unref (msg);
          rtmfp_recv_flow_reject (f, 0);
          return;
        }
        if (f->state == RF_OPEN)
          emit_message (f, msg);
        else
          gst_buffer_unref (msg);
        continue;
      }
      if (last < f->csn) {
        /* incomplete and abandoned */
        for (guint64 q = seq; q <= last; q++)
          remove_entry (f, q, FALSE, NULL);
        f->discontinuity = TRUE;
        f->base = last + 1;
        continue;
      }
      break; /* in progress */
    }
  }
}

void
rtmfp_recv_flow_reject (RtmfpRecvFlow *f, guint64 code)
{
  if (f->state != RF_OPEN)
    return;
  GST_DEBUG ("flow %" G_GUINT64_FORMAT
             ": rejected with exception %" G_GUINT64_FORMAT,
      f->id, code);
  f->state = RF_REJECTED;
  f->exception_code = code;
  f->session->buffered -= f->buffered;
  f->buffered = 0;
  g_hash_table_remove_all (f->buffer);
  f->should_ack = TRUE;
  f->session->ack_now = TRUE;
  f->session->ep->stats.flows_rejected++;
}

guint64
rtmfp_recv_flow_rwnd (RtmfpRecvFlow *f)
{
  gsize adv = f->buffered >= f->capacity ? 0 : f->capacity - f->buffered;
  guint64 blocks = (adv + 1023) / 1024;

  if (blocks == 0 && f->capacity > 0)
    blocks = 1;
  return blocks;
}

gsize rtmfp_recv_entry_cost (gsize len);

gsize
rtmfp_recv_entry_cost (gsize len)
{
  return len + RECV_ENTRY_OVERHEAD;
}

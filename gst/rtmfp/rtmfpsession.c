/* gst-rtmfp: an established session: packets in and out, flows,
 * acknowledgements, loss recovery, congestion control, timers, close
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loss recovery and congestion control. RFC 7016 asks for TCP-compatible
 * congestion control (3.5.2) and leaves the method open. Its Appendix A
 * reduces the window on every packet that reveals a loss and recovers
 * losses it cannot infer from three negative acknowledgements only by the
 * retransmission timeout (at least 250 ms). On a sub-millisecond path with
 * random loss that means several reductions per round trip and long stalls,
 * and throughput collapses. What we do instead, staying within the RFC:
 *
 *  - losses are inferred from acknowledgements: three negative
 *    acknowledgements (3.6.2.5) or, as in RACK, one negative acknowledgement
 *    plus a fragment older than a later acknowledged one by more than
 *    SRTT + max(SRTT/4, 1 ms), measured with microsecond send times;
 *  - a probe timeout (a few round trips, not 250 ms) resends the oldest
 *    outstanding fragment so that tail losses are revealed by the next
 *    acknowledgement, without touching the window; with a single data
 *    packet unacknowledged it waits for the far end's delayed
 *    acknowledgement (up to 200 ms, measured from earlier ones), and such
 *    a possibly delayed acknowledgement is no round trip sample;
 *  - the window is reduced at most once per loss episode (NewReno's
 *    recovery point: losses of transmissions sent before the reduction
 *    belong to the same episode), by half, or by an eighth above 67200
 *    bytes (Appendix A), never below the initial window; slow start and
 *    the additive increase are Appendix A's, and it only grows outside
 *    recovery and when the window was in use;
 *  - the RFC's ERTO timeout (>= 250 ms, backed off, with the window cut to
 *    one segment) still applies when acknowledgements stop altogether.
 *
 * So random loss costs one halving per episode, like TCP, and never a
 * timeout; on a sub-ms path the AIMD average window at 5% loss is several
 * segments, far above what a 20 Mbit/s stream needs.
 */
#include "rtmfpprivate.h"

#include <string.h>

#define GST_CAT_DEFAULT rtmfp_session_debug

#define CWND_INIT 4380
#define CWND_TIMEDOUT 1460
#define SMSS 1460
#define ERTO_MIN (250 * RTMFP_MS)
#define ERTO_INIT (3 * RTMFP_SEC)
#define ERTO_MAX (10 * RTMFP_SEC)
#define BURST_PACKETS 6
#define CLOSE_RESEND (5 * RTMFP_SEC)
#define NEARCLOSE_LIMIT (90 * RTMFP_SEC)
#define FARCLOSE_LINGER (19 * RTMFP_SEC)
#define SEND_LINGER (130 * RTMFP_SEC)
#define RECV_LINGER (120 * RTMFP_SEC)
#define LONE_ACK_INIT (200 * RTMFP_MS)
#define CONTROL_MAX 8192
#define PING_MAX 512

gsize rtmfp_recv_entry_cost (gsize len);

guint16
rtmfp_session_timestamp (guint64 now)
{
  return (now / (4 * RTMFP_MS)) & 0xffff;
}

RtmfpSession *
rtmfp_session_new (RtmfpEndpoint *ep, guint32 id, gboolean initiator)
{
  RtmfpSession *s = g_new0 (RtmfpSession, 1);

  s->ep = ep;
  s->id = id;
  s->initiator = initiator;
  s->state = S_IHELLO_SENT;
  s->send_flows = g_hash_table_new (g_int64_hash, g_int64_equal);
  s->send_order = g_ptr_array_new ();
  s->recv_flows = g_hash_table_new (g_int64_hash, g_int64_equal);
  s->recv_order = g_ptr_array_new ();
  s->next_flow_id = 2; /* Flash and Mona number the first flow 2 */
  s->control = g_byte_array_new ();
  g_queue_init (&s->tsn_queue);
  s->keepalive = ep->config.keepalive;
  s->buffer_limit = RTMFP_MAX_SESSION_BUFFERED;
  s->mrto = ERTO_MIN;
  s->erto = ERTO_INIT;
  s->cwnd = CWND_INIT;
  s->ssthresh = G_MAXSIZE;
  s->next_tsn = 1;
  s->next_pn = 1;
  s->lone_ack = LONE_ACK_INIT;
  s->delack_alarm = RTMFP_NEVER;
  s->timeout_alarm = RTMFP_NEVER;
  s->pto_alarm = RTMFP_NEVER;
  s->rack_alarm = RTMFP_NEVER;
  s->keepalive_alarm = RTMFP_NEVER;
  s->close_alarm = RTMFP_NEVER;
  s->mob_tx_time = 0;
  rtmfp_endpoint_random (ep, s->mob_secret, sizeof (s->mob_secret));
  return s;
}

static void
free_flows (RtmfpSession *s)
{
  for (guint i = 0; i < s->send_order->len; i++)
    rtmfp_send_flow_free (g_ptr_array_index (s->send_order, i));
  g_ptr_array_set_size (s->send_order, 0);
  g_hash_table_remove_all (s->send_flows);
  for (guint i = 0; i < s->recv_order->len; i++)
    rtmfp_recv_flow_free (g_ptr_array_index (s->recv_order, i));
  g_ptr_array_set_size (s->recv_order, 0);
  g_hash_table_remove_all (s->recv_flows);
  g_queue_clear_full (&s->tsn_queue, g_free);
  s->outstanding = 0;
}

void
rtmfp_session_free (RtmfpSession *s)
{
  if (!s)
    return;
  free_flows (s);
  g_hash_table_unref (s->send_flows);
  g_ptr_array_unref (s->send_order);
  g_hash_table_unref (s->recv_flows);
  g_ptr_array_unref (s->recv_order);
  g_byte_array_unref (s->control);
  g_clear_pointer (&s->epd, g_bytes_unref);
  g_clear_pointer (&s->cookie, g_bytes_unref);
  g_clear_pointer (&s->far_cert, g_bytes_unref);
  g_clear_pointer (&s->skic, g_bytes_unref);
  g_clear_pointer (&s->skrc, g_bytes_unref);
  g_clear_pointer (&s->keying_chunk, g_bytes_unref);
  rtmfp_dh_key_free (s->eph_key);
  rtmfp_packet_keys_clear (&s->keys);
  g_free (s);
}

void
rtmfp_session_set_open (RtmfpSession *s, guint64 now)
{
  s->state = S_OPEN;
  s->last_recv = now;
  s->last_send = now;
  s->keepalive_alarm = now + s->keepalive;
  s->ts_rx_valid = FALSE;
  s->ts_echo_tx_valid = FALSE;
  s->info.open = TRUE;
  s->info.responder = !s->initiator;
  s->info.address = s->dest;
  s->info.dh_group = s->group;
  s->info.send_hmac = s->hmac.send;
  s->info.recv_hmac = s->hmac.recv;
  s->info.send_sseq = s->sseq.send;
  s->info.recv_sseq = s->sseq.recv;
  memcpy (s->info.far_peer_id, s->far_peer_id, 32);
  memcpy (s->info.near_nonce, s->near_nonce, 32);
  memcpy (s->info.far_nonce, s->far_nonce, 32);
}

static void
emit_closed (RtmfpSession *s, const gchar *reason)
{
  RtmfpEvent *ev = g_new0 (RtmfpEvent, 1);

  ev->type = RTMFP_EVENT_SESSION_CLOSED;
  ev->session = s->id;
  ev->address = s->dest;
  memcpy (ev->peer_id, s->far_peer_id, 32);
  ev->reason = g_strdup (reason);
  rtmfp_endpoint_emit (s->ep, ev);
}

/* leaves S_OPEN: flows end at once (RFC 7016 3.5.5) */
static void
leave_open (RtmfpSession *s, RtmfpSessionState to, const gchar *reason)
{
  gboolean was_open = s->state == S_OPEN;

  GST_INFO ("session %08x: %s", s->id, reason);
  s->state = to;
  free_flows (s);
  s->timeout_alarm = s->pto_alarm = s->rack_alarm = RTMFP_NEVER;
  s->delack_alarm = RTMFP_NEVER;
  s->keepalive_alarm = RTMFP_NEVER;
  s->ack_now = FALSE;
  s->info.open = FALSE;
  if (was_open)
    emit_closed (s, reason);
}

void
rtmfp_session_abort (RtmfpSession *s, const gchar *reason)
{
  if (s->state == S_CLOSED || s->state == S_OPEN_FAILED)
    return;
  leave_open (s, S_CLOSED, reason);
  rtmfp_endpoint_session_closed (s->ep, s);
}

void
rtmfp_session_close (
    RtmfpSession *s, guint64 now, gboolean abrupt, const gchar *reason)
{
  if (s->state != S_OPEN) {
    if (abrupt)
      rtmfp_session_abort (s, reason);
    return;
  }
  if (abrupt) {
    rtmfp_empty_chunk_build (s->control, RTMFP_CHUNK_CLOSE_ACK);
    leave_open (s, S_CLOSED, reason);
    /* the Close Ack still goes out: the endpoint frees closed sessions
     * once their control chunks are sent */
    return;
  }
  leave_open (s, S_NEARCLOSE, reason);
  rtmfp_empty_chunk_build (s->control, RTMFP_CHUNK_CLOSE);
  s->close_alarm = now + CLOSE_RESEND;
  s->close_until = now + NEARCLOSE_LIMIT;
}

/* ---- timestamps and round trips ----------------------------------------- */

static void
rfc_rtt_sample (RtmfpSession *s, guint64 rtt)
{
  if (!s->srtt_ts_valid) {
    s->srtt_ts = rtt;
    s->rttvar_ts = rtt / 2;
    s->srtt_ts_valid = TRUE;
  } else {
    guint64 delta = s->srtt_ts > rtt ? s->srtt_ts - rtt : rtt - s->srtt_ts;

    s->rttvar_ts = (3 * s->rttvar_ts + delta) / 4;
    s->srtt_ts = (7 * s->srtt_ts + rtt) / 8;
  }
  s->mrto = s->srtt_ts + 4 * s->rttvar_ts + 200 * RTMFP_MS;
  s->erto = MAX (s->mrto, ERTO_MIN);
}

static void
fine_rtt_sample (RtmfpSession *s, guint64 rtt)
{
  if (!s->srtt_valid) {
    s->srtt = rtt;
    s->rttvar = rtt / 2;
    s->min_rtt = rtt;
    s->srtt_valid = TRUE;
  } else {
    guint64 delta = s->srtt > rtt ? s->srtt - rtt : rtt - s->srtt;

    s->rttvar = (3 * s->rttvar + delta) / 4;
    s->srtt = (7 * s->srtt + rtt) / 8;
    s->min_rtt = MIN (s->min_rtt, rtt);
  }
  s->info.srtt = s->srtt;
  /* the ERTO must never be below the round trip (RFC 7016 3.5.2.2) */
  if (s->erto < s->srtt)
    s->erto = s->srtt;
}

static guint64
rack_threshold (RtmfpSession *s)
{
  if (!s->srtt_valid)
    return 50 * RTMFP_MS;
  return s->srtt + MAX (s->srtt / 4, RTMFP_MS);
}

static guint64
probe_timeout (RtmfpSession *s)
{
  guint64 pto;

  if (!s->srtt_valid)
    pto = 100 * RTMFP_MS;
  else
    pto = MAX (2 * s->srtt, s->srtt + 4 * s->rttvar);
  pto = MAX (pto, s->ep->config.min_probe_timeout);
  /* A receiver acknowledges at once only every second packet; the ack of a
   * lone packet may wait for its delayed-ack alarm, 200 ms in RFC 7016
   * 3.6.3.4.4 and in rtmfp-cpp. Probing sooner resends every lone packet
   * of sparse traffic (live against tcserver: a third of a publisher's
   * packets). So with one data packet unacknowledged, wait for what such
   * acknowledgements have taken (200 ms until we know better). */
  if (s->next_pn - 1 - s->max_pn_acked <= 1)
    pto = MAX (
        pto, s->lone_ack + s->lone_ack / 4 + s->ep->config.min_probe_timeout);
  pto <<= MIN (s->pto_count, 6);
  return MIN (pto, s->erto);
}

/* ---- receiving ---------------------------------------------------------- */

typedef struct
{
  gsize pre_ack_outstanding;
  gboolean any_acks, any_naks, any_loss, new_episode;
  gsize acked_bytes;
  guint64 max_tsn;
  guint64 max_tsn_sent_time;
  /* the newest data packet acknowledged */
  guint64 max_pn;
  guint64 max_pn_sent_time;
  gboolean max_pn_sent_once; /* one of its fragments was sent only then */
  gboolean user_data; /* the packet carried data too */
  /* Next User Data context */
  gboolean have_prev;
  guint64 prev_flow, prev_seq, prev_fsn;
} PacketCtx;

static RtmfpSendFlow *
send_flow_get (RtmfpSession *s, guint64 id)
{
  return g_hash_table_lookup (s->send_flows, &id);
}

static RtmfpRecvFlow *
recv_flow_get (RtmfpSession *s, guint64 id)
{
  return g_hash_table_lookup (s->recv_flows, &id);
}

static void
send_flow_remove (RtmfpSession *s, RtmfpSendFlow *f)
{
  GList *l = s->tsn_queue.head;

  while (l) {
    GList *next = l->next;
    RtmfpTsnRecord *r = l->data;

    if (r->flow == f) {
      g_free (r);
      g_queue_delete_link (&s->tsn_queue, l);
    }
    l = next;
  }
  s->outstanding -= MIN (s->outstanding, f->outstanding);
  g_hash_table_remove (s->send_flows, &f->id);
  g_ptr_array_remove (s->send_order, f);
  rtmfp_send_flow_free (f);
}

static void
entry_not_in_flight (
    RtmfpSession *s, RtmfpSendFlow *f, RtmfpSendEntry *e, guint64 seq)
{
  if (!e->in_flight)
    return;
  e->in_flight = 0;
  f->outstanding -= MIN (f->outstanding, e->transmit_size);
  s->outstanding -= MIN (s->outstanding, e->transmit_size);
  if (seq < f->rtx_hint)
    f->rtx_hint = seq;
}

static void
ack_entry (RtmfpSession *s, RtmfpSendFlow *f, guint64 seq, PacketCtx *ctx)
{
  RtmfpSendEntry *e = rtmfp_send_flow_entry (f, seq);

  if (!e || e->acked || !e->ever_sent)
    return;
  if (e->in_flight) {
    ctx->acked_bytes += e->transmit_size;
    entry_not_in_flight (s, f, e, seq);
  }
  if (e->tsn > ctx->max_tsn) {
    ctx->max_tsn = e->tsn;
    ctx->max_tsn_sent_time = e->sent_time;
  }
  if (e->pn > ctx->max_pn) {
    ctx->max_pn = e->pn;
    ctx->max_pn_sent_time = e->sent_time;
    ctx->max_pn_sent_once = e->sends == 1;
  } else if (e->pn == ctx->max_pn && e->sends == 1) {
    /* a fragment that was in no other packet: the sample is good */
    ctx->max_pn_sent_once = TRUE;
  }
  e->acked = 1;
  f->live--;
  if (e->buf) {
    f->queued_bytes -= e->len;
    gst_clear_buffer (&e->buf);
  }
}

static void
handle_ack (
    RtmfpSession *s, guint64 now, const RtmfpAckChunk *ack, PacketCtx *ctx)
{
  RtmfpSendFlow *f = send_flow_get (s, ack->flow_id);
  RtmfpAckIter it;
  guint64 from, to, cum;

  if (!f) {
    s->ep->stats.chunks_unexpected++;
    return;
  }
  ctx->any_acks = TRUE;
  f->startup_options = FALSE;
  f->rx_buffer_size =
      MIN (ack->buffer_blocks, G_GUINT64_CONSTANT (1) << 30) * 1024;
  if (f->next_sn == 1)
    return;
  cum = MIN (ack->cum_ack, f->next_sn - 1);
  for (guint64 q = f->base; q <= cum; q++)
    ack_entry (s, f, q, ctx);
  rtmfp_ack_iter_init (&it, ack);
  while (rtmfp_ack_iter_next (&it, &from, &to)) {
    if (from >= f->next_sn)
      break;
    to = MIN (to, f->next_sn - 1);
    for (guint64 q = MAX (from, f->base); q <= to; q++)
      ack_entry (s, f, q, ctx);
  }
  f->cum_ack = MAX (f->cum_ack, cum);
  rtmfp_send_flow_trim (f);
  /* nothing left to send, but the receiver has not seen everything up to
   * our last sequence number (abandoned fragments we trimmed): it needs a
   * Forward Sequence Number update (RFC 7016 3.6.2.7.1) */
  if (f->base >= f->next_sn && f->cum_ack < f->next_sn - 1) {
    if (!f->fsn_update_at)
      f->fsn_update_at = now;
  } else {
    f->fsn_update_at = 0;
  }
  if (f->rx_buffer_size == 0 && !f->exception) {
    if (f->next_probe == 0) {
      f->probe_interval = MAX (RTMFP_SEC, s->erto);
      f->next_probe = now + f->probe_interval;
    }
  } else {
    f->next_probe = 0;
  }
  if (f->state == F_CLOSING && f->base >= f->next_sn &&
      f->cum_ack >= f->final_sn) {
    RtmfpEvent *ev = g_new0 (RtmfpEvent, 1);

    GST_CAT_DEBUG (rtmfp_flow_debug,
        "session %08x flow %" G_GUINT64_FORMAT ": complete", s->id, f->id);
    f->state = F_COMPLETE_LINGER;
    f->linger_until = now + SEND_LINGER;
    ev->type = RTMFP_EVENT_FLOW_CLOSED;
    ev->session = s->id;
    ev->flow = f->id;
    rtmfp_endpoint_emit (s->ep, ev);
  }
}

static void
handle_exception (RtmfpSession *s, guint64 flow_id, guint64 code)
{
  RtmfpSendFlow *f = send_flow_get (s, flow_id);

  if (!f)
    return;
  if (f->state == F_OPEN)
    rtmfp_send_flow_close (f);
  f->exception = TRUE;
  rtmfp_send_flow_abandon (f, G_MAXUINT64);
  if (!f->rejected_reported) {
    RtmfpEvent *ev = g_new0 (RtmfpEvent, 1);

    f->rejected_reported = TRUE;
    GST_CAT_INFO (rtmfp_flow_debug,
        "session %08x flow %" G_GUINT64_FORMAT ": rejected by the far end, "
        "exception %" G_GUINT64_FORMAT,
        s->id, f->id, code);
    ev->type = RTMFP_EVENT_FLOW_REJECTED;
    ev->session = s->id;
    ev->flow = f->id;
    ev->code = code;
    rtmfp_endpoint_emit (s->ep, ev);
  }
}

static void
recv_flow_check_complete (RtmfpSession *s, RtmfpRecvFlow *f, guint64 now)
{
  if (f->final_sn && f->csn >= f->final_sn &&
      (f->state == RF_OPEN || f->state == RF_REJECTED)) {
    f->state = RF_COMPLETE_LINGER;
    f->linger_until = now + RECV_LINGER;
    f->should_ack = TRUE;
    s->ack_now = TRUE;
  }
  if (f->state == RF_COMPLETE_LINGER && !f->completed_reported &&
      g_hash_table_size (f->buffer) == 0) {
    RtmfpEvent *ev = g_new0 (RtmfpEvent, 1);

    f->completed_reported = TRUE;
    ev->type = RTMFP_EVENT_FLOW_COMPLETE;
    ev->session = s->id;
    ev->flow = f->id;
    rtmfp_endpoint_emit (s->ep, ev);
  }
}

static void
handle_user_data (RtmfpSession *s, guint64 now, const RtmfpUserDataChunk *c,
    guint64 flow_id, guint64 seq, guint64 fsn, GstBuffer *pkt,
    const guint8 *pkt_base)
{
  RtmfpRecvFlow *f = recv_flow_get (s, flow_id);
  gboolean dup;

  if (!f) {
    RtmfpEvent *ev;
    RtmfpSendFlow *assoc = NULL;

    if (s->recv_order->len >= RTMFP_MAX_RECV_FLOWS) {
      s->ep->stats.fragments_dropped_limit++;
      return;
    }
    f = rtmfp_recv_flow_new (s, flow_id);
    g_hash_table_insert (s->recv_flows, &f->id, f);
    g_ptr_array_add (s->recv_order, f);
    s->ack_now = TRUE;
    if (c->has_association)
      assoc = send_flow_get (s, c->association);
    if (!c->metadata || c->metadata_len > RTMFP_MAX_METADATA_SIZE ||
        (c->has_association && (!assoc || assoc->state != F_OPEN)) ||
        c->unknown_required_option) {
      GST_CAT_INFO (rtmfp_flow_debug,
          "session %08x: refusing new flow %" G_GUINT64_FORMAT
          " (metadata %s, association %s)",
          s->id, flow_id, c->metadata ? "present" : "missing",
          !c->has_association ? "none" :
              assoc           ? "not open" :
                                "unknown");
      rtmfp_recv_flow_reject (f, 0);
    } else {
      GST_CAT_DEBUG (rtmfp_flow_debug,
          "session %08x: new receiving flow %" G_GUINT64_FORMAT, s->id,
          flow_id);
      ev = g_new0 (RtmfpEvent, 1);
      ev->type = RTMFP_EVENT_FLOW_OPEN;
      ev->session = s->id;
      ev->flow = flow_id;
      ev->metadata = g_bytes_new (c->metadata, c->metadata_len);
      ev->has_association = c->has_association;
      ev->association = c->association;
      rtmfp_endpoint_emit (s->ep, ev);
    }
  }
  f->should_ack = TRUE;
  if (f->state == RF_OPEN && c->unknown_required_option)
    rtmfp_recv_flow_reject (f, 0);
  if (f->state != RF_OPEN)
    s->ack_now = TRUE;
  if (f->has_prev_rwnd && f->prev_rwnd < 2)
    s->ack_now = TRUE;
  if (c->abandon)
    s->ack_now = TRUE;
  if (rtmfp_recv_flow_has_gaps (f))
    s->ack_now = TRUE;
  dup = rtmfp_recv_flow_seen (f, seq);
  if (dup) {
    s->ack_now = TRUE;
  } else {
    if (seq > f->csn + RTMFP_MAX_RECV_AHEAD && seq > fsn) {
      /* too far ahead to track: as if lost */
      s->ep->stats.fragments_dropped_limit++;
      return;
    }
    if (f->state == RF_OPEN && !c->abandon) {
      gsize cost = rtmfp_recv_entry_cost (c->data_len);

      if (s->buffered + cost > s->buffer_limit ||
          f->buffered + cost > f->capacity + RTMFP_MAX_SESSION_BUFFERED / 4) {
        if (!s->buffer_limit_logged) {
          GST_CAT_INFO (rtmfp_flow_debug,
              "session %08x: flow %" G_GUINT64_FORMAT " holds %" G_GSIZE_FORMAT
              " bytes, the session %" G_GSIZE_FORMAT " (limit %" G_GSIZE_FORMAT
              "): fragments beyond it are dropped unacknowledged",
              s->id, f->id, f->buffered, s->buffered, s->buffer_limit);
          s->buffer_limit_logged = TRUE;
        }
        s->ep->stats.fragments_dropped_limit++;
        return;
      }
    }
    if (!rtmfp_recv_flow_add_seen (f, seq, seq)) {
      s->ep->stats.fragments_dropped_limit++;
      return;
    }
    if (c->final && !f->final_sn) {
      f->final_sn = seq;
      s->ack_now = TRUE;
    }
    if (f->state == RF_OPEN && !c->abandon) {
      RtmfpRecvEntry *e = g_new0 (RtmfpRecvEntry, 1);
      guint64 *key = g_new (guint64, 1);
      gsize cost = rtmfp_recv_entry_cost (c->data_len);

      e->fra = c->fra;
      e->data = gst_buffer_copy_region (
          pkt, GST_BUFFER_COPY_MEMORY, c->data - pkt_base, c->data_len);
      *key = seq;
      g_hash_table_replace (f->buffer, key, e);
      f->buffered += cost;
      s->buffered += cost;
      s->info.bytes_received += c->data_len;
    }
  }
  if (fsn > 0)
    rtmfp_recv_flow_add_seen (f, 0, fsn);
  if (rtmfp_recv_flow_has_gaps (f))
    s->ack_now = TRUE;
  if (!s->ack_now && s->delack_alarm == RTMFP_NEVER)
    s->delack_alarm = now + s->ep->config.delayed_ack;
  rtmfp_recv_flow_deliver (f);
  recv_flow_check_complete (s, f, now);
}

static gboolean
mobility_mac (
    RtmfpSession *s, const guint8 *msg9, const RtmfpAddress *a, guint8 out[16])
{
  GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, s->mob_secret, 16);
  guint8 d[32];
  gsize n = 32;

  g_hmac_update (h, msg9, 9);
  g_hmac_update (h, (const guint8 *) a, sizeof (*a));
  g_hmac_get_digest (h, d, &n);
  g_hmac_unref (h);
  memcpy (out, d, 16);
  return TRUE;
}

static void
handle_ping_reply (RtmfpSession *s, guint64 now, const RtmfpAddress *from,
    const guint8 *p, gsize len)
{
  s->ping_outstanding = FALSE;
  if (len == 25 && p[0] == 'M') {
    guint8 mac[16];
    guint64 ts = 0;
    RtmfpAddress a = *from;

    a.origin = 0;
    for (guint i = 0; i < 8; i++)
      ts = (ts << 8) | p[1 + i];
    mobility_mac (s, p, &a, mac);
    if (memcmp (mac, p + 9, 16) == 0 && ts > s->mob_rx_ts &&
        now <= ts + 120 * RTMFP_SEC) {
      gchar b1[64], b2[64];

      s->mob_rx_ts = ts;
      GST_INFO ("session %08x: far end moved from %s to %s", s->id,
          rtmfp_address_to_string (&s->dest, b1),
          rtmfp_address_to_string (from, b2));
      s->dest = *from;
      s->info.address = *from;
    }
  }
}

static void
send_mobility_check (RtmfpSession *s, guint64 now, const RtmfpAddress *from)
{
  guint8 msg[25];
  RtmfpAddress a = *from;
  GByteArray *pkt = g_byte_array_new ();
  GByteArray *out = g_byte_array_new ();
  RtmfpPacketHeader h = { 0 };

  s->mob_tx_time = now;
  a.origin = 0;
  msg[0] = 'M';
  for (guint i = 0; i < 8; i++)
    msg[1 + i] = now >> (56 - 8 * i);
  mobility_mac (s, msg, &a, msg + 9);
  h.mode = s->initiator ? RTMFP_MODE_INITIATOR : RTMFP_MODE_RESPONDER;
  h.has_ts = TRUE;
  h.ts = rtmfp_session_timestamp (now);
  rtmfp_packet_header_write (pkt, &h);
  rtmfp_ping_chunk_build (pkt, FALSE, msg, sizeof (msg));
  if (rtmfp_packet_seal (&s->keys, s->far_id, pkt->data, pkt->len, out))
    rtmfp_endpoint_queue_datagram (
        s->ep, from, g_byte_array_free_to_bytes (g_steal_pointer (&out)));
  if (out)
    g_byte_array_unref (out);
  g_byte_array_unref (pkt);
}

static void
detect_losses (RtmfpSession *s, guint64 now, PacketCtx *ctx)
{
  GList *l = s->tsn_queue.head;
  guint64 thresh = rack_threshold (s);

  s->rack_alarm = RTMFP_NEVER;
  while (l) {
    GList *next = l->next;
    RtmfpTsnRecord *r = l->data;
    RtmfpSendEntry *e = rtmfp_send_flow_entry (r->flow, r->seq);

    if (!e || e->acked || !e->in_flight || e->tsn != r->tsn) {
      g_free (r);
      g_queue_delete_link (&s->tsn_queue, l);
      l = next;
      continue;
    }
    if (r->tsn >= s->max_tsn_ack)
      break;
    if (e->nak_count < 255)
      e->nak_count++;
    ctx->any_naks = TRUE;
    if (e->nak_count >= 3 ||
        (e->nak_count >= 1 && now >= e->sent_time + thresh)) {
      GST_CAT_LOG (rtmfp_flow_debug,
          "session %08x flow %" G_GUINT64_FORMAT ": fragment %" G_GUINT64_FORMAT
          " lost (%u NAKs)",
          s->id, r->flow->id, r->seq, e->nak_count);
      entry_not_in_flight (s, r->flow, e, r->seq);
      if (r->tsn >= s->recovery_tsn)
        ctx->new_episode = TRUE;
      ctx->any_loss = TRUE;
      s->info.fast_retransmissions++;
      g_free (r);
      g_queue_delete_link (&s->tsn_queue, l);
    } else if (e->nak_count >= 1) {
      s->rack_alarm = MIN (s->rack_alarm, e->sent_time + thresh);
    }
    l = next;
  }
}

/* Whether @d, the time to the acknowledgement of a lone packet, can be a
 * round trip rather than a round trip plus the far end's delayed-ack wait:
 * no longer than the timestamp-echo round trip (which leaves out how long
 * the far end held our timestamp, RFC 7016 3.5.2.2) allows for, or than
 * twice the round trip measured so far. */
static gboolean
plausible_round_trip (RtmfpSession *s, guint64 d)
{
  if (s->srtt_ts_valid && d <= s->srtt_ts + 4 * s->rttvar_ts + 8 * RTMFP_MS)
    return TRUE;
  return s->srtt_valid && d <= 2 * s->srtt + RTMFP_MS;
}

static gboolean
fastgrow_allowed (RtmfpSession *s, guint64 now)
{
  return !(s->tcr_seen && now < s->tcr_time + 800 * RTMFP_MS);
}

static void
loss_response (RtmfpSession *s, guint64 now, gsize pre_ack_outstanding)
{
  if (pre_ack_outstanding > 67200 && fastgrow_allowed (s, now))
    s->ssthresh = MAX (pre_ack_outstanding * 7 / 8, CWND_INIT);
  else
    s->ssthresh = MAX (pre_ack_outstanding / 2, CWND_INIT);
  s->cwnd = s->ssthresh;
  s->acked_accum = 0;
  s->recovery_tsn = s->next_tsn;
  s->info.loss_events++;
  GST_LOG ("session %08x: loss, window now %" G_GSIZE_FORMAT, s->id, s->cwnd);
}

static void
after_acks (RtmfpSession *s, guint64 now, PacketCtx *ctx)
{
  s->data_packet_count = 0;
  s->pto_count = 0;
  if (ctx->max_tsn > s->max_tsn_ack) {
    s->max_tsn_ack = ctx->max_tsn;
    s->max_tsn_ack_sent_time = ctx->max_tsn_sent_time;
  }
  if (ctx->max_pn > s->max_pn_acked) {
    /* The acknowledgement of one packet alone may have been delayed (the
     * far end waited for a second packet); not when it came with data, as
     * an answer does (a command's result), at once whatever the far end's
     * delayed-ack alarm is. */
    gboolean lone = ctx->max_pn == s->max_pn_acked + 1 && !ctx->user_data;
    /* the round trip: to the newest transmission acknowledged, if one of
     * its fragments was in no other packet (Karn) */
    gboolean sample = ctx->max_pn_sent_once && now >= ctx->max_pn_sent_time;
    guint64 d = sample ? now - ctx->max_pn_sent_time : 0;

    if (lone && sample)
      s->lone_ack = d >= s->lone_ack ? d : (7 * s->lone_ack + d) / 8;
    if (sample && (!lone || plausible_round_trip (s, d)))
      fine_rtt_sample (s, d);
    s->max_pn_acked = ctx->max_pn;
  }
  detect_losses (s, now, ctx);
  if (ctx->new_episode) {
    loss_response (s, now, ctx->pre_ack_outstanding);
  } else if (ctx->any_acks && !ctx->any_loss &&
      s->max_tsn_ack >= s->recovery_tsn &&
      ctx->pre_ack_outstanding + SMSS >= s->cwnd) {
    gsize increase = 0;

    if (fastgrow_allowed (s, now)) {
      if (s->cwnd < s->ssthresh) {
        increase = ctx->acked_bytes;
      } else {
        gsize aithresh = MIN (MAX (s->cwnd / 16, 64), 4800);

        s->acked_accum += ctx->acked_bytes;
        while (s->acked_accum >= aithresh) {
          s->acked_accum -= aithresh;
          increase += 48;
        }
      }
    } else {
      gsize aithresh = MIN (MAX (s->cwnd / 16, 64), 4800);

      s->acked_accum += ctx->acked_bytes;
      while (s->acked_accum >= aithresh) {
        s->acked_accum -= aithresh;
        increase += 24;
      }
    }
    s->cwnd = MAX (s->cwnd + MIN (increase, SMSS), CWND_INIT);
  }
  s->info.cwnd = s->cwnd;
  if (s->outstanding > 0) {
    s->timeout_alarm = now + s->erto;
    s->pto_alarm = now + probe_timeout (s);
  } else {
    s->timeout_alarm = RTMFP_NEVER;
    s->pto_alarm = RTMFP_NEVER;
  }
}

void
rtmfp_session_process_chunks (RtmfpSession *s, guint64 now,
    const RtmfpAddress *from, GstBuffer *pkt, const guint8 *chunks,
    gsize chunks_len, gboolean *had_data)
{
  RtmfpChunkIter it;
  guint8 type;
  const guint8 *p;
  gsize len;
  PacketCtx ctx = { 0 };
  GstMapInfo map;
  const guint8 *pkt_base = NULL;

  if (pkt && gst_buffer_map (pkt, &map, GST_MAP_READ))
    pkt_base = map.data;
  ctx.pre_ack_outstanding = s->outstanding;
  rtmfp_chunk_iter_init (&it, chunks, chunks_len);
  while (rtmfp_chunk_iter_next (&it, &type, &p, &len)) {
    gboolean open = s->state == S_OPEN;

    GST_CAT_LOG (rtmfp_packet_debug,
        "session %08x: chunk %s (0x%02x), %" G_GSIZE_FORMAT " bytes", s->id,
        rtmfp_chunk_type_name (type), type, len);
    if (type != RTMFP_CHUNK_USER_DATA && type != RTMFP_CHUNK_NEXT_USER_DATA)
      ctx.have_prev = FALSE;
    switch (type) {
      case RTMFP_CHUNK_PADDING0:
      case RTMFP_CHUNK_PADDING1:
        break;
      case RTMFP_CHUNK_PING:
        if (!open)
          break;
        if (len <= PING_MAX && s->control->len < CONTROL_MAX)
          rtmfp_ping_chunk_build (s->control, TRUE, p, len);
        break;
      case RTMFP_CHUNK_PING_REPLY:
        if (open)
          handle_ping_reply (s, now, from, p, len);
        break;
      case RTMFP_CHUNK_USER_DATA:
      case RTMFP_CHUNK_NEXT_USER_DATA: {
        RtmfpUserDataChunk c;
        gboolean next = type == RTMFP_CHUNK_NEXT_USER_DATA;
        guint64 flow, seq, fsn;

        if (!rtmfp_user_data_chunk_parse (p, len, next, &c)) {
          s->ep->stats.chunks_malformed++;
          ctx.have_prev = FALSE;
          break;
        }
        if (next) {
          if (!ctx.have_prev) {
            s->ep->stats.chunks_unexpected++;
            break;
          }
          flow = ctx.prev_flow;
          seq = ctx.prev_seq + 1;
          fsn = ctx.prev_fsn;
        } else {
          flow = c.flow_id;
          seq = c.seq;
          fsn = c.seq - c.fsn_offset;
        }
        ctx.have_prev = TRUE;
        ctx.user_data = TRUE;
        ctx.prev_flow = flow;
        ctx.prev_seq = seq;
        ctx.prev_fsn = fsn;
        *had_data = TRUE;
        if (open && pkt_base)
          handle_user_data (s, now, &c, flow, seq, fsn, pkt, pkt_base);
        break;
      }
      case RTMFP_CHUNK_ACK_BITMAP:
      case RTMFP_CHUNK_ACK_RANGES: {
        RtmfpAckChunk a;

        if (!rtmfp_ack_chunk_parse (
                p, len, type == RTMFP_CHUNK_ACK_RANGES, &a)) {
          s->ep->stats.chunks_malformed++;
          break;
        }
        if (open)
          handle_ack (s, now, &a, &ctx);
        break;
      }
      case RTMFP_CHUNK_BUFFER_PROBE: {
        guint64 id;
        RtmfpRecvFlow *f;

        if (!rtmfp_buffer_probe_chunk_parse (p, len, &id)) {
          s->ep->stats.chunks_malformed++;
          break;
        }
        if (open && (f = recv_flow_get (s, id))) {
          f->should_ack = TRUE;
          s->ack_now = TRUE;
        }
        break;
      }
      case RTMFP_CHUNK_FLOW_EXCEPTION: {
        guint64 id, code;

        if (!rtmfp_flow_exception_chunk_parse (p, len, &id, &code)) {
          s->ep->stats.chunks_malformed++;
          break;
        }
        if (open)
          handle_exception (s, id, code);
        break;
      }
      case RTMFP_CHUNK_CLOSE:
        if (s->state == S_OPEN || s->state == S_NEARCLOSE ||
            s->state == S_FARCLOSE_LINGER) {
          rtmfp_empty_chunk_build (s->control, RTMFP_CHUNK_CLOSE_ACK);
          if (s->state == S_OPEN) {
            leave_open (s, S_FARCLOSE_LINGER, "closed by the far end");
            s->close_until = now + FARCLOSE_LINGER;
          }
        }
        break;
      case RTMFP_CHUNK_CLOSE_ACK:
        if (s->state == S_OPEN || s->state == S_NEARCLOSE ||
            s->state == S_FARCLOSE_LINGER) {
          leave_open (s, S_CLOSED, "closed (acknowledged by the far end)");
          rtmfp_endpoint_session_closed (s->ep, s);
        }
        break;
      case RTMFP_CHUNK_FIHELLO: {
        RtmfpFIHelloChunk c;

        if (!rtmfp_fihello_chunk_parse (p, len, &c)) {
          s->ep->stats.chunks_malformed++;
          break;
        }
        if (open)
          rtmfp_endpoint_handle_fihello (s->ep, s, &c);
        break;
      }
      default:
        s->ep->stats.chunks_unexpected++;
        break;
    }
  }
  if (pkt_base)
    gst_buffer_unmap (pkt, &map);
  if (s->state == S_OPEN && ctx.any_acks)
    after_acks (s, now, &ctx);
}

void
rtmfp_session_receive (RtmfpSession *s, guint64 now, const RtmfpAddress *from,
    const RtmfpPacketHeader *h, GstBuffer *pkt, const guint8 *chunks,
    gsize chunks_len)
{
  gboolean had_data = FALSE;

  s->last_recv = now;
  s->info.packets_received++;
  s->ping_outstanding = FALSE;
  if (h->flags & RTMFP_FLAG_TCR) {
    s->tcr_seen = TRUE;
    s->tcr_time = now;
  }
  if (h->has_ts && (!s->ts_rx_valid || h->ts != s->ts_rx)) {
    s->ts_rx = h->ts;
    s->ts_rx_time = now;
    s->ts_rx_valid = TRUE;
  }
  if (h->has_tse && (!s->ts_echo_rx_valid || h->tse != s->ts_echo_rx)) {
    guint16 ticks = rtmfp_session_timestamp (now) - h->tse;

    s->ts_echo_rx = h->tse;
    s->ts_echo_rx_valid = TRUE;
    if (ticks <= 32767)
      rfc_rtt_sample (s, ticks * 4 * RTMFP_MS);
  }
  rtmfp_session_process_chunks (
      s, now, from, pkt, chunks, chunks_len, &had_data);
  if (had_data && s->state == S_OPEN) {
    s->rx_data_packets++;
    if (s->rx_data_packets >= 2)
      s->ack_now = TRUE;
  }
  if (s->state == S_OPEN && !rtmfp_address_equal (from, &s->dest) &&
      now >= s->mob_tx_time + RTMFP_SEC)
    send_mobility_check (s, now, from);
}

/* ---- sending ------------------------------------------------------------ */

gboolean
rtmfp_session_seal (RtmfpSession *s, RtmfpPacketKeys *keys, guint32 sid,
    const guint8 *plain, gsize len, GByteArray *out)
{
  return rtmfp_packet_seal (keys, sid, plain, len, out);
}

static void
write_header (RtmfpSession *s, guint64 now, GByteArray *b)
{
  RtmfpPacketHeader h = { 0 };

  h.mode = s->initiator ? RTMFP_MODE_INITIATOR : RTMFP_MODE_RESPONDER;
  h.has_ts = TRUE; /* Mona and librtmfp expect it in every packet */
  h.ts = rtmfp_session_timestamp (now);
  if (s->ts_rx_valid) {
    guint64 elapsed = now - s->ts_rx_time;

    if (elapsed > 128 * RTMFP_SEC) {
      s->ts_rx_valid = FALSE;
      s->ts_echo_tx_valid = FALSE;
    } else {
      guint16 echo = s->ts_rx + elapsed / (4 * RTMFP_MS);

      if (!s->ts_echo_tx_valid || echo != s->ts_echo_tx) {
        s->ts_echo_tx = echo;
        s->ts_echo_tx_valid = TRUE;
        h.has_tse = TRUE;
        h.tse = echo;
      }
    }
  }
  rtmfp_packet_header_write (b, &h);
}

static gboolean
recv_flow_ackable (RtmfpRecvFlow *f)
{
  return f->should_ack && f->state != RF_CLOSED;
}

/* appends acknowledgements of flows that want one; FALSE if one did not
 * fit */
static gboolean
add_acks (RtmfpSession *s, GByteArray *b, gsize max)
{
  gboolean all = TRUE;

  for (guint i = 0; i < s->recv_order->len; i++) {
    RtmfpRecvFlow *f = g_ptr_array_index (s->recv_order, i);
    gsize before = b->len;
    guint64 rwnd;

    if (!recv_flow_ackable (f))
      continue;
    if (f->state == RF_REJECTED) {
      if (b->len + 3 + 2 * RTMFP_VLU_MAX_BYTES > max) {
        all = FALSE;
        break;
      }
      rtmfp_flow_exception_chunk_build (b, f->id, f->exception_code);
    }
    rwnd = rtmfp_recv_flow_rwnd (f);
    /* a primary acknowledgement is truncated to fit; others wait */
    if (!rtmfp_ack_chunk_build (b, f->id, rwnd, f->csn,
            (const RtmfpSeqRange *) f->ranges->data, f->ranges->len,
            max - b->len)) {
      g_byte_array_set_size (b, before);
      all = FALSE;
      break;
    }
    f->should_ack = FALSE;
    f->has_prev_rwnd = TRUE;
    f->prev_rwnd = rwnd;
  }
  return all;
}

static gboolean
can_send_data (RtmfpSession *s)
{
  if (s->state != S_OPEN)
    return FALSE;
  if (s->pto_allowance)
    return TRUE;
  return s->outstanding < s->cwnd && s->data_packet_count < BURST_PACKETS;
}

static gboolean
any_flow_ready (RtmfpSession *s, guint64 now)
{
  for (guint i = 0; i < s->send_order->len; i++) {
    RtmfpSendFlow *f = g_ptr_array_index (s->send_order, i);

    if (rtmfp_send_flow_ready (f) ||
        (f->fsn_update_at && now >= f->fsn_update_at))
      return TRUE;
  }
  return FALSE;
}

static gboolean
add_data (RtmfpSession *s, guint64 now, GByteArray *b, gsize max)
{
  guint n = s->send_order->len;
  gboolean any = FALSE;
  gboolean full = FALSE;

  for (guint k = 0; k < n && !full; k++) {
    RtmfpSendFlow *f = g_ptr_array_index (s->send_order, (s->send_rr + k) % n);
    gboolean first_in_packet = TRUE;
    guint64 prev_seq = 0, prev_fsn = 0;

    if (f->fsn_update_at && now >= f->fsn_update_at && f->base >= f->next_sn &&
        f->next_sn > 1) {
      RtmfpUserDataChunk c = { 0 };

      c.flow_id = f->id;
      c.seq = f->next_sn - 1;
      c.fsn_offset = 0;
      c.abandon = TRUE;
      c.final = f->final_sn && c.seq == f->final_sn;
      if (f->startup_options) {
        c.has_options = TRUE;
        c.metadata = g_bytes_get_data (f->metadata, &c.metadata_len);
        if (!c.metadata)
          c.metadata = (const guint8 *) "";
        c.has_association = f->has_association;
        c.association = f->association;
      }
      if (b->len + rtmfp_user_data_chunk_size (&c, 0) > max)
        break;
      rtmfp_user_data_chunk_build (b, &c);
      GST_CAT_LOG (rtmfp_flow_debug,
          "session %08x flow %" G_GUINT64_FORMAT
          ": forward sequence number update to %" G_GUINT64_FORMAT,
          s->id, f->id, c.seq);
      f->fsn_update_at = now + probe_timeout (s);
      first_in_packet = FALSE;
      prev_seq = c.seq;
      prev_fsn = c.seq;
      any = TRUE;
      continue;
    }

    while (!full) {
      guint64 seq, fsn;
      RtmfpSendEntry *e;
      RtmfpUserDataChunk c = { 0 };
      gsize size;
      GstMapInfo map;
      RtmfpTsnRecord *r;

      if (!s->pto_allowance && s->outstanding >= s->cwnd)
        break;
      if (f->state == F_COMPLETE_LINGER || f->state == F_CLOSED)
        break;
      if (!f->exception && f->outstanding >= f->rx_buffer_size)
        break;
      e = rtmfp_send_flow_next_eligible (f, &seq);
      if (!e)
        break;
      fsn = rtmfp_send_flow_fsn (f);
      c.next = !first_in_packet && seq == prev_seq + 1 && fsn == prev_fsn;
      c.flow_id = f->id;
      c.seq = seq;
      c.fsn_offset = seq - fsn;
      c.fra = e->fra;
      c.abandon = e->abandoned;
      c.final = f->final_sn && seq == f->final_sn;
      if (f->startup_options && first_in_packet) {
        c.has_options = TRUE;
        c.metadata = g_bytes_get_data (f->metadata, &c.metadata_len);
        if (!c.metadata)
          c.metadata = (const guint8 *) "";
        c.has_association = f->has_association;
        c.association = f->association;
      }
      size = rtmfp_user_data_chunk_size (&c, e->abandoned ? 0 : e->len);
      if (b->len + size > max) {
        full = TRUE;
        break;
      }
      if (!e->abandoned && e->buf) {
        if (!gst_buffer_map (e->buf, &map, GST_MAP_READ))
          break;
        c.data = map.data + e->off;
        c.data_len = e->len;
        rtmfp_user_data_chunk_build (b, &c);
        gst_buffer_unmap (e->buf, &map);
      } else {
        rtmfp_user_data_chunk_build (b, &c);
      }
      GST_CAT_LOG (rtmfp_flow_debug,
          "session %08x flow %" G_GUINT64_FORMAT ": sending %" G_GUINT64_FORMAT
          " fsn %" G_GUINT64_FORMAT "%s%s%s",
          s->id, f->id, seq, fsn, c.abandon ? " abandoned" : "",
          c.final ? " final" : "", e->ever_sent ? " again" : "");
      if (e->ever_sent)
        s->info.retransmissions++;
      s->info.fragments_sent++;
      e->in_flight = 1;
      e->ever_sent = 1;
      e->nak_count = 0;
      e->sent_abandoned = e->abandoned;
      e->transmit_size = size;
      e->tsn = s->next_tsn++;
      e->pn = s->next_pn;
      e->sent_time = now;
      if (e->sends < 255)
        e->sends++;
      if (seq == f->next_new)
        f->next_new = seq + 1;
      f->outstanding += size;
      s->outstanding += size;
      r = g_new (RtmfpTsnRecord, 1);
      r->flow = f;
      r->seq = seq;
      r->tsn = e->tsn;
      g_queue_push_tail (&s->tsn_queue, r);
      s->pto_allowance = FALSE;
      any = TRUE;
      first_in_packet = FALSE;
      prev_seq = seq;
      prev_fsn = fsn;
    }
  }
  if (n)
    s->send_rr = (s->send_rr + 1) % n;
  if (any) {
    s->next_pn++;
    s->data_packet_count++;
    s->timeout_alarm = now + s->erto;
    s->pto_alarm = now + probe_timeout (s);
  }
  return any;
}

GBytes *
rtmfp_session_pull (RtmfpSession *s, guint64 now)
{
  GByteArray *b;
  GByteArray *out;
  gsize max = s->ep->config.max_plain_packet;
  gsize header_len;
  gboolean data_ok, control_added = FALSE;

  if (!s->keyed || s->state == S_IHELLO_SENT || s->state == S_KEYING_SENT ||
      s->state == S_OPEN_FAILED)
    return NULL;
  if (s->state != S_OPEN && s->control->len == 0)
    return NULL;
  data_ok = can_send_data (s) && any_flow_ready (s, now);
  if (!s->ack_now && !data_ok && s->control->len == 0)
    return NULL;

  b = g_byte_array_sized_new (max);
  write_header (s, now, b);
  header_len = b->len;
  /* queued control chunks, whole */
  if (s->control->len) {
    RtmfpChunkIter it;
    guint8 type;
    const guint8 *p;
    gsize len, used = 0;

    rtmfp_chunk_iter_init (&it, s->control->data, s->control->len);
    while (rtmfp_chunk_iter_next (&it, &type, &p, &len)) {
      if (b->len + 3 + len > max)
        break;
      rtmfp_put_bytes (b, p - 3, len + 3);
      used = (p + len) - s->control->data;
    }
    if (used == 0) /* too big to ever fit: drop it */
      used = s->control->len;
    g_byte_array_remove_range (s->control, 0, used);
    control_added = TRUE;
  }
  if (s->state == S_OPEN && (s->ack_now || data_ok || control_added)) {
    gboolean all = add_acks (s, b, max);

    if (all) {
      s->ack_now = FALSE;
      s->rx_data_packets = 0;
      s->delack_alarm = RTMFP_NEVER;
    }
  }
  if (data_ok)
    add_data (s, now, b, max);
  if (b->len == header_len) {
    g_byte_array_unref (b);
    return NULL;
  }
  out = g_byte_array_sized_new (b->len + 64);
  if (!rtmfp_packet_seal (&s->keys, s->far_id, b->data, b->len, out)) {
    g_byte_array_unref (b);
    g_byte_array_unref (out);
    return NULL;
  }
  s->info.packets_sent++;
  s->info.bytes_sent += b->len;
  s->info.in_flight = s->outstanding;
  s->last_send = now;
  g_byte_array_unref (b);
  return g_byte_array_free_to_bytes (out);
}

/* ---- timers ------------------------------------------------------------- */

static void
on_timeout (RtmfpSession *s, guint64 now)
{
  gboolean was_loss = FALSE;
  GList *l;

  for (l = s->tsn_queue.head; l; l = l->next) {
    RtmfpTsnRecord *r = l->data;
    RtmfpSendEntry *e = rtmfp_send_flow_entry (r->flow, r->seq);

    if (e && !e->acked && e->in_flight && e->tsn == r->tsn) {
      entry_not_in_flight (s, r->flow, e, r->seq);
      was_loss = TRUE;
    }
  }
  g_queue_clear_full (&s->tsn_queue, g_free);
  if (was_loss) {
    s->erto = MAX (MIN (s->erto * 14142 / 10000, ERTO_MAX), s->mrto);
    s->info.timeouts++;
  }
  s->ssthresh = MAX (s->ssthresh, s->cwnd * 3 / 4);
  s->acked_accum = 0;
  s->cwnd = was_loss ? CWND_TIMEDOUT : CWND_INIT;
  s->recovery_tsn = s->next_tsn;
  s->data_packet_count = 0;
  s->timeout_alarm = RTMFP_NEVER;
  s->pto_alarm = RTMFP_NEVER;
  s->info.cwnd = s->cwnd;
  GST_DEBUG ("session %08x: retransmission timeout, ERTO now %" G_GUINT64_FORMAT
             " us",
      s->id, s->erto);
}

static void
on_probe_timeout (RtmfpSession *s, guint64 now)
{
  GList *l;

  for (l = s->tsn_queue.head; l; l = l->next) {
    RtmfpTsnRecord *r = l->data;
    RtmfpSendEntry *e = rtmfp_send_flow_entry (r->flow, r->seq);

    if (e && !e->acked && e->in_flight && e->tsn == r->tsn) {
      /* a lone packet's acknowledgement is late: expect longer delays */
      if (s->next_pn - 1 - s->max_pn_acked <= 1)
        s->lone_ack = MAX (s->lone_ack, MIN (2 * s->lone_ack, LONE_ACK_INIT));
      entry_not_in_flight (s, r->flow, e, r->seq);
      g_free (r);
      g_queue_delete_link (&s->tsn_queue, l);
      s->pto_allowance = TRUE;
      s->info.probe_retransmissions++;
      break;
    }
  }
  s->pto_count++;
  s->pto_alarm = s->outstanding > 0 || s->pto_allowance ?
      now + probe_timeout (s) :
      RTMFP_NEVER;
}

void
rtmfp_session_advance (RtmfpSession *s, guint64 now)
{
  if (s->state == S_NEARCLOSE) {
    if (now >= s->close_until) {
      leave_open (s, S_CLOSED, "close not acknowledged");
      rtmfp_endpoint_session_closed (s->ep, s);
    } else if (now >= s->close_alarm) {
      rtmfp_empty_chunk_build (s->control, RTMFP_CHUNK_CLOSE);
      s->close_alarm = now + CLOSE_RESEND;
    }
    return;
  }
  if (s->state == S_FARCLOSE_LINGER) {
    if (now >= s->close_until) {
      s->state = S_CLOSED;
      rtmfp_endpoint_session_closed (s->ep, s);
    }
    return;
  }
  if (s->state != S_OPEN)
    return;
  if (now >= s->last_recv + s->ep->config.idle_timeout) {
    rtmfp_session_close (s, now, TRUE, "the far end is silent (timeout)");
    return;
  }
  if (now >= s->delack_alarm) {
    s->ack_now = TRUE;
    s->delack_alarm = RTMFP_NEVER;
  }
  if (now >= s->rack_alarm) {
    PacketCtx ctx = { 0 };

    ctx.pre_ack_outstanding = s->outstanding;
    s->rack_alarm = RTMFP_NEVER;
    /* re-check time-based losses without counting new NAKs */
    {
      GList *l = s->tsn_queue.head;
      guint64 thresh = rack_threshold (s);

      while (l) {
        GList *next = l->next;
        RtmfpTsnRecord *r = l->data;
        RtmfpSendEntry *e = rtmfp_send_flow_entry (r->flow, r->seq);

        if (!e || e->acked || !e->in_flight || e->tsn != r->tsn) {
          g_free (r);
          g_queue_delete_link (&s->tsn_queue, l);
        } else if (r->tsn >= s->max_tsn_ack) {
          break;
        } else if (e->nak_count >= 1 && now >= e->sent_time + thresh) {
          entry_not_in_flight (s, r->flow, e, r->seq);
          if (r->tsn >= s->recovery_tsn)
            ctx.new_episode = TRUE;
          s->info.fast_retransmissions++;
          g_free (r);
          g_queue_delete_link (&s->tsn_queue, l);
        } else if (e->nak_count >= 1) {
          s->rack_alarm = MIN (s->rack_alarm, e->sent_time + thresh);
        }
        l = next;
      }
    }
    if (ctx.new_episode)
      loss_response (s, now, ctx.pre_ack_outstanding);
  }
  if (now >= s->timeout_alarm) {
    on_timeout (s, now);
  } else if (now >= s->pto_alarm) {
    on_probe_timeout (s, now);
  }
  /* keepalive */
  if (now >= s->keepalive_alarm) {
    if (now >= s->last_recv + s->keepalive && s->control->len < CONTROL_MAX) {
      rtmfp_ping_chunk_build (s->control, FALSE, NULL, 0);
      s->ping_outstanding = TRUE;
      s->keepalive_alarm = now + MAX (s->keepalive / 2, s->erto);
    } else {
      s->keepalive_alarm = s->last_recv + s->keepalive;
    }
  }
  /* flows: deadlines, probes, lingering */
  for (guint i = 0; i < s->send_order->len;) {
    RtmfpSendFlow *f = g_ptr_array_index (s->send_order, i);

    if (f->state == F_COMPLETE_LINGER && now >= f->linger_until) {
      send_flow_remove (s, f);
      continue;
    }
    rtmfp_send_flow_expire (f, now);
    if (f->next_probe && now >= f->next_probe && f->rx_buffer_size == 0 &&
        !f->exception && s->control->len < CONTROL_MAX) {
      rtmfp_buffer_probe_chunk_build (s->control, f->id);
      f->probe_interval =
          MIN (f->probe_interval * 2, MAX (60 * RTMFP_SEC, s->erto));
      f->next_probe = now + f->probe_interval;
    }
    i++;
  }
  for (guint i = 0; i < s->recv_order->len;) {
    RtmfpRecvFlow *f = g_ptr_array_index (s->recv_order, i);

    if (f->state == RF_COMPLETE_LINGER && now >= f->linger_until) {
      g_hash_table_remove (s->recv_flows, &f->id);
      g_ptr_array_remove_index (s->recv_order, i);
      rtmfp_recv_flow_free (f);
      continue;
    }
    i++;
  }
}

guint64
rtmfp_session_next_deadline (RtmfpSession *s)
{
  guint64 d = RTMFP_NEVER;

  if (s->state == S_NEARCLOSE)
    return MIN (s->close_alarm, s->close_until);
  if (s->state == S_FARCLOSE_LINGER)
    return s->close_until;
  if (s->state != S_OPEN)
    return RTMFP_NEVER;
  d = MIN (d, s->last_recv + s->ep->config.idle_timeout);
  d = MIN (d, s->delack_alarm);
  d = MIN (d, s->rack_alarm);
  d = MIN (d, s->timeout_alarm);
  d = MIN (d, s->pto_alarm);
  d = MIN (d, s->keepalive_alarm);
  for (guint i = 0; i < s->send_order->len; i++) {
    RtmfpSendFlow *f = g_ptr_array_index (s->send_order, i);
    RtmfpMessageDeadline *md = g_queue_peek_head (&f->deadlines);

    if (f->state == F_COMPLETE_LINGER)
      d = MIN (d, f->linger_until);
    if (md)
      d = MIN (d, md->deadline);
    if (f->next_probe)
      d = MIN (d, f->next_probe);
    if (f->fsn_update_at)
      d = MIN (d, f->fsn_update_at);
  }
  for (guint i = 0; i < s->recv_order->len; i++) {
    RtmfpRecvFlow *f = g_ptr_array_index (s->recv_order, i);

    if (f->state == RF_COMPLETE_LINGER)
      d = MIN (d, f->linger_until);
  }
  return d;
}

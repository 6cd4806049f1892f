/* gst-rtmfp: bulk and streamed transfers over the simulated network with
 * loss, reordering and duplication
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An initiator sends over three reliable flows and one partially reliable
 * flow (messages abandoned 30 ms after queuing). Every message of a
 * reliable flow must arrive once, intact and in order; the partially
 * reliable flow must deliver intact messages in order, with gaps only
 * where the sender abandoned. The volume is RTMFP_SIM_BYTES (default 8 MB
 * per loss rate; 100 MB with -m slow).
 */
#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>

#include "rtmfp.h"
#include "rtmfp-sim.h"

#define N_FLOWS 4
#define PARTIAL 3
#define MS 1000
#define SEC G_GUINT64_CONSTANT (1000000)

static guint32
mix (guint32 x)
{
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}

static gsize frame_size; /* streaming: every message this size */
static guint64 receiver_delack; /* receiver's delayed ack; 0: default */

static gsize
msg_size (guint flow, guint32 idx)
{
  if (frame_size)
    return frame_size;
  return 8 + mix (flow * 1000003u + idx) % 16000;
}

static GstBuffer *
make_msg (guint flow, guint32 idx)
{
  gsize n = msg_size (flow, idx);
  guint8 *p = g_malloc (n);
  guint32 seed = mix (idx ^ (flow << 24));

  p[0] = flow;
  p[1] = idx >> 24;
  p[2] = idx >> 16;
  p[3] = idx >> 8;
  p[4] = idx;
  for (gsize j = 5; j < n; j++)
    p[j] = (seed + j * 13) & 0xff;
  return gst_buffer_new_wrapped (p, n);
}

static gboolean
check_msg (GstBuffer *b, guint flow, guint32 *idx_out)
{
  GstMapInfo m;
  gboolean ok = TRUE;
  guint32 idx, seed;

  gst_buffer_map (b, &m, GST_MAP_READ);
  if (m.size < 8 || m.data[0] != flow) {
    gst_buffer_unmap (b, &m);
    return FALSE;
  }
  idx = ((guint32) m.data[1] << 24) | (m.data[2] << 16) | (m.data[3] << 8) |
      m.data[4];
  seed = mix (idx ^ (flow << 24));
  if (m.size != msg_size (flow, idx))
    ok = FALSE;
  for (gsize j = 5; ok && j < m.size; j++)
    if (m.data[j] != ((seed + j * 13) & 0xff))
      ok = FALSE;
  gst_buffer_unmap (b, &m);
  *idx_out = idx;
  return ok;
}

typedef struct
{
  RtmfpSim *sim;
  guint sender, receiver;
  guint32 session;
  guint32 rsession;
  guint64 flows[N_FLOWS];
  guint64 rflows[N_FLOWS]; /* receiver's id -> index by lookup */
  guint32 next_idx[N_FLOWS];
  gsize sent_bytes[N_FLOWS];
  gsize target_per_flow;
  gboolean closed[N_FLOWS];
  /* receiver */
  gboolean open;
  gint64 expect[N_FLOWS];
  guint32 partial_got, partial_gaps;
  gsize recv_bytes;
  guint completes;
  guint errors;
  guint64 t_start, t_last;
  /* streaming mode */
  gboolean stream;
  guint64 frame_interval;
  gsize frame_size;
  guint64 next_frame;
  guint32 frames;
  guint32 frames_got;
  GHashTable *frame_sent_time;
  guint64 max_latency;
  /* the receiver answers frames below this at once (request/response) */
  guint32 echo_first;
  gboolean has_reply_flow;
  guint64 reply_flow;
} Transfer;

static gint
flow_index (Transfer *t, guint64 rflow)
{
  for (guint i = 0; i < N_FLOWS; i++)
    if (t->rflows[i] == rflow)
      return i;
  return -1;
}

static void
on_event (RtmfpSim *sim, guint node, RtmfpEvent *ev, gpointer user_data)
{
  Transfer *t = user_data;

  if (node == t->sender) {
    if (ev->type == RTMFP_EVENT_SESSION_OPEN)
      t->open = TRUE;
    return;
  }
  switch (ev->type) {
    case RTMFP_EVENT_SESSION_OPEN:
      t->rsession = ev->session;
      break;
    case RTMFP_EVENT_FLOW_OPEN: {
      gsize len;
      const guint8 *md = g_bytes_get_data (ev->metadata, &len);

      g_assert_cmpuint (len, ==, 1);
      g_assert_cmpuint (md[0], <, N_FLOWS);
      t->rflows[md[0]] = ev->flow;
      break;
    }
    case RTMFP_EVENT_MESSAGE: {
      gint f = flow_index (t, ev->flow);
      guint32 idx;

      g_assert_cmpint (f, >=, 0);
      if (!check_msg (ev->data, f, &idx)) {
        t->errors++;
        break;
      }
      t->recv_bytes += gst_buffer_get_size (ev->data);
      t->t_last = rtmfp_sim_now (sim);
      if (f == PARTIAL) {
        if ((gint64) idx <= t->expect[f] - 1)
          t->errors++; /* duplicate or out of order */
        if ((gint64) idx != t->expect[f])
          t->partial_gaps++;
        if ((gint64) idx != t->expect[f] && !ev->discontinuity)
          t->errors++; /* a gap must be signalled */
        t->expect[f] = idx + 1;
        t->partial_got++;
      } else {
        if ((gint64) idx != t->expect[f])
          t->errors++;
        t->expect[f] = idx + 1;
        if (t->stream) {
          guint64 *sent = g_hash_table_lookup (
              t->frame_sent_time, GUINT_TO_POINTER (idx + 1));

          if (sent) {
            guint64 lat = rtmfp_sim_now (sim) - *sent;

            t->max_latency = MAX (t->max_latency, lat);
            if (g_getenv ("RTMFP_SIM_VERBOSE") && lat > 100000)
              g_printerr ("frame %u late by %.1f ms\n", idx, lat / 1000.0);
          }
          t->frames_got++;
          if (idx < t->echo_first) {
            RtmfpEndpoint *rep = rtmfp_sim_endpoint (sim, t->receiver);
            GstBuffer *b = gst_buffer_new_allocate (NULL, 10, NULL);

            gst_buffer_memset (b, 0, 0x5a, 10);
            if (!t->has_reply_flow)
              t->has_reply_flow = rtmfp_endpoint_open_flow (rep, t->rsession,
                  (const guint8 *) "r", 1, TRUE, ev->flow, &t->reply_flow,
                  NULL);
            g_assert_true (rtmfp_endpoint_send (rep, rtmfp_sim_now (sim),
                t->rsession, t->reply_flow, b, 0, NULL, NULL));
            gst_buffer_unref (b);
          }
        }
      }
      break;
    }
    case RTMFP_EVENT_FLOW_COMPLETE:
      t->completes++;
      break;
    default:
      break;
  }
}

static void
on_step (RtmfpSim *sim, gpointer user_data)
{
  Transfer *t = user_data;
  RtmfpEndpoint *ep = rtmfp_sim_endpoint (sim, t->sender);
  guint64 now = rtmfp_sim_now (sim);

  if (!t->open)
    return;
  if (t->stream) {
    while (now >= t->next_frame && t->next_idx[0] < t->frames) {
      guint32 idx = t->next_idx[0]++;
      guint64 *ts = g_new (guint64, 1);
      GstBuffer *b;

      b = make_msg (0, idx);
      *ts = t->next_frame;
      g_hash_table_insert (t->frame_sent_time, GUINT_TO_POINTER (idx + 1), ts);
      g_assert_true (rtmfp_endpoint_send (
          ep, now, t->session, t->flows[0], b, 0, NULL, NULL));
      gst_buffer_unref (b);
      t->next_frame += t->frame_interval;
    }
    if (t->next_idx[0] < t->frames)
      rtmfp_sim_wake_at (sim, t->next_frame);
    if (t->next_idx[0] >= t->frames && !t->closed[0]) {
      rtmfp_endpoint_close_flow (ep, t->session, t->flows[0]);
      t->closed[0] = TRUE;
    }
    return;
  }
  for (guint f = 0; f < N_FLOWS; f++) {
    while (!t->closed[f] &&
        rtmfp_endpoint_flow_queued (ep, t->session, t->flows[f]) < 256 * 1024) {
      guint32 idx;
      GstBuffer *b;

      if (t->sent_bytes[f] >= t->target_per_flow) {
        rtmfp_endpoint_close_flow (ep, t->session, t->flows[f]);
        t->closed[f] = TRUE;
        break;
      }
      idx = t->next_idx[f]++;
      b = make_msg (f, idx);
      t->sent_bytes[f] += gst_buffer_get_size (b);
      g_assert_true (rtmfp_endpoint_send (ep, now, t->session, t->flows[f], b,
          f == PARTIAL ? now + 30 * MS : 0, NULL, NULL));
      gst_buffer_unref (b);
    }
  }
}

static gboolean
all_done (RtmfpSim *sim, gpointer user_data)
{
  Transfer *t = user_data;

  return t->completes >= (t->stream ? 1 : N_FLOWS);
}

static gboolean
is_open (RtmfpSim *sim, gpointer user_data)
{
  return ((Transfer *) user_data)->open;
}

static void
setup (Transfer *t, double loss, guint32 seed, guint64 rate)
{
  RtmfpLink link = { 0 };
  RtmfpConfig c;
  const RtmpCryptoAdapter *crypto = rtmfp_sim_crypto (seed);
  RtmfpAddress ra;
  g_autoptr (GError) error = NULL;

  link.loss = loss;
  link.reorder = 0.01;
  link.reorder_delay = 300;
  link.duplicate = 0.01;
  link.delay = 100;
  link.rate = rate;
  link.queue = 96 * 1024;
  t->sim = rtmfp_sim_new (seed);
  rtmfp_config_init (&c, crypto, FALSE);
  t->sender = rtmfp_sim_add_node (t->sim, &c, &link);
  rtmfp_config_init (&c, crypto, TRUE);
  c.recv_buffer = 2 << 20;
  if (receiver_delack)
    c.delayed_ack = receiver_delack;
  t->receiver = rtmfp_sim_add_node (t->sim, &c, &link);
  for (guint i = 0; i < N_FLOWS; i++)
    t->rflows[i] = G_MAXUINT64;
  rtmfp_sim_set_event_func (t->sim, on_event, t);
  rtmfp_sim_set_step_func (t->sim, on_step, t);
  rtmfp_sim_address (t->sim, t->receiver, &ra);
  t->session =
      rtmfp_endpoint_connect_uri (rtmfp_sim_endpoint (t->sim, t->sender),
          rtmfp_sim_now (t->sim), "rtmfp://10.0.0.2/bulk", &ra, &error);
  g_assert_no_error (error);
  g_assert_true (
      rtmfp_sim_run (t->sim, rtmfp_sim_now (t->sim) + 60 * SEC, is_open, t));
  for (guint i = 0; i < N_FLOWS; i++) {
    guint8 md = i;

    g_assert_true (
        rtmfp_endpoint_open_flow (rtmfp_sim_endpoint (t->sim, t->sender),
            t->session, &md, 1, FALSE, 0, &t->flows[i], &error));
  }
  t->t_start = rtmfp_sim_now (t->sim);
}

static gsize
volume (void)
{
  const gchar *e = g_getenv ("RTMFP_SIM_BYTES");

  if (e)
    return g_ascii_strtoull (e, NULL, 10);
  return g_test_slow () ? 100 * 1000 * 1000 : 8 * 1000 * 1000;
}

static void
run_bulk (double loss)
{
  Transfer t = { 0 };
  RtmfpSessionInfo si;
  const RtmfpSimStats *ns;
  double secs, mbps;
  gsize reliable_sent = 0;
  gint64 t0 = g_get_monotonic_time ();

  setup (&t, loss, 1000 + (guint32) (loss * 1000), 12500000 /* 100 Mbit/s */);
  t.target_per_flow = volume () / N_FLOWS;
  if (!rtmfp_sim_run (
          t.sim, rtmfp_sim_now (t.sim) + 3600 * SEC, all_done, &t)) {
    for (guint f = 0; f < N_FLOWS; f++)
      g_printerr ("flow %u: sent %u messages (%" G_GSIZE_FORMAT
                  " bytes, closed %d), receiver expects %" G_GINT64_FORMAT "\n",
          f, t.next_idx[f], t.sent_bytes[f], t.closed[f], t.expect[f]);
    g_printerr ("completes %u errors %u, %.3f s simulated\n", t.completes,
        t.errors, (rtmfp_sim_now (t.sim) - t.t_start) / 1e6);
    g_assert_not_reached ();
  }
  g_assert_cmpuint (t.errors, ==, 0);
  for (guint f = 0; f < N_FLOWS; f++) {
    if (f != PARTIAL) {
      g_assert_cmpint (t.expect[f], ==, t.next_idx[f]);
      reliable_sent += t.sent_bytes[f];
    }
  }
  g_assert_true (rtmfp_endpoint_get_session_info (
      rtmfp_sim_endpoint (t.sim, t.sender), t.session, &si));
  ns = rtmfp_sim_stats (t.sim);
  secs = (t.t_last - t.t_start) / 1e6;
  mbps = t.recv_bytes * 8 / secs / 1e6;
  g_print ("# loss %4.1f%%: %" G_GSIZE_FORMAT
           " bytes delivered (reliable %" G_GSIZE_FORMAT
           ", partial %u of %u messages) in %.2f s simulated: "
           "%.1f Mbit/s; fragments %" G_GUINT64_FORMAT
           ", retransmissions %" G_GUINT64_FORMAT " (fast %" G_GUINT64_FORMAT
           ", probes %" G_GUINT64_FORMAT ", timeouts %" G_GUINT64_FORMAT
           "), loss events %" G_GUINT64_FORMAT ", srtt %" G_GUINT64_FORMAT
           " us; network: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT
           " lost, %" G_GUINT64_FORMAT " queue drops, %" G_GUINT64_FORMAT
           " duplicated, %" G_GUINT64_FORMAT " reordered; %.1f s real\n",
      loss * 100, t.recv_bytes, reliable_sent, t.partial_got,
      t.next_idx[PARTIAL], secs, mbps, si.fragments_sent, si.retransmissions,
      si.fast_retransmissions, si.probe_retransmissions, si.timeouts,
      si.loss_events, si.srtt, ns->sent, ns->lost, ns->queue_drops,
      ns->duplicated, ns->reordered, (g_get_monotonic_time () - t0) / 1e6);
  if (loss <= 0.05)
    g_assert_cmpfloat (mbps, >=, 20.0);
  rtmfp_sim_free (t.sim);
}

static void
test_bulk_0 (void)
{
  run_bulk (0.0);
}

static void
test_bulk_1 (void)
{
  run_bulk (0.01);
}

static void
test_bulk_5 (void)
{
  run_bulk (0.05);
}

static void
test_bulk_20 (void)
{
  run_bulk (0.20);
}

/* an 8 Mbit/s stream (30 frames of 33 kB a second) at 5% loss: every
 * frame arrives, in order */
static void
test_stream_8mbps (void)
{
  Transfer t = { 0 };
  RtmfpSessionInfo si;

  t.stream = TRUE;
  t.frame_interval = SEC / 30;
  t.frames = 30 * 60;
  t.frame_size = frame_size = 33333;
  t.frame_sent_time = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  setup (&t, 0.05, 4242, 12500000);
  t.next_frame = rtmfp_sim_now (t.sim);
  g_assert_true (
      rtmfp_sim_run (t.sim, rtmfp_sim_now (t.sim) + 600 * SEC, all_done, &t));
  g_assert_cmpuint (t.errors, ==, 0);
  g_assert_cmpuint (t.frames_got, ==, t.frames);
  g_assert_true (rtmfp_endpoint_get_session_info (
      rtmfp_sim_endpoint (t.sim, t.sender), t.session, &si));
  g_print ("# stream at 5%% loss: %u of %u frames (%.1f Mbit/s offered), "
           "worst frame latency %.1f ms, retransmissions %" G_GUINT64_FORMAT
           ", timeouts %" G_GUINT64_FORMAT "\n",
      t.frames_got, t.frames, t.recv_bytes * 8.0 / (t.frames / 30.0) / 1e6,
      t.max_latency / 1000.0, si.retransmissions, si.timeouts);
  g_hash_table_unref (t.frame_sent_time);
  frame_size = 0;
  rtmfp_sim_free (t.sim);
}

/* Sparse media (a 300-byte frame every 40 ms, or every 300 ms) to a
 * receiver that delays the acknowledgement of a lone packet by 200 ms, as
 * RFC 7016 3.6.3.4.4 allows and rtmfp-cpp does: no loss, so nothing may be
 * sent twice. Live against tcserver the probe timeout (a few round trips)
 * fired before every delayed acknowledgement, and about a third of the
 * packets of a publisher were needless retransmissions. */
static void
run_sparse (guint64 interval, guint32 frames, guint32 echo_first)
{
  Transfer t = { 0 };
  RtmfpSessionInfo si;
  RtmfpSim *sim;

  t.stream = TRUE;
  t.frame_interval = interval;
  t.frames = frames;
  t.frame_size = frame_size = 300;
  t.frame_sent_time = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  t.echo_first = echo_first;
  receiver_delack = 200 * MS;
  setup (&t, 0, 77, 12500000);
  sim = t.sim;
  t.next_frame = rtmfp_sim_now (sim);
  g_assert_true (
      rtmfp_sim_run (sim, rtmfp_sim_now (sim) + 600 * SEC, all_done, &t));
  g_assert_cmpuint (t.errors, ==, 0);
  g_assert_cmpuint (t.frames_got, ==, t.frames);
  g_assert_true (rtmfp_endpoint_get_session_info (
      rtmfp_sim_endpoint (sim, t.sender), t.session, &si));
  g_print (
      "# sparse frames every %" G_GUINT64_FORMAT " ms (the first %u "
      "answered at once), acks delayed 200 ms: %u frames, %" G_GUINT64_FORMAT
      " fragments, retransmissions %" G_GUINT64_FORMAT
      " (probes %" G_GUINT64_FORMAT
      "), worst latency %.1f ms, srtt %" G_GUINT64_FORMAT " us\n",
      interval / MS, echo_first, t.frames_got, si.fragments_sent,
      si.retransmissions, si.probe_retransmissions, t.max_latency / 1000.0,
      si.srtt);
  g_assert_cmpuint (si.retransmissions, ==, 0);
  g_assert_cmpuint (si.probe_retransmissions, ==, 0);
  g_assert_cmpuint (si.timeouts, ==, 0);
  /* a delayed acknowledgement is no round trip (200 us here) */
  g_assert_cmpuint (si.srtt, <, 10 * MS);
  g_hash_table_unref (t.frame_sent_time);
  frame_size = 0;
  receiver_delack = 0;
  rtmfp_sim_free (sim);
}

static void
test_sparse_40ms (void)
{
  run_sparse (40 * MS, 250, 0);
}

static void
test_sparse_300ms (void)
{
  run_sparse (300 * MS, 40, 0);
}

/* Commands answered at once (connect, createStream, play: the answer
 * carries the acknowledgement), then media nobody answers: the quick
 * answers say nothing of the far end's delayed acknowledgements. Live
 * against tcserver the last lone packet of a publisher was probed after
 * 158 ms, before tcserver's 200 ms delayed acknowledgement. */
static void
test_sparse_after_answers (void)
{
  run_sparse (300 * MS, 40, 10);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtmfp/transfer/bulk-loss-0", test_bulk_0);
  g_test_add_func ("/rtmfp/transfer/bulk-loss-1", test_bulk_1);
  g_test_add_func ("/rtmfp/transfer/bulk-loss-5", test_bulk_5);
  g_test_add_func ("/rtmfp/transfer/bulk-loss-20", test_bulk_20);
  g_test_add_func ("/rtmfp/transfer/stream-8mbps-loss-5", test_stream_8mbps);
  g_test_add_func (
      "/rtmfp/transfer/sparse-delayed-acks-40ms", test_sparse_40ms);
  g_test_add_func (
      "/rtmfp/transfer/sparse-delayed-acks-300ms", test_sparse_300ms);
  g_test_add_func ("/rtmfp/transfer/sparse-delayed-acks-after-answers",
      test_sparse_after_answers);
  return g_test_run ();
}

/* gst-rtmfp tests: a deterministic simulated network
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfp-sim.h"
#include "rtmpecrypto.h"

#include <string.h>

/* ---- deterministic crypto ----------------------------------------------- */

static GRand *det_rand;

static void
det_random (gpointer user_data, guint8 *buf, gsize len)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = g_rand_int (det_rand) & 0xff;
}

static RtmpDh *
det_dh_new (gpointer user_data, const guint8 *p, gsize p_len, guint g,
    const guint8 *priv, gsize priv_len, GError **error)
{
  const RtmpCryptoAdapter *o = rtmpe_crypto_openssl ();
  guint8 x[32];

  if (!priv) {
    det_random (NULL, x, sizeof (x));
    x[0] |= 0x80;
    priv = x;
    priv_len = sizeof (x);
  }
  return o->dh_new (o->user_data, p, p_len, g, priv, priv_len, error);
}

#define PASS(name, ret, args, call)                                            \
  static ret det_##name args                                                   \
  {                                                                            \
    const RtmpCryptoAdapter *o = rtmpe_crypto_openssl ();                      \
    return o->name call;                                                       \
  }

PASS (dh_compute, gboolean,
    (gpointer u, RtmpDh *dh, const guint8 *peer, gsize len, guint8 *s,
        GError **e),
    (o->user_data, dh, peer, len, s, e))
PASS (aes_new, RtmpAes *, (gpointer u, const guint8 *k), (o->user_data, k))
PASS (aes_cbc, gboolean,
    (gpointer u, RtmpAes *a, gboolean enc, const guint8 *iv, const guint8 *in,
        guint8 *out, gsize len),
    (o->user_data, a, enc, iv, in, out, len))

static void
det_dh_get_public (gpointer u, RtmpDh *dh, guint8 *out)
{
  const RtmpCryptoAdapter *o = rtmpe_crypto_openssl ();

  o->dh_get_public (o->user_data, dh, out);
}

static void
det_dh_free (gpointer u, RtmpDh *dh)
{
  const RtmpCryptoAdapter *o = rtmpe_crypto_openssl ();

  o->dh_free (o->user_data, dh);
}

static void
det_aes_free (gpointer u, RtmpAes *a)
{
  const RtmpCryptoAdapter *o = rtmpe_crypto_openssl ();

  o->aes_free (o->user_data, a);
}

const RtmpCryptoAdapter *
rtmfp_sim_crypto (guint32 seed)
{
  static RtmpCryptoAdapter a;

  if (det_rand)
    g_rand_free (det_rand);
  det_rand = g_rand_new_with_seed (seed);
  a.random = det_random;
  a.dh_new = det_dh_new;
  a.dh_get_public = det_dh_get_public;
  a.dh_compute = det_dh_compute;
  a.dh_free = det_dh_free;
  a.aes_new = det_aes_new;
  a.aes_cbc = det_aes_cbc;
  a.aes_free = det_aes_free;
  return &a;
}

/* ---- the network -------------------------------------------------------- */

typedef struct
{
  RtmfpEndpoint *ep;
  RtmfpAddress addr;
  RtmfpLink link;
  guint64 link_free; /* when the egress link is idle again */
} Node;

typedef struct
{
  guint64 time;
  guint64 order;
  guint from, to;
  GBytes *data;
} Arrival;

struct _RtmfpSim
{
  GRand *rand;
  GArray *nodes; /* Node */
  GSequence *arrivals;
  guint64 order;
  guint64 now;
  RtmfpSimEventFunc event_func;
  gpointer event_data;
  void (*step_func) (RtmfpSim *, gpointer);
  gpointer step_data;
  RtmfpSimStats stats;
  guint64 wake;
};

static gint
arrival_cmp (gconstpointer a, gconstpointer b, gpointer u)
{
  const Arrival *x = a, *y = b;

  if (x->time != y->time)
    return x->time < y->time ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static void
arrival_free (gpointer p)
{
  Arrival *a = p;

  g_bytes_unref (a->data);
  g_free (a);
}

RtmfpSim *
rtmfp_sim_new (guint32 seed)
{
  RtmfpSim *sim = g_new0 (RtmfpSim, 1);

  sim->rand = g_rand_new_with_seed (seed ^ 0x5eed);
  sim->nodes = g_array_new (FALSE, TRUE, sizeof (Node));
  sim->arrivals = g_sequence_new (arrival_free);
  sim->now = 1000 * G_USEC_PER_SEC;
  sim->wake = G_MAXUINT64;
  return sim;
}

void
rtmfp_sim_free (RtmfpSim *sim)
{
  for (guint i = 0; i < sim->nodes->len; i++)
    rtmfp_endpoint_free (g_array_index (sim->nodes, Node, i).ep);
  g_array_unref (sim->nodes);
  g_sequence_free (sim->arrivals);
  g_rand_free (sim->rand);
  g_free (sim);
}

guint
rtmfp_sim_add_node (RtmfpSim *sim, RtmfpConfig *config, const RtmfpLink *link)
{
  Node n = { 0 };
  GError *error = NULL;

  n.ep = rtmfp_endpoint_new (config, sim->now, &error);
  g_assert_no_error (error);
  rtmfp_address_set_ipv4 (&n.addr, 10, 0, 0, sim->nodes->len + 1, 1935);
  n.link = *link;
  g_array_append_val (sim->nodes, n);
  return sim->nodes->len - 1;
}

RtmfpEndpoint *
rtmfp_sim_endpoint (RtmfpSim *sim, guint node)
{
  return g_array_index (sim->nodes, Node, node).ep;
}

void
rtmfp_sim_address (RtmfpSim *sim, guint node, RtmfpAddress *a)
{
  *a = g_array_index (sim->nodes, Node, node).addr;
}

guint64
rtmfp_sim_now (RtmfpSim *sim)
{
  return sim->now;
}

void
rtmfp_sim_set_event_func (
    RtmfpSim *sim, RtmfpSimEventFunc func, gpointer user_data)
{
  sim->event_func = func;
  sim->event_data = user_data;
}

void
rtmfp_sim_set_step_func (
    RtmfpSim *sim, void (*func) (RtmfpSim *, gpointer), gpointer user_data)
{
  sim->step_func = func;
  sim->step_data = user_data;
}

void
rtmfp_sim_wake_at (RtmfpSim *sim, guint64 t)
{
  sim->wake = MIN (sim->wake, t);
}

const RtmfpSimStats *
rtmfp_sim_stats (RtmfpSim *sim)
{
  return &sim->stats;
}

static gint
node_by_addr (RtmfpSim *sim, const RtmfpAddress *a)
{
  for (guint i = 0; i < sim->nodes->len; i++)
    if (rtmfp_address_equal (&g_array_index (sim->nodes, Node, i).addr, a))
      return i;
  return -1;
}

static void
schedule (RtmfpSim *sim, guint from, guint to, GBytes *data, guint64 t)
{
  Arrival *a = g_new0 (Arrival, 1);

  a->time = t;
  a->order = sim->order++;
  a->from = from;
  a->to = to;
  a->data = data;
  g_sequence_insert_sorted (sim->arrivals, a, arrival_cmp, NULL);
}

static void
transmit (RtmfpSim *sim, guint from, const RtmfpAddress *to, GBytes *data)
{
  Node *n = &g_array_index (sim->nodes, Node, from);
  gint dst = node_by_addr (sim, to);
  gsize size = g_bytes_get_size (data) + 28;
  guint64 start, t;

  sim->stats.sent++;
  if (dst < 0) {
    g_bytes_unref (data);
    return;
  }
  start = MAX (sim->now, n->link_free);
  if (n->link.rate) {
    guint64 backlog = (start - sim->now) * n->link.rate / G_USEC_PER_SEC;

    if (backlog + size > n->link.queue) {
      sim->stats.queue_drops++;
      g_bytes_unref (data);
      return;
    }
    n->link_free = start + size * G_USEC_PER_SEC / n->link.rate;
  } else {
    n->link_free = start;
  }
  if (g_rand_double (sim->rand) < n->link.loss) {
    sim->stats.lost++;
    g_bytes_unref (data);
    return;
  }
  t = n->link_free + n->link.delay;
  if (n->link.reorder > 0 && g_rand_double (sim->rand) < n->link.reorder) {
    t += g_rand_int_range (sim->rand, 1, (gint32) n->link.reorder_delay + 1);
    sim->stats.reordered++;
  }
  if (n->link.duplicate > 0 && g_rand_double (sim->rand) < n->link.duplicate) {
    schedule (sim, from, dst, g_bytes_ref (data),
        t + g_rand_int_range (sim->rand, 0, 500));
    sim->stats.duplicated++;
  }
  schedule (sim, from, dst, data, t);
}

static void
drain (RtmfpSim *sim, guint i)
{
  Node *n = &g_array_index (sim->nodes, Node, i);
  RtmfpAddress to;
  GBytes *d;
  RtmfpEvent ev;

  for (;;) {
    gboolean any = FALSE;

    while ((d = rtmfp_endpoint_pull_datagram (n->ep, sim->now, &to))) {
      transmit (sim, i, &to, d);
      n = &g_array_index (sim->nodes, Node, i);
      any = TRUE;
    }
    while (rtmfp_endpoint_pop_event (n->ep, &ev)) {
      if (sim->event_func)
        sim->event_func (sim, i, &ev, sim->event_data);
      rtmfp_event_clear (&ev);
      n = &g_array_index (sim->nodes, Node, i);
      any = TRUE;
    }
    if (!any)
      break;
  }
}

static void
drain_all (RtmfpSim *sim)
{
  if (sim->wake <= sim->now)
    sim->wake = G_MAXUINT64;
  if (sim->step_func)
    sim->step_func (sim, sim->step_data);
  for (guint i = 0; i < sim->nodes->len; i++)
    drain (sim, i);
}

gboolean
rtmfp_sim_run (RtmfpSim *sim, guint64 until,
    gboolean (*done) (RtmfpSim *, gpointer), gpointer user_data)
{
  drain_all (sim);
  while (!(done && done (sim, user_data))) {
    guint64 next = G_MAXUINT64;
    GSequenceIter *it = g_sequence_get_begin_iter (sim->arrivals);

    if (!g_sequence_iter_is_end (it))
      next = ((Arrival *) g_sequence_get (it))->time;
    next = MIN (next, sim->wake);
    for (guint i = 0; i < sim->nodes->len; i++)
      next = MIN (next,
          rtmfp_endpoint_next_deadline (
              g_array_index (sim->nodes, Node, i).ep));
    if (next == G_MAXUINT64 || next > until) {
      sim->now = MAX (sim->now, MIN (until, next));
      return done ? done (sim, user_data) : TRUE;
    }
    sim->now = MAX (sim->now, next);
    /* deliver everything due now */
    for (;;) {
      Arrival *a;

      it = g_sequence_get_begin_iter (sim->arrivals);
      if (g_sequence_iter_is_end (it))
        break;
      a = g_sequence_get (it);
      if (a->time > sim->now)
        break;
      {
        Node *src = &g_array_index (sim->nodes, Node, a->from);
        RtmfpEndpoint *dst = g_array_index (sim->nodes, Node, a->to).ep;
        gsize len;
        const guint8 *p = g_bytes_get_data (a->data, &len);

        sim->stats.delivered++;
        rtmfp_endpoint_receive (dst, sim->now, &src->addr, p, len);
      }
      g_sequence_remove (it);
    }
    for (guint i = 0; i < sim->nodes->len; i++) {
      RtmfpEndpoint *ep = g_array_index (sim->nodes, Node, i).ep;

      if (rtmfp_endpoint_next_deadline (ep) <= sim->now)
        rtmfp_endpoint_advance (ep, sim->now);
    }
    drain_all (sim);
  }
  return TRUE;
}

/* gst-rtmfp: a NetConnection and its NetStreams over the flows of one
 * RTMFP session
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmfpnetconn.h"
#include "rtmfptc.h"
#include "rtmpcontrol.h"
#include "rtmperror.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtmfp_netconn_debug);
#define GST_CAT_DEFAULT rtmfp_netconn_debug

/* held behind a Flow Synchronization barrier, per flow */
#define MAX_HELD_MESSAGES 4096

enum
{
  KIND_DATA,
  KIND_AUDIO,
  KIND_VIDEO,
  N_KINDS
};

typedef struct
{
  guint64 id;
  guint32 stream_id;
  gboolean has_assoc;
  guint64 assoc;
  gboolean suspended;
  guint32 sync_id;
  guint32 sync_count;
  GQueue held; /* RtmpMessage */
} RecvFlow;

typedef struct
{
  guint64 id;
  guint32 stream_id;
  guint kind;
} SendFlow;

struct _RtmfpNetConn
{
  RtmfpEndpoint *ep;
  guint32 session;
  RtmfpNetConnRole role;
  RtmpSession *rs;
  guint max_recv_flows;
  guint64 media_lifetime;
  gboolean split_media;

  GHashTable *recv; /* guint64 flow id -> RecvFlow */
  GHashTable *send; /* guint64 (stream << 2 | kind) -> SendFlow */
  gboolean has_control; /* our stream-0 flow */
  guint64 control;
  gboolean has_peer_control; /* the peer's stream-0 flow we answer */
  guint64 peer_control;
  GHashTable *peer_first; /* stream id -> the peer's first flow of it */
  guint32 next_sync_id;
  RtmfpNetConnStats stats;
};

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmfp_netconn_debug, "rtmfp-netconn", 0,
        "RTMFP: NetConnection and NetStream messages over flows");
    g_once_init_leave (&once, 1);
  }
}

static void
recv_flow_free (gpointer p)
{
  RecvFlow *f = p;

  g_queue_clear_full (&f->held, (GDestroyNotify) rtmp_message_free);
  g_free (f);
}

RtmfpNetConn *
rtmfp_netconn_new (RtmfpEndpoint *ep, guint32 session, RtmfpNetConnRole role,
    RtmpSession *rs, guint max_recv_flows)
{
  RtmfpNetConn *nc = g_new0 (RtmfpNetConn, 1);

  debug_init ();
  nc->ep = ep;
  nc->session = session;
  nc->role = role;
  nc->rs = rs;
  nc->max_recv_flows = MAX (max_recv_flows, 2);
  rtmp_session_set_message_mode (rs, TRUE);
  nc->recv =
      g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, recv_flow_free);
  nc->send =
      g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  nc->peer_first = g_hash_table_new (NULL, NULL);
  nc->next_sync_id = 1;
  return nc;
}

void
rtmfp_netconn_free (RtmfpNetConn *nc)
{
  if (!nc)
    return;
  g_hash_table_unref (nc->recv);
  g_hash_table_unref (nc->send);
  g_hash_table_unref (nc->peer_first);
  rtmp_session_free (nc->rs);
  g_free (nc);
}

guint32
rtmfp_netconn_get_session (RtmfpNetConn *nc)
{
  return nc->session;
}

RtmfpNetConnRole
rtmfp_netconn_get_role (RtmfpNetConn *nc)
{
  return nc->role;
}

RtmpSession *
rtmfp_netconn_get_rtmp (RtmfpNetConn *nc)
{
  return nc->rs;
}

void
rtmfp_netconn_set_media_lifetime (RtmfpNetConn *nc, guint64 lifetime_us)
{
  nc->media_lifetime = lifetime_us;
}

void
rtmfp_netconn_get_stats (RtmfpNetConn *nc, RtmfpNetConnStats *stats)
{
  *stats = nc->stats;
}

/* ---- receiving ----------------------------------------------------------- */

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | (p[2] << 8) | p[3];
}

static gboolean
parse_user_control (const RtmpMessage *msg, guint16 *event, guint32 *a,
    guint32 *b, gboolean *has_b)
{
  guint8 d[10];
  gsize n;

  if (msg->type != RTMP_MESSAGE_TYPE_USER_CONTROL)
    return FALSE;
  n = gst_buffer_extract (msg->payload, 0, d, sizeof (d));
  if (n < 6)
    return FALSE;
  *event = (d[0] << 8) | d[1];
  *a = be32 (d + 2);
  *has_b = n >= 10;
  *b = *has_b ? be32 (d + 6) : 0;
  return TRUE;
}

static gboolean deliver (RtmfpNetConn *nc, RecvFlow *f, RtmpMessage *msg,
    guint64 now, GError **error);

/* Resumes flow @f and delivers what it held, until it suspends again. */
static gboolean
resume (RtmfpNetConn *nc, RecvFlow *f, guint64 now, GError **error)
{
  RtmpMessage *m;

  f->suspended = FALSE;
  while (!f->suspended && (m = g_queue_pop_head (&f->held)))
    if (!deliver (nc, f, m, now, error))
      return FALSE;
  return TRUE;
}

static gint
compare_flow_ids (gconstpointer a, gconstpointer b)
{
  const RecvFlow *fa = *(RecvFlow *const *) a;
  const RecvFlow *fb = *(RecvFlow *const *) b;

  return fa->id < fb->id ? -1 : fa->id > fb->id;
}

/* Releases the flows of @stream_id waiting at sync @sync_id once @count of
 * them got there (@force: whatever waits on that stream). */
static gboolean
check_barrier (RtmfpNetConn *nc, guint32 stream_id, guint32 sync_id,
    guint32 count, gboolean force, guint64 now, GError **error)
{
  GHashTableIter it;
  RecvFlow *f;
  GPtrArray *waiting = g_ptr_array_new ();
  gboolean ok = TRUE;

  g_hash_table_iter_init (&it, nc->recv);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &f))
    if (f->stream_id == stream_id && f->suspended &&
        (force || f->sync_id == sync_id))
      g_ptr_array_add (waiting, f);
  /* the oldest flow first (the one with the stream's commands and data) */
  g_ptr_array_sort (waiting, compare_flow_ids);
  if (force || waiting->len >= count) {
    GST_LOG ("session %08x stream %u: sync %u reached on %u flows", nc->session,
        stream_id, sync_id, waiting->len);
    for (guint i = 0; ok && i < waiting->len; i++)
      ok = resume (nc, g_ptr_array_index (waiting, i), now, error);
  }
  g_ptr_array_unref (waiting);
  return ok;
}

/* One message of flow @f, in its order; @msg is taken. */
static gboolean
deliver (RtmfpNetConn *nc, RecvFlow *f, RtmpMessage *msg, guint64 now,
    GError **error)
{
  guint16 event;
  guint32 a, b;
  gboolean has_b, ok;

  if (f->suspended) {
    if (g_queue_get_length (&f->held) >= MAX_HELD_MESSAGES) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_TOO_LARGE,
          "flow %" G_GUINT64_FORMAT ": more than %d messages behind a Flow "
          "Synchronization that never completes",
          f->id, MAX_HELD_MESSAGES);
      rtmp_message_free (msg);
      return FALSE;
    }
    g_queue_push_tail (&f->held, msg);
    return TRUE;
  }
  if (parse_user_control (msg, &event, &a, &b, &has_b)) {
    if (event == RTMFP_USER_CONTROL_FLOW_SYNC && has_b) {
      nc->stats.syncs_received++;
      f->suspended = TRUE;
      f->sync_id = a;
      f->sync_count = b;
      rtmp_message_free (msg);
      return check_barrier (nc, f->stream_id, a, b, FALSE, now, error);
    }
    if (event == RTMFP_USER_CONTROL_SET_KEEPALIVE && has_b) {
      /* the server's keepalive period for us (clamped by the core) */
      guint64 ms = nc->role == RTMFP_NETCONN_P2P_PLAYER ||
              nc->role == RTMFP_NETCONN_P2P_SERVER ?
          b :
          a;

      GST_DEBUG (
          "session %08x: keepalive %" G_GUINT64_FORMAT " ms", nc->session, ms);
      rtmfp_endpoint_set_keepalive (nc->ep, nc->session, ms * 1000);
      rtmp_message_free (msg);
      return TRUE;
    }
  }
  ok = rtmp_session_push_message (nc->rs, msg, now / 1000, error);
  rtmp_message_free (msg);
  return ok;
}

static void
flow_open (RtmfpNetConn *nc, const RtmfpEvent *ev)
{
  RecvFlow *f;
  guint32 stream_id;
  gboolean network_order;
  gsize len = 0;
  const guint8 *md =
      ev->metadata ? g_bytes_get_data (ev->metadata, &len) : NULL;

  if (!md || !rtmfp_tc_metadata_parse (md, len, &stream_id, &network_order)) {
    GST_DEBUG ("session %08x: flow %" G_GUINT64_FORMAT " is not a TC flow: "
               "rejected",
        nc->session, ev->flow);
    nc->stats.flows_rejected++;
    rtmfp_endpoint_reject_flow (nc->ep, nc->session, ev->flow, 0);
    return;
  }
  if (g_hash_table_size (nc->recv) >= nc->max_recv_flows) {
    GST_WARNING ("session %08x: more than %u flows: flow %" G_GUINT64_FORMAT
                 " rejected",
        nc->session, nc->max_recv_flows, ev->flow);
    nc->stats.flows_rejected++;
    rtmfp_endpoint_reject_flow (nc->ep, nc->session, ev->flow, 0);
    return;
  }
  f = g_new0 (RecvFlow, 1);
  f->id = ev->flow;
  f->stream_id = stream_id;
  f->has_assoc = ev->has_association;
  f->assoc = ev->association;
  g_queue_init (&f->held);
  g_hash_table_insert (nc->recv, &f->id, f);
  GST_DEBUG ("session %08x: flow %" G_GUINT64_FORMAT " opened for stream %u%s",
      nc->session, f->id, stream_id,
      f->has_assoc ? " (associated)" : " (no association)");

  if (stream_id == 0 && !nc->has_peer_control) {
    /* the server answers our control flow; a client opens its own */
    if (nc->role == RTMFP_NETCONN_CLIENT) {
      if (f->has_assoc && nc->has_control && f->assoc == nc->control) {
        nc->has_peer_control = TRUE;
        nc->peer_control = f->id;
      }
    } else if (!f->has_assoc) {
      nc->has_peer_control = TRUE;
      nc->peer_control = f->id;
    }
  }
  if (!g_hash_table_contains (nc->peer_first, GUINT_TO_POINTER (stream_id)))
    g_hash_table_insert (nc->peer_first, GUINT_TO_POINTER (stream_id), f);
}

static void
forget_flow (RtmfpNetConn *nc, RecvFlow *f)
{
  if (g_hash_table_lookup (nc->peer_first, GUINT_TO_POINTER (f->stream_id)) ==
      f)
    g_hash_table_remove (nc->peer_first, GUINT_TO_POINTER (f->stream_id));
  g_hash_table_remove (nc->recv, &f->id);
}

gboolean
rtmfp_netconn_handle_event (
    RtmfpNetConn *nc, guint64 now, const RtmfpEvent *ev, GError **error)
{
  RecvFlow *f;

  switch (ev->type) {
    case RTMFP_EVENT_FLOW_OPEN:
      flow_open (nc, ev);
      return TRUE;
    case RTMFP_EVENT_MESSAGE: {
      RtmpMessage *msg;

      f = g_hash_table_lookup (nc->recv, &ev->flow);
      if (!f)
        return TRUE;
      nc->stats.messages_received++;
      msg = rtmfp_tc_message_decode (ev->data, f->stream_id);
      if (!msg) {
        GST_DEBUG ("session %08x flow %" G_GUINT64_FORMAT ": a message "
                   "shorter than its 5-byte header, ignored",
            nc->session, ev->flow);
        return TRUE;
      }
      GST_LOG ("session %08x flow %" G_GUINT64_FORMAT ": %s message, %u ms, "
               "%" G_GSIZE_FORMAT " bytes%s",
          nc->session, ev->flow, rtmp_message_type_name (msg->type),
          msg->timestamp, gst_buffer_get_size (msg->payload),
          ev->discontinuity ? " (after abandoned ones)" : "");
      return deliver (nc, f, msg, now, error);
    }
    case RTMFP_EVENT_FLOW_COMPLETE: {
      guint32 stream_id;
      gboolean ok;

      f = g_hash_table_lookup (nc->recv, &ev->flow);
      if (!f)
        return TRUE;
      stream_id = f->stream_id;
      /* what it still held goes first */
      ok = resume (nc, f, now, error);
      forget_flow (nc, f);
      /* a barrier that counted on it will not complete */
      return ok && check_barrier (nc, stream_id, 0, 0, TRUE, now, error);
    }
    case RTMFP_EVENT_FLOW_REJECTED: {
      GHashTableIter it;
      SendFlow *sf;

      g_hash_table_iter_init (&it, nc->send);
      while (g_hash_table_iter_next (&it, NULL, (gpointer *) &sf)) {
        if (sf->id == ev->flow) {
          GST_DEBUG (
              "session %08x: the peer rejected our flow %" G_GUINT64_FORMAT
              " (stream %u)",
              nc->session, sf->id, sf->stream_id);
          g_hash_table_iter_remove (&it);
          break;
        }
      }
      return TRUE;
    }
    default:
      return TRUE;
  }
}

/* ---- sending ------------------------------------------------------------- */

/* The flow a message of ours goes on. One flow carries a NetStream's
 * commands, data, audio and video, as MonaServer and librtmfp do: the far
 * end gets them in the order the stream has them (an FLV stream needs its
 * metadata before its frames, and frames in order across audio and
 * video), and partial reliability still lets an abandoned frame be
 * skipped without waiting. With split_media, audio and video each get
 * their own flow (as rtmp-cpp does), so audio never waits behind a lost
 * video fragment; the far end then interleaves them as they arrive. */
static guint
kind_of (RtmfpNetConn *nc, guint32 stream_id, guint8 type)
{
  if (stream_id == 0 || !nc->split_media)
    return KIND_DATA;
  if (type == RTMP_MESSAGE_TYPE_AUDIO)
    return KIND_AUDIO;
  if (type == RTMP_MESSAGE_TYPE_VIDEO)
    return KIND_VIDEO;
  return KIND_DATA;
}

/* What a new flow of ours for @stream_id answers (RFC 7425 5.1.1 as the
 * peers do it; see the header). */
static gboolean
association_for (RtmfpNetConn *nc, guint32 stream_id, guint64 *assoc)
{
  RecvFlow *f;

  switch (nc->role) {
    case RTMFP_NETCONN_CLIENT:
      if (stream_id == 0 || !nc->has_peer_control)
        return FALSE;
      *assoc = nc->peer_control;
      return TRUE;
    case RTMFP_NETCONN_P2P_PLAYER:
      return FALSE;
    case RTMFP_NETCONN_SERVER:
      if (!nc->has_peer_control)
        return FALSE;
      *assoc = nc->peer_control;
      return TRUE;
    case RTMFP_NETCONN_P2P_SERVER:
      f = g_hash_table_lookup (nc->peer_first, GUINT_TO_POINTER (stream_id));
      if (!f)
        return FALSE;
      *assoc = f->id;
      return TRUE;
  }
  return FALSE;
}

static SendFlow *
send_flow (RtmfpNetConn *nc, guint32 stream_id, guint kind, GError **error)
{
  guint64 key = ((guint64) stream_id << 2) | kind;
  SendFlow *sf = g_hash_table_lookup (nc->send, &key);
  GBytes *md;
  gsize len;
  const guint8 *p;
  guint64 assoc = 0;
  gboolean has_assoc;
  guint64 id;
  gboolean ok;

  if (sf)
    return sf;
  has_assoc = association_for (nc, stream_id, &assoc);
  /* "deliver in sequence order", as every Flash peer asks: librtmfp
   * accepts no other flags */
  md = rtmfp_tc_metadata_new (stream_id, FALSE);
  p = g_bytes_get_data (md, &len);
  ok = rtmfp_endpoint_open_flow (
      nc->ep, nc->session, p, len, has_assoc, assoc, &id, error);
  g_bytes_unref (md);
  if (!ok)
    return NULL;
  sf = g_new0 (SendFlow, 1);
  sf->id = id;
  sf->stream_id = stream_id;
  sf->kind = kind;
  g_hash_table_insert (nc->send, g_memdup2 (&key, sizeof (key)), sf);
  if (stream_id == 0 && !nc->has_control) {
    nc->has_control = TRUE;
    nc->control = id;
  }
  GST_DEBUG ("session %08x: our flow %" G_GUINT64_FORMAT
             " for stream %u (%s)%s",
      nc->session, id, stream_id,
      kind == KIND_AUDIO     ? "audio" :
          kind == KIND_VIDEO ? "video" :
                               "data",
      has_assoc ? ", associated" : "");
  return sf;
}

static gboolean
send_message (
    RtmfpNetConn *nc, guint64 now, const RtmpMessage *msg, GError **error)
{
  guint kind = kind_of (nc, msg->stream_id, msg->type);
  SendFlow *sf = send_flow (nc, msg->stream_id, kind, error);
  guint64 deadline = 0;

  if (!sf)
    return FALSE;
  if ((msg->type == RTMP_MESSAGE_TYPE_AUDIO ||
          msg->type == RTMP_MESSAGE_TYPE_VIDEO) &&
      nc->media_lifetime)
    deadline = now + nc->media_lifetime;
  nc->stats.messages_sent++;
  return rtmfp_endpoint_send_rtmp (
      nc->ep, now, nc->session, sf->id, msg, deadline, NULL, error);
}

gboolean
rtmfp_netconn_flush (RtmfpNetConn *nc, guint64 now, GError **error)
{
  RtmpMessage *msg;

  while ((msg = rtmp_session_pop_message (nc->rs))) {
    gboolean ok = send_message (nc, now, msg, error);

    rtmp_message_free (msg);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

void
rtmfp_netconn_set_split_media (RtmfpNetConn *nc, gboolean split)
{
  nc->split_media = split;
}

void
rtmfp_netconn_sync_stream (RtmfpNetConn *nc, guint32 stream_id)
{
  guint32 sync_id = nc->next_sync_id++;
  guint n_kinds = nc->split_media ? N_KINDS : 1;

  if (n_kinds < 2)
    return;
  for (guint kind = 0; kind < n_kinds; kind++) {
    SendFlow *sf = send_flow (nc, stream_id, kind, NULL);
    guint8 *p = g_malloc (10);
    RtmpMessage *msg;

    if (!sf) {
      g_free (p);
      continue;
    }
    p[0] = 0;
    p[1] = RTMFP_USER_CONTROL_FLOW_SYNC;
    for (guint i = 0; i < 4; i++) {
      p[2 + i] = sync_id >> (24 - 8 * i);
      p[6 + i] = n_kinds >> (24 - 8 * i);
    }
    msg = rtmp_message_new (RTMP_MESSAGE_TYPE_USER_CONTROL, 0, stream_id,
        gst_buffer_new_wrapped (p, 10));
    rtmfp_endpoint_send_rtmp (
        nc->ep, 0, nc->session, sf->id, msg, 0, NULL, NULL);
    rtmp_message_free (msg);
  }
}

gsize
rtmfp_netconn_queued (RtmfpNetConn *nc)
{
  GHashTableIter it;
  SendFlow *sf;
  gsize n = 0;

  g_hash_table_iter_init (&it, nc->send);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &sf))
    n += rtmfp_endpoint_flow_queued (nc->ep, nc->session, sf->id);
  return n;
}

guint
rtmfp_netconn_n_flows (RtmfpNetConn *nc)
{
  return g_hash_table_size (nc->send) + g_hash_table_size (nc->recv);
}

void
rtmfp_netconn_close_flows (RtmfpNetConn *nc)
{
  GHashTableIter it;
  SendFlow *sf;

  g_hash_table_iter_init (&it, nc->send);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &sf))
    rtmfp_endpoint_close_flow (nc->ep, nc->session, sf->id);
}

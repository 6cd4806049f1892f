/* gst-rtmfp: what rtmfpsrc and rtmfpsink run
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstrtmfpengine.h"
#include "flvinfo.h"
#include "rtmfpio.h"
#include "rtmfpnetconn.h"
#include "rtmfptc.h"
#include "rtmpecrypto.h"
#include "rtmperror.h"
#include "rtmplimits.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtmfp_engine_debug);
#define GST_CAT_DEFAULT rtmfp_engine_debug

#define DEFAULT_FLASH_VERSION "WIN 20,0,0,286"
#define BUFFER_LENGTH_MS 100
/* a NetStream ID of a publishing peer (librtmfp's, as Flash Player's) */
#define P2P_STREAM_ID (RTMFP_TC_P2P_STREAM_BASE + 1)
#define STATS_REFRESH_MS 500

typedef enum
{
  ST_CONNECTING,
  ST_STARTED,
  ST_FINISHING,
  ST_DONE,
  ST_FAILED,
} State;

/* The end of a published stream: the media is acknowledged first, then
 * the end (FCUnpublish and deleteStream on the NetConnection's flow, or
 * the end of play), so that it cannot overtake media on other flows. */
typedef enum
{
  FINISH_NONE,
  FINISH_WAIT_MEDIA,
  FINISH_WAIT_ACKS,
  FINISH_CLOSING,
} FinishStage;

typedef struct
{
  guint32 session;
  guint32 stream_id;
  gboolean need_keyframe;
} Player;

/* counters of sessions gone, so totals survive them */
typedef struct
{
  guint64 retransmissions, fast_retransmissions, loss_events, timeouts;
  guint64 packets_sent, packets_received;
} Totals;

struct _GstRtmfpEngine
{
  GstObject *parent;
  GstRtmfpTarget *t;
  GstRtmfpEngineCallbacks cb;
  gpointer cb_data;
  RtmfpIo *io;
  RtmfpEndpoint *ep;
  gchar *peer_id_hex;

  /* I/O thread only */
  GHashTable *ncs; /* session -> RtmfpNetConn */
  guint32 server_session;
  gboolean server_open;
  gboolean server_connected;
  RtmfpAddress server_addr;
  guint32 p2p_session;
  guint32 publisher_session; /* listen: whose stream we output */
  guint32 publisher_stream;
  GHashTable *players; /* session -> Player (sink peer) */
  GSource *timeout_source;
  GSource *stats_source;
  guint64 stats_time, stats_bytes, last_post;
  guint64 sessions_opened;
  guint64 p2p_bytes, server_bytes; /* of closed sessions */
  Totals gone;
  gboolean eos_sent;
  guint finish_stage; /* FinishStage */
  gboolean running;
  gboolean failing;

  /* shared, under the lock */
  GMutex lock;
  GCond cond;
  State state;
  GError *fatal;
  GQueue outq; /* RtmpMessage from the element */
  gsize outq_bytes;
  gboolean out_scheduled;
  gsize core_queued;
  GPtrArray *headers;
  GstStructure *stats;
};

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmfp_engine_debug, "rtmfp-engine", 0,
        "RTMFP elements: sessions, NetConnections and NetStreams per mode");
    g_once_init_leave (&once, 1);
  }
}

static gboolean
is_src (GstRtmfpEngine *e)
{
  return !e->t->sink;
}

static RtmfpNetConn *
nc_get (GstRtmfpEngine *e, guint32 session)
{
  return g_hash_table_lookup (e->ncs, GUINT_TO_POINTER (session));
}

/* ---- failure and the end --------------------------------------------------- */

static void
destroy_source (GSource **s)
{
  if (*s) {
    g_source_destroy (*s);
    g_source_unref (*s);
    *s = NULL;
  }
}

static void post_stats (GstRtmfpEngine *e, gboolean always);

/* Fatal: report once, close everything. I/O thread. */
static void
fail (GstRtmfpEngine *e, GError *error, const gchar *code)
{
  GHashTableIter it;
  gpointer key;
  gboolean report;

  g_mutex_lock (&e->lock);
  report = e->state != ST_FAILED && e->state != ST_DONE && !e->failing;
  e->failing = TRUE;
  g_mutex_unlock (&e->lock);
  destroy_source (&e->timeout_source);
  if (report) {
    GST_WARNING_OBJECT (e->parent, "%s%s%s", error->message, code ? ": " : "",
        code ? code : "");
    g_hash_table_iter_init (&it, e->ncs);
    while (g_hash_table_iter_next (&it, &key, NULL))
      rtmfp_endpoint_close_session (
          e->ep, rtmfp_io_now (), GPOINTER_TO_UINT (key), FALSE);
    /* the element reports it before a waiting streaming thread learns it
     * (which would report it without the server's code) */
    if (e->cb.error)
      e->cb.error (e, error, code, e->cb_data);
    g_mutex_lock (&e->lock);
    if (e->state != ST_DONE) {
      e->state = ST_FAILED;
      e->fatal = g_error_copy (error);
    }
    g_cond_broadcast (&e->cond);
    g_mutex_unlock (&e->lock);
  }
  g_error_free (error);
}

static void
set_started (GstRtmfpEngine *e)
{
  gboolean first;

  g_mutex_lock (&e->lock);
  first = e->state == ST_CONNECTING;
  if (first)
    e->state = ST_STARTED;
  g_cond_broadcast (&e->cond);
  g_mutex_unlock (&e->lock);
  destroy_source (&e->timeout_source);
  if (first && e->cb.started)
    e->cb.started (e, e->cb_data);
}

static void
src_eos (GstRtmfpEngine *e)
{
  if (e->eos_sent || !is_src (e))
    return;
  e->eos_sent = TRUE;
  post_stats (e, TRUE);
  g_mutex_lock (&e->lock);
  if (e->state == ST_STARTED || e->state == ST_CONNECTING)
    e->state = ST_DONE;
  g_cond_broadcast (&e->cond);
  g_mutex_unlock (&e->lock);
  if (e->cb.eos)
    e->cb.eos (e, e->cb_data);
}

/* ---- sessions ---------------------------------------------------------- */

static RtmpSession *
new_client_session (GstRtmfpEngine *e, gboolean connect_only, guint32 direct)
{
  GstRtmfpTarget *t = e->t;
  RtmpClientConfig cfg = { 0 };

  cfg.app = t->app;
  cfg.tc_url = t->tc_url;
  cfg.flash_version =
      t->flash_version ? t->flash_version : DEFAULT_FLASH_VERSION;
  cfg.stream = t->stream;
  cfg.publish = t->sink;
  cfg.publish_type = "live";
  cfg.buffer_length = BUFFER_LENGTH_MS;
  cfg.connect_only = connect_only;
  cfg.send_peer_info = !direct;
  cfg.direct_stream_id = direct;
  return rtmp_session_new_client (&cfg);
}

static RtmfpNetConn *
add_netconn (
    GstRtmfpEngine *e, guint32 session, RtmfpNetConnRole role, RtmpSession *rs)
{
  RtmfpNetConn *nc =
      rtmfp_netconn_new (e->ep, session, role, rs, e->t->max_flows);

  if (e->t->sink)
    rtmfp_netconn_set_media_lifetime (nc, e->t->media_lifetime);
  g_hash_table_insert (e->ncs, GUINT_TO_POINTER (session), nc);
  return nc;
}

static gchar *
address_string (const RtmfpAddress *a)
{
  gchar b[64];

  return g_strdup (rtmfp_address_to_string (a, b));
}

static void
add_session_totals (GstRtmfpEngine *e, guint32 session)
{
  RtmfpSessionInfo si;

  if (!rtmfp_endpoint_get_session_info (e->ep, session, &si))
    return;
  e->gone.retransmissions += si.retransmissions;
  e->gone.fast_retransmissions += si.fast_retransmissions;
  e->gone.loss_events += si.loss_events;
  e->gone.timeouts += si.timeouts;
  e->gone.packets_sent += si.packets_sent;
  e->gone.packets_received += si.packets_received;
  if (session == e->p2p_session ||
      g_hash_table_contains (e->players, GUINT_TO_POINTER (session)))
    e->p2p_bytes += si.bytes_received + si.bytes_sent;
  else if (session == e->server_session)
    e->server_bytes += si.bytes_received + si.bytes_sent;
}

static void
on_session_open (GstRtmfpEngine *e, const RtmfpEvent *ev)
{
  RtmfpNetConn *nc;
  GstRtmfpTarget *t = e->t;
  gchar *addr = address_string (&ev->address);

  e->sessions_opened++;
  if (ev->session == e->server_session && !ev->responder) {
    gboolean peer = t->mode == GST_RTMFP_MODE_PEER;

    GST_INFO_OBJECT (e->parent, "session open to the server %s", addr);
    e->server_open = TRUE;
    nc = add_netconn (
        e, ev->session, RTMFP_NETCONN_CLIENT, new_client_session (e, peer, 0));
    rtmp_session_start (rtmfp_netconn_get_rtmp (nc));
  } else if (ev->session == e->p2p_session && !ev->responder) {
    GST_INFO_OBJECT (e->parent, "session open to the peer at %s", addr);
    nc = add_netconn (e, ev->session, RTMFP_NETCONN_P2P_PLAYER,
        new_client_session (e, FALSE, P2P_STREAM_ID));
    rtmp_session_start (rtmfp_netconn_get_rtmp (nc));
  } else if (ev->responder &&
      (t->mode == GST_RTMFP_MODE_LISTEN ||
          (t->mode == GST_RTMFP_MODE_PEER && t->sink))) {
    gboolean direct = t->mode == GST_RTMFP_MODE_PEER;
    RtmpServerConfig sc = { 0 };
    guint n = 0;
    GHashTableIter it;
    RtmfpNetConn *o;

    g_hash_table_iter_init (&it, e->ncs);
    while (g_hash_table_iter_next (&it, NULL, (gpointer *) &o))
      n += rtmfp_netconn_get_role (o) == RTMFP_NETCONN_SERVER ||
          rtmfp_netconn_get_role (o) == RTMFP_NETCONN_P2P_SERVER;
    if (n >= t->max_sessions) {
      GST_WARNING_OBJECT (e->parent,
          "session from %s refused: %u sessions "
          "already (max-sessions)",
          addr, n);
      rtmfp_endpoint_close_session (e->ep, rtmfp_io_now (), ev->session, TRUE);
      g_free (addr);
      return;
    }
    GST_INFO_OBJECT (e->parent, "session from %s (%s)", addr,
        direct ? "a peer that may play from us" : "a client");
    /* until it publishes, a peer only sends commands */
    rtmfp_endpoint_set_buffer_limit (
        e->ep, ev->session, RTMFP_MAX_STRANGER_BUFFERED);
    sc.direct = direct;
    add_netconn (e, ev->session,
        direct ? RTMFP_NETCONN_P2P_SERVER : RTMFP_NETCONN_SERVER,
        rtmp_session_new_server (&sc));
  } else {
    GST_DEBUG_OBJECT (e->parent, "unexpected session from %s: closed", addr);
    rtmfp_endpoint_close_session (e->ep, rtmfp_io_now (), ev->session, TRUE);
  }
  g_free (addr);
}

static void
on_session_failed (GstRtmfpEngine *e, const RtmfpEvent *ev)
{
  GstRtmfpTarget *t = e->t;

  if (ev->session == e->server_session) {
    if (ev->code == RTMFP_FAILED_TIMEOUT)
      fail (e,
          g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
              "no answer from the RTMFP server %s:%u", t->host, t->port),
          NULL);
    else
      fail (e,
          g_error_new (RTMP_ERROR, RTMP_ERROR_HANDSHAKE,
              "the RTMFP handshake with %s:%u failed: %s", t->host, t->port,
              ev->reason ? ev->reason : "?"),
          NULL);
  } else if (ev->session == e->p2p_session) {
    gchar *id = gst_rtmfp_peer_id_to_string (t->peer_id);

    if (ev->code == RTMFP_FAILED_UNKNOWN_PEER)
      fail (e,
          g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
              "the server %s:%u knows no peer %s (unknown peer ID)", t->host,
              t->port, id),
          NULL);
    else if (ev->code == RTMFP_FAILED_TIMEOUT)
      fail (e,
          g_error_new (
              G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "peer %s did not answer", id),
          NULL);
    else
      fail (e,
          g_error_new (RTMP_ERROR, RTMP_ERROR_HANDSHAKE,
              "the RTMFP handshake with peer %s failed: %s", id,
              ev->reason ? ev->reason : "?"),
          NULL);
    g_free (id);
  }
}

static void
finish_done_locked (GstRtmfpEngine *e)
{
  if (e->state == ST_FINISHING) {
    e->state = ST_DONE;
    g_cond_broadcast (&e->cond);
  }
}

static void
on_session_closed (GstRtmfpEngine *e, const RtmfpEvent *ev)
{
  GstRtmfpTarget *t = e->t;
  RtmfpNetConn *nc = nc_get (e, ev->session);
  const gchar *why = ev->reason ? ev->reason : "closed";
  State state;

  GST_INFO_OBJECT (e->parent, "session %08x closed: %s", ev->session, why);
  if (!nc)
    return;
  g_mutex_lock (&e->lock);
  state = e->state;
  g_mutex_unlock (&e->lock);
  if (state == ST_FINISHING && e->finish_stage != FINISH_CLOSING)
    post_stats (e, TRUE); /* the far end closed first: last figures */
  add_session_totals (e, ev->session);
  g_hash_table_remove (e->players, GUINT_TO_POINTER (ev->session));
  g_hash_table_remove (e->ncs, GUINT_TO_POINTER (ev->session));

  g_mutex_lock (&e->lock);
  state = e->state;
  if (g_hash_table_size (e->ncs) == 0)
    finish_done_locked (e);
  g_mutex_unlock (&e->lock);
  if (state == ST_FAILED || state == ST_DONE || state == ST_FINISHING)
    return;

  if (ev->session == e->server_session) {
    e->server_open = FALSE;
    /* a peer-mode player goes on once it plays from the peer */
    if (t->mode == GST_RTMFP_MODE_PEER && is_src (e) && state == ST_STARTED)
      return;
    if (is_src (e) && state == ST_STARTED && t->mode == GST_RTMFP_MODE_CLIENT) {
      GST_WARNING_OBJECT (e->parent,
          "the server closed the session "
          "without ending the stream (%s)",
          why);
      src_eos (e);
      return;
    }
    fail (e,
        g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
            "the server %s:%u closed the session (%s)", t->host, t->port, why),
        NULL);
  } else if (ev->session == e->p2p_session) {
    if (state == ST_STARTED) {
      src_eos (e);
      return;
    }
    fail (e,
        g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
            "the peer closed the session before playing (%s)", why),
        NULL);
  } else if (ev->session == e->publisher_session) {
    /* a publisher that left without unpublishing */
    src_eos (e);
  }
}

static void
close_netconn (GstRtmfpEngine *e, RtmfpNetConn *nc, const GError *error)
{
  guint32 session = rtmfp_netconn_get_session (nc);

  GST_WARNING_OBJECT (
      e->parent, "session %08x: %s: closing", session, error->message);
  if (session == e->server_session || session == e->p2p_session ||
      session == e->publisher_session) {
    fail (e, g_error_copy (error), NULL);
    return;
  }
  rtmfp_endpoint_close_session (e->ep, rtmfp_io_now (), session, TRUE);
}

/* ---- NetConnection events -------------------------------------------------- */

static void
send_headers (GstRtmfpEngine *e, RtmfpNetConn *nc, guint32 stream_id)
{
  GPtrArray *h;

  g_mutex_lock (&e->lock);
  h = g_ptr_array_ref (e->headers);
  g_mutex_unlock (&e->lock);
  for (guint i = 0; i < h->len; i++)
    rtmp_session_send_media (
        rtmfp_netconn_get_rtmp (nc), g_ptr_array_index (h, i), stream_id, NULL);
  g_ptr_array_unref (h);
}

static void
listen_event (GstRtmfpEngine *e, RtmfpNetConn *nc, RtmpSessionEvent *ev)
{
  RtmpSession *rs = rtmfp_netconn_get_rtmp (nc);
  guint32 session = rtmfp_netconn_get_session (nc);
  GstRtmfpTarget *t = e->t;

  switch (ev->type) {
    case RTMP_SESSION_EVENT_CONNECT_REQUEST:
      if (t->app && *t->app && g_strcmp0 (t->app, ev->app) != 0) {
        gchar *d = g_strdup_printf ("no application '%s' here", ev->app);

        GST_INFO_OBJECT (e->parent, "connect to '%s' refused", ev->app);
        rtmp_session_reject_connect (rs, "NetConnection.Connect.Rejected", d);
        g_free (d);
      } else {
        rtmp_session_accept_connect (rs);
      }
      break;
    case RTMP_SESSION_EVENT_PEER_INFO: {
      RtmfpAddress a[16];
      guint n = 0;

      for (guint i = 0; ev->addresses && ev->addresses[i] && n < 16; i++)
        if (rtmfp_address_from_string (ev->addresses[i], &a[n]))
          n++;
      rtmfp_endpoint_set_peer_addresses (e->ep, session, a, n);
      GST_DEBUG_OBJECT (
          e->parent, "session %08x: setPeerInfo, %u addresses", session, n);
      break;
    }
    case RTMP_SESSION_EVENT_PUBLISH_REQUEST:
      if (e->publisher_session || e->eos_sent) {
        rtmp_session_reject_stream (rs, ev->stream_id,
            "NetStream.Publish.BadName", "a stream is being published here");
      } else if (t->stream && g_strcmp0 (t->stream, ev->stream) != 0) {
        rtmp_session_reject_stream (rs, ev->stream_id,
            "NetStream.Publish.BadName", "not the stream this server takes");
      } else {
        GST_INFO_OBJECT (e->parent, "session %08x publishes stream %u", session,
            ev->stream_id);
        e->publisher_session = session;
        e->publisher_stream = ev->stream_id;
        rtmfp_endpoint_set_buffer_limit (
            e->ep, session, RTMFP_MAX_SESSION_BUFFERED);
        rtmp_session_accept_publish (rs, ev->stream_id);
        set_started (e);
      }
      break;
    case RTMP_SESSION_EVENT_PLAY_REQUEST:
      rtmp_session_reject_stream (rs, ev->stream_id,
          "NetStream.Play.StreamNotFound", "this server only takes streams");
      break;
    case RTMP_SESSION_EVENT_MEDIA:
      if (session == e->publisher_session &&
          ev->stream_id == e->publisher_stream && e->cb.media && !e->eos_sent) {
        e->cb.media (e, ev->message, e->cb_data);
        ev->message = NULL;
      }
      break;
    case RTMP_SESSION_EVENT_EOS:
      if (session == e->publisher_session &&
          ev->stream_id == e->publisher_stream)
        src_eos (e);
      break;
    default:
      break;
  }
}

static void
peer_server_event (GstRtmfpEngine *e, RtmfpNetConn *nc, RtmpSessionEvent *ev)
{
  RtmpSession *rs = rtmfp_netconn_get_rtmp (nc);
  guint32 session = rtmfp_netconn_get_session (nc);

  if (ev->type == RTMP_SESSION_EVENT_PLAY_REQUEST) {
    Player *p;

    if (g_strcmp0 (ev->stream, e->t->stream) != 0 ||
        g_hash_table_contains (e->players, GUINT_TO_POINTER (session))) {
      rtmp_session_reject_stream (rs, ev->stream_id,
          "NetStream.Play.StreamNotFound", "we publish no stream of that name");
      return;
    }
    GST_INFO_OBJECT (e->parent, "session %08x plays from us (stream %u)",
        session, ev->stream_id);
    rtmp_session_accept_play (rs, ev->stream_id);
    rtmfp_netconn_sync_stream (nc, ev->stream_id);
    send_headers (e, nc, ev->stream_id);
    p = g_new0 (Player, 1);
    p->session = session;
    p->stream_id = ev->stream_id;
    p->need_keyframe = TRUE;
    g_hash_table_insert (e->players, GUINT_TO_POINTER (session), p);
  } else if (ev->type == RTMP_SESSION_EVENT_PUBLISH_REQUEST) {
    rtmp_session_reject_stream (
        rs, ev->stream_id, "NetStream.Publish.Denied", "we only publish");
  }
}

static void
client_event (GstRtmfpEngine *e, RtmfpNetConn *nc, RtmpSessionEvent *ev)
{
  GstRtmfpTarget *t = e->t;
  guint32 session = rtmfp_netconn_get_session (nc);

  switch (ev->type) {
    case RTMP_SESSION_EVENT_CONNECTED:
      if (session != e->server_session)
        break;
      e->server_connected = TRUE;
      GST_INFO_OBJECT (e->parent, "connected to %s", t->redacted);
      if (t->mode == GST_RTMFP_MODE_PEER && is_src (e)) {
        GError *error = NULL;
        gchar *id = gst_rtmfp_peer_id_to_string (t->peer_id);

        GST_INFO_OBJECT (e->parent, "asking the server for peer %s", id);
        g_free (id);
        e->p2p_session = rtmfp_endpoint_connect_peer (
            e->ep, rtmfp_io_now (), t->peer_id, &e->server_addr, 1, &error);
        if (!e->p2p_session)
          fail (e, error, NULL);
      } else if (t->mode == GST_RTMFP_MODE_PEER) {
        set_started (e);
      }
      break;
    case RTMP_SESSION_EVENT_STARTED:
      GST_INFO_OBJECT (e->parent, "%s", ev->code);
      if (t->sink)
        rtmfp_netconn_sync_stream (nc, ev->stream_id);
      set_started (e);
      break;
    case RTMP_SESSION_EVENT_MEDIA:
      if (is_src (e) && e->cb.media && !e->eos_sent) {
        e->cb.media (e, ev->message, e->cb_data);
        ev->message = NULL;
      }
      break;
    case RTMP_SESSION_EVENT_EOS:
      GST_INFO_OBJECT (
          e->parent, "end of stream (%s)", GST_STR_NULL (ev->code));
      src_eos (e);
      break;
    case RTMP_SESSION_EVENT_ERROR:
      fail (e, g_error_copy (ev->error), ev->code);
      break;
    case RTMP_SESSION_EVENT_STATUS:
      if (e->cb.message)
        e->cb.message (e,
            gst_structure_new ("rtmfp-status", "code", G_TYPE_STRING, ev->code,
                "description", G_TYPE_STRING, ev->description, NULL),
            e->cb_data);
      break;
    default:
      break;
  }
}

/* Handles what the NetConnection's RtmpSession says and sends what it
 * queued. */
static void
drain_netconn (GstRtmfpEngine *e, RtmfpNetConn *nc)
{
  RtmpSession *rs = rtmfp_netconn_get_rtmp (nc);
  RtmpSessionEvent *ev;
  GError *error = NULL;

  while ((ev = rtmp_session_pop_event (rs))) {
    switch (rtmfp_netconn_get_role (nc)) {
      case RTMFP_NETCONN_SERVER:
        listen_event (e, nc, ev);
        break;
      case RTMFP_NETCONN_P2P_SERVER:
        peer_server_event (e, nc, ev);
        break;
      default:
        client_event (e, nc, ev);
        break;
    }
    rtmp_session_event_free (ev);
  }
  if (!rtmfp_netconn_flush (nc, rtmfp_io_now (), &error)) {
    close_netconn (e, nc, error);
    g_error_free (error);
  }
}

static void
on_event (RtmfpIo *io, RtmfpEvent *ev, gpointer data)
{
  GstRtmfpEngine *e = data;
  RtmfpNetConn *nc;
  GError *error = NULL;

  switch (ev->type) {
    case RTMFP_EVENT_SESSION_OPEN:
      on_session_open (e, ev);
      break;
    case RTMFP_EVENT_SESSION_FAILED:
      on_session_failed (e, ev);
      return;
    case RTMFP_EVENT_SESSION_CLOSED:
      on_session_closed (e, ev);
      return;
    default:
      break;
  }
  nc = nc_get (e, ev->session);
  if (!nc) {
    if (ev->type == RTMFP_EVENT_FLOW_OPEN)
      rtmfp_endpoint_reject_flow (e->ep, ev->session, ev->flow, 0);
    return;
  }
  if (!rtmfp_netconn_handle_event (nc, rtmfp_io_now (), ev, &error)) {
    close_netconn (e, nc, error);
    g_error_free (error);
    return;
  }
  drain_netconn (e, nc);
}

/* ---- statistics ------------------------------------------------------------ */

static const gchar *
role_name (RtmfpNetConnRole role)
{
  switch (role) {
    case RTMFP_NETCONN_CLIENT:
      return "server";
    case RTMFP_NETCONN_SERVER:
      return "client";
    case RTMFP_NETCONN_P2P_PLAYER:
      return "publishing-peer";
    case RTMFP_NETCONN_P2P_SERVER:
      return "playing-peer";
  }
  return "?";
}

/* The session whose round trip and window the top level shows. */
static guint32
main_session (GstRtmfpEngine *e)
{
  if (e->p2p_session && nc_get (e, e->p2p_session))
    return e->p2p_session;
  if (e->server_session && nc_get (e, e->server_session) &&
      !(e->t->sink && e->t->mode == GST_RTMFP_MODE_PEER))
    return e->server_session;
  if (e->publisher_session && nc_get (e, e->publisher_session))
    return e->publisher_session;
  if (g_hash_table_size (e->players) > 0) {
    GHashTableIter it;
    gpointer key;

    g_hash_table_iter_init (&it, e->players);
    if (g_hash_table_iter_next (&it, &key, NULL))
      return GPOINTER_TO_UINT (key);
  }
  return e->server_session;
}

static GstStructure *
make_stats (GstRtmfpEngine *e)
{
  GstStructure *s;
  RtmfpIoStats io;
  RtmfpSessionInfo si, mi = { 0 };
  GValue sessions = G_VALUE_INIT;
  GHashTableIter it;
  gpointer key;
  RtmfpNetConn *nc;
  Totals tot = e->gone;
  guint flows = 0;
  guint64 p2p_bytes = e->p2p_bytes, server_bytes = e->server_bytes;
  guint64 now = rtmfp_io_now ();
  guint64 bytes, bitrate = 0;
  guint64 msgs_in = 0, msgs_out = 0;
  guint32 main = main_session (e);
  const RtmfpStats *es = rtmfp_endpoint_get_stats (e->ep);

  rtmfp_io_get_stats (e->io, &io);
  g_value_init (&sessions, GST_TYPE_LIST);
  g_hash_table_iter_init (&it, e->ncs);
  while (g_hash_table_iter_next (&it, &key, (gpointer *) &nc)) {
    guint32 id = GPOINTER_TO_UINT (key);
    RtmfpNetConnStats ns;
    GValue v = G_VALUE_INIT;
    gchar *addr, *pid;

    if (!rtmfp_endpoint_get_session_info (e->ep, id, &si))
      continue;
    rtmfp_netconn_get_stats (nc, &ns);
    msgs_in += ns.messages_received;
    msgs_out += ns.messages_sent;
    flows += rtmfp_netconn_n_flows (nc);
    tot.retransmissions += si.retransmissions;
    tot.fast_retransmissions += si.fast_retransmissions;
    tot.loss_events += si.loss_events;
    tot.timeouts += si.timeouts;
    tot.packets_sent += si.packets_sent;
    tot.packets_received += si.packets_received;
    if (id == e->p2p_session ||
        g_hash_table_contains (e->players, GUINT_TO_POINTER (id)))
      p2p_bytes += si.bytes_received + si.bytes_sent;
    else if (id == e->server_session)
      server_bytes += si.bytes_received + si.bytes_sent;
    if (id == main)
      mi = si;
    addr = address_string (&si.address);
    pid = gst_rtmfp_peer_id_to_string (si.far_peer_id);
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v,
        gst_structure_new ("session", "role", G_TYPE_STRING,
            role_name (rtmfp_netconn_get_role (nc)), "address", G_TYPE_STRING,
            addr, "peer-id", G_TYPE_STRING, pid, "rtt-ms", G_TYPE_DOUBLE,
            si.srtt / 1000.0, "bytes-sent", G_TYPE_UINT64, si.bytes_sent,
            "bytes-received", G_TYPE_UINT64, si.bytes_received, "packets-sent",
            G_TYPE_UINT64, si.packets_sent, "packets-received", G_TYPE_UINT64,
            si.packets_received, "retransmissions", G_TYPE_UINT64,
            si.retransmissions, "loss-events", G_TYPE_UINT64, si.loss_events,
            "dh-group", G_TYPE_UINT64, si.dh_group, "hmac", G_TYPE_BOOLEAN,
            si.send_hmac || si.recv_hmac, "sseq", G_TYPE_BOOLEAN,
            si.send_sseq || si.recv_sseq, "flows", G_TYPE_UINT,
            rtmfp_netconn_n_flows (nc), NULL));
    gst_value_list_append_and_take_value (&sessions, &v);
    g_free (addr);
    g_free (pid);
  }
  bytes = is_src (e) ? io.bytes_in : io.bytes_out;
  if (e->stats_time && now > e->stats_time)
    bitrate =
        (bytes - e->stats_bytes) * 8 * G_USEC_PER_SEC / (now - e->stats_time);
  e->stats_time = now;
  e->stats_bytes = bytes;

  s = gst_structure_new ("application/x-rtmfp-stats", "mode", G_TYPE_STRING,
      e->t->mode == GST_RTMFP_MODE_CLIENT   ? "client" :
          e->t->mode == GST_RTMFP_MODE_PEER ? "peer" :
                                              "listen",
      "peer-id", G_TYPE_STRING, e->peer_id_hex, "rtt-ms", G_TYPE_DOUBLE,
      mi.srtt / 1000.0, "cwnd", G_TYPE_UINT64, (guint64) mi.cwnd, "in-flight",
      G_TYPE_UINT64, (guint64) mi.in_flight, "bitrate", G_TYPE_UINT64, bitrate,
      "bytes-sent", G_TYPE_UINT64, io.bytes_out, "bytes-received",
      G_TYPE_UINT64, io.bytes_in, "datagrams-sent", G_TYPE_UINT64,
      io.datagrams_out, "datagrams-received", G_TYPE_UINT64, io.datagrams_in,
      "packets-sent", G_TYPE_UINT64, tot.packets_sent, "packets-received",
      G_TYPE_UINT64, tot.packets_received, "retransmissions", G_TYPE_UINT64,
      tot.retransmissions, "fast-retransmissions", G_TYPE_UINT64,
      tot.fast_retransmissions, "loss-events", G_TYPE_UINT64, tot.loss_events,
      "timeouts", G_TYPE_UINT64, tot.timeouts, "messages-sent", G_TYPE_UINT64,
      msgs_out, "messages-received", G_TYPE_UINT64, msgs_in, "sessions",
      G_TYPE_UINT, g_hash_table_size (e->ncs), "sessions-opened", G_TYPE_UINT64,
      e->sessions_opened, "flows", G_TYPE_UINT, flows, "p2p-bytes",
      G_TYPE_UINT64, p2p_bytes, "server-bytes", G_TYPE_UINT64, server_bytes,
      "redirects-sent", G_TYPE_UINT64, es->redirects_sent, "dropped",
      G_TYPE_UINT64,
      es->dropped_size + es->dropped_unknown_session + es->dropped_checksum +
          es->dropped_hmac + es->dropped_replay + es->dropped_mode +
          es->dropped_header,
      "dropped-unknown-session", G_TYPE_UINT64, es->dropped_unknown_session,
      "dropped-checksum", G_TYPE_UINT64, es->dropped_checksum, "dropped-hmac",
      G_TYPE_UINT64, es->dropped_hmac, "dropped-replay", G_TYPE_UINT64,
      es->dropped_replay, "chunks-malformed", G_TYPE_UINT64,
      es->chunks_malformed, "handshakes-refused", G_TYPE_UINT64,
      es->handshakes_refused, "fragments-dropped-limit", G_TYPE_UINT64,
      es->fragments_dropped_limit, "reassembly-dropped", G_TYPE_UINT64,
      es->reassembly_dropped, "flows-rejected", G_TYPE_UINT64,
      es->flows_rejected, NULL);
  gst_structure_take_value (s, "sessions-info", &sessions);
  return s;
}

static void
post_stats (GstRtmfpEngine *e, gboolean always)
{
  GstStructure *s = make_stats (e);
  guint64 now = rtmfp_io_now ();
  gboolean post = e->t->stats_interval > 0 &&
      (always || now >= e->last_post + e->t->stats_interval * 1000ULL - 5000);

  g_mutex_lock (&e->lock);
  if (e->stats)
    gst_structure_free (e->stats);
  e->stats = gst_structure_copy (s);
  g_mutex_unlock (&e->lock);
  if (post && e->cb.message) {
    e->last_post = now;
    gst_structure_set_name (s, "rtmfp-stats");
    e->cb.message (e, s, e->cb_data);
  } else {
    gst_structure_free (s);
  }
}

static gboolean
stats_cb (gpointer data)
{
  post_stats (data, FALSE);
  return G_SOURCE_CONTINUE;
}

/* ---- sending (sink) ---------------------------------------------------------- */

static gboolean
is_keyframe_or_config (const RtmpMessage *msg)
{
  FlvTagInfo info;

  if (msg->type != RTMP_MESSAGE_TYPE_VIDEO)
    return TRUE;
  return flv_tag_info_parse_buffer (msg->type, msg->payload, &info, NULL) &&
      (info.keyframe || info.kind == FLV_PACKET_CONFIG);
}

static void
dispatch_media (GstRtmfpEngine *e, const RtmpMessage *msg)
{
  RtmfpNetConn *nc;

  if (e->t->mode == GST_RTMFP_MODE_CLIENT) {
    nc = nc_get (e, e->server_session);
    if (nc &&
        rtmp_session_send_media (rtmfp_netconn_get_rtmp (nc), msg, 0, NULL))
      drain_netconn (e, nc);
    return;
  }
  {
    GHashTableIter it;
    Player *p;

    g_hash_table_iter_init (&it, e->players);
    while (g_hash_table_iter_next (&it, NULL, (gpointer *) &p)) {
      nc = nc_get (e, p->session);
      if (!nc)
        continue;
      if (p->need_keyframe && msg->type == RTMP_MESSAGE_TYPE_VIDEO) {
        if (!is_keyframe_or_config (msg))
          continue;
        p->need_keyframe = FALSE;
      }
      rtmp_session_send_media (
          rtmfp_netconn_get_rtmp (nc), msg, p->stream_id, NULL);
      drain_netconn (e, nc);
    }
  }
}

static gboolean
out_cb (gpointer data)
{
  GstRtmfpEngine *e = data;
  GQueue q = G_QUEUE_INIT;
  RtmpMessage *msg;

  g_mutex_lock (&e->lock);
  q = e->outq;
  g_queue_init (&e->outq);
  e->outq_bytes = 0;
  e->out_scheduled = FALSE;
  g_mutex_unlock (&e->lock);
  while ((msg = g_queue_pop_head (&q))) {
    dispatch_media (e, msg);
    rtmp_message_free (msg);
  }
  return G_SOURCE_REMOVE;
}

static void send_end (GstRtmfpEngine *e);

static gboolean
on_pump (RtmfpIo *io, gpointer data)
{
  GstRtmfpEngine *e = data;
  GHashTableIter it;
  RtmfpNetConn *nc;
  gsize q = 0;
  gboolean close_now;

  if (!e->t->sink)
    return FALSE;
  g_hash_table_iter_init (&it, e->ncs);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) &nc))
    q += rtmfp_netconn_queued (nc);
  g_mutex_lock (&e->lock);
  if (q < e->core_queued)
    g_cond_broadcast (&e->cond);
  e->core_queued = q;
  close_now = e->state == ST_FINISHING && q == 0 && g_queue_is_empty (&e->outq);
  g_mutex_unlock (&e->lock);
  if (!close_now)
    return FALSE;
  if (e->finish_stage == FINISH_WAIT_MEDIA) {
    send_end (e);
    e->finish_stage = FINISH_WAIT_ACKS;
    return TRUE;
  }
  if (e->finish_stage != FINISH_WAIT_ACKS)
    return FALSE;
  /* everything acknowledged: close in order */
  GST_DEBUG_OBJECT (e->parent, "all acknowledged: closing the sessions");
  post_stats (e, TRUE);
  e->finish_stage = FINISH_CLOSING;
  {
    GList *ids = g_hash_table_get_keys (e->ncs);

    for (GList *l = ids; l; l = l->next) {
      nc = nc_get (e, GPOINTER_TO_UINT (l->data));
      rtmfp_netconn_close_flows (nc);
      rtmfp_endpoint_close_session (
          e->ep, rtmfp_io_now (), GPOINTER_TO_UINT (l->data), FALSE);
    }
    g_list_free (ids);
  }
  g_mutex_lock (&e->lock);
  if (g_hash_table_size (e->ncs) == 0)
    finish_done_locked (e);
  g_mutex_unlock (&e->lock);
  return TRUE;
}

/* ---- timers and start ------------------------------------------------------- */

static gboolean
timeout_cb (gpointer data)
{
  GstRtmfpEngine *e = data;
  GstRtmfpTarget *t = e->t;
  State state;
  GError *error;

  destroy_source (&e->timeout_source);
  g_mutex_lock (&e->lock);
  state = e->state;
  g_mutex_unlock (&e->lock);
  if (state != ST_CONNECTING)
    return G_SOURCE_REMOVE;
  if (!e->server_open)
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "no answer from the RTMFP server %s:%u within %u s", t->host, t->port,
        t->timeout);
  else if (!e->server_connected)
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "the server %s:%u did not answer connect within %u s", t->host, t->port,
        t->timeout);
  else if (e->p2p_session && !nc_get (e, e->p2p_session)) {
    gchar *id = gst_rtmfp_peer_id_to_string (t->peer_id);

    error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "peer %s could not be reached within %u s (the server did not "
        "introduce it, or it does not answer)",
        id, t->timeout);
    g_free (id);
  } else
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "the stream did not start within %u s", t->timeout);
  fail (e, error, NULL);
  rtmfp_io_pump (e->io);
  return G_SOURCE_REMOVE;
}

static gboolean
start_cb (gpointer data)
{
  GstRtmfpEngine *e = data;
  GstRtmfpTarget *t = e->t;
  GError *error = NULL;

  if (t->mode == GST_RTMFP_MODE_LISTEN)
    return G_SOURCE_REMOVE;
  GST_DEBUG_OBJECT (e->parent, "opening a session to %s", t->redacted);
  e->server_session = rtmfp_endpoint_connect_uri (
      e->ep, rtmfp_io_now (), t->tc_url, &e->server_addr, &error);
  if (!e->server_session)
    fail (e, error, NULL);
  return G_SOURCE_REMOVE;
}

static GSource *
attach_timeout (GstRtmfpEngine *e, guint ms, GSourceFunc func)
{
  GSource *s = g_timeout_source_new (ms);

  g_source_set_callback (s, func, e, NULL);
  g_source_attach (s, rtmfp_io_get_context (e->io));
  return s;
}

/* The server's address: an IP literal, or a name resolved now. */
static gboolean
resolve (GstRtmfpEngine *e, GError **error)
{
  GstRtmfpTarget *t = e->t;
  GInetAddress *ia = g_inet_address_new_from_string (t->host);
  GSocketAddress *sa;
  gboolean ok;

  if (!ia) {
    GResolver *r = g_resolver_get_default ();
    GList *list = g_resolver_lookup_by_name (r, t->host, NULL, error);

    g_object_unref (r);
    if (!list)
      return FALSE;
    ia = g_object_ref (list->data);
    g_resolver_free_addresses (list);
  }
  sa = g_inet_socket_address_new (ia, t->port);
  ok = rtmfp_address_from_gsocketaddress (sa, &e->server_addr);
  g_object_unref (sa);
  g_object_unref (ia);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "%s is not an IPv4 or IPv6 address", t->host);
  return ok;
}

GstRtmfpEngine *
gst_rtmfp_engine_new (GstObject *parent, GstRtmfpTarget *target,
    const GstRtmfpEngineCallbacks *callbacks, gpointer data)
{
  GstRtmfpEngine *e = g_new0 (GstRtmfpEngine, 1);

  debug_init ();
  e->parent = parent;
  e->t = target;
  e->cb = *callbacks;
  e->cb_data = data;
  e->ncs = g_hash_table_new_full (
      NULL, NULL, NULL, (GDestroyNotify) rtmfp_netconn_free);
  e->players = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_mutex_init (&e->lock);
  g_cond_init (&e->cond);
  g_queue_init (&e->outq);
  e->headers =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  e->state = ST_CONNECTING;
  return e;
}

gboolean
gst_rtmfp_engine_start (GstRtmfpEngine *e, GError **error)
{
  GstRtmfpTarget *t = e->t;
  gboolean listen = t->mode == GST_RTMFP_MODE_LISTEN;
  RtmfpConfig c;

  if (!listen && !resolve (e, error))
    return FALSE;
  rtmfp_config_init (&c, rtmpe_crypto_openssl (), listen);
  c.recv_buffer = t->recv_buffer;
  e->io = rtmfp_io_new (&c, on_event, on_pump, e, error);
  if (!e->io)
    return FALSE;
  e->ep = rtmfp_io_get_endpoint (e->io);
  if (!rtmfp_io_bind (
          e->io, listen ? t->host : NULL, listen ? t->port : 0, error)) {
    if (error && *error)
      g_prefix_error (error, "%s: ", listen ? "cannot listen on" : "UDP");
    return FALSE;
  }
  e->peer_id_hex =
      gst_rtmfp_peer_id_to_string (rtmfp_endpoint_get_peer_id (e->ep));
  GST_INFO_OBJECT (e->parent, "UDP port %u, peer ID %s",
      gst_rtmfp_engine_get_port (e), e->peer_id_hex);
  e->stats_source = attach_timeout (e,
      t->stats_interval ? MIN (t->stats_interval, STATS_REFRESH_MS) :
                          STATS_REFRESH_MS,
      stats_cb);
  if (!listen && t->timeout)
    e->timeout_source = attach_timeout (e, t->timeout * 1000, timeout_cb);
  rtmfp_io_start (e->io);
  e->running = TRUE;
  rtmfp_io_invoke (e->io, start_cb, e, NULL);
  return TRUE;
}

gchar *
gst_rtmfp_engine_get_peer_id (GstRtmfpEngine *e)
{
  return g_strdup (e->peer_id_hex);
}

guint16
gst_rtmfp_engine_get_port (GstRtmfpEngine *e)
{
  guint16 p;

  if (!e->io)
    return 0;
  p = rtmfp_io_get_port (e->io, 4);
  return p ? p : rtmfp_io_get_port (e->io, 6);
}

void
gst_rtmfp_engine_set_headers (GstRtmfpEngine *e, GPtrArray *headers)
{
  g_mutex_lock (&e->lock);
  g_ptr_array_set_size (e->headers, 0);
  for (guint i = 0; headers && i < headers->len; i++) {
    const RtmpMessage *m = g_ptr_array_index (headers, i);

    g_ptr_array_add (e->headers,
        rtmp_message_new (
            m->type, m->timestamp, 0, gst_buffer_ref (m->payload)));
  }
  g_mutex_unlock (&e->lock);
}

static void
cancelled_cb (GCancellable *cancellable, GstRtmfpEngine *e)
{
  g_mutex_lock (&e->lock);
  g_cond_broadcast (&e->cond);
  g_mutex_unlock (&e->lock);
}

gboolean
gst_rtmfp_engine_send (GstRtmfpEngine *e, const RtmpMessage *msg,
    GCancellable *cancellable, GError **error)
{
  gulong handler = 0;
  gboolean ok = FALSE;

  if (cancellable)
    handler =
        g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), e, NULL);
  g_mutex_lock (&e->lock);
  while (!g_cancellable_is_cancelled (cancellable) &&
      (e->state == ST_CONNECTING ||
          (e->state == ST_STARTED &&
              e->core_queued + e->outq_bytes > e->t->max_queue)))
    g_cond_wait (&e->cond, &e->lock);
  if (g_cancellable_set_error_if_cancelled (cancellable, error)) {
    /* flushing */
  } else if (e->state == ST_FAILED) {
    g_propagate_error (error, g_error_copy (e->fatal));
  } else if (e->state != ST_STARTED) {
    g_set_error_literal (
        error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the stream has ended");
  } else {
    g_queue_push_tail (&e->outq,
        rtmp_message_new (
            msg->type, msg->timestamp, 0, gst_buffer_ref (msg->payload)));
    e->outq_bytes += gst_buffer_get_size (msg->payload);
    if (!e->out_scheduled) {
      e->out_scheduled = TRUE;
      rtmfp_io_invoke (e->io, out_cb, e, NULL);
    }
    ok = TRUE;
  }
  g_mutex_unlock (&e->lock);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return ok;
}

void
gst_rtmfp_engine_set_reading (GstRtmfpEngine *e, gboolean reading)
{
  /* RTMFP flows have their own receive windows; the element drops what it
   * cannot hold (live) */
}

static void
send_end (GstRtmfpEngine *e)
{
  GHashTableIter it;
  Player *p;
  RtmfpNetConn *nc;

  GST_DEBUG_OBJECT (e->parent, "media acknowledged: ending the stream");
  if (e->t->mode == GST_RTMFP_MODE_CLIENT) {
    nc = nc_get (e, e->server_session);
    if (nc) {
      rtmp_session_stop_publish (rtmfp_netconn_get_rtmp (nc));
      drain_netconn (e, nc);
    }
  } else {
    g_hash_table_iter_init (&it, e->players);
    while (g_hash_table_iter_next (&it, NULL, (gpointer *) &p)) {
      nc = nc_get (e, p->session);
      if (!nc)
        continue;
      rtmp_session_end_play (rtmfp_netconn_get_rtmp (nc), p->stream_id);
      drain_netconn (e, nc);
    }
  }
}

static gboolean
finish_cb (gpointer data)
{
  GstRtmfpEngine *e = data;

  out_cb (e);
  e->finish_stage = FINISH_WAIT_MEDIA;
  return G_SOURCE_REMOVE;
}

gboolean
gst_rtmfp_engine_finish (
    GstRtmfpEngine *e, gint64 timeout_us, GCancellable *cancellable)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  gulong handler = 0;
  gboolean ok;

  if (cancellable)
    handler =
        g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), e, NULL);
  g_mutex_lock (&e->lock);
  if (e->state != ST_STARTED) {
    g_mutex_unlock (&e->lock);
    if (handler)
      g_cancellable_disconnect (cancellable, handler);
    return FALSE;
  }
  e->state = ST_FINISHING;
  rtmfp_io_invoke (e->io, finish_cb, e, NULL);
  while (e->state == ST_FINISHING && !g_cancellable_is_cancelled (cancellable))
    if (!g_cond_wait_until (&e->cond, &e->lock, deadline))
      break;
  ok = e->state == ST_DONE;
  g_mutex_unlock (&e->lock);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return ok;
}

GstStructure *
gst_rtmfp_engine_get_stats (GstRtmfpEngine *e)
{
  GstStructure *s;

  g_mutex_lock (&e->lock);
  s = e->stats ? gst_structure_copy (e->stats) :
                 gst_structure_new_empty ("application/x-rtmfp-stats");
  g_mutex_unlock (&e->lock);
  return s;
}

static gboolean
shutdown_cb (gpointer data)
{
  GstRtmfpEngine *e = data;
  GList *ids = g_hash_table_get_keys (e->ncs);

  /* the element is going away: no more callbacks */
  memset (&e->cb, 0, sizeof (e->cb));
  /* whoever is left learns at once (a Close Acknowledgement) */
  for (GList *l = ids; l; l = l->next)
    rtmfp_endpoint_close_session (
        e->ep, rtmfp_io_now (), GPOINTER_TO_UINT (l->data), TRUE);
  g_list_free (ids);
  destroy_source (&e->timeout_source);
  destroy_source (&e->stats_source);
  g_mutex_lock (&e->lock);
  if (e->state != ST_FAILED)
    e->state = ST_DONE;
  e->out_scheduled = TRUE; /* no more */
  g_mutex_unlock (&e->lock);
  return G_SOURCE_REMOVE;
}

static gboolean
shutdown_done_cb (gpointer data)
{
  GstRtmfpEngine *e = data;

  g_mutex_lock (&e->lock);
  e->finish_stage = 100;
  g_cond_broadcast (&e->cond);
  g_mutex_unlock (&e->lock);
  return G_SOURCE_REMOVE;
}

void
gst_rtmfp_engine_free (GstRtmfpEngine *e)
{
  if (!e)
    return;
  if (e->io && e->running) {
    rtmfp_io_invoke (e->io, shutdown_cb, e, NULL);
    rtmfp_io_invoke (e->io, shutdown_done_cb, e, NULL);
    g_mutex_lock (&e->lock);
    while (e->finish_stage != 100)
      if (!g_cond_wait_until (
              &e->cond, &e->lock, g_get_monotonic_time () + G_USEC_PER_SEC))
        break;
    g_mutex_unlock (&e->lock);
  }
  if (e->io) {
    destroy_source (&e->timeout_source);
    destroy_source (&e->stats_source);
    rtmfp_io_free (e->io);
  }
  g_hash_table_unref (e->players);
  g_hash_table_unref (e->ncs);
  g_queue_clear_full (&e->outq, (GDestroyNotify) rtmp_message_free);
  g_ptr_array_unref (e->headers);
  if (e->stats)
    gst_structure_free (e->stats);
  g_clear_error (&e->fatal);
  gst_rtmfp_target_free (e->t);
  g_free (e->peer_id_hex);
  g_mutex_clear (&e->lock);
  g_cond_clear (&e->cond);
  g_free (e);
}

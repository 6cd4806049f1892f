/* gst-rtmpe: listen mode: the server side of rtmpesrc and rtmpesink
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstrtmpeserver.h"
#include "flvinfo.h"
#include "rtmpeconnection.h"
#include "rtmpecrypto.h"
#include "rtmperror.h"
#include "rtmplimits.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtmpe_server_debug);
#define GST_CAT_DEFAULT rtmpe_server_debug

#define PING_INTERVAL 10
#define WINDOW_ACK_SIZE 2500000
/* what one player may have waiting before frames are skipped for it */
#define PLAYER_MAX_QUEUED (4 * 1024 * 1024)
/* a publisher only gets answers from us */
#define PUBLISHER_MAX_QUEUED (256 * 1024)
/* a player skipping frames this long without catching up is dropped */
#define PLAYER_STUCK_US (10 * G_USEC_PER_SEC)
/* What a peer can make its chunk reader hold before it is an accepted
 * publisher: commands are small, so a peer we know nothing about (and every
 * player) gets 64 chunk streams and 1 MB of partial messages, not the 1024
 * and 64 MB a publisher's media may need (rtmplimits.h). With the default
 * max-connections that is at most 64 MB for strangers, plus one
 * publisher's 64 MB. */
#define PEER_MAX_CHUNK_STREAMS 64
#define PEER_MAX_PENDING (1024 * 1024)

typedef enum
{
  PEER_NEW,
  PEER_PUBLISHER,
  PEER_PLAYER,
  PEER_DONE,
} PeerRole;

typedef struct
{
  GstRtmpeServer *server;
  RtmpeConnection *conn;
  gchar *addr;
  PeerRole role;
  gboolean connected; /* its connect was accepted */
  guint32 stream_id;
  gboolean need_keyframe;
  gint64 stuck_since;
  guint64 dropped;
} Peer;

struct _GstRtmpeServer
{
  GstObject *parent;
  GstRtmpeTarget *target;
  GstRtmpeServerRole role;
  guint chunk_size;
  gboolean wait_for_next;
  GstRtmpeClientCallbacks cb;
  gpointer cb_data;

  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GSocket *listen_socket;
  GSource *accept_source;
  guint16 port;
  SSL_CTX *ssl_ctx;
  gint64 created_at;

  GMutex lock;
  GCond cond;
  GList *peers; /* Peer */
  GList *dead; /* Peer, freed from an idle callback */
  GSource *reap_source;
  /* the src's streaming thread reads the publisher (rtmpe_connection_pull
   * ()): no peer is freed until it is out */
  gboolean pulling;
  Peer *publisher;
  gboolean had_publisher;
  gboolean reading;
  GPtrArray *headers; /* RtmpMessage */
  gboolean has_video;
  guint64 accepted;
  guint64 refused;
};

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmpe_server_debug, "rtmpe-server", 0,
        "RTMP listen mode: accepting publishers and players");
    g_once_init_leave (&once, 1);
  }
}

GstRtmpeServer *
gst_rtmpe_server_new (GstObject *parent, GstRtmpeTarget *target,
    GstRtmpeServerRole role, guint chunk_size, gboolean wait_for_next,
    const GstRtmpeClientCallbacks *callbacks, gpointer data)
{
  GstRtmpeServer *s = g_new0 (GstRtmpeServer, 1);

  debug_init ();
  s->parent = parent;
  s->target = target;
  s->role = role;
  s->chunk_size = chunk_size ? chunk_size : 4096;
  s->wait_for_next = wait_for_next;
  s->cb = *callbacks;
  s->cb_data = data;
  s->context = g_main_context_new ();
  s->loop = g_main_loop_new (s->context, FALSE);
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->reading = TRUE;
  s->headers =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  s->created_at = g_get_monotonic_time ();
  return s;
}

/* ---- peers --------------------------------------------------------------- */

static void
peer_free (Peer *p)
{
  rtmpe_connection_unref (p->conn);
  g_free (p->addr);
  g_free (p);
}

static gboolean
reap_cb (gpointer data)
{
  GstRtmpeServer *s = data;
  GList *dead;

  g_mutex_lock (&s->lock);
  g_source_unref (s->reap_source);
  s->reap_source = NULL;
  if (s->pulling) {
    /* gst_rtmpe_server_pull () reschedules this when it is out */
    g_mutex_unlock (&s->lock);
    return G_SOURCE_REMOVE;
  }
  dead = s->dead;
  s->dead = NULL;
  g_mutex_unlock (&s->lock);
  g_list_free_full (dead, (GDestroyNotify) peer_free);
  return G_SOURCE_REMOVE;
}

/* Takes @p out of the peer list (lock held). Freed later: we may be inside
 * one of its connection's callbacks. */
static void
retire_peer_locked (GstRtmpeServer *s, Peer *p)
{
  if (p->role == PEER_DONE)
    return;
  p->role = PEER_DONE;
  s->peers = g_list_remove (s->peers, p);
  s->dead = g_list_prepend (s->dead, p);
  if (!s->reap_source) {
    s->reap_source = g_idle_source_new ();
    g_source_set_callback (s->reap_source, reap_cb, s, NULL);
    g_source_attach (s->reap_source, s->context);
  }
  g_cond_broadcast (&s->cond);
}

/* Whether @name (with its query) is the stream the location names; any
 * stream when the location names none. */
static gboolean
stream_matches (GstRtmpeServer *s, const gchar *name)
{
  const gchar *want = s->target->stream;
  gsize len;

  if (!want || !*want)
    return TRUE;
  if (g_strcmp0 (name, want) == 0)
    return TRUE;
  /* "cam1" accepts "cam1?token=..." */
  len = strlen (want);
  return !strchr (want, '?') && name && strncmp (name, want, len) == 0 &&
      name[len] == '?';
}

static gboolean
app_matches (GstRtmpeServer *s, const gchar *app)
{
  const gchar *want = s->target->app;

  if (!want || !*want)
    return TRUE;
  return g_strcmp0 (app, want) == 0;
}

typedef struct
{
  guint32 stream_id;
  const gchar *code;
  const gchar *description;
} Answer;

static void
accept_connect_func (RtmpSession *session, gpointer data)
{
  rtmp_session_accept_connect (session);
}

static void
reject_connect_func (RtmpSession *session, gpointer data)
{
  Answer *a = data;

  rtmp_session_reject_connect (session, a->code, a->description);
}

static void
accept_publish_func (RtmpSession *session, gpointer data)
{
  /* media may come in messages of up to 16 MB, interleaved */
  rtmp_session_set_limits (
      session, RTMP_MAX_CHUNK_STREAMS, RTMP_MAX_PENDING_BYTES);
  rtmp_session_accept_publish (session, ((Answer *) data)->stream_id);
}

static void
accept_play_func (RtmpSession *session, gpointer data)
{
  rtmp_session_accept_play (session, ((Answer *) data)->stream_id);
}

static void
reject_stream_func (RtmpSession *session, gpointer data)
{
  Answer *a = data;

  rtmp_session_reject_stream (session, a->stream_id, a->code, a->description);
}

static void
end_play_func (RtmpSession *session, gpointer data)
{
  rtmp_session_end_play (session, GPOINTER_TO_UINT (data));
}

/* A publisher's stream ended (unpublished, or its connection went). */
static void
publisher_gone (GstRtmpeServer *s, Peer *p)
{
  gboolean was;

  g_mutex_lock (&s->lock);
  was = s->publisher == p;
  if (was)
    s->publisher = NULL;
  g_mutex_unlock (&s->lock);
  if (!was)
    return;
  GST_INFO_OBJECT (s->parent, "publisher %s stopped%s", p->addr,
      s->wait_for_next ? "; waiting for the next one" : "");
  if (!s->wait_for_next && s->cb.eos)
    s->cb.eos (NULL, s->cb_data);
}

static void
on_peer_event (RtmpeConnection *conn, RtmpSessionEvent *ev, gpointer data)
{
  Peer *p = data;
  GstRtmpeServer *s = p->server;
  Answer a = { ev->stream_id, NULL, NULL };

  switch (ev->type) {
    case RTMP_SESSION_EVENT_CONNECT_REQUEST:
      if (app_matches (s, ev->app)) {
        GST_DEBUG_OBJECT (s->parent, "%s connects to '%s'", p->addr, ev->app);
        g_mutex_lock (&s->lock);
        p->connected = TRUE;
        g_mutex_unlock (&s->lock);
        rtmpe_connection_call (conn, accept_connect_func, NULL);
      } else {
        GST_WARNING_OBJECT (s->parent,
            "%s asked for application '%s': "
            "refused",
            p->addr, ev->app);
        a.code = "NetConnection.Connect.Rejected";
        a.description = "unknown application";
        rtmpe_connection_call (conn, reject_connect_func, &a);
        rtmpe_connection_finish (conn);
      }
      break;
    case RTMP_SESSION_EVENT_PUBLISH_REQUEST: {
      gboolean ok = FALSE, reconnected = FALSE;

      g_mutex_lock (&s->lock);
      if (s->role != GST_RTMPE_SERVER_INGEST) {
        a.code = "NetStream.Publish.Denied";
        a.description = "this server only plays a stream";
      } else if (!stream_matches (s, ev->stream)) {
        a.code = "NetStream.Publish.BadName";
        a.description = "unknown stream name";
      } else if (s->publisher) {
        a.code = "NetStream.Publish.BadName";
        a.description = "the stream is already being published";
      } else {
        ok = TRUE;
        s->publisher = p;
        p->role = PEER_PUBLISHER;
        p->stream_id = ev->stream_id;
        reconnected = s->had_publisher;
        s->had_publisher = TRUE;
        if (!s->reading)
          rtmpe_connection_set_reading (conn, FALSE);
      }
      g_mutex_unlock (&s->lock);
      if (ok) {
        GST_INFO_OBJECT (s->parent, "%s publishes", p->addr);
        rtmpe_connection_call (conn, accept_publish_func, &a);
        if (s->cb.started)
          s->cb.started (NULL, reconnected, s->cb_data);
      } else {
        GST_WARNING_OBJECT (
            s->parent, "publish from %s refused: %s", p->addr, a.description);
        rtmpe_connection_call (conn, reject_stream_func, &a);
      }
      break;
    }
    case RTMP_SESSION_EVENT_PLAY_REQUEST: {
      GPtrArray *headers = NULL;

      g_mutex_lock (&s->lock);
      if (s->role != GST_RTMPE_SERVER_SERVE ||
          !stream_matches (s, ev->stream)) {
        a.code = "NetStream.Play.StreamNotFound";
        a.description = s->role != GST_RTMPE_SERVER_SERVE ?
            "this server only takes a published stream" :
            "unknown stream name";
      } else {
        p->role = PEER_PLAYER;
        p->stream_id = ev->stream_id;
        p->need_keyframe = TRUE;
        headers = g_ptr_array_ref (s->headers);
      }
      g_mutex_unlock (&s->lock);
      if (headers) {
        GST_INFO_OBJECT (s->parent, "%s plays", p->addr);
        rtmpe_connection_call (conn, accept_play_func, &a);
        for (guint i = 0; i < headers->len; i++)
          rtmpe_connection_send_media (conn, g_ptr_array_index (headers, i),
              p->stream_id, 0, NULL, NULL);
        g_ptr_array_unref (headers);
      } else {
        GST_WARNING_OBJECT (
            s->parent, "play from %s refused: %s", p->addr, a.description);
        rtmpe_connection_call (conn, reject_stream_func, &a);
      }
      break;
    }
    case RTMP_SESSION_EVENT_MEDIA:
      if (p->role == PEER_PUBLISHER && s->cb.media) {
        s->cb.media (NULL, ev->message, s->cb_data);
        ev->message = NULL;
      }
      break;
    case RTMP_SESSION_EVENT_EOS:
      if (p->role == PEER_PUBLISHER) {
        publisher_gone (s, p);
        p->role = PEER_NEW;
      } else if (p->role == PEER_PLAYER) {
        GST_DEBUG_OBJECT (s->parent, "%s stopped playing", p->addr);
        g_mutex_lock (&s->lock);
        p->role = PEER_NEW;
        g_mutex_unlock (&s->lock);
      }
      break;
    default:
      break;
  }
  rtmp_session_event_free (ev);
}

static void
on_peer_closed (RtmpeConnection *conn, const GError *error, gpointer data)
{
  Peer *p = data;
  GstRtmpeServer *s = p->server;
  gboolean publisher;

  if (error &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    GST_WARNING_OBJECT (
        s->parent, "peer %s dropped: %s", p->addr, error->message);
  else
    GST_DEBUG_OBJECT (s->parent, "peer %s left", p->addr);
  g_mutex_lock (&s->lock);
  publisher = s->publisher == p;
  g_mutex_unlock (&s->lock);
  if (publisher)
    publisher_gone (s, p);
  g_mutex_lock (&s->lock);
  retire_peer_locked (s, p);
  g_mutex_unlock (&s->lock);
}

static guint
handshake_accept_mask (GstRtmpeServer *s)
{
  if (s->target->scheme == RTMP_SCHEME_RTMPS)
    return RTMP_HANDSHAKE_ACCEPT_PLAIN;
  switch (s->target->encryption) {
    case GST_RTMPE_ENCRYPTION_REQUIRED:
      return RTMP_HANDSHAKE_ACCEPT_ANY_RTMPE;
    case GST_RTMPE_ENCRYPTION_NONE:
      return RTMP_HANDSHAKE_ACCEPT_PLAIN;
    default:
      return RTMP_HANDSHAKE_ACCEPT_ALL;
  }
}

static void
accept_peer (GstRtmpeServer *s, GSocket *socket)
{
  RtmpeConnectionConfig ccfg = { 0 };
  RtmpServerConfig scfg = { 0 };
  RtmpeTransport *transport;
  RtmpHandshake *hs;
  RtmpSession *session;
  GError *error = NULL;
  Peer *p;
  guint n;

  g_mutex_lock (&s->lock);
  n = g_list_length (s->peers);
  g_mutex_unlock (&s->lock);
  transport = rtmpe_transport_new (socket);
  if (n >= s->target->max_connections) {
    GST_WARNING_OBJECT (s->parent,
        "refusing a connection: %u peers "
        "already (max-connections)",
        n);
    s->refused++;
    rtmpe_transport_close (transport);
    rtmpe_transport_free (transport);
    return;
  }
  if (s->ssl_ctx &&
      !rtmpe_transport_start_tls_server (transport, s->ssl_ctx, &error)) {
    GST_WARNING_OBJECT (s->parent, "TLS set-up failed: %s", error->message);
    g_error_free (error);
    rtmpe_transport_close (transport);
    rtmpe_transport_free (transport);
    return;
  }
  hs = rtmp_handshake_new_server (handshake_accept_mask (s),
      (guint32) ((g_get_monotonic_time () - s->created_at) / 1000),
      rtmpe_crypto_openssl ());
  scfg.chunk_size = s->chunk_size;
  scfg.window_ack_size = WINDOW_ACK_SIZE;
  scfg.peer_bandwidth = WINDOW_ACK_SIZE;
  session = rtmp_session_new_server (&scfg);
  rtmp_session_set_limits (session, PEER_MAX_CHUNK_STREAMS, PEER_MAX_PENDING);
  ccfg.handshake_timeout = s->target->timeout;
  ccfg.idle_timeout = s->target->idle_timeout;
  ccfg.ping_interval = PING_INTERVAL;
  ccfg.max_queued = s->role == GST_RTMPE_SERVER_SERVE ? PLAYER_MAX_QUEUED :
                                                        PUBLISHER_MAX_QUEUED;

  p = g_new0 (Peer, 1);
  p->server = s;
  p->conn = rtmpe_connection_new (s->context, transport, hs, session, &ccfg);
  {
    RtmpeConnectionStats st = { 0 };

    rtmpe_connection_get_stats (p->conn, &st);
    p->addr = g_strdup (st.peer);
    rtmpe_connection_stats_clear (&st);
  }
  rtmpe_connection_set_callbacks (
      p->conn, on_peer_event, on_peer_closed, p, NULL);
  g_mutex_lock (&s->lock);
  s->peers = g_list_prepend (s->peers, p);
  s->accepted++;
  g_mutex_unlock (&s->lock);
  GST_DEBUG_OBJECT (s->parent, "accepted %s", p->addr);
  rtmpe_connection_start (p->conn);
}

static gboolean
on_accept (GSocket *listen_socket, GIOCondition cond, gpointer data)
{
  GstRtmpeServer *s = data;

  for (;;) {
    GError *error = NULL;
    GSocket *socket = g_socket_accept (listen_socket, NULL, &error);

    if (!socket) {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        GST_WARNING_OBJECT (s->parent, "accept failed: %s", error->message);
      g_error_free (error);
      break;
    }
    accept_peer (s, socket);
    g_object_unref (socket);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- start and stop ------------------------------------------------------ */

static gpointer
thread_func (gpointer data)
{
  GstRtmpeServer *s = data;

  g_main_context_push_thread_default (s->context);
  g_main_loop_run (s->loop);
  g_main_context_pop_thread_default (s->context);
  return NULL;
}

static GInetAddress *
resolve (const gchar *host, GError **error)
{
  GInetAddress *addr = g_inet_address_new_from_string (host);
  GResolver *resolver;
  GList *list;

  if (addr)
    return addr;
  resolver = g_resolver_get_default ();
  list = g_resolver_lookup_by_name (resolver, host, NULL, error);
  g_object_unref (resolver);
  if (!list)
    return NULL;
  addr = g_object_ref (list->data);
  g_resolver_free_addresses (list);
  return addr;
}

gboolean
gst_rtmpe_server_start (GstRtmpeServer *s, GError **error)
{
  GstRtmpeTarget *t = s->target;
  GInetAddress *iaddr;
  GSocketAddress *addr, *bound;
  GSocket *socket;

  if (t->scheme == RTMP_SCHEME_RTMPS) {
    s->ssl_ctx = rtmpe_tls_server_context_new (
        t->tls_certificate_file, t->tls_key_file, error);
    if (!s->ssl_ctx)
      return FALSE;
  }
  iaddr = resolve (t->host, error);
  if (!iaddr)
    return FALSE;
  socket = g_socket_new (g_inet_address_get_family (iaddr),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (!socket) {
    g_object_unref (iaddr);
    return FALSE;
  }
  addr = g_inet_socket_address_new (iaddr, t->port);
  g_object_unref (iaddr);
  g_socket_set_blocking (socket, FALSE);
  if (!g_socket_bind (socket, addr, TRUE, error) ||
      !g_socket_listen (socket, error)) {
    g_prefix_error (error, "cannot listen on %s:%u: ", t->host, t->port);
    g_object_unref (addr);
    g_object_unref (socket);
    return FALSE;
  }
  g_object_unref (addr);
  bound = g_socket_get_local_address (socket, NULL);
  s->port = bound ?
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)) :
      0;
  g_clear_object (&bound);
  s->listen_socket = socket;
  s->accept_source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (s->accept_source, G_SOURCE_FUNC (on_accept), s, NULL);
  g_source_attach (s->accept_source, s->context);
  s->thread = g_thread_new ("rtmpe-server", thread_func, s);
  GST_INFO_OBJECT (s->parent, "listening on %s:%u for %s (%s)", t->host,
      s->port, s->role == GST_RTMPE_SERVER_INGEST ? "a publisher" : "players",
      t->redacted);
  return TRUE;
}

guint16
gst_rtmpe_server_get_port (GstRtmpeServer *s)
{
  return s->port;
}

static gboolean
shutdown_cb (gpointer data)
{
  GstRtmpeServer *s = data;
  GList *peers, *dead;

  if (s->accept_source) {
    g_source_destroy (s->accept_source);
    g_source_unref (s->accept_source);
    s->accept_source = NULL;
  }
  g_mutex_lock (&s->lock);
  peers = s->peers;
  s->peers = NULL;
  dead = s->dead;
  s->dead = NULL;
  s->publisher = NULL;
  if (s->reap_source) {
    g_source_destroy (s->reap_source);
    g_source_unref (s->reap_source);
    s->reap_source = NULL;
  }
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  g_list_free_full (peers, (GDestroyNotify) peer_free);
  g_list_free_full (dead, (GDestroyNotify) peer_free);
  g_main_loop_quit (s->loop);
  return G_SOURCE_REMOVE;
}

/* Stops accepting and closes every peer: players in order (what is
 * queued goes out, then our side shuts down), a publisher gets to close
 * first (one that just sent deleteStream expects to be the one closing),
 * and so does any other connected peer; one still in its handshake or
 * connect is closed at once: it would only hold up the stop. */
static gboolean
begin_close_cb (gpointer data)
{
  GstRtmpeServer *s = data;
  GList *players = NULL, *others = NULL, *strangers = NULL;

  if (s->accept_source) {
    g_source_destroy (s->accept_source);
    g_source_unref (s->accept_source);
    s->accept_source = NULL;
  }
  g_mutex_lock (&s->lock);
  for (GList *l = s->peers; l; l = l->next) {
    Peer *p = l->data;
    RtmpeConnection *c = rtmpe_connection_ref (p->conn);

    if (p->role == PEER_PLAYER)
      players = g_list_prepend (players, c);
    else if (p->connected)
      others = g_list_prepend (others, c);
    else
      strangers = g_list_prepend (strangers, c);
  }
  g_mutex_unlock (&s->lock);
  for (GList *l = strangers; l; l = l->next)
    rtmpe_connection_close (l->data);
  /* players wait for us to close; a publisher closes first */
  for (GList *l = players; l; l = l->next)
    rtmpe_connection_finish (l->data);
  for (GList *l = others; l; l = l->next)
    rtmpe_connection_linger (l->data);
  g_list_free_full (players, (GDestroyNotify) rtmpe_connection_unref);
  g_list_free_full (others, (GDestroyNotify) rtmpe_connection_unref);
  g_list_free_full (strangers, (GDestroyNotify) rtmpe_connection_unref);
  return G_SOURCE_REMOVE;
}

void
gst_rtmpe_server_free (GstRtmpeServer *s)
{
  if (!s)
    return;
  if (s->thread) {
    /* what the peers get to close in order: set_state(NULL) must stay
     * well under a second */
    gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 2;

    g_main_context_invoke (s->context, begin_close_cb, s);
    g_mutex_lock (&s->lock);
    while (s->peers)
      if (!g_cond_wait_until (&s->cond, &s->lock, deadline))
        break;
    g_mutex_unlock (&s->lock);
    g_main_context_invoke (s->context, shutdown_cb, s);
    g_thread_join (s->thread);
  }
  while (g_main_context_iteration (s->context, FALSE))
    ;
  if (s->listen_socket) {
    g_socket_close (s->listen_socket, NULL);
    g_object_unref (s->listen_socket);
  }
  if (s->ssl_ctx)
    SSL_CTX_free (s->ssl_ctx);
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->context);
  g_ptr_array_unref (s->headers);
  gst_rtmpe_target_free (s->target);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

/* ---- serving players ----------------------------------------------------- */

void
gst_rtmpe_server_set_headers (GstRtmpeServer *s, GPtrArray *headers)
{
  g_mutex_lock (&s->lock);
  g_ptr_array_unref (s->headers);
  s->headers =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  for (guint i = 0; headers && i < headers->len; i++) {
    const RtmpMessage *m = g_ptr_array_index (headers, i);

    if (m->type == RTMP_MESSAGE_TYPE_VIDEO)
      s->has_video = TRUE;
    g_ptr_array_add (s->headers,
        rtmp_message_new (
            m->type, m->timestamp, 0, gst_buffer_ref (m->payload)));
  }
  g_mutex_unlock (&s->lock);
}

static void
close_player_cb_func (RtmpSession *session, gpointer data)
{
  end_play_func (session, data);
}

static gboolean
close_conn_cb (gpointer data)
{
  rtmpe_connection_close (data);
  return G_SOURCE_REMOVE;
}

void
gst_rtmpe_server_send (GstRtmpeServer *s, const RtmpMessage *msg)
{
  FlvTagInfo info;
  gboolean info_ok = FALSE, video = msg->type == RTMP_MESSAGE_TYPE_VIDEO;
  gboolean starts = TRUE, header = msg->type == RTMP_MESSAGE_TYPE_DATA_AMF0;
  gint64 now = g_get_monotonic_time ();

  if (msg->type == RTMP_MESSAGE_TYPE_AUDIO || video) {
    info_ok = flv_tag_info_parse_buffer (msg->type, msg->payload, &info, NULL);
    /* codec configuration always goes through (a player that joined before
     * it was stored needs it); a player starts on a video key frame, or on
     * anything when the stream has no video */
    header = info_ok && info.kind == FLV_PACKET_CONFIG;
    starts = video ?
        (info_ok && info.keyframe && info.kind == FLV_PACKET_CODED) :
        FALSE;
  }

  g_mutex_lock (&s->lock);
  if (video)
    s->has_video = TRUE;
  for (GList *l = s->peers; l; l = l->next) {
    Peer *p = l->data;
    GError *error = NULL;

    if (p->role != PEER_PLAYER)
      continue;
    if (p->need_keyframe && !header) {
      if (starts || !s->has_video)
        p->need_keyframe = FALSE;
      else
        continue;
    }
    if (rtmpe_connection_send_media (
            p->conn, msg, p->stream_id, 0, NULL, &error)) {
      p->stuck_since = 0;
      continue;
    }
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      /* too slow: skip to the next key frame; drop it if it stays stuck */
      p->dropped++;
      p->need_keyframe = s->has_video;
      if (!p->stuck_since)
        p->stuck_since = now;
      if (now - p->stuck_since > PLAYER_STUCK_US) {
        GST_WARNING_OBJECT (s->parent,
            "player %s cannot keep up: "
            "dropping it",
            p->addr);
        p->role = PEER_NEW;
        rtmpe_connection_call (
            p->conn, close_player_cb_func, GUINT_TO_POINTER (p->stream_id));
        g_main_context_invoke_full (s->context, G_PRIORITY_DEFAULT,
            close_conn_cb, rtmpe_connection_ref (p->conn),
            (GDestroyNotify) rtmpe_connection_unref);
      } else if (p->dropped % 100 == 1) {
        GST_INFO_OBJECT (s->parent,
            "player %s is slow: skipping to the "
            "next key frame (%" G_GUINT64_FORMAT " frames skipped)",
            p->addr, p->dropped);
      }
    }
    g_clear_error (&error);
  }
  g_mutex_unlock (&s->lock);
}

static gboolean
end_cb (gpointer data)
{
  GstRtmpeServer *s = data;
  GList *conns = NULL;

  g_mutex_lock (&s->lock);
  for (GList *l = s->peers; l; l = l->next) {
    Peer *p = l->data;

    if (p->role == PEER_PLAYER) {
      rtmpe_connection_call (
          p->conn, end_play_func, GUINT_TO_POINTER (p->stream_id));
      conns = g_list_prepend (conns, rtmpe_connection_ref (p->conn));
    }
  }
  g_mutex_unlock (&s->lock);
  for (GList *l = conns; l; l = l->next)
    rtmpe_connection_finish (l->data);
  g_list_free_full (conns, (GDestroyNotify) rtmpe_connection_unref);
  return G_SOURCE_REMOVE;
}

static gboolean
has_players_locked (GstRtmpeServer *s)
{
  for (GList *l = s->peers; l; l = l->next)
    if (((Peer *) l->data)->role == PEER_PLAYER)
      return TRUE;
  return FALSE;
}

void
gst_rtmpe_server_end (GstRtmpeServer *s, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;

  g_main_context_invoke (s->context, end_cb, s);
  g_mutex_lock (&s->lock);
  while (has_players_locked (s))
    if (!g_cond_wait_until (&s->cond, &s->lock, deadline))
      break;
  g_mutex_unlock (&s->lock);
}

/* ---- ingest back-pressure ------------------------------------------------ */

static gboolean
apply_reading_cb (gpointer data)
{
  GstRtmpeServer *s = data;

  g_mutex_lock (&s->lock);
  if (s->publisher)
    rtmpe_connection_set_reading (s->publisher->conn, s->reading);
  g_mutex_unlock (&s->lock);
  return G_SOURCE_REMOVE;
}

gboolean
gst_rtmpe_server_pull (
    GstRtmpeServer *s, GCancellable *cancellable, const GPollFD *cancel_fd)
{
  RtmpeConnection *conn;
  RtmpePullResult res;

  g_mutex_lock (&s->lock);
  if (s->role != GST_RTMPE_SERVER_INGEST || !s->publisher || s->pulling) {
    g_mutex_unlock (&s->lock);
    return FALSE;
  }
  conn = s->publisher->conn;
  s->pulling = TRUE;
  g_mutex_unlock (&s->lock);

  res = rtmpe_connection_pull (conn, cancellable, cancel_fd);

  g_mutex_lock (&s->lock);
  s->pulling = FALSE;
  if (s->dead && !s->reap_source) {
    s->reap_source = g_idle_source_new ();
    g_source_set_callback (s->reap_source, reap_cb, s, NULL);
    g_source_attach (s->reap_source, s->context);
  }
  g_mutex_unlock (&s->lock);
  return res != RTMPE_PULL_UNAVAILABLE;
}

void
gst_rtmpe_server_set_reading (GstRtmpeServer *s, gboolean reading)
{
  g_mutex_lock (&s->lock);
  s->reading = reading;
  g_mutex_unlock (&s->lock);
  g_main_context_invoke (s->context, apply_reading_cb, s);
}

/* ---- stats --------------------------------------------------------------- */

GstStructure *
gst_rtmpe_server_get_stats (GstRtmpeServer *s)
{
  GValue peers = G_VALUE_INIT;
  GstStructure *st;
  guint64 in = 0, out = 0;

  g_value_init (&peers, GST_TYPE_ARRAY);
  g_mutex_lock (&s->lock);
  for (GList *l = s->peers; l; l = l->next) {
    Peer *p = l->data;
    RtmpeConnectionStats cs = { 0 };
    GValue v = G_VALUE_INIT;

    rtmpe_connection_get_stats (p->conn, &cs);
    in += cs.bytes_in;
    out += cs.bytes_out;
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v,
        gst_structure_new ("peer", "peer", G_TYPE_STRING, cs.peer, "role",
            G_TYPE_STRING,
            p->role == PEER_PUBLISHER  ? "publisher" :
                p->role == PEER_PLAYER ? "player" :
                                         "connected",
            "bytes-in", G_TYPE_UINT64, cs.bytes_in, "bytes-out", G_TYPE_UINT64,
            cs.bytes_out, "queued", G_TYPE_UINT64, cs.queued, "rtt-ms",
            G_TYPE_UINT, cs.rtt_ms, "handshake-type", G_TYPE_UINT,
            (guint) cs.handshake_type, "cipher", G_TYPE_STRING, cs.cipher,
            "skipped-frames", G_TYPE_UINT64, p->dropped, NULL));
    gst_value_array_append_and_take_value (&peers, &v);
    rtmpe_connection_stats_clear (&cs);
  }
  st = gst_structure_new ("application/x-rtmpe-stats", "port", G_TYPE_UINT,
      (guint) s->port, "connections", G_TYPE_UINT, g_list_length (s->peers),
      "accepted", G_TYPE_UINT64, s->accepted, "refused", G_TYPE_UINT64,
      s->refused, "bytes-in", G_TYPE_UINT64, in, "bytes-out", G_TYPE_UINT64,
      out, NULL);
  g_mutex_unlock (&s->lock);
  gst_structure_take_value (st, "peers", &peers);
  return st;
}

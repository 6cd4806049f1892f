/* gst-rtmpe: the client side of rtmpesrc and rtmpesink
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstrtmpeclient.h"
#include "rtmpeconnection.h"
#include "rtmpecrypto.h"
#include "rtmperror.h"

GST_DEBUG_CATEGORY_STATIC (rtmpe_client_debug);
#define GST_CAT_DEFAULT rtmpe_client_debug

#define PING_INTERVAL 10
#define MAX_QUEUED (8 * 1024 * 1024)
#define WINDOW_ACK_SIZE 2500000

typedef enum
{
  ST_IDLE,
  ST_CONNECTING,
  ST_STARTED,
  ST_WAITING_RETRY,
  ST_FINISHING,
  ST_DONE,
  ST_FAILED,
} State;

struct _GstRtmpeClient
{
  GstObject *parent;
  GstRtmpeTarget *target;
  gboolean publish;
  guint buffer_length;
  guint chunk_size;
  GstRtmpeClientCallbacks cb;
  gpointer cb_data;

  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;

  GMutex lock;
  GCond cond;
  State state;
  RtmpeConnection *conn;
  GSocketConnection *sockconn;
  GList *dead_conns; /* unreffed from an idle callback */
  GSocketClient *socket_client;
  GCancellable *connect_cancellable;
  gboolean connect_timed_out;
  /* the attempt's one deadline, from connecting to the start of the
   * stream (timeout) */
  GSource *connect_timeout;
  GSource *retry_source;
  GSource *reap_source;
  /* the src's streaming thread is in rtmpe_connection_pull(): the
   * connections stay alive (no reaping) until it is out */
  gboolean pulling;
  gboolean connect_pending; /* the async connect has not returned */
  gboolean quitting;
  GError *fatal;
  gboolean finish_ok;
  guint attempt;
  guint reconnects;
  gboolean ever_started;
  GPtrArray *headers;
  guint64 bytes_in_done;
  guint64 bytes_out_done;
  /* the last connection's, kept once it is gone */
  guint8 last_handshake_type;
  gboolean last_digest;
  gchar *last_cipher;
  gchar *last_peer;
  gint64 connected_at;
  gint64 created_at;
};

static void do_connect (GstRtmpeClient *c);

G_DEFINE_QUARK (gst - rtmpe - client - error - quark, gst_rtmpe_client_error)

/* The fatal error as send() reports it: FAILED, with its message. Lock
 * held. */
static void
set_failed_error_locked (GstRtmpeClient *c, GError **error)
{
  g_set_error_literal (error, GST_RTMPE_CLIENT_ERROR,
      GST_RTMPE_CLIENT_ERROR_FAILED, c->fatal->message);
}

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmpe_client_debug, "rtmpe-client", 0,
        "RTMP client: connecting, reconnecting, playing and publishing");
    g_once_init_leave (&once, 1);
  }
}

static gpointer
thread_func (gpointer data)
{
  GstRtmpeClient *c = data;

  g_main_context_push_thread_default (c->context);
  g_main_loop_run (c->loop);
  g_main_context_pop_thread_default (c->context);
  return NULL;
}

GstRtmpeClient *
gst_rtmpe_client_new (GstObject *parent, GstRtmpeTarget *target,
    gboolean publish, guint buffer_length, guint chunk_size,
    const GstRtmpeClientCallbacks *callbacks, gpointer data)
{
  GstRtmpeClient *c = g_new0 (GstRtmpeClient, 1);

  debug_init ();
  c->parent = parent;
  c->target = target;
  c->publish = publish;
  c->buffer_length = buffer_length;
  c->chunk_size = chunk_size;
  c->cb = *callbacks;
  c->cb_data = data;
  c->context = g_main_context_new ();
  c->loop = g_main_loop_new (c->context, FALSE);
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  c->state = ST_IDLE;
  c->headers =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  c->created_at = g_get_monotonic_time ();
  return c;
}

static void
attach (GstRtmpeClient *c, GSource *source, GSourceFunc func)
{
  g_source_set_callback (source, func, c, NULL);
  g_source_attach (source, c->context);
}

static void
destroy_source (GSource **s)
{
  if (*s) {
    g_source_destroy (*s);
    g_source_unref (*s);
    *s = NULL;
  }
}

static gboolean
reap_cb (gpointer data)
{
  GstRtmpeClient *c = data;
  GList *dead;

  g_mutex_lock (&c->lock);
  destroy_source (&c->reap_source);
  if (c->pulling) {
    /* gst_rtmpe_client_pull () reschedules this when it is out */
    g_mutex_unlock (&c->lock);
    return G_SOURCE_REMOVE;
  }
  dead = c->dead_conns;
  c->dead_conns = NULL;
  g_mutex_unlock (&c->lock);
  g_list_free_full (dead, (GDestroyNotify) rtmpe_connection_unref);
  return G_SOURCE_REMOVE;
}

/* Retires the current connection (lock held, context thread): its stats
 * are added up and it is released from an idle callback, since we may be
 * inside one of its own callbacks. */
static void
retire_conn_locked (GstRtmpeClient *c)
{
  RtmpeConnectionStats st = { 0 };

  if (!c->conn)
    return;
  rtmpe_connection_get_stats (c->conn, &st);
  c->bytes_in_done += st.bytes_in;
  c->bytes_out_done += st.bytes_out;
  if (st.handshake_type) {
    c->last_handshake_type = st.handshake_type;
    c->last_digest = st.digest;
    g_free (c->last_cipher);
    c->last_cipher = g_steal_pointer (&st.cipher);
    g_free (c->last_peer);
    c->last_peer = g_steal_pointer (&st.peer);
  }
  rtmpe_connection_stats_clear (&st);
  c->dead_conns = g_list_prepend (c->dead_conns, c->conn);
  c->conn = NULL;
  g_clear_object (&c->sockconn);
  if (!c->reap_source) {
    c->reap_source = g_idle_source_new ();
    attach (c, c->reap_source, reap_cb);
  }
}

/* Errors worth another attempt: the network's, not the server's answer
 * or a certificate. */
static gboolean
is_transient (const GError *error)
{
  if (!error)
    return TRUE;
  if (error->domain == G_IO_ERROR)
    return error->code != G_IO_ERROR_CANCELLED &&
        error->code != G_IO_ERROR_NOT_SUPPORTED;
  if (error->domain == G_RESOLVER_ERROR)
    return error->code == G_RESOLVER_ERROR_TEMPORARY_FAILURE;
  return FALSE;
}

static gboolean
retry_cb (gpointer data)
{
  GstRtmpeClient *c = data;

  g_mutex_lock (&c->lock);
  destroy_source (&c->retry_source);
  if (c->state != ST_WAITING_RETRY) {
    g_mutex_unlock (&c->lock);
    return G_SOURCE_REMOVE;
  }
  g_mutex_unlock (&c->lock);
  do_connect (c);
  return G_SOURCE_REMOVE;
}

/* The connection (or the attempt to make one) ended. Context thread. */
static void
connection_lost (GstRtmpeClient *c, const GError *error, const gchar *code)
{
  GError *err = NULL;
  guint delay = 0;
  gboolean retry;

  g_mutex_lock (&c->lock);
  destroy_source (&c->connect_timeout);
  if (c->state == ST_FINISHING) {
    c->finish_ok = error == NULL;
    c->state = ST_DONE;
    retire_conn_locked (c);
    g_cond_broadcast (&c->cond);
    g_mutex_unlock (&c->lock);
    return;
  }
  if (c->state == ST_DONE || c->state == ST_FAILED) {
    retire_conn_locked (c);
    g_mutex_unlock (&c->lock);
    return;
  }
  err = error ?
      g_error_copy (error) :
      g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
          "%s: the server closed the connection", c->target->redacted);
  retire_conn_locked (c);

  retry = c->target->auto_reconnect && !code && is_transient (err) &&
      (c->target->max_reconnects < 0 ||
          c->attempt < (guint) c->target->max_reconnects);
  if (retry) {
    guint64 d = c->target->reconnect_delay;

    for (guint i = 0; i < c->attempt && d < c->target->max_reconnect_delay; i++)
      d *= 2;
    delay = MIN (d, c->target->max_reconnect_delay);
    c->attempt++;
    c->reconnects++;
    c->state = ST_WAITING_RETRY;
    c->retry_source = g_timeout_source_new (delay);
    attach (c, c->retry_source, retry_cb);
    GST_WARNING_OBJECT (c->parent,
        "connection lost (%s); reconnecting in "
        "%u ms (attempt %u)",
        err->message, delay, c->attempt);
  } else {
    c->state = ST_FAILED;
    c->fatal = g_error_copy (err);
  }
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);

  if (retry) {
    if (c->cb.reconnecting)
      c->cb.reconnecting (c, err, c->attempt, delay, c->cb_data);
  } else if (c->cb.error) {
    c->cb.error (c, err, code, c->cb_data);
  }
  g_error_free (err);
}

static void
on_conn_closed (RtmpeConnection *conn, const GError *error, gpointer data)
{
  GstRtmpeClient *c = data;

  if (conn != c->conn)
    return;
  connection_lost (c, error, NULL);
}

static void
on_conn_event (RtmpeConnection *conn, RtmpSessionEvent *ev, gpointer data)
{
  GstRtmpeClient *c = data;

  switch (ev->type) {
    case RTMP_SESSION_EVENT_CONNECTED:
      GST_DEBUG_OBJECT (c->parent, "connected to %s", c->target->redacted);
      break;
    case RTMP_SESSION_EVENT_STARTED: {
      gboolean reconnected;
      GPtrArray *headers = NULL;

      g_mutex_lock (&c->lock);
      reconnected = c->ever_started;
      c->ever_started = TRUE;
      c->attempt = 0;
      destroy_source (&c->connect_timeout);
      if (c->state == ST_CONNECTING)
        c->state = ST_STARTED;
      c->connected_at = g_get_monotonic_time ();
      /* the first time, the sink sends its headers in the stream */
      if (c->publish && reconnected && c->headers->len)
        headers = g_ptr_array_ref (c->headers);
      g_mutex_unlock (&c->lock);
      GST_INFO_OBJECT (c->parent, "%s %s%s",
          c->publish ? "publishing to" : "playing from", c->target->redacted,
          reconnected ? " again after reconnecting" : "");
      /* after a reconnection, codec configuration and metadata go first */
      for (guint i = 0; headers && i < headers->len; i++)
        rtmpe_connection_send_media (
            conn, g_ptr_array_index (headers, i), 0, 0, NULL, NULL);
      if (headers)
        g_ptr_array_unref (headers);
      g_mutex_lock (&c->lock);
      g_cond_broadcast (&c->cond);
      g_mutex_unlock (&c->lock);
      if (c->cb.started)
        c->cb.started (c, reconnected, c->cb_data);
      break;
    }
    case RTMP_SESSION_EVENT_MEDIA:
      if (c->cb.media) {
        c->cb.media (c, ev->message, c->cb_data);
        ev->message = NULL;
      }
      break;
    case RTMP_SESSION_EVENT_EOS:
      GST_INFO_OBJECT (c->parent, "the server ended the stream");
      /* whatever happens to the connection now is no error */
      g_mutex_lock (&c->lock);
      if (c->state == ST_STARTED)
        c->state = ST_DONE;
      g_mutex_unlock (&c->lock);
      if (c->cb.eos)
        c->cb.eos (c, c->cb_data);
      break;
    case RTMP_SESSION_EVENT_STATUS:
      GST_DEBUG_OBJECT (
          c->parent, "status %s: %s", ev->code, GST_STR_NULL (ev->description));
      if (c->cb.status)
        c->cb.status (c, ev->code, ev->description, c->cb_data);
      break;
    case RTMP_SESSION_EVENT_ERROR:
      /* the server refused: not worth retrying */
      g_mutex_lock (&c->lock);
      if (c->state != ST_FAILED && c->state != ST_DONE) {
        c->state = ST_FAILED;
        destroy_source (&c->connect_timeout);
        c->fatal = g_error_copy (ev->error);
        retire_conn_locked (c);
        g_cond_broadcast (&c->cond);
        g_mutex_unlock (&c->lock);
        if (c->cb.error)
          c->cb.error (c, ev->error, ev->code, c->cb_data);
      } else {
        g_mutex_unlock (&c->lock);
      }
      break;
    default:
      break;
  }
  rtmp_session_event_free (ev);
}

static gboolean
connect_timeout_cb (gpointer data)
{
  GstRtmpeClient *c = data;
  const gchar *stage;
  GError *error;

  g_mutex_lock (&c->lock);
  destroy_source (&c->connect_timeout);
  c->connect_timed_out = TRUE;
  if (c->connect_cancellable) {
    /* still connecting: on_tcp_connected () reports it */
    g_cancellable_cancel (c->connect_cancellable);
    g_mutex_unlock (&c->lock);
    return G_SOURCE_REMOVE;
  }
  if (c->state != ST_CONNECTING || !c->conn) {
    g_mutex_unlock (&c->lock);
    return G_SOURCE_REMOVE;
  }
  stage = rtmpe_connection_get_stage_name (c->conn);
  g_mutex_unlock (&c->lock);
  /* connected, but the handshakes or the start of the stream did not
   * finish in time */
  error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "no answer from %s:%u within %u s (during the %s)", c->target->host,
      c->target->port, c->target->timeout, stage);
  connection_lost (c, error, NULL);
  g_error_free (error);
  return G_SOURCE_REMOVE;
}

static void
on_tcp_connected (GObject *source, GAsyncResult *res, gpointer data)
{
  GstRtmpeClient *c = data;
  GstRtmpeTarget *t = c->target;
  GError *error = NULL;
  GSocketConnection *sc;
  RtmpeTransport *transport;
  RtmpHandshake *hs;
  RtmpSession *session;
  RtmpClientConfig cfg = { 0 };
  RtmpeConnectionConfig ccfg = { 0 };
  gboolean rtmpe = t->scheme == RTMP_SCHEME_RTMPE;

  sc = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);
  g_mutex_lock (&c->lock);
  c->connect_pending = FALSE;
  if (c->quitting)
    g_main_loop_quit (c->loop);
  g_clear_object (&c->connect_cancellable);
  g_clear_object (&c->socket_client);
  if (c->state != ST_CONNECTING) {
    /* stopped meanwhile */
    g_mutex_unlock (&c->lock);
    g_clear_object (&sc);
    g_clear_error (&error);
    return;
  }
  if (!sc) {
    if (c->connect_timed_out) {
      g_clear_error (&error);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "connecting to %s:%u timed out after %u s", t->host, t->port,
          t->timeout);
    } else {
      GError *e = g_error_new (error->domain, error->code,
          "could not connect to %s:%u: %s", t->host, t->port, error->message);

      g_error_free (error);
      error = e;
    }
    g_mutex_unlock (&c->lock);
    connection_lost (c, error, NULL);
    g_error_free (error);
    return;
  }
  c->sockconn = sc;

  transport = rtmpe_transport_new (g_socket_connection_get_socket (sc));
  if (t->scheme == RTMP_SCHEME_RTMPS &&
      !rtmpe_transport_start_tls_client (
          transport, t->host, t->tls_ca_file, t->tls_verify, &error)) {
    rtmpe_transport_free (transport);
    g_mutex_unlock (&c->lock);
    connection_lost (c, error, NULL);
    g_error_free (error);
    return;
  }
  hs = rtmp_handshake_new_client (
      rtmpe ? t->rtmpe_type : RTMP_HANDSHAKE_TYPE_PLAIN, TRUE,
      (guint32) ((g_get_monotonic_time () - c->created_at) / 1000),
      rtmpe_crypto_openssl ());
  if (t->handshake_version_set)
    rtmp_handshake_set_version (hs, t->handshake_version);

  cfg.app = t->app;
  cfg.tc_url = t->tc_url;
  cfg.page_url = t->page_url;
  cfg.swf_url = t->swf_url;
  cfg.flash_version = t->flash_version ? t->flash_version :
      c->publish                       ? "FMLE/3.0 (compatible; FMSc/1.0)" :
                                         "LNX 9,0,124,2";
  cfg.connect_args = t->connect_args;
  cfg.stream = t->stream;
  cfg.publish = c->publish;
  cfg.publish_type = "live";
  cfg.buffer_length = c->buffer_length;
  cfg.chunk_size = c->chunk_size;
  cfg.window_ack_size = WINDOW_ACK_SIZE;
  cfg.fourcc_list = !c->publish;
  session = rtmp_session_new_client (&cfg);

  /* the attempt's deadline (connect_timeout) runs on until the stream
   * starts: one budget, not one for connecting and another after it */
  ccfg.handshake_timeout = 0;
  ccfg.idle_timeout = t->idle_timeout;
  ccfg.ping_interval = PING_INTERVAL;
  ccfg.max_queued = MAX_QUEUED;
  c->conn = rtmpe_connection_new (c->context, transport, hs, session, &ccfg);
  rtmpe_connection_set_callbacks (
      c->conn, on_conn_event, on_conn_closed, c, NULL);
  g_mutex_unlock (&c->lock);

  GST_DEBUG_OBJECT (c->parent,
      "TCP connected to %s:%u, starting the %s "
      "handshake",
      t->host, t->port,
      t->scheme == RTMP_SCHEME_RTMPS ? "TLS" :
          rtmpe                      ? "RTMPE" :
                                       "RTMP");
  rtmpe_connection_start (c->conn);
}

static void
do_connect (GstRtmpeClient *c)
{
  GstRtmpeTarget *t = c->target;
  GSocketConnectable *addr;

  g_mutex_lock (&c->lock);
  if (c->state == ST_DONE || c->state == ST_FAILED) {
    g_mutex_unlock (&c->lock);
    return;
  }
  c->state = ST_CONNECTING;
  c->connect_timed_out = FALSE;
  c->connect_cancellable = g_cancellable_new ();
  c->socket_client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (c->socket_client, FALSE);
  if (t->timeout) {
    /* to the millisecond: GLib's second timers may fire 0.75 s late */
    c->connect_timeout =
        g_timeout_source_new (MIN (t->timeout, G_MAXUINT / 1000) * 1000);
    attach (c, c->connect_timeout, connect_timeout_cb);
  }
  addr = g_network_address_new (t->host, t->port);
  c->connect_pending = TRUE;
  GST_DEBUG_OBJECT (c->parent, "connecting to %s", t->redacted);
  g_socket_client_connect_async (
      c->socket_client, addr, c->connect_cancellable, on_tcp_connected, c);
  g_object_unref (addr);
  g_mutex_unlock (&c->lock);
}

static gboolean
start_cb (gpointer data)
{
  do_connect (data);
  return G_SOURCE_REMOVE;
}

void
gst_rtmpe_client_start (GstRtmpeClient *c)
{
  g_return_if_fail (c->thread == NULL);

  c->thread = g_thread_new ("rtmpe-client", thread_func, c);
  g_main_context_invoke (c->context, start_cb, c);
}

void
gst_rtmpe_client_set_headers (GstRtmpeClient *c, GPtrArray *headers)
{
  g_mutex_lock (&c->lock);
  g_ptr_array_set_size (c->headers, 0);
  for (guint i = 0; headers && i < headers->len; i++) {
    const RtmpMessage *m = g_ptr_array_index (headers, i);
    RtmpMessage *copy = rtmp_message_new (
        m->type, m->timestamp, m->stream_id, gst_buffer_ref (m->payload));

    g_ptr_array_add (c->headers, copy);
  }
  g_mutex_unlock (&c->lock);
}

static void
cancelled_cb (GCancellable *cancellable, GstRtmpeClient *c)
{
  g_mutex_lock (&c->lock);
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
}

/* Waits (lock held) until the client is started, failed or done, or
 * @cancellable fires. */
static void
wait_not_connecting_locked (GstRtmpeClient *c, GCancellable *cancellable)
{
  while ((c->state == ST_IDLE || c->state == ST_CONNECTING ||
             c->state == ST_WAITING_RETRY) &&
      !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&c->cond, &c->lock);
}

gboolean
gst_rtmpe_client_send (GstRtmpeClient *c, const RtmpMessage *msg,
    GCancellable *cancellable, GError **error)
{
  gulong handler = 0;
  RtmpeConnection *conn = NULL;
  gboolean ok = FALSE;
  GError *err = NULL;

  if (cancellable)
    handler =
        g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), c, NULL);
  g_mutex_lock (&c->lock);
  wait_not_connecting_locked (c, cancellable);
  if (g_cancellable_set_error_if_cancelled (cancellable, error)) {
    /* flushing */
  } else if (c->state == ST_FAILED) {
    set_failed_error_locked (c, error);
  } else if (c->state != ST_STARTED || !c->conn) {
    g_set_error_literal (
        error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the connection is closed");
  } else {
    conn = rtmpe_connection_ref (c->conn);
  }
  g_mutex_unlock (&c->lock);

  if (conn) {
    ok = rtmpe_connection_send_media (conn, msg, 0, -1, cancellable, &err);
    if (!ok && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      /* lost: let the client thread decide between reconnecting and
       * failing, then report that */
      g_mutex_lock (&c->lock);
      while (c->conn == conn && c->state == ST_STARTED &&
          !g_cancellable_is_cancelled (cancellable))
        g_cond_wait (&c->cond, &c->lock);
      if (c->state == ST_FAILED) {
        g_clear_error (&err);
        set_failed_error_locked (c, &err);
      } else if (c->state == ST_WAITING_RETRY || c->state == ST_CONNECTING) {
        g_clear_error (&err);
        err = g_error_new_literal (GST_RTMPE_CLIENT_ERROR,
            GST_RTMPE_CLIENT_ERROR_RECONNECTING,
            "the connection was lost; reconnecting");
      }
      g_mutex_unlock (&c->lock);
    }
    if (err)
      g_propagate_error (error, err);
    rtmpe_connection_unref (conn);
  }
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return ok;
}

static gboolean
set_reading_cb (gpointer data)
{
  GstRtmpeClient *c = ((gpointer *) data)[0];
  gboolean reading = GPOINTER_TO_INT (((gpointer *) data)[1]);

  g_mutex_lock (&c->lock);
  if (c->conn)
    rtmpe_connection_set_reading (c->conn, reading);
  g_mutex_unlock (&c->lock);
  g_free (data);
  return G_SOURCE_REMOVE;
}

gboolean
gst_rtmpe_client_pull (
    GstRtmpeClient *c, GCancellable *cancellable, const GPollFD *cancel_fd)
{
  RtmpeConnection *conn;
  RtmpePullResult res;

  g_mutex_lock (&c->lock);
  if (c->publish || c->state != ST_STARTED || !c->conn || c->pulling) {
    g_mutex_unlock (&c->lock);
    return FALSE;
  }
  conn = c->conn;
  c->pulling = TRUE;
  g_mutex_unlock (&c->lock);

  res = rtmpe_connection_pull (conn, cancellable, cancel_fd);

  g_mutex_lock (&c->lock);
  c->pulling = FALSE;
  if (c->dead_conns && !c->reap_source) {
    c->reap_source = g_idle_source_new ();
    attach (c, c->reap_source, reap_cb);
  }
  g_mutex_unlock (&c->lock);
  return res != RTMPE_PULL_UNAVAILABLE;
}

void
gst_rtmpe_client_set_reading (GstRtmpeClient *c, gboolean reading)
{
  gpointer *args = g_new (gpointer, 2);

  args[0] = c;
  args[1] = GINT_TO_POINTER (reading);
  g_main_context_invoke (c->context, set_reading_cb, args);
}

static void
stop_publish_func (RtmpSession *s, gpointer data)
{
  rtmp_session_stop_publish (s);
}

static gboolean
finish_cb (gpointer data)
{
  GstRtmpeClient *c = data;
  RtmpeConnection *conn = NULL;

  g_mutex_lock (&c->lock);
  if (c->conn)
    conn = rtmpe_connection_ref (c->conn);
  g_mutex_unlock (&c->lock);
  if (conn) {
    rtmpe_connection_call (conn, stop_publish_func, NULL);
    rtmpe_connection_finish (conn);
    rtmpe_connection_unref (conn);
  }
  return G_SOURCE_REMOVE;
}

gboolean
gst_rtmpe_client_finish (
    GstRtmpeClient *c, gint64 timeout_us, GCancellable *cancellable)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  gulong handler = 0;
  gboolean ok;

  if (cancellable)
    handler =
        g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), c, NULL);
  g_mutex_lock (&c->lock);
  if (c->state != ST_STARTED) {
    g_mutex_unlock (&c->lock);
    if (handler)
      g_cancellable_disconnect (cancellable, handler);
    return FALSE;
  }
  c->state = ST_FINISHING;
  g_main_context_invoke (c->context, finish_cb, c);
  while (c->state == ST_FINISHING && !g_cancellable_is_cancelled (cancellable))
    if (!g_cond_wait_until (&c->cond, &c->lock, deadline))
      break;
  ok = c->state == ST_DONE && c->finish_ok;
  g_mutex_unlock (&c->lock);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  GST_DEBUG_OBJECT (c->parent, "finished %s",
      ok ? "in order" : "with data or acknowledgements missing");
  return ok;
}

gboolean
gst_rtmpe_client_has_failed (GstRtmpeClient *c)
{
  gboolean failed;

  g_mutex_lock (&c->lock);
  failed = c->state == ST_FAILED;
  g_mutex_unlock (&c->lock);
  return failed;
}

static gboolean
shutdown_cb (gpointer data)
{
  GstRtmpeClient *c = data;
  RtmpeConnection *conn;
  GList *dead;

  g_mutex_lock (&c->lock);
  c->state = ST_DONE;
  if (c->connect_cancellable)
    g_cancellable_cancel (c->connect_cancellable);
  destroy_source (&c->connect_timeout);
  destroy_source (&c->retry_source);
  destroy_source (&c->reap_source);
  conn = c->conn;
  c->conn = NULL;
  dead = c->dead_conns;
  c->dead_conns = NULL;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
  rtmpe_connection_unref (conn);
  g_list_free_full (dead, (GDestroyNotify) rtmpe_connection_unref);
  g_mutex_lock (&c->lock);
  /* a cancelled connect still calls back: wait for it */
  c->quitting = TRUE;
  if (!c->connect_pending)
    g_main_loop_quit (c->loop);
  g_mutex_unlock (&c->lock);
  return G_SOURCE_REMOVE;
}

void
gst_rtmpe_client_free (GstRtmpeClient *c)
{
  if (!c)
    return;
  if (c->thread) {
    g_main_context_invoke (c->context, shutdown_cb, c);
    g_thread_join (c->thread);
  }
  while (g_main_context_iteration (c->context, FALSE))
    ;
  g_clear_object (&c->sockconn);
  g_clear_object (&c->socket_client);
  g_clear_object (&c->connect_cancellable);
  g_main_loop_unref (c->loop);
  g_main_context_unref (c->context);
  g_clear_error (&c->fatal);
  g_free (c->last_cipher);
  g_free (c->last_peer);
  g_ptr_array_unref (c->headers);
  gst_rtmpe_target_free (c->target);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_free (c);
}

GstStructure *
gst_rtmpe_client_get_stats (GstRtmpeClient *c)
{
  RtmpeConnectionStats st = { 0 };
  GstStructure *s;
  gint64 now = g_get_monotonic_time ();
  guint64 in, out;
  gdouble secs;

  g_mutex_lock (&c->lock);
  if (c->conn) {
    rtmpe_connection_get_stats (c->conn, &st);
  } else {
    st.handshake_type = c->last_handshake_type;
    st.digest = c->last_digest;
    st.cipher = g_strdup (c->last_cipher);
    st.peer = g_strdup (c->last_peer);
  }
  in = c->bytes_in_done + st.bytes_in;
  out = c->bytes_out_done + st.bytes_out;
  secs = c->connected_at ? (now - c->connected_at) / 1e6 : 0;
  s = gst_structure_new ("application/x-rtmpe-stats", "bytes-in", G_TYPE_UINT64,
      in, "bytes-out", G_TYPE_UINT64, out, "bitrate", G_TYPE_UINT64,
      (guint64) (secs > 0 ?
              8 * (c->publish ? st.bytes_out : st.bytes_in) / secs :
              0),
      "rtt-ms", G_TYPE_UINT, st.rtt_ms, "reconnects", G_TYPE_UINT,
      c->reconnects, "connected", G_TYPE_BOOLEAN, c->state == ST_STARTED,
      "handshake-type", G_TYPE_UINT, (guint) st.handshake_type, "digest",
      G_TYPE_BOOLEAN, st.digest, "cipher", G_TYPE_STRING,
      st.cipher ? st.cipher : "none", "peer", G_TYPE_STRING,
      st.peer ? st.peer : "", NULL);
  g_mutex_unlock (&c->lock);
  rtmpe_connection_stats_clear (&st);
  return s;
}

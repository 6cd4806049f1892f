/* gst-rtmpe: a tiny RTMP server for the element tests
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpe-test-server.h"

#include "rtmpchunk.h"
#include "rtmpcommand.h"
#include "rtmpcontrol.h"
#include "rtmpecrypto.h"
#include "rtmphandshake.h"
#include "rtmpsession.h"

#include <sys/socket.h>

#define READ_SIZE (64 * 1024)
#define SERVER_CHUNK_SIZE 4096

typedef struct
{
  TestServer *server;
  guint index;
  gboolean misbehave;
  GSocket *socket;
  GSource *read_source;
  GSource *write_source;
  RtmpHandshake *hs; /* NULL once done */
  RtmpSession *session;
  RtmpChunkReader *tap;
  RtmpeRc4 *dec;
  RtmpeRc4 *enc;
  gboolean mute; /* stalled after the handshake: read, never answer */
  GByteArray *wbuf; /* to send, already enciphered */
  guint64 written;
  guint media_sent;
  gboolean shutdown_when_flushed;
  gboolean stop_reading_when_flushed;
  gboolean reading_stopped;
  gboolean closed;
  guint8 *rbuf;
} Conn;

struct _TestServer
{
  TestServerConfig cfg;
  GPtrArray *script; /* RtmpMessage, ours */
  gchar *reject_connect;
  gchar *reject_stream;

  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GSocketListener *listener;
  GCancellable *cancellable;
  guint16 port;
  /* server thread only */
  gboolean accept_pending;
  gboolean quitting;
  GPtrArray *conns; /* Conn */

  GMutex lock;
  GCond cond;
  TestServerState st;
};

static void
record_free (TsRecord *r)
{
  g_free (r->name);
  gst_clear_buffer (&r->payload);
  g_free (r);
}

/* ---- state (server thread) ----------------------------------------------- */

static void
state_changed_locked (TestServer *s)
{
  g_cond_broadcast (&s->cond);
}

#define LOCKED(s, stmt)                                                        \
  G_STMT_START                                                                 \
  {                                                                            \
    g_mutex_lock (&(s)->lock);                                                 \
    stmt;                                                                      \
    state_changed_locked (s);                                                  \
    g_mutex_unlock (&(s)->lock);                                               \
  }                                                                            \
  G_STMT_END

static void
destroy_source (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

typedef enum
{
  CLOSE_BY_US,
  CLOSE_PEER_EOF,
  CLOSE_PEER_ERROR,
} CloseReason;

static void
conn_close (Conn *c, CloseReason reason)
{
  TestServer *s = c->server;

  if (c->closed)
    return;
  c->closed = TRUE;
  /* the state first: once the client sees the end, a test sees it too */
  g_mutex_lock (&s->lock);
  s->st.open--;
  if (reason == CLOSE_PEER_EOF)
    s->st.peer_eof++;
  else if (reason == CLOSE_PEER_ERROR)
    s->st.peer_error++;
  state_changed_locked (s);
  g_mutex_unlock (&s->lock);
  destroy_source (&c->read_source);
  destroy_source (&c->write_source);
  g_socket_close (c->socket, NULL);
  g_clear_pointer (&c->hs, rtmp_handshake_free);
  g_clear_pointer (&c->session, rtmp_session_free);
  g_clear_pointer (&c->tap, rtmp_chunk_reader_free);
  g_clear_pointer (&c->dec, rtmpe_rc4_free);
  g_clear_pointer (&c->enc, rtmpe_rc4_free);
  g_clear_pointer (&c->rbuf, g_free);
  g_byte_array_set_size (c->wbuf, 0);
}

static void
conn_free (Conn *c)
{
  conn_close (c, CLOSE_BY_US);
  g_object_unref (c->socket);
  g_byte_array_unref (c->wbuf);
  g_free (c);
}

/* ---- writing ------------------------------------------------------------- */

static gboolean on_writable (GSocket *socket, GIOCondition cond, gpointer data);
static gboolean on_readable (GSocket *socket, GIOCondition cond, gpointer data);

/* Moves what the session queued into wbuf, enciphered. */
static void
take_session_output (Conn *c)
{
  RtmpOutQueue *q;
  GOutputVector v[64];

  if (!c->session)
    return;
  q = rtmp_session_get_out_queue (c->session);
  while (rtmp_out_queue_size (q) > 0) {
    guint n = rtmp_out_queue_peek (q, v, G_N_ELEMENTS (v));
    gsize total = 0;

    for (guint i = 0; i < n; i++) {
      guint start = c->wbuf->len;

      g_byte_array_append (c->wbuf, v[i].buffer, v[i].size);
      if (c->enc)
        rtmpe_rc4_process (
            c->enc, c->wbuf->data + start, c->wbuf->data + start, v[i].size);
      total += v[i].size;
    }
    rtmp_out_queue_consume (q, total);
  }
}

static void
flush (Conn *c)
{
  TestServer *s = c->server;
  gsize limit = c->misbehave ? s->cfg.close_after_bytes : 0;

  if (c->closed)
    return;
  take_session_output (c);
  while (c->wbuf->len > 0) {
    gsize want = c->wbuf->len;
    GError *error = NULL;
    gssize n;

    if (limit) {
      if (c->written >= limit) {
        conn_close (c, CLOSE_BY_US);
        return;
      }
      want = MIN (want, limit - c->written);
    }
    n = g_socket_send (
        c->socket, (const gchar *) c->wbuf->data, want, NULL, &error);
    if (n < 0) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free (error);
        if (!c->write_source) {
          c->write_source = g_socket_create_source (c->socket, G_IO_OUT, NULL);
          g_source_set_callback (
              c->write_source, G_SOURCE_FUNC (on_writable), c, NULL);
          g_source_attach (c->write_source, s->context);
        }
        return;
      }
      g_error_free (error);
      conn_close (c, CLOSE_PEER_ERROR);
      return;
    }
    g_byte_array_remove_range (c->wbuf, 0, n);
    c->written += n;
    if (limit && c->written >= limit) {
      conn_close (c, CLOSE_BY_US);
      return;
    }
  }
  destroy_source (&c->write_source);
  if (c->shutdown_when_flushed) {
    /* an orderly end: the client reads everything, then our FIN */
    c->shutdown_when_flushed = FALSE;
    g_socket_shutdown (c->socket, FALSE, TRUE, NULL);
  }
  if (c->stop_reading_when_flushed) {
    c->stop_reading_when_flushed = FALSE;
    c->reading_stopped = TRUE;
    destroy_source (&c->read_source);
    LOCKED (s, s->st.stopped_reading++);
  }
}

static gboolean
on_writable (GSocket *socket, GIOCondition cond, gpointer data)
{
  flush (data);
  return G_SOURCE_CONTINUE;
}

/* ---- serving ------------------------------------------------------------- */

static void
send_status (Conn *c, guint32 stream_id, const gchar *code)
{
  RtmpCommand *cmd =
      rtmp_command_new_on_status ("status", code, "from the test server", NULL);
  RtmpMessage *msg = rtmp_command_to_message (cmd, FALSE, stream_id, NULL);

  g_assert (msg);
  g_assert (rtmp_session_send_media (c->session, msg, stream_id, NULL));
  rtmp_message_free (msg);
  rtmp_command_free (cmd);
}

static void
serve (Conn *c, guint32 stream_id)
{
  TestServer *s = c->server;
  RtmpMessage *eof;

  for (guint i = 0; i < s->script->len; i++) {
    GError *error = NULL;

    if (c->misbehave && s->cfg.close_after_media &&
        c->media_sent >= s->cfg.close_after_media) {
      c->shutdown_when_flushed = TRUE;
      return;
    }
    if (!rtmp_session_send_media (
            c->session, g_ptr_array_index (s->script, i), stream_id, &error))
      g_error ("test server: cannot send message %u: %s", i, error->message);
    c->media_sent++;
    LOCKED (s, s->st.media_served++);
  }
  switch (s->cfg.end) {
    case TS_END_NONE:
      break;
    case TS_END_PLAY:
      rtmp_session_end_play (c->session, stream_id);
      break;
    case TS_END_STREAM_EOF:
      eof = rtmp_user_control_new_stream_eof (stream_id);
      g_assert (rtmp_session_send_media (c->session, eof, 0, NULL));
      rtmp_message_free (eof);
      break;
    case TS_END_PLAY_STOP:
      send_status (c, stream_id, "NetStream.Play.Stop");
      break;
    case TS_END_PLAY_COMPLETE:
      send_status (c, stream_id, "NetStream.Play.Complete");
      break;
    case TS_END_UNPUBLISH_NOTIFY:
      send_status (c, stream_id, "NetStream.Play.UnpublishNotify");
      break;
    case TS_END_CLOSE:
      c->shutdown_when_flushed = TRUE;
      break;
  }
}

/* ---- reading ------------------------------------------------------------- */

static gchar *
command_name (const RtmpMessage *msg)
{
  RtmpCommand *cmd;
  gchar *name;

  if (!rtmp_message_type_is_command (msg->type))
    return NULL;
  cmd = rtmp_command_parse (msg, NULL);
  if (!cmd)
    return g_strdup ("(unparsable)");
  name = g_strdup (cmd->name);
  rtmp_command_free (cmd);
  return name;
}

static TsRecord *
record_new (Conn *c, const RtmpMessage *msg, gboolean keep_payload)
{
  TsRecord *r = g_new0 (TsRecord, 1);

  r->conn = c->index;
  r->type = msg->type;
  r->timestamp = msg->timestamp;
  r->stream_id = msg->stream_id;
  r->size = gst_buffer_get_size (msg->payload);
  r->name = command_name (msg);
  if (keep_payload)
    r->payload = gst_buffer_ref (msg->payload);
  return r;
}

static void
process_events (Conn *c)
{
  TestServer *s = c->server;
  RtmpSessionEvent *ev;

  while (c->session && (ev = rtmp_session_pop_event (c->session))) {
    gboolean bad = c->misbehave && s->reject_stream;

    switch (ev->type) {
      case RTMP_SESSION_EVENT_CONNECT_REQUEST:
        LOCKED (s, s->st.connects++);
        if (c->misbehave && s->reject_connect)
          rtmp_session_reject_connect (
              c->session, s->reject_connect, "refused by the test server");
        else
          rtmp_session_accept_connect (c->session);
        break;
      case RTMP_SESSION_EVENT_PUBLISH_REQUEST:
        if (bad) {
          rtmp_session_reject_stream (c->session, ev->stream_id,
              s->reject_stream, "refused by the test server");
          break;
        }
        rtmp_session_accept_publish (c->session, ev->stream_id);
        LOCKED (s, s->st.publishes++);
        if (c->misbehave && s->cfg.stop_reading)
          c->stop_reading_when_flushed = TRUE;
        break;
      case RTMP_SESSION_EVENT_PLAY_REQUEST:
        if (bad) {
          rtmp_session_reject_stream (c->session, ev->stream_id,
              s->reject_stream, "refused by the test server");
          break;
        }
        rtmp_session_accept_play (c->session, ev->stream_id);
        LOCKED (s, s->st.plays++);
        serve (c, ev->stream_id);
        break;
      case RTMP_SESSION_EVENT_MEDIA:
        g_mutex_lock (&s->lock);
        g_ptr_array_add (s->st.media, record_new (c, ev->message, TRUE));
        if (ev->message->type == RTMP_MESSAGE_TYPE_AUDIO)
          s->st.n_audio++;
        else if (ev->message->type == RTMP_MESSAGE_TYPE_VIDEO)
          s->st.n_video++;
        else
          s->st.n_data++;
        state_changed_locked (s);
        g_mutex_unlock (&s->lock);
        break;
      case RTMP_SESSION_EVENT_EOS:
        LOCKED (s, s->st.publish_eos++);
        break;
      default:
        break;
    }
    rtmp_session_event_free (ev);
  }
}

/* @data: deciphered in place */
static gboolean
session_input (Conn *c, guint8 *data, gsize len)
{
  TestServer *s = c->server;
  GError *error = NULL;
  RtmpMessage *msg;

  if (c->dec)
    rtmpe_rc4_process (c->dec, data, data, len);
  if (c->mute || len == 0)
    return TRUE;

  /* the tap sees every message the client sends, commands included */
  if (rtmp_chunk_reader_push_data (c->tap, data, len, NULL)) {
    while ((msg = rtmp_chunk_reader_pop (c->tap))) {
      LOCKED (s, g_ptr_array_add (s->st.tap, record_new (c, msg, FALSE)));
      rtmp_message_free (msg);
    }
  }
  if (!rtmp_session_push_bytes (
          c->session, data, len, g_get_monotonic_time () / 1000, &error)) {
    g_printerr ("test server: connection %u: %s\n", c->index, error->message);
    g_error_free (error);
    process_events (c);
    conn_close (c, CLOSE_PEER_ERROR);
    return FALSE;
  }
  process_events (c);
  return TRUE;
}

static gboolean
handshake_input (Conn *c, guint8 *data, gsize len)
{
  TestServer *s = c->server;
  GByteArray *out;
  GError *error = NULL;
  RtmpHandshakeResult res;
  gsize used = 0;
  guint8 dec_key[RTMP_HANDSHAKE_RC4_KEY_SIZE];
  guint8 enc_key[RTMP_HANDSHAKE_RC4_KEY_SIZE];

  if (c->misbehave && s->cfg.stall == TS_STALL_HANDSHAKE)
    return TRUE;
  out = g_byte_array_new ();
  res = rtmp_handshake_push (c->hs, data, len, &used, out, &error);
  g_byte_array_append (c->wbuf, out->data, out->len);
  g_byte_array_unref (out);
  if (res == RTMP_HANDSHAKE_ERROR) {
    g_printerr ("test server: connection %u: handshake: %s\n", c->index,
        error->message);
    g_error_free (error);
    conn_close (c, CLOSE_PEER_ERROR);
    return FALSE;
  }
  if (res != RTMP_HANDSHAKE_DONE)
    return TRUE;

  if (rtmp_handshake_get_rc4_keys (c->hs, dec_key, enc_key)) {
    c->dec = rtmpe_rc4_new (dec_key, sizeof (dec_key), NULL);
    c->enc = rtmpe_rc4_new (enc_key, sizeof (enc_key), NULL);
    g_assert (c->dec && c->enc);
    rtmpe_rc4_skip (c->dec, RTMP_HANDSHAKE_RC4_DISCARD);
    rtmpe_rc4_skip (c->enc, RTMP_HANDSHAKE_RC4_DISCARD);
  }
  g_clear_pointer (&c->hs, rtmp_handshake_free);
  c->mute = c->misbehave && s->cfg.stall == TS_STALL_CONNECT;
  LOCKED (s, s->st.handshakes++);
  return session_input (c, data + used, len - used);
}

static gboolean
on_readable (GSocket *socket, GIOCondition cond, gpointer data)
{
  Conn *c = data;
  TestServer *s = c->server;
  GError *error = NULL;
  gssize n;

  n = g_socket_receive (c->socket, (gchar *) c->rbuf, READ_SIZE, NULL, &error);
  if (n < 0) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (error);
      return G_SOURCE_CONTINUE;
    }
    g_error_free (error);
    conn_close (c, CLOSE_PEER_ERROR);
    return G_SOURCE_REMOVE;
  }
  if (n == 0) {
    conn_close (c, CLOSE_PEER_EOF);
    return G_SOURCE_REMOVE;
  }
  LOCKED (s, s->st.bytes_read += n);
  if (c->hs ? !handshake_input (c, c->rbuf, n) : !session_input (c, c->rbuf, n))
    return G_SOURCE_REMOVE;
  flush (c);
  return c->closed || c->reading_stopped ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
start_reading (Conn *c)
{
  c->read_source = g_socket_create_source (c->socket, G_IO_IN, NULL);
  g_source_set_callback (c->read_source, G_SOURCE_FUNC (on_readable), c, NULL);
  g_source_attach (c->read_source, c->server->context);
}

/* ---- accepting ----------------------------------------------------------- */

static void
conn_new (TestServer *s, GSocket *socket)
{
  Conn *c = g_new0 (Conn, 1);
  RtmpServerConfig scfg = { SERVER_CHUNK_SIZE, 0, 0 };

  c->server = s;
  c->index = s->conns->len;
  c->misbehave =
      s->cfg.misbehave_conns == 0 || c->index < s->cfg.misbehave_conns;
  c->socket = socket;
  c->wbuf = g_byte_array_new ();
  c->rbuf = g_malloc (READ_SIZE);
  g_socket_set_blocking (socket, FALSE);
  if (c->misbehave && s->cfg.stop_reading) {
    /* a fixed receive buffer: autotuning would let the kernel take tens
     * of megabytes before the client feels that we stopped reading */
    g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, 64 * 1024, NULL);
  }
  g_ptr_array_add (s->conns, c);
  LOCKED (s, {
    s->st.accepted++;
    s->st.open++;
  });
  if (c->misbehave && s->cfg.stall == TS_STALL_ACCEPT)
    return;
  c->hs = rtmp_handshake_new_server (
      s->cfg.accept ? s->cfg.accept : RTMP_HANDSHAKE_ACCEPT_ALL, 0,
      rtmpe_crypto_openssl ());
  c->session = rtmp_session_new_server (&scfg);
  c->tap = rtmp_chunk_reader_new ();
  start_reading (c);
}

static void start_accept (TestServer *s);

static void
on_accepted (GObject *source, GAsyncResult *res, gpointer data)
{
  TestServer *s = data;
  GSocket *socket;

  socket = g_socket_listener_accept_socket_finish (
      G_SOCKET_LISTENER (source), res, NULL, NULL);
  s->accept_pending = FALSE;
  if (s->quitting) {
    if (socket) {
      g_socket_close (socket, NULL);
      g_object_unref (socket);
    }
    g_main_loop_quit (s->loop);
    return;
  }
  if (socket)
    conn_new (s, socket);
  start_accept (s);
}

static void
start_accept (TestServer *s)
{
  s->accept_pending = TRUE;
  g_socket_listener_accept_socket_async (
      s->listener, s->cancellable, on_accepted, s);
}

static gpointer
thread_func (gpointer data)
{
  TestServer *s = data;

  g_main_context_push_thread_default (s->context);
  start_accept (s);
  g_main_loop_run (s->loop);
  g_main_context_pop_thread_default (s->context);
  return NULL;
}

static gboolean
stop_cb (gpointer data)
{
  TestServer *s = data;

  s->quitting = TRUE;
  for (guint i = 0; i < s->conns->len; i++)
    conn_close (g_ptr_array_index (s->conns, i), CLOSE_BY_US);
  g_cancellable_cancel (s->cancellable);
  if (!s->accept_pending)
    g_main_loop_quit (s->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
resume_cb (gpointer data)
{
  TestServer *s = data;

  for (guint i = 0; i < s->conns->len; i++) {
    Conn *c = g_ptr_array_index (s->conns, i);

    if (!c->closed && c->reading_stopped) {
      c->reading_stopped = FALSE;
      start_reading (c);
    }
  }
  return G_SOURCE_REMOVE;
}

/* ---- API ----------------------------------------------------------------- */

TestServer *
test_server_new (const TestServerConfig *config)
{
  TestServer *s = g_new0 (TestServer, 1);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound = NULL;
  GError *error = NULL;

  s->cfg = *config;
  s->script =
      g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  for (guint i = 0; config->media && i < config->media->len; i++) {
    const RtmpMessage *m = g_ptr_array_index (config->media, i);

    g_ptr_array_add (s->script,
        rtmp_message_new (
            m->type, m->timestamp, 0, gst_buffer_ref (m->payload)));
  }
  s->cfg.media = NULL;
  s->reject_connect = g_strdup (config->reject_connect);
  s->reject_stream = g_strdup (config->reject_stream);
  s->cfg.reject_connect = s->cfg.reject_stream = NULL;
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->st.media = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  s->st.tap = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  s->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);

  s->listener = g_socket_listener_new ();
  if (!g_socket_listener_add_address (s->listener, addr, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error))
    g_error ("test server: cannot listen: %s", error->message);
  s->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);

  s->cancellable = g_cancellable_new ();
  s->context = g_main_context_new ();
  s->loop = g_main_loop_new (s->context, FALSE);
  s->thread = g_thread_new ("test-server", thread_func, s);
  return s;
}

void
test_server_free (TestServer *s)
{
  if (!s)
    return;
  g_main_context_invoke (s->context, stop_cb, s);
  g_thread_join (s->thread);
  g_ptr_array_unref (s->conns);
  g_socket_listener_close (s->listener);
  g_object_unref (s->listener);
  g_object_unref (s->cancellable);
  /* sources of closed connections may still be queued for destruction */
  while (g_main_context_iteration (s->context, FALSE))
    ;
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->context);
  g_ptr_array_unref (s->script);
  g_ptr_array_unref (s->st.media);
  g_ptr_array_unref (s->st.tap);
  g_free (s->reject_connect);
  g_free (s->reject_stream);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

guint16
test_server_get_port (TestServer *s)
{
  return s->port;
}

gchar *
test_server_url (
    TestServer *s, const gchar *scheme, const gchar *app, const gchar *stream)
{
  return g_strdup_printf (
      "%s://127.0.0.1:%u/%s/%s", scheme, s->port, app, stream);
}

gboolean
test_server_wait (TestServer *s, TestServerPredicate pred, gconstpointer data,
    guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean ok;

  g_mutex_lock (&s->lock);
  while (!(ok = pred (&s->st, data)))
    if (!g_cond_wait_until (&s->cond, &s->lock, deadline)) {
      ok = pred (&s->st, data);
      break;
    }
  g_mutex_unlock (&s->lock);
  return ok;
}

void
test_server_inspect (TestServer *s,
    void (*func) (const TestServerState *st, gpointer data), gpointer data)
{
  g_mutex_lock (&s->lock);
  func (&s->st, data);
  g_mutex_unlock (&s->lock);
}

void
test_server_resume_reading (TestServer *s)
{
  g_main_context_invoke (s->context, resume_cb, s);
}

gboolean
ts_pred_accepted (const TestServerState *st, gconstpointer n)
{
  return st->accepted >= GPOINTER_TO_UINT (n);
}

gboolean
ts_pred_all_closed (const TestServerState *st, gconstpointer unused)
{
  return st->open == 0;
}

gboolean
ts_pred_bytes_read (const TestServerState *st, gconstpointer n)
{
  return st->bytes_read >= GPOINTER_TO_UINT (n);
}

gboolean
ts_pred_media (const TestServerState *st, gconstpointer n)
{
  return st->media->len >= GPOINTER_TO_UINT (n);
}

gboolean
ts_pred_plays (const TestServerState *st, gconstpointer n)
{
  return st->plays >= GPOINTER_TO_UINT (n);
}

gboolean
ts_pred_publishes (const TestServerState *st, gconstpointer n)
{
  return st->publishes >= GPOINTER_TO_UINT (n);
}

gboolean
ts_pred_peer_closed (const TestServerState *st, gconstpointer n)
{
  return st->peer_eof + st->peer_error >= GPOINTER_TO_UINT (n);
}

gboolean
ts_pred_stopped_reading (const TestServerState *st, gconstpointer n)
{
  return st->stopped_reading >= GPOINTER_TO_UINT (n);
}

/* gst-rtmpe: one RTMP connection driven on a GMainContext
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmpeconnection.h"
#include "rtmperror.h"

#include <errno.h>
#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (rtmpe_connection_debug);
#define GST_CAT_DEFAULT rtmpe_connection_debug

#define READ_SIZE (64 * 1024)
/* reads per wake-up, so one busy peer cannot starve the others */
#define READS_PER_WAKEUP 8
/* Reads after which we stop asking for immediate ACKs (see on_readable) */
#define QUICKACK_READS 64
#define MAX_VECTORS 256
/* Reading stops while more than this waits to be written, and resumes
 * below half of it: a peer that sends requests (createStream, pings ...)
 * but never reads the answers would otherwise make us queue answers
 * without end. The TCP window then pushes back on the peer instead. */
#define READ_BACKLOG_MAX (256 * 1024)

typedef enum
{
  STAGE_TLS,
  STAGE_HANDSHAKE,
  STAGE_SESSION,
} Stage;

struct _RtmpeConnection
{
  gint refcount;
  GMainContext *context;
  RtmpeConnectionConfig config;

  GMutex lock;
  GCond cond;
  guint waiters; /* threads in wait_locked () */

  RtmpeTransport *transport;
  RtmpHandshake *handshake; /* NULL once done */
  RtmpSession *session;
  Stage stage;
  gboolean reading;
  guint quickack_reads; /* reads done with TCP_QUICKACK re-armed */
  gboolean backlogged; /* reading suspended: too much waits to be written */
  gboolean closed;
  gboolean close_reported;
  gboolean finishing; /* finish() or linger() */
  gboolean no_shutdown; /* linger(): the peer closes first */
  gboolean shut_down; /* our side is shut down */
  GError *error; /* why it closed; NULL: orderly */
  gint64 last_read_us;
  gint64 last_write_us; /* the socket last took bytes */
  guint32 rtt_ms;
  guint8 handshake_type;
  gboolean digest;
  gchar *peer;

  GSource *read_source;
  GSource *write_source;
  GSource *timeout_source; /* handshake/connect deadline */
  GSource *tick_source; /* idle check and pings, once a second */
  GSource *report_source; /* report_closed () from another thread */
  gint64 next_ping_us;

  /* pull mode (rtmpe_connection_pull): the caller's thread reads, the
   * context only runs the timers and writes */
  gboolean pull_mode;
  gboolean pull_active; /* a thread waits in rtmpe_connection_pull() */
  gint64 pull_since_us; /* when it started to wait */
  GCancellable *wake; /* wakes that thread: closed, or pull mode left */
  GPollFD wake_fd;
  GQueue posted; /* events read by that thread, for the context's */
  gboolean delivering; /* the context delivers events now (a pulling
                        * thread must not overtake them) */

  RtmpeConnectionEventFunc on_event;
  RtmpeConnectionClosedFunc on_closed;
  gpointer user_data;
  GDestroyNotify notify;
};

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtmpe_connection_debug, "rtmpe-connection", 0,
        "RTMP connections: sockets, TLS, RC4, timers");
    g_once_init_leave (&once, 1);
  }
}

static gchar *
describe_peer (GSocket *socket)
{
  GSocketAddress *addr = g_socket_get_remote_address (socket, NULL);
  gchar *s = NULL;

  if (G_IS_INET_SOCKET_ADDRESS (addr)) {
    GInetSocketAddress *ia = G_INET_SOCKET_ADDRESS (addr);
    gchar *host =
        g_inet_address_to_string (g_inet_socket_address_get_address (ia));

    if (g_inet_address_get_family (g_inet_socket_address_get_address (ia)) ==
        G_SOCKET_FAMILY_IPV6)
      s = g_strdup_printf (
          "[%s]:%u", host, g_inet_socket_address_get_port (ia));
    else
      s = g_strdup_printf ("%s:%u", host, g_inet_socket_address_get_port (ia));
    g_free (host);
  }
  g_clear_object (&addr);
  return s ? s : g_strdup ("(unknown peer)");
}

RtmpeConnection *
rtmpe_connection_new (GMainContext *context, RtmpeTransport *transport,
    RtmpHandshake *handshake, RtmpSession *session,
    const RtmpeConnectionConfig *config)
{
  RtmpeConnection *c = g_new0 (RtmpeConnection, 1);

  debug_init ();
  c->refcount = 1;
  c->context = g_main_context_ref (context);
  c->config = *config;
  if (c->config.max_queued == 0)
    c->config.max_queued = 4 * 1024 * 1024;
  if (c->config.idle_timeout && c->config.ping_interval &&
      c->config.ping_interval > c->config.idle_timeout / 3)
    c->config.ping_interval = MAX (1, c->config.idle_timeout / 3);
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  c->transport = transport;
  c->handshake = handshake;
  c->session = session;
  c->reading = TRUE;
  c->peer = describe_peer (rtmpe_transport_get_socket (transport));
  return c;
}

void
rtmpe_connection_set_callbacks (RtmpeConnection *c,
    RtmpeConnectionEventFunc on_event, RtmpeConnectionClosedFunc on_closed,
    gpointer user_data, GDestroyNotify notify)
{
  c->on_event = on_event;
  c->on_closed = on_closed;
  c->user_data = user_data;
  c->notify = notify;
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

/* A watch on the socket for @cond, calling @func on the context. */
static GSource *
socket_source (RtmpeConnection *c, GIOCondition cond, GSocketSourceFunc func)
{
  GSource *s = g_socket_create_source (
      rtmpe_transport_get_socket (c->transport), cond, NULL);

  g_source_set_callback (s, G_SOURCE_FUNC (func), c, NULL);
  /* GLib (2.74) takes a non-recursive source's descriptor out of the poll
   * set while it is dispatched and puts it back after, waking its own
   * context each time: an extra write, poll and read of the wakeup fd for
   * every read of the socket. Nothing here iterates the context from a
   * callback, so recursion is allowed and the round trip goes. */
  g_source_set_can_recurse (s, TRUE);
  g_source_attach (s, c->context);
  return s;
}

static const gchar *
stage_name (Stage stage)
{
  switch (stage) {
    case STAGE_TLS:
      return "TLS handshake";
    case STAGE_HANDSHAKE:
      return "RTMP handshake";
    default:
      return "RTMP session";
  }
}

const gchar *
rtmpe_connection_get_stage_name (RtmpeConnection *c)
{
  const gchar *name;

  g_mutex_lock (&c->lock);
  name = stage_name (c->stage);
  g_mutex_unlock (&c->lock);
  return name;
}

/* ---- failing and closing ------------------------------------------------- */

/* Marks the connection failed (first error wins). Lock held. */
static void
fail_locked (RtmpeConnection *c, GError *error)
{
  if (c->closed) {
    g_clear_error (&error);
    return;
  }
  GST_DEBUG ("%s: closing: %s", c->peer, error ? error->message : "orderly");
  c->closed = TRUE;
  c->error = error;
  destroy_source (&c->read_source);
  destroy_source (&c->write_source);
  destroy_source (&c->timeout_source);
  destroy_source (&c->tick_source);
  /* before the socket closes: a thread polling it must not poll a
   * descriptor that may be reused */
  if (c->pull_mode)
    g_cancellable_cancel (c->wake);
  rtmpe_transport_close (c->transport);
  g_cond_broadcast (&c->cond);
}

static GQueue *take_posted_locked (RtmpeConnection *c);
static void deliver_events (RtmpeConnection *c, GQueue *events);

/* Delivers @events (may be NULL) on the context's thread with the lock
 * released; a thread that starts to pull meanwhile queues what it reads
 * behind them. Lock held. */
static void
deliver_locked (RtmpeConnection *c, GQueue *events)
{
  if (!events)
    return;
  c->delivering = TRUE;
  g_mutex_unlock (&c->lock);
  deliver_events (c, events);
  g_mutex_lock (&c->lock);
  c->delivering = FALSE;
}

/* Delivers the events a pulling thread left for the context (they come
 * first), then reports the close once. Lock NOT held; context thread. */
static void
report_closed (RtmpeConnection *c)
{
  GError *error = NULL;
  gboolean report;

  g_mutex_lock (&c->lock);
  deliver_locked (c, take_posted_locked (c));
  report = c->closed && !c->close_reported;
  if (report) {
    c->close_reported = TRUE;
    error = c->error ? g_error_copy (c->error) : NULL;
  }
  g_mutex_unlock (&c->lock);
  if (report && c->on_closed)
    c->on_closed (c, error, c->user_data);
  g_clear_error (&error);
}

static gboolean
deferred_report_cb (gpointer data)
{
  RtmpeConnection *c = data;

  g_mutex_lock (&c->lock);
  destroy_source (&c->report_source);
  g_mutex_unlock (&c->lock);
  report_closed (c);
  return G_SOURCE_REMOVE;
}

/* What another thread saw (a failure, events a pulling thread read):
 * report it on the context's thread. Lock held. */
static void
schedule_report_locked (RtmpeConnection *c)
{
  if (c->report_source)
    return;
  c->report_source = g_idle_source_new ();
  g_source_set_callback (c->report_source, deferred_report_cb, c, NULL);
  g_source_attach (c->report_source, c->context);
}

void
rtmpe_connection_close (RtmpeConnection *c)
{
  g_mutex_lock (&c->lock);
  fail_locked (c, NULL);
  g_mutex_unlock (&c->lock);
  report_closed (c);
}

gboolean
rtmpe_connection_is_closed (RtmpeConnection *c)
{
  gboolean closed;

  g_mutex_lock (&c->lock);
  closed = c->closed;
  g_mutex_unlock (&c->lock);
  return closed;
}

/* ---- writing ------------------------------------------------------------- */

static gboolean on_writable (GSocket *socket, GIOCondition cond, gpointer data);
static gboolean on_readable (GSocket *socket, GIOCondition cond, gpointer data);
static gsize queued_locked (RtmpeConnection *c);

/* Writes what the session queued, as much as the socket takes. Arms the
 * write watch when something is left. Lock held. */
static gboolean
flush_locked (RtmpeConnection *c, GError **error)
{
  RtmpOutQueue *q = rtmp_session_get_out_queue (c->session);
  GOutputVector v[MAX_VECTORS];

  while (rtmp_out_queue_size (q) > 0) {
    guint n = rtmp_out_queue_peek (q, v, MAX_VECTORS);
    gssize accepted = rtmpe_transport_writev (c->transport, v, n, error);

    if (accepted < 0)
      return FALSE;
    if (accepted == 0)
      break;
    rtmp_out_queue_consume (q, accepted);
    c->last_write_us = g_get_monotonic_time ();
  }
  if (!rtmpe_transport_flush (c->transport, error))
    return FALSE;
  if (c->backlogged && queued_locked (c) <= READ_BACKLOG_MAX / 2) {
    GST_DEBUG ("%s: backlog written, reading again", c->peer);
    c->backlogged = FALSE;
    if (c->reading && !c->read_source && !c->closed && !c->pull_mode)
      c->read_source = socket_source (c, G_IO_IN, on_readable);
  }

  if (rtmp_out_queue_size (q) > 0 || rtmpe_transport_pending (c->transport)) {
    if (!c->write_source) {
      c->write_source = socket_source (c, G_IO_OUT, on_writable);
    }
  } else {
    destroy_source (&c->write_source);
    if (c->finishing && !c->shut_down && !c->no_shutdown) {
      GST_DEBUG ("%s: all sent, shutting down our side", c->peer);
      c->shut_down = TRUE;
      rtmpe_transport_shutdown_write (c->transport);
    }
  }
  /* a broadcast is a syscall even with nobody waiting: once per read */
  if (c->waiters)
    g_cond_broadcast (&c->cond);
  return TRUE;
}

static gsize
queued_locked (RtmpeConnection *c)
{
  return rtmp_out_queue_size (rtmp_session_get_out_queue (c->session)) +
      rtmpe_transport_pending (c->transport);
}

static gboolean
on_writable (GSocket *socket, GIOCondition cond, gpointer data)
{
  RtmpeConnection *c = data;
  GError *error = NULL;
  gboolean tls_read_wants_out;

  g_mutex_lock (&c->lock);
  if (c->closed) {
    g_mutex_unlock (&c->lock);
    return G_SOURCE_REMOVE;
  }
  tls_read_wants_out = rtmpe_transport_is_tls (c->transport) &&
      rtmpe_transport_wants (c->transport) == G_IO_OUT;
  if (!flush_locked (c, &error))
    fail_locked (c, error);
  g_mutex_unlock (&c->lock);
  if (tls_read_wants_out)
    on_readable (socket, G_IO_IN, c);
  report_closed (c);
  /* flush_locked() destroyed this source when done, or kept it */
  return G_SOURCE_CONTINUE;
}

/* ---- reading ------------------------------------------------------------- */

static void
stop_handshake_timer_locked (RtmpeConnection *c)
{
  destroy_source (&c->timeout_source);
}

/* The RTMP handshake is done: install RC4 and hand what followed it to the
 * session. Lock held. */
static gboolean
handshake_done_locked (RtmpeConnection *c, const guint8 *rest, gsize len,
    guint64 now_ms, GError **error)
{
  guint8 dec_key[RTMP_HANDSHAKE_RC4_KEY_SIZE];
  guint8 enc_key[RTMP_HANDSHAKE_RC4_KEY_SIZE];
  GstBuffer *leftover = NULL;

  c->handshake_type = rtmp_handshake_get_negotiated_type (c->handshake);
  c->digest = rtmp_handshake_get_digest_used (c->handshake);
  GST_INFO ("%s: handshake done: type 0x%02x, %s, peer version %08x", c->peer,
      c->handshake_type, c->digest ? "digest" : "simple",
      rtmp_handshake_get_peer_version (c->handshake));

  if (len > 0)
    leftover = gst_buffer_new_memdup (rest, len);
  if (rtmp_handshake_get_rc4_keys (c->handshake, dec_key, enc_key)) {
    RtmpeRc4 *dec, *enc;

    dec = rtmpe_rc4_new (dec_key, sizeof (dec_key), error);
    enc = dec ? rtmpe_rc4_new (enc_key, sizeof (enc_key), error) : NULL;
    if (!enc) {
      rtmpe_rc4_free (dec);
      gst_clear_buffer (&leftover);
      return FALSE;
    }
    rtmpe_rc4_skip (dec, RTMP_HANDSHAKE_RC4_DISCARD);
    rtmpe_rc4_skip (enc, RTMP_HANDSHAKE_RC4_DISCARD);
    if (leftover) {
      GstMapInfo map;

      gst_buffer_map (leftover, &map, GST_MAP_READWRITE);
      rtmpe_rc4_process (dec, map.data, map.data, map.size);
      gst_buffer_unmap (leftover, &map);
    }
    /* what the handshake still has queued (C2, when S2 came in the same
     * read as S1) leaves in clear, before anything RC4 encrypts */
    {
      RtmpOutQueue *q = rtmp_session_get_out_queue (c->session);
      GOutputVector v[MAX_VECTORS];

      while (rtmp_out_queue_size (q) > 0) {
        guint n = rtmp_out_queue_peek (q, v, MAX_VECTORS);
        gsize staged = rtmpe_transport_stage_clear (c->transport, v, n);

        if (staged == 0)
          break;
        rtmp_out_queue_consume (q, staged);
      }
    }
    rtmpe_transport_set_rc4 (c->transport, enc, dec);
  }
  g_clear_pointer (&c->handshake, rtmp_handshake_free);
  c->stage = STAGE_SESSION;
  rtmp_session_start (c->session);
  if (leftover) {
    gboolean ok = rtmp_session_push (c->session, leftover, now_ms, error);

    gst_buffer_unref (leftover);
    return ok;
  }
  return TRUE;
}

/* Feeds one read to the handshake. Lock held. */
static gboolean
push_handshake_locked (RtmpeConnection *c, const guint8 *data, gsize len,
    guint64 now_ms, GError **error)
{
  GByteArray *out = g_byte_array_new ();
  gsize used = 0;
  RtmpHandshakeResult res;

  res = rtmp_handshake_push (c->handshake, data, len, &used, out, error);
  if (out->len > 0)
    rtmp_out_queue_push_copy (
        rtmp_session_get_out_queue (c->session), out->data, out->len);
  g_byte_array_unref (out);
  if (res == RTMP_HANDSHAKE_ERROR)
    return FALSE;
  if (res == RTMP_HANDSHAKE_DONE)
    return handshake_done_locked (c, data + used, len - used, now_ms, error);
  return TRUE;
}

static gboolean
tls_step_locked (RtmpeConnection *c, GError **error)
{
  GError *err = NULL;

  if (rtmpe_transport_handshake (c->transport, &err)) {
    gchar *desc = rtmpe_transport_describe_tls (c->transport);
    GByteArray *out = g_byte_array_new ();

    GST_INFO ("%s: TLS established: %s", c->peer, desc);
    g_free (desc);
    c->stage = STAGE_HANDSHAKE;
    if (!rtmp_handshake_get_initial (c->handshake, out, error)) {
      g_byte_array_unref (out);
      return FALSE;
    }
    if (out->len)
      rtmp_out_queue_push_copy (
          rtmp_session_get_out_queue (c->session), out->data, out->len);
    g_byte_array_unref (out);
    return TRUE;
  }
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
    g_error_free (err);
    if (rtmpe_transport_wants (c->transport) == G_IO_OUT && !c->write_source) {
      c->write_source = socket_source (c, G_IO_OUT, on_writable);
    }
    return TRUE;
  }
  g_propagate_error (error, err);
  return FALSE;
}

/* Takes the session's events for delivery outside the lock. Lock held. */
static GQueue *
take_events_locked (RtmpeConnection *c)
{
  GQueue *events = NULL;
  RtmpSessionEvent *ev;

  while ((ev = rtmp_session_pop_event (c->session))) {
    switch (ev->type) {
      case RTMP_SESSION_EVENT_STARTED:
      case RTMP_SESSION_EVENT_CONNECT_REQUEST:
        stop_handshake_timer_locked (c);
        break;
      case RTMP_SESSION_EVENT_PONG:
        c->rtt_ms = ev->rtt_ms;
        break;
      default:
        break;
    }
    if (!events)
      events = g_queue_new ();
    g_queue_push_tail (events, ev);
  }
  return events;
}

static void
deliver_events (RtmpeConnection *c, GQueue *events)
{
  RtmpSessionEvent *ev;

  if (!events)
    return;
  while ((ev = g_queue_pop_head (events))) {
    if (c->on_event)
      c->on_event (c, ev, c->user_data);
    else
      rtmp_session_event_free (ev);
  }
  g_queue_free (events);
}

/* Reads what the socket has (a few reads at most) and feeds it to the
 * handshake or the session, then writes their answers. FALSE with @error
 * when the connection failed. Lock held. */
static gboolean
read_socket_locked (RtmpeConnection *c, GError **error)
{
  for (guint i = 0; i < READS_PER_WAKEUP && !c->closed && c->reading; i++) {
    GstBuffer *buf;
    GstMapInfo map;
    gssize n;
    guint64 now_ms;
    gboolean keep;

    if (c->stage == STAGE_TLS) {
      if (!tls_step_locked (c, error))
        return FALSE;
      if (c->stage == STAGE_TLS)
        break;
      /* TLS is up: C0+C1 go out now, whatever the next read does */
      if (!flush_locked (c, error))
        return FALSE;
      continue;
    }

    if (queued_locked (c) > READ_BACKLOG_MAX) {
      /* the peer is not reading what we answer: stop reading what it
       * asks until the backlog is written (flush_locked() resumes) */
      GST_DEBUG ("%s: %" G_GSIZE_FORMAT " bytes wait to be written: "
                 "not reading until they are",
          c->peer, queued_locked (c));
      c->backlogged = TRUE;
      destroy_source (&c->read_source);
      break;
    }

    buf = gst_buffer_new_allocate (NULL, READ_SIZE, NULL);
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    n = rtmpe_transport_read (c->transport, map.data, READ_SIZE, error);
    gst_buffer_unmap (buf, &map);
    if (n < 0) {
      gst_buffer_unref (buf);
      if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_clear_error (error);
        break;
      }
      return FALSE;
    }
    if (n > 0 && c->quickack_reads < QUICKACK_READS) {
      /* Servers that leave Nagle on (nginx-rtmp does) hold their next small
       * answer until we ACK the last one, and Linux delays that ACK by up
       * to 40 ms: two such stalls were most of the time to the first
       * buffer. During the exchanges that start a session, ACK at once
       * (the kernel forgets TCP_QUICKACK, so it is set again per read). */
      c->quickack_reads++;
      rtmpe_transport_quickack (c->transport);
    }
    if (n == 0) {
      gst_buffer_unref (buf);
      if (c->stage == STAGE_HANDSHAKE) {
        rtmp_handshake_push_eof (c->handshake, error);
        if (g_error_matches (*error, RTMP_ERROR, RTMP_ERROR_TRUNCATED)) {
          /* the peer went away mid-handshake: the connection was lost
           * (worth a reconnection), it sent nothing wrong */
          GError *lost = g_error_new_literal (
              G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, (*error)->message);

          g_error_free (*error);
          *error = lost;
        }
      } else if (!c->finishing)
        *error = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
            "%s closed the connection during the %s", c->peer,
            stage_name (c->stage));
      return FALSE;
    }
    gst_buffer_set_size (buf, n);
    c->last_read_us = g_get_monotonic_time ();
    now_ms = c->last_read_us / 1000;

    if (c->stage == STAGE_HANDSHAKE) {
      gst_buffer_map (buf, &map, GST_MAP_READ);
      keep = push_handshake_locked (c, map.data, map.size, now_ms, error);
      gst_buffer_unmap (buf, &map);
      gst_buffer_unref (buf);
    } else {
      keep = rtmp_session_push (c->session, buf, now_ms, error);
      gst_buffer_unref (buf);
    }
    if (!keep)
      return FALSE;
    if (!flush_locked (c, error))
      return FALSE;
    /* A short read drained the socket: asking again would only return
     * EAGAIN (a third of all reads with paced publishers), and poll is
     * level-triggered. TLS may hold decrypted bytes back: read on. */
    if ((gsize) n < READ_SIZE && !rtmpe_transport_is_tls (c->transport))
      break;
  }
  return TRUE;
}

static gboolean
on_readable (GSocket *socket, GIOCondition cond, gpointer data)
{
  RtmpeConnection *c = data;
  GError *error = NULL;
  GQueue *events;
  gboolean ok;

  g_mutex_lock (&c->lock);
  if (c->pull_mode) {
    /* a TLS read that wanted to write (on_writable), while the caller's
     * thread reads: that thread does it */
    g_mutex_unlock (&c->lock);
    return G_SOURCE_CONTINUE;
  }
  ok = read_socket_locked (c, &error);
  events = take_events_locked (c);
  if (!ok)
    fail_locked (c, error);
  deliver_locked (c, events);
  g_mutex_unlock (&c->lock);
  report_closed (c);
  return ok ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* ---- pull mode ----------------------------------------------------------- */

/* Gives reading back to the context. Lock held. */
static void
leave_pull_locked (RtmpeConnection *c)
{
  if (!c->pull_mode)
    return;
  GST_DEBUG ("%s: reading on the context again", c->peer);
  c->pull_mode = FALSE;
  g_cancellable_cancel (c->wake);
  if (c->reading && !c->read_source && !c->backlogged && !c->closed)
    c->read_source = socket_source (c, G_IO_IN, on_readable);
}

static GQueue *
take_posted_locked (RtmpeConnection *c)
{
  GQueue *q;

  if (g_queue_is_empty (&c->posted))
    return NULL;
  q = g_queue_new ();
  *q = c->posted;
  g_queue_init (&c->posted);
  return q;
}

RtmpePullResult
rtmpe_connection_pull (
    RtmpeConnection *c, GCancellable *cancellable, const GPollFD *cancel_fd)
{
  GPollFD fds[3];
  guint nfds = 2;
  GQueue *events;
  GList *l, *next;
  GError *error = NULL;
  gboolean ok;

  g_mutex_lock (&c->lock);
  if (c->closed || c->stage != STAGE_SESSION || c->finishing || c->backlogged ||
      !c->reading || rtmpe_transport_is_tls (c->transport)) {
    leave_pull_locked (c);
    g_mutex_unlock (&c->lock);
    return RTMPE_PULL_UNAVAILABLE;
  }
  if (!c->wake) {
    c->wake = g_cancellable_new ();
    /* kept open until the end: one eventfd, not one per call */
    g_cancellable_make_pollfd (c->wake, &c->wake_fd);
  }
  if (!c->pull_mode) {
    GST_DEBUG ("%s: the caller's thread reads from now on", c->peer);
    c->pull_mode = TRUE;
    destroy_source (&c->read_source);
  }
  /* not reset here: a wake-up since the last call is not lost */
  c->pull_active = TRUE;
  c->pull_since_us = g_get_monotonic_time ();
  fds[0].fd = g_socket_get_fd (rtmpe_transport_get_socket (c->transport));
  fds[0].events = G_IO_IN;
  fds[0].revents = 0;
  fds[1] = c->wake_fd;
  if (cancel_fd) {
    fds[2] = *cancel_fd;
    nfds = 3;
  }
  g_mutex_unlock (&c->lock);

  if (!g_cancellable_is_cancelled (cancellable)) {
    while (g_poll (fds, nfds, -1) < 0 && errno == EINTR) {
    }
  }

  g_mutex_lock (&c->lock);
  c->pull_active = FALSE;
  if (g_cancellable_is_cancelled (c->wake))
    g_cancellable_reset (c->wake);
  if (g_cancellable_is_cancelled (cancellable)) {
    g_mutex_unlock (&c->lock);
    return RTMPE_PULL_CANCELLED;
  }
  if (c->closed || !c->pull_mode) {
    g_mutex_unlock (&c->lock);
    return RTMPE_PULL_UNAVAILABLE;
  }
  if (!(fds[0].revents & (G_IO_IN | G_IO_HUP | G_IO_ERR))) {
    g_mutex_unlock (&c->lock);
    return RTMPE_PULL_OK;
  }
  ok = read_socket_locked (c, &error);
  events = take_events_locked (c);
  /* media is delivered here, on the caller's thread: that is the point;
   * anything else goes to the context's thread, where the callbacks
   * expect to run, and so does media behind it or behind what that
   * thread is still delivering (the order is kept) */
  for (l = events ? events->head : NULL; l; l = next) {
    RtmpSessionEvent *ev = l->data;

    next = l->next;
    if (ev->type != RTMP_SESSION_EVENT_MEDIA ||
        !g_queue_is_empty (&c->posted) || c->delivering) {
      g_queue_unlink (events, l);
      g_queue_push_tail_link (&c->posted, l);
    }
  }
  if (!g_queue_is_empty (&c->posted))
    schedule_report_locked (c);
  if (!ok) {
    fail_locked (c, error);
    schedule_report_locked (c);
  } else if (c->backlogged) {
    leave_pull_locked (c);
  }
  g_mutex_unlock (&c->lock);
  deliver_events (c, events);
  return ok ? RTMPE_PULL_OK : RTMPE_PULL_UNAVAILABLE;
}

void
rtmpe_connection_set_reading (RtmpeConnection *c, gboolean reading)
{
  g_mutex_lock (&c->lock);
  if (c->reading == reading || c->closed) {
    c->reading = reading;
    g_mutex_unlock (&c->lock);
    return;
  }
  c->reading = reading;
  if (reading && !c->read_source && !c->backlogged && !c->pull_mode) {
    c->read_source = socket_source (c, G_IO_IN, on_readable);
  } else if (!reading) {
    destroy_source (&c->read_source);
  }
  g_mutex_unlock (&c->lock);
}

/* ---- timers -------------------------------------------------------------- */

static gboolean
on_timeout (gpointer data)
{
  RtmpeConnection *c = data;

  g_mutex_lock (&c->lock);
  fail_locked (c,
      g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "no answer from %s within %u s (during the %s)", c->peer,
          c->config.handshake_timeout, stage_name (c->stage)));
  g_mutex_unlock (&c->lock);
  report_closed (c);
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer data)
{
  RtmpeConnection *c = data;
  gint64 now = g_get_monotonic_time ();
  gint64 last;
  GError *error = NULL;

  g_mutex_lock (&c->lock);
  if (c->closed) {
    g_mutex_unlock (&c->lock);
    return G_SOURCE_REMOVE;
  }
  /* while reading is suspended for a backlog, the peer is alive as long
   * as it takes what we write */
  last = c->last_read_us;
  if (c->backlogged && c->last_write_us > last)
    last = c->last_write_us;
  /* in pull mode, the peer is idle only while a thread waits for it */
  if (c->pull_mode && c->pull_since_us > last)
    last = c->pull_since_us;
  if (c->config.idle_timeout && c->stage == STAGE_SESSION &&
      now - last > (gint64) c->config.idle_timeout * 1000000 && c->reading &&
      (!c->pull_mode || c->pull_active)) {
    fail_locked (c,
        g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
            "nothing received from %s for %u s", c->peer,
            c->config.idle_timeout));
  } else if (c->config.ping_interval && c->stage == STAGE_SESSION &&
      now >= c->next_ping_us) {
    c->next_ping_us = now + (gint64) c->config.ping_interval * 1000000;
    rtmp_session_ping (c->session, now / 1000);
    if (!flush_locked (c, &error))
      fail_locked (c, error);
  }
  g_mutex_unlock (&c->lock);
  report_closed (c);
  return G_SOURCE_CONTINUE;
}

/* ---- start --------------------------------------------------------------- */

void
rtmpe_connection_start (RtmpeConnection *c)
{
  GError *error = NULL;

  g_mutex_lock (&c->lock);
  c->last_read_us = g_get_monotonic_time ();
  c->next_ping_us =
      c->last_read_us + (gint64) c->config.ping_interval * 1000000;
  if (c->config.handshake_timeout) {
    /* to the millisecond: GLib's second timers may fire 0.75 s late */
    c->timeout_source = g_timeout_source_new (
        MIN (c->config.handshake_timeout, G_MAXUINT / 1000) * 1000);
    g_source_set_callback (c->timeout_source, on_timeout, c, NULL);
    g_source_attach (c->timeout_source, c->context);
  }
  if (c->config.idle_timeout || c->config.ping_interval) {
    c->tick_source = g_timeout_source_new (1000);
    g_source_set_callback (c->tick_source, on_tick, c, NULL);
    g_source_attach (c->tick_source, c->context);
  }
  c->read_source = socket_source (c, G_IO_IN, on_readable);

  if (rtmpe_transport_is_tls (c->transport)) {
    c->stage = STAGE_TLS;
    if (!tls_step_locked (c, &error))
      goto failed;
  } else {
    GByteArray *out = g_byte_array_new ();

    c->stage = STAGE_HANDSHAKE;
    if (!rtmp_handshake_get_initial (c->handshake, out, &error)) {
      g_byte_array_unref (out);
      goto failed;
    }
    if (out->len)
      rtmp_out_queue_push_copy (
          rtmp_session_get_out_queue (c->session), out->data, out->len);
    g_byte_array_unref (out);
  }
  if (!flush_locked (c, &error))
    goto failed;
  g_mutex_unlock (&c->lock);
  return;

failed:
  fail_locked (c, error);
  g_mutex_unlock (&c->lock);
  report_closed (c);
}

/* ---- any thread ---------------------------------------------------------- */

static void
cancelled_cb (GCancellable *cancellable, RtmpeConnection *c)
{
  g_mutex_lock (&c->lock);
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
}

static gboolean
wait_locked (RtmpeConnection *c, gint64 deadline, GCancellable *cancellable)
{
  gboolean signalled;

  if (g_cancellable_is_cancelled (cancellable))
    return FALSE;

  c->waiters++;
  if (deadline < 0) {
    g_cond_wait (&c->cond, &c->lock);
    signalled = TRUE;
  } else {
    signalled = g_cond_wait_until (&c->cond, &c->lock, deadline) ||
        g_get_monotonic_time () < deadline;
  }
  c->waiters--;
  return signalled;
}

static void
closed_error (RtmpeConnection *c, GError **error)
{
  if (c->error)
    g_propagate_error (error, g_error_copy (c->error));
  else
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
        "the connection is closed");
}

gboolean
rtmpe_connection_send_media (RtmpeConnection *c, const RtmpMessage *msg,
    guint32 stream_id, gint64 timeout_us, GCancellable *cancellable,
    GError **error)
{
  gint64 deadline = timeout_us < 0 ? -1 : g_get_monotonic_time () + timeout_us;
  gulong handler = 0;
  gboolean ok = FALSE;
  GError *err = NULL;

  if (cancellable)
    handler =
        g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), c, NULL);
  g_mutex_lock (&c->lock);
  while (!c->closed && queued_locked (c) > c->config.max_queued) {
    if (timeout_us == 0 || !wait_locked (c, deadline, cancellable))
      break;
  }
  if (c->closed) {
    closed_error (c, error);
  } else if (g_cancellable_set_error_if_cancelled (cancellable, error)) {
    /* nothing queued */
  } else if (queued_locked (c) > c->config.max_queued) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
        "%s is not reading fast enough (%" G_GSIZE_FORMAT " bytes waiting)",
        c->peer, queued_locked (c));
  } else if (!rtmp_session_send_media (c->session, msg, stream_id, error)) {
    /* not sendable */
  } else if (!flush_locked (c, &err)) {
    fail_locked (c, g_error_copy (err));
    schedule_report_locked (c);
    g_propagate_error (error, err);
  } else {
    ok = TRUE;
  }
  g_mutex_unlock (&c->lock);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return ok;
}

void
rtmpe_connection_call (RtmpeConnection *c,
    void (*func) (RtmpSession *s, gpointer data), gpointer data)
{
  GError *error = NULL;

  g_mutex_lock (&c->lock);
  if (!c->closed) {
    func (c->session, data);
    if (!flush_locked (c, &error)) {
      fail_locked (c, error);
      schedule_report_locked (c);
    }
  }
  g_mutex_unlock (&c->lock);
}

gboolean
rtmpe_connection_drain (
    RtmpeConnection *c, gint64 timeout_us, GCancellable *cancellable)
{
  gint64 deadline = timeout_us < 0 ? -1 : g_get_monotonic_time () + timeout_us;
  gulong handler = 0;
  gboolean drained;

  if (cancellable)
    handler =
        g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), c, NULL);
  g_mutex_lock (&c->lock);
  while (!c->closed && queued_locked (c) > 0) {
    if (!wait_locked (c, deadline, cancellable))
      break;
  }
  drained = !c->closed && queued_locked (c) == 0;
  g_mutex_unlock (&c->lock);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return drained;
}

void
rtmpe_connection_get_stats (RtmpeConnection *c, RtmpeConnectionStats *stats)
{
  g_mutex_lock (&c->lock);
  stats->bytes_in = rtmpe_transport_bytes_in (c->transport);
  stats->bytes_out = rtmpe_transport_bytes_out (c->transport);
  stats->queued = queued_locked (c);
  stats->rtt_ms = c->rtt_ms;
  stats->handshake_type = c->handshake_type;
  stats->digest = c->digest;
  if (rtmpe_transport_is_tls (c->transport))
    stats->cipher = rtmpe_transport_describe_tls (c->transport);
  else
    stats->cipher =
        g_strdup (rtmpe_transport_is_rc4 (c->transport) ? "RC4" : "none");
  stats->peer = g_strdup (c->peer);
  g_mutex_unlock (&c->lock);
}

void
rtmpe_connection_stats_clear (RtmpeConnectionStats *stats)
{
  g_clear_pointer (&stats->cipher, g_free);
  g_clear_pointer (&stats->peer, g_free);
}

static gboolean
finish_timeout_cb (gpointer data)
{
  RtmpeConnection *c = data;

  g_mutex_lock (&c->lock);
  GST_DEBUG ("%s: the peer did not close in time after our shutdown", c->peer);
  fail_locked (c, NULL);
  g_mutex_unlock (&c->lock);
  report_closed (c);
  return G_SOURCE_REMOVE;
}

static void
finish (RtmpeConnection *c, gboolean shutdown)
{
  GError *error = NULL;

  g_mutex_lock (&c->lock);
  if (c->closed || c->finishing) {
    g_mutex_unlock (&c->lock);
    return;
  }
  c->finishing = TRUE;
  c->no_shutdown = !shutdown;
  c->reading = TRUE;
  leave_pull_locked (c);
  if (!c->read_source && !c->backlogged) {
    c->read_source = socket_source (c, G_IO_IN, on_readable);
  }
  /* the peer gets a few seconds to read what we sent and close */
  destroy_source (&c->timeout_source);
  c->timeout_source = g_timeout_source_new_seconds (5);
  g_source_set_callback (c->timeout_source, finish_timeout_cb, c, NULL);
  g_source_attach (c->timeout_source, c->context);
  if (!flush_locked (c, &error))
    fail_locked (c, error);
  g_mutex_unlock (&c->lock);
  report_closed (c);
}

void
rtmpe_connection_finish (RtmpeConnection *c)
{
  finish (c, TRUE);
}

void
rtmpe_connection_linger (RtmpeConnection *c)
{
  finish (c, FALSE);
}

RtmpeConnection *
rtmpe_connection_ref (RtmpeConnection *c)
{
  g_atomic_int_inc (&c->refcount);
  return c;
}

void
rtmpe_connection_unref (RtmpeConnection *c)
{
  if (!c || !g_atomic_int_dec_and_test (&c->refcount))
    return;
  g_mutex_lock (&c->lock);
  c->close_reported = TRUE;
  fail_locked (c, NULL);
  destroy_source (&c->report_source);
  g_queue_clear_full (&c->posted, (GDestroyNotify) rtmp_session_event_free);
  g_mutex_unlock (&c->lock);
  if (c->wake) {
    g_cancellable_release_fd (c->wake);
    g_object_unref (c->wake);
  }
  if (c->notify)
    c->notify (c->user_data);
  rtmpe_transport_free (c->transport);
  g_clear_pointer (&c->handshake, rtmp_handshake_free);
  rtmp_session_free (c->session);
  g_clear_error (&c->error);
  g_free (c->peer);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_main_context_unref (c->context);
  g_free (c);
}

/* gst-rtmpe: one RTMP connection driven on a GMainContext
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Glues a connected RtmpeTransport (TCP, TLS or, after the handshake, RC4),
 * an RtmpHandshake and an RtmpSession together: reads what the socket has,
 * feeds the handshake and then the session, writes what they produce with
 * writev, and reports session events and the end of the connection through
 * callbacks that run on the context's thread.
 *
 * Thread safety: everything runs on the context's thread, except
 * rtmpe_connection_send_media(), rtmpe_connection_call() and the stats
 * getters, which any thread may call (the sink's streaming thread writes
 * straight to the socket from render() when it can: no thread hop), and
 * rtmpe_connection_pull() (the src's streaming thread reads straight from
 * the socket in create(): no thread hop either).
 */
#ifndef __RTMPE_CONNECTION_H__
#define __RTMPE_CONNECTION_H__

#include <gio/gio.h>

#include "rtmpetransport.h"
#include "rtmphandshake.h"
#include "rtmpsession.h"

G_BEGIN_DECLS

typedef struct _RtmpeConnection RtmpeConnection;

/* @ev: (transfer full) */
typedef void (*RtmpeConnectionEventFunc) (
    RtmpeConnection *c, RtmpSessionEvent *ev, gpointer user_data);
/* @error is NULL for an orderly end (the peer closed after the stream
 * ended, or rtmpe_connection_close()) */
typedef void (*RtmpeConnectionClosedFunc) (
    RtmpeConnection *c, const GError *error, gpointer user_data);

typedef struct
{
  /* seconds from start until the session reports CONNECTED, STARTED (or,
   * server side, CONNECT_REQUEST); 0: none */
  guint handshake_timeout;
  /* seconds without a byte from the peer before giving up; 0: none */
  guint idle_timeout;
  /* seconds between pings (RTT measurement, keepalive); 0: none. With an
   * idle timeout, at most a third of it (at least 1 s): a quiet but live
   * peer answers a ping before it counts as dead */
  guint ping_interval;
  /* bytes the sender may queue before rtmpe_connection_send_media()
   * blocks (or, with a zero timeout, refuses) */
  gsize max_queued;
} RtmpeConnectionConfig;

/* Takes ownership of @transport, @handshake and @session. */
RtmpeConnection *rtmpe_connection_new (GMainContext *context,
    RtmpeTransport *transport, RtmpHandshake *handshake, RtmpSession *session,
    const RtmpeConnectionConfig *config);
void rtmpe_connection_set_callbacks (RtmpeConnection *c,
    RtmpeConnectionEventFunc on_event, RtmpeConnectionClosedFunc on_closed,
    gpointer user_data, GDestroyNotify notify);

/* Starts TLS (if set on the transport), the handshake, and the session.
 * On the context's thread. */
void rtmpe_connection_start (RtmpeConnection *c);

/* Queues a media message and writes what the socket takes now. Blocks
 * while more than max_queued bytes wait, up to @timeout_us (-1: forever, 0:
 * never), or until @cancellable fires or the connection closes. FALSE with
 * G_IO_ERROR_WOULD_BLOCK when it did not fit within the timeout (the
 * message was not queued), G_IO_ERROR_CANCELLED, or the connection's
 * error. Any thread. */
gboolean rtmpe_connection_send_media (RtmpeConnection *c,
    const RtmpMessage *msg, guint32 stream_id, gint64 timeout_us,
    GCancellable *cancellable, GError **error);

/* Runs @func with the session locked (to answer server requests, stop a
 * publish ...) and then writes what it queued. Any thread. */
void rtmpe_connection_call (RtmpeConnection *c,
    void (*func) (RtmpSession *s, gpointer data), gpointer data);

/* Waits until everything queued has been written (or @timeout_us passed,
 * or the connection closed). Any thread. TRUE when all was written. */
gboolean rtmpe_connection_drain (
    RtmpeConnection *c, gint64 timeout_us, GCancellable *cancellable);

/* Stop or resume reading from the socket (back-pressure from a full
 * downstream queue). On the context's thread. */
void rtmpe_connection_set_reading (RtmpeConnection *c, gboolean reading);

typedef enum
{
  RTMPE_PULL_OK, /* read what came (maybe nothing whole yet); call again */
  RTMPE_PULL_CANCELLED, /* @cancellable fired */
  /* the context reads (again): not in a session, TLS, closed, reading
   * stopped, or finishing. The events come through the callbacks. */
  RTMPE_PULL_UNAVAILABLE,
} RtmpePullResult;

/* Pull mode, for a player's streaming thread: waits until the socket has
 * something (or @cancellable fires), reads it and delivers the media
 * events through the event callback on the calling thread, with no hand
 * over between threads. The first call takes reading away from the
 * context, which still runs the timers, writes, and delivers every other
 * event (and media behind such an event, to keep the order); the
 * connection then reads only while a thread is in this call. One thread
 * at a time; not with TLS. @cancel_fd is @cancellable's descriptor, made
 * once by the caller (g_cancellable_make_pollfd ()), not per call. */
RtmpePullResult rtmpe_connection_pull (
    RtmpeConnection *c, GCancellable *cancellable, const GPollFD *cancel_fd);

/* Closes the socket; the closed callback runs (with no error) unless it
 * already ran. On the context's thread. */
void rtmpe_connection_close (RtmpeConnection *c);
gboolean rtmpe_connection_is_closed (RtmpeConnection *c);

/* Orderly end: once everything queued is written, shut down our sending
 * side and wait for the peer to close (so nothing it still had to read is
 * lost to a reset); the closed callback then runs with no error. On the
 * context's thread. */
void rtmpe_connection_finish (RtmpeConnection *c);
/* The same, but our side is not shut down: the peer is expected to close
 * first (a publisher after deleteStream); it gets up to 5 s. */
void rtmpe_connection_linger (RtmpeConnection *c);

RtmpeConnection *rtmpe_connection_ref (RtmpeConnection *c);
/* The last reference closes the socket (the closed callback does not run)
 * and frees everything. Drop it on the context's thread, or after that
 * thread has stopped. */
void rtmpe_connection_unref (RtmpeConnection *c);

/* Statistics (any thread). */
typedef struct
{
  guint64 bytes_in;
  guint64 bytes_out;
  guint64 queued;
  guint32 rtt_ms;
  guint8 handshake_type; /* 03, 06, 08, 09; 0 before it is known */
  gboolean digest;
  gchar *cipher; /* "RC4", the TLS cipher, or "none" */
  gchar *peer; /* "127.0.0.1:41234" */
} RtmpeConnectionStats;

void rtmpe_connection_get_stats (
    RtmpeConnection *c, RtmpeConnectionStats *stats);
void rtmpe_connection_stats_clear (RtmpeConnectionStats *stats);

/* Where the connection is, for messages: "TLS handshake", "RTMP handshake"
 * or "RTMP session". */
const gchar *rtmpe_connection_get_stage_name (RtmpeConnection *c);

G_END_DECLS

#endif

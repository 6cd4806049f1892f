/* gst-rtmpe: the client side of rtmpesrc and rtmpesink
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Connects (DNS, TCP with IPv4 and IPv6, TLS for rtmps), runs the handshake
 * (RTMPE for rtmpe) and the session to play or publish one stream, and
 * reconnects with growing delays when asked to. Everything happens on a
 * private thread with its own GMainContext; the element talks to it from
 * its streaming thread through the calls below, which any thread may make.
 */
#ifndef __GST_RTMPE_CLIENT_H__
#define __GST_RTMPE_CLIENT_H__

#include <gst/gst.h>

#include "gstrtmpesettings.h"
#include "rtmpmessage.h"

G_BEGIN_DECLS

typedef struct _GstRtmpeClient GstRtmpeClient;

/**
 * GstRtmpeClientCallbacks:
 * All run on the client's thread.
 * @started: playing or publishing started (again, after a reconnect:
 *   @reconnected is TRUE)
 * @media: (src) an audio, video or data message; @msg is taken. Also on
 *   the thread in gst_rtmpe_client_pull()
 * @eos: (src) the server ended the stream
 * @status: an informational onStatus from the server
 * @error: a fatal error: nothing more will happen. @code (may be NULL) is
 *   the server's onStatus code when it gave one
 * @reconnecting: the connection was lost (@error says why) and attempt
 *   @attempt starts in @delay_ms
 */
typedef struct
{
  void (*started) (GstRtmpeClient *c, gboolean reconnected, gpointer data);
  void (*media) (GstRtmpeClient *c, RtmpMessage *msg, gpointer data);
  void (*eos) (GstRtmpeClient *c, gpointer data);
  void (*status) (GstRtmpeClient *c, const gchar *code,
      const gchar *description, gpointer data);
  void (*error) (
      GstRtmpeClient *c, const GError *error, const gchar *code, gpointer data);
  void (*reconnecting) (GstRtmpeClient *c, const GError *error, guint attempt,
      guint delay_ms, gpointer data);
} GstRtmpeClientCallbacks;

/* @target is taken. @publish: publish (sink) or play (src). @parent is
 * used for logging only. */
GstRtmpeClient *gst_rtmpe_client_new (GstObject *parent, GstRtmpeTarget *target,
    gboolean publish, guint buffer_length, guint chunk_size,
    const GstRtmpeClientCallbacks *callbacks, gpointer data);

/* Starts connecting, in the background. */
void gst_rtmpe_client_start (GstRtmpeClient *c);

/* Publish: the messages to send first, after every (re)start of
 * publishing: metadata and codec configuration. Copied. */
void gst_rtmpe_client_set_headers (GstRtmpeClient *c, GPtrArray *headers);

/* What gst_rtmpe_client_send() failed with, beyond G_IO_ERROR_CANCELLED
 * and errors about the message itself. */
#define GST_RTMPE_CLIENT_ERROR (gst_rtmpe_client_error_quark ())
GQuark gst_rtmpe_client_error_quark (void);

typedef enum
{
  /* the connection was lost and the client is reconnecting: the message
   * was dropped; call again with the next one */
  GST_RTMPE_CLIENT_ERROR_RECONNECTING,
  /* the client failed for good; its error callback reports why (with the
   * server's status code when there is one), so the caller need not */
  GST_RTMPE_CLIENT_ERROR_FAILED,
} GstRtmpeClientError;

/* Publish: sends one message. Waits for publishing to start (up to the
 * timeout), and while too much is queued (back-pressure). FALSE with the
 * error that stopped it: G_IO_ERROR_CANCELLED when @cancellable fired;
 * GST_RTMPE_CLIENT_ERROR_RECONNECTING or _FAILED (see above); or why this
 * message could not be sent. */
gboolean gst_rtmpe_client_send (GstRtmpeClient *c, const RtmpMessage *msg,
    GCancellable *cancellable, GError **error);

/* Play: reads from the server on the calling thread (the src's streaming
 * thread, so that a message needs no hand-over between threads): waits
 * until the socket has something or @cancellable fires; the media
 * callback runs on this thread for what was read. FALSE when the client
 * cannot be read this way now (not playing yet, reconnecting, TLS ...):
 * the callbacks then come from the client's thread as usual. @cancel_fd:
 * @cancellable's descriptor (see rtmpe_connection_pull ()). */
gboolean gst_rtmpe_client_pull (
    GstRtmpeClient *c, GCancellable *cancellable, const GPollFD *cancel_fd);

/* Play: stop (FALSE) or resume reading from the server, for back-pressure
 * from a full queue downstream. */
void gst_rtmpe_client_set_reading (GstRtmpeClient *c, gboolean reading);

/* Publish: ends the stream properly (FCUnpublish, deleteStream), writes
 * everything still queued and closes the connection in order. Blocks up to
 * @timeout_us. TRUE when everything was sent. */
gboolean gst_rtmpe_client_finish (
    GstRtmpeClient *c, gint64 timeout_us, GCancellable *cancellable);

/* TRUE once the client failed for good. The error callback then has run
 * or is about to run, with the server's status code: a caller whose call
 * returned that error need not report it again. */
gboolean gst_rtmpe_client_has_failed (GstRtmpeClient *c);

/* Stops everything at once and joins the thread. */
void gst_rtmpe_client_free (GstRtmpeClient *c);

GstStructure *gst_rtmpe_client_get_stats (GstRtmpeClient *c);

G_END_DECLS

#endif

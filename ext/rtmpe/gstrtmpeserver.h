/* gst-rtmpe: listen mode: the server side of rtmpesrc and rtmpesink
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Listens on the location's address (rtmp://, rtmpe:// or rtmps://) and
 * runs, for every peer that connects, the server handshake (RTMPE as the
 * encryption property allows) and an RtmpSession in server role, all on a
 * private thread with its own GMainContext.
 *
 * INGEST (rtmpesrc): one publisher of the location's application and stream
 * at a time; its media goes to the element through the callbacks. A second
 * publisher is refused with NetStream.Publish.BadName while the first is
 * live.
 *
 * SERVE (rtmpesink): any number of players (up to max-connections); each
 * gets the metadata and codec configuration first, then the stream from
 * the next key frame. A player that cannot keep up has frames dropped up to
 * the next key frame (never stalling the pipeline or the other players) and
 * is disconnected if it stays stuck.
 */
#ifndef __GST_RTMPE_SERVER_H__
#define __GST_RTMPE_SERVER_H__

#include <gst/gst.h>

#include "gstrtmpeclient.h"
#include "gstrtmpesettings.h"

G_BEGIN_DECLS

typedef struct _GstRtmpeServer GstRtmpeServer;

typedef enum
{
  GST_RTMPE_SERVER_INGEST,
  GST_RTMPE_SERVER_SERVE,
} GstRtmpeServerRole;

/* @target is taken. The callbacks (started, media, eos, status) run on the
 * server's thread; for INGEST, started's @reconnected means "a new
 * publisher after an earlier one". */
GstRtmpeServer *gst_rtmpe_server_new (GstObject *parent, GstRtmpeTarget *target,
    GstRtmpeServerRole role, guint chunk_size, gboolean wait_for_next_publisher,
    const GstRtmpeClientCallbacks *callbacks, gpointer data);

/* Binds and listens (synchronously: the port is ready when this returns
 * TRUE), then serves in the background. FALSE with a GError (address in
 * use, bad TLS certificate ...). */
gboolean gst_rtmpe_server_start (GstRtmpeServer *s, GError **error);

/* The port actually bound (useful with port 0). */
guint16 gst_rtmpe_server_get_port (GstRtmpeServer *s);

/* SERVE: metadata and codec configuration every new player gets first.
 * Copied. */
void gst_rtmpe_server_set_headers (GstRtmpeServer *s, GPtrArray *headers);

/* SERVE: sends @msg to every player that is ready for it; never blocks. */
void gst_rtmpe_server_send (GstRtmpeServer *s, const RtmpMessage *msg);

/* SERVE: the stream ended: every player is told (StreamEOF,
 * NetStream.Play.Stop) and its connection closes in order; waits up to
 * @timeout_us for them. */
void gst_rtmpe_server_end (GstRtmpeServer *s, gint64 timeout_us);

/* INGEST: stop (FALSE) or resume reading from the publisher. */
void gst_rtmpe_server_set_reading (GstRtmpeServer *s, gboolean reading);

/* Ingest: reads the publisher on the calling thread (the src's streaming
 * thread), like gst_rtmpe_client_pull (). FALSE when there is no
 * publisher to read this way now: the callbacks come from the server's
 * thread as usual. */
gboolean gst_rtmpe_server_pull (
    GstRtmpeServer *s, GCancellable *cancellable, const GPollFD *cancel_fd);

/* Stops listening, drops every peer, joins the thread. */
void gst_rtmpe_server_free (GstRtmpeServer *s);

GstStructure *gst_rtmpe_server_get_stats (GstRtmpeServer *s);

G_END_DECLS

#endif

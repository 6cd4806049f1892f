/* gst-rtmfp: what rtmfpsrc and rtmfpsink run: sessions, NetConnections and
 * NetStreams for each mode, on an RtmfpIo thread
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *  src client:  session to the server; connect, setPeerInfo, createStream,
 *               play; media out through @media
 *  src peer:    session to the server (connect, setPeerInfo); then a
 *               session to the peer ID, which the server introduces; play
 *               on the publisher's NetStream 2000001
 *  src listen:  accept sessions; answer connect, setPeerInfo (the
 *               addresses we introduce the peer at), createStream and
 *               publish; the first publisher of the stream is the one we
 *               output; introduce peers to each other
 *  sink client: session to the server; connect, setPeerInfo,
 *               createStream, publish; media in through
 *               gst_rtmfp_engine_send()
 *  sink peer:   session to the server (connect, setPeerInfo); every peer
 *               that opens a session to us and plays our stream gets it
 *
 * Everything but the calls below runs on the I/O thread.
 */
#ifndef __GST_RTMFP_ENGINE_H__
#define __GST_RTMFP_ENGINE_H__

#include <gio/gio.h>
#include <gst/gst.h>

#include "gstrtmfpsettings.h"
#include "rtmpmessage.h"

G_BEGIN_DECLS

typedef struct _GstRtmfpEngine GstRtmfpEngine;

/**
 * GstRtmfpEngineCallbacks:
 * All run on the I/O thread.
 * @started: src: playing (media follows); sink: publishing (client) or
 *   connected to the introducing server (peer)
 * @media: (src) an audio, video or data message of the stream; taken
 * @eos: (src) the stream ended
 * @error: fatal: nothing more happens. @code: the peer's onStatus code
 * @message: an element message to post (taken)
 */
typedef struct
{
  void (*started) (GstRtmfpEngine *e, gpointer data);
  void (*media) (GstRtmfpEngine *e, RtmpMessage *msg, gpointer data);
  void (*eos) (GstRtmfpEngine *e, gpointer data);
  void (*error) (
      GstRtmfpEngine *e, const GError *error, const gchar *code, gpointer data);
  void (*message) (GstRtmfpEngine *e, GstStructure *s, gpointer data);
} GstRtmfpEngineCallbacks;

/* @target is taken. @parent is for logs. */
GstRtmfpEngine *gst_rtmfp_engine_new (GstObject *parent, GstRtmfpTarget *target,
    const GstRtmfpEngineCallbacks *callbacks, gpointer data);

/* Binds the socket (at once: a listen address in use fails here) and
 * starts the thread. */
gboolean gst_rtmfp_engine_start (GstRtmfpEngine *e, GError **error);

/* Our peer ID, as 64 hex digits (NULL before start). */
gchar *gst_rtmfp_engine_get_peer_id (GstRtmfpEngine *e);
/* The UDP port we are bound to (IPv4, else IPv6). */
guint16 gst_rtmfp_engine_get_port (GstRtmfpEngine *e);

/* sink: metadata and codec configuration, sent first to every peer that
 * starts playing from us (copied). */
void gst_rtmfp_engine_set_headers (GstRtmfpEngine *e, GPtrArray *headers);

/* sink: sends one message. Waits until publishing started and while more
 * than the target's max_queue is unacknowledged. FALSE with
 * G_IO_ERROR_CANCELLED when @cancellable fired, or the fatal error. */
gboolean gst_rtmfp_engine_send (GstRtmfpEngine *e, const RtmpMessage *msg,
    GCancellable *cancellable, GError **error);

/* src: stop (FALSE) or resume reading, for back-pressure. */
void gst_rtmfp_engine_set_reading (GstRtmfpEngine *e, gboolean reading);

/* sink: ends the stream in order (FCUnpublish and deleteStream, or the end
 * of play to every peer), waits until the far ends acknowledged it all,
 * closes the sessions. Blocks up to @timeout_us. */
gboolean gst_rtmfp_engine_finish (
    GstRtmfpEngine *e, gint64 timeout_us, GCancellable *cancellable);

/* The statistics structure (application/x-rtmfp-stats). */
GstStructure *gst_rtmfp_engine_get_stats (GstRtmfpEngine *e);

/* Stops everything at once (sessions closed abruptly) and joins. */
void gst_rtmfp_engine_free (GstRtmfpEngine *e);

G_END_DECLS

#endif

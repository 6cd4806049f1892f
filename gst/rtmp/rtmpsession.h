/* gst-rtmpe: one RTMP session above the handshake, client or server side
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Bytes in, events and bytes out; no I/O, no clock (the time is passed in).
 * The session owns the chunk reader and writer, answers protocol control
 * (chunk size, acknowledgements, pings, peer bandwidth) by itself, runs the
 * command exchanges of NetConnection and NetStream, and hands the caller
 * what only the caller can decide (server: accept this app, this publish,
 * this play) and what it wants (media, end of stream, errors).
 *
 *   client play:    connect → createStream → play → media ... → EOS
 *   client publish: connect → releaseStream, FCPublish, createStream →
 *                   publish → media ... → FCUnpublish, deleteStream
 *   server:         answers connect, releaseStream, FCPublish,
 *                   createStream, publish, play, FCUnpublish,
 *                   deleteStream, closeStream as the caller decides
 *
 * Bytes to send accumulate in the session's RtmpOutQueue; the caller
 * writes them with writev and consumes what the socket took. Not
 * thread-safe: the caller serialises all calls.
 */
#ifndef __RTMP_SESSION_H__
#define __RTMP_SESSION_H__

#include <gst/gst.h>
#include "amfvalue.h"
#include "rtmpmessage.h"
#include "rtmpoutqueue.h"

G_BEGIN_DECLS

typedef struct _RtmpSession RtmpSession;

/**
 * RtmpClientConfig:
 * What a client sends. Strings are copied by rtmp_session_new_client().
 * @app: the connect command's app (required)
 * @tc_url: the connect command's tcUrl (required; no user info)
 * @page_url, @swf_url: optional
 * @flash_version: flashVer, e.g. "LNX 9,0,124,2"
 * @connect_args: (element-type AmfValue) (nullable): extra connect
 *   arguments after the command object, in order; copied
 * @stream: the stream name to play or publish, with its query
 * @publish: publish (TRUE) or play (FALSE)
 * @publish_type: "live" (default), "record" or "append"
 * @buffer_length: play: the buffer length to announce, in ms
 * @chunk_size: our outgoing chunk size, sent with Set Chunk Size after
 *   connect (128 keeps the protocol default)
 * @window_ack_size: the acknowledgement window we announce
 * @fourcc_list: advertise Enhanced RTMP codecs (fourCcList) in connect
 */
typedef struct
{
  const gchar *app;
  const gchar *tc_url;
  const gchar *page_url;
  const gchar *swf_url;
  const gchar *flash_version;
  GPtrArray *connect_args;
  const gchar *stream;
  gboolean publish;
  const gchar *publish_type;
  guint32 buffer_length;
  guint32 chunk_size;
  guint32 window_ack_size;
  gboolean fourcc_list;
} RtmpClientConfig;

typedef struct
{
  guint32 chunk_size;
  guint32 window_ack_size;
  guint32 peer_bandwidth;
} RtmpServerConfig;

typedef enum
{
  /* client: connect accepted; server: the caller accepted a connect */
  RTMP_SESSION_EVENT_CONNECTED,
  /* client: NetStream.Play.Start or NetStream.Publish.Start arrived */
  RTMP_SESSION_EVENT_STARTED,
  /* an audio (8), video (9), data (18/15) or aggregate (22) message of
   * the stream, as received: @message */
  RTMP_SESSION_EVENT_MEDIA,
  /* the stream ended (client play: StreamEOF, Play.Complete, Play.Stop,
   * Play.UnpublishNotify; server: FCUnpublish, deleteStream, closeStream
   * of a publisher) */
  RTMP_SESSION_EVENT_EOS,
  /* the peer refused or broke something: @error, and the peer's onStatus
   * @code and @description when it gave them */
  RTMP_SESSION_EVENT_ERROR,
  /* an informational onStatus (@code, @description) */
  RTMP_SESSION_EVENT_STATUS,
  /* server: a client asks to connect to @app (@tc_url): answer with
   * rtmp_session_accept_connect() or rtmp_session_reject_connect() */
  RTMP_SESSION_EVENT_CONNECT_REQUEST,
  /* server: publish @stream on @stream_id: answer with
   * rtmp_session_accept_publish() or rtmp_session_reject_stream() */
  RTMP_SESSION_EVENT_PUBLISH_REQUEST,
  /* server: play @stream on @stream_id: answer with
   * rtmp_session_accept_play() or rtmp_session_reject_stream() */
  RTMP_SESSION_EVENT_PLAY_REQUEST,
  /* a ping we sent came back after @rtt_ms */
  RTMP_SESSION_EVENT_PONG,
} RtmpSessionEventType;

typedef struct
{
  RtmpSessionEventType type;
  RtmpMessage *message;
  GError *error;
  gchar *code;
  gchar *description;
  gchar *app;
  gchar *tc_url;
  gchar *stream;
  guint32 stream_id;
  guint32 rtt_ms;
} RtmpSessionEvent;

void rtmp_session_event_free (RtmpSessionEvent *ev);
const gchar *rtmp_session_event_type_name (RtmpSessionEventType type);

RtmpSession *rtmp_session_new_client (const RtmpClientConfig *config);
RtmpSession *rtmp_session_new_server (const RtmpServerConfig *config);
void rtmp_session_free (RtmpSession *s);

/* Message mode, for transports that carry whole messages (RTMFP flows, RFC
 * 7425 section 5): messages come in with rtmp_session_push_message() and go
 * out through rtmp_session_pop_message() instead of the chunk stream, and
 * the chunk stream's own control messages (Set Chunk Size, Abort,
 * Acknowledgement, Window Acknowledgement Size, Set Peer Bandwidth, pings)
 * are neither sent nor expected. Call before rtmp_session_start(). */
void rtmp_session_set_message_mode (RtmpSession *s, gboolean message_mode);
/* Message mode: one message from the peer (transfer none). */
gboolean rtmp_session_push_message (
    RtmpSession *s, const RtmpMessage *msg, guint64 now_ms, GError **error);
/* Message mode: (transfer full) (nullable) the next message to send; its
 * stream_id says which NetStream it belongs to (0: the NetConnection). */
RtmpMessage *rtmp_session_pop_message (RtmpSession *s);

/* Client: queues connect (and Window Ack Size). Call once, after the
 * handshake. */
void rtmp_session_start (RtmpSession *s);

/* Feeds bytes from the peer (deciphered). Queues whatever must be
 * answered. FALSE with @error on a protocol violation: close the
 * connection. */
gboolean rtmp_session_push (
    RtmpSession *s, GstBuffer *data, guint64 now_ms, GError **error);
gboolean rtmp_session_push_bytes (RtmpSession *s, const guint8 *data, gsize len,
    guint64 now_ms, GError **error);

/* (transfer full) (nullable): the next event, in order. */
RtmpSessionEvent *rtmp_session_pop_event (RtmpSession *s);

/* The bytes waiting to be sent. */
RtmpOutQueue *rtmp_session_get_out_queue (RtmpSession *s);

/* Client publishing / server serving a player: queues an audio, video or
 * data message of the stream (data: onMetaData is sent as @setDataFrame
 * when publishing). @stream_id 0 means the session's own stream. */
gboolean rtmp_session_send_media (
    RtmpSession *s, const RtmpMessage *msg, guint32 stream_id, GError **error);

/* Client publishing: FCUnpublish and deleteStream. */
void rtmp_session_stop_publish (RtmpSession *s);

/* Sends a ping (PingRequest with @now_ms); a PONG event follows. */
void rtmp_session_ping (RtmpSession *s, guint64 now_ms);

/* Server answers. */
void rtmp_session_accept_connect (RtmpSession *s);
void rtmp_session_reject_connect (
    RtmpSession *s, const gchar *code, const gchar *description);
void rtmp_session_accept_publish (RtmpSession *s, guint32 stream_id);
void rtmp_session_accept_play (RtmpSession *s, guint32 stream_id);
void rtmp_session_reject_stream (RtmpSession *s, guint32 stream_id,
    const gchar *code, const gchar *description);
/* Server, serving a player: StreamEOF and NetStream.Play.Stop/UnpublishNotify
 * when the published stream ends. */
void rtmp_session_end_play (RtmpSession *s, guint32 stream_id);

/* Flow control: bytes we sent that the peer has not acknowledged, and the
 * acknowledgement window we announced (Window Acknowledgement Size), once
 * the peer has shown it acknowledges (0 before). */
guint64 rtmp_session_unacked_bytes (RtmpSession *s);
guint32 rtmp_session_peer_window (RtmpSession *s);

/* Statistics. */
guint64 rtmp_session_bytes_in (RtmpSession *s);
guint32 rtmp_session_stream_id (RtmpSession *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpSession, rtmp_session_free)

G_END_DECLS

#endif

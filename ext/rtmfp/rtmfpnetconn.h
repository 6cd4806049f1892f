/* gst-rtmfp: a NetConnection and its NetStreams over the flows of one
 * RTMFP session (the Flash profile's "TC" mapping)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An RtmfpNetConn puts an RtmpSession in message mode on top of one open
 * RTMFP session and moves its messages to and from flows:
 *
 *  - every flow carries "TC" metadata naming its NetStream (0: the
 *    NetConnection);
 *  - client (initiator to a server): our stream-0 control flow C has no
 *    association; the server answers on its stream-0 flow S associated
 *    with C; our NetStream N flows are associated with S;
 *  - server (responder): our flows, stream 0 and N alike, are associated
 *    with the client's C;
 *  - direct P2P player: our first flow for the publisher's NetStream
 *    (2000000 + n) has no association; the publisher's flows for it are
 *    associated with it (P2P server);
 *  - a NetStream's messages go on one flow of ours, in the stream's
 *    order (or, with split media, audio and video on flows of their own,
 *    with Flow Synchronization at the start); audio and video may carry a
 *    deadline after which the core abandons them (partial reliability);
 *  - received User Control Flow Synchronization (34) suspends a flow until
 *    every flow of the barrier reached it; Set Keepalive (41) sets the
 *    session's keepalive; both are kept from the RtmpSession.
 *
 * Runs on the RtmfpIo's thread, like the endpoint it uses.
 */
#ifndef __RTMFP_NETCONN_H__
#define __RTMFP_NETCONN_H__

#include "rtmfp.h"
#include "rtmpsession.h"

G_BEGIN_DECLS

typedef struct _RtmfpNetConn RtmfpNetConn;

typedef enum
{
  RTMFP_NETCONN_CLIENT,
  RTMFP_NETCONN_SERVER,
  RTMFP_NETCONN_P2P_PLAYER,
  RTMFP_NETCONN_P2P_SERVER,
} RtmfpNetConnRole;

/* Flow Synchronization, User Control event 34 (RFC 7425 5.2) */
#define RTMFP_USER_CONTROL_FLOW_SYNC 34
/* Set Keepalive, User Control event 41 (RFC 7425 5.3.4) */
#define RTMFP_USER_CONTROL_SET_KEEPALIVE 41

/* @rs is taken (message mode is switched on). @max_recv_flows: flows the
 * peer may open on this session; more are rejected. */
RtmfpNetConn *rtmfp_netconn_new (RtmfpEndpoint *ep, guint32 session,
    RtmfpNetConnRole role, RtmpSession *rs, guint max_recv_flows);
void rtmfp_netconn_free (RtmfpNetConn *nc);

guint32 rtmfp_netconn_get_session (RtmfpNetConn *nc);
RtmfpNetConnRole rtmfp_netconn_get_role (RtmfpNetConn *nc);
RtmpSession *rtmfp_netconn_get_rtmp (RtmfpNetConn *nc);

/* Media (audio, video) of our NetStreams is abandoned this long after it
 * was queued (0: reliable). */
void rtmfp_netconn_set_media_lifetime (RtmfpNetConn *nc, guint64 lifetime_us);

/* A flow event of this session (FLOW_OPEN, MESSAGE, FLOW_COMPLETE,
 * FLOW_REJECTED). FALSE with @error when the peer broke the protocol (the
 * caller closes the session). */
gboolean rtmfp_netconn_handle_event (
    RtmfpNetConn *nc, guint64 now, const RtmfpEvent *ev, GError **error);

/* Sends what the RtmpSession queued. FALSE with @error when a flow could
 * not be opened or used (the session is gone). */
gboolean rtmfp_netconn_flush (RtmfpNetConn *nc, guint64 now, GError **error);

/* Audio and video of our NetStreams on flows of their own (default: one
 * flow per NetStream). */
void rtmfp_netconn_set_split_media (RtmfpNetConn *nc, gboolean split);

/* With split media: sends Flow Synchronization on the data, audio and video flows of
 * NetStream @stream_id (opening them), so the far end delivers what
 * follows on each after what preceded on all. */
void rtmfp_netconn_sync_stream (RtmfpNetConn *nc, guint32 stream_id);

/* Bytes queued on our flows and not yet acknowledged. */
gsize rtmfp_netconn_queued (RtmfpNetConn *nc);
/* Flows open now: ours and the peer's. */
guint rtmfp_netconn_n_flows (RtmfpNetConn *nc);
/* Closes our flows (after what they hold). */
void rtmfp_netconn_close_flows (RtmfpNetConn *nc);

typedef struct
{
  guint64 messages_sent, messages_received;
  guint64 syncs_received;
  guint64 flows_rejected;
} RtmfpNetConnStats;

void rtmfp_netconn_get_stats (RtmfpNetConn *nc, RtmfpNetConnStats *stats);

G_END_DECLS

#endif

/* gst-rtmfp: an RTMFP endpoint (RFC 7016 with the Flash profile), no I/O
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An RtmfpEndpoint is what one UDP socket serves: it initiates and
 * answers sessions, demultiplexes datagrams to them, carries flows, and
 * may introduce peers to each other (Redirect and Forwarded IHello).
 * It never touches a socket or a clock. The driver:
 *
 *   - feeds every datagram with rtmfp_endpoint_receive (now, from, bytes),
 *   - calls rtmfp_endpoint_advance (now) when rtmfp_endpoint_next_deadline
 *     is reached,
 *   - after either, or after any API call, pulls datagrams with
 *     rtmfp_endpoint_pull_datagram until it returns NULL and events with
 *     rtmfp_endpoint_pop_event until it returns FALSE.
 *
 * Times are monotonic microseconds from any origin. Sessions are named by
 * the 32-bit session ID the far end uses to reach us (never 0), flows by
 * their flow ID within a session. Randomness and ciphers come from the
 * RtmpCryptoAdapter; HMAC-SHA256 and SHA-256 from GLib.
 */
#ifndef __RTMFP_H__
#define __RTMFP_H__

#include <gst/gst.h>
#include "cryptoadapter.h"
#include "rtmfpwire.h"

G_BEGIN_DECLS

typedef struct _RtmfpEndpoint RtmfpEndpoint;

typedef enum
{
  /* answer a Forwarded IHello with an RHello to its reply address (opens
   * a NAT path; what librtmfp does) */
  RTMFP_FIHELLO_RHELLO,
  /* answer with an Implied Redirect */
  RTMFP_FIHELLO_REDIRECT,
  RTMFP_FIHELLO_IGNORE,
} RtmfpFIHelloMode;

/**
 * RtmfpConfig:
 * @crypto: randomness, Diffie-Hellman and AES
 * @server: TRUE: an ephemeral certificate that accepts ancillary data (a
 *   server, selected by "rtmfp://" EPDs); FALSE: a static certificate with
 *   a Diffie-Hellman key per group, whose SHA-256 is our peer ID (clients
 *   and P2P peers)
 * @hostname: optional hostname option in our certificate
 * @groups: Diffie-Hellman groups we offer (2, 5, 14, 16); the initiator
 *   picks the strongest both sides offer. A static certificate has a key
 *   for each: the Mona family only parses a certificate holding a single
 *   group-2 key, so clients keep the default {2}.
 * @hmac_flags, @hmac_len, @sseq_flags: our HMAC and session sequence number
 *   offer (flags RTMFP_NEG_*; default SOR: "we send them if asked")
 * @introducer: answer IHellos for the peer ID of a connected peer with a
 *   Redirect to it and a Forwarded IHello to it, and those for a peer ID
 *   it does not know with a Redirect to the wildcard address 0.0.0.0:0
 *   (MonaServer2's "unknown peer"; librtmfp and we fail the session)
 * @fihello_mode: what we do with a Forwarded IHello for us
 * @keepalive: ping an idle open session after this long
 * @idle_timeout: close a session that sent nothing for this long
 * @recv_buffer: receive buffer capacity of each flow, in bytes
 * @delayed_ack: longest delay before acknowledging (at most 200 ms)
 * @min_probe_timeout: the least delay before a probe retransmission
 * @max_plain_packet: the plain packet size we send (at most 1120)
 */
typedef struct
{
  const RtmpCryptoAdapter *crypto;
  gboolean server;
  const gchar *hostname;
  guint n_groups;
  guint64 groups[4];
  guint8 hmac_flags;
  guint hmac_len;
  guint8 sseq_flags;
  gboolean introducer;
  RtmfpFIHelloMode fihello_mode;
  guint64 keepalive;
  guint64 idle_timeout;
  gsize recv_buffer;
  guint64 delayed_ack;
  guint64 min_probe_timeout;
  gsize max_plain_packet;
} RtmfpConfig;

void rtmfp_config_init (
    RtmfpConfig *config, const RtmpCryptoAdapter *crypto, gboolean server);

RtmfpEndpoint *rtmfp_endpoint_new (
    const RtmfpConfig *config, guint64 now, GError **error);
void rtmfp_endpoint_free (RtmfpEndpoint *ep);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmfpEndpoint, rtmfp_endpoint_free)

/* Our certificate and its SHA-256, the peer ID others name us by. */
GBytes *rtmfp_endpoint_get_certificate (RtmfpEndpoint *ep);
const guint8 *rtmfp_endpoint_get_peer_id (RtmfpEndpoint *ep);

/* ---- driving ------------------------------------------------------------ */

void rtmfp_endpoint_receive (RtmfpEndpoint *ep, guint64 now,
    const RtmfpAddress *from, const guint8 *data, gsize len);
void rtmfp_endpoint_advance (RtmfpEndpoint *ep, guint64 now);
/* G_MAXUINT64 when nothing is scheduled. */
guint64 rtmfp_endpoint_next_deadline (RtmfpEndpoint *ep);
/* The next datagram to send and where; NULL when there is none now. */
GBytes *rtmfp_endpoint_pull_datagram (
    RtmfpEndpoint *ep, guint64 now, RtmfpAddress *to);

typedef enum
{
  RTMFP_EVENT_SESSION_OPEN, /* @session is open (@responder: they called) */
  RTMFP_EVENT_SESSION_FAILED, /* one we opened could not open: @reason */
  RTMFP_EVENT_SESSION_CLOSED, /* an open session ended: @reason */
  RTMFP_EVENT_FLOW_OPEN, /* a receiving flow: @metadata, @association */
  RTMFP_EVENT_MESSAGE, /* a message on receiving flow @flow: @data */
  RTMFP_EVENT_FLOW_COMPLETE, /* receiving flow @flow finished */
  RTMFP_EVENT_FLOW_REJECTED, /* the far end rejected our flow: @code */
  RTMFP_EVENT_FLOW_CLOSED, /* our closed flow is acknowledged to the end */
} RtmfpEventType;

/* SESSION_FAILED: why, in @code */
typedef enum
{
  RTMFP_FAILED_OTHER = 0, /* the handshake failed: @reason */
  RTMFP_FAILED_TIMEOUT, /* nobody answered */
  /* an introducer answered that it knows no peer of that peer ID (a
   * Redirect to the wildcard address, as MonaServer2 sends) */
  RTMFP_FAILED_UNKNOWN_PEER,
} RtmfpFailure;

typedef struct
{
  RtmfpEventType type;
  guint32 session;
  guint64 flow;
  gboolean responder;
  RtmfpAddress address;
  guint8 peer_id[32];
  GBytes *metadata;
  gboolean has_association;
  guint64 association;
  GstBuffer *data;
  /* MESSAGE: messages before this one were abandoned by the sender */
  gboolean discontinuity;
  guint64 code;
  gchar *reason;
} RtmfpEvent;

gboolean rtmfp_endpoint_pop_event (RtmfpEndpoint *ep, RtmfpEvent *event);
void rtmfp_event_clear (RtmfpEvent *event);
const gchar *rtmfp_event_type_name (RtmfpEventType type);

/* ---- sessions ----------------------------------------------------------- */

/* Opens a session to whoever @epd selects, sending IHellos to
 * @candidates. Returns the session, or 0 with @error. */
guint32 rtmfp_endpoint_connect (RtmfpEndpoint *ep, guint64 now, GBytes *epd,
    const RtmfpAddress *candidates, guint n_candidates, GError **error);
/* The same with an EPD naming a server by its URI (userinfo and fragment
 * are removed, as Flash clients do). */
guint32 rtmfp_endpoint_connect_uri (RtmfpEndpoint *ep, guint64 now,
    const gchar *uri, const RtmfpAddress *server, GError **error);
/* The same with the canonical EPD of a peer ID; @candidates are known
 * addresses of the peer or of an introducer that knows it. */
guint32 rtmfp_endpoint_connect_peer (RtmfpEndpoint *ep, guint64 now,
    const guint8 peer_id[32], const RtmfpAddress *candidates,
    guint n_candidates, GError **error);
/* Orderly close (Close Request, resent until acknowledged), or abrupt. */
void rtmfp_endpoint_close_session (
    RtmfpEndpoint *ep, guint64 now, guint32 session, gboolean abrupt);
/* Introducer: the addresses a peer reports for itself (setPeerInfo), sent
 * after its observed address in Redirects. */
void rtmfp_endpoint_set_peer_addresses (RtmfpEndpoint *ep, guint32 session,
    const RtmfpAddress *addresses, guint n_addresses);
/* The most received data one session may have held in its receiving flows
 * (incomplete and out-of-order messages), at most and by default
 * RTMFP_MAX_SESSION_BUFFERED; fragments beyond it are dropped without an
 * acknowledgement (the sender resends them). Data already held stays. */
void rtmfp_endpoint_set_buffer_limit (
    RtmfpEndpoint *ep, guint32 session, gsize limit);
/* Keepalive period for one session (Set Keepalive, at least 5 s). */
void rtmfp_endpoint_set_keepalive (
    RtmfpEndpoint *ep, guint32 session, guint64 period);

typedef struct
{
  gboolean open;
  gboolean responder;
  RtmfpAddress address;
  guint8 far_peer_id[32];
  guint8 near_nonce[32];
  guint8 far_nonce[32];
  guint64 dh_group;
  gboolean send_hmac, recv_hmac, send_sseq, recv_sseq;
  guint64 srtt; /* microseconds, measured from acknowledgements */
  guint64 erto;
  gsize cwnd;
  gsize in_flight;
  guint64 packets_sent, packets_received;
  guint64 fragments_sent, retransmissions, fast_retransmissions;
  guint64 probe_retransmissions, timeouts, loss_events;
  guint64 bytes_sent, bytes_received;
} RtmfpSessionInfo;

gboolean rtmfp_endpoint_get_session_info (
    RtmfpEndpoint *ep, guint32 session, RtmfpSessionInfo *info);

/* ---- flows -------------------------------------------------------------- */

/* A sending flow with @metadata (sent until acknowledged) and, if
 * @has_association, the receiving flow it answers. */
gboolean rtmfp_endpoint_open_flow (RtmfpEndpoint *ep, guint32 session,
    const guint8 *metadata, gsize metadata_len, gboolean has_association,
    guint64 association, guint64 *flow, GError **error);
/* Queues one message; @deadline (0: none) is when an unsent or
 * unacknowledged message is abandoned. @message_id, if not NULL, names it
 * for rtmfp_endpoint_abandon. */
gboolean rtmfp_endpoint_send (RtmfpEndpoint *ep, guint64 now, guint32 session,
    guint64 flow, GstBuffer *message, guint64 deadline, guint64 *message_id,
    GError **error);
/* Abandons a queued message (partial reliability); G_MAXUINT64: all. */
void rtmfp_endpoint_abandon (
    RtmfpEndpoint *ep, guint32 session, guint64 flow, guint64 message_id);
/* Ends a sending flow after what is queued. */
void rtmfp_endpoint_close_flow (
    RtmfpEndpoint *ep, guint32 session, guint64 flow);
/* Rejects a receiving flow with an application exception code. */
void rtmfp_endpoint_reject_flow (
    RtmfpEndpoint *ep, guint32 session, guint64 flow, guint64 code);
/* Bytes queued and not yet acknowledged on a sending flow. */
gsize rtmfp_endpoint_flow_queued (
    RtmfpEndpoint *ep, guint32 session, guint64 flow);

/* ---- statistics --------------------------------------------------------- */

typedef struct
{
  guint64 datagrams_received;
  guint64 datagrams_sent;
  guint64 dropped_size; /* too short, too long, not whole blocks */
  guint64 dropped_unknown_session;
  guint64 dropped_checksum;
  guint64 dropped_hmac;
  guint64 dropped_replay;
  guint64 dropped_mode; /* forbidden or wrong packet mode */
  guint64 dropped_header;
  guint64 chunks_malformed; /* ignored chunks that did not parse */
  guint64 chunks_unexpected; /* valid chunks in the wrong place */
  guint64 handshakes_refused; /* bad cookies, certificates, keys */
  guint64 cookie_changes;
  guint64 redirects_sent;
  guint64 fihellos_sent;
  guint64 sessions_opened;
  guint64 sessions_refused_limit;
  guint64 flows_rejected;
  guint64 fragments_dropped_limit; /* beyond a receive bound, unacked */
  guint64 reassembly_dropped;
} RtmfpStats;

const RtmfpStats *rtmfp_endpoint_get_stats (RtmfpEndpoint *ep);

G_END_DECLS

#endif

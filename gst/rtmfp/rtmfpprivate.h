/* gst-rtmfp: the endpoint's, sessions' and flows' private state
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __RTMFP_PRIVATE_H__
#define __RTMFP_PRIVATE_H__

#include "rtmfp.h"
#include "rtmfpchunk.h"
#include "rtmfpdebug.h"
#include "rtmfpflash.h"
#include "rtmfppacket.h"
#include "rtmplimits.h"

G_BEGIN_DECLS

#define RTMFP_MS G_GUINT64_CONSTANT (1000)
#define RTMFP_SEC G_GUINT64_CONSTANT (1000000)
#define RTMFP_NEVER G_MAXUINT64
#define RTMFP_TAG_SIZE 16
#define RTMFP_COOKIE_SIZE 64

typedef struct _RtmfpSession RtmfpSession;
typedef struct _RtmfpSendFlow RtmfpSendFlow;
typedef struct _RtmfpRecvFlow RtmfpRecvFlow;

typedef enum
{
  S_IHELLO_SENT,
  S_KEYING_SENT,
  S_OPEN,
  S_NEARCLOSE,
  S_FARCLOSE_LINGER,
  S_CLOSED,
  S_OPEN_FAILED,
} RtmfpSessionState;

typedef struct
{
  RtmfpAddress addr;
  guint64 next;
  guint64 interval;
} RtmfpCandidate;

/* ---- sending flows ------------------------------------------------------ */

typedef struct
{
  GstBuffer *buf; /* the message; this fragment is [off, off + len) */
  guint32 off;
  guint32 len;
  guint64 msg; /* first sequence number of its message */
  guint64 tsn;
  guint64 pn; /* the packet of its last transmission */
  guint64 sent_time;
  guint16 transmit_size;
  guint8 fra;
  guint8 nak_count;
  guint8 sends;
  guint abandoned : 1;
  guint sent_abandoned : 1;
  guint ever_sent : 1;
  guint in_flight : 1;
  guint acked : 1;
} RtmfpSendEntry;

typedef struct
{
  guint64 first, last;
  guint64 deadline;
} RtmfpMessageDeadline;

typedef enum
{
  F_OPEN,
  F_CLOSING,
  F_COMPLETE_LINGER,
  F_CLOSED,
} RtmfpSendFlowState;

struct _RtmfpSendFlow
{
  RtmfpSession *session;
  guint64 id;
  RtmfpSendFlowState state;
  GBytes *metadata;
  gboolean has_association;
  guint64 association;
  gboolean startup_options; /* until the first acknowledgement */
  /* SEND_QUEUE: a ring of entries for sequence numbers base .. next_sn-1 */
  RtmfpSendEntry *ring;
  guint ring_cap; /* power of two */
  guint64 base; /* sequence number of the oldest entry kept */
  guint64 next_sn;
  guint64 rtx_hint; /* no entry below this is waiting to be resent */
  guint64 next_new; /* no entry below this was never sent (and sendable) */
  guint64 live; /* entries neither acknowledged nor trimmed */
  gsize outstanding; /* F_OUTSTANDING_BYTES */
  gsize queued_bytes; /* data not yet acknowledged */
  gsize rx_buffer_size; /* the receiver's last advertisement */
  gboolean exception;
  guint64 final_sn; /* 0: none */
  guint64 cum_ack; /* highest cumulative acknowledgement received */
  guint64 fsn_update_at; /* resend an FSN update then (0: not needed) */
  GQueue deadlines; /* RtmfpMessageDeadline, in queuing order */
  guint64 linger_until;
  guint64 next_probe;
  guint64 probe_interval;
  gboolean rejected_reported;
};

/* ---- receiving flows ---------------------------------------------------- */

typedef struct
{
  GstBuffer *data;
  guint8 fra;
} RtmfpRecvEntry;

typedef enum
{
  RF_OPEN,
  RF_REJECTED,
  RF_COMPLETE_LINGER,
  RF_CLOSED,
} RtmfpRecvFlowState;

struct _RtmfpRecvFlow
{
  RtmfpSession *session;
  guint64 id;
  RtmfpRecvFlowState state;
  guint64 exception_code;
  gboolean should_ack;
  gboolean has_prev_rwnd;
  guint64 prev_rwnd;
  /* SEQUENCE_SET: 0 .. csn, then sorted ranges above csn + 1 */
  guint64 csn;
  GArray *ranges; /* RtmfpSeqRange */
  guint64 final_sn; /* 0: none */
  /* RECV_BUFFER: seq -> RtmfpRecvEntry; base: next seq to deliver */
  GHashTable *buffer;
  guint64 base;
  gsize buffered;
  gsize capacity;
  gboolean discontinuity;
  gboolean completed_reported;
  guint64 linger_until;
};

/* a transmission, in TSN order, across the session's sending flows */
typedef struct
{
  RtmfpSendFlow *flow;
  guint64 seq;
  guint64 tsn;
} RtmfpTsnRecord;

struct _RtmfpSession
{
  RtmfpEndpoint *ep;
  guint32 id; /* ours: the far end sends to it */
  guint32 far_id;
  RtmfpSessionState state;
  gboolean initiator;
  RtmfpAddress dest;

  /* startup, initiator */
  GBytes *epd;
  guint8 tag[RTMFP_TAG_SIZE];
  RtmfpCandidate candidates[RTMFP_MAX_CANDIDATES];
  guint n_candidates;
  guint64 open_deadline;
  GBytes *cookie;
  gboolean cookie_changed;
  GBytes *far_cert;
  guint64 group;
  RtmfpDhKey *eph_key;
  GBytes *skic;
  GBytes *skrc;
  GBytes *keying_chunk; /* IIKeying (initiator) or RIKeying (responder) */
  guint64 keying_next;
  guint64 keying_interval;

  /* keys */
  RtmfpPacketKeys keys;
  gboolean keyed;
  guint8 near_nonce[32];
  guint8 far_nonce[32];
  guint8 far_peer_id[32];
  RtmfpNegotiated hmac, sseq;

  /* timestamps (RFC 7016 3.5.2.2) */
  gboolean ts_rx_valid;
  guint16 ts_rx;
  guint64 ts_rx_time;
  gboolean ts_echo_tx_valid;
  guint16 ts_echo_tx;
  gboolean ts_echo_rx_valid;
  guint16 ts_echo_rx;
  gboolean srtt_ts_valid;
  guint64 srtt_ts, rttvar_ts; /* from timestamp echoes, microseconds */
  guint64 mrto, erto;
  /* from acknowledgement of never-resent fragments, microseconds */
  gboolean srtt_valid;
  guint64 srtt, rttvar, min_rtt;

  /* congestion */
  gsize cwnd;
  gsize ssthresh;
  gsize acked_accum;
  gsize outstanding; /* S_OUTSTANDING_BYTES */
  guint64 next_tsn;
  /* data packets: numbered as sent; acknowledgements of a packet sent
   * while no other was unacknowledged may be delayed by the receiver (up
   * to 200 ms, RFC 7016 3.6.3.4.4), lone_ack is how long they take */
  guint64 next_pn;
  guint64 max_pn_acked;
  guint64 lone_ack;
  guint64 max_tsn_ack;
  guint64 max_tsn_ack_sent_time;
  guint64 recovery_tsn; /* losses of transmissions below it: same episode */
  guint data_packet_count;
  guint64 timeout_alarm;
  guint64 pto_alarm;
  guint pto_count;
  gboolean pto_allowance;
  guint64 rack_alarm;
  guint64 tcr_time; /* last Time Critical Reverse notification */
  gboolean tcr_seen;
  GQueue tsn_queue; /* RtmfpTsnRecord */

  /* flows */
  GHashTable *send_flows; /* guint64 id -> RtmfpSendFlow */
  GPtrArray *send_order;
  guint send_rr;
  guint64 next_flow_id;
  GHashTable *recv_flows;
  GPtrArray *recv_order;
  gsize buffered; /* bytes held in all receiving flows */
  gsize buffer_limit; /* at most this many (RTMFP_MAX_SESSION_BUFFERED) */
  gboolean buffer_limit_logged;

  /* acknowledgements */
  gboolean ack_now;
  guint rx_data_packets;
  guint64 delack_alarm;

  /* control chunks waiting for the next packet */
  GByteArray *control;
  guint64 last_recv;
  guint64 last_send;
  guint64 keepalive;
  guint64 keepalive_alarm;
  gboolean ping_outstanding;
  guint64 close_alarm;
  guint64 close_until;

  /* mobility */
  guint8 mob_secret[16];
  guint64 mob_tx_time;
  guint64 mob_rx_ts;

  /* introducer: what the peer told us of its addresses */
  RtmfpAddress peer_addresses[RTMFP_MAX_PEER_ADDRESSES];
  guint n_peer_addresses;

  RtmfpSessionInfo info;
};

typedef struct
{
  RtmfpAddress from;
  guint64 packet_id;
  guint8 mode;
  guint64 next_num;
  guint64 last_progress;
  guint64 started;
  GByteArray *data;
  guint32 session;
} RtmfpReassembly;

typedef struct
{
  RtmfpAddress to;
  GBytes *data;
} RtmfpQueuedDatagram;

struct _RtmfpEndpoint
{
  RtmfpConfig config;
  gchar *hostname;
  const RtmpCryptoAdapter *crypto;
  GBytes *cert;
  guint8 peer_id[32];
  RtmfpDhKey *static_keys[4]; /* per config.groups[i], static identity */
  guint8 cookie_secret[32];
  guint64 start;
  guint64 now;

  GHashTable *sessions; /* id -> RtmfpSession */
  GPtrArray *session_list;
  guint pull_rr;
  RtmfpPacketKeys default_keys;
  GQueue out; /* RtmfpQueuedDatagram */
  GQueue events; /* RtmfpEvent* */
  GPtrArray *reassembly;
  guint64 next_packet_id;
  RtmfpStats stats;
  guint8 scratch[RTMFP_MAX_DATAGRAM];
};

/* rtmfpendpoint.c */
void rtmfp_endpoint_emit (RtmfpEndpoint *ep, RtmfpEvent *ev);
void rtmfp_endpoint_random (RtmfpEndpoint *ep, guint8 *buf, gsize len);
void rtmfp_endpoint_queue_datagram (
    RtmfpEndpoint *ep, const RtmfpAddress *to, GBytes *data);
gboolean rtmfp_endpoint_handle_fihello (
    RtmfpEndpoint *ep, RtmfpSession *via, const RtmfpFIHelloChunk *fih);
void rtmfp_endpoint_session_closed (RtmfpEndpoint *ep, RtmfpSession *s);

/* rtmfpsession.c */
RtmfpSession *rtmfp_session_new (
    RtmfpEndpoint *ep, guint32 id, gboolean initiator);
void rtmfp_session_free (RtmfpSession *s);
void rtmfp_session_set_open (RtmfpSession *s, guint64 now);
void rtmfp_session_receive (RtmfpSession *s, guint64 now,
    const RtmfpAddress *from, const RtmfpPacketHeader *h, GstBuffer *pkt,
    const guint8 *chunks, gsize chunks_len);
void rtmfp_session_process_chunks (RtmfpSession *s, guint64 now,
    const RtmfpAddress *from, GstBuffer *pkt, const guint8 *chunks,
    gsize chunks_len, gboolean *had_data);
void rtmfp_session_advance (RtmfpSession *s, guint64 now);
guint64 rtmfp_session_next_deadline (RtmfpSession *s);
GBytes *rtmfp_session_pull (RtmfpSession *s, guint64 now);
void rtmfp_session_close (
    RtmfpSession *s, guint64 now, gboolean abrupt, const gchar *reason);
void rtmfp_session_abort (RtmfpSession *s, const gchar *reason);
gboolean rtmfp_session_seal (RtmfpSession *s, RtmfpPacketKeys *keys,
    guint32 sid, const guint8 *plain, gsize len, GByteArray *out);
guint16 rtmfp_session_timestamp (guint64 now);

/* rtmfpflow.c */
RtmfpSendFlow *rtmfp_send_flow_new (RtmfpSession *s, guint64 id,
    const guint8 *metadata, gsize len, gboolean has_assoc, guint64 assoc);
void rtmfp_send_flow_free (RtmfpSendFlow *f);
RtmfpSendEntry *rtmfp_send_flow_entry (RtmfpSendFlow *f, guint64 seq);
void rtmfp_send_flow_queue (RtmfpSendFlow *f, GstBuffer *msg, gsize frag_size,
    guint64 deadline, guint64 *msg_id);
void rtmfp_send_flow_abandon (RtmfpSendFlow *f, guint64 msg_id);
void rtmfp_send_flow_close (RtmfpSendFlow *f);
void rtmfp_send_flow_trim (RtmfpSendFlow *f);
guint64 rtmfp_send_flow_fsn (RtmfpSendFlow *f);
RtmfpSendEntry *rtmfp_send_flow_next_eligible (RtmfpSendFlow *f, guint64 *seq);
gboolean rtmfp_send_flow_ready (RtmfpSendFlow *f);
void rtmfp_send_flow_expire (RtmfpSendFlow *f, guint64 now);

RtmfpRecvFlow *rtmfp_recv_flow_new (RtmfpSession *s, guint64 id);
void rtmfp_recv_flow_free (RtmfpRecvFlow *f);
gboolean rtmfp_recv_flow_seen (RtmfpRecvFlow *f, guint64 seq);
gboolean rtmfp_recv_flow_has_gaps (RtmfpRecvFlow *f);
gboolean rtmfp_recv_flow_add_seen (RtmfpRecvFlow *f, guint64 from, guint64 to);
void rtmfp_recv_flow_deliver (RtmfpRecvFlow *f);
void rtmfp_recv_flow_reject (RtmfpRecvFlow *f, guint64 code);
guint64 rtmfp_recv_flow_rwnd (RtmfpRecvFlow *f);
guint64 rtmfp_recv_flow_highest (RtmfpRecvFlow *f);

G_END_DECLS

#endif
